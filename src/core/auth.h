/*
 * auth.h - API keys and their roles, shared by every port (HTTP routes,
 * Kafka SASL/PLAIN). The config holds only each key's SHA-256
 * ("sha256:<64 hex>"), never the key; a presented key is hashed and
 * compared with every stored hash in constant time. Roles: read, write,
 * admin; admin grants all three.
 */
#ifndef FL_CORE_AUTH_H
#define FL_CORE_AUTH_H

#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a key may do: a set of these bits. */
enum { FL_AUTH_READ = 1, FL_AUTH_WRITE = 2, FL_AUTH_ADMIN = 4 };

#define FL_AUTH_KEYS_MAX 1024
#define FL_AUTH_HASH_TEXT 72 /* "sha256:" + 64 hex + NUL */

struct fl_auth_key {
    char *name; /* the Kafka SASL username; never a secret */
    uint8_t sha256[32];
    int grants; /* FL_AUTH_* bits */
};

/* The `auth:` section. present: the section was given; with no keys and
 * open set, everything is served without a key. */
struct fl_auth {
    bool present;
    bool open;         /* auth: {open: true}: no keys required, on any address */
    bool open_metrics; /* GET /metrics without a key */
    struct fl_auth_key *keys;
    int nkeys;
};

/* Whether requests must carry a key. */
bool fl_auth_required(const struct fl_auth *a);

/* "read", "write", "admin" -> its grants; 0 for anything else. */
int fl_auth_role_grants(const char *role);

/* Parses "sha256:<64 hex>" into out. FL_ERR_INVALID otherwise (the
 * message never quotes the text). */
fl_err_t fl_auth_hash_parse(const char *text, uint8_t out[32], struct fl_error *err);

/* "sha256:<64 hex>" of key[0..len) into out (FL_AUTH_HASH_TEXT bytes). */
void fl_auth_hash_format(const void *key, size_t len, char out[FL_AUTH_HASH_TEXT]);

/* The key whose hash equals secret's, NULL when none (every stored hash
 * is compared, each in constant time). */
const struct fl_auth_key *fl_auth_find(const struct fl_auth *a, const void *secret, size_t len);

/* The key named name when secret is its key (SASL/PLAIN), else NULL. */
const struct fl_auth_key *fl_auth_find_named(const struct fl_auth *a, const char *name,
                                             const void *secret, size_t len);

void fl_auth_fini(struct fl_auth *a);

#endif
