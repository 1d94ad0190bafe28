/*
 * config_auth.c - who may connect and how: the `auth:` section of the
 * YAML configuration (core/auth.h's struct fl_auth), and `tls:`, the
 * certificate and key of HTTPS on the HTTP port:
 *
 *   tls: {cert: /etc/floe/cert.pem, key: /etc/floe/key.pem}
 *
 *
 *   auth:
 *     open: false          # true: serve everything without keys, on any address
 *     open_metrics: false  # true: GET /metrics without a key
 *     keys:
 *       - {name: ingest, hash: "sha256:<64 hex>", role: write}
 *       - {name: ops, hash: "sha256:...", role: [read, write]}   # or admin
 *
 * Each value is checked at its line; a bad hash is refused without
 * quoting it. Names are unique (they are Kafka SASL usernames), and so
 * are hashes (a key must name one role set).
 */
#include "core/config_int.h"
#include "core/mem.h"

#include <string.h>

struct key_walk {
    struct fl_auth_key key;
    char *hash;
    int has_role;
};

static fl_err_t role_value(struct walk *w, yaml_node_t *v, struct key_walk *k) {
    char **roles = NULL;
    int n = 0;
    fl_err_t rc = fl_config_get_str_list(w, v, "auth.keys[].role", &roles, &n);
    for (int i = 0; !rc && i < n; i++) {
        int g = fl_auth_role_grants(roles[i]);
        if (!g) rc = fl_config_fail(w, v, "auth.keys[].role", "expected read, write or admin");
        k->key.grants |= g;
    }
    for (int i = 0; i < n; i++) fl_free(roles[i]);
    fl_free(roles);
    if (!rc && !n) rc = fl_config_fail(w, v, "auth.keys[].role", "expected read, write or admin");
    k->has_role = 1;
    return rc;
}

static fl_err_t key_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                         yaml_node_t *v) {
    struct key_walk *k = ctx;
    if (!strcmp(key, "name")) return fl_config_get_str(w, v, "auth.keys[].name", &k->key.name);
    if (!strcmp(key, "hash")) {
        fl_err_t rc = fl_config_get_str(w, v, "auth.keys[].hash", &k->hash);
        struct fl_error e = {0};
        if (!rc && fl_auth_hash_parse(k->hash, k->key.sha256, &e))
            return fl_config_fail(w, v, "auth.keys[].hash", e.msg);
        return rc;
    }
    if (!strcmp(key, "role") || !strcmp(key, "roles")) return role_value(w, v, k);
    return fl_config_unknown(w, kn, "auth.keys[]", key);
}

static fl_err_t keys_seq(struct walk *w, struct fl_auth *a, yaml_node_t *n) {
    if (n->type != YAML_SEQUENCE_NODE) return fl_config_fail(w, n, "auth.keys", "expected a list");
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(w->doc, *it);
        if (a->nkeys >= FL_AUTH_KEYS_MAX)
            return fl_config_too_many(w, item, "auth.keys", "keys", FL_AUTH_KEYS_MAX);
        struct key_walk k = {0};
        fl_err_t rc = fl_config_each_pair(w, item, "auth.keys[]", key_pair, &k);
        if (!rc && (!k.key.name || !*k.key.name || !k.hash || !k.has_role))
            rc = fl_config_fail(w, item, "auth.keys[]", "needs a name, a hash and a role");
        for (int i = 0; !rc && i < a->nkeys; i++) {
            if (!strcmp(a->keys[i].name, k.key.name))
                rc = fl_config_fail(w, item, "auth.keys[].name", "listed twice");
            else if (!memcmp(a->keys[i].sha256, k.key.sha256, 32))
                rc = fl_config_fail(w, item, "auth.keys[].hash", "the same key listed twice");
        }
        fl_free(k.hash);
        if (rc) {
            fl_free(k.key.name);
            return rc;
        }
        a->keys = fl_realloc(a->keys, (size_t)(a->nkeys + 1) * sizeof(*a->keys));
        a->keys[a->nkeys++] = k.key;
    }
    return FL_OK;
}

static fl_err_t auth_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                          yaml_node_t *v) {
    struct fl_auth *a = ctx;
    int b = 0;
    fl_err_t rc;
    if (!strcmp(key, "open")) {
        rc = fl_config_get_bool(w, v, "auth.open", &b);
        a->open = b == 1;
        return rc;
    }
    if (!strcmp(key, "open_metrics")) {
        rc = fl_config_get_bool(w, v, "auth.open_metrics", &b);
        a->open_metrics = b == 1;
        return rc;
    }
    if (!strcmp(key, "keys")) return keys_seq(w, a, v);
    return fl_config_unknown(w, kn, "auth", key);
}

fl_err_t fl_config_auth_walk(struct walk *w, struct fl_auth *a, yaml_node_t *n) {
    a->present = true;
    fl_err_t rc = fl_config_each_pair(w, n, "auth", auth_pair, a);
    if (!rc && !a->open && a->nkeys == 0)
        rc = fl_config_fail(w, n, "auth", "no keys: list keys, or say open: true");
    return rc;
}

static fl_err_t tls_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                         yaml_node_t *v) {
    struct fl_config *cfg = ctx;
    if (!strcmp(key, "cert")) return fl_config_get_str(w, v, "tls.cert", &cfg->tls.cert);
    if (!strcmp(key, "key")) return fl_config_get_str(w, v, "tls.key", &cfg->tls.key);
    return fl_config_unknown(w, kn, "tls", key);
}

fl_err_t fl_config_tls_walk(struct walk *w, struct fl_config *cfg, yaml_node_t *n) {
    fl_err_t rc = fl_config_each_pair(w, n, "tls", tls_pair, cfg);
    if (!rc && (!cfg->tls.cert || !cfg->tls.key || !*cfg->tls.cert || !*cfg->tls.key))
        rc = fl_config_fail(w, n, "tls", "needs cert and key (PEM files)");
    return rc;
}
