/*
 * reader.c - ORC stripes into columnar batches (see reader.h): the
 * schema mapping, each stripe's streams decompressed and checked, and
 * the per-type decoding of PRESENT, DATA, LENGTH, DICTIONARY_DATA and
 * SECONDARY streams with the run length decoders of rle.c.
 */
#include "format/orc/reader.h"
#include "batch/project.h"
#include "batch/batch_json.h"
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
    const struct fl_field *f; /* its field in the batch schema (a member of a nested one) */
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
    /* a member of a nested column: its children (indexes into r->cols)
     * and the values of the batch being assembled */
    int *kids;
    int nkids;
    bool file_id;        /* f->id came from the file (else members match by name) */
    struct fl_col *vals; /* primitive: its values (r->leaf_batch) */
    uint8_t *nnv;        /* count present flags */
    uint32_t *elens;     /* list, map: entries of each present value */
    size_t count, pos, lpos, cap, lcap;
};

struct fl_orc_reader {
    const uint8_t *data;
    size_t len;
    struct fl_orc_tail tail;
    struct fl_schema *schema;
    uint32_t *colid;           /* schema field -> ORC column */
    struct fl_batch_proj proj; /* the batch's columns */
    struct col *cols;          /* every ORC column read: the batch's and their members */
    int ncols;
    int *top;                        /* batch column -> its index in cols */
    const struct fl_field **targets; /* batch column -> table field to shape it after */
    struct fl_schema *leaf_schema;   /* primitive members of nested columns */
    struct fl_batch *leaf_batch;     /* their values */
    struct fl_buf json;              /* one nested value being assembled */
    bool file_ids;                   /* the top-level fields have iceberg.id */
    int stripe;                      /* next stripe to open */
    uint64_t left;                   /* rows left in the open stripe */
    bool utc;                        /* the open stripe's writer timezone is UTC */
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

/* Drops a column's streams and dictionary (the stripe's). */
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

static void cols_free(struct fl_orc_reader *r) {
    for (int i = 0; i < r->ncols; i++) {
        col_fini(&r->cols[i]);
        fl_free(r->cols[i].kids);
        fl_free(r->cols[i].nnv);
        fl_free(r->cols[i].elens);
    }
    fl_free(r->cols);
    r->cols = NULL;
    r->ncols = 0;
    fl_free(r->top);
    r->top = NULL;
    fl_free(r->targets);
    r->targets = NULL;
    fl_batch_free(r->leaf_batch);
    r->leaf_batch = NULL;
    fl_schema_free(r->leaf_schema);
    r->leaf_schema = NULL;
}

void fl_orc_reader_free(struct fl_orc_reader *r) {
    if (!r) return;
    cols_free(r);
    fl_buf_fini(&r->json);
    fl_batch_proj_fini(&r->proj);
    fl_schema_free(r->schema);
    fl_free(r->colid);
    fl_orc_tail_fini(&r->tail);
    fl_free(r);
}

static void field_free(struct fl_field *f) {
    for (int i = 0; i < f->nchildren; i++) field_free(&f->children[i]);
    fl_free(f->children);
    fl_free(f->name);
    memset(f, 0, sizeof(*f));
}

#define MAX_DEPTH 64
#define MAX_NODES 10000 /* ORC columns one batch column may span */

/* Types ORC column c named name as field f, members too (struct ->
 * struct, list -> list of "element", map -> map of "key" and "value";
 * members without iceberg.id numbered from *next). false when some part
 * of it is not a type floe reads (f is then empty). */
static bool build_field(const struct fl_orc_tail *tl, uint32_t c, const char *name, int32_t *next,
                        int depth, int *budget, struct fl_field *f) {
    const struct fl_orc_type *t = &tl->types[c];
    f->name = fl_strdup(name);
    if (--*budget < 0) return field_free(f), false;
    if (t->kind != FL_ORC_STRUCT && t->kind != FL_ORC_LIST && t->kind != FL_ORC_MAP) {
        if (map_type(t, f)) return true;
        return field_free(f), false;
    }
    if (depth >= MAX_DEPTH || (t->kind == FL_ORC_LIST && t->nsub != 1) ||
        (t->kind == FL_ORC_MAP && t->nsub != 2))
        return field_free(f), false;
    f->type = t->kind == FL_ORC_STRUCT ? FL_TYPE_STRUCT
              : t->kind == FL_ORC_LIST ? FL_TYPE_LIST
                                       : FL_TYPE_MAP;
    f->children = fl_calloc((size_t)t->nsub + 1, sizeof(struct fl_field));
    f->nchildren = t->nsub;
    for (int k = 0; k < t->nsub; k++) {
        const struct fl_orc_type *st = &tl->types[t->sub[k]];
        const char *cn = t->kind == FL_ORC_STRUCT ? t->names[k]
                         : t->kind == FL_ORC_LIST ? "element"
                         : k                      ? "value"
                                                  : "key";
        struct fl_field *cf = &f->children[k];
        cf->id = st->iceberg_id != FL_ORC_NO_ID ? st->iceberg_id : (*next)++;
        if (!build_field(tl, t->sub[k], cn, next, depth + 1, budget, cf)) {
            f->nchildren = k;
            return field_free(f), false;
        }
        cf->id = st->iceberg_id != FL_ORC_NO_ID ? st->iceberg_id : cf->id;
    }
    if (t->kind == FL_ORC_MAP && !fl_type_is_primitive(f->children[0].type))
        return field_free(f), false; /* keys are printed as JSON scalars */
    return true;
}

fl_err_t fl_orc_reader_open_mem(const uint8_t *data, size_t len, struct fl_orc_reader **out,
                                struct fl_error *err) {
    struct fl_orc_reader *r = fl_calloc(1, sizeof(*r));
    r->data = data;
    r->len = len;
    fl_buf_init(&r->json, FL_BATCH_HEAP_MAX);
    fl_err_t rc = fl_orc_tail_parse(data, len, &r->tail, err);
    if (rc) {
        fl_buf_fini(&r->json);
        fl_free(r);
        return rc;
    }
    const struct fl_orc_type *root = &r->tail.types[0];
    bool ids = true;
    int32_t next = root->nsub + 1;
    for (int k = 0; k < root->nsub; k++) {
        int32_t id = r->tail.types[root->sub[k]].iceberg_id;
        if (id == FL_ORC_NO_ID) ids = false;
        if (id != FL_ORC_NO_ID && id >= next && id < INT32_MAX) next = id + 1;
    }
    r->file_ids = ids && root->nsub > 0;
    r->schema = fl_calloc(1, sizeof(*r->schema));
    r->schema->fields = fl_calloc((size_t)root->nsub + 1, sizeof(struct fl_field));
    r->colid = fl_calloc((size_t)root->nsub + 1, sizeof(uint32_t));
    for (int k = 0; k < root->nsub; k++) {
        const struct fl_orc_type *t = &r->tail.types[root->sub[k]];
        struct fl_field f = {0};
        int budget = MAX_NODES;
        if (!build_field(&r->tail, root->sub[k], root->names[k], &next, 0, &budget, &f)) continue;
        f.id = ids ? t->iceberg_id : k + 1;
        if (fl_schema_index_by_id(r->schema, f.id) >= 0) {
            field_free(&f);
            fl_orc_reader_free(r);
            return BAD("orc: field id %d appears twice", (int)f.id);
        }
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

bool fl_orc_reader_has_ids(const struct fl_orc_reader *r) { return r->file_ids; }

fl_err_t fl_orc_reader_set_ids(struct fl_orc_reader *r, const int32_t *ids, struct fl_error *err) {
    if (r->stripe > 0) return fl_errf(err, FL_ERR_INVALID, "orc: ids set after the first batch");
    for (int k = 0; k < r->schema->nfields; k++)
        for (int j = 0; j < k && ids[k] > 0; j++)
            if (ids[j] == ids[k])
                return fl_errf(err, FL_ERR_INVALID, "orc: field id %d given twice", (int)ids[k]);
    int n = 0;
    for (int k = 0; k < r->schema->nfields; k++) {
        if (ids[k] <= 0) {
            field_free(&r->schema->fields[k]);
            continue;
        }
        r->schema->fields[n] = r->schema->fields[k];
        r->schema->fields[n].id = ids[k];
        r->colid[n++] = r->colid[k];
    }
    r->schema->nfields = n;
    return fl_orc_reader_project_ids(r, NULL, 0, err);
}

static bool is_nested(const struct col *c) {
    return c->t->kind == FL_ORC_STRUCT || c->t->kind == FL_ORC_LIST || c->t->kind == FL_ORC_MAP;
}

/* Adds ORC column id typed as f (and its members) to r->cols: its index. */
static int add_col(struct fl_orc_reader *r, uint32_t id, const struct fl_field *f) {
    int k = r->ncols++;
    struct col *c = &r->cols[k];
    c->id = id;
    c->t = &r->tail.types[id];
    c->f = f;
    c->file_id = c->t->iceberg_id != FL_ORC_NO_ID;
    if (!is_nested(c)) return k;
    c->nkids = f->nchildren;
    c->kids = fl_calloc((size_t)c->nkids + 1, sizeof(int));
    for (int j = 0; j < f->nchildren; j++) {
        int kid = add_col(r, c->t->sub[j], &f->children[j]);
        r->cols[k].kids[j] = kid; /* r->cols does not move: sized beforehand */
    }
    return k;
}

static int count_fields(const struct fl_field *f) {
    int n = 1;
    for (int j = 0; j < f->nchildren; j++) n += count_fields(&f->children[j]);
    return n;
}

fl_err_t fl_orc_reader_project_ids(struct fl_orc_reader *r, const int32_t *ids, int n,
                                   struct fl_error *err) {
    if (r->stripe > 0) return fl_errf(err, FL_ERR_INVALID, "orc: projection after the first batch");
    fl_err_t rc = fl_batch_proj_set(&r->proj, r->schema, ids, n, FL_ORC_BATCH_ROWS, "orc", err);
    if (rc) return rc;
    cols_free(r);
    n = r->proj.batch->ncols;
    int total = 0, leaves = 0;
    for (int k = 0; k < n; k++) total += count_fields(&r->proj.schema->fields[k]);
    r->cols = fl_calloc((size_t)total + 1, sizeof(struct col));
    r->top = fl_calloc((size_t)n + 1, sizeof(int));
    r->targets = fl_calloc((size_t)n + 1, sizeof(*r->targets));
    for (int k = 0; k < n; k++)
        r->top[k] = add_col(r, r->colid[r->proj.idx[k]], &r->proj.schema->fields[k]);
    /* the primitive members of nested columns get a column of values each */
    r->leaf_schema = fl_calloc(1, sizeof(*r->leaf_schema));
    r->leaf_schema->fields = fl_calloc((size_t)total + 1, sizeof(struct fl_field));
    for (int i = 0; i < r->ncols; i++) {
        const struct fl_field *f = r->cols[i].f;
        if (is_nested(&r->cols[i]) || fl_type_is_primitive(f->type) == false) continue;
        bool member = true;
        for (int k = 0; k < n; k++) member &= r->top[k] != i;
        if (!member) continue;
        r->leaf_schema->fields[leaves++] = (struct fl_field){.id = f->id,
                                                             .type = f->type,
                                                             .precision = f->precision,
                                                             .scale = f->scale,
                                                             .length = f->length};
    }
    r->leaf_schema->nfields = leaves;
    rc = fl_batch_new(r->leaf_schema, 0, &r->leaf_batch, err);
    if (rc) return rc;
    leaves = 0;
    for (int i = 0; i < r->ncols; i++) {
        bool member = !is_nested(&r->cols[i]);
        for (int k = 0; k < n; k++) member &= r->top[k] != i;
        if (member) r->cols[i].vals = &r->leaf_batch->cols[leaves++];
    }
    return FL_OK;
}

fl_err_t fl_orc_reader_nested_target(struct fl_orc_reader *r, int32_t id,
                                     const struct fl_field *target, struct fl_error *err) {
    for (int k = 0; k < r->proj.batch->ncols; k++)
        if (r->proj.schema->fields[k].id == id &&
            !fl_type_is_primitive(r->proj.schema->fields[k].type)) {
            r->targets[k] = target;
            return FL_OK;
        }
    return fl_errf(err, FL_ERR_NOTFOUND, "orc: no nested column of field id %d is projected",
                   (int)id);
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
    for (int i = 0; i < r->ncols; i++) {
        col_fini(&r->cols[i]);
        struct col *c = &r->cols[i], keep = *c;
        memset(c, 0, sizeof(*c)); /* the stripe's state; what the projection set stays */
        c->id = keep.id;
        c->t = keep.t;
        c->f = keep.f;
        c->kids = keep.kids;
        c->nkids = keep.nkids;
        c->file_id = keep.file_id;
        c->vals = keep.vals;
        c->nnv = keep.nnv;
        c->elens = keep.elens;
        c->cap = keep.cap;
        c->lcap = keep.lcap;
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
        for (int i = 0; !rc && i < r->ncols; i++) {
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
    for (int i = 0; !rc && i < r->ncols; i++) {
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
                         c->f->name, sf.tz);
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

/* ---- nested columns: a batch's values of every member, then JSON ---- */

/* Decodes the next count values of member c (and of its members). */
static fl_err_t decode_member(struct fl_orc_reader *r, struct col *c, size_t count, int depth,
                              struct fl_error *err) {
    if (count > FL_ORC_MAX_ENTRIES)
        return BAD("orc: %zu values of column %u in one batch", count, c->id);
    if (count > c->cap) {
        c->nnv = fl_realloc(c->nnv, count);
        c->cap = count;
    }
    c->count = count;
    c->pos = c->lpos = 0;
    size_t nv = count;
    if (c->has_present) {
        for (size_t off = 0; off < count; off += FL_ORC_BATCH_ROWS) {
            size_t m = count - off < FL_ORC_BATCH_ROWS ? count - off : FL_ORC_BATCH_ROWS;
            if (fl_orc_bool_rle_next(&c->pres, c->nnv + off, m))
                return BAD("orc: truncated PRESENT stream of column %u", c->id);
        }
        nv = 0;
        for (size_t k = 0; k < count; k++) nv += c->nnv[k];
    } else if (count) {
        memset(c->nnv, 1, count);
    }
    if (!is_nested(c)) {
        fl_col_reset(c->vals);
        for (size_t off = 0; off < count; off += FL_ORC_BATCH_ROWS) {
            size_t m = count - off < FL_ORC_BATCH_ROWS ? count - off : FL_ORC_BATCH_ROWS, mv = 0;
            memcpy(r->nn, c->nnv + off, m);
            for (size_t k = 0; k < m; k++) mv += r->nn[k];
            fl_err_t rc = decode(r, c, c->vals, m, mv, err);
            if (rc) return rc;
        }
        return FL_OK;
    }
    size_t entries = nv; /* a struct's members have a value per present struct */
    if (c->t->kind != FL_ORC_STRUCT) {
        if (nv > c->lcap) {
            c->elens = fl_reallocarray(c->elens, nv, sizeof(uint32_t));
            c->lcap = nv;
        }
        entries = 0;
        for (size_t off = 0; off < nv; off += FL_ORC_BATCH_ROWS) {
            size_t m = nv - off < FL_ORC_BATCH_ROWS ? nv - off : FL_ORC_BATCH_ROWS;
            if (fl_orc_int_rle_next(&c->lens, r->iv, m))
                return BAD("orc: truncated lengths of column %u", c->id);
            for (size_t k = 0; k < m; k++) {
                if (r->iv[k] < 0 || (uint64_t)r->iv[k] > FL_ORC_MAX_ENTRIES - entries)
                    return BAD("orc: bad length %lld in column %u", (long long)r->iv[k], c->id);
                c->elens[off + k] = (uint32_t)r->iv[k];
                entries += (size_t)r->iv[k];
            }
        }
    }
    if (depth >= MAX_DEPTH) return BAD("orc: column %u nests too deep", c->id);
    for (int j = 0; j < c->nkids; j++) {
        fl_err_t rc = decode_member(r, &r->cols[c->kids[j]], entries, depth + 1, err);
        if (rc) return rc;
    }
    return FL_OK;
}

static const struct fl_field *tchild(const struct fl_field *t, fl_type_id_t type, int i) {
    return t && t->type == type && t->nchildren > i ? &t->children[i] : NULL;
}

/* Whether member m is the target's member tc: by id, or by name when the
 * file has no ids. */
static bool member_is(const struct col *m, const struct fl_field *tc) {
    return m->file_id ? m->f->id == tc->id : strcmp(m->f->name, tc->name) == 0;
}

/* Appends the next value of member c as JSON to out (out NULL: skips it),
 * shaped after the table's field t (NULL: the file's shape). */
static fl_err_t emit(struct fl_orc_reader *r, struct col *c, const struct fl_field *t,
                     struct fl_buf *out, struct fl_error *err) {
    if (c->pos >= c->count) return BAD("orc: column %u has fewer values than its parent", c->id);
    size_t i = c->pos++;
    if (!c->nnv[i]) return out ? fl_buf_append_str(out, "null") : FL_OK;
    if (!is_nested(c)) return out ? fl_col_value_to_json(c->vals, i, out) : FL_OK;
    fl_err_t rc = FL_OK;
    if (c->t->kind == FL_ORC_STRUCT) {
        if (t && t->type != FL_TYPE_STRUCT) t = NULL;
        int n = t ? t->nchildren : c->nkids;
        if (out) rc = fl_buf_append_u8(out, '{');
        for (int j = 0; j < n && !rc; j++) {
            const struct fl_field *tc = t ? &t->children[j] : NULL;
            int kid = t ? -1 : c->kids[j];
            for (int m = 0; t && m < c->nkids && kid < 0; m++)
                if (member_is(&r->cols[c->kids[m]], tc)) kid = c->kids[m];
            const char *name = tc ? tc->name : r->cols[kid].f->name;
            if (j && out) rc = fl_buf_append_u8(out, ',');
            if (!rc && out) rc = fl_json_put_string(out, (const uint8_t *)name, strlen(name));
            if (!rc && out) rc = fl_buf_append_u8(out, ':');
            if (!rc)
                rc = kid < 0 ? (out ? fl_buf_append_str(out, "null") : FL_OK)
                             : emit(r, &r->cols[kid], tc, out, err);
        }
        if (!rc && out) rc = fl_buf_append_u8(out, '}');
        /* members the table does not have still move on */
        for (int m = 0; t && m < c->nkids && !rc; m++) {
            bool wanted = false;
            for (int j = 0; j < t->nchildren && !wanted; j++)
                wanted = member_is(&r->cols[c->kids[m]], &t->children[j]);
            if (!wanted) rc = emit(r, &r->cols[c->kids[m]], NULL, NULL, err);
        }
        return rc;
    }
    if (c->lpos >= c->count) return BAD("orc: column %u ran out of lengths", c->id);
    uint32_t len = c->elens[c->lpos++];
    bool map = c->t->kind == FL_ORC_MAP;
    bool obj = map && r->cols[c->kids[0]].f->type == FL_TYPE_STRING;
    if (out) rc = fl_buf_append_u8(out, obj ? '{' : '[');
    for (uint32_t e = 0; e < len && !rc; e++) {
        if (e && out) rc = fl_buf_append_u8(out, ',');
        if (rc) break;
        if (!map) {
            rc = emit(r, &r->cols[c->kids[0]], tchild(t, FL_TYPE_LIST, 0), out, err);
            continue;
        }
        struct col *k = &r->cols[c->kids[0]];
        if (k->pos < k->count && !k->nnv[k->pos])
            return BAD("orc: a map key is null in column %u", c->id);
        if (out && !obj) rc = fl_buf_append_str(out, "{\"key\":");
        if (!rc) rc = emit(r, k, tchild(t, FL_TYPE_MAP, 0), out, err);
        if (!rc && out) rc = fl_buf_append_str(out, obj ? ":" : ",\"value\":");
        if (!rc) rc = emit(r, &r->cols[c->kids[1]], tchild(t, FL_TYPE_MAP, 1), out, err);
        if (!rc && out && !obj) rc = fl_buf_append_u8(out, '}');
    }
    if (!rc && out) rc = fl_buf_append_u8(out, obj ? '}' : ']');
    return rc;
}

/* n rows of nested batch column i as JSON text. */
static fl_err_t read_nested(struct fl_orc_reader *r, int i, size_t n, struct fl_error *err) {
    struct col *c = &r->cols[r->top[i]];
    struct fl_col *out = &r->proj.batch->cols[i];
    fl_err_t rc = decode_member(r, c, n, 0, err);
    for (size_t row = 0; row < n && !rc; row++) {
        if (!c->nnv[row]) {
            c->pos++;
            rc = fl_col_append_null(out);
            continue;
        }
        fl_buf_reset(&r->json);
        rc = emit(r, c, r->targets[i], &r->json, err);
        if (!rc) rc = fl_col_append_bytes(out, r->json.data, r->json.len);
    }
    return rc;
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
        struct col *c = &r->cols[r->top[i]];
        if (is_nested(c)) {
            fl_err_t rc = read_nested(r, i, n, err);
            if (rc) return fl_err_prefix(err, "stripe %d", r->stripe - 1), rc;
            continue;
        }
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
