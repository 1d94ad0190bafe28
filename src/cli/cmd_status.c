/*
 * cmd_status.c - `floe status [--url URL]`: asks a running floe up for
 * GET /status (libcurl) and prints one line per pipeline: records in,
 * rejected (dead-lettered), committed rows, lag (log end offsets minus
 * consumed), last commit time, snapshots and data files of its table;
 * then one line per table floe writes: snapshots kept, live data files,
 * small ones (under a quarter of the target file size), files under
 * metadata/, and the last maintenance run (time, expired snapshots,
 * deleted files, result). Under a pipeline: the partitions this worker
 * owns (a Kafka source) and the last step's error, when there is one. --json prints the reply as it
 * came.
 */
#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "core/buf.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATUS_MAX_BYTES ((size_t)4 << 20)

static size_t collect(char *p, size_t size, size_t n, void *ctx) {
    struct fl_buf *b = ctx;
    return fl_buf_append(b, p, size * n) ? 0 : size * n;
}

static long long geti(json_t *o, const char *k) {
    return (long long)json_integer_value(json_object_get(o, k));
}

/* The tables as of their last maintenance run (-1: none yet). */
static void show_tables(json_t *tables) {
    if (!json_is_array(tables) || !json_array_size(tables)) return;
    printf("\n%-28s %9s %6s %6s %9s %-20s %8s %8s %s\n", "TABLE", "SNAPSHOTS", "FILES", "SMALL",
           "METADATA", "LAST MAINTENANCE", "EXPIRED", "DELETED", "RESULT");
    size_t i;
    json_t *t;
    json_array_foreach(tables, i, t) {
        const char *when = json_string_value(json_object_get(t, "last_run"));
        const char *res = json_string_value(json_object_get(t, "result"));
        int on = json_is_true(json_object_get(t, "maintenance"));
        if (geti(t, "last_run_ms") < 0) {
            printf("%-28s %9s %6s %6s %9s %-20s %8s %8s %s\n",
                   json_string_value(json_object_get(t, "table")), "-", "-", "-", "-",
                   !on                      ? "off"
                   : geti(t, "skipped") > 0 ? "another worker"
                                            : "not yet",
                   "-", "-", "");
            continue;
        }
        printf("%-28s %9lld %6lld %6lld %9lld %-20.19s %8lld %8lld %s (%lld ms)\n",
               json_string_value(json_object_get(t, "table")), geti(t, "snapshots"),
               geti(t, "data_files"), geti(t, "small_files"), geti(t, "metadata_files"),
               when && *when ? when : "-", geti(t, "expired"), geti(t, "deleted"), res ? res : "",
               geti(t, "duration_ms"));
    }
}

/* The change data capture sources: connection, confirmed LSN and the
 * bytes of WAL received past it, the age of the oldest change not yet in
 * Iceberg, transactions and changes read, the slot's health (its
 * wal_status, the server's WAL past the slot's confirmed LSN) and a
 * problem with it before the last error. */
static void show_sources(json_t *srcs) {
    if (!json_is_array(srcs) || !json_array_size(srcs)) return;
    printf("\n%-16s %-9s %-14s %12s %8s %8s %9s %9s %10s %-10s %12s %s\n", "SOURCE", "STATE",
           "CONFIRMED", "LAG_BYTES", "LAG_MS", "TXS", "CHANGES", "SNAPSHOT", "RECONNECTS", "SLOT",
           "SLOT_LAG", "LAST_ERROR");
    size_t i;
    json_t *s;
    json_array_foreach(srcs, i, s) {
        const char *name = json_string_value(json_object_get(s, "name"));
        const char *lsn = json_string_value(json_object_get(s, "confirmed_lsn"));
        const char *le = json_string_value(json_object_get(s, "last_error"));
        json_t *sl = json_object_get(s, "slot");
        const char *ws = json_string_value(json_object_get(sl, "wal_status"));
        const char *problem = json_string_value(json_object_get(sl, "problem"));
        const char *slot = !json_is_object(sl)                            ? "-"
                           : !json_is_true(json_object_get(sl, "exists")) ? "missing"
                           : ws && *ws                                    ? ws
                                                                          : "?";
        char slag[24] = "-";
        if (json_is_object(sl) && geti(sl, "lag_bytes") >= 0)
            snprintf(slag, sizeof(slag), "%lld", geti(sl, "lag_bytes"));
        printf("%-16s %-9s %-14s %12lld %8lld %8lld %9lld %9lld %10lld %-10s %12s %s%s%s\n",
               name ? name : "",
               json_is_true(json_object_get(s, "connected")) ? "streaming" : "down", lsn ? lsn : "",
               geti(s, "lag_bytes"), geti(s, "lag_ms"), geti(s, "txs"), geti(s, "changes"),
               geti(s, "snapshot_rows"), geti(s, "reconnects"), slot, slag, problem ? problem : "",
               problem && *problem && le && *le ? "; " : "", le ? le : "");
    }
}

static void status_usage(FILE *f) {
    fprintf(f, "usage: floe status [--url http://HOST:PORT] [--json]\n"
               "FLOE_API_KEY: the key to send (floe up with auth:, a read key)\n");
}

int fl_cli_status(int argc, char **argv) {
    const char *url = "http://127.0.0.1:8080", *pos[1];
    int raw = 0, npos;
    const struct fl_cli_opt opts[] = {{.name = "--url", .kind = FL_CLI_STR, .target = &url},
                                      {.name = "--json", .kind = FL_CLI_FLAG, .target = &raw},
                                      {0}};
    int orc = fl_cli_opts("status", opts, argc, argv, pos, 0, &npos, status_usage);
    if (orc >= 0) return orc;
    char full[2048];
    if (snprintf(full, sizeof(full), "%s/status", url) >= (int)sizeof(full)) {
        fprintf(stderr, "floe status: --url too long\n");
        return 2;
    }
    struct fl_buf body;
    fl_buf_init(&body, STATUS_MAX_BYTES);
    CURL *c = curl_easy_init();
    long code = 0;
    int rc = 1;
    curl_easy_setopt(c, CURLOPT_URL, full);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    const char *key = getenv("FLOE_API_KEY"); /* floe up with auth: a read key */
    if (key && *key) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
        curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, key);
    }
    CURLcode cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    json_t *o = NULL, *pipes;
    if (cc != CURLE_OK) {
        fprintf(stderr, "floe status: %s: %s\n", full, curl_easy_strerror(cc));
        goto out;
    }
    if (code != 200) {
        fprintf(stderr, "floe status: %s: HTTP %ld: %.*s\n", full, code, (int)body.len,
                (const char *)body.data);
        goto out;
    }
    if (raw) {
        printf("%.*s\n", (int)body.len, (const char *)body.data);
        rc = 0;
        goto out;
    }
    o = json_loadb((const char *)body.data, body.len, 0, NULL);
    pipes = json_object_get(o, "pipelines");
    if (!json_is_array(pipes)) {
        fprintf(stderr, "floe status: %s: not a status reply\n", full);
        goto out;
    }
    printf("%-16s %-28s %10s %9s %10s %8s %-20s %9s %6s\n", "PIPELINE", "TABLE", "IN", "REJECTED",
           "COMMITTED", "LAG", "LAST COMMIT", "SNAPSHOTS", "FILES");
    size_t i;
    json_t *p;
    json_array_foreach(pipes, i, p) {
        const char *when = json_string_value(json_object_get(p, "last_commit"));
        printf("%-16s %-28s %10lld %9lld %10lld %8lld %-20.19s %9lld %6lld\n",
               json_string_value(json_object_get(p, "name")),
               json_string_value(json_object_get(p, "table")), geti(p, "records_in"),
               geti(p, "rejected"), geti(p, "committed"), geti(p, "lag"),
               when && *when ? when : "-", geti(p, "snapshots"), geti(p, "files"));
        const char *parts = json_string_value(json_object_get(p, "partitions"));
        const char *error = json_string_value(json_object_get(p, "error"));
        if (parts) printf("  partitions: %s\n", parts); /* a Kafka source: this worker's */
        if (error) printf("  error: %s\n", error);
    }
    show_tables(json_object_get(o, "tables"));
    show_sources(json_object_get(o, "sources"));
    rc = 0;
out:
    json_decref(o);
    fl_buf_fini(&body);
    return rc;
}
