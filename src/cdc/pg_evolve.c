/*
 * pg_evolve.c - the schema changes that make a mirror table's columns
 * those of its source table (see pg_evolve.h).
 */
#include "cdc/pg_evolve.h"
#include "core/mem.h"

#include <stdio.h>
#include <string.h>

static const struct fl_cdc_src_col *src_col(const struct fl_cdc_src_col *cols, int n,
                                            const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(cols[i].name, name)) return &cols[i];
    return NULL;
}

static int is_identifier(const struct fl_schema *s, int32_t id) {
    for (int k = 0; k < s->nidentifier; k++)
        if (s->identifier_ids[k] == id) return 1;
    return 0;
}

/* Whether a column of type from may become type to, as Iceberg allows. */
static int promotable(const struct fl_field *from, const struct fl_field *to) {
    return (from->type == FL_TYPE_INT && to->type == FL_TYPE_LONG) ||
           (from->type == FL_TYPE_FLOAT && to->type == FL_TYPE_DOUBLE) ||
           (from->type == FL_TYPE_DECIMAL && to->type == FL_TYPE_DECIMAL &&
            to->scale == from->scale && to->precision >= from->precision);
}

static void push(struct fl_ice_schema_change **out, int *n, fl_ice_schema_change_kind_t kind,
                 const char *name, const char *type) {
    *out = fl_reallocarray(*out, (size_t)*n + 1, sizeof(**out));
    (*out)[(*n)++] = (struct fl_ice_schema_change){
        .kind = kind, .name = fl_strdup(name), .type = type ? fl_strdup(type) : NULL};
}

fl_err_t fl_cdc_schema_diff(const struct fl_schema *cur, const char *table,
                            const struct fl_cdc_src_col *cols, int ncols,
                            struct fl_ice_schema_change **out, int *nout, struct fl_error *err) {
    *out = NULL;
    *nout = 0;
    fl_err_t rc = FL_OK;
    for (int i = 0; i < cur->nfields && !rc; i++) { /* drops */
        const struct fl_field *f = &cur->fields[i];
        if (src_col(cols, ncols, f->name)) continue;
        if (is_identifier(cur, f->id))
            rc = fl_errf(err, FL_ERR_UNSUPPORTED,
                         "table %s, column %s: a primary key column (an identifier field of the "
                         "mirror table) was dropped or renamed at the source",
                         table, f->name);
        else
            push(out, nout, FL_ICE_DROP_COLUMN, f->name, NULL);
    }
    for (int i = 0; i < ncols && !rc; i++) { /* widenings, then adds */
        const struct fl_cdc_src_col *c = &cols[i];
        for (int j = 0; j < i && !rc; j++)
            if (!strcmp(cols[j].name, c->name))
                rc = fl_errf(err, FL_ERR_CORRUPT, "table %s: column %s twice", table, c->name);
        struct fl_field to = {0};
        if (!rc && fl_type_parse(c->type, &to))
            rc = fl_errf(err, FL_ERR_INVALID, "table %s, column %s: unknown type %s", table,
                         c->name, c->type);
        fl_free(to.opaque_type);
        if (rc) break;
        int idx = fl_schema_index_by_name(cur, c->name);
        if (idx < 0) continue;
        const struct fl_field *f = &cur->fields[idx];
        if (f->type == to.type && f->precision == to.precision && f->scale == to.scale &&
            f->length == to.length)
            continue;
        char from[48];
        fl_type_format(f, from, sizeof(from));
        if (!fl_type_is_primitive(f->type) || !promotable(f, &to))
            rc = fl_errf(err, FL_ERR_UNSUPPORTED,
                         "table %s, column %s: its type changed from %s to %s, which Iceberg does "
                         "not allow (only int->long, float->double and a wider decimal of the "
                         "same scale)",
                         table, c->name, from, c->type);
        else
            push(out, nout, FL_ICE_WIDEN_COLUMN, c->name, c->type);
    }
    for (int i = 0; i < ncols && !rc; i++)
        if (fl_schema_index_by_name(cur, cols[i].name) < 0)
            push(out, nout, FL_ICE_ADD_COLUMN, cols[i].name, cols[i].type);
    if (rc) {
        fl_cdc_changes_free(*out, *nout);
        *out = NULL;
        *nout = 0;
    }
    return rc;
}

void fl_cdc_changes_free(struct fl_ice_schema_change *ch, int n) {
    for (int i = 0; i < n; i++) {
        fl_free((char *)ch[i].name);
        fl_free((char *)ch[i].type);
    }
    fl_free(ch);
}

fl_err_t fl_cdc_mirror_evolve(struct fl_ice_table *tbl, const char *table,
                              const struct fl_cdc_src_col *cols, int ncols, int *nchanges,
                              struct fl_error *err) {
    *nchanges = 0;
    struct fl_ice_schema_change *ch = NULL;
    int n = 0;
    fl_err_t rc =
        fl_cdc_schema_diff(fl_ice_meta_current_schema(tbl->meta), table, cols, ncols, &ch, &n, err);
    if (!rc && n) {
        rc = fl_ice_table_evolve_schema(tbl, ch, n, err);
        if (rc) fl_err_prefix(err, "table %s: evolving the mirror's schema", table);
    }
    if (!rc) *nchanges = n;
    fl_cdc_changes_free(ch, n);
    return rc;
}
