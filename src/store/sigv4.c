/*
 * sigv4.c - AWS Signature Version 4, with OpenSSL's SHA-256 and HMAC.
 *
 * How it works (AWS "Create a signed AWS API request"):
 *   canonical request = METHOD \n path \n sorted query \n
 *                       lowercase-name:trimmed-value \n ... \n
 *                       signed;header;names \n payload hash
 *   string to sign    = "AWS4-HMAC-SHA256" \n amz-date \n
 *                       date/region/service/aws4_request \n hex(sha256(canonical))
 *   signing key       = HMAC chain "AWS4"+secret -> date -> region -> service
 *                       -> "aws4_request"
 *   Authorization     = AWS4-HMAC-SHA256 Credential=AK/scope,
 *                       SignedHeaders=..., Signature=hex(hmac(key, sts))
 * S3 signs the path as sent (no second encoding, no dot-segment removal),
 * which is what floe needs since its keys never contain dot segments.
 */
#include "store/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char hexdig[] = "0123456789abcdef";

static void to_hex(const unsigned char *in, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexdig[in[i] >> 4];
        out[2 * i + 1] = hexdig[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void fl_sigv4_sha256_hex(const void *data, size_t len, char out[65]) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    to_hex(md, 32, out);
}

static void hmac(const void *key, size_t klen, const void *msg, size_t mlen,
                 unsigned char out[32]) {
    unsigned char tmp[EVP_MAX_MD_SIZE]; /* out may alias key */
    unsigned int olen = 0;
    HMAC(EVP_sha256(), key, (int)klen, msg, mlen, tmp, &olen);
    memcpy(out, tmp, 32);
    OPENSSL_cleanse(tmp, sizeof(tmp));
}

fl_err_t fl_sigv4_uri_encode(struct fl_buf *out, const char *s, size_t len, bool keep_slash) {
    static const char up[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '.' || c == '_' || c == '~' || (c == '/' && keep_slash);
        fl_err_t rc;
        if (plain) {
            rc = fl_buf_append_u8(out, c);
        } else {
            char esc[3] = {'%', up[c >> 4], up[c & 15]};
            rc = fl_buf_append(out, esc, 3);
        }
        if (rc) return rc;
    }
    return FL_OK;
}

void fl_sigv4_amz_date(time_t t, char out[17]) {
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

struct pair {
    const char *k, *v;
    size_t klen, vlen;
};

static int pair_cmp(const void *a, const void *b) {
    const struct pair *x = a, *y = b;
    size_t m = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->k, y->k, m);
    if (c || x->klen != y->klen) return c ? c : (x->klen < y->klen ? -1 : 1);
    m = x->vlen < y->vlen ? x->vlen : y->vlen;
    c = memcmp(x->v, y->v, m);
    if (c || x->vlen != y->vlen) return c ? c : (x->vlen < y->vlen ? -1 : 1);
    return 0;
}

static fl_err_t canon_query(struct fl_buf *b, const char *q, struct fl_error *err) {
    struct pair p[FL_SIGV4_QUERY_MAX];
    size_t n = 0;
    while (q && *q) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        if (len) {
            if (n == FL_SIGV4_QUERY_MAX)
                return fl_errf(err, FL_ERR_INVALID, "sigv4: more than %d query parameters",
                               FL_SIGV4_QUERY_MAX);
            const char *eq = memchr(q, '=', len);
            p[n].k = q;
            p[n].klen = eq ? (size_t)(eq - q) : len;
            p[n].v = eq ? eq + 1 : "";
            p[n].vlen = eq ? len - p[n].klen - 1 : 0;
            n++;
        }
        q = amp ? amp + 1 : NULL;
    }
    qsort(p, n, sizeof(p[0]), pair_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i) fl_buf_append_u8(b, '&');
        fl_buf_append(b, p[i].k, p[i].klen);
        fl_buf_append_u8(b, '=');
        fl_buf_append(b, p[i].v, p[i].vlen);
    }
    return fl_buf_append_u8(b, '\n');
}

struct hdr {
    char name[64];
    const char *value;
    size_t idx; /* keeps repeated headers in their given order */
};

static int hdr_cmp(const void *a, const void *b) {
    const struct hdr *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->idx < y->idx ? -1 : x->idx > y->idx);
}

/* value trimmed, inner runs of spaces and tabs folded to one space */
static void append_trimmed(struct fl_buf *b, const char *v) {
    bool space = false, any = false;
    for (; *v; v++) {
        if (*v == ' ' || *v == '\t') {
            space = true;
            continue;
        }
        if (space && any) fl_buf_append_u8(b, ' ');
        fl_buf_append_u8(b, (uint8_t)*v);
        space = false;
        any = true;
    }
}

fl_err_t fl_sigv4_sign(const struct fl_sigv4_req *req, char *auth, size_t auth_size,
                       struct fl_buf *canon, struct fl_error *err) {
    if (req->nheaders > FL_SIGV4_HEADERS_MAX)
        return fl_errf(err, FL_ERR_INVALID, "sigv4: more than %d headers", FL_SIGV4_HEADERS_MAX);
    if (strlen(req->amz_date) != 16)
        return fl_errf(err, FL_ERR_INVALID, "sigv4: bad x-amz-date \"%s\"", req->amz_date);
    struct hdr h[FL_SIGV4_HEADERS_MAX];
    for (size_t i = 0; i < req->nheaders; i++) {
        size_t n = strlen(req->headers[i].name);
        if (n == 0 || n >= sizeof(h[i].name))
            return fl_errf(err, FL_ERR_INVALID, "sigv4: bad header name");
        for (size_t j = 0; j <= n; j++) {
            char c = req->headers[i].name[j];
            h[i].name[j] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        h[i].value = req->headers[i].value;
        h[i].idx = i;
    }
    qsort(h, req->nheaders, sizeof(h[0]), hdr_cmp);

    struct fl_buf cr, signed_names;
    fl_buf_init(&cr, 64 << 10);
    fl_buf_init(&signed_names, 4096);
    fl_err_t rc = FL_OK;
    fl_buf_printf(&cr, "%s\n%s\n", req->method, req->path && req->path[0] ? req->path : "/");
    if ((rc = canon_query(&cr, req->query, err))) goto out;
    for (size_t i = 0; i < req->nheaders; i++) {
        bool dup = i > 0 && strcmp(h[i].name, h[i - 1].name) == 0;
        if (dup) {    /* repeated header: values joined by ',' on one line */
            cr.len--; /* drop '\n' */
            fl_buf_append_u8(&cr, ',');
        } else {
            if (i) fl_buf_append_u8(&signed_names, ';');
            fl_buf_append_str(&signed_names, h[i].name);
            fl_buf_printf(&cr, "%s:", h[i].name);
        }
        append_trimmed(&cr, h[i].value);
        fl_buf_append_u8(&cr, '\n');
    }
    fl_buf_append_u8(&signed_names, 0);
    rc = fl_buf_printf(&cr, "\n%s\n%s", (const char *)signed_names.data, req->payload_hash);
    if (rc) {
        rc = fl_errf(err, rc, "sigv4: canonical request too large");
        goto out;
    }
    if (canon) fl_buf_append(canon, cr.data, cr.len);

    char cr_hash[65], date[9], scope[256], sts[512];
    fl_sigv4_sha256_hex(cr.data, cr.len, cr_hash);
    memcpy(date, req->amz_date, 8);
    date[8] = '\0';
    int sn =
        snprintf(scope, sizeof(scope), "%s/%s/%s/aws4_request", date, req->region, req->service);
    if (sn < 0 || (size_t)sn >= sizeof(scope)) {
        rc = fl_errf(err, FL_ERR_INVALID, "sigv4: region or service too long");
        goto out;
    }
    int stsn =
        snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256\n%s\n%s\n%s", req->amz_date, scope, cr_hash);

    unsigned char k[32];
    size_t slen = strlen(req->secret_key);
    char *kinit = malloc(slen + 5);
    if (!kinit) {
        rc = fl_errf(err, FL_ERR_NOMEM, "sigv4: out of memory");
        goto out;
    }
    memcpy(kinit, "AWS4", 4);
    memcpy(kinit + 4, req->secret_key, slen);
    hmac(kinit, slen + 4, date, 8, k);
    OPENSSL_cleanse(kinit, slen + 4);
    free(kinit);
    hmac(k, 32, req->region, strlen(req->region), k);
    hmac(k, 32, req->service, strlen(req->service), k);
    hmac(k, 32, "aws4_request", 12, k);
    unsigned char sig[32];
    hmac(k, 32, sts, (size_t)stsn, sig);
    OPENSSL_cleanse(k, sizeof(k));
    char sighex[65];
    to_hex(sig, 32, sighex);
    int an = snprintf(auth, auth_size,
                      "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
                      req->access_key, scope, (const char *)signed_names.data, sighex);
    if (an < 0 || (size_t)an >= auth_size)
        rc = fl_errf(err, FL_ERR_LIMIT, "sigv4: Authorization header too long");
out:
    fl_buf_fini(&cr);
    fl_buf_fini(&signed_names);
    return rc;
}
