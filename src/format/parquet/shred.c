/*
 * shred.c - JSON text of nested values into Parquet leaf levels and
 * values (shred.h).
 *
 * How it works: a tree of nodes mirrors the Iceberg field, each with the
 * definition level at which its value is present, the repetition level of
 * its entries (lists and maps) and the range of leaves under it. yajl's
 * events walk a stack of frames over that tree. A value appends one entry
 * to its leaf; a null (or a missing struct member) appends one entry with
 * the parent's definition level to every leaf under the node; an empty
 * list or map does the same with its own level. The first entry of a list
 * takes the repetition level the list inherited, the next ones the list's
 * own.
 */
#include "format/parquet/shred.h"

#include "batch/batch_json.h"
#include "core/mem.h"

#include <stdio.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#define SHRED_MAX_DEPTH 64

struct snode {
    const struct fl_field *f;
    int16_t def; /* present iff level >= def */
    int16_t rep; /* list/map: repetition level of the entries after the first */
    int first, nleaves;
    struct snode *kids;
    int nkids;
    uint8_t *seen; /* struct: members seen in the open object */
};

enum { FR_STRUCT, FR_LIST, FR_MAP_OBJ, FR_MAP_ARR, FR_KV };

struct frame {
    struct snode *n;
    int kind;
    int16_t r;       /* repetition level of the first entry */
    int16_t entry_r; /* map: the open entry's repetition level */
    size_t count;
    bool key_seen, value_seen; /* FR_KV */
};

struct fl_pq_shredder {
    struct snode root;
    struct fl_pq_shred_leaf *leaves;
    int nleaves;
    struct fl_schema *leaf_schema;
    struct fl_batch *lb;
    const char **paths; /* all leaves' paths, one block */
    yajl_handle h;
    /* the row being parsed */
    struct frame stack[SHRED_MAX_DEPTH];
    int depth;
    struct snode *pend; /* node of the next value (set by a key) */
    int16_t pend_d, pend_r;
    int skip;       /* depth inside a skipped value */
    bool skip_next; /* the next value belongs to an unknown key */
    bool done;
    fl_err_t rc;
    struct fl_error *err;
};

/* ---- the tree ---- */

static fl_err_t build(struct fl_pq_shredder *sh, struct snode *n, const struct fl_field *f,
                      int16_t pd, int16_t pr, const char **path, int np, int depth,
                      struct fl_error *err) {
    if (depth >= SHRED_MAX_DEPTH || np + 3 > SHRED_MAX_DEPTH * 2)
        return fl_errf(err, FL_ERR_LIMIT, "field \"%s\": nested too deeply", f->name);
    n->f = f;
    n->def = (int16_t)(pd + !f->required);
    n->first = sh->nleaves;
    path[np++] = f->name;
    fl_err_t rc = FL_OK;
    switch (f->type) {
    case FL_TYPE_STRUCT:
        if (f->nchildren < 1)
            return fl_errf(err, FL_ERR_UNSUPPORTED, "field \"%s\": an empty struct", f->name);
        n->nkids = f->nchildren;
        n->kids = fl_calloc((size_t)n->nkids, sizeof(*n->kids));
        n->seen = fl_calloc((size_t)n->nkids, 1);
        for (int k = 0; k < n->nkids && !rc; k++)
            rc = build(sh, &n->kids[k], &f->children[k], n->def, pr, path, np, depth + 1, err);
        break;
    case FL_TYPE_LIST:
    case FL_TYPE_MAP:
        n->rep = (int16_t)(pr + 1);
        if (f->nchildren != (f->type == FL_TYPE_LIST ? 1 : 2))
            return fl_errf(err, FL_ERR_INVALID, "field \"%s\": malformed list or map", f->name);
        if (f->type == FL_TYPE_MAP && !fl_type_is_primitive(f->children[0].type))
            return fl_errf(err, FL_ERR_UNSUPPORTED, "field \"%s\": map keys must be primitive",
                           f->name);
        path[np++] = f->type == FL_TYPE_LIST ? "list" : "key_value";
        n->nkids = f->nchildren;
        n->kids = fl_calloc((size_t)n->nkids, sizeof(*n->kids));
        for (int k = 0; k < n->nkids && !rc; k++)
            rc = build(sh, &n->kids[k], &f->children[k], (int16_t)(n->def + 1), n->rep, path, np,
                       depth + 1, err);
        break;
    default: {
        int l = sh->nleaves++;
        sh->leaves = fl_reallocarray(sh->leaves, (size_t)sh->nleaves, sizeof(*sh->leaves));
        struct fl_pq_shred_leaf *lf = &sh->leaves[l];
        memset(lf, 0, sizeof(*lf));
        lf->field = f;
        lf->max_def = n->def;
        lf->max_rep = pr;
        lf->optional = !f->required;
        lf->npath = np;
        lf->path = fl_calloc((size_t)np, sizeof(char *));
        memcpy(lf->path, path, (size_t)np * sizeof(char *));
        break;
    }
    }
    n->nleaves = sh->nleaves - n->first;
    return rc;
}

static void node_fini(struct snode *n) {
    for (int k = 0; k < n->nkids; k++) node_fini(&n->kids[k]);
    fl_free(n->kids);
    fl_free(n->seen);
}

/* ---- entries ---- */

static fl_err_t fail(struct fl_pq_shredder *sh, const struct snode *n, const char *why) {
    if (!sh->rc) sh->rc = fl_errf(sh->err, FL_ERR_INVALID, "field \"%s\": %s", n->f->name, why);
    return sh->rc;
}

static fl_err_t levels(struct fl_pq_shred_leaf *lf, int16_t r, int16_t d) {
    fl_err_t rc = fl_buf_append_u8(&lf->defs, (uint8_t)d);
    if (!rc) rc = fl_buf_append_u8(&lf->reps, (uint8_t)r);
    return rc;
}

/* One entry at level d in every leaf under n: n's value is null or absent
 * (is_value: an error when n is required), or a list or map above it is
 * empty. */
static int put_null(struct fl_pq_shredder *sh, const struct snode *n, int16_t d, int16_t r,
                    bool is_value) {
    if (is_value && n->f->required) return !fail(sh, n, "null or missing in a required field");
    for (int l = n->first; l < n->first + n->nleaves; l++) {
        struct fl_pq_shred_leaf *lf = &sh->leaves[l];
        fl_err_t rc = levels(lf, r, d);
        if (!rc) rc = fl_col_append_null(lf->vals);
        if (rc) return !fail(sh, n, fl_err_name(rc));
    }
    return 1;
}

static int put_scalar(struct fl_pq_shredder *sh, const struct snode *n, int16_t r,
                      const struct fl_jscalar *v) {
    if (n->nkids) return !fail(sh, n, "expected an object or an array, not a scalar");
    struct fl_pq_shred_leaf *lf = &sh->leaves[n->first];
    fl_err_t rc = fl_col_append_jscalar(lf->vals, v, sh->err);
    if (rc) {
        if (!sh->rc) sh->rc = rc;
        return 0;
    }
    if ((rc = levels(lf, r, n->def))) return !fail(sh, n, fl_err_name(rc));
    return 1;
}

/* Where the next value goes: *n (NULL: skip it), its parent's level *d
 * and its repetition level *r. */
static bool target(struct fl_pq_shredder *sh, struct snode **n, int16_t *d, int16_t *r) {
    if (sh->skip_next) {
        sh->skip_next = false;
        *n = NULL;
        return true;
    }
    if (sh->depth == 0) {
        if (sh->done) return !fail(sh, &sh->root, "more than one value");
        *n = &sh->root;
        *d = 0;
        *r = 0;
        return true;
    }
    struct frame *fr = &sh->stack[sh->depth - 1];
    switch (fr->kind) {
    case FR_LIST:
    case FR_MAP_ARR:
        *r = fr->count++ ? fr->n->rep : fr->r;
        *d = (int16_t)(fr->n->def + 1);
        *n = fr->kind == FR_LIST ? &fr->n->kids[0] : fr->n; /* a map entry object */
        if (fr->kind == FR_MAP_ARR) fr->entry_r = *r;
        return true;
    default: /* struct member, map value, entry member: named by the key */
        if (!sh->pend) return !fail(sh, fr->n, "a value without a key");
        *n = sh->pend;
        *d = sh->pend_d;
        *r = sh->pend_r;
        sh->pend = NULL;
        return true;
    }
}

static void value_done(struct fl_pq_shredder *sh) {
    if (sh->depth == 0) sh->done = true;
}

static int cb_scalar(struct fl_pq_shredder *sh, const struct fl_jscalar *v) {
    if (sh->skip) return 1;
    struct snode *n = NULL;
    int16_t d = 0, r = 0;
    if (!target(sh, &n, &d, &r)) return 0;
    if (!n) return 1;
    if (sh->depth && sh->stack[sh->depth - 1].kind == FR_MAP_ARR)
        return !fail(sh, n, "a map entry must be an object {\"key\":..,\"value\":..}");
    int ok = v->kind == FL_JS_NULL ? put_null(sh, n, d, r, true) : put_scalar(sh, n, r, v);
    value_done(sh);
    return ok;
}

static int cb_null(void *ctx) {
    struct fl_jscalar v = {.kind = FL_JS_NULL};
    return cb_scalar(ctx, &v);
}
static int cb_bool(void *ctx, int b) {
    struct fl_jscalar v = {.kind = FL_JS_BOOL, .b = b};
    return cb_scalar(ctx, &v);
}
static int cb_number(void *ctx, const char *s, size_t len) {
    struct fl_jscalar v = {.kind = FL_JS_NUMBER, .s = s, .len = len};
    return cb_scalar(ctx, &v);
}
static int cb_string(void *ctx, const unsigned char *s, size_t len) {
    struct fl_jscalar v = {.kind = FL_JS_STRING, .s = (const char *)s, .len = len};
    return cb_scalar(ctx, &v);
}

static int push(struct fl_pq_shredder *sh, struct snode *n, int kind, int16_t r) {
    if (sh->depth >= SHRED_MAX_DEPTH) return !fail(sh, n, "nested too deeply");
    struct frame *fr = &sh->stack[sh->depth++];
    memset(fr, 0, sizeof(*fr));
    fr->n = n;
    fr->kind = kind;
    fr->r = r;
    if (kind == FR_STRUCT) memset(n->seen, 0, (size_t)n->nkids);
    return 1;
}

static int open_value(struct fl_pq_shredder *sh, bool array) {
    if (sh->skip) {
        sh->skip++;
        return 1;
    }
    bool entry = sh->depth && sh->stack[sh->depth - 1].kind == FR_MAP_ARR;
    struct snode *n = NULL;
    int16_t d = 0, r = 0;
    if (!target(sh, &n, &d, &r)) return 0;
    if (!n) {
        sh->skip = 1;
        return 1;
    }
    if (entry) {
        if (array) return !fail(sh, n, "a map entry must be an object {\"key\":..,\"value\":..}");
        return push(sh, n, FR_KV, r);
    }
    int16_t t = (int16_t)n->f->type;
    if (array && t == FL_TYPE_LIST) return push(sh, n, FR_LIST, r);
    if (array && t == FL_TYPE_MAP) return push(sh, n, FR_MAP_ARR, r);
    if (!array && t == FL_TYPE_STRUCT) return push(sh, n, FR_STRUCT, r);
    if (!array && t == FL_TYPE_MAP) return push(sh, n, FR_MAP_OBJ, r);
    return !fail(sh, n, array ? "an array where none belongs" : "an object where none belongs");
}
static int cb_start_map(void *ctx) { return open_value(ctx, false); }
static int cb_start_array(void *ctx) { return open_value(ctx, true); }

static int cb_key(void *ctx, const unsigned char *key, size_t len) {
    struct fl_pq_shredder *sh = ctx;
    if (sh->skip) return 1;
    struct frame *fr = &sh->stack[sh->depth - 1];
    struct snode *n = fr->n;
    if (fr->kind == FR_MAP_OBJ) {
        /* the key is the entry's key value; its value comes next */
        int16_t r = fr->count++ ? n->rep : fr->r;
        struct fl_jscalar k = {.kind = FL_JS_STRING, .s = (const char *)key, .len = len};
        if (!put_scalar(sh, &n->kids[0], r, &k)) return 0;
        sh->pend = &n->kids[1];
        sh->pend_d = (int16_t)(n->def + 1);
        sh->pend_r = r;
        return 1;
    }
    if (fr->kind == FR_KV) {
        bool is_key = len == 3 && memcmp(key, "key", 3) == 0;
        bool is_value = len == 5 && memcmp(key, "value", 5) == 0;
        if ((is_key && fr->key_seen) || (is_value && fr->value_seen))
            return !fail(sh, n, "a map entry names its key or value twice");
        if (is_value && !fr->key_seen) return !fail(sh, n, "a map entry's value before its key");
        if (!is_key && !is_value) {
            sh->skip_next = true;
            return 1;
        }
        fr->key_seen |= is_key;
        fr->value_seen |= is_value;
        sh->pend = &n->kids[is_key ? 0 : 1];
        sh->pend_d = (int16_t)(n->def + 1);
        sh->pend_r = fr->r;
        return 1;
    }
    /* struct member */
    for (int k = 0; k < n->nkids; k++) {
        const char *name = n->kids[k].f->name;
        if (strlen(name) == len && memcmp(name, key, len) == 0) {
            if (n->seen[k]) return !fail(sh, &n->kids[k], "key given twice");
            n->seen[k] = 1;
            sh->pend = &n->kids[k];
            sh->pend_d = n->def;
            sh->pend_r = fr->r;
            return 1;
        }
    }
    sh->skip_next = true; /* a key of no member */
    return 1;
}

static int cb_close(void *ctx) {
    struct fl_pq_shredder *sh = ctx;
    if (sh->skip) {
        sh->skip--;
        return 1;
    }
    struct frame *fr = &sh->stack[--sh->depth];
    struct snode *n = fr->n;
    int ok = 1;
    switch (fr->kind) {
    case FR_STRUCT:
        for (int k = 0; k < n->nkids && ok; k++)
            if (!n->seen[k]) ok = put_null(sh, &n->kids[k], n->def, fr->r, true);
        break;
    case FR_KV:
        if (!fr->key_seen) return !fail(sh, n, "a map entry without a key");
        if (!fr->value_seen) ok = put_null(sh, &n->kids[1], (int16_t)(n->def + 1), fr->r, true);
        break;
    default: /* an empty list or map: one entry at the container's level */
        if (!fr->count)
            for (int k = 0; k < n->nkids && ok; k++)
                ok = put_null(sh, &n->kids[k], n->def, fr->r, false);
        break;
    }
    value_done(sh);
    return ok;
}

static const yajl_callbacks CALLBACKS = {
    .yajl_null = cb_null,
    .yajl_boolean = cb_bool,
    .yajl_number = cb_number,
    .yajl_string = cb_string,
    .yajl_start_map = cb_start_map,
    .yajl_map_key = cb_key,
    .yajl_end_map = cb_close,
    .yajl_start_array = cb_start_array,
    .yajl_end_array = cb_close,
};

static fl_err_t new_handle(struct fl_pq_shredder *sh, struct fl_error *err) {
    if (sh->h) yajl_free(sh->h);
    sh->h = yajl_alloc(&CALLBACKS, NULL, sh);
    if (!sh->h) return fl_errf(err, FL_ERR_NOMEM, "shredder: out of memory");
    yajl_config(sh->h, yajl_allow_multiple_values, 1);
    return FL_OK;
}

/* ---- API ---- */

fl_err_t fl_pq_shredder_new(const struct fl_field *f, struct fl_pq_shredder **out,
                            struct fl_error *err) {
    struct fl_pq_shredder *sh = fl_calloc(1, sizeof(*sh));
    const char *path[SHRED_MAX_DEPTH * 2 + 4];
    fl_err_t rc = build(sh, &sh->root, f, 0, 0, path, 0, 0, err);
    if (!rc) {
        sh->leaf_schema = fl_calloc(1, sizeof(*sh->leaf_schema));
        sh->leaf_schema->fields = fl_calloc((size_t)sh->nleaves + 1, sizeof(struct fl_field));
        sh->leaf_schema->nfields = sh->nleaves;
        for (int l = 0; l < sh->nleaves; l++) {
            struct fl_field *lf = &sh->leaf_schema->fields[l];
            *lf = *sh->leaves[l].field;
            lf->name = fl_strdup(lf->name);
            lf->doc = NULL;
            lf->children = NULL;
            lf->nchildren = 0;
            lf->required = false;
        }
        rc = fl_batch_new(sh->leaf_schema, 0, &sh->lb, err);
    }
    for (int l = 0; !rc && l < sh->nleaves; l++) {
        struct fl_pq_shred_leaf *lf = &sh->leaves[l];
        lf->vals = &sh->lb->cols[l];
        fl_buf_init(&lf->defs, FL_BUF_NOMAX);
        fl_buf_init(&lf->reps, FL_BUF_NOMAX);
        fl_buf_init(&lf->rows, FL_BUF_NOMAX);
    }
    if (!rc) rc = new_handle(sh, err);
    if (rc) {
        fl_pq_shredder_free(sh);
        return rc;
    }
    *out = sh;
    return FL_OK;
}

void fl_pq_shredder_free(struct fl_pq_shredder *sh) {
    if (!sh) return;
    if (sh->h) yajl_free(sh->h);
    for (int l = 0; l < sh->nleaves; l++) {
        fl_free(sh->leaves[l].path);
        fl_buf_fini(&sh->leaves[l].defs);
        fl_buf_fini(&sh->leaves[l].reps);
        fl_buf_fini(&sh->leaves[l].rows);
    }
    fl_free(sh->leaves);
    fl_batch_free(sh->lb);
    fl_schema_free(sh->leaf_schema);
    node_fini(&sh->root);
    fl_free(sh);
}

int fl_pq_shredder_nleaves(const struct fl_pq_shredder *sh) { return sh->nleaves; }

struct fl_pq_shred_leaf *fl_pq_shredder_leaf(struct fl_pq_shredder *sh, int i) {
    return &sh->leaves[i];
}

void fl_pq_shredder_reset(struct fl_pq_shredder *sh) {
    for (int l = 0; l < sh->nleaves; l++) {
        struct fl_pq_shred_leaf *lf = &sh->leaves[l];
        fl_col_reset(lf->vals);
        fl_buf_reset(&lf->defs);
        fl_buf_reset(&lf->reps);
        fl_buf_reset(&lf->rows);
    }
}

fl_err_t fl_pq_shred_row(struct fl_pq_shredder *sh, const uint8_t *json, size_t len,
                         struct fl_error *err) {
    for (int l = 0; l < sh->nleaves; l++) {
        struct fl_pq_shred_leaf *lf = &sh->leaves[l];
        uint32_t at = (uint32_t)lf->vals->len;
        fl_err_t rc = fl_buf_append(&lf->rows, &at, sizeof(at));
        if (rc) return fl_errf(err, rc, "field \"%s\": %s", sh->root.f->name, fl_err_name(rc));
    }
    sh->depth = sh->skip = 0;
    sh->skip_next = sh->done = false;
    sh->pend = NULL;
    sh->rc = FL_OK;
    sh->err = err;
    if (!json) {
        if (!put_null(sh, &sh->root, 0, 0, true)) return sh->rc;
        return FL_OK;
    }
    yajl_status st = yajl_parse(sh->h, json, len);
    /* a bare number ends only at a delimiter */
    if (st == yajl_status_ok && !sh->done && !sh->depth)
        st = yajl_parse(sh->h, (const uint8_t *)" ", 1);
    fl_err_t rc = sh->rc;
    if (!rc && st != yajl_status_ok)
        rc = fl_errf(err, FL_ERR_INVALID, "field \"%s\": invalid JSON", sh->root.f->name);
    if (!rc && !sh->done)
        rc = fl_errf(err, FL_ERR_INVALID, "field \"%s\": incomplete JSON", sh->root.f->name);
    if (rc) {
        struct fl_error ignore = {0};
        if (new_handle(sh, &ignore)) sh->h = NULL;
        if (!sh->h) return fl_errf(err, FL_ERR_NOMEM, "shredder: out of memory");
    }
    return rc;
}
