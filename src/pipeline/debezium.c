/*
 * debezium.c - a Debezium change event's op and row (see debezium.h).
 * One jansson parse per event (the row is then decoded by the map like
 * any JSON record).
 */
#include "pipeline/debezium.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fl_pipe_dbz_read(const uint8_t *value, size_t len, const struct fl_schema *schema,
                     uint8_t *unchanged, struct fl_pipe_dbz *out, char *reason, size_t reasonsz) {
    memset(out, 0, sizeof(*out));
    memset(unchanged, 0, (size_t)schema->nfields);
    json_error_t je;
    json_t *root = json_loadb((const char *)value, len, 0, &je);
    if (!json_is_object(root)) {
        snprintf(reason, reasonsz, "change event: not a JSON object%s%s", root ? "" : ": ",
                 root ? "" : je.text);
        json_decref(root);
        return -1;
    }
    json_t *ev = json_object_get(root, "payload");
    if (!json_is_object(ev) || !json_object_get(ev, "op")) ev = root;
    const char *op = json_string_value(json_object_get(ev, "op"));
    int rc = -1;
    if (!op || strlen(op) != 1 || !strchr("curdt", op[0])) {
        snprintf(reason, reasonsz, "change event: op is %s", op ? op : "missing");
        goto out;
    }
    out->op = op[0];
    if (out->op == 't') {
        rc = 0;
        goto out;
    }
    const char *which = out->op == 'd' ? "before" : "after";
    json_t *row = json_object_get(ev, which);
    if (!json_is_object(row)) {
        snprintf(reason, reasonsz, "change event: op %c without a %s object", out->op, which);
        goto out;
    }
    const char *k;
    json_t *v, *tmp;
    json_object_foreach_safe(row, tmp, k, v) {
        const char *s = json_string_value(v);
        if (!s || strcmp(s, FL_DBZ_UNAVAILABLE)) continue;
        int c = fl_schema_index_by_name(schema, k);
        if (c >= 0) unchanged[c] = 1;
        json_object_del(row, k);
    }
    out->row = json_dumps(row, JSON_COMPACT);
    if (!out->row) {
        snprintf(reason, reasonsz, "change event: cannot print the row");
        goto out;
    }
    out->row_len = strlen(out->row);
    rc = 0;
out:
    json_decref(root);
    return rc;
}

void fl_pipe_dbz_fini(struct fl_pipe_dbz *ev) {
    free(ev->row);
    memset(ev, 0, sizeof(*ev));
}
