/*
 * s3.c - the S3 backend of src/store ("s3://bucket/prefix"), on libcurl.
 *
 * How it works. Every operation is one or more calls of s3_call(): build
 * the URL (path-style http://endpoint/bucket/key or virtual-host
 * http://bucket.endpoint/key, keys URI-encoded once), sign the request
 * with our own SigV4 (sigv4.c: exact, testable against AWS's vectors),
 * send it on a pooled curl easy handle (connections are reused), and
 * retry with exponential backoff and jitter on 5xx, 429 and transport
 * timeouts, a bounded number of times, re-signing each attempt. Errors
 * carry the HTTP status and S3's <Code> and <Message>.
 *
 * Objects: put is one PUT (atomic on S3); put-if-absent adds
 * "If-None-Match: *" (S3 answers 412 when the key exists); get/range are
 * GETs with a Range header; list is ListObjectsV2 following continuation
 * tokens. The streaming writer buffers one part (default 8 MiB): a small
 * object becomes one PUT at commit, a larger one a multipart upload
 * (Create, UploadPart..., Complete) that is aborted on any failure, so
 * nothing is ever visible under the key before Complete succeeds.
 * Settings come from struct fl_store_opts, then the AWS_* environment.
 */
#include "store/s3.h"

#include "core/mem.h"
#include "core/time.h"
#include "store/s3_xml.h"
#include "store/sigv4.h"
#include "store/store_int.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define POOL_MAX 8
#define ERR_BODY_MAX (64 << 10)
#define LIST_PAGE_MAX (16 << 20)
#define PARTS_MAX 10000

struct s3_store {
    struct fl_store base;
    char *bucket;
    char *prefix;    /* "" or ending in '/' */
    char *scheme;    /* "http" or "https" */
    char *authority; /* host[:port] requests go to (with the bucket when vhost) */
    bool path_style;
    char *region, *access_key, *secret_key, *session_token;
    struct curl_slist *resolve;
    size_t part_size;
    unsigned page_size, max_retries, retry_base_ms, retry_max_ms;
    long connect_timeout_ms, timeout_ms;
    bool head_first;
    struct fl_store_faults *faults;
    pthread_mutex_t mu; /* guards pool and faults */
    CURL *pool[POOL_MAX];
    int npool;
};

/* One HTTP exchange, in and out. */
struct s3_call {
    const char *method;
    const char *key;   /* full object key (with prefix), or NULL: the bucket */
    const char *query; /* URI-encoded, or NULL */
    const void *body;
    size_t body_len;
    const char *range;   /* Range header value or NULL */
    bool if_none_match;  /* If-None-Match: * */
    struct fl_buf *resp; /* where a 2xx body goes (NULL: dropped) */
    size_t resp_max;     /* cap on the 2xx body, beyond: FL_ERR_LIMIT */
    /* results */
    long status;
    unsigned attempts;
    uint64_t content_length;
    bool have_length;
    bool overflow;
    char etag[256];
    struct fl_buf errbody; /* a non-2xx body */
    size_t resp_start;
    size_t body_pos; /* upload cursor */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

/* ---- handles ---- */

static CURL *handle_get(struct s3_store *s3) {
    CURL *h = NULL;
    pthread_mutex_lock(&s3->mu);
    if (s3->npool > 0) h = s3->pool[--s3->npool];
    pthread_mutex_unlock(&s3->mu);
    if (h)
        curl_easy_reset(h); /* keeps its connection */
    else
        h = curl_easy_init();
    return h;
}

static void handle_put(struct s3_store *s3, CURL *h) {
    pthread_mutex_lock(&s3->mu);
    if (s3->npool < POOL_MAX) {
        s3->pool[s3->npool++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&s3->mu);
    if (h) curl_easy_cleanup(h);
}

/* ---- curl callbacks ---- */

static size_t on_body(char *ptr, size_t size, size_t n, void *ud) {
    struct s3_call *c = ud;
    size_t len = size * n;
    if (c->status >= 200 && c->status < 300) {
        if (!c->resp) return len;
        if (c->resp->len - c->resp_start + len > c->resp_max ||
            fl_buf_append(c->resp, ptr, len) != FL_OK) {
            c->overflow = true;
            return 0; /* aborts the transfer */
        }
        return len;
    }
    if (fl_buf_append(&c->errbody, ptr, len) != FL_OK) return 0;
    return len;
}

static bool hdr_is(const char *line, size_t n, const char *name, const char **val) {
    size_t k = strlen(name);
    if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':') return false;
    *val = line + k + 1;
    while (**val == ' ') (*val)++;
    return true;
}

static size_t on_header(char *ptr, size_t size, size_t n, void *ud) {
    struct s3_call *c = ud;
    size_t len = size * n;
    const char *v;
    if (len >= 5 && memcmp(ptr, "HTTP/", 5) == 0) {
        /* a new response (after 100-continue or a redirect) */
        const char *sp = memchr(ptr, ' ', len);
        c->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        c->etag[0] = '\0';
        c->have_length = false;
    } else if (hdr_is(ptr, len, "etag", &v)) {
        size_t vl = (size_t)(ptr + len - v);
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' ')) vl--;
        if (vl < sizeof(c->etag)) {
            memcpy(c->etag, v, vl);
            c->etag[vl] = '\0';
        }
    } else if (hdr_is(ptr, len, "content-length", &v)) {
        c->content_length = strtoull(v, NULL, 10);
        c->have_length = true;
    }
    return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *ud) {
    struct s3_call *c = ud;
    size_t room = size * n, left = c->body_len - c->body_pos;
    if (room > left) room = left;
    if (room) memcpy(buf, (const uint8_t *)c->body + c->body_pos, room);
    c->body_pos += room;
    return room;
}

/* ---- one request ---- */

static fl_err_t build_path(struct s3_store *s3, const char *key, struct fl_buf *path) {
    fl_buf_append_u8(path, '/');
    if (s3->path_style) {
        fl_sigv4_uri_encode(path, s3->bucket, strlen(s3->bucket), false);
        if (key) fl_buf_append_u8(path, '/');
    }
    if (key) fl_sigv4_uri_encode(path, key, strlen(key), true);
    return fl_buf_append_u8(path, 0);
}

static unsigned backoff_ms(const struct s3_store *s3, unsigned attempt) {
    uint64_t ceil = s3->retry_base_ms;
    for (unsigned i = 0; i < attempt && ceil < s3->retry_max_ms; i++) ceil *= 2;
    if (ceil > s3->retry_max_ms) ceil = s3->retry_max_ms;
    uint32_t r = 0;
    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
        r = (uint32_t)time(NULL) * 2654435761u;
    /* "equal jitter": half the ceiling fixed, half random */
    return (unsigned)(ceil / 2 + (ceil ? r % (ceil / 2 + 1) : 0));
}

static bool retryable(CURLcode cc, long status) {
    switch (cc) {
    case CURLE_OK:
        return status >= 500 || status == 429;
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        return true;
    default:
        return false;
    }
}

/* One attempt on handle h; returns curl's code, fills c->status. */
static CURLcode attempt(struct s3_store *s3, CURL *h, struct s3_call *c, const char *url,
                        const char *path, const char *payload_hash, struct fl_error *err,
                        bool *sign_failed) {
    char amz_date[17], auth[1024];
    fl_sigv4_amz_date(time(NULL), amz_date);
    struct fl_sigv4_header sh[8];
    size_t nsh = 0;
    sh[nsh++] = (struct fl_sigv4_header){"host", s3->authority};
    sh[nsh++] = (struct fl_sigv4_header){"x-amz-content-sha256", payload_hash};
    sh[nsh++] = (struct fl_sigv4_header){"x-amz-date", amz_date};
    if (s3->session_token)
        sh[nsh++] = (struct fl_sigv4_header){"x-amz-security-token", s3->session_token};
    if (c->range) sh[nsh++] = (struct fl_sigv4_header){"range", c->range};
    if (c->if_none_match) sh[nsh++] = (struct fl_sigv4_header){"if-none-match", "*"};

    struct curl_slist *hl = NULL;
    struct fl_buf line;
    fl_buf_init(&line, 16384);
    for (size_t i = 0; i < nsh; i++) { /* curl copies each line */
        fl_buf_reset(&line);
        fl_buf_printf(&line, "%s: %s", sh[i].name, sh[i].value);
        fl_buf_append_u8(&line, 0);
        hl = curl_slist_append(hl, (const char *)line.data);
    }
    fl_buf_fini(&line);
    if (s3->access_key) {
        struct fl_sigv4_req req = {
            .method = c->method,
            .path = path,
            .query = c->query,
            .headers = sh,
            .nheaders = nsh,
            .payload_hash = payload_hash,
            .amz_date = amz_date,
            .region = s3->region,
            .service = "s3",
            .access_key = s3->access_key,
            .secret_key = s3->secret_key,
        };
        if (fl_sigv4_sign(&req, auth, sizeof(auth), NULL, err) != FL_OK) {
            curl_slist_free_all(hl);
            *sign_failed = true;
            return CURLE_ABORTED_BY_CALLBACK;
        }
        char ah[1100];
        snprintf(ah, sizeof(ah), "Authorization: %s", auth);
        hl = curl_slist_append(hl, ah);
    }
    hl = curl_slist_append(hl, "Expect:");       /* no 100-continue round trip */
    hl = curl_slist_append(hl, "Content-Type:"); /* none on POST either */

    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, s3->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, s3->timeout_ms);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    if (s3->resolve) curl_easy_setopt(h, CURLOPT_RESOLVE, s3->resolve);
    c->body_pos = 0;
    if (strcmp(c->method, "PUT") == 0) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, c);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)c->body_len);
    } else if (strcmp(c->method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body_len ? c->body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
    } else if (strcmp(c->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(c->method, "DELETE") == 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
    }
    CURLcode cc = curl_easy_perform(h);
    curl_slist_free_all(hl);
    if (cc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
    return cc;
}

/* Sends c with retries. FL_OK when a response was received (any status:
 * the caller maps it); FL_ERR_IO when none came; FL_ERR_LIMIT when a 2xx
 * body exceeded its cap. */
static fl_err_t s3_call(struct s3_store *s3, struct s3_call *c, struct fl_error *err) {
    struct fl_buf path, url;
    fl_buf_init(&path, 8192);
    fl_buf_init(&url, 16384);
    fl_buf_init(&c->errbody, ERR_BODY_MAX);
    c->resp_start = c->resp ? c->resp->len : 0;
    build_path(s3, c->key, &path);
    fl_buf_printf(&url, "%s://%s%s%s%s", s3->scheme, s3->authority, (const char *)path.data,
                  c->query && c->query[0] ? "?" : "", c->query ? c->query : "");
    fl_buf_append_u8(&url, 0);
    char payload_hash[65];
    if (c->body_len)
        fl_sigv4_sha256_hex(c->body, c->body_len, payload_hash);
    else
        memcpy(payload_hash, FL_SIGV4_EMPTY_SHA256, 65);

    CURL *h = handle_get(s3);
    fl_err_t rc = FL_OK;
    if (!h) {
        rc = fl_errf(err, FL_ERR_NOMEM, "s3: cannot create a curl handle");
        goto out;
    }
    CURLcode cc = CURLE_OK;
    for (c->attempts = 0;; c->attempts++) {
        c->status = 0;
        c->overflow = false;
        fl_buf_reset(&c->errbody);
        if (c->resp) c->resp->len = c->resp_start;
        bool injected = false, sign_failed = false;
        pthread_mutex_lock(&s3->mu);
        if (s3->faults) {
            s3->faults->http_requests++;
            if (s3->faults->http_fail_count > 0) {
                s3->faults->http_fail_count--;
                s3->faults->http_injected++;
                injected = true;
                if (s3->faults->http_fail_timeout) {
                    cc = CURLE_OPERATION_TIMEDOUT;
                } else {
                    cc = CURLE_OK;
                    c->status = s3->faults->http_fail_status ? s3->faults->http_fail_status : 500;
                    fl_buf_append_str(&c->errbody, "<Error><Code>InternalError</Code><Message>"
                                                   "injected fault</Message></Error>");
                }
            }
        }
        pthread_mutex_unlock(&s3->mu);
        if (!injected)
            cc = attempt(s3, h, c, (const char *)url.data, (const char *)path.data, payload_hash,
                         err, &sign_failed);
        if (sign_failed) {
            rc = err ? err->code : FL_ERR_INVALID;
            goto out;
        }
        if (c->overflow) {
            rc = fl_errf(err, FL_ERR_LIMIT, "s3 %s %s: response larger than %zu bytes", c->method,
                         (const char *)url.data, c->resp_max);
            if (c->resp) c->resp->len = c->resp_start;
            goto out;
        }
        if (!retryable(cc, c->status) || c->attempts >= s3->max_retries) break;
        usleep(backoff_ms(s3, c->attempts) * 1000u);
    }
    c->attempts++;
    if (cc != CURLE_OK)
        rc = fl_errf(err, FL_ERR_IO, "s3 %s %s: %s (%u attempt%s)", c->method,
                     (const char *)url.data, curl_easy_strerror(cc), c->attempts,
                     c->attempts == 1 ? "" : "s");
out:
    if (h) handle_put(s3, h);
    fl_buf_fini(&path);
    fl_buf_fini(&url);
    return rc;
}

/* ---- errors ---- */

struct err_fields {
    char code[128];
    char msg[256];
};

static fl_err_t err_cb(void *ctx, int depth, const char *parent, const char *name, const char *text,
                       size_t len) {
    struct err_fields *f = ctx;
    (void)len;
    if (depth == 2 && strcmp(parent, "Error") == 0) {
        if (strcmp(name, "Code") == 0) snprintf(f->code, sizeof(f->code), "%s", text);
        if (strcmp(name, "Message") == 0) snprintf(f->msg, sizeof(f->msg), "%s", text);
    }
    return FL_OK;
}

static void parse_error(const struct fl_buf *body, struct err_fields *f) {
    f->code[0] = f->msg[0] = '\0';
    if (body->len) fl_s3_xml_scan((const char *)body->data, body->len, err_cb, f, NULL);
}

/* The error for an unexpected status: HTTP status, S3 Code and Message. */
static fl_err_t status_err(struct s3_store *s3, struct s3_call *c, const char *key,
                           struct fl_error *err) {
    struct err_fields f;
    parse_error(&c->errbody, &f);
    fl_err_t code = FL_ERR_IO;
    if (c->status == 404)
        code = FL_ERR_NOTFOUND;
    else if (c->status == 412)
        code = FL_ERR_EXISTS;
    else if (c->status == 416)
        code = FL_ERR_RANGE;
    else if (c->status == 400 || c->status == 403 || c->status == 401)
        code = FL_ERR_INVALID;
    return fl_errf(err, code, "s3 %s s3://%s/%s: HTTP %ld%s%s%s%s (%u attempt%s)", c->method,
                   s3->bucket, key ? key : "", c->status, f.code[0] ? " " : "", f.code,
                   f.msg[0] ? ": " : "", f.msg, c->attempts, c->attempts == 1 ? "" : "s");
}

static char *full_key(struct s3_store *s3, const char *key) {
    size_t a = strlen(s3->prefix), b = strlen(key);
    char *k = fl_malloc(a + b + 1);
    memcpy(k, s3->prefix, a);
    memcpy(k + a, key, b + 1);
    return k;
}

/* ---- objects ---- */

static fl_err_t s3_head(struct fl_store *st, const char *key, uint64_t *size,
                        struct fl_error *err) {
    struct s3_store *s3 = (struct s3_store *)st;
    char *k = full_key(s3, key);
    struct s3_call c = {.method = "HEAD", .key = k};
    fl_err_t rc = s3_call(s3, &c, err);
    if (!rc) {
        if (c.status == 200)
            *size = c.content_length;
        else
            rc = status_err(s3, &c, k, err);
    }
    fl_buf_fini(&c.errbody);
    fl_free(k);
    return rc;
}

static fl_err_t s3_get(struct fl_store *st, const char *key, bool whole, uint64_t off, size_t len,
                       struct fl_buf *out, struct fl_error *err) {
    struct s3_store *s3 = (struct s3_store *)st;
    char *k = full_key(s3, key);
    char range[64];
    if (!whole)
        snprintf(range, sizeof(range), "bytes=%llu-%llu", (unsigned long long)off,
                 (unsigned long long)(off + len - 1));
    struct s3_call c = {
        .method = "GET", .key = k, .range = whole ? NULL : range, .resp = out, .resp_max = len};
    fl_err_t rc = s3_call(s3, &c, err);
    if (rc == FL_ERR_LIMIT && whole) {
        if (err) fl_err_clear(err);
        rc = fl_errf(err, FL_ERR_LIMIT, "s3 GET s3://%s/%s: larger than the %zu bytes allowed",
                     s3->bucket, k, len);
    } else if (!rc) {
        if (c.status == 200 && !whole && off > 0 && out->len > c.resp_start) {
            /* the server ignored Range and sent the whole object */
            out->len = c.resp_start;
            rc = fl_errf(err, FL_ERR_UNSUPPORTED, "s3 GET s3://%s/%s: server ignored Range",
                         s3->bucket, k);
        } else if (c.status == 416 && !whole) {
            rc = fl_errf(err, FL_ERR_RANGE, "s3 GET s3://%s/%s: offset %llu at or past the end",
                         s3->bucket, k, (unsigned long long)off);
        } else if (c.status != 200 && c.status != 206) {
            rc = status_err(s3, &c, k, err);
        }
    }
    fl_buf_fini(&c.errbody);
    fl_free(k);
    return rc;
}

/* A conditional PUT that got 412 after an ambiguous earlier attempt (a
 * timeout or 5xx may hide a success): the write is ours when the stored
 * bytes are exactly ours. */
static bool landed(struct s3_store *s3, const char *key, const void *data, size_t len) {
    struct fl_buf b;
    fl_buf_init(&b, len + 1);
    struct fl_error e;
    fl_err_clear(&e);
    bool same = s3_get(&s3->base, key, true, 0, len, &b, &e) == FL_OK && b.len == len &&
                (len == 0 || memcmp(b.data, data, len) == 0);
    fl_buf_fini(&b);
    return same;
}

static fl_err_t s3_put_full(struct s3_store *s3, const char *k, const void *data, size_t len,
                            bool if_absent, struct fl_error *err) {
    struct s3_call c = {
        .method = "PUT", .key = k, .body = data, .body_len = len, .if_none_match = if_absent};
    fl_err_t rc = s3_call(s3, &c, err);
    if (!rc && c.status != 200) {
        if (c.status == 412 && if_absent && c.attempts > 1 &&
            landed(s3, k + strlen(s3->prefix), data, len))
            rc = FL_OK;
        else
            rc = status_err(s3, &c, k, err);
    }
    fl_buf_fini(&c.errbody);
    return rc;
}

static fl_err_t s3_put(struct fl_store *st, const char *key, const void *data, size_t len,
                       bool if_absent, struct fl_error *err) {
    struct s3_store *s3 = (struct s3_store *)st;
    if (if_absent && s3->head_first) {
        uint64_t size;
        struct fl_error e;
        fl_err_clear(&e);
        fl_err_t hrc = s3_head(st, key, &size, &e);
        if (hrc == FL_OK)
            return fl_errf(err, FL_ERR_EXISTS, "s3 PUT s3://%s/%s%s: already exists", s3->bucket,
                           s3->prefix, key);
        if (hrc != FL_ERR_NOTFOUND) {
            if (err) *err = e;
            return hrc;
        }
    }
    char *k = full_key(s3, key);
    fl_err_t rc = s3_put_full(s3, k, data, len, if_absent, err);
    fl_free(k);
    return rc;
}

static fl_err_t s3_del(struct fl_store *st, const char *key, struct fl_error *err) {
    struct s3_store *s3 = (struct s3_store *)st;
    char *k = full_key(s3, key);
    struct s3_call c = {.method = "DELETE", .key = k};
    fl_err_t rc = s3_call(s3, &c, err);
    if (!rc && c.status != 204 && c.status != 200 && c.status != 404)
        rc = status_err(s3, &c, k, err);
    fl_buf_fini(&c.errbody);
    fl_free(k);
    return rc;
}

/* ---- listing ---- */

struct list_page {
    struct s3_store *s3;
    fl_store_scan_fn cb;
    void *ctx;
    char *key; /* of the current <Contents> */
    uint64_t size;
    int64_t mtime_ms; /* its LastModified; INT64_MAX (unknown: never old) when absent */
    bool have_size;
    bool truncated;
    char *token;
    bool root_ok;
    fl_err_t cb_rc;
};

static fl_err_t list_cb(void *ctx, int depth, const char *parent, const char *name,
                        const char *text, size_t len) {
    struct list_page *p = ctx;
    if (depth == 1) {
        p->root_ok = strcmp(name, "ListBucketResult") == 0;
        return FL_OK;
    }
    if (depth == 2) {
        if (strcmp(name, "IsTruncated") == 0)
            p->truncated = strcmp(text, "true") == 0;
        else if (strcmp(name, "NextContinuationToken") == 0) {
            fl_free(p->token);
            p->token = fl_strndup(text, len);
        } else if (strcmp(name, "Contents") == 0) {
            if (!p->key || !p->have_size) return FL_ERR_CORRUPT;
            size_t plen = strlen(p->s3->prefix);
            if (strncmp(p->key, p->s3->prefix, plen) != 0) return FL_ERR_CORRUPT;
            struct fl_store_obj obj = {p->key + plen, p->size, p->mtime_ms, false};
            fl_err_t rc = p->cb(p->ctx, &obj);
            fl_free(p->key);
            p->key = NULL;
            p->have_size = false;
            p->mtime_ms = INT64_MAX;
            if (rc) p->cb_rc = rc;
            return rc;
        }
        return FL_OK;
    }
    if (depth == 3 && strcmp(parent, "Contents") == 0) {
        if (strcmp(name, "Key") == 0) {
            fl_free(p->key);
            p->key = fl_strndup(text, len);
        } else if (strcmp(name, "Size") == 0) {
            char *end;
            errno = 0;
            p->size = strtoull(text, &end, 10);
            if (errno || end == text || *end || text[0] == '-') return FL_ERR_CORRUPT;
            p->have_size = true;
        } else if (strcmp(name, "LastModified") == 0) {
            int64_t us;
            if (fl_time_parse_iso(text, len, &us)) return FL_ERR_CORRUPT;
            p->mtime_ms = us / 1000;
        }
    }
    return FL_OK;
}

static fl_err_t s3_scan(struct fl_store *st, const char *prefix, unsigned flags,
                        fl_store_scan_fn cb, void *ctx, struct fl_error *err) {
    (void)flags; /* S3 has no temporary objects */
    struct s3_store *s3 = (struct s3_store *)st;
    char *fp = full_key(s3, prefix);
    struct list_page p = {.s3 = s3, .cb = cb, .ctx = ctx, .mtime_ms = INT64_MAX};
    struct fl_buf q, body;
    fl_buf_init(&q, 16384);
    fl_buf_init(&body, LIST_PAGE_MAX);
    fl_err_t rc = FL_OK;
    for (unsigned pages = 0;; pages++) {
        fl_buf_reset(&q);
        fl_buf_reset(&body);
        /* parameters in sorted order, as they are signed */
        if (p.token) {
            fl_buf_append_str(&q, "continuation-token=");
            fl_sigv4_uri_encode(&q, p.token, strlen(p.token), false);
            fl_buf_append_u8(&q, '&');
        }
        fl_buf_printf(&q, "list-type=2&max-keys=%u&prefix=", s3->page_size);
        fl_sigv4_uri_encode(&q, fp, strlen(fp), false);
        fl_buf_append_u8(&q, 0);
        struct s3_call c = {.method = "GET",
                            .query = (const char *)q.data,
                            .resp = &body,
                            .resp_max = LIST_PAGE_MAX};
        rc = s3_call(s3, &c, err);
        if (!rc && c.status != 200) rc = status_err(s3, &c, fp, err);
        fl_buf_fini(&c.errbody);
        if (rc) break;
        char *old_token = p.token;
        p.token = NULL;
        p.truncated = false;
        p.root_ok = false;
        rc = fl_s3_xml_scan((const char *)body.data, body.len, list_cb, &p, err);
        if (rc && rc == p.cb_rc) {
            fl_free(old_token);
            break;
        }
        if (rc == FL_OK && !p.root_ok) rc = FL_ERR_CORRUPT;
        if (rc) {
            fl_free(old_token);
            rc = fl_errf(err, FL_ERR_CORRUPT, "s3 list s3://%s/%s: unexpected ListObjectsV2 reply",
                         s3->bucket, fp);
            break;
        }
        bool same = old_token && p.token && strcmp(old_token, p.token) == 0;
        fl_free(old_token);
        if (!p.truncated) break;
        if (!p.token || same) {
            rc = fl_errf(err, FL_ERR_CORRUPT,
                         "s3 list s3://%s/%s: truncated page without a new continuation token",
                         s3->bucket, fp);
            break;
        }
    }
    fl_free(p.key);
    fl_free(p.token);
    fl_buf_fini(&q);
    fl_buf_fini(&body);
    fl_free(fp);
    return rc;
}

/* ---- streaming writer: one PUT or a multipart upload ---- */

struct s3_part {
    char etag[256];
};

struct s3_writer {
    struct fl_store_writer base;
    char *key; /* full */
    struct fl_buf buf;
    char *upload_id; /* NULL until the first part */
    struct s3_part *parts;
    size_t nparts, cap;
};

struct upload_id {
    char *id;
};

static fl_err_t upload_id_cb(void *ctx, int depth, const char *parent, const char *name,
                             const char *text, size_t len) {
    struct upload_id *u = ctx;
    if (depth == 2 && strcmp(parent, "InitiateMultipartUploadResult") == 0 &&
        strcmp(name, "UploadId") == 0 && len > 0 && !u->id)
        u->id = fl_strndup(text, len);
    return FL_OK;
}

static void uploadid_query(struct fl_buf *q, const char *id, unsigned part) {
    fl_buf_reset(q);
    if (part) fl_buf_printf(q, "partNumber=%u&", part);
    fl_buf_append_str(q, "uploadId=");
    fl_sigv4_uri_encode(q, id, strlen(id), false);
    fl_buf_append_u8(q, 0);
}

static fl_err_t mpu_create(struct s3_store *s3, struct s3_writer *w, struct fl_error *err) {
    struct fl_buf body;
    fl_buf_init(&body, ERR_BODY_MAX);
    struct s3_call c = {.method = "POST",
                        .key = w->key,
                        .query = "uploads=",
                        .resp = &body,
                        .resp_max = ERR_BODY_MAX};
    fl_err_t rc = s3_call(s3, &c, err);
    if (!rc && c.status != 200) rc = status_err(s3, &c, w->key, err);
    if (!rc) {
        struct upload_id u = {0};
        fl_err_t xrc = fl_s3_xml_scan((const char *)body.data, body.len, upload_id_cb, &u, NULL);
        if (xrc || !u.id) {
            fl_free(u.id);
            rc = fl_errf(err, FL_ERR_CORRUPT,
                         "s3 CreateMultipartUpload s3://%s/%s: no UploadId in the reply",
                         s3->bucket, w->key);
        } else {
            w->upload_id = u.id;
        }
    }
    fl_buf_fini(&c.errbody);
    fl_buf_fini(&body);
    return rc;
}

static fl_err_t mpu_part(struct s3_store *s3, struct s3_writer *w, struct fl_error *err) {
    if (w->nparts == PARTS_MAX)
        return fl_errf(err, FL_ERR_LIMIT, "s3 s3://%s/%s: more than %d parts (raise part_size)",
                       s3->bucket, w->key, PARTS_MAX);
    struct fl_buf q;
    fl_buf_init(&q, 4096);
    uploadid_query(&q, w->upload_id, (unsigned)w->nparts + 1);
    struct s3_call c = {.method = "PUT",
                        .key = w->key,
                        .query = (const char *)q.data,
                        .body = w->buf.data,
                        .body_len = w->buf.len};
    fl_err_t rc = s3_call(s3, &c, err);
    if (!rc && c.status != 200) rc = status_err(s3, &c, w->key, err);
    if (!rc && !c.etag[0])
        rc = fl_errf(err, FL_ERR_CORRUPT, "s3 UploadPart s3://%s/%s: no ETag in the reply",
                     s3->bucket, w->key);
    if (!rc) {
        if (w->nparts == w->cap) {
            w->cap = w->cap ? w->cap * 2 : 16;
            w->parts = fl_reallocarray(w->parts, w->cap, sizeof(*w->parts));
        }
        memcpy(w->parts[w->nparts++].etag, c.etag, sizeof(c.etag));
        fl_buf_reset(&w->buf);
    }
    fl_buf_fini(&c.errbody);
    fl_buf_fini(&q);
    return rc;
}

static void xml_escape(struct fl_buf *b, const char *s) {
    for (; *s; s++) {
        if (*s == '&')
            fl_buf_append_str(b, "&amp;");
        else if (*s == '<')
            fl_buf_append_str(b, "&lt;");
        else if (*s == '>')
            fl_buf_append_str(b, "&gt;");
        else
            fl_buf_append_u8(b, (uint8_t)*s);
    }
}

struct root_name {
    char name[64];
};

static fl_err_t root_cb(void *ctx, int depth, const char *parent, const char *name,
                        const char *text, size_t len) {
    (void)parent, (void)text, (void)len;
    if (depth == 1) snprintf(((struct root_name *)ctx)->name, 64, "%s", name);
    return FL_OK;
}

static fl_err_t mpu_complete(struct s3_store *s3, struct s3_writer *w, struct fl_error *err) {
    struct fl_buf xml, q, resp;
    fl_buf_init(&xml, (size_t)PARTS_MAX * 400);
    fl_buf_init(&q, 4096);
    fl_buf_init(&resp, ERR_BODY_MAX);
    fl_buf_append_str(&xml, "<CompleteMultipartUpload>");
    for (size_t i = 0; i < w->nparts; i++) {
        fl_buf_printf(&xml, "<Part><PartNumber>%zu</PartNumber><ETag>", i + 1);
        xml_escape(&xml, w->parts[i].etag);
        fl_buf_append_str(&xml, "</ETag></Part>");
    }
    fl_buf_append_str(&xml, "</CompleteMultipartUpload>");
    uploadid_query(&q, w->upload_id, 0);
    struct s3_call c = {.method = "POST",
                        .key = w->key,
                        .query = (const char *)q.data,
                        .body = xml.data,
                        .body_len = xml.len,
                        .resp = &resp,
                        .resp_max = ERR_BODY_MAX};
    fl_err_t rc = s3_call(s3, &c, err);
    if (!rc && c.status != 200) rc = status_err(s3, &c, w->key, err);
    if (!rc) {
        /* S3 may answer 200 and still fail: the body is then an <Error> */
        struct root_name r = {{0}};
        fl_s3_xml_scan((const char *)resp.data, resp.len, root_cb, &r, NULL);
        if (strcmp(r.name, "Error") == 0) {
            fl_buf_reset(&c.errbody);
            fl_buf_append(&c.errbody, resp.data, resp.len);
            rc = status_err(s3, &c, w->key, err);
            if (rc == FL_OK) rc = FL_ERR_IO;
        } else if (strcmp(r.name, "CompleteMultipartUploadResult") != 0) {
            rc = fl_errf(err, FL_ERR_CORRUPT,
                         "s3 CompleteMultipartUpload s3://%s/%s: unexpected reply", s3->bucket,
                         w->key);
        }
    }
    fl_buf_fini(&c.errbody);
    fl_buf_fini(&xml);
    fl_buf_fini(&q);
    fl_buf_fini(&resp);
    return rc;
}

/* Best effort: a leftover upload only costs storage until a lifecycle
 * rule removes it; it never becomes visible. */
static void mpu_abort(struct s3_store *s3, struct s3_writer *w) {
    if (!w->upload_id) return;
    struct fl_buf q;
    fl_buf_init(&q, 4096);
    uploadid_query(&q, w->upload_id, 0);
    struct s3_call c = {.method = "DELETE", .key = w->key, .query = (const char *)q.data};
    s3_call(s3, &c, NULL);
    fl_buf_fini(&c.errbody);
    fl_buf_fini(&q);
}

/* ---- incomplete multipart uploads: list and abort ---- */

struct uploads_page {
    const char *strip; /* the store's prefix, cut from each key */
    fl_store_upload_fn cb;
    void *ctx;
    char *key, *id;
    int64_t initiated_ms;
    bool truncated, root_ok;
    char *next_key, *next_id;
    fl_err_t cb_rc;
};

static fl_err_t uploads_cb(void *ctx, int depth, const char *parent, const char *name,
                           const char *text, size_t len) {
    struct uploads_page *p = ctx;
    if (depth == 1) {
        p->root_ok = strcmp(name, "ListMultipartUploadsResult") == 0;
        return FL_OK;
    }
    if (depth == 2) {
        char **slot = !strcmp(name, "NextKeyMarker")        ? &p->next_key
                      : !strcmp(name, "NextUploadIdMarker") ? &p->next_id
                                                            : NULL;
        if (slot) {
            fl_free(*slot);
            *slot = fl_strndup(text, len);
        } else if (!strcmp(name, "IsTruncated")) {
            p->truncated = strcmp(text, "true") == 0;
        } else if (!strcmp(name, "Upload")) {
            size_t plen = strlen(p->strip);
            if (!p->key || !p->id || !p->id[0] || strncmp(p->key, p->strip, plen) != 0)
                return FL_ERR_CORRUPT;
            fl_err_t rc = p->cb(p->ctx, p->key + plen, p->id, p->initiated_ms);
            fl_free(p->key);
            fl_free(p->id);
            p->key = p->id = NULL;
            p->initiated_ms = INT64_MAX;
            if (rc) p->cb_rc = rc;
            return rc;
        }
        return FL_OK;
    }
    if (depth == 3 && strcmp(parent, "Upload") == 0) {
        if (!strcmp(name, "Key")) {
            fl_free(p->key);
            p->key = fl_strndup(text, len);
        } else if (!strcmp(name, "UploadId")) {
            fl_free(p->id);
            p->id = fl_strndup(text, len);
        } else if (!strcmp(name, "Initiated")) {
            int64_t us;
            if (fl_time_parse_iso(text, len, &us)) return FL_ERR_CORRUPT;
            p->initiated_ms = us / 1000;
        }
    }
    return FL_OK;
}

fl_err_t fl_s3_uploads_parse(const char *xml, size_t len, const char *strip, fl_store_upload_fn cb,
                             void *ctx, bool *truncated, char **next_key, char **next_id,
                             struct fl_error *err) {
    struct uploads_page p = {.strip = strip, .cb = cb, .ctx = ctx, .initiated_ms = INT64_MAX};
    fl_err_t rc = fl_s3_xml_scan(xml, len, uploads_cb, &p, err);
    if (rc && rc == p.cb_rc) {
        /* the callback's own error */
    } else if (rc || !p.root_ok) {
        rc = fl_errf(err, FL_ERR_CORRUPT, "s3: unexpected ListMultipartUploads reply");
    }
    *truncated = p.truncated;
    *next_key = p.next_key;
    *next_id = p.next_id;
    fl_free(p.key);
    fl_free(p.id);
    return rc;
}

static fl_err_t s3_uploads(struct fl_store *st, const char *prefix, fl_store_upload_fn cb,
                           void *ctx, struct fl_error *err) {
    struct s3_store *s3 = (struct s3_store *)st;
    char *fp = full_key(s3, prefix);
    char *kmark = NULL, *imark = NULL;
    struct fl_buf q, body;
    fl_buf_init(&q, 16384);
    fl_buf_init(&body, LIST_PAGE_MAX);
    fl_err_t rc = FL_OK;
    for (;;) {
        fl_buf_reset(&q);
        fl_buf_reset(&body);
        /* parameters in sorted order, as they are signed */
        if (kmark) {
            fl_buf_append_str(&q, "key-marker=");
            fl_sigv4_uri_encode(&q, kmark, strlen(kmark), false);
            fl_buf_append_u8(&q, '&');
        }
        fl_buf_append_str(&q, "prefix=");
        fl_sigv4_uri_encode(&q, fp, strlen(fp), false);
        if (imark) {
            fl_buf_append_str(&q, "&upload-id-marker=");
            fl_sigv4_uri_encode(&q, imark, strlen(imark), false);
        }
        fl_buf_append_str(&q, "&uploads=");
        fl_buf_append_u8(&q, 0);
        struct s3_call c = {.method = "GET",
                            .query = (const char *)q.data,
                            .resp = &body,
                            .resp_max = LIST_PAGE_MAX};
        rc = s3_call(s3, &c, err);
        if (!rc && c.status == 501)
            rc = fl_errf(err, FL_ERR_UNSUPPORTED,
                         "s3 s3://%s: the server does not list multipart uploads (HTTP 501)",
                         s3->bucket);
        else if (!rc && c.status != 200)
            rc = status_err(s3, &c, fp, err);
        fl_buf_fini(&c.errbody);
        if (rc) break;
        bool truncated = false;
        char *nk = NULL, *ni = NULL;
        rc = fl_s3_uploads_parse((const char *)body.data, body.len, s3->prefix, cb, ctx, &truncated,
                                 &nk, &ni, err);
        bool moved =
            nk && (!kmark || strcmp(nk, kmark) != 0 || !imark || !ni || strcmp(ni, imark) != 0);
        fl_free(kmark);
        fl_free(imark);
        kmark = nk;
        imark = ni;
        if (rc || !truncated) break;
        if (!moved) {
            rc = fl_errf(err, FL_ERR_CORRUPT,
                         "s3 uploads s3://%s/%s: truncated page without new markers", s3->bucket,
                         fp);
            break;
        }
    }
    fl_free(kmark);
    fl_free(imark);
    fl_buf_fini(&q);
    fl_buf_fini(&body);
    fl_free(fp);
    return rc;
}

static fl_err_t s3_abort_upload(struct fl_store *st, const char *key, const char *upload_id,
                                struct fl_error *err) {
    struct s3_store *s3 = (struct s3_store *)st;
    char *k = full_key(s3, key);
    struct fl_buf q;
    fl_buf_init(&q, 4096);
    uploadid_query(&q, upload_id, 0);
    struct s3_call c = {.method = "DELETE", .key = k, .query = (const char *)q.data};
    fl_err_t rc = s3_call(s3, &c, err);
    /* 204 aborted; 404 NoSuchUpload: already gone */
    if (!rc && c.status != 204 && c.status != 200 && c.status != 404)
        rc = status_err(s3, &c, k, err);
    fl_buf_fini(&c.errbody);
    fl_buf_fini(&q);
    fl_free(k);
    return rc;
}

static void writer_free(struct s3_writer *w) {
    fl_buf_fini(&w->buf);
    fl_free(w->upload_id);
    fl_free(w->parts);
    fl_free(w->key);
    fl_free(w);
}

static fl_err_t s3_writer_open(struct fl_store *st, const char *key, struct fl_store_writer **out,
                               struct fl_error *err) {
    (void)err;
    struct s3_store *s3 = (struct s3_store *)st;
    struct s3_writer *w = fl_calloc(1, sizeof(*w));
    w->base.st = st;
    w->key = full_key(s3, key);
    fl_buf_init(&w->buf, s3->part_size);
    *out = &w->base;
    return FL_OK;
}

static fl_err_t s3_writer_write(struct fl_store_writer *wb, const void *data, size_t len,
                                struct fl_error *err) {
    struct s3_writer *w = (struct s3_writer *)wb;
    struct s3_store *s3 = (struct s3_store *)wb->st;
    const uint8_t *p = data;
    while (len > 0) {
        if (w->buf.len == s3->part_size) { /* a full part and more to come */
            fl_err_t rc = w->upload_id ? FL_OK : mpu_create(s3, w, err);
            if (!rc) rc = mpu_part(s3, w, err);
            if (rc) return rc;
        }
        size_t n = s3->part_size - w->buf.len;
        if (n > len) n = len;
        fl_err_t rc = fl_buf_append(&w->buf, p, n);
        if (rc) return fl_errf(err, rc, "s3: part buffer");
        p += n;
        len -= n;
    }
    return FL_OK;
}

static fl_err_t s3_writer_commit(struct fl_store_writer *wb, struct fl_error *err) {
    struct s3_writer *w = (struct s3_writer *)wb;
    struct s3_store *s3 = (struct s3_store *)wb->st;
    fl_err_t rc;
    if (!w->upload_id) {
        rc = s3_put_full(s3, w->key, w->buf.data, w->buf.len, false, err);
    } else {
        rc = w->buf.len ? mpu_part(s3, w, err) : FL_OK;
        if (!rc) rc = mpu_complete(s3, w, err);
        if (rc) mpu_abort(s3, w);
    }
    writer_free(w);
    return rc;
}

static void s3_writer_abort(struct fl_store_writer *wb) {
    struct s3_writer *w = (struct s3_writer *)wb;
    mpu_abort((struct s3_store *)wb->st, w);
    writer_free(w);
}

/* ---- the store ---- */

static void s3_free(struct fl_store *st) {
    struct s3_store *s3 = (struct s3_store *)st;
    for (int i = 0; i < s3->npool; i++) curl_easy_cleanup(s3->pool[i]);
    pthread_mutex_destroy(&s3->mu);
    curl_slist_free_all(s3->resolve);
    fl_free(s3->bucket);
    fl_free(s3->prefix);
    fl_free(s3->scheme);
    fl_free(s3->authority);
    fl_free(s3->region);
    fl_free(s3->access_key);
    if (s3->secret_key) {
        memset(s3->secret_key, 0, strlen(s3->secret_key));
        fl_free(s3->secret_key);
    }
    fl_free(s3->session_token);
    fl_free(s3->base.uri);
    fl_free(s3);
}

static fl_err_t s3_sibling(const struct fl_store *st, const char *rest, struct fl_store **out,
                           struct fl_error *err) {
    const struct s3_store *s3 = (const struct s3_store *)st;
    /* the host requests go to: the authority without "<bucket>." when
     * virtual-hosted */
    const char *host = s3->authority;
    size_t bl = strlen(s3->bucket);
    if (!s3->path_style && !strncmp(host, s3->bucket, bl) && host[bl] == '.') host += bl + 1;
    size_t n = strlen(s3->scheme) + strlen(host) + 4;
    char *ep = fl_malloc(n);
    snprintf(ep, n, "%s://%s", s3->scheme, host);
    struct fl_store_opts opts = {
        .endpoint = ep,
        .region = s3->region,
        .access_key = s3->access_key,
        .secret_key = s3->secret_key,
        .session_token = s3->session_token,
        .addressing = s3->path_style ? FL_STORE_ADDR_PATH : FL_STORE_ADDR_VHOST,
        .resolve = s3->resolve ? s3->resolve->data : NULL,
        .part_size = s3->part_size,
        .list_page_size = s3->page_size,
        .max_retries = s3->max_retries,
        .retry_base_ms = s3->retry_base_ms,
        .retry_max_ms = s3->retry_max_ms,
        .connect_timeout_ms = s3->connect_timeout_ms,
        .timeout_ms = s3->timeout_ms,
        .head_before_put_if_absent = s3->head_first,
        .faults = s3->faults,
    };
    fl_err_t rc = fl_store_s3_open(rest, &opts, out, err);
    fl_free(ep);
    return rc;
}

static const struct fl_store_ops s3_ops = {
    .scheme = "s3",
    .put = s3_put,
    .get = s3_get,
    .head = s3_head,
    .del = s3_del,
    .scan = s3_scan,
    .writer_open = s3_writer_open,
    .writer_write = s3_writer_write,
    .writer_commit = s3_writer_commit,
    .writer_abort = s3_writer_abort,
    .uploads = s3_uploads,
    .abort_upload = s3_abort_upload,
    .sibling = s3_sibling,
    .free = s3_free,
};

static const char *opt_or_env(const char *opt, const char *env1, const char *env2) {
    if (opt && opt[0]) return opt;
    const char *v = getenv(env1);
    if ((!v || !v[0]) && env2) v = getenv(env2);
    return v && v[0] ? v : NULL;
}

static char *dup_or_null(const char *s) { return s ? fl_strdup(s) : NULL; }

static bool bucket_ok(const char *b) {
    size_t n = strlen(b);
    if (n < 3 || n > 63) return false;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
            return false;
    }
    return b[0] != '-' && b[0] != '.' && b[n - 1] != '-' && b[n - 1] != '.';
}

fl_err_t fl_store_s3_open(const char *rest, const struct fl_store_opts *opts, struct fl_store **out,
                          struct fl_error *err) {
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK) return fl_errf(err, FL_ERR_IO, "s3: curl_global_init failed");
    const char *slash = strchr(rest, '/');
    char *bucket = slash ? fl_strndup(rest, (size_t)(slash - rest)) : fl_strdup(rest);
    if (!bucket_ok(bucket)) {
        fl_err_t rc = fl_errf(err, FL_ERR_INVALID, "s3: \"%s\" is not a valid bucket name", bucket);
        fl_free(bucket);
        return rc;
    }
    /* prefix: trimmed of slashes, then one trailing '/' */
    const char *p = slash ? slash : "";
    while (*p == '/') p++;
    size_t plen = strlen(p);
    while (plen && p[plen - 1] == '/') plen--;
    char *prefix = fl_malloc(plen + 2);
    memcpy(prefix, p, plen);
    prefix[plen] = '/';
    prefix[plen + (plen ? 1 : 0)] = '\0';
    if (plen) {
        prefix[plen] = '\0';
        fl_err_t rc = fl_store_key_check(prefix, err);
        prefix[plen] = '/';
        if (rc) {
            fl_err_prefix(err, "s3: bad prefix in s3://%s", rest);
            fl_free(bucket);
            fl_free(prefix);
            return rc;
        }
    }

    struct s3_store *s3 = fl_calloc(1, sizeof(*s3));
    s3->base.ops = &s3_ops;
    pthread_mutex_init(&s3->mu, NULL);
    s3->bucket = bucket;
    s3->prefix = prefix;
    fl_err_t rc = FL_OK;

    const char *region = opt_or_env(opts->region, "AWS_REGION", "AWS_DEFAULT_REGION");
    s3->region = fl_strdup(region ? region : "us-east-1");
    const char *ak = opt_or_env(opts->access_key, "AWS_ACCESS_KEY_ID", NULL);
    const char *sk = opt_or_env(opts->secret_key, "AWS_SECRET_ACCESS_KEY", NULL);
    if (!ak != !sk) {
        rc = fl_errf(err, FL_ERR_INVALID,
                     "s3: an access key needs a secret key and the other way round");
        goto out;
    }
    s3->access_key = dup_or_null(ak);
    s3->secret_key = dup_or_null(sk);
    s3->session_token = dup_or_null(opt_or_env(opts->session_token, "AWS_SESSION_TOKEN", NULL));

    const char *ep = opt_or_env(opts->endpoint, "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
    char host[512];
    if (ep) {
        const char *hs;
        if (strncmp(ep, "http://", 7) == 0) {
            s3->scheme = fl_strdup("http");
            hs = ep + 7;
        } else if (strncmp(ep, "https://", 8) == 0) {
            s3->scheme = fl_strdup("https");
            hs = ep + 8;
        } else {
            rc = fl_errf(err, FL_ERR_INVALID, "s3: endpoint \"%s\" is not http:// or https://", ep);
            goto out;
        }
        size_t hl = strcspn(hs, "/?#");
        const char *tail = hs + hl;
        while (*tail == '/') tail++;
        if (hl == 0 || hl >= sizeof(host) || *tail) {
            rc = fl_errf(err, FL_ERR_INVALID,
                         "s3: endpoint \"%s\" must be scheme://host[:port] without a path", ep);
            goto out;
        }
        memcpy(host, hs, hl);
        host[hl] = '\0';
    } else {
        s3->scheme = fl_strdup("https");
        snprintf(host, sizeof(host), "s3.%s.amazonaws.com", s3->region);
    }
    switch (opts->addressing) {
    case FL_STORE_ADDR_PATH:
        s3->path_style = true;
        break;
    case FL_STORE_ADDR_VHOST:
        s3->path_style = false;
        break;
    default:
        s3->path_style = ep != NULL || strchr(bucket, '.') != NULL;
        break;
    }
    if (s3->path_style) {
        s3->authority = fl_strdup(host);
    } else {
        size_t n = strlen(bucket) + strlen(host) + 2;
        s3->authority = fl_malloc(n);
        snprintf(s3->authority, n, "%s.%s", bucket, host);
    }
    if (opts->resolve) s3->resolve = curl_slist_append(NULL, opts->resolve);

    s3->part_size = opts->part_size ? opts->part_size : FL_STORE_PART_DEFAULT;
    if (s3->part_size < FL_STORE_PART_MIN) s3->part_size = FL_STORE_PART_MIN;
    if (s3->part_size > ((size_t)5 << 30)) s3->part_size = (size_t)5 << 30;
    s3->page_size = opts->list_page_size ? opts->list_page_size : 1000;
    if (s3->page_size > 1000) s3->page_size = 1000;
    s3->max_retries = opts->max_retries ? opts->max_retries : 4;
    if (s3->max_retries > 20) s3->max_retries = 20;
    s3->retry_base_ms = opts->retry_base_ms ? opts->retry_base_ms : 100;
    s3->retry_max_ms = opts->retry_max_ms ? opts->retry_max_ms : 5000;
    if (s3->retry_max_ms < s3->retry_base_ms) s3->retry_max_ms = s3->retry_base_ms;
    s3->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 5000;
    s3->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 120000;
    s3->head_first = opts->head_before_put_if_absent;
    s3->faults = opts->faults;

    size_t un = strlen(bucket) + strlen(prefix) + 8;
    s3->base.uri = fl_malloc(un);
    snprintf(s3->base.uri, un, "s3://%s/%s", bucket, prefix);
out:
    if (rc) {
        s3_free(&s3->base);
        return rc;
    }
    *out = &s3->base;
    return FL_OK;
}

fl_err_t fl_store_s3_raw(struct fl_store *st, const char *method, const char *key,
                         const char *query, const void *body, size_t len, long *status,
                         struct fl_buf *resp, struct fl_error *err) {
    if (st->ops != &s3_ops) return fl_errf(err, FL_ERR_UNSUPPORTED, "s3: not an S3 store");
    struct s3_store *s3 = (struct s3_store *)st;
    char *k = key ? full_key(s3, key) : NULL;
    struct s3_call c = {.method = method,
                        .key = k,
                        .query = query,
                        .body = body,
                        .body_len = len,
                        .resp = resp,
                        .resp_max = resp ? resp->max : 0};
    fl_err_t rc = s3_call(s3, &c, err);
    *status = c.status;
    if (resp && c.status >= 300) fl_buf_append(resp, c.errbody.data, c.errbody.len);
    fl_buf_fini(&c.errbody);
    fl_free(k);
    return rc;
}
