/*
 * config_tables.c - two sections of the YAML configuration: `tables:`
 * (the Iceberg tables floe up creates when the catalog lacks them) and a
 * pipeline's `map:` steps (rename, cast, derive). See config.h for the
 * shapes.
 *
 * How it works: the same walk as config.c (config_int.h); this file
 * checks the shape of each entry (keys, strings, lists) and records
 * "FILE:LINE" with every table, column and step, because their meaning -
 * is "decimal(10,2)" a type, does day(ts) name a timestamp column, does a
 * derived value fit its column - is checked later against the schema
 * (cli/up_tables.c, pipeline/map.c), and those errors must still point
 * at the line that caused them.
 */
#include "core/config_int.h"
#include "core/mem.h"

#include <stdio.h>
#include <string.h>

static char *where_of(struct walk *w, const yaml_node_t *n) {
    char buf[4200];
    snprintf(buf, sizeof(buf), "%s:%zu", w->path, n->start_mark.line + 1);
    return fl_strdup(buf);
}

static void free_list(char **v, int n) {
    for (int i = 0; i < n; i++) fl_free(v[i]);
    fl_free(v);
}

/* ---- tables ---- */

static fl_err_t field_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                           yaml_node_t *v) {
    struct fl_config_field *f = ctx;
    if (!strcmp(key, "name")) return fl_config_get_str(w, v, "tables[].schema[].name", &f->name);
    if (!strcmp(key, "type")) return fl_config_get_str(w, v, "tables[].schema[].type", &f->type);
    if (!strcmp(key, "required"))
        return fl_config_get_bool(w, v, "tables[].schema[].required", &f->required);
    return fl_config_unknown(w, kn, "tables[].schema[]", key);
}

static fl_err_t fields_seq(struct walk *w, struct fl_config_table *t, yaml_node_t *n) {
    if (n->type != YAML_SEQUENCE_NODE)
        return fl_config_fail(w, n, "tables[].schema", "expected a list of {name, type, required}");
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(w->doc, *it);
        if (t->nfields == FL_CONFIG_FIELDS_MAX)
            return fl_config_too_many(w, item, "tables[].schema", "columns", FL_CONFIG_FIELDS_MAX);
        t->fields = fl_reallocarray(t->fields, (size_t)t->nfields + 1, sizeof(*t->fields));
        struct fl_config_field *f = &t->fields[t->nfields++];
        memset(f, 0, sizeof(*f));
        f->where = where_of(w, item);
        fl_err_t rc = fl_config_each_pair(w, item, "tables[].schema[]", field_pair, f);
        if (rc) return rc;
        if (!f->name || !f->type)
            return fl_config_fail(w, item, "tables[].schema[]", "needs name and type");
        for (int k = 0; k + 1 < t->nfields; k++)
            if (!strcmp(t->fields[k].name, f->name))
                return fl_config_fail(w, item, "tables[].schema[].name", "duplicate column name");
    }
    return FL_OK;
}

static fl_err_t prop_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                          yaml_node_t *v) {
    (void)kn;
    struct fl_config_table *t = ctx;
    if (t->nprops == FL_CONFIG_FIELDS_MAX)
        return fl_config_too_many(w, v, "tables[].properties", "properties", FL_CONFIG_FIELDS_MAX);
    t->prop_keys = fl_reallocarray(t->prop_keys, (size_t)t->nprops + 1, sizeof(char *));
    t->prop_values = fl_reallocarray(t->prop_values, (size_t)t->nprops + 1, sizeof(char *));
    t->prop_keys[t->nprops] = fl_strdup(key);
    t->prop_values[t->nprops] = NULL;
    t->nprops++;
    return fl_config_get_str(w, v, "tables[].properties", &t->prop_values[t->nprops - 1]);
}

static fl_err_t table_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                           yaml_node_t *v) {
    struct fl_config_table *t = ctx;
    if (!strcmp(key, "namespace")) return fl_config_get_str(w, v, "tables[].namespace", &t->ns);
    if (!strcmp(key, "name")) return fl_config_get_str(w, v, "tables[].name", &t->name);
    if (!strcmp(key, "schema")) return fields_seq(w, t, v);
    if (!strcmp(key, "schema_json"))
        return fl_config_get_str(w, v, "tables[].schema_json", &t->schema_json);
    if (!strcmp(key, "partition"))
        return fl_config_get_str_list(w, v, "tables[].partition", &t->partition, &t->npartition);
    if (!strcmp(key, "identifier"))
        return fl_config_get_str_list(w, v, "tables[].identifier", &t->identifier, &t->nidentifier);
    if (!strcmp(key, "properties"))
        return fl_config_each_pair(w, v, "tables[].properties", prop_pair, t);
    if (!strcmp(key, "maintenance"))
        return fl_config_maint_walk(w, &t->maint, "tables[].maintenance", v);
    if (!strcmp(key, "on_schema_change")) {
        const char *s = v->type == YAML_SCALAR_NODE ? (const char *)v->data.scalar.value : "";
        if (!strcmp(s, "add_columns"))
            t->add_columns = 1;
        else if (!strcmp(s, "fail"))
            t->add_columns = 0;
        else
            return fl_config_fail(w, v, "tables[].on_schema_change",
                                  "expected add_columns or fail");
        return FL_OK;
    }
    return fl_config_unknown(w, kn, "tables[]", key);
}

fl_err_t fl_config_tables_walk(struct walk *w, struct fl_config *cfg, yaml_node_t *n) {
    if (n->type != YAML_SEQUENCE_NODE) return fl_config_fail(w, n, "tables", "expected a list");
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(w->doc, *it);
        if (cfg->ntables == FL_CONFIG_TABLES_MAX)
            return fl_config_too_many(w, item, "tables", "tables", FL_CONFIG_TABLES_MAX);
        cfg->tables = fl_reallocarray(cfg->tables, (size_t)cfg->ntables + 1, sizeof(*cfg->tables));
        struct fl_config_table *t = &cfg->tables[cfg->ntables++];
        memset(t, 0, sizeof(*t));
        t->maint = (struct fl_config_maint)FL_CONFIG_MAINT_UNSET;
        t->where = where_of(w, item);
        fl_err_t rc = fl_config_each_pair(w, item, "tables[]", table_pair, t);
        if (rc) return rc;
        if (!t->name) return fl_config_fail(w, item, "tables[].name", "missing");
        if (!t->ns) t->ns = fl_strdup("default");
        if (!t->nfields == !t->schema_json)
            return fl_config_fail(w, item, "tables[]",
                                  "needs exactly one of schema and schema_json");
        for (int k = 0; k + 1 < cfg->ntables; k++)
            if (!strcmp(cfg->tables[k].ns, t->ns) && !strcmp(cfg->tables[k].name, t->name))
                return fl_config_fail(w, item, "tables[].name", "the table is declared twice");
    }
    return FL_OK;
}

void fl_config_tables_fini(struct fl_config *cfg) {
    for (int i = 0; i < cfg->ntables; i++) {
        struct fl_config_table *t = &cfg->tables[i];
        fl_free(t->ns);
        fl_free(t->name);
        for (int k = 0; k < t->nfields; k++) {
            fl_free(t->fields[k].name);
            fl_free(t->fields[k].type);
            fl_free(t->fields[k].where);
        }
        fl_free(t->fields);
        fl_free(t->schema_json);
        free_list(t->partition, t->npartition);
        free_list(t->identifier, t->nidentifier);
        free_list(t->prop_keys, t->nprops);
        free_list(t->prop_values, t->nprops);
        fl_free(t->where);
        fl_config_maint_fini(&t->maint);
    }
    fl_free(cfg->tables);
    cfg->tables = NULL;
    cfg->ntables = 0;
}

/* ---- map steps ---- */

static fl_err_t rename_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                            yaml_node_t *v) {
    struct fl_config_map *m = ctx;
    if (!strcmp(key, "from")) return fl_config_get_str(w, v, "map[].rename.from", &m->from);
    if (!strcmp(key, "to")) return fl_config_get_str(w, v, "map[].rename.to", &m->column);
    return fl_config_unknown(w, kn, "map[].rename", key);
}

static fl_err_t cast_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                          yaml_node_t *v) {
    struct fl_config_map *m = ctx;
    if (!strcmp(key, "column")) return fl_config_get_str(w, v, "map[].cast.column", &m->column);
    if (!strcmp(key, "unit")) {
        fl_err_t rc = fl_config_get_str(w, v, "map[].cast.unit", &m->from);
        if (!rc && strcmp(m->from, "s") && strcmp(m->from, "ms") && strcmp(m->from, "us"))
            return fl_config_fail(w, v, "map[].cast.unit", "expected s, ms or us");
        return rc;
    }
    return fl_config_unknown(w, kn, "map[].cast", key);
}

static fl_err_t derive_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                            yaml_node_t *v) {
    struct fl_config_map *m = ctx;
    if (!strcmp(key, "column")) return fl_config_get_str(w, v, "map[].derive.column", &m->column);
    if (!strcmp(key, "from")) return fl_config_get_str(w, v, "map[].derive.from", &m->from);
    if (!strcmp(key, "value")) return fl_config_get_str(w, v, "map[].derive.value", &m->value);
    return fl_config_unknown(w, kn, "map[].derive", key);
}

static fl_err_t step_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                          yaml_node_t *v) {
    struct fl_config_map *m = ctx;
    if (!strcmp(key, "rename")) {
        m->kind = FL_CONFIG_MAP_RENAME;
        fl_err_t rc = fl_config_each_pair(w, v, "map[].rename", rename_pair, m);
        if (!rc && (!m->from || !m->column))
            return fl_config_fail(w, v, "map[].rename", "needs from and to");
        return rc;
    }
    if (!strcmp(key, "cast")) {
        m->kind = FL_CONFIG_MAP_CAST;
        if (v->type == YAML_SCALAR_NODE) return fl_config_get_str(w, v, "map[].cast", &m->column);
        fl_err_t rc = fl_config_each_pair(w, v, "map[].cast", cast_pair, m);
        if (!rc && !m->column) return fl_config_fail(w, v, "map[].cast", "needs column");
        return rc;
    }
    if (!strcmp(key, "derive")) {
        m->kind = FL_CONFIG_MAP_DERIVE;
        fl_err_t rc = fl_config_each_pair(w, v, "map[].derive", derive_pair, m);
        if (!rc && (!m->column || !m->from == !m->value))
            return fl_config_fail(w, v, "map[].derive", "needs column and one of from and value");
        return rc;
    }
    return fl_config_unknown(w, kn, "pipelines[].map[]", key);
}

fl_err_t fl_config_map_walk(struct walk *w, struct fl_config_pipeline *pl, yaml_node_t *n) {
    if (n->type != YAML_SEQUENCE_NODE)
        return fl_config_fail(w, n, "pipelines[].map", "expected a list");
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(w->doc, *it);
        if (pl->nmap == FL_CONFIG_MAP_STEPS_MAX)
            return fl_config_too_many(w, item, "pipelines[].map", "steps", FL_CONFIG_MAP_STEPS_MAX);
        pl->map = fl_reallocarray(pl->map, (size_t)pl->nmap + 1, sizeof(*pl->map));
        struct fl_config_map *m = &pl->map[pl->nmap++];
        memset(m, 0, sizeof(*m));
        if (item->type != YAML_MAPPING_NODE ||
            item->data.mapping.pairs.top - item->data.mapping.pairs.start != 1)
            return fl_config_fail(w, item, "pipelines[].map[]",
                                  "each step is one of rename: {...}, cast: ... or derive: {...}");
        fl_err_t rc = fl_config_each_pair(w, item, "pipelines[].map[]", step_pair, m);
        m->where = where_of(w, item);
        if (rc) return rc;
    }
    return FL_OK;
}

void fl_config_map_fini(struct fl_config_pipeline *pl) {
    for (int i = 0; i < pl->nmap; i++) {
        fl_free(pl->map[i].column);
        fl_free(pl->map[i].from);
        fl_free(pl->map[i].value);
        fl_free(pl->map[i].where);
    }
    fl_free(pl->map);
    pl->map = NULL;
    pl->nmap = 0;
}
