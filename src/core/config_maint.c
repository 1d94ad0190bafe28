/*
 * config_maint.c - the `maintenance:` blocks of the YAML configuration
 * (config.h's struct fl_config_maint): at the top level, under a
 * tables[] entry and under a pipelines[] entry (its target table).
 *
 * How it works: the same walk as config.c (config_int.h). Each key is
 * checked for shape and range where it is written, so that an error
 * names its line; a block that could expire every snapshot (a zero or
 * negative age, min_snapshots_to_keep below 1) is refused here, with
 * FILE:LINE, before floe up or floe config check goes further. Merging
 * the blocks and the defaults is the up plan's (cli/up_plan.c).
 */
#include "core/config_int.h"
#include "core/mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A size: bytes, or an integer with KiB, MiB, GiB (or KB, MB, GB, also
 * powers of 1024), at least 1 KiB and at most 64 GiB. */
static fl_err_t get_size(struct walk *w, yaml_node_t *n, const char *key, int64_t *out) {
    static const struct {
        const char *unit;
        int64_t mul;
    } units[] = {{"", 1},          {"B", 1},        {"KiB", 1024},    {"KB", 1024},
                 {"MiB", 1 << 20}, {"MB", 1 << 20}, {"GiB", 1 << 30}, {"GB", 1 << 30}};
    if (n->type == YAML_SCALAR_NODE && n->data.scalar.length > 0 && n->data.scalar.length < 24) {
        const char *s = (const char *)n->data.scalar.value;
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        for (size_t i = 0; end != s && !errno && i < sizeof(units) / sizeof(units[0]); i++)
            if (!strcmp(end, units[i].unit)) {
                if (v < 1024 / units[i].mul || v > (INT64_C(64) << 30) / units[i].mul)
                    return fl_config_fail(w, n, key, "out of range 1KiB..64GiB");
                *out = v * units[i].mul;
                return FL_OK;
            }
    }
    return fl_config_fail(w, n, key, "expected a size such as 134217728, 128MiB or 1GiB");
}

/* A duration that must be positive: "0s" and "-5m" are refused as what
 * they would do. */
static fl_err_t get_age(struct walk *w, yaml_node_t *n, const char *key, const char *why_zero,
                        int64_t *out_ms) {
    if (n->type == YAML_SCALAR_NODE && n->data.scalar.length > 0 && n->data.scalar.value[0] == '-')
        return fl_config_fail(w, n, key, why_zero);
    fl_err_t rc = fl_config_get_duration(w, n, key, out_ms);
    if (!rc && *out_ms <= 0) return fl_config_fail(w, n, key, why_zero);
    return rc;
}

/* An action's cadence: 1s or more. */
static fl_err_t get_every(struct walk *w, yaml_node_t *n, const char *key, int64_t *out_ms) {
    fl_err_t rc = get_age(w, n, key, "must be positive", out_ms);
    if (!rc && *out_ms < 1000) return fl_config_fail(w, n, key, "at least 1s");
    return rc;
}

static const char EXPIRES_ALL[] = "must be positive: a zero or negative age could expire every "
                                  "snapshot";

static fl_err_t expire_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                            yaml_node_t *v) {
    struct fl_config_maint *m = ctx;
    if (!strcmp(key, "max_snapshot_age"))
        return get_age(w, v, "maintenance.expire.max_snapshot_age", EXPIRES_ALL,
                       &m->max_snapshot_age_ms);
    if (!strcmp(key, "max_ref_age"))
        return get_age(w, v, "maintenance.expire.max_ref_age", EXPIRES_ALL, &m->max_ref_age_ms);
    if (!strcmp(key, "min_snapshots_to_keep")) {
        if (v->type == YAML_SCALAR_NODE && v->data.scalar.length > 0 &&
            (v->data.scalar.value[0] == '-' || !strcmp((const char *)v->data.scalar.value, "0")))
            return fl_config_fail(w, v, "maintenance.expire.min_snapshots_to_keep",
                                  "must be at least 1: 0 could expire every snapshot");
        return fl_config_get_int(w, v, "maintenance.expire.min_snapshots_to_keep", 1, 1000000,
                                 &m->min_snapshots);
    }
    return fl_config_unknown(w, kn, "maintenance.expire", key);
}

static fl_err_t compact_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                             yaml_node_t *v) {
    struct fl_config_maint *m = ctx;
    if (!strcmp(key, "enabled"))
        return fl_config_get_bool(w, v, "maintenance.compact.enabled", &m->compact_enabled);
    if (!strcmp(key, "target_file_size"))
        return get_size(w, v, "maintenance.compact.target_file_size", &m->target_file_size);
    if (!strcmp(key, "min_input_files"))
        return fl_config_get_int(w, v, "maintenance.compact.min_input_files", 2, 100000,
                                 &m->min_input_files);
    if (!strcmp(key, "every"))
        return get_every(w, v, "maintenance.compact.every", &m->compact_every_ms);
    return fl_config_unknown(w, kn, "maintenance.compact", key);
}

static fl_err_t clean_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                           yaml_node_t *v) {
    struct fl_config_maint *m = ctx;
    if (!strcmp(key, "enabled"))
        return fl_config_get_bool(w, v, "maintenance.clean.enabled", &m->clean_enabled);
    if (!strcmp(key, "older_than"))
        return get_age(w, v, "maintenance.clean.older_than",
                       "must be positive: a file younger than any age may belong to a commit "
                       "in flight",
                       &m->clean_older_than_ms);
    if (!strcmp(key, "every"))
        return get_every(w, v, "maintenance.clean.every", &m->clean_every_ms);
    return fl_config_unknown(w, kn, "maintenance.clean", key);
}

static fl_err_t maint_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                           yaml_node_t *v) {
    struct fl_config_maint *m = ctx;
    if (!strcmp(key, "enabled"))
        return fl_config_get_bool(w, v, "maintenance.enabled", &m->enabled);
    if (!strcmp(key, "interval")) return get_every(w, v, "maintenance.interval", &m->interval_ms);
    if (!strcmp(key, "expire"))
        return fl_config_each_pair(w, v, "maintenance.expire", expire_pair, m);
    if (!strcmp(key, "compact"))
        return fl_config_each_pair(w, v, "maintenance.compact", compact_pair, m);
    if (!strcmp(key, "clean")) return fl_config_each_pair(w, v, "maintenance.clean", clean_pair, m);
    return fl_config_unknown(w, kn, "maintenance", key);
}

fl_err_t fl_config_maint_walk(struct walk *w, struct fl_config_maint *m, const char *where,
                              yaml_node_t *n) {
    if (m->given) return fl_config_fail(w, n, where, "given twice");
    char buf[4200];
    snprintf(buf, sizeof(buf), "%s:%zu", w->path, n->start_mark.line + 1);
    m->given = 1;
    m->where = fl_strdup(buf);
    return fl_config_each_pair(w, n, where, maint_pair, m);
}

void fl_config_maint_fini(struct fl_config_maint *m) {
    fl_free(m->where);
    *m = (struct fl_config_maint)FL_CONFIG_MAINT_UNSET;
}
