/*
 * window_pg.c - the PostgreSQL sink of a window step (see window_pg.h).
 *
 * How it works: at connect the table is created if absent and one
 * statement prepared:
 *   INSERT INTO t (c1..cn) VALUES ($1..$n)
 *   ON CONFLICT (keys, window_start) DO UPDATE SET c = EXCLUDED.c, ...
 * A write is BEGIN, the prepared statement once per row (parameters as
 * text, so values never become SQL text), COMMIT. If the connection is
 * lost anywhere in that (the server restarted, a network cut) the
 * transaction is gone on the server too: the sink reconnects after a
 * backoff (100 ms doubling to 2 s) and redoes the whole write, until
 * retry_ms has passed. Timestamps are written as UTC text into
 * TIMESTAMP columns (seed 001's type). Group columns are TEXT rather than
 * the seed's VARCHAR(255): a longer value would fail every retry of the
 * write and stop the pipeline; an existing table is used as it is.
 */
#include "pipeline/window_pg.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/time.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PG_COLS_MAX (FL_PIPE_WINDOW_MAX_KEYS + FL_PIPE_WINDOW_MAX_AGGS + 3)
#define PG_STMT "floe_window_upsert"

struct fl_pipe_pg {
    char *uri;
    PGconn *conn;
    char *create_sql, *insert_sql;
    int ncols;
    int src[PG_COLS_MAX]; /* result-schema column of each parameter */
    struct fl_buf vals;   /* the text of one row's parameters */
};

static void ignore_notice(void *arg, const char *message) {
    (void)arg;
    (void)message;
}

static fl_err_t conn_err(PGconn *c, struct fl_error *err, const char *what) {
    const char *m = c ? PQerrorMessage(c) : "out of memory";
    size_t n = strlen(m);
    while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' ')) n--;
    return fl_errf(err, FL_ERR_IO, "postgresql sink: %s: %.*s", what, (int)n, m);
}

/* Appends "name" quoted as an SQL identifier ("a.b" = schema a, table b
 * when dotted is set). */
static void put_ident(struct fl_buf *b, const char *name, bool dotted) {
    fl_buf_append_u8(b, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            fl_buf_append_str(b, "\"\"");
        else if (*p == '.' && dotted)
            fl_buf_append_str(b, "\".\"");
        else
            fl_buf_append_u8(b, (uint8_t)*p);
    }
    fl_buf_append_u8(b, '"');
}

static const char *pg_type(const struct fl_field *f) {
    switch (f->type) {
    case FL_TYPE_INT:
        return "INTEGER";
    case FL_TYPE_LONG:
        return "BIGINT";
    case FL_TYPE_DOUBLE:
        return "DOUBLE PRECISION";
    case FL_TYPE_DATE:
        return "DATE";
    case FL_TYPE_BOOLEAN:
        return "BOOLEAN";
    case FL_TYPE_TIMESTAMP:
    case FL_TYPE_TIMESTAMPTZ:
        return "TIMESTAMP";
    default:
        return "TEXT";
    }
}

static int col_of(const struct fl_schema *s, const char *name) {
    for (int i = 0; i < s->nfields; i++)
        if (!strcmp(s->fields[i].name, name)) return i;
    return -1;
}

fl_err_t fl_pipe_pg_new(const char *uri, const char *table, const struct fl_pipe_window_config *cfg,
                        const struct fl_schema *out, struct fl_pipe_pg **pgp,
                        struct fl_error *err) {
    /* seed 001's order: keys, value aggregates, window_start, window_end, counts, last_updated */
    const char *names[PG_COLS_MAX];
    int n = 0;
    for (int i = 0; i < cfg->nkey; i++) names[n++] = cfg->key[i];
    for (int i = 0; i < cfg->naggs; i++)
        if (cfg->aggs[i].fn != FL_PIPE_AGG_COUNT) names[n++] = cfg->aggs[i].as;
    names[n++] = "window_start";
    names[n++] = "window_end";
    for (int i = 0; i < cfg->naggs; i++)
        if (cfg->aggs[i].fn == FL_PIPE_AGG_COUNT) names[n++] = cfg->aggs[i].as;
    names[n++] = "last_updated";
    struct fl_pipe_pg *pg = fl_calloc(1, sizeof(*pg));
    pg->uri = fl_strdup(uri);
    pg->ncols = n;
    fl_buf_init(&pg->vals, FL_BUF_NOMAX);
    for (int i = 0; i < n; i++)
        if ((pg->src[i] = col_of(out, names[i])) < 0) {
            fl_pipe_pg_free(pg);
            return fl_errf(err, FL_ERR_INVALID,
                           "postgresql sink: the result table has no column %s", names[i]);
        }
    struct fl_buf c, ins, set;
    fl_buf_init(&c, FL_BUF_NOMAX);
    fl_buf_init(&ins, FL_BUF_NOMAX);
    fl_buf_init(&set, FL_BUF_NOMAX);
    fl_buf_append_str(&c, "CREATE TABLE IF NOT EXISTS ");
    put_ident(&c, table, true);
    fl_buf_append_str(&c, " (");
    fl_buf_append_str(&ins, "INSERT INTO ");
    put_ident(&ins, table, true);
    fl_buf_append_str(&ins, " (");
    for (int i = 0; i < n; i++) {
        bool key = i < cfg->nkey || !strcmp(names[i], "window_start");
        put_ident(&c, names[i], false);
        fl_buf_printf(&c, " %s%s%s, ", pg_type(&out->fields[pg->src[i]]), key ? " NOT NULL" : "",
                      !strcmp(names[i], "last_updated") ? " DEFAULT CURRENT_TIMESTAMP" : "");
        put_ident(&ins, names[i], false);
        if (i + 1 < n) fl_buf_append_str(&ins, ", ");
        if (!key) {
            if (set.len) fl_buf_append_str(&set, ", ");
            put_ident(&set, names[i], false);
            fl_buf_append_str(&set, " = EXCLUDED.");
            put_ident(&set, names[i], false);
        }
    }
    fl_buf_append_str(&ins, ") VALUES (");
    for (int i = 0; i < n; i++) fl_buf_printf(&ins, "%s$%d", i ? ", " : "", i + 1);
    fl_buf_append_str(&ins, ") ON CONFLICT (");
    fl_buf_append_str(&c, "PRIMARY KEY (");
    for (int i = 0; i <= cfg->nkey; i++) {
        const char *k = i < cfg->nkey ? cfg->key[i] : "window_start";
        put_ident(&ins, k, false);
        put_ident(&c, k, false);
        if (i < cfg->nkey) {
            fl_buf_append_str(&ins, ", ");
            fl_buf_append_str(&c, ", ");
        }
    }
    fl_buf_append_str(&c, "))");
    fl_buf_append_str(&ins, ") DO UPDATE SET ");
    fl_buf_append(&ins, set.data, set.len);
    fl_buf_append_u8(&c, 0);
    fl_buf_append_u8(&ins, 0);
    size_t len;
    pg->create_sql = (char *)fl_buf_detach(&c, &len);
    pg->insert_sql = (char *)fl_buf_detach(&ins, &len);
    fl_buf_fini(&c);
    fl_buf_fini(&ins);
    fl_buf_fini(&set);
    *pgp = pg;
    return FL_OK;
}

static fl_err_t exec_ok(struct fl_pipe_pg *pg, PGresult *res, struct fl_error *err,
                        const char *what) {
    fl_err_t rc = FL_OK;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
        rc = m ? fl_errf(err, FL_ERR_IO, "postgresql sink: %s: %s", what, m)
               : conn_err(pg->conn, err, what);
    }
    PQclear(res);
    return rc;
}

static fl_err_t connect_prepare(struct fl_pipe_pg *pg, struct fl_error *err) {
    pg->conn = PQconnectdb(pg->uri);
    if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) return conn_err(pg->conn, err, "connect");
    PQsetNoticeProcessor(pg->conn, ignore_notice, NULL);
    fl_err_t rc = exec_ok(pg, PQexec(pg->conn, pg->create_sql), err, "creating the table");
    if (!rc)
        rc = exec_ok(pg, PQprepare(pg->conn, PG_STMT, pg->insert_sql, pg->ncols, NULL), err,
                     "prepare");
    return rc;
}

/* The text of value `row` of c into pg->vals (NUL-terminated); the offset
 * of its start, or -1 for null. */
static ptrdiff_t put_value(struct fl_pipe_pg *pg, const struct fl_col *c, size_t row) {
    if (fl_col_is_null(c, row)) return -1;
    ptrdiff_t at = (ptrdiff_t)pg->vals.len;
    char tmp[48];
    size_t len;
    const uint8_t *v;
    switch (c->field->type) {
    case FL_TYPE_STRING:
        v = fl_col_bytes(c, row, &len);
        fl_buf_append(&pg->vals, v, len);
        break;
    case FL_TYPE_INT:
        fl_buf_printf(&pg->vals, "%d", ((const int32_t *)c->values)[row]);
        break;
    case FL_TYPE_LONG:
        fl_buf_printf(&pg->vals, "%lld", (long long)((const int64_t *)c->values)[row]);
        break;
    case FL_TYPE_DOUBLE:
        fl_buf_printf(&pg->vals, "%.17g", ((const double *)c->values)[row]);
        break;
    case FL_TYPE_BOOLEAN:
        fl_buf_append_str(&pg->vals, c->values[row] ? "true" : "false");
        break;
    case FL_TYPE_DATE:
        fl_time_format_date(((const int32_t *)c->values)[row], tmp, sizeof(tmp));
        fl_buf_append_str(&pg->vals, tmp);
        break;
    default: /* timestamps: "YYYY-MM-DD HH:MM:SS.ffffff" in UTC */
        fl_time_format_iso(((const int64_t *)c->values)[row], tmp, sizeof(tmp));
        len = strlen(tmp);
        if (len && tmp[len - 1] == 'Z') tmp[--len] = 0;
        if (len > 10 && tmp[10] == 'T') tmp[10] = ' ';
        fl_buf_append_str(&pg->vals, tmp);
        break;
    }
    fl_buf_append_u8(&pg->vals, 0);
    return at;
}

/* One attempt: BEGIN, a row at a time, COMMIT. */
static fl_err_t write_once(struct fl_pipe_pg *pg, const struct fl_batch *b, struct fl_error *err) {
    fl_err_t rc = exec_ok(pg, PQexec(pg->conn, "BEGIN"), err, "BEGIN");
    ptrdiff_t off[PG_COLS_MAX];
    const char *params[PG_COLS_MAX];
    for (size_t r = 0; r < b->nrows && !rc; r++) {
        fl_buf_reset(&pg->vals);
        for (int i = 0; i < pg->ncols; i++) off[i] = put_value(pg, &b->cols[pg->src[i]], r);
        for (int i = 0; i < pg->ncols; i++)
            params[i] = off[i] < 0 ? NULL : (const char *)pg->vals.data + off[i];
        rc = exec_ok(pg, PQexecPrepared(pg->conn, PG_STMT, pg->ncols, params, NULL, NULL, 0), err,
                     "upsert");
    }
    if (!rc) return exec_ok(pg, PQexec(pg->conn, "COMMIT"), err, "COMMIT");
    if (PQstatus(pg->conn) == CONNECTION_OK) PQclear(PQexec(pg->conn, "ROLLBACK"));
    return rc;
}

static void sleep_ms(int64_t ms) {
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

fl_err_t fl_pipe_pg_write(struct fl_pipe_pg *pg, const struct fl_batch *b, int64_t retry_ms,
                          struct fl_error *err) {
    if (b->nrows == 0) return FL_OK;
    int64_t deadline = fl_time_mono_us() + retry_ms * 1000, backoff = 100;
    for (;;) {
        fl_err_t rc;
        if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) {
            PQfinish(pg->conn);
            rc = connect_prepare(pg, err);
        } else {
            rc = FL_OK;
        }
        if (!rc) rc = write_once(pg, b, err);
        if (!rc) return FL_OK;
        /* only a lost connection is worth another try: the server's "no"
         * to a statement would be the same "no" again */
        if (PQstatus(pg->conn) == CONNECTION_OK) return rc;
        if (fl_time_mono_us() + backoff * 1000 > deadline) {
            fl_err_prefix(err, "gave up after %lld ms", (long long)retry_ms);
            return rc;
        }
        sleep_ms(backoff);
        backoff = backoff * 2 > 2000 ? 2000 : backoff * 2;
        fl_err_clear(err);
    }
}

void fl_pipe_pg_free(struct fl_pipe_pg *pg) {
    if (!pg) return;
    PQfinish(pg->conn);
    fl_free(pg->uri);
    fl_free(pg->create_sql);
    fl_free(pg->insert_sql);
    fl_buf_fini(&pg->vals);
    fl_free(pg);
}
