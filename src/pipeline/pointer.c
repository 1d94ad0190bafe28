/*
 * pointer.c - fetch and decode the raw file a pointer record names (see
 * pointer.h). The path comes from the wire, so it is checked before it
 * becomes a store key: relative, no "..", no empty or "." segments, no
 * control bytes, bounded length. The file is read with a hard size cap
 * and must hold a JSON object or an array of objects.
 */
#include "pipeline/pointer.h"
#include "core/buf.h"

#include <stdio.h>
#include <string.h>

#define PATH_MAX_LEN 1024

/* true when p is a safe relative store key */
static int path_ok(const char *p) {
    size_t n = strlen(p);
    if (n == 0 || n > PATH_MAX_LEN || p[0] == '/') return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] < 0x20 || p[i] == '\\') return 0;
    const char *seg = p;
    for (;;) {
        const char *slash = strchr(seg, '/');
        size_t sl = slash ? (size_t)(slash - seg) : strlen(seg);
        if (sl == 0 || (sl == 1 && seg[0] == '.') || (sl == 2 && seg[0] == '.' && seg[1] == '.'))
            return 0;
        if (!slash) return 1;
        seg = slash + 1;
    }
}

fl_err_t fl_pipe_pointer_load(struct fl_store *st, const uint8_t *value, size_t len,
                              size_t max_bytes, json_t **rows, char *reason, size_t reasonsz) {
    *rows = NULL;
    if (!value) {
        snprintf(reason, reasonsz, "pointer record has a null value");
        return FL_ERR_INVALID;
    }
    json_error_t je;
    json_t *ptr = json_loadb((const char *)value, len, JSON_REJECT_DUPLICATES, &je);
    json_t *jp = json_is_object(ptr) ? json_object_get(ptr, "file_path") : NULL;
    if (!json_is_string(jp)) {
        snprintf(reason, reasonsz, "pointer record is not {\"file_name\",\"file_path\"}%s%s",
                 ptr ? "" : ": ", ptr ? "" : je.text);
        json_decref(ptr);
        return FL_ERR_INVALID;
    }
    const char *path = json_string_value(jp);
    struct fl_error ke = {0};
    if (!path_ok(path) || fl_store_key_check(path, &ke)) {
        snprintf(reason, reasonsz, "pointer file_path \"%.200s\" is not a relative store path",
                 path);
        json_decref(ptr);
        return FL_ERR_INVALID;
    }
    struct fl_buf buf;
    fl_buf_init(&buf, max_bytes + 1);
    struct fl_error e = {0};
    fl_err_t rc = fl_store_get(st, path, &buf, max_bytes, &e);
    if (rc) {
        snprintf(reason, reasonsz, "pointer file %.200s: %s", path,
                 rc == FL_ERR_NOTFOUND ? "not found"
                 : e.msg[0]            ? e.msg
                                       : fl_err_name(rc));
        goto out;
    }
    json_t *doc = json_loadb((const char *)buf.data, buf.len, JSON_REJECT_DUPLICATES, &je);
    if (json_is_object(doc)) {
        json_t *a = json_array();
        json_array_append_new(a, doc);
        doc = a;
    }
    if (!json_is_array(doc)) {
        snprintf(reason, reasonsz, "pointer file %.200s: not a JSON object or array%s%s", path,
                 doc ? "" : ": ", doc ? "" : je.text);
        json_decref(doc);
        rc = FL_ERR_INVALID;
        goto out;
    }
    size_t i;
    json_t *el;
    json_array_foreach(doc, i, el) {
        if (!json_is_object(el)) {
            snprintf(reason, reasonsz, "pointer file %.200s: element %zu is not an object", path,
                     i);
            json_decref(doc);
            rc = FL_ERR_INVALID;
            goto out;
        }
    }
    *rows = doc;
out:
    fl_buf_fini(&buf);
    json_decref(ptr);
    return rc;
}
