/*
 * cmd_sql.c - `floe sql`: SQL over the catalog's Iceberg tables.
 *
 *   floe sql [--data DIR | --warehouse URI [--catalog URI]] [--format table|csv|json|ndjson]
 *            [--no-header] [--timing] [--stats] [-f FILE | QUERY]
 *
 * --data DIR reads what `floe up --data DIR` writes: DIR/warehouse,
 * DIR/catalog.db, and the log DIR/log, whose topics are the tables
 * topic.NAME (each statement opens the log read-only: safe beside a
 * running floe up).
 *
 * The statements come from QUERY, from FILE, or from stdin; when stdin is
 * a terminal and neither is given, an interactive prompt with line
 * editing and history (libedit) reads them. Output is an aligned table
 * when stdout is a terminal, CSV otherwise, unless --format says. Errors
 * name the position in the query. The SQL engine is SQLite with floe's
 * virtual tables (src/sql/, docs/internals/sql.md).
 */
#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "cli/warehouse.h"
#include "core/mem.h"
#include "core/time.h"
#include "sql/sql.h"
#include "sql/sql_format.h"

#include <editline/readline.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCRIPT_MAX ((size_t)64 << 20)

struct opts {
    const char *warehouse, *catalog, *file, *query, *data;
    fl_sql_fmt_t fmt;
    int fmt_set, header, timing, stats;
};

static void usage(FILE *f) {
    fprintf(
        f,
        "usage: floe sql [--data DIR | --warehouse URI [--catalog URI]]\n"
        "                [--format table|csv|json|ndjson]\n"
        "                [--no-header] [--timing] [--stats] [-f FILE | QUERY]\n"
        "Runs SQL (SQLite's dialect) over the catalog's Iceberg tables: `t` for the default\n"
        "namespace, `ns.t` or \"ns.t\" otherwise; metadata tables \"t$snapshots\", \"t$history\",\n"
        "\"t$files\", \"t$manifests\", \"t$partitions\", \"t$refs\"; time travel t(SNAPSHOT_ID)\n"
        "or t(NULL, 'YYYY-MM-DD HH:MM:SS') or t FOR VERSION AS OF ID; a table by path:\n"
        "iceberg_scan('FOLDER|METADATA.json'). Format 3 tables have the hidden columns _row_id "
        "and\n"
        "_last_updated_sequence_number (row lineage, not in SELECT *); variants read as JSON "
        "text.\n"
        "Statements come from QUERY, -f FILE or stdin; with a\n"
        "terminal on stdin, a prompt (.help lists its commands).\n"
        "--data DIR: the data directory of `floe up --data DIR` (DIR/warehouse, DIR/catalog.db)\n"
        "and its log's topics as read-only tables topic.NAME (partition, offset, timestamp, key,\n"
        "value, headers).\n"
        "--stats prints each statement's Iceberg scan counters to stderr; --timing its time.\n"
        "Defaults: --warehouse $FLOE_WAREHOUSE or ./warehouse, --catalog $FLOE_CATALOG or\n"
        "sqlite:<warehouse>/catalog.db for a local warehouse.\n");
}

/* ---- running statements ---- */

static void flush(struct fl_buf *b) {
    if (b->len) fwrite(b->data, 1, b->len, stdout);
    fl_buf_reset(b);
}

/* Prints an error with the line of the query it points at and a caret. */
static void report_error(const char *all, const char *msg, int off) {
    if (off < 0) {
        fprintf(stderr, "floe sql: error: %s\n", msg);
        return;
    }
    size_t n = strlen(all);
    if ((size_t)off > n) off = (int)n;
    int line = 1;
    const char *bol = all;
    for (const char *p = all; p < all + off; p++)
        if (*p == '\n') line++, bol = p + 1;
    const char *eol = strchr(bol, '\n');
    if (!eol) eol = all + n;
    int col = (int)(all + off - bol) + 1;
    fprintf(stderr, "floe sql: error at line %d, column %d: %s\n  %.*s\n  %*s^\n", line, col, msg,
            (int)(eol - bol), bol, col - 1, "");
}

static void print_stats(struct fl_sql *sql) {
    struct fl_sql_stats s;
    fl_sql_stats_take(sql, &s);
    fprintf(stderr,
            "{\"scans\":%lld,\"count_only\":%lld,\"rows\":%lld,\"manifests_planned\":%lld,"
            "\"manifests_skipped\":%lld,\"files_planned\":%lld,\"files_skipped\":%lld,\"files_"
            "read\":%lld,"
            "\"row_groups_read\":%lld,\"row_groups_skipped\":%lld,\"pages_skipped\":%lld,"
            "\"log_records\":%lld}\n",
            (long long)s.scans, (long long)s.count_only, (long long)s.rows,
            (long long)s.ice.manifests_planned, (long long)s.ice.manifests_skipped,
            (long long)s.ice.files_planned, (long long)s.ice.files_skipped,
            (long long)s.ice.files_read, (long long)s.ice.row_groups_read,
            (long long)s.ice.row_groups_skipped, (long long)s.ice.pages_skipped,
            (long long)s.log_records);
}

/* Runs every statement of text; stops at the first error (returns 1). */
static int run(struct fl_sql *sql, const char *orig, const struct opts *o) {
    sqlite3 *db = fl_sql_db(sql);
    char *text = NULL;
    struct fl_error err = {0};
    if (fl_sql_text_prepare(sql, orig, &text, &err)) {
        fprintf(stderr, "floe sql: %s\n", err.msg);
        return 1;
    }
    /* error offsets hold in orig unless iceberg_scan calls were rewritten */
    const char *shown = strlen(text) == strlen(orig) ? orig : text;
    const char *p = text;
    struct fl_buf out;
    fl_buf_init(&out, FL_BUF_NOMAX);
    int status = 0;
    while (*p && !status) {
        sqlite3_stmt *stmt = NULL;
        const char *tail = NULL;
        int64_t t0 = fl_time_mono_us();
        struct fl_sql_stats drop;
        fl_sql_stats_take(sql, &drop);
        int rc = sqlite3_prepare_v2(db, p, -1, &stmt, &tail);
        if (rc != SQLITE_OK) {
            int off = sqlite3_error_offset(db);
            report_error(shown, sqlite3_errmsg(db), off < 0 ? -1 : (int)(p - text) + off);
            status = 1;
            break;
        }
        if (!stmt) { /* blank or a comment */
            p = tail;
            continue;
        }
        fl_sql_shortcut(sql, &stmt);
        struct fl_sql_out *fo = fl_sql_out_new(o->fmt, o->header);
        int began = 0;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            if (!began) fl_sql_out_begin(fo, stmt, &out), began = 1;
            if (fl_sql_out_row(fo, stmt, &out)) {
                fprintf(stderr,
                        "floe sql: too many rows for --format table; use csv, json or ndjson\n");
                rc = SQLITE_ABORT;
                break;
            }
            if (out.len > 65536) flush(&out);
        }
        if (rc == SQLITE_DONE) {
            if (!began && sqlite3_column_count(stmt) > 0)
                fl_sql_out_begin(fo, stmt, &out), began = 1;
            if (began) fl_sql_out_end(fo, &out);
            flush(&out);
        } else {
            flush(&out);
            if (rc != SQLITE_ABORT) {
                int off = sqlite3_error_offset(db);
                report_error(shown, sqlite3_errmsg(db), off < 0 ? -1 : (int)(p - text) + off);
            }
            status = 1;
        }
        fl_sql_out_free(fo);
        sqlite3_finalize(stmt);
        fflush(stdout);
        if (o->timing)
            fprintf(stderr, "Run Time: %.3f s\n", (double)(fl_time_mono_us() - t0) / 1e6);
        if (o->stats) print_stats(sql);
        p = tail;
    }
    fl_buf_fini(&out);
    fl_free(text);
    return status;
}

/* ---- interactive ---- */

static void repl_help(void) {
    printf(".help                this text\n"
           ".tables              the tables (metadata tables with .tables %%$%%)\n"
           ".schema TABLE        a table's columns\n"
           ".format FORMAT       table, csv, json or ndjson\n"
           ".timing on|off       print each statement's time\n"
           ".stats on|off        print each statement's Iceberg scan counters\n"
           ".quit                leave (also Ctrl-D)\n"
           "SQL statements end with ';'.\n");
}

/* A dot command; returns 1 to quit. */
static int repl_dot(struct fl_sql *sql, char *line, struct opts *o) {
    char *arg = line + strcspn(line, " \t");
    if (*arg) *arg++ = '\0';
    arg += strspn(arg, " \t");
    size_t al = strlen(arg);
    while (al && (arg[al - 1] == ' ' || arg[al - 1] == ';')) arg[--al] = '\0';
    if (!strcmp(line, ".quit") || !strcmp(line, ".exit")) return 1;
    if (!strcmp(line, ".help"))
        repl_help();
    else if (!strcmp(line, ".tables")) {
        char *q =
            sqlite3_mprintf("SELECT DISTINCT CASE WHEN schema IN ('main','temp') THEN name ELSE "
                            "schema || '.' || name END AS name "
                            "FROM pragma_table_list WHERE type = 'virtual' AND name LIKE %Q "
                            "AND (%d OR name NOT LIKE '%%$%%') "
                            "ORDER BY 1",
                            *arg ? arg : "%", *arg != 0);
        struct opts lo = *o;
        run(sql, q, &lo);
        sqlite3_free(q);
    } else if (!strcmp(line, ".schema") && *arg) {
        char *q = sqlite3_mprintf("SELECT name, type FROM pragma_table_info(%Q)", arg);
        run(sql, q, o);
        sqlite3_free(q);
    } else if (!strcmp(line, ".format") || !strcmp(line, ".mode")) {
        if (fl_sql_fmt_parse(arg, &o->fmt)) fprintf(stderr, "formats: table, csv, json, ndjson\n");
    } else if (!strcmp(line, ".timing"))
        o->timing = !strcmp(arg, "on");
    else if (!strcmp(line, ".stats"))
        o->stats = !strcmp(arg, "on");
    else
        fprintf(stderr, "unknown command %s (.help lists them)\n", line);
    return 0;
}

static int repl(struct fl_sql *sql, struct opts *o) {
    char hist[PATH_MAX] = "";
    const char *home = getenv("HOME");
    if (home && snprintf(hist, sizeof(hist), "%s/.floe_sql_history", home) >= (int)sizeof(hist))
        hist[0] = '\0'; /* a $HOME too long: no history rather than another file's */
    using_history();
    stifle_history(1000);
    if (hist[0]) read_history(hist);
    printf("floe sql %s: %d tables. .help for help, Ctrl-D to leave.\n", FLOE_VERSION,
           fl_sql_table_count(sql));
    struct fl_buf stmt;
    fl_buf_init(&stmt, SCRIPT_MAX);
    for (;;) {
        char *line = readline(stmt.len ? "   ...> " : "floe> ");
        if (!line) break;
        if (stmt.len == 0 && line[0] == '.') {
            add_history(line);
            int quit = repl_dot(sql, line, o);
            free(line);
            if (quit) break;
            continue;
        }
        if (stmt.len) fl_buf_append_u8(&stmt, '\n');
        fl_buf_append_str(&stmt, line);
        free(line);
        fl_buf_append_u8(&stmt, 0);
        stmt.len--;
        const char *text = (const char *)stmt.data;
        if (text[strspn(text, " \t\n")] == '\0') {
            fl_buf_reset(&stmt);
            continue;
        }
        if (!sqlite3_complete(text)) continue;
        add_history(text);
        run(sql, text, o);
        fl_buf_reset(&stmt);
    }
    printf("\n");
    if (hist[0]) write_history(hist);
    fl_buf_fini(&stmt);
    return 0;
}

/* ---- input ---- */

static char *read_all(FILE *f, const char *what, struct fl_error *err) {
    struct fl_buf b;
    fl_buf_init(&b, SCRIPT_MAX);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (fl_buf_append(&b, chunk, n)) {
            fl_errf(err, FL_ERR_LIMIT, "%s: larger than %zu bytes", what, SCRIPT_MAX);
            fl_buf_fini(&b);
            return NULL;
        }
    if (ferror(f)) {
        fl_errf(err, FL_ERR_IO, "%s: %s", what, strerror(errno));
        fl_buf_fini(&b);
        return NULL;
    }
    char *s = fl_strndup(b.data ? (const char *)b.data : "", b.len);
    fl_buf_fini(&b);
    return s;
}

static fl_err_t opt_format(void *target, const char *v, struct fl_error *err) {
    struct opts *o = target;
    if (fl_sql_fmt_parse(v, &o->fmt))
        return fl_errf(err, FL_ERR_INVALID, "expected table, csv, json or ndjson, got \"%s\"", v);
    o->fmt_set = 1;
    return FL_OK;
}

int fl_cli_sql(int argc, char **argv) {
    struct opts o = {.header = 1};
    int no_header = 0, npos;
    const char *pos[2];
    const struct fl_cli_opt opts[] = {
        {.name = "--warehouse", .kind = FL_CLI_STR, .target = &o.warehouse},
        {.name = "--data", .kind = FL_CLI_STR, .target = &o.data},
        {.name = "--catalog", .kind = FL_CLI_STR, .target = &o.catalog},
        {.name = "--file", .alias = "-f", .kind = FL_CLI_STR, .target = &o.file},
        {.name = "--format", .kind = FL_CLI_FN, .target = &o, .fn = opt_format},
        {.name = "--no-header", .kind = FL_CLI_FLAG, .target = &no_header},
        {.name = "--timing", .kind = FL_CLI_FLAG, .target = &o.timing},
        {.name = "--stats", .kind = FL_CLI_FLAG, .target = &o.stats},
        {0}};
    int orc = fl_cli_opts("sql", opts, argc, argv, pos, 2, &npos, usage);
    if (orc >= 0) return orc;
    if (npos > 1) {
        fprintf(stderr, "floe sql: give one QUERY (quote it)\n");
        return 2;
    }
    o.query = npos ? pos[0] : NULL;
    o.header = !no_header;
    if (o.query && o.file) {
        fprintf(stderr, "floe sql: give QUERY or -f FILE, not both\n");
        return 2;
    }
    if (!o.fmt_set) o.fmt = isatty(STDOUT_FILENO) ? FL_SQL_FMT_TABLE : FL_SQL_FMT_CSV;
    struct fl_error err = {0};
    struct fl_store *st = NULL;
    struct fl_catalog *cat = NULL;
    struct fl_sql *sql = NULL;
    char *text = NULL;
    int status = 1;
    if (o.file) {
        FILE *f = strcmp(o.file, "-") ? fopen(o.file, "r") : stdin;
        if (!f) {
            fprintf(stderr, "floe sql: %s: %s\n", o.file, strerror(errno));
            return 1;
        }
        text = read_all(f, o.file, &err);
        if (f != stdin) fclose(f);
        if (!text) goto out;
    } else if (!o.query && !isatty(STDIN_FILENO)) {
        if (!(text = read_all(stdin, "stdin", &err))) goto out;
    }
    char whbuf[PATH_MAX + 16], catbuf[PATH_MAX + 32], logdir[PATH_MAX + 8];
    if (o.data) {
        char abs[PATH_MAX];
        if (!realpath(o.data, abs)) {
            fprintf(stderr, "floe sql: --data %s: %s\n", o.data, strerror(errno));
            goto out;
        }
        snprintf(whbuf, sizeof(whbuf), "%s/warehouse", abs);
        snprintf(catbuf, sizeof(catbuf), "sqlite://%s/catalog.db", abs);
        snprintf(logdir, sizeof(logdir), "%s/log", abs);
        if (!o.warehouse) o.warehouse = whbuf;
        if (!o.catalog) o.catalog = catbuf;
    }
    if (fl_cli_warehouse_open(o.warehouse, o.catalog, &st, &cat, &err)) goto out;
    if (fl_sql_open_log(st, cat, NULL, o.data ? logdir : NULL, &sql, &err)) goto out;
    const char *w = fl_sql_warnings(sql);
    if (w[0]) fprintf(stderr, "floe sql: tables left out:\n%s", w);
    if (o.query)
        status = run(sql, o.query, &o);
    else if (text)
        status = run(sql, text, &o);
    else
        status = repl(sql, &o);
    err.code = FL_OK;
out:
    if (err.code) fprintf(stderr, "floe sql: %s\n", err.msg[0] ? err.msg : fl_err_name(err.code));
    fl_free(text);
    fl_sql_free(sql);
    fl_catalog_free(cat);
    fl_store_free(st);
    return status;
}
