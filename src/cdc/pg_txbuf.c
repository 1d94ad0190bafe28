/*
 * pg_txbuf.c - open PostgreSQL transactions' records in bounded memory,
 * spilling to a file per transaction (see pg_txbuf.h).
 *
 * A record is a 16-byte little-endian header (table, key length or
 * UINT32_MAX for a null key, value length, ts position) then the key and
 * value bytes. A txbuf's records are either all in memory or all in its
 * file (a spill moves the memory part out), so a position in the
 * sequence is a byte offset in one of the two. The memory budget counts
 * record bytes (fl_buf's spare capacity aside).
 */
#include "cdc/pg_txbuf.h"
#include "core/buf.h"
#include "core/mem.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR 20
#define NULL_KEY UINT32_MAX

struct mark {
    uint32_t subxid;
    uint64_t pos; /* where its first record starts */
    int64_t count;
};

struct fl_txbuf {
    struct fl_txset *set;
    uint32_t xid;
    struct fl_buf mem;
    FILE *f; /* once spilled */
    uint64_t file_len;
    int64_t count;
    struct mark *marks;
    int nmarks, cmarks;
    uint32_t last_sub; /* the subxid of the last add (a mark exists for it) */
    /* reading back */
    uint64_t rpos;
    struct fl_buf rd;
};

struct fl_txset {
    char *dir;
    size_t limit, mem;
    uint64_t spilled;
    struct fl_txbuf **tx;
    int ntx, ctx;
};

static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void spill_path(const struct fl_txset *set, uint32_t xid, char *buf, size_t size) {
    snprintf(buf, size, "%s/%" PRIu32 ".spill", set->dir, xid);
}

static fl_err_t mkdirs(const char *dir, struct fl_error *err) {
    char *p = fl_strdup(dir);
    fl_err_t rc = FL_OK;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s) continue;
        char c = *s;
        *s = 0;
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            rc = fl_errf(err, FL_ERR_IO, "spill directory %s: %s", p, strerror(errno));
            break;
        }
        *s = c;
        if (!c) break;
    }
    fl_free(p);
    return rc;
}

fl_err_t fl_txset_new(const char *dir, size_t mem_limit, struct fl_txset **out,
                      struct fl_error *err) {
    *out = NULL;
    fl_err_t rc = mkdirs(dir, err);
    if (rc) return rc;
    DIR *d = opendir(dir);
    if (!d) return fl_errf(err, FL_ERR_IO, "spill directory %s: %s", dir, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d))) { /* a crash's leftovers: the slot sends them again */
        size_t n = strlen(e->d_name);
        if (n > 6 && !strcmp(e->d_name + n - 6, ".spill")) {
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            unlink(path);
        }
    }
    closedir(d);
    struct fl_txset *set = fl_calloc(1, sizeof(*set));
    set->dir = fl_strdup(dir);
    set->limit = mem_limit;
    *out = set;
    return FL_OK;
}

static void tb_free(struct fl_txbuf *tb) {
    struct fl_txset *set = tb->set;
    set->mem -= tb->mem.len;
    fl_buf_fini(&tb->mem);
    fl_buf_fini(&tb->rd);
    if (tb->f) {
        char path[4096];
        fclose(tb->f);
        spill_path(set, tb->xid, path, sizeof(path));
        unlink(path);
    }
    fl_free(tb->marks);
    fl_free(tb);
}

void fl_txset_clear(struct fl_txset *set) {
    for (int i = 0; i < set->ntx; i++) tb_free(set->tx[i]);
    set->ntx = 0;
}

void fl_txset_free(struct fl_txset *set) {
    if (!set) return;
    fl_txset_clear(set);
    fl_free(set->tx);
    fl_free(set->dir);
    fl_free(set);
}

struct fl_txbuf *fl_txset_get(struct fl_txset *set, uint32_t xid, int create) {
    for (int i = 0; i < set->ntx; i++)
        if (set->tx[i]->xid == xid) return set->tx[i];
    if (!create) return NULL;
    if (set->ntx == set->ctx) {
        set->ctx = set->ctx ? set->ctx * 2 : 8;
        set->tx = fl_reallocarray(set->tx, (size_t)set->ctx, sizeof(*set->tx));
    }
    struct fl_txbuf *tb = fl_calloc(1, sizeof(*tb));
    tb->set = set;
    tb->xid = xid;
    tb->last_sub = xid;
    fl_buf_init(&tb->mem, FL_BUF_NOMAX);
    fl_buf_init(&tb->rd, FL_BUF_NOMAX);
    set->tx[set->ntx++] = tb;
    return tb;
}

void fl_txset_drop(struct fl_txset *set, uint32_t xid) {
    for (int i = 0; i < set->ntx; i++) {
        if (set->tx[i]->xid != xid) continue;
        tb_free(set->tx[i]);
        set->tx[i] = set->tx[--set->ntx];
        return;
    }
}

size_t fl_txset_mem(const struct fl_txset *set) { return set->mem; }
uint64_t fl_txset_spilled(const struct fl_txset *set) { return set->spilled; }
int fl_txset_open_count(const struct fl_txset *set) { return set->ntx; }
int64_t fl_txbuf_count(const struct fl_txbuf *tb) { return tb->count; }
uint32_t fl_txbuf_xid(const struct fl_txbuf *tb) { return tb->xid; }
int fl_txbuf_is_spilled(const struct fl_txbuf *tb) { return tb->f != NULL; }

static fl_err_t file_err(struct fl_txbuf *tb, const char *what, struct fl_error *err) {
    char path[4096];
    spill_path(tb->set, tb->xid, path, sizeof(path));
    return fl_errf(err, FL_ERR_IO, "spill file %s: %s: %s", path, what,
                   errno ? strerror(errno) : "short");
}

/* Moves the records in memory to the transaction's spill file. */
static fl_err_t spill(struct fl_txbuf *tb, struct fl_error *err) {
    char path[4096];
    spill_path(tb->set, tb->xid, path, sizeof(path));
    errno = 0;
    tb->f = fopen(path, "w+b");
    if (!tb->f) return file_err(tb, "create", err);
    setvbuf(tb->f, NULL, _IOFBF, (size_t)1 << 16);
    if (tb->mem.len && fwrite(tb->mem.data, 1, tb->mem.len, tb->f) != tb->mem.len)
        return file_err(tb, "write", err);
    tb->file_len = tb->mem.len;
    tb->set->spilled += tb->mem.len;
    tb->set->mem -= tb->mem.len;
    fl_buf_fini(&tb->mem); /* give the memory back, not just the length */
    fl_buf_init(&tb->mem, FL_BUF_NOMAX);
    return FL_OK;
}

static uint64_t tb_pos(const struct fl_txbuf *tb) { return tb->f ? tb->file_len : tb->mem.len; }

fl_err_t fl_txbuf_add(struct fl_txbuf *tb, uint32_t subxid, const struct fl_txrec *rec,
                      struct fl_error *err) {
    struct fl_txset *set = tb->set;
    if (subxid != tb->last_sub) {
        int known = subxid == tb->xid;
        for (int i = 0; i < tb->nmarks && !known; i++) known = tb->marks[i].subxid == subxid;
        if (!known) {
            if (tb->nmarks == tb->cmarks) {
                tb->cmarks = tb->cmarks ? tb->cmarks * 2 : 8;
                tb->marks = fl_reallocarray(tb->marks, (size_t)tb->cmarks, sizeof(*tb->marks));
            }
            tb->marks[tb->nmarks++] = (struct mark){subxid, tb_pos(tb), tb->count};
        }
        tb->last_sub = subxid;
    }
    uint32_t klen = rec->key ? rec->key_len : 0;
    size_t need = HDR + (size_t)klen + rec->value_len;
    uint8_t h[HDR];
    put32(h, rec->table);
    put32(h + 4, rec->key ? rec->key_len : NULL_KEY);
    put32(h + 8, rec->value_len);
    put32(h + 12, rec->ts_pos);
    put32(h + 16, rec->shape);
    if (!tb->f && set->mem + need > set->limit) {
        fl_err_t rc = spill(tb, err);
        if (rc) return rc;
    }
    if (tb->f) {
        errno = 0;
        if (fwrite(h, 1, HDR, tb->f) != HDR || (klen && fwrite(rec->key, 1, klen, tb->f) != klen) ||
            (rec->value_len && fwrite(rec->value, 1, rec->value_len, tb->f) != rec->value_len))
            return file_err(tb, "write", err);
        tb->file_len += need;
        set->spilled += need;
    } else {
        fl_buf_append(&tb->mem, h, HDR);
        if (klen) fl_buf_append(&tb->mem, rec->key, klen);
        fl_buf_append(&tb->mem, rec->value, rec->value_len);
        set->mem += need;
    }
    tb->count++;
    return FL_OK;
}

fl_err_t fl_txset_abort(struct fl_txset *set, uint32_t xid, uint32_t subxid, int64_t *dropped,
                        struct fl_error *err) {
    *dropped = 0;
    struct fl_txbuf *tb = fl_txset_get(set, xid, 0);
    if (!tb) return FL_OK;
    if (subxid == xid) {
        *dropped = tb->count;
        fl_txset_drop(set, xid);
        return FL_OK;
    }
    int i = 0;
    while (i < tb->nmarks && tb->marks[i].subxid != subxid) i++;
    if (i == tb->nmarks) return FL_OK; /* no record of it here */
    uint64_t pos = tb->marks[i].pos;
    *dropped = tb->count - tb->marks[i].count;
    tb->count = tb->marks[i].count;
    tb->nmarks = i; /* it and every subtransaction after it (nested in it) */
    tb->last_sub = xid;
    if (tb->f) {
        errno = 0;
        if (fflush(tb->f) != 0 || ftruncate(fileno(tb->f), (off_t)pos) != 0 ||
            fseeko(tb->f, (off_t)pos, SEEK_SET) != 0)
            return file_err(tb, "truncate", err);
        tb->file_len = pos;
    } else {
        set->mem -= tb->mem.len - (size_t)pos;
        tb->mem.len = (size_t)pos;
    }
    return FL_OK;
}

fl_err_t fl_txbuf_rewind(struct fl_txbuf *tb, struct fl_error *err) {
    tb->rpos = 0;
    errno = 0;
    if (tb->f && (fflush(tb->f) != 0 || fseeko(tb->f, 0, SEEK_SET) != 0))
        return file_err(tb, "rewind", err);
    return FL_OK;
}

int fl_txbuf_next(struct fl_txbuf *tb, struct fl_txrec *rec, fl_err_t *rc, struct fl_error *err) {
    *rc = FL_OK;
    uint64_t end = tb_pos(tb);
    if (tb->rpos >= end) return 0;
    uint64_t left = end - tb->rpos;
    const uint8_t *h;
    if (left < HDR) goto corrupt;
    if (tb->f) {
        fl_buf_reset(&tb->rd);
        uint8_t *p = fl_buf_grow(&tb->rd, HDR);
        if (fread(p, 1, HDR, tb->f) != HDR) goto corrupt;
        h = p;
    } else {
        h = tb->mem.data + tb->rpos;
    }
    uint32_t table = get32(h), klen = get32(h + 4), vlen = get32(h + 8), tsp = get32(h + 12),
             shape = get32(h + 16);
    uint64_t kbytes = klen == NULL_KEY ? 0 : klen;
    if (kbytes + vlen > left - HDR || (tsp != FL_TXBUF_NO_TS && tsp > vlen)) goto corrupt;
    const uint8_t *body;
    if (tb->f) {
        size_t n = (size_t)(kbytes + vlen);
        fl_buf_reset(&tb->rd);
        uint8_t *p = fl_buf_grow(&tb->rd, n ? n : 1);
        if (n && fread(p, 1, n, tb->f) != n) goto corrupt;
        body = p;
    } else {
        body = tb->mem.data + tb->rpos + HDR;
    }
    *rec = (struct fl_txrec){
        table, klen == NULL_KEY ? NULL : body, (uint32_t)kbytes, body + kbytes, vlen, tsp, shape};
    tb->rpos += HDR + kbytes + vlen;
    return 1;
corrupt:
    *rc = fl_errf(err, FL_ERR_CORRUPT, "transaction %" PRIu32 ": a record in its %s is damaged",
                  tb->xid, tb->f ? "spill file" : "buffer");
    return 0;
}
