/*
 * sasl.c - SaslHandshake (v1) and SaslAuthenticate (v0-v2) with the PLAIN
 * mechanism, when the config lists users (kafka.users) or auth: keys
 * (username = the key's name, password = the key; its role then limits
 * the APIs, kafka.c): a connection
 * then authenticates before any request but ApiVersions (kafka.c closes
 * a connection that tries one), as a Kafka broker's SASL_PLAINTEXT
 * listener does.
 *
 * PLAIN's message (RFC 4616) is authzid NUL user NUL password; the
 * authorization id must be empty or the user. The password is compared
 * in constant time. A failed authentication is answered with
 * SASL_AUTHENTICATION_FAILED and the connection closed after the reply.
 * Without users, a handshake gets UNSUPPORTED_SASL_MECHANISM and no
 * mechanisms, so a client set up for SASL fails with a clear error.
 * Handshake v0 is listed (librdkafka 2.0 judges SASL support by it) and
 * answered as v1, but the raw SASL token a v0 client then sends outside
 * Kafka's framing is not read as one: such a client is never
 * authenticated and its connection is closed.
 */
#include "kafka/kafka_int.h"

#include <stdio.h>
#include <string.h>

static bool same(const char *want, const uint8_t *got, size_t len) {
    size_t n = strlen(want);
    unsigned diff = (unsigned)(n ^ len);
    for (size_t i = 0; i < len; i++) diff |= (unsigned)(got[i] ^ (uint8_t)(i < n ? want[i] : 0));
    return diff == 0;
}

/* Whether the PLAIN message p names a configured user and its password
 * (kafka.users: every grant), or an auth: key by name with the key as
 * the password (that key's grants); *grants and name get who it is. */
static bool plain_ok(const struct fl_kafka *k, const uint8_t *p, size_t len, int *grants,
                     char *name, size_t namesz) {
    const uint8_t *nul1 = p ? memchr(p, 0, len) : NULL;
    if (!nul1) return false;
    const uint8_t *user = nul1 + 1, *end = p + len;
    const uint8_t *nul2 = memchr(user, 0, (size_t)(end - user));
    if (!nul2) return false;
    size_t ulen = (size_t)(nul2 - user), zlen = (size_t)(nul1 - p);
    const uint8_t *pass = nul2 + 1;
    if (zlen && (zlen != ulen || memcmp(p, user, ulen))) return false;
    bool ok = false;
    for (int i = 0; i < k->cfg.nusers; i++) {
        const struct fl_kafka_user *u = &k->cfg.users[i];
        if (strlen(u->name) == ulen && !memcmp(u->name, user, ulen))
            ok |= same(u->password, pass, (size_t)(end - pass));
    }
    *grants = ok ? FL_AUTH_READ | FL_AUTH_WRITE | FL_AUTH_ADMIN : 0;
    if (!ok && fl_auth_required(k->cfg.auth) && ulen < namesz && !memchr(user, 0, ulen)) {
        char uname[256];
        if (ulen < sizeof(uname)) {
            memcpy(uname, user, ulen);
            uname[ulen] = 0;
            const struct fl_auth_key *key =
                fl_auth_find_named(k->cfg.auth, uname, pass, (size_t)(end - pass));
            if (key) {
                ok = true;
                *grants = key->grants;
            }
        }
    }
    if (ok) snprintf(name, namesz, "%.*s", (int)ulen, (const char *)user);
    return ok;
}

fl_err_t fl_kafka_sasl_handshake(struct fl_kafka *k, struct fl_kafka_req *rq,
                                 struct fl_kafka_rd *rd, struct fl_kafka_wr *w) {
    struct fl_kafka_str mech = fl_kafka_rd_str(rd, false);
    if (rd->bad) return FL_ERR_CORRUPT;
    bool on = fl_kafka_sasl_on(k);
    bool plain = on && mech.len == 5 && !memcmp(mech.p, "PLAIN", 5);
    if (plain && rq->sess) rq->sess->mechanism = true;
    fl_kafka_wr_i16(w, plain ? FL_KAFKA_NONE : FL_KAFKA_UNSUPPORTED_SASL_MECHANISM);
    fl_kafka_wr_array(w, false, on ? 1 : 0);
    if (on) fl_kafka_wr_str(w, false, "PLAIN");
    return FL_OK;
}

fl_err_t fl_kafka_sasl_authenticate(struct fl_kafka *k, struct fl_kafka_req *rq,
                                    struct fl_kafka_rd *rd, struct fl_kafka_wr *w) {
    bool flex = rq->flex;
    const uint8_t *p;
    size_t len;
    fl_kafka_rd_bytes(rd, flex, &p, &len);
    fl_kafka_rd_tags(rd, flex);
    if (rd->bad) return FL_ERR_CORRUPT;
    struct fl_kafka_session *s = rq->sess;
    int16_t code = FL_KAFKA_NONE;
    const char *msg = NULL;
    int grants = 0;
    char name[128] = "";
    if (s && !s->mechanism) {
        code = FL_KAFKA_ILLEGAL_SASL_STATE;
        msg = "SaslHandshake with PLAIN first";
    } else if (!plain_ok(k, p, len, &grants, name, sizeof(name))) {
        code = FL_KAFKA_SASL_AUTHENTICATION_FAILED;
        msg = "Authentication failed: invalid username or password";
    }
    if (s) {
        s->authenticated = !code;
        s->close = code != 0;
        s->grants = code ? 0 : grants;
        snprintf(s->key_name, sizeof(s->key_name), "%s", code ? "" : name);
    }
    fl_kafka_wr_i16(w, code);
    fl_kafka_wr_str(w, flex, msg);
    fl_kafka_wr_bytes(w, flex, NULL, 0);
    if (rq->version >= 1) fl_kafka_wr_i64(w, 0); /* session lifetime: no re-authentication */
    fl_kafka_wr_tags(w, flex);
    return FL_OK;
}
