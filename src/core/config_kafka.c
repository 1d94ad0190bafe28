/*
 * config_kafka.c - the `kafka:` section of the YAML configuration
 * (config.h's struct fl_config_kafka): whether floe up serves the Kafka
 * protocol, where, what address Metadata replies advertise, topic
 * creation on first use, the server's limits, and the SASL/PLAIN users
 * (with any, every connection authenticates first), and tls: {cert, key}.
 *
 * How it works: the same walk as config.c (config_int.h); every value is
 * checked for shape and range at its line (listen and advertised too, so
 * that `floe config check` finds a bad address before floe up binds it).
 * The defaults are the up plan's (cli/up_plan.c, from kafka/kafka.h).
 */
#include "core/addr.h"
#include "core/config_int.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

/* HOST or HOST:PORT: a name Kafka clients connect to as it is written. */
static fl_err_t get_advertised(struct walk *w, yaml_node_t *n, char **out) {
    fl_err_t rc = fl_config_get_str(w, n, "kafka.advertised", out);
    if (rc) return rc;
    const char *s = *out, *colon = strrchr(s, ':');
    if (!*s || s[0] == ':' || strlen(s) > 255)
        return fl_config_fail(w, n, "kafka.advertised", "expected HOST or HOST:PORT");
    if (colon && s[0] != '[') {
        char *end;
        long port = strtol(colon + 1, &end, 10);
        if (*end || !colon[1] || port < 1 || port > 65535)
            return fl_config_fail(w, n, "kafka.advertised",
                                  "expected HOST or HOST:PORT (1..65535)");
    }
    return FL_OK;
}

struct user {
    char *name, *password;
};

static fl_err_t user_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                          yaml_node_t *v) {
    struct user *u = ctx;
    if (!strcmp(key, "name")) return fl_config_get_str(w, v, "kafka.users[].name", &u->name);
    if (!strcmp(key, "password"))
        return fl_config_get_str(w, v, "kafka.users[].password", &u->password);
    return fl_config_unknown(w, kn, "kafka.users[]", key);
}

/* users: [{name, password}, ...]: each with both, names not repeated. */
static fl_err_t users_seq(struct walk *w, struct fl_config_kafka *k, yaml_node_t *n) {
    if (n->type != YAML_SEQUENCE_NODE)
        return fl_config_fail(w, n, "kafka.users", "expected a list");
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(w->doc, *it);
        if (k->nusers >= FL_CONFIG_KAFKA_USERS_MAX)
            return fl_config_too_many(w, item, "kafka.users", "users", FL_CONFIG_KAFKA_USERS_MAX);
        struct user u = {NULL, NULL};
        fl_err_t rc = fl_config_each_pair(w, item, "kafka.users[]", user_pair, &u);
        if (!rc && (!u.name || !*u.name || !u.password || !*u.password))
            rc = fl_config_fail(w, item, "kafka.users[]", "needs a name and a password");
        for (int i = 0; !rc && i < k->nusers; i++)
            if (!strcmp(k->user_names[i], u.name))
                rc = fl_config_fail(w, item, "kafka.users[].name", "listed twice");
        if (rc) {
            fl_free(u.name);
            fl_free(u.password);
            return rc;
        }
        k->user_names = fl_realloc(k->user_names, (size_t)(k->nusers + 1) * sizeof(char *));
        k->user_passwords = fl_realloc(k->user_passwords, (size_t)(k->nusers + 1) * sizeof(char *));
        k->user_names[k->nusers] = u.name;
        k->user_passwords[k->nusers++] = u.password;
    }
    return FL_OK;
}

static fl_err_t tls_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                         yaml_node_t *v) {
    struct fl_config_kafka *k = ctx;
    if (!strcmp(key, "cert")) return fl_config_get_str(w, v, "kafka.tls.cert", &k->tls_cert);
    if (!strcmp(key, "key")) return fl_config_get_str(w, v, "kafka.tls.key", &k->tls_key);
    return fl_config_unknown(w, kn, "kafka.tls", key);
}

static fl_err_t kafka_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                           yaml_node_t *v) {
    struct fl_config_kafka *k = ctx;
    if (!strcmp(key, "enabled")) return fl_config_get_bool(w, v, "kafka.enabled", &k->enabled);
    if (!strcmp(key, "listen")) {
        fl_err_t rc = fl_config_get_str(w, v, "kafka.listen", &k->listen);
        struct sockaddr_storage ss;
        struct fl_error e = {0};
        if (!rc && fl_addr_parse(k->listen, &ss, &e))
            return fl_config_fail(w, v, "kafka.listen", e.msg);
        return rc;
    }
    if (!strcmp(key, "advertised")) return get_advertised(w, v, &k->advertised);
    if (!strcmp(key, "auto_create_topics"))
        return fl_config_get_bool(w, v, "kafka.auto_create_topics", &k->auto_create_topics);
    if (!strcmp(key, "partitions"))
        return fl_config_get_int(w, v, "kafka.partitions", 1, FL_CONFIG_PARTITIONS_MAX,
                                 &k->partitions);
    if (!strcmp(key, "max_request_bytes"))
        return fl_config_get_int(w, v, "kafka.max_request_bytes", 1024, INT64_C(1) << 30,
                                 &k->max_request_bytes);
    if (!strcmp(key, "max_connections"))
        return fl_config_get_int(w, v, "kafka.max_connections", 1, 100000, &k->max_connections);
    if (!strcmp(key, "max_inflight_bytes"))
        return fl_config_get_int(w, v, "kafka.max_inflight_bytes", 65536, INT64_C(4) << 30,
                                 &k->max_inflight_bytes);
    if (!strcmp(key, "users")) return users_seq(w, k, v);
    if (!strcmp(key, "tls")) {
        fl_err_t rc = fl_config_each_pair(w, v, "kafka.tls", tls_pair, k);
        if (!rc && (!k->tls_cert || !k->tls_key || !*k->tls_cert || !*k->tls_key))
            rc = fl_config_fail(w, v, "kafka.tls", "needs cert and key (PEM files)");
        return rc;
    }
    return fl_config_unknown(w, kn, "kafka", key);
}

fl_err_t fl_config_kafka_walk(struct walk *w, struct fl_config_kafka *k, yaml_node_t *n) {
    return fl_config_each_pair(w, n, "kafka", kafka_pair, k);
}

void fl_config_kafka_fini(struct fl_config_kafka *k) {
    fl_free(k->listen);
    fl_free(k->advertised);
    k->listen = k->advertised = NULL;
    fl_free(k->tls_cert);
    fl_free(k->tls_key);
    k->tls_cert = k->tls_key = NULL;
    for (int i = 0; i < k->nusers; i++) {
        fl_free(k->user_names[i]);
        fl_free(k->user_passwords[i]);
    }
    fl_free(k->user_names);
    fl_free(k->user_passwords);
    k->user_names = k->user_passwords = NULL;
    k->nusers = 0;
}
