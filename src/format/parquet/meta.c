/*
 * meta.c - parsing Parquet metadata (footer, page headers, page index)
 * and printing it.
 *
 * How it works: each thrift struct has a parse function that loops over
 * field headers, reads the fields it knows into the C struct, skips the
 * others, and checks its required fields at the STOP. Lists of structs are
 * allocated from an arena whose cap is a multiple of the input size, so
 * the memory a footer can ask for is bounded by its length. The schema
 * tree (a depth-first list with num_children) is walked once to derive
 * the leaves (the column chunks' columns), their dotted paths and their
 * max definition/repetition levels.
 */
#include "format/parquet/meta.h"

#include "core/endian.h"
#include "core/mem.h"
#include "core/time.h"
#include "format/parquet/thrift_read.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- arena ---- */

struct arena_block {
    struct arena_block *next;
    size_t size, used;
    _Alignas(16) uint8_t data[];
};

struct fl_pq_arena {
    struct arena_block *head;
    size_t total;
    size_t cap;
};

static struct fl_pq_arena *arena_new(size_t input_len) {
    struct fl_pq_arena *a = fl_calloc(1, sizeof(*a));
    /* Decoded structs are larger than their wire form, but not by more
     * than this factor in any valid file; a hostile one hits the cap. */
    a->cap = (size_t)1 << 20;
    if (input_len < ((size_t)1 << 30) / 64)
        a->cap += input_len * 64;
    else
        a->cap = (size_t)1 << 30;
    return a;
}

static void arena_free(struct fl_pq_arena *a) {
    if (!a) return;
    struct arena_block *b = a->head;
    while (b) {
        struct arena_block *n = b->next;
        fl_free(b);
        b = n;
    }
    fl_free(a);
}

/* Zeroed memory, 16-byte aligned; NULL when the cap is reached. */
static void *arena_alloc(struct fl_pq_arena *a, size_t n) {
    n = (n + 15) & ~(size_t)15;
    if (n == 0) n = 16;
    if (n > a->cap || a->total > a->cap - n) return NULL;
    struct arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t sz = n > 16384 ? n : 16384;
        b = fl_calloc(1, sizeof(*b) + sz);
        b->size = sz;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    a->total += n;
    return p;
}

/* ---- parse context ---- */

struct ctx {
    struct fl_pq_thrift_reader tr;
    struct fl_pq_arena *a;
};

static fl_err_t limit(struct ctx *c) {
    if (c->tr.code) return c->tr.code;
    c->tr.code = FL_ERR_LIMIT;
    return fl_errf(c->tr.err, FL_ERR_LIMIT, "parquet metadata needs more memory than its cap");
}

static void *alloc_array(struct ctx *c, uint32_t n, size_t size) {
    size_t bytes;
    if (!fl_mul_ok(n, size, &bytes)) return NULL;
    return arena_alloc(c->a, bytes);
}

static fl_err_t read_string(struct ctx *c, int t, const char **s, size_t *len) {
    const uint8_t *d;
    size_t n;
    fl_err_t e = fl_pq_thrift_read_binary(&c->tr, t, &d, &n);
    if (e) return e;
    char *copy = arena_alloc(c->a, n + 1);
    if (!copy) return limit(c);
    memcpy(copy, d, n);
    copy[n] = 0;
    *s = copy;
    if (len) *len = n;
    return FL_OK;
}

static fl_err_t read_bin(struct ctx *c, int t, struct fl_pq_bin *b) {
    const char *s;
    fl_err_t e = read_string(c, t, &s, &b->len);
    if (!e) b->data = (const uint8_t *)s;
    return e;
}

static fl_err_t read_enum(struct ctx *c, int t, int *v) {
    int32_t x;
    fl_err_t e = fl_pq_thrift_read_i32(&c->tr, t, &x);
    if (!e) *v = x;
    return e;
}

static fl_err_t missing(struct ctx *c, const char *st, const char *field) {
    char msg[128];
    snprintf(msg, sizeof(msg), "%s without its required field %s", st, field);
    return fl_pq_thrift_fail(&c->tr, msg);
}

/* Starts a list whose elements must be of type want. */
static fl_err_t list_of(struct ctx *c, int t, int want, uint32_t *n) {
    int et;
    fl_err_t e = fl_pq_thrift_list_begin(&c->tr, t, &et, n);
    if (e) return e;
    if (et != want && !(want == FL_PQ_TT_BOOL_TRUE && et == FL_PQ_TT_BOOL_FALSE)) {
        /* another element type than ours: skip the list, as a mismatched field */
        for (uint32_t i = 0; i < *n && !e; i++) {
            e = et == FL_PQ_TT_BOOL_TRUE || et == FL_PQ_TT_BOOL_FALSE
                    ? fl_pq_thrift_skip(&c->tr, FL_PQ_TT_I8)
                    : fl_pq_thrift_skip(&c->tr, et);
        }
        return e ? e : FL_ERR_NOTFOUND;
    }
    return FL_OK;
}

#define FOR_FIELDS(c, st, id, t)                                                                   \
    for (fl_err_t e_ = fl_pq_thrift_struct_begin(&(c)->tr, &(st));                                 \
         !e_ && !(e_ = fl_pq_thrift_field_next(&(c)->tr, &(st), &(id), &(t))) &&                   \
         (t) != FL_PQ_TT_STOP;)

/* ---- Statistics, KeyValue ---- */

static fl_err_t parse_stats(struct ctx *c, struct fl_pq_stats *s) {
    struct fl_pq_thrift_struct st;
    int16_t id;
    int t;
    struct fl_pq_thrift_reader *tr = &c->tr;
    FOR_FIELDS(c, st, id, t) {
        switch (id) {
        case 1:
            s->has_max = !read_bin(c, t, &s->max);
            break;
        case 2:
            s->has_min = !read_bin(c, t, &s->min);
            break;
        case 3:
            s->has_null_count = !fl_pq_thrift_read_i64(tr, t, &s->null_count);
            break;
        case 4:
            s->has_distinct_count = !fl_pq_thrift_read_i64(tr, t, &s->distinct_count);
            break;
        case 5:
            s->has_max_value = !read_bin(c, t, &s->max_value);
            break;
        case 6:
            s->has_min_value = !read_bin(c, t, &s->min_value);
            break;
        case 7:
            s->has_is_max_exact = !fl_pq_thrift_read_bool(tr, t, &s->is_max_value_exact);
            break;
        case 8:
            s->has_is_min_exact = !fl_pq_thrift_read_bool(tr, t, &s->is_min_value_exact);
            break;
        case 9:
            s->has_nan_count = !fl_pq_thrift_read_i64(tr, t, &s->nan_count);
            break;
        default:
            fl_pq_thrift_skip(tr, t);
        }
    }
    return tr->code;
}

static fl_err_t parse_kv(struct ctx *c, struct fl_pq_kv *kv) {
    struct fl_pq_thrift_struct st;
    int16_t id;
    int t;
    bool has_key = false;
    FOR_FIELDS(c, st, id, t) {
        if (id == 1)
            has_key = !read_string(c, t, &kv->key, &kv->key_len);
        else if (id == 2)
            read_string(c, t, &kv->value, &kv->value_len);
        else
            fl_pq_thrift_skip(&c->tr, t);
    }
    if (!c->tr.code && !has_key) return missing(c, "KeyValue", "key");
    return c->tr.code;
}

static fl_err_t parse_kv_list(struct ctx *c, int t, struct fl_pq_kv **out, int *n) {
    uint32_t cnt;
    if (list_of(c, t, FL_PQ_TT_STRUCT, &cnt)) return c->tr.code;
    struct fl_pq_kv *kv = alloc_array(c, cnt, sizeof(*kv));
    if (!kv) return limit(c);
    for (uint32_t i = 0; i < cnt; i++)
        if (parse_kv(c, &kv[i])) return c->tr.code;
    *out = kv;
    *n = (int)cnt;
    return FL_OK;
}

/* ---- SchemaElement and LogicalType ---- */

static fl_err_t parse_time_unit(struct ctx *c, int t, int *unit) {
    struct fl_pq_thrift_struct st;
    int16_t id;
    if (t != FL_PQ_TT_STRUCT) return fl_pq_thrift_skip(&c->tr, t) ? c->tr.code : FL_ERR_NOTFOUND;
    FOR_FIELDS(c, st, id, t) {
        if (id >= 1 && id <= 3) *unit = id;
        fl_pq_thrift_skip(&c->tr, t);
    }
    return c->tr.code;
}

static fl_err_t parse_logical_member(struct ctx *c, int16_t kind, struct fl_pq_logical *lt) {
    struct fl_pq_thrift_struct st;
    int16_t id;
    int t;
    struct fl_pq_thrift_reader *tr = &c->tr;
    bool has_a = false, has_b = false;
    FOR_FIELDS(c, st, id, t) {
        if (kind == FL_PQ_LT_DECIMAL && id == 1)
            has_a = !fl_pq_thrift_read_i32(tr, t, &lt->scale);
        else if (kind == FL_PQ_LT_DECIMAL && id == 2)
            has_b = !fl_pq_thrift_read_i32(tr, t, &lt->precision);
        else if ((kind == FL_PQ_LT_TIME || kind == FL_PQ_LT_TIMESTAMP) && id == 1)
            has_a = !fl_pq_thrift_read_bool(tr, t, &lt->utc);
        else if ((kind == FL_PQ_LT_TIME || kind == FL_PQ_LT_TIMESTAMP) && id == 2)
            has_b = !parse_time_unit(c, t, &lt->unit);
        else if (kind == FL_PQ_LT_INTEGER && id == 1) {
            int8_t w;
            has_a = !fl_pq_thrift_read_i8(tr, t, &w);
            lt->bit_width = w;
        } else if (kind == FL_PQ_LT_INTEGER && id == 2)
            has_b = !fl_pq_thrift_read_bool(tr, t, &lt->is_signed);
        else
            fl_pq_thrift_skip(tr, t);
    }
    if (tr->code) return tr->code;
    if ((kind == FL_PQ_LT_DECIMAL || kind == FL_PQ_LT_TIME || kind == FL_PQ_LT_TIMESTAMP ||
         kind == FL_PQ_LT_INTEGER) &&
        !(has_a && has_b))
        return missing(c, "LogicalType", "parameters");
    return FL_OK;
}

static fl_err_t parse_logical(struct ctx *c, int t, struct fl_pq_logical *lt) {
    struct fl_pq_thrift_struct st;
    int16_t id;
    if (t != FL_PQ_TT_STRUCT) return fl_pq_thrift_skip(&c->tr, t) ? c->tr.code : FL_ERR_NOTFOUND;
    FOR_FIELDS(c, st, id, t) {
        bool known = (id >= 1 && id <= 8) || (id >= 10 && id <= 19);
        if (known && t == FL_PQ_TT_STRUCT) {
            lt->kind = id;
            parse_logical_member(c, id, lt);
        } else {
            /* A union member from a newer spec: the type stays unknown and
             * the reader falls back to the physical type. */
            if (lt->kind == FL_PQ_LT_NONE) lt->kind = FL_PQ_LT_OTHER;
            fl_pq_thrift_skip(&c->tr, t);
        }
    }
    return c->tr.code;
}

static fl_err_t parse_schema_elem(struct ctx *c, struct fl_pq_schema_elem *el) {
    struct fl_pq_thrift_struct st;
    int16_t id;
    int t;
    struct fl_pq_thrift_reader *tr = &c->tr;
    bool has_name = false;
    FOR_FIELDS(c, st, id, t) {
        switch (id) {
        case 1:
            el->has_type = !read_enum(c, t, &el->type);
            break;
        case 2:
            el->has_type_length = !fl_pq_thrift_read_i32(tr, t, &el->type_length);
            break;
        case 3:
            el->has_repetition = !read_enum(c, t, &el->repetition);
            break;
        case 4:
            has_name = !read_string(c, t, &el->name, NULL);
            break;
        case 5:
            el->has_num_children = !fl_pq_thrift_read_i32(tr, t, &el->num_children);
            break;
        case 6:
            el->has_converted = !read_enum(c, t, &el->converted);
            break;
        case 7:
            el->has_scale = !fl_pq_thrift_read_i32(tr, t, &el->scale);
            break;
        case 8:
            el->has_precision = !fl_pq_thrift_read_i32(tr, t, &el->precision);
            break;
        case 9:
            el->has_field_id = !fl_pq_thrift_read_i32(tr, t, &el->field_id);
            break;
        case 10:
            parse_logical(c, t, &el->logical);
            break;
        default:
            fl_pq_thrift_skip(tr, t);
        }
    }
    if (tr->code) return tr->code;
    if (!has_name) return missing(c, "SchemaElement", "name");
    if (el->has_type && (el->type < 0 || el->type > FL_PQ_FIXED_LEN_BYTE_ARRAY))
        return fl_pq_thrift_fail(tr, "SchemaElement with an unknown physical type");
    if (el->has_repetition && (el->repetition < 0 || el->repetition > FL_PQ_REPEATED))
        return fl_pq_thrift_fail(tr, "SchemaElement with an unknown repetition");
    if (el->has_num_children && el->num_children < 0)
        return fl_pq_thrift_fail(tr, "SchemaElement with a negative num_children");
    return FL_OK;
}

/* ---- ColumnMetaData, ColumnChunk, RowGroup ---- */

static fl_err_t parse_col_meta(struct ctx *c, struct fl_pq_col_meta *m) {
    struct fl_pq_thrift_struct st;
    int16_t id;
    int t;
    struct fl_pq_thrift_reader *tr = &c->tr;
    unsigned have = 0;
    uint32_t n;
    m->bloom_filter_length = -1;
    FOR_FIELDS(c, st, id, t) {
        switch (id) {
        case 1:
            if (!read_enum(c, t, &m->type)) have |= 1;
            break;
        case 2:
            if (list_of(c, t, FL_PQ_TT_I32, &n)) break;
            m->encodings = alloc_array(c, n, sizeof(int));
            if (!m->encodings) {
                limit(c);
                break;
            }
            for (uint32_t i = 0; i < n; i++) read_enum(c, FL_PQ_TT_I32, &m->encodings[i]);
            m->nencodings = (int)n;
            have |= 2;
            break;
        case 3:
            if (list_of(c, t, FL_PQ_TT_BINARY, &n)) break;
            m->path = alloc_array(c, n, sizeof(char *));
            if (!m->path) {
                limit(c);
                break;
            }
            for (uint32_t i = 0; i < n; i++) read_string(c, FL_PQ_TT_BINARY, &m->path[i], NULL);
            m->npath = (int)n;
            have |= 4;
            break;
        case 4:
            if (!read_enum(c, t, &m->codec)) have |= 8;
            break;
        case 5:
            if (!fl_pq_thrift_read_i64(tr, t, &m->num_values)) have |= 16;
            break;
        case 6:
            if (!fl_pq_thrift_read_i64(tr, t, &m->total_uncompressed_size)) have |= 32;
            break;
        case 7:
            if (!fl_pq_thrift_read_i64(tr, t, &m->total_compressed_size)) have |= 64;
            break;
        case 8:
            parse_kv_list(c, t, &m->kv, &m->nkv);
            break;
        case 9:
            if (!fl_pq_thrift_read_i64(tr, t, &m->data_page_offset)) have |= 128;
            break;
        case 10:
            m->has_index_page_offset = !fl_pq_thrift_read_i64(tr, t, &m->index_page_offset);
            break;
        case 11:
            m->has_dictionary_page_offset =
                !fl_pq_thrift_read_i64(tr, t, &m->dictionary_page_offset);
            break;
        case 12:
            if (t != FL_PQ_TT_STRUCT) {
                fl_pq_thrift_skip(tr, t);
                break;
            }
            m->has_stats = !parse_stats(c, &m->stats);
            break;
        case 14:
            m->has_bloom_filter = !fl_pq_thrift_read_i64(tr, t, &m->bloom_filter_offset);
            break;
        case 15:
            fl_pq_thrift_read_i32(tr, t, &m->bloom_filter_length);
            break;
        default:
            fl_pq_thrift_skip(tr, t);
        }
    }
    if (tr->code) return tr->code;
    static const char *names[] = {"type",
                                  "encodings",
                                  "path_in_schema",
                                  "codec",
                                  "num_values",
                                  "total_uncompressed_size",
                                  "total_compressed_size",
                                  "data_page_offset"};
    for (int i = 0; i < 8; i++)
        if (!(have & (1u << i))) return missing(c, "ColumnMetaData", names[i]);
    return FL_OK;
}

static fl_err_t parse_column_chunk(struct ctx *c, struct fl_pq_column_chunk *cc) {
    struct fl_pq_thrift_struct st;
    int16_t id;
    int t;
    struct fl_pq_thrift_reader *tr = &c->tr;
    FOR_FIELDS(c, st, id, t) {
        switch (id) {
        case 1:
            read_string(c, t, &cc->file_path, NULL);
            break;
        case 2:
            fl_pq_thrift_read_i64(tr, t, &cc->file_offset);
            break;
        case 3:
            if (t != FL_PQ_TT_STRUCT) {
                fl_pq_thrift_skip(tr, t);
                break;
            }
            cc->has_meta_data = !parse_col_meta(c, &cc->meta);
            break;
        case 4:
            cc->has_offset_index = !fl_pq_thrift_read_i64(tr, t, &cc->offset_index_offset);
            break;
        case 5:
            fl_pq_thrift_read_i32(tr, t, &cc->offset_index_length);
            break;
        case 6:
            cc->has_column_index = !fl_pq_thrift_read_i64(tr, t, &cc->column_index_offset);
            break;
        case 7:
            fl_pq_thrift_read_i32(tr, t, &cc->column_index_length);
            break;
        case 8:
        case 9:
            cc->encrypted = true;
            fl_pq_thrift_skip(tr, t);
            break;
        default:
            fl_pq_thrift_skip(tr, t);
        }
    }
    /* file_offset is required in the IDL but deprecated and left out by
     * some writers; nothing here depends on it. */
    return tr->code;
}

static fl_err_t parse_row_group(struct ctx *c, struct fl_pq_row_group *rg) {
    struct fl_pq_thrift_struct st;
    int16_t id;
    int t;
    struct fl_pq_thrift_reader *tr = &c->tr;
    bool has_cols = false, has_rows = false;
    uint32_t n;
    FOR_FIELDS(c, st, id, t) {
        switch (id) {
        case 1:
            if (list_of(c, t, FL_PQ_TT_STRUCT, &n)) break;
            rg->columns = alloc_array(c, n, sizeof(*rg->columns));
            if (!rg->columns) {
                limit(c);
                break;
            }
            for (uint32_t i = 0; i < n; i++)
                if (parse_column_chunk(c, &rg->columns[i])) break;
            rg->ncolumns = (int)n;
            has_cols = true;
            break;
        case 2:
            fl_pq_thrift_read_i64(tr, t, &rg->total_byte_size);
            break;
        case 3:
            has_rows = !fl_pq_thrift_read_i64(tr, t, &rg->num_rows);
            break;
        case 4:
            if (list_of(c, t, FL_PQ_TT_STRUCT, &n)) break;
            for (uint32_t i = 0; i < n; i++) fl_pq_thrift_skip(tr, FL_PQ_TT_STRUCT);
            rg->nsorting_columns = (int)n;
            break;
        case 5:
            rg->has_file_offset = !fl_pq_thrift_read_i64(tr, t, &rg->file_offset);
            break;
        case 6:
            rg->has_total_compressed_size =
                !fl_pq_thrift_read_i64(tr, t, &rg->total_compressed_size);
            break;
        case 7:
            rg->has_ordinal = !fl_pq_thrift_read_i16(tr, t, &rg->ordinal);
            break;
        default:
            fl_pq_thrift_skip(tr, t);
        }
    }
    if (tr->code) return tr->code;
    if (!has_cols) return missing(c, "RowGroup", "columns");
    if (!has_rows) return missing(c, "RowGroup", "num_rows");
    if (rg->num_rows < 0) return fl_pq_thrift_fail(tr, "RowGroup with negative num_rows");
    return FL_OK;
}

/* ---- FileMetaData ---- */

static fl_err_t parse_column_orders(struct ctx *c, int t, struct fl_pq_file_meta *m) {
    uint32_t n;
    if (list_of(c, t, FL_PQ_TT_STRUCT, &n)) return c->tr.code;
    m->column_orders = alloc_array(c, n, sizeof(int));
    if (!m->column_orders) return limit(c);
    m->ncolumn_orders = (int)n;
    for (uint32_t i = 0; i < n; i++) {
        struct fl_pq_thrift_struct st;
        int16_t id;
        int ft;
        FOR_FIELDS(c, st, id, ft) {
            if (id == 1) m->column_orders[i] = 1;
            fl_pq_thrift_skip(&c->tr, ft);
        }
        if (c->tr.code) return c->tr.code;
    }
    return FL_OK;
}

/* Walks the children of schema[parent]; *idx is the next element. */
static fl_err_t walk_schema(struct ctx *c, struct fl_pq_file_meta *m, int parent, int *idx,
                            int depth, int16_t def, int16_t rep, int top, int top_elem,
                            const char *prefix) {
    const struct fl_pq_schema_elem *pe = &m->schema[parent];
    int nchild = pe->num_children;
    if (depth > 64) return fl_pq_thrift_fail(&c->tr, "schema nested too deeply");
    for (int k = 0; k < nchild; k++) {
        if (*idx >= m->nschema)
            return fl_pq_thrift_fail(&c->tr, "schema num_children exceeds its elements");
        int i = (*idx)++;
        const struct fl_pq_schema_elem *el = &m->schema[i];
        int16_t d = def, r = rep;
        int rt = el->has_repetition ? el->repetition : FL_PQ_REQUIRED;
        if (rt != FL_PQ_REQUIRED) d++;
        if (rt == FL_PQ_REPEATED) r++;
        int tp = depth == 1 ? k : top;
        int tpe = depth == 1 ? i : top_elem;
        if (depth == 1) m->ntop++;
        size_t plen = (prefix ? strlen(prefix) + 1 : 0) + strlen(el->name) + 1;
        char *path = arena_alloc(c->a, plen);
        if (!path) return limit(c);
        snprintf(path, plen, "%s%s%s", prefix ? prefix : "", prefix ? "." : "", el->name);
        bool group = el->has_num_children && (el->num_children > 0 || !el->has_type);
        if (group) {
            fl_err_t e = walk_schema(c, m, i, idx, depth + 1, d, r, tp, tpe, path);
            if (e) return e;
        } else {
            if (!el->has_type) return fl_pq_thrift_fail(&c->tr, "schema leaf without a type");
            struct fl_pq_leaf *lf = &m->leaves[m->nleaves++];
            lf->elem = i;
            lf->top = tp;
            lf->max_def = d;
            lf->max_rep = r;
            lf->depth = depth;
            lf->path = path;
            lf->top_elem = tpe;
        }
    }
    return FL_OK;
}

static fl_err_t derive_schema(struct ctx *c, struct fl_pq_file_meta *m) {
    if (m->nschema < 1) return fl_pq_thrift_fail(&c->tr, "FileMetaData with an empty schema");
    m->leaves = alloc_array(c, (uint32_t)m->nschema, sizeof(*m->leaves));
    if (!m->leaves) return limit(c);
    if (!m->schema[0].has_num_children) {
        if (m->nschema > 1) return fl_pq_thrift_fail(&c->tr, "schema root without num_children");
        return FL_OK;
    }
    int idx = 1;
    fl_err_t e = walk_schema(c, m, 0, &idx, 1, 0, 0, 0, 0, NULL);
    if (e) return e;
    if (idx != m->nschema) return fl_pq_thrift_fail(&c->tr, "schema has elements outside its tree");
    return FL_OK;
}

static fl_err_t parse_file_meta(struct ctx *c, struct fl_pq_file_meta *m) {
    struct fl_pq_thrift_struct st;
    int16_t id;
    int t;
    struct fl_pq_thrift_reader *tr = &c->tr;
    bool has_version = false, has_schema = false, has_rows = false, has_rgs = false;
    uint32_t n;
    FOR_FIELDS(c, st, id, t) {
        switch (id) {
        case 1:
            has_version = !fl_pq_thrift_read_i32(tr, t, &m->version);
            break;
        case 2:
            if (list_of(c, t, FL_PQ_TT_STRUCT, &n)) break;
            m->schema = alloc_array(c, n, sizeof(*m->schema));
            if (!m->schema) {
                limit(c);
                break;
            }
            for (uint32_t i = 0; i < n; i++)
                if (parse_schema_elem(c, &m->schema[i])) break;
            m->nschema = (int)n;
            has_schema = true;
            break;
        case 3:
            has_rows = !fl_pq_thrift_read_i64(tr, t, &m->num_rows);
            break;
        case 4:
            if (list_of(c, t, FL_PQ_TT_STRUCT, &n)) break;
            m->row_groups = alloc_array(c, n, sizeof(*m->row_groups));
            if (!m->row_groups) {
                limit(c);
                break;
            }
            for (uint32_t i = 0; i < n; i++)
                if (parse_row_group(c, &m->row_groups[i])) break;
            m->nrow_groups = (int)n;
            has_rgs = true;
            break;
        case 5:
            parse_kv_list(c, t, &m->kv, &m->nkv);
            break;
        case 6:
            read_string(c, t, &m->created_by, NULL);
            break;
        case 7:
            parse_column_orders(c, t, m);
            break;
        case 8:
            m->encrypted = true;
            fl_pq_thrift_skip(tr, t);
            break;
        default:
            fl_pq_thrift_skip(tr, t);
        }
    }
    if (tr->code) return tr->code;
    if (!has_version) return missing(c, "FileMetaData", "version");
    if (!has_schema) return missing(c, "FileMetaData", "schema");
    if (!has_rows) return missing(c, "FileMetaData", "num_rows");
    if (!has_rgs) return missing(c, "FileMetaData", "row_groups");
    if (m->num_rows < 0) return fl_pq_thrift_fail(tr, "FileMetaData with negative num_rows");
    fl_err_t e = derive_schema(c, m);
    if (e) return e;
    for (int i = 0; i < m->nrow_groups; i++)
        if (m->row_groups[i].ncolumns != m->nleaves) {
            char msg[160];
            snprintf(msg, sizeof(msg), "row group %d has %d column chunks for %d schema columns", i,
                     m->row_groups[i].ncolumns, m->nleaves);
            return fl_pq_thrift_fail(tr, msg);
        }
    return FL_OK;
}

fl_err_t fl_pq_file_meta_parse(const uint8_t *data, size_t len, int64_t base,
                               struct fl_pq_file_meta **out, struct fl_error *err) {
    struct ctx c;
    fl_pq_thrift_reader_init(&c.tr, data, len, base, err);
    c.a = arena_new(len);
    struct fl_pq_file_meta *m = arena_alloc(c.a, sizeof(*m));
    fl_err_t e = m ? parse_file_meta(&c, m) : limit(&c);
    if (e) {
        arena_free(c.a);
        fl_err_prefix(err, "parquet footer");
        return e;
    }
    m->arena = c.a;
    *out = m;
    return FL_OK;
}

void fl_pq_file_meta_free(struct fl_pq_file_meta *meta) {
    if (meta) arena_free(meta->arena);
}

/* ---- PageHeader ---- */

static fl_err_t parse_data_page_header(struct ctx *c, struct fl_pq_data_page_header *h) {
    struct fl_pq_thrift_struct st;
    int16_t id;
    int t;
    unsigned have = 0;
    FOR_FIELDS(c, st, id, t) {
        switch (id) {
        case 1:
            if (!fl_pq_thrift_read_i32(&c->tr, t, &h->num_values)) have |= 1;
            break;
        case 2:
            if (!read_enum(c, t, &h->encoding)) have |= 2;
            break;
        case 3:
            if (!read_enum(c, t, &h->def_encoding)) have |= 4;
            break;
        case 4:
            if (!read_enum(c, t, &h->rep_encoding)) have |= 8;
            break;
        default:
            fl_pq_thrift_skip(&c->tr, t);
        }
    }
    if (!c->tr.code && have != 15) return missing(c, "DataPageHeader", "fields");
    return c->tr.code;
}

static fl_err_t parse_dict_page_header(struct ctx *c, struct fl_pq_dict_page_header *h) {
    struct fl_pq_thrift_struct st;
    int16_t id;
    int t;
    unsigned have = 0;
    FOR_FIELDS(c, st, id, t) {
        switch (id) {
        case 1:
            if (!fl_pq_thrift_read_i32(&c->tr, t, &h->num_values)) have |= 1;
            break;
        case 2:
            if (!read_enum(c, t, &h->encoding)) have |= 2;
            break;
        case 3:
            fl_pq_thrift_read_bool(&c->tr, t, &h->is_sorted);
            break;
        default:
            fl_pq_thrift_skip(&c->tr, t);
        }
    }
    if (!c->tr.code && have != 3) return missing(c, "DictionaryPageHeader", "fields");
    return c->tr.code;
}

static fl_err_t parse_data_page_header_v2(struct ctx *c, struct fl_pq_data_page_header_v2 *h) {
    struct fl_pq_thrift_struct st;
    int16_t id;
    int t;
    unsigned have = 0;
    struct fl_pq_thrift_reader *tr = &c->tr;
    h->is_compressed = true;
    FOR_FIELDS(c, st, id, t) {
        switch (id) {
        case 1:
            if (!fl_pq_thrift_read_i32(tr, t, &h->num_values)) have |= 1;
            break;
        case 2:
            if (!fl_pq_thrift_read_i32(tr, t, &h->num_nulls)) have |= 2;
            break;
        case 3:
            if (!fl_pq_thrift_read_i32(tr, t, &h->num_rows)) have |= 4;
            break;
        case 4:
            if (!read_enum(c, t, &h->encoding)) have |= 8;
            break;
        case 5:
            if (!fl_pq_thrift_read_i32(tr, t, &h->def_levels_byte_length)) have |= 16;
            break;
        case 6:
            if (!fl_pq_thrift_read_i32(tr, t, &h->rep_levels_byte_length)) have |= 32;
            break;
        case 7:
            fl_pq_thrift_read_bool(tr, t, &h->is_compressed);
            break;
        default:
            fl_pq_thrift_skip(tr, t);
        }
    }
    if (!tr->code && have != 63) return missing(c, "DataPageHeaderV2", "fields");
    return tr->code;
}

fl_err_t fl_pq_page_header_parse(const uint8_t *data, size_t len, int64_t base,
                                 struct fl_pq_page_header *h, size_t *hdr_len,
                                 struct fl_error *err) {
    struct ctx c;
    struct fl_pq_thrift_struct st;
    int16_t id;
    int t;
    unsigned have = 0;
    memset(h, 0, sizeof(*h));
    fl_pq_thrift_reader_init(&c.tr, data, len, base, err);
    c.a = NULL;
    struct fl_pq_thrift_reader *tr = &c.tr;
    FOR_FIELDS(&c, st, id, t) {
        switch (id) {
        case 1:
            if (!read_enum(&c, t, &h->type)) have |= 1;
            break;
        case 2:
            if (!fl_pq_thrift_read_i32(tr, t, &h->uncompressed_page_size)) have |= 2;
            break;
        case 3:
            if (!fl_pq_thrift_read_i32(tr, t, &h->compressed_page_size)) have |= 4;
            break;
        case 4: {
            int32_t crc;
            h->has_crc = !fl_pq_thrift_read_i32(tr, t, &crc);
            h->crc = (uint32_t)crc;
            break;
        }
        case 5:
            if (t != FL_PQ_TT_STRUCT) {
                fl_pq_thrift_skip(tr, t);
                break;
            }
            h->has_data = !parse_data_page_header(&c, &h->data);
            break;
        case 7:
            if (t != FL_PQ_TT_STRUCT) {
                fl_pq_thrift_skip(tr, t);
                break;
            }
            h->has_dict = !parse_dict_page_header(&c, &h->dict);
            break;
        case 8:
            if (t != FL_PQ_TT_STRUCT) {
                fl_pq_thrift_skip(tr, t);
                break;
            }
            h->has_data_v2 = !parse_data_page_header_v2(&c, &h->data_v2);
            break;
        default:
            fl_pq_thrift_skip(tr, t);
        }
    }
    if (!tr->code && have != 7) missing(&c, "PageHeader", "type/sizes");
    if (!tr->code && (h->uncompressed_page_size < 0 || h->compressed_page_size < 0))
        fl_pq_thrift_fail(tr, "PageHeader with a negative size");
    if (tr->code) return tr->code;
    *hdr_len = fl_pq_thrift_reader_pos(tr);
    return FL_OK;
}

/* ---- ColumnIndex, OffsetIndex ---- */

static fl_err_t parse_bin_list(struct ctx *c, int t, struct fl_pq_bin **out, uint32_t *n) {
    fl_err_t e = list_of(c, t, FL_PQ_TT_BINARY, n);
    if (e) return e;
    *out = alloc_array(c, *n, sizeof(**out));
    if (!*out) return limit(c);
    for (uint32_t i = 0; i < *n; i++)
        if (read_bin(c, FL_PQ_TT_BINARY, &(*out)[i])) return c->tr.code;
    return FL_OK;
}

fl_err_t fl_pq_column_index_parse(const uint8_t *data, size_t len, int64_t base,
                                  struct fl_pq_column_index **out, struct fl_error *err) {
    struct ctx c;
    struct fl_pq_thrift_struct st;
    int16_t id;
    int t;
    uint32_t n, nnull = 0, nmin = 0, nmax = 0, ncnt = 0;
    unsigned have = 0;
    fl_pq_thrift_reader_init(&c.tr, data, len, base, err);
    c.a = arena_new(len);
    struct fl_pq_column_index *ci = arena_alloc(c.a, sizeof(*ci));
    if (!ci)
        limit(&c);
    else
        FOR_FIELDS(&c, st, id, t) {
            switch (id) {
            case 1:
                if (list_of(&c, t, FL_PQ_TT_BOOL_TRUE, &n)) break;
                ci->null_pages = alloc_array(&c, n, sizeof(bool));
                if (!ci->null_pages) {
                    limit(&c);
                    break;
                }
                for (uint32_t i = 0; i < n; i++)
                    fl_pq_thrift_read_list_bool(&c.tr, &ci->null_pages[i]);
                nnull = n;
                have |= 1;
                break;
            case 2:
                if (!parse_bin_list(&c, t, &ci->min_values, &nmin)) have |= 2;
                break;
            case 3:
                if (!parse_bin_list(&c, t, &ci->max_values, &nmax)) have |= 4;
                break;
            case 4:
                if (!read_enum(&c, t, &ci->boundary_order)) have |= 8;
                break;
            case 5:
                if (list_of(&c, t, FL_PQ_TT_I64, &n)) break;
                ci->null_counts = alloc_array(&c, n, sizeof(int64_t));
                if (!ci->null_counts) {
                    limit(&c);
                    break;
                }
                for (uint32_t i = 0; i < n; i++)
                    fl_pq_thrift_read_i64(&c.tr, FL_PQ_TT_I64, &ci->null_counts[i]);
                ncnt = n;
                break;
            default:
                fl_pq_thrift_skip(&c.tr, t);
            }
        }
    if (!c.tr.code && have != 15) missing(&c, "ColumnIndex", "fields");
    if (!c.tr.code && (nmin != nnull || nmax != nnull || (ci->null_counts && ncnt != nnull)))
        fl_pq_thrift_fail(&c.tr, "ColumnIndex lists of different lengths");
    if (c.tr.code) {
        arena_free(c.a);
        fl_err_prefix(err, "parquet column index");
        return c.tr.code;
    }
    ci->npages = (int)nnull;
    ci->arena = c.a;
    *out = ci;
    return FL_OK;
}

void fl_pq_column_index_free(struct fl_pq_column_index *ci) {
    if (ci) arena_free(ci->arena);
}

static fl_err_t parse_page_location(struct ctx *c, struct fl_pq_page_location *pl) {
    struct fl_pq_thrift_struct st;
    int16_t id;
    int t;
    unsigned have = 0;
    FOR_FIELDS(c, st, id, t) {
        switch (id) {
        case 1:
            if (!fl_pq_thrift_read_i64(&c->tr, t, &pl->offset)) have |= 1;
            break;
        case 2:
            if (!fl_pq_thrift_read_i32(&c->tr, t, &pl->compressed_page_size)) have |= 2;
            break;
        case 3:
            if (!fl_pq_thrift_read_i64(&c->tr, t, &pl->first_row_index)) have |= 4;
            break;
        default:
            fl_pq_thrift_skip(&c->tr, t);
        }
    }
    if (!c->tr.code && have != 7) return missing(c, "PageLocation", "fields");
    return c->tr.code;
}

fl_err_t fl_pq_offset_index_parse(const uint8_t *data, size_t len, int64_t base,
                                  struct fl_pq_offset_index **out, struct fl_error *err) {
    struct ctx c;
    struct fl_pq_thrift_struct st;
    int16_t id;
    int t;
    uint32_t n;
    bool has_pages = false;
    fl_pq_thrift_reader_init(&c.tr, data, len, base, err);
    c.a = arena_new(len);
    struct fl_pq_offset_index *oi = arena_alloc(c.a, sizeof(*oi));
    if (!oi)
        limit(&c);
    else
        FOR_FIELDS(&c, st, id, t) {
            if (id == 1) {
                if (list_of(&c, t, FL_PQ_TT_STRUCT, &n)) break;
                oi->pages = alloc_array(&c, n, sizeof(*oi->pages));
                if (!oi->pages) {
                    limit(&c);
                    break;
                }
                for (uint32_t i = 0; i < n; i++)
                    if (parse_page_location(&c, &oi->pages[i])) break;
                oi->npages = (int)n;
                has_pages = true;
            } else {
                fl_pq_thrift_skip(&c.tr, t);
            }
        }
    if (!c.tr.code && !has_pages) missing(&c, "OffsetIndex", "page_locations");
    if (c.tr.code) {
        arena_free(c.a);
        fl_err_prefix(err, "parquet offset index");
        return c.tr.code;
    }
    oi->arena = c.a;
    *out = oi;
    return FL_OK;
}

void fl_pq_offset_index_free(struct fl_pq_offset_index *oi) {
    if (oi) arena_free(oi->arena);
}

/* ---- names ---- */

const char *fl_pq_type_name(int type) {
    static const char *n[] = {"BOOLEAN", "INT32",  "INT64",      "INT96",
                              "FLOAT",   "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
    return type >= 0 && type <= 7 ? n[type] : "UNKNOWN";
}

const char *fl_pq_encoding_name(int enc, char *scratch, size_t n) {
    static const char *names[] = {"PLAIN",
                                  "GROUP_VAR_INT",
                                  "PLAIN_DICTIONARY",
                                  "RLE",
                                  "BIT_PACKED",
                                  "DELTA_BINARY_PACKED",
                                  "DELTA_LENGTH_BYTE_ARRAY",
                                  "DELTA_BYTE_ARRAY",
                                  "RLE_DICTIONARY",
                                  "BYTE_STREAM_SPLIT",
                                  "ALP"};
    if (enc >= 0 && enc <= 10) return names[enc];
    snprintf(scratch, n, "UNKNOWN(%d)", enc);
    return scratch;
}

const char *fl_pq_converted_name(int ct) {
    static const char *n[] = {"UTF8",
                              "MAP",
                              "MAP_KEY_VALUE",
                              "LIST",
                              "ENUM",
                              "DECIMAL",
                              "DATE",
                              "TIME_MILLIS",
                              "TIME_MICROS",
                              "TIMESTAMP_MILLIS",
                              "TIMESTAMP_MICROS",
                              "UINT_8",
                              "UINT_16",
                              "UINT_32",
                              "UINT_64",
                              "INT_8",
                              "INT_16",
                              "INT_32",
                              "INT_64",
                              "JSON",
                              "BSON",
                              "INTERVAL"};
    return ct >= 0 && ct <= 21 ? n[ct] : "UNKNOWN";
}

static const char *unit_name(int unit) {
    return unit == FL_PQ_UNIT_MILLIS   ? "MILLIS"
           : unit == FL_PQ_UNIT_MICROS ? "MICROS"
           : unit == FL_PQ_UNIT_NANOS  ? "NANOS"
                                       : "?";
}

/* Logical type text, or the converted type's name, or "" */
static void logical_text(const struct fl_pq_schema_elem *el, char *out, size_t n) {
    const struct fl_pq_logical *lt = &el->logical;
    static const char *simple[] = {NULL,      "STRING",  "MAP",      "LIST",      "ENUM",
                                   NULL,      "DATE",    NULL,       NULL,        NULL,
                                   NULL,      "UNKNOWN", "JSON",     "BSON",      "UUID",
                                   "FLOAT16", "VARIANT", "GEOMETRY", "GEOGRAPHY", "FILE"};
    out[0] = 0;
    switch (lt->kind) {
    case FL_PQ_LT_NONE:
        if (el->has_converted) {
            if (el->converted == FL_PQ_CT_DECIMAL)
                snprintf(out, n, "DECIMAL(%d,%d)", el->precision, el->scale);
            else
                snprintf(out, n, "%s", fl_pq_converted_name(el->converted));
        }
        return;
    case FL_PQ_LT_DECIMAL:
        snprintf(out, n, "DECIMAL(%d,%d)", lt->precision, lt->scale);
        return;
    case FL_PQ_LT_TIME:
    case FL_PQ_LT_TIMESTAMP:
        snprintf(out, n, "%s(%s,%s)", lt->kind == FL_PQ_LT_TIME ? "TIME" : "TIMESTAMP",
                 unit_name(lt->unit), lt->utc ? "true" : "false");
        return;
    case FL_PQ_LT_INTEGER:
        snprintf(out, n, "INTEGER(%d,%s)", lt->bit_width, lt->is_signed ? "true" : "false");
        return;
    case FL_PQ_LT_OTHER:
        snprintf(out, n, "UNKNOWN_LOGICAL_TYPE");
        return;
    default:
        if (lt->kind > 0 && lt->kind < 20 && simple[lt->kind])
            snprintf(out, n, "%s", simple[lt->kind]);
        return;
    }
}

/* ---- JSON helpers ---- */

static size_t utf8_char(const uint8_t *s, size_t n) {
    uint8_t c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80) return 1;
    if ((c & 0xe0) == 0xc0)
        len = 2, cp = c & 0x1f;
    else if ((c & 0xf0) == 0xe0)
        len = 3, cp = c & 0x0f;
    else if ((c & 0xf8) == 0xf0)
        len = 4, cp = c & 0x07;
    else
        return 0;
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

static bool utf8_valid(const uint8_t *s, size_t n) {
    for (size_t i = 0; i < n;) {
        size_t k = utf8_char(s + i, n - i);
        if (!k) return false;
        i += k;
    }
    return true;
}

/* A JSON string; invalid UTF-8 bytes become U+FFFD. */
static fl_err_t json_str(struct fl_buf *out, const void *data, size_t n) {
    const uint8_t *s = data;
    fl_err_t e = fl_buf_append_u8(out, '"');
    for (size_t i = 0; i < n && !e;) {
        uint8_t c = s[i];
        size_t k = utf8_char(s + i, n - i);
        if (!k) {
            e = fl_buf_append_str(out, "\\ufffd");
            i++;
        } else if (c == '"' || c == '\\') {
            e = fl_buf_append_u8(out, '\\');
            if (!e) e = fl_buf_append_u8(out, c);
            i++;
        } else if (c < 0x20) {
            e = fl_buf_printf(out, "\\u%04x", c);
            i++;
        } else {
            e = fl_buf_append(out, s + i, k);
            i += k;
        }
    }
    if (!e) e = fl_buf_append_u8(out, '"');
    return e;
}

static fl_err_t json_hex(struct fl_buf *out, const uint8_t *d, size_t n) {
    fl_err_t e = fl_buf_append_str(out, "\"0x");
    for (size_t i = 0; i < n && !e; i++) e = fl_buf_printf(out, "%02x", d[i]);
    if (!e) e = fl_buf_append_u8(out, '"');
    return e;
}

/* Decimal text of v with scale digits after the point. */
static void fmt_decimal(__int128 v, int scale, char *out, size_t n) {
    char digits[64];
    int nd = 0;
    bool neg = v < 0;
    unsigned __int128 u = neg ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
    do {
        digits[nd++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u && nd < 60);
    if (scale < 0 || scale > 60) scale = 0;
    while (nd <= scale) digits[nd++] = '0';
    size_t o = 0;
    if (neg && o + 1 < n) out[o++] = '-';
    for (int i = nd - 1; i >= 0 && o + 2 < n; i--) {
        out[o++] = digits[i];
        if (i == scale && scale > 0) out[o++] = '.';
    }
    out[o] = 0;
}

/* Big-endian two's complement of 1..16 bytes; false if it does not fit. */
static bool be_to_i128(const uint8_t *d, size_t n, __int128 *v) {
    if (n == 0) return false;
    size_t skip = 0;
    while (n - skip > 16) {
        if (d[skip] != (d[n - 16] & 0x80 ? 0xff : 0x00)) return false;
        skip++;
    }
    unsigned __int128 u = (d[skip] & 0x80) ? ~(unsigned __int128)0 : 0;
    for (size_t i = skip; i < n; i++) u = u << 8 | d[i];
    *v = (__int128)u;
    return true;
}

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b) && ((a < 0) != (b < 0))) q--;
    return q;
}

static fl_err_t json_time_us(struct fl_buf *out, int64_t us, bool ts) {
    char tb[48];
    if (ts)
        fl_time_format_iso(us, tb, sizeof(tb));
    else
        fl_time_format_time(us, tb, sizeof(tb));
    return json_str(out, tb, strlen(tb));
}

static int64_t to_micros(int64_t v, int unit) {
    if (unit == FL_PQ_UNIT_MILLIS)
        return v > INT64_MAX / 1000 || v < INT64_MIN / 1000 ? v : v * 1000;
    if (unit == FL_PQ_UNIT_NANOS) return floor_div(v, 1000);
    return v;
}

/* One statistics value (PLAIN, byte arrays without length) as JSON. */
static fl_err_t stat_json(struct fl_buf *out, const struct fl_pq_schema_elem *el,
                          const struct fl_pq_bin *b) {
    const struct fl_pq_logical *lt = &el->logical;
    int ct = el->has_converted ? el->converted : -1;
    bool dec =
        lt->kind == FL_PQ_LT_DECIMAL || (lt->kind == FL_PQ_LT_NONE && ct == FL_PQ_CT_DECIMAL);
    int scale = lt->kind == FL_PQ_LT_DECIMAL ? lt->scale : el->scale;
    char tb[80];
    switch (el->type) {
    case FL_PQ_BOOLEAN:
        if (b->len < 1) break;
        return fl_buf_append_str(out, b->data[0] & 1 ? "true" : "false");
    case FL_PQ_INT32: {
        if (b->len != 4) break;
        int32_t v = (int32_t)fl_le32(b->data);
        if (dec) {
            fmt_decimal(v, scale, tb, sizeof(tb));
            return json_str(out, tb, strlen(tb));
        }
        if (lt->kind == FL_PQ_LT_DATE || ct == FL_PQ_CT_DATE) {
            fl_time_format_date(v, tb, sizeof(tb));
            return json_str(out, tb, strlen(tb));
        }
        if ((lt->kind == FL_PQ_LT_TIME && lt->unit == FL_PQ_UNIT_MILLIS) ||
            ct == FL_PQ_CT_TIME_MILLIS)
            return json_time_us(out, (int64_t)v * 1000, false);
        if ((lt->kind == FL_PQ_LT_INTEGER && !lt->is_signed) ||
            (ct >= FL_PQ_CT_UINT_8 && ct <= FL_PQ_CT_UINT_32))
            return fl_buf_printf(out, "%" PRIu32, (uint32_t)v);
        return fl_buf_printf(out, "%" PRId32, v);
    }
    case FL_PQ_INT64: {
        if (b->len != 8) break;
        int64_t v = (int64_t)fl_le64(b->data);
        if (dec) {
            fmt_decimal(v, scale, tb, sizeof(tb));
            return json_str(out, tb, strlen(tb));
        }
        if (lt->kind == FL_PQ_LT_TIMESTAMP) return json_time_us(out, to_micros(v, lt->unit), true);
        if (lt->kind == FL_PQ_LT_TIME) return json_time_us(out, to_micros(v, lt->unit), false);
        if (ct == FL_PQ_CT_TIMESTAMP_MILLIS) return json_time_us(out, to_micros(v, 1), true);
        if (ct == FL_PQ_CT_TIMESTAMP_MICROS) return json_time_us(out, v, true);
        if (ct == FL_PQ_CT_TIME_MICROS) return json_time_us(out, v, false);
        if ((lt->kind == FL_PQ_LT_INTEGER && !lt->is_signed) || ct == FL_PQ_CT_UINT_64)
            return fl_buf_printf(out, "%" PRIu64, (uint64_t)v);
        return fl_buf_printf(out, "%" PRId64, v);
    }
    case FL_PQ_INT96: {
        if (b->len != 12) break;
        int64_t nanos = (int64_t)fl_le64(b->data);
        int64_t jd = (int32_t)fl_le32(b->data + 8);
        uint64_t us =
            (uint64_t)(jd - 2440588) * (uint64_t)FL_US_PER_DAY + (uint64_t)floor_div(nanos, 1000);
        return json_time_us(out, (int64_t)us, true);
    }
    case FL_PQ_FLOAT:
    case FL_PQ_DOUBLE: {
        double v;
        if (el->type == FL_PQ_FLOAT && b->len == 4) {
            float f;
            uint32_t u = fl_le32(b->data);
            memcpy(&f, &u, 4);
            v = f;
        } else if (el->type == FL_PQ_DOUBLE && b->len == 8) {
            uint64_t u = fl_le64(b->data);
            memcpy(&v, &u, 8);
        } else {
            break;
        }
        if (isnan(v)) return fl_buf_append_str(out, "\"NaN\"");
        if (isinf(v)) return fl_buf_append_str(out, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        return fl_buf_printf(out, el->type == FL_PQ_FLOAT ? "%.9g" : "%.17g", v);
    }
    case FL_PQ_BYTE_ARRAY:
    case FL_PQ_FIXED_LEN_BYTE_ARRAY: {
        __int128 v;
        if (dec && be_to_i128(b->data, b->len, &v)) {
            fmt_decimal(v, scale, tb, sizeof(tb));
            return json_str(out, tb, strlen(tb));
        }
        if (lt->kind == FL_PQ_LT_UUID && b->len == 16) {
            const uint8_t *d = b->data;
            snprintf(tb, sizeof(tb),
                     "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", d[0],
                     d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12],
                     d[13], d[14], d[15]);
            return json_str(out, tb, strlen(tb));
        }
        bool text = lt->kind == FL_PQ_LT_STRING || lt->kind == FL_PQ_LT_ENUM ||
                    lt->kind == FL_PQ_LT_JSON || ct == FL_PQ_CT_UTF8 || ct == FL_PQ_CT_ENUM ||
                    ct == FL_PQ_CT_JSON;
        if (text && utf8_valid(b->data, b->len)) return json_str(out, b->data, b->len);
        break;
    }
    default:
        break;
    }
    return json_hex(out, b->data, b->len);
}

static fl_err_t kv_json(struct fl_buf *out, const struct fl_pq_kv *kv, int n) {
    fl_err_t e = fl_buf_append_u8(out, '{');
    for (int i = 0; i < n && !e; i++) {
        if (i) e = fl_buf_append_u8(out, ',');
        if (!e) e = json_str(out, kv[i].key, kv[i].key_len);
        if (!e) e = fl_buf_append_u8(out, ':');
        if (!e)
            e = kv[i].value ? json_str(out, kv[i].value, kv[i].value_len)
                            : fl_buf_append_str(out, "null");
    }
    if (!e) e = fl_buf_append_u8(out, '}');
    return e;
}

static fl_err_t stats_json(struct fl_buf *out, const struct fl_pq_schema_elem *el,
                           const struct fl_pq_stats *s) {
    fl_err_t e = fl_buf_append_u8(out, '{');
    const char *sep = "";
#define SEP() (e = e ? e : fl_buf_append_str(out, sep), sep = ",")
    if (s->has_null_count) {
        SEP();
        if (!e) e = fl_buf_printf(out, "\"null_count\":%" PRId64, s->null_count);
    }
    if (s->has_distinct_count) {
        SEP();
        if (!e) e = fl_buf_printf(out, "\"distinct_count\":%" PRId64, s->distinct_count);
    }
    if (s->has_nan_count) {
        SEP();
        if (!e) e = fl_buf_printf(out, "\"nan_count\":%" PRId64, s->nan_count);
    }
    if (s->has_min_value) {
        SEP();
        if (!e) e = fl_buf_append_str(out, "\"min_value\":");
        if (!e) e = stat_json(out, el, &s->min_value);
    }
    if (s->has_max_value) {
        SEP();
        if (!e) e = fl_buf_append_str(out, "\"max_value\":");
        if (!e) e = stat_json(out, el, &s->max_value);
    }
    if (s->has_is_min_exact) {
        SEP();
        if (!e)
            e = fl_buf_printf(out, "\"is_min_value_exact\":%s",
                              s->is_min_value_exact ? "true" : "false");
    }
    if (s->has_is_max_exact) {
        SEP();
        if (!e)
            e = fl_buf_printf(out, "\"is_max_value_exact\":%s",
                              s->is_max_value_exact ? "true" : "false");
    }
    if (s->has_min) {
        SEP();
        if (!e) e = fl_buf_append_str(out, "\"min\":");
        if (!e) e = stat_json(out, el, &s->min);
    }
    if (s->has_max) {
        SEP();
        if (!e) e = fl_buf_append_str(out, "\"max\":");
        if (!e) e = stat_json(out, el, &s->max);
    }
#undef SEP
    if (!e) e = fl_buf_append_u8(out, '}');
    return e;
}

static fl_err_t chunk_json(struct fl_buf *out, const struct fl_pq_file_meta *meta, int col,
                           const struct fl_pq_column_chunk *cc) {
    const struct fl_pq_leaf *lf = &meta->leaves[col];
    const struct fl_pq_schema_elem *el = &meta->schema[lf->elem];
    const struct fl_pq_col_meta *m = &cc->meta;
    char scratch[24];
    fl_err_t e = fl_buf_append_str(out, "{\"path\":");
    if (!e) e = json_str(out, lf->path, strlen(lf->path));
    if (!e && cc->file_path) {
        e = fl_buf_append_str(out, ",\"file_path\":");
        if (!e) e = json_str(out, cc->file_path, strlen(cc->file_path));
    }
    if (!e && cc->encrypted) e = fl_buf_append_str(out, ",\"encrypted\":true");
    if (!e && cc->has_meta_data) {
        e = fl_buf_printf(out, ",\"type\":\"%s\",\"encodings\":[", fl_pq_type_name(m->type));
        for (int i = 0; i < m->nencodings && !e; i++)
            e = fl_buf_printf(out, "%s\"%s\"", i ? "," : "",
                              fl_pq_encoding_name(m->encodings[i], scratch, sizeof(scratch)));
        const char *codec_names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                     "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};
        if (!e) {
            if (m->codec >= 0 && m->codec <= 7)
                e = fl_buf_printf(out, "],\"codec\":\"%s\"", codec_names[m->codec]);
            else
                e = fl_buf_printf(out, "],\"codec\":\"UNKNOWN(%d)\"", m->codec);
        }
        if (!e)
            e = fl_buf_printf(out,
                              ",\"num_values\":%" PRId64 ",\"total_compressed_size\":%" PRId64
                              ",\"total_uncompressed_size\":%" PRId64
                              ",\"data_page_offset\":%" PRId64,
                              m->num_values, m->total_compressed_size, m->total_uncompressed_size,
                              m->data_page_offset);
        if (!e && m->has_dictionary_page_offset)
            e = fl_buf_printf(out, ",\"dictionary_page_offset\":%" PRId64,
                              m->dictionary_page_offset);
        if (!e && m->has_stats) {
            e = fl_buf_append_str(out, ",\"statistics\":");
            if (!e) e = stats_json(out, el, &m->stats);
        }
        if (!e && m->has_bloom_filter)
            e = fl_buf_printf(out, ",\"bloom_filter_offset\":%" PRId64, m->bloom_filter_offset);
        if (!e && m->nkv) {
            e = fl_buf_append_str(out, ",\"key_value_metadata\":");
            if (!e) e = kv_json(out, m->kv, m->nkv);
        }
    }
    if (!e)
        e = fl_buf_printf(out, ",\"column_index\":%s,\"offset_index\":%s}",
                          cc->has_column_index ? "true" : "false",
                          cc->has_offset_index ? "true" : "false");
    return e;
}

fl_err_t fl_pq_meta_to_json(const struct fl_pq_file_meta *meta, struct fl_buf *out) {
    fl_err_t e =
        fl_buf_printf(out, "{\"version\":%d,\"num_rows\":%" PRId64, meta->version, meta->num_rows);
    if (!e && meta->created_by) {
        e = fl_buf_append_str(out, ",\"created_by\":");
        if (!e) e = json_str(out, meta->created_by, strlen(meta->created_by));
    }
    if (!e) e = fl_buf_printf(out, ",\"num_columns\":%d", meta->nleaves);
    if (!e && meta->encrypted) e = fl_buf_append_str(out, ",\"encrypted\":true");
    if (!e) {
        e = fl_buf_append_str(out, ",\"key_value_metadata\":");
        if (!e) e = kv_json(out, meta->kv, meta->nkv);
    }
    if (!e) e = fl_buf_append_str(out, ",\"row_groups\":[");
    for (int r = 0; r < meta->nrow_groups && !e; r++) {
        const struct fl_pq_row_group *rg = &meta->row_groups[r];
        e = fl_buf_printf(out, "%s{\"num_rows\":%" PRId64 ",\"total_byte_size\":%" PRId64,
                          r ? "," : "", rg->num_rows, rg->total_byte_size);
        if (!e && rg->has_total_compressed_size)
            e = fl_buf_printf(out, ",\"total_compressed_size\":%" PRId64,
                              rg->total_compressed_size);
        if (!e) e = fl_buf_append_str(out, ",\"columns\":[");
        for (int c = 0; c < rg->ncolumns && !e; c++) {
            if (c) e = fl_buf_append_u8(out, ',');
            if (!e) e = chunk_json(out, meta, c, &rg->columns[c]);
        }
        if (!e) e = fl_buf_append_str(out, "]}");
    }
    if (!e) e = fl_buf_append_str(out, "]}");
    return e;
}

static fl_err_t schema_text(const struct fl_pq_file_meta *meta, struct fl_buf *out, int *idx,
                            int nchild, int depth) {
    fl_err_t e = FL_OK;
    static const char *reps[] = {"required", "optional", "repeated"};
    for (int k = 0; k < nchild && !e && *idx < meta->nschema; k++) {
        const struct fl_pq_schema_elem *el = &meta->schema[(*idx)++];
        char lt[80], tb[48];
        bool group = el->has_num_children && (el->num_children > 0 || !el->has_type);
        logical_text(el, lt, sizeof(lt));
        if (group)
            snprintf(tb, sizeof(tb), "group");
        else if (el->type == FL_PQ_FIXED_LEN_BYTE_ARRAY)
            snprintf(tb, sizeof(tb), "fixed_len_byte_array(%d)", el->type_length);
        else if (el->type == FL_PQ_BYTE_ARRAY)
            snprintf(tb, sizeof(tb), "binary");
        else {
            const char *n = fl_pq_type_name(el->type);
            size_t i = 0;
            for (; n[i] && i + 1 < sizeof(tb); i++)
                tb[i] = (char)(n[i] >= 'A' && n[i] <= 'Z' ? n[i] + 32 : n[i]);
            tb[i] = 0;
        }
        int rep = el->has_repetition ? el->repetition : FL_PQ_REQUIRED;
        e = fl_buf_printf(out, "%*s%s %s %s", depth * 2, "", reps[rep], tb, el->name);
        if (!e && lt[0]) e = fl_buf_printf(out, " (%s)", lt);
        if (!e && el->has_field_id) e = fl_buf_printf(out, " = %d", el->field_id);
        if (group) {
            if (!e) e = fl_buf_append_str(out, " {\n");
            if (!e && depth < 64) e = schema_text(meta, out, idx, el->num_children, depth + 1);
            if (!e) e = fl_buf_printf(out, "%*s}\n", depth * 2, "");
        } else if (!e) {
            e = fl_buf_append_str(out, ";\n");
        }
    }
    return e;
}

fl_err_t fl_pq_schema_to_text(const struct fl_pq_file_meta *meta, struct fl_buf *out) {
    const struct fl_pq_schema_elem *root = &meta->schema[0];
    int idx = 1;
    fl_err_t e = fl_buf_printf(out, "message %s {\n", root->name);
    if (!e) e = schema_text(meta, out, &idx, root->num_children, 1);
    if (!e) e = fl_buf_append_str(out, "}\n");
    return e;
}
