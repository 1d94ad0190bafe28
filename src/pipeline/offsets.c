/*
 * offsets.c - a pipeline's recorded offsets: read, checked, merged (see
 * offsets.h).
 */
#include "pipeline/offsets.h"
#include "core/mem.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

char *fl_pipe_offsets_key(const char *topic) {
    size_t n = strlen(topic) + 16;
    char *k = fl_malloc(n);
    snprintf(k, n, "floe.offsets.%s", topic);
    return k;
}

const char *fl_pipe_offsets_recorded(const struct fl_ice_meta *meta, const char *topic) {
    char *key = fl_pipe_offsets_key(topic);
    int64_t snap = meta->current_snapshot_id;
    const char *v = NULL;
    for (int guard = 0; snap != FL_ICE_NO_SNAPSHOT && guard <= meta->nsnapshots; guard++) {
        if ((v = fl_ice_snapshot_summary(meta, snap, key))) break;
        const struct fl_ice_snapshot *s = fl_ice_meta_snapshot(meta, snap);
        snap = s ? s->parent_id : FL_ICE_NO_SNAPSHOT;
    }
    fl_free(key);
    return v;
}

int64_t fl_pipe_offsets_get(const char *recorded, int32_t partition) {
    if (!recorded) return -1;
    json_t *o = json_loads(recorded, 0, NULL);
    char k[16];
    snprintf(k, sizeof(k), "%d", (int)partition);
    json_t *v = json_object_get(o, k);
    int64_t r = json_is_integer(v) && json_integer_value(v) >= 0 ? json_integer_value(v) : -1;
    json_decref(o);
    return r;
}

fl_err_t fl_pipe_offsets_merge(const char *recorded, const char *topic,
                               const struct fl_pipe_offset_move *mv, int n, char **out,
                               struct fl_error *err) {
    *out = NULL;
    json_t *o = recorded ? json_loads(recorded, 0, NULL) : json_object();
    const char *k;
    json_t *v;
    if (!json_is_object(o)) {
        json_decref(o);
        return fl_errf(err, FL_ERR_CORRUPT, "offsets of %s: not a JSON object", topic);
    }
    json_object_foreach(o, k, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            fl_errf(err, FL_ERR_CORRUPT, "offsets of %s: partition %.32s is not an offset", topic,
                    k); /* k lives in o */
            json_decref(o);
            return FL_ERR_CORRUPT;
        }
    }
    for (int i = 0; i < n; i++) {
        char key[16];
        snprintf(key, sizeof(key), "%d", (int)mv[i].partition);
        json_t *cur = json_object_get(o, key);
        int64_t at = cur ? json_integer_value(cur) : -1;
        if (at != mv[i].base) {
            json_decref(o);
            return fl_errf(err, FL_ERR_CONFLICT,
                           "%s/%d: the table records offset %lld, this worker read from %lld "
                           "(another worker took the partition): commit refused",
                           topic, (int)mv[i].partition, (long long)at, (long long)mv[i].base);
        }
        json_object_set_new(o, key, json_integer(mv[i].next));
    }
    *out = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return *out ? FL_OK : fl_errf(err, FL_ERR_NOMEM, "offsets of %s", topic);
}
