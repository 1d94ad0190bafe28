/*
 * backend_log.c - the ingest backend over the durable log and the
 * warehouse store: a thin adapter so that the router (router.c) never
 * names fl_log or fl_store and can be tested and fuzzed in memory.
 */
#include "ingest/backend_log.h"
#include "core/mem.h"

struct logbe {
    struct fl_log *log;
    struct fl_store *store;
    struct fl_log_topic_config defaults;
};

static fl_err_t be_partitions(void *ctx, const char *topic, bool create, int *partitions,
                              struct fl_error *err) {
    struct logbe *lb = ctx;
    struct fl_error derr = {0};
    fl_err_t rc = fl_log_topic_describe(lb->log, topic, partitions, NULL, NULL, 0, &derr);
    if (rc == FL_ERR_NOTFOUND && create) {
        rc = fl_log_topic_ensure(lb->log, topic, &lb->defaults, err);
        if (rc == FL_OK) rc = fl_log_topic_describe(lb->log, topic, partitions, NULL, NULL, 0, err);
        return rc;
    }
    if (rc) fl_errf(err, rc, "%s", derr.msg);
    return rc;
}

static fl_err_t be_append(void *ctx, const char *topic, int partition,
                          const struct fl_log_record *recs, int n, int64_t *base_offset,
                          struct fl_error *err) {
    struct logbe *lb = ctx;
    return fl_log_append(lb->log, topic, partition, recs, n, base_offset, err);
}

static fl_err_t be_put_file(void *ctx, const char *key, const void *data, size_t len,
                            struct fl_error *err) {
    struct logbe *lb = ctx;
    return fl_store_put(lb->store, key, data, len, err);
}

void fl_ingest_backend_log_init(struct fl_ingest_backend *be, struct fl_log *log,
                                struct fl_store *store,
                                const struct fl_log_topic_config *defaults) {
    struct logbe *lb = fl_calloc(1, sizeof(*lb));
    lb->log = log;
    lb->store = store;
    if (defaults)
        lb->defaults = *defaults;
    else
        fl_log_topic_config_default(&lb->defaults);
    be->ctx = lb;
    be->topic_partitions = be_partitions;
    be->append = be_append;
    be->append_async = NULL; /* the coalescer (coalesce.c) provides it */
    be->put_file = be_put_file;
}

void fl_ingest_backend_log_fini(struct fl_ingest_backend *be) {
    fl_free(be->ctx);
    be->ctx = NULL;
}
