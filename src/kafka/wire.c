/*
 * wire.c - the Kafka protocol's primitive types (wire.h): a bounded,
 * sticky-error reader over a request and a capped writer into a reply.
 */
#include "kafka/wire.h"

#include "core/endian.h"
#include "core/varint.h"

#include <string.h>

static const uint8_t *take(struct fl_kafka_rd *rd, size_t n) {
    if (rd->bad || (size_t)(rd->end - rd->p) < n) {
        rd->bad = true;
        return NULL;
    }
    const uint8_t *p = rd->p;
    rd->p += n;
    return p;
}

int8_t fl_kafka_rd_i8(struct fl_kafka_rd *rd) {
    const uint8_t *p = take(rd, 1);
    return p ? (int8_t)p[0] : 0;
}
int16_t fl_kafka_rd_i16(struct fl_kafka_rd *rd) {
    const uint8_t *p = take(rd, 2);
    return p ? (int16_t)(uint16_t)(p[0] << 8 | p[1]) : 0;
}
int32_t fl_kafka_rd_i32(struct fl_kafka_rd *rd) {
    const uint8_t *p = take(rd, 4);
    return p ? (int32_t)fl_be32(p) : 0;
}
int64_t fl_kafka_rd_i64(struct fl_kafka_rd *rd) {
    const uint8_t *p = take(rd, 8);
    if (!p) return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return (int64_t)v;
}

uint32_t fl_kafka_rd_uvarint(struct fl_kafka_rd *rd) {
    if (rd->bad) return 0;
    uint64_t v;
    size_t n = fl_varint_get_u64(rd->p, (size_t)(rd->end - rd->p), &v);
    if (!n || n > 5 || v > UINT32_MAX) {
        rd->bad = true;
        return 0;
    }
    rd->p += n;
    return (uint32_t)v;
}

void fl_kafka_rd_uuid(struct fl_kafka_rd *rd, uint8_t out[16]) {
    const uint8_t *p = take(rd, 16);
    if (p)
        memcpy(out, p, 16);
    else
        memset(out, 0, 16);
}

/* A length: -1 = null, else 0..left. */
static int64_t rd_len(struct fl_kafka_rd *rd, bool flex, bool wide) {
    int64_t n = flex   ? (int64_t)fl_kafka_rd_uvarint(rd) - 1
                : wide ? fl_kafka_rd_i32(rd)
                       : fl_kafka_rd_i16(rd);
    if (rd->bad) return -1;
    if (n < -1 || n > (int64_t)(rd->end - rd->p)) {
        rd->bad = true;
        return -1;
    }
    return n;
}

struct fl_kafka_str fl_kafka_rd_str(struct fl_kafka_rd *rd, bool flex) {
    struct fl_kafka_str s = {NULL, -1};
    int64_t n = rd_len(rd, flex, false);
    if (n < 0) return s;
    s.p = (const char *)take(rd, (size_t)n);
    s.len = s.p ? (int32_t)n : -1;
    return s;
}

void fl_kafka_rd_bytes(struct fl_kafka_rd *rd, bool flex, const uint8_t **p, size_t *len) {
    int64_t n = rd_len(rd, flex, true);
    *p = NULL;
    *len = 0;
    if (n < 0) return;
    *p = take(rd, (size_t)n);
    if (*p) *len = (size_t)n;
}

int32_t fl_kafka_rd_array(struct fl_kafka_rd *rd, bool flex, size_t min_item) {
    int64_t n = flex ? (int64_t)fl_kafka_rd_uvarint(rd) - 1 : fl_kafka_rd_i32(rd);
    if (rd->bad) return 0;
    if (n < -1 || (n > 0 && (uint64_t)n * (min_item ? min_item : 1) > fl_kafka_rd_left(rd))) {
        rd->bad = true;
        return 0;
    }
    return (int32_t)n;
}

void fl_kafka_rd_tags(struct fl_kafka_rd *rd, bool flex) {
    if (!flex) return;
    uint32_t n = fl_kafka_rd_uvarint(rd);
    for (uint32_t i = 0; i < n && !rd->bad; i++) {
        (void)fl_kafka_rd_uvarint(rd); /* tag */
        uint32_t size = fl_kafka_rd_uvarint(rd);
        take(rd, size);
    }
}

bool fl_kafka_str_copy(struct fl_kafka_str s, char *out, size_t outsz) {
    if (s.len <= 0 || (size_t)s.len >= outsz || memchr(s.p, 0, (size_t)s.len)) return false;
    memcpy(out, s.p, (size_t)s.len);
    out[s.len] = 0;
    return true;
}

void fl_kafka_wr_raw(struct fl_kafka_wr *w, const void *p, size_t len) {
    if (!w->bad && fl_buf_append(w->b, p, len) != FL_OK) w->bad = true;
}
void fl_kafka_wr_i8(struct fl_kafka_wr *w, int8_t v) { fl_kafka_wr_raw(w, &v, 1); }
void fl_kafka_wr_i16(struct fl_kafka_wr *w, int16_t v) {
    uint8_t b[2] = {(uint8_t)((uint16_t)v >> 8), (uint8_t)v};
    fl_kafka_wr_raw(w, b, 2);
}
void fl_kafka_wr_i32(struct fl_kafka_wr *w, int32_t v) {
    uint8_t b[4];
    fl_put_be32(b, (uint32_t)v);
    fl_kafka_wr_raw(w, b, 4);
}
void fl_kafka_wr_i64(struct fl_kafka_wr *w, int64_t v) {
    uint8_t b[8];
    for (int i = 7; i >= 0; i--, v = (int64_t)((uint64_t)v >> 8)) b[i] = (uint8_t)v;
    fl_kafka_wr_raw(w, b, 8);
}
void fl_kafka_wr_uvarint(struct fl_kafka_wr *w, uint32_t v) {
    uint8_t b[FL_VARINT_MAX];
    fl_kafka_wr_raw(w, b, fl_varint_put_u64(b, v));
}
void fl_kafka_wr_uuid(struct fl_kafka_wr *w, const uint8_t id[16]) { fl_kafka_wr_raw(w, id, 16); }

void fl_kafka_wr_strn(struct fl_kafka_wr *w, bool flex, const char *s, size_t len) {
    if (len > INT16_MAX) len = INT16_MAX;
    if (flex)
        fl_kafka_wr_uvarint(w, s ? (uint32_t)len + 1 : 0);
    else
        fl_kafka_wr_i16(w, s ? (int16_t)len : -1);
    if (s) fl_kafka_wr_raw(w, s, len);
}
void fl_kafka_wr_str(struct fl_kafka_wr *w, bool flex, const char *s) {
    fl_kafka_wr_strn(w, flex, s, s ? strlen(s) : 0);
}
void fl_kafka_wr_kstr(struct fl_kafka_wr *w, bool flex, struct fl_kafka_str s) {
    fl_kafka_wr_strn(w, flex, s.p ? s.p : "", s.len < 0 ? 0 : (size_t)s.len);
}
void fl_kafka_wr_bytes(struct fl_kafka_wr *w, bool flex, const void *p, size_t len) {
    if (flex)
        fl_kafka_wr_uvarint(w, (uint32_t)len + 1);
    else
        fl_kafka_wr_i32(w, (int32_t)len);
    if (len) fl_kafka_wr_raw(w, p, len);
}
void fl_kafka_wr_array(struct fl_kafka_wr *w, bool flex, int32_t n) {
    if (flex)
        fl_kafka_wr_uvarint(w, (uint32_t)(n + 1));
    else
        fl_kafka_wr_i32(w, n);
}
void fl_kafka_wr_tags(struct fl_kafka_wr *w, bool flex) {
    if (flex) fl_kafka_wr_i8(w, 0);
}
size_t fl_kafka_wr_mark32(struct fl_kafka_wr *w) {
    size_t pos = w->b->len;
    fl_kafka_wr_i32(w, 0);
    return pos;
}
void fl_kafka_wr_patch32(struct fl_kafka_wr *w, size_t pos, int32_t v) {
    if (!w->bad && pos + 4 <= w->b->len) fl_put_be32(w->b->data + pos, (uint32_t)v);
}
