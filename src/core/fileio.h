/*
 * fileio.h - paths in fixed buffers, and whole reads and writes.
 *
 * Owns what every floor that touches files did its own way: formatting
 * a path into a fixed buffer (an error when it does not fit, never a
 * shortened path that names another file), checking a name that becomes
 * one segment of a path (a namespace level, a table's folder), and
 * moving a whole buffer through write/pwrite and read/pread, retried on
 * EINTR and short transfers. The callers keep their own error messages:
 * the I/O helpers return errno-style results and the caller names the
 * file.
 */
#ifndef FL_CORE_FILEIO_H
#define FL_CORE_FILEIO_H

#include "core/err.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The size of every fixed path buffer: the longest path the kernel takes
 * (Linux's PATH_MAX, 4096 bytes with the NUL). */
#define FL_PATH_MAX 4096

/* Formats a path into buf (size bytes) as snprintf does. FL_ERR_LIMIT,
 * with a message naming the start of the path and the limit, when it
 * would not fit (buf then holds ""), so no caller ever opens or creates
 * a file at a truncated path. err may be NULL. */
fl_err_t fl_path_fmt(char *buf, size_t size, struct fl_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Checks a name that becomes one path segment (a namespace level or a
 * table name, in the catalog and as a table's folder): 1 to 255 bytes
 * (NAME_MAX), no '/', '\\' or control character, not "." or "..".
 * FL_ERR_INVALID with a message naming what (e.g. "table") otherwise. */
fl_err_t fl_path_check_name(const char *what, const char *name, struct fl_error *err);

/* One write of at most len bytes, as write(2) returns (a test's fault
 * injection may pass its own to fl_write_all_fn). */
typedef ssize_t (*fl_write_fn)(void *ctx, int fd, const void *data, size_t len);

/* Writes all len bytes to fd: at off with pwrite when off >= 0, else at
 * the file position; retried on EINTR and after short writes; through fn
 * (with ctx) when fn is not NULL, for the file-position case. 0, or -1
 * with errno set (ENOSPC when a write made no progress). */
int fl_write_all_fn(int fd, const void *data, size_t len, int64_t off, fl_write_fn fn, void *ctx);
static inline int fl_write_all(int fd, const void *data, size_t len, int64_t off) {
    return fl_write_all_fn(fd, data, len, off, NULL, NULL);
}

/* Reads len bytes from fd: at off with pread when off >= 0, else from
 * the file position; retried on EINTR and after short reads. 0 when all
 * came, 1 at the end of the file before that, -1 with errno on an error;
 * *got (may be NULL) gets the bytes read in every case. */
int fl_read_full(int fd, void *data, size_t len, int64_t off, size_t *got);

#endif
