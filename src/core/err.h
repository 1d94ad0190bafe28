/*
 * err.h - floe's error codes and error buffers.
 *
 * Every fallible function returns an fl_err_t (FL_OK == 0). Functions at a
 * boundary (file formats, config, HTTP, SQL, storage) also fill a caller's
 * struct fl_error with a message a user can act on. Deep code never prints.
 */
#ifndef FL_CORE_ERR_H
#define FL_CORE_ERR_H

#include <stddef.h>

typedef enum {
    FL_OK = 0,
    FL_ERR_NOMEM,       /* allocation failed */
    FL_ERR_INVALID,     /* bad argument or input that does not fit */
    FL_ERR_CORRUPT,     /* bytes from a file or the wire are malformed */
    FL_ERR_IO,          /* read, write, fsync, open failed */
    FL_ERR_NOTFOUND,    /* no such file, column, key */
    FL_ERR_UNSUPPORTED, /* valid but not implemented */
    FL_ERR_LIMIT,       /* a configured or hard cap was reached */
    FL_ERR_RANGE,       /* a value does not fit its type */
    FL_ERR_EOF,         /* clean end of input */
    FL_ERR_EXISTS,      /* create-only write refused: the key/file exists */
    FL_ERR_CONFLICT,    /* a compare-and-swap lost: someone else changed it first */
    FL_ERR__COUNT
} fl_err_t;

#define FL_ERROR_MSG_MAX 512

/* A caller-owned error buffer; code and message of the first failure. */
struct fl_error {
    fl_err_t code;
    char msg[FL_ERROR_MSG_MAX];
};

/* Short stable name of a code ("corrupt", "io", ...). */
const char *fl_err_name(fl_err_t code);

/* Formats a message into err (if not NULL) and returns code, so that
 * callers can write `return fl_errf(err, FL_ERR_CORRUPT, "...", ...)`.
 * An error already set in err is kept: the first failure is the cause. */
fl_err_t fl_errf(struct fl_error *err, fl_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes an existing message with context ("file x.parquet: ..."). */
void fl_err_prefix(struct fl_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Clears err to FL_OK and an empty message. */
void fl_err_clear(struct fl_error *err);

#endif
