/*
 * log.c - the log as a whole: open and recovery of every topic, close,
 * the background thread, disk limits, and small file helpers.
 *
 * How it works: fl_log_open creates the folder, empties trash/, opens
 * every topic (each partition recovers its active segment, see
 * segment.c), loads the consumer offsets, and starts one background
 * thread. That thread wakes every 100 ms (or at the shortest flush
 * interval), fsyncs the FL_LOG_SYNC_INTERVAL partitions that are due,
 * and every retention_check_ms runs retention and age-based roll.
 * Retention runs there rather than on append so an append's latency never
 * includes deleting files.
 *
 * Disk limits are checked before anything is written: the bytes of all
 * segments and indexes (an atomic counter kept by the partitions) plus
 * the batch must stay within max_disk_bytes, and the filesystem's free
 * space (statvfs, cached for 50 ms, less what was written since) must
 * stay at or above min_free_bytes. Appends racing on different
 * partitions can each pass the check, so the cap can be passed by at
 * most one batch per concurrent appender.
 */
#include "log/log_int.h"

#include "core/fileio.h"
#include "core/mem.h"
#include "core/time.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_MIN_FREE (INT64_C(64) << 20)
#define DEFAULT_RETENTION_CHECK_MS 5000
#define SPACE_CACHE_US 50000

void fl_log_opts_default(struct fl_log_opts *opts) {
    memset(opts, 0, sizeof(*opts));
    opts->max_disk_bytes = -1;
    opts->min_free_bytes = DEFAULT_MIN_FREE;
    opts->retention_check_ms = DEFAULT_RETENTION_CHECK_MS;
}

void fl_log_rm_rf(const char *path) {
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        size_t n = strlen(path) + strlen(de->d_name) + 2;
        char *sub = fl_malloc(n);
        snprintf(sub, n, "%s/%s", path, de->d_name);
        struct stat st;
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            fl_log_rm_rf(sub);
        else
            unlink(sub);
        fl_free(sub);
    }
    closedir(d);
    rmdir(path);
}

fl_err_t fl_log_dir_sync(const char *dir, struct fl_error *err) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return fl_errf(err, FL_ERR_IO, "open %s: %s", dir, strerror(errno));
    int r = fsync(fd);
    int e = errno;
    close(fd);
    if (r != 0) return fl_errf(err, FL_ERR_IO, "fsync %s: %s", dir, strerror(e));
    return FL_OK;
}

fl_err_t fl_log_dir_open(const struct fl_log *log, const char *path, DIR **d,
                         struct fl_error *err) {
    if (!log->ro && mkdir(path, 0755) != 0 && errno != EEXIST)
        return fl_errf(err, FL_ERR_IO, "mkdir %s: %s", path, strerror(errno));
    *d = opendir(path);
    if (!*d && !log->ro) return fl_errf(err, FL_ERR_IO, "open %s: %s", path, strerror(errno));
    return FL_OK;
}

fl_err_t fl_log_file_put(const char *path, const void *data, size_t len, struct fl_error *err) {
    size_t n = strlen(path) + 16;
    char *tmp = fl_malloc(n);
    snprintf(tmp, n, "%s.tmp", path);
    fl_err_t rc = FL_OK;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = fl_errf(err, FL_ERR_IO, "create %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (fl_write_all(fd, data, len, -1) != 0)
        rc = fl_errf(err, errno == ENOSPC ? FL_ERR_LIMIT : FL_ERR_IO, "write %s: %s", tmp,
                     strerror(errno));
    if (!rc && fsync(fd) != 0) rc = fl_errf(err, FL_ERR_IO, "fsync %s: %s", tmp, strerror(errno));
    close(fd);
    if (!rc && rename(tmp, path) != 0)
        rc = fl_errf(err, FL_ERR_IO, "rename %s: %s", tmp, strerror(errno));
    if (rc) {
        unlink(tmp);
        goto out;
    }
    char *slash = strrchr(tmp, '/');
    if (slash) {
        *slash = '\0';
        rc = fl_log_dir_sync(tmp, err);
    }
out:
    fl_free(tmp);
    return rc;
}

void fl_log_space_add(struct fl_log *log, int64_t bytes) {
    __atomic_add_fetch(&log->disk_bytes, bytes, __ATOMIC_RELAXED);
    pthread_mutex_lock(&log->space_lock);
    if (bytes > 0) log->free_bytes -= bytes;
    pthread_mutex_unlock(&log->space_lock);
}

fl_err_t fl_log_space_check(struct fl_log *log, int64_t bytes, struct fl_error *err) {
    int64_t max = log->opts.max_disk_bytes;
    int64_t used = __atomic_load_n(&log->disk_bytes, __ATOMIC_RELAXED);
    if (max > 0 && used + bytes > max)
        return fl_errf(err, FL_ERR_LIMIT,
                       "log over its disk limit (%" PRId64 " of %" PRId64 " bytes used)", used,
                       max);
    int64_t min_free = log->opts.min_free_bytes;
    if (min_free <= 0) return FL_OK;
    int64_t now = fl_time_mono_us();
    pthread_mutex_lock(&log->space_lock);
    if (now - log->free_at_us >= SPACE_CACHE_US || log->free_bytes - bytes < min_free) {
        struct statvfs sv;
        if (statvfs(log->dir, &sv) == 0) {
            log->free_bytes = (int64_t)sv.f_bavail * (int64_t)sv.f_frsize;
            log->free_at_us = now;
        }
    }
    int64_t free_bytes = log->free_bytes;
    pthread_mutex_unlock(&log->space_lock);
    if (free_bytes - bytes < min_free)
        return fl_errf(err, FL_ERR_LIMIT,
                       "disk nearly full (%" PRId64 " bytes free, %" PRId64 " kept free)",
                       free_bytes, min_free);
    return FL_OK;
}

/* Copies the topic table with a reference on each (released by put_all). */
static struct fl_log_topic **get_all(struct fl_log *log, int *n) {
    pthread_mutex_lock(&log->lock);
    *n = log->ntopics;
    struct fl_log_topic **v = fl_calloc((size_t)*n + 1, sizeof(*v));
    for (int i = 0; i < *n; i++) {
        v[i] = log->topics[i];
        v[i]->refs++;
    }
    pthread_mutex_unlock(&log->lock);
    return v;
}

static void put_all(struct fl_log *log, struct fl_log_topic **v, int n) {
    for (int i = 0; i < n; i++) fl_log_topic_put(log, v[i]);
    fl_free(v);
}

fl_err_t fl_log_retention_run(struct fl_log *log, int *removed, struct fl_error *err) {
    if (log->ro) return fl_errf(err, FL_ERR_INVALID, "the log is open read-only");
    int n, total = 0;
    struct fl_log_topic **v = get_all(log, &n);
    int64_t now = fl_time_now_us();
    for (int i = 0; i < n; i++) {
        const struct fl_log_parts *ps = fl_log_topic_parts(v[i]);
        for (int p = 0; p < ps->n; p++) total += fl_log_part_retention(ps->v[p], now);
    }
    put_all(log, v, n);
    if (removed) *removed = total;
    return FL_OK;
}

static void *bg_main(void *arg) {
    struct fl_log *log = arg;
    pthread_mutex_lock(&log->lock);
    while (!log->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t tick_ms = 100;
        for (int i = 0; i < log->ntopics; i++)
            if (log->topics[i]->cfg.sync == FL_LOG_SYNC_INTERVAL &&
                log->topics[i]->cfg.flush_interval_ms < tick_ms)
                tick_ms = log->topics[i]->cfg.flush_interval_ms;
        ts.tv_nsec += (long)(tick_ms * 1000000);
        ts.tv_sec += ts.tv_nsec / 1000000000;
        ts.tv_nsec %= 1000000000;
        pthread_cond_timedwait(&log->bg_cond, &log->lock, &ts);
        if (log->stopping) break;
        pthread_mutex_unlock(&log->lock);
        int n;
        struct fl_log_topic **v = get_all(log, &n);
        for (int i = 0; i < n; i++) {
            const struct fl_log_parts *ps = fl_log_topic_parts(v[i]);
            if (v[i]->cfg.sync == FL_LOG_SYNC_INTERVAL)
                for (int p = 0; p < ps->n; p++) fl_log_part_flush(ps->v[p], false);
        }
        put_all(log, v, n);
        int64_t now = fl_time_mono_us();
        if (log->opts.retention_check_ms > 0 &&
            now - log->last_retention_us >= log->opts.retention_check_ms * 1000) {
            log->last_retention_us = now;
            (void)fl_log_retention_run(log, NULL, NULL);
        }
        pthread_mutex_lock(&log->lock);
    }
    pthread_mutex_unlock(&log->lock);
    return NULL;
}

fl_err_t fl_log_open(const struct fl_log_opts *opts, struct fl_log **out, struct fl_error *err) {
    if (!opts || !opts->dir || !opts->dir[0])
        return fl_errf(err, FL_ERR_INVALID, "the log needs a directory");
    struct fl_log *log = fl_calloc(1, sizeof(*log));
    log->lock_fd = -1;
    log->opts = *opts;
    if (log->opts.retention_check_ms == 0)
        log->opts.retention_check_ms = DEFAULT_RETENTION_CHECK_MS;
    log->dir = fl_strdup(opts->dir);
    log->opts.dir = log->dir;
    log->faults = opts->faults;
    log->last_retention_us = fl_time_mono_us();
    pthread_mutex_init(&log->lock, NULL);
    pthread_mutex_init(&log->space_lock, NULL);
    pthread_mutex_init(&log->off_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&log->bg_cond, &ca);
    pthread_condattr_destroy(&ca);
    log->ro = opts->read_only;
    log->lock_fd = -1;
    fl_err_t rc = FL_OK;
    if (!log->ro) {
        if (mkdir(log->dir, 0755) != 0 && errno != EEXIST) {
            rc = fl_errf(err, FL_ERR_IO, "mkdir %s: %s", log->dir, strerror(errno));
            goto out;
        }
        char path[FL_PATH_MAX];
        if ((rc = fl_path_fmt(path, sizeof(path), err, "%s/.lock", log->dir))) goto out;
        log->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (log->lock_fd < 0) {
            rc = fl_errf(err, FL_ERR_IO, "open %s: %s", path, strerror(errno));
            goto out;
        }
        if (flock(log->lock_fd, LOCK_EX | LOCK_NB) != 0) {
            rc = fl_errf(err, FL_ERR_CONFLICT, "another process has the log open for writing");
            goto out;
        }
    }
    rc = fl_log_topics_load(log, err);
    if (!rc) rc = fl_log_offsets_load(log, err);
    if (rc || log->ro) goto done;
    if (pthread_create(&log->bg, NULL, bg_main, log) != 0) {
        rc = fl_errf(err, FL_ERR_IO, "cannot start the log's background thread");
        goto out;
    }
    log->bg_started = true;
done:
    if (rc) goto out;
    *out = log;
    log = NULL;
out:
    if (log) {
        /* the start of the folder: the message after it must still show */
        if (rc) fl_err_prefix(err, "log %.120s%s: ", log->dir, strlen(log->dir) > 120 ? "..." : "");
        fl_log_close(log);
    }
    return rc;
}

void fl_log_close(struct fl_log *log) {
    if (!log) return;
    if (log->bg_started) {
        pthread_mutex_lock(&log->lock);
        log->stopping = true;
        pthread_cond_broadcast(&log->bg_cond);
        pthread_mutex_unlock(&log->lock);
        pthread_join(log->bg, NULL);
    }
    for (int i = 0; i < log->ntopics; i++) fl_log_topic_put(log, log->topics[i]);
    fl_free(log->topics);
    fl_log_offsets_free(log);
    pthread_mutex_destroy(&log->lock);
    pthread_mutex_destroy(&log->space_lock);
    pthread_mutex_destroy(&log->off_lock);
    pthread_cond_destroy(&log->bg_cond);
    if (log->lock_fd >= 0) close(log->lock_fd); /* releases the flock */
    fl_free(log->dir);
    fl_free(log);
}

int32_t fl_log_murmur2(const uint8_t *data, size_t len) {
    /* Kafka's Utils.murmur2, in uint32 arithmetic (Java's int wraps the
     * same way; >>> is the logical shift) */
    const uint32_t m = 0x5bd1e995u;
    const int r = 24;
    uint32_t h = 0x9747b28cu ^ (uint32_t)len;
    size_t n4 = len / 4;
    for (size_t i = 0; i < n4; i++) {
        const uint8_t *p = data + i * 4;
        uint32_t k =
            (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }
    const uint8_t *tail = data + (len & ~(size_t)3);
    switch (len % 4) {
    case 3:
        h ^= (uint32_t)tail[2] << 16;
        /* fall through */
    case 2:
        h ^= (uint32_t)tail[1] << 8;
        /* fall through */
    case 1:
        h ^= tail[0];
        h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return (int32_t)h;
}

int fl_log_partition_for_key(const uint8_t *key, size_t len, int partitions) {
    if (partitions <= 0) return 0;
    uint32_t positive = (uint32_t)fl_log_murmur2(key, len) & 0x7fffffffu;
    return (int)(positive % (uint32_t)partitions);
}
