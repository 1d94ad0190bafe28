/*
 * json_member.h - checked reads of the integer members of Iceberg JSON:
 * table metadata files (ours and other engines'), partition specs, and
 * the TableRequirement / TableUpdate objects of a commit (whether they
 * come through the REST catalog, the CLI or a pipeline).
 *
 * Why: jansson's json_integer_value() reads anything that is not an
 * integer as 0, so a snapshot id written as the string "123" would
 * silently name snapshot 0. Every integer member is read here instead,
 * and one of the wrong type is an error naming it.
 */
#ifndef FL_ICEBERG_JSON_MEMBER_H
#define FL_ICEBERG_JSON_MEMBER_H

#include "core/err.h"

#include <jansson.h>
#include <stdint.h>

#define FL_ICE_JSON_OPTIONAL 0 /* absent: *v = dflt */
#define FL_ICE_JSON_REQUIRED 1 /* absent: an error */
#define FL_ICE_JSON_NULLABLE 2 /* null reads as absent (e.g. a ref that must not exist) */

/* o[key] as an integer into *v. A member that is absent (or null, with
 * FL_ICE_JSON_NULLABLE; or o is not an object) gives dflt unless
 * FL_ICE_JSON_REQUIRED is set. Anything else that is not a JSON integer -
 * the string "123", 1.5, true, null without FL_ICE_JSON_NULLABLE - is
 * FL_ERR_INVALID with `<what>: "<key>" must be an integer` (or `is
 * required`, `must be an integer or null`), and *v is left as it was. */
fl_err_t fl_ice_json_i64(const json_t *o, const char *what, const char *key, int flags,
                         int64_t dflt, int64_t *v, struct fl_error *err);

#endif
