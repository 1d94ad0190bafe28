/*
 * reader.c - the Parquet reader: footer, schema mapping, row-group and
 * page skipping, page decoding into batches.
 *
 * How it works: the whole file is a byte image (mapped or borrowed); the
 * footer is parsed once. Each projected column has a cursor over its
 * column chunk that reads page headers in order, keeps the dictionary,
 * and decodes one data page at a time into definition levels and the
 * page's non-null values in physical form (decode.h). A batch is filled
 * by taking the same rows from every cursor and converting each value to
 * the batch representation (micros, int128 decimals, ...).
 *
 * Skipping: before a row group is opened its column chunk statistics are
 * checked against the predicates; if one proves no row can match, the row
 * group is skipped. When a predicate column has a ColumnIndex and an
 * OffsetIndex, the pages that cannot match give row ranges to drop; the
 * row group is then read as a list of kept row ranges, and every cursor
 * skips whole pages (without decompressing them) that end before the next
 * kept row. For flat columns a page's num_values is its row count, so
 * page row spans come from the headers alone.
 */
#include "format/parquet/reader.h"

#include "core/endian.h"
#include "core/mem.h"
#include "format/parquet/codec.h"
#include "format/parquet/decode.h"
#include "format/parquet/nested.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* How a physical value becomes a batch value. */
enum conv {
    CV_BOOL,
    CV_I32,
    CV_U32,
    CV_I64,
    CV_I96,
    CV_TIME_MS,
    CV_NANOS,
    CV_MILLIS,
    CV_DEC_I32,
    CV_DEC_I64,
    CV_DEC_BE,
    CV_F32,
    CV_F64,
    CV_BYTES,
    CV_FIXED
};

struct unsup {
    char *name;
    int32_t id;
    char *why;
    fl_err_t code;
};

struct cursor {
    int f;    /* index in r->schema */
    int leaf; /* column chunk index */
    const char *name;
    int ptype;
    int32_t type_len;
    int max_def;
    int max_rep;
    int conv;
    int codec;
    const uint8_t *chunk;
    size_t chunk_len;
    int64_t chunk_off; /* file position of chunk[0] */
    size_t pos;
    int64_t num_rows; /* rows in the row group */
    int64_t next_row; /* first row of the next unread page */
    bool loaded;
    int64_t page_first;
    size_t page_n, page_i, val_i;
    struct fl_buf defs;
    struct fl_buf scratch;
    struct fl_pq_vec vals;
    struct fl_pq_vec dict;
    bool has_dict;
    /* nested columns: levels of the leaf's page, end of its chunk */
    struct fl_buf reps;
    bool eof;
    /* a nested top-level field: one cursor per leaf, assembled into JSON
     * (next_row counts the rows taken) */
    struct fl_pq_reader *owner;
    const struct fl_pq_nested *nf;
    struct cursor *sub;
    struct fl_pq_nleaf *nl;
    struct fl_batch *leaf_vals; /* the leaves' page values, converted */
    struct fl_pq_assembler as;
    struct fl_buf json;
};

struct fl_pq_reader {
    const uint8_t *data;
    size_t len;
    void *map;
    size_t footer_start; /* first byte of the footer: data ends here */
    char *path;
    struct fl_pq_file_meta *meta;
    struct fl_schema *schema;
    int *field_leaf; /* per schema field */
    int *field_conv;
    bool *field_unsigned;
    struct fl_pq_nested **field_nested;   /* per schema field, NULL when flat */
    const struct fl_field **field_target; /* per schema field: the shape asked for, or NULL */
    struct unsup *unsup;
    int nunsup;
    struct fl_schema *proj; /* NULL: the whole schema */
    int *proj_field;
    int nproj;
    struct fl_pq_pred *preds;
    int npreds;
    bool started, failed;
    struct fl_batch *batch;
    struct cursor *cur;
    size_t vec_max;
    int rg;
    bool rg_open;
    int64_t *ranges; /* pairs [start, end) */
    int nranges;
    int range_i;
    int64_t row;
    struct fl_pq_read_stats stats;
};

static const char *rname(const struct fl_pq_reader *r) { return r->path ? r->path : "parquet"; }

/* ---- schema mapping ---- */

static fl_err_t map_type(const struct fl_pq_schema_elem *el, struct fl_field *f, int *conv,
                         bool *uns, char *why, size_t whysz) {
    const struct fl_pq_logical *lt = &el->logical;
    int ct = el->has_converted ? el->converted : -1;
    bool dec =
        lt->kind == FL_PQ_LT_DECIMAL || (lt->kind == FL_PQ_LT_NONE && ct == FL_PQ_CT_DECIMAL);
    *uns = false;
    if (dec) {
        int32_t p = lt->kind == FL_PQ_LT_DECIMAL ? lt->precision : el->precision;
        int32_t s = lt->kind == FL_PQ_LT_DECIMAL ? lt->scale : (el->has_scale ? el->scale : 0);
        if (lt->kind != FL_PQ_LT_DECIMAL && !el->has_precision) {
            snprintf(why, whysz, "DECIMAL without a precision");
            return FL_ERR_CORRUPT;
        }
        if (p < 1 || p > 38 || s < 0 || s > p) {
            snprintf(why, whysz, "decimal(%d, %d) is beyond decimal(38)", p, s);
            return FL_ERR_UNSUPPORTED;
        }
        f->type = FL_TYPE_DECIMAL;
        f->precision = p;
        f->scale = s;
        switch (el->type) {
        case FL_PQ_INT32:
            *conv = CV_DEC_I32;
            return FL_OK;
        case FL_PQ_INT64:
            *conv = CV_DEC_I64;
            return FL_OK;
        case FL_PQ_BYTE_ARRAY:
        case FL_PQ_FIXED_LEN_BYTE_ARRAY:
            *conv = CV_DEC_BE;
            break;
        default:
            snprintf(why, whysz, "DECIMAL on %s", fl_pq_type_name(el->type));
            return FL_ERR_CORRUPT;
        }
        if (el->type == FL_PQ_FIXED_LEN_BYTE_ARRAY && el->type_length <= 0) {
            snprintf(why, whysz, "FIXED_LEN_BYTE_ARRAY without a length");
            return FL_ERR_CORRUPT;
        }
        return FL_OK;
    }
    switch (el->type) {
    case FL_PQ_BOOLEAN:
        f->type = FL_TYPE_BOOLEAN;
        *conv = CV_BOOL;
        return FL_OK;
    case FL_PQ_INT32:
        if (lt->kind == FL_PQ_LT_DATE || ct == FL_PQ_CT_DATE) {
            f->type = FL_TYPE_DATE;
            *conv = CV_I32;
        } else if ((lt->kind == FL_PQ_LT_TIME && lt->unit == FL_PQ_UNIT_MILLIS) ||
                   (lt->kind == FL_PQ_LT_NONE && ct == FL_PQ_CT_TIME_MILLIS)) {
            f->type = FL_TYPE_TIME;
            *conv = CV_TIME_MS;
        } else if ((lt->kind == FL_PQ_LT_INTEGER && !lt->is_signed && lt->bit_width == 32) ||
                   (lt->kind == FL_PQ_LT_NONE && ct == FL_PQ_CT_UINT_32)) {
            f->type = FL_TYPE_LONG;
            *conv = CV_U32;
            *uns = true;
        } else {
            f->type = FL_TYPE_INT;
            *conv = CV_I32;
            *uns = (lt->kind == FL_PQ_LT_INTEGER && !lt->is_signed) ||
                   (lt->kind == FL_PQ_LT_NONE && (ct == FL_PQ_CT_UINT_8 || ct == FL_PQ_CT_UINT_16));
        }
        return FL_OK;
    case FL_PQ_INT64:
        *conv = CV_I64;
        f->type = FL_TYPE_LONG;
        if (lt->kind == FL_PQ_LT_TIMESTAMP) {
            f->type = lt->utc ? FL_TYPE_TIMESTAMPTZ : FL_TYPE_TIMESTAMP;
            *conv = lt->unit == FL_PQ_UNIT_MILLIS  ? CV_MILLIS
                    : lt->unit == FL_PQ_UNIT_NANOS ? CV_NANOS
                                                   : CV_I64;
        } else if (lt->kind == FL_PQ_LT_TIME) {
            f->type = FL_TYPE_TIME;
            *conv = lt->unit == FL_PQ_UNIT_NANOS    ? CV_NANOS
                    : lt->unit == FL_PQ_UNIT_MILLIS ? CV_MILLIS
                                                    : CV_I64;
        } else if (lt->kind == FL_PQ_LT_NONE && ct == FL_PQ_CT_TIMESTAMP_MILLIS) {
            f->type = FL_TYPE_TIMESTAMPTZ;
            *conv = CV_MILLIS;
        } else if (lt->kind == FL_PQ_LT_NONE && ct == FL_PQ_CT_TIMESTAMP_MICROS) {
            f->type = FL_TYPE_TIMESTAMPTZ;
        } else if (lt->kind == FL_PQ_LT_NONE && ct == FL_PQ_CT_TIME_MICROS) {
            f->type = FL_TYPE_TIME;
        } else if ((lt->kind == FL_PQ_LT_INTEGER && !lt->is_signed) ||
                   (lt->kind == FL_PQ_LT_NONE && ct == FL_PQ_CT_UINT_64)) {
            *uns = true; /* read as its two's complement bits */
        }
        return FL_OK;
    case FL_PQ_INT96:
        f->type = FL_TYPE_TIMESTAMP;
        *conv = CV_I96;
        return FL_OK;
    case FL_PQ_FLOAT:
        f->type = FL_TYPE_FLOAT;
        *conv = CV_F32;
        return FL_OK;
    case FL_PQ_DOUBLE:
        f->type = FL_TYPE_DOUBLE;
        *conv = CV_F64;
        return FL_OK;
    case FL_PQ_BYTE_ARRAY:
        *conv = CV_BYTES;
        if (lt->kind == FL_PQ_LT_STRING || lt->kind == FL_PQ_LT_ENUM || lt->kind == FL_PQ_LT_JSON ||
            (lt->kind == FL_PQ_LT_NONE &&
             (ct == FL_PQ_CT_UTF8 || ct == FL_PQ_CT_ENUM || ct == FL_PQ_CT_JSON)))
            f->type = FL_TYPE_STRING;
        else
            f->type = FL_TYPE_BINARY;
        return FL_OK;
    case FL_PQ_FIXED_LEN_BYTE_ARRAY:
        if (el->type_length <= 0) {
            snprintf(why, whysz, "FIXED_LEN_BYTE_ARRAY without a length");
            return FL_ERR_CORRUPT;
        }
        *conv = CV_FIXED;
        if (lt->kind == FL_PQ_LT_UUID && el->type_length == 16) {
            f->type = FL_TYPE_UUID;
        } else {
            f->type = FL_TYPE_FIXED;
            f->length = el->type_length;
        }
        return FL_OK;
    default:
        snprintf(why, whysz, "unknown physical type %d", el->type);
        return FL_ERR_CORRUPT;
    }
}

/* Frees what a field holds (its children) and zeroes it. */
static void drop_field(struct fl_field *f) {
    struct fl_schema *own = fl_calloc(1, sizeof(*own));
    own->fields = fl_calloc(1, sizeof(*f));
    own->fields[0] = *f;
    own->nfields = 1;
    fl_schema_free(own);
    memset(f, 0, sizeof(*f));
}

/* map_type for the leaves of nested columns (fl_pq_leaf_type_fn). */
static fl_err_t leaf_type(const struct fl_pq_schema_elem *el, struct fl_field *f, int *conv,
                          char *why, size_t whysz) {
    bool uns;
    fl_err_t e = map_type(el, f, conv, &uns, why, whysz);
    if (!e && why[0]) e = FL_ERR_UNSUPPORTED;
    return e;
}

static fl_err_t build_schema(struct fl_pq_reader *r, struct fl_error *err) {
    const struct fl_pq_file_meta *m = r->meta;
    int ntop = m->ntop;
    /* top-level element index and its leaf (or -1 for groups) */
    int *top_elem = fl_calloc((size_t)ntop + 1, sizeof(int));
    int *top_leaf = fl_calloc((size_t)ntop + 1, sizeof(int));
    int *top_nleaves = fl_calloc((size_t)ntop + 1, sizeof(int));
    int *top_leaf0 = fl_calloc((size_t)ntop + 1, sizeof(int));
    fl_err_t e = FL_OK;
    for (int k = 0; k < ntop; k++) top_leaf[k] = -1;
    for (int l = 0; l < m->nleaves; l++) {
        const struct fl_pq_leaf *lf = &m->leaves[l];
        top_elem[lf->top] = lf->top_elem;
        if (!top_nleaves[lf->top]++) top_leaf0[lf->top] = l;
        if (lf->depth == 1) top_leaf[lf->top] = l;
    }
    /* ids for the members of nested fields that have none */
    int32_t next_id = ntop + 1;
    for (int i = 0; i < m->nschema; i++)
        if (m->schema[i].has_field_id && m->schema[i].field_id >= next_id &&
            m->schema[i].field_id < INT32_MAX - 1)
            next_id = m->schema[i].field_id + 1;
    bool all_ids = ntop > 0;
    for (int k = 0; k < ntop; k++) {
        /* groups without leaves have no entry: find them by walking */
        if (!top_nleaves[k])
            all_ids = false;
        else if (!m->schema[top_elem[k]].has_field_id)
            all_ids = false;
    }
    r->schema = fl_calloc(1, sizeof(*r->schema));
    r->schema->fields = fl_calloc((size_t)ntop + 1, sizeof(struct fl_field));
    r->field_leaf = fl_calloc((size_t)ntop + 1, sizeof(int));
    r->field_conv = fl_calloc((size_t)ntop + 1, sizeof(int));
    r->field_unsigned = fl_calloc((size_t)ntop + 1, sizeof(bool));
    r->field_nested = fl_calloc((size_t)ntop + 1, sizeof(*r->field_nested));
    r->field_target = fl_calloc((size_t)ntop + 1, sizeof(*r->field_target));
    r->unsup = fl_calloc((size_t)ntop + 1, sizeof(struct unsup));
    for (int k = 0; k < ntop && !e; k++) {
        if (!top_nleaves[k]) continue; /* an empty group: nothing to read */
        const struct fl_pq_schema_elem *el = &m->schema[top_elem[k]];
        int32_t id = all_ids ? el->field_id : k + 1;
        char why[160] = "";
        fl_err_t code = FL_ERR_UNSUPPORTED;
        bool nested = top_leaf[k] < 0 || (el->has_repetition && el->repetition == FL_PQ_REPEATED);
        for (int l = top_leaf0[k]; l < top_leaf0[k] + top_nleaves[k]; l++)
            if (r->meta->row_groups && r->meta->nrow_groups &&
                r->meta->row_groups[0].columns[l].encrypted)
                snprintf(why, sizeof(why), "encrypted columns are not supported");
        struct fl_field f;
        memset(&f, 0, sizeof(f));
        int conv = 0;
        bool uns = false;
        struct fl_pq_nested *plan = NULL;
        if (!why[0] && nested) {
            fl_err_t ne = fl_pq_nested_build(m, top_elem[k], top_leaf0[k], top_nleaves[k], all_ids,
                                             &next_id, leaf_type, &plan, &f, why, sizeof(why));
            if (ne) {
                code = ne;
                if (!why[0]) snprintf(why, sizeof(why), "%s", fl_err_name(ne));
                drop_field(&f); /* the column is refused by name */
            }
        } else if (!why[0]) {
            fl_err_t me = map_type(el, &f, &conv, &uns, why, sizeof(why));
            if (me == FL_ERR_CORRUPT) {
                e = fl_errf(err, FL_ERR_CORRUPT, "%s: column \"%s\": %s", rname(r), el->name, why);
                break;
            }
        }
        if (why[0]) {
            struct unsup *u = &r->unsup[r->nunsup++];
            u->name = fl_strdup(el->name);
            u->id = id;
            u->why = fl_strdup(why);
            u->code = code;
            continue;
        }
        for (int i = 0; i < r->schema->nfields; i++)
            if (r->schema->fields[i].id == id) {
                e = fl_errf(err, FL_ERR_CORRUPT, "%s: field id %d is used twice", rname(r), id);
                break;
            }
        if (e) {
            drop_field(&f);
            fl_pq_nested_free(plan);
            break;
        }
        int i = r->schema->nfields++;
        f.id = id;
        f.name = fl_strdup(el->name);
        f.required = plan ? !plan->nodes[0].nullable
                          : !el->has_repetition || el->repetition == FL_PQ_REQUIRED;
        r->schema->fields[i] = f;
        r->field_leaf[i] = nested ? -1 : top_leaf[k];
        r->field_conv[i] = conv;
        r->field_unsigned[i] = uns;
        r->field_nested[i] = plan;
    }
    fl_free(top_leaf0);
    fl_free(top_elem);
    fl_free(top_leaf);
    fl_free(top_nleaves);
    return e;
}

/* ---- open / free ---- */

static fl_err_t open_image(struct fl_pq_reader *r, struct fl_error *err) {
    const uint8_t *d = r->data;
    size_t len = r->len;
    if (len < 12 || memcmp(d, "PAR1", 4) != 0)
        return fl_errf(err, FL_ERR_CORRUPT, "%s: not a Parquet file (no PAR1 magic at the start)",
                       rname(r));
    if (memcmp(d + len - 4, "PARE", 4) == 0)
        return fl_errf(err, FL_ERR_UNSUPPORTED, "%s: encrypted footers are not supported",
                       rname(r));
    if (memcmp(d + len - 4, "PAR1", 4) != 0)
        return fl_errf(err, FL_ERR_CORRUPT, "%s: no PAR1 magic at the end (truncated file?)",
                       rname(r));
    size_t flen = fl_le32(d + len - 8);
    if (flen > len - 12 || flen > FL_PQ_MAX_FOOTER)
        return fl_errf(err, FL_ERR_CORRUPT, "%s: footer length %zu does not fit a %zu-byte file",
                       rname(r), flen, len);
    r->footer_start = len - 8 - flen;
    fl_err_t e =
        fl_pq_file_meta_parse(d + r->footer_start, flen, (int64_t)r->footer_start, &r->meta, err);
    if (e) {
        fl_err_prefix(err, "%s", rname(r));
        return e;
    }
    if (r->meta->nleaves == 0 && r->meta->nrow_groups && r->meta->row_groups[0].num_rows)
        return fl_errf(err, FL_ERR_CORRUPT, "%s: rows but no columns", rname(r));
    /* decoded pages may be larger than the file, but not by much more
     * than any codec compresses */
    r->vec_max = FL_PQ_MAX_PAGE_BYTES;
    return build_schema(r, err);
}

static fl_err_t finish_open(struct fl_pq_reader *r, struct fl_pq_reader **out,
                            struct fl_error *err) {
    fl_err_t e = open_image(r, err);
    if (e) {
        fl_pq_reader_free(r);
        return e;
    }
    *out = r;
    return FL_OK;
}

fl_err_t fl_pq_reader_open_mem(const uint8_t *data, size_t len, struct fl_pq_reader **out,
                               struct fl_error *err) {
    struct fl_pq_reader *r = fl_calloc(1, sizeof(*r));
    r->data = data;
    r->len = len;
    return finish_open(r, out, err);
}

fl_err_t fl_pq_reader_open_file(const char *path, struct fl_pq_reader **out, struct fl_error *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fl_errf(err, errno == ENOENT ? FL_ERR_NOTFOUND : FL_ERR_IO, "%s: %s", path,
                       strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int en = errno;
        close(fd);
        return fl_errf(err, FL_ERR_IO, "%s: %s", path, strerror(en));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return fl_errf(err, FL_ERR_INVALID, "%s: not a regular file", path);
    }
    struct fl_pq_reader *r = fl_calloc(1, sizeof(*r));
    r->path = fl_strdup(path);
    r->len = (size_t)st.st_size;
    if (r->len) {
        r->map = mmap(NULL, r->len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (r->map == MAP_FAILED) {
            int en = errno;
            r->map = NULL;
            close(fd);
            fl_pq_reader_free(r);
            return fl_errf(err, FL_ERR_IO, "%s: mmap: %s", path, strerror(en));
        }
        r->data = r->map;
    } else {
        r->data = (const uint8_t *)"";
    }
    close(fd);
    return finish_open(r, out, err);
}

static void cursor_fini(struct cursor *c) {
    if (c->sub)
        for (int l = 0; l < c->nf->nleaves; l++) cursor_fini(&c->sub[l]);
    fl_free(c->sub);
    fl_free(c->nl);
    fl_batch_free(c->leaf_vals);
    fl_buf_fini(&c->json);
    fl_pq_assembler_fini(&c->as);
    fl_buf_fini(&c->reps);
    fl_buf_fini(&c->defs);
    fl_buf_fini(&c->scratch);
    fl_pq_vec_fini(&c->vals);
    fl_pq_vec_fini(&c->dict);
}

void fl_pq_reader_free(struct fl_pq_reader *r) {
    if (!r) return;
    if (r->cur)
        for (int i = 0; i < r->nproj; i++) cursor_fini(&r->cur[i]);
    fl_free(r->cur);
    fl_batch_free(r->batch);
    for (int i = 0; i < r->npreds; i++) fl_free((void *)r->preds[i].bytes);
    fl_free(r->preds);
    fl_free(r->ranges);
    fl_schema_free(r->proj);
    fl_free(r->proj_field);
    if (r->field_nested && r->schema)
        for (int i = 0; i < r->schema->nfields; i++) fl_pq_nested_free(r->field_nested[i]);
    fl_free(r->field_nested);
    fl_free(r->field_target);
    fl_schema_free(r->schema);
    fl_free(r->field_leaf);
    fl_free(r->field_conv);
    fl_free(r->field_unsigned);
    for (int i = 0; i < r->nunsup; i++) {
        fl_free(r->unsup[i].name);
        fl_free(r->unsup[i].why);
    }
    fl_free(r->unsup);
    fl_pq_file_meta_free(r->meta);
    if (r->map) munmap(r->map, r->len);
    fl_free(r->path);
    fl_free(r);
}

const struct fl_pq_file_meta *fl_pq_reader_meta(const struct fl_pq_reader *r) { return r->meta; }
const struct fl_schema *fl_pq_reader_schema(const struct fl_pq_reader *r) { return r->schema; }

void fl_pq_reader_stats(const struct fl_pq_reader *r, struct fl_pq_read_stats *out) {
    *out = r->stats;
}

/* ---- projection and predicates ---- */

static fl_err_t unsup_err(const struct fl_pq_reader *r, const struct unsup *u,
                          struct fl_error *err) {
    return fl_errf(err, u->code ? u->code : FL_ERR_UNSUPPORTED, "%s: column \"%s\": %s", rname(r),
                   u->name, u->why);
}

static fl_err_t set_projection(struct fl_pq_reader *r, const int *idx, int n,
                               struct fl_error *err) {
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            if (idx[i] == idx[j])
                return fl_errf(err, FL_ERR_INVALID, "%s: column \"%s\" projected twice", rname(r),
                               r->schema->fields[idx[i]].name);
    fl_schema_free(r->proj);
    fl_free(r->proj_field);
    r->proj = fl_schema_select(r->schema, idx, n);
    r->proj_field = fl_calloc((size_t)n + 1, sizeof(int));
    memcpy(r->proj_field, idx, (size_t)n * sizeof(int));
    r->nproj = n;
    return FL_OK;
}

fl_err_t fl_pq_reader_project_ids(struct fl_pq_reader *r, const int32_t *ids, int n,
                                  struct fl_error *err) {
    if (r->started)
        return fl_errf(err, FL_ERR_INVALID, "%s: projection after reading began", rname(r));
    if (n < 0) return fl_errf(err, FL_ERR_INVALID, "negative column count");
    int *idx = fl_calloc((size_t)n + 1, sizeof(int));
    fl_err_t e = FL_OK;
    for (int i = 0; i < n && !e; i++) {
        idx[i] = fl_schema_index_by_id(r->schema, ids[i]);
        if (idx[i] >= 0) continue;
        for (int u = 0; u < r->nunsup && !e; u++)
            if (r->unsup[u].id == ids[i]) e = unsup_err(r, &r->unsup[u], err);
        if (!e)
            e = fl_errf(err, FL_ERR_NOTFOUND, "%s: no column with field id %d", rname(r), ids[i]);
    }
    if (!e) e = set_projection(r, idx, n, err);
    fl_free(idx);
    return e;
}

fl_err_t fl_pq_reader_project_names(struct fl_pq_reader *r, const char *const *names, int n,
                                    struct fl_error *err) {
    if (r->started)
        return fl_errf(err, FL_ERR_INVALID, "%s: projection after reading began", rname(r));
    if (n < 0) return fl_errf(err, FL_ERR_INVALID, "negative column count");
    int *idx = fl_calloc((size_t)n + 1, sizeof(int));
    fl_err_t e = FL_OK;
    for (int i = 0; i < n && !e; i++) {
        idx[i] = fl_schema_index_by_name(r->schema, names[i]);
        if (idx[i] >= 0) continue;
        for (int u = 0; u < r->nunsup && !e; u++)
            if (strcmp(r->unsup[u].name, names[i]) == 0) e = unsup_err(r, &r->unsup[u], err);
        if (!e) e = fl_errf(err, FL_ERR_NOTFOUND, "%s: no column named \"%s\"", rname(r), names[i]);
    }
    if (!e) e = set_projection(r, idx, n, err);
    fl_free(idx);
    return e;
}

fl_err_t fl_pq_reader_nested_target(struct fl_pq_reader *r, int32_t id,
                                    const struct fl_field *target, struct fl_error *err) {
    if (r->started)
        return fl_errf(err, FL_ERR_INVALID, "%s: nested target after reading began", rname(r));
    int f = fl_schema_index_by_id(r->schema, id);
    if (f < 0 || !r->field_nested[f])
        return fl_errf(err, FL_ERR_NOTFOUND, "%s: no nested column with field id %d", rname(r), id);
    r->field_target[f] = target;
    return FL_OK;
}

fl_err_t fl_pq_reader_add_pred(struct fl_pq_reader *r, const struct fl_pq_pred *pred,
                               struct fl_error *err) {
    if (r->started)
        return fl_errf(err, FL_ERR_INVALID, "%s: predicate after reading began", rname(r));
    int pf = fl_schema_index_by_id(r->schema, pred->field_id);
    if (pf < 0)
        return fl_errf(err, FL_ERR_NOTFOUND, "%s: predicate on unknown field id %d", rname(r),
                       pred->field_id);
    if (r->field_nested[pf])
        return fl_errf(err, FL_ERR_UNSUPPORTED,
                       "%s: column \"%s\": predicates on nested columns are not supported",
                       rname(r), r->schema->fields[pf].name);
    if (pred->op < FL_PQ_PRED_EQ || pred->op > FL_PQ_PRED_NOT_NULL)
        return fl_errf(err, FL_ERR_INVALID, "unknown predicate operator %d", (int)pred->op);
    r->preds = fl_reallocarray(r->preds, (size_t)r->npreds + 1, sizeof(*r->preds));
    struct fl_pq_pred *p = &r->preds[r->npreds++];
    *p = *pred;
    p->bytes = NULL;
    if (pred->bytes && pred->len) {
        uint8_t *b = fl_malloc(pred->len);
        memcpy(b, pred->bytes, pred->len);
        p->bytes = b;
    } else {
        p->len = 0;
    }
    return FL_OK;
}

/* ---- statistics against predicates ---- */

enum { LK_I64, LK_F64, LK_I128, LK_BYTES, LK_NONE };

struct lit {
    int kind;
    int64_t i64;
    double f64;
    __int128 i128;
    const uint8_t *b;
    size_t n;
};

static int lit_kind(int conv) {
    switch (conv) {
    case CV_BOOL:
    case CV_I32:
    case CV_U32:
    case CV_I64:
    case CV_TIME_MS:
    case CV_NANOS:
    case CV_MILLIS:
        return LK_I64;
    case CV_F32:
    case CV_F64:
        return LK_F64;
    case CV_DEC_I32:
    case CV_DEC_I64:
    case CV_DEC_BE:
        return LK_I128;
    case CV_BYTES:
    case CV_FIXED:
        return LK_BYTES;
    default:
        return LK_NONE;
    }
}

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b) && ((a < 0) != (b < 0))) q--;
    return q;
}

static bool be_i128(const uint8_t *d, size_t n, __int128 *v) {
    if (n == 0 || n > 32) return false;
    size_t skip = 0;
    while (n - skip > 16) {
        if (d[skip] != ((d[n - 16] & 0x80) ? 0xff : 0x00)) return false;
        skip++;
    }
    unsigned __int128 u = (d[skip] & 0x80) ? ~(unsigned __int128)0 : 0;
    for (size_t i = skip; i < n; i++) u = u << 8 | d[i];
    *v = (__int128)u;
    return true;
}

/* A statistics value (PLAIN, byte arrays unprefixed) as a literal of the
 * batch representation; false when it cannot be used. */
static bool stat_lit(const struct cursor *c, const struct fl_pq_bin *b, struct lit *l) {
    l->kind = lit_kind(c->conv);
    switch (c->conv) {
    case CV_BOOL:
        if (b->len < 1) return false;
        l->i64 = b->data[0] & 1;
        return true;
    case CV_I32:
    case CV_DEC_I32:
        if (b->len != 4) return false;
        l->i64 = (int32_t)fl_le32(b->data);
        l->i128 = l->i64;
        return true;
    case CV_U32:
        if (b->len != 4) return false;
        l->i64 = fl_le32(b->data);
        return true;
    case CV_TIME_MS:
        if (b->len != 4) return false;
        l->i64 = (int64_t)(int32_t)fl_le32(b->data) * 1000;
        return true;
    case CV_I64:
    case CV_DEC_I64:
    case CV_NANOS:
    case CV_MILLIS:
        if (b->len != 8) return false;
        l->i64 = (int64_t)fl_le64(b->data);
        if (c->conv == CV_NANOS) l->i64 = floor_div(l->i64, 1000);
        if (c->conv == CV_MILLIS) {
            if (l->i64 > INT64_MAX / 1000 || l->i64 < INT64_MIN / 1000) return false;
            l->i64 *= 1000;
        }
        l->i128 = l->i64;
        return true;
    case CV_DEC_BE:
        return be_i128(b->data, b->len, &l->i128);
    case CV_F32:
    case CV_F64:
        if (c->conv == CV_F32 && b->len == 4) {
            float f;
            uint32_t u = fl_le32(b->data);
            memcpy(&f, &u, 4);
            l->f64 = f;
        } else if (c->conv == CV_F64 && b->len == 8) {
            uint64_t u = fl_le64(b->data);
            memcpy(&l->f64, &u, 8);
        } else {
            return false;
        }
        return !isnan(l->f64);
    case CV_BYTES:
    case CV_FIXED:
        l->b = b->data;
        l->n = b->len;
        return true;
    default:
        return false;
    }
}

/* sign of (stat - literal); false when incomparable */
static bool lit_cmp(const struct lit *s, const struct fl_pq_pred *p, int *out) {
    switch (s->kind) {
    case LK_I64:
        *out = (s->i64 > p->i64) - (s->i64 < p->i64);
        return true;
    case LK_I128:
        *out = (s->i128 > p->i128) - (s->i128 < p->i128);
        return true;
    case LK_F64:
        if (isnan(p->f64)) return false;
        *out = (s->f64 > p->f64) - (s->f64 < p->f64);
        return true;
    case LK_BYTES: {
        size_t n = s->n < p->len ? s->n : p->len;
        int c = n ? memcmp(s->b, p->bytes, n) : 0;
        if (c == 0) c = (s->n > p->len) - (s->n < p->len);
        *out = (c > 0) - (c < 0);
        return true;
    }
    default:
        return false;
    }
}

struct span_stats {
    bool has_min, has_max, has_nulls, all_null;
    struct lit min, max;
    int64_t null_count, num_values;
};

/* true when no row described by s can satisfy p */
static bool can_skip(const struct fl_pq_pred *p, const struct span_stats *s) {
    bool all_null = s->all_null || (s->has_nulls && s->null_count >= s->num_values);
    int c;
    switch (p->op) {
    case FL_PQ_PRED_IS_NULL:
        return s->has_nulls && s->null_count == 0 && !s->all_null;
    case FL_PQ_PRED_NOT_NULL:
        return all_null;
    default:
        break;
    }
    if (all_null) return true;
    switch (p->op) {
    case FL_PQ_PRED_EQ:
        return (s->has_min && lit_cmp(&s->min, p, &c) && c > 0) ||
               (s->has_max && lit_cmp(&s->max, p, &c) && c < 0);
    case FL_PQ_PRED_LT:
        return s->has_min && lit_cmp(&s->min, p, &c) && c >= 0;
    case FL_PQ_PRED_LE:
        return s->has_min && lit_cmp(&s->min, p, &c) && c > 0;
    case FL_PQ_PRED_GT:
        return s->has_max && lit_cmp(&s->max, p, &c) && c <= 0;
    case FL_PQ_PRED_GE:
        return s->has_max && lit_cmp(&s->max, p, &c) && c < 0;
    default:
        return false;
    }
}

/* Fills the fields of a cursor that statistics decoding needs. */
static void leaf_cursor_type(const struct fl_pq_reader *r, int leaf, int conv, struct cursor *c) {
    const struct fl_pq_leaf *lf = &r->meta->leaves[leaf];
    const struct fl_pq_schema_elem *el = &r->meta->schema[lf->elem];
    c->leaf = leaf;
    c->name = el->name;
    c->ptype = el->type;
    c->type_len = el->type_length;
    c->max_def = lf->max_def;
    c->max_rep = lf->max_rep;
    c->conv = conv;
}

static void cursor_type(const struct fl_pq_reader *r, int f, struct cursor *c) {
    c->f = f;
    leaf_cursor_type(r, r->field_leaf[f], r->field_conv[f], c);
}

/* Whether min/max statistics of field f may be compared at all. */
static bool stats_usable(const struct fl_pq_reader *r, int f, bool legacy) {
    int conv = r->field_conv[f];
    if (lit_kind(conv) == LK_NONE) return false;
    const struct fl_field *fd = &r->schema->fields[f];
    if (fd->type == FL_TYPE_FIXED && fd->length == 2) return false; /* FLOAT16 */
    if (fd->type == FL_TYPE_LONG && conv == CV_I64 && r->field_unsigned[f]) return false;
    if (legacy) {
        /* deprecated min/max used signed order: fine for signed numbers */
        if (r->field_unsigned[f]) return false;
        int k = lit_kind(conv);
        if (k == LK_BYTES || conv == CV_DEC_BE) return false;
    } else {
        int leaf = r->field_leaf[f];
        if (r->meta->ncolumn_orders > leaf && r->meta->column_orders[leaf] != 1) return false;
    }
    return true;
}

static bool rg_prunable(struct fl_pq_reader *r, int rgi) {
    const struct fl_pq_row_group *rg = &r->meta->row_groups[rgi];
    for (int i = 0; i < r->npreds; i++) {
        const struct fl_pq_pred *p = &r->preds[i];
        int f = fl_schema_index_by_id(r->schema, p->field_id);
        if (f < 0) continue;
        const struct fl_pq_column_chunk *cc = &rg->columns[r->field_leaf[f]];
        if (!cc->has_meta_data || !cc->meta.has_stats) continue;
        const struct fl_pq_stats *st = &cc->meta.stats;
        struct cursor c;
        memset(&c, 0, sizeof(c));
        cursor_type(r, f, &c);
        struct span_stats s;
        memset(&s, 0, sizeof(s));
        s.num_values = cc->meta.num_values;
        s.has_nulls = st->has_null_count;
        s.null_count = st->null_count;
        if (st->has_min_value && st->has_max_value && stats_usable(r, f, false)) {
            s.has_min = stat_lit(&c, &st->min_value, &s.min);
            s.has_max = stat_lit(&c, &st->max_value, &s.max);
        } else if (st->has_min && st->has_max && stats_usable(r, f, true)) {
            s.has_min = stat_lit(&c, &st->min, &s.min);
            s.has_max = stat_lit(&c, &st->max, &s.max);
        }
        if (can_skip(p, &s)) return true;
    }
    return false;
}

/* Intersects r->ranges with the kept spans of one predicate's pages. */
static void ranges_intersect(struct fl_pq_reader *r, const int64_t *keep, int nkeep) {
    int64_t *out = fl_calloc((size_t)(r->nranges + nkeep) * 2 + 2, sizeof(int64_t));
    int n = 0;
    int i = 0, j = 0;
    while (i < r->nranges && j < nkeep) {
        int64_t a = r->ranges[2 * i] > keep[2 * j] ? r->ranges[2 * i] : keep[2 * j];
        int64_t b = r->ranges[2 * i + 1] < keep[2 * j + 1] ? r->ranges[2 * i + 1] : keep[2 * j + 1];
        if (a < b) {
            out[2 * n] = a;
            out[2 * n + 1] = b;
            n++;
        }
        if (r->ranges[2 * i + 1] < keep[2 * j + 1])
            i++;
        else
            j++;
    }
    fl_free(r->ranges);
    r->ranges = out;
    r->nranges = n;
}

/* Row ranges of row group rgi left after the page indexes. A page index
 * that is missing, malformed or inconsistent is ignored: it only ever
 * lets us skip. */
static void page_ranges(struct fl_pq_reader *r, int rgi) {
    const struct fl_pq_row_group *rg = &r->meta->row_groups[rgi];
    fl_free(r->ranges);
    r->ranges = fl_calloc(2, sizeof(int64_t));
    r->ranges[0] = 0;
    r->ranges[1] = rg->num_rows;
    r->nranges = rg->num_rows > 0;
    for (int i = 0; i < r->npreds && r->nranges; i++) {
        const struct fl_pq_pred *p = &r->preds[i];
        int f = fl_schema_index_by_id(r->schema, p->field_id);
        if (f < 0) continue;
        const struct fl_pq_column_chunk *cc = &rg->columns[r->field_leaf[f]];
        if (!cc->has_column_index || !cc->has_offset_index) continue;
        if (cc->column_index_offset < 0 || cc->column_index_length <= 0 ||
            cc->offset_index_offset < 0 || cc->offset_index_length <= 0 ||
            (uint64_t)cc->column_index_offset + (uint64_t)cc->column_index_length >
                r->footer_start ||
            (uint64_t)cc->offset_index_offset + (uint64_t)cc->offset_index_length > r->footer_start)
            continue;
        struct fl_pq_column_index *ci = NULL;
        struct fl_pq_offset_index *oi = NULL;
        struct fl_error ierr = {0};
        if (fl_pq_column_index_parse(r->data + cc->column_index_offset,
                                     (size_t)cc->column_index_length, cc->column_index_offset, &ci,
                                     &ierr) ||
            fl_pq_offset_index_parse(r->data + cc->offset_index_offset,
                                     (size_t)cc->offset_index_length, cc->offset_index_offset, &oi,
                                     &ierr) ||
            ci->npages != oi->npages || ci->npages == 0) {
            fl_pq_column_index_free(ci);
            fl_pq_offset_index_free(oi);
            continue;
        }
        struct cursor c;
        memset(&c, 0, sizeof(c));
        cursor_type(r, f, &c);
        bool usable = stats_usable(r, f, false);
        int64_t *keep = fl_calloc((size_t)ci->npages * 2, sizeof(int64_t));
        int nkeep = 0;
        bool ok = true;
        for (int pg = 0; pg < ci->npages && ok; pg++) {
            int64_t a = oi->pages[pg].first_row_index;
            int64_t b = pg + 1 < oi->npages ? oi->pages[pg + 1].first_row_index : rg->num_rows;
            if (a < 0 || a > b || b > rg->num_rows || (pg == 0 && a != 0)) {
                ok = false;
                break;
            }
            struct span_stats s;
            memset(&s, 0, sizeof(s));
            s.num_values = b - a;
            s.all_null = ci->null_pages[pg];
            if (ci->null_counts) {
                s.has_nulls = true;
                s.null_count = ci->null_counts[pg];
            }
            if (!s.all_null && usable) {
                s.has_min = stat_lit(&c, &ci->min_values[pg], &s.min);
                s.has_max = stat_lit(&c, &ci->max_values[pg], &s.max);
            }
            if (a == b || can_skip(p, &s)) continue;
            if (nkeep && keep[2 * nkeep - 1] == a) {
                keep[2 * nkeep - 1] = b;
            } else {
                keep[2 * nkeep] = a;
                keep[2 * nkeep + 1] = b;
                nkeep++;
            }
        }
        if (ok) ranges_intersect(r, keep, nkeep);
        fl_free(keep);
        fl_pq_column_index_free(ci);
        fl_pq_offset_index_free(oi);
    }
}

/* ---- pages ---- */

/* Largest decompressed size we believe for a page of csz bytes. */
static size_t page_cap(int codec, size_t csz) {
    size_t ratio = codec == FL_PQ_CODEC_UNCOMPRESSED ? 1
                   : codec == FL_PQ_CODEC_SNAPPY     ? 64
                   : codec == FL_PQ_CODEC_ZSTD       ? 65536
                                                     : 2048;
    size_t cap = (size_t)16 << 20;
    if (csz < (FL_PQ_MAX_PAGE_BYTES - cap) / ratio)
        cap += csz * ratio;
    else
        cap = FL_PQ_MAX_PAGE_BYTES;
    return cap;
}

/* Gives the (decompressed) bytes of a page section. */
static fl_err_t section(struct fl_pq_reader *r, struct cursor *c, const uint8_t *src, size_t csz,
                        size_t usz, bool compressed, const uint8_t **out, struct fl_error *err) {
    (void)r;
    if (!compressed || c->codec == FL_PQ_CODEC_UNCOMPRESSED) {
        if (usz != csz)
            return fl_errf(err, FL_ERR_CORRUPT, "uncompressed page of %zu bytes says it has %zu",
                           csz, usz);
        *out = src;
        return FL_OK;
    }
    if (usz > page_cap(c->codec, csz))
        return fl_errf(err, FL_ERR_LIMIT,
                       "page of %zu compressed bytes claims %zu uncompressed, beyond the cap", csz,
                       usz);
    if (usz == 0 && csz == 0) {
        *out = src;
        return FL_OK;
    }
    fl_buf_reset(&c->scratch);
    if (!fl_buf_grow(&c->scratch, usz ? usz : 1))
        return fl_errf(err, FL_ERR_LIMIT, "page larger than the cap");
    fl_err_t e = fl_pq_decompress(c->codec, src, csz, c->scratch.data, usz, err);
    if (e) return e;
    *out = c->scratch.data;
    return FL_OK;
}

static fl_err_t decode_values(struct cursor *c, int enc, const uint8_t *p, size_t len, size_t n,
                              struct fl_pq_vec *out, struct fl_error *err) {
    size_t cnt, used;
    fl_pq_vec_reset(out, fl_pq_phys_width(c->ptype, c->type_len));
    switch (enc) {
    case FL_PQ_ENC_PLAIN:
        return fl_pq_decode_plain(c->ptype, c->type_len, p, len, n, out, NULL, err);
    case FL_PQ_ENC_PLAIN_DICTIONARY:
    case FL_PQ_ENC_RLE_DICTIONARY:
        if (!c->has_dict)
            return fl_errf(err, FL_ERR_CORRUPT,
                           "dictionary-encoded page without a dictionary page");
        return fl_pq_decode_dict(&c->dict, p, len, n, out, err);
    case FL_PQ_ENC_RLE:
        if (c->ptype != FL_PQ_BOOLEAN) break;
        return fl_pq_decode_bool_rle(p, len, n, out, err);
    case FL_PQ_ENC_DELTA_BINARY_PACKED: {
        fl_err_t e = fl_pq_decode_delta_binary(c->ptype, p, len, n, out, &cnt, &used, err);
        if (!e && cnt != n)
            e = fl_errf(err, FL_ERR_CORRUPT, "delta page has %zu values, expected %zu", cnt, n);
        return e;
    }
    case FL_PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
        if (c->ptype != FL_PQ_BYTE_ARRAY) break;
        return fl_pq_decode_delta_length(p, len, n, out, NULL, err);
    case FL_PQ_ENC_DELTA_BYTE_ARRAY:
        return fl_pq_decode_delta_byte_array(c->ptype, c->type_len, p, len, n, out, err);
    case FL_PQ_ENC_BYTE_STREAM_SPLIT:
        return fl_pq_decode_byte_stream_split(c->ptype, c->type_len, p, len, n, out, err);
    default:
        break;
    }
    char scratch[24];
    return fl_errf(err, FL_ERR_UNSUPPORTED, "encoding %s on %s is not supported",
                   fl_pq_encoding_name(enc, scratch, sizeof(scratch)), fl_pq_type_name(c->ptype));
}

static fl_err_t read_dict_page(struct fl_pq_reader *r, struct cursor *c,
                               const struct fl_pq_page_header *h, const uint8_t *body,
                               struct fl_error *err) {
    const uint8_t *p;
    if (!h->has_dict) return fl_errf(err, FL_ERR_CORRUPT, "dictionary page without its header");
    if (c->has_dict)
        return fl_errf(err, FL_ERR_CORRUPT, "second dictionary page in a column chunk");
    if (h->dict.num_values < 0 || h->dict.num_values > FL_PQ_MAX_PAGE_VALUES)
        return fl_errf(err, FL_ERR_CORRUPT, "dictionary of %d values", h->dict.num_values);
    if (h->dict.encoding != FL_PQ_ENC_PLAIN && h->dict.encoding != FL_PQ_ENC_PLAIN_DICTIONARY)
        return fl_errf(err, FL_ERR_UNSUPPORTED, "dictionary page encoding %d", h->dict.encoding);
    fl_err_t e = section(r, c, body, (size_t)h->compressed_page_size,
                         (size_t)h->uncompressed_page_size, true, &p, err);
    if (e) return e;
    fl_pq_vec_reset(&c->dict, fl_pq_phys_width(c->ptype, c->type_len));
    e = fl_pq_decode_plain(c->ptype, c->type_len, p, (size_t)h->uncompressed_page_size,
                           (size_t)h->dict.num_values, &c->dict, NULL, err);
    if (!e) c->has_dict = true;
    return e;
}

/* Levels of a v1 page at *p, which then moves past them. */
static fl_err_t levels_v1(int enc, int max, const uint8_t **p, size_t *len, size_t n, uint8_t *out,
                          struct fl_error *err) {
    size_t used;
    fl_err_t e = fl_pq_decode_levels_v1(enc, max, *p, *len, n, out, &used, err);
    if (e) return e;
    *p += used;
    *len -= used;
    return FL_OK;
}

static fl_err_t read_data_page(struct fl_pq_reader *r, struct cursor *c,
                               const struct fl_pq_page_header *h, const uint8_t *body, size_t n,
                               struct fl_error *err) {
    size_t csz = (size_t)h->compressed_page_size, usz = (size_t)h->uncompressed_page_size;
    const uint8_t *p, *vals;
    size_t vlen, nonnull = n;
    int enc;
    fl_err_t e;
    fl_buf_reset(&c->defs);
    fl_buf_reset(&c->reps);
    if (c->max_def && !fl_buf_grow(&c->defs, n))
        return fl_errf(err, FL_ERR_LIMIT, "page too large");
    if (c->max_rep && !fl_buf_grow(&c->reps, n))
        return fl_errf(err, FL_ERR_LIMIT, "page too large");
    if (h->type == FL_PQ_PAGE_DATA) {
        enc = h->data.encoding;
        e = section(r, c, body, csz, usz, true, &p, err);
        if (e) return e;
        vals = p;
        vlen = usz;
        /* repetition levels come first */
        if (c->max_rep &&
            (e = levels_v1(h->data.rep_encoding, c->max_rep, &vals, &vlen, n, c->reps.data, err)))
            return e;
        if (c->max_def &&
            (e = levels_v1(h->data.def_encoding, c->max_def, &vals, &vlen, n, c->defs.data, err)))
            return e;
    } else {
        const struct fl_pq_data_page_header_v2 *v2 = &h->data_v2;
        enc = v2->encoding;
        if (v2->def_levels_byte_length < 0 || v2->rep_levels_byte_length < 0)
            return fl_errf(err, FL_ERR_CORRUPT, "negative level lengths");
        size_t rl = (size_t)v2->rep_levels_byte_length, dl = (size_t)v2->def_levels_byte_length;
        if (rl + dl > csz || rl + dl > usz)
            return fl_errf(err, FL_ERR_CORRUPT, "levels longer than the page");
        if (v2->num_nulls < 0 || (size_t)v2->num_nulls > n)
            return fl_errf(err, FL_ERR_CORRUPT, "page has %d nulls for %zu values", v2->num_nulls,
                           n);
        if (c->max_rep) {
            e = fl_pq_decode_levels_v2(c->max_rep, body, rl, n, c->reps.data, err);
            if (e) return e;
        }
        if (c->max_def) {
            e = fl_pq_decode_levels_v2(c->max_def, body + rl, dl, n, c->defs.data, err);
            if (e) return e;
        }
        e = section(r, c, body + rl + dl, csz - rl - dl, usz - rl - dl, v2->is_compressed, &vals,
                    err);
        if (e) return e;
        vlen = usz - rl - dl;
    }
    if (c->max_def) {
        nonnull = 0;
        for (size_t i = 0; i < n; i++) nonnull += c->defs.data[i] == c->max_def;
    }
    if (h->type == FL_PQ_PAGE_DATA_V2 && n - nonnull != (size_t)h->data_v2.num_nulls)
        return fl_errf(err, FL_ERR_CORRUPT, "page says %d nulls, its levels %zu",
                       h->data_v2.num_nulls, n - nonnull);
    e = decode_values(c, enc, vals, vlen, nonnull, &c->vals, err);
    if (e) return e;
    if (c->vals.n != nonnull)
        return fl_errf(err, FL_ERR_CORRUPT, "page decoded %zu values, expected %zu", c->vals.n,
                       nonnull);
    return FL_OK;
}

/* Loads the first page (after the dictionary) with a row >= target,
 * skipping whole pages before it. */
static fl_err_t load_page(struct fl_pq_reader *r, struct cursor *c, int64_t target,
                          struct fl_error *err) {
    for (;;) {
        struct fl_pq_page_header h;
        size_t hlen;
        int64_t at = c->chunk_off + (int64_t)c->pos;
        fl_err_t e;
        if (c->pos >= c->chunk_len && c->owner) { /* a nested leaf: its entries end */
            c->eof = true;
            return FL_OK;
        }
        if (c->pos >= c->chunk_len)
            return fl_errf(err, FL_ERR_CORRUPT,
                           "%s: column \"%s\", row group %d: pages end at row %lld of %lld",
                           rname(r), c->name, r->rg, (long long)c->next_row,
                           (long long)c->num_rows);
        e = fl_pq_page_header_parse(c->chunk + c->pos, c->chunk_len - c->pos, at, &h, &hlen, err);
        if (!e && (size_t)h.compressed_page_size > c->chunk_len - c->pos - hlen)
            e = fl_errf(err, FL_ERR_CORRUPT, "page of %d bytes runs past its column chunk",
                        h.compressed_page_size);
        const uint8_t *body = c->chunk + c->pos + hlen;
        size_t next = c->pos + hlen + (size_t)(e ? 0 : h.compressed_page_size);
        if (!e && h.has_crc &&
            (h.type == FL_PQ_PAGE_DICTIONARY || h.type == FL_PQ_PAGE_DATA ||
             h.type == FL_PQ_PAGE_DATA_V2)) {
            uint32_t crc = (uint32_t)crc32(0L, body, (uInt)h.compressed_page_size);
            if (crc != h.crc)
                e = fl_errf(err, FL_ERR_CORRUPT, "page checksum mismatch (crc32 %08x, header %08x)",
                            crc, h.crc);
        }
        int64_t n = 0;
        bool is_data = h.type == FL_PQ_PAGE_DATA || h.type == FL_PQ_PAGE_DATA_V2;
        if (!e && h.type == FL_PQ_PAGE_DICTIONARY) {
            e = read_dict_page(r, c, &h, body, err);
        } else if (!e && is_data) {
            if ((h.type == FL_PQ_PAGE_DATA && !h.has_data) ||
                (h.type == FL_PQ_PAGE_DATA_V2 && !h.has_data_v2))
                e = fl_errf(err, FL_ERR_CORRUPT, "data page without its header");
            else if (h.type == FL_PQ_PAGE_DATA)
                n = h.data.num_values;
            else {
                n = h.data_v2.num_values;
                if (h.data_v2.num_rows != n && !c->max_rep)
                    e = fl_errf(err, FL_ERR_CORRUPT,
                                "flat column page with %d rows for %lld values", h.data_v2.num_rows,
                                (long long)n);
            }
            /* entries, not rows, when repeated: only the caps hold */
            if (!e && (n < 0 || (!c->max_rep && n > c->num_rows - c->next_row)))
                e = fl_errf(err, FL_ERR_CORRUPT,
                            "page of %lld values beyond the row group's %lld rows", (long long)n,
                            (long long)c->num_rows);
            if (!e && n > FL_PQ_MAX_PAGE_VALUES)
                e = fl_errf(err, FL_ERR_LIMIT, "page of %lld values beyond the cap", (long long)n);
            if (!e && n > 0 && c->next_row + n > target) {
                e = read_data_page(r, c, &h, body, (size_t)n, err);
                if (!e) {
                    r->stats.pages_read++;
                    c->pos = next;
                    c->loaded = true;
                    c->page_first = c->next_row;
                    c->page_n = (size_t)n;
                    c->page_i = 0;
                    c->val_i = 0;
                    c->next_row += n;
                    return FL_OK;
                }
            } else if (!e && n > 0) {
                r->stats.pages_skipped++;
            }
        }
        if (e) {
            fl_err_prefix(err, "%s: column \"%s\", row group %d, page at byte %lld", rname(r),
                          c->name, r->rg, (long long)at);
            return e;
        }
        c->next_row += n;
        c->pos = next;
    }
}

/* Moves the cursor to row target (never backwards). */
static fl_err_t cursor_seek(struct fl_pq_reader *r, struct cursor *c, int64_t target,
                            struct fl_error *err) {
    for (;;) {
        if (c->loaded) {
            int64_t at = c->page_first + (int64_t)c->page_i;
            int64_t end = c->page_first + (int64_t)c->page_n;
            if (target < end) {
                size_t skip = (size_t)(target - at);
                if (c->max_def)
                    for (size_t i = 0; i < skip; i++)
                        c->val_i += c->defs.data[c->page_i + i] == c->max_def;
                else
                    c->val_i += skip;
                c->page_i += skip;
                return FL_OK;
            }
            c->loaded = false;
        }
        fl_err_t e = load_page(r, c, target, err);
        if (e) return e;
    }
}

static fl_err_t append_value(struct fl_pq_reader *r, struct cursor *c, struct fl_col *col, size_t i,
                             struct fl_error *err) {
    const struct fl_pq_vec *v = &c->vals;
    const uint8_t *p = v->width ? v->data.data + i * v->width : NULL;
    size_t len;
    fl_err_t e;
    switch (c->conv) {
    case CV_BOOL:
        e = fl_col_append_bool(col, p[0] != 0);
        break;
    case CV_I32:
        e = fl_col_append_i32(col, (int32_t)fl_le32(p));
        break;
    case CV_U32:
        e = fl_col_append_i64(col, (int64_t)fl_le32(p));
        break;
    case CV_I64:
        e = fl_col_append_i64(col, (int64_t)fl_le64(p));
        break;
    case CV_TIME_MS:
        e = fl_col_append_i64(col, (int64_t)(int32_t)fl_le32(p) * 1000);
        break;
    case CV_NANOS:
        e = fl_col_append_i64(col, floor_div((int64_t)fl_le64(p), 1000));
        break;
    case CV_MILLIS: {
        int64_t ms = (int64_t)fl_le64(p);
        if (ms > INT64_MAX / 1000 || ms < INT64_MIN / 1000)
            return fl_errf(err, FL_ERR_RANGE, "%s: column \"%s\": timestamp %lld ms out of range",
                           rname(r), c->name, (long long)ms);
        e = fl_col_append_i64(col, ms * 1000);
        break;
    }
    case CV_I96: {
        int64_t nanos = (int64_t)fl_le64(p);
        int64_t jd = (int32_t)fl_le32(p + 8);
        /* wrapping arithmetic, as Spark's writer and reader use: a value
         * written from micros beyond the nanosecond range round-trips */
        uint64_t us =
            (uint64_t)(jd - 2440588) * UINT64_C(86400000000) + (uint64_t)floor_div(nanos, 1000);
        e = fl_col_append_i64(col, (int64_t)us);
        break;
    }
    case CV_DEC_I32:
        e = fl_col_append_i128(col, (int32_t)fl_le32(p));
        break;
    case CV_DEC_I64:
        e = fl_col_append_i128(col, (int64_t)fl_le64(p));
        break;
    case CV_DEC_BE: {
        __int128 d;
        if (!p)
            p = fl_pq_vec_bytes(v, i, &len);
        else
            len = v->width;
        if (!be_i128(p, len, &d))
            return fl_errf(err, FL_ERR_RANGE,
                           "%s: column \"%s\": decimal of %zu bytes does not fit 128 bits",
                           rname(r), c->name, len);
        e = fl_col_append_i128(col, d);
        break;
    }
    case CV_F32: {
        float f;
        uint32_t u = fl_le32(p);
        memcpy(&f, &u, 4);
        e = fl_col_append_f32(col, f);
        break;
    }
    case CV_F64: {
        double d;
        uint64_t u = fl_le64(p);
        memcpy(&d, &u, 8);
        e = fl_col_append_f64(col, d);
        break;
    }
    case CV_BYTES:
        p = fl_pq_vec_bytes(v, i, &len);
        e = fl_col_append_bytes(col, p, len);
        break;
    case CV_FIXED:
        e = fl_col_append_bytes(col, p, v->width);
        break;
    default:
        e = FL_ERR_INVALID;
    }
    if (e)
        return fl_errf(err, e, "%s: column \"%s\": batch append failed (%s)", rname(r), c->name,
                       fl_err_name(e));
    return FL_OK;
}

/* Appends rows [row, row + k) of the cursor's column to col. */
static fl_err_t cursor_take(struct fl_pq_reader *r, struct cursor *c, int64_t row, size_t k,
                            struct fl_col *col, struct fl_error *err) {
    while (k) {
        fl_err_t e = cursor_seek(r, c, row, err);
        if (e) return e;
        size_t m = c->page_n - c->page_i;
        if (m > k) m = k;
        for (size_t i = 0; i < m; i++) {
            if (c->max_def && c->defs.data[c->page_i + i] != c->max_def) {
                e = fl_col_append_null(col);
                if (e) return fl_errf(err, e, "%s: batch append failed", rname(r));
                if (col->field->required)
                    return fl_errf(err, FL_ERR_CORRUPT,
                                   "%s: column \"%s\": null in a required column", rname(r),
                                   c->name);
            } else {
                if (c->val_i >= c->vals.n)
                    return fl_errf(err, FL_ERR_CORRUPT, "%s: column \"%s\": page ran out of values",
                                   rname(r), c->name);
                e = append_value(r, c, col, c->val_i++, err);
                if (e) return e;
            }
        }
        c->page_i += m;
        row += (int64_t)m;
        k -= m;
    }
    return FL_OK;
}

/* ---- row groups ---- */

/* Points cursor c at its column chunk in the current row group. */
static fl_err_t open_chunk(struct fl_pq_reader *r, struct cursor *c, struct fl_error *err) {
    const struct fl_pq_row_group *rg = &r->meta->row_groups[r->rg];
    {
        const struct fl_pq_column_chunk *cc = &rg->columns[c->leaf];
        const struct fl_pq_col_meta *m = &cc->meta;
        c->loaded = false;
        c->has_dict = false;
        c->eof = false;
        c->next_row = 0;
        c->pos = 0;
        c->num_rows = rg->num_rows;
        if (!cc->has_meta_data)
            return fl_errf(err, cc->encrypted ? FL_ERR_UNSUPPORTED : FL_ERR_CORRUPT,
                           "%s: column \"%s\", row group %d: no column metadata%s", rname(r),
                           c->name, r->rg, cc->encrypted ? " (encrypted)" : "");
        if (cc->file_path)
            return fl_errf(err, FL_ERR_UNSUPPORTED,
                           "%s: column \"%s\", row group %d: data in another file (%s)", rname(r),
                           c->name, r->rg, cc->file_path);
        if (m->type != c->ptype)
            return fl_errf(err, FL_ERR_CORRUPT,
                           "%s: column \"%s\", row group %d: chunk type %s, schema type %s",
                           rname(r), c->name, r->rg, fl_pq_type_name(m->type),
                           fl_pq_type_name(c->ptype));
        if (m->codec != FL_PQ_CODEC_UNCOMPRESSED && m->codec != FL_PQ_CODEC_SNAPPY &&
            m->codec != FL_PQ_CODEC_GZIP && m->codec != FL_PQ_CODEC_LZ4 &&
            m->codec != FL_PQ_CODEC_ZSTD && m->codec != FL_PQ_CODEC_LZ4_RAW)
            return fl_errf(err, FL_ERR_UNSUPPORTED, "%s: column \"%s\": codec %s is not supported",
                           rname(r), c->name, fl_pq_codec_name(m->codec));
        c->codec = m->codec;
        int64_t start = m->data_page_offset;
        if (m->has_dictionary_page_offset && m->dictionary_page_offset > 0 &&
            m->dictionary_page_offset < start)
            start = m->dictionary_page_offset;
        int64_t size = m->total_compressed_size;
        if (start < 4 || size < 0 || (uint64_t)start > r->footer_start ||
            (uint64_t)size > r->footer_start - (uint64_t)start)
            return fl_errf(err, FL_ERR_CORRUPT,
                           "%s: column \"%s\", row group %d: chunk at %lld of %lld bytes is "
                           "outside the file's data (which ends at %zu)",
                           rname(r), c->name, r->rg, (long long)start, (long long)size,
                           r->footer_start);
        c->chunk = r->data + start;
        c->chunk_len = (size_t)size;
        c->chunk_off = start;
    }
    return FL_OK;
}

static fl_err_t open_row_group(struct fl_pq_reader *r, struct fl_error *err) {
    for (int i = 0; i < r->nproj; i++) {
        struct cursor *c = &r->cur[i];
        fl_err_t e;
        if (!c->nf) {
            if ((e = open_chunk(r, c, err))) return e;
            continue;
        }
        c->next_row = 0;
        for (int l = 0; l < c->nf->nleaves; l++) {
            if ((e = open_chunk(r, &c->sub[l], err))) return e;
            memset(&c->nl[l], 0, sizeof(c->nl[l]));
            c->nl[l].max_def = (int16_t)c->sub[l].max_def;
        }
    }
    return FL_OK;
}

/* fl_pq_nleaf_refill_fn: the next page of leaf l of nested cursor ctx,
 * its values converted into the leaf's value column. */
static fl_err_t nested_refill(void *ctx, int l, struct fl_error *err) {
    struct cursor *c = ctx, *s = &c->sub[l];
    struct fl_pq_reader *r = c->owner;
    struct fl_pq_nleaf *L = &c->nl[l];
    fl_err_t e = load_page(r, s, s->next_row, err);
    if (e) return e;
    L->n = L->i = L->vi = 0;
    if (s->eof) {
        L->eof = true;
        return FL_OK;
    }
    struct fl_col *vals = &c->leaf_vals->cols[l];
    fl_col_reset(vals);
    for (size_t v = 0; v < s->vals.n; v++)
        if ((e = append_value(r, s, vals, v, err))) return e;
    L->reps = s->max_rep ? s->reps.data : NULL;
    L->defs = s->max_def ? s->defs.data : NULL;
    L->n = s->page_n;
    L->vals = vals;
    s->loaded = false;
    return FL_OK;
}

/* Appends rows [row, row + k) of a nested column to col. */
static fl_err_t nested_take(struct fl_pq_reader *r, struct cursor *c, int64_t row, size_t k,
                            struct fl_col *col, struct fl_error *err) {
    fl_err_t e = FL_OK;
    for (; c->next_row < row && !e; c->next_row++) e = fl_pq_skip_row(&c->as, err);
    for (size_t i = 0; i < k && !e; i++, c->next_row++)
        e = fl_pq_assemble_row(&c->as, col, &c->json, err);
    if (e) fl_err_prefix(err, "%s: row group %d", rname(r), r->rg);
    return e;
}

static fl_err_t start_reading(struct fl_pq_reader *r, struct fl_error *err) {
    r->started = true;
    if (!r->proj) {
        if (r->nunsup) return unsup_err(r, &r->unsup[0], err);
        int *idx = fl_calloc((size_t)r->schema->nfields + 1, sizeof(int));
        for (int i = 0; i < r->schema->nfields; i++) idx[i] = i;
        fl_err_t e = set_projection(r, idx, r->schema->nfields, err);
        fl_free(idx);
        if (e) return e;
    }
    fl_err_t e = fl_batch_new(r->proj, FL_PQ_BATCH_ROWS, &r->batch, err);
    if (e) return e;
    r->cur = fl_calloc((size_t)r->nproj + 1, sizeof(*r->cur));
    for (int i = 0; i < r->nproj; i++) {
        struct cursor *c = &r->cur[i];
        const struct fl_pq_nested *nf = r->field_nested[r->proj_field[i]];
        if (nf) {
            c->f = r->proj_field[i];
            c->name = r->schema->fields[c->f].name;
            c->owner = r;
            c->nf = nf;
            c->sub = fl_calloc((size_t)nf->nleaves, sizeof(*c->sub));
            c->nl = fl_calloc((size_t)nf->nleaves, sizeof(*c->nl));
            fl_buf_init(&c->json, FL_BATCH_HEAP_MAX);
            if ((e = fl_batch_new(nf->leaf_schema, 0, &c->leaf_vals, err))) return e;
            for (int l = 0; l < nf->nleaves; l++) {
                struct cursor *s = &c->sub[l];
                leaf_cursor_type(r, nf->leaves[l], nf->conv[l], s);
                s->owner = r;
                fl_buf_init(&s->defs, FL_PQ_MAX_PAGE_BYTES);
                fl_buf_init(&s->reps, FL_PQ_MAX_PAGE_BYTES);
                fl_buf_init(&s->scratch, FL_PQ_MAX_PAGE_BYTES);
                fl_pq_vec_init(&s->vals, r->vec_max);
                fl_pq_vec_init(&s->dict, r->vec_max);
            }
            c->as.plan = nf;
            c->as.leaves = c->nl;
            c->as.refill = nested_refill;
            c->as.ctx = c;
            c->as.name = c->name;
            c->as.target = r->field_target[c->f];
            fl_buf_init(&c->as.discard, FL_BATCH_HEAP_MAX);
            fl_buf_init(&c->as.vscratch, FL_BATCH_HEAP_MAX);
            continue;
        }
        cursor_type(r, r->proj_field[i], c);
        fl_buf_init(&c->defs, FL_PQ_MAX_PAGE_BYTES);
        fl_buf_init(&c->scratch, FL_PQ_MAX_PAGE_BYTES);
        fl_pq_vec_init(&c->vals, r->vec_max);
        fl_pq_vec_init(&c->dict, r->vec_max);
    }
    return FL_OK;
}

fl_err_t fl_pq_reader_next(struct fl_pq_reader *r, struct fl_batch **out, struct fl_error *err) {
    fl_err_t e;
    if (r->failed) return fl_errf(err, FL_ERR_INVALID, "%s: reader failed earlier", rname(r));
    if (!r->started && (e = start_reading(r, err))) goto fail;
    for (;;) {
        if (!r->rg_open) {
            if (r->rg >= r->meta->nrow_groups) return FL_ERR_EOF;
            if (r->meta->row_groups[r->rg].num_rows == 0) {
                r->rg++;
                continue;
            }
            if (rg_prunable(r, r->rg)) {
                r->stats.row_groups_skipped++;
                r->rg++;
                continue;
            }
            page_ranges(r, r->rg);
            if (r->nranges == 0) {
                r->stats.row_groups_skipped++;
                r->rg++;
                continue;
            }
            if ((e = open_row_group(r, err))) goto fail;
            r->stats.row_groups_read++;
            r->rg_open = true;
            r->range_i = 0;
            r->row = r->ranges[0];
        }
        if (r->range_i >= r->nranges) {
            r->rg_open = false;
            r->rg++;
            continue;
        }
        int64_t end = r->ranges[2 * r->range_i + 1];
        if (r->row >= end) {
            if (++r->range_i < r->nranges) r->row = r->ranges[2 * r->range_i];
            continue;
        }
        size_t k = end - r->row < FL_PQ_BATCH_ROWS ? (size_t)(end - r->row) : FL_PQ_BATCH_ROWS;
        fl_batch_reset(r->batch);
        for (int i = 0; i < r->nproj; i++)
            if ((e = r->cur[i].nf ? nested_take(r, &r->cur[i], r->row, k, &r->batch->cols[i], err)
                                  : cursor_take(r, &r->cur[i], r->row, k, &r->batch->cols[i], err)))
                goto fail;
        if (r->nproj) {
            if ((e = fl_batch_seal(r->batch))) {
                fl_errf(err, e, "%s: columns of different lengths", rname(r));
                goto fail;
            }
        } else {
            r->batch->nrows = k;
        }
        r->row += (int64_t)k;
        r->stats.rows_read += (int64_t)k;
        *out = r->batch;
        return FL_OK;
    }
fail:
    r->failed = true;
    return e;
}
