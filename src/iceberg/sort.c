/*
 * sort.c - sort orders (see sort.h): their JSON in table metadata, user
 * terms, and ordering a batch's rows.
 *
 * How it works: a sort order is bound to the current schema once (each
 * field's source column found by id, its transform checked against the
 * column's type), so reading an order floe cannot apply fails before
 * any work. Ordering is columnar: a stable bottom-up merge sort of a
 * permutation of row indexes, comparing the rows' values in the batch
 * columns field by field; transforms are applied to the two values
 * being compared (the partition transforms of transform.c), identity on
 * integer-like columns reads the column directly. Nothing is allocated
 * per row or per comparison; the caller gathers the rows in perm order.
 */
#include "iceberg/sort.h"
#include "core/mem.h"
#include "iceberg/json_member.h"
#include "iceberg/metadata_int.h"
#include "iceberg/partition.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TERM_MAX 256

void fl_ice_sort_order_free(struct fl_ice_sort_order *so) {
    if (!so) return;
    fl_free(so->fields);
    fl_free(so);
}

/* Finds each field's column in schema and checks its transform. */
static fl_err_t bind(struct fl_ice_sort_order *so, const struct fl_schema *schema,
                     struct fl_error *err) {
    for (int i = 0; i < so->nfields; i++) {
        struct fl_ice_sort_field *f = &so->fields[i];
        f->col = fl_schema_index_by_id(schema, f->source_id);
        if (f->col < 0)
            return fl_errf(err, FL_ERR_UNSUPPORTED,
                           "sort order %d field %d: source-id %d is not a top-level column of the "
                           "current schema",
                           so->order_id, i, f->source_id);
        const struct fl_field *src = &schema->fields[f->col];
        if (!fl_type_is_primitive(src->type))
            return fl_errf(err, FL_ERR_UNSUPPORTED,
                           "sort order %d: column \"%s\" is not a primitive type", so->order_id,
                           src->name);
        fl_err_t rc = fl_ice_transform_check(&f->transform, src, err);
        if (rc) {
            fl_err_prefix(err, "sort order %d", so->order_id);
            return FL_ERR_UNSUPPORTED;
        }
    }
    return FL_OK;
}

static fl_err_t parse_field(json_t *jf, int32_t order_id, int i, struct fl_ice_sort_field *f,
                            struct fl_error *err) {
    char what[64];
    snprintf(what, sizeof(what), "sort order %d field %d", order_id, i);
    if (!json_is_object(jf)) return fl_errf(err, FL_ERR_CORRUPT, "%s is not an object", what);
    if (json_object_get(jf, "source-ids") && !json_object_get(jf, "source-id"))
        return fl_errf(err, FL_ERR_UNSUPPORTED,
                       "%s: multi-argument transforms (source-ids) are not supported", what);
    int64_t sid = 0;
    fl_err_t rc = fl_ice_json_i64(jf, what, "source-id", FL_ICE_JSON_REQUIRED, 0, &sid, err);
    if (rc) return rc;
    if (sid < 0 || sid > INT32_MAX)
        return fl_errf(err, FL_ERR_CORRUPT, "%s: source-id %lld is not a field id", what,
                       (long long)sid);
    f->source_id = (int32_t)sid;
    const char *xf = json_string_value(json_object_get(jf, "transform"));
    const char *dir = json_string_value(json_object_get(jf, "direction"));
    const char *nulls = json_string_value(json_object_get(jf, "null-order"));
    if (!xf || fl_ice_transform_parse(xf, &f->transform))
        return fl_errf(err, FL_ERR_UNSUPPORTED, "%s: transform \"%s\" is not one floe can sort by",
                       what, xf ? xf : "(missing)");
    if (!dir || (strcmp(dir, "asc") && strcmp(dir, "desc")))
        return fl_errf(err, FL_ERR_UNSUPPORTED, "%s: direction \"%s\" is not asc or desc", what,
                       dir ? dir : "(missing)");
    if (!nulls || (strcmp(nulls, "nulls-first") && strcmp(nulls, "nulls-last")))
        return fl_errf(err, FL_ERR_UNSUPPORTED,
                       "%s: null-order \"%s\" is not nulls-first or nulls-last", what,
                       nulls ? nulls : "(missing)");
    f->desc = !strcmp(dir, "desc");
    f->nulls_first = !strcmp(nulls, "nulls-first");
    f->col = -1;
    return FL_OK;
}

fl_err_t fl_ice_sort_order_default(const struct fl_ice_meta *meta, struct fl_ice_sort_order **out,
                                   struct fl_error *err) {
    *out = NULL;
    int32_t id = meta->default_sort_order_id;
    json_t *orders = json_object_get(FL_ICE_DOC(meta), "sort-orders");
    json_t *jo = NULL;
    for (size_t i = 0; i < json_array_size(orders); i++) {
        json_t *o = json_array_get(orders, i);
        json_t *oid = json_object_get(o, "order-id");
        if (json_is_integer(oid) && json_integer_value(oid) == id) jo = o;
    }
    json_t *jf = json_object_get(jo, "fields");
    if (id == 0 && json_array_size(jf) == 0) return FL_OK; /* unsorted */
    if (!jo)
        return fl_errf(err, FL_ERR_CORRUPT, "default-sort-order-id %d names no sort order",
                       (int)id);
    if (!json_is_array(jf))
        return fl_errf(err, FL_ERR_CORRUPT, "sort order %d: \"fields\" is not an array", (int)id);
    size_t n = json_array_size(jf);
    if (n == 0) return FL_OK; /* an unsorted order under another id */
    struct fl_ice_sort_order *so = fl_calloc(1, sizeof(*so));
    so->order_id = id;
    so->fields = fl_calloc(n, sizeof(*so->fields));
    fl_err_t rc = FL_OK;
    for (size_t i = 0; i < n && !rc; i++, so->nfields++)
        rc = parse_field(json_array_get(jf, i), id, (int)i, &so->fields[i], err);
    if (!rc) rc = bind(so, fl_ice_meta_current_schema(meta), err);
    if (rc) {
        fl_ice_sort_order_free(so);
        return rc;
    }
    *out = so;
    return FL_OK;
}

/* "expr [asc|desc] [nulls first|nulls last]": the expression (up to the
 * closing parenthesis, else the first word) into expr, then the words. */
static fl_err_t parse_term(const char *term, char *expr, size_t exprsz, struct fl_ice_sort_field *f,
                           struct fl_error *err) {
    while (isspace((unsigned char)*term)) term++;
    const char *end = strchr(term, '(') ? strchr(term, ')') : NULL;
    if (strchr(term, '(') && !end)
        return fl_errf(err, FL_ERR_INVALID, "sort term \"%s\" is not col, f(col) or f(N, col)",
                       term);
    if (end)
        end++;
    else
        for (end = term; *end && !isspace((unsigned char)*end);) end++;
    if (end == term || (size_t)(end - term) >= exprsz)
        return fl_errf(err, FL_ERR_INVALID, "sort term \"%s\" has no column", term);
    memcpy(expr, term, (size_t)(end - term));
    expr[end - term] = '\0';
    bool dir_set = false, nulls_set = false;
    f->desc = false;
    const char *p = end;
    while (*p) {
        while (isspace((unsigned char)*p)) p++;
        if (!*p) break;
        size_t wl = 0;
        while (p[wl] && !isspace((unsigned char)p[wl])) wl++;
        if (!dir_set && wl == 3 && !strncasecmp(p, "asc", 3)) {
            dir_set = true;
        } else if (!dir_set && wl == 4 && !strncasecmp(p, "desc", 4)) {
            f->desc = dir_set = true;
        } else if (!nulls_set && wl == 5 && !strncasecmp(p, "nulls", 5)) {
            const char *q = p + 5;
            while (isspace((unsigned char)*q)) q++;
            size_t ql = 0;
            while (q[ql] && !isspace((unsigned char)q[ql])) ql++;
            if (ql == 5 && !strncasecmp(q, "first", 5))
                f->nulls_first = true;
            else if (ql == 4 && !strncasecmp(q, "last", 4))
                f->nulls_first = false;
            else
                return fl_errf(err, FL_ERR_INVALID,
                               "sort term \"%s\": \"nulls\" wants first or last", term);
            nulls_set = true;
            wl = (size_t)(q + ql - p);
        } else {
            return fl_errf(err, FL_ERR_INVALID,
                           "sort term \"%s\": \"%.*s\" is not asc, desc, nulls first or nulls "
                           "last",
                           term, (int)wl, p);
        }
        p += wl;
    }
    if (!nulls_set) f->nulls_first = !f->desc;
    return FL_OK;
}

fl_err_t fl_ice_sort_order_from_terms(const struct fl_schema *schema, const char *const *terms,
                                      int nterms, struct fl_ice_sort_order **out,
                                      struct fl_error *err) {
    struct fl_ice_sort_order *so = fl_calloc(1, sizeof(*so));
    so->fields = fl_calloc(nterms > 0 ? (size_t)nterms : 1, sizeof(*so->fields));
    fl_err_t rc = FL_OK;
    for (int i = 0; i < nterms && !rc; i++) {
        char expr[TERM_MAX];
        struct fl_ice_sort_field *f = &so->fields[i];
        rc = parse_term(terms[i], expr, sizeof(expr), f, err);
        char xf[64], col[TERM_MAX];
        int idx = -1;
        if (!rc && fl_ice_term_parse(expr, xf, sizeof(xf), col, sizeof(col)))
            rc = fl_errf(err, FL_ERR_INVALID, "sort term \"%s\" is not col, f(col) or f(N, col)",
                         terms[i]);
        else if (!rc && fl_ice_transform_parse(xf, &f->transform))
            rc = fl_errf(err, FL_ERR_INVALID, "sort term \"%s\": unknown transform", terms[i]);
        else if (!rc && (idx = fl_schema_index_by_name(schema, col)) < 0)
            rc = fl_errf(err, FL_ERR_INVALID, "sort term \"%s\": no column \"%s\"", terms[i], col);
        if (!rc && !fl_type_is_primitive(schema->fields[idx].type))
            rc = fl_errf(err, FL_ERR_INVALID, "sort term \"%s\": \"%s\" is not a primitive column",
                         terms[i], col);
        if (!rc && (rc = fl_ice_transform_check(&f->transform, &schema->fields[idx], err)))
            fl_err_prefix(err, "sort term \"%s\"", terms[i]);
        if (rc) break;
        f->source_id = schema->fields[idx].id;
        f->col = idx;
        so->nfields++;
    }
    if (rc) {
        fl_ice_sort_order_free(so);
        return rc;
    }
    *out = so;
    return FL_OK;
}

fl_err_t fl_ice_sort_order_to_json(const struct fl_ice_sort_order *so, struct fl_buf *out) {
    json_t *doc = json_object(), *arr = json_array();
    json_object_set_new(doc, "order-id", json_integer(so->order_id));
    for (int i = 0; i < so->nfields; i++) {
        const struct fl_ice_sort_field *f = &so->fields[i];
        char xf[64];
        fl_ice_transform_format(&f->transform, xf, sizeof(xf));
        json_t *o = json_object();
        json_object_set_new(o, "transform", json_string(xf));
        json_object_set_new(o, "source-id", json_integer(f->source_id));
        json_object_set_new(o, "direction", json_string(f->desc ? "desc" : "asc"));
        json_object_set_new(o, "null-order",
                            json_string(f->nulls_first ? "nulls-first" : "nulls-last"));
        json_array_append_new(arr, o);
    }
    json_object_set_new(doc, "fields", arr);
    char *s = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!s) return FL_ERR_NOMEM;
    fl_err_t rc = fl_buf_append(out, s, strlen(s));
    free(s);
    return rc;
}

/* ---- ordering ---- */

/* Float.compare / Double.compare: -0 before +0, NaN after everything. */
static int cmp_double(double a, double b) {
    bool na = isnan(a), nb = isnan(b);
    if (na || nb) return na - nb;
    if (a < b) return -1;
    if (a > b) return 1;
    return (int)!signbit(a) - (int)!signbit(b);
}

static bool int_like(fl_type_id_t t) {
    return t == FL_TYPE_BOOLEAN || t == FL_TYPE_INT || t == FL_TYPE_LONG || t == FL_TYPE_DATE ||
           t == FL_TYPE_TIME || t == FL_TYPE_TIMESTAMP || t == FL_TYPE_TIMESTAMPTZ;
}

static int cmp_field(const struct fl_ice_sort_field *f, const struct fl_col *col, size_t a,
                     size_t b) {
    bool na = fl_col_is_null(col, a), nb = fl_col_is_null(col, b);
    if (f->transform.kind == FL_ICE_XF_VOID || (na && nb)) return 0;
    if (na || nb) return (na ? -1 : 1) * (f->nulls_first ? 1 : -1); /* whatever the direction */
    int c;
    if (f->transform.kind == FL_ICE_XF_IDENTITY && int_like(col->field->type)) {
        int64_t x = fl_col_int(col, a), y = fl_col_int(col, b);
        c = (x > y) - (x < y);
    } else {
        struct fl_ice_pval x, y;
        fl_ice_transform_apply(&f->transform, col, a, &x);
        fl_ice_transform_apply(&f->transform, col, b, &y);
        c = x.type == FL_TYPE_FLOAT || x.type == FL_TYPE_DOUBLE ? cmp_double(x.f64, y.f64)
                                                                : fl_ice_pval_cmp(&x, &y);
    }
    return f->desc ? -c : c;
}

static int cmp_rows(const struct fl_ice_sort_order *so, const struct fl_batch *batch, uint32_t a,
                    uint32_t b) {
    for (int i = 0; i < so->nfields; i++) {
        const struct fl_ice_sort_field *f = &so->fields[i];
        int c = cmp_field(f, &batch->cols[f->col], a, b);
        if (c) return c;
    }
    return 0;
}

#define RUN 16

void fl_ice_sort_perm(const struct fl_ice_sort_order *so, const struct fl_batch *batch,
                      uint32_t *perm, uint32_t *tmp) {
    size_t n = batch->nrows;
    for (size_t i = 0; i < n; i++) perm[i] = (uint32_t)i;
    /* insertion sort of runs of RUN rows, then merges of doubling width */
    for (size_t lo = 0; lo < n; lo += RUN) {
        size_t hi = lo + RUN < n ? lo + RUN : n;
        for (size_t i = lo + 1; i < hi; i++) {
            uint32_t v = perm[i];
            size_t j = i;
            for (; j > lo && cmp_rows(so, batch, perm[j - 1], v) > 0; j--) perm[j] = perm[j - 1];
            perm[j] = v;
        }
    }
    uint32_t *src = perm, *dst = tmp;
    for (size_t w = RUN; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = cmp_rows(so, batch, src[j], src[i]) < 0 ? src[j++] : src[i++];
            while (i < mid) dst[k++] = src[i++];
            while (j < hi) dst[k++] = src[j++];
        }
        uint32_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != perm) memcpy(perm, src, n * sizeof(*perm));
}
