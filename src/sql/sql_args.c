/*
 * sql_args.c - parsing module arguments, table names, as-of times and
 * plan strings (see sql_args.h). Plain byte scanning with explicit
 * bounds: no sscanf on unbounded input, every output capped.
 */
#include "sql/sql_args.h"

#include "core/time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const META_NAMES[FL_SQL_META__COUNT] = {"snapshots", "history",    "files",
                                                           "manifests", "partitions", "refs"};

fl_sql_meta_t fl_sql_meta_parse(const char *s) {
    for (int k = 0; k < FL_SQL_META__COUNT; k++)
        if (strcmp(s, META_NAMES[k]) == 0) return (fl_sql_meta_t)k;
    return FL_SQL_META_NONE;
}

const char *fl_sql_meta_name(fl_sql_meta_t kind) {
    return kind >= 0 && kind < FL_SQL_META__COUNT ? META_NAMES[kind] : "";
}

fl_err_t fl_sql_dequote(const char *in, char *out, size_t outsz, struct fl_error *err) {
    if (outsz == 0) return fl_errf(err, FL_ERR_INVALID, "no room for a name");
    size_t n = strlen(in);
    while (n && (in[n - 1] == ' ' || in[n - 1] == '\t' || in[n - 1] == '\n')) n--;
    while (n && (*in == ' ' || *in == '\t' || *in == '\n')) in++, n--;
    size_t o = 0;
    char q = n ? in[0] : 0;
    char close = q == '[' ? ']' : q;
    if (q == '\'' || q == '"' || q == '`' || q == '[') {
        size_t k = 1;
        for (; k < n; k++) {
            if (in[k] == close) {
                if (close != ']' && k + 1 < n && in[k + 1] == close)
                    k++; /* doubled quote */
                else
                    break;
            }
            if (o + 1 >= outsz)
                return fl_errf(err, FL_ERR_INVALID, "name longer than %zu bytes", outsz - 1);
            out[o++] = in[k];
        }
        if (k != n - 1)
            return fl_errf(err, FL_ERR_INVALID,
                           "unterminated or trailing text after a quoted name");
    } else {
        for (size_t k = 0; k < n; k++) {
            if (o + 1 >= outsz)
                return fl_errf(err, FL_ERR_INVALID, "name longer than %zu bytes", outsz - 1);
            out[o++] = in[k];
        }
    }
    out[o] = '\0';
    if (o == 0) return fl_errf(err, FL_ERR_INVALID, "empty name");
    if (strlen(out) != o) return fl_errf(err, FL_ERR_INVALID, "name holds a NUL byte");
    return FL_OK;
}

fl_err_t fl_sql_quote_ident(const char *name, char *out, size_t outsz) {
    size_t o = 0;
    if (outsz < 3) return FL_ERR_LIMIT;
    out[o++] = '"';
    for (const char *p = name; *p; p++) {
        size_t need = *p == '"' ? 2 : 1;
        if (o + need + 2 > outsz) return FL_ERR_LIMIT;
        if (*p == '"') out[o++] = '"';
        out[o++] = *p;
    }
    out[o++] = '"';
    out[o] = '\0';
    return FL_OK;
}

fl_err_t fl_sql_name_split(const char *full, char *ns, size_t nssz, char *name, size_t namesz,
                           fl_sql_meta_t *kind, struct fl_error *err) {
    size_t n = strlen(full);
    if (n == 0 || n >= FL_SQL_NAME_MAX * 2)
        return fl_errf(err, FL_ERR_INVALID, "bad table name length");
    const char *dot = strrchr(full, '.');
    const char *base = dot ? dot + 1 : full;
    size_t nslen = dot ? (size_t)(dot - full) : 0;
    if (nslen >= nssz) return fl_errf(err, FL_ERR_INVALID, "namespace too long");
    memcpy(ns, full, nslen);
    ns[nslen] = '\0';
    const char *dollar = strchr(base, '$');
    size_t blen = dollar ? (size_t)(dollar - base) : strlen(base);
    if (blen == 0) return fl_errf(err, FL_ERR_INVALID, "table name \"%.64s\" is empty", full);
    if (blen >= namesz) return fl_errf(err, FL_ERR_INVALID, "table name too long");
    memcpy(name, base, blen);
    name[blen] = '\0';
    *kind = FL_SQL_META_NONE;
    if (dollar) {
        *kind = fl_sql_meta_parse(dollar + 1);
        if (*kind == FL_SQL_META_NONE)
            return fl_errf(err, FL_ERR_INVALID,
                           "unknown metadata table \"$%.32s\" (snapshots, history, files, "
                           "manifests, partitions, refs)",
                           dollar + 1);
    }
    return FL_OK;
}

fl_err_t fl_sql_parse_as_of(const char *text, size_t len, int64_t *ms, struct fl_error *err) {
    char buf[64];
    if (len == 0 || len >= sizeof(buf))
        return fl_errf(err, FL_ERR_INVALID, "as-of time: empty or too long");
    memcpy(buf, text, len);
    buf[len] = '\0';
    char *end;
    long long v = strtoll(buf, &end, 10);
    if (*end == '\0' && buf[0] != ' ') {
        *ms = v;
        return FL_OK;
    }
    int64_t us;
    if (fl_time_parse_iso(buf, len, &us) != FL_OK) {
        /* a bare date means its midnight */
        int32_t days;
        if (fl_time_parse_date(buf, len, &days) != FL_OK)
            return fl_errf(
                err, FL_ERR_INVALID,
                "as-of time \"%s\": want milliseconds or 'YYYY-MM-DD HH:MM:SS[.ffffff][+HH:MM]'",
                buf);
        us = (int64_t)days * FL_US_PER_DAY;
    }
    /* the floor in milliseconds, also before 1970 */
    *ms = us >= 0 ? us / 1000 : -((-us + 999) / 1000);
    return FL_OK;
}

fl_err_t fl_sql_plan_encode(const struct fl_sql_plan *plan, char *out, size_t outsz) {
    int n = snprintf(out, outsz, "u%" PRIx64 ";f%d%d%d%d%d;", plan->col_used, plan->has_snap,
                     plan->has_asof, plan->has_limit, plan->has_offset, plan->count_only);
    if (n < 0 || (size_t)n >= outsz) return FL_ERR_LIMIT;
    size_t o = (size_t)n;
    for (int i = 0; i < plan->ncons; i++) {
        n = snprintf(out + o, outsz - o, "c%d:%d;", plan->cons[i].col, plan->cons[i].op);
        if (n < 0 || (size_t)n >= outsz - o) return FL_ERR_LIMIT;
        o += (size_t)n;
    }
    return FL_OK;
}

/* Reads a non-negative decimal int (at most 9 digits) at *p. */
static int read_int(const char **p, int *out) {
    int v = 0, digits = 0;
    while (**p >= '0' && **p <= '9' && digits < 9) {
        v = v * 10 + (**p - '0');
        (*p)++;
        digits++;
    }
    if (!digits) return -1;
    *out = v;
    return 0;
}

fl_err_t fl_sql_plan_decode(const char *s, struct fl_sql_plan *plan) {
    memset(plan, 0, sizeof(*plan));
    if (!s || s[0] != 'u') return FL_ERR_INVALID;
    const char *p = s + 1;
    uint64_t used = 0;
    int digits = 0;
    for (; *p && *p != ';'; p++, digits++) {
        int d = (*p >= '0' && *p <= '9') ? *p - '0' : (*p >= 'a' && *p <= 'f') ? *p - 'a' + 10 : -1;
        if (d < 0 || digits >= 16) return FL_ERR_INVALID;
        used = used << 4 | (uint64_t)d;
    }
    if (!digits || *p != ';' || p[1] != 'f') return FL_ERR_INVALID;
    plan->col_used = used;
    p += 2;
    int *flags[5] = {&plan->has_snap, &plan->has_asof, &plan->has_limit, &plan->has_offset,
                     &plan->count_only};
    for (int k = 0; k < 5; k++, p++) {
        if (*p != '0' && *p != '1') return FL_ERR_INVALID;
        *flags[k] = *p - '0';
    }
    if (*p != ';') return FL_ERR_INVALID;
    p++;
    while (*p) {
        if (*p != 'c' || plan->ncons >= FL_SQL_PREDS_MAX) return FL_ERR_INVALID;
        p++;
        int col, op;
        if (read_int(&p, &col) || *p != ':') return FL_ERR_INVALID;
        p++;
        if (read_int(&p, &op) || *p != ';') return FL_ERR_INVALID;
        p++;
        plan->cons[plan->ncons].col = col;
        plan->cons[plan->ncons].op = op;
        plan->ncons++;
    }
    return FL_OK;
}
