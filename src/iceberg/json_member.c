/*
 * json_member.c - the one checked reader of integer members in Iceberg
 * JSON (see json_member.h).
 */
#include "iceberg/json_member.h"

fl_err_t fl_ice_json_i64(const json_t *o, const char *what, const char *key, int flags,
                         int64_t dflt, int64_t *v, struct fl_error *err) {
    int nullable = flags & FL_ICE_JSON_NULLABLE;
    json_t *j = json_is_object(o) ? json_object_get(o, key) : NULL;
    if (json_is_integer(j)) {
        *v = (int64_t)json_integer_value(j);
        return FL_OK;
    }
    if (j && !(nullable && json_is_null(j)))
        return fl_errf(err, FL_ERR_INVALID, "%s: \"%s\" must be an integer%s", what, key,
                       nullable ? " or null" : "");
    if (flags & FL_ICE_JSON_REQUIRED)
        return fl_errf(err, FL_ERR_INVALID, "%s: \"%s\" is required", what, key);
    *v = dflt;
    return FL_OK;
}
