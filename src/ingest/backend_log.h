/*
 * backend_log.h - the production ingest backend: topics and appends go
 * to floe's durable log (src/log), uploaded files to the warehouse store
 * (src/store).
 */
#ifndef FL_INGEST_BACKEND_LOG_H
#define FL_INGEST_BACKEND_LOG_H

#include "ingest/ingest.h"
#include "log/log.h"
#include "store/store.h"

/* Fills be with functions over log and store (both borrowed: they must
 * outlive be); topics created on demand get *defaults (copied). Free
 * with fl_ingest_backend_log_fini. */
void fl_ingest_backend_log_init(struct fl_ingest_backend *be, struct fl_log *log,
                                struct fl_store *store, const struct fl_log_topic_config *defaults);
void fl_ingest_backend_log_fini(struct fl_ingest_backend *be);

#endif
