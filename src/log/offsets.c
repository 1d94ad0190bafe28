/*
 * offsets.c - consumer groups' committed offsets.
 *
 * Each group has one small file, groups/<group>.json, holding every
 * (topic, partition, offset) it committed: {"group": ..., "offsets":
 * [{"topic": ..., "partition": ..., "offset": ...}]}. A commit rewrites
 * the group's file atomically (temp file, fsync, rename, fsync of the
 * folder) before it returns, so a committed offset survives kill -9 and
 * power loss. The file name is the group name with every byte outside
 * [A-Za-z0-9_-] written as %XX. All groups are loaded at open and kept
 * in memory (log->off_lock); commits of all groups are serialized, which
 * suits the handful of pipelines that commit.
 */
#include "log/log_int.h"

#include "core/fileio.h"
#include "core/mem.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define GROUP_FILE_MAX (16 << 20)
#define GROUP_NAME_MAX 200
#define FILE_NAME_MAX 240

/* The group's file name (without .json); false when too long. */
static bool encode_name(const char *group, char *out, size_t outsz) {
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)group; *p; p++) {
        if (o + 4 > outsz || o + 3 > FILE_NAME_MAX) return false;
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '_' || *p == '-') {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    out[o] = '\0';
    return o > 0;
}

static void add(struct fl_log *log, const char *group, const char *topic, int partition,
                int64_t offset) {
    for (int i = 0; i < log->noffs; i++) {
        struct fl_log_group_off *g = &log->offs[i];
        if (g->partition == partition && !strcmp(g->group, group) && !strcmp(g->topic, topic)) {
            g->offset = offset;
            return;
        }
    }
    if (log->noffs == log->capoffs) {
        log->capoffs = log->capoffs ? log->capoffs * 2 : 16;
        log->offs = fl_reallocarray(log->offs, (size_t)log->capoffs, sizeof(*log->offs));
    }
    log->offs[log->noffs++] =
        (struct fl_log_group_off){fl_strdup(group), fl_strdup(topic), partition, offset};
}

static void load_file(struct fl_log *log, const char *path) {
    json_error_t je;
    json_t *o = json_load_file(path, 0, &je);
    json_t *offs = json_object_get(o, "offsets");
    const char *group = json_string_value(json_object_get(o, "group"));
    size_t i;
    json_t *e;
    if (group && json_is_array(offs)) json_array_foreach(offs, i, e) {
            const char *topic = json_string_value(json_object_get(e, "topic"));
            json_t *p = json_object_get(e, "partition"), *off = json_object_get(e, "offset");
            if (topic && json_is_integer(p) && json_is_integer(off) && json_integer_value(p) >= 0 &&
                json_integer_value(p) <= INT32_MAX)
                add(log, group, topic, (int)json_integer_value(p), json_integer_value(off));
        }
    json_decref(o);
}

fl_err_t fl_log_offsets_load(struct fl_log *log, struct fl_error *err) {
    char path[FL_PATH_MAX];
    DIR *d = NULL;
    fl_err_t rc = fl_path_fmt(path, sizeof(path), err, "%s/groups", log->dir);
    if (!rc) rc = fl_log_dir_open(log, path, &d, err);
    if (rc || !d) return rc;
    struct dirent *de;
    while (!rc && (de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        char file[FL_PATH_MAX];
        if ((rc = fl_path_fmt(file, sizeof(file), err, "%s/%s", path, de->d_name))) break;
        if (n > 4 && !strcmp(de->d_name + n - 4, ".tmp")) {
            if (!log->ro) remove(file); /* a commit cut short: the previous file stands */
            continue;
        }
        struct stat st;
        if (n > 5 && !strcmp(de->d_name + n - 5, ".json") && stat(file, &st) == 0 &&
            st.st_size <= GROUP_FILE_MAX)
            load_file(log, file);
    }
    closedir(d);
    return rc;
}

void fl_log_offsets_free(struct fl_log *log) {
    for (int i = 0; i < log->noffs; i++) {
        fl_free(log->offs[i].group);
        fl_free(log->offs[i].topic);
    }
    fl_free(log->offs);
    log->offs = NULL;
    log->noffs = log->capoffs = 0;
}

/* Rewrites the group's file from memory. @locks log->off_lock */
static fl_err_t group_save(struct fl_log *log, const char *group, const char *fname,
                           struct fl_error *err) {
    json_t *arr = json_array();
    for (int i = 0; i < log->noffs; i++) {
        struct fl_log_group_off *g = &log->offs[i];
        if (strcmp(g->group, group) != 0) continue;
        json_array_append_new(arr, json_pack("{s:s, s:i, s:I}", "topic", g->topic, "partition",
                                             g->partition, "offset", (json_int_t)g->offset));
    }
    json_t *o = json_pack("{s:s, s:o}", "group", group, "offsets", arr);
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    char path[FL_PATH_MAX];
    fl_err_t rc = s ? fl_path_fmt(path, sizeof(path), err, "%s/groups/%s.json", log->dir, fname)
                    : fl_errf(err, FL_ERR_INVALID, "group \"%s\" cannot be written as JSON", group);
    if (!rc) rc = fl_log_file_put(path, s, strlen(s), err);
    free(s);
    return rc;
}

fl_err_t fl_log_offset_commit(struct fl_log *log, const char *group, const char *topic,
                              int partition, int64_t offset, struct fl_error *err) {
    char fname[FILE_NAME_MAX + 8];
    if (!group || strlen(group) > GROUP_NAME_MAX || !encode_name(group, fname, sizeof(fname)))
        return fl_errf(err, FL_ERR_INVALID, "group name: 1..%d bytes", GROUP_NAME_MAX);
    if (log->ro) return fl_errf(err, FL_ERR_INVALID, "the log is open read-only");
    if (!fl_log_name_valid(topic) || partition < 0 || offset < 0)
        return fl_errf(err, FL_ERR_INVALID, "offset commit: bad topic, partition or offset");
    pthread_mutex_lock(&log->off_lock);
    add(log, group, topic, partition, offset);
    fl_err_t rc = group_save(log, group, fname, err);
    pthread_mutex_unlock(&log->off_lock);
    return rc;
}

fl_err_t fl_log_offset_fetch(struct fl_log *log, const char *group, const char *topic,
                             int partition, int64_t *offset, struct fl_error *err) {
    fl_err_t rc = FL_ERR_NOTFOUND;
    pthread_mutex_lock(&log->off_lock);
    for (int i = 0; group && topic && i < log->noffs; i++) {
        struct fl_log_group_off *g = &log->offs[i];
        if (g->partition == partition && !strcmp(g->group, group) && !strcmp(g->topic, topic)) {
            *offset = g->offset;
            rc = FL_OK;
            break;
        }
    }
    pthread_mutex_unlock(&log->off_lock);
    if (rc)
        return fl_errf(err, rc, "group \"%s\" has no offset for %s-%d", group ? group : "",
                       topic ? topic : "", partition);
    return FL_OK;
}

void fl_log_offsets_drop_topic(struct fl_log *log, const char *topic) {
    pthread_mutex_lock(&log->off_lock);
    char **groups = fl_calloc((size_t)log->noffs + 1, sizeof(*groups));
    int ng = 0;
    for (int i = 0; i < log->noffs;) {
        struct fl_log_group_off *g = &log->offs[i];
        if (strcmp(g->topic, topic) != 0) {
            i++;
            continue;
        }
        bool seen = false;
        for (int k = 0; k < ng && !seen; k++) seen = !strcmp(groups[k], g->group);
        if (!seen) groups[ng++] = fl_strdup(g->group);
        fl_free(g->group);
        fl_free(g->topic);
        log->offs[i] = log->offs[--log->noffs];
    }
    for (int k = 0; k < ng; k++) {
        char fname[FILE_NAME_MAX + 8];
        if (encode_name(groups[k], fname, sizeof(fname)))
            (void)group_save(log, groups[k], fname, NULL);
        fl_free(groups[k]);
    }
    fl_free(groups);
    pthread_mutex_unlock(&log->off_lock);
}
