/*
 * test_store_local.c - unit tests for src/store's front and local-disk
 * backend: key checks, put/get/range/head/delete/list, put-if-absent
 * (also raced by threads), the streaming writer, and injected faults
 * (short writes, ENOSPC, fsync and rename failures) that must leave no
 * visible object and no temporary file behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/store.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
    char dir[64];
    char uri[96];
    struct fl_store *st;
    struct fl_store_faults faults;
};

static void rm_rf(const char *path) {
    DIR *d = opendir(path);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
            char sub[1400];
            snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
            rm_rf(sub);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* Number of ".floe-tmp-" files anywhere below path. */
static int count_tmp(const char *path) {
    DIR *d = opendir(path);
    if (!d) return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        if (!strncmp(de->d_name, ".floe-tmp-", 10)) n++;
        char sub[1400];
        snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
        n += count_tmp(sub);
    }
    closedir(d);
    return n;
}

static int setup(void **state) {
    struct fixture *fx = calloc(1, sizeof(*fx));
    strcpy(fx->dir, "/tmp/floe-store-XXXXXX");
    if (!mkdtemp(fx->dir)) return -1;
    snprintf(fx->uri, sizeof(fx->uri), "file://%s/wh", fx->dir);
    struct fl_store_opts opts = {.faults = &fx->faults};
    struct fl_error e;
    fl_err_clear(&e);
    if (fl_store_open(fx->uri, &opts, &fx->st, &e) != FL_OK) return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state) {
    struct fixture *fx = *state;
    fl_store_free(fx->st);
    rm_rf(fx->dir);
    free(fx);
    return 0;
}

static char *get_str(struct fl_store *st, const char *key) {
    struct fl_buf b;
    fl_buf_init(&b, 1 << 20);
    struct fl_error e;
    fl_err_clear(&e);
    if (fl_store_get(st, key, &b, 1 << 20, &e) != FL_OK) {
        fl_buf_fini(&b);
        return NULL;
    }
    fl_buf_append_u8(&b, 0);
    return (char *)b.data;
}

static void test_keys(void **state) {
    (void)state;
    struct fl_error e;
    const char *bad[] = {"",
                         "/abs",
                         "a//b",
                         "a/",
                         "../x",
                         "a/../b",
                         "a/./b",
                         ".",
                         "a\nb",
                         "a\tb",
                         "x/.floe-tmp-123",
                         "\x7f"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fl_err_clear(&e);
        assert_int_equal(fl_store_key_check(bad[i], &e), FL_ERR_INVALID);
    }
    const char *good[] = {"a",  "db/t/data/00000-0-x.parquet", "a b/c%d", "..a/b..", ".hidden",
                          "é/ü"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        fl_err_clear(&e);
        assert_int_equal(fl_store_key_check(good[i], &e), FL_OK);
    }
    char longk[1100];
    memset(longk, 'k', sizeof(longk));
    longk[1024] = '\0';
    assert_int_equal(fl_store_key_check(longk, &e), FL_OK);
    longk[1024] = 'k';
    longk[1025] = '\0';
    fl_err_clear(&e);
    assert_int_equal(fl_store_key_check(longk, &e), FL_ERR_INVALID);
}

static void test_open(void **state) {
    struct fixture *fx = *state;
    char want[128];
    snprintf(want, sizeof(want), "file://%s/wh/", fx->dir);
    assert_string_equal(fl_store_uri(fx->st), want);
    struct fl_error e;
    fl_err_clear(&e);
    struct fl_store *st;
    assert_int_equal(fl_store_open("file://relative", NULL, &st, &e), FL_ERR_INVALID);
    fl_err_clear(&e);
    assert_int_equal(fl_store_open("gs://b/x", NULL, &st, &e), FL_ERR_UNSUPPORTED);
    assert_non_null(strstr(e.msg, "unknown scheme"));
}

static void test_put_get(void **state) {
    struct fixture *fx = *state;
    struct fl_error e;
    fl_err_clear(&e);
    assert_int_equal(fl_store_put(fx->st, "db/t/data/a.txt", "hello world", 11, &e), FL_OK);
    char *s = get_str(fx->st, "db/t/data/a.txt");
    assert_string_equal(s, "hello world");
    free(s);
    uint64_t size = 0;
    assert_int_equal(fl_store_head(fx->st, "db/t/data/a.txt", &size, &e), FL_OK);
    assert_int_equal(size, 11);
    /* replace */
    assert_int_equal(fl_store_put(fx->st, "db/t/data/a.txt", "bye", 3, &e), FL_OK);
    s = get_str(fx->st, "db/t/data/a.txt");
    assert_string_equal(s, "bye");
    free(s);
    /* empty object */
    assert_int_equal(fl_store_put(fx->st, "empty", NULL, 0, &e), FL_OK);
    assert_int_equal(fl_store_head(fx->st, "empty", &size, &e), FL_OK);
    assert_int_equal(size, 0);
    /* absent */
    assert_int_equal(fl_store_head(fx->st, "nope", &size, &e), FL_ERR_NOTFOUND);
    fl_err_clear(&e);
    assert_int_equal(fl_store_head(fx->st, "db/t", &size, &e), FL_ERR_NOTFOUND); /* a dir */
    fl_err_clear(&e);
    assert_int_equal(fl_store_head(fx->st, "db/t/data/a.txt/x", &size, &e), FL_ERR_NOTFOUND);
    fl_err_clear(&e);
    struct fl_buf b;
    fl_buf_init(&b, 100);
    assert_int_equal(fl_store_get(fx->st, "nope", &b, 100, &e), FL_ERR_NOTFOUND);
    fl_err_clear(&e);
    /* too large for max: nothing read */
    assert_int_equal(fl_store_put(fx->st, "big", "0123456789", 10, &e), FL_OK);
    assert_int_equal(fl_store_get(fx->st, "big", &b, 9, &e), FL_ERR_LIMIT);
    assert_int_equal(b.len, 0);
    fl_buf_fini(&b);
    assert_int_equal(count_tmp(fx->dir), 0);
}

static void test_range(void **state) {
    struct fixture *fx = *state;
    struct fl_error e;
    fl_err_clear(&e);
    assert_int_equal(fl_store_put(fx->st, "r", "0123456789", 10, &e), FL_OK);
    struct fl_buf b;
    fl_buf_init(&b, 1000);
    assert_int_equal(fl_store_get_range(fx->st, "r", 2, 3, &b, &e), FL_OK);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "234", 3);
    fl_buf_reset(&b);
    assert_int_equal(fl_store_get_range(fx->st, "r", 8, 100, &b, &e), FL_OK);
    assert_int_equal(b.len, 2);
    assert_memory_equal(b.data, "89", 2);
    fl_buf_reset(&b);
    assert_int_equal(fl_store_get_range(fx->st, "r", 10, 1, &b, &e), FL_ERR_RANGE);
    fl_err_clear(&e);
    assert_int_equal(fl_store_get_range(fx->st, "r", UINT64_MAX - 1, 5, &b, &e), FL_ERR_RANGE);
    fl_err_clear(&e);
    assert_int_equal(fl_store_get_range(fx->st, "r", 3, 0, &b, &e), FL_OK);
    assert_int_equal(b.len, 0);
    fl_buf_fini(&b);
}

static void test_put_if_absent(void **state) {
    struct fixture *fx = *state;
    struct fl_error e;
    fl_err_clear(&e);
    assert_int_equal(fl_store_put_if_absent(fx->st, "m/v1.metadata.json", "{1}", 3, &e), FL_OK);
    assert_int_equal(fl_store_put_if_absent(fx->st, "m/v1.metadata.json", "{2}", 3, &e),
                     FL_ERR_EXISTS);
    assert_non_null(strstr(e.msg, "exists"));
    char *s = get_str(fx->st, "m/v1.metadata.json");
    assert_string_equal(s, "{1}");
    free(s);
    assert_int_equal(count_tmp(fx->dir), 0);
}

struct race {
    struct fl_store *st;
    int id;
    fl_err_t rc;
};

static void *race_main(void *arg) {
    struct race *r = arg;
    char body[16];
    snprintf(body, sizeof(body), "writer %d", r->id);
    struct fl_error e;
    fl_err_clear(&e);
    r->rc = fl_store_put_if_absent(r->st, "meta/v7.metadata.json", body, strlen(body), &e);
    return NULL;
}

static void test_put_if_absent_race(void **state) {
    struct fixture *fx = *state;
    struct fl_store *st;
    struct fl_error e;
    fl_err_clear(&e);
    struct fl_store_opts opts = {.no_fsync = true};
    assert_int_equal(fl_store_open(fx->uri, &opts, &st, &e), FL_OK);
    enum { N = 8 };
    pthread_t th[N];
    struct race r[N];
    for (int i = 0; i < N; i++) {
        r[i] = (struct race){.st = st, .id = i};
        assert_int_equal(pthread_create(&th[i], NULL, race_main, &r[i]), 0);
    }
    int won = -1, wins = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        if (r[i].rc == FL_OK) {
            wins++;
            won = i;
        } else {
            assert_int_equal(r[i].rc, FL_ERR_EXISTS);
        }
    }
    assert_int_equal(wins, 1);
    char want[32];
    snprintf(want, sizeof(want), "writer %d", won);
    char *s = get_str(st, "meta/v7.metadata.json");
    assert_string_equal(s, want);
    free(s);
    assert_int_equal(count_tmp(fx->dir), 0);
    fl_store_free(st);
}

static void test_delete(void **state) {
    struct fixture *fx = *state;
    struct fl_error e;
    fl_err_clear(&e);
    assert_int_equal(fl_store_put(fx->st, "d/x", "x", 1, &e), FL_OK);
    assert_int_equal(fl_store_delete(fx->st, "d/x", &e), FL_OK);
    assert_int_equal(fl_store_head(fx->st, "d/x", NULL, &e), FL_ERR_NOTFOUND);
    fl_err_clear(&e);
    assert_int_equal(fl_store_delete(fx->st, "d/x", &e), FL_OK);
    assert_int_equal(fl_store_delete(fx->st, "never/was", &e), FL_OK);
}

struct listed {
    char keys[16][64];
    uint64_t sizes[16];
    int n;
    int stop_after;
};

static fl_err_t list_cb(void *ctx, const char *key, uint64_t size) {
    struct listed *l = ctx;
    if (l->stop_after && l->n == l->stop_after) return FL_ERR_EOF;
    if (l->n == 16) return FL_ERR_LIMIT;
    snprintf(l->keys[l->n], sizeof(l->keys[0]), "%s", key);
    l->sizes[l->n++] = size;
    return FL_OK;
}

static void test_list(void **state) {
    struct fixture *fx = *state;
    struct fl_error e;
    fl_err_clear(&e);
    const char *keys[] = {"db/t/data/b.parquet",
                          "db/t/data/a.parquet",
                          "db/t/metadata/v1.json",
                          "db/t-2/x",
                          "db/t/data-old/z",
                          "a-c",
                          "a/b",
                          "top"};
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(fl_store_put(fx->st, keys[i], keys[i], strlen(keys[i]), &e), FL_OK);
    /* a stray temporary file and an empty directory are not objects */
    char tmp[256];
    snprintf(tmp, sizeof(tmp), "%s/wh/db/t/data/.floe-tmp-deadbeef", fx->dir);
    FILE *f = fopen(tmp, "w");
    fputs("partial", f);
    fclose(f);
    snprintf(tmp, sizeof(tmp), "%s/wh/db/empty", fx->dir);
    mkdir(tmp, 0755);

    struct listed l = {0};
    assert_int_equal(fl_store_list(fx->st, "", list_cb, &l, &e), FL_OK);
    assert_int_equal(l.n, 8);
    /* byte order, as S3: "a-c" < "a/b", "db/t-2/x" < "db/t/..." */
    assert_string_equal(l.keys[0], "a-c");
    assert_string_equal(l.keys[1], "a/b");
    assert_string_equal(l.keys[2], "db/t-2/x");
    assert_string_equal(l.keys[3], "db/t/data-old/z");
    assert_string_equal(l.keys[4], "db/t/data/a.parquet");
    assert_string_equal(l.keys[7], "top");
    assert_int_equal(l.sizes[7], 3);

    memset(&l, 0, sizeof(l));
    assert_int_equal(fl_store_list(fx->st, "db/t/data/", list_cb, &l, &e), FL_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.keys[0], "db/t/data/a.parquet");
    assert_string_equal(l.keys[1], "db/t/data/b.parquet");

    memset(&l, 0, sizeof(l)); /* a string prefix, not a directory */
    assert_int_equal(fl_store_list(fx->st, "db/t/da", list_cb, &l, &e), FL_OK);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.keys[0], "db/t/data-old/z");

    memset(&l, 0, sizeof(l));
    assert_int_equal(fl_store_list(fx->st, "db/t", list_cb, &l, &e), FL_OK);
    assert_int_equal(l.n, 5);

    memset(&l, 0, sizeof(l));
    assert_int_equal(fl_store_list(fx->st, "nothing/here/", list_cb, &l, &e), FL_OK);
    assert_int_equal(l.n, 0);
    assert_int_equal(fl_store_list(fx->st, "top/x", list_cb, &l, &e), FL_OK);
    assert_int_equal(l.n, 0);

    memset(&l, 0, sizeof(l)); /* the callback stops the listing */
    l.stop_after = 2;
    assert_int_equal(fl_store_list(fx->st, "", list_cb, &l, &e), FL_ERR_EOF);
    assert_int_equal(l.n, 2);
}

static void test_writer(void **state) {
    struct fixture *fx = *state;
    struct fl_error e;
    fl_err_clear(&e);
    struct fl_store_writer *w;
    assert_int_equal(fl_store_writer_open(fx->st, "big/file.bin", &w, &e), FL_OK);
    uint8_t chunk[4096];
    for (int i = 0; i < 64; i++) {
        memset(chunk, i, sizeof(chunk));
        assert_int_equal(fl_store_writer_write(w, chunk, sizeof(chunk), &e), FL_OK);
    }
    assert_int_equal(fl_store_head(fx->st, "big/file.bin", NULL, &e), FL_ERR_NOTFOUND);
    fl_err_clear(&e);
    struct listed l = {0};
    assert_int_equal(fl_store_list(fx->st, "big/", list_cb, &l, &e), FL_OK);
    assert_int_equal(l.n, 0);
    assert_int_equal(count_tmp(fx->dir), 1);
    assert_int_equal(fl_store_writer_commit(w, &e), FL_OK);
    uint64_t size;
    assert_int_equal(fl_store_head(fx->st, "big/file.bin", &size, &e), FL_OK);
    assert_int_equal(size, 64 * 4096);
    struct fl_buf b;
    fl_buf_init(&b, 1 << 20);
    assert_int_equal(fl_store_get_range(fx->st, "big/file.bin", 63 * 4096 - 1, 2, &b, &e), FL_OK);
    assert_int_equal(b.data[0], 62);
    assert_int_equal(b.data[1], 63);
    fl_buf_fini(&b);

    /* abort leaves nothing */
    assert_int_equal(fl_store_writer_open(fx->st, "big/aborted.bin", &w, &e), FL_OK);
    assert_int_equal(fl_store_writer_write(w, "abc", 3, &e), FL_OK);
    fl_store_writer_abort(w);
    assert_int_equal(fl_store_head(fx->st, "big/aborted.bin", NULL, &e), FL_ERR_NOTFOUND);
    assert_int_equal(count_tmp(fx->dir), 0);
}

/* ---- faults ---- */

static void test_fault_short_writes(void **state) {
    struct fixture *fx = *state;
    struct fl_error e;
    fl_err_clear(&e);
    fx->faults.short_writes = 1;
    char data[1000];
    for (size_t i = 0; i < sizeof(data); i++) data[i] = (char)('a' + i % 26);
    assert_int_equal(fl_store_put(fx->st, "s/short", data, sizeof(data), &e), FL_OK);
    assert_true(fx->faults.writes >= 10); /* halving 1000 bytes takes ~10 writes */
    fx->faults.short_writes = 0;
    struct fl_buf b;
    fl_buf_init(&b, 2000);
    assert_int_equal(fl_store_get(fx->st, "s/short", &b, 2000, &e), FL_OK);
    assert_int_equal(b.len, sizeof(data));
    assert_memory_equal(b.data, data, sizeof(data));
    fl_buf_fini(&b);
}

static void test_fault_enospc(void **state) {
    struct fixture *fx = *state;
    struct fl_error e;
    fl_err_clear(&e);
    assert_int_equal(fl_store_put(fx->st, "f/obj", "old", 3, &e), FL_OK);
    fx->faults.bytes_written = 0;
    fx->faults.enospc_after = 100;
    char data[500];
    memset(data, 'n', sizeof(data));
    /* a new key: nothing appears */
    assert_int_equal(fl_store_put(fx->st, "f/new", data, sizeof(data), &e), FL_ERR_LIMIT);
    assert_non_null(strstr(e.msg, "No space"));
    fl_err_clear(&e);
    assert_int_equal(fl_store_head(fx->st, "f/new", NULL, &e), FL_ERR_NOTFOUND);
    fl_err_clear(&e);
    /* a replaced key keeps its old bytes */
    assert_int_equal(fl_store_put(fx->st, "f/obj", data, sizeof(data), &e), FL_ERR_LIMIT);
    fl_err_clear(&e);
    assert_int_equal(fl_store_put_if_absent(fx->st, "f/meta", data, sizeof(data), &e),
                     FL_ERR_LIMIT);
    fl_err_clear(&e);
    fx->faults.enospc_after = 0;
    char *s = get_str(fx->st, "f/obj");
    assert_string_equal(s, "old");
    free(s);
    assert_int_equal(fl_store_head(fx->st, "f/meta", NULL, &e), FL_ERR_NOTFOUND);
    assert_int_equal(count_tmp(fx->dir), 0);

    /* the streaming writer: the failed write poisons it; abort cleans up */
    fl_err_clear(&e);
    fx->faults.bytes_written = 0;
    fx->faults.enospc_after = 700;
    struct fl_store_writer *w;
    assert_int_equal(fl_store_writer_open(fx->st, "f/stream", &w, &e), FL_OK);
    assert_int_equal(fl_store_writer_write(w, data, sizeof(data), &e), FL_OK);
    assert_int_equal(fl_store_writer_write(w, data, sizeof(data), &e), FL_ERR_LIMIT);
    fl_err_clear(&e);
    assert_int_equal(fl_store_writer_write(w, data, 1, &e), FL_ERR_INVALID);
    fl_err_clear(&e);
    assert_int_equal(fl_store_writer_commit(w, &e), FL_ERR_INVALID); /* frees w */
    fx->faults.enospc_after = 0;
    fl_err_clear(&e);
    assert_int_equal(fl_store_head(fx->st, "f/stream", NULL, &e), FL_ERR_NOTFOUND);
    assert_int_equal(count_tmp(fx->dir), 0);
}

static void test_fault_fsync(void **state) {
    struct fixture *fx = *state;
    struct fl_error e;
    fl_err_clear(&e);
    assert_int_equal(fl_store_put(fx->st, "y/old", "old", 3, &e), FL_OK);
    /* the data file's fsync is the first one of a put into an existing dir */
    fx->faults.fsyncs = 0;
    fx->faults.fsync_fail_at = 1;
    assert_int_equal(fl_store_put(fx->st, "y/new", "new", 3, &e), FL_ERR_IO);
    assert_non_null(strstr(e.msg, "fsync"));
    fl_err_clear(&e);
    assert_int_equal(fl_store_head(fx->st, "y/new", NULL, &e), FL_ERR_NOTFOUND);
    fl_err_clear(&e);
    fx->faults.fsyncs = 0;
    assert_int_equal(fl_store_put(fx->st, "y/old", "new", 3, &e), FL_ERR_IO);
    fl_err_clear(&e);
    char *s = get_str(fx->st, "y/old");
    assert_string_equal(s, "old");
    free(s);
    /* the writer's commit */
    fx->faults.fsyncs = 0;
    struct fl_store_writer *w;
    assert_int_equal(fl_store_writer_open(fx->st, "y/w", &w, &e), FL_OK);
    assert_int_equal(fl_store_writer_write(w, "abc", 3, &e), FL_OK);
    assert_int_equal(fl_store_writer_commit(w, &e), FL_ERR_IO);
    fl_err_clear(&e);
    assert_int_equal(fl_store_head(fx->st, "y/w", NULL, &e), FL_ERR_NOTFOUND);
    /* the directory's fsync after the rename: visible, but reported */
    fl_err_clear(&e);
    fx->faults.fsyncs = 0;
    fx->faults.fsync_fail_at = 2;
    assert_int_equal(fl_store_put(fx->st, "y/late", "x", 1, &e), FL_ERR_IO);
    assert_non_null(strstr(e.msg, "may not be durable"));
    fx->faults.fsync_fail_at = 0;
    assert_int_equal(count_tmp(fx->dir), 0);
}

static void test_fault_rename(void **state) {
    struct fixture *fx = *state;
    struct fl_error e;
    fl_err_clear(&e);
    fx->faults.renames = 0;
    fx->faults.rename_fail_at = 1;
    assert_int_equal(fl_store_put(fx->st, "z/a", "a", 1, &e), FL_ERR_IO);
    fl_err_clear(&e);
    fx->faults.renames = 0;
    assert_int_equal(fl_store_put_if_absent(fx->st, "z/b", "b", 1, &e), FL_ERR_IO);
    fl_err_clear(&e);
    fx->faults.rename_fail_at = 0;
    assert_int_equal(fl_store_head(fx->st, "z/a", NULL, &e), FL_ERR_NOTFOUND);
    fl_err_clear(&e);
    assert_int_equal(fl_store_head(fx->st, "z/b", NULL, &e), FL_ERR_NOTFOUND);
    assert_int_equal(count_tmp(fx->dir), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test_setup_teardown(test_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_if_absent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_if_absent_race, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_short_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_enospc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_fsync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_rename, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
