/*
 * reply.c - replies: the response object, JSON string escaping, a JSON
 * reply, and the one error helper every route uses: the code's status
 * and body shape come from the table of errors.h ({"error_code":N,
 * "message":"..."}, the Confluent REST Proxy's, or the Iceberg REST
 * spec's {"error":{...}} under /v1/).
 */
#include "ingest/ingest_int.h"
#include "ingest/query.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define REPLY_MAX ((size_t)64 << 20)

void fl_ingest_resp_init(struct fl_ingest_resp *resp) {
    resp->status = 500;
    resp->content_type = "application/json";
    resp->retry_after_s = 0;
    resp->route = -1;
    resp->challenge = false;
    resp->stream = NULL;
    fl_buf_init(&resp->body, REPLY_MAX);
}

void fl_ingest_resp_fini(struct fl_ingest_resp *resp) {
    fl_buf_fini(&resp->body);
    fl_ingest_stream_free(resp->stream);
    resp->stream = NULL;
}

const char *fl_ingest_req_header(const struct fl_ingest_req *req, const char *name) {
    for (int i = 0; i < req->nheaders; i++)
        if (req->headers[i].name && strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

fl_err_t fl_ingest_json_str(struct fl_buf *b, const char *s, size_t len) {
    return fl_buf_append_json_str(b, s, len);
}

/* The one error reply: the code's status and shape (errors.h), the
 * message, and members (pre-encoded JSON members, or NULL) beside it. */
static void resp_verror(struct fl_ingest_resp *resp, fl_ingest_ecode_t code, const char *members,
                        const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
static void resp_verror(struct fl_ingest_resp *resp, fl_ingest_ecode_t code, const char *members,
                        const char *fmt, va_list ap) {
    const struct fl_ingest_errdef *def = fl_ingest_err_def(code);
    char msg[FL_ERROR_MSG_MAX];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    /* messages quote client bytes (cut by %.Ns, maybe mid-character):
     * keep the reply valid JSON by turning broken UTF-8 into '?' */
    for (size_t i = 0, n = strlen(msg); i < n;) {
        size_t len = (unsigned char)msg[i] < 0x80   ? 1
                     : (unsigned char)msg[i] < 0xE0 ? 2
                     : (unsigned char)msg[i] < 0xF0 ? 3
                                                    : 4;
        if (len > n - i || !fl_ingest_utf8_valid((const uint8_t *)msg + i, len)) {
            msg[i++] = '?';
            continue;
        }
        i += len;
    }
    resp->status = def->status;
    resp->content_type = "application/json";
    fl_buf_reset(&resp->body);
    if (def->type) /* the Iceberg REST spec's ErrorModel */
        fl_buf_printf(&resp->body,
                      "{\"error\":{\"type\":\"%s\",\"code\":%d,\"message\":", def->type,
                      def->status);
    else
        fl_buf_printf(&resp->body, "{\"error_code\":%d,\"message\":", (int)def->code);
    fl_ingest_json_str(&resp->body, msg, strlen(msg));
    if (members && *members) fl_buf_printf(&resp->body, ",%s", members);
    fl_buf_append_str(&resp->body, def->type ? "}}" : "}");
}

void fl_ingest_resp_error(struct fl_ingest_resp *resp, fl_ingest_ecode_t code, const char *fmt,
                          ...) {
    va_list ap;
    va_start(ap, fmt);
    resp_verror(resp, code, NULL, fmt, ap);
    va_end(ap);
}

void fl_ingest_resp_error_with(struct fl_ingest_resp *resp, fl_ingest_ecode_t code,
                               const char *members, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    resp_verror(resp, code, members, fmt, ap);
    va_end(ap);
}

void fl_ingest_resp_json(struct fl_ingest_resp *resp, int status, json_t *o) {
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    fl_buf_reset(&resp->body);
    if (!s || fl_buf_append_str(&resp->body, s) != FL_OK) {
        /* never a cut reply: over REPLY_MAX (POST /sql: ask for fewer rows) */
        fl_ingest_resp_error(resp, FL_INGEST_E_INTERNAL, "reply over %zu bytes or out of memory",
                             (size_t)REPLY_MAX);
    } else {
        resp->status = status;
        resp->content_type = "application/json";
    }
    free(s);
}

fl_ingest_ecode_t fl_ingest_resp_backend_error(struct fl_ingest *ing, struct fl_ingest_resp *resp,
                                               const struct fl_error *err) {
    fl_ingest_ecode_t code = err->code == FL_ERR_LIMIT      ? FL_INGEST_E_UNAVAILABLE
                             : err->code == FL_ERR_NOTFOUND ? FL_INGEST_E_TOPIC_NOT_FOUND
                             : err->code == FL_ERR_INVALID  ? FL_INGEST_E_TOO_LARGE
                                                            : FL_INGEST_E_INTERNAL;
    if (code == FL_INGEST_E_UNAVAILABLE) {
        fl_ingest_resp_error(resp, code, "log unavailable: %s", err->msg);
        resp->retry_after_s = ing->cfg.limits.retry_after_s ? ing->cfg.limits.retry_after_s : 1;
    } else if (code == FL_INGEST_E_INTERNAL) {
        fl_ingest_resp_error(resp, code, "%s: %s", fl_err_name(err->code), err->msg);
    } else {
        fl_ingest_resp_error(resp, code, "%s", err->msg);
    }
    return code;
}

int fl_ingest_topic_name_ok(const char *s, size_t len) {
    if (len == 0 || len > 249) return 0;
    if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.')) return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}
