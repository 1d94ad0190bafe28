/*
 * pgoutput.c - the replication frame and pgoutput v1/v2 message decoder
 * (see pgoutput.h). A bounds-checked big-endian reader; every take
 * checks what is left first. Version 2's stream block state (inside a
 * Stream Start..Stop or not) lives in the decoder.
 */
#include "cdc/pgoutput.h"
#include "core/mem.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rd {
    const uint8_t *p, *end;
    const char *what; /* the message kind, for errors */
    struct fl_error *err;
};

static fl_err_t short_msg(struct rd *r, const char *field) {
    return fl_errf(r->err, FL_ERR_CORRUPT, "pgoutput %s: truncated at %s", r->what, field);
}

static fl_err_t take(struct rd *r, size_t n, const uint8_t **out, const char *field) {
    if ((size_t)(r->end - r->p) < n) return short_msg(r, field);
    *out = r->p;
    r->p += n;
    return FL_OK;
}

static fl_err_t u8(struct rd *r, uint8_t *v, const char *field) {
    const uint8_t *b = NULL;
    fl_err_t rc = take(r, 1, &b, field);
    if (!rc) *v = b[0];
    return rc;
}

static fl_err_t u16(struct rd *r, uint16_t *v, const char *field) {
    const uint8_t *b = NULL;
    fl_err_t rc = take(r, 2, &b, field);
    if (!rc) *v = (uint16_t)((unsigned)b[0] << 8 | b[1]);
    return rc;
}

static fl_err_t u32(struct rd *r, uint32_t *v, const char *field) {
    const uint8_t *b = NULL;
    fl_err_t rc = take(r, 4, &b, field);
    if (!rc) *v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return rc;
}

static fl_err_t u64(struct rd *r, uint64_t *v, const char *field) {
    uint32_t hi = 0, lo = 0;
    fl_err_t rc = u32(r, &hi, field);
    if (!rc) rc = u32(r, &lo, field);
    if (!rc) *v = (uint64_t)hi << 32 | lo;
    return rc;
}

/* PostgreSQL timestamp (µs since 2000) -> Unix µs, saturating */
static fl_err_t ts(struct rd *r, int64_t *v, const char *field) {
    uint64_t u = 0;
    fl_err_t rc = u64(r, &u, field);
    int64_t s = (int64_t)u;
    if (!rc) *v = s > INT64_MAX - FL_PG_EPOCH_US ? INT64_MAX : s + FL_PG_EPOCH_US;
    return rc;
}

/* A NUL-terminated string inside the message. */
static fl_err_t str(struct rd *r, const char **s, const char *field) {
    const uint8_t *z = memchr(r->p, 0, (size_t)(r->end - r->p));
    if (!z)
        return fl_errf(r->err, FL_ERR_CORRUPT, "pgoutput %s: %s is not terminated", r->what, field);
    *s = (const char *)r->p;
    r->p = z + 1;
    return FL_OK;
}

static fl_err_t at_end(struct rd *r) {
    if (r->p != r->end)
        return fl_errf(r->err, FL_ERR_CORRUPT, "pgoutput %s: %zu trailing bytes", r->what,
                       (size_t)(r->end - r->p));
    return FL_OK;
}

fl_err_t fl_pg_frame_decode(const uint8_t *buf, size_t len, struct fl_pg_frame *out,
                            struct fl_error *err) {
    memset(out, 0, sizeof(*out));
    struct rd r = {buf, buf + len, "frame", err};
    uint8_t k = 0;
    fl_err_t rc = u8(&r, &k, "kind");
    if (rc) return rc;
    out->kind = (char)k;
    if (k == 'w') {
        r.what = "XLogData";
        rc = u64(&r, &out->wal_start, "start");
        if (!rc) rc = u64(&r, &out->wal_end, "end");
        if (!rc) rc = ts(&r, &out->send_time_us, "time");
        if (!rc) {
            out->data = r.p;
            out->len = (size_t)(r.end - r.p);
        }
        return rc;
    }
    if (k == 'k') {
        r.what = "keepalive";
        uint8_t reply = 0;
        rc = u64(&r, &out->wal_end, "end");
        if (!rc) rc = ts(&r, &out->send_time_us, "time");
        if (!rc) rc = u8(&r, &reply, "reply");
        out->reply_requested = reply != 0;
        return rc ? rc : at_end(&r);
    }
    return fl_errf(err, FL_ERR_CORRUPT, "replication frame: unknown kind 0x%02x", k);
}

struct fl_pgo_decoder {
    struct fl_pgo_value *vals; /* old tuple's then new tuple's values */
    size_t cap;
    struct fl_pgo_column *cols;
    size_t ccap;
    uint32_t *relids;
    size_t rcap;
    int proto;     /* 1 or 2 */
    int in_stream; /* v2: between Stream Start and Stream Stop */
};

void fl_pgo_decoder_set_proto(struct fl_pgo_decoder *d, int proto) {
    d->proto = proto == 2 ? 2 : 1;
    d->in_stream = 0;
}

int fl_pgo_decoder_in_stream(const struct fl_pgo_decoder *d) { return d->in_stream; }

struct fl_pgo_decoder *fl_pgo_decoder_new(void) {
    struct fl_pgo_decoder *d = fl_calloc(1, sizeof(struct fl_pgo_decoder));
    d->proto = 1;
    return d;
}

void fl_pgo_decoder_free(struct fl_pgo_decoder *d) {
    if (!d) return;
    fl_free(d->vals);
    fl_free(d->cols);
    fl_free(d->relids);
    fl_free(d);
}

/* TupleData at r into the decoder's values from index base. The count
 * bounds the allocation only after it is checked against what is left
 * (every value takes at least its kind byte). */
static fl_err_t tuple(struct fl_pgo_decoder *d, struct rd *r, size_t base, struct fl_pgo_tuple *t) {
    uint16_t n = 0;
    fl_err_t rc = u16(r, &n, "column count");
    if (rc) return rc;
    if ((size_t)(r->end - r->p) < n) return short_msg(r, "tuple values");
    if (base + n > d->cap || !d->vals) {
        size_t cap = d->cap ? d->cap : 64;
        while (cap < base + n) cap *= 2;
        d->vals = fl_reallocarray(d->vals, cap, sizeof(*d->vals));
        d->cap = cap;
    }
    struct fl_pgo_value *v = d->vals + base;
    for (int i = 0; i < n && !rc; i++) {
        uint8_t k = 0;
        rc = u8(r, &k, "value kind");
        if (rc) break;
        v[i] = (struct fl_pgo_value){(char)k, NULL, 0};
        if (k == 't' || k == 'b') {
            rc = u32(r, &v[i].len, "value length");
            if (!rc) rc = take(r, v[i].len, &v[i].data, "value");
        } else if (k != 'n' && k != 'u') {
            rc = fl_errf(r->err, FL_ERR_CORRUPT,
                         "pgoutput %s: column %d: unknown value kind 0x%02x", r->what, i + 1, k);
        }
    }
    t->ncols = n;
    t->vals = v;
    return rc;
}

static fl_err_t relation(struct fl_pgo_decoder *d, struct rd *r, struct fl_pgo_msg *m) {
    uint8_t ident = 0;
    uint16_t n = 0;
    fl_err_t rc = u32(r, &m->relid, "oid");
    if (!rc) rc = str(r, &m->nspname, "namespace");
    if (!rc) rc = str(r, &m->name, "name");
    if (!rc) rc = u8(r, &ident, "replica identity");
    if (!rc) rc = u16(r, &n, "column count");
    if (rc) return rc;
    m->replident = (char)ident;
    /* a column takes at least 10 bytes: flags, name's NUL, oid, typmod */
    if ((size_t)(r->end - r->p) / 10 < n) return short_msg(r, "columns");
    if (n > d->ccap) {
        d->cols = fl_reallocarray(d->cols, n, sizeof(*d->cols));
        d->ccap = n;
    }
    for (int i = 0; i < n && !rc; i++) {
        struct fl_pgo_column *c = &d->cols[i];
        uint8_t flags = 0;
        uint32_t typmod = 0;
        rc = u8(r, &flags, "column flags");
        if (!rc) rc = str(r, &c->name, "column name");
        if (!rc) rc = u32(r, &c->type_oid, "column type");
        if (!rc) rc = u32(r, &typmod, "column typmod");
        c->key = flags & 1;
        c->typmod = (int32_t)typmod;
    }
    m->ncols = n;
    m->cols = d->cols;
    return rc;
}

static fl_err_t change(struct fl_pgo_decoder *d, struct rd *r, struct fl_pgo_msg *m) {
    fl_err_t rc = u32(r, &m->relid, "relation");
    uint8_t k = 0;
    if (!rc) rc = u8(r, &k, "tuple kind");
    if (rc) return rc;
    if (m->kind == 'I') {
        if (k != 'N')
            return fl_errf(r->err, FL_ERR_CORRUPT, "pgoutput Insert: tuple kind 0x%02x, not N", k);
        return tuple(d, r, 0, &m->new_tuple);
    }
    if (k == 'K' || k == 'O') {
        m->old_kind = (char)k;
        rc = tuple(d, r, 0, &m->old_tuple);
        if (rc || m->kind == 'D') return rc;
        rc = u8(r, &k, "new tuple kind");
        if (rc) return rc;
    } else if (m->kind == 'D') {
        return fl_errf(r->err, FL_ERR_CORRUPT, "pgoutput Delete: tuple kind 0x%02x, not K or O", k);
    }
    if (k != 'N')
        return fl_errf(r->err, FL_ERR_CORRUPT, "pgoutput Update: tuple kind 0x%02x, not N", k);
    return tuple(d, r, (size_t)m->old_tuple.ncols, &m->new_tuple);
}

static fl_err_t truncate_msg(struct fl_pgo_decoder *d, struct rd *r, struct fl_pgo_msg *m) {
    uint32_t n = 0;
    fl_err_t rc = u32(r, &n, "relation count");
    if (!rc) rc = u8(r, &m->flags, "options");
    if (rc) return rc;
    if ((size_t)(r->end - r->p) / 4 < n) return short_msg(r, "relations");
    if (n > d->rcap) {
        d->relids = fl_reallocarray(d->relids, n, sizeof(*d->relids));
        d->rcap = n;
    }
    for (uint32_t i = 0; i < n && !rc; i++) rc = u32(r, &d->relids[i], "relation");
    m->nrelids = (int)n;
    m->relids = d->relids;
    return rc;
}

fl_err_t fl_pgo_decode(struct fl_pgo_decoder *d, const uint8_t *buf, size_t len,
                       struct fl_pgo_msg *m, struct fl_error *err) {
    memset(m, 0, sizeof(*m));
    struct rd r = {buf, buf + len, "message", err};
    uint8_t k = 0;
    fl_err_t rc = u8(&r, &k, "kind");
    if (rc) return rc;
    m->kind = (char)k;
    int v2 = d->proto == 2;
    if (v2 && k && strchr("RYIUDTM", k) && d->in_stream) {
        /* v2 inside a stream block: the (sub)transaction's xid first */
        r.what = "streamed message";
        rc = u32(&r, &m->xid, "xid");
        if (rc) return rc;
        m->streamed = 1;
    } else if (v2 && k && strchr("BCcA", k) && d->in_stream) {
        return fl_errf(err, FL_ERR_CORRUPT, "pgoutput: message '%c' inside a stream block", k);
    }
    switch (k) {
    case 'S':
        if (!v2) goto unknown;
        r.what = "Stream Start";
        if (d->in_stream)
            return fl_errf(err, FL_ERR_CORRUPT, "pgoutput: Stream Start inside a stream block");
        rc = u32(&r, &m->xid, "xid");
        if (!rc) rc = u8(&r, &m->flags, "first segment");
        if (!rc) rc = at_end(&r);
        if (!rc) d->in_stream = 1;
        return rc;
    case 'E':
        if (!v2) goto unknown;
        r.what = "Stream Stop";
        if (!d->in_stream)
            return fl_errf(err, FL_ERR_CORRUPT, "pgoutput: Stream Stop outside a stream block");
        rc = at_end(&r);
        if (!rc) d->in_stream = 0;
        return rc;
    case 'c':
        if (!v2) goto unknown;
        r.what = "Stream Commit";
        rc = u32(&r, &m->xid, "xid");
        if (!rc) rc = u8(&r, &m->flags, "flags");
        if (!rc) rc = u64(&r, &m->lsn, "commit LSN");
        if (!rc) rc = u64(&r, &m->end_lsn, "end LSN");
        if (!rc) rc = ts(&r, &m->ts_us, "commit time");
        break;
    case 'A':
        if (!v2) goto unknown;
        r.what = "Stream Abort";
        rc = u32(&r, &m->xid, "xid");
        if (!rc) rc = u32(&r, &m->subxid, "subtransaction xid");
        break;
    case 'B':
        r.what = "Begin";
        rc = u64(&r, &m->lsn, "final LSN");
        if (!rc) rc = ts(&r, &m->ts_us, "commit time");
        if (!rc) rc = u32(&r, &m->xid, "xid");
        break;
    case 'C':
        r.what = "Commit";
        rc = u8(&r, &m->flags, "flags");
        if (!rc) rc = u64(&r, &m->lsn, "commit LSN");
        if (!rc) rc = u64(&r, &m->end_lsn, "end LSN");
        if (!rc) rc = ts(&r, &m->ts_us, "commit time");
        break;
    case 'O':
        r.what = "Origin";
        rc = u64(&r, &m->lsn, "commit LSN");
        if (!rc) rc = str(&r, &m->name, "name");
        break;
    case 'R':
        r.what = "Relation";
        rc = relation(d, &r, m);
        break;
    case 'Y':
        r.what = "Type";
        rc = u32(&r, &m->relid, "oid");
        if (!rc) rc = str(&r, &m->nspname, "namespace");
        if (!rc) rc = str(&r, &m->name, "name");
        break;
    case 'I':
        r.what = "Insert";
        rc = change(d, &r, m);
        break;
    case 'U':
        r.what = "Update";
        rc = change(d, &r, m);
        break;
    case 'D':
        r.what = "Delete";
        rc = change(d, &r, m);
        break;
    case 'T':
        r.what = "Truncate";
        rc = truncate_msg(d, &r, m);
        break;
    case 'M': {
        r.what = "Message";
        const uint8_t *c = NULL;
        rc = u8(&r, &m->flags, "flags");
        if (!rc) rc = u64(&r, &m->lsn, "LSN");
        if (!rc) rc = str(&r, &m->name, "prefix");
        if (!rc) rc = u32(&r, &m->content_len, "length");
        if (!rc) rc = take(&r, m->content_len, &c, "content");
        m->content = c;
        break;
    }
    default:
    unknown:
        return fl_errf(err, FL_ERR_CORRUPT, "pgoutput: unknown message kind 0x%02x (protocol %d)",
                       k, d->proto);
    }
    return rc ? rc : at_end(&r);
}

void fl_pg_lsn_format(uint64_t lsn, char *buf, size_t size) {
    snprintf(buf, size, "%" PRIX32 "/%" PRIX32, (uint32_t)(lsn >> 32), (uint32_t)lsn);
}

fl_err_t fl_pg_lsn_parse(const char *s, uint64_t *out, struct fl_error *err) {
    const char *slash = s ? strchr(s, '/') : NULL;
    if (!slash || slash == s || slash - s > 8 || !slash[1] || strlen(slash + 1) > 8)
        return fl_errf(err, FL_ERR_INVALID, "not an LSN: %s", s ? s : "(null)");
    uint64_t hi = 0, lo = 0;
    for (const char *p = s; *p; p++) {
        if (p == slash) continue;
        int c = (unsigned char)*p, v;
        if (c >= '0' && c <= '9')
            v = c - '0';
        else if (c >= 'a' && c <= 'f')
            v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v = c - 'A' + 10;
        else
            return fl_errf(err, FL_ERR_INVALID, "not an LSN: %s", s);
        if (p < slash)
            hi = hi << 4 | (uint64_t)v;
        else
            lo = lo << 4 | (uint64_t)v;
    }
    *out = hi << 32 | lo;
    return FL_OK;
}
