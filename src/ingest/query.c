/*
 * query.c - percent-decoding, query parameters and UTF-8 validation for
 * request targets. The server hands the router the raw target as the
 * client sent it, so all decoding of paths and parameters happens here,
 * in one place the unit tests and the fuzzer reach without a socket.
 */
#include "ingest/query.h"

#include <string.h>

bool fl_ingest_utf8_valid(const uint8_t *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (len - i <= n) return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return false; /* overlong */
        if (cp >= 0xD800 && cp <= 0xDFFF) return false;                       /* surrogate */
        if (cp > 0x10FFFF) return false;
        i += n + 1;
    }
    return true;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

fl_err_t fl_ingest_url_decode(const char *s, size_t len, bool plus, struct fl_buf *out,
                              struct fl_error *err) {
    size_t start = out->len;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)s[i];
        if (c == '%') {
            int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < len ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) return fl_errf(err, FL_ERR_INVALID, "bad percent escape");
            c = (uint8_t)(hi * 16 + lo);
            i += 2;
            if (c == 0) return fl_errf(err, FL_ERR_INVALID, "NUL byte (%%00) in the request");
        } else if (c == '+' && plus) {
            c = ' ';
        } else if (c == 0) {
            return fl_errf(err, FL_ERR_INVALID, "NUL byte in the request");
        }
        if (fl_buf_append_u8(out, c)) return fl_errf(err, FL_ERR_LIMIT, "value too long");
    }
    if (!fl_ingest_utf8_valid(out->data ? out->data + start : NULL, out->len - start))
        return fl_errf(err, FL_ERR_INVALID, "not valid UTF-8");
    if (fl_buf_append_u8(out, 0)) return fl_errf(err, FL_ERR_LIMIT, "value too long");
    out->len--;
    return FL_OK;
}

fl_err_t fl_ingest_query_get(const char *query, size_t len, const char *name, struct fl_buf *out,
                             struct fl_error *err) {
    size_t nlen = strlen(name);
    size_t i = 0;
    fl_buf_reset(out);
    while (i <= len && query) {
        const char *amp = memchr(query + i, '&', len - i);
        size_t end = amp ? (size_t)(amp - query) : len;
        const char *eq = memchr(query + i, '=', end - i);
        size_t kend = eq ? (size_t)(eq - query) : end;
        /* names are compared after decoding, so "ci%74y" is "city" */
        struct fl_buf key;
        fl_buf_init(&key, 1024);
        fl_err_t rc = fl_ingest_url_decode(query + i, kend - i, true, &key, NULL);
        bool match = rc == FL_OK && key.len == nlen && memcmp(key.data, name, nlen) == 0;
        fl_buf_fini(&key);
        if (match) {
            if (!eq) return fl_ingest_url_decode("", 0, true, out, err);
            return fl_ingest_url_decode(eq + 1, end - kend - 1, true, out, err);
        }
        if (!amp) break;
        i = end + 1;
    }
    return FL_ERR_NOTFOUND;
}
