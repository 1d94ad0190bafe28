/*
 * pg_types.c - PostgreSQL types and text values for change events (see
 * pg_types.h). OIDs are PostgreSQL's built-in ones (pg_type.dat), fixed
 * across versions.
 */
#include "cdc/pg_types.h"

#include <stdio.h>
#include <string.h>

int fl_pgt_map(uint32_t oid, int32_t typmod, const char *typname, char *type, size_t typesz,
               enum fl_pgt_kind *kind, char *why, size_t whysz) {
    const char *t = NULL;
    enum fl_pgt_kind k = FL_PGT_STRING;
    switch (oid) {
    case 16:
        t = "boolean", k = FL_PGT_BOOL;
        break;
    case 17:
        t = "binary", k = FL_PGT_BYTEA;
        break;
    case 20:
        t = "long", k = FL_PGT_NUMBER;
        break;
    case 21:
    case 23:
        t = "int", k = FL_PGT_NUMBER;
        break;
    case 25:   /* text */
    case 1042: /* bpchar */
    case 1043: /* varchar */
    case 114:  /* json */
    case 3802: /* jsonb */
        t = "string";
        break;
    case 700:
        t = "float", k = FL_PGT_FLOAT;
        break;
    case 701:
        t = "double", k = FL_PGT_FLOAT;
        break;
    case 1082:
        t = "date";
        break;
    case 1083:
        t = "time";
        break;
    case 1114:
        t = "timestamp", k = FL_PGT_TIMESTAMP;
        break;
    case 1184:
        t = "timestamptz", k = FL_PGT_TIMESTAMPTZ;
        break;
    case 2950:
        t = "uuid";
        break;
    case 1700: { /* numeric(p,s): typmod = (p << 16 | s) + 4 */
        if (typmod < 4) {
            snprintf(why, whysz,
                     "numeric without a precision has no Iceberg decimal type "
                     "(declare numeric(p,s), p <= 38)");
            return -1;
        }
        int p = ((typmod - 4) >> 16) & 0xffff, s = (typmod - 4) & 0xffff;
        if (p < 1 || p > 38 || s > p) {
            snprintf(why, whysz,
                     "numeric(%d,%d) does not fit an Iceberg decimal (p <= 38, 0 <= s <= p)", p, s);
            return -1;
        }
        snprintf(type, typesz, "decimal(%d, %d)", p, s);
        *kind = FL_PGT_STRING;
        return 0;
    }
    default:
        snprintf(why, whysz, "type %s (oid %u) is not supported", typname ? typname : "?", oid);
        return -1;
    }
    snprintf(type, typesz, "%s", t);
    *kind = k;
    return 0;
}

fl_err_t fl_pgt_json_string(const uint8_t *s, size_t len, struct fl_buf *out) {
    return fl_buf_append_json_str(out, (const char *)s, len);
}

static int is_number_text(const uint8_t *v, size_t len) {
    if (len == 0) return 0;
    size_t i = v[0] == '-' ? 1 : 0;
    if (i == len) return 0;
    int digits = 0;
    for (; i < len; i++) {
        uint8_t c = v[i];
        if (c >= '0' && c <= '9')
            digits = 1;
        else if (c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-')
            return 0;
    }
    return digits;
}

fl_err_t fl_pgt_json(enum fl_pgt_kind kind, const uint8_t *v, size_t len, struct fl_buf *out) {
    switch (kind) {
    case FL_PGT_NUMBER:
    case FL_PGT_FLOAT:
        /* PostgreSQL prints plain numbers; NaN, Infinity and anything
         * unexpected travel as strings (the decoder reads NaN and
         * Infinity for floats, and refuses the rest with a reason) */
        if (is_number_text(v, len)) return fl_buf_append(out, v, len);
        return fl_pgt_json_string(v, len, out);
    case FL_PGT_BOOL:
        if (len == 1 && v[0] == 't') return fl_buf_append_str(out, "true");
        if (len == 1 && v[0] == 'f') return fl_buf_append_str(out, "false");
        return fl_pgt_json_string(v, len, out);
    case FL_PGT_TIMESTAMP:
    case FL_PGT_TIMESTAMPTZ: {
        char tmp[64];
        if (len < 11 || len > 40 || v[10] != ' ') return fl_pgt_json_string(v, len, out);
        memcpy(tmp, v, len);
        tmp[10] = 'T';
        size_t n = len;
        /* "+00" (whole-hour offset, as UTC prints) -> "+00:00" */
        if (kind == FL_PGT_TIMESTAMPTZ && n >= 3 && (tmp[n - 3] == '+' || tmp[n - 3] == '-')) {
            memcpy(tmp + n, ":00", 3);
            n += 3;
        }
        return fl_pgt_json_string((const uint8_t *)tmp, n, out);
    }
    case FL_PGT_BYTEA:
        if (len >= 2 && v[0] == '\\' && v[1] == 'x') return fl_pgt_json_string(v + 2, len - 2, out);
        return fl_pgt_json_string(v, len, out); /* escape format: refused by the decoder */
    case FL_PGT_STRING:
    default:
        return fl_pgt_json_string(v, len, out);
    }
}

static int octal(uint8_t c) { return c >= '0' && c <= '7' ? c - '0' : -1; }
static int hexv(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

fl_err_t fl_pgt_copy_row(const uint8_t *row, size_t len, struct fl_buf *scratch, size_t *starts,
                         size_t *lens, int maxf, int *nf, struct fl_error *err) {
    fl_buf_reset(scratch);
    *nf = 0;
    /* a buffer even for a row of empty fields: field pointers are data + start */
    if (fl_buf_reserve(scratch, 1)) return fl_errf(err, FL_ERR_NOMEM, "COPY row: no memory");
    if (len && row[len - 1] == '\n') len--;
    size_t i = 0;
    for (;;) {
        if (*nf >= maxf) return fl_errf(err, FL_ERR_CORRUPT, "COPY row: more than %d fields", maxf);
        int f = (*nf)++;
        /* \N alone is null */
        size_t end = i;
        while (end < len && row[end] != '\t') end++;
        if (end - i == 2 && row[i] == '\\' && row[i + 1] == 'N') {
            starts[f] = 0;
            lens[f] = SIZE_MAX;
            i = end;
        } else {
            starts[f] = scratch->len;
            for (; i < end; i++) {
                uint8_t c = row[i];
                if (c != '\\') {
                    fl_buf_append_u8(scratch, c);
                    continue;
                }
                if (++i >= end) return fl_errf(err, FL_ERR_CORRUPT, "COPY row: a lone backslash");
                c = row[i];
                switch (c) {
                case 'b':
                    c = '\b';
                    break;
                case 'f':
                    c = '\f';
                    break;
                case 'n':
                    c = '\n';
                    break;
                case 'r':
                    c = '\r';
                    break;
                case 't':
                    c = '\t';
                    break;
                case 'v':
                    c = '\v';
                    break;
                case 'x': {
                    int h1 = i + 1 < end ? hexv(row[i + 1]) : -1;
                    if (h1 < 0) break; /* "\x" alone is x */
                    int v = h1;
                    i++;
                    int h2 = i + 1 < end ? hexv(row[i + 1]) : -1;
                    if (h2 >= 0) v = v * 16 + h2, i++;
                    c = (uint8_t)v;
                    break;
                }
                default:
                    if (octal(c) >= 0) {
                        int v = octal(c);
                        for (int k = 0; k < 2 && i + 1 < end && octal(row[i + 1]) >= 0; k++)
                            v = v * 8 + octal(row[++i]);
                        c = (uint8_t)v;
                    }
                }
                fl_buf_append_u8(scratch, c);
            }
            lens[f] = scratch->len - starts[f];
        }
        if (i >= len) break;
        i++; /* the tab */
    }
    return FL_OK;
}
