/*
 * cmd_topic.c - `floe topic ...`: the durable log's topics from the shell.
 *
 *   create NAME [--partitions N] [--sync always|interval|never]
 *               [--retention-ms MS] [--retention-bytes B] [--segment-bytes B]
 *   alter NAME --partitions N      (adds partitions; never removes)
 *   list | describe NAME | delete NAME
 *   tail NAME [--partition P] [--from-beginning|--offset O|--time ISO]
 *             [--follow] [--max N]
 *
 * The log is --log-dir DIR, else $FLOE_LOG_DIR, else ./data/log. list,
 * describe and tail open it read-only, so they work beside a running
 * `floe up`; create, alter and delete need the log to themselves (the
 * writer's lock: beside a running floe up, Kafka's CreatePartitions
 * grows a topic instead, e.g. an AdminClient). tail prints one JSON
 * object a line: {"topic", "partition", "offset", "timestamp" (ms), "key"
 * (string or null), "value" (the JSON value when the bytes parse as
 * JSON, else a string)}; bytes that are not UTF-8 become U+FFFD. Without
 * a position tail starts at the end (as kafka-console-consumer);
 * --follow polls for new records (reopening the read-only view, which
 * also shows partitions added meanwhile, read from their start) until
 * interrupted.
 */
#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/time.h"
#include "log/log.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define POLL_US 200000

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) {
    (void)sig;
    interrupted = 1;
}

struct topts {
    const char *log_dir, *cmd, *name;
    struct fl_log_topic_config cfg;
    int partition; /* -1 = all */
    int from;      /* 0 end, 1 beginning, 2 offset, 3 time */
    int64_t offset, time_ms;
    int follow;
    int64_t max;
    bool given_partitions; /* --partitions was on the command line */
};

static void usage(FILE *f) {
    fprintf(f, "usage: floe topic [--log-dir DIR] COMMAND ...\n"
               "  create NAME [--partitions N] [--sync always|interval|never] [--retention-ms MS]\n"
               "              [--retention-bytes B] [--segment-bytes B]\n"
               "  alter NAME --partitions N   (adds partitions; a running floe up takes\n"
               "              Kafka's CreatePartitions instead)\n"
               "  list | describe NAME | delete NAME\n"
               "  tail NAME [--partition P] [--from-beginning|--offset O|--time ISO] [--follow] "
               "[--max N]\n"
               "The log is --log-dir, else $FLOE_LOG_DIR, else ./data/log.\n");
}

static int fail(const char *what, const struct fl_error *err) {
    fprintf(stderr, "floe topic: %s%s%s\n", what, what[0] ? ": " : "",
            err->msg[0] ? err->msg : fl_err_name(err->code));
    return 1;
}

static fl_err_t opt_sync(void *target, const char *v, struct fl_error *err) {
    static const char *const names[] = {"always", "interval", "never"};
    static const fl_log_sync_t modes[] = {FL_LOG_SYNC_ALWAYS, FL_LOG_SYNC_INTERVAL,
                                          FL_LOG_SYNC_NEVER};
    for (int i = 0; i < 3; i++)
        if (!strcmp(v, names[i])) {
            *(fl_log_sync_t *)target = modes[i];
            return FL_OK;
        }
    return fl_errf(err, FL_ERR_INVALID, "expected always, interval or never, got \"%s\"", v);
}

static fl_err_t opt_time(void *target, const char *v, struct fl_error *err) {
    struct topts *o = target;
    int64_t us;
    if (fl_time_parse_iso(v, strlen(v), &us) != FL_OK)
        return fl_errf(err, FL_ERR_INVALID, "\"%s\" is not an ISO-8601 time", v);
    o->from = 3;
    o->time_ms = us / 1000;
    return FL_OK;
}

static fl_err_t opt_offset(void *target, const char *v, struct fl_error *err) {
    struct topts *o = target;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end || x < 0)
        return fl_errf(err, FL_ERR_INVALID, "needs an offset (a number >= 0), got \"%s\"", v);
    o->from = 2;
    o->offset = x;
    return FL_OK;
}

/* Returns -1 to go on, else the exit code. */
static int parse(int argc, char **argv, struct topts *o) {
    memset(o, 0, sizeof(*o));
    fl_log_topic_config_default(&o->cfg);
    int64_t partitions = -1, partition = -1; /* -1: not given */
    o->max = -1;
    const struct fl_cli_opt opts[] = {
        {.name = "--log-dir", .kind = FL_CLI_STR, .target = &o->log_dir},
        {.name = "--follow", .alias = "-f", .kind = FL_CLI_FLAG, .target = &o->follow},
        {.name = "--from-beginning", .kind = FL_CLI_FLAG, .target = &o->from, .lo = 1},
        {.name = "--offset", .kind = FL_CLI_FN, .target = o, .fn = opt_offset},
        {.name = "--time", .kind = FL_CLI_FN, .target = o, .fn = opt_time},
        {.name = "--sync", .kind = FL_CLI_FN, .target = &o->cfg.sync, .fn = opt_sync},
        {.name = "--partitions",
         .kind = FL_CLI_INT,
         .target = &partitions,
         .lo = 1,
         .hi = FL_LOG_MAX_PARTITIONS},
        {.name = "--retention-ms", .kind = FL_CLI_INT, .target = &o->cfg.retention_ms},
        {.name = "--retention-bytes", .kind = FL_CLI_INT, .target = &o->cfg.retention_bytes},
        {.name = "--segment-bytes", .kind = FL_CLI_INT, .target = &o->cfg.segment_bytes},
        {.name = "--partition",
         .kind = FL_CLI_INT,
         .target = &partition,
         .lo = 0,
         .hi = FL_LOG_MAX_PARTITIONS - 1},
        {.name = "--max", .kind = FL_CLI_INT, .target = &o->max, .lo = 0, .hi = INT64_MAX},
        {0}};
    const char *pos[2];
    int npos;
    int rc = fl_cli_opts("topic", opts, argc, argv, pos, 2, &npos, usage);
    if (rc >= 0) return rc;
    o->given_partitions = partitions > 0;
    if (partitions > 0) o->cfg.partitions = (int)partitions;
    o->partition = (int)partition;
    o->cmd = npos > 0 ? pos[0] : NULL;
    o->name = npos > 1 ? pos[1] : NULL;
    if (!o->cmd) {
        usage(stderr);
        return 2;
    }
    if (strcmp(o->cmd, "list") != 0 && !o->name) {
        fprintf(stderr, "floe topic %s: needs a topic NAME\n", o->cmd);
        return 2;
    }
    return -1;
}

static fl_err_t open_log(const struct topts *o, bool ro, struct fl_log **log,
                         struct fl_error *err) {
    const char *dir = o->log_dir ? o->log_dir : getenv("FLOE_LOG_DIR");
    if (!dir || !dir[0]) dir = "data/log";
    if (!ro) {
        /* mkdir -p the parents: the log makes its own folder */
        char *p = fl_strdup(dir);
        for (char *s = p + 1; *s; s++)
            if (*s == '/') {
                *s = '\0';
                mkdir(p, 0755);
                *s = '/';
            }
        fl_free(p);
    }
    struct fl_log_opts opts;
    fl_log_opts_default(&opts);
    opts.dir = dir;
    opts.read_only = ro;
    opts.retention_check_ms = -1;
    fl_err_t rc = fl_log_open(&opts, log, err);
    if (rc) fl_err_prefix(err, "log %s: ", dir);
    return rc;
}

static int print_name(void *ctx, const char *topic) {
    (void)ctx;
    printf("%s\n", topic);
    return 0;
}

static const char *sync_name(fl_log_sync_t s) {
    return s == FL_LOG_SYNC_ALWAYS ? "always" : s == FL_LOG_SYNC_INTERVAL ? "interval" : "never";
}

static int describe(struct fl_log *log, const char *name) {
    struct fl_error err = {0};
    int n;
    struct fl_log_topic_config cfg;
    if (fl_log_topic_describe(log, name, &n, &cfg, NULL, 0, &err)) return fail("describe", &err);
    struct fl_log_partition_info *info = fl_calloc((size_t)n, sizeof(*info));
    if (fl_log_topic_describe(log, name, &n, &cfg, info, n, &err)) {
        fl_free(info);
        return fail("describe", &err);
    }
    json_t *parts = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(parts,
                              json_pack("{s:i, s:I, s:I, s:I, s:i}", "partition", i, "start_offset",
                                        (json_int_t)info[i].start_offset, "end_offset",
                                        (json_int_t)info[i].end_offset, "bytes",
                                        (json_int_t)info[i].bytes, "segments", info[i].segments));
    json_t *o =
        json_pack("{s:s, s:i, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "topic", name, "partitions",
                  n, "sync", sync_name(cfg.sync), "flush_interval_ms",
                  (json_int_t)cfg.flush_interval_ms, "retention_ms", (json_int_t)cfg.retention_ms,
                  "retention_bytes", (json_int_t)cfg.retention_bytes, "segment_bytes",
                  (json_int_t)cfg.segment_bytes, "segment_ms", (json_int_t)cfg.segment_ms,
                  "max_append_bytes", (json_int_t)cfg.max_append_bytes, "partition_info", parts);
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("%s\n", s);
    free(s);
    json_decref(o);
    fl_free(info);
    return 0;
}

/* Bytes as a JSON string, invalid UTF-8 replaced by U+FFFD. */
static json_t *bytes_str(const uint8_t *p, size_t len) {
    json_t *s = json_stringn((const char *)p, len);
    if (s) return s;
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    for (size_t i = 0; i < len;) {
        size_t n = p[i] < 0x80             ? 1
                   : (p[i] & 0xe0) == 0xc0 ? 2
                   : (p[i] & 0xf0) == 0xe0 ? 3
                   : (p[i] & 0xf8) == 0xf0 ? 4
                                           : 0;
        json_t *one = n && i + n <= len ? json_stringn((const char *)p + i, n) : NULL;
        if (one) {
            (void)fl_buf_append(&b, p + i, n);
            json_decref(one);
            i += n;
        } else {
            (void)fl_buf_append(&b, "\xef\xbf\xbd", 3);
            i++;
        }
    }
    s = json_stringn((const char *)b.data, b.len);
    fl_buf_fini(&b);
    return s ? s : json_string("");
}

static json_t *value_json(const uint8_t *p, size_t len) {
    if (!p) return json_null();
    json_error_t je;
    json_t *v = len ? json_loadb((const char *)p, len, JSON_DECODE_ANY, &je) : NULL;
    return v ? v : bytes_str(p, len);
}

/* Prints the records of one read from *pos on; returns how many. */
static long long print_batches(const char *topic, int p, const struct fl_buf *buf, int64_t from,
                               long long left, struct fl_error *err, fl_err_t *rc) {
    struct fl_log_batch_iter it;
    struct fl_log_decoded d;
    long long n = 0;
    fl_log_batch_iter_init(&it, buf->data, buf->len);
    while ((left < 0 || n < left) && (*rc = fl_log_batch_iter_next(&it, &d, err)) == FL_OK) {
        if (d.offset < from) continue;
        json_t *o =
            json_pack("{s:s, s:i, s:I, s:I, s:o, s:o}", "topic", topic, "partition", p, "offset",
                      (json_int_t)d.offset, "timestamp", (json_int_t)d.timestamp_ms, "key",
                      d.key ? bytes_str(d.key, d.key_len) : json_null(), "value",
                      value_json(d.value, d.value_len));
        char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
        printf("%s\n", s);
        free(s);
        json_decref(o);
        n++;
    }
    fl_log_batch_iter_fini(&it);
    if (*rc == FL_ERR_EOF) *rc = FL_OK;
    return n;
}

static int tail(const struct topts *o) {
    struct fl_error err = {0};
    struct fl_log *log = NULL;
    int status = 1, nparts = 0;
    int64_t *pos = NULL;
    struct fl_buf buf;
    fl_buf_init(&buf, (size_t)1 << 30);
    if (open_log(o, true, &log, &err)) {
        fail("", &err);
        goto out;
    }
    if (fl_log_topic_describe(log, o->name, &nparts, NULL, NULL, 0, &err)) {
        fail("tail", &err);
        goto out;
    }
    if (o->partition >= nparts) {
        fprintf(stderr, "floe topic tail: %s has %d partitions\n", o->name, nparts);
        goto out;
    }
    struct fl_log_partition_info *info = fl_calloc((size_t)nparts, sizeof(*info));
    (void)fl_log_topic_describe(log, o->name, &nparts, NULL, info, nparts, &err);
    pos = fl_calloc((size_t)nparts, sizeof(*pos));
    for (int p = 0; p < nparts; p++) {
        if (o->from == 0)
            pos[p] = info[p].end_offset;
        else if (o->from == 1)
            pos[p] = info[p].start_offset;
        else if (o->from == 2)
            pos[p] = o->offset < info[p].start_offset ? info[p].start_offset
                     : o->offset > info[p].end_offset ? info[p].end_offset
                                                      : o->offset;
        else if (fl_log_offset_for_time(log, o->name, p, o->time_ms, &pos[p], &err)) {
            fl_free(info);
            fail("tail", &err);
            goto out;
        }
    }
    fl_free(info);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    long long printed = 0;
    while (!interrupted && (o->max < 0 || printed < o->max)) {
        bool progress = false;
        for (int p = 0; p < nparts && (o->max < 0 || printed < o->max); p++) {
            if (o->partition >= 0 && p != o->partition) continue;
            fl_buf_reset(&buf);
            int64_t next;
            fl_err_t rc = fl_log_read(log, o->name, p, pos[p], 1 << 20, &buf, &next, &err);
            if (rc == FL_ERR_RANGE) {
                /* retention passed us by, or the topic was recreated: start over at its start */
                struct fl_log_partition_info *all = fl_calloc((size_t)nparts, sizeof(*all));
                fl_err_clear(&err);
                rc = fl_log_topic_describe(log, o->name, NULL, NULL, all, nparts, &err);
                int64_t start = all[p].start_offset;
                fl_free(all);
                if (rc) {
                    fail("tail", &err);
                    goto out;
                }
                pos[p] = start;
                progress = true;
                continue;
            }
            if (rc) {
                fail("tail", &err);
                goto out;
            }
            if (buf.len == 0) continue;
            long long n = print_batches(o->name, p, &buf, pos[p],
                                        o->max < 0 ? -1 : o->max - printed, &err, &rc);
            if (rc) {
                fail("tail", &err);
                goto out;
            }
            printed += n;
            pos[p] = next;
            progress = true;
        }
        fflush(stdout);
        if (progress) continue;
        if (!o->follow) break;
        usleep(POLL_US);
        /* a fresh read-only view shows what the writer added since */
        fl_log_close(log);
        log = NULL;
        if (open_log(o, true, &log, &err)) {
            fail("", &err);
            goto out;
        }
        int n2;
        if (fl_log_topic_describe(log, o->name, &n2, NULL, NULL, 0, &err)) {
            fail("tail", &err);
            goto out;
        }
        if (n2 > nparts) { /* partitions added: everything in them is new */
            pos = fl_reallocarray(pos, (size_t)n2, sizeof(*pos));
            for (int p = nparts; p < n2; p++) pos[p] = 0;
            nparts = n2;
        }
    }
    status = 0;
out:
    fl_buf_fini(&buf);
    fl_free(pos);
    fl_log_close(log);
    return status;
}

int fl_cli_topic(int argc, char **argv) {
    struct topts o;
    int r = parse(argc, argv, &o);
    if (r >= 0) return r;
    struct fl_error err = {0};
    struct fl_log *log = NULL;
    int status = 1;
    if (!strcmp(o.cmd, "tail")) return tail(&o);
    bool ro = !strcmp(o.cmd, "list") || !strcmp(o.cmd, "describe");
    if (!ro && strcmp(o.cmd, "create") != 0 && strcmp(o.cmd, "delete") != 0 &&
        strcmp(o.cmd, "alter") != 0) {
        fprintf(stderr, "floe topic: unknown command \"%s\"\n", o.cmd);
        usage(stderr);
        return 2;
    }
    if (!strcmp(o.cmd, "alter") && !o.given_partitions) {
        fprintf(stderr, "floe topic alter: needs --partitions N (the new, larger count)\n");
        return 2;
    }
    if (open_log(&o, ro, &log, &err)) return fail("", &err);
    if (!strcmp(o.cmd, "list")) {
        status = fl_log_topic_list(log, print_name, NULL, &err) ? fail("list", &err) : 0;
    } else if (!strcmp(o.cmd, "describe")) {
        status = describe(log, o.name);
    } else if (!strcmp(o.cmd, "create")) {
        if (fl_log_topic_create(log, o.name, &o.cfg, &err)) {
            status = fail("create", &err);
        } else {
            printf("created topic %s (%d partition%s, sync %s)\n", o.name, o.cfg.partitions,
                   o.cfg.partitions == 1 ? "" : "s", sync_name(o.cfg.sync));
            status = 0;
        }
    } else if (!strcmp(o.cmd, "alter")) {
        int before = 0;
        if (fl_log_topic_add_partitions(log, o.name, o.cfg.partitions, false, &before, &err)) {
            status = fail("alter", &err);
        } else {
            printf("topic %s: %d partitions (was %d)\n", o.name, o.cfg.partitions, before);
            status = 0;
        }
    } else {
        if (fl_log_topic_delete(log, o.name, &err))
            status = fail("delete", &err);
        else {
            printf("deleted topic %s\n", o.name);
            status = 0;
        }
    }
    fl_log_close(log);
    return status;
}
