/*
 * multipart.c - multipart/form-data parsing over a whole, size-capped
 * body. How it works: the body is "preamble --B CRLF part (CRLF --B CRLF
 * part)* CRLF --B-- epilogue"; each part is headers, an empty line, then
 * bytes up to the next "CRLF --B". Every part is walked (so a truncated
 * last part is noticed even when the wanted field came earlier) and the
 * first part whose Content-Disposition carries name="field" is returned.
 * Part headers are capped at 8 KiB in all. libmicrohttpd's post processor
 * is not used: it streams into callbacks and cannot tell a truncated body
 * from a complete one, and a buffer parser can be fuzzed without sockets.
 */
#include "ingest/multipart.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define PART_HEADERS_MAX 8192

static const uint8_t *find(const uint8_t *p, const uint8_t *end, const char *needle, size_t n) {
    if (n == 0 || (size_t)(end - p) < n) return NULL;
    const uint8_t *last = end - n;
    while (p <= last) {
        const uint8_t *q = memchr(p, needle[0], (size_t)(last - p) + 1);
        if (!q) return NULL;
        if (memcmp(q, needle, n) == 0) return q;
        p = q + 1;
    }
    return NULL;
}

fl_err_t fl_ingest_multipart_boundary(const char *content_type, char *out, struct fl_error *err) {
    static const char MP[] = "multipart/form-data";
    if (!content_type || strncasecmp(content_type, MP, sizeof(MP) - 1) != 0)
        return fl_errf(err, FL_ERR_UNSUPPORTED, "not multipart/form-data");
    const char *p = content_type + sizeof(MP) - 1;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ';') p++;
        if (strncasecmp(p, "boundary=", 9) == 0) {
            p += 9;
            size_t n = 0;
            if (*p == '"') {
                p++;
                while (p[n] && p[n] != '"') n++;
                if (p[n] != '"') return fl_errf(err, FL_ERR_INVALID, "unterminated boundary");
            } else {
                while (p[n] && p[n] != ';' && p[n] != ' ' && p[n] != '\t') n++;
            }
            if (n == 0 || n > FL_INGEST_BOUNDARY_MAX)
                return fl_errf(err, FL_ERR_INVALID, "multipart boundary of %zu bytes (1..70)", n);
            for (size_t i = 0; i < n; i++)
                if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] >= 0x7F)
                    return fl_errf(err, FL_ERR_INVALID, "control byte in multipart boundary");
            memcpy(out, p, n);
            out[n] = 0;
            return FL_OK;
        }
        while (*p && *p != ';') p++;
    }
    return fl_errf(err, FL_ERR_INVALID, "multipart/form-data without a boundary");
}

/* True when the header block h[0..n) has a Content-Disposition with
 * name="field" (or name=field). */
static int names_field(const uint8_t *h, size_t n, const char *field) {
    const uint8_t *end = h + n;
    const uint8_t *line = h;
    size_t flen = strlen(field);
    while (line < end) {
        const uint8_t *eol = find(line, end, "\r\n", 2);
        if (!eol) eol = end;
        static const char CD[] = "content-disposition:";
        if ((size_t)(eol - line) > sizeof(CD) - 1 &&
            strncasecmp((const char *)line, CD, sizeof(CD) - 1) == 0) {
            const uint8_t *p = line + sizeof(CD) - 1;
            while (p < eol) {
                while (p < eol && (*p == ' ' || *p == '\t' || *p == ';')) p++;
                if ((size_t)(eol - p) >= 5 && strncasecmp((const char *)p, "name=", 5) == 0) {
                    p += 5;
                    const uint8_t *v = p;
                    size_t vn = 0;
                    if (p < eol && *p == '"') {
                        v = ++p;
                        while (p < eol && *p != '"') p++;
                        vn = (size_t)(p - v);
                    } else {
                        while (p < eol && *p != ';' && *p != ' ') p++;
                        vn = (size_t)(p - v);
                    }
                    return vn == flen && memcmp(v, field, flen) == 0;
                }
                /* skip this parameter, minding quotes ("a;b") */
                int quoted = 0;
                while (p < eol && (quoted || *p != ';')) {
                    if (*p == '"') quoted = !quoted;
                    p++;
                }
            }
        }
        line = eol + 2;
    }
    return 0;
}

fl_err_t fl_ingest_multipart_field(const uint8_t *body, size_t len, const char *boundary,
                                   const char *field, const uint8_t **data, size_t *dlen,
                                   struct fl_error *err) {
    char delim[FL_INGEST_BOUNDARY_MAX + 5];
    size_t blen = strlen(boundary);
    if (blen == 0 || blen > FL_INGEST_BOUNDARY_MAX)
        return fl_errf(err, FL_ERR_INVALID, "bad multipart boundary");
    /* "\r\n--" boundary; the very first delimiter may lack the CRLF */
    memcpy(delim, "\r\n--", 4);
    memcpy(delim + 4, boundary, blen);
    size_t dn = blen + 4;
    const uint8_t *end = body + len;
    const uint8_t *p;
    if (len >= dn - 2 && memcmp(body, delim + 2, dn - 2) == 0)
        p = body + dn - 2;
    else {
        p = find(body, end, delim, dn);
        if (!p) return fl_errf(err, FL_ERR_CORRUPT, "multipart body without its boundary");
        p += dn;
    }
    const uint8_t *found = NULL;
    size_t found_len = 0;
    size_t headers_total = 0;
    for (;;) {
        /* p is just past a delimiter: "--" closes, else transport padding and CRLF */
        if ((size_t)(end - p) >= 2 && p[0] == '-' && p[1] == '-') break;
        while (p < end && (*p == ' ' || *p == '\t')) p++;
        if ((size_t)(end - p) < 2 || p[0] != '\r' || p[1] != '\n')
            return fl_errf(err, FL_ERR_CORRUPT,
                           "multipart body truncated or malformed after a boundary");
        p += 2;
        const uint8_t *hend;
        if ((size_t)(end - p) >= 2 && p[0] == '\r' && p[1] == '\n')
            hend = p; /* no headers */
        else {
            hend = find(p, end, "\r\n\r\n", 4);
            if (!hend) return fl_errf(err, FL_ERR_CORRUPT, "multipart part headers truncated");
        }
        headers_total += (size_t)(hend - p);
        if (headers_total > PART_HEADERS_MAX)
            return fl_errf(err, FL_ERR_CORRUPT, "multipart part headers over %d bytes",
                           PART_HEADERS_MAX);
        int match = names_field(p, (size_t)(hend - p), field);
        const uint8_t *content = hend == p ? p + 2 : hend + 4;
        const uint8_t *next = find(content, end, delim, dn);
        if (!next)
            return fl_errf(err, FL_ERR_CORRUPT, "multipart body truncated (no closing boundary)");
        if (match && !found) {
            found = content;
            found_len = (size_t)(next - content);
        }
        p = next + dn;
    }
    if (!found) return fl_errf(err, FL_ERR_NOTFOUND, "no multipart field \"%s\"", field);
    *data = found;
    *dlen = found_len;
    return FL_OK;
}
