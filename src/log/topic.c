/*
 * topic.c - topics: names, configs persisted as topic.json, the topic
 * table, create/ensure/delete/list/describe.
 *
 * Layout under the log's folder:
 *   topics/<topic>/topic.json     partition count and config (jansson)
 *   topics/<topic>/<p>/           partition p's segments (partition.c)
 *   trash/                        staging for creates and deletes
 * A topic is created in trash/ (topic.json written and fsynced there)
 * and renamed into topics/ in one step, so a crash leaves either no
 * topic or a whole one; a delete renames the folder into trash/ first,
 * so a crash never leaves half a topic. trash/ is emptied at open.
 *
 * Topics are reference counted (log->lock): an append holds its topic,
 * so a concurrent delete frees it, and removes its files, only after the
 * last user is done.
 */
#include "log/log_int.h"

#include "core/fileio.h"
#include "core/mem.h"
#include "core/uuid.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_FILE_MAX 65536

void fl_log_topic_config_default(struct fl_log_topic_config *cfg) {
    cfg->partitions = 1;
    cfg->sync = FL_LOG_SYNC_ALWAYS;
    cfg->flush_interval_ms = 1000;
    cfg->retention_ms = INT64_C(7) * 24 * 3600 * 1000;
    cfg->retention_bytes = -1;
    cfg->segment_bytes = INT64_C(64) << 20;
    cfg->segment_ms = INT64_C(3600) * 1000;
    cfg->max_append_bytes = INT64_C(8) << 20;
}

bool fl_log_name_valid(const char *name) {
    if (!name) return false;
    size_t n = strlen(name);
    if (n < 1 || n > FL_LOG_NAME_MAX || !strcmp(name, ".") || !strcmp(name, "..")) return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static fl_err_t config_check(const struct fl_log_topic_config *c, struct fl_error *err) {
    if (c->partitions < 1 || c->partitions > FL_LOG_MAX_PARTITIONS)
        return fl_errf(err, FL_ERR_INVALID, "partitions must be 1..%d, not %d",
                       FL_LOG_MAX_PARTITIONS, c->partitions);
    if (c->sync < FL_LOG_SYNC_ALWAYS || c->sync > FL_LOG_SYNC_NEVER)
        return fl_errf(err, FL_ERR_INVALID, "unknown sync policy %d", (int)c->sync);
    if (c->flush_interval_ms < 1)
        return fl_errf(err, FL_ERR_INVALID, "flush_interval_ms must be >= 1");
    if (c->retention_ms < -1 || c->retention_bytes < -1 || c->segment_ms < -1)
        return fl_errf(err, FL_ERR_INVALID,
                       "retention_ms, retention_bytes and segment_ms must be >= -1");
    if (c->segment_bytes < 1024 || c->segment_bytes > (INT64_C(1) << 30))
        return fl_errf(err, FL_ERR_INVALID, "segment_bytes must be 1 KiB..1 GiB");
    if (c->max_append_bytes < 1024 || c->max_append_bytes > (INT64_C(1) << 30))
        return fl_errf(err, FL_ERR_INVALID, "max_append_bytes must be 1 KiB..1 GiB");
    return FL_OK;
}

static const char *sync_names[] = {"always", "interval", "never"};

static char *config_json(const struct fl_log_topic_config *c) {
    json_t *o = json_pack(
        "{s:i, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "partitions", c->partitions, "sync",
        sync_names[c->sync], "flush_interval_ms", (json_int_t)c->flush_interval_ms, "retention_ms",
        (json_int_t)c->retention_ms, "retention_bytes", (json_int_t)c->retention_bytes,
        "segment_bytes", (json_int_t)c->segment_bytes, "segment_ms", (json_int_t)c->segment_ms,
        "max_append_bytes", (json_int_t)c->max_append_bytes);
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

static fl_err_t config_load(const char *path, struct fl_log_topic_config *c, struct fl_error *err) {
    json_error_t je;
    fl_log_topic_config_default(c);
    json_t *o = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!o || !json_is_object(o)) {
        json_decref(o);
        return fl_errf(err, FL_ERR_CORRUPT, "%s: %s", path, je.text);
    }
    json_t *v = json_object_get(o, "partitions");
    if (json_is_integer(v) && json_integer_value(v) <= FL_LOG_MAX_PARTITIONS &&
        json_integer_value(v) >= 0)
        c->partitions = (int)json_integer_value(v);
    else
        c->partitions = 0;
    v = json_object_get(o, "sync");
    if (v) {
        const char *s = json_string_value(v);
        c->sync = (fl_log_sync_t)-1;
        for (int i = 0; s && i < 3; i++)
            if (!strcmp(s, sync_names[i])) c->sync = (fl_log_sync_t)i;
    }
    struct {
        const char *k;
        int64_t *dst;
    } f[] = {{"flush_interval_ms", &c->flush_interval_ms},
             {"retention_ms", &c->retention_ms},
             {"retention_bytes", &c->retention_bytes},
             {"segment_bytes", &c->segment_bytes},
             {"segment_ms", &c->segment_ms},
             {"max_append_bytes", &c->max_append_bytes}};
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        v = json_object_get(o, f[i].k);
        if (json_is_integer(v))
            *f[i].dst = json_integer_value(v);
        else if (v)
            *f[i].dst = -2; /* refused by config_check */
    }
    json_decref(o);
    fl_err_t rc = config_check(c, err);
    if (rc) fl_err_prefix(err, "%s: ", path);
    return rc;
}

static char *topic_dir(struct fl_log *log, const char *name) {
    size_t n = strlen(log->dir) + strlen(name) + 16;
    char *p = fl_malloc(n);
    snprintf(p, n, "%s/topics/%s", log->dir, name);
    return p;
}

/* A partition array of n entries, the first old->n of them old's
 * (old may be NULL); the rest NULL. */
static struct fl_log_parts *parts_new(const struct fl_log_parts *old, int n) {
    struct fl_log_parts *ps = fl_calloc(1, sizeof(*ps) + (size_t)n * sizeof(ps->v[0]));
    ps->n = n;
    if (old) memcpy(ps->v, old->v, (size_t)old->n * sizeof(ps->v[0]));
    return ps;
}

void fl_log_topic_free(struct fl_log_topic *topic) {
    if (!topic) return;
    struct fl_log_parts *ps = topic->parts;
    if (ps)
        for (int i = 0; i < ps->n; i++) fl_log_part_free(ps->v[i]);
    if (topic->deleted && topic->dir) fl_log_rm_rf(topic->dir);
    while (ps) { /* the current array and every one it replaced */
        struct fl_log_parts *older = ps->older;
        fl_free(ps);
        ps = older;
    }
    fl_free(topic->name);
    fl_free(topic->dir);
    fl_free(topic);
}

/* Opens the topic in dir (topic.json read) and its partitions. */
static fl_err_t topic_open(struct fl_log *log, const char *name, struct fl_log_topic **out,
                           struct fl_error *err) {
    struct fl_log_topic *t = fl_calloc(1, sizeof(*t));
    t->name = fl_strdup(name);
    t->dir = topic_dir(log, name);
    t->refs = 1;
    char path[FL_PATH_MAX];
    fl_err_t rc = fl_path_fmt(path, sizeof(path), err, "%s/topic.json", t->dir);
    if (!rc) rc = config_load(path, &t->cfg, err);
    if (rc) goto out;
    t->parts = parts_new(NULL, t->cfg.partitions);
    for (int i = 0; i < t->cfg.partitions && !rc; i++)
        rc = fl_log_part_open(log, t, i, &t->parts->v[i], err);
    if (rc) goto out;
    *out = t;
    t = NULL;
out:
    fl_log_topic_free(t);
    return rc;
}

/* @locks log->lock */
static int find(struct fl_log *log, const char *name) {
    for (int i = 0; i < log->ntopics; i++)
        if (!strcmp(log->topics[i]->name, name)) return i;
    return -1;
}

static void table_add(struct fl_log *log, struct fl_log_topic *t) {
    if (log->ntopics == log->captopics) {
        log->captopics = log->captopics ? log->captopics * 2 : 16;
        log->topics = fl_reallocarray(log->topics, (size_t)log->captopics, sizeof(*log->topics));
    }
    log->topics[log->ntopics++] = t;
}

struct fl_log_topic *fl_log_topic_get(struct fl_log *log, const char *name) {
    if (!name) return NULL;
    pthread_mutex_lock(&log->lock);
    int i = find(log, name);
    struct fl_log_topic *t = i >= 0 ? log->topics[i] : NULL;
    if (t) t->refs++;
    pthread_mutex_unlock(&log->lock);
    return t;
}

void fl_log_topic_put(struct fl_log *log, struct fl_log_topic *topic) {
    pthread_mutex_lock(&log->lock);
    int left = --topic->refs;
    pthread_mutex_unlock(&log->lock);
    if (left == 0) fl_log_topic_free(topic);
}

fl_err_t fl_log_topics_load(struct fl_log *log, struct fl_error *err) {
    char path[FL_PATH_MAX];
    fl_err_t rc = fl_path_fmt(path, sizeof(path), err, "%s/trash", log->dir);
    if (rc) return rc;
    if (!log->ro) {
        fl_log_rm_rf(path);
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return fl_errf(err, FL_ERR_IO, "mkdir %s: %s", path, strerror(errno));
    }
    DIR *d = NULL;
    if (!rc) rc = fl_path_fmt(path, sizeof(path), err, "%s/topics", log->dir);
    if (!rc) rc = fl_log_dir_open(log, path, &d, err);
    if (rc || !d) return rc;
    struct dirent *de;
    while (!rc && (de = readdir(d)) != NULL) {
        if (!fl_log_name_valid(de->d_name)) continue;
        struct fl_log_topic *t;
        rc = topic_open(log, de->d_name, &t, err);
        if (!rc) table_add(log, t);
    }
    closedir(d);
    return rc;
}

static fl_err_t topic_create(struct fl_log *log, const char *topic,
                             const struct fl_log_topic_config *cfg, bool ensure,
                             struct fl_error *err) {
    if (!fl_log_name_valid(topic))
        return fl_errf(err, FL_ERR_INVALID,
                       "topic name \"%s\": 1..249 bytes of [a-zA-Z0-9._-], not . or ..",
                       topic ? topic : "");
    if (log->ro) return fl_errf(err, FL_ERR_INVALID, "the log is open read-only");
    struct fl_log_topic_config c;
    if (cfg)
        c = *cfg;
    else
        fl_log_topic_config_default(&c);
    fl_err_t rc = config_check(&c, err);
    if (rc) return rc;
    char tmp[FL_PATH_MAX], path[FL_PATH_MAX], uuid[37];
    fl_uuid_v4_text(uuid);
    if ((rc = fl_path_fmt(tmp, sizeof(tmp), err, "%s/trash/create-%s", log->dir, uuid)) ||
        (rc = fl_path_fmt(path, sizeof(path), err, "%s/topics/%s/%d/%020d.timeindex", log->dir,
                          topic, c.partitions - 1, 0)))
        return rc; /* the longest path the topic will have, checked before anything is made */
    char *final = topic_dir(log, topic);
    char *json = NULL;
    struct fl_log_topic *t = NULL;
    pthread_mutex_lock(&log->lock);
    if (find(log, topic) >= 0) {
        rc = ensure ? FL_OK : fl_errf(err, FL_ERR_EXISTS, "topic \"%s\" exists", topic);
        goto out;
    }
    if (mkdir(tmp, 0755) != 0) {
        rc = fl_errf(err, FL_ERR_IO, "mkdir %s: %s", tmp, strerror(errno));
        goto out;
    }
    json = config_json(&c);
    rc = fl_path_fmt(path, sizeof(path), err, "%s/topic.json", tmp);
    if (!rc) rc = fl_log_file_put(path, json, strlen(json), err);
    if (rc) goto out;
    if (rename(tmp, final) != 0) {
        rc = fl_errf(err, FL_ERR_IO, "rename %s to %s: %s", tmp, final, strerror(errno));
        goto out;
    }
    rc = fl_path_fmt(path, sizeof(path), err, "%s/topics", log->dir);
    if (!rc) rc = fl_log_dir_sync(path, err);
    if (!rc) rc = topic_open(log, topic, &t, err);
    if (!rc) {
        table_add(log, t);
        t = NULL;
    }
out:
    pthread_mutex_unlock(&log->lock);
    fl_log_rm_rf(tmp);
    free(json);
    fl_free(final);
    return rc;
}

fl_err_t fl_log_topic_create(struct fl_log *log, const char *topic,
                             const struct fl_log_topic_config *cfg, struct fl_error *err) {
    return topic_create(log, topic, cfg, false, err);
}

fl_err_t fl_log_topic_ensure(struct fl_log *log, const char *topic,
                             const struct fl_log_topic_config *cfg, struct fl_error *err) {
    return topic_create(log, topic, cfg, true, err);
}

fl_err_t fl_log_topic_delete(struct fl_log *log, const char *topic, struct fl_error *err) {
    char uuid[37], trash[FL_PATH_MAX], path[FL_PATH_MAX];
    if (log->ro) return fl_errf(err, FL_ERR_INVALID, "the log is open read-only");
    fl_uuid_v4_text(uuid);
    fl_err_t rc = fl_path_fmt(trash, sizeof(trash), err, "%s/trash/delete-%s", log->dir, uuid);
    if (!rc) rc = fl_path_fmt(path, sizeof(path), err, "%s/topics", log->dir);
    if (rc) return rc;
    pthread_mutex_lock(&log->lock);
    int i = topic ? find(log, topic) : -1;
    if (i < 0) {
        pthread_mutex_unlock(&log->lock);
        return fl_errf(err, FL_ERR_NOTFOUND, "no topic \"%s\"", topic ? topic : "");
    }
    struct fl_log_topic *t = log->topics[i];
    if (rename(t->dir, trash) != 0) {
        pthread_mutex_unlock(&log->lock);
        return fl_errf(err, FL_ERR_IO, "rename %s: %s", t->dir, strerror(errno));
    }
    rc = fl_log_dir_sync(path, err);
    memmove(log->topics + i, log->topics + i + 1,
            (size_t)(log->ntopics - i - 1) * sizeof(*log->topics));
    log->ntopics--;
    t->deleted = true;
    fl_free(t->dir);
    t->dir = fl_strdup(trash);
    pthread_mutex_unlock(&log->lock);
    fl_log_offsets_drop_topic(log, topic);
    fl_log_topic_put(log, t);
    return rc;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

fl_err_t fl_log_topic_list(struct fl_log *log, int (*fn)(void *ctx, const char *topic), void *ctx,
                           struct fl_error *err) {
    (void)err;
    pthread_mutex_lock(&log->lock);
    int n = log->ntopics;
    char **names = fl_calloc((size_t)n + 1, sizeof(*names));
    for (int i = 0; i < n; i++) names[i] = fl_strdup(log->topics[i]->name);
    pthread_mutex_unlock(&log->lock);
    qsort(names, (size_t)n, sizeof(*names), cmp_str);
    int stop = 0;
    for (int i = 0; i < n; i++) {
        if (!stop) stop = fn(ctx, names[i]);
        fl_free(names[i]);
    }
    fl_free(names);
    return FL_OK;
}

fl_err_t fl_log_topic_describe(struct fl_log *log, const char *topic, int *partitions,
                               struct fl_log_topic_config *cfg, struct fl_log_partition_info *info,
                               int ninfo, struct fl_error *err) {
    struct fl_log_topic *t = fl_log_topic_get(log, topic);
    if (!t) return fl_errf(err, FL_ERR_NOTFOUND, "no topic \"%s\"", topic ? topic : "");
    const struct fl_log_parts *ps = fl_log_topic_parts(t);
    if (partitions) *partitions = ps->n;
    if (cfg) {
        *cfg = t->cfg;
        cfg->partitions = ps->n;
    }
    for (int i = 0; info && i < ninfo && i < ps->n; i++) {
        struct fl_log_part *part = ps->v[i];
        pthread_mutex_lock(&part->lock);
        info[i].start_offset = part->segs[0]->base;
        info[i].end_offset = part->end;
        info[i].segments = part->nsegs;
        info[i].in_records = part->in_records;
        info[i].in_bytes = part->in_bytes;
        info[i].bytes = 0;
        for (int k = 0; k < part->nsegs; k++) info[i].bytes += fl_log_seg_disk_bytes(part->segs[k]);
        pthread_mutex_unlock(&part->lock);
    }
    fl_log_topic_put(log, t);
    return FL_OK;
}

/* Closes the partitions from `from` on of v and removes their folders:
 * an add that failed. @locks log->lock */
static void parts_drop(struct fl_log_topic *t, struct fl_log_parts *v, int from) {
    for (int i = from; i < v->n; i++) {
        char dir[FL_PATH_MAX];
        fl_log_part_free(v->v[i]);
        v->v[i] = NULL;
        if (!fl_path_fmt(dir, sizeof(dir), NULL, "%s/%d", t->dir, i)) fl_log_rm_rf(dir);
    }
}

fl_err_t fl_log_topic_add_partitions(struct fl_log *log, const char *topic, int count,
                                     bool validate_only, int *before, struct fl_error *err) {
    if (log->ro) return fl_errf(err, FL_ERR_INVALID, "the log is open read-only");
    char path[FL_PATH_MAX];
    struct fl_log_parts *ps = NULL;
    char *json = NULL;
    fl_err_t rc = FL_OK;
    pthread_mutex_lock(&log->lock);
    int i = topic ? find(log, topic) : -1;
    if (i < 0) {
        rc = fl_errf(err, FL_ERR_NOTFOUND, "no topic \"%s\"", topic ? topic : "");
        goto out;
    }
    struct fl_log_topic *t = log->topics[i];
    struct fl_log_parts *old = t->parts; /* only changed under log->lock, which we hold */
    if (before) *before = old->n;
    if (count <= old->n) {
        rc = fl_errf(err, FL_ERR_RANGE,
                     count == old->n
                         ? "topic \"%s\" already has %d partitions"
                         : "topic \"%s\" has %d partitions: partitions are never removed",
                     topic, old->n);
        goto out;
    }
    if (count > FL_LOG_MAX_PARTITIONS) {
        rc = fl_errf(err, FL_ERR_LIMIT, "partitions must be at most %d, not %d",
                     FL_LOG_MAX_PARTITIONS, count);
        goto out;
    }
    /* the longest path the new partitions will have, checked before anything is made */
    if ((rc =
             fl_path_fmt(path, sizeof(path), err, "%s/%d/%020d.timeindex", t->dir, count - 1, 0)) ||
        validate_only)
        goto out;
    ps = parts_new(old, count);
    for (int k = old->n; k < count && !rc; k++) rc = fl_log_part_open(log, t, k, &ps->v[k], err);
    /* the new count persisted last, atomically: a crash before leaves
     * empty partition folders the count does not name, which the next
     * add reopens as they are */
    if (!rc) {
        struct fl_log_topic_config c = t->cfg;
        c.partitions = count;
        json = config_json(&c);
        rc = fl_path_fmt(path, sizeof(path), err, "%s/topic.json", t->dir);
        if (!rc) rc = fl_log_file_put(path, json, strlen(json), err);
    }
    if (rc) {
        parts_drop(t, ps, old->n);
        goto out;
    }
    ps->older = old;
    __atomic_store_n(&t->parts, ps, __ATOMIC_RELEASE);
    ps = NULL;
out:
    pthread_mutex_unlock(&log->lock);
    free(json);
    fl_free(ps);
    return rc;
}
