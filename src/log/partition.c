/*
 * partition.c - one partition of a topic: its segments in a folder
 * (<log>/<topic>/<partition>/), appends with group commit, reads by
 * offset and by time, segment roll and retention.
 *
 * How appends work: the batch is encoded and sized outside any lock
 * (its base offset is outside the CRC), then under part->lock it gets
 * the partition's end offset and is written at the end of the active
 * segment with pwrite. Under FL_LOG_SYNC_ALWAYS the appender then waits
 * until part->synced passes its last offset. Group commit: the first
 * waiter finding no fsync in progress sets part->syncing, notes the end
 * offset, drops the lock and runs fdatasync; every append that wrote
 * before that point is covered by it, and everyone waiting on
 * part->sync_cond wakes when it is done. Appends that arrive during an
 * fsync are covered by the next one, run by the first of them.
 *
 * Readers see offsets below part->visible: under ALWAYS that is what is
 * fsynced (a consumer never sees a record that a power cut could take
 * back), otherwise everything written.
 *
 * Roll: before a write that would take the active segment past
 * segment_bytes, or when it is older than segment_ms (checked on append
 * and by the background thread), the active segment is fsynced and
 * sealed and a new one is created (and the folder fsynced) at the end
 * offset. Retention (background thread, fl_log_retention_run) removes
 * whole inactive segments from the oldest: those whose largest timestamp
 * is older than retention_ms, and while the partition without the
 * oldest segment is still at least retention_bytes. The active segment
 * is never removed.
 *
 * A failed fdatasync leaves the partition refusing appends (FL_ERR_IO)
 * until the log is reopened and recovered: after a failed fsync the page
 * cache can no longer be trusted to say what is on disk.
 */
#include "log/batch.h"
#include "log/codec.h"
#include "log/log_int.h"

#include "core/fileio.h"
#include "core/mem.h"
#include "core/time.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int do_sync(struct fl_log *log, int fd) {
    struct fl_log_faults *f = log->faults;
    if (f && __atomic_load_n(&f->fsync_eio, __ATOMIC_SEQ_CST) > 0 &&
        __atomic_sub_fetch(&f->fsync_eio, 1, __ATOMIC_SEQ_CST) >= 0) {
        errno = EIO;
        return -1;
    }
    if (f && __atomic_load_n(&f->fsync_enospc, __ATOMIC_SEQ_CST) > 0 &&
        __atomic_sub_fetch(&f->fsync_enospc, 1, __ATOMIC_SEQ_CST) >= 0) {
        errno = ENOSPC;
        return -1;
    }
    return fdatasync(fd);
}

static struct fl_log_seg *active(struct fl_log_part *part) { return part->segs[part->nsegs - 1]; }

/* @locks part->lock */
static void seg_unref(struct fl_log_seg *seg) {
    if (--seg->refs == 0 && seg->dead) fl_log_seg_free(seg);
}

static void segs_push(struct fl_log_part *part, struct fl_log_seg *seg) {
    part->segs = fl_reallocarray(part->segs, (size_t)part->nsegs + 1, sizeof(*part->segs));
    part->segs[part->nsegs++] = seg;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* A segment file name: 20 digits and the extension; -1 otherwise. */
static int64_t parse_name(const char *name, const char *ext) {
    size_t n = strlen(name), el = strlen(ext);
    if (n != 21 + el || name[20] != '.' || strcmp(name + 21, ext) != 0) return -1;
    int64_t v = 0;
    for (int i = 0; i < 20; i++) {
        if (name[i] < '0' || name[i] > '9') return -1;
        if (v > (INT64_MAX - 9) / 10) return -1;
        v = v * 10 + (name[i] - '0');
    }
    return v;
}

/* Opens the partition's segments into part (its folder created first
 * unless the log is read-only). */
static fl_err_t part_load(struct fl_log *log, struct fl_log_topic *topic, struct fl_log_part *part,
                          int id, struct fl_error *err) {
    part->log = log;
    part->topic = topic;
    part->id = id;
    size_t dl = strlen(topic->dir) + 16;
    part->dir = fl_malloc(dl);
    snprintf(part->dir, dl, "%s/%d", topic->dir, id);
    pthread_mutex_init(&part->lock, NULL);
    pthread_cond_init(&part->sync_cond, NULL);
    part->last_flush_us = fl_time_mono_us();
    int64_t *bases = NULL;
    size_t nb = 0;
    fl_err_t rc = FL_OK;
    bool ro = log->ro;
    DIR *d = NULL;
    if ((rc = fl_log_dir_open(log, part->dir, &d, err))) return rc;
    if (!d) { /* read-only, and nothing written yet */
        segs_push(part, fl_log_seg_empty(0));
        part->end = part->synced = part->visible = 0;
        return FL_OK;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        int64_t b = parse_name(de->d_name, "log");
        if (b >= 0) {
            bases = fl_reallocarray(bases, nb + 1, sizeof(*bases));
            bases[nb++] = b;
        }
    }
    rewinddir(d);
    /* index files whose .log is gone: a retention or delete cut short */
    while ((de = readdir(d)) != NULL) {
        int64_t b = parse_name(de->d_name, "index");
        if (b < 0) b = parse_name(de->d_name, "timeindex");
        if (b < 0) continue;
        bool found = false;
        for (size_t i = 0; i < nb && !found; i++) found = bases[i] == b;
        char path[FL_PATH_MAX];
        if (!found && !ro && !fl_path_fmt(path, sizeof(path), NULL, "%s/%s", part->dir, de->d_name))
            unlink(path);
    }
    closedir(d);
    if (nb) qsort(bases, nb, sizeof(*bases), cmp_i64);
    for (size_t i = 0; i < nb; i++) {
        struct fl_log_seg *seg;
        bool is_active = i + 1 == nb;
        rc = fl_log_seg_open(part->dir, bases[i], is_active, is_active ? -1 : bases[i + 1], ro,
                             &seg, err);
        if (rc) goto out;
        segs_push(part, seg);
    }
    if (nb == 0 && ro) segs_push(part, fl_log_seg_empty(0));
    if (nb == 0 && !ro) {
        struct fl_log_seg *seg;
        rc = fl_log_seg_create(part->dir, 0, &seg, err);
        if (rc) goto out;
        segs_push(part, seg);
        rc = fl_log_dir_sync(part->dir, err);
        if (!rc) rc = fl_log_dir_sync(topic->dir, err); /* the partition's folder entry */
        if (rc) goto out;
    }
    part->end = part->synced = part->visible = active(part)->end;
    part->synced_pos = active(part)->size;
    for (int i = 0; i < part->nsegs; i++)
        fl_log_space_add(log, fl_log_seg_disk_bytes(part->segs[i]));
    part->counted = true;
out:
    fl_free(bases);
    if (rc) fl_err_prefix(err, "partition %s: ", part->dir);
    return rc;
}

fl_err_t fl_log_part_open(struct fl_log *log, struct fl_log_topic *topic, int id,
                          struct fl_log_part **out, struct fl_error *err) {
    struct fl_log_part *part = fl_calloc(1, sizeof(*part));
    fl_err_t rc = part_load(log, topic, part, id, err);
    if (rc) {
        fl_log_part_free(part);
        return rc;
    }
    *out = part;
    return FL_OK;
}

void fl_log_part_free(struct fl_log_part *part) {
    if (!part) return;
    if (!part->dir) {
        fl_free(part);
        return;
    }
    if (part->nsegs) {
        if (!part->failed_errno && !part->log->ro) (void)!fdatasync(active(part)->fd);
        for (int i = 0; i < part->nsegs; i++) {
            if (part->counted) fl_log_space_add(part->log, -fl_log_seg_disk_bytes(part->segs[i]));
            fl_log_seg_free(part->segs[i]);
        }
    }
    fl_free(part->segs);
    pthread_mutex_destroy(&part->lock);
    pthread_cond_destroy(&part->sync_cond);
    fl_free(part->dir);
    fl_free(part);
}

/* Seals the active segment (fsynced) and starts a new one at the end
 * offset. @locks part->lock */
static fl_err_t roll(struct fl_log_part *part, struct fl_error *err) {
    struct fl_log_seg *old = active(part), *seg;
    if (do_sync(part->log, old->fd) != 0) {
        part->failed_errno = errno;
        return fl_errf(err, FL_ERR_IO, "fsync %s segment %" PRId64 ": %s", part->dir, old->base,
                       strerror(errno));
    }
    fl_log_seg_seal(old);
    fl_err_t rc = fl_log_seg_create(part->dir, part->end, &seg, err);
    if (rc) return rc;
    segs_push(part, seg);
    rc = fl_log_dir_sync(part->dir, err);
    if (rc) return rc;
    part->synced = part->end;
    part->synced_pos = 0;
    if (part->topic->cfg.sync == FL_LOG_SYNC_ALWAYS) part->visible = part->synced;
    return FL_OK;
}

static bool roll_due(const struct fl_log_part *part, int64_t add, int64_t now_mono) {
    const struct fl_log_seg *seg = part->segs[part->nsegs - 1];
    const struct fl_log_topic_config *cfg = &part->topic->cfg;
    if (seg->size == 0) return false;
    if (seg->size + add > cfg->segment_bytes) return true;
    return cfg->segment_ms >= 0 && now_mono - seg->created_us >= cfg->segment_ms * 1000;
}

/* Waits until offsets below `upto` are fsynced, running the fsync for the
 * group when no one else is; epoch is part->trunc_epoch when those
 * offsets were written (a truncation since cut them off: FL_ERR_LIMIT).
 * @locks part->lock (dropped while syncing) */
static fl_err_t group_commit(struct fl_log_part *part, int64_t upto, uint64_t epoch,
                             struct fl_error *err) {
    while (part->synced < upto) {
        if (part->trunc_epoch != epoch)
            return fl_errf(err, FL_ERR_LIMIT,
                           "partition %s: disk full (fsync: %s); the records were not stored",
                           part->dir, strerror(ENOSPC));
        if (part->failed_errno)
            return fl_errf(err, FL_ERR_IO, "partition %s: fsync failed (%s); reopen the log",
                           part->dir, strerror(part->failed_errno));
        if (part->syncing) {
            pthread_cond_wait(&part->sync_cond, &part->lock);
            continue;
        }
        part->syncing = true;
        int64_t target = part->end;
        struct fl_log_seg *seg = active(part);
        int64_t target_pos = seg->size;
        seg->refs++;
        pthread_mutex_unlock(&part->lock);
        int r = do_sync(part->log, seg->fd);
        int e = errno;
        pthread_mutex_lock(&part->lock);
        seg_unref(seg);
        part->syncing = false;
        if (r != 0 && (e == ENOSPC || e == EDQUOT) && seg == active(part)) {
            /* The disk filled before the data reached it (delayed
             * allocation). Cut the unsynced appends off: every one of them
             * is still waiting here, and each returns FL_ERR_LIMIT. */
            int64_t before = fl_log_seg_disk_bytes(seg);
            if (fl_log_seg_truncate(seg, part->synced_pos, part->synced) != FL_OK) {
                part->failed_errno = errno;
            } else {
                part->end = part->synced;
                part->trunc_epoch++;
                fl_log_space_add(part->log, fl_log_seg_disk_bytes(seg) - before);
            }
        } else if (r != 0) {
            part->failed_errno = e;
        } else if (target > part->synced) {
            part->synced = target;
            if (seg == active(part)) part->synced_pos = target_pos;
        }
        if (part->synced > part->visible) part->visible = part->synced;
        pthread_cond_broadcast(&part->sync_cond);
    }
    return FL_OK;
}

/* The topic (held: the caller puts it) and its partition, from the
 * partitions published now. */
static fl_err_t part_get(struct fl_log *log, const char *topic, int partition,
                         struct fl_log_topic **t, struct fl_log_part **part, struct fl_error *err) {
    *t = fl_log_topic_get(log, topic);
    if (!*t) return fl_errf(err, FL_ERR_NOTFOUND, "no topic \"%s\"", topic ? topic : "");
    const struct fl_log_parts *ps = fl_log_topic_parts(*t);
    if (partition < 0 || partition >= ps->n) {
        int n = ps->n;
        fl_log_topic_put(log, *t);
        return fl_errf(err, FL_ERR_NOTFOUND, "topic \"%s\" has no partition %d (it has %d)", topic,
                       partition, n);
    }
    *part = ps->v[partition];
    return FL_OK;
}

/* Writes one encoded batch of n records (its base offset patched here)
 * at the end of the partition and waits until it is as durable as the
 * topic's sync says. @locks takes part->lock */
static fl_err_t part_append(struct fl_log *log, struct fl_log_topic *t, struct fl_log_part *part,
                            uint8_t *batch, size_t len, int64_t n, int64_t max_ts,
                            int64_t *base_offset, struct fl_log_durable *later,
                            struct fl_error *err) {
    fl_err_t rc = fl_log_space_check(log, (int64_t)len, err);
    if (rc) return rc;
    pthread_mutex_lock(&part->lock);
    if (part->failed_errno) {
        rc = fl_errf(err, FL_ERR_IO, "partition %s: fsync failed (%s); reopen the log", part->dir,
                     strerror(part->failed_errno));
    } else if (roll_due(part, (int64_t)len, fl_time_mono_us())) {
        rc = roll(part, err);
    }
    if (!rc) {
        struct fl_log_seg *seg = active(part);
        int64_t base = part->end, before = fl_log_seg_disk_bytes(seg);
        fl_log_batch_set_base_offset(batch, base);
        rc = fl_log_seg_write(seg, batch, len, base + n - 1, max_ts, log->faults, err);
        if (!rc) {
            part->end = base + n;
            part->in_records += n;
            part->in_bytes += (int64_t)len;
            fl_log_space_add(log, fl_log_seg_disk_bytes(seg) - before);
            part->dirty = true;
            if (t->cfg.sync != FL_LOG_SYNC_ALWAYS)
                part->visible = part->end;
            else if (later)
                *later = (struct fl_log_durable){part->end, part->trunc_epoch, true};
            else
                rc = group_commit(part, part->end, part->trunc_epoch, err);
            if (!rc) *base_offset = base;
        }
    }
    pthread_mutex_unlock(&part->lock);
    return rc;
}

fl_err_t fl_log_append(struct fl_log *log, const char *topic, int partition,
                       const struct fl_log_record *recs, int n, int64_t *base_offset,
                       struct fl_error *err) {
    if (!recs || n < 1) return fl_errf(err, FL_ERR_INVALID, "append of no records");
    if (log->ro) return fl_errf(err, FL_ERR_INVALID, "the log is open read-only");
    struct fl_log_topic *t = NULL;
    struct fl_log_part *part = NULL;
    fl_err_t rc = part_get(log, topic, partition, &t, &part, err);
    if (rc) return rc;
    struct fl_buf buf;
    fl_buf_init(&buf, (size_t)t->cfg.max_append_bytes);
    rc = fl_log_batch_encode(&buf, 0, recs, n, fl_time_now_us() / 1000, err);
    if (rc == FL_ERR_LIMIT)
        rc = fl_errf(err, FL_ERR_INVALID, "batch of %d records over max_append_bytes (%" PRId64 ")",
                     n, t->cfg.max_append_bytes);
    if (!rc) {
        struct fl_log_batch_hdr h;
        fl_log_batch_hdr_parse(buf.data, &h);
        rc = part_append(log, t, part, buf.data, buf.len, n, h.max_timestamp, base_offset, NULL,
                         err);
    }
    fl_buf_fini(&buf);
    fl_log_topic_put(log, t);
    return rc;
}

fl_err_t fl_log_append_batch(struct fl_log *log, const char *topic, int partition, uint8_t *batch,
                             size_t len, struct fl_log_batch_info *info, int64_t *base_offset,
                             struct fl_log_durable *later, struct fl_error *err) {
    if (later) later->pending = false;
    if (log->ro) return fl_errf(err, FL_ERR_INVALID, "the log is open read-only");
    struct fl_log_topic *t = NULL;
    struct fl_log_part *part = NULL;
    fl_err_t rc = part_get(log, topic, partition, &t, &part, err);
    if (rc) return rc;
    struct fl_log_batch_hdr h;
    if (len > (size_t)t->cfg.max_append_bytes) {
        rc = fl_errf(err, FL_ERR_RANGE, "batch of %zu bytes over max_append_bytes (%" PRId64 ")",
                     len, t->cfg.max_append_bytes);
    } else {
        rc = fl_log_batch_check(batch, len, &h, err);
        if (!rc && (h.count < 1 || (int64_t)h.count != (int64_t)h.last_offset_delta + 1))
            rc = fl_errf(err, FL_ERR_CORRUPT,
                         "batch of %d records with last offset delta %d: not consecutive", h.count,
                         h.last_offset_delta);
        if (!rc && (h.attributes & FL_LOG_ATTR_CONTROL))
            rc = fl_errf(err, FL_ERR_CORRUPT, "control batches are the broker's own");
        if (!rc && (h.attributes & FL_LOG_ATTR_CODEC_MASK)) {
            /* readers must be able to decode it: inflate and check it once here */
            struct fl_buf scratch;
            fl_buf_init(&scratch, FL_LOG_DECOMPRESSED_MAX);
            rc = fl_log_batch_check_records(batch, &h, &scratch, err);
            fl_buf_fini(&scratch);
        }
    }
    if (!rc) {
        if (info) {
            info->count = h.count;
            info->codec = h.attributes & FL_LOG_ATTR_CODEC_MASK;
            info->producer_id = h.producer_id;
            info->producer_epoch = h.producer_epoch;
            info->base_sequence = h.base_sequence;
        }
        rc = part_append(log, t, part, batch, len, h.count, h.max_timestamp, base_offset, later,
                         err);
    }
    fl_log_topic_put(log, t);
    return rc;
}

fl_err_t fl_log_wait_durable(struct fl_log *log, const char *topic, int partition,
                             const struct fl_log_durable *d, struct fl_error *err) {
    if (!d->pending) return FL_OK;
    struct fl_log_topic *t = NULL;
    struct fl_log_part *part = NULL;
    fl_err_t rc = part_get(log, topic, partition, &t, &part, err);
    if (rc) return rc;
    pthread_mutex_lock(&part->lock);
    rc = group_commit(part, d->end, d->epoch, err);
    pthread_mutex_unlock(&part->lock);
    fl_log_topic_put(log, t);
    return rc;
}

/* Index of the segment holding offset: the last with base <= offset.
 * @locks part->lock */
static int seg_find(const struct fl_log_part *part, int64_t offset) {
    int lo = 0, hi = part->nsegs - 1, found = 0;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (part->segs[mid]->base <= offset) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return found;
}

/* Exactly len bytes at pos; a short file is an error too. */
static int read_at(int fd, void *p, size_t len, int64_t pos) {
    return fl_read_full(fd, p, len, pos, NULL) == 0 ? 0 : -1;
}

/* Reads one batch's fixed header at pos, bounded by limit. */
static fl_err_t hdr_at(const struct fl_log_seg *seg, int64_t pos, int64_t limit,
                       struct fl_log_batch_hdr *h, struct fl_error *err) {
    uint8_t b[FL_LOG_BATCH_OVERHEAD];
    if (limit - pos < FL_LOG_BATCH_OVERHEAD || read_at(seg->fd, b, sizeof(b), pos) != 0)
        return fl_errf(err, FL_ERR_CORRUPT, "segment %" PRId64 ": cannot read a batch at %" PRId64,
                       seg->base, pos);
    fl_log_batch_hdr_parse(b, h);
    if (h->length < FL_LOG_BATCH_OVERHEAD - FL_LOG_BATCH_LOG_OVERHEAD ||
        (int64_t)h->length + FL_LOG_BATCH_LOG_OVERHEAD > limit - pos)
        return fl_errf(err, FL_ERR_CORRUPT, "segment %" PRId64 ": bad batch length at %" PRId64,
                       seg->base, pos);
    return FL_OK;
}

fl_err_t fl_log_read(struct fl_log *log, const char *topic, int partition, int64_t offset,
                     size_t max_bytes, struct fl_buf *out, int64_t *next_offset,
                     struct fl_error *err) {
    struct fl_log_topic *t = NULL;
    struct fl_log_part *part = NULL;
    fl_err_t rc = part_get(log, topic, partition, &t, &part, err);
    if (rc) return rc;
    size_t got = 0;
    *next_offset = offset;
    pthread_mutex_lock(&part->lock);
    int64_t start = part->segs[0]->base, visible = part->visible;
    /* offsets written but not yet fsynced (ALWAYS) read as the end: nothing yet */
    if (offset < start || offset > part->end) {
        int64_t end = part->end;
        pthread_mutex_unlock(&part->lock);
        rc = fl_errf(err, FL_ERR_RANGE,
                     "offset %" PRId64 " outside %s-%d's range [%" PRId64 ", %" PRId64 "]", offset,
                     topic, partition, start, end);
        goto out;
    }
    int64_t want = offset;
    for (int si = seg_find(part, offset); si < part->nsegs && want < visible && got == 0;) {
        struct fl_log_seg *seg = part->segs[si];
        int64_t pos = fl_log_seg_lookup(seg, want), limit = seg->size;
        seg->refs++;
        pthread_mutex_unlock(&part->lock);
        while (pos < limit) {
            struct fl_log_batch_hdr h;
            rc = hdr_at(seg, pos, limit, &h, err);
            if (rc) break;
            int64_t len = (int64_t)h.length + FL_LOG_BATCH_LOG_OVERHEAD;
            int64_t last = h.base_offset + h.last_offset_delta;
            if (h.base_offset >= visible) break;
            if (last >= want) {
                if (got && got + (size_t)len > max_bytes) break;
                uint8_t *dst = fl_buf_grow(out, (size_t)len);
                if (!dst) {
                    if (!got)
                        rc = fl_errf(err, FL_ERR_LIMIT,
                                     "read buffer too small for a batch of %" PRId64 " bytes", len);
                    break;
                }
                if (read_at(seg->fd, dst, (size_t)len, pos) != 0) {
                    out->len -= (size_t)len;
                    rc = fl_errf(err, FL_ERR_IO, "read %s: %s", part->dir, strerror(errno));
                    break;
                }
                got += (size_t)len;
                *next_offset = last + 1;
                if (got >= max_bytes) break;
            }
            pos += len;
        }
        pthread_mutex_lock(&part->lock);
        seg_unref(seg);
        if (rc) break;
        /* nothing here (an offset past what this segment holds): the next
         * segment, found again since retention may have changed the list */
        if (got == 0) {
            si = seg_find(part, want);
            if (si + 1 >= part->nsegs || part->segs[si] != seg) break;
            si++;
            want = part->segs[si]->base;
        }
    }
    pthread_mutex_unlock(&part->lock);
out:
    fl_log_topic_put(log, t);
    return rc;
}

fl_err_t fl_log_offset_for_time(struct fl_log *log, const char *topic, int partition, int64_t ts_ms,
                                int64_t *offset, struct fl_error *err) {
    struct fl_log_topic *t = NULL;
    struct fl_log_part *part = NULL;
    fl_err_t rc = part_get(log, topic, partition, &t, &part, err);
    if (rc) return rc;
    struct fl_buf buf;
    fl_buf_init(&buf, FL_BUF_NOMAX);
    pthread_mutex_lock(&part->lock);
    int64_t visible = part->visible, found = -1;
    for (int si = 0; si < part->nsegs && found < 0; si++) {
        struct fl_log_seg *seg = part->segs[si];
        if (seg->max_ts < ts_ms || seg->base >= visible) continue;
        int64_t pos = fl_log_seg_lookup_time(seg, ts_ms), limit = seg->size;
        seg->refs++;
        pthread_mutex_unlock(&part->lock);
        while (pos < limit && found < 0) {
            struct fl_log_batch_hdr h;
            rc = hdr_at(seg, pos, limit, &h, err);
            if (rc) break;
            int64_t len = (int64_t)h.length + FL_LOG_BATCH_LOG_OVERHEAD;
            if (h.base_offset >= visible) break;
            if (h.max_timestamp >= ts_ms) {
                fl_buf_reset(&buf);
                if (read_at(seg->fd, fl_buf_grow(&buf, (size_t)len), (size_t)len, pos) != 0) {
                    rc = fl_errf(err, FL_ERR_IO, "read %s: %s", part->dir, strerror(errno));
                    break;
                }
                struct fl_log_batch_iter it;
                struct fl_log_decoded d;
                fl_log_batch_iter_init(&it, buf.data, buf.len);
                while ((rc = fl_log_batch_iter_next(&it, &d, err)) == FL_OK)
                    if (d.timestamp_ms >= ts_ms) {
                        found = d.offset;
                        break;
                    }
                if (rc == FL_ERR_EOF) rc = FL_OK;
                if (rc) break;
            }
            pos += len;
        }
        pthread_mutex_lock(&part->lock);
        seg_unref(seg);
        if (rc) break;
    }
    pthread_mutex_unlock(&part->lock);
    fl_buf_fini(&buf);
    if (!rc) *offset = found >= 0 ? found : visible;
    fl_log_topic_put(log, t);
    return rc;
}

void fl_log_part_flush(struct fl_log_part *part, bool force) {
    struct fl_log *log = part->log;
    int64_t now = fl_time_mono_us();
    pthread_mutex_lock(&part->lock);
    if (!part->dirty || part->failed_errno ||
        (!force && now - part->last_flush_us < part->topic->cfg.flush_interval_ms * 1000)) {
        pthread_mutex_unlock(&part->lock);
        return;
    }
    struct fl_log_seg *seg = active(part);
    int64_t target = part->end;
    part->dirty = false;
    seg->refs++;
    pthread_mutex_unlock(&part->lock);
    int r = do_sync(log, seg->fd);
    int e = errno;
    pthread_mutex_lock(&part->lock);
    seg_unref(seg);
    part->last_flush_us = now;
    if (r != 0)
        part->failed_errno = e;
    else if (target > part->synced)
        part->synced = target;
    pthread_mutex_unlock(&part->lock);
}

int fl_log_part_retention(struct fl_log_part *part, int64_t now_us) {
    const struct fl_log_topic_config *cfg = &part->topic->cfg;
    int removed = 0;
    pthread_mutex_lock(&part->lock);
    if (!part->failed_errno && roll_due(part, 0, fl_time_mono_us())) (void)roll(part, NULL);
    int64_t total = 0;
    for (int i = 0; i < part->nsegs; i++) total += part->segs[i]->size;
    while (part->nsegs > 1) {
        struct fl_log_seg *seg = part->segs[0];
        bool by_age = cfg->retention_ms >= 0 && seg->max_ts < now_us / 1000 - cfg->retention_ms;
        bool by_size = cfg->retention_bytes >= 0 && total - seg->size >= cfg->retention_bytes;
        if (!by_age && !by_size) break;
        memmove(part->segs, part->segs + 1, (size_t)(part->nsegs - 1) * sizeof(*part->segs));
        part->nsegs--;
        total -= seg->size;
        fl_log_space_add(part->log, -fl_log_seg_disk_bytes(seg));
        fl_log_seg_unlink(part->dir, seg->base);
        seg->dead = true;
        seg->refs++;
        seg_unref(seg);
        removed++;
    }
    pthread_mutex_unlock(&part->lock);
    return removed;
}
