/*
 * maintain.c - automatic table maintenance in `floe up` (maintain.h).
 *
 * How it works: one thread, one table at a time, one action at a time.
 * Each table is due every policy interval; the thread takes the table
 * due soonest, loads it fresh from the catalog, runs its actions in
 * order (ACTIONS below: expire, then compact, then clean at most hourly),
 * measures the table (snapshots, live data files, small ones, files
 * under metadata/), records the run and frees the table, so that nothing
 * it read stays in memory between runs. After every table it pauses for
 * as long as the run took (at least FL_MAINT_PAUSE_MIN_MS): at most one
 * action is in flight and the thread is busy at most half the time, so
 * maintenance takes at most half a core and half of one reader's I/O.
 *
 * Beside the pipelines: expiry commits through the same optimistic
 * commit as the pipelines (fl_ice_table_commit_meta): it never takes a
 * lock a pipeline waits on. A pipeline commit that races an expiry
 * commit loses the compare-and-swap once, reloads and retries; one
 * expiry commit per table per interval makes that at most one retry per
 * interval for the pipeline.
 *
 * Threads and locks: the runner thread runs the actions; mu guards the
 * stats (read by GET /status on a server thread) and the stop flag;
 * cond wakes the thread to stop. fl_maint_free sets stop and joins: the
 * action in flight finishes first (one expiry), nothing new starts.
 */
#include "pipeline/maintain.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/time.h"
#include "iceberg/compact.h"
#include "iceberg/expire.h"
#include "iceberg/orphans.h"
#include "iceberg/table.h"

#include <pthread.h>
#include <stdio.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROP_TARGET_FILE_SIZE "write.target-file-size-bytes"

struct mtable {
    struct fl_maint_table t;
    int64_t due_us;                          /* monotonic */
    int64_t action_due_us[FL_MAINT_ACTIONS]; /* monotonic: an action with a cadence waits */
    struct fl_maint_stats st;
};

struct fl_maint {
    struct fl_store *st;
    struct fl_catalog *cat;
    char *owner; /* the lease owner, NULL: no lease */
    struct mtable *tables;
    int n;
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cond; /* on CLOCK_MONOTONIC */
    int stop;
};

/* One run's outcome for one table, as the actions fill it in. */
struct run {
    int64_t expired, deleted, compacted;
};

/* An action of the policy: enabled for a table, and how it runs (NULL:
 * not in this build; floe up says so once at start and never pretends
 * it ran). */
struct action {
    const char *name;
    /* at most this often per table (NULL: every run) */
    int64_t (*every_ms)(const struct fl_maint_policy *pol);
    bool (*enabled)(const struct fl_maint_policy *pol);
    fl_err_t (*run)(struct fl_ice_table *tbl, const struct fl_maint_policy *pol, struct run *r,
                    struct fl_error *err);
};

static bool prop_set(const struct fl_ice_table *tbl, const char *key) {
    return fl_ice_meta_property(tbl->meta, key) != NULL;
}

/* Expire with the policy: what the YAML set wins; a default yields to
 * the table's own history.expire.* property when it has one. */
static fl_err_t act_expire(struct fl_ice_table *tbl, const struct fl_maint_policy *pol,
                           struct run *r, struct fl_error *err) {
    struct fl_ice_expire_opts opts = {.older_than_ms = FL_ICE_EXPIRE_UNSET};
    int64_t now = fl_time_now_us() / 1000;
    opts.now_ms = now;
    if ((pol->set & FL_MAINT_SET_MAX_SNAPSHOT_AGE) || !prop_set(tbl, FL_ICE_PROP_MAX_SNAPSHOT_AGE))
        opts.older_than_ms = now - pol->max_snapshot_age_ms;
    if ((pol->set & FL_MAINT_SET_MIN_SNAPSHOTS) || !prop_set(tbl, FL_ICE_PROP_MIN_SNAPSHOTS))
        opts.retain_last = pol->min_snapshots;
    if ((pol->set & FL_MAINT_SET_MAX_REF_AGE) && pol->max_ref_age_ms > 0)
        opts.max_ref_age_ms = pol->max_ref_age_ms;
    struct fl_ice_expire_result res;
    fl_err_t rc = fl_ice_table_expire(tbl, &opts, &res, err);
    r->expired += res.nexpired;
    r->deleted += res.nfiles - res.failed;
    fl_ice_expire_result_fini(&res);
    return rc;
}

/* Compact with the policy: bin-pack per partition (iceberg/compact.c),
 * each group its own replace snapshot validated against what the
 * pipelines committed meanwhile; an abandoned group is not an error. The
 * target size: the YAML's if it set one, else the table's
 * write.target-file-size-bytes, else the policy's default. */
static fl_err_t act_compact(struct fl_ice_table *tbl, const struct fl_maint_policy *pol,
                            struct run *r, struct fl_error *err) {
    struct fl_ice_compact_opts opts = {.min_input_files = (int)pol->min_input_files};
    if ((pol->set & FL_MAINT_SET_TARGET_FILE_SIZE) || !prop_set(tbl, PROP_TARGET_FILE_SIZE))
        opts.target_size = pol->target_file_size;
    struct fl_ice_compact_result res;
    fl_err_t rc = fl_ice_table_compact(tbl, &opts, &res, err);
    for (int i = 0; i < res.ngroups; i++)
        if (res.groups[i].state == FL_ICE_GROUP_COMMITTED) r->compacted += res.groups[i].nfiles;
    fl_ice_compact_result_fini(&res);
    return rc;
}

/* Delete the table's orphans older than the policy's age
 * (iceberg/orphans.c). */
static fl_err_t act_clean(struct fl_ice_table *tbl, const struct fl_maint_policy *pol,
                          struct run *r, struct fl_error *err) {
    struct fl_ice_orphan_opts opts = {.now_ms = fl_time_now_us() / 1000};
    opts.older_than_ms = opts.now_ms - pol->clean_older_than_ms;
    struct fl_ice_orphan_result res;
    fl_err_t rc = fl_ice_table_clean_orphans(tbl, &opts, &res, err);
    r->deleted += res.nfiles;
    fl_ice_orphan_result_fini(&res);
    return rc;
}

static bool on_always(const struct fl_maint_policy *pol) {
    (void)pol;
    return true;
}
static bool on_compact(const struct fl_maint_policy *pol) { return pol->compact; }
static bool on_clean(const struct fl_maint_policy *pol) { return pol->clean; }
static int64_t compact_every(const struct fl_maint_policy *pol) { return pol->compact_every_ms; }
static int64_t clean_every(const struct fl_maint_policy *pol) { return pol->clean_every_ms; }

/* In this order: expiry first, so that compaction rewrites only what is
 * kept and orphan cleanup sees the files expiry could not delete. */
static const struct action ACTIONS[] = {
    {"expire", NULL, on_always, act_expire},
    {"compact", compact_every, on_compact, act_compact},
    {"clean", clean_every, on_clean, act_clean},
};
#define NACTIONS ((int)(sizeof(ACTIONS) / sizeof(ACTIONS[0])))
_Static_assert(NACTIONS == FL_MAINT_ACTIONS, "one due time per action");

static int64_t action_every_ms(int a, const struct fl_maint_policy *pol) {
    return ACTIONS[a].every_ms ? ACTIONS[a].every_ms(pol) : 0;
}

/* ---- measuring a table ---- */

struct count_ctx {
    int64_t files, small, small_bytes, limit;
};

static int count_entry(void *ctx, const struct fl_ice_manifest_entry *e) {
    struct count_ctx *c = ctx;
    if (e->status == FL_ICE_STATUS_DELETED || e->df.content != FL_ICE_CONTENT_DATA) return 0;
    c->files++;
    if (e->df.file_size_in_bytes < c->limit) {
        c->small++;
        c->small_bytes += e->df.file_size_in_bytes;
    }
    return 0;
}

static fl_err_t count_key(void *ctx, const char *key, uint64_t size) {
    (void)key;
    (void)size;
    (*(int64_t *)ctx)++;
    return FL_OK;
}

/* Snapshots, live data files (and the small ones), files under metadata/. */
static fl_err_t measure(struct fl_maint *m, struct fl_ice_table *tbl,
                        const struct fl_maint_policy *pol, struct fl_maint_stats *out,
                        struct fl_error *err) {
    const struct fl_ice_meta *meta = tbl->meta;
    int64_t target = pol->target_file_size;
    const char *tp = fl_ice_meta_property(meta, PROP_TARGET_FILE_SIZE);
    if (!(pol->set & FL_MAINT_SET_TARGET_FILE_SIZE) && tp && strtoll(tp, NULL, 10) > 0)
        target = strtoll(tp, NULL, 10);
    struct count_ctx c = {.limit = target / FL_MAINT_SMALL_DIVISOR};
    fl_err_t rc = FL_OK;
    if (meta->current_snapshot_id != FL_ICE_NO_SNAPSHOT)
        rc = fl_ice_table_files(tbl, meta->current_snapshot_id, NULL, count_entry, &c, err);
    int64_t nmeta = 0;
    char prefix[FL_STORE_KEY_MAX + 1];
    size_t kl = strlen(tbl->key_prefix);
    if (!rc)
        rc = fl_path_fmt(prefix, sizeof(prefix), err, "%s%smetadata/", tbl->key_prefix,
                         kl ? "/" : "");
    if (!rc) rc = fl_store_list(m->st, prefix, count_key, &nmeta, err);
    if (rc) return rc;
    out->snapshots = meta->nsnapshots;
    out->data_files = c.files;
    out->small_files = c.small;
    out->small_file_bytes = c.small_bytes;
    out->metadata_files = nmeta;
    out->target_file_size = target;
    return FL_OK;
}

/* ---- one table ---- */

/* Runs t's actions and records the run. Runner thread (or
 * fl_maint_run_once's caller); takes mu only to publish the stats. */
static bool lease_held(struct fl_maint *m, struct mtable *t);

static void run_table(struct fl_maint *m, struct mtable *t) {
    if (!lease_held(m, t)) return;
    int64_t t0 = fl_time_mono_us();
    struct fl_error err = {0};
    struct fl_ice_table *tbl = NULL;
    struct run r = {0};
    struct fl_maint_stats now = {0};
    fl_err_t rc = fl_ice_table_load(m->st, fl_catalog_ice(m->cat), t->t.ns, t->t.name, &tbl, &err);
    for (int a = 0; !rc && a < NACTIONS; a++) {
        if (!ACTIONS[a].run || !ACTIONS[a].enabled(&t->t.pol)) continue;
        if (t0 < t->action_due_us[a]) continue; /* its cadence: not yet */
        t->action_due_us[a] = t0 + action_every_ms(a, &t->t.pol) * 1000;
        rc = ACTIONS[a].run(tbl, &t->t.pol, &r, &err);
    }
    struct fl_error merr = {0};
    fl_err_t mrc = tbl ? measure(m, tbl, &t->t.pol, &now, &merr) : FL_OK;
    fl_ice_table_free(tbl);
#ifdef __GLIBC__
    /* the run's metadata and manifests are freed: give the pages back, or
     * this thread's malloc arena keeps its high-water mark as RSS */
    malloc_trim(0);
#endif
    int64_t took_ms = (fl_time_mono_us() - t0) / 1000;

    pthread_mutex_lock(&m->mu);
    struct fl_maint_stats *s = &t->st;
    s->runs++;
    s->last_run_ms = fl_time_now_us() / 1000;
    s->last_duration_ms = took_ms;
    s->last_expired = r.expired;
    s->last_deleted = r.deleted;
    s->expired_total += r.expired;
    s->deleted_total += r.deleted;
    s->last_compacted = r.compacted;
    s->compacted_total += r.compacted;
    if (tbl && !mrc) {
        s->snapshots = now.snapshots;
        s->data_files = now.data_files;
        s->small_files = now.small_files;
        s->small_file_bytes = now.small_file_bytes;
        s->metadata_files = now.metadata_files;
        s->target_file_size = now.target_file_size;
    }
    if (rc || mrc) {
        s->errors++;
        const char *msg = rc ? (err.msg[0] ? err.msg : fl_err_name(rc))
                             : (merr.msg[0] ? merr.msg : fl_err_name(mrc));
        snprintf(s->last_error, sizeof(s->last_error), "%.*s", (int)sizeof(s->last_error) - 1, msg);
    } else {
        s->last_error[0] = 0;
    }
    pthread_mutex_unlock(&m->mu);
    if (rc || mrc)
        fl_warn("maintenance %s.%s: %s", t->t.ns, t->t.name, s->last_error);
    else if (r.expired)
        fl_info("maintenance %s.%s: expired %lld snapshots, deleted %lld files in %lld ms", t->t.ns,
                t->t.name, (long long)r.expired, (long long)r.deleted, (long long)took_ms);
}

/* ---- the thread ---- */

static struct timespec mono_deadline(int64_t at_us) {
    return (struct timespec){.tv_sec = at_us / 1000000, .tv_nsec = (at_us % 1000000) * 1000};
}

/* Waits until at_us (monotonic) or stop; mu held. Returns stop. */
static int wait_until(struct fl_maint *m, int64_t at_us) {
    struct timespec ts = mono_deadline(at_us);
    while (!m->stop && fl_time_mono_us() < at_us)
        if (pthread_cond_timedwait(&m->cond, &m->mu, &ts)) break;
    return m->stop;
}

static void *maint_main(void *arg) {
    struct fl_maint *m = arg;
    pthread_mutex_lock(&m->mu);
    while (!m->stop) {
        struct mtable *next = NULL;
        for (int i = 0; i < m->n; i++)
            if (m->tables[i].t.pol.enabled && (!next || m->tables[i].due_us < next->due_us))
                next = &m->tables[i];
        if (!next) break;
        if (wait_until(m, next->due_us)) break;
        pthread_mutex_unlock(&m->mu);
        int64_t t0 = fl_time_mono_us();
        run_table(m, next);
        int64_t took = fl_time_mono_us() - t0;
        pthread_mutex_lock(&m->mu);
        next->due_us = t0 + next->t.pol.interval_ms * 1000;
        int64_t pause = took > FL_MAINT_PAUSE_MIN_MS * 1000 ? took : FL_MAINT_PAUSE_MIN_MS * 1000;
        wait_until(m, fl_time_mono_us() + pause);
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

/* Whether this process may maintain t now: no lease asked for, or the
 * catalog lease taken or renewed. A failed lease query skips the run
 * too (counted as an error): two processes must not both go ahead. */
static bool lease_held(struct fl_maint *m, struct mtable *t) {
    if (!m->owner) return true;
    char name[600];
    snprintf(name, sizeof(name), "maintenance/%s.%s", t->t.ns, t->t.name);
    int64_t ttl = 3 * t->t.pol.interval_ms > 30000 ? 3 * t->t.pol.interval_ms : 30000;
    bool held = false;
    struct fl_error err = {0};
    fl_err_t rc =
        fl_catalog_lease(m->cat, name, m->owner, fl_time_now_us() / 1000, ttl, &held, &err);
    if (held) return true;
    pthread_mutex_lock(&m->mu);
    t->st.skipped++;
    if (rc) {
        t->st.errors++;
        snprintf(t->st.last_error, sizeof(t->st.last_error), "%.*s",
                 (int)sizeof(t->st.last_error) - 1, err.msg);
    }
    pthread_mutex_unlock(&m->mu);
    return false;
}

void fl_maint_set_lease_owner(struct fl_maint *m, const char *owner) {
    fl_free(m->owner);
    m->owner = owner ? fl_strdup(owner) : NULL;
}

/* ---- life ---- */

fl_err_t fl_maint_new(struct fl_store *st, struct fl_catalog *cat,
                      const struct fl_maint_table *tables, int n, struct fl_maint **out,
                      struct fl_error *err) {
    (void)err;
    struct fl_maint *m = fl_calloc(1, sizeof(*m));
    m->st = st;
    m->cat = cat;
    m->n = n;
    m->tables = fl_calloc((size_t)n + 1, sizeof(*m->tables));
    int64_t now = fl_time_mono_us();
    for (int i = 0; i < n; i++) {
        struct mtable *t = &m->tables[i];
        t->t = tables[i];
        /* the first run one interval after start, staggered so that tables
         * with one interval do not all fall due together */
        t->due_us = now + tables[i].pol.interval_ms * 1000 * (i + 1) / n;
        /* the costly actions first fall due one cadence after start: a
         * restart runs the cheap expiry first instead of a compaction of
         * everything written since the last run */
        for (int a = 0; a < NACTIONS; a++)
            t->action_due_us[a] = now + action_every_ms(a, &t->t.pol) * 1000;
        t->st.ns = t->t.ns;
        t->st.name = t->t.name;
        t->st.enabled = t->t.pol.enabled;
        t->st.last_run_ms = t->st.last_duration_ms = -1;
        t->st.snapshots = t->st.data_files = t->st.small_files = t->st.metadata_files = -1;
    }
    pthread_mutex_init(&m->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->cond, &ca);
    pthread_condattr_destroy(&ca);
    *out = m;
    return FL_OK;
}

fl_err_t fl_maint_start(struct fl_maint *m, struct fl_error *err) {
    int any = 0;
    for (int a = 0; a < NACTIONS; a++) {
        int want = 0;
        for (int i = 0; i < m->n; i++)
            if (m->tables[i].t.pol.enabled && ACTIONS[a].enabled(&m->tables[i].t.pol)) want++;
        if (want && !ACTIONS[a].run)
            fl_info("maintenance: %s is not available in this build; not run on %d table%s",
                    ACTIONS[a].name, want, want == 1 ? "" : "s");
    }
    for (int i = 0; i < m->n; i++) any |= m->tables[i].t.pol.enabled;
    if (!any) return FL_OK;
    if (pthread_create(&m->thread, NULL, maint_main, m))
        return fl_errf(err, FL_ERR_IO, "maintenance: cannot start its thread");
    m->started = 1;
    return FL_OK;
}

void fl_maint_run_once(struct fl_maint *m) {
    for (int i = 0; i < m->n; i++)
        if (m->tables[i].t.pol.enabled) run_table(m, &m->tables[i]);
}

int fl_maint_count(const struct fl_maint *m) { return m ? m->n : 0; }

void fl_maint_get(struct fl_maint *m, int i, struct fl_maint_stats *out) {
    pthread_mutex_lock(&m->mu);
    *out = m->tables[i].st;
    pthread_mutex_unlock(&m->mu);
}

void fl_maint_free(struct fl_maint *m) {
    if (!m) return;
    if (m->started) {
        pthread_mutex_lock(&m->mu);
        m->stop = 1;
        pthread_cond_broadcast(&m->cond);
        pthread_mutex_unlock(&m->mu);
        pthread_join(m->thread, NULL);
    }
    pthread_cond_destroy(&m->cond);
    pthread_mutex_destroy(&m->mu);
    fl_free(m->tables);
    fl_free(m->owner);
    fl_free(m);
}
