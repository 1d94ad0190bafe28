/*
 * prune.c - manifest and data file pruning for simple predicates.
 */
#include "iceberg/prune.h"
#include "core/endian.h"

#include <string.h>

fl_err_t fl_ice_pval_from_bound(const struct fl_field *f, const uint8_t *b, size_t len,
                                struct fl_ice_pval *out) {
    memset(out, 0, sizeof(*out));
    out->type = f->type;
    out->scale = f->scale;
    switch (f->type) {
    case FL_TYPE_BOOLEAN:
        if (len < 1) return FL_ERR_CORRUPT;
        out->i64 = b[0] != 0;
        return FL_OK;
    case FL_TYPE_INT:
    case FL_TYPE_DATE:
        if (len != 4) return FL_ERR_CORRUPT;
        out->i64 = (int32_t)fl_le32(b);
        return FL_OK;
    case FL_TYPE_LONG:
    case FL_TYPE_TIME:
    case FL_TYPE_TIMESTAMP:
    case FL_TYPE_TIMESTAMPTZ:
        if (len != 8) return FL_ERR_CORRUPT;
        out->i64 = (int64_t)fl_le64(b);
        return FL_OK;
    case FL_TYPE_FLOAT: {
        if (len != 4) return FL_ERR_CORRUPT;
        float v;
        memcpy(&v, b, 4);
        out->f64 = v;
        return FL_OK;
    }
    case FL_TYPE_DOUBLE:
        if (len != 8) return FL_ERR_CORRUPT;
        memcpy(&out->f64, b, 8);
        return FL_OK;
    case FL_TYPE_DECIMAL: {
        if (len < 1 || len > 16) return FL_ERR_CORRUPT;
        unsigned __int128 u = (b[0] & 0x80) ? ~(unsigned __int128)0 : 0;
        for (size_t i = 0; i < len; i++) u = (u << 8) | b[i];
        out->dec = (__int128)u;
        return FL_OK;
    }
    default:
        out->bytes = b;
        out->len = len;
        return FL_OK;
    }
}

/* Is a transform order-preserving, so ranges project to ranges? */
static bool monotonic(fl_ice_xf_kind_t k) {
    return k == FL_ICE_XF_IDENTITY || k == FL_ICE_XF_YEAR || k == FL_ICE_XF_MONTH ||
           k == FL_ICE_XF_DAY || k == FL_ICE_XF_HOUR || k == FL_ICE_XF_TRUNCATE;
}

/* May a value range [lo, hi] (either may be NULL = unbounded) hold a
 * value v with v op x? For transformed values (strict == false) the
 * comparison is widened to inclusive, as projection loses precision. */
static bool range_may(const struct fl_ice_pval *lo, const struct fl_ice_pval *hi, fl_ice_op_t op,
                      const struct fl_ice_pval *x, bool strict) {
    switch (op) {
    case FL_ICE_OP_EQ:
        return !((lo && fl_ice_pval_cmp(x, lo) < 0) || (hi && fl_ice_pval_cmp(x, hi) > 0));
    case FL_ICE_OP_LT:
        return !lo || (strict ? fl_ice_pval_cmp(lo, x) < 0 : fl_ice_pval_cmp(lo, x) <= 0);
    case FL_ICE_OP_LE:
        return !lo || fl_ice_pval_cmp(lo, x) <= 0;
    case FL_ICE_OP_GT:
        return !hi || (strict ? fl_ice_pval_cmp(hi, x) > 0 : fl_ice_pval_cmp(hi, x) >= 0);
    case FL_ICE_OP_GE:
        return !hi || fl_ice_pval_cmp(hi, x) >= 0;
    default:
        return true;
    }
}

static bool is_cmp(fl_ice_op_t op) {
    return op == FL_ICE_OP_EQ || op == FL_ICE_OP_LT || op == FL_ICE_OP_LE || op == FL_ICE_OP_GT ||
           op == FL_ICE_OP_GE;
}

/* Can the partition values of df hold a match for pred? */
static bool partition_may(const struct fl_ice_spec *spec, const struct fl_ice_data_file *df,
                          const struct fl_ice_pred *p) {
    for (int k = 0; k < spec->nfields && k < df->npartition; k++) {
        const struct fl_ice_part_field *pf = &spec->fields[k];
        if (pf->source_id != p->field_id || pf->transform.kind == FL_ICE_XF_VOID) continue;
        const struct fl_ice_pval *v = &df->partition[k];
        if (p->op == FL_ICE_OP_IS_NULL && !v->is_null) return false;
        if (p->op == FL_ICE_OP_NOT_NULL && v->is_null) return false;
        if (!is_cmp(p->op)) continue;
        if (v->is_null) return false; /* null never compares true */
        if (pf->transform.kind == FL_ICE_XF_BUCKET && p->op != FL_ICE_OP_EQ) continue;
        if (pf->transform.kind != FL_ICE_XF_BUCKET && !monotonic(pf->transform.kind)) continue;
        struct fl_ice_pval t;
        fl_ice_transform_apply(&pf->transform, p->lit, p->row, &t);
        if (t.is_null || t.type != v->type) continue;
        bool strict = pf->transform.kind == FL_ICE_XF_IDENTITY;
        if (!range_may(v, v, p->op, &t, strict)) return false;
    }
    return true;
}

static const struct fl_ice_col_metrics *metrics(const struct fl_ice_data_file *df, int32_t id) {
    for (int i = 0; i < df->ncols; i++)
        if (df->cols[i].field_id == id) return &df->cols[i];
    return NULL;
}

/* Bounds and partition values of timestamp_ns columns are nanoseconds
 * (and opaque columns are never compared): no pruning on them. */
static bool prunable(const struct fl_schema *schema, int32_t field_id) {
    int idx = fl_schema_index_by_id(schema, field_id);
    return idx < 0 || fl_field_is_exact(&schema->fields[idx]);
}

bool fl_ice_prune_file(const struct fl_schema *schema, const struct fl_ice_spec *spec,
                       const struct fl_ice_data_file *df, const struct fl_ice_pred *preds, int n) {
    for (int i = 0; i < n; i++) {
        const struct fl_ice_pred *p = &preds[i];
        if (!prunable(schema, p->field_id)) continue;
        if (spec && !partition_may(spec, df, p)) return false;
        int idx = fl_schema_index_by_id(schema, p->field_id);
        const struct fl_ice_col_metrics *m = metrics(df, p->field_id);
        if (idx < 0 || !m) continue;
        bool all_null =
            m->value_count >= 0 && m->null_count >= 0 && m->null_count == m->value_count;
        if (p->op == FL_ICE_OP_IS_NULL && m->null_count == 0) return false;
        if (p->op == FL_ICE_OP_NOT_NULL && all_null) return false;
        if (!is_cmp(p->op)) continue;
        if (all_null) return false;
        if (!m->has_bounds) continue;
        const struct fl_field *f = &schema->fields[idx];
        struct fl_ice_pval lo, hi, x;
        if (fl_ice_pval_from_bound(f, m->lower, m->lower_len, &lo) ||
            fl_ice_pval_from_bound(f, m->upper, m->upper_len, &hi))
            continue;
        struct fl_ice_transform id = {FL_ICE_XF_IDENTITY, 0};
        fl_ice_transform_apply(&id, p->lit, p->row, &x);
        if (x.is_null || x.type != lo.type) continue;
        if (!range_may(&lo, &hi, p->op, &x, true)) return false;
    }
    return true;
}

bool fl_ice_prune_manifest(const struct fl_schema *schema, const struct fl_ice_spec *spec,
                           const struct fl_ice_manifest_file *mf, const struct fl_ice_pred *preds,
                           int n) {
    if (!spec || mf->content != 0) return true; /* delete manifests are never pruned */
    for (int i = 0; i < n; i++) {
        const struct fl_ice_pred *p = &preds[i];
        if (!prunable(schema, p->field_id)) continue;
        for (int k = 0; k < spec->nfields && k < mf->npartitions; k++) {
            const struct fl_ice_part_field *pf = &spec->fields[k];
            if (pf->source_id != p->field_id || pf->transform.kind == FL_ICE_XF_VOID) continue;
            const struct fl_ice_field_summary *fs = &mf->partitions[k];
            if (p->op == FL_ICE_OP_IS_NULL && !fs->contains_null) return false;
            if (!is_cmp(p->op) || !fs->has_bounds) continue;
            if (pf->transform.kind == FL_ICE_XF_BUCKET)
                continue; /* summaries of hashes say little */
            if (!monotonic(pf->transform.kind)) continue;
            int idx = fl_schema_index_by_id(schema, pf->source_id);
            if (idx < 0) continue;
            struct fl_field rt;
            fl_ice_transform_result_type(&pf->transform, &schema->fields[idx], &rt);
            struct fl_ice_pval lo, hi, t;
            if (fl_ice_pval_from_bound(&rt, fs->lower.data, fs->lower.len, &lo) ||
                fl_ice_pval_from_bound(&rt, fs->upper.data, fs->upper.len, &hi))
                continue;
            fl_ice_transform_apply(&pf->transform, p->lit, p->row, &t);
            if (t.is_null || t.type != lo.type) continue;
            if (!range_may(&lo, &hi, p->op, &t, pf->transform.kind == FL_ICE_XF_IDENTITY))
                return false;
        }
    }
    return true;
}
