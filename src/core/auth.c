/*
 * auth.c - API key lookup (auth.h): SHA-256 through OpenSSL's libcrypto,
 * comparisons with CRYPTO_memcmp so that timing says nothing about how
 * much of a hash matched. Nothing here logs: keys and hashes stay out of
 * every message.
 */
#include "core/auth.h"
#include "core/mem.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

bool fl_auth_required(const struct fl_auth *a) { return a && a->present && !a->open; }

int fl_auth_role_grants(const char *role) {
    if (!strcmp(role, "read")) return FL_AUTH_READ;
    if (!strcmp(role, "write")) return FL_AUTH_WRITE;
    if (!strcmp(role, "admin")) return FL_AUTH_READ | FL_AUTH_WRITE | FL_AUTH_ADMIN;
    return 0;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

fl_err_t fl_auth_hash_parse(const char *text, uint8_t out[32], struct fl_error *err) {
    if (strncmp(text, "sha256:", 7) != 0 || strlen(text) != 7 + 64)
        return fl_errf(err, FL_ERR_INVALID,
                       "expected sha256:<64 hex digits> (floe auth hash makes one)");
    for (int i = 0; i < 32; i++) {
        int hi = hexval(text[7 + 2 * i]), lo = hexval(text[8 + 2 * i]);
        if (hi < 0 || lo < 0)
            return fl_errf(err, FL_ERR_INVALID, "expected sha256:<64 hex digits>");
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return FL_OK;
}

static void sha256(const void *data, size_t len, uint8_t out[32]) {
    unsigned n = 32;
    if (!EVP_Digest(data, len, out, &n, EVP_sha256(), NULL)) memset(out, 0, 32);
}

void fl_auth_hash_format(const void *key, size_t len, char out[FL_AUTH_HASH_TEXT]) {
    static const char hex[] = "0123456789abcdef";
    uint8_t h[32];
    sha256(key, len, h);
    memcpy(out, "sha256:", 7);
    for (int i = 0; i < 32; i++) {
        out[7 + 2 * i] = hex[h[i] >> 4];
        out[8 + 2 * i] = hex[h[i] & 15];
    }
    out[71] = 0;
}

const struct fl_auth_key *fl_auth_find(const struct fl_auth *a, const void *secret, size_t len) {
    if (!a || !secret || !len) return NULL;
    uint8_t h[32];
    sha256(secret, len, h);
    const struct fl_auth_key *found = NULL;
    for (int i = 0; i < a->nkeys; i++)
        if (CRYPTO_memcmp(h, a->keys[i].sha256, 32) == 0 && !found) found = &a->keys[i];
    return found;
}

const struct fl_auth_key *fl_auth_find_named(const struct fl_auth *a, const char *name,
                                             const void *secret, size_t len) {
    if (!a || !name || !secret || !len) return NULL;
    uint8_t h[32];
    sha256(secret, len, h);
    for (int i = 0; i < a->nkeys; i++)
        if (!strcmp(a->keys[i].name, name))
            return CRYPTO_memcmp(h, a->keys[i].sha256, 32) == 0 ? &a->keys[i] : NULL;
    return NULL;
}

void fl_auth_fini(struct fl_auth *a) {
    for (int i = 0; i < a->nkeys; i++) fl_free(a->keys[i].name);
    fl_free(a->keys);
    memset(a, 0, sizeof(*a));
}
