/*
 * ingest_memlog.h - an in-memory ingest backend for the unit tests and
 * the fuzz target of src/ingest: topics of N partitions holding copies
 * of appended records, files in a list, and injectable append failures.
 * Header-only so that each test binary carries its own copy.
 */
#ifndef FL_TESTS_INGEST_MEMLOG_H
#define FL_TESTS_INGEST_MEMLOG_H

#include "ingest/ingest.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MEMLOG_TOPICS 16
#define MEMLOG_PARTS 8
#define MEMLOG_FILES 16

struct memrec {
    char *key, *value;
    size_t key_len, value_len;
};

struct memtopic {
    char name[256];
    int nparts;
    struct memrec *recs[MEMLOG_PARTS];
    int n[MEMLOG_PARTS];
};

struct memlog {
    pthread_mutex_t mu;
    struct memtopic t[MEMLOG_TOPICS];
    int ntopics;
    int default_parts;
    char *file_key[MEMLOG_FILES];
    char *file_data[MEMLOG_FILES];
    size_t file_len[MEMLOG_FILES];
    int nfiles;
    fl_err_t fail_append; /* nonzero: every append fails with it */
    int appends;
};

static inline struct memtopic *memlog_find(struct memlog *ml, const char *topic) {
    for (int i = 0; i < ml->ntopics; i++)
        if (!strcmp(ml->t[i].name, topic)) return &ml->t[i];
    return NULL;
}

static inline struct memtopic *memlog_create(struct memlog *ml, const char *topic, int nparts) {
    if (ml->ntopics == MEMLOG_TOPICS || strlen(topic) >= 256) return NULL;
    struct memtopic *t = &ml->t[ml->ntopics++];
    memset(t, 0, sizeof(*t));
    strcpy(t->name, topic);
    t->nparts = nparts;
    return t;
}

static inline fl_err_t memlog_partitions(void *ctx, const char *topic, bool create, int *partitions,
                                         struct fl_error *err) {
    struct memlog *ml = ctx;
    fl_err_t rc = FL_OK;
    pthread_mutex_lock(&ml->mu);
    struct memtopic *t = memlog_find(ml, topic);
    if (!t && create) t = memlog_create(ml, topic, ml->default_parts ? ml->default_parts : 1);
    if (t)
        *partitions = t->nparts;
    else
        rc = fl_errf(err, create ? FL_ERR_LIMIT : FL_ERR_NOTFOUND, "topic %s", topic);
    pthread_mutex_unlock(&ml->mu);
    return rc;
}

static inline char *memdup(const void *p, size_t n) {
    if (!p) return NULL;
    char *s = malloc(n + 1);
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}

static inline fl_err_t memlog_append(void *ctx, const char *topic, int partition,
                                     const struct fl_log_record *recs, int n, int64_t *base,
                                     struct fl_error *err) {
    struct memlog *ml = ctx;
    fl_err_t rc = FL_OK;
    pthread_mutex_lock(&ml->mu);
    struct memtopic *t = memlog_find(ml, topic);
    if (ml->fail_append)
        rc = fl_errf(err, ml->fail_append, "injected failure");
    else if (!t || partition < 0 || partition >= t->nparts)
        rc = fl_errf(err, FL_ERR_NOTFOUND, "no partition %s/%d", topic, partition);
    if (rc == FL_OK) {
        ml->appends++;
        *base = t->n[partition];
        t->recs[partition] =
            realloc(t->recs[partition], sizeof(struct memrec) * (size_t)(t->n[partition] + n));
        for (int i = 0; i < n; i++) {
            struct memrec *r = &t->recs[partition][t->n[partition]++];
            r->key = memdup(recs[i].key, recs[i].key_len);
            r->key_len = recs[i].key_len;
            r->value = memdup(recs[i].value, recs[i].value_len);
            r->value_len = recs[i].value_len;
        }
    }
    pthread_mutex_unlock(&ml->mu);
    return rc;
}

static inline fl_err_t memlog_put_file(void *ctx, const char *key, const void *data, size_t len,
                                       struct fl_error *err) {
    struct memlog *ml = ctx;
    fl_err_t rc = FL_OK;
    pthread_mutex_lock(&ml->mu);
    int i = 0;
    while (i < ml->nfiles && strcmp(ml->file_key[i], key)) i++;
    if (i == MEMLOG_FILES)
        rc = fl_errf(err, FL_ERR_LIMIT, "too many files");
    else {
        if (i == ml->nfiles) {
            ml->file_key[i] = memdup(key, strlen(key));
            ml->nfiles++;
        } else {
            free(ml->file_data[i]);
        }
        ml->file_data[i] = memdup(data, len);
        ml->file_len[i] = len;
    }
    pthread_mutex_unlock(&ml->mu);
    return rc;
}

static inline void memlog_init(struct memlog *ml, struct fl_ingest_backend *be) {
    memset(ml, 0, sizeof(*ml));
    pthread_mutex_init(&ml->mu, NULL);
    be->ctx = ml;
    be->topic_partitions = memlog_partitions;
    be->append = memlog_append;
    be->append_async = NULL;
    be->put_file = memlog_put_file;
}

static inline int memlog_count(struct memlog *ml, const char *topic) {
    struct memtopic *t = memlog_find(ml, topic);
    int n = 0;
    if (t)
        for (int p = 0; p < t->nparts; p++) n += t->n[p];
    return n;
}

static inline void memlog_fini(struct memlog *ml) {
    for (int i = 0; i < ml->ntopics; i++)
        for (int p = 0; p < ml->t[i].nparts; p++) {
            for (int k = 0; k < ml->t[i].n[p]; k++) {
                free(ml->t[i].recs[p][k].key);
                free(ml->t[i].recs[p][k].value);
            }
            free(ml->t[i].recs[p]);
        }
    for (int i = 0; i < ml->nfiles; i++) {
        free(ml->file_key[i]);
        free(ml->file_data[i]);
    }
    pthread_mutex_destroy(&ml->mu);
}

#endif
