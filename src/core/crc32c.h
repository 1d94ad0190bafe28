/*
 * crc32c.h - CRC-32C (Castagnoli polynomial 0x1EDC6F41, reflected), as
 * Kafka record batches use it. (Parquet page checksums are plain CRC-32,
 * zlib's crc32().)
 */
#ifndef FL_CORE_CRC32C_H
#define FL_CORE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues crc over len bytes; start with crc = 0. */
uint32_t fl_crc32c(uint32_t crc, const void *data, size_t len);

#endif
