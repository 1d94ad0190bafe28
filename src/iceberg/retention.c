/*
 * retention.c - metadata file retention on every commit, the properties
 * floe gives its own tables, and the floe state carried from snapshot to
 * snapshot (see retention.h).
 *
 * How it works: table.c's commit appends the replaced metadata file to
 * the metadata-log, trimmed to fl_ice_retention_log_max entries (oldest
 * dropped). Once the new version is the table's (catalog swap done or
 * vN.metadata.json created), fl_ice_retention_after_commit compares the
 * base's log with the new one, as Iceberg Java's
 * BaseMetastoreTableOperations does: every file the base listed and the
 * new version no longer lists has just left the history and is deleted
 * when write.metadata.delete-after-commit.enabled is true. floe writes
 * each version twice (NNNNN-<uuid>.metadata.json, the catalog's pointer,
 * and vN.metadata.json for Hadoop-catalog readers), so the twin of a
 * dropped version goes too. A failed delete cannot undo a commit that
 * is already visible: it is logged and leaves an orphan for orphan
 * cleanup.
 *
 * Pipelines keep their exactly-once offsets in snapshot summaries. So
 * that the newest snapshot always has them (and expiring older ones
 * never makes a pipeline re-read), every snapshot floe commits copies
 * the floe.offsets.* and floe.window.* entries of its parent that it
 * does not set itself.
 */
#include "iceberg/retention.h"
#include "iceberg/table.h"
#include "core/log.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int fl_ice_retention_log_max(const struct fl_ice_meta *meta) {
    const char *v = fl_ice_meta_property(meta, FL_ICE_PROP_PREVIOUS_VERSIONS_MAX);
    long n = FL_ICE_PREVIOUS_VERSIONS_MAX_DEFAULT;
    if (v) {
        char *end;
        long p = strtol(v, &end, 10);
        if (end != v && !*end) n = p;
    }
    if (n < 1) n = 1; /* Java: Math.max(1, previous-versions-max) */
    if (n > 1000000) n = 1000000;
    return (int)n;
}

int fl_ice_floe_table_props(const struct fl_ice_kv *props, int n, struct fl_ice_kv *out, int cap) {
    static const struct fl_ice_kv defaults[] = {
        {FL_ICE_PROP_DELETE_AFTER_COMMIT, "true"},
        {FL_ICE_PROP_PREVIOUS_VERSIONS_MAX, FL_ICE_FLOE_PREVIOUS_VERSIONS_MAX},
    };
    _Static_assert(sizeof(defaults) / sizeof(defaults[0]) == FL_ICE_FLOE_PROPS, "one count");
    int k = 0;
    for (int i = 0; i < n && k < cap; i++) out[k++] = props[i];
    for (size_t d = 0; d < sizeof(defaults) / sizeof(defaults[0]) && k < cap; d++) {
        int set = 0;
        for (int i = 0; i < n && !set; i++) set = strcmp(props[i].key, defaults[d].key) == 0;
        if (!set) out[k++] = defaults[d];
    }
    return k;
}

/* The store key of the vN.metadata.json twin of a NNNNN-<uuid> file. */
static int twin_key(const char *key, char *out, size_t outsz) {
    const char *base = strrchr(key, '/');
    base = base ? base + 1 : key;
    char *end;
    long v = strtol(base, &end, 10);
    if (end == base || *end != '-' || v < 0) return 0;
    int n = snprintf(out, outsz, "%.*sv%ld.metadata.json", (int)(base - key), key, v);
    return n > 0 && (size_t)n < outsz;
}

static int delete_logged(struct fl_ice_table *tbl, const char *key) {
    struct fl_error err = {0};
    fl_err_t rc = fl_store_delete(tbl->store, key, &err);
    if (rc == FL_OK) return 1;
    if (rc != FL_ERR_NOTFOUND)
        fl_warn("table %s: could not delete old metadata file %s: %s", tbl->key_prefix, key,
                err.msg);
    return 0;
}

int fl_ice_retention_after_commit(struct fl_ice_table *tbl, const struct fl_ice_meta *base,
                                  const struct fl_ice_meta *next) {
    const char *on = fl_ice_meta_property(next, FL_ICE_PROP_DELETE_AFTER_COMMIT);
    if (!base || !on || strcasecmp(on, "true") != 0) return 0;
    int nb = fl_ice_meta_log_files(base, NULL, 0), nn = fl_ice_meta_log_files(next, NULL, 0);
    const char **b = fl_calloc((size_t)nb + 1, sizeof(*b));
    const char **nx = fl_calloc((size_t)nn + 1, sizeof(*nx));
    fl_ice_meta_log_files(base, b, nb);
    fl_ice_meta_log_files(next, nx, nn);
    int deleted = 0;
    for (int i = 0; i < nb; i++) {
        int kept = 0;
        for (int k = 0; k < nn && !kept; k++) kept = strcmp(b[i], nx[k]) == 0;
        if (kept) continue;
        char key[FL_STORE_KEY_MAX + 1], twin[FL_STORE_KEY_MAX + 1];
        struct fl_error err = {0};
        if (fl_ice_table_key(tbl, b[i], key, sizeof(key), &err)) {
            fl_warn("table %s: old metadata file %s not deleted: %s", tbl->key_prefix, b[i],
                    err.msg);
            continue;
        }
        deleted += delete_logged(tbl, key);
        if (twin_key(key, twin, sizeof(twin))) deleted += delete_logged(tbl, twin);
    }
    fl_free(b);
    fl_free(nx);
    return deleted;
}

int fl_ice_summary_carry(const struct fl_ice_meta *meta, int64_t parent, const struct fl_ice_kv *kv,
                         int n, struct fl_ice_kv **out) {
    static const char *const prefixes[] = FL_ICE_CARRIED_PREFIXES;
    int np = 0;
    for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++)
        np += fl_ice_snapshot_summary_prefixed(meta, parent, prefixes[p], NULL, 0);
    struct fl_ice_kv *all = fl_calloc((size_t)n + (size_t)np + 1, sizeof(*all));
    memcpy(all, kv, (size_t)n * sizeof(*kv));
    int k = n;
    for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++)
        k += fl_ice_snapshot_summary_prefixed(meta, parent, prefixes[p], all + k, n + np - k);
    /* what the new snapshot sets itself wins */
    int w = n;
    for (int i = n; i < k; i++) {
        int set = 0;
        for (int j = 0; j < n && !set; j++) set = strcmp(kv[j].key, all[i].key) == 0;
        if (!set) all[w++] = all[i];
    }
    *out = all;
    return w;
}
