/*
 * datafile.c - data_file records from Parquet writer results, and the
 * spec's single-value binary serialization (Appendix D).
 */
#include "iceberg/datafile.h"
#include "core/endian.h"
#include "core/mem.h"
#include "format/parquet/bounds.h"

#include <pthread.h>
#include <string.h>
#include <strings.h>

/* Minimal big-endian two's complement of v (1..16 bytes). */
static fl_err_t put_decimal(__int128 v, struct fl_buf *out) {
    uint8_t be[16];
    unsigned __int128 u = (unsigned __int128)v;
    for (int i = 15; i >= 0; i--, u >>= 8) be[i] = (uint8_t)u;
    int s = 0;
    while (s < 15 &&
           ((be[s] == 0x00 && !(be[s + 1] & 0x80)) || (be[s] == 0xff && (be[s + 1] & 0x80))))
        s++;
    return fl_buf_append(out, be + s, (size_t)(16 - s));
}

/* Reads a big-endian two's complement of 1..16 bytes. */
static __int128 get_be_signed(const uint8_t *p, size_t n) {
    unsigned __int128 u = (n && (p[0] & 0x80)) ? ~(unsigned __int128)0 : 0;
    for (size_t i = 0; i < n; i++) u = (u << 8) | p[i];
    return (__int128)u;
}

fl_err_t fl_ice_bound_from_parquet(const struct fl_field *field, const uint8_t *pq, size_t len,
                                   struct fl_buf *out) {
    switch (field->type) {
    case FL_TYPE_BOOLEAN:
        if (len < 1) return FL_ERR_CORRUPT;
        return fl_buf_append_u8(out, pq[0] ? 1 : 0);
    case FL_TYPE_INT:
    case FL_TYPE_DATE:
    case FL_TYPE_FLOAT:
        if (len != 4) return FL_ERR_CORRUPT;
        return fl_buf_append(out, pq, 4);
    case FL_TYPE_LONG:
    case FL_TYPE_TIME:
    case FL_TYPE_TIMESTAMP:
    case FL_TYPE_TIMESTAMPTZ:
    case FL_TYPE_DOUBLE:
        if (len != 8) return FL_ERR_CORRUPT;
        return fl_buf_append(out, pq, 8);
    case FL_TYPE_DECIMAL:
        if (field->precision <= 9) {
            if (len != 4) return FL_ERR_CORRUPT;
            return put_decimal((int32_t)fl_le32(pq), out);
        }
        if (field->precision <= 18) {
            if (len != 8) return FL_ERR_CORRUPT;
            return put_decimal((int64_t)fl_le64(pq), out);
        }
        if (len < 1 || len > 16) return FL_ERR_CORRUPT;
        return put_decimal(get_be_signed(pq, len), out);
    default: /* string, binary, uuid, fixed: the bytes */
        return fl_buf_append(out, pq, len);
    }
}

fl_err_t fl_ice_pval_serialize(const struct fl_ice_pval *v, struct fl_buf *out) {
    uint8_t b[8];
    switch (v->type) {
    case FL_TYPE_BOOLEAN:
        return fl_buf_append_u8(out, v->i64 ? 1 : 0);
    case FL_TYPE_INT:
    case FL_TYPE_DATE:
        fl_put_le32(b, (uint32_t)(int32_t)v->i64);
        return fl_buf_append(out, b, 4);
    case FL_TYPE_FLOAT: {
        float f = (float)v->f64;
        memcpy(b, &f, 4);
        return fl_buf_append(out, b, 4);
    }
    case FL_TYPE_DOUBLE:
        memcpy(b, &v->f64, 8);
        return fl_buf_append(out, b, 8);
    case FL_TYPE_DECIMAL:
        return put_decimal(v->dec, out);
    case FL_TYPE_STRING:
    case FL_TYPE_BINARY:
    case FL_TYPE_UUID:
    case FL_TYPE_FIXED:
        return fl_buf_append(out, v->bytes, v->len);
    default:
        fl_put_le64(b, (uint64_t)v->i64);
        return fl_buf_append(out, b, 8);
    }
}

/* Byte length of the first n code points of a UTF-8 string. */
static size_t utf8_prefix_len(const uint8_t *s, size_t len, size_t n) {
    size_t i = 0;
    for (size_t cp = 0; i < len && cp < n; cp++) {
        i++;
        while (i < len && (s[i] & 0xc0) == 0x80) i++;
    }
    return i;
}

/* Names of formats floe does not read, kept for the process's life so
 * that a manifest rewritten by floe (merging, expiry) records them as
 * they were, and refusals can name them: a few short ones at most. */
#define OTHER_FORMATS 16
#define OTHER_FORMAT_LEN 32
static char other_formats[OTHER_FORMATS][OTHER_FORMAT_LEN];
static int n_other_formats;
static pthread_mutex_t other_formats_mu = PTHREAD_MUTEX_INITIALIZER;

const char *fl_ice_file_format_name(const char *s, size_t len) {
    static const char *const names[] = {"PARQUET", "AVRO", "ORC", "PUFFIN"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (len == strlen(names[i]) && strncasecmp(s, names[i], len) == 0) return names[i];
    if (len == 0 || len >= OTHER_FORMAT_LEN) return "OTHER";
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e) return "OTHER";
    const char *found = NULL;
    pthread_mutex_lock(&other_formats_mu);
    for (int i = 0; i < n_other_formats && !found; i++)
        if (strlen(other_formats[i]) == len && !memcmp(other_formats[i], s, len))
            found = other_formats[i];
    if (!found && n_other_formats < OTHER_FORMATS) {
        memcpy(other_formats[n_other_formats], s, len);
        other_formats[n_other_formats][len] = '\0';
        found = other_formats[n_other_formats++];
    }
    pthread_mutex_unlock(&other_formats_mu);
    return found ? found : "OTHER";
}

void fl_ice_data_file_fini(struct fl_ice_data_file *df) {
    fl_free(df->file_path);
    fl_free(df->partition);
    fl_free(df->cols);
    fl_free(df->equality_ids);
    fl_free(df->referenced_data_file);
    fl_free(df->replaces_dv);
    fl_buf_fini(&df->arena);
    memset(df, 0, sizeof(*df));
}

void fl_ice_data_file_copy(struct fl_ice_data_file *dst, const struct fl_ice_data_file *src) {
    *dst = *src;
    fl_buf_init(&dst->arena, FL_BUF_NOMAX);
    dst->file_path = fl_strdup(src->file_path);
    dst->referenced_data_file =
        src->referenced_data_file ? fl_strdup(src->referenced_data_file) : NULL;
    dst->replaces_dv = src->replaces_dv ? fl_strdup(src->replaces_dv) : NULL;
    dst->cols = fl_calloc((size_t)src->ncols + 1, sizeof(*dst->cols));
    dst->partition = fl_calloc((size_t)src->npartition + 1, sizeof(*dst->partition));
    dst->equality_ids = fl_calloc((size_t)src->nequality + 1, sizeof(int32_t));
    if (src->nequality)
        memcpy(dst->equality_ids, src->equality_ids, sizeof(int32_t) * (size_t)src->nequality);
    /* bytes first into the arena (it may move), pointers after */
    size_t *off = fl_calloc((size_t)(2 * src->ncols + src->npartition) + 1, sizeof(size_t));
    for (int i = 0; i < src->ncols; i++) {
        dst->cols[i] = src->cols[i];
        if (!src->cols[i].has_bounds) continue;
        off[2 * i] = dst->arena.len;
        fl_buf_append(&dst->arena, src->cols[i].lower, src->cols[i].lower_len);
        off[2 * i + 1] = dst->arena.len;
        fl_buf_append(&dst->arena, src->cols[i].upper, src->cols[i].upper_len);
    }
    size_t *poff = off + 2 * src->ncols;
    for (int i = 0; i < src->npartition; i++) {
        dst->partition[i] = src->partition[i];
        if (src->partition[i].bytes && !src->partition[i].is_null) {
            poff[i] = dst->arena.len;
            fl_buf_append(&dst->arena, src->partition[i].bytes, src->partition[i].len);
        }
    }
    for (int i = 0; i < src->ncols; i++)
        if (src->cols[i].has_bounds) {
            dst->cols[i].lower = dst->arena.data + off[2 * i];
            dst->cols[i].upper = dst->arena.data + off[2 * i + 1];
        }
    for (int i = 0; i < src->npartition; i++)
        if (src->partition[i].bytes && !src->partition[i].is_null)
            dst->partition[i].bytes = dst->arena.data + poff[i];
    fl_free(off);
}

fl_err_t fl_ice_data_file_from_parquet(struct fl_ice_data_file *df, const char *path,
                                       const struct fl_schema *schema,
                                       const struct fl_pq_file_result *res,
                                       const struct fl_ice_spec *spec,
                                       const struct fl_ice_pval *vals, struct fl_error *err) {
    memset(df, 0, sizeof(*df));
    fl_buf_init(&df->arena, FL_BUF_NOMAX);
    df->content = FL_ICE_CONTENT_DATA;
    df->file_path = fl_strdup(path);
    df->file_format = "PARQUET";
    df->record_count = res->record_count;
    df->file_size_in_bytes = res->file_size;
    df->spec_id = spec ? spec->spec_id : 0;
    df->ncols = res->ncols;
    df->cols = fl_calloc(res->ncols ? (size_t)res->ncols : 1, sizeof(*df->cols));

    /* Offsets into the arena first: it may move while it grows. */
    size_t *lo_off = fl_calloc((size_t)res->ncols + 1, sizeof(size_t));
    size_t *hi_off = fl_calloc((size_t)res->ncols + 1, sizeof(size_t));
    struct fl_buf tmp;
    fl_buf_init(&tmp, FL_BUF_NOMAX);
    fl_err_t rc = FL_OK;
    for (int i = 0; i < res->ncols && !rc; i++) {
        const struct fl_pq_col_result *cr = &res->cols[i];
        struct fl_ice_col_metrics *m = &df->cols[i];
        int idx = fl_schema_index_by_id(schema, cr->field_id);
        if (idx < 0) {
            rc = fl_errf(err, FL_ERR_INVALID, "data file %s: column id %d not in the schema", path,
                         cr->field_id);
            break;
        }
        const struct fl_field *f = &schema->fields[idx];
        m->field_id = cr->field_id;
        m->column_size = cr->column_size;
        m->value_count = cr->value_count;
        m->null_count = cr->null_count;
        m->nan_count = (f->type == FL_TYPE_FLOAT || f->type == FL_TYPE_DOUBLE) ? cr->nan_count : -1;
        if (!cr->has_min_max) continue;
        bool is_str = f->type == FL_TYPE_STRING, is_var = is_str || f->type == FL_TYPE_BINARY;
        for (int which = 0; which < 2 && !rc; which++) {
            const uint8_t *v = which ? cr->max : cr->min;
            size_t vlen = which ? cr->max_len : cr->min_len;
            fl_buf_reset(&tmp);
            if (is_var) {
                size_t keep =
                    is_str ? utf8_prefix_len(v, vlen, FL_ICE_METRICS_TRUNCATE)
                           : (vlen < FL_ICE_METRICS_TRUNCATE ? vlen : FL_ICE_METRICS_TRUNCATE);
                bool exact;
                if (keep >= vlen) {
                    /* short enough; a max the writer rounded up stays a valid bound */
                    fl_buf_append(&tmp, v, vlen);
                } else if (which) {
                    fl_pq_bound_max(is_str, v, vlen, keep, &tmp, &exact);
                } else {
                    fl_pq_bound_min(is_str, v, vlen, keep, &tmp, &exact);
                }
            } else if (fl_ice_bound_from_parquet(f, v, vlen, &tmp)) {
                rc = fl_errf(err, FL_ERR_CORRUPT,
                             "data file %s: column \"%s\" has a malformed %s bound", path, f->name,
                             which ? "upper" : "lower");
                break;
            }
            size_t *off = which ? &hi_off[i] : &lo_off[i];
            *off = df->arena.len;
            fl_buf_append(&df->arena, tmp.data ? tmp.data : (const uint8_t *)"", tmp.len);
            if (which)
                m->upper_len = tmp.len;
            else
                m->lower_len = tmp.len;
        }
        m->has_bounds = true;
    }
    /* partition values: copy byte values into the arena too */
    size_t *pv_off = NULL;
    if (!rc && spec && spec->nfields > 0) {
        df->npartition = spec->nfields;
        df->partition = fl_calloc((size_t)spec->nfields, sizeof(*df->partition));
        pv_off = fl_calloc((size_t)spec->nfields, sizeof(size_t));
        for (int i = 0; i < spec->nfields; i++) {
            df->partition[i] = vals[i];
            if (vals[i].bytes && !vals[i].is_null) {
                pv_off[i] = df->arena.len;
                fl_buf_append(&df->arena, vals[i].bytes, vals[i].len);
            }
        }
    }
    if (!rc) {
        for (int i = 0; i < df->ncols; i++) {
            if (!df->cols[i].has_bounds) continue;
            df->cols[i].lower = df->arena.data + lo_off[i];
            df->cols[i].upper = df->arena.data + hi_off[i];
        }
        for (int i = 0; i < df->npartition; i++)
            if (df->partition[i].bytes && !df->partition[i].is_null)
                df->partition[i].bytes = df->arena.data + pv_off[i];
    }
    fl_free(pv_off);
    fl_free(lo_off);
    fl_free(hi_off);
    fl_buf_fini(&tmp);
    if (rc) fl_ice_data_file_fini(df);
    return rc;
}
