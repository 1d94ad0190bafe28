/*
 * store.c - the front of src/store: opens a backend by URI scheme,
 * validates keys and arguments once for all backends, and calls through
 * the backend's table of function pointers (store_int.h).
 */
#include "store/store.h"

#include "core/mem.h"
#include "store/store_int.h"

#include <string.h>

fl_err_t fl_store_open(const char *uri, const struct fl_store_opts *opts, struct fl_store **out,
                       struct fl_error *err) {
    static const struct fl_store_opts no_opts;
    *out = NULL;
    if (!uri) return fl_errf(err, FL_ERR_INVALID, "store: no URI");
    if (!opts) opts = &no_opts;
    if (strncmp(uri, "file://", 7) == 0) {
        if (uri[7] != '/')
            return fl_errf(err, FL_ERR_INVALID,
                           "store: %s: a file URI needs an absolute path (file:///dir)", uri);
        return fl_store_local_open(uri + 7, opts, out, err);
    }
    if (strncmp(uri, "s3://", 5) == 0 || strncmp(uri, "s3a://", 6) == 0)
        return fl_store_s3_open(strchr(uri, ':') + 3, opts, out, err);
    return fl_errf(err, FL_ERR_UNSUPPORTED,
                   "store: %s: unknown scheme (want file:///dir or s3://bucket/prefix)", uri);
}

fl_err_t fl_store_open_sibling(const struct fl_store *st, const char *uri, struct fl_store **out,
                               struct fl_error *err) {
    *out = NULL;
    const char *scheme = st->ops->scheme;
    size_t sl = strlen(scheme);
    if (strncmp(uri, scheme, sl) != 0 || strncmp(uri + sl, "://", 3) != 0 || !st->ops->sibling)
        return fl_errf(err, FL_ERR_UNSUPPORTED,
                       "store: %s is not on the warehouse's kind of store (%s://)", uri, scheme);
    const char *rest = uri + sl + 3;
    if (!strcmp(scheme, "file") && rest[0] != '/')
        return fl_errf(err, FL_ERR_INVALID, "store: %s: a file URI needs an absolute path", uri);
    return st->ops->sibling(st, rest, out, err);
}

void fl_store_free(struct fl_store *st) {
    if (st) st->ops->free(st);
}

const char *fl_store_uri(const struct fl_store *st) { return st->uri; }

fl_err_t fl_store_key_check(const char *key, struct fl_error *err) {
    if (!key || !key[0]) return fl_errf(err, FL_ERR_INVALID, "store: empty key");
    size_t n = strnlen(key, FL_STORE_KEY_MAX + 1);
    if (n > FL_STORE_KEY_MAX)
        return fl_errf(err, FL_ERR_INVALID, "store: key longer than %d bytes", FL_STORE_KEY_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c < 0x20 || c == 0x7f)
            return fl_errf(err, FL_ERR_INVALID, "store: key has a control byte at %zu", i);
    }
    /* component by component: no empty, ".", ".." or temp-file names */
    const char *p = key;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t clen = slash ? (size_t)(slash - p) : strlen(p);
        if (clen == 0)
            return fl_errf(err, FL_ERR_INVALID, "store: key \"%.64s\" has an empty component", key);
        if ((clen == 1 && p[0] == '.') || (clen == 2 && p[0] == '.' && p[1] == '.'))
            return fl_errf(err, FL_ERR_INVALID, "store: key \"%.64s\" has a . or .. component",
                           key);
        if (clen >= 10 && memcmp(p, ".floe-tmp-", 10) == 0)
            return fl_errf(err, FL_ERR_INVALID, "store: key \"%.64s\" names a temporary file", key);
        if (!slash) break;
        p = slash + 1;
    }
    return FL_OK;
}

/* A key with its prefix in error messages. */
static fl_err_t key_ok(struct fl_store *st, const char *key, struct fl_error *err) {
    fl_err_t rc = fl_store_key_check(key, err);
    if (rc) fl_err_prefix(err, "%s", st->uri);
    return rc;
}

fl_err_t fl_store_put(struct fl_store *st, const char *key, const void *data, size_t len,
                      struct fl_error *err) {
    fl_err_t rc = key_ok(st, key, err);
    if (rc) return rc;
    if (!data && len) return fl_errf(err, FL_ERR_INVALID, "store: put of NULL data");
    return st->ops->put(st, key, data, len, false, err);
}

fl_err_t fl_store_put_if_absent(struct fl_store *st, const char *key, const void *data, size_t len,
                                struct fl_error *err) {
    fl_err_t rc = key_ok(st, key, err);
    if (rc) return rc;
    if (!data && len) return fl_errf(err, FL_ERR_INVALID, "store: put of NULL data");
    return st->ops->put(st, key, data, len, true, err);
}

fl_err_t fl_store_get(struct fl_store *st, const char *key, struct fl_buf *out, size_t max,
                      struct fl_error *err) {
    fl_err_t rc = key_ok(st, key, err);
    if (rc) return rc;
    return st->ops->get(st, key, true, 0, max, out, err);
}

fl_err_t fl_store_get_range(struct fl_store *st, const char *key, uint64_t off, size_t len,
                            struct fl_buf *out, struct fl_error *err) {
    fl_err_t rc = key_ok(st, key, err);
    if (rc) return rc;
    if (len == 0) return FL_OK;
    if (off > UINT64_MAX - len)
        return fl_errf(err, FL_ERR_RANGE, "store: range %llu+%zu overflows",
                       (unsigned long long)off, len);
    return st->ops->get(st, key, false, off, len, out, err);
}

fl_err_t fl_store_head(struct fl_store *st, const char *key, uint64_t *size, struct fl_error *err) {
    fl_err_t rc = key_ok(st, key, err);
    if (rc) return rc;
    uint64_t dummy;
    return st->ops->head(st, key, size ? size : &dummy, err);
}

fl_err_t fl_store_delete(struct fl_store *st, const char *key, struct fl_error *err) {
    fl_err_t rc = key_ok(st, key, err);
    if (rc) return rc;
    return st->ops->del(st, key, err);
}

static fl_err_t prefix_ok(const char *prefix, struct fl_error *err) {
    size_t n = strnlen(prefix, FL_STORE_KEY_MAX + 1);
    if (n > FL_STORE_KEY_MAX) return fl_errf(err, FL_ERR_INVALID, "store: list prefix too long");
    bool bad = prefix[0] == '/';
    for (size_t i = 0; i < n && !bad; i++)
        bad = (unsigned char)prefix[i] < 0x20 || prefix[i] == 0x7f;
    if (bad) return fl_errf(err, FL_ERR_INVALID, "store: bad list prefix \"%.64s\"", prefix);
    return FL_OK;
}

struct list_adapter {
    fl_store_list_fn cb;
    void *ctx;
};

static fl_err_t list_adapt(void *ctx, const struct fl_store_obj *obj) {
    struct list_adapter *a = ctx;
    return a->cb(a->ctx, obj->key, obj->size);
}

fl_err_t fl_store_list(struct fl_store *st, const char *prefix, fl_store_list_fn cb, void *ctx,
                       struct fl_error *err) {
    if (!prefix) prefix = "";
    fl_err_t rc = prefix_ok(prefix, err);
    if (rc) return rc;
    if (!cb) return fl_errf(err, FL_ERR_INVALID, "store: list without callback");
    struct list_adapter a = {cb, ctx};
    return st->ops->scan(st, prefix, 0, list_adapt, &a, err);
}

fl_err_t fl_store_scan(struct fl_store *st, const char *prefix, unsigned flags, fl_store_scan_fn cb,
                       void *ctx, struct fl_error *err) {
    if (!prefix) prefix = "";
    fl_err_t rc = prefix_ok(prefix, err);
    if (rc) return rc;
    if (!cb) return fl_errf(err, FL_ERR_INVALID, "store: list without callback");
    return st->ops->scan(st, prefix, flags, cb, ctx, err);
}

fl_err_t fl_store_uploads(struct fl_store *st, const char *prefix, fl_store_upload_fn cb, void *ctx,
                          struct fl_error *err) {
    if (!prefix) prefix = "";
    fl_err_t rc = prefix_ok(prefix, err);
    if (rc) return rc;
    if (!cb) return fl_errf(err, FL_ERR_INVALID, "store: uploads without callback");
    return st->ops->uploads ? st->ops->uploads(st, prefix, cb, ctx, err) : FL_OK;
}

fl_err_t fl_store_abort_upload(struct fl_store *st, const char *key, const char *upload_id,
                               struct fl_error *err) {
    fl_err_t rc = key_ok(st, key, err);
    if (rc) return rc;
    if (!upload_id || !upload_id[0] || strlen(upload_id) > 1024)
        return fl_errf(err, FL_ERR_INVALID, "store: bad upload id");
    if (!st->ops->abort_upload)
        return fl_errf(err, FL_ERR_UNSUPPORTED, "store: %s has no multipart uploads",
                       st->ops->scheme);
    return st->ops->abort_upload(st, key, upload_id, err);
}

fl_err_t fl_store_delete_temp(struct fl_store *st, const char *key, struct fl_error *err) {
    const char *base = key ? strrchr(key, '/') : NULL;
    base = base ? base + 1 : key;
    if (!base || strncmp(base, ".floe-tmp-", 10) != 0 || !base[10])
        return fl_errf(err, FL_ERR_INVALID, "store: \"%.64s\" is not a temporary file",
                       key ? key : "");
    /* the rest must be a valid key: check it with an ordinary last name */
    char probe[FL_STORE_KEY_MAX + 1];
    size_t dlen = (size_t)(base - key);
    if (dlen + 1 > FL_STORE_KEY_MAX) return fl_errf(err, FL_ERR_INVALID, "store: key too long");
    memcpy(probe, key, dlen);
    memcpy(probe + dlen, "t", 2);
    fl_err_t rc = key_ok(st, probe, err);
    if (!rc && strnlen(key, FL_STORE_KEY_MAX + 1) > FL_STORE_KEY_MAX)
        rc = fl_errf(err, FL_ERR_INVALID, "store: key longer than %d bytes", FL_STORE_KEY_MAX);
    for (const char *p = base; !rc && *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '/')
            rc = fl_errf(err, FL_ERR_INVALID, "store: bad temporary file name");
    if (rc) return rc;
    return st->ops->del(st, key, err);
}

fl_err_t fl_store_writer_open(struct fl_store *st, const char *key, struct fl_store_writer **out,
                              struct fl_error *err) {
    *out = NULL;
    fl_err_t rc = key_ok(st, key, err);
    if (rc) return rc;
    return st->ops->writer_open(st, key, out, err);
}

fl_err_t fl_store_writer_write(struct fl_store_writer *w, const void *data, size_t len,
                               struct fl_error *err) {
    if (w->failed) return fl_errf(err, FL_ERR_INVALID, "store: write after a failed write");
    if (len == 0) return FL_OK;
    if (!data) return fl_errf(err, FL_ERR_INVALID, "store: write of NULL data");
    fl_err_t rc = w->st->ops->writer_write(w, data, len, err);
    if (rc) w->failed = true;
    return rc;
}

fl_err_t fl_store_writer_commit(struct fl_store_writer *w, struct fl_error *err) {
    if (w->failed) {
        w->st->ops->writer_abort(w);
        return fl_errf(err, FL_ERR_INVALID, "store: commit after a failed write");
    }
    return w->st->ops->writer_commit(w, err);
}

void fl_store_writer_abort(struct fl_store_writer *w) {
    if (w) w->st->ops->writer_abort(w);
}
