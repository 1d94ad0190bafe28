/*
 * variant.c - the Variant binary encoding into JSON text; see variant.h.
 *
 * How it works: the metadata is checked once (version, offset size, the
 * dictionary's offsets inside the bytes); then the value is walked
 * recursively. Every read goes through a slice [p, end) that is checked
 * before it is read: a count is compared with the bytes that would hold
 * it before anything is multiplied, a child's offset must fall inside its
 * parent's fields, and a child may not read past its parent's fields.
 */
#include "format/parquet/variant.h"

#include "batch/batch_json.h"
#include "core/time.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

struct vmeta {
    const uint8_t *offs; /* dict_size + 1 offsets of osz bytes */
    const uint8_t *bytes;
    size_t nbytes;
    uint32_t dict_size;
    int osz;
};

/* Unsigned little-endian of n (1..4) bytes. */
static uint32_t le(const uint8_t *p, int n) {
    uint32_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static uint64_t le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static fl_err_t meta_parse(const uint8_t *m, size_t len, struct vmeta *vm, struct fl_error *err) {
    if (len < 1) return fl_errf(err, FL_ERR_CORRUPT, "variant metadata is empty");
    if ((m[0] & 0x0f) != 1)
        return fl_errf(err, FL_ERR_UNSUPPORTED, "variant metadata version %d (floe reads 1)",
                       m[0] & 0x0f);
    vm->osz = ((m[0] >> 6) & 3) + 1;
    if (len < 1 + (size_t)vm->osz)
        return fl_errf(err, FL_ERR_CORRUPT, "variant metadata is truncated");
    vm->dict_size = le(m + 1, vm->osz);
    size_t rest = len - 1 - (size_t)vm->osz;
    /* dict_size + 1 offsets must fit in what is left */
    if ((size_t)vm->dict_size >= rest / (size_t)vm->osz)
        return fl_errf(err, FL_ERR_CORRUPT, "variant metadata: %u dictionary strings do not fit",
                       vm->dict_size);
    vm->offs = m + 1 + vm->osz;
    vm->bytes = vm->offs + ((size_t)vm->dict_size + 1) * (size_t)vm->osz;
    vm->nbytes = (size_t)(m + len - vm->bytes);
    if (le(vm->offs + (size_t)vm->dict_size * (size_t)vm->osz, vm->osz) > vm->nbytes)
        return fl_errf(err, FL_ERR_CORRUPT, "variant metadata: dictionary past its bytes");
    return FL_OK;
}

/* Whether s[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
static bool utf8_ok(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        int k;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            k = 1, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            k = 2, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            k = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n - i <= (size_t)k) return false;
        for (int j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (s[i + j] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += (size_t)k + 1;
    }
    return true;
}

/* A JSON string as Jackson (Spark, Impala) writes one. */
static fl_err_t put_str(const uint8_t *s, size_t n, struct fl_buf *out, struct fl_error *err) {
    static const char hx[] = "0123456789abcdef";
    if (!utf8_ok(s, n)) return fl_errf(err, FL_ERR_CORRUPT, "variant string is not UTF-8");
    fl_err_t rc = fl_buf_reserve(out, n + 2);
    if (rc) return rc;
    fl_buf_append_u8(out, '"');
    for (size_t i = 0; i < n && !rc; i++) {
        uint8_t c = s[i];
        const char *e = NULL;
        switch (c) {
        case '"':
            e = "\\\"";
            break;
        case '\\':
            e = "\\\\";
            break;
        case '\b':
            e = "\\b";
            break;
        case '\f':
            e = "\\f";
            break;
        case '\n':
            e = "\\n";
            break;
        case '\r':
            e = "\\r";
            break;
        case '\t':
            e = "\\t";
            break;
        default:
            break;
        }
        if (e)
            rc = fl_buf_append_str(out, e);
        else if (c < 0x20) {
            char u[7] = {'\\', 'u', '0', '0', hx[c >> 4], hx[c & 15], 0};
            rc = fl_buf_append(out, u, 6);
        } else
            rc = fl_buf_append_u8(out, c);
    }
    if (!rc) rc = fl_buf_append_u8(out, '"');
    return rc;
}

static fl_err_t put_base64(const uint8_t *s, size_t n, struct fl_buf *out) {
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    fl_err_t rc = fl_buf_append_u8(out, '"');
    for (size_t i = 0; i < n && !rc; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < n) v |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < n) v |= s[i + 2];
        char q[4] = {al[v >> 18], al[(v >> 12) & 63], i + 1 < n ? al[(v >> 6) & 63] : '=',
                     i + 2 < n ? al[v & 63] : '='};
        rc = fl_buf_append(out, q, 4);
    }
    if (!rc) rc = fl_buf_append_u8(out, '"');
    return rc;
}

/* "YYYY-MM-DD HH:MM:SS.f" (6 or 9 digits) of v units (per second) since
 * the epoch, "+00:00" after it when tz. */
static fl_err_t put_ts(int64_t v, int64_t per, int digits, bool tz, struct fl_buf *out) {
    int64_t secs = v / per, frac = v % per;
    if (frac < 0) frac += per, secs--;
    int64_t days = secs / 86400, sod = secs % 86400;
    if (sod < 0) sod += 86400, days--;
    int64_t y;
    unsigned m, d;
    fl_time_civil_from_days(days, &y, &m, &d);
    return fl_buf_printf(out, "\"%04lld-%02u-%02u %02d:%02d:%02d.%0*lld%s\"", (long long)y, m, d,
                         (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), digits,
                         (long long)frac, tz ? "+00:00" : "");
}

static fl_err_t put_double(double v, bool is_float, struct fl_buf *out) {
    char t[64];
    if (isnan(v)) return fl_buf_append_str(out, "\"NaN\"");
    if (isinf(v)) return fl_buf_append_str(out, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    if (is_float)
        fl_json_shortest_float((float)v, t, sizeof(t));
    else
        fl_json_shortest_double(v, t, sizeof(t));
    return fl_buf_append_str(out, t);
}

static fl_err_t short_read(struct fl_error *err, const char *what) {
    return fl_errf(err, FL_ERR_CORRUPT, "variant %s is truncated", what);
}

/* Primitive type id t whose data is p[0..n). */
static fl_err_t put_primitive(int t, const uint8_t *p, size_t n, struct fl_buf *out,
                              struct fl_error *err) {
    /* fixed data sizes by type id; -1: a 4-byte length and bytes */
    static const int size[21] = {0, 0, 0, 1, 2, 4, 8, 8, 5, 9, 17, 4, 8, 8, 4, -1, -1, 8, 8, 8, 16};
    if (t > 20)
        return fl_errf(err, FL_ERR_UNSUPPORTED, "variant primitive type %d is not supported", t);
    size_t need = size[t] < 0 ? 4 : (size_t)size[t];
    if (n < need) return short_read(err, "primitive");
    char tmp[96];
    switch (t) {
    case 0:
        return fl_buf_append_str(out, "null");
    case 1:
        return fl_buf_append_str(out, "true");
    case 2:
        return fl_buf_append_str(out, "false");
    case 3:
        return fl_buf_printf(out, "%d", (int)(int8_t)p[0]);
    case 4:
        return fl_buf_printf(out, "%d", (int)(int16_t)le(p, 2));
    case 5:
        return fl_buf_printf(out, "%d", (int)(int32_t)le(p, 4));
    case 6:
        return fl_buf_printf(out, "%lld", (long long)(int64_t)le64(p));
    case 7: {
        double d;
        uint64_t b = le64(p);
        memcpy(&d, &b, 8);
        return put_double(d, false, out);
    }
    case 14: {
        float f;
        uint32_t b = le(p, 4);
        memcpy(&f, &b, 4);
        return put_double(f, true, out);
    }
    case 8:
    case 9:
    case 10: {
        int scale = p[0];
        if (scale > 38) return fl_errf(err, FL_ERR_CORRUPT, "variant decimal scale %d", scale);
        __int128 v;
        if (t == 8)
            v = (int32_t)le(p + 1, 4);
        else if (t == 9)
            v = (int64_t)le64(p + 1);
        else
            v = (__int128)((unsigned __int128)le64(p + 9) << 64 | le64(p + 1));
        fl_decimal_format(v, scale, tmp, sizeof(tmp));
        return fl_buf_append_str(out, tmp);
    }
    case 11:
        fl_time_format_date((int32_t)le(p, 4), tmp, sizeof(tmp));
        return fl_buf_printf(out, "\"%s\"", tmp);
    case 12:
    case 13:
        return put_ts((int64_t)le64(p), 1000000, 6, t == 12, out);
    case 18:
    case 19:
        return put_ts((int64_t)le64(p), 1000000000, 9, t == 18, out);
    case 17: {
        int64_t us = (int64_t)le64(p);
        if (us < 0 || us >= INT64_C(86400000000))
            return fl_errf(err, FL_ERR_CORRUPT, "variant time %lld is outside a day",
                           (long long)us);
        fl_time_format_time(us, tmp, sizeof(tmp));
        return fl_buf_printf(out, "\"%s\"", tmp);
    }
    case 20:
        return fl_buf_printf(out,
                             "\"%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x"
                             "%02x\"",
                             p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10],
                             p[11], p[12], p[13], p[14], p[15]);
    default: { /* 15 binary, 16 string */
        uint32_t len = le(p, 4);
        if (len > n - 4) return short_read(err, t == 15 ? "binary" : "string");
        return t == 15 ? put_base64(p + 4, len, out) : put_str(p + 4, len, out, err);
    }
    }
}

static fl_err_t put_value(const struct vmeta *vm, const uint8_t *p, size_t n, int depth,
                          struct fl_buf *out, struct fl_error *err);

/* An object (basic type 2) or array (3) with header hdr, value data p[0..n). */
static fl_err_t put_nested(const struct vmeta *vm, bool obj, int hdr, const uint8_t *p, size_t n,
                           int depth, struct fl_buf *out, struct fl_error *err) {
    const char *what = obj ? "object" : "array";
    int osz = (hdr & 3) + 1;
    int isz = obj ? ((hdr >> 2) & 3) + 1 : 0;
    int large = obj ? (hdr >> 4) & 1 : (hdr >> 2) & 1;
    size_t nsz = large ? 4 : 1;
    if (n < nsz) return short_read(err, what);
    uint32_t count = le(p, (int)nsz);
    size_t rest = n - nsz;
    /* count ids and count + 1 offsets */
    if ((size_t)count > rest / (size_t)(isz + osz) ||
        (size_t)count * (size_t)(isz + osz) + (size_t)osz > rest)
        return short_read(err, what);
    const uint8_t *ids = p + nsz;
    const uint8_t *offs = ids + (size_t)count * (size_t)isz;
    const uint8_t *fields = offs + ((size_t)count + 1) * (size_t)osz;
    size_t nfields = (size_t)(p + n - fields);
    size_t total = le(offs + (size_t)count * (size_t)osz, osz);
    if (total > nfields) return short_read(err, what);
    fl_err_t rc = fl_buf_append_u8(out, obj ? '{' : '[');
    for (uint32_t i = 0; i < count && !rc; i++) {
        if (i) rc = fl_buf_append_u8(out, ',');
        if (obj && !rc) {
            uint32_t id = le(ids + (size_t)i * (size_t)isz, isz);
            if (id >= vm->dict_size)
                return fl_errf(err, FL_ERR_CORRUPT,
                               "variant object field id %u is not in the dictionary of %u", id,
                               vm->dict_size);
            uint32_t a = le(vm->offs + (size_t)id * (size_t)vm->osz, vm->osz);
            uint32_t b = le(vm->offs + ((size_t)id + 1) * (size_t)vm->osz, vm->osz);
            if (a > b || b > vm->nbytes)
                return fl_errf(err, FL_ERR_CORRUPT, "variant metadata string %u is malformed", id);
            rc = put_str(vm->bytes + a, b - a, out, err);
            if (!rc) rc = fl_buf_append_u8(out, ':');
        }
        size_t off = le(offs + (size_t)i * (size_t)osz, osz);
        if (!rc && off >= total) return short_read(err, what);
        if (!rc) rc = put_value(vm, fields + off, total - off, depth + 1, out, err);
    }
    if (!rc) rc = fl_buf_append_u8(out, obj ? '}' : ']');
    return rc;
}

static fl_err_t put_value(const struct vmeta *vm, const uint8_t *p, size_t n, int depth,
                          struct fl_buf *out, struct fl_error *err) {
    if (depth > FL_VARIANT_MAX_DEPTH)
        return fl_errf(err, FL_ERR_LIMIT, "variant nested deeper than %d", FL_VARIANT_MAX_DEPTH);
    if (n < 1) return short_read(err, "value");
    int basic = p[0] & 3, hdr = p[0] >> 2;
    switch (basic) {
    case 0:
        return put_primitive(hdr, p + 1, n - 1, out, err);
    case 1:
        if ((size_t)hdr > n - 1) return short_read(err, "short string");
        return put_str(p + 1, (size_t)hdr, out, err);
    default:
        return put_nested(vm, basic == 2, hdr, p + 1, n - 1, depth, out, err);
    }
}

fl_err_t fl_variant_to_json(const uint8_t *meta, size_t mlen, const uint8_t *val, size_t vlen,
                            struct fl_buf *out, struct fl_error *err) {
    struct vmeta vm;
    fl_err_t rc = meta_parse(meta, mlen, &vm, err);
    if (rc) return rc;
    return put_value(&vm, val, vlen, 0, out, err);
}
