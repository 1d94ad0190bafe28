/*
 * buf.c - growable byte buffers with a hard cap.
 */
#include "core/buf.h"
#include "core/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void fl_buf_init(struct fl_buf *buf, size_t max) {
    buf->data = NULL;
    buf->len = buf->cap = 0;
    buf->max = max;
}

void fl_buf_fini(struct fl_buf *buf) {
    fl_free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
}

fl_err_t fl_buf_reserve(struct fl_buf *buf, size_t extra) {
    size_t need;
    if (!fl_add_ok(buf->len, extra, &need) || need > buf->max) return FL_ERR_LIMIT;
    if (need <= buf->cap) return FL_OK;
    size_t cap = buf->cap ? buf->cap : 64;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > buf->max) cap = buf->max;
    buf->data = fl_realloc(buf->data, cap);
    buf->cap = cap;
    return FL_OK;
}

fl_err_t fl_buf_append(struct fl_buf *buf, const void *data, size_t len) {
    fl_err_t err = fl_buf_reserve(buf, len);
    if (err) return err;
    if (len) memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    return FL_OK;
}

fl_err_t fl_buf_append_u8(struct fl_buf *buf, uint8_t byte) {
    if (buf->len < buf->cap) {
        buf->data[buf->len++] = byte;
        return FL_OK;
    }
    return fl_buf_append(buf, &byte, 1);
}

fl_err_t fl_buf_append_str(struct fl_buf *buf, const char *s) {
    return fl_buf_append(buf, s, strlen(s));
}

fl_err_t fl_buf_printf(struct fl_buf *buf, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return FL_ERR_INVALID;
    fl_err_t err = fl_buf_reserve(buf, (size_t)n + 1);
    if (err) return err;
    va_start(ap, fmt);
    vsnprintf((char *)buf->data + buf->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf->len += (size_t)n;
    return FL_OK;
}

uint8_t *fl_buf_grow(struct fl_buf *buf, size_t len) {
    if (fl_buf_reserve(buf, len)) return NULL;
    uint8_t *p = buf->data + buf->len;
    memset(p, 0, len);
    buf->len += len;
    return p;
}

fl_err_t fl_buf_append_le32(struct fl_buf *buf, uint32_t v) {
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    return fl_buf_append(buf, b, 4);
}

fl_err_t fl_buf_append_le64(struct fl_buf *buf, uint64_t v) {
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
    return fl_buf_append(buf, b, 8);
}

uint8_t *fl_buf_detach(struct fl_buf *buf, size_t *len) {
    uint8_t *p = buf->data;
    if (len) *len = buf->len;
    buf->data = NULL;
    buf->len = buf->cap = 0;
    return p;
}

fl_err_t fl_buf_append_json_str(struct fl_buf *b, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    fl_err_t rc = fl_buf_append_u8(b, '"');
    size_t run = 0; /* bytes copied as they are, flushed in one append */
    for (size_t i = 0; i < len && rc == FL_OK; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            run++;
            continue;
        }
        if (run) rc = fl_buf_append(b, s + i - run, run);
        run = 0;
        char esc[7] = {'\\', 0};
        size_t n = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        if (rc == FL_OK) rc = fl_buf_append(b, esc, n);
    }
    if (run && rc == FL_OK) rc = fl_buf_append(b, s + len - run, run);
    if (rc == FL_OK) rc = fl_buf_append_u8(b, '"');
    return rc;
}
