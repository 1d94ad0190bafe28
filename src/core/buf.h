/*
 * buf.h - growable byte buffers with a hard cap (curl's dynbuf).
 *
 * A struct fl_buf is embedded by its owner: fl_buf_init() sets the cap,
 * appends grow it geometrically up to the cap and fail with FL_ERR_LIMIT
 * beyond it, fl_buf_fini() frees it. len bytes of data are valid.
 */
#ifndef FL_CORE_BUF_H
#define FL_CORE_BUF_H

#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

struct fl_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t max; /* hard cap on len */
};

#define FL_BUF_NOMAX ((size_t)1 << 40)

void fl_buf_init(struct fl_buf *buf, size_t max);
void fl_buf_fini(struct fl_buf *buf);
/* Keeps the allocation, forgets the contents. */
static inline void fl_buf_reset(struct fl_buf *buf) { buf->len = 0; }
/* Ensures room for extra more bytes. */
fl_err_t fl_buf_reserve(struct fl_buf *buf, size_t extra);
fl_err_t fl_buf_append(struct fl_buf *buf, const void *data, size_t len);
fl_err_t fl_buf_append_u8(struct fl_buf *buf, uint8_t byte);
fl_err_t fl_buf_append_str(struct fl_buf *buf, const char *s);
/* Appends s (len bytes) as a JSON string: quoted, with ", \ and control
 * characters escaped (bytes >= 0x80 as they are). */
fl_err_t fl_buf_append_json_str(struct fl_buf *buf, const char *s, size_t len);
fl_err_t fl_buf_printf(struct fl_buf *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends len zero bytes and returns a pointer to them (NULL at the cap). */
uint8_t *fl_buf_grow(struct fl_buf *buf, size_t len);
/* Appends little-endian integers. */
fl_err_t fl_buf_append_le32(struct fl_buf *buf, uint32_t v);
fl_err_t fl_buf_append_le64(struct fl_buf *buf, uint64_t v);
/* Gives the bytes to the caller (who frees them with fl_free) and empties buf. */
uint8_t *fl_buf_detach(struct fl_buf *buf, size_t *len);

#endif
