/*
 * segment.c - one segment of a partition: the .log file of whole record
 * batches, named by its base offset (20 digits, as Kafka), and its
 * sparse indexes, .index (rel int32, pos int32) and .timeindex (ts int64,
 * rel int32), big-endian as Kafka writes them.
 *
 * How it works: an index entry is added for the first batch and then for
 * the first batch starting at least 4 KiB after the previous entry. The
 * indexes are derived data: written with the batches but never fsynced,
 * checked at open and rebuilt from the .log when behind or damaged.
 *
 * Recovery (fl_log_seg_open of the active segment): the index files are
 * cut at the first entry that is malformed, not increasing, or past the
 * file; the last remaining entry whose batch checks (offset, length,
 * CRC, records) is where scanning starts (else the file's start); every
 * batch from there is checked and must carry the next offset; the file
 * is truncated at the first one that does not, and the index files are
 * rewritten to match. An inactive segment's index is trusted when its
 * time index ends with the seal entry written at roll (the segment's
 * largest timestamp at its end offset); otherwise it is rebuilt by the
 * same scan, without truncating.
 */
#include "log/batch.h"
#include "log/log_int.h"

#include "core/fileio.h"
#include "core/endian.h"
#include "core/mem.h"
#include "core/time.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IDX_ENTRY 8
#define TIDX_ENTRY 12
#define INDEX_FILE_MAX (64 << 20)
#define SCAN_BATCH_MAX ((int64_t)1 << 30)

fl_err_t fl_log_seg_path(char *out, size_t outsz, const char *dir, int64_t base, const char *ext,
                         struct fl_error *err) {
    return fl_path_fmt(out, outsz, err, "%s/%020" PRId64 ".%s", dir, base, ext);
}

static void seg_init(struct fl_log_seg *seg, int64_t base) {
    memset(seg, 0, sizeof(*seg));
    seg->base = seg->end = base;
    seg->max_ts = -1;
    seg->fd = seg->idx_fd = seg->tidx_fd = -1;
    seg->last_idx_pos = -1;
    seg->created_us = fl_time_mono_us();
}

void fl_log_seg_free(struct fl_log_seg *seg) {
    if (!seg) return;
    if (seg->fd >= 0) close(seg->fd);
    if (seg->idx_fd >= 0) close(seg->idx_fd);
    if (seg->tidx_fd >= 0) close(seg->tidx_fd);
    fl_free(seg->idx);
    fl_free(seg);
}

static void idx_push(struct fl_log_seg *seg, uint32_t rel, uint32_t pos, int64_t ts) {
    if (seg->nidx == seg->capidx) {
        seg->capidx = seg->capidx ? seg->capidx * 2 : 64;
        seg->idx = fl_reallocarray(seg->idx, (size_t)seg->capidx, sizeof(*seg->idx));
    }
    seg->idx[seg->nidx++] = (struct fl_log_idx){rel, pos, ts};
    seg->last_idx_pos = pos;
}

/* Writes entry i of both indexes to their files (best effort: the
 * indexes are rebuilt at open when they are behind). */
static void idx_write(struct fl_log_seg *seg, int i) {
    uint8_t b[TIDX_ENTRY];
    fl_put_be32(b, seg->idx[i].rel);
    fl_put_be32(b + 4, seg->idx[i].pos);
    if (seg->idx_fd >= 0) (void)!fl_write_all(seg->idx_fd, b, IDX_ENTRY, (off_t)i * IDX_ENTRY);
    fl_log_put_be64(b, (uint64_t)seg->idx[i].ts);
    fl_put_be32(b + 8, seg->idx[i].rel);
    if (seg->tidx_fd >= 0) (void)!fl_write_all(seg->tidx_fd, b, TIDX_ENTRY, (off_t)i * TIDX_ENTRY);
}

/* Rewrites both index files from memory from entry `from` on (the
 * entries before it are on disk as they are in memory). */
static void idx_rewrite(struct fl_log_seg *seg, int from) {
    if (seg->idx_fd >= 0) (void)!ftruncate(seg->idx_fd, (off_t)from * IDX_ENTRY);
    if (seg->tidx_fd >= 0) (void)!ftruncate(seg->tidx_fd, (off_t)from * TIDX_ENTRY);
    for (int i = from; i < seg->nidx; i++) idx_write(seg, i);
}

void fl_log_seg_seal(struct fl_log_seg *seg) {
    uint8_t b[TIDX_ENTRY];
    fl_log_put_be64(b, (uint64_t)seg->max_ts);
    fl_put_be32(b + 8, (uint32_t)(seg->end - seg->base));
    if (seg->tidx_fd >= 0)
        (void)!fl_write_all(seg->tidx_fd, b, TIDX_ENTRY, (off_t)seg->nidx * TIDX_ENTRY);
}

/* Reads a whole index file (at most INDEX_FILE_MAX) into *out. */
static uint8_t *slurp(int fd, size_t *len) {
    struct stat st;
    *len = 0;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size > INDEX_FILE_MAX)
        return NULL;
    uint8_t *p = fl_malloc((size_t)st.st_size);
    if (fl_read_full(fd, p, (size_t)st.st_size, 0, NULL) != 0) {
        fl_free(p);
        return NULL;
    }
    *len = (size_t)st.st_size;
    return p;
}

/* Loads the entries of both index files that agree, are increasing and
 * lie inside the file; returns whether the time index ends with a seal
 * entry at rel_end (and then its timestamp in *seal_ts). */
static bool idx_load(struct fl_log_seg *seg, int64_t file_size, int64_t rel_end, int64_t *seal_ts) {
    size_t ilen, tlen;
    uint8_t *ib = slurp(seg->idx_fd, &ilen), *tb = slurp(seg->tidx_fd, &tlen);
    size_t ni = ilen / IDX_ENTRY, nt = tlen / TIDX_ENTRY;
    size_t n = ni < nt ? ni : nt;
    int64_t prev_rel = -1, prev_pos = -1, prev_ts = -1;
    for (size_t i = 0; i < n; i++) {
        uint32_t rel = fl_be32(ib + i * IDX_ENTRY), pos = fl_be32(ib + i * IDX_ENTRY + 4);
        int64_t ts = (int64_t)fl_log_be64(tb + i * TIDX_ENTRY);
        uint32_t trel = fl_be32(tb + i * TIDX_ENTRY + 8);
        if (trel != rel || (int64_t)rel <= prev_rel || (int64_t)pos <= prev_pos ||
            (int64_t)pos + FL_LOG_BATCH_OVERHEAD > file_size || ts < prev_ts || ts < -1 ||
            (rel_end >= 0 && (int64_t)rel >= rel_end))
            break;
        idx_push(seg, rel, pos, ts);
        prev_rel = rel;
        prev_pos = pos;
        prev_ts = ts;
    }
    bool sealed = false;
    if (rel_end >= 0 && nt == (size_t)seg->nidx + 1 && (size_t)seg->nidx == ni) {
        int64_t ts = (int64_t)fl_log_be64(tb + (nt - 1) * TIDX_ENTRY);
        if ((int64_t)fl_be32(tb + (nt - 1) * TIDX_ENTRY + 8) == rel_end && ts >= prev_ts) {
            sealed = true;
            *seal_ts = ts;
        }
    }
    fl_free(ib);
    fl_free(tb);
    return sealed;
}

/* Reads and fully checks the batch at pos (which must carry offset
 * `expect`); FL_OK with its header, else FL_ERR_CORRUPT/EOF/IO. */
static fl_err_t batch_at(int fd, int64_t pos, int64_t file_size, int64_t expect, struct fl_buf *buf,
                         struct fl_log_batch_hdr *h, struct fl_error *err) {
    uint8_t hd[FL_LOG_BATCH_LOG_OVERHEAD];
    fl_buf_reset(buf);
    if (file_size - pos < FL_LOG_BATCH_OVERHEAD) return FL_ERR_EOF;
    int r = fl_read_full(fd, hd, sizeof(hd), pos, NULL);
    if (r < 0) return fl_errf(err, FL_ERR_IO, "read segment: %s", strerror(errno));
    if (r > 0) return FL_ERR_EOF;
    int64_t len = (int64_t)fl_be32(hd + 8) + FL_LOG_BATCH_LOG_OVERHEAD;
    if ((int64_t)fl_be32(hd + 8) > INT32_MAX || len < FL_LOG_BATCH_OVERHEAD || len > SCAN_BATCH_MAX)
        return FL_ERR_CORRUPT;
    if (len > file_size - pos) return FL_ERR_EOF; /* torn */
    fl_buf_reset(buf);
    if (!fl_buf_grow(buf, (size_t)len)) return FL_ERR_CORRUPT;
    r = fl_read_full(fd, buf->data, (size_t)len, pos, NULL);
    if (r < 0) return fl_errf(err, FL_ERR_IO, "read segment: %s", strerror(errno));
    if (r > 0) return FL_ERR_EOF;
    struct fl_error e2 = {0};
    if (fl_log_batch_check(buf->data, (size_t)len, h, &e2) != FL_OK) return FL_ERR_CORRUPT;
    if (h->base_offset != expect) return FL_ERR_CORRUPT;
    return FL_OK;
}

/* Scans batches from pos (offset `expect`, every record before it at
 * most ts_before) to the first bad or missing one, indexing as it goes.
 * Sets seg->size, end and max_ts. */
static fl_err_t scan(struct fl_log_seg *seg, int64_t pos, int64_t expect, int64_t ts_before,
                     int64_t file_size, struct fl_error *err) {
    struct fl_buf buf;
    fl_buf_init(&buf, (size_t)SCAN_BATCH_MAX);
    int64_t max_ts = ts_before;
    fl_err_t rc = FL_OK;
    for (;;) {
        struct fl_log_batch_hdr h;
        rc = batch_at(seg->fd, pos, file_size, expect, &buf, &h, err);
        if (rc == FL_ERR_IO) break;
        if (rc) {
            rc = FL_OK; /* the first torn or bad batch ends the good data */
            break;
        }
        if (pos - (int64_t)UINT32_MAX > 0 || expect - seg->base > (int64_t)UINT32_MAX - INT32_MAX)
            break; /* positions and relative offsets are 32 bits, as in Kafka */
        if (seg->last_idx_pos < 0 || pos - seg->last_idx_pos >= FL_LOG_INDEX_INTERVAL) {
            if (seg->nidx == 0 || (int64_t)seg->idx[seg->nidx - 1].pos < pos)
                idx_push(seg, (uint32_t)(expect - seg->base), (uint32_t)pos, max_ts);
        }
        pos += (int64_t)buf.len;
        expect = h.base_offset + h.last_offset_delta + 1;
        /* a batch's max timestamp bounds its records (Kafka's invariant);
         * our own batches compute it from them */
        if (h.max_timestamp > max_ts) max_ts = h.max_timestamp;
        fl_buf_reset(&buf);
    }
    fl_buf_fini(&buf);
    seg->size = pos;
    seg->end = expect;
    seg->max_ts = max_ts;
    return rc;
}

static fl_err_t open_files(struct fl_log_seg *seg, const char *dir, int flags, bool ro,
                           struct fl_error *err) {
    char path[FL_PATH_MAX];
    int mode = ro ? O_RDONLY : O_RDWR;
    /* the longest of the three names first: none is opened unless all fit */
    fl_err_t rc = fl_log_seg_path(path, sizeof(path), dir, seg->base, "timeindex", err);
    if (!rc) rc = fl_log_seg_path(path, sizeof(path), dir, seg->base, "log", err);
    if (rc) return rc;
    seg->fd = open(path, mode | O_CLOEXEC | flags, 0644);
    if (seg->fd < 0) return fl_errf(err, FL_ERR_IO, "open %s: %s", path, strerror(errno));
    fl_log_seg_path(path, sizeof(path), dir, seg->base, "index", NULL);
    seg->idx_fd = open(path, mode | (ro ? 0 : O_CREAT) | O_CLOEXEC, 0644);
    if (seg->idx_fd < 0 && !ro)
        return fl_errf(err, FL_ERR_IO, "open %s: %s", path, strerror(errno));
    fl_log_seg_path(path, sizeof(path), dir, seg->base, "timeindex", NULL);
    seg->tidx_fd = open(path, mode | (ro ? 0 : O_CREAT) | O_CLOEXEC, 0644);
    if (seg->tidx_fd < 0 && !ro)
        return fl_errf(err, FL_ERR_IO, "open %s: %s", path, strerror(errno));
    return FL_OK;
}

struct fl_log_seg *fl_log_seg_empty(int64_t base) {
    struct fl_log_seg *seg = fl_malloc(sizeof(*seg));
    seg_init(seg, base);
    return seg;
}

fl_err_t fl_log_seg_create(const char *dir, int64_t base, struct fl_log_seg **out,
                           struct fl_error *err) {
    struct fl_log_seg *seg = fl_malloc(sizeof(*seg));
    seg_init(seg, base);
    fl_err_t rc = open_files(seg, dir, O_CREAT | O_TRUNC, false, err);
    if (!rc) {
        (void)!ftruncate(seg->idx_fd, 0);
        (void)!ftruncate(seg->tidx_fd, 0);
    }
    if (rc) {
        fl_log_seg_free(seg);
        return rc;
    }
    *out = seg;
    return FL_OK;
}

fl_err_t fl_log_seg_open(const char *dir, int64_t base, bool active, int64_t next_base, bool ro,
                         struct fl_log_seg **out, struct fl_error *err) {
    struct fl_log_seg *seg = fl_malloc(sizeof(*seg));
    seg_init(seg, base);
    struct fl_buf buf;
    fl_buf_init(&buf, (size_t)SCAN_BATCH_MAX);
    struct stat st;
    fl_err_t rc = open_files(seg, dir, 0, ro, err);
    if (rc) goto out;
    if (fstat(seg->fd, &st) != 0) {
        rc = fl_errf(err, FL_ERR_IO, "stat segment %" PRId64 ": %s", base, strerror(errno));
        goto out;
    }
    int64_t file_size = st.st_size;
    int64_t seal_ts = -1;
    bool sealed = idx_load(seg, file_size, active ? -1 : next_base - base, &seal_ts);
    if (!active && sealed) {
        /* trust it after a cheap check of the last indexed batch */
        struct fl_log_batch_hdr h;
        int64_t pos = seg->nidx ? seg->idx[seg->nidx - 1].pos : 0;
        int64_t expect = base + (seg->nidx ? seg->idx[seg->nidx - 1].rel : 0);
        if (batch_at(seg->fd, pos, file_size, expect, &buf, &h, err) == FL_OK &&
            h.base_offset + h.last_offset_delta + 1 <= next_base) {
            seg->size = file_size;
            seg->end = next_base;
            seg->max_ts = seal_ts;
            if (seg->nidx) seg->last_idx_pos = seg->idx[seg->nidx - 1].pos;
            goto done;
        }
    }
    /* find the last index entry whose batch checks, drop the ones after */
    while (seg->nidx > 0) {
        struct fl_log_batch_hdr h;
        struct fl_log_idx *e = &seg->idx[seg->nidx - 1];
        rc = batch_at(seg->fd, e->pos, file_size, base + e->rel, &buf, &h, err);
        if (rc == FL_ERR_IO) goto out;
        if (rc == FL_OK) break;
        rc = FL_OK;
        seg->nidx--;
    }
    seg->last_idx_pos = -1;
    int64_t pos = 0, expect = base, ts_before = -1;
    int same = seg->nidx > 0 ? seg->nidx - 1 : 0; /* entries on disk that stay as they are */
    if (seg->nidx > 0) {
        struct fl_log_idx e = seg->idx[--seg->nidx]; /* scan() re-adds it */
        pos = e.pos;
        expect = base + e.rel;
        ts_before = e.ts;
        if (seg->nidx) seg->last_idx_pos = seg->idx[seg->nidx - 1].pos;
    }
    rc = scan(seg, pos, expect, ts_before, file_size, err);
    if (rc) goto out;
    if (ro) goto done; /* a reader beside a writer: what is whole now, nothing written */
    if (active && seg->size != file_size) {
        if (ftruncate(seg->fd, seg->size) != 0) {
            rc = fl_errf(err, FL_ERR_IO, "truncate segment %" PRId64 ": %s", base, strerror(errno));
            goto out;
        }
    }
    if (active && seg->size != file_size && fdatasync(seg->fd) != 0) {
        rc = fl_errf(err, FL_ERR_IO, "fsync segment %" PRId64 ": %s", base, strerror(errno));
        goto out;
    }
    idx_rewrite(seg, same);
    if (!active) fl_log_seg_seal(seg);
done:
    if (active && seg->size >= FL_LOG_BATCH_OVERHEAD) {
        /* segment_ms counts from the first batch's max timestamp, as Kafka's
         * roll does, so restarts do not keep a segment young forever */
        uint8_t hd[FL_LOG_BATCH_OVERHEAD];
        struct fl_log_batch_hdr h;
        if (fl_read_full(seg->fd, hd, sizeof(hd), 0, NULL) == 0) {
            fl_log_batch_hdr_parse(hd, &h);
            int64_t age_ms;
            if (!__builtin_sub_overflow(fl_time_now_us() / 1000, h.max_timestamp, &age_ms) &&
                age_ms > 0 && age_ms < INT64_C(1) << 40)
                seg->created_us -= age_ms * 1000;
        }
    }
    *out = seg;
    seg = NULL;
out:
    fl_buf_fini(&buf);
    fl_log_seg_free(seg);
    return rc;
}

fl_err_t fl_log_seg_write(struct fl_log_seg *seg, const uint8_t *batch, size_t len,
                          int64_t last_offset, int64_t max_ts, struct fl_log_faults *faults,
                          struct fl_error *err) {
    int64_t pos = seg->size;
    int fail = 0;
    if (faults && __atomic_load_n(&faults->write_enospc, __ATOMIC_SEQ_CST) > 0 &&
        __atomic_sub_fetch(&faults->write_enospc, 1, __ATOMIC_SEQ_CST) >= 0) {
        (void)!fl_write_all(seg->fd, batch, len / 2, pos);
        errno = ENOSPC;
        fail = 1;
    } else if (fl_write_all(seg->fd, batch, len, pos) != 0) {
        fail = 1;
    }
    if (fail) {
        int e = errno;
        /* nothing of a failed batch may stay for recovery to find */
        (void)!ftruncate(seg->fd, pos);
        if (e == ENOSPC || e == EDQUOT || e == EFBIG)
            return fl_errf(err, FL_ERR_LIMIT, "disk full writing segment %" PRId64 ": %s",
                           seg->base, strerror(e));
        return fl_errf(err, FL_ERR_IO, "write segment %" PRId64 ": %s", seg->base, strerror(e));
    }
    if (seg->last_idx_pos < 0 || pos - seg->last_idx_pos >= FL_LOG_INDEX_INTERVAL) {
        idx_push(seg, (uint32_t)(fl_log_be64(batch) - (uint64_t)seg->base), (uint32_t)pos,
                 seg->max_ts);
        idx_write(seg, seg->nidx - 1);
    }
    seg->size = pos + (int64_t)len;
    seg->end = last_offset + 1;
    if (max_ts > seg->max_ts) seg->max_ts = max_ts;
    return FL_OK;
}

fl_err_t fl_log_seg_truncate(struct fl_log_seg *seg, int64_t size, int64_t end) {
    if (ftruncate(seg->fd, size) != 0) return FL_ERR_IO;
    seg->size = size;
    seg->end = end;
    while (seg->nidx > 0 && (int64_t)seg->idx[seg->nidx - 1].pos >= size) seg->nidx--;
    seg->last_idx_pos = seg->nidx ? (int64_t)seg->idx[seg->nidx - 1].pos : -1;
    idx_rewrite(seg, seg->nidx);
    return FL_OK;
}

int64_t fl_log_seg_lookup(const struct fl_log_seg *seg, int64_t offset) {
    int lo = 0, hi = seg->nidx - 1, found = -1;
    int64_t rel = offset - seg->base;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if ((int64_t)seg->idx[mid].rel <= rel) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return found < 0 ? 0 : seg->idx[found].pos;
}

int64_t fl_log_seg_lookup_time(const struct fl_log_seg *seg, int64_t ts_ms) {
    /* entries' ts never decrease: the last with ts < ts_ms has no match before it */
    int lo = 0, hi = seg->nidx - 1, found = -1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (seg->idx[mid].ts < ts_ms) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return found < 0 ? 0 : seg->idx[found].pos;
}

int64_t fl_log_seg_disk_bytes(const struct fl_log_seg *seg) {
    return seg->size + (int64_t)seg->nidx * (IDX_ENTRY + TIDX_ENTRY);
}

void fl_log_seg_unlink(const char *dir, int64_t base) {
    char path[FL_PATH_MAX];
    /* the .log first: index files without it are removed at open */
    static const char *const ext[] = {"log", "index", "timeindex"};
    for (int i = 0; i < 3; i++)
        if (!fl_log_seg_path(path, sizeof(path), dir, base, ext[i], NULL)) unlink(path);
}
