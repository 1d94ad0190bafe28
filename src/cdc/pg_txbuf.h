/*
 * pg_txbuf.h - the records of PostgreSQL transactions not yet committed,
 * in bounded memory (issue 14: pgoutput v2 streaming of large
 * transactions).
 *
 * A txset holds the open transactions by xid: the one between Begin and
 * Commit, and every streamed one between its first Stream Start and its
 * Stream Commit or Abort (several may be open at once). Each txbuf is an
 * append-only sequence of records (table index, key, value, where the
 * commit time goes into the value, known only at commit for a streamed
 * transaction, and the caller's shape number). The records of all open transactions share one
 * memory budget; a transaction that would pass it moves its records to
 * a spill file "<dir>/<xid>.spill" and appends there from then on. A
 * Stream Abort of a subtransaction cuts its txbuf back to where that
 * subtransaction's first record starts (a subtransaction's changes
 * follow its first one until it ends, nested ones with it, as
 * PostgreSQL's own apply worker assumes); of the whole transaction,
 * drops it and its file. Spill files of an earlier process are removed
 * at start: the slot sends their transactions again, since their commit
 * was never confirmed.
 *
 * One thread (the source's replication thread) uses a txset.
 */
#ifndef FL_CDC_PG_TXBUF_H
#define FL_CDC_PG_TXBUF_H

#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

#define FL_TXBUF_NO_TS UINT32_MAX

/* A record read back. key NULL: a null key. ts_pos: where in value the
 * commit time (ms) goes, FL_TXBUF_NO_TS none. Points into the txbuf,
 * valid until the next read. */
struct fl_txrec {
    uint32_t table;
    const uint8_t *key;
    uint32_t key_len;
    const uint8_t *value;
    uint32_t value_len;
    uint32_t ts_pos;
    uint32_t shape; /* the caller's: which column set of the table encoded it */
};

struct fl_txset;
struct fl_txbuf;

/* A txset spilling into dir (made when missing) once its records pass
 * mem_limit bytes. Removes spill files left in dir. */
fl_err_t fl_txset_new(const char *dir, size_t mem_limit, struct fl_txset **out,
                      struct fl_error *err);
void fl_txset_free(struct fl_txset *set);
/* Drops every open transaction (a new replication session re-sends them). */
void fl_txset_clear(struct fl_txset *set);
/* The open transaction xid, made when missing (create 1) or NULL. */
struct fl_txbuf *fl_txset_get(struct fl_txset *set, uint32_t xid, int create);
/* Drops transaction xid (after its commit was handled) and its file. */
void fl_txset_drop(struct fl_txset *set, uint32_t xid);
/* Stream Abort: subxid == xid drops the transaction; else cuts it back
 * to before subtransaction subxid's first record (nothing when it has
 * none). An unknown xid is nothing (a transaction with no change for
 * floe). *dropped: how many records went. */
fl_err_t fl_txset_abort(struct fl_txset *set, uint32_t xid, uint32_t subxid, int64_t *dropped,
                        struct fl_error *err);
/* Bytes of records held in memory, and spilled to files, now. */
size_t fl_txset_mem(const struct fl_txset *set);
uint64_t fl_txset_spilled(const struct fl_txset *set);
int fl_txset_open_count(const struct fl_txset *set);

/* Appends a record of (sub)transaction subxid (the txbuf's xid for the
 * top level). FL_ERR_IO when the spill file cannot be written. */
fl_err_t fl_txbuf_add(struct fl_txbuf *tb, uint32_t subxid, const struct fl_txrec *rec,
                      struct fl_error *err);
int64_t fl_txbuf_count(const struct fl_txbuf *tb);
uint32_t fl_txbuf_xid(const struct fl_txbuf *tb);
int fl_txbuf_is_spilled(const struct fl_txbuf *tb);
/* Reads the records back in order: rewind, then next until it returns 0
 * (no more) or an error (the spill file unreadable or not what was
 * written: FL_ERR_CORRUPT). next returns 1 with rec filled. */
fl_err_t fl_txbuf_rewind(struct fl_txbuf *tb, struct fl_error *err);
int fl_txbuf_next(struct fl_txbuf *tb, struct fl_txrec *rec, fl_err_t *rc, struct fl_error *err);

#endif
