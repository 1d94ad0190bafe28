/*
 * commit_lock.h - one lock per table inside a process, around its
 * commits (table.c's fl_ice_table_commit_meta).
 *
 * Why: floe up's pipelines and its maintenance thread commit to the same
 * tables through handles of their own. Between processes the catalog's
 * compare-and-swap decides; inside one process, racing on it only wastes
 * work, and a slow committer (a compaction rewriting manifests, an
 * expiry under load) loses every race to a pipeline committing ten times
 * a second and gives up. Under the lock one commit of a table runs at a
 * time, and a committer whose handle is behind the version this process
 * last committed refreshes before its first attempt instead of losing it.
 * A pipeline waits at most for one other commit's metadata work (never
 * for the data work a compaction does before committing).
 */
#ifndef FL_ICEBERG_COMMIT_LOCK_H
#define FL_ICEBERG_COMMIT_LOCK_H

#include "store/store.h"

struct fl_ice_commit_lock;

/* Locks the table at key_prefix of store st (the same store object and
 * folder = the same table) and returns its lock, made on first use and
 * kept for the process's life (one small entry per table committed). */
struct fl_ice_commit_lock *fl_ice_commit_lock_acquire(const struct fl_store *st,
                                                      const char *key_prefix);
void fl_ice_commit_lock_release(struct fl_ice_commit_lock *cl);
/* The metadata location this process last committed for the table (NULL
 * none yet); valid while the lock is held. */
const char *fl_ice_commit_lock_location(const struct fl_ice_commit_lock *cl);
void fl_ice_commit_lock_set_location(struct fl_ice_commit_lock *cl, const char *location);

#endif
