/*
 * fuzz_s3_xml.c - libFuzzer target: S3 response bodies (ListBucketResult,
 * InitiateMultipartUploadResult, Error) come from the network, so the
 * bounded XML scanner of src/store/s3_xml.c must never crash, hang or
 * read out of bounds, and every text it reports must be as long as it
 * says and NUL-terminated. The same bytes also go through the
 * ListMultipartUploads reply parser (store/s3.h), whose keys must lie
 * under the prefix it strips and whose ids are never empty.
 *
 * Seeds in tests/fuzz/corpus/s3_xml/: replies captured from s3rver.
 */
#include "core/mem.h"
#include "store/s3.h"
#include "store/s3_xml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fl_err_t cb(void *ctx, int depth, const char *parent, const char *name, const char *text,
                   size_t len) {
    size_t *total = ctx;
    if (depth < 1 || depth > FL_S3_XML_DEPTH_MAX || strlen(text) > len || text[len] != '\0' ||
        strlen(name) >= FL_S3_XML_NAME_MAX || (depth == 1) != (parent[0] == '\0'))
        abort();
    *total += len;
    return FL_OK;
}

static fl_err_t upload_cb(void *ctx, const char *key, const char *upload_id,
                          int64_t initiated_ms) {
    (void)ctx;
    (void)key;
    (void)initiated_ms;
    if (!upload_id[0]) abort();
    return FL_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t total = 0;
    struct fl_error err = {0};
    fl_s3_xml_scan((const char *)data, size, cb, &total, &err);
    bool truncated;
    char *nk = NULL, *ni = NULL;
    fl_s3_uploads_parse((const char *)data, size, "wh/", upload_cb, NULL, &truncated, &nk, &ni,
                        &err);
    fl_free(nk);
    fl_free(ni);
    return 0;
}
