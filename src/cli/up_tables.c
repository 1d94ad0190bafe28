/*
 * up_tables.c - declared tables into the catalog (see up_tables.h).
 *
 * A declared schema is turned into Iceberg schema JSON and parsed by the
 * same code that reads table metadata, so a declared table is exactly
 * what `floe table create --schema` would make. An existing table is
 * never rewritten behind the user's back: its partitioning and
 * properties stay as they are, and its schema only grows by the columns
 * the config adds, when asked to.
 */
#include "cli/up_tables.h"
#include "core/mem.h"
#include "iceberg/evolve.h"
#include "iceberg/retention.h"
#include "iceberg/table.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *where(const struct fl_config_table *t) {
    return t->where ? t->where : "(config)";
}

static fl_err_t declared_schema(const struct fl_config_table *t, struct fl_schema **out,
                                struct fl_error *err) {
    if (t->schema_json) {
        fl_err_t rc = fl_schema_parse(t->schema_json, strlen(t->schema_json), out, err);
        if (rc) fl_err_prefix(err, "%s: tables[%s].schema_json", where(t), t->name);
        return rc;
    }
    json_t *fields = json_array();
    for (int i = 0; i < t->nfields; i++) {
        const struct fl_config_field *f = &t->fields[i];
        struct fl_field probe = {0};
        fl_err_t prc = fl_type_parse(f->type, &probe);
        fl_free(probe.opaque_type);
        if (prc) {
            json_decref(fields);
            return fl_errf(
                err, FL_ERR_INVALID,
                "%s: tables[].schema[].type: \"%s\" is not an Iceberg primitive type (boolean, "
                "int, long, float, double, decimal(P,S), date, time, timestamp, timestamptz, "
                "string, uuid, fixed[L], binary)",
                f->where ? f->where : where(t), f->type);
        }
        json_array_append_new(fields, json_pack("{s:i,s:s,s:b,s:s}", "id", i + 1, "name", f->name,
                                                "required", f->required, "type", f->type));
    }
    json_t *o = json_pack("{s:s,s:i,s:o}", "type", "struct", "schema-id", 0, "fields", fields);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    fl_err_t rc = fl_schema_parse(text, strlen(text), out, err);
    free(text);
    if (rc) fl_err_prefix(err, "%s: tables[%s].schema", where(t), t->name);
    return rc;
}

fl_err_t fl_up_table_build(const struct fl_config_table *t, struct fl_schema **schema,
                           struct fl_ice_spec **spec, struct fl_error *err) {
    struct fl_schema *s = NULL;
    fl_err_t rc = declared_schema(t, &s, err);
    if (rc) return rc;
    if (t->nidentifier > 0) {
        fl_free(s->identifier_ids);
        s->identifier_ids = fl_calloc((size_t)t->nidentifier, sizeof(int32_t));
        s->nidentifier = 0;
        for (int i = 0; i < t->nidentifier && !rc; i++) {
            int c = fl_schema_index_by_name(s, t->identifier[i]);
            if (c < 0)
                rc = fl_errf(err, FL_ERR_INVALID, "%s: tables[%s].identifier: no column %s",
                             where(t), t->name, t->identifier[i]);
            else if (!s->fields[c].required || !fl_type_is_primitive(s->fields[c].type) ||
                     s->fields[c].type == FL_TYPE_FLOAT || s->fields[c].type == FL_TYPE_DOUBLE)
                rc = fl_errf(
                    err, FL_ERR_INVALID,
                    "%s: tables[%s].identifier: %s must be a required column of a primitive type "
                    "other than float and double (Iceberg's rule for identifier fields)",
                    where(t), t->name, t->identifier[i]);
            else
                s->identifier_ids[s->nidentifier++] = s->fields[c].id;
        }
    }
    if (!rc) {
        rc = fl_ice_spec_from_terms(s, 0, (const char *const *)t->partition, t->npartition,
                                    FL_ICE_PARTITION_FIELD_ID_START, spec, err);
        if (rc) fl_err_prefix(err, "%s: tables[%s].partition", where(t), t->name);
    }
    if (rc) {
        fl_schema_free(s);
        return rc;
    }
    *schema = s;
    return FL_OK;
}

/* Declared against existing: the columns to add, or an error naming the first difference. */
static fl_err_t compare(const struct fl_config_table *t, const struct fl_schema *want,
                        const struct fl_schema *have, struct fl_ice_schema_change *add, int *nadd,
                        struct fl_error *err) {
    *nadd = 0;
    for (int i = 0; i < want->nfields; i++) {
        const struct fl_field *w = &want->fields[i];
        int c = fl_schema_index_by_name(have, w->name);
        char wt[64], ht[64];
        fl_type_format(w, wt, sizeof(wt));
        if (c < 0) {
            if (!t->add_columns)
                return fl_errf(
                    err, FL_ERR_INVALID,
                    "%s: table %s.%s exists without column %s (%s) that the config declares; "
                    "add `on_schema_change: add_columns` to the table's entry to add it, or "
                    "change the config to the table's schema",
                    where(t), t->ns, t->name, w->name, wt);
            add[(*nadd)++] =
                (struct fl_ice_schema_change){FL_ICE_ADD_COLUMN, w->name, NULL, NULL, w->required};
            continue;
        }
        const struct fl_field *h = &have->fields[c];
        fl_type_format(h, ht, sizeof(ht));
        if (strcmp(wt, ht) || w->required != h->required)
            return fl_errf(
                err, FL_ERR_INVALID,
                "%s: table %s.%s exists with column %s as %s%s, the config declares %s%s; floe "
                "does not change a column's type or nullability at startup (use floe table "
                "alter, or change the config)",
                where(t), t->ns, t->name, w->name, h->required ? "required " : "", ht,
                w->required ? "required " : "", wt);
    }
    return FL_OK;
}

fl_err_t fl_up_table_ensure(struct fl_store *st, struct fl_catalog *cat,
                            const struct fl_config_table *t, int *created, struct fl_error *err) {
    struct fl_schema *schema = NULL;
    struct fl_ice_spec *spec = NULL;
    struct fl_ice_table *tbl = NULL;
    *created = 0;
    fl_err_t rc = fl_up_table_build(t, &schema, &spec, err);
    if (rc) return rc;
    rc = fl_ice_table_load(st, fl_catalog_ice(cat), t->ns, t->name, &tbl, err);
    if (rc == FL_ERR_NOTFOUND) {
        fl_err_clear(err);
        /* every property the YAML gives (the loader caps them), and floe's defaults */
        int cap = t->nprops + FL_ICE_FLOE_PROPS;
        struct fl_ice_kv *props = fl_calloc((size_t)cap, sizeof(*props));
        for (int i = 0; i < t->nprops; i++)
            props[i] = (struct fl_ice_kv){t->prop_keys[i], t->prop_values[i]};
        int n = fl_ice_floe_table_props(props, t->nprops, props, cap);
        rc = fl_ice_table_create(st, fl_catalog_ice(cat), t->ns, t->name, schema, spec, props, n,
                                 &tbl, err);
        fl_free(props);
        if (!rc) *created = 1;
        if (rc == FL_ERR_EXISTS) { /* another process made it first: compare with theirs */
            fl_err_clear(err);
            rc = fl_ice_table_load(st, fl_catalog_ice(cat), t->ns, t->name, &tbl, err);
        }
    }
    if (!rc && !*created) {
        struct fl_ice_schema_change *add = fl_calloc((size_t)schema->nfields + 1, sizeof(*add));
        char(*types)[64] = fl_calloc((size_t)schema->nfields + 1, 64);
        int nadd = 0;
        rc = compare(t, schema, fl_ice_meta_current_schema(tbl->meta), add, &nadd, err);
        for (int i = 0; i < nadd; i++) {
            int c = fl_schema_index_by_name(schema, add[i].name);
            fl_type_format(&schema->fields[c], types[i], 64);
            add[i].type = types[i];
        }
        if (!rc && nadd > 0) {
            rc = fl_ice_table_evolve_schema(tbl, add, nadd, err);
            if (rc) fl_err_prefix(err, "%s: table %s.%s: adding columns", where(t), t->ns, t->name);
        }
        fl_free(types);
        fl_free(add);
    }
    fl_ice_table_free(tbl);
    fl_ice_spec_free(spec);
    fl_schema_free(schema);
    return rc;
}

struct fl_pipe_map_step *fl_up_map_steps(const struct fl_config_pipeline *pl) {
    if (pl->nmap == 0) return NULL;
    struct fl_pipe_map_step *out = fl_calloc((size_t)pl->nmap, sizeof(*out));
    for (int i = 0; i < pl->nmap; i++) {
        const struct fl_config_map *m = &pl->map[i];
        out[i] = (struct fl_pipe_map_step){m->kind, m->column, m->from, m->value, m->where};
    }
    return out;
}
