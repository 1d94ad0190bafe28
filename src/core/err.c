/*
 * err.c - error names and the formatting of error buffers.
 */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const err_names[FL_ERR__COUNT] = {
    [FL_OK] = "ok",
    [FL_ERR_NOMEM] = "out of memory",
    [FL_ERR_INVALID] = "invalid",
    [FL_ERR_CORRUPT] = "corrupt",
    [FL_ERR_IO] = "i/o error",
    [FL_ERR_NOTFOUND] = "not found",
    [FL_ERR_UNSUPPORTED] = "unsupported",
    [FL_ERR_LIMIT] = "limit reached",
    [FL_ERR_RANGE] = "out of range",
    [FL_ERR_EOF] = "end of input",
    [FL_ERR_EXISTS] = "already exists",
    [FL_ERR_CONFLICT] = "conflict",
};

const char *fl_err_name(fl_err_t code) {
    if ((int)code < 0 || code >= FL_ERR__COUNT) return "unknown error";
    return err_names[code];
}

fl_err_t fl_errf(struct fl_error *err, fl_err_t code, const char *fmt, ...) {
    if (!err || err->code != FL_OK) return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    err->code = code;
    return code;
}

void fl_err_prefix(struct fl_error *err, const char *fmt, ...) {
    if (!err) return;
    char pre[FL_ERROR_MSG_MAX], old[FL_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof(pre), fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof(old));
    size_t n = strlen(pre);
    if (n > sizeof(err->msg) - 3) n = sizeof(err->msg) - 3;
    memcpy(err->msg, pre, n);
    memcpy(err->msg + n, ": ", 2);
    size_t rest = sizeof(err->msg) - n - 3;
    size_t m = strlen(old);
    if (m > rest) m = rest;
    memcpy(err->msg + n + 2, old, m);
    err->msg[n + 2 + m] = '\0';
}

void fl_err_clear(struct fl_error *err) {
    if (!err) return;
    err->code = FL_OK;
    err->msg[0] = '\0';
}
