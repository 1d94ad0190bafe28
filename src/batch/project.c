/*
 * project.c - a reader's projection of a file's columns (see project.h).
 */
#include "batch/project.h"
#include "core/mem.h"

#include <string.h>

fl_err_t fl_batch_proj_set(struct fl_batch_proj *p, const struct fl_schema *schema,
                           const int32_t *ids, int n, size_t cap_hint, const char *what,
                           struct fl_error *err) {
    if (!ids) n = schema->nfields;
    int *idx = fl_calloc((size_t)n + 1, sizeof(int));
    for (int k = 0; k < n; k++) {
        idx[k] = ids ? fl_schema_index_by_id(schema, ids[k]) : k;
        if (idx[k] < 0) {
            fl_free(idx);
            return fl_errf(err, FL_ERR_NOTFOUND, "%s: field id %d is not a flat column of the file",
                           what, (int)ids[k]);
        }
    }
    struct fl_schema *proj = fl_schema_select(schema, idx, n);
    struct fl_batch *b = NULL;
    fl_err_t rc = fl_batch_new(proj, cap_hint, &b, err);
    if (rc) {
        fl_free(idx);
        fl_schema_free(proj);
        return rc;
    }
    fl_batch_proj_fini(p);
    p->idx = idx;
    p->schema = proj;
    p->batch = b;
    return FL_OK;
}

void fl_batch_proj_fini(struct fl_batch_proj *p) {
    fl_batch_free(p->batch);
    fl_schema_free(p->schema);
    fl_free(p->idx);
    memset(p, 0, sizeof(*p));
}
