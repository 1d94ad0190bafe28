/*
 * hash.h - non-cryptographic hashing for in-memory hash tables: a 64-bit
 * finalizer (fl_hash_mix64) and a byte-string hash built on it
 * (fl_hash_bytes). Fast and well mixed; never for anything an attacker
 * must not be able to collide on purpose beyond making a table slower.
 */
#ifndef FL_CORE_HASH_H
#define FL_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* MurmurHash3's 64-bit finalizer, folded to 32 bits. */
static inline uint32_t fl_hash_mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return (uint32_t)x;
}

static inline uint32_t fl_hash_bytes(const uint8_t *p, size_t len) {
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (len * 0xc2b2ae3d27d4eb4fULL);
    while (len >= 8) {
        uint64_t k;
        memcpy(&k, p, 8);
        k *= 0x87c37b91114253d5ULL;
        k = k << 31 | k >> 33;
        h = (h ^ k) * 0x4cf5ad432745937fULL;
        h = h << 27 | h >> 37;
        p += 8;
        len -= 8;
    }
    uint64_t k = 0;
    for (size_t i = 0; i < len; i++) k |= (uint64_t)p[i] << (8 * i);
    h ^= k * 0x87c37b91114253d5ULL;
    return fl_hash_mix64(h);
}

#endif
