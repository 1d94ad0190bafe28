/*
 * upsert.c - the merge plan of a pipeline step (see upsert.h).
 *
 * How it works: each row's key is encoded as bytes (per key column: a
 * null flag, then the value's length and bytes) into an open-addressing
 * hash table that maps a key to its last row in the step. The table is
 * then scanned (pruned to [min, max] of the first key column when it is a
 * string, an integer, a date or a timestamp), each live row's key looked up; for a match the
 * row is compared with the new one, ignoring the derived columns, and
 * either marks the new row unchanged or is scheduled for a position
 * delete at the position fl_ice_scan_each gives it. Memory is O(rows of
 * the step).
 */
#include "pipeline/upsert.h"
#include "core/buf.h"
#include "core/mem.h"
#include "iceberg/prune.h"

#include <string.h>

struct slot {
    uint64_t hash;
    size_t off, len; /* key bytes in the arena */
    int64_t row;     /* -1 = empty */
};

struct keymap {
    struct slot *slots;
    size_t cap, n;
    struct fl_buf arena;
};

static uint64_t fnv(const uint8_t *p, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

void fl_pipe_key_encode(const struct fl_batch *b, size_t row, const int *keycols, int nkey,
                        struct fl_buf *out) {
    fl_buf_reset(out);
    for (int k = 0; k < nkey; k++) {
        const struct fl_col *c = &b->cols[keycols[k]];
        if (fl_col_is_null(c, row)) {
            fl_buf_append_u8(out, 0);
            continue;
        }
        fl_buf_append_u8(out, 1);
        size_t len;
        const uint8_t *v;
        if (c->width) {
            len = c->width;
            v = c->values + row * c->width;
        } else {
            v = fl_col_bytes(c, row, &len);
        }
        uint32_t l32 = (uint32_t)len;
        fl_buf_append(out, &l32, sizeof(l32));
        fl_buf_append(out, v, len);
    }
}

static struct slot *keymap_find(struct keymap *m, const struct fl_buf *key, uint64_t h) {
    size_t i = (size_t)h & (m->cap - 1);
    for (;;) {
        struct slot *s = &m->slots[i];
        if (s->row < 0) return s;
        if (s->hash == h && s->len == key->len &&
            !memcmp(m->arena.data + s->off, key->data, key->len))
            return s;
        i = (i + 1) & (m->cap - 1);
    }
}

static void keymap_init(struct keymap *m, size_t rows) {
    m->cap = 16;
    while (m->cap < rows * 2 + 2) m->cap *= 2;
    m->slots = fl_calloc(m->cap, sizeof(*m->slots));
    for (size_t i = 0; i < m->cap; i++) m->slots[i].row = -1;
    m->n = 0;
    fl_buf_init(&m->arena, FL_BUF_NOMAX);
}

static void keymap_fini(struct keymap *m) {
    fl_free(m->slots);
    fl_buf_fini(&m->arena);
}

/* Derived columns differ on every delivery and do not make a change. */
static bool derived(const struct fl_field *f) {
    return !strcmp(f->name, "processed_timestamp") || !strncmp(f->name, "_kafka_", 7);
}

static bool col_eq(const struct fl_col *a, size_t ra, const struct fl_col *b, size_t rb) {
    bool na = fl_col_is_null(a, ra), nb = fl_col_is_null(b, rb);
    if (na || nb) return na == nb;
    if (a->width != b->width) return false;
    if (a->width) return !memcmp(a->values + ra * a->width, b->values + rb * b->width, a->width);
    size_t la, lb;
    const uint8_t *va = fl_col_bytes(a, ra, &la), *vb = fl_col_bytes(b, rb, &lb);
    return la == lb && !memcmp(va, vb, la);
}

static bool rows_equal(const struct fl_batch *a, size_t ra, const struct fl_batch *b, size_t rb) {
    if (a->ncols != b->ncols) return false;
    for (int c = 0; c < a->ncols; c++) {
        if (derived(a->cols[c].field)) continue;
        if (a->cols[c].field->id != b->cols[c].field->id) return false;
        if (!col_eq(&a->cols[c], ra, &b->cols[c], rb)) return false;
    }
    return true;
}

/* -1, 0, 1 for string (bytewise), integer, date or timestamp values of col; 2 = not comparable */
static int col_cmp(const struct fl_col *c, size_t x, size_t y) {
    switch (c->field->type) {
    case FL_TYPE_STRING: {
        size_t lx, ly;
        const uint8_t *vx = fl_col_bytes(c, x, &lx), *vy = fl_col_bytes(c, y, &ly);
        int r = memcmp(vx, vy, lx < ly ? lx : ly);
        if (r) return r < 0 ? -1 : 1;
        return (lx > ly) - (lx < ly);
    }
    case FL_TYPE_INT:
    case FL_TYPE_DATE: {
        int32_t a = ((const int32_t *)c->values)[x], b = ((const int32_t *)c->values)[y];
        return (a > b) - (a < b);
    }
    case FL_TYPE_LONG:
    case FL_TYPE_TIMESTAMP:
    case FL_TYPE_TIMESTAMPTZ: {
        int64_t a = ((const int64_t *)c->values)[x], b = ((const int64_t *)c->values)[y];
        return (a > b) - (a < b);
    }
    default:
        return 2;
    }
}

static void add_delete(struct fl_pipe_upsert_plan *plan, const char *path, int64_t pos) {
    if (plan->ndel == plan->cap) {
        plan->cap = plan->cap ? plan->cap * 2 : 64;
        plan->paths = fl_reallocarray(plan->paths, plan->cap, sizeof(char *));
        plan->pos = fl_reallocarray(plan->pos, plan->cap, sizeof(int64_t));
    }
    plan->paths[plan->ndel] = fl_strdup(path);
    plan->pos[plan->ndel++] = pos;
}

/* Step 2 of a plan: what the table holds of the step's keys. */
struct existing {
    const struct fl_batch *in;
    const int *keycols;
    int nkey;
    struct keymap *m;
    struct fl_buf *key; /* scratch */
    uint8_t *keep;
    struct fl_pipe_upsert_plan *plan;
    const struct fl_pipe_upsert_ops *ops;
    struct fl_batch *prev; /* change data: the table's rows that unchanged columns come from */
    int64_t *tblrow;       /* per step row: its key's row in prev, -1 none */
};

static bool has_unchanged(const struct fl_pipe_upsert_ops *ops, size_t row, int ncols) {
    if (!ops || !ops->unchanged) return false;
    for (int c = 0; c < ncols; c++)
        if (ops->unchanged[row * (size_t)ncols + (size_t)c]) return true;
    return false;
}

/* A scanned batch's rows of the step's keys: equal to the step's row
 * (nothing to change), else deleted at their position. After a truncate
 * every row is deleted; a delete's key deletes its rows; a row with
 * unchanged columns keeps a copy of the table's row to take them from. */
static fl_err_t existing_rows(void *ctx, const struct fl_batch *b, const char *path,
                              const int64_t *pos, struct fl_error *err) {
    struct existing *x = ctx;
    const struct fl_pipe_upsert_ops *ops = x->ops;
    for (size_t r = 0; r < b->nrows; r++) {
        if (ops && ops->truncate) {
            add_delete(x->plan, path, pos[r]);
            continue;
        }
        fl_pipe_key_encode(b, r, x->keycols, x->nkey, x->key);
        struct slot *s = keymap_find(x->m, x->key, fnv(x->key->data, x->key->len));
        if (s->row < 0) continue;
        size_t nr = (size_t)s->row;
        bool tomb = ops && ops->tomb && ops->tomb[nr];
        bool partial = has_unchanged(ops, nr, x->in->ncols);
        if (partial && x->tblrow[nr] < 0 && b->ncols == x->prev->ncols) {
            fl_err_t rc = FL_OK;
            for (int c = 0; c < b->ncols && !rc; c++)
                rc = fl_col_append_from(&x->prev->cols[c], &b->cols[c], r);
            if (!rc) rc = fl_batch_end_row(x->prev);
            if (rc) return fl_errf(err, rc, "upsert: keeping a previous row failed");
            x->tblrow[nr] = (int64_t)x->prev->nrows - 1;
        }
        if (x->keep[nr] && !tomb && !partial && rows_equal(x->in, nr, b, r)) {
            x->keep[nr] = 0; /* the table has it already: no change */
            x->plan->unchanged++;
        } else {
            add_delete(x->plan, path, pos[r]);
        }
    }
    return FL_OK;
}

/* Step 3 for one column of a change row: an unchanged column takes the
 * key's previous value in the step, else the table's, else null. */
static fl_err_t append_value(const struct fl_batch *in, const struct existing *x,
                             const int64_t *prevrow, size_t r, int c, struct fl_col *dst) {
    const uint8_t *un = x->ops ? x->ops->unchanged : NULL;
    size_t nc = (size_t)in->ncols;
    if (!un || !un[r * nc + (size_t)c]) return fl_col_append_from(dst, &in->cols[c], r);
    int64_t q = prevrow[r];
    while (q >= 0 && un[(size_t)q * nc + (size_t)c]) q = prevrow[q];
    if (q >= 0) return fl_col_append_from(dst, &in->cols[c], (size_t)q);
    if (x->tblrow[r] >= 0) return fl_col_append_from(dst, &x->prev->cols[c], (size_t)x->tblrow[r]);
    return fl_col_append_null(dst);
}

fl_err_t fl_pipe_upsert_plan(struct fl_ice_table *tbl, const struct fl_batch *in,
                             const int *keycols, int nkey, struct fl_pipe_upsert_plan *plan,
                             struct fl_error *err) {
    return fl_pipe_upsert_plan_ops(tbl, in, keycols, nkey, NULL, plan, err);
}

fl_err_t fl_pipe_upsert_plan_ops(struct fl_ice_table *tbl, const struct fl_batch *in,
                                 const int *keycols, int nkey, const struct fl_pipe_upsert_ops *ops,
                                 struct fl_pipe_upsert_plan *plan, struct fl_error *err) {
    memset(plan, 0, sizeof(*plan));
    struct keymap m;
    struct fl_buf key;
    struct fl_ice_scan *sc = NULL;
    uint8_t *keep = fl_calloc(in->nrows + 1, 1);
    bool changes = ops && ops->unchanged;
    int64_t *prevrow = changes ? fl_calloc(in->nrows + 1, sizeof(int64_t)) : NULL;
    struct existing ex = {in, keycols, nkey, &m, &key, keep, plan, ops, NULL, NULL};
    if (changes) {
        ex.tblrow = fl_calloc(in->nrows + 1, sizeof(int64_t));
        for (size_t r = 0; r <= in->nrows; r++) ex.tblrow[r] = -1;
    }
    size_t first = ops ? ops->first : 0;
    keymap_init(&m, in->nrows);
    fl_buf_init(&key, FL_BUF_NOMAX);
    fl_err_t rc = fl_batch_new(in->schema, in->nrows, &plan->rows, err);
    if (!rc && changes) rc = fl_batch_new(in->schema, 0, &ex.prev, err);
    if (rc) goto out;

    /* 1. dedup within the step: the last row of a key wins */
    for (size_t r = first; r < in->nrows; r++) {
        fl_pipe_key_encode(in, r, keycols, nkey, &key);
        uint64_t h = fnv(key.data, key.len);
        struct slot *s = keymap_find(&m, &key, h);
        if (prevrow) prevrow[r] = s->row;
        if (s->row >= 0) {
            keep[s->row] = 0;
            plan->deduped++;
        } else {
            s->hash = h;
            s->off = m.arena.len;
            s->len = key.len;
            fl_buf_append(&m.arena, key.data, key.len);
            m.n++;
        }
        s->row = (int64_t)r;
        keep[r] = 1;
    }

    /* 2. the existing rows of those keys (every row after a truncate) */
    bool truncate = ops && ops->truncate;
    if ((in->nrows > first || truncate) && tbl->meta->current_snapshot_id != FL_ICE_NO_SNAPSHOT) {
        struct fl_ice_pred preds[2];
        int npreds = 0;
        const struct fl_col *k0 = &in->cols[keycols[0]];
        size_t lo = SIZE_MAX, hi = SIZE_MAX;
        bool comparable = !truncate && col_cmp(k0, 0, 0) != 2;
        for (size_t r = first; comparable && r < in->nrows; r++) {
            if (!keep[r] || fl_col_is_null(k0, r)) continue;
            if (lo == SIZE_MAX || col_cmp(k0, r, lo) < 0) lo = r;
            if (hi == SIZE_MAX || col_cmp(k0, r, hi) > 0) hi = r;
        }
        if (comparable && lo != SIZE_MAX) {
            preds[0] = (struct fl_ice_pred){k0->field->id, FL_ICE_OP_GE, k0, lo};
            preds[1] = (struct fl_ice_pred){k0->field->id, FL_ICE_OP_LE, k0, hi};
            npreds = 2;
        }
        rc = fl_ice_scan_open_where(tbl, FL_ICE_NO_SNAPSHOT, preds, npreds, &sc, err);
        if (!rc) rc = fl_ice_scan_each(sc, existing_rows, &ex, err);
    }

    /* 3. the rows to append (a delete appends nothing) */
    for (size_t r = first; r < in->nrows && !rc; r++) {
        if (!keep[r] || (ops && ops->tomb && ops->tomb[r])) continue;
        for (int c = 0; c < in->ncols && !rc; c++)
            rc = append_value(in, &ex, prevrow, r, c, &plan->rows->cols[c]);
        if (!rc) rc = fl_batch_end_row(plan->rows);
        if (rc) rc = fl_errf(err, rc, "upsert: staging a row failed");
    }
out:
    fl_ice_scan_free(sc);
    fl_buf_fini(&key);
    keymap_fini(&m);
    fl_free(keep);
    fl_free(prevrow);
    fl_free(ex.tblrow);
    fl_batch_free(ex.prev);
    return rc;
}

void fl_pipe_upsert_plan_fini(struct fl_pipe_upsert_plan *plan) {
    fl_batch_free(plan->rows);
    for (size_t i = 0; i < plan->ndel; i++) fl_free(plan->paths[i]);
    fl_free(plan->paths);
    fl_free(plan->pos);
    memset(plan, 0, sizeof(*plan));
}
