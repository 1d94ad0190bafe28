/*
 * store.h - object storage: one interface over local disk and S3.
 *
 * A struct fl_store is opened from a warehouse URI ("file:///tmp/wh",
 * "s3://bucket/prefix") and holds objects under relative keys
 * ("db/t/data/x.parquet"). Every backend gives the same guarantees:
 *   - fl_store_put and a committed writer are atomic: a reader sees the
 *     whole new object or the old state, never a part;
 *   - fl_store_put_if_absent creates a key only if it does not exist and
 *     fails with FL_ERR_EXISTS otherwise (Iceberg metadata commits);
 *   - fl_store_list reports every key under a prefix, in byte order;
 *   - a failed write leaves nothing visible behind.
 * A store may be used from several threads at once; a writer belongs to
 * one thread. Design and invariants: docs/internals/store.md.
 */
#ifndef FL_STORE_STORE_H
#define FL_STORE_STORE_H

#include "core/buf.h"
#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FL_STORE_KEY_MAX 1024
#define FL_STORE_PART_MIN ((size_t)5 << 20) /* S3's smallest part */
#define FL_STORE_PART_DEFAULT ((size_t)8 << 20)

struct fl_store;
struct fl_store_writer;

/*
 * Fault injection at the storage boundary, for tests only: production
 * code leaves opts.faults NULL. The plan is read and updated by the
 * backend without locking (one test thread). Counters are 1-based call
 * numbers counted from when the plan is attached; 0 means never.
 */
struct fl_store_faults {
    /* local */
    unsigned short_writes;   /* nonzero: every write() moves at most half */
    uint64_t enospc_after;   /* nonzero: bytes written before ENOSPC hits */
    unsigned fsync_fail_at;  /* the Nth fsync() fails with EIO */
    unsigned rename_fail_at; /* the Nth rename()/link() fails with EIO */
    /* S3: the next http_fail_count requests get http_fail_status
     * (default 500) without being sent; http_fail_timeout fakes a
     * timeout instead of a status */
    unsigned http_fail_count;
    long http_fail_status;
    bool http_fail_timeout;
    /* observed by the backend */
    uint64_t bytes_written;
    unsigned writes, fsyncs, renames, http_requests, http_injected;
};

enum fl_store_addressing {
    FL_STORE_ADDR_AUTO = 0, /* path-style with a custom endpoint, else virtual-host */
    FL_STORE_ADDR_PATH,     /* http://endpoint/bucket/key */
    FL_STORE_ADDR_VHOST     /* http://bucket.endpoint/key */
};

/*
 * Options; zero means the default. Strings are copied at open. S3 values
 * left NULL come from the environment: AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION (or
 * AWS_DEFAULT_REGION), AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL).
 */
struct fl_store_opts {
    const char *endpoint; /* "http://127.0.0.1:9000"; default AWS */
    const char *region;   /* default us-east-1 */
    const char *access_key;
    const char *secret_key;
    const char *session_token;
    enum fl_store_addressing addressing;
    const char *resolve;            /* curl-style "host:port:addr" pin, e.g. for vhost tests */
    size_t part_size;               /* multipart part size; default 8 MiB, at least 5 MiB */
    unsigned list_page_size;        /* ListObjectsV2 max-keys; default 1000 */
    unsigned max_retries;           /* retries after the first try; default 4 */
    unsigned retry_base_ms;         /* first backoff ceiling; default 100 */
    unsigned retry_max_ms;          /* backoff ceiling; default 5000 */
    long connect_timeout_ms;        /* default 5000 */
    long timeout_ms;                /* whole request; default 120000 */
    bool head_before_put_if_absent; /* also HEAD first: for servers that
                                      ignore If-None-Match (s3rver); racy */
    bool no_fsync;                  /* local: skip fsync (tests, scratch) */
    struct fl_store_faults *faults; /* tests only */
};

/* Called once per listed key; a non-FL_OK return stops the listing and is
 * returned by fl_store_list. key is valid during the call only. */
typedef fl_err_t (*fl_store_list_fn)(void *ctx, const char *key, uint64_t size);

/* One object as fl_store_scan reports it (valid during the call only). */
struct fl_store_obj {
    const char *key;
    uint64_t size;
    int64_t mtime_ms; /* last modification (S3: LastModified), ms since the
                         epoch; INT64_MAX when the store does not say */
    bool temp;        /* a ".floe-tmp-*" file of a local write that never finished */
};
typedef fl_err_t (*fl_store_scan_fn)(void *ctx, const struct fl_store_obj *obj);

#define FL_STORE_SCAN_TEMP 1u /* also report the local backend's temporary files */

/* Opens the store for uri ("file:///abs/dir", "s3://bucket[/prefix]").
 * opts may be NULL. A local root directory is created if missing. */
fl_err_t fl_store_open(const char *uri, const struct fl_store_opts *opts, struct fl_store **out,
                       struct fl_error *err);
void fl_store_free(struct fl_store *st);
/* Opens uri as a store of the same kind as st, with st's options
 * (endpoint, region, credentials, retries): "file:///dir" beside a local
 * store, "s3://bucket[/prefix]" (any bucket) beside an S3 one. For
 * reading a table's files that lie outside its warehouse (iceberg's
 * fl_ice_table_locate). FL_ERR_UNSUPPORTED for another kind of store. */
fl_err_t fl_store_open_sibling(const struct fl_store *st, const char *uri, struct fl_store **out,
                               struct fl_error *err);

/* The URI the store was opened with, normalized ("s3://b/p/"). */
const char *fl_store_uri(const struct fl_store *st);

/* FL_OK if key is a valid relative key: 1..1024 bytes, no leading or
 * doubled "/", no "." or ".." component, no control bytes, no component
 * starting with ".floe-tmp-" (the local backend's temporary files). */
fl_err_t fl_store_key_check(const char *key, struct fl_error *err);

/* Writes data under key, replacing any old object, atomically. */
fl_err_t fl_store_put(struct fl_store *st, const char *key, const void *data, size_t len,
                      struct fl_error *err);
/* As fl_store_put but fails with FL_ERR_EXISTS when key exists. */
fl_err_t fl_store_put_if_absent(struct fl_store *st, const char *key, const void *data, size_t len,
                                struct fl_error *err);

/* Appends the whole object to out (initialized by the caller). Fails with
 * FL_ERR_LIMIT, reading nothing, when it is larger than max bytes. */
fl_err_t fl_store_get(struct fl_store *st, const char *key, struct fl_buf *out, size_t max,
                      struct fl_error *err);
/* Appends bytes [off, off+len) to out, fewer at the end of the object;
 * FL_ERR_RANGE when off is at or past the end (and len > 0). */
fl_err_t fl_store_get_range(struct fl_store *st, const char *key, uint64_t off, size_t len,
                            struct fl_buf *out, struct fl_error *err);
/* Size of the object; FL_ERR_NOTFOUND when absent. */
fl_err_t fl_store_head(struct fl_store *st, const char *key, uint64_t *size, struct fl_error *err);
/* Removes key; removing an absent key succeeds (as on S3). */
fl_err_t fl_store_delete(struct fl_store *st, const char *key, struct fl_error *err);
/* Calls cb for each key starting with prefix ("" for all), in byte order.
 * prefix is a string prefix, not a directory: "db/t/da" matches "db/t/data/x". */
fl_err_t fl_store_list(struct fl_store *st, const char *prefix, fl_store_list_fn cb, void *ctx,
                       struct fl_error *err);
/* As fl_store_list, with each object's modification time; with
 * FL_STORE_SCAN_TEMP in flags the local backend also reports its
 * temporary files (obj->temp), which a process killed during a write
 * leaves behind (S3 has none: an unfinished upload is never an object).
 * Symbolic links and other non-regular files are never reported, and
 * the walk never follows a link into another directory. */
fl_err_t fl_store_scan(struct fl_store *st, const char *prefix, unsigned flags, fl_store_scan_fn cb,
                       void *ctx, struct fl_error *err);
/* An incomplete multipart upload: what a process killed during a large
 * S3 upload leaves behind. It is never an object, but S3 bills its parts
 * until it is aborted. key relative to the store; initiated_ms epoch ms
 * (INT64_MAX when the server did not say: never old). */
typedef fl_err_t (*fl_store_upload_fn)(void *ctx, const char *key, const char *upload_id,
                                       int64_t initiated_ms);
/* Calls cb for each incomplete multipart upload under prefix (S3's
 * ListMultipartUploads, every page); a store without multipart uploads
 * (local) has none. FL_ERR_UNSUPPORTED when the server does not
 * implement the listing (some S3 look-alikes). */
fl_err_t fl_store_uploads(struct fl_store *st, const char *prefix, fl_store_upload_fn cb, void *ctx,
                          struct fl_error *err);
/* Aborts one (S3's AbortMultipartUpload); aborting one that is gone
 * succeeds. */
fl_err_t fl_store_abort_upload(struct fl_store *st, const char *key, const char *upload_id,
                               struct fl_error *err);
/* Removes a temporary file fl_store_scan reported: key must be a valid
 * key whose last component starts with ".floe-tmp-". */
fl_err_t fl_store_delete_temp(struct fl_store *st, const char *key, struct fl_error *err);

/* Streaming upload of a large object. Nothing is visible under key until
 * fl_store_writer_commit succeeds. commit and abort free the writer,
 * whatever they return; after a failed write call the writer can only be
 * aborted. Local: temporary file, fsync, rename, fsync of the directory.
 * S3: one PUT up to part_size bytes, a multipart upload beyond, aborted
 * on failure. */
fl_err_t fl_store_writer_open(struct fl_store *st, const char *key, struct fl_store_writer **out,
                              struct fl_error *err);
fl_err_t fl_store_writer_write(struct fl_store_writer *w, const void *data, size_t len,
                               struct fl_error *err);
fl_err_t fl_store_writer_commit(struct fl_store_writer *w, struct fl_error *err);
void fl_store_writer_abort(struct fl_store_writer *w);

#endif
