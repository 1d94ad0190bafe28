/*
 * routes_upload.c - POST /upload/file/{file_name} from the seed's FastAPI
 * webservice (000_3b9ca37f724bb6f2.txt). The file (multipart field
 * "file", or the raw body) must be JSON; it is written atomically to the
 * warehouse at uploads/<folder>/<file_name>, overwriting an older copy,
 * and only then is the pointer message
 *   {"file_name":"sessions_1.json","file_path":"uploads/sessions/sessions_1.json"}
 * appended to the kind's topic. The kind comes from the file name's
 * longest configured prefix (session*, employee*, client* by default).
 * A crash between the two steps leaves a stored file without a pointer:
 * the client saw no 200 and sends again, which overwrites the same file.
 */
#include "ingest/ingest_int.h"
#include "ingest/multipart.h"
#include "ingest/query.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define FILE_NAME_MAX 255

/* NULL when name is acceptable, else why not. */
static const char *bad_name(const char *name, size_t len) {
    if (len == 0) return "empty file name";
    if (len > FILE_NAME_MAX) return "file name longer than 255 bytes";
    if (memchr(name, '/', len) || memchr(name, '\\', len)) return "file name contains a slash";
    if (strstr(name, "..")) return "file name contains \"..\"";
    if (!strcmp(name, ".")) return "file name is \".\"";
    if (!strncmp(name, ".floe-tmp-", 10)) return "file name uses a reserved prefix";
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7F)
            return "file name contains a control character";
    return NULL;
}

static const struct fl_ingest_kind *kind_for(const struct fl_ingest *ing, const char *name) {
    const struct fl_ingest_kind *best = NULL;
    for (int i = 0; i < ing->cfg.nkinds; i++) {
        const struct fl_ingest_kind *k = &ing->cfg.kinds[i];
        size_t n = strlen(k->prefix);
        if (strncmp(name, k->prefix, n) == 0 && (!best || n > strlen(best->prefix))) best = k;
    }
    return best;
}

void fl_ingest_route_upload(struct fl_ingest *ing, const struct fl_ingest_call *call,
                            const char *file_name, struct fl_ingest_resp *resp) {
    const struct fl_ingest_req *req = call->req;
    struct fl_error err = {0};
    struct fl_buf key, msg;
    fl_buf_init(&key, 2048);
    fl_buf_init(&msg, 4096);
    size_t nlen = call->path_len - (size_t)(file_name - call->path);
    const char *why = bad_name(file_name, nlen);
    if (why) {
        fl_ingest_resp_error(resp, FL_INGEST_E_BAD_NAME, "%s", why);
        goto out;
    }
    const struct fl_ingest_kind *kind = kind_for(ing, file_name);
    if (!kind) {
        char known[512] = "";
        for (int i = 0; i < ing->cfg.nkinds; i++) {
            size_t k = strlen(known);
            snprintf(known + k, sizeof(known) - k, "%s%s*", i ? ", " : "",
                     ing->cfg.kinds[i].prefix);
        }
        fl_ingest_resp_error(resp, FL_INGEST_E_UNKNOWN_KIND,
                             "file name \"%s\" matches no upload kind (%s)", file_name, known);
        goto out;
    }

    const uint8_t *data = req->body;
    size_t len = req->body_len;
    const char *ct = fl_ingest_req_header(req, "Content-Type");
    if (ct && strncasecmp(ct, "multipart/", 10) == 0) {
        char boundary[FL_INGEST_BOUNDARY_MAX + 1];
        fl_err_t rc = fl_ingest_multipart_boundary(ct, boundary, &err);
        if (rc == FL_ERR_UNSUPPORTED) {
            fl_ingest_resp_error(resp, FL_INGEST_E_MEDIA_TYPE,
                                 "Content-Type \"%.100s\": use multipart/form-data", ct);
            goto out;
        }
        if (rc == FL_OK)
            rc = fl_ingest_multipart_field(req->body, req->body_len, boundary, "file", &data, &len,
                                           &err);
        if (rc) {
            fl_ingest_resp_error(resp, FL_INGEST_E_BAD_MULTIPART, "%s", err.msg);
            goto out;
        }
    } else if (ct) {
        size_t n = strcspn(ct, "; \t");
        static const char *const raw_types[] = {"application/json", "application/octet-stream",
                                                "text/json"};
        int ok = 0;
        for (size_t i = 0; i < sizeof(raw_types) / sizeof(raw_types[0]); i++)
            ok |= strlen(raw_types[i]) == n && strncasecmp(ct, raw_types[i], n) == 0;
        if (!ok) {
            fl_ingest_resp_error(
                resp, FL_INGEST_E_MEDIA_TYPE,
                "Content-Type \"%.100s\" is not supported: send multipart/form-data "
                "with a \"file\" field, or the JSON file as application/json",
                ct);
            goto out;
        }
    }
    if (len == 0) {
        fl_ingest_resp_error(resp, FL_INGEST_E_EMPTY_BODY, "the file is empty");
        goto out;
    }
    if (len > ing->cfg.limits.body_bytes) {
        fl_ingest_resp_error(resp, FL_INGEST_E_TOO_LARGE, "the file is over %zu bytes",
                             ing->cfg.limits.body_bytes);
        goto out;
    }
    if (!fl_ingest_utf8_valid(data, len)) {
        fl_ingest_resp_error(resp, FL_INGEST_E_NOT_JSON, "the file is not valid UTF-8");
        goto out;
    }
    json_error_t jerr;
    json_t *doc = json_loadb((const char *)data, len, JSON_DECODE_ANY, &jerr);
    if (!doc) {
        fl_ingest_resp_error(resp, FL_INGEST_E_NOT_JSON,
                             "the file is not JSON: %s at line %d column %d", jerr.text, jerr.line,
                             jerr.column);
        goto out;
    }
    json_decref(doc);

    fl_buf_printf(&key, "uploads/%s/%s", kind->folder, file_name);
    if (ing->be.put_file(ing->be.ctx, (const char *)key.data, data, len, &err)) {
        fl_ingest_resp_backend_error(ing, resp, &err);
        goto out;
    }
    fl_buf_append_str(&msg, "{\"file_name\":");
    fl_ingest_json_str(&msg, file_name, nlen);
    fl_buf_append_str(&msg, ",\"file_path\":");
    fl_ingest_json_str(&msg, (const char *)key.data, key.len);
    fl_buf_append_u8(&msg, '}');

    int parts = 0;
    if (ing->be.topic_partitions(ing->be.ctx, kind->topic, true, &parts, &err)) {
        fl_ingest_resp_backend_error(ing, resp, &err);
        goto out;
    }
    int partition = parts > 1 ? (int)(atomic_fetch_add(&ing->rr, 1) % (unsigned)parts) : 0;
    struct fl_log_record rec = {.value = msg.data, .value_len = msg.len, .timestamp_ms = -1};
    int64_t offset = 0;
    if (ing->be.append(ing->be.ctx, kind->topic, partition, &rec, 1, &offset, &err)) {
        fl_ingest_resp_backend_error(ing, resp, &err);
        goto out;
    }
    resp->status = 200;
    fl_buf_append_str(&resp->body,
                      "{\"status\":\"success\",\"message\":\"File uploaded\",\"file_name\":");
    fl_ingest_json_str(&resp->body, file_name, nlen);
    fl_buf_append_str(&resp->body, ",\"file_path\":");
    fl_ingest_json_str(&resp->body, (const char *)key.data, key.len);
    fl_buf_append_str(&resp->body, ",\"topic\":");
    fl_ingest_json_str(&resp->body, kind->topic, strlen(kind->topic));
    fl_buf_printf(&resp->body, ",\"partition\":%d,\"offset\":%lld}", partition, (long long)offset);
out:
    fl_buf_fini(&key);
    fl_buf_fini(&msg);
}
