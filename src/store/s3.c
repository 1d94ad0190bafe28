/* s3.c - placeholder, replaced below */
#include "store/store_int.h"
fl_err_t fl_store_s3_open(const char *bucket_and_prefix, const struct fl_store_opts *opts,
                          struct fl_store **out, struct fl_error *err) {
    (void)bucket_and_prefix; (void)opts; *out = NULL;
    return fl_errf(err, FL_ERR_UNSUPPORTED, "store: s3 not built yet");
}
