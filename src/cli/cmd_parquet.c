/*
 * cmd_parquet.c - `floe parquet schema|meta|cat|write`.
 *
 * schema: the file's Parquet schema tree and the Iceberg schema floe reads
 * it as; meta: footer, row groups, column chunks and statistics as JSON;
 * cat: rows as NDJSON (Iceberg single-value JSON forms); write: NDJSON
 * records into a Parquet file under an Iceberg schema, refusing the first
 * record that does not fit with its line, field and reason, and leaving
 * no output file behind when it fails.
 */
#include "batch/batch.h"
#include "batch/batch_json.h"
#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "core/buf.h"
#include "core/mem.h"
#include "format/parquet/codec.h"
#include "format/parquet/meta.h"
#include "format/parquet/reader.h"
#include "format/parquet/writer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WRITE_BATCH_ROWS 65536
#define NDJSON_LINE_MAX (64u << 20)

static void usage(FILE *f) {
    fprintf(
        f,
        "usage: floe parquet schema FILE\n"
        "       floe parquet meta FILE\n"
        "       floe parquet cat [--columns a,b,...] [--limit N] FILE\n"
        "       floe parquet write --schema SCHEMA.json [--codec C] [--page-version 1|2]\n"
        "                          [--encoding auto|plain|dict|delta] [--page-size BYTES]\n"
        "                          [--row-group-size BYTES] [--dict-max BYTES] [--no-page-index]\n"
        "                          [--kv KEY=VALUE]... IN.ndjson|- OUT.parquet\n"
        "codecs: uncompressed, snappy, gzip, zstd (default), lz4_raw\n");
}

static int fail(struct fl_error *err) {
    fprintf(stderr, "floe parquet: %s\n", err->msg[0] ? err->msg : fl_err_name(err->code));
    return 1;
}

static int cmd_schema(const char *path) {
    struct fl_error err = {0};
    struct fl_pq_reader *r = NULL;
    struct fl_buf out;
    fl_buf_init(&out, FL_BUF_NOMAX);
    int rc = 1;
    if (fl_pq_reader_open_file(path, &r, &err)) goto out;
    if (fl_pq_schema_to_text(fl_pq_reader_meta(r), &out)) goto out;
    fl_buf_append_str(&out, "\niceberg schema:\n");
    if (fl_pq_reader_schema(r) && fl_schema_to_json(fl_pq_reader_schema(r), &out)) goto out;
    fl_buf_append_u8(&out, '\n');
    fwrite(out.data, 1, out.len, stdout);
    rc = 0;
out:
    if (rc) fail(&err);
    fl_buf_fini(&out);
    fl_pq_reader_free(r);
    return rc;
}

static int cmd_meta(const char *path) {
    struct fl_error err = {0};
    struct fl_pq_reader *r = NULL;
    struct fl_buf out;
    fl_buf_init(&out, FL_BUF_NOMAX);
    int rc = 1;
    if (fl_pq_reader_open_file(path, &r, &err)) goto out;
    if (fl_pq_meta_to_json(fl_pq_reader_meta(r), &out)) goto out;
    fl_buf_append_u8(&out, '\n');
    fwrite(out.data, 1, out.len, stdout);
    rc = 0;
out:
    if (rc) fail(&err);
    fl_buf_fini(&out);
    fl_pq_reader_free(r);
    return rc;
}

/* Splits "a,b,c" into a NULL-terminated array; frees with fl_free of [0] and the array. */
static char **split_names(const char *s, int *n) {
    char *copy = fl_strdup(s);
    int cnt = 1;
    for (const char *p = s; *p; p++) cnt += *p == ',';
    char **names = fl_calloc((size_t)cnt + 1, sizeof(char *));
    int k = 0;
    for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) names[k++] = tok;
    if (k == 0) fl_free(copy);
    *n = k;
    return names;
}

static int cmd_cat(int argc, char **argv) {
    const char *columns = NULL, *path = NULL, *pos[1];
    int64_t limit = -1;
    int npos;
    const struct fl_cli_opt opts[] = {
        {.name = "--columns", .kind = FL_CLI_STR, .target = &columns},
        {.name = "--limit", .kind = FL_CLI_INT, .target = &limit, .lo = 0, .hi = INT64_MAX},
        {0}};
    int orc = fl_cli_opts("parquet cat", opts, argc, argv, pos, 1, &npos, usage);
    if (orc >= 0) return orc;
    if (!npos) {
        usage(stderr);
        return 2;
    }
    path = pos[0];
    struct fl_error err = {0};
    struct fl_pq_reader *r = NULL;
    struct fl_buf out;
    fl_buf_init(&out, FL_BUF_NOMAX);
    char **names = NULL;
    int nnames = 0, rc = 1;
    if (fl_pq_reader_open_file(path, &r, &err)) goto out;
    if (columns) {
        names = split_names(columns, &nnames);
        if (fl_pq_reader_project_names(r, (const char *const *)names, nnames, &err)) goto out;
    }
    long long printed = 0;
    for (;;) {
        struct fl_batch *batch = NULL;
        if (limit >= 0 && printed >= limit) break;
        fl_err_t e = fl_pq_reader_next(r, &batch, &err);
        if (e == FL_ERR_EOF) break;
        if (e) goto out;
        for (size_t row = 0; row < batch->nrows && (limit < 0 || printed < limit); row++) {
            fl_batch_row_to_json(batch, row, &out);
            fl_buf_append_u8(&out, '\n');
            printed++;
        }
        if (fwrite(out.data, 1, out.len, stdout) != out.len) {
            fl_errf(&err, FL_ERR_IO, "writing to stdout: %s", strerror(errno));
            goto out;
        }
        fl_buf_reset(&out);
    }
    rc = 0;
out:
    if (rc) fail(&err);
    if (names) {
        if (nnames) fl_free(names[0]);
        fl_free(names);
    }
    fl_buf_fini(&out);
    fl_pq_reader_free(r);
    return rc;
}

static int parse_size(const char *s, size_t *out) {
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s) return -1;
    if (*end == 'k' || *end == 'K')
        v <<= 10, end++;
    else if (*end == 'm' || *end == 'M')
        v <<= 20, end++;
    else if (*end == 'g' || *end == 'G')
        v <<= 30, end++;
    if (*end || v == 0) return -1;
    *out = (size_t)v;
    return 0;
}

static fl_err_t opt_codec(void *target, const char *v, struct fl_error *err) {
    struct fl_pq_writer_opts *opts = target;
    opts->codec = fl_pq_codec_parse(v);
    if (opts->codec < 0) return fl_errf(err, FL_ERR_INVALID, "unknown codec \"%s\"", v);
    return FL_OK;
}

static fl_err_t opt_encoding(void *target, const char *v, struct fl_error *err) {
    static const char *const names[] = {"auto", "plain", "dict", "delta"};
    static const fl_pq_enc_mode_t modes[] = {FL_PQ_MODE_AUTO, FL_PQ_MODE_PLAIN, FL_PQ_MODE_DICT,
                                             FL_PQ_MODE_DELTA};
    struct fl_pq_writer_opts *opts = target;
    for (int i = 0; i < 4; i++)
        if (!strcmp(v, names[i])) {
            opts->encoding = modes[i];
            return FL_OK;
        }
    return fl_errf(err, FL_ERR_INVALID, "expected auto, plain, dict or delta, got \"%s\"", v);
}

static fl_err_t opt_size(void *target, const char *v, struct fl_error *err) {
    if (parse_size(v, target))
        return fl_errf(err, FL_ERR_INVALID, "needs a size (as 8192, 64k, 1m), got \"%s\"", v);
    return FL_OK;
}

struct kvs {
    struct fl_pq_writer_kv kv[64];
    int nkv;
};

/* KEY=VALUE: split in argv's own string */
static fl_err_t opt_kv(void *target, const char *v, struct fl_error *err) {
    struct kvs *k = target;
    char *eq = strchr(v, '=');
    if (!eq || k->nkv == 64)
        return fl_errf(err, FL_ERR_INVALID, "wants KEY=VALUE (at most 64), got \"%s\"", v);
    *eq = '\0';
    k->kv[k->nkv].key = v;
    k->kv[k->nkv++].value = eq + 1;
    return FL_OK;
}

static int cmd_write(int argc, char **argv) {
    const char *schema_path = NULL, *in_path = NULL, *out_path = NULL, *pos[2];
    struct fl_pq_writer_opts opts;
    fl_pq_writer_opts_default(&opts);
    struct kvs kvs = {.nkv = 0};
    int64_t page_version = opts.page_version;
    int no_page_index = 0, npos;
    const struct fl_cli_opt table[] = {
        {.name = "--schema", .kind = FL_CLI_STR, .target = &schema_path},
        {.name = "--codec", .kind = FL_CLI_FN, .target = &opts, .fn = opt_codec},
        {.name = "--page-version", .kind = FL_CLI_INT, .target = &page_version, .lo = 1, .hi = 2},
        {.name = "--encoding", .kind = FL_CLI_FN, .target = &opts, .fn = opt_encoding},
        {.name = "--page-size", .kind = FL_CLI_FN, .target = &opts.page_size, .fn = opt_size},
        {.name = "--row-group-size",
         .kind = FL_CLI_FN,
         .target = &opts.row_group_size,
         .fn = opt_size},
        {.name = "--dict-max", .kind = FL_CLI_FN, .target = &opts.dict_max, .fn = opt_size},
        {.name = "--no-page-index", .kind = FL_CLI_FLAG, .target = &no_page_index},
        {.name = "--kv", .kind = FL_CLI_FN, .target = &kvs, .fn = opt_kv},
        {0}};
    int orc = fl_cli_opts("parquet write", table, argc, argv, pos, 2, &npos, usage);
    if (orc >= 0) return orc;
    opts.page_version = (int)page_version;
    if (no_page_index) opts.page_index = false;
    in_path = npos > 0 ? pos[0] : NULL;
    out_path = npos > 1 ? pos[1] : NULL;
    if (!schema_path || !in_path || !out_path) {
        usage(stderr);
        return 2;
    }
    struct fl_pq_writer_kv *kv = kvs.kv;
    int nkv = kvs.nkv;
    opts.kv = kv;
    opts.nkv = nkv;

    struct fl_error err = {0};
    struct fl_schema *schema = NULL;
    struct fl_batch *batch = NULL;
    struct fl_pq_writer *pqw = NULL;
    FILE *in = NULL;
    char *line = NULL;
    size_t linecap = 0;
    int rc = 1;
    char tmp_path[4096];
    if (snprintf(tmp_path, sizeof(tmp_path), "%s.tmp-%d", out_path, (int)getpid()) >=
        (int)sizeof(tmp_path)) {
        fprintf(stderr, "floe parquet write: output path too long\n");
        return 2;
    }

    if (fl_schema_load(schema_path, &schema, &err)) goto out;
    if (fl_batch_new(schema, WRITE_BATCH_ROWS, &batch, &err)) goto out;
    in = strcmp(in_path, "-") == 0 ? stdin : fopen(in_path, "r");
    if (!in) {
        fl_errf(&err, FL_ERR_IO, "%s: %s", in_path, strerror(errno));
        goto out;
    }
    if (fl_pq_writer_open_file(tmp_path, schema, &opts, &pqw, &err)) goto out;
    long long lineno = 0;
    ssize_t n;
    while ((n = getline(&line, &linecap, in)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
        size_t s = 0;
        while (s < (size_t)n && (line[s] == ' ' || line[s] == '\t')) s++;
        if (s == (size_t)n) continue; /* blank line */
        if ((size_t)n > NDJSON_LINE_MAX) {
            fl_errf(&err, FL_ERR_LIMIT, "%s line %lld: record longer than %u bytes", in_path,
                    lineno, NDJSON_LINE_MAX);
            goto out;
        }
        if (fl_batch_append_json(batch, line, (size_t)n, &err)) {
            fl_err_prefix(&err, "%s line %lld", in_path, lineno);
            goto out;
        }
        if (batch->nrows == WRITE_BATCH_ROWS) {
            if (fl_pq_writer_add_batch(pqw, batch, &err)) goto out;
            fl_batch_reset(batch);
        }
    }
    if (ferror(in)) {
        fl_errf(&err, FL_ERR_IO, "%s: %s", in_path, strerror(errno));
        goto out;
    }
    if (batch->nrows && fl_pq_writer_add_batch(pqw, batch, &err)) goto out;
    struct fl_pq_file_result res = {0};
    if (fl_pq_writer_close(pqw, &res, &err)) goto out;
    if (rename(tmp_path, out_path) != 0) {
        fl_errf(&err, FL_ERR_IO, "rename to %s: %s", out_path, strerror(errno));
        fl_pq_file_result_fini(&res);
        goto out;
    }
    fprintf(stderr, "floe parquet: wrote %lld rows in %d row groups, %lld bytes to %s\n",
            (long long)res.record_count, res.nrow_groups, (long long)res.file_size, out_path);
    fl_pq_file_result_fini(&res);
    rc = 0;
out:
    if (rc) {
        fail(&err);
        unlink(tmp_path);
    }
    fl_pq_writer_free(pqw);
    if (in && in != stdin) fclose(in);
    free(line);
    fl_batch_free(batch);
    fl_schema_free(schema);
    return rc;
}

int fl_cli_parquet(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "schema") == 0 || strcmp(sub, "meta") == 0) {
        const struct fl_cli_opt none[] = {{0}};
        const char *pos[1];
        int npos, orc = fl_cli_opts(sub[0] == 's' ? "parquet schema" : "parquet meta", none,
                                    argc - 1, argv + 1, pos, 1, &npos, usage);
        if (orc >= 0) return orc;
        if (npos == 1) return sub[0] == 's' ? cmd_schema(pos[0]) : cmd_meta(pos[0]);
    }
    if (strcmp(sub, "cat") == 0) return cmd_cat(argc - 1, argv + 1);
    if (strcmp(sub, "write") == 0) return cmd_write(argc - 1, argv + 1);
    usage(stderr);
    return 2;
}
