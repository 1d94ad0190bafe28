/*
 * log_int.h - the log's private structures, shared by the files of
 * src/log/ (as SQLite's btreeInt.h): the log, topics, partitions and
 * segments, and the functions one file of the log calls in another.
 *
 * Ownership and locks:
 *   struct fl_log      owns the topic table (log->lock), the background
 *                      thread, the disk-usage counter (atomic) and the
 *                      consumer offsets (log->off_lock).
 *   struct fl_log_topic is reference counted (refs under log->lock): a
 *                      deleted topic is freed by its last user. Its
 *                      partitions are an array of pointers published
 *                      atomically (fl_log_topic_parts): adding partitions
 *                      publishes a longer copy under log->lock and keeps
 *                      the old array until the topic is freed, so a reader
 *                      that loaded it never sees it change or go away.
 *   struct fl_log_part  one mutex (part->lock) guards its segment list,
 *                      end offset, sizes and indexes; fsync runs outside
 *                      it (group commit, see partition.c).
 *   struct fl_log_seg   reference counted under part->lock, so a reader or
 *                      a syncing thread keeps a segment that retention
 *                      removes from the list until it is done with it.
 */
#ifndef FL_LOG_LOG_INT_H
#define FL_LOG_LOG_INT_H

#include "core/err.h"
#include "log/log.h"

#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define FL_LOG_INDEX_INTERVAL 4096 /* bytes between index entries */
#define FL_LOG_NAME_MAX 249

/* One entry of both indexes, in memory: the batch starting at pos has
 * base offset seg->base + rel, and every record before it in the segment
 * has a timestamp <= ts (-1 when none). On disk .index holds (rel, pos)
 * and .timeindex (ts, rel), Kafka's entry formats. */
struct fl_log_idx {
    uint32_t rel;
    uint32_t pos;
    int64_t ts;
};

struct fl_log_seg {
    int64_t base;       /* base offset: the file name */
    int64_t end;        /* offset after its last record */
    int64_t size;       /* bytes of whole, checked batches */
    int64_t max_ts;     /* largest record timestamp, -1 when empty */
    int64_t created_us; /* when it became active (for segment_ms) */
    int fd, idx_fd, tidx_fd;
    struct fl_log_idx *idx;
    int nidx, capidx;
    int64_t last_idx_pos; /* position of the last indexed batch */
    int refs;
    bool dead; /* removed from the list: free at the last unref */
};

struct fl_log_part {
    struct fl_log *log;
    struct fl_log_topic *topic;
    int id;
    char *dir;
    pthread_mutex_t lock;
    pthread_cond_t sync_cond;
    struct fl_log_seg **segs; /* by base offset; the last is active */
    int nsegs;
    int64_t end;     /* next offset to write */
    int64_t synced;  /* offsets below are fsynced (ALWAYS) or flushed */
    int64_t visible; /* readers see offsets below this */
    bool syncing;    /* one thread is in fdatasync for the others */
    bool dirty;      /* written since the last flush (INTERVAL) */
    int64_t last_flush_us;
    int failed_errno;     /* an fsync failed: refuse appends until reopened */
    bool counted;         /* its bytes are in log->disk_bytes */
    int64_t synced_pos;   /* bytes of the active segment that are fsynced (ALWAYS) */
    uint64_t trunc_epoch; /* bumped when unsynced appends are cut off (fsync ENOSPC) */
    int64_t in_records;   /* appended since the log was opened (lock) */
    int64_t in_bytes;     /* their batch bytes (lock) */
};

/* One published set of a topic's partitions: n pointers, by id. Never
 * changed once published; a longer one replaces it (older links the one
 * it replaced, freed with the topic). */
struct fl_log_parts {
    struct fl_log_parts *older;
    int n;
    struct fl_log_part *v[];
};

struct fl_log_topic {
    char *name;
    char *dir;
    struct fl_log_topic_config cfg; /* cfg.partitions: the count at open; parts->n is current */
    struct fl_log_parts *parts;     /* __atomic (fl_log_topic_parts); replaced under log->lock */
    int refs;
    bool deleted;
};

/* The topic's current partitions (acquire: a new array's partitions are
 * whole before readers see it). Valid while the caller holds the topic. */
static inline struct fl_log_parts *fl_log_topic_parts(struct fl_log_topic *t) {
    return __atomic_load_n(&t->parts, __ATOMIC_ACQUIRE);
}

struct fl_log_group_off {
    char *group, *topic;
    int partition;
    int64_t offset;
};

struct fl_log {
    char *dir;
    struct fl_log_opts opts;
    pthread_mutex_t lock;
    struct fl_log_topic **topics;
    int ntopics, captopics;
    int64_t disk_bytes; /* all segments and indexes; __atomic */
    /* free-space cache: statvfs at most every 50 ms */
    pthread_mutex_t space_lock;
    int64_t free_bytes, free_at_us;
    /* background thread: INTERVAL flushes and retention */
    pthread_t bg;
    bool bg_started, stopping;
    pthread_cond_t bg_cond;
    int64_t last_retention_us;
    /* consumer offsets */
    pthread_mutex_t off_lock;
    struct fl_log_group_off *offs;
    int noffs, capoffs;
    struct fl_log_faults *faults;
    bool ro;     /* opts.read_only */
    int lock_fd; /* DIR/.lock, flocked while open for writing */
};

/* segment.c */
fl_err_t fl_log_seg_open(const char *dir, int64_t base, bool active, int64_t next_base, bool ro,
                         struct fl_log_seg **out, struct fl_error *err);
/* An empty segment with no files (a read-only view of an empty partition). */
struct fl_log_seg *fl_log_seg_empty(int64_t base);
fl_err_t fl_log_seg_create(const char *dir, int64_t base, struct fl_log_seg **out,
                           struct fl_error *err);
void fl_log_seg_free(struct fl_log_seg *seg);
/* Appends a checked batch's bytes at seg->size; truncates back on failure. */
fl_err_t fl_log_seg_write(struct fl_log_seg *seg, const uint8_t *batch, size_t len,
                          int64_t last_offset, int64_t max_ts, struct fl_log_faults *faults,
                          struct fl_error *err);
/* Cuts the segment back to size bytes ending at offset end (dropping the
 * index entries past it). */
fl_err_t fl_log_seg_truncate(struct fl_log_seg *seg, int64_t size, int64_t end);
/* Position to start scanning for offset (largest index entry <= it). */
int64_t fl_log_seg_lookup(const struct fl_log_seg *seg, int64_t offset);
/* Position to start scanning for the first record with ts >= ts_ms. */
int64_t fl_log_seg_lookup_time(const struct fl_log_seg *seg, int64_t ts_ms);
/* Appends the final time index entry of a segment that stops being active. */
void fl_log_seg_seal(struct fl_log_seg *seg);
/* Bytes of the segment and its indexes on disk. */
int64_t fl_log_seg_disk_bytes(const struct fl_log_seg *seg);
void fl_log_seg_unlink(const char *dir, int64_t base);
/* dir/<base in 20 digits>.ext into out (FL_PATH_MAX bytes); FL_ERR_LIMIT
 * when it does not fit (err may be NULL). */
fl_err_t fl_log_seg_path(char *out, size_t outsz, const char *dir, int64_t base, const char *ext,
                         struct fl_error *err);

/* partition.c */
/* Opens (creating when missing, unless the log is read-only) partition
 * id of topic into *out, which the caller owns (fl_log_part_free). */
fl_err_t fl_log_part_open(struct fl_log *log, struct fl_log_topic *topic, int id,
                          struct fl_log_part **out, struct fl_error *err);
/* Fsyncs, closes and frees part (NULL is fine). */
void fl_log_part_free(struct fl_log_part *part);
/* INTERVAL flush when due (background thread). */
void fl_log_part_flush(struct fl_log_part *part, bool force);
/* Retention and age roll for one partition; returns segments removed. */
int fl_log_part_retention(struct fl_log_part *part, int64_t now_us);

/* topic.c */
struct fl_log_topic *fl_log_topic_get(struct fl_log *log, const char *name);
void fl_log_topic_put(struct fl_log *log, struct fl_log_topic *topic);
fl_err_t fl_log_topics_load(struct fl_log *log, struct fl_error *err);
void fl_log_topic_free(struct fl_log_topic *topic);
bool fl_log_name_valid(const char *name);

/* offsets.c */
fl_err_t fl_log_offsets_load(struct fl_log *log, struct fl_error *err);
void fl_log_offsets_free(struct fl_log *log);
/* Forgets a deleted topic's committed offsets. */
void fl_log_offsets_drop_topic(struct fl_log *log, const char *topic);

/* log.c */
/* FL_ERR_LIMIT when writing bytes more would break a disk limit. */
fl_err_t fl_log_space_check(struct fl_log *log, int64_t bytes, struct fl_error *err);
void fl_log_space_add(struct fl_log *log, int64_t bytes);
/* Writes path atomically: temp file, fsync, rename, fsync of the folder. */
fl_err_t fl_log_file_put(const char *path, const void *data, size_t len, struct fl_error *err);
fl_err_t fl_log_dir_sync(const char *dir, struct fl_error *err);
/* Opens the folder path of the log (a topic's, a partition's, groups/)
 * for reading its entries, creating it first unless the log is
 * read-only. *d is NULL with FL_OK when a read-only log has no such
 * folder (nothing was written there yet). */
fl_err_t fl_log_dir_open(const struct fl_log *log, const char *path, DIR **d, struct fl_error *err);
void fl_log_rm_rf(const char *path);

#endif
