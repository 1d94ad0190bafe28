/*
 * commit_lock.c - the per-table commit locks of a process (see
 * commit_lock.h).
 *
 * How it works: a list of entries, each a table's identity (store object
 * and folder key), its mutex and the last location committed, found under
 * one registry mutex that is held only for the lookup. Entries are never
 * freed: a handle may hold one while another thread looks it up, and
 * there is one per table the process has committed to.
 */
#include "iceberg/commit_lock.h"
#include "core/mem.h"

#include <pthread.h>
#include <string.h>

struct fl_ice_commit_lock {
    const struct fl_store *store;
    char *key_prefix;
    char *location;
    pthread_mutex_t mu;
    struct fl_ice_commit_lock *next;
};

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static struct fl_ice_commit_lock *registry;

struct fl_ice_commit_lock *fl_ice_commit_lock_acquire(const struct fl_store *st,
                                                      const char *key_prefix) {
    pthread_mutex_lock(&registry_mu);
    struct fl_ice_commit_lock *cl = registry;
    while (cl && (cl->store != st || strcmp(cl->key_prefix, key_prefix) != 0)) cl = cl->next;
    if (!cl) {
        cl = fl_calloc(1, sizeof(*cl));
        cl->store = st;
        cl->key_prefix = fl_strdup(key_prefix);
        /* recursive: a commit that commits the same table from inside
         * (none does today) would retry on its compare-and-swap, not hang */
        pthread_mutexattr_t a;
        pthread_mutexattr_init(&a);
        pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
        pthread_mutex_init(&cl->mu, &a);
        pthread_mutexattr_destroy(&a);
        cl->next = registry;
        registry = cl;
    }
    pthread_mutex_unlock(&registry_mu);
    pthread_mutex_lock(&cl->mu);
    return cl;
}

void fl_ice_commit_lock_release(struct fl_ice_commit_lock *cl) { pthread_mutex_unlock(&cl->mu); }

const char *fl_ice_commit_lock_location(const struct fl_ice_commit_lock *cl) {
    return cl->location;
}

void fl_ice_commit_lock_set_location(struct fl_ice_commit_lock *cl, const char *location) {
    fl_free(cl->location);
    cl->location = location ? fl_strdup(location) : NULL;
}
