/*
 * maintain.h - automatic table maintenance in `floe up`: one background
 * thread that runs each table's policy (expire now; compact and clean
 * once they land) every interval, one action at a time, beside the
 * pipelines that write the same tables.
 */
#ifndef FL_PIPELINE_MAINTAIN_H
#define FL_PIPELINE_MAINTAIN_H

#include "iceberg/compact.h"
#include "catalog/catalog.h"
#include "core/err.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>

/* floe up's defaults (the up plan applies them; docs/config.md says why):
 * a table's history.expire.* and write.target-file-size-bytes properties
 * win over the defaults marked "property" when the YAML leaves them out. */
#define FL_MAINT_DEFAULT_INTERVAL_MS INT64_C(30000)
/* property; 3 minutes of 1 s commits keep the newest metadata.json near
 * 200 KB (about 1 KB a snapshot) */
#define FL_MAINT_DEFAULT_MAX_SNAPSHOT_AGE_MS INT64_C(180000)
#define FL_MAINT_DEFAULT_MIN_SNAPSHOTS 1  /* property; Iceberg's */
#define FL_MAINT_DEFAULT_MAX_REF_AGE_MS 0 /* property; 0: forever, Iceberg's */
/* property; compaction's own default (iceberg/compact.h: 128 MiB, not
 * Iceberg's 512 MiB, since floe builds each output file in memory) */
#define FL_MAINT_DEFAULT_TARGET_FILE_SIZE FL_ICE_COMPACT_TARGET_DEFAULT
#define FL_MAINT_DEFAULT_MIN_INPUT_FILES 5                      /* Iceberg's RewriteDataFiles */
#define FL_MAINT_DEFAULT_CLEAN_OLDER_THAN_MS INT64_C(259200000) /* 3 days, Java's */
/* the pause after each action: at least this, and at least the action's
 * own duration, so maintenance takes at most half of one core and of the
 * store's bandwidth over any stretch */
#define FL_MAINT_PAUSE_MIN_MS 200
/* The actions (expire, compact, clean) and how often each may run per
 * table by default (compact.every, clean.every), whatever the interval:
 * expiry every run (it is cheap and keeps metadata bounded); compaction
 * at most every minute (it reads and rewrites data: a minute of 1-second
 * commits is ~60 small files per partition, so a partition stays near
 * the 64 files); orphan cleanup at most hourly (it lists the
 * whole table folder, and its safety age is days anyway). */
#define FL_MAINT_ACTIONS 3
#define FL_MAINT_DEFAULT_COMPACT_EVERY_MS INT64_C(60000)
#define FL_MAINT_DEFAULT_CLEAN_EVERY_MS INT64_C(3600000)
/* a data file under target_file_size / this is "small" in floe status */
#define FL_MAINT_SMALL_DIVISOR 4

/* Which policy values the YAML set (the others are defaults, and the
 * table's property wins over a default marked "property" above). */
#define FL_MAINT_SET_MAX_SNAPSHOT_AGE 0x1
#define FL_MAINT_SET_MIN_SNAPSHOTS 0x2
#define FL_MAINT_SET_MAX_REF_AGE 0x4
#define FL_MAINT_SET_TARGET_FILE_SIZE 0x8

/* A table's effective policy (the up plan's). */
struct fl_maint_policy {
    bool enabled;
    int64_t interval_ms;
    int64_t max_snapshot_age_ms, min_snapshots, max_ref_age_ms; /* max_ref_age 0: forever */
    bool compact;
    int64_t target_file_size, min_input_files, compact_every_ms;
    bool clean;
    int64_t clean_older_than_ms, clean_every_ms;
    unsigned set; /* FL_MAINT_SET_* */
};

struct fl_maint_table {
    const char *ns, *name; /* borrowed for the runner's life */
    struct fl_maint_policy pol;
};

/* A table as of its last maintenance run (fl_maint_get). Times are epoch
 * ms, -1 before the first run. */
struct fl_maint_stats {
    const char *ns, *name;
    bool enabled;
    int64_t runs, last_run_ms, last_duration_ms;
    int64_t last_expired, last_deleted; /* snapshots expired, files deleted by the last run */
    int64_t expired_total, deleted_total;
    int64_t last_compacted, compacted_total; /* data files compaction rewrote */
    int64_t errors;
    char last_error[256]; /* "" when the last run succeeded */
    /* the table after the last run */
    int64_t snapshots, data_files, small_files, small_file_bytes, metadata_files;
    int64_t target_file_size; /* what "small" was measured against */
    int64_t skipped;          /* runs left to another process holding the table's lease */
};

struct fl_maint;

/* A runner over tables[0..n) (copied; names stay borrowed). The caller
 * keeps store and cat alive until fl_maint_free. Nothing starts yet. */
fl_err_t fl_maint_new(struct fl_store *st, struct fl_catalog *cat,
                      const struct fl_maint_table *tables, int n, struct fl_maint **out,
                      struct fl_error *err);
/* Several processes sharing the catalog (workers of one Kafka-source
 * pipeline): before each table's run the runner takes or renews the
 * catalog lease "maintenance/NS.NAME" as owner (fl_catalog_lease), for
 * three intervals (at least 30 s); while another owner holds it the run
 * is skipped (stats' skipped). owner is copied; the same owner after a
 * restart (floe up uses host and data directory) takes its lease back at
 * once. Without this call every run goes ahead. Before fl_maint_start. */
void fl_maint_set_lease_owner(struct fl_maint *m, const char *owner);
/* Starts the thread; a runner with no enabled table starts none. */
fl_err_t fl_maint_start(struct fl_maint *m, struct fl_error *err);
/* Runs every enabled table's actions once now, on the caller's thread
 * (tests; the thread must not be running). */
void fl_maint_run_once(struct fl_maint *m);
int fl_maint_count(const struct fl_maint *m);
/* Table i's stats (any thread; takes the runner's lock). */
void fl_maint_get(struct fl_maint *m, int i, struct fl_maint_stats *out);
/* Stops the thread (the action in flight finishes first) and frees. */
void fl_maint_free(struct fl_maint *m);

#endif
