/*
 * fileio.c - paths in fixed buffers, and whole reads and writes (see
 * fileio.h).
 */
#include "core/fileio.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

fl_err_t fl_path_fmt(char *buf, size_t size, struct fl_error *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < size) return FL_OK;
    fl_err_t rc = fl_errf(err, FL_ERR_LIMIT, "path %.80s... is %d bytes, over the limit of %zu",
                          buf, n, size ? size - 1 : 0);
    if (size) buf[0] = '\0';
    return rc;
}

fl_err_t fl_path_check_name(const char *what, const char *name, struct fl_error *err) {
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 255)
        return fl_errf(err, FL_ERR_INVALID, "%s name must be 1 to 255 bytes", what);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
            return fl_errf(err, FL_ERR_INVALID,
                           "%s name \"%s\" contains '/', '\\' or a control character", what, name);
    }
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return fl_errf(err, FL_ERR_INVALID, "%s name \"%s\" is not allowed", what, name);
    return FL_OK;
}

int fl_write_all_fn(int fd, const void *data, size_t len, int64_t off, fl_write_fn fn, void *ctx) {
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t n = off >= 0 ? pwrite(fd, p, len, (off_t)off)
                    : fn     ? fn(ctx, fd, p, len)
                             : write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) {
            errno = ENOSPC;
            return -1;
        }
        p += n;
        len -= (size_t)n;
        if (off >= 0) off += n;
    }
    return 0;
}

int fl_read_full(int fd, void *data, size_t len, int64_t off, size_t *got) {
    uint8_t *p = data;
    size_t done = 0;
    int r = 0;
    while (done < len) {
        ssize_t n = off >= 0 ? pread(fd, p + done, len - done, (off_t)(off + (int64_t)done))
                             : read(fd, p + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            r = n < 0 ? -1 : 1;
            break;
        }
        done += (size_t)n;
    }
    if (got) *got = done;
    return r;
}
