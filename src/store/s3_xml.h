/*
 * s3_xml.h - a small, bounded XML scanner for S3's response bodies
 * (ListBucketResult, InitiateMultipartUploadResult, Error, ...).
 *
 * Not a general XML parser: no DTDs (refused), attributes are skipped,
 * namespaces are kept in names. It checks that tags nest and match,
 * decodes the five named entities and numeric character references,
 * and caps depth, name and text sizes, so hostile bytes cannot make it
 * loop, recurse or allocate without bound. Fuzzed by tests/fuzz.
 */
#ifndef FL_STORE_S3_XML_H
#define FL_STORE_S3_XML_H

#include "core/err.h"

#include <stddef.h>

#define FL_S3_XML_DEPTH_MAX 32
#define FL_S3_XML_NAME_MAX 128
#define FL_S3_XML_TEXT_MAX (64 << 10)

/* Called at the end of each element: depth 1 is the root; name is the
 * element's name, text its decoded direct text (NUL-terminated, len
 * bytes). parent is the enclosing element's name ("" for the root). A
 * non-FL_OK return stops the scan and is returned. */
typedef fl_err_t (*fl_s3_xml_fn)(void *ctx, int depth, const char *parent, const char *name,
                                 const char *text, size_t len);

/* Scans xml[0..len); FL_ERR_CORRUPT with a message on malformed input. */
fl_err_t fl_s3_xml_scan(const char *xml, size_t len, fl_s3_xml_fn cb, void *ctx,
                        struct fl_error *err);

#endif
