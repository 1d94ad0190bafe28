/*
 * catalog_pg.c - the PostgreSQL backend of the catalog (Debian's libpq),
 * so several floe workers on several machines share one catalog.
 *
 * How it works:
 * - catalog.c writes SQL with "?" placeholders; pg_rewrite turns each "?"
 *   outside quoted strings, quoted identifiers and comments into $1..$n
 *   and PQexecParams sends the parameters as text, so values never become
 *   part of the SQL text.
 * - Single statements run in autocommit at the session's isolation level
 *   (READ COMMITTED by default). That is enough for the compare-and-swap
 *   commit: a concurrent UPDATE ... WHERE metadata_location = expected
 *   waits for the row lock, then re-checks the WHERE on the committed row
 *   and touches 0 rows, so exactly one writer wins.
 * - begin() opens a SERIALIZABLE transaction, so catalog.c's
 *   read-then-write sequences (namespace create/drop, table create) are
 *   checked by PostgreSQL's serializable snapshot isolation. A
 *   serialization failure (SQLSTATE 40001) or deadlock (40P01) returns
 *   FL_ERR_CONFLICT, and catalog.c re-runs the whole transaction.
 * - A unique violation (23505) returns FL_ERR_EXISTS, as do 42P07 and
 *   42710 (what the loser of two concurrent CREATE TABLE IF NOT EXISTS
 *   may see); any other failure FL_ERR_IO with the server's message.
 * - Dropped connections: before each statement an idle connection is
 *   polled; if the server closed it (restart, pg_terminate_backend, an
 *   idle timeout) libpq sees the close and the driver reconnects once
 *   with the same parameters before sending. A connection lost while a
 *   statement was in flight is reconnected too; a SELECT outside a
 *   transaction is then re-sent, a statement inside a transaction returns
 *   FL_ERR_CONFLICT (the transaction was rolled back; catalog.c retries
 *   it), and a write outside a transaction returns FL_ERR_IO: it may or
 *   may not have been applied, and re-sending a compare-and-swap could
 *   report a conflict against the writer's own commit.
 *
 * One connection is used by one thread at a time (libpq's rule); each
 * floe worker thread opens its own catalog.
 */
#include "catalog/catalog_int.h"
#include "core/mem.h"

#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest SQL text catalog.c sends, after rewriting; a hard cap. */
#define PG_SQL_MAX 4096
#define PG_PARAMS_MAX 32

struct pg_conn {
    PGconn *pg;
    int in_txn; /* between begin() and commit()/rollback() */
};

/* Copies the connection's last error into err without libpq's trailing
 * newline. */
static fl_err_t pg_conn_err(PGconn *pg, struct fl_error *err, fl_err_t code, const char *what) {
    const char *m = pg ? PQerrorMessage(pg) : "out of memory";
    size_t n = strlen(m);
    while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' ')) n--;
    return fl_errf(err, code, "postgresql catalog: %s: %.*s", what, (int)n, m);
}

/* Rewrites "?" placeholders to $1..$n outside '...' strings, "..."
 * identifiers, -- and block comments. Returns the number of placeholders,
 * or -1 when the result would not fit outsz. */
static int pg_rewrite(const char *sql, char *out, size_t outsz) {
    size_t o = 0;
    int n = 0;
    char quote = 0;
    for (const char *s = sql; *s; s++) {
        char tmp[16];
        const char *emit = tmp;
        size_t len = 1;
        tmp[0] = *s;
        if (quote) {
            if (*s == quote) quote = 0; /* '' and "" re-open at once: same result */
        } else if (*s == '\'' || *s == '"') {
            quote = *s;
        } else if (s[0] == '-' && s[1] == '-') {
            const char *e = strchr(s, '\n');
            len = e ? (size_t)(e - s) : strlen(s);
            emit = s;
        } else if (s[0] == '/' && s[1] == '*') {
            const char *e = strstr(s + 2, "*/");
            len = e ? (size_t)(e + 2 - s) : strlen(s);
            emit = s;
        } else if (*s == '?') {
            len = (size_t)snprintf(tmp, sizeof(tmp), "$%d", ++n);
        }
        if (o + len >= outsz) return -1;
        memcpy(out + o, emit, len);
        o += len;
        if (emit == s) s += len - 1;
    }
    out[o] = '\0';
    return n;
}

/* True when the server has closed an idle connection: its socket is
 * readable and reading it ends the connection (libpq then reports
 * CONNECTION_BAD). A notice or notification keeps it alive. */
static int pg_idle_dropped(PGconn *pg) {
    /* A terminated backend sends a FATAL message, then closes: the first
     * read returns the message, a second one the end of the stream. */
    for (int i = 0; i < 4; i++) {
        if (PQstatus(pg) != CONNECTION_OK) return 1;
        struct pollfd pfd = {.fd = PQsocket(pg), .events = POLLIN};
        if (pfd.fd < 0) return 1;
        if (poll(&pfd, 1, 0) <= 0) return 0;
        if (!PQconsumeInput(pg)) return 1;
    }
    return PQstatus(pg) != CONNECTION_OK;
}

static fl_err_t pg_reconnect(struct pg_conn *pc, struct fl_error *err) {
    PQreset(pc->pg);
    if (PQstatus(pc->pg) != CONNECTION_OK) return pg_conn_err(pc->pg, err, FL_ERR_IO, "reconnect");
    return FL_OK;
}

static void pg_ignore_notice(void *arg, const char *message) {
    (void)arg;
    (void)message;
}

fl_err_t fl_catalog_pg_open(const char *uri, void **conn, struct fl_error *err) {
    PGconn *pg = PQconnectdb(uri);
    if (!pg || PQstatus(pg) != CONNECTION_OK) {
        fl_err_t rc = pg_conn_err(pg, err, FL_ERR_IO, "connect");
        PQfinish(pg);
        return rc;
    }
    /* Notices (e.g. "relation already exists, skipping") must not reach
     * stderr: library code never prints. */
    PQsetNoticeProcessor(pg, pg_ignore_notice, NULL);
    struct pg_conn *pc = fl_calloc(1, sizeof(*pc));
    pc->pg = pg;
    *conn = pc;
    return FL_OK;
}

/* Maps a failed result to an error code and message. */
static fl_err_t pg_result_err(PGresult *res, PGconn *pg, struct fl_error *err) {
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    fl_err_t code = FL_ERR_IO;
    /* unique_violation; duplicate_table and duplicate_object come from
     * two workers creating the catalog's tables at the same moment */
    if (state &&
        (strcmp(state, "23505") == 0 || strcmp(state, "42P07") == 0 || strcmp(state, "42710") == 0))
        code = FL_ERR_EXISTS;
    else if (state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0))
        code = FL_ERR_CONFLICT;
    if (!msg) return pg_conn_err(pg, err, code, "query");
    return fl_errf(err, code, "postgresql catalog: %s (SQLSTATE %s)", msg, state ? state : "?");
}

static int pg_is_select(const char *sql) {
    while (*sql == ' ' || *sql == '\n' || *sql == '\t') sql++;
    return strncasecmp(sql, "SELECT", 6) == 0;
}

/* Sends one statement; on a connection lost in flight, reconnects and
 * re-sends it when that is safe (see the header). *res gets the result
 * (NULL on out of memory) or stays NULL with an error set. */
static fl_err_t pg_run(struct pg_conn *pc, const char *sql, int nparams, const char *const *vals,
                       PGresult **res, struct fl_error *err) {
    *res = NULL;
    if (!pc->in_txn && pg_idle_dropped(pc->pg)) {
        fl_err_t rc = pg_reconnect(pc, err);
        if (rc) return rc;
    }
    for (int attempt = 0;; attempt++) {
        PGresult *r = PQexecParams(pc->pg, sql, nparams, NULL, vals, NULL, NULL, 0);
        if (PQstatus(pc->pg) == CONNECTION_OK) {
            *res = r;
            return FL_OK;
        }
        PQclear(r);
        struct fl_error lost = {0};
        pg_conn_err(pc->pg, &lost, FL_ERR_IO, "connection lost");
        fl_err_t rc = pg_reconnect(pc, err);
        if (rc) return rc;
        if (pc->in_txn) {
            pc->in_txn = 0;
            return fl_errf(err, FL_ERR_CONFLICT, "%s (transaction rolled back)", lost.msg);
        }
        if (attempt > 0 || !pg_is_select(sql))
            return fl_errf(err, FL_ERR_IO, "%s; the statement may or may not have been applied",
                           lost.msg);
    }
}

static fl_err_t pg_exec(void *conn, const char *sql, const char *const *params, int nparams,
                        fl_catalog_row_fn row, void *ctx, long *changes, struct fl_error *err) {
    struct pg_conn *pc = conn;
    char text[PG_SQL_MAX];
    int n = pg_rewrite(sql, text, sizeof(text));
    if (n < 0) return fl_errf(err, FL_ERR_LIMIT, "postgresql catalog: statement too long");
    if (n != nparams || nparams > PG_PARAMS_MAX)
        return fl_errf(err, FL_ERR_INVALID, "postgresql catalog: %d placeholders for %d parameters",
                       n, nparams);
    PGresult *res = NULL;
    fl_err_t rc = pg_run(pc, text, nparams, params, &res, err);
    if (rc) return rc;
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        rc = pg_result_err(res, pc->pg, err);
        PQclear(res);
        return rc;
    }
    if (row) {
        int nf = PQnfields(res), nt = PQntuples(res);
        if (nf > 16) nf = 16;
        for (int t = 0; t < nt; t++) {
            const char *cols[16];
            for (int f = 0; f < nf; f++)
                cols[f] = PQgetisnull(res, t, f) ? NULL : PQgetvalue(res, t, f);
            if (row(ctx, cols, nf)) break;
        }
    }
    if (changes) {
        const char *ct = PQcmdTuples(res);
        *changes = ct && *ct ? strtol(ct, NULL, 10) : 0;
    }
    PQclear(res);
    return FL_OK;
}

static fl_err_t pg_simple(struct pg_conn *pc, const char *sql, struct fl_error *err) {
    PGresult *res = NULL;
    fl_err_t rc = pg_run(pc, sql, 0, NULL, &res, err);
    if (rc) return rc;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) rc = pg_result_err(res, pc->pg, err);
    PQclear(res);
    return rc;
}

static fl_err_t pg_begin(void *conn, struct fl_error *err) {
    struct pg_conn *pc = conn;
    fl_err_t rc = pg_simple(pc, "BEGIN ISOLATION LEVEL SERIALIZABLE", err);
    if (!rc) pc->in_txn = 1;
    return rc;
}

/* A COMMIT that fails ends the transaction either way (PostgreSQL rolls
 * back); 40001 at commit time returns FL_ERR_CONFLICT. A connection lost
 * during COMMIT leaves the outcome unknown: FL_ERR_IO. */
static fl_err_t pg_commit(void *conn, struct fl_error *err) {
    struct pg_conn *pc = conn;
    PGresult *res = PQexec(pc->pg, "COMMIT");
    pc->in_txn = 0;
    fl_err_t rc = FL_OK;
    if (PQstatus(pc->pg) != CONNECTION_OK) {
        rc = pg_conn_err(pc->pg, err, FL_ERR_IO, "connection lost during COMMIT, outcome unknown");
        struct fl_error ignored = {0};
        pg_reconnect(pc, &ignored);
    } else if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = pg_result_err(res, pc->pg, err);
    }
    PQclear(res);
    return rc;
}

static void pg_rollback(void *conn) {
    struct pg_conn *pc = conn;
    pc->in_txn = 0;
    if (PQstatus(pc->pg) == CONNECTION_OK) PQclear(PQexec(pc->pg, "ROLLBACK"));
}

static void pg_close(void *conn) {
    struct pg_conn *pc = conn;
    PQfinish(pc->pg);
    fl_free(pc);
}

const struct fl_catalog_driver fl_catalog_pg_driver = {
    .name = "postgresql",
    .exec = pg_exec,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .close = pg_close,
};
