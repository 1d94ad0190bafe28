/*
 * meta.c - decoding the ORC PostScript, Footer and stripe footers from
 * protobuf (see meta.h).
 */
#include "format/orc/meta.h"
#include "core/buf.h"
#include "core/mem.h"
#include "format/orc/compress.h"
#include "format/orc/proto.h"

#include <string.h>

#define BAD(...) fl_errf(err, FL_ERR_CORRUPT, __VA_ARGS__)

struct u32s {
    uint32_t *v;
    int n, cap, max;
    bool over;
};

static void push_u32(void *ctx, uint64_t x) {
    struct u32s *a = ctx;
    if (a->n >= a->max || x > UINT32_MAX) {
        a->over = true;
        return;
    }
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 8;
        a->v = fl_reallocarray(a->v, (size_t)a->cap, sizeof(uint32_t));
    }
    a->v[a->n++] = (uint32_t)x;
}

static void copy_attr(char *dst, size_t cap, const uint8_t *p, size_t len) {
    size_t n = len < cap - 1 ? len : cap - 1;
    memcpy(dst, p, n);
    dst[n] = '\0';
}

static fl_err_t parse_attr(struct fl_orc_type *t, const uint8_t *data, size_t len) {
    struct fl_orc_pb pb;
    struct fl_orc_pb_field f;
    fl_err_t rc;
    const uint8_t *k = NULL, *v = NULL;
    size_t kl = 0, vl = 0;
    fl_orc_pb_init(&pb, data, len);
    while (fl_orc_pb_next(&pb, &f, &rc)) {
        if (f.num == 1 && f.wire == 2) k = f.data, kl = f.len;
        if (f.num == 2 && f.wire == 2) v = f.data, vl = f.len;
    }
    if (rc || !k || !v) return rc;
    if (kl == 10 && !memcmp(k, "iceberg.id", 10)) {
        int64_t id = 0;
        size_t i = 0;
        for (; i < vl && i < 11 && v[i] >= '0' && v[i] <= '9'; i++) id = id * 10 + (v[i] - '0');
        if (i == 0 || i != vl || id > INT32_MAX) return FL_ERR_CORRUPT;
        t->iceberg_id = (int32_t)id;
    } else if (kl == 17 && !memcmp(k, "iceberg.long-type", 17)) {
        copy_attr(t->long_type, sizeof(t->long_type), v, vl);
    } else if (kl == 19 && !memcmp(k, "iceberg.binary-type", 19)) {
        copy_attr(t->binary_type, sizeof(t->binary_type), v, vl);
    }
    return FL_OK;
}

static fl_err_t parse_type(struct fl_orc_type *t, const uint8_t *data, size_t len) {
    struct fl_orc_pb pb;
    struct fl_orc_pb_field f;
    fl_err_t rc;
    struct u32s sub = {.max = FL_ORC_MAX_TYPES};
    t->iceberg_id = FL_ORC_NO_ID;
    t->kind = -1;
    fl_orc_pb_init(&pb, data, len);
    while (fl_orc_pb_next(&pb, &f, &rc)) {
        switch (f.num) {
        case 1:
            t->kind = f.u64 > 100 ? -1 : (int)f.u64;
            break;
        case 2:
            if (fl_orc_pb_uints(&f, push_u32, &sub)) rc = FL_ERR_CORRUPT;
            break;
        case 3:
            if (f.wire != 2 || t->nnames >= FL_ORC_MAX_TYPES) {
                rc = FL_ERR_CORRUPT;
                break;
            }
            t->names = fl_reallocarray(t->names, (size_t)t->nnames + 1, sizeof(char *));
            t->names[t->nnames++] = fl_strndup((const char *)f.data, f.len);
            break;
        case 5:
            t->precision = f.u64 > 1000 ? 1000 : (uint32_t)f.u64;
            break;
        case 6:
            t->scale = f.u64 > 1000 ? 1000 : (uint32_t)f.u64;
            break;
        case 7:
            if (f.wire == 2) rc = parse_attr(t, f.data, f.len);
            break;
        default:
            break;
        }
        if (rc) break;
    }
    t->sub = sub.v;
    t->nsub = sub.n;
    if (sub.over) rc = FL_ERR_CORRUPT;
    return rc;
}

static fl_err_t parse_stripe(struct fl_orc_stripe *s, const uint8_t *data, size_t len) {
    struct fl_orc_pb pb;
    struct fl_orc_pb_field f;
    fl_err_t rc;
    fl_orc_pb_init(&pb, data, len);
    while (fl_orc_pb_next(&pb, &f, &rc)) {
        uint64_t *slot[] = {NULL,         &s->offset,     &s->index_len,
                            &s->data_len, &s->footer_len, &s->rows};
        if (f.num >= 1 && f.num <= 5 && f.wire == 0) *slot[f.num] = f.u64;
        if (f.num == 6 || f.num == 7) return FL_ERR_UNSUPPORTED; /* encrypted */
    }
    return rc;
}

void fl_orc_tail_fini(struct fl_orc_tail *t) {
    for (int i = 0; i < t->ntypes; i++) {
        fl_free(t->types[i].sub);
        for (int k = 0; k < t->types[i].nnames; k++) fl_free(t->types[i].names[k]);
        fl_free(t->types[i].names);
    }
    fl_free(t->types);
    fl_free(t->stripes);
    memset(t, 0, sizeof(*t));
}

static fl_err_t parse_footer(struct fl_orc_tail *t, const uint8_t *data, size_t len,
                             uint64_t file_len, struct fl_error *err) {
    struct fl_orc_pb pb;
    struct fl_orc_pb_field f;
    fl_err_t rc;
    fl_orc_pb_init(&pb, data, len);
    while (fl_orc_pb_next(&pb, &f, &rc)) {
        if (f.num == 3 && f.wire == 2) {
            if (t->nstripes >= FL_ORC_MAX_STRIPES) return BAD("orc: too many stripes");
            t->stripes = fl_reallocarray(t->stripes, (size_t)t->nstripes + 1, sizeof(*t->stripes));
            struct fl_orc_stripe *s = &t->stripes[t->nstripes++];
            memset(s, 0, sizeof(*s));
            rc = parse_stripe(s, f.data, f.len);
            if (rc == FL_ERR_UNSUPPORTED)
                return fl_errf(err, rc, "orc: encrypted stripes are not supported");
            if (rc) break;
            /* the stripe must lie inside the file, before the tail */
            uint64_t end = s->offset;
            if (s->offset < 3 || s->index_len > file_len || s->data_len > file_len ||
                s->footer_len > file_len ||
                (end += s->index_len + s->data_len + s->footer_len) > file_len || end < s->offset)
                return BAD("orc: stripe %d lies outside the file", t->nstripes - 1);
        } else if (f.num == 4 && f.wire == 2) {
            if (t->ntypes >= FL_ORC_MAX_TYPES) return BAD("orc: too many types");
            t->types = fl_reallocarray(t->types, (size_t)t->ntypes + 1, sizeof(*t->types));
            struct fl_orc_type *ty = &t->types[t->ntypes++];
            memset(ty, 0, sizeof(*ty));
            if ((rc = parse_type(ty, f.data, f.len))) break;
        } else if (f.num == 6 && f.wire == 0) {
            t->rows = f.u64;
        } else if (f.num == 10) {
            return fl_errf(err, FL_ERR_UNSUPPORTED, "orc: encrypted files are not supported");
        }
    }
    if (rc) return BAD("orc: malformed footer");
    if (t->ntypes == 0) return BAD("orc: the footer has no types");
    /* a type tree: subtypes point forward (ids grow depth-first) */
    for (int i = 0; i < t->ntypes; i++) {
        const struct fl_orc_type *ty = &t->types[i];
        if (ty->kind < 0 || ty->kind > FL_ORC_TIMESTAMP_INSTANT)
            return BAD("orc: type %d has unknown kind", i);
        for (int k = 0; k < ty->nsub; k++)
            if (ty->sub[k] <= (uint32_t)i || ty->sub[k] >= (uint32_t)t->ntypes)
                return BAD("orc: type %d names subtype %u out of order", i, ty->sub[k]);
        if (ty->kind == FL_ORC_STRUCT && ty->nnames != ty->nsub)
            return BAD("orc: struct type %d has %d names for %d fields", i, ty->nnames, ty->nsub);
    }
    if (t->types[0].kind != FL_ORC_STRUCT) return BAD("orc: the root type is no struct");
    uint64_t sum = 0;
    for (int i = 0; i < t->nstripes; i++) {
        sum += t->stripes[i].rows;
        if (sum < t->stripes[i].rows) return BAD("orc: stripe row counts overflow");
    }
    return FL_OK;
}

fl_err_t fl_orc_tail_parse(const uint8_t *data, size_t len, struct fl_orc_tail *t,
                           struct fl_error *err) {
    memset(t, 0, sizeof(*t));
    if (len < 4 || memcmp(data, "ORC", 3) != 0)
        return BAD("orc: not an ORC file (no ORC magic at the start)");
    size_t ps_len = data[len - 1];
    if (ps_len == 0 || ps_len + 1 > len - 3) return BAD("orc: bad PostScript length");
    const uint8_t *ps = data + len - 1 - ps_len;
    struct fl_orc_pb pb;
    struct fl_orc_pb_field f;
    fl_err_t rc;
    uint64_t footer_len = 0, meta_len = 0, block = 256 << 10;
    int codec = 0;
    bool magic = false;
    fl_orc_pb_init(&pb, ps, ps_len);
    while (fl_orc_pb_next(&pb, &f, &rc)) {
        if (f.num == 1 && f.wire == 0) footer_len = f.u64;
        if (f.num == 2 && f.wire == 0) codec = f.u64 > 100 ? 100 : (int)f.u64;
        if (f.num == 3 && f.wire == 0) block = f.u64;
        if (f.num == 5 && f.wire == 0) meta_len = f.u64;
        if (f.num == 8000 && f.wire == 2) magic = f.len == 3 && !memcmp(f.data, "ORC", 3);
    }
    if (rc || !magic) return BAD("orc: malformed PostScript");
    size_t room = len - 1 - ps_len - 3;
    if (footer_len == 0 || footer_len > room || meta_len > room - footer_len)
        return BAD("orc: footer length %llu does not fit the file", (unsigned long long)footer_len);
    if (codec > FL_ORC_ZSTD || codec == FL_ORC_LZO)
        return fl_errf(err, FL_ERR_UNSUPPORTED, "orc: compression %s is not supported",
                       fl_orc_codec_name(codec));
    t->codec = codec;
    t->block = block;
    struct fl_buf fb;
    fl_buf_init(&fb, FL_ORC_MAX_TAIL);
    rc = fl_orc_decompress(codec, block, ps - footer_len, (size_t)footer_len, &fb, err);
    if (!rc) rc = parse_footer(t, fb.data, fb.len, len - 1 - ps_len - footer_len, err);
    fl_buf_fini(&fb);
    if (rc) fl_orc_tail_fini(t);
    return rc;
}

void fl_orc_stripe_footer_fini(struct fl_orc_stripe_footer *f) {
    fl_free(f->streams);
    fl_free(f->enc);
    fl_free(f->dict_size);
    memset(f, 0, sizeof(*f));
}

static fl_err_t parse_stream(struct fl_orc_stream *s, const uint8_t *data, size_t len) {
    struct fl_orc_pb pb;
    struct fl_orc_pb_field f;
    fl_err_t rc;
    s->kind = -1;
    fl_orc_pb_init(&pb, data, len);
    while (fl_orc_pb_next(&pb, &f, &rc)) {
        if (f.num == 1 && f.wire == 0) s->kind = f.u64 > 1000 ? 1000 : (int)f.u64;
        if (f.num == 2 && f.wire == 0) {
            if (f.u64 > FL_ORC_MAX_TYPES) return FL_ERR_CORRUPT;
            s->column = (uint32_t)f.u64;
        }
        if (f.num == 3 && f.wire == 0) s->length = f.u64;
    }
    return rc;
}

fl_err_t fl_orc_stripe_footer_parse(const uint8_t *data, size_t len, const struct fl_orc_stripe *s,
                                    struct fl_orc_stripe_footer *out, struct fl_error *err) {
    memset(out, 0, sizeof(*out));
    struct fl_orc_pb pb;
    struct fl_orc_pb_field f;
    fl_err_t rc;
    uint64_t off = s->offset, end = s->offset + s->index_len + s->data_len;
    fl_orc_pb_init(&pb, data, len);
    while (fl_orc_pb_next(&pb, &f, &rc)) {
        if (f.num == 1 && f.wire == 2) {
            if (out->nstreams >= FL_ORC_MAX_STREAMS) return BAD("orc: too many streams");
            out->streams =
                fl_reallocarray(out->streams, (size_t)out->nstreams + 1, sizeof(*out->streams));
            struct fl_orc_stream *st = &out->streams[out->nstreams++];
            memset(st, 0, sizeof(*st));
            if ((rc = parse_stream(st, f.data, f.len))) break;
            if (st->length > end - off)
                return BAD("orc: stream %d of the stripe at %llu runs past the stripe",
                           out->nstreams - 1, (unsigned long long)s->offset);
            st->offset = off;
            off += st->length;
        } else if (f.num == 2 && f.wire == 2) {
            if (out->nenc >= FL_ORC_MAX_TYPES) return BAD("orc: too many column encodings");
            out->enc = fl_reallocarray(out->enc, (size_t)out->nenc + 1, sizeof(int));
            out->dict_size =
                fl_reallocarray(out->dict_size, (size_t)out->nenc + 1, sizeof(uint32_t));
            int k = out->nenc++;
            out->enc[k] = 0;
            out->dict_size[k] = 0;
            struct fl_orc_pb sub;
            struct fl_orc_pb_field g;
            fl_orc_pb_init(&sub, f.data, f.len);
            while (fl_orc_pb_next(&sub, &g, &rc)) {
                if (g.num == 1 && g.wire == 0) out->enc[k] = g.u64 > 3 ? -1 : (int)g.u64;
                if (g.num == 2 && g.wire == 0)
                    out->dict_size[k] = g.u64 > UINT32_MAX ? UINT32_MAX : (uint32_t)g.u64;
            }
            if (rc) break;
        } else if (f.num == 3 && f.wire == 2) {
            size_t n = f.len < sizeof(out->tz) - 1 ? f.len : sizeof(out->tz) - 1;
            memcpy(out->tz, f.data, n);
            out->tz[n] = '\0';
        } else if (f.num == 4) {
            return fl_errf(err, FL_ERR_UNSUPPORTED, "orc: encrypted stripes are not supported");
        }
    }
    if (rc) return BAD("orc: malformed stripe footer at %llu", (unsigned long long)s->offset);
    return FL_OK;
}
