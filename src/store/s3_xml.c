/*
 * s3_xml.c - the bounded XML scanner of s3_xml.h.
 *
 * One pass over the bytes with an explicit stack of element names (no
 * recursion). Text is decoded into one buffer that is reset at each
 * start tag, so the callback sees an element's direct text at its end
 * tag. Markup other than elements: the "<?...?>" declaration and
 * comments are skipped, CDATA sections are text, "<!DOCTYPE" is refused.
 */
#include "store/s3_xml.h"

#include "core/buf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct scan {
    const char *p, *end;
    char stack[FL_S3_XML_DEPTH_MAX][FL_S3_XML_NAME_MAX];
    int depth;
    struct fl_buf text;
};

static fl_err_t bad(struct fl_error *err, const struct scan *s, const char *xml, const char *why) {
    return fl_errf(err, FL_ERR_CORRUPT, "s3: malformed XML at byte %zu: %s", (size_t)(s->p - xml),
                   why);
}

static bool name_char(char c) {
    return c != '\0' && c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '/' && c != '>' &&
           c != '<' && c != '=' && c != '"' && c != '\'';
}

static fl_err_t utf8_put(struct fl_buf *b, uint32_t cp) {
    uint8_t u[4];
    size_t n;
    if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return FL_ERR_CORRUPT;
    if (cp < 0x80) {
        u[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (uint8_t)(0xc0 | (cp >> 6));
        u[1] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (uint8_t)(0xe0 | (cp >> 12));
        u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (uint8_t)(0xf0 | (cp >> 18));
        u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return fl_buf_append(b, u, n);
}

/* Decodes an entity at s->p (which points at '&'). */
static fl_err_t entity(struct scan *s) {
    const char *semi =
        memchr(s->p, ';', (size_t)(s->end - s->p) < 12 ? (size_t)(s->end - s->p) : 12);
    if (!semi) return FL_ERR_CORRUPT;
    const char *e = s->p + 1;
    size_t n = (size_t)(semi - e);
    static const struct {
        const char *name;
        char c;
    } named[] = {{"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"quot", '"'}, {"apos", '\''}};
    fl_err_t rc = FL_ERR_CORRUPT;
    if (n >= 2 && e[0] == '#') {
        uint32_t cp = 0;
        bool hex = e[1] == 'x';
        size_t i = hex ? 2 : 1;
        if (i == n) return FL_ERR_CORRUPT;
        for (; i < n; i++) {
            char c = e[i];
            uint32_t d;
            if (c >= '0' && c <= '9')
                d = (uint32_t)(c - '0');
            else if (hex && c >= 'a' && c <= 'f')
                d = (uint32_t)(c - 'a' + 10);
            else if (hex && c >= 'A' && c <= 'F')
                d = (uint32_t)(c - 'A' + 10);
            else
                return FL_ERR_CORRUPT;
            cp = cp * (hex ? 16 : 10) + d;
            if (cp > 0x10ffff) return FL_ERR_CORRUPT;
        }
        rc = utf8_put(&s->text, cp);
    } else {
        for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
            if (strlen(named[i].name) == n && memcmp(named[i].name, e, n) == 0)
                rc = fl_buf_append_u8(&s->text, (uint8_t)named[i].c);
    }
    if (rc == FL_OK) s->p = semi + 1;
    return rc;
}

/* Skips to just past the first occurrence of lit; false if absent. */
static bool skip_past(struct scan *s, const char *lit) {
    size_t n = strlen(lit);
    for (const char *q = s->p; q + n <= s->end; q++)
        if (memcmp(q, lit, n) == 0) {
            s->p = q + n;
            return true;
        }
    return false;
}

static fl_err_t scan_body(struct scan *s, const char *xml, fl_s3_xml_fn cb, void *ctx,
                          struct fl_error *err) {
    bool seen_root = false;
    while (s->p < s->end) {
        char c = *s->p;
        if (c != '<') {
            if (s->depth == 0) {
                if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
                    return bad(err, s, xml, "text outside the root element");
                s->p++;
                continue;
            }
            fl_err_t rc;
            if (c == '&') {
                rc = entity(s);
                if (rc == FL_ERR_CORRUPT) return bad(err, s, xml, "bad entity");
            } else {
                rc = fl_buf_append_u8(&s->text, (uint8_t)c);
                s->p++;
            }
            if (rc) return bad(err, s, xml, "text too long");
            continue;
        }
        size_t left = (size_t)(s->end - s->p);
        if (left >= 2 && s->p[1] == '?') {
            if (!skip_past(s, "?>")) return bad(err, s, xml, "unterminated <?");
            continue;
        }
        if (left >= 4 && memcmp(s->p, "<!--", 4) == 0) {
            if (!skip_past(s, "-->")) return bad(err, s, xml, "unterminated comment");
            continue;
        }
        if (left >= 9 && memcmp(s->p, "<![CDATA[", 9) == 0) {
            if (s->depth == 0) return bad(err, s, xml, "CDATA outside the root element");
            const char *start = s->p + 9;
            s->p = start;
            if (!skip_past(s, "]]>")) return bad(err, s, xml, "unterminated CDATA");
            if (fl_buf_append(&s->text, start, (size_t)(s->p - 3 - start)))
                return bad(err, s, xml, "text too long");
            continue;
        }
        if (left >= 2 && s->p[1] == '!') return bad(err, s, xml, "DTDs are not accepted");
        bool closing = left >= 2 && s->p[1] == '/';
        const char *name = s->p + (closing ? 2 : 1);
        const char *q = name;
        while (q < s->end && name_char(*q)) q++;
        size_t nlen = (size_t)(q - name);
        if (nlen == 0 || nlen >= FL_S3_XML_NAME_MAX) return bad(err, s, xml, "bad tag name");
        if (closing) {
            while (q < s->end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')) q++;
            if (q >= s->end || *q != '>') return bad(err, s, xml, "bad end tag");
            if (s->depth == 0 || strlen(s->stack[s->depth - 1]) != nlen ||
                memcmp(s->stack[s->depth - 1], name, nlen) != 0)
                return bad(err, s, xml, "end tag does not match");
            s->p = q + 1;
            if (fl_buf_append_u8(&s->text, 0)) return bad(err, s, xml, "text too long");
            fl_err_t rc = cb(ctx, s->depth, s->depth > 1 ? s->stack[s->depth - 2] : "",
                             s->stack[s->depth - 1], (const char *)s->text.data, s->text.len - 1);
            if (rc) return rc;
            fl_buf_reset(&s->text);
            s->depth--;
            continue;
        }
        /* start tag: skip attributes, honoring quotes */
        char quote = 0;
        while (q < s->end && (quote || (*q != '>'))) {
            if (quote && *q == quote)
                quote = 0;
            else if (!quote && (*q == '"' || *q == '\''))
                quote = *q;
            else if (!quote && *q == '<')
                return bad(err, s, xml, "'<' in a tag");
            q++;
        }
        if (q >= s->end) return bad(err, s, xml, "unterminated tag");
        bool empty = q[-1] == '/';
        if (s->depth == 0 && seen_root) return bad(err, s, xml, "two root elements");
        if (s->depth == FL_S3_XML_DEPTH_MAX) return bad(err, s, xml, "nested too deep");
        memcpy(s->stack[s->depth], name, nlen);
        s->stack[s->depth][nlen] = '\0';
        s->depth++;
        seen_root = true;
        fl_buf_reset(&s->text);
        s->p = q + 1;
        if (empty) {
            fl_err_t rc = cb(ctx, s->depth, s->depth > 1 ? s->stack[s->depth - 2] : "",
                             s->stack[s->depth - 1], "", 0);
            if (rc) return rc;
            s->depth--;
        }
    }
    if (s->depth != 0) return bad(err, s, xml, "unclosed element");
    if (!seen_root) return bad(err, s, xml, "no root element");
    return FL_OK;
}

fl_err_t fl_s3_xml_scan(const char *xml, size_t len, fl_s3_xml_fn cb, void *ctx,
                        struct fl_error *err) {
    struct scan *s = calloc(1, sizeof(*s));
    if (!s) return fl_errf(err, FL_ERR_NOMEM, "s3: out of memory");
    s->p = xml;
    s->end = xml + len;
    fl_buf_init(&s->text, FL_S3_XML_TEXT_MAX);
    fl_err_t rc = scan_body(s, xml, cb, ctx, err);
    fl_buf_fini(&s->text);
    free(s);
    return rc;
}
