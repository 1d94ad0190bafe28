/*
 * pgoutput.h - decoding PostgreSQL's logical replication stream: the
 * replication CopyData frames (XLogData 'w', primary keepalive 'k') and
 * the pgoutput plugin's messages, protocol version 1 (Begin, Commit,
 * Origin, Relation, Type, Insert, Update, Delete, Truncate, Message; see
 * PostgreSQL's "Logical Replication Message Formats") and version 2,
 * which streams large in-progress transactions: Stream Start ('S', the
 * xid), Stream Stop ('E'), Stream Commit ('c') and Stream Abort ('A', a
 * subtransaction or the whole transaction), and inside a Start..Stop
 * block Relation, Type, Insert, Update, Delete, Truncate and Message
 * carry the xid of the (sub)transaction after their kind byte. The
 * decoder follows Start and Stop to know which messages carry it.
 *
 * Nothing read from the wire is trusted: every length, count and string
 * is checked against the bytes at hand; a malformed message is
 * FL_ERR_CORRUPT with what was wrong. Decoded strings and values point
 * into the message bytes (valid while they are); the tuple value arrays
 * live in the decoder and are reused by the next decode (no allocation
 * per message once they have grown).
 */
#ifndef FL_CDC_PGOUTPUT_H
#define FL_CDC_PGOUTPUT_H

#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

/* microseconds between 1970-01-01 and PostgreSQL's epoch, 2000-01-01 */
#define FL_PG_EPOCH_US 946684800000000LL

/* A replication CopyData frame. */
struct fl_pg_frame {
    char kind;            /* 'w' XLogData or 'k' keepalive */
    uint64_t wal_start;   /* 'w': where the message starts */
    uint64_t wal_end;     /* the server's WAL end */
    int64_t send_time_us; /* Unix microseconds */
    int reply_requested;  /* 'k' */
    const uint8_t *data;  /* 'w': the pgoutput message */
    size_t len;
};
fl_err_t fl_pg_frame_decode(const uint8_t *buf, size_t len, struct fl_pg_frame *out,
                            struct fl_error *err);

/* One column value of a tuple. kind: 'n' null, 'u' unchanged TOASTed
 * value (not sent: the row keeps its previous value), 't' text, 'b'
 * binary. */
struct fl_pgo_value {
    char kind;
    const uint8_t *data; /* 't', 'b' */
    uint32_t len;
};

struct fl_pgo_tuple {
    int ncols;
    const struct fl_pgo_value *vals;
};

struct fl_pgo_column {
    int key; /* part of the replica identity */
    const char *name;
    uint32_t type_oid;
    int32_t typmod;
};

struct fl_pgo_msg {
    char kind;           /* 'B','C','O','R','Y','I','U','D','T','M'; v2: 'S','E','c','A' */
    int streamed;        /* v2: inside a Stream Start..Stop block (xid is set) */
    uint32_t xid;        /* B, S, c, A: the (top) transaction; streamed: the (sub)transaction */
    uint32_t subxid;     /* A: the subtransaction aborted (== xid: the whole transaction) */
    uint64_t lsn;        /* B: final LSN; C, c: commit LSN; O: commit LSN; M: LSN */
    uint64_t end_lsn;    /* C, c */
    int64_t ts_us;       /* B, C, c: commit time, Unix microseconds */
    uint8_t flags;       /* C, c, M (1 = transactional); T: 1 cascade, 2 restart identity;
                            S: 1 = the transaction's first segment */
    uint32_t relid;      /* R, I, U, D; Y: the type's oid */
    const char *nspname; /* R, Y */
    const char *name;    /* R: relation, Y: type, O: origin, M: prefix */
    char replident;      /* R: 'd' default, 'n' nothing, 'f' full, 'i' index */
    int ncols;           /* R */
    const struct fl_pgo_column *cols;
    char old_kind; /* U, D: 'K' key, 'O' old row, 0 none */
    struct fl_pgo_tuple old_tuple, new_tuple;
    int nrelids; /* T */
    const uint32_t *relids;
    const uint8_t *content; /* M */
    uint32_t content_len;
};

struct fl_pgo_decoder;
struct fl_pgo_decoder *fl_pgo_decoder_new(void);
void fl_pgo_decoder_free(struct fl_pgo_decoder *d);
/* The protocol version the messages follow: 1 (the default) or 2. */
void fl_pgo_decoder_set_proto(struct fl_pgo_decoder *d, int proto);
/* Whether the decoder is inside a Stream Start..Stop block. */
int fl_pgo_decoder_in_stream(const struct fl_pgo_decoder *d);
/* Decodes one pgoutput message of the decoder's protocol version. A
 * stream message out of place (Start inside a block, Stop, Commit or
 * Begin... outside or inside one as the protocol forbids) is
 * FL_ERR_CORRUPT; the block state changes only on success. */
fl_err_t fl_pgo_decode(struct fl_pgo_decoder *d, const uint8_t *buf, size_t len,
                       struct fl_pgo_msg *out, struct fl_error *err);

/* "X/Y" text form of an LSN, as PostgreSQL prints it (buf >= 24 bytes);
 * and back (FL_ERR_INVALID when s is not one). */
void fl_pg_lsn_format(uint64_t lsn, char *buf, size_t size);
fl_err_t fl_pg_lsn_parse(const char *s, uint64_t *out, struct fl_error *err);

#endif
