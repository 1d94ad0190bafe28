/*
 * transform.c - Iceberg partition transforms and the spec's 32-bit hash.
 *
 * How it works: every transform reads one value from a batch column in
 * its batch representation and produces a struct fl_ice_pval without
 * allocating. Bucketing hashes the value's spec-defined bytes (longs and
 * ints as 8 little-endian bytes, decimals as minimal big-endian two's
 * complement of the unscaled value, uuids in RFC byte order, strings as
 * UTF-8) with Murmur3 x86 32, seed 0, then (hash & INT_MAX) % N. Time
 * transforms count whole years/months/days/hours from 1970, flooring
 * for instants before the epoch. Truncation of strings counts code
 * points, never splitting a UTF-8 sequence.
 */
#include "iceberg/transform.h"
#include "core/endian.h"
#include "core/time.h"
#include "core/uuid.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Murmur3 x86 32 ---- */

static inline uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

uint32_t fl_ice_murmur3_32(const void *data, size_t len) {
    const uint8_t *p = data;
    const uint32_t c1 = 0xcc9e2d51, c2 = 0x1b873593;
    uint32_t h = 0; /* seed 0 */
    size_t nblocks = len / 4;
    for (size_t i = 0; i < nblocks; i++) {
        uint32_t k = fl_le32(p + 4 * i);
        k *= c1;
        k = rotl32(k, 15);
        k *= c2;
        h ^= k;
        h = rotl32(h, 13);
        h = h * 5 + 0xe6546b64;
    }
    const uint8_t *tail = p + nblocks * 4;
    uint32_t k = 0;
    switch (len & 3) {
    case 3:
        k ^= (uint32_t)tail[2] << 16; /* fall through */
    case 2:
        k ^= (uint32_t)tail[1] << 8; /* fall through */
    case 1:
        k ^= tail[0];
        k *= c1;
        k = rotl32(k, 15);
        k *= c2;
        h ^= k;
    }
    h ^= (uint32_t)len;
    h ^= h >> 16;
    h *= 0x85ebca6b;
    h ^= h >> 13;
    h *= 0xc2b2ae35;
    h ^= h >> 16;
    return h;
}

/* Minimal big-endian two's-complement bytes of v into out[16]; returns length. */
static size_t decimal_min_be(__int128 v, uint8_t out[16]) {
    uint8_t be[16];
    unsigned __int128 u = (unsigned __int128)v;
    for (int i = 15; i >= 0; i--) {
        be[i] = (uint8_t)u;
        u >>= 8;
    }
    int start = 0;
    /* drop leading bytes that only repeat the sign */
    while (start < 15 && ((be[start] == 0x00 && !(be[start + 1] & 0x80)) ||
                          (be[start] == 0xff && (be[start + 1] & 0x80))))
        start++;
    size_t n = (size_t)(16 - start);
    memcpy(out, be + start, n);
    return n;
}

static __int128 load_i128(const struct fl_col *col, size_t row) {
    __int128 v;
    memcpy(&v, col->values + row * 16, 16);
    return v;
}

int32_t fl_ice_hash_value(const struct fl_col *col, size_t row) {
    const struct fl_field *f = col->field;
    uint8_t b[16];
    switch (f->type) {
    case FL_TYPE_INT:
    case FL_TYPE_LONG:
    case FL_TYPE_DATE:
    case FL_TYPE_TIME:
    case FL_TYPE_TIMESTAMP:
    case FL_TYPE_TIMESTAMPTZ:
    case FL_TYPE_BOOLEAN:
        fl_put_le64(b, (uint64_t)fl_col_int(col, row));
        return (int32_t)fl_ice_murmur3_32(b, 8);
    case FL_TYPE_FLOAT:
    case FL_TYPE_DOUBLE: {
        double d;
        if (f->type == FL_TYPE_FLOAT) {
            float fv;
            memcpy(&fv, col->values + row * 4, 4);
            d = fv;
        } else {
            memcpy(&d, col->values + row * 8, 8);
        }
        uint64_t bits;
        if (d != d)
            bits = UINT64_C(0x7ff8000000000000);
        else {
            if (d == 0) d = 0.0; /* -0.0 hashes as 0.0 */
            memcpy(&bits, &d, 8);
        }
        fl_put_le64(b, bits);
        return (int32_t)fl_ice_murmur3_32(b, 8);
    }
    case FL_TYPE_DECIMAL: {
        size_t n = decimal_min_be(load_i128(col, row), b);
        return (int32_t)fl_ice_murmur3_32(b, n);
    }
    case FL_TYPE_UUID:
    case FL_TYPE_FIXED:
        return (int32_t)fl_ice_murmur3_32(col->values + row * col->width, col->width);
    case FL_TYPE_STRING:
    case FL_TYPE_BINARY: {
        size_t len;
        const uint8_t *p = fl_col_bytes(col, row, &len);
        return (int32_t)fl_ice_murmur3_32(p, len);
    }
    default:
        return 0;
    }
}

/* ---- parsing and checking ---- */

fl_err_t fl_ice_transform_parse(const char *text, struct fl_ice_transform *out) {
    static const struct {
        const char *name;
        fl_ice_xf_kind_t kind;
    } simple[] = {{"identity", FL_ICE_XF_IDENTITY}, {"year", FL_ICE_XF_YEAR},
                  {"month", FL_ICE_XF_MONTH},       {"day", FL_ICE_XF_DAY},
                  {"hour", FL_ICE_XF_HOUR},         {"void", FL_ICE_XF_VOID}};
    for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
        if (strcmp(text, simple[i].name) == 0) {
            out->kind = simple[i].kind;
            out->param = 0;
            return FL_OK;
        }
    long v;
    int n = 0;
    if (sscanf(text, "bucket[%ld]%n", &v, &n) == 1 && text[n] == '\0' && v > 0 && v <= INT32_MAX) {
        out->kind = FL_ICE_XF_BUCKET;
        out->param = (int32_t)v;
        return FL_OK;
    }
    n = 0;
    if (sscanf(text, "truncate[%ld]%n", &v, &n) == 1 && text[n] == '\0' && v > 0 &&
        v <= INT32_MAX) {
        out->kind = FL_ICE_XF_TRUNCATE;
        out->param = (int32_t)v;
        return FL_OK;
    }
    return FL_ERR_INVALID;
}

void fl_ice_transform_format(const struct fl_ice_transform *t, char *out, size_t outsz) {
    static const char *const names[] = {"identity", "bucket", "truncate", "year",
                                        "month",    "day",    "hour",     "void"};
    if (t->kind == FL_ICE_XF_BUCKET || t->kind == FL_ICE_XF_TRUNCATE)
        snprintf(out, outsz, "%s[%d]", names[t->kind], t->param);
    else
        snprintf(out, outsz, "%s", names[t->kind]);
}

fl_err_t fl_ice_transform_check(const struct fl_ice_transform *t, const struct fl_field *src,
                                struct fl_error *err) {
    fl_type_id_t ty = src->type;
    bool ok;
    switch (t->kind) {
    case FL_ICE_XF_IDENTITY:
    case FL_ICE_XF_VOID:
        ok = fl_type_is_primitive(ty);
        break;
    case FL_ICE_XF_BUCKET:
        ok = ty == FL_TYPE_INT || ty == FL_TYPE_LONG || ty == FL_TYPE_DECIMAL ||
             ty == FL_TYPE_DATE || ty == FL_TYPE_TIME || ty == FL_TYPE_TIMESTAMP ||
             ty == FL_TYPE_TIMESTAMPTZ || ty == FL_TYPE_STRING || ty == FL_TYPE_UUID ||
             ty == FL_TYPE_FIXED || ty == FL_TYPE_BINARY;
        break;
    case FL_ICE_XF_TRUNCATE:
        ok = ty == FL_TYPE_INT || ty == FL_TYPE_LONG || ty == FL_TYPE_DECIMAL ||
             ty == FL_TYPE_STRING || ty == FL_TYPE_BINARY;
        break;
    case FL_ICE_XF_YEAR:
    case FL_ICE_XF_MONTH:
    case FL_ICE_XF_DAY:
        ok = ty == FL_TYPE_DATE || ty == FL_TYPE_TIMESTAMP || ty == FL_TYPE_TIMESTAMPTZ;
        break;
    case FL_ICE_XF_HOUR:
        ok = ty == FL_TYPE_TIMESTAMP || ty == FL_TYPE_TIMESTAMPTZ;
        break;
    default:
        ok = false;
    }
    if (ok) return FL_OK;
    char tt[48], ts[48];
    fl_ice_transform_format(t, tt, sizeof(tt));
    fl_type_format(src, ts, sizeof(ts));
    return fl_errf(err, FL_ERR_INVALID, "transform %s cannot apply to field \"%s\" of type %s", tt,
                   src->name, ts);
}

void fl_ice_transform_result_type(const struct fl_ice_transform *t, const struct fl_field *src,
                                  struct fl_field *res) {
    memset(res, 0, sizeof(*res));
    res->type = src->type;
    res->precision = src->precision;
    res->scale = src->scale;
    res->length = src->length;
    switch (t->kind) {
    case FL_ICE_XF_BUCKET:
    case FL_ICE_XF_YEAR:
    case FL_ICE_XF_MONTH:
    case FL_ICE_XF_HOUR:
        res->type = FL_TYPE_INT;
        break;
    case FL_ICE_XF_DAY:
        res->type = FL_TYPE_DATE;
        break;
    default:
        break;
    }
}

/* ---- applying ---- */

static int64_t floordiv64(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

static int64_t days_of(const struct fl_col *col, size_t row) {
    int64_t v = fl_col_int(col, row);
    return col->field->type == FL_TYPE_DATE ? v : floordiv64(v, FL_US_PER_DAY);
}

/* Months since 1970-01 of a day number. */
static int64_t months_of_days(int64_t days) {
    int64_t y;
    unsigned m, d;
    fl_time_civil_from_days(days, &y, &m, &d);
    return (y - 1970) * 12 + (int64_t)m - 1;
}

/* Bytes of a UTF-8 prefix holding at most n code points. */
static size_t utf8_prefix(const uint8_t *s, size_t len, size_t n) {
    size_t i = 0, cps = 0;
    while (i < len && cps < n) {
        uint8_t c = s[i];
        size_t w = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
        if (i + w > len) w = len - i;
        i += w;
        cps++;
    }
    return i;
}

void fl_ice_transform_apply(const struct fl_ice_transform *t, const struct fl_col *col, size_t row,
                            struct fl_ice_pval *out) {
    const struct fl_field *f = col->field;
    memset(out, 0, sizeof(*out));
    struct fl_field rt;
    fl_ice_transform_result_type(t, f, &rt);
    out->type = rt.type;
    out->scale = f->scale;
    if (t->kind == FL_ICE_XF_VOID || fl_col_is_null(col, row)) {
        out->is_null = true;
        return;
    }
    switch (t->kind) {
    case FL_ICE_XF_BUCKET: {
        uint32_t h = (uint32_t)fl_ice_hash_value(col, row) & 0x7fffffffu;
        out->i64 = (int64_t)(h % (uint32_t)t->param);
        return;
    }
    case FL_ICE_XF_YEAR: {
        int64_t y;
        unsigned m, d;
        fl_time_civil_from_days(days_of(col, row), &y, &m, &d);
        out->i64 = y - 1970;
        return;
    }
    case FL_ICE_XF_MONTH:
        out->i64 = months_of_days(days_of(col, row));
        return;
    case FL_ICE_XF_DAY:
        out->i64 = days_of(col, row);
        return;
    case FL_ICE_XF_HOUR:
        out->i64 = floordiv64(fl_col_int(col, row), INT64_C(3600000000));
        return;
    default:
        break;
    }
    /* identity and truncate keep the source type */
    switch (f->type) {
    case FL_TYPE_FLOAT: {
        float fv;
        memcpy(&fv, col->values + row * 4, 4);
        out->f64 = fv;
        return;
    }
    case FL_TYPE_DOUBLE:
        memcpy(&out->f64, col->values + row * 8, 8);
        return;
    case FL_TYPE_DECIMAL: {
        __int128 v = load_i128(col, row);
        if (t->kind == FL_ICE_XF_TRUNCATE) {
            __int128 w = t->param, r = ((v % w) + w) % w;
            v -= r;
        }
        out->dec = v;
        return;
    }
    case FL_TYPE_STRING:
    case FL_TYPE_BINARY: {
        size_t len;
        const uint8_t *p = fl_col_bytes(col, row, &len);
        if (t->kind == FL_ICE_XF_TRUNCATE) {
            size_t w = (size_t)t->param;
            len = f->type == FL_TYPE_STRING ? utf8_prefix(p, len, w) : (len < w ? len : w);
        }
        out->bytes = p;
        out->len = len;
        return;
    }
    case FL_TYPE_UUID:
    case FL_TYPE_FIXED:
        out->bytes = col->values + row * col->width;
        out->len = col->width;
        return;
    default: {
        int64_t v = fl_col_int(col, row);
        if (t->kind == FL_ICE_XF_TRUNCATE) {
            /* v - (((v % W) + W) % W) in the column's own width, wrapping as
             * Java's int and long arithmetic does (so INT_MIN and LONG_MIN
             * truncate exactly as Iceberg Java computes them) */
            if (col->width == 4) {
                int32_t v32 = (int32_t)v, w = t->param;
                int32_t s = (int32_t)((uint32_t)(v32 % w) + (uint32_t)w);
                v = (int32_t)((uint32_t)v32 - (uint32_t)(s % w));
            } else {
                int64_t w = t->param;
                int64_t s = (int64_t)((uint64_t)(v % w) + (uint64_t)w);
                v = (int64_t)((uint64_t)v - (uint64_t)(s % w));
            }
        }
        out->i64 = v;
        return;
    }
    }
}

int fl_ice_pval_cmp(const struct fl_ice_pval *a, const struct fl_ice_pval *b) {
    switch (a->type) {
    case FL_TYPE_FLOAT:
    case FL_TYPE_DOUBLE:
        return (a->f64 > b->f64) - (a->f64 < b->f64);
    case FL_TYPE_DECIMAL:
        return (a->dec > b->dec) - (a->dec < b->dec);
    case FL_TYPE_STRING:
    case FL_TYPE_BINARY:
    case FL_TYPE_UUID:
    case FL_TYPE_FIXED: {
        size_t n = a->len < b->len ? a->len : b->len;
        int c = n ? memcmp(a->bytes, b->bytes, n) : 0;
        return c ? c : (a->len > b->len) - (a->len < b->len);
    }
    default:
        return (a->i64 > b->i64) - (a->i64 < b->i64);
    }
}

/* ---- partition paths ---- */

/* java.net.URLEncoder (UTF-8): alnum and ".-*_" stay, space is '+', else %XX. */
fl_err_t fl_ice_url_escape(struct fl_buf *out, const uint8_t *s, size_t n) {
    static const char hx[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        fl_err_t rc;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '-' || c == '*' || c == '_')
            rc = fl_buf_append_u8(out, c);
        else if (c == ' ')
            rc = fl_buf_append_u8(out, '+');
        else {
            char e[3] = {'%', hx[c >> 4], hx[c & 15]};
            rc = fl_buf_append(out, e, 3);
        }
        if (rc) return rc;
    }
    return FL_OK;
}

/* java.time's toString of a time of day: HH:mm, then :ss, then a
 * fraction of 3, 6 digits as needed. */
static void java_time(int64_t us_of_day, char *out, size_t outsz) {
    int64_t secs = us_of_day / FL_US_PER_SEC;
    int frac = (int)(us_of_day % FL_US_PER_SEC);
    int h = (int)(secs / 3600), m = (int)(secs / 60 % 60), s = (int)(secs % 60);
    if (frac == 0 && s == 0)
        snprintf(out, outsz, "%02d:%02d", h, m);
    else if (frac == 0)
        snprintf(out, outsz, "%02d:%02d:%02d", h, m, s);
    else if (frac % 1000 == 0)
        snprintf(out, outsz, "%02d:%02d:%02d.%03d", h, m, s, frac / 1000);
    else
        snprintf(out, outsz, "%02d:%02d:%02d.%06d", h, m, s, frac);
}

static void base64(const uint8_t *s, size_t n, struct fl_buf *out) {
    static const char tb[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0) |
                     (i + 2 < n ? s[i + 2] : 0);
        char q[4] = {tb[v >> 18], tb[(v >> 12) & 63], i + 1 < n ? tb[(v >> 6) & 63] : '=',
                     i + 2 < n ? tb[v & 63] : '='};
        fl_buf_append(out, q, 4);
    }
}

fl_err_t fl_ice_pval_to_path(const struct fl_ice_transform *t, const struct fl_ice_pval *v,
                             struct fl_buf *out) {
    char s[128];
    if (v->is_null) return fl_buf_append_str(out, "null");
    int64_t y;
    unsigned m, d;
    switch (t->kind) {
    case FL_ICE_XF_YEAR:
        snprintf(s, sizeof(s), "%04" PRId64, 1970 + v->i64);
        break;
    case FL_ICE_XF_MONTH:
        snprintf(s, sizeof(s), "%04" PRId64 "-%02d", 1970 + floordiv64(v->i64, 12),
                 (int)(v->i64 - floordiv64(v->i64, 12) * 12) + 1);
        break;
    case FL_ICE_XF_DAY:
        fl_time_format_date((int32_t)v->i64, s, sizeof(s));
        break;
    case FL_ICE_XF_HOUR: {
        int64_t days = floordiv64(v->i64, 24);
        fl_time_civil_from_days(days, &y, &m, &d);
        snprintf(s, sizeof(s), "%04" PRId64 "-%02u-%02u-%02d", y, m, d, (int)(v->i64 - days * 24));
        break;
    }
    case FL_ICE_XF_BUCKET:
        snprintf(s, sizeof(s), "%" PRId64, v->i64);
        break;
    default:
        switch (v->type) {
        case FL_TYPE_BOOLEAN:
            snprintf(s, sizeof(s), "%s", v->i64 ? "true" : "false");
            break;
        case FL_TYPE_FLOAT:
        case FL_TYPE_DOUBLE:
            snprintf(s, sizeof(s), "%.17g", v->f64);
            break;
        case FL_TYPE_DECIMAL: {
            /* BigDecimal.toString of the unscaled value and scale */
            char digits[64];
            unsigned __int128 u =
                v->dec < 0 ? (unsigned __int128)(-(v->dec + 1)) + 1 : (unsigned __int128)v->dec;
            int n = 0;
            do {
                digits[n++] = (char)('0' + (int)(u % 10));
                u /= 10;
            } while (u);
            while (n <= v->scale) digits[n++] = '0';
            size_t o = 0;
            if (v->dec < 0) s[o++] = '-';
            for (int k = n - 1; k >= 0; k--) {
                s[o++] = digits[k];
                if (k == v->scale && v->scale > 0) s[o++] = '.';
            }
            s[o] = '\0';
            break;
        }
        case FL_TYPE_DATE:
            fl_time_format_date((int32_t)v->i64, s, sizeof(s));
            break;
        case FL_TYPE_TIME:
            java_time(v->i64, s, sizeof(s));
            break;
        case FL_TYPE_TIMESTAMP:
        case FL_TYPE_TIMESTAMPTZ: {
            int64_t days = floordiv64(v->i64, FL_US_PER_DAY);
            char tod[32];
            java_time(v->i64 - days * FL_US_PER_DAY, tod, sizeof(tod));
            fl_time_civil_from_days(days, &y, &m, &d);
            snprintf(s, sizeof(s), "%04" PRId64 "-%02u-%02uT%s%s", y, m, d, tod,
                     v->type == FL_TYPE_TIMESTAMPTZ ? "Z" : "");
            break;
        }
        case FL_TYPE_STRING:
            return fl_ice_url_escape(out, v->bytes, v->len);
        case FL_TYPE_UUID:
            fl_uuid_format(v->bytes, s);
            break;
        case FL_TYPE_BINARY:
        case FL_TYPE_FIXED: {
            struct fl_buf b64;
            fl_buf_init(&b64, FL_BUF_NOMAX);
            base64(v->bytes, v->len, &b64);
            fl_err_t rc =
                fl_ice_url_escape(out, b64.data ? b64.data : (const uint8_t *)"", b64.len);
            fl_buf_fini(&b64);
            return rc;
        }
        default:
            snprintf(s, sizeof(s), "%" PRId64, v->i64);
        }
    }
    return fl_ice_url_escape(out, (const uint8_t *)s, strlen(s));
}
