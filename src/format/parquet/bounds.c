/*
 * bounds.c - lower and upper bounds of byte arrays for Parquet statistics
 * (see bounds.h).
 *
 * How it works: a lower bound is a prefix. An upper bound is a prefix
 * whose last incrementable unit is incremented and everything after it
 * dropped: for binary the last byte below 0xFF; for well-formed UTF-8 the
 * last code point below U+10FFFF, stepping over the surrogate range, so
 * the bound is itself valid UTF-8 (parquet.thrift: bounds "must still be
 * valid values within the column's logical type"). Strings that are not
 * well-formed UTF-8 are treated as binary.
 */
#include "format/parquet/bounds.h"

static void buf_set(struct fl_buf *b, const uint8_t *data, size_t len) {
    fl_buf_reset(b);
    (void)fl_buf_append(b, data, len); /* NOMAX buffers: only allocation can fail, and aborts */
}

/* Length of the UTF-8 sequence starting with byte c, 0 if c cannot start one. */
static int utf8_len(uint8_t c) {
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c < 0xe0) return 2;
    if (c >= 0xe0 && c < 0xf0) return 3;
    if (c >= 0xf0 && c < 0xf5) return 4;
    return 0;
}

/* Decodes the code point at p (n bytes, checked by the caller's
 * validation) */
static uint32_t utf8_cp(const uint8_t *p, int n) {
    if (n == 1) return p[0];
    uint32_t cp = p[0] & (0x7f >> n);
    for (int i = 1; i < n; i++) cp = cp << 6 | (p[i] & 0x3f);
    return cp;
}

static int utf8_put(uint8_t *p, uint32_t cp) {
    if (cp < 0x80) return p[0] = (uint8_t)cp, 1;
    if (cp < 0x800) {
        p[0] = (uint8_t)(0xc0 | cp >> 6);
        p[1] = (uint8_t)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        p[0] = (uint8_t)(0xe0 | cp >> 12);
        p[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        p[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    p[0] = (uint8_t)(0xf0 | cp >> 18);
    p[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
    p[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    p[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}

/* True if v is well-formed UTF-8 (no overlongs, surrogates or code points
 * past U+10FFFF); other strings are truncated as bytes. */
static bool utf8_valid(const uint8_t *v, size_t len) {
    size_t i = 0;
    while (i < len) {
        int n = utf8_len(v[i]);
        if (!n || i + (size_t)n > len) return false;
        for (int k = 1; k < n; k++)
            if ((v[i + (size_t)k] & 0xc0) != 0x80) return false;
        uint32_t cp = utf8_cp(v + i, n);
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += (size_t)n;
    }
    return true;
}

/* Writes a lower bound of v of at most maxlen bytes (a prefix; for valid
 * UTF-8, cut on a character boundary). */
void fl_pq_bound_min(bool is_string, const uint8_t *v, size_t len, size_t maxlen,
                     struct fl_buf *out, bool *exact) {
    if (!maxlen || len <= maxlen) {
        buf_set(out, v, len);
        *exact = true;
        return;
    }
    size_t cut = maxlen;
    if (is_string && utf8_valid(v, len))
        while (cut > 0 && (v[cut] & 0xc0) == 0x80) cut--;
    buf_set(out, v, cut);
    *exact = false;
}

/* Writes an upper bound of v of about maxlen bytes: a prefix whose last
 * incrementable unit (a byte, or for valid UTF-8 a code point) is
 * incremented and the rest dropped; v itself when nothing can be. */
void fl_pq_bound_max(bool is_string, const uint8_t *v, size_t len, size_t maxlen,
                     struct fl_buf *out, bool *exact) {
    *exact = true;
    if (!maxlen || len <= maxlen) {
        buf_set(out, v, len);
        return;
    }
    if (is_string && utf8_valid(v, len)) {
        size_t cut = maxlen;
        while (cut > 0 && (v[cut] & 0xc0) == 0x80) cut--;
        /* walk code points of the prefix backwards */
        size_t end = cut;
        while (end > 0) {
            size_t start = end - 1;
            while (start > 0 && (v[start] & 0xc0) == 0x80) start--;
            uint32_t cp = utf8_cp(v + start, utf8_len(v[start]));
            if (cp < 0x10ffff) {
                cp++;
                if (cp == 0xd800) cp = 0xe000;
                uint8_t enc[4];
                int n = utf8_put(enc, cp);
                buf_set(out, v, start);
                (void)fl_buf_append(out, enc, (size_t)n);
                *exact = false;
                return;
            }
            end = start;
        }
        buf_set(out, v, len);
        return;
    }
    for (size_t i = maxlen; i > 0; i--) {
        if (v[i - 1] != 0xff) {
            buf_set(out, v, i);
            out->data[i - 1]++;
            *exact = false;
            return;
        }
    }
    buf_set(out, v, len);
}
