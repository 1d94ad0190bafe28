/*
 * store_int.h - what the backends of src/store share: the table of
 * function pointers behind struct fl_store (as curl's Curl_handler).
 *
 * store.c validates keys and arguments, then calls through ops; a
 * backend embeds struct fl_store first in its own struct and may assume
 * valid keys. Writers likewise embed struct fl_store_writer first.
 */
#ifndef FL_STORE_STORE_INT_H
#define FL_STORE_STORE_INT_H

#include "store/store.h"

struct fl_store_ops {
    const char *scheme; /* "file", "s3" */
    fl_err_t (*put)(struct fl_store *st, const char *key, const void *data, size_t len,
                    bool if_absent, struct fl_error *err);
    /* whole object when whole is true (len = cap), else a range */
    fl_err_t (*get)(struct fl_store *st, const char *key, bool whole, uint64_t off, size_t len,
                    struct fl_buf *out, struct fl_error *err);
    fl_err_t (*head)(struct fl_store *st, const char *key, uint64_t *size, struct fl_error *err);
    fl_err_t (*del)(struct fl_store *st, const char *key, struct fl_error *err);
    /* every object under prefix in byte order (FL_STORE_SCAN_* flags) */
    fl_err_t (*scan)(struct fl_store *st, const char *prefix, unsigned flags, fl_store_scan_fn cb,
                     void *ctx, struct fl_error *err);
    fl_err_t (*writer_open)(struct fl_store *st, const char *key, struct fl_store_writer **out,
                            struct fl_error *err);
    fl_err_t (*writer_write)(struct fl_store_writer *w, const void *data, size_t len,
                             struct fl_error *err);
    fl_err_t (*writer_commit)(struct fl_store_writer *w, struct fl_error *err);
    void (*writer_abort)(struct fl_store_writer *w);
    /* incomplete multipart uploads under prefix, and aborting one (NULL:
     * the backend has none) */
    fl_err_t (*uploads)(struct fl_store *st, const char *prefix, fl_store_upload_fn cb, void *ctx,
                        struct fl_error *err);
    fl_err_t (*abort_upload)(struct fl_store *st, const char *key, const char *upload_id,
                             struct fl_error *err);
    /* the same kind of store at the URI's rest ("/dir", "bucket/prefix")
     * with st's options (NULL: none but st's own root) */
    fl_err_t (*sibling)(const struct fl_store *st, const char *rest, struct fl_store **out,
                        struct fl_error *err);
    void (*free)(struct fl_store *st);
};

struct fl_store {
    const struct fl_store_ops *ops;
    char *uri; /* normalized, owned */
};

struct fl_store_writer {
    struct fl_store *st;
    bool failed; /* a write failed: only abort is allowed */
};

/* Backend constructors, called by fl_store_open with the URI's rest. */
fl_err_t fl_store_local_open(const char *path, const struct fl_store_opts *opts,
                             struct fl_store **out, struct fl_error *err);
fl_err_t fl_store_s3_open(const char *bucket_and_prefix, const struct fl_store_opts *opts,
                          struct fl_store **out, struct fl_error *err);

#endif
