/*
 * uuid.h - random (version 4) UUIDs from the kernel's CSPRNG, for table
 * uuids and file names.
 */
#ifndef FL_CORE_UUID_H
#define FL_CORE_UUID_H

#include <stddef.h>
#include <stdint.h>

/* 16 random bytes with the version 4 and RFC 4122 variant bits set. */
void fl_uuid_v4(uint8_t out[16]);
/* Canonical 8-4-4-4-12 text <-> 16 bytes (RFC 4122 byte order). */
int fl_uuid_parse(const char *s, size_t len, uint8_t out[16]);
void fl_uuid_format(const uint8_t in[16], char out[37]);
/* A new v4 uuid as canonical lowercase text (37 bytes with the NUL). */
void fl_uuid_v4_text(char out[37]);

#endif
