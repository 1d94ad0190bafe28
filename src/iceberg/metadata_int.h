/*
 * metadata_int.h - what metadata.c and metadata_update.c share about the
 * jansson document behind struct fl_ice_meta (not for other subsystems).
 */
#ifndef FL_ICEBERG_METADATA_INT_H
#define FL_ICEBERG_METADATA_INT_H

#include "iceberg/metadata.h"

#include <jansson.h>
#include <stdint.h>

#define FL_ICE_DOC(meta) ((json_t *)(meta)->doc)

/* d[key] as an array (array != 0) or object, created when missing or of
 * another type. Borrowed. */
static inline json_t *fl_ice_doc_member(json_t *d, const char *key, int array) {
    json_t *j = json_object_get(d, key);
    if (array ? !json_is_array(j) : !json_is_object(j)) {
        j = array ? json_array() : json_object();
        json_object_set_new(d, key, j);
    }
    return j;
}

/* o[key] as an integer, dflt when absent or not an integer: only for
 * members fl_ice_meta_rebuild has checked with fl_ice_json_i64 (read
 * anything else, from a file or a request, with that). */
static inline int64_t fl_ice_doc_i64(json_t *o, const char *key, int64_t dflt) {
    json_t *j = json_object_get(o, key);
    return json_is_integer(j) ? (int64_t)json_integer_value(j) : dflt;
}

#endif
