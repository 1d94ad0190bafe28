/*
 * reader.c - ORC stripes into columnar batches (see reader.h): the
 * schema mapping, each stripe's streams decompressed and checked, and
 * the per-type decoding of PRESENT, DATA, LENGTH, DICTIONARY_DATA and
 * SECONDARY streams with the run length decoders of rle.c.
 */
#include "format/orc/reader.h"
#include "batch/project.h"
#include "core/mem.h"
#include "format/orc/compress.h"
#include "format/orc/meta.h"
#include "format/orc/proto.h"
#include "format/orc/rle.h"

#include <string.h>

#define ORC_EPOCH 1420070400 /* 2015-01-01 00:00:00 UTC in seconds */
#define BAD(...) fl_errf(err, FL_ERR_CORRUPT, __VA_ARGS__)

/* One stream of a stripe: file bytes (no compression) or its own copy. */
struct sbuf {
    struct fl_buf own;
    const uint8_t *p;
    size_t len;
    bool have;
};

struct col {
    uint32_t id; /* ORC column */
    const struct fl_orc_type *t;
    int enc;
    struct sbuf present, data, length, dict, secondary;
    bool has_present;
    struct fl_orc_bool_rle pres;
    struct fl_orc_bool_rle bools;
    struct fl_orc_byte_rle bytes;
    struct fl_orc_int_rle ints, lens, sec;
    size_t data_pos;    /* float, double, direct strings, decimals */
    uint64_t *dict_off; /* ndict + 1 offsets into dict */
    uint32_t ndict;
};

struct fl_orc_reader {
    const uint8_t *data;
    size_t len;
    struct fl_orc_tail tail;
    struct fl_schema *schema;
    uint32_t *colid;           /* schema field -> ORC column */
    struct fl_batch_proj proj; /* the batch's columns */
    struct col *cols;          /* one per batch column */
    int stripe;                /* next stripe to open */
    uint64_t left;             /* rows left in the open stripe */
    bool utc;                  /* the open stripe's writer timezone is UTC */
    int64_t stripes_read, rows_read;
    /* scratch for one batch */
    uint8_t nn[FL_ORC_BATCH_ROWS];
    int64_t iv[FL_ORC_BATCH_ROWS], iv2[FL_ORC_BATCH_ROWS];
    uint8_t bv[FL_ORC_BATCH_ROWS];
};

static bool map_type(const struct fl_orc_type *t, struct fl_field *f) {
    switch (t->kind) {
    case FL_ORC_BOOLEAN:
        f->type = FL_TYPE_BOOLEAN;
        return true;
    case FL_ORC_BYTE:
    case FL_ORC_SHORT:
    case FL_ORC_INT:
        f->type = FL_TYPE_INT;
        return true;
    case FL_ORC_LONG:
        f->type = !strcmp(t->long_type, "TIME") ? FL_TYPE_TIME : FL_TYPE_LONG;
        return true;
    case FL_ORC_FLOAT:
        f->type = FL_TYPE_FLOAT;
        return true;
    case FL_ORC_DOUBLE:
        f->type = FL_TYPE_DOUBLE;
        return true;
    case FL_ORC_STRING:
    case FL_ORC_VARCHAR:
    case FL_ORC_CHAR:
        f->type = FL_TYPE_STRING;
        return true;
    case FL_ORC_BINARY:
        /* iceberg.binary-type FIXED: binary here (the length is in the
         * table schema only); a value of another length fails the scan */
        f->type = !strcmp(t->binary_type, "UUID") ? FL_TYPE_UUID : FL_TYPE_BINARY;
        return true;
    case FL_ORC_DECIMAL:
        f->type = FL_TYPE_DECIMAL;
        f->precision = t->precision ? (int32_t)t->precision : 38;
        f->scale = t->precision ? (int32_t)t->scale : 18;
        return f->precision <= 38 && f->scale <= f->precision;
    case FL_ORC_DATE:
        f->type = FL_TYPE_DATE;
        return true;
    case FL_ORC_TIMESTAMP:
        f->type = FL_TYPE_TIMESTAMP;
        return true;
    case FL_ORC_TIMESTAMP_INSTANT:
        f->type = FL_TYPE_TIMESTAMPTZ;
        return true;
    default:
        return false;
    }
}

static void sbuf_fini(struct sbuf *s) {
    fl_buf_fini(&s->own);
    memset(s, 0, sizeof(*s));
}

static void col_fini(struct col *c) {
    sbuf_fini(&c->present);
    sbuf_fini(&c->data);
    sbuf_fini(&c->length);
    sbuf_fini(&c->dict);
    sbuf_fini(&c->secondary);
    fl_free(c->dict_off);
    c->dict_off = NULL;
    c->ndict = 0;
}

void fl_orc_reader_free(struct fl_orc_reader *r) {
    if (!r) return;
    for (int i = 0; r->proj.batch && i < r->proj.batch->ncols; i++) col_fini(&r->cols[i]);
    fl_free(r->cols);
    fl_batch_proj_fini(&r->proj);
    fl_schema_free(r->schema);
    fl_free(r->colid);
    fl_orc_tail_fini(&r->tail);
    fl_free(r);
}

fl_err_t fl_orc_reader_open_mem(const uint8_t *data, size_t len, struct fl_orc_reader **out,
                                struct fl_error *err) {
    struct fl_orc_reader *r = fl_calloc(1, sizeof(*r));
    r->data = data;
    r->len = len;
    fl_err_t rc = fl_orc_tail_parse(data, len, &r->tail, err);
    if (rc) {
        fl_free(r);
        return rc;
    }
    const struct fl_orc_type *root = &r->tail.types[0];
    bool ids = true;
    for (int k = 0; k < root->nsub; k++)
        if (r->tail.types[root->sub[k]].iceberg_id == FL_ORC_NO_ID) ids = false;
    r->schema = fl_calloc(1, sizeof(*r->schema));
    r->schema->fields = fl_calloc((size_t)root->nsub + 1, sizeof(struct fl_field));
    r->colid = fl_calloc((size_t)root->nsub + 1, sizeof(uint32_t));
    for (int k = 0; k < root->nsub; k++) {
        const struct fl_orc_type *t = &r->tail.types[root->sub[k]];
        struct fl_field f = {.id = ids ? t->iceberg_id : k + 1};
        if (!map_type(t, &f)) continue;
        if (fl_schema_index_by_id(r->schema, f.id) >= 0) {
            fl_orc_reader_free(r);
            return BAD("orc: field id %d appears twice", (int)f.id);
        }
        f.name = fl_strdup(root->names[k]);
        r->colid[r->schema->nfields] = root->sub[k];
        r->schema->fields[r->schema->nfields++] = f;
    }
    rc = fl_orc_reader_project_ids(r, NULL, 0, err);
    if (rc) {
        fl_orc_reader_free(r);
        return rc;
    }
    *out = r;
    return FL_OK;
}

const struct fl_schema *fl_orc_reader_schema(const struct fl_orc_reader *r) { return r->schema; }
uint64_t fl_orc_reader_rows(const struct fl_orc_reader *r) { return r->tail.rows; }

void fl_orc_reader_stats(const struct fl_orc_reader *r, int64_t *stripes_read, int64_t *rows_read) {
    *stripes_read = r->stripes_read;
    *rows_read = r->rows_read;
}

fl_err_t fl_orc_reader_project_ids(struct fl_orc_reader *r, const int32_t *ids, int n,
                                   struct fl_error *err) {
    if (r->stripe > 0) return fl_errf(err, FL_ERR_INVALID, "orc: projection after the first batch");
    int old = r->proj.batch ? r->proj.batch->ncols : 0;
    fl_err_t rc = fl_batch_proj_set(&r->proj, r->schema, ids, n, FL_ORC_BATCH_ROWS, "orc", err);
    if (rc) return rc;
    for (int i = 0; i < old; i++) col_fini(&r->cols[i]);
    fl_free(r->cols);
    n = r->proj.batch->ncols;
    r->cols = fl_calloc((size_t)n + 1, sizeof(struct col));
    for (int k = 0; k < n; k++) {
        r->cols[k].id = r->colid[r->proj.idx[k]];
        r->cols[k].t = &r->tail.types[r->cols[k].id];
    }
    return FL_OK;
}

static fl_err_t load_stream(struct fl_orc_reader *r, const struct fl_orc_stream *st, struct sbuf *s,
                            struct fl_error *err) {
    if (s->have) return BAD("orc: column %u has two streams of kind %d", st->column, st->kind);
    s->have = true;
    if (r->tail.codec == 0) {
        s->p = r->data + st->offset;
        s->len = (size_t)st->length;
        return FL_OK;
    }
    fl_buf_init(&s->own, FL_ORC_MAX_STREAM);
    fl_err_t rc = fl_orc_decompress(r->tail.codec, r->tail.block, r->data + st->offset,
                                    (size_t)st->length, &s->own, err);
    if (rc) return fl_err_prefix(err, "stream of column %u", st->column), rc;
    s->p = s->own.data;
    s->len = s->own.len;
    return FL_OK;
}

static bool is_utc(const char *tz) {
    return !*tz || !strcmp(tz, "UTC") || !strcmp(tz, "GMT") || !strcmp(tz, "Etc/UTC") ||
           !strcmp(tz, "Etc/GMT") || !strcmp(tz, "Z") || !strcmp(tz, "+00:00");
}

/* Reads a string dictionary: dict_size lengths, then the offsets. */
static fl_err_t load_dict(struct col *c, uint32_t size, uint64_t rows, bool v2,
                          struct fl_error *err) {
    if (!c->dict.have && size > 0) return BAD("orc: column %u has no DICTIONARY_DATA", c->id);
    if (!c->length.have) return BAD("orc: column %u has no LENGTH stream", c->id);
    /* a dictionary holds values the stripe has: no more entries than
     * rows, nor than its LENGTH stream can encode, nor than the cap */
    if (size > rows || size > c->length.len * 512 + 512 || size > FL_ORC_MAX_DICT)
        return BAD("orc: dictionary of %u entries in column %u is larger than its stripe", size,
                   c->id);
    c->dict_off = fl_calloc((size_t)size + 1, sizeof(uint64_t));
    c->ndict = size;
    struct fl_orc_int_rle d;
    fl_orc_int_rle_init(&d, c->length.p, c->length.len, v2, false);
    uint64_t off = 0;
    for (uint32_t i = 0; i < size; i++) {
        int64_t l;
        if (fl_orc_int_rle_next(&d, &l, 1) || l < 0 || (uint64_t)l > c->dict.len - off)
            return BAD("orc: bad dictionary length %u of column %u", i, c->id);
        c->dict_off[i] = off;
        off += (uint64_t)l;
    }
    c->dict_off[size] = off;
    return FL_OK;
}

static fl_err_t open_stripe(struct fl_orc_reader *r, struct fl_error *err) {
    const struct fl_orc_stripe *s = &r->tail.stripes[r->stripe++];
    for (int i = 0; i < r->proj.batch->ncols; i++) {
        col_fini(&r->cols[i]);
        struct col *c = &r->cols[i];
        const struct fl_orc_type *t = c->t;
        memset(c, 0, sizeof(*c));
        c->t = t;
        c->id = r->colid[r->proj.idx[i]];
    }
    struct fl_buf fb;
    fl_buf_init(&fb, FL_ORC_MAX_TAIL);
    struct fl_orc_stripe_footer sf;
    fl_err_t rc = fl_orc_decompress(r->tail.codec, r->tail.block,
                                    r->data + s->offset + s->index_len + s->data_len,
                                    (size_t)s->footer_len, &fb, err);
    if (!rc)
        rc = fl_orc_stripe_footer_parse(fb.data, fb.len, s, &sf, err);
    else
        memset(&sf, 0, sizeof(sf));
    fl_buf_fini(&fb);
    r->utc = is_utc(sf.tz);
    for (int k = 0; !rc && k < sf.nstreams; k++) {
        const struct fl_orc_stream *st = &sf.streams[k];
        for (int i = 0; !rc && i < r->proj.batch->ncols; i++) {
            struct col *c = &r->cols[i];
            if (c->id != st->column) continue;
            struct sbuf *dst = st->kind == FL_ORC_PRESENT           ? &c->present
                               : st->kind == FL_ORC_DATA            ? &c->data
                               : st->kind == FL_ORC_LENGTH          ? &c->length
                               : st->kind == FL_ORC_DICTIONARY_DATA ? &c->dict
                               : st->kind == FL_ORC_SECONDARY       ? &c->secondary
                                                                    : NULL;
            if (dst) rc = load_stream(r, st, dst, err);
        }
    }
    for (int i = 0; !rc && i < r->proj.batch->ncols; i++) {
        struct col *c = &r->cols[i];
        if (c->id >= (uint32_t)sf.nenc || sf.enc[c->id] < 0) {
            rc = BAD("orc: stripe %d has no known encoding for column %u", r->stripe - 1, c->id);
            break;
        }
        c->enc = sf.enc[c->id];
        bool v2 = c->enc == FL_ORC_DIRECT_V2 || c->enc == FL_ORC_DICTIONARY_V2;
        bool dict = c->enc == FL_ORC_DICTIONARY || c->enc == FL_ORC_DICTIONARY_V2;
        int kind = c->t->kind;
        bool strlike = kind == FL_ORC_STRING || kind == FL_ORC_VARCHAR || kind == FL_ORC_CHAR ||
                       kind == FL_ORC_BINARY;
        if (dict && !strlike) {
            rc = BAD("orc: column %u of kind %d has a dictionary encoding", c->id, kind);
            break;
        }
        c->has_present = c->present.have;
        if (c->has_present) fl_orc_bool_rle_init(&c->pres, c->present.p, c->present.len);
        if (!c->data.have && s->rows > 0) {
            /* a column of nulls only may omit DATA: its PRESENT says so */
            c->data.p = (const uint8_t *)"";
        }
        fl_orc_bool_rle_init(&c->bools, c->data.p, c->data.len);
        fl_orc_byte_rle_init(&c->bytes, c->data.p, c->data.len);
        fl_orc_int_rle_init(&c->ints, c->data.p, c->data.len, v2, !dict && !strlike);
        fl_orc_int_rle_init(&c->lens, c->length.p, c->length.len, v2, false);
        fl_orc_int_rle_init(&c->sec, c->secondary.p, c->secondary.len, v2, kind == FL_ORC_DECIMAL);
        if (dict) rc = load_dict(c, sf.dict_size[c->id], s->rows, v2, err);
        if (!rc && (kind == FL_ORC_TIMESTAMP) && !r->utc)
            rc = fl_errf(err, FL_ERR_UNSUPPORTED,
                         "orc: column %s is a timestamp written in timezone %s; only UTC is read",
                         r->proj.schema->fields[i].name, sf.tz);
    }
    fl_orc_stripe_footer_fini(&sf);
    if (rc) return rc;
    r->left = s->rows;
    r->stripes_read++;
    return FL_OK;
}

/* A zigzag varint of up to 128 bits (a decimal's unscaled value). */
static bool read_dec(struct col *c, __int128 *out) {
    unsigned __int128 v = 0;
    for (int shift = 0; shift < 133; shift += 7) {
        if (c->data_pos >= c->data.len) return false;
        uint8_t b = c->data.p[c->data_pos++];
        if (shift == 126 && (b & 0x7c)) return false;
        v |= (unsigned __int128)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = (__int128)(v >> 1) ^ -(__int128)(v & 1);
            return true;
        }
    }
    return false;
}

static __int128 pow10_128(int n) {
    __int128 p = 1;
    while (n-- > 0) p *= 10;
    return p;
}

/* Appends n values of column c (nulls where nn[i] == 0; nv non-null). */
static fl_err_t decode(struct fl_orc_reader *r, struct col *c, struct fl_col *out, size_t n,
                       size_t nv, struct fl_error *err) {
    const uint8_t *nn = r->nn;
    int kind = c->t->kind;
    fl_err_t rc = FL_OK;
    size_t j = 0; /* index among the non-null values */
    switch (kind) {
    case FL_ORC_BOOLEAN:
        if (fl_orc_bool_rle_next(&c->bools, r->bv, nv)) return BAD("orc: truncated booleans");
        for (size_t i = 0; i < n && !rc; i++)
            rc = nn[i] ? fl_col_append_bool(out, r->bv[j++]) : fl_col_append_null(out);
        return rc;
    case FL_ORC_BYTE:
        if (fl_orc_byte_rle_next(&c->bytes, r->bv, nv)) return BAD("orc: truncated bytes");
        for (size_t i = 0; i < n && !rc; i++)
            rc = nn[i] ? fl_col_append_i32(out, (int8_t)r->bv[j++]) : fl_col_append_null(out);
        return rc;
    case FL_ORC_SHORT:
    case FL_ORC_INT:
    case FL_ORC_LONG:
    case FL_ORC_DATE:
        if (fl_orc_int_rle_next(&c->ints, r->iv, nv)) return BAD("orc: truncated integers");
        for (size_t i = 0; i < n && !rc; i++) {
            if (!nn[i]) {
                rc = fl_col_append_null(out);
                continue;
            }
            int64_t v = r->iv[j++];
            if (out->width == 8) {
                rc = fl_col_append_i64(out, v);
            } else {
                if (v < INT32_MIN || v > INT32_MAX)
                    return BAD("orc: value %lld of column %u out of range", (long long)v, c->id);
                rc = fl_col_append_i32(out, (int32_t)v);
            }
        }
        return rc;
    case FL_ORC_FLOAT:
    case FL_ORC_DOUBLE: {
        size_t w = kind == FL_ORC_FLOAT ? 4 : 8;
        if (nv > (c->data.len - c->data_pos) / w) return BAD("orc: truncated floating point data");
        for (size_t i = 0; i < n && !rc; i++) {
            if (!nn[i]) {
                rc = fl_col_append_null(out);
                continue;
            }
            const uint8_t *p = c->data.p + c->data_pos;
            c->data_pos += w;
            uint64_t bits = 0;
            for (size_t k = 0; k < w; k++) bits |= (uint64_t)p[k] << (8 * k);
            if (w == 4) {
                uint32_t b32 = (uint32_t)bits;
                float f;
                memcpy(&f, &b32, 4);
                rc = fl_col_append_f32(out, f);
            } else {
                double d;
                memcpy(&d, &bits, 8);
                rc = fl_col_append_f64(out, d);
            }
        }
        return rc;
    }
    case FL_ORC_STRING:
    case FL_ORC_VARCHAR:
    case FL_ORC_CHAR:
    case FL_ORC_BINARY: {
        bool dict = c->enc == FL_ORC_DICTIONARY || c->enc == FL_ORC_DICTIONARY_V2;
        if (dict ? fl_orc_int_rle_next(&c->ints, r->iv, nv)
                 : fl_orc_int_rle_next(&c->lens, r->iv, nv))
            return BAD("orc: truncated %s of column %u", dict ? "dictionary indexes" : "lengths",
                       c->id);
        for (size_t i = 0; i < n && !rc; i++) {
            if (!nn[i]) {
                rc = fl_col_append_null(out);
                continue;
            }
            int64_t v = r->iv[j++];
            const uint8_t *p;
            size_t len;
            if (dict) {
                if (v < 0 || (uint64_t)v >= c->ndict)
                    return BAD("orc: dictionary index %lld of column %u out of range", (long long)v,
                               c->id);
                p = c->dict.p + c->dict_off[v];
                len = (size_t)(c->dict_off[v + 1] - c->dict_off[v]);
            } else {
                if (v < 0 || (uint64_t)v > c->data.len - c->data_pos)
                    return BAD("orc: string length %lld of column %u past its data", (long long)v,
                               c->id);
                p = c->data.p + c->data_pos;
                len = (size_t)v;
                c->data_pos += len;
            }
            if (out->field->type == FL_TYPE_UUID && len != 16)
                return BAD("orc: uuid of %zu bytes in column %u", len, c->id);
            rc = fl_col_append_bytes(out, p, len);
        }
        return rc;
    }
    case FL_ORC_DECIMAL: {
        if (fl_orc_int_rle_next(&c->sec, r->iv, nv))
            return BAD("orc: truncated decimal scales of column %u", c->id);
        int target = out->field->scale;
        for (size_t i = 0; i < n && !rc; i++) {
            if (!nn[i]) {
                rc = fl_col_append_null(out);
                continue;
            }
            __int128 v;
            if (!read_dec(c, &v)) return BAD("orc: bad decimal value in column %u", c->id);
            int64_t sc = r->iv[j++];
            if (sc < 0 || sc > 38)
                return BAD("orc: decimal scale %lld out of range", (long long)sc);
            if (sc < target) {
                __int128 lim = pow10_128(38 - (target - (int)sc));
                if (v >= lim || v <= -lim)
                    return BAD("orc: decimal of column %u beyond 38 digits", c->id);
                v *= pow10_128(target - (int)sc);
            } else if (sc > target) {
                __int128 p = pow10_128((int)sc - target), q = v / p, m = v % p;
                if (m > 0 && m >= p - m) q++; /* m * 2 >= p, without overflow */
                if (m < 0 && -m >= p + m) q--;
                v = q; /* half up, as Hive's reader enforces the type's scale */
            }
            rc = fl_col_append_i128(out, v);
        }
        return rc;
    }
    case FL_ORC_TIMESTAMP:
    case FL_ORC_TIMESTAMP_INSTANT:
        if (fl_orc_int_rle_next(&c->ints, r->iv, nv) || fl_orc_int_rle_next(&c->sec, r->iv2, nv))
            return BAD("orc: truncated timestamps of column %u", c->id);
        for (size_t i = 0; i < n && !rc; i++) {
            if (!nn[i]) {
                rc = fl_col_append_null(out);
                continue;
            }
            int64_t secs = r->iv[j], enc = r->iv2[j++];
            int64_t nanos = enc >> 3;
            int zeros = (int)(enc & 7);
            if (zeros && nanos >= 0 && nanos <= 999999999 / (int64_t)pow10_128(zeros + 1))
                nanos *= (int64_t)pow10_128(zeros + 1);
            else if (zeros)
                nanos = -1; /* out of range: refused below */
            if (nanos < 0 || nanos > 999999999 || secs > INT64_MAX / 1000000 - ORC_EPOCH - 1 ||
                secs < INT64_MIN / 1000000 + ORC_EPOCH + 1)
                return BAD("orc: timestamp out of range in column %u", c->id);
            secs += ORC_EPOCH;
            /* writers truncated negative times toward zero (ORC-763) */
            if (secs < 0 && nanos > 999999) secs -= 1;
            rc = fl_col_append_i64(out, secs * 1000000 + nanos / 1000);
        }
        return rc;
    default:
        return fl_errf(err, FL_ERR_UNSUPPORTED, "orc: column %u of kind %d", c->id, kind);
    }
}

fl_err_t fl_orc_reader_next(struct fl_orc_reader *r, struct fl_batch **out, struct fl_error *err) {
    while (r->left == 0) {
        if (r->stripe >= r->tail.nstripes) return FL_ERR_EOF;
        fl_err_t rc = open_stripe(r, err);
        if (rc) return rc;
    }
    size_t n = r->left < FL_ORC_BATCH_ROWS ? (size_t)r->left : FL_ORC_BATCH_ROWS;
    fl_batch_reset(r->proj.batch);
    for (int i = 0; i < r->proj.batch->ncols; i++) {
        struct col *c = &r->cols[i];
        size_t nv = n;
        if (c->has_present) {
            if (fl_orc_bool_rle_next(&c->pres, r->nn, n))
                return BAD("orc: truncated PRESENT stream of column %u", c->id);
            nv = 0;
            for (size_t k = 0; k < n; k++) nv += r->nn[k];
        } else {
            memset(r->nn, 1, n);
        }
        fl_err_t rc = decode(r, c, &r->proj.batch->cols[i], n, nv, err);
        if (rc) {
            fl_err_prefix(err, "stripe %d", r->stripe - 1);
            return rc;
        }
    }
    fl_err_t rc = fl_batch_seal(r->proj.batch);
    if (rc) return fl_errf(err, rc, "orc: columns of unequal length");
    if (r->proj.batch->ncols == 0) r->proj.batch->nrows = n;
    r->left -= n;
    r->rows_read += (int64_t)n;
    *out = r->proj.batch;
    return FL_OK;
}
