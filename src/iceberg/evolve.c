/*
 * evolve.c - schema evolution, partition spec evolution and table
 * properties, each committed as a new metadata version (no new snapshot)
 * through fl_ice_table_commit_meta, so concurrent writers retry on top.
 *
 * Rules (format/spec.md, "Schema Evolution"): columns are identified by
 * id, never by name, so renames and drops never touch data files; new
 * columns get fresh ids above last-column-id and read as null from older
 * files; the only type changes are int->long, float->double and a wider
 * decimal precision with the same scale. A column a partition field or an
 * identifier field uses (in any spec, current or past) cannot be dropped. Partition evolution adds
 * a spec and makes it the default; fields equal to an earlier spec's (same source and transform)
 * keep that field's id, as Iceberg Java does. A new sort order is added
 * and made the default, or an equal earlier one (same fields) made the
 * default again, as Java's ReplaceSortOrder does; no terms select the
 * unsorted order 0.
 */
#include "core/mem.h"
#include "iceberg/evolve.h"
#include "iceberg/metadata_int.h"
#include "iceberg/sort.h"

#include <stdio.h>
#include <string.h>

struct schema_ctx {
    const struct fl_ice_schema_change *ch;
    int n;
};

static fl_err_t apply_schema(void *ctx, struct fl_ice_meta *next, int attempt,
                             struct fl_error *err) {
    (void)attempt;
    struct schema_ctx *sc = ctx;
    const struct fl_schema *cur = fl_ice_meta_current_schema(next);
    struct fl_schema *s = fl_schema_dup(cur);
    int32_t next_id = next->last_column_id;
    fl_err_t rc = FL_OK;
    for (int i = 0; i < sc->n && !rc; i++) {
        const struct fl_ice_schema_change *c = &sc->ch[i];
        int idx = fl_schema_index_by_name(s, c->name);
        switch (c->kind) {
        case FL_ICE_ADD_COLUMN: {
            if (idx >= 0) {
                rc = fl_errf(err, FL_ERR_EXISTS, "column \"%s\" already exists", c->name);
                break;
            }
            struct fl_field f = {0};
            if (fl_type_parse(c->type, &f)) {
                rc = fl_errf(err, FL_ERR_INVALID, "column \"%s\": unknown type \"%s\"", c->name,
                             c->type);
                break;
            }
            if (c->required && next->nsnapshots > 0) {
                rc =
                    fl_errf(err, FL_ERR_INVALID,
                            "column \"%s\": a required column cannot be added to a table with data "
                            "(older rows would have no value); add it as optional",
                            c->name);
                break;
            }
            f.id = ++next_id;
            f.name = fl_strdup(c->name);
            f.required = c->required;
            s->fields = fl_reallocarray(s->fields, (size_t)s->nfields + 1, sizeof(*s->fields));
            s->fields[s->nfields++] = f;
            break;
        }
        case FL_ICE_RENAME_COLUMN:
            if (idx < 0)
                rc = fl_errf(err, FL_ERR_NOTFOUND, "no column \"%s\"", c->name);
            else if (fl_schema_index_by_name(s, c->new_name) >= 0)
                rc = fl_errf(err, FL_ERR_EXISTS, "column \"%s\" already exists", c->new_name);
            else if (!c->new_name[0])
                rc = fl_errf(err, FL_ERR_INVALID, "a column name cannot be empty");
            else {
                fl_free(s->fields[idx].name);
                s->fields[idx].name = fl_strdup(c->new_name);
            }
            break;
        case FL_ICE_DROP_COLUMN: {
            if (idx < 0) {
                rc = fl_errf(err, FL_ERR_NOTFOUND, "no column \"%s\"", c->name);
                break;
            }
            int32_t id = s->fields[idx].id;
            for (int k = 0; k < s->nidentifier; k++)
                if (s->identifier_ids[k] == id)
                    rc = fl_errf(err, FL_ERR_INVALID, "column \"%s\" is an identifier field",
                                 c->name);
            /* every spec, not only the default: older manifests still name it */
            for (int sp = 0; sp < next->nspecs && !rc; sp++) {
                const struct fl_ice_spec *spec = next->specs[sp];
                for (int k = 0; k < spec->nfields && !rc; k++)
                    if (spec->fields[k].source_id == id)
                        rc = fl_errf(
                            err, FL_ERR_INVALID,
                            "column \"%s\" is the source of partition field \"%s\" (spec %d)",
                            c->name, spec->fields[k].name, spec->spec_id);
            }
            if (rc) break;
            /* keep the other fields: rebuild through select */
            int *keep = fl_calloc((size_t)s->nfields, sizeof(int));
            int nk = 0;
            for (int k = 0; k < s->nfields; k++)
                if (k != idx) keep[nk++] = k;
            struct fl_schema *t = fl_schema_select(s, keep, nk);
            fl_free(keep);
            fl_schema_free(s);
            s = t;
            break;
        }
        case FL_ICE_WIDEN_COLUMN: {
            if (idx < 0) {
                rc = fl_errf(err, FL_ERR_NOTFOUND, "no column \"%s\"", c->name);
                break;
            }
            struct fl_field to = {0};
            struct fl_field *f = &s->fields[idx];
            if (fl_type_parse(c->type, &to)) {
                rc = fl_errf(err, FL_ERR_INVALID, "unknown type \"%s\"", c->type);
                break;
            }
            bool opaque = to.opaque_type != NULL;
            fl_free(to.opaque_type);
            bool ok = !opaque && fl_field_is_exact(f) &&
                      ((f->type == FL_TYPE_INT && to.type == FL_TYPE_LONG) ||
                       (f->type == FL_TYPE_FLOAT && to.type == FL_TYPE_DOUBLE) ||
                       (f->type == FL_TYPE_DECIMAL && to.type == FL_TYPE_DECIMAL &&
                        to.scale == f->scale && to.precision >= f->precision));
            if (!ok) {
                char from[48];
                fl_type_format(f, from, sizeof(from));
                rc = fl_errf(err, FL_ERR_INVALID,
                             "column \"%s\": %s cannot become %s (Iceberg allows int->long, "
                             "float->double and wider decimals of the same scale)",
                             c->name, from, c->type);
                break;
            }
            f->type = to.type;
            f->precision = to.precision;
            break;
        }
        }
    }
    if (!rc) rc = fl_ice_meta_add_schema(next, s, 1, NULL, err);
    fl_schema_free(s);
    return rc;
}

fl_err_t fl_ice_table_evolve_schema(struct fl_ice_table *tbl, const struct fl_ice_schema_change *ch,
                                    int n, struct fl_error *err) {
    struct schema_ctx sc = {ch, n};
    return fl_ice_table_commit_meta(tbl, apply_schema, &sc, err);
}

struct spec_ctx {
    const char *const *terms;
    int n;
};

static fl_err_t apply_spec(void *ctx, struct fl_ice_meta *next, int attempt, struct fl_error *err) {
    (void)attempt;
    struct spec_ctx *pc = ctx;
    struct fl_ice_spec *spec = NULL;
    fl_err_t rc = fl_ice_spec_from_terms(fl_ice_meta_current_schema(next), 0, pc->terms, pc->n,
                                         next->last_partition_id + 1, &spec, err);
    if (rc) return rc;
    /* fields equal to an earlier spec's keep their id; new ones are numbered on */
    int32_t nid = next->last_partition_id;
    for (int i = 0; i < spec->nfields; i++) {
        struct fl_ice_part_field *f = &spec->fields[i];
        int32_t reuse = -1;
        for (int s = 0; s < next->nspecs && reuse < 0; s++)
            for (int k = 0; k < next->specs[s]->nfields; k++) {
                const struct fl_ice_part_field *o = &next->specs[s]->fields[k];
                if (o->source_id == f->source_id && o->transform.kind == f->transform.kind &&
                    o->transform.param == f->transform.param) {
                    reuse = o->field_id;
                    break;
                }
            }
        f->field_id = reuse >= 0 ? reuse : ++nid;
    }
    /* already the default spec: nothing to change */
    const struct fl_ice_spec *def = fl_ice_meta_default_spec(next);
    bool same = def->nfields == spec->nfields;
    for (int i = 0; same && i < spec->nfields; i++)
        same = def->fields[i].field_id == spec->fields[i].field_id &&
               def->fields[i].source_id == spec->fields[i].source_id;
    if (same) rc = fl_errf(err, FL_ERR_EXISTS, "the table is already partitioned that way");
    if (!rc) rc = fl_ice_meta_add_spec(next, spec, 1, NULL, err);
    fl_ice_spec_free(spec);
    return rc;
}

fl_err_t fl_ice_table_set_partitioning(struct fl_ice_table *tbl, const char *const *terms, int n,
                                       struct fl_error *err) {
    struct spec_ctx pc = {terms, n};
    return fl_ice_table_commit_meta(tbl, apply_spec, &pc, err);
}

struct props_ctx {
    const char *const *keys;
    const char *const *values;
    int n;
};

static fl_err_t apply_props(void *ctx, struct fl_ice_meta *next, int attempt,
                            struct fl_error *err) {
    (void)attempt;
    (void)err;
    struct props_ctx *pc = ctx;
    for (int i = 0; i < pc->n; i++) {
        if (pc->values[i])
            fl_ice_meta_set_property(next, pc->keys[i], pc->values[i]);
        else
            fl_ice_meta_remove_property(next, pc->keys[i]);
    }
    return FL_OK;
}

fl_err_t fl_ice_table_set_properties(struct fl_ice_table *tbl, const char *const *keys,
                                     const char *const *values, int n, struct fl_error *err) {
    struct props_ctx pc = {keys, values, n};
    return fl_ice_table_commit_meta(tbl, apply_props, &pc, err);
}

struct order_ctx {
    const char *const *terms;
    int n;
};

static fl_err_t apply_order(void *ctx, struct fl_ice_meta *next, int attempt,
                            struct fl_error *err) {
    (void)attempt;
    struct order_ctx *oc = ctx;
    json_t *d = FL_ICE_DOC(next);
    if (oc->n == 0) {
        json_object_set_new(d, "default-sort-order-id", json_integer(0));
        return fl_ice_meta_rebuild(next, err);
    }
    struct fl_ice_sort_order *so = NULL;
    fl_err_t rc =
        fl_ice_sort_order_from_terms(fl_ice_meta_current_schema(next), oc->terms, oc->n, &so, err);
    if (rc) return rc;
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    rc = fl_ice_sort_order_to_json(so, &b);
    fl_ice_sort_order_free(so);
    json_t *jo = rc ? NULL : json_loadb((const char *)b.data, b.len, 0, NULL);
    fl_buf_fini(&b);
    if (!jo) return fl_errf(err, FL_ERR_NOMEM, "sort order JSON");
    json_t *orders = fl_ice_doc_member(d, "sort-orders", 1);
    int64_t id = -1, max = 0;
    for (size_t i = 0; i < json_array_size(orders); i++) {
        json_t *o = json_array_get(orders, i);
        json_t *jid = json_object_get(o, "order-id");
        int64_t oid = json_is_integer(jid) ? (int64_t)json_integer_value(jid) : 0;
        if (oid > max) max = oid;
        if (id < 0 && json_equal(json_object_get(o, "fields"), json_object_get(jo, "fields")))
            id = oid;
    }
    if (id < 0) {
        id = max + 1;
        json_object_set_new(jo, "order-id", json_integer(id));
        json_array_append(orders, jo);
    }
    json_decref(jo);
    json_object_set_new(d, "default-sort-order-id", json_integer(id));
    return fl_ice_meta_rebuild(next, err);
}

fl_err_t fl_ice_table_set_sort_order(struct fl_ice_table *tbl, const char *const *terms, int n,
                                     struct fl_error *err) {
    struct order_ctx oc = {terms, n};
    return fl_ice_table_commit_meta(tbl, apply_order, &oc, err);
}
