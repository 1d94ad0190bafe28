/*
 * writer.c - the Parquet file writer (see writer.h and
 * docs/internals/parquet-writer.md).
 *
 * How it works. Each column keeps three levels of state:
 *  - the open page: definition levels (one byte a row), the non-null
 *    values either PLAIN-encoded (`vals`) or as dictionary indices (`idx`),
 *    and page statistics. Values are encoded straight from the batch's
 *    arrays; nulls and decimals go through one gather loop into a scratch
 *    buffer first. When the page's value bytes reach page_size it is
 *    encoded (RLE levels, RLE_DICTIONARY / PLAIN / DELTA_BINARY_PACKED
 *    values), compressed, given its Thrift PageHeader and appended to
 *  - the open column chunk: the compressed data pages of the current row
 *    group, the dictionary, chunk statistics and the page index entries.
 *    When the row group's buffered bytes reach row_group_size, every
 *    column's open page is closed and the chunks are written one after the
 *    other (dictionary page first), their ColumnMetaData, ColumnIndex and
 *    OffsetIndex serialized at once and kept in memory for the footer;
 *  - file totals for fl_pq_file_result.
 * close() writes the last row group, all ColumnIndexes, all OffsetIndexes
 * (PageIndex.md's layout), then FileMetaData, its length and "PAR1".
 *
 * Nested fields: one column per leaf; each batch step's JSON values are
 * shredded (shred.h) into the leaves' levels and values, which then go
 * through the same page path with their repetition and definition levels,
 * pages closing only at row boundaries.
 *
 * Statistics are kept typed (int64 for BOOLEAN/INT32/INT64 and decimals in
 * them, double for floats, __int128 for fixed-length decimals, bytes for
 * the rest) and serialized in Parquet's PLAIN form only when written.
 */
#include "format/parquet/writer.h"

#include "core/fileio.h"
#include "core/endian.h"
#include "core/mem.h"
#include "format/parquet/bounds.h"
#include "format/parquet/encode.h"
#include "format/parquet/shred.h"
#include "format/parquet/thrift_write.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef FLOE_VERSION
#define FLOE_VERSION "unknown"
#endif

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "the writer copies little-endian batch values as PLAIN bytes");

/* parquet.thrift enums */
enum {
    PT_BOOLEAN = 0,
    PT_INT32 = 1,
    PT_INT64 = 2,
    PT_FLOAT = 4,
    PT_DOUBLE = 5,
    PT_BYTE_ARRAY = 6,
    PT_FLBA = 7
};
enum {
    CT_UTF8 = 0,
    CT_DECIMAL = 5,
    CT_DATE = 6,
    CT_TIME_MICROS = 8,
    CT_TIMESTAMP_MICROS = 10,
    CT_INT_32 = 17,
    CT_INT_64 = 18
};
enum { ENC_PLAIN = 0, ENC_RLE = 3, ENC_DELTA = 5, ENC_RLE_DICT = 8 };
enum { PAGE_DATA = 0, PAGE_DICT = 2, PAGE_DATA_V2 = 3 };
enum { REP_REQUIRED = 0, REP_OPTIONAL = 1 };
enum { ORDER_UNORDERED = 0, ORDER_ASC = 1, ORDER_DESC = 2 };

/* Value kinds: how a batch column maps to a physical type. */
typedef enum {
    K_BOOL,
    K_I32,
    K_I64,
    K_F32,
    K_F64,
    K_DEC32,
    K_DEC64,
    K_DECFIX,
    K_FIXED,
    K_BYTES
} kind_t;

/* Encodings counted per chunk for encoding_stats. */
enum { E_PLAIN, E_DICT, E_DELTA, E__N };
static const int enc_value[E__N] = {ENC_PLAIN, ENC_RLE_DICT, ENC_DELTA};

#define STEP_ROWS 1024           /* rows of a batch added before checking the row group */
#define PAGE_MAX_ROWS (1u << 30) /* num_values is an i32 */
#define PAGE_MAX_BYTES ((size_t)INT32_MAX)

struct stats {
    int64_t nulls, nans;
    bool has; /* a non-null, non-NaN value was seen */
    int64_t imin, imax;
    double dmin, dmax;
    __int128 qmin, qmax;
    struct fl_buf bmin, bmax;
};

/* Page index entries of the open chunk. */
struct cidx {
    size_t n, cap;
    uint8_t *null_pages;
    int64_t *nulls, *nans, *offs, *first_rows;
    int32_t *sizes;
    struct fl_buf mins, maxs; /* entries: 4-byte length + bytes */
    bool ok;                  /* false: a float page held only NaNs, no ColumnIndex */
};

struct pqcol {
    const struct fl_field *field;
    int16_t max_def, max_rep; /* flat columns: optional, 0 */
    const char *const *path;  /* path_in_schema */
    int npath;
    struct fl_pq_shred_leaf *leaf; /* a leaf of a nested column: its shredded entries */
    kind_t kind;
    int ptype;
    size_t pw; /* PLAIN bytes per value (booleans: 1 before packing) */
    size_t sw; /* bytes per value in the batch */
    bool optional;
    bool use_dict;  /* dictionary tried at the start of each chunk */
    bool use_delta; /* DELTA_BINARY_PACKED tried (AUTO) or forced (DELTA) */

    /* open page (page_rows counts level entries, page_nrows rows) */
    struct fl_buf defs, reps, vals;
    size_t page_nrows;
    uint32_t *idx;
    size_t nidx, idx_cap;
    size_t page_rows, page_nulls, page_raw;
    struct stats pst;

    /* open chunk */
    bool dict_on, dict_used;
    struct fl_pq_dict dict;
    size_t dict_idx_bytes, dict_raw_bytes;
    struct fl_buf chunk;
    int64_t chunk_rows, chunk_uncomp; /* chunk_rows: level entries */
    int64_t chunk_nrows;
    int32_t nenc[E__N];
    struct stats cst;
    struct cidx ci;

    /* file */
    struct stats fst;
    int64_t file_bytes, file_values;
};

struct chunkref {
    size_t meta_off, meta_len;
    size_t ci_off, ci_len; /* ci_len 0: no ColumnIndex */
    size_t oi_off, oi_len;
};

struct rgmeta {
    int64_t num_rows, total_byte_size, total_comp, file_offset;
};

struct fl_pq_writer {
    struct fl_schema *schema;
    struct fl_pq_writer_opts opts;
    char **kv; /* 2 * nkv copies */
    fl_pq_sink_fn sink;
    void *sink_ctx;
    int fd;    /* open_file writers */
    int ncols; /* leaf columns */
    struct pqcol *cols;
    struct fl_pq_shredder **shred; /* per top-level field, NULL when flat */
    int *field_col;                /* per top-level field: its first leaf column */
    int64_t pos, rg_rows, total_rows;
    fl_err_t failed;
    bool closed;
    struct fl_buf page, comp, hdr, scratch, smin, smax;
    struct fl_buf meta, cibuf, oibuf;
    struct rgmeta *rgs;
    struct chunkref *refs; /* nrg * ncols */
    size_t nrg, rgcap;
};

/* ---- small helpers ---- */

static int bytes_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c) return c;
    return alen < blen ? -1 : alen > blen;
}

static void buf_set(struct fl_buf *b, const uint8_t *data, size_t len) {
    fl_buf_reset(b);
    (void)fl_buf_append(b, data, len); /* NOMAX buffers: only allocation can fail, and aborts */
}

static int decfix_bytes(int32_t precision) {
    static const int digits[] = {2, 4, 6, 9, 11, 14, 16, 18, 21, 23, 26, 28, 31, 33, 35, 38};
    for (int n = 0; n < 16; n++)
        if (digits[n] >= precision) return n + 1;
    return 16;
}

static void stats_init(struct stats *st) {
    memset(st, 0, sizeof(*st));
    fl_buf_init(&st->bmin, FL_BUF_NOMAX);
    fl_buf_init(&st->bmax, FL_BUF_NOMAX);
}

static void stats_fini(struct stats *st) {
    fl_buf_fini(&st->bmin);
    fl_buf_fini(&st->bmax);
}

static void stats_reset(struct stats *st) {
    st->nulls = st->nans = 0;
    st->has = false;
    fl_buf_reset(&st->bmin);
    fl_buf_reset(&st->bmax);
}

static bool kind_is_int(kind_t k) {
    return k == K_BOOL || k == K_I32 || k == K_I64 || k == K_DEC32 || k == K_DEC64;
}

static void stats_upd_i(struct stats *st, int64_t mn, int64_t mx) {
    if (!st->has)
        st->imin = mn, st->imax = mx, st->has = true;
    else {
        if (mn < st->imin) st->imin = mn;
        if (mx > st->imax) st->imax = mx;
    }
}

static void stats_upd_d(struct stats *st, double mn, double mx) {
    if (!st->has)
        st->dmin = mn, st->dmax = mx, st->has = true;
    else {
        if (mn < st->dmin) st->dmin = mn;
        if (mx > st->dmax) st->dmax = mx;
    }
}

static void stats_upd_q(struct stats *st, __int128 mn, __int128 mx) {
    if (!st->has)
        st->qmin = mn, st->qmax = mx, st->has = true;
    else {
        if (mn < st->qmin) st->qmin = mn;
        if (mx > st->qmax) st->qmax = mx;
    }
}

static void stats_upd_b(struct stats *st, const uint8_t *mn, size_t mnlen, const uint8_t *mx,
                        size_t mxlen) {
    if (!st->has) {
        buf_set(&st->bmin, mn, mnlen);
        buf_set(&st->bmax, mx, mxlen);
        st->has = true;
        return;
    }
    if (bytes_cmp(mn, mnlen, st->bmin.data, st->bmin.len) < 0) buf_set(&st->bmin, mn, mnlen);
    if (bytes_cmp(mx, mxlen, st->bmax.data, st->bmax.len) > 0) buf_set(&st->bmax, mx, mxlen);
}

static void stats_merge(kind_t kind, struct stats *dst, const struct stats *src) {
    dst->nulls += src->nulls;
    dst->nans += src->nans;
    if (!src->has) return;
    if (kind_is_int(kind))
        stats_upd_i(dst, src->imin, src->imax);
    else if (kind == K_F32 || kind == K_F64)
        stats_upd_d(dst, src->dmin, src->dmax);
    else if (kind == K_DECFIX)
        stats_upd_q(dst, src->qmin, src->qmax);
    else
        stats_upd_b(dst, src->bmin.data, src->bmin.len, src->bmax.data, src->bmax.len);
}

/* ---- statistics bytes and truncation ---- */

/* Serializes st's min (want_max false) or max in PLAIN form without a
 * length prefix, with the float zero rule and byte-array truncation. */
static void stat_bytes(const struct fl_pq_writer *pqw, const struct pqcol *col,
                       const struct stats *st, bool want_max, struct fl_buf *out, bool *exact) {
    uint8_t b[16];
    *exact = true;
    fl_buf_reset(out);
    switch (col->kind) {
    case K_BOOL:
        b[0] = (uint8_t)(want_max ? st->imax : st->imin);
        buf_set(out, b, 1);
        break;
    case K_I32:
    case K_DEC32:
        fl_put_le32(b, (uint32_t)(int32_t)(want_max ? st->imax : st->imin));
        buf_set(out, b, 4);
        break;
    case K_I64:
    case K_DEC64:
        fl_put_le64(b, (uint64_t)(want_max ? st->imax : st->imin));
        buf_set(out, b, 8);
        break;
    case K_F32: {
        float f = (float)(want_max ? st->dmax : st->dmin);
        if (f == 0.0f) f = want_max ? 0.0f : -0.0f;
        memcpy(b, &f, 4);
        buf_set(out, b, 4);
        break;
    }
    case K_F64: {
        double d = want_max ? st->dmax : st->dmin;
        if (d == 0.0) d = want_max ? 0.0 : -0.0;
        memcpy(b, &d, 8);
        buf_set(out, b, 8);
        break;
    }
    case K_DECFIX: {
        int n = decfix_bytes(col->field->precision);
        unsigned __int128 q = (unsigned __int128)(want_max ? st->qmax : st->qmin);
        for (int k = 0; k < n; k++) b[k] = (uint8_t)(q >> (8 * (n - 1 - k)));
        buf_set(out, b, (size_t)n);
        break;
    }
    case K_FIXED: {
        const struct fl_buf *v = want_max ? &st->bmax : &st->bmin;
        buf_set(out, v->data, v->len);
        break;
    }
    case K_BYTES: {
        const struct fl_buf *v = want_max ? &st->bmax : &st->bmin;
        bool is_string = col->field->type == FL_TYPE_STRING;
        if (want_max)
            fl_pq_bound_max(is_string, v->data, v->len, pqw->opts.stats_max_len, out, exact);
        else
            fl_pq_bound_min(is_string, v->data, v->len, pqw->opts.stats_max_len, out, exact);
        break;
    }
    }
}

/* Compares two serialized statistics values of a column's kind. */
static int stat_cmp(kind_t kind, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
    switch (kind) {
    case K_BOOL:
        return (a[0] > b[0]) - (a[0] < b[0]);
    case K_I32:
    case K_DEC32: {
        int32_t x = (int32_t)fl_le32(a), y = (int32_t)fl_le32(b);
        return (x > y) - (x < y);
    }
    case K_I64:
    case K_DEC64: {
        int64_t x = (int64_t)fl_le64(a), y = (int64_t)fl_le64(b);
        return (x > y) - (x < y);
    }
    case K_F32: {
        float x, y;
        memcpy(&x, a, 4), memcpy(&y, b, 4);
        return (x > y) - (x < y);
    }
    case K_F64: {
        double x, y;
        memcpy(&x, a, 8), memcpy(&y, b, 8);
        return (x > y) - (x < y);
    }
    case K_DECFIX: {
        /* same length, big-endian two's complement: the sign byte decides */
        int sa = (int8_t)a[0], sb = (int8_t)b[0];
        if (sa != sb) return (sa > sb) - (sa < sb);
        return bytes_cmp(a, alen, b, blen);
    }
    default:
        return bytes_cmp(a, alen, b, blen);
    }
}

static void enc_stats(struct fl_pq_writer *pqw, struct fl_thrift_enc *enc, const struct pqcol *col,
                      const struct stats *st, int16_t id) {
    fl_thrift_enc_struct_begin(enc, id);
    fl_thrift_enc_i64(enc, 3, st->nulls);
    if (st->has) {
        bool min_exact, max_exact;
        stat_bytes(pqw, col, st, true, &pqw->smax, &max_exact);
        stat_bytes(pqw, col, st, false, &pqw->smin, &min_exact);
        fl_thrift_enc_binary(enc, 5, pqw->smax.data, pqw->smax.len);
        fl_thrift_enc_binary(enc, 6, pqw->smin.data, pqw->smin.len);
        fl_thrift_enc_bool(enc, 7, max_exact);
        fl_thrift_enc_bool(enc, 8, min_exact);
    }
    if (col->kind == K_F32 || col->kind == K_F64) fl_thrift_enc_i64(enc, 9, st->nans);
    fl_thrift_enc_struct_end(enc);
}

/* ---- output ---- */

static fl_err_t emit(struct fl_pq_writer *pqw, const void *data, size_t len, struct fl_error *err) {
    if (!len) return FL_OK;
    fl_err_t rc = pqw->sink(pqw->sink_ctx, data, len);
    if (rc)
        return fl_errf(err, rc, "parquet: writing %zu bytes at offset %lld failed", len,
                       (long long)pqw->pos);
    pqw->pos += (int64_t)len;
    return FL_OK;
}

static fl_err_t fd_sink(void *ctx, const void *data, size_t len) {
    struct fl_pq_writer *pqw = ctx;
    return fl_write_all(pqw->fd, data, len, -1) == 0 ? FL_OK : FL_ERR_IO;
}

/* ---- columns ---- */

static fl_err_t col_setup(struct fl_pq_writer *pqw, struct pqcol *col, const struct fl_field *f,
                          struct fl_error *err) {
    col->field = f;
    col->optional = !f->required;
    col->max_def = col->optional;
    col->path = (const char *const *)&f->name;
    col->npath = 1;
    switch (f->type) {
    case FL_TYPE_BOOLEAN:
        col->kind = K_BOOL, col->ptype = PT_BOOLEAN, col->pw = 1, col->sw = 1;
        break;
    case FL_TYPE_INT:
    case FL_TYPE_DATE:
        col->kind = K_I32, col->ptype = PT_INT32, col->pw = 4, col->sw = 4;
        break;
    case FL_TYPE_LONG:
    case FL_TYPE_TIME:
    case FL_TYPE_TIMESTAMP:
    case FL_TYPE_TIMESTAMPTZ:
        col->kind = K_I64, col->ptype = PT_INT64, col->pw = 8, col->sw = 8;
        break;
    case FL_TYPE_FLOAT:
        col->kind = K_F32, col->ptype = PT_FLOAT, col->pw = 4, col->sw = 4;
        break;
    case FL_TYPE_DOUBLE:
        col->kind = K_F64, col->ptype = PT_DOUBLE, col->pw = 8, col->sw = 8;
        break;
    case FL_TYPE_DECIMAL:
        if (f->precision < 1 || f->precision > 38 || f->scale < 0 || f->scale > f->precision)
            return fl_errf(err, FL_ERR_INVALID, "parquet: column %s: bad decimal(%d, %d)", f->name,
                           f->precision, f->scale);
        col->sw = 16;
        if (f->precision <= 9)
            col->kind = K_DEC32, col->ptype = PT_INT32, col->pw = 4;
        else if (f->precision <= 18)
            col->kind = K_DEC64, col->ptype = PT_INT64, col->pw = 8;
        else
            col->kind = K_DECFIX, col->ptype = PT_FLBA,
            col->pw = (size_t)decfix_bytes(f->precision);
        break;
    case FL_TYPE_STRING:
    case FL_TYPE_BINARY:
        col->kind = K_BYTES, col->ptype = PT_BYTE_ARRAY, col->pw = 0, col->sw = 0;
        break;
    case FL_TYPE_UUID:
        col->kind = K_FIXED, col->ptype = PT_FLBA, col->pw = 16, col->sw = 16;
        break;
    case FL_TYPE_FIXED:
        if (f->length < 1)
            return fl_errf(err, FL_ERR_INVALID, "parquet: column %s: bad fixed[%d]", f->name,
                           f->length);
        col->kind = K_FIXED, col->ptype = PT_FLBA, col->pw = col->sw = (size_t)f->length;
        break;
    default:
        return fl_errf(err, FL_ERR_UNSUPPORTED, "parquet: column %s: not a primitive type",
                       f->name);
    }
    fl_pq_enc_mode_t mode = pqw->opts.encoding;
    col->use_dict = col->kind != K_BOOL && (mode == FL_PQ_MODE_AUTO || mode == FL_PQ_MODE_DICT);
    col->use_delta = (col->ptype == PT_INT32 || col->ptype == PT_INT64) &&
                     (mode == FL_PQ_MODE_AUTO || mode == FL_PQ_MODE_DELTA);
    col->dict_on = col->use_dict;
    fl_buf_init(&col->defs, FL_BUF_NOMAX);
    fl_buf_init(&col->reps, FL_BUF_NOMAX);
    fl_buf_init(&col->vals, FL_BUF_NOMAX);
    fl_buf_init(&col->chunk, FL_BUF_NOMAX);
    fl_buf_init(&col->ci.mins, FL_BUF_NOMAX);
    fl_buf_init(&col->ci.maxs, FL_BUF_NOMAX);
    col->ci.ok = true;
    fl_pq_dict_init(&col->dict, col->kind == K_BYTES ? 0 : col->pw);
    stats_init(&col->pst);
    stats_init(&col->cst);
    stats_init(&col->fst);
    return FL_OK;
}

static void col_fini(struct pqcol *col) {
    fl_buf_fini(&col->defs);
    fl_buf_fini(&col->reps);
    fl_buf_fini(&col->vals);
    fl_buf_fini(&col->chunk);
    fl_buf_fini(&col->ci.mins);
    fl_buf_fini(&col->ci.maxs);
    fl_free(col->ci.null_pages);
    fl_free(col->ci.nulls);
    fl_free(col->ci.nans);
    fl_free(col->ci.offs);
    fl_free(col->ci.first_rows);
    fl_free(col->ci.sizes);
    fl_free(col->idx);
    fl_pq_dict_fini(&col->dict);
    stats_fini(&col->pst);
    stats_fini(&col->cst);
    stats_fini(&col->fst);
}

static void idx_reserve(struct pqcol *col, size_t extra) {
    if (col->nidx + extra <= col->idx_cap) return;
    size_t cap = col->idx_cap ? col->idx_cap : 1024;
    while (cap < col->nidx + extra) cap *= 2;
    col->idx = fl_reallocarray(col->idx, cap, sizeof(uint32_t));
    col->idx_cap = cap;
}

/* Scans and encodes the non-null byte arrays of rows [r0, r0+n). */
static fl_err_t append_bytes(struct pqcol *col, const struct fl_col *bc, size_t r0, size_t n,
                             size_t nv) {
    const uint8_t *mn = NULL, *mx = NULL;
    size_t mnlen = 0, mxlen = 0;
    fl_err_t rc = FL_OK;
    if (col->dict_on)
        idx_reserve(col, nv);
    else {
        size_t heap = bc->offsets[r0 + n] - bc->offsets[r0];
        rc = fl_buf_reserve(&col->vals, heap + 4 * nv);
        if (rc) return rc;
    }
    size_t raw = 0;
    for (size_t r = r0; r < r0 + n; r++) {
        if (fl_col_is_null(bc, r)) continue;
        size_t len;
        const uint8_t *v = fl_col_bytes(bc, r, &len);
        if (!mn)
            mn = mx = v, mnlen = mxlen = len;
        else {
            if (bytes_cmp(v, len, mn, mnlen) < 0) mn = v, mnlen = len;
            if (bytes_cmp(v, len, mx, mxlen) > 0) mx = v, mxlen = len;
        }
        raw += 4 + len;
        if (col->dict_on) {
            rc = fl_pq_dict_put_bytes(&col->dict, v, len, &col->idx[col->nidx++]);
            if (rc) return rc;
        } else {
            uint8_t *p = col->vals.data + col->vals.len;
            fl_put_le32(p, (uint32_t)len);
            if (len) memcpy(p + 4, v, len);
            col->vals.len += 4 + len;
        }
    }
    if (mn) stats_upd_b(&col->pst, mn, mnlen, mx, mxlen);
    col->page_raw += raw;
    return FL_OK;
}

/* Adds rows [r0, r0+n) of bc to the open page of col. */
static fl_err_t col_append(struct fl_pq_writer *pqw, struct pqcol *col, const struct fl_col *bc,
                           size_t r0, size_t n, struct fl_error *err) {
    size_t nulls = 0;
    if (bc->validity)
        for (size_t r = r0; r < r0 + n; r++) nulls += fl_col_is_null(bc, r);
    if (nulls && !col->max_def)
        return fl_errf(err, FL_ERR_INVALID, "parquet: column %s is required but has a null",
                       col->field->name);
    if (col->max_def) {
        uint8_t *d = fl_buf_grow(&col->defs, n);
        if (!d) return fl_errf(err, FL_ERR_LIMIT, "parquet: page too large");
        if (col->leaf)
            memcpy(d, col->leaf->defs.data + r0, n);
        else if (!nulls)
            memset(d, 1, n);
        else
            for (size_t i = 0; i < n; i++) d[i] = !fl_col_is_null(bc, r0 + i);
    }
    if (col->max_rep) {
        uint8_t *rp = fl_buf_grow(&col->reps, n);
        if (!rp) return fl_errf(err, FL_ERR_LIMIT, "parquet: page too large");
        memcpy(rp, col->leaf->reps.data + r0, n);
    }
    size_t nv = n - nulls;
    col->page_rows += n;
    col->page_nulls += nulls;
    col->page_raw += nulls;
    col->pst.nulls += (int64_t)nulls;
    if (!nv) return FL_OK;
    fl_err_t rc;
    if (col->kind == K_BYTES) {
        rc = append_bytes(col, bc, r0, n, nv);
        if (rc)
            return fl_errf(err, rc, "parquet: column %s: %s", col->field->name, fl_err_name(rc));
        return FL_OK;
    }

    /* the non-null values in PLAIN form: in place, or gathered/converted */
    const uint8_t *pv;
    kind_t k = col->kind;
    if (!nulls && k != K_DEC32 && k != K_DEC64 && k != K_DECFIX) {
        pv = bc->values + r0 * col->sw;
    } else {
        fl_buf_reset(&pqw->scratch);
        uint8_t *out = fl_buf_grow(&pqw->scratch, nv * col->pw);
        if (!out) return fl_errf(err, FL_ERR_LIMIT, "parquet: page too large");
        pv = out;
        if (k == K_DEC32 || k == K_DEC64 || k == K_DECFIX) {
            __int128 qmn = 0, qmx = 0;
            bool first = true;
            int nb = (int)col->pw;
            for (size_t r = r0; r < r0 + n; r++) {
                if (fl_col_is_null(bc, r)) continue;
                __int128 q;
                memcpy(&q, bc->values + r * 16, 16);
                if (k == K_DEC32) {
                    if (q < INT32_MIN || q > INT32_MAX) goto range;
                    fl_put_le32(out, (uint32_t)(int32_t)q);
                } else if (k == K_DEC64) {
                    if (q < INT64_MIN || q > INT64_MAX) goto range;
                    fl_put_le64(out, (uint64_t)(int64_t)q);
                } else {
                    if (nb < 16 && (q >> (8 * nb - 1)) != 0 && (q >> (8 * nb - 1)) != -1)
                        goto range;
                    unsigned __int128 u = (unsigned __int128)q;
                    for (int b = 0; b < nb; b++) out[b] = (uint8_t)(u >> (8 * (nb - 1 - b)));
                }
                out += col->pw;
                if (first)
                    qmn = qmx = q, first = false;
                else {
                    if (q < qmn) qmn = q;
                    if (q > qmx) qmx = q;
                }
            }
            if (k == K_DECFIX)
                stats_upd_q(&col->pst, qmn, qmx);
            else
                stats_upd_i(&col->pst, (int64_t)qmn, (int64_t)qmx);
        } else {
            for (size_t r = r0; r < r0 + n; r++) {
                if (fl_col_is_null(bc, r)) continue;
                memcpy(out, bc->values + r * col->sw, col->sw);
                out += col->sw;
            }
        }
    }

    /* statistics */
    switch (k) {
    case K_BOOL: {
        bool any0 = false, any1 = false;
        for (size_t i = 0; i < nv; i++) {
            if (pv[i])
                any1 = true;
            else
                any0 = true;
        }
        stats_upd_i(&col->pst, any0 ? 0 : 1, any1 ? 1 : 0);
        break;
    }
    case K_I32: {
        int32_t mn = INT32_MAX, mx = INT32_MIN;
        for (size_t i = 0; i < nv; i++) {
            int32_t x;
            memcpy(&x, pv + 4 * i, 4);
            mn = x < mn ? x : mn;
            mx = x > mx ? x : mx;
        }
        stats_upd_i(&col->pst, mn, mx);
        break;
    }
    case K_I64: {
        int64_t mn = INT64_MAX, mx = INT64_MIN;
        for (size_t i = 0; i < nv; i++) {
            int64_t x;
            memcpy(&x, pv + 8 * i, 8);
            mn = x < mn ? x : mn;
            mx = x > mx ? x : mx;
        }
        stats_upd_i(&col->pst, mn, mx);
        break;
    }
    case K_F32:
    case K_F64: {
        double mn = INFINITY, mx = -INFINITY;
        int64_t nans = 0;
        for (size_t i = 0; i < nv; i++) {
            double x;
            if (k == K_F32) {
                float f;
                memcpy(&f, pv + 4 * i, 4);
                x = f;
            } else {
                memcpy(&x, pv + 8 * i, 8);
            }
            if (isnan(x)) {
                nans++;
                continue;
            }
            mn = x < mn ? x : mn;
            mx = x > mx ? x : mx;
        }
        col->pst.nans += nans;
        if ((size_t)nans < nv) stats_upd_d(&col->pst, mn, mx);
        break;
    }
    case K_FIXED: {
        const uint8_t *mn = pv, *mx = pv;
        size_t w = col->pw;
        for (size_t i = 1; i < nv; i++) {
            const uint8_t *v = pv + i * w;
            if (memcmp(v, mn, w) < 0) mn = v;
            if (memcmp(v, mx, w) > 0) mx = v;
        }
        stats_upd_b(&col->pst, mn, w, mx, w);
        break;
    }
    default:
        break; /* decimals: done while converting */
    }

    /* values */
    if (col->dict_on) {
        idx_reserve(col, nv);
        rc = fl_pq_dict_put_fixed(&col->dict, pv, nv, col->idx + col->nidx);
        if (rc)
            return fl_errf(err, rc, "parquet: column %s: dictionary: %s", col->field->name,
                           fl_err_name(rc));
        col->nidx += nv;
    } else {
        rc = fl_buf_append(&col->vals, pv, nv * col->pw);
        if (rc) return fl_errf(err, rc, "parquet: page too large");
    }
    col->page_raw += nv * col->pw;
    return FL_OK;
range:
    return fl_errf(err, FL_ERR_RANGE, "parquet: column %s: decimal value does not fit precision %d",
                   col->field->name, col->field->precision);
}

static void ci_push(struct fl_pq_writer *pqw, struct pqcol *col, int64_t off, int32_t size,
                    int64_t first_row, size_t nv) {
    struct cidx *ci = &col->ci;
    if (ci->n == ci->cap) {
        size_t cap = ci->cap ? ci->cap * 2 : 16;
        ci->null_pages = fl_reallocarray(ci->null_pages, cap, 1);
        ci->nulls = fl_reallocarray(ci->nulls, cap, sizeof(int64_t));
        ci->nans = fl_reallocarray(ci->nans, cap, sizeof(int64_t));
        ci->offs = fl_reallocarray(ci->offs, cap, sizeof(int64_t));
        ci->first_rows = fl_reallocarray(ci->first_rows, cap, sizeof(int64_t));
        ci->sizes = fl_reallocarray(ci->sizes, cap, sizeof(int32_t));
        ci->cap = cap;
    }
    size_t i = ci->n++;
    ci->offs[i] = off;
    ci->sizes[i] = size;
    ci->first_rows[i] = first_row;
    ci->nulls[i] = col->pst.nulls;
    ci->nans[i] = col->pst.nans;
    ci->null_pages[i] = nv == 0;
    if (nv && !col->pst.has) ci->ok = false; /* only NaNs: no ColumnIndex (parquet.thrift) */
    bool exact;
    uint8_t lenb[4];
    if (col->pst.has) {
        stat_bytes(pqw, col, &col->pst, false, &pqw->smin, &exact);
        stat_bytes(pqw, col, &col->pst, true, &pqw->smax, &exact);
    } else {
        fl_buf_reset(&pqw->smin);
        fl_buf_reset(&pqw->smax);
    }
    fl_put_le32(lenb, (uint32_t)pqw->smin.len);
    (void)fl_buf_append(&ci->mins, lenb, 4);
    (void)fl_buf_append(&ci->mins, pqw->smin.data, pqw->smin.len);
    fl_put_le32(lenb, (uint32_t)pqw->smax.len);
    (void)fl_buf_append(&ci->maxs, lenb, 4);
    (void)fl_buf_append(&ci->maxs, pqw->smax.data, pqw->smax.len);
}

/* Compresses src into pqw->comp; returns the compressed bytes to use. */
static fl_err_t compress(struct fl_pq_writer *pqw, const uint8_t *src, size_t len,
                         const uint8_t **out, size_t *outlen, struct fl_error *err) {
    if (pqw->opts.codec == FL_PQ_CODEC_UNCOMPRESSED) {
        *out = src;
        *outlen = len;
        return FL_OK;
    }
    fl_buf_reset(&pqw->comp);
    fl_err_t rc = fl_pq_compress(pqw->opts.codec, pqw->opts.codec_level, src, len, &pqw->comp, err);
    if (rc) return rc;
    *out = pqw->comp.data;
    *outlen = pqw->comp.len;
    return FL_OK;
}

/* n levels of at most max as the RLE hybrid (v1: with a 4-byte length). */
static fl_err_t levels_encode(const uint8_t *lv, size_t n, int max, bool v2, struct fl_buf *page) {
    size_t at = page->len;
    fl_err_t rc = v2 ? FL_OK : fl_buf_append_le32(page, 0);
    if (!rc) rc = fl_pq_rle_encode_u8(lv, n, fl_pq_bit_width((uint64_t)max), page);
    if (!rc && !v2) fl_put_le32(page->data + at, (uint32_t)(page->len - at - 4));
    return rc;
}

/* Encodes, compresses and appends the open page of col to its chunk. */
static fl_err_t page_flush(struct fl_pq_writer *pqw, struct pqcol *col, struct fl_error *err) {
    if (!col->page_rows) return FL_OK;
    size_t nrows = col->page_rows, nv = nrows - col->page_nulls;
    bool v2 = pqw->opts.page_version == 2;
    struct fl_buf *page = &pqw->page;
    fl_err_t rc = FL_OK;
    fl_buf_reset(page);

    /* repetition then definition levels (v1: each with a length prefix) */
    size_t rep_len = 0, def_len = 0;
    if (col->max_rep) {
        rc = levels_encode(col->reps.data, nrows, col->max_rep, v2, page);
        if (rc) goto fail;
        rep_len = page->len;
    }
    if (col->max_def) {
        rc = levels_encode(col->defs.data, nrows, col->max_def, v2, page);
        if (rc) goto fail;
        def_len = page->len - rep_len;
    }
    size_t lv_len = rep_len + def_len;

    /* values */
    size_t vstart = page->len;
    int e;
    if (col->dict_on && nv) {
        int bw = fl_pq_bit_width(col->dict.n - 1);
        rc = fl_buf_append_u8(page, (uint8_t)bw);
        if (!rc) rc = fl_pq_rle_encode_u32(col->idx, col->nidx, bw, page);
        e = E_DICT;
        col->dict_used = true;
        col->dict_idx_bytes += page->len - vstart;
        col->dict_raw_bytes += col->page_raw;
    } else if (col->kind == K_BOOL) {
        rc = fl_pq_plain_encode_bool(col->vals.data, nv, page);
        e = E_PLAIN;
    } else if (col->use_delta && !col->dict_on && nv) {
        if (col->ptype == PT_INT32)
            rc = fl_pq_delta_encode_i32((const int32_t *)(void *)col->vals.data, nv, page);
        else
            rc = fl_pq_delta_encode_i64((const int64_t *)(void *)col->vals.data, nv, page);
        e = E_DELTA;
        if (!rc && pqw->opts.encoding == FL_PQ_MODE_AUTO && page->len - vstart >= col->vals.len) {
            page->len = vstart;
            rc = fl_buf_append(page, col->vals.data, col->vals.len);
            e = E_PLAIN;
        }
    } else {
        rc = fl_buf_append(page, col->vals.data, col->vals.len);
        e = E_PLAIN;
    }
    if (rc) goto fail;
    if (page->len > PAGE_MAX_BYTES)
        return fl_errf(err, FL_ERR_LIMIT, "parquet: column %s: page over 2 GiB", col->field->name);

    /* compression: v1 compresses levels and values, v2 values only */
    const uint8_t *cdata;
    size_t clen;
    size_t skip = v2 ? lv_len : 0;
    /* an empty v2 values section (all nulls) is stored uncompressed: zero
     * bytes, which no codec's framing can confuse */
    bool compressed = pqw->opts.codec != FL_PQ_CODEC_UNCOMPRESSED && page->len > skip;
    if (compressed) {
        rc = compress(pqw, page->data + skip, page->len - skip, &cdata, &clen, err);
        if (rc) return rc;
    } else {
        cdata = page->data + skip;
        clen = page->len - skip;
    }
    size_t comp_size = skip + clen;
    if (comp_size > PAGE_MAX_BYTES)
        return fl_errf(err, FL_ERR_LIMIT, "parquet: column %s: page over 2 GiB", col->field->name);

    /* page header */
    struct fl_thrift_enc enc;
    fl_buf_reset(&pqw->hdr);
    fl_thrift_enc_init(&enc, &pqw->hdr);
    fl_thrift_enc_i32(&enc, 1, v2 ? PAGE_DATA_V2 : PAGE_DATA);
    fl_thrift_enc_i32(&enc, 2, (int32_t)page->len);
    fl_thrift_enc_i32(&enc, 3, (int32_t)comp_size);
    if (!v2) {
        fl_thrift_enc_struct_begin(&enc, 5);
        fl_thrift_enc_i32(&enc, 1, (int32_t)nrows);
        fl_thrift_enc_i32(&enc, 2, enc_value[e]);
        fl_thrift_enc_i32(&enc, 3, ENC_RLE);
        fl_thrift_enc_i32(&enc, 4, ENC_RLE);
        enc_stats(pqw, &enc, col, &col->pst, 5);
        fl_thrift_enc_struct_end(&enc);
    } else {
        fl_thrift_enc_struct_begin(&enc, 8);
        fl_thrift_enc_i32(&enc, 1, (int32_t)nrows);
        fl_thrift_enc_i32(&enc, 2, (int32_t)col->page_nulls);
        fl_thrift_enc_i32(&enc, 3, (int32_t)col->page_nrows);
        fl_thrift_enc_i32(&enc, 4, enc_value[e]);
        fl_thrift_enc_i32(&enc, 5, (int32_t)def_len);
        fl_thrift_enc_i32(&enc, 6, (int32_t)rep_len);
        fl_thrift_enc_bool(&enc, 7, compressed);
        enc_stats(pqw, &enc, col, &col->pst, 8);
        fl_thrift_enc_struct_end(&enc);
    }
    rc = fl_thrift_enc_finish(&enc);
    if (rc) goto fail;

    int64_t off = (int64_t)col->chunk.len;
    rc = fl_buf_append(&col->chunk, pqw->hdr.data, pqw->hdr.len);
    if (!rc && skip) rc = fl_buf_append(&col->chunk, page->data, skip);
    if (!rc) rc = fl_buf_append(&col->chunk, cdata, clen);
    if (rc) goto fail;
    ci_push(pqw, col, off, (int32_t)(pqw->hdr.len + comp_size), col->chunk_nrows, nv);
    col->chunk_uncomp += (int64_t)(pqw->hdr.len + page->len);
    col->chunk_rows += (int64_t)nrows;
    col->chunk_nrows += (int64_t)col->page_nrows;
    col->nenc[e]++;
    stats_merge(col->kind, &col->cst, &col->pst);

    /* dictionary fallback: too big, or (AUTO) not paying for itself */
    if (col->dict_on) {
        size_t db = fl_pq_dict_bytes(&col->dict);
        if (db > pqw->opts.dict_max ||
            (pqw->opts.encoding == FL_PQ_MODE_AUTO && col->dict_raw_bytes &&
             db + col->dict_idx_bytes >= col->dict_raw_bytes))
            col->dict_on = false;
    }

    fl_buf_reset(&col->defs);
    fl_buf_reset(&col->reps);
    fl_buf_reset(&col->vals);
    col->nidx = 0;
    col->page_rows = col->page_nulls = col->page_raw = col->page_nrows = 0;
    stats_reset(&col->pst);
    return FL_OK;
fail:
    return fl_errf(err, rc, "parquet: column %s: encoding a page: %s", col->field->name,
                   fl_err_name(rc));
}

/* Adds rows [r0, r0+n) of bc to col, closing pages as they fill. */
static fl_err_t col_add_rows(struct fl_pq_writer *pqw, struct pqcol *col, const struct fl_col *bc,
                             size_t r0, size_t n, struct fl_error *err) {
    size_t target = pqw->opts.page_size;
    while (n) {
        size_t room = target > col->page_raw ? target - col->page_raw : 0;
        size_t k;
        if (col->kind == K_BYTES) {
            size_t acc = 0;
            k = 0;
            while (k < n && acc < room) {
                acc += 4 + bc->offsets[r0 + k + 1] - bc->offsets[r0 + k];
                k++;
            }
        } else {
            k = (room + col->pw - 1) / col->pw;
        }
        if (k == 0) k = 1;
        if (k > n) k = n;
        if (col->page_rows + k > PAGE_MAX_ROWS) k = PAGE_MAX_ROWS - col->page_rows;
        fl_err_t rc = col_append(pqw, col, bc, r0, k, err);
        if (rc) return rc;
        col->page_nrows += k;
        r0 += k;
        n -= k;
        if (col->page_raw >= target || col->page_rows >= PAGE_MAX_ROWS) {
            rc = page_flush(pqw, col, err);
            if (rc) return rc;
        }
    }
    return FL_OK;
}

/* Adds rows [row0, row0+n) of a nested leaf's shredded entries to col,
 * closing pages only at row boundaries (a page holds whole rows). */
static fl_err_t leaf_add_rows(struct fl_pq_writer *pqw, struct pqcol *col, size_t row0, size_t n,
                              struct fl_error *err) {
    const struct fl_pq_shred_leaf *lf = col->leaf;
    const uint32_t *start = (const uint32_t *)(const void *)lf->rows.data;
    size_t nrows = lf->rows.len / sizeof(uint32_t), end = lf->vals->len;
    size_t target = pqw->opts.page_size;
    while (n) {
        size_t room = target > col->page_raw ? target - col->page_raw : 0;
        size_t k = 0, acc = 0;
        size_t e0 = start[row0];
        while (k < n && (k == 0 || acc < room)) {
            size_t a = start[row0 + k], b = row0 + k + 1 < nrows ? start[row0 + k + 1] : end;
            acc += col->kind == K_BYTES ? 4 * (b - a) + lf->vals->offsets[b] - lf->vals->offsets[a]
                                        : (b - a) * (col->pw ? col->pw : 1);
            k++;
        }
        size_t e1 = row0 + k < nrows ? start[row0 + k] : end;
        if (col->page_rows + (e1 - e0) > PAGE_MAX_ROWS)
            return fl_errf(err, FL_ERR_LIMIT, "parquet: column %s: page over 2^30 values",
                           col->field->name);
        fl_err_t rc = col_append(pqw, col, lf->vals, e0, e1 - e0, err);
        if (rc) return rc;
        col->page_nrows += k;
        row0 += k;
        n -= k;
        if (col->page_raw >= target) {
            rc = page_flush(pqw, col, err);
            if (rc) return rc;
        }
    }
    return FL_OK;
}

/* Shreds rows [r0, r0+n) of the nested batch column bc (JSON text) and
 * adds them to the field's leaf columns. */
static fl_err_t nested_add_rows(struct fl_pq_writer *pqw, int f, const struct fl_col *bc, size_t r0,
                                size_t n, struct fl_error *err) {
    struct fl_pq_shredder *sh = pqw->shred[f];
    fl_pq_shredder_reset(sh);
    for (size_t r = r0; r < r0 + n; r++) {
        size_t len = 0;
        const uint8_t *p = fl_col_is_null(bc, r) ? NULL : fl_col_bytes(bc, r, &len);
        fl_err_t rc = fl_pq_shred_row(sh, p, len, err);
        if (rc) {
            fl_err_prefix(err, "parquet: column %s, row %zu", pqw->schema->fields[f].name, r);
            return rc;
        }
    }
    for (int l = 0; l < fl_pq_shredder_nleaves(sh); l++) {
        fl_err_t rc = leaf_add_rows(pqw, &pqw->cols[pqw->field_col[f] + l], 0, n, err);
        if (rc) return rc;
    }
    return FL_OK;
}

/* ---- row groups ---- */

static void ci_reset(struct cidx *ci) {
    ci->n = 0;
    ci->ok = true;
    fl_buf_reset(&ci->mins);
    fl_buf_reset(&ci->maxs);
}

/* Entry i of a length-prefixed list. */
static const uint8_t *lp_entry(const struct fl_buf *b, size_t i, size_t *len, size_t *cursor) {
    (void)i;
    const uint8_t *p = b->data + *cursor;
    *len = fl_le32(p);
    *cursor += 4 + *len;
    return p + 4;
}

static fl_err_t write_page_index(struct fl_pq_writer *pqw, struct pqcol *col, int64_t data_off,
                                 struct chunkref *ref) {
    struct cidx *ci = &col->ci;
    struct fl_thrift_enc enc;
    fl_err_t rc;
    ref->ci_len = 0;
    if (ci->ok) {
        /* boundary order over the non-null pages */
        bool asc = true, desc = true;
        const uint8_t *pmin = NULL, *pmax = NULL;
        size_t pminl = 0, pmaxl = 0, c1 = 0, c2 = 0;
        for (size_t i = 0; i < ci->n; i++) {
            size_t ml, xl;
            const uint8_t *m = lp_entry(&ci->mins, i, &ml, &c1);
            const uint8_t *x = lp_entry(&ci->maxs, i, &xl, &c2);
            if (ci->null_pages[i]) continue;
            if (pmin) {
                int a = stat_cmp(col->kind, pmin, pminl, m, ml);
                int b = stat_cmp(col->kind, pmax, pmaxl, x, xl);
                if (a > 0 || b > 0) asc = false;
                if (a < 0 || b < 0) desc = false;
            }
            pmin = m, pminl = ml, pmax = x, pmaxl = xl;
        }
        ref->ci_off = pqw->cibuf.len;
        fl_thrift_enc_init(&enc, &pqw->cibuf);
        fl_thrift_enc_list_begin(&enc, 1, FL_THRIFT_BOOL, ci->n);
        for (size_t i = 0; i < ci->n; i++) fl_thrift_enc_elem_bool(&enc, ci->null_pages[i]);
        for (int which = 0; which < 2; which++) {
            const struct fl_buf *b = which ? &ci->maxs : &ci->mins;
            size_t cur = 0;
            fl_thrift_enc_list_begin(&enc, (int16_t)(2 + which), FL_THRIFT_BINARY, ci->n);
            for (size_t i = 0; i < ci->n; i++) {
                size_t l;
                const uint8_t *v = lp_entry(b, i, &l, &cur);
                fl_thrift_enc_elem_binary(&enc, v, l);
            }
        }
        fl_thrift_enc_i32(&enc, 4, asc ? ORDER_ASC : desc ? ORDER_DESC : ORDER_UNORDERED);
        fl_thrift_enc_list_begin(&enc, 5, FL_THRIFT_I64, ci->n);
        for (size_t i = 0; i < ci->n; i++) fl_thrift_enc_elem_i64(&enc, ci->nulls[i]);
        if (col->kind == K_F32 || col->kind == K_F64) {
            fl_thrift_enc_list_begin(&enc, 8, FL_THRIFT_I64, ci->n);
            for (size_t i = 0; i < ci->n; i++) fl_thrift_enc_elem_i64(&enc, ci->nans[i]);
        }
        rc = fl_thrift_enc_finish(&enc);
        if (rc) return rc;
        ref->ci_len = pqw->cibuf.len - ref->ci_off;
    }
    ref->oi_off = pqw->oibuf.len;
    fl_thrift_enc_init(&enc, &pqw->oibuf);
    fl_thrift_enc_list_begin(&enc, 1, FL_THRIFT_STRUCT, ci->n);
    for (size_t i = 0; i < ci->n; i++) {
        fl_thrift_enc_elem_struct_begin(&enc);
        fl_thrift_enc_i64(&enc, 1, data_off + ci->offs[i]);
        fl_thrift_enc_i32(&enc, 2, ci->sizes[i]);
        fl_thrift_enc_i64(&enc, 3, ci->first_rows[i]);
        fl_thrift_enc_struct_end(&enc);
    }
    rc = fl_thrift_enc_finish(&enc);
    if (rc) return rc;
    ref->oi_len = pqw->oibuf.len - ref->oi_off;
    return FL_OK;
}

/* Writes one column chunk at the current offset and records its metadata. */
static fl_err_t chunk_write(struct fl_pq_writer *pqw, struct pqcol *col, struct chunkref *ref,
                            int64_t *uncomp, int64_t *comp, struct fl_error *err) {
    fl_err_t rc;
    int64_t start = pqw->pos, dict_off = -1;
    int64_t total_uncomp = col->chunk_uncomp;
    struct fl_thrift_enc enc;
    if (col->dict_used) {
        const uint8_t *cdata;
        size_t clen, dlen = col->dict.values.len;
        rc = compress(pqw, col->dict.values.data, dlen, &cdata, &clen, err);
        if (rc) return rc;
        if (dlen > PAGE_MAX_BYTES || clen > PAGE_MAX_BYTES)
            return fl_errf(err, FL_ERR_LIMIT, "parquet: dictionary page over 2 GiB");
        fl_buf_reset(&pqw->hdr);
        fl_thrift_enc_init(&enc, &pqw->hdr);
        fl_thrift_enc_i32(&enc, 1, PAGE_DICT);
        fl_thrift_enc_i32(&enc, 2, (int32_t)dlen);
        fl_thrift_enc_i32(&enc, 3, (int32_t)clen);
        fl_thrift_enc_struct_begin(&enc, 7);
        fl_thrift_enc_i32(&enc, 1, (int32_t)col->dict.n);
        fl_thrift_enc_i32(&enc, 2, ENC_PLAIN);
        fl_thrift_enc_struct_end(&enc);
        rc = fl_thrift_enc_finish(&enc);
        if (rc) return fl_errf(err, rc, "parquet: dictionary page header");
        dict_off = start;
        rc = emit(pqw, pqw->hdr.data, pqw->hdr.len, err);
        if (!rc) rc = emit(pqw, cdata, clen, err);
        if (rc) return rc;
        total_uncomp += (int64_t)(pqw->hdr.len + dlen);
    }
    int64_t data_off = pqw->pos;
    rc = emit(pqw, col->chunk.data, col->chunk.len, err);
    if (rc) return rc;
    int64_t total_comp = pqw->pos - start;

    /* ColumnMetaData, kept serialized for the footer */
    ref->meta_off = pqw->meta.len;
    fl_thrift_enc_init(&enc, &pqw->meta);
    fl_thrift_enc_i32(&enc, 1, col->ptype);
    bool plain = col->dict_used || col->nenc[E_PLAIN];
    /* RLE: definition levels, and the level encodings v1 headers name */
    bool rle = col->max_def || col->max_rep || pqw->opts.page_version == 1;
    size_t nencs = plain + rle + (col->nenc[E_DICT] > 0) + (col->nenc[E_DELTA] > 0);
    fl_thrift_enc_list_begin(&enc, 2, FL_THRIFT_I32, nencs);
    if (plain) fl_thrift_enc_elem_i32(&enc, ENC_PLAIN);
    if (rle) fl_thrift_enc_elem_i32(&enc, ENC_RLE);
    if (col->nenc[E_DELTA]) fl_thrift_enc_elem_i32(&enc, ENC_DELTA);
    if (col->nenc[E_DICT]) fl_thrift_enc_elem_i32(&enc, ENC_RLE_DICT);
    fl_thrift_enc_list_begin(&enc, 3, FL_THRIFT_BINARY, (size_t)col->npath);
    for (int i = 0; i < col->npath; i++)
        fl_thrift_enc_elem_binary(&enc, col->path[i], strlen(col->path[i]));
    fl_thrift_enc_i32(&enc, 4, pqw->opts.codec);
    fl_thrift_enc_i64(&enc, 5, col->chunk_rows);
    fl_thrift_enc_i64(&enc, 6, total_uncomp);
    fl_thrift_enc_i64(&enc, 7, total_comp);
    fl_thrift_enc_i64(&enc, 9, data_off);
    if (dict_off >= 0) fl_thrift_enc_i64(&enc, 11, dict_off);
    enc_stats(pqw, &enc, col, &col->cst, 12);
    size_t nstats = (col->dict_used ? 1 : 0);
    for (int e = 0; e < E__N; e++) nstats += col->nenc[e] > 0;
    fl_thrift_enc_list_begin(&enc, 13, FL_THRIFT_STRUCT, nstats);
    if (col->dict_used) {
        fl_thrift_enc_elem_struct_begin(&enc);
        fl_thrift_enc_i32(&enc, 1, PAGE_DICT);
        fl_thrift_enc_i32(&enc, 2, ENC_PLAIN);
        fl_thrift_enc_i32(&enc, 3, 1);
        fl_thrift_enc_struct_end(&enc);
    }
    for (int e = 0; e < E__N; e++) {
        if (!col->nenc[e]) continue;
        fl_thrift_enc_elem_struct_begin(&enc);
        fl_thrift_enc_i32(&enc, 1, pqw->opts.page_version == 2 ? PAGE_DATA_V2 : PAGE_DATA);
        fl_thrift_enc_i32(&enc, 2, enc_value[e]);
        fl_thrift_enc_i32(&enc, 3, col->nenc[e]);
        fl_thrift_enc_struct_end(&enc);
    }
    rc = fl_thrift_enc_finish(&enc);
    if (rc) return fl_errf(err, rc, "parquet: column metadata");
    ref->meta_len = pqw->meta.len - ref->meta_off;

    if (pqw->opts.page_index) {
        rc = write_page_index(pqw, col, data_off, ref);
        if (rc) return fl_errf(err, rc, "parquet: page index");
    } else {
        ref->ci_len = ref->oi_len = 0;
    }

    stats_merge(col->kind, &col->fst, &col->cst);
    col->file_bytes += total_comp;
    col->file_values += col->chunk_rows;
    *uncomp += total_uncomp;
    *comp += total_comp;

    /* a fresh chunk */
    fl_buf_reset(&col->chunk);
    fl_pq_dict_reset(&col->dict);
    col->dict_on = col->use_dict;
    col->dict_used = false;
    col->dict_idx_bytes = col->dict_raw_bytes = 0;
    col->chunk_rows = col->chunk_uncomp = col->chunk_nrows = 0;
    memset(col->nenc, 0, sizeof(col->nenc));
    stats_reset(&col->cst);
    ci_reset(&col->ci);
    return FL_OK;
}

static fl_err_t rg_flush(struct fl_pq_writer *pqw, struct fl_error *err) {
    if (!pqw->rg_rows) return FL_OK;
    fl_err_t rc;
    for (int c = 0; c < pqw->ncols; c++) {
        rc = page_flush(pqw, &pqw->cols[c], err);
        if (rc) return rc;
    }
    if (pqw->nrg == pqw->rgcap) {
        size_t cap = pqw->rgcap ? pqw->rgcap * 2 : 8;
        pqw->rgs = fl_reallocarray(pqw->rgs, cap, sizeof(*pqw->rgs));
        pqw->refs = fl_reallocarray(pqw->refs, cap * (size_t)pqw->ncols, sizeof(*pqw->refs));
        pqw->rgcap = cap;
    }
    struct rgmeta *rg = &pqw->rgs[pqw->nrg];
    struct chunkref *refs = &pqw->refs[pqw->nrg * (size_t)pqw->ncols];
    rg->num_rows = pqw->rg_rows;
    rg->file_offset = pqw->pos;
    rg->total_byte_size = rg->total_comp = 0;
    for (int c = 0; c < pqw->ncols; c++) {
        rc = chunk_write(pqw, &pqw->cols[c], &refs[c], &rg->total_byte_size, &rg->total_comp, err);
        if (rc) return rc;
    }
    pqw->nrg++;
    pqw->rg_rows = 0;
    return FL_OK;
}

static size_t rg_bytes(const struct fl_pq_writer *pqw) {
    size_t n = 0;
    for (int c = 0; c < pqw->ncols; c++) {
        const struct pqcol *col = &pqw->cols[c];
        n += col->chunk.len + col->page_raw;
        if (col->dict_on || col->dict_used) n += fl_pq_dict_bytes(&col->dict);
    }
    return n;
}

/* ---- public API ---- */

void fl_pq_writer_opts_default(struct fl_pq_writer_opts *opts) {
    memset(opts, 0, sizeof(*opts));
    opts->codec = FL_PQ_CODEC_ZSTD;
    opts->page_version = 1;
    opts->page_size = (size_t)1 << 20;
    opts->row_group_size = (size_t)128 << 20;
    opts->dict_max = (size_t)1 << 20;
    opts->encoding = FL_PQ_MODE_AUTO;
    opts->page_index = true;
    opts->stats_max_len = 64;
}

/* Builds a writer; with fd >= 0 the writer owns fd and writes to it. */
static fl_err_t writer_create(const struct fl_schema *schema, const struct fl_pq_writer_opts *opts,
                              fl_pq_sink_fn sink, void *sink_ctx, int *fdp,
                              struct fl_pq_writer **out, struct fl_error *err) {
    int fd = fdp ? *fdp : -1;
    struct fl_pq_writer_opts def;
    if (!opts) {
        fl_pq_writer_opts_default(&def);
        opts = &def;
    }
    *out = NULL;
    int codec = opts->codec;
    if (codec != FL_PQ_CODEC_UNCOMPRESSED && codec != FL_PQ_CODEC_SNAPPY &&
        codec != FL_PQ_CODEC_GZIP && codec != FL_PQ_CODEC_ZSTD && codec != FL_PQ_CODEC_LZ4_RAW)
        return fl_errf(err, FL_ERR_UNSUPPORTED, "parquet: cannot write codec %d", codec);
    if (opts->page_version != 1 && opts->page_version != 2)
        return fl_errf(err, FL_ERR_INVALID, "parquet: page_version must be 1 or 2, not %d",
                       opts->page_version);
    if (!opts->page_size || opts->page_size > ((size_t)1 << 30) || !opts->row_group_size)
        return fl_errf(err, FL_ERR_INVALID,
                       "parquet: page_size must be 1 byte to 1 GiB and "
                       "row_group_size positive");
    if (opts->encoding < FL_PQ_MODE_AUTO || opts->encoding > FL_PQ_MODE_DELTA)
        return fl_errf(err, FL_ERR_INVALID, "parquet: unknown encoding mode %d", opts->encoding);
    if (opts->nkv < 0 || (opts->nkv && !opts->kv))
        return fl_errf(err, FL_ERR_INVALID, "parquet: bad key-value metadata");
    if (!schema || schema->nfields < 1)
        return fl_errf(err, FL_ERR_INVALID, "parquet: a schema with at least one field is needed");

    struct fl_pq_writer *pqw = fl_calloc(1, sizeof(*pqw));
    fl_err_t rc;
    pqw->opts = *opts;
    if (pqw->opts.dict_max > (size_t)INT32_MAX / 2) pqw->opts.dict_max = (size_t)INT32_MAX / 2;
    pqw->opts.kv = NULL;
    pqw->sink = fd >= 0 ? fd_sink : sink;
    pqw->sink_ctx = fd >= 0 ? pqw : sink_ctx;
    pqw->fd = fd;
    if (fdp) *fdp = -1; /* the writer owns it now */
    pqw->schema = fl_schema_dup(schema);
    fl_buf_init(&pqw->page, FL_BUF_NOMAX);
    fl_buf_init(&pqw->comp, FL_BUF_NOMAX);
    fl_buf_init(&pqw->hdr, FL_BUF_NOMAX);
    fl_buf_init(&pqw->scratch, FL_BUF_NOMAX);
    fl_buf_init(&pqw->smin, FL_BUF_NOMAX);
    fl_buf_init(&pqw->smax, FL_BUF_NOMAX);
    fl_buf_init(&pqw->meta, FL_BUF_NOMAX);
    fl_buf_init(&pqw->cibuf, FL_BUF_NOMAX);
    fl_buf_init(&pqw->oibuf, FL_BUF_NOMAX);
    if (opts->nkv) {
        pqw->kv = fl_calloc((size_t)opts->nkv * 2, sizeof(char *));
        for (int i = 0; i < opts->nkv; i++) {
            if (!opts->kv[i].key) {
                rc = fl_errf(err, FL_ERR_INVALID, "parquet: key-value pair %d has no key", i);
                goto fail;
            }
            pqw->kv[2 * i] = fl_strdup(opts->kv[i].key);
            pqw->kv[2 * i + 1] = opts->kv[i].value ? fl_strdup(opts->kv[i].value) : NULL;
        }
    }
    pqw->opts.nkv = opts->nkv;
    /* one column per leaf: a flat field is its own leaf */
    int nf = pqw->schema->nfields;
    pqw->shred = fl_calloc((size_t)nf, sizeof(*pqw->shred));
    pqw->field_col = fl_calloc((size_t)nf + 1, sizeof(int));
    int nleaves = 0;
    for (int f = 0; f < nf; f++) {
        pqw->field_col[f] = nleaves;
        const struct fl_field *fld = &pqw->schema->fields[f];
        if (fl_type_is_primitive(fld->type)) {
            nleaves++;
            continue;
        }
        rc = fl_pq_shredder_new(fld, &pqw->shred[f], err);
        if (rc) {
            fl_err_prefix(err, "parquet: column %s", fld->name);
            goto fail;
        }
        nleaves += fl_pq_shredder_nleaves(pqw->shred[f]);
    }
    pqw->field_col[nf] = nleaves;
    pqw->cols = fl_calloc((size_t)nleaves, sizeof(*pqw->cols));
    for (int f = 0; f < nf; f++) {
        for (int c = pqw->field_col[f]; c < pqw->field_col[f + 1]; c++) {
            struct fl_pq_shred_leaf *lf =
                pqw->shred[f] ? fl_pq_shredder_leaf(pqw->shred[f], c - pqw->field_col[f]) : NULL;
            pqw->ncols = c + 1; /* col_fini is safe on the zeroed and the set-up columns */
            rc = col_setup(pqw, &pqw->cols[c], lf ? lf->field : &pqw->schema->fields[f], err);
            if (rc) goto fail;
            if (!lf) continue;
            struct pqcol *col = &pqw->cols[c];
            col->leaf = lf;
            col->optional = lf->optional;
            col->max_def = lf->max_def;
            col->max_rep = lf->max_rep;
            col->path = lf->path;
            col->npath = lf->npath;
        }
    }
    rc = emit(pqw, "PAR1", 4, err);
    if (rc) goto fail;
    *out = pqw;
    return FL_OK;
fail:
    fl_pq_writer_free(pqw);
    return rc;
}

fl_err_t fl_pq_writer_new(const struct fl_schema *schema, const struct fl_pq_writer_opts *opts,
                          fl_pq_sink_fn sink, void *sink_ctx, struct fl_pq_writer **out,
                          struct fl_error *err) {
    if (!sink) return fl_errf(err, FL_ERR_INVALID, "parquet: no sink");
    return writer_create(schema, opts, sink, sink_ctx, NULL, out, err);
}

fl_err_t fl_pq_writer_open_file(const char *path, const struct fl_schema *schema,
                                const struct fl_pq_writer_opts *opts, struct fl_pq_writer **out,
                                struct fl_error *err) {
    *out = NULL;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return fl_errf(err, FL_ERR_IO, "parquet: cannot create %s: %s", path, strerror(errno));
    fl_err_t rc = writer_create(schema, opts, NULL, NULL, &fd, out, err);
    if (fd >= 0) close(fd);
    if (rc) fl_err_prefix(err, "%s: ", path);
    return rc;
}

static bool same_type(const struct fl_field *a, const struct fl_field *b) {
    return a->id == b->id && a->type == b->type && a->precision == b->precision &&
           a->scale == b->scale && a->length == b->length;
}

fl_err_t fl_pq_writer_add_batch(struct fl_pq_writer *pqw, const struct fl_batch *batch,
                                struct fl_error *err) {
    if (pqw->failed || pqw->closed)
        return fl_errf(err, pqw->failed ? pqw->failed : FL_ERR_INVALID, "parquet: writer %s",
                       pqw->closed ? "is closed" : "failed earlier");
    int nf = pqw->schema->nfields;
    if (batch->ncols != nf)
        return fl_errf(err, FL_ERR_INVALID, "parquet: batch has %d columns, file has %d",
                       batch->ncols, nf);
    for (int c = 0; c < nf; c++) {
        const struct fl_col *bc = &batch->cols[c];
        const struct fl_field *fd = &pqw->schema->fields[c];
        size_t sw = pqw->shred[c] ? 0 : pqw->cols[pqw->field_col[c]].sw;
        if (!bc->field || !same_type(bc->field, fd) || bc->width != sw || bc->len < batch->nrows ||
            (!bc->width && !bc->offsets && batch->nrows))
            return fl_errf(err, FL_ERR_INVALID,
                           "parquet: batch column %d does not match file column %s (id %d)", c,
                           fd->name, (int)fd->id);
    }
    fl_err_t rc = FL_OK;
    for (size_t r = 0; r < batch->nrows;) {
        size_t k = batch->nrows - r < STEP_ROWS ? batch->nrows - r : STEP_ROWS;
        for (int c = 0; c < nf; c++) {
            if (pqw->shred[c])
                rc = nested_add_rows(pqw, c, &batch->cols[c], r, k, err);
            else
                rc = col_add_rows(pqw, &pqw->cols[pqw->field_col[c]], &batch->cols[c], r, k, err);
            if (rc) goto fail;
        }
        pqw->rg_rows += (int64_t)k;
        pqw->total_rows += (int64_t)k;
        r += k;
        if (rg_bytes(pqw) >= pqw->opts.row_group_size) {
            rc = rg_flush(pqw, err);
            if (rc) goto fail;
        }
    }
    return FL_OK;
fail:
    pqw->failed = rc;
    return rc;
}

/* Schema elements under field f (f's own included). */
static size_t schema_elems(const struct fl_field *f) {
    size_t n = 1 + (f->type == FL_TYPE_LIST || f->type == FL_TYPE_MAP); /* + list / key_value */
    for (int k = 0; k < f->nchildren; k++) n += schema_elems(&f->children[k]);
    return n;
}

/* A group element: name, repetition, children, and its annotation
 * (LIST: converted 3, logical 3; MAP: converted 1, logical 2). */
static void enc_group(struct fl_thrift_enc *enc, const char *name, int repetition, int nchildren,
                      int annot, const int32_t *field_id) {
    fl_thrift_enc_elem_struct_begin(enc);
    fl_thrift_enc_i32(enc, 3, repetition);
    fl_thrift_enc_string(enc, 4, name);
    fl_thrift_enc_i32(enc, 5, nchildren);
    if (annot) fl_thrift_enc_i32(enc, 6, annot == 3 ? 3 : 1);
    if (field_id) fl_thrift_enc_i32(enc, 9, *field_id);
    if (annot) {
        fl_thrift_enc_struct_begin(enc, 10);
        fl_thrift_enc_empty_struct(enc, annot == 3 ? 3 : 2);
        fl_thrift_enc_struct_end(enc);
    }
    fl_thrift_enc_struct_end(enc);
}

static void enc_leaf(struct fl_thrift_enc *enc, const struct pqcol *col);

/* Field f and its subtree; *c is the next leaf column. */
static void enc_field(struct fl_pq_writer *pqw, struct fl_thrift_enc *enc, const struct fl_field *f,
                      int *c) {
    int rt = f->required ? REP_REQUIRED : REP_OPTIONAL;
    switch (f->type) {
    case FL_TYPE_STRUCT:
        enc_group(enc, f->name, rt, f->nchildren, 0, &f->id);
        for (int k = 0; k < f->nchildren; k++) enc_field(pqw, enc, &f->children[k], c);
        return;
    case FL_TYPE_LIST:
    case FL_TYPE_MAP: {
        bool list = f->type == FL_TYPE_LIST;
        enc_group(enc, f->name, rt, 1, list ? 3 : 1, &f->id);
        enc_group(enc, list ? "list" : "key_value", 2 /* REPEATED */, f->nchildren, 0, NULL);
        for (int k = 0; k < f->nchildren; k++) enc_field(pqw, enc, &f->children[k], c);
        return;
    }
    default:
        enc_leaf(enc, &pqw->cols[(*c)++]);
    }
}

static void enc_schema(struct fl_pq_writer *pqw, struct fl_thrift_enc *enc) {
    size_t nelem = 1;
    for (int f = 0; f < pqw->schema->nfields; f++) nelem += schema_elems(&pqw->schema->fields[f]);
    fl_thrift_enc_list_begin(enc, 2, FL_THRIFT_STRUCT, nelem);
    fl_thrift_enc_elem_struct_begin(enc);
    fl_thrift_enc_string(enc, 4, "table");
    fl_thrift_enc_i32(enc, 5, pqw->schema->nfields);
    fl_thrift_enc_struct_end(enc);
    int c = 0;
    for (int f = 0; f < pqw->schema->nfields; f++) enc_field(pqw, enc, &pqw->schema->fields[f], &c);
}

static void enc_leaf(struct fl_thrift_enc *enc, const struct pqcol *col) {
    {
        const struct fl_field *f = col->field;
        int ct = -1;
        switch (f->type) {
        case FL_TYPE_INT:
            ct = CT_INT_32;
            break;
        case FL_TYPE_LONG:
            ct = CT_INT_64;
            break;
        case FL_TYPE_DECIMAL:
            ct = CT_DECIMAL;
            break;
        case FL_TYPE_DATE:
            ct = CT_DATE;
            break;
        case FL_TYPE_TIME:
            ct = CT_TIME_MICROS;
            break;
        case FL_TYPE_TIMESTAMP:
        case FL_TYPE_TIMESTAMPTZ:
            ct = CT_TIMESTAMP_MICROS;
            break;
        case FL_TYPE_STRING:
            ct = CT_UTF8;
            break;
        default:
            break;
        }
        fl_thrift_enc_elem_struct_begin(enc);
        fl_thrift_enc_i32(enc, 1, col->ptype);
        if (col->ptype == PT_FLBA) fl_thrift_enc_i32(enc, 2, (int32_t)col->pw);
        fl_thrift_enc_i32(enc, 3, col->optional ? REP_OPTIONAL : REP_REQUIRED);
        fl_thrift_enc_string(enc, 4, f->name);
        if (ct >= 0) fl_thrift_enc_i32(enc, 6, ct);
        if (f->type == FL_TYPE_DECIMAL) {
            fl_thrift_enc_i32(enc, 7, f->scale);
            fl_thrift_enc_i32(enc, 8, f->precision);
        }
        fl_thrift_enc_i32(enc, 9, f->id);
        switch (f->type) {
        case FL_TYPE_INT:
        case FL_TYPE_LONG:
            fl_thrift_enc_struct_begin(enc, 10);
            fl_thrift_enc_struct_begin(enc, 10); /* INTEGER */
            fl_thrift_enc_i8(enc, 1, f->type == FL_TYPE_INT ? 32 : 64);
            fl_thrift_enc_bool(enc, 2, true);
            fl_thrift_enc_struct_end(enc);
            fl_thrift_enc_struct_end(enc);
            break;
        case FL_TYPE_DECIMAL:
            fl_thrift_enc_struct_begin(enc, 10);
            fl_thrift_enc_struct_begin(enc, 5);
            fl_thrift_enc_i32(enc, 1, f->scale);
            fl_thrift_enc_i32(enc, 2, f->precision);
            fl_thrift_enc_struct_end(enc);
            fl_thrift_enc_struct_end(enc);
            break;
        case FL_TYPE_DATE:
        case FL_TYPE_STRING:
        case FL_TYPE_UUID:
            fl_thrift_enc_struct_begin(enc, 10);
            fl_thrift_enc_empty_struct(enc, f->type == FL_TYPE_DATE     ? 6
                                            : f->type == FL_TYPE_STRING ? 1
                                                                        : 14);
            fl_thrift_enc_struct_end(enc);
            break;
        case FL_TYPE_TIME:
        case FL_TYPE_TIMESTAMP:
        case FL_TYPE_TIMESTAMPTZ:
            fl_thrift_enc_struct_begin(enc, 10);
            fl_thrift_enc_struct_begin(enc, f->type == FL_TYPE_TIME ? 7 : 8);
            fl_thrift_enc_bool(enc, 1, f->type == FL_TYPE_TIMESTAMPTZ);
            fl_thrift_enc_struct_begin(enc, 2);
            fl_thrift_enc_empty_struct(enc, 2); /* MICROS */
            fl_thrift_enc_struct_end(enc);
            fl_thrift_enc_struct_end(enc);
            fl_thrift_enc_struct_end(enc);
            break;
        default:
            break;
        }
        fl_thrift_enc_struct_end(enc);
    }
}

/* Writes the page indexes and the footer. */
static fl_err_t write_tail(struct fl_pq_writer *pqw, struct fl_error *err) {
    int64_t ci_base = pqw->pos;
    fl_err_t rc = emit(pqw, pqw->cibuf.data, pqw->cibuf.len, err);
    int64_t oi_base = pqw->pos;
    if (!rc) rc = emit(pqw, pqw->oibuf.data, pqw->oibuf.len, err);
    if (rc) return rc;

    struct fl_buf *out = &pqw->hdr;
    fl_buf_reset(out);
    struct fl_thrift_enc enc;
    fl_thrift_enc_init(&enc, out);
    fl_thrift_enc_i32(&enc, 1, pqw->opts.page_version == 2 ? 2 : 1);
    enc_schema(pqw, &enc);
    fl_thrift_enc_i64(&enc, 3, pqw->total_rows);
    fl_thrift_enc_list_begin(&enc, 4, FL_THRIFT_STRUCT, pqw->nrg);
    for (size_t g = 0; g < pqw->nrg; g++) {
        const struct rgmeta *rg = &pqw->rgs[g];
        fl_thrift_enc_elem_struct_begin(&enc);
        fl_thrift_enc_list_begin(&enc, 1, FL_THRIFT_STRUCT, (size_t)pqw->ncols);
        for (int c = 0; c < pqw->ncols; c++) {
            const struct chunkref *ref = &pqw->refs[g * (size_t)pqw->ncols + (size_t)c];
            fl_thrift_enc_elem_struct_begin(&enc);
            fl_thrift_enc_i64(&enc, 2, 0);
            fl_thrift_enc_struct_raw(&enc, 3, pqw->meta.data + ref->meta_off, ref->meta_len);
            if (ref->oi_len) {
                fl_thrift_enc_i64(&enc, 4, oi_base + (int64_t)ref->oi_off);
                fl_thrift_enc_i32(&enc, 5, (int32_t)ref->oi_len);
            }
            if (ref->ci_len) {
                fl_thrift_enc_i64(&enc, 6, ci_base + (int64_t)ref->ci_off);
                fl_thrift_enc_i32(&enc, 7, (int32_t)ref->ci_len);
            }
            fl_thrift_enc_struct_end(&enc);
        }
        fl_thrift_enc_i64(&enc, 2, rg->total_byte_size);
        fl_thrift_enc_i64(&enc, 3, rg->num_rows);
        fl_thrift_enc_i64(&enc, 5, rg->file_offset);
        fl_thrift_enc_i64(&enc, 6, rg->total_comp);
        if (g <= INT16_MAX) fl_thrift_enc_i16(&enc, 7, (int16_t)g);
        fl_thrift_enc_struct_end(&enc);
    }
    if (pqw->opts.nkv) {
        fl_thrift_enc_list_begin(&enc, 5, FL_THRIFT_STRUCT, (size_t)pqw->opts.nkv);
        for (int i = 0; i < pqw->opts.nkv; i++) {
            fl_thrift_enc_elem_struct_begin(&enc);
            fl_thrift_enc_string(&enc, 1, pqw->kv[2 * i]);
            if (pqw->kv[2 * i + 1]) fl_thrift_enc_string(&enc, 2, pqw->kv[2 * i + 1]);
            fl_thrift_enc_struct_end(&enc);
        }
    }
    fl_thrift_enc_string(&enc, 6, "floe version " FLOE_VERSION);
    fl_thrift_enc_list_begin(&enc, 7, FL_THRIFT_STRUCT, (size_t)pqw->ncols);
    for (int c = 0; c < pqw->ncols; c++) {
        fl_thrift_enc_elem_struct_begin(&enc);
        fl_thrift_enc_empty_struct(&enc, 1); /* TYPE_ORDER */
        fl_thrift_enc_struct_end(&enc);
    }
    rc = fl_thrift_enc_finish(&enc);
    if (rc) return fl_errf(err, rc, "parquet: encoding the footer: %s", fl_err_name(rc));
    if (out->len > UINT32_MAX) return fl_errf(err, FL_ERR_LIMIT, "parquet: footer over 4 GiB");
    uint8_t tail[8];
    fl_put_le32(tail, (uint32_t)out->len);
    memcpy(tail + 4, "PAR1", 4);
    rc = emit(pqw, out->data, out->len, err);
    if (!rc) rc = emit(pqw, tail, 8, err);
    return rc;
}

static void fill_result(struct fl_pq_writer *pqw, struct fl_pq_file_result *res) {
    memset(res, 0, sizeof(*res));
    res->file_size = pqw->pos;
    res->record_count = pqw->total_rows;
    res->nrow_groups = (int)pqw->nrg;
    /* top-level primitive columns only: no metrics for nested leaves */
    res->cols = fl_calloc((size_t)pqw->ncols, sizeof(*res->cols));
    for (int c = 0; c < pqw->ncols; c++) {
        struct pqcol *col = &pqw->cols[c];
        if (col->leaf) continue;
        struct fl_pq_col_result *cr = &res->cols[res->ncols++];
        cr->field_id = col->field->id;
        cr->column_size = col->file_bytes;
        cr->value_count = col->file_values;
        cr->null_count = col->fst.nulls;
        cr->nan_count = col->fst.nans;
        cr->has_min_max = col->fst.has;
        if (col->fst.has) {
            stat_bytes(pqw, col, &col->fst, false, &pqw->smin, &cr->min_exact);
            stat_bytes(pqw, col, &col->fst, true, &pqw->smax, &cr->max_exact);
            cr->min = fl_malloc(pqw->smin.len + 1);
            memcpy(cr->min, pqw->smin.data, pqw->smin.len);
            cr->min_len = pqw->smin.len;
            cr->max = fl_malloc(pqw->smax.len + 1);
            memcpy(cr->max, pqw->smax.data, pqw->smax.len);
            cr->max_len = pqw->smax.len;
        }
    }
}

fl_err_t fl_pq_writer_close(struct fl_pq_writer *pqw, struct fl_pq_file_result *res,
                            struct fl_error *err) {
    if (res) memset(res, 0, sizeof(*res));
    if (pqw->failed || pqw->closed)
        return fl_errf(err, pqw->failed ? pqw->failed : FL_ERR_INVALID, "parquet: writer %s",
                       pqw->closed ? "is closed" : "failed earlier");
    fl_err_t rc = rg_flush(pqw, err);
    if (!rc) rc = write_tail(pqw, err);
    if (!rc && pqw->fd >= 0) {
        if (fsync(pqw->fd) != 0)
            rc = fl_errf(err, FL_ERR_IO, "parquet: fsync: %s", strerror(errno));
        if (close(pqw->fd) != 0 && !rc)
            rc = fl_errf(err, FL_ERR_IO, "parquet: close: %s", strerror(errno));
        pqw->fd = -1;
    }
    if (rc) {
        pqw->failed = rc;
        return rc;
    }
    pqw->closed = true;
    if (res) fill_result(pqw, res);
    return FL_OK;
}

void fl_pq_file_result_fini(struct fl_pq_file_result *res) {
    if (!res) return;
    for (int c = 0; c < res->ncols && res->cols; c++) {
        fl_free(res->cols[c].min);
        fl_free(res->cols[c].max);
    }
    fl_free(res->cols);
    memset(res, 0, sizeof(*res));
}

void fl_pq_writer_free(struct fl_pq_writer *pqw) {
    if (!pqw) return;
    if (pqw->fd >= 0) close(pqw->fd);
    for (int c = 0; c < pqw->ncols && pqw->cols; c++) col_fini(&pqw->cols[c]);
    fl_free(pqw->cols);
    for (int f = 0; pqw->shred && pqw->schema && f < pqw->schema->nfields; f++)
        fl_pq_shredder_free(pqw->shred[f]);
    fl_free(pqw->shred);
    fl_free(pqw->field_col);
    if (pqw->kv) {
        for (int i = 0; i < 2 * pqw->opts.nkv; i++) fl_free(pqw->kv[i]);
        fl_free(pqw->kv);
    }
    fl_buf_fini(&pqw->page);
    fl_buf_fini(&pqw->comp);
    fl_buf_fini(&pqw->hdr);
    fl_buf_fini(&pqw->scratch);
    fl_buf_fini(&pqw->smin);
    fl_buf_fini(&pqw->smax);
    fl_buf_fini(&pqw->meta);
    fl_buf_fini(&pqw->cibuf);
    fl_buf_fini(&pqw->oibuf);
    fl_free(pqw->rgs);
    fl_free(pqw->refs);
    if (pqw->schema) fl_schema_free(pqw->schema);
    fl_free(pqw);
}
