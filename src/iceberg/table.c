/*
 * table.c - Iceberg tables: create, load, optimistic commits (a new
 * metadata version, or a snapshot of added and removed files). Manifests
 * are read and written in manifest.c, the appender that makes data files
 * lives in append.c, scans in scan.c. See table.h for how a commit works.
 */
#include "iceberg/table.h"
#include "iceberg/commit_lock.h"
#include "iceberg/merge.h"
#include "iceberg/retention.h"
#include "iceberg/table_int.h"
#include "core/fileio.h"
#include "core/mem.h"
#include "core/time.h"
#include "core/uuid.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define METADATA_MAX ((size_t)256 << 20)
#define COMMIT_RETRIES 6

/* ---- paths ---- */

static char *key_join(const char *prefix, const char *rest) {
    size_t n = strlen(prefix) + strlen(rest) + 2;
    char *k = fl_malloc(n);
    snprintf(k, n, "%s%s%s", prefix, *prefix ? "/" : "", rest);
    return k;
}

char *fl_ice_table_child_key(const struct fl_ice_table *tbl, const char *rel) {
    return key_join(tbl->key_prefix, rel);
}

char *fl_ice_table_uri(const struct fl_ice_table *tbl, const char *key) {
    const char *root = fl_store_uri(tbl->store);
    size_t rl = strlen(root);
    while (rl && root[rl - 1] == '/') rl--;
    size_t n = rl + strlen(key) + 2;
    char *u = fl_malloc(n);
    snprintf(u, n, "%.*s/%s", (int)rl, root, key);
    return u;
}

/* The one spelling of a location that fl_ice_table_key compares (fl_free
 * it): Hadoop's "s3a://" and "s3n://" are "s3://"; "file:/x",
 * "file://localhost/x" and a bare absolute "/x" are "file:///x". */
static char *canon_uri(const char *p) {
    const char *scheme = "", *rest = p;
    if (!strncmp(p, "s3a://", 6) || !strncmp(p, "s3n://", 6)) {
        scheme = "s3://";
        rest = p + 6;
    } else if (!strncmp(p, "file://localhost/", 17)) {
        scheme = "file://";
        rest = p + 16;
    } else if (!strncmp(p, "file:/", 6) && p[6] != '/') {
        scheme = "file://";
        rest = p + 5;
    } else if (p[0] == '/') {
        scheme = "file://";
    }
    size_t n = strlen(scheme) + strlen(rest) + 1;
    char *c = fl_malloc(n);
    snprintf(c, n, "%s%s", scheme, rest);
    return c;
}

/* Length of "scheme://authority" in a canonical URI u ("s3://bucket",
 * "hdfs://namenode:8020"; "file://" has an empty authority), 0 when u
 * has none. */
static size_t uri_authority_len(const char *u) {
    const char *sep = strstr(u, "://");
    if (!sep) return 0;
    for (const char *c = u; c < sep; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '+' || *c == '-' ||
              *c == '.'))
            return 0;
    const char *slash = strchr(sep + 3, '/');
    return slash ? (size_t)(slash - u) : strlen(u);
}

/* path in the one spelling, read against the table location loc (raw,
 * may be NULL) as Hadoop qualifies paths against the default file
 * system: a bare "/x" names "/x" on the location's file system
 * ("hdfs://namenode:8020/x" for a table in hdfs://namenode:8020/...),
 * and when the location itself is a bare path, an "hdfs://any-host/x"
 * names "/x" (Hive and Impala record either spelling for the same
 * file). fl_free the result. */
static char *canon_path(const char *path, const char *loc) {
    char *c = canon_uri(path);
    if (!loc) return c;
    if (path[0] == '/' && loc[0] != '/') {
        char *cl = canon_uri(loc);
        size_t al = uri_authority_len(cl);
        if (al && strncmp(cl, "file://", 7) != 0) {
            size_t n = al + strlen(path) + 1;
            char *q = fl_malloc(n);
            snprintf(q, n, "%.*s%s", (int)al, cl, path);
            fl_free(c);
            c = q;
        }
        fl_free(cl);
    } else if (loc[0] == '/' && strncmp(c, "hdfs://", 7) == 0) {
        size_t al = uri_authority_len(c);
        const char *rest = c + al;
        size_t n = strlen("file://") + strlen(rest) + 1;
        char *q = fl_malloc(n);
        snprintf(q, n, "file://%s", rest);
        fl_free(c);
        c = q;
    }
    return c;
}

fl_err_t fl_ice_table_key(const struct fl_ice_table *tbl, const char *path, char *out, size_t outsz,
                          struct fl_error *err) {
    char *cpath = canon_path(path, tbl->meta ? tbl->meta->location : NULL);
    char *cloc = tbl->meta && tbl->meta->location ? canon_uri(tbl->meta->location) : NULL;
    char *croot = canon_uri(fl_store_uri(tbl->store));
    const char *loc = cloc, *root = croot;
    size_t ll = loc ? strlen(loc) : 0;
    while (ll && loc[ll - 1] == '/') ll--;
    size_t rl = strlen(root);
    while (rl && root[rl - 1] == '/') rl--;
    int n;
    fl_err_t rc = FL_OK;
    /* "a//b" in a recorded path (some writers join with an extra slash)
     * names the same object as "a/b" */
    if (ll && strncmp(cpath, loc, ll) == 0 && cpath[ll] == '/') {
        const char *rest = cpath + ll;
        while (*rest == '/') rest++;
        n = snprintf(out, outsz, "%s%s%s", tbl->key_prefix, *tbl->key_prefix ? "/" : "", rest);
    } else if (strncmp(cpath, root, rl) == 0 && cpath[rl] == '/') {
        const char *rest = cpath + rl;
        while (*rest == '/') rest++;
        n = snprintf(out, outsz, "%s", rest);
    } else {
        rc = fl_errf(err, FL_ERR_INVALID,
                     "path %s is neither under the table location %s nor under the warehouse %s",
                     path, tbl->meta && tbl->meta->location ? tbl->meta->location : "",
                     fl_store_uri(tbl->store));
        goto out;
    }
    if (n < 0 || (size_t)n >= outsz) {
        rc = fl_errf(err, FL_ERR_LIMIT, "path %s too long", path);
        goto out;
    }
    rc = fl_store_key_check(out, err);
out:
    fl_free(cpath);
    fl_free(cloc);
    fl_free(croot);
    return rc;
}

/* Number of "/"-separated names in s[0, n) (empty ones skipped). */
static int name_count(const char *s, size_t n) {
    int k = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] != '/' && (i == 0 || s[i - 1] == '/')) k++;
    return k;
}

/* Start of the last k names of s[0, n) ("/" before them kept out), or
 * (size_t)-1 when s has fewer names after its authority al. */
static size_t last_names(const char *s, size_t n, size_t al, int k) {
    size_t i = n;
    while (k > 0) {
        while (i > al && s[i - 1] == '/') i--;
        if (i <= al) return (size_t)-1;
        while (i > al && s[i - 1] != '/') i--;
        k--;
    }
    return i;
}

/* A moved table's neighbour (fl_free it; NULL when the rule does not
 * apply): tbl is read from a folder `here` other than its recorded
 * location L, and the canonical path c lies outside L. With A the deepest
 * folder holding both L and c, when the last names of `here` are the
 * names of L below A (the folder was copied with its neighbourhood, as
 * Impala's iceberg_multiple_storage_locations keeps data in folders
 * beside the table), c is read at the same place relative to `here`:
 * here minus those names, then c below A. */
static char *moved_path(const struct fl_ice_table *tbl, const char *c) {
    if (!tbl->meta || !tbl->meta->location || !tbl->key_prefix) return NULL;
    char *cloc = canon_uri(tbl->meta->location);
    char *uri = fl_ice_table_uri(tbl, tbl->key_prefix);
    char *here = canon_uri(uri);
    fl_free(uri);
    char *out = NULL;
    size_t ll = strlen(cloc), hl = strlen(here);
    while (ll && cloc[ll - 1] == '/') ll--;
    while (hl && here[hl - 1] == '/') hl--;
    size_t al = uri_authority_len(cloc);
    if (!al || (ll == hl && !strncmp(cloc, here, ll)) || strncmp(c, cloc, al) != 0 ||
        (c[al] != '/' && c[al] != '\0'))
        goto out;
    /* A: the longest common prefix of L and c ending at a name boundary */
    size_t a = al, i = al;
    while (i < ll && c[i] == cloc[i]) {
        i++;
        if (i == ll || cloc[i] == '/') {
            if (c[i] == '/' || c[i] == '\0') a = i;
        }
    }
    if (a == ll) goto out; /* c under L: not this rule's case */
    int k = name_count(cloc + a, ll - a);
    size_t hs = last_names(here, hl, uri_authority_len(here), k);
    size_t ls = last_names(cloc, ll, al, k);
    if (k < 1 || hs == (size_t)-1 || ls == (size_t)-1 || hl - hs != ll - ls ||
        strncmp(here + hs, cloc + ls, ll - ls) != 0)
        goto out;
    const char *rest = c + a;
    while (*rest == '/') rest++;
    size_t base = hs;
    while (base > 0 && here[base - 1] == '/') base--;
    size_t n = base + strlen(rest) + 2;
    out = fl_malloc(n);
    snprintf(out, n, "%.*s/%s", (int)base, here, rest);
out:
    fl_free(cloc);
    fl_free(here);
    return out;
}

fl_err_t fl_ice_table_locate(const struct fl_ice_table *tbl, const char *path, char *root,
                             size_t rootsz, char *key, size_t keysz, struct fl_error *err) {
    if (fl_ice_table_key(tbl, path, key, keysz, NULL) == FL_OK) {
        if (rootsz) root[0] = '\0';
        return FL_OK;
    }
    char *c = canon_path(path, tbl->meta ? tbl->meta->location : NULL);
    char *moved = moved_path(tbl, c);
    if (moved) {
        fl_free(c);
        c = moved;
        char *croot = canon_uri(fl_store_uri(tbl->store));
        size_t rl = strlen(croot);
        while (rl && croot[rl - 1] == '/') rl--;
        int under = strncmp(c, croot, rl) == 0 && c[rl] == '/';
        fl_free(croot);
        if (under) { /* beside the table in the same store */
            const char *rest = c + rl;
            while (*rest == '/') rest++;
            int n = snprintf(key, keysz, "%s", rest);
            fl_err_t rc = n < 0 || (size_t)n >= keysz
                              ? fl_errf(err, FL_ERR_LIMIT, "path %s too long", path)
                              : fl_store_key_check(key, err);
            if (!rc && rootsz) root[0] = '\0';
            if (rc) fl_err_prefix(err, "path %s", path);
            fl_free(c);
            return rc;
        }
    }
    const char *wh = fl_store_uri(tbl->store);
    fl_err_t rc = FL_OK;
    size_t al = uri_authority_len(c);
    const char *rest = c + al;
    int n;
    if (!strncmp(c, "file://", 7) && al == 7) {
        n = snprintf(root, rootsz, "file:///");
    } else if (!strncmp(c, "s3://", 5) && al > 5) {
        n = snprintf(root, rootsz, "%.*s/", (int)al, c);
    } else {
        const char *sep = strstr(c, "://");
        if (sep)
            rc = fl_errf(err, FL_ERR_INVALID,
                         "path %s: scheme %.*s is not a store floe reads (file, s3, s3a, s3n)",
                         path, (int)(sep - c), c);
        else
            rc = fl_errf(err, FL_ERR_INVALID,
                         "path %s is relative and not under the table location %s: it names no "
                         "place floe can resolve",
                         path, tbl->meta && tbl->meta->location ? tbl->meta->location : "(none)");
        goto out;
    }
    if (n < 0 || (size_t)n >= rootsz) {
        rc = fl_errf(err, FL_ERR_LIMIT, "path %s too long", path);
        goto out;
    }
    if (strncmp(root, wh, 5) != 0) { /* "file:" or "s3://" */
        rc = fl_errf(err, FL_ERR_INVALID,
                     "path %s is outside the table location %s and on another kind of store "
                     "than the warehouse %s",
                     path, tbl->meta && tbl->meta->location ? tbl->meta->location : "", wh);
        goto out;
    }
    while (*rest == '/') rest++;
    for (const char *seg = rest; *seg;) { /* no "." or ".." segment */
        size_t sl = strcspn(seg, "/");
        if ((sl == 1 && seg[0] == '.') || (sl == 2 && seg[0] == '.' && seg[1] == '.')) {
            rc = fl_errf(err, FL_ERR_INVALID, "path %s has a \"%.*s\" segment: refused", path,
                         (int)sl, seg);
            goto out;
        }
        seg += sl;
        while (*seg == '/') seg++;
    }
    n = snprintf(key, keysz, "%s", rest);
    if (n < 0 || (size_t)n >= keysz) {
        rc = fl_errf(err, FL_ERR_LIMIT, "path %s too long", path);
        goto out;
    }
    rc = fl_store_key_check(key, err);
    if (rc) fl_err_prefix(err, "path %s", path);
out:
    fl_free(c);
    return rc;
}

int fl_ice_metadata_version(const char *location) {
    const char *base = strrchr(location, '/');
    base = base ? base + 1 : location;
    if (!strstr(base, ".metadata.json")) return -1;
    if (base[0] == 'v') base++;
    char *end;
    long v = strtol(base, &end, 10);
    if (end == base || (*end != '-' && *end != '.') || v < 0 || v > 100000000) return -1;
    return (int)v;
}

/* The last "/metadata/" in a metadata file's path: the table folder ends
 * there (a namespace or table may itself be called "metadata"). */
char *fl_ice_metadata_dir(char *path) {
    char *last = NULL;
    for (char *p = strstr(path, "/metadata/"); p; p = strstr(p + 1, "/metadata/")) last = p;
    return last;
}

fl_err_t fl_ice_table_open_uri(const char *uri_in, struct fl_store **own, struct fl_ice_table **out,
                               struct fl_error *err) {
    *own = NULL;
    char *uri = fl_strdup(uri_in);
    size_t n = strlen(uri);
    while (n > 1 && uri[n - 1] == '/') uri[--n] = '\0';
    /* the store sits on the table folder's parent: for a metadata file
     * (<folder>/metadata/<file>) cut before the folder, else before the
     * last path segment */
    char *slash;
    char *meta = fl_ice_metadata_dir(uri);
    if (meta && strstr(meta, ".metadata.json")) {
        *meta = '\0';
        slash = strrchr(uri, '/');
        *meta = '/';
    } else {
        slash = strrchr(uri, '/');
    }
    if (!slash || slash - uri < 8) {
        fl_free(uri);
        return fl_errf(err, FL_ERR_INVALID, "cannot find the table folder in \"%s\"", uri_in);
    }
    *slash = '\0';
    const char *key = slash + 1;
    struct fl_store_opts sopts = {0};
    fl_err_t rc = fl_store_open(uri, &sopts, own, err);
    if (!rc) rc = fl_ice_table_load_path(*own, key, out, err);
    fl_free(uri);
    return rc;
}

/* ---- loading ---- */

void fl_ice_table_free(struct fl_ice_table *tbl) {
    if (!tbl) return;
    fl_free(tbl->ns);
    fl_free(tbl->name);
    fl_free(tbl->key_prefix);
    fl_free(tbl->metadata_location);
    fl_ice_meta_free(tbl->meta);
    fl_free(tbl);
}

static fl_err_t load_meta_key(struct fl_ice_table *tbl, const char *key, struct fl_error *err) {
    struct fl_buf b;
    fl_buf_init(&b, METADATA_MAX);
    fl_err_t rc = fl_store_get(tbl->store, key, &b, METADATA_MAX, err);
    struct fl_ice_meta *meta = NULL;
    if (!rc) rc = fl_ice_meta_parse((const char *)b.data, b.len, &meta, err);
    fl_buf_fini(&b);
    if (rc) {
        fl_err_prefix(err, "%s", key);
        return rc;
    }
    fl_ice_meta_free(tbl->meta);
    tbl->meta = meta;
    tbl->version = fl_ice_metadata_version(key);
    return FL_OK;
}

static fl_err_t load_from_catalog(struct fl_ice_table *tbl, struct fl_error *err) {
    char loc[FL_STORE_KEY_MAX + 512], key[FL_STORE_KEY_MAX + 1];
    fl_err_t rc = tbl->icat->ops->load(tbl->icat, tbl->ns, tbl->name, loc, sizeof(loc), err);
    if (rc) return rc;
    /* the metadata file lives under the table folder: key from the root */
    const char *root = fl_store_uri(tbl->store);
    size_t rl = strlen(root);
    while (rl && root[rl - 1] == '/') rl--;
    if (strncmp(loc, root, rl) == 0 && loc[rl] == '/')
        snprintf(key, sizeof(key), "%s", loc + rl + 1);
    else
        return fl_errf(err, FL_ERR_INVALID, "table %s.%s: metadata %s is outside the warehouse %s",
                       tbl->ns, tbl->name, loc, root);
    if ((rc = load_meta_key(tbl, key, err))) return rc;
    if (!tbl->key_prefix) {
        /* the table folder: the metadata file's key minus /metadata/<file> */
        char *m = fl_ice_metadata_dir(key);
        if (m)
            *m = '\0';
        else
            key[0] = '\0';
        tbl->key_prefix = fl_strdup(key);
    }
    fl_free(tbl->metadata_location);
    tbl->metadata_location = fl_strdup(loc);
    return FL_OK;
}

fl_err_t fl_ice_table_load(struct fl_store *st, struct fl_ice_catalog *icat, const char *ns,
                           const char *name, struct fl_ice_table **out, struct fl_error *err) {
    if (!icat)
        return fl_errf(err, FL_ERR_INVALID, "table %s.%s: loading a table by name needs a catalog",
                       ns, name);
    struct fl_ice_table *tbl = fl_calloc(1, sizeof(*tbl));
    tbl->store = st;
    tbl->icat = icat;
    tbl->ns = fl_strdup(ns);
    tbl->name = fl_strdup(name);
    fl_err_t rc = load_from_catalog(tbl, err);
    if (rc) {
        fl_ice_table_free(tbl);
        return rc;
    }
    *out = tbl;
    return FL_OK;
}

struct newest {
    int best;
    char key[FL_STORE_KEY_MAX + 1];
};

static fl_err_t pick_newest(void *ctx, const char *key, uint64_t size) {
    (void)size;
    struct newest *nw = ctx;
    int v = fl_ice_metadata_version(key);
    if (v > nw->best) {
        nw->best = v;
        snprintf(nw->key, sizeof(nw->key), "%s", key);
    }
    return FL_OK;
}

fl_err_t fl_ice_table_load_path(struct fl_store *st, const char *key, struct fl_ice_table **out,
                                struct fl_error *err) {
    struct fl_ice_table *tbl = fl_calloc(1, sizeof(*tbl));
    tbl->store = st;
    fl_err_t rc = FL_OK;
    char mkey[FL_STORE_KEY_MAX + 1];
    size_t kl = strlen(key);
    while (kl && key[kl - 1] == '/') kl--;
    mkey[0] = '\0';
    if (kl > 14 && strncmp(key + kl - 14, ".metadata.json", 14) == 0) {
        rc = fl_path_fmt(mkey, sizeof(mkey), err, "%.*s", (int)kl, key);
        char folder[FL_STORE_KEY_MAX + 1];
        snprintf(folder, sizeof(folder), "%s", mkey);
        char *m = fl_ice_metadata_dir(folder);
        if (m)
            *m = '\0';
        else
            folder[0] = '\0';
        tbl->key_prefix = fl_strdup(folder);
    } else {
        tbl->key_prefix = fl_strndup(key, kl);
        char hint[FL_STORE_KEY_MAX + 1];
        struct fl_buf hb;
        fl_buf_init(&hb, 64);
        struct fl_error probe = {0};
        rc = fl_path_fmt(hint, sizeof(hint), err, "%s%smetadata/version-hint.text", tbl->key_prefix,
                         kl ? "/" : "");
        if (!rc && fl_store_get(st, hint, &hb, 64, &probe) == FL_OK) {
            char num[65];
            snprintf(num, sizeof(num), "%.*s", (int)hb.len, hb.data ? (char *)hb.data : "");
            int v = atoi(num);
            uint64_t sz;
            if (v <= 0 ||
                fl_path_fmt(mkey, sizeof(mkey), NULL, "%s%smetadata/v%d.metadata.json",
                            tbl->key_prefix, kl ? "/" : "", v) ||
                fl_store_head(st, mkey, &sz, &probe) != FL_OK)
                mkey[0] = '\0';
            /* a writer that died between creating vN+1 (its commit point) and
             * the hint: newer versions exist, as Java's HadoopTableOperations
             * probes for */
            char next[FL_STORE_KEY_MAX + 1];
            while (mkey[0] && v < INT_MAX &&
                   !fl_path_fmt(next, sizeof(next), NULL, "%s%smetadata/v%d.metadata.json",
                                tbl->key_prefix, kl ? "/" : "", v + 1) &&
                   fl_store_head(st, next, &sz, &probe) == FL_OK) {
                v++;
                memcpy(mkey, next, sizeof(mkey));
            }
        }
        fl_buf_fini(&hb);
        if (!rc && !mkey[0]) {
            struct newest nw = {.best = -1};
            char prefix[FL_STORE_KEY_MAX + 1];
            rc = fl_path_fmt(prefix, sizeof(prefix), err, "%s%smetadata/", tbl->key_prefix,
                             kl ? "/" : "");
            if (!rc) rc = fl_store_list(st, prefix, pick_newest, &nw, err);
            if (!rc && nw.best < 0)
                rc = fl_errf(err, FL_ERR_NOTFOUND, "no table metadata under %s", prefix);
            if (!rc) snprintf(mkey, sizeof(mkey), "%s", nw.key);
        }
    }
    if (!rc) rc = load_meta_key(tbl, mkey, err);
    if (!rc) tbl->metadata_location = fl_ice_table_uri(tbl, mkey);
    if (rc) {
        fl_ice_table_free(tbl);
        return rc;
    }
    *out = tbl;
    return FL_OK;
}

fl_err_t fl_ice_table_refresh(struct fl_ice_table *tbl, struct fl_error *err) {
    if (tbl->icat) return load_from_catalog(tbl, err);
    struct fl_ice_table *fresh = NULL;
    fl_err_t rc = fl_ice_table_load_path(tbl->store, tbl->key_prefix, &fresh, err);
    if (rc) return rc;
    fl_ice_meta_free(tbl->meta);
    fl_free(tbl->metadata_location);
    tbl->meta = fresh->meta;
    tbl->metadata_location = fresh->metadata_location;
    tbl->version = fresh->version;
    fresh->meta = NULL;
    fresh->metadata_location = NULL;
    fl_ice_table_free(fresh);
    return FL_OK;
}

/* ---- writing metadata versions ---- */

/* Writes meta as version `version`: NNNNN-uuid.metadata.json (create-only).
 * *loc gets its URI, *key its store key (both the caller's). */
static fl_err_t write_metadata(struct fl_ice_table *tbl, const struct fl_ice_meta *meta,
                               int version, char **loc, char **key, struct fl_error *err) {
    struct fl_buf b;
    fl_buf_init(&b, METADATA_MAX);
    fl_err_t rc = fl_ice_meta_to_json(meta, 1, &b);
    if (rc) {
        fl_buf_fini(&b);
        return fl_errf(err, rc, "table metadata too large");
    }
    char uuid[37], name[128];
    fl_uuid_v4_text(uuid);
    snprintf(name, sizeof(name), "metadata/%05d-%s.metadata.json", version, uuid);
    *key = key_join(tbl->key_prefix, name);
    rc = fl_store_put_if_absent(tbl->store, *key, b.data, b.len, err);
    fl_buf_fini(&b);
    if (rc) {
        fl_free(*key);
        *key = NULL;
        return rc;
    }
    *loc = fl_ice_table_uri(tbl, *key);
    return FL_OK;
}

/* The Hadoop-catalog view of a version: vN.metadata.json (create-only)
 * and version-hint.text. For tables without a catalog the create-only
 * vN write is the commit point. */
static fl_err_t write_hadoop_version(struct fl_ice_table *tbl, const char *meta_key, int version,
                                     struct fl_error *err) {
    struct fl_buf b;
    fl_buf_init(&b, METADATA_MAX);
    fl_err_t rc = fl_store_get(tbl->store, meta_key, &b, METADATA_MAX, err);
    char name[64];
    snprintf(name, sizeof(name), "metadata/v%d.metadata.json", version);
    char *vkey = key_join(tbl->key_prefix, name);
    if (!rc) rc = fl_store_put_if_absent(tbl->store, vkey, b.data, b.len, err);
    fl_free(vkey);
    fl_buf_fini(&b);
    if (rc) return rc;
    char num[16];
    int n = snprintf(num, sizeof(num), "%d", version);
    char *hkey = key_join(tbl->key_prefix, "metadata/version-hint.text");
    rc = fl_store_put(tbl->store, hkey, num, (size_t)n, err);
    fl_free(hkey);
    return rc;
}

/* The namespace's folder: "a.b" -> "a/b"; FL_ERR_LIMIT when too long. */
static fl_err_t ns_to_path(const char *ns, char *out, size_t outsz, struct fl_error *err) {
    fl_err_t rc = fl_path_fmt(out, outsz, err, "%s", ns);
    for (char *p = out; *p; p++)
        if (*p == '.') *p = '/';
    return rc;
}

fl_err_t fl_ice_table_create(struct fl_store *st, struct fl_ice_catalog *icat, const char *ns,
                             const char *name, const struct fl_schema *schema,
                             const struct fl_ice_spec *spec, const struct fl_ice_kv *props,
                             int nprops, struct fl_ice_table **out, struct fl_error *err) {
    return fl_ice_table_create_with(st, icat, ns, name, schema, spec, props, nprops, NULL, 0, out,
                                    err);
}

fl_err_t fl_ice_table_create_with(struct fl_store *st, struct fl_ice_catalog *icat, const char *ns,
                                  const char *name, const struct fl_schema *schema,
                                  const struct fl_ice_spec *spec, const struct fl_ice_kv *props,
                                  int nprops, const char *const *updates, int nupdates,
                                  struct fl_ice_table **out, struct fl_error *err) {
    if (!icat)
        return fl_errf(err, FL_ERR_INVALID, "table %s.%s: creating a table needs a catalog", ns,
                       name);
    /* both names become folders: check them before anything is written */
    fl_err_t rc = fl_path_check_name("table", name, err);
    if (!rc) rc = icat->ops->ns_ensure(icat, ns, err);
    if (rc) return rc;
    char nspath[FL_STORE_KEY_MAX + 1];
    if ((rc = ns_to_path(ns, nspath, sizeof(nspath), err))) return rc;
    struct fl_ice_table *tbl = fl_calloc(1, sizeof(*tbl));
    tbl->store = st;
    tbl->icat = icat;
    tbl->ns = fl_strdup(ns);
    tbl->name = fl_strdup(name);
    tbl->key_prefix = key_join(nspath, name);
    char *location = fl_ice_table_uri(tbl, tbl->key_prefix);
    char *key = NULL;
    rc = fl_ice_meta_new(schema, spec, location, props, nprops, fl_time_now_us() / 1000, &tbl->meta,
                         err);
    fl_free(location);
    for (int i = 0; i < nupdates && !rc; i++)
        rc = fl_ice_meta_apply_update(tbl->meta, updates[i], strlen(updates[i]), err);
    if (!rc) rc = write_metadata(tbl, tbl->meta, 1, &tbl->metadata_location, &key, err);
    if (!rc) {
        rc = icat->ops->create(icat, ns, name, tbl->metadata_location, err);
        if (rc) fl_store_delete(st, key, NULL); /* unreferenced: remove it */
    }
    if (!rc) {
        tbl->version = 1;
        struct fl_error herr = {0};
        write_hadoop_version(tbl, key, 1, &herr); /* best effort: the catalog already points here */
    }
    fl_free(key);
    if (rc) {
        fl_ice_table_free(tbl);
        return rc;
    }
    *out = tbl;
    return FL_OK;
}

/* ---- commits ---- */

static int64_t new_snapshot_id(void) {
    uint64_t v = 0;
    while (v == 0) {
        if (getrandom(&v, sizeof(v), 0) != sizeof(v)) v = (uint64_t)fl_time_now_us();
        v &= INT64_MAX;
    }
    return (int64_t)v;
}

static int64_t summary_i64(const struct fl_ice_meta *meta, int64_t snap, const char *key) {
    const char *v = snap == FL_ICE_NO_SNAPSHOT ? NULL : fl_ice_snapshot_summary(meta, snap, key);
    return v ? strtoll(v, NULL, 10) : 0;
}

struct staged_manifest {
    struct fl_ice_manifest_file mf;
    int used;
};

static fl_err_t commit_attempts(struct fl_ice_table *tbl, fl_ice_meta_change_fn change, void *ctx,
                                struct fl_error *err);

/* One commit of the table at a time in this process (commit_lock.h); a
 * handle behind what this process last committed catches up first. */
fl_err_t fl_ice_table_commit_meta(struct fl_ice_table *tbl, fl_ice_meta_change_fn change, void *ctx,
                                  struct fl_error *err) {
    struct fl_ice_commit_lock *cl = fl_ice_commit_lock_acquire(tbl->store, tbl->key_prefix);
    const char *last = fl_ice_commit_lock_location(cl);
    fl_err_t rc = FL_OK;
    if (last && tbl->metadata_location && strcmp(last, tbl->metadata_location) != 0)
        rc = fl_ice_table_refresh(tbl, err);
    if (!rc) rc = commit_attempts(tbl, change, ctx, err);
    if (!rc) fl_ice_commit_lock_set_location(cl, tbl->metadata_location);
    fl_ice_commit_lock_release(cl);
    return rc;
}

static fl_err_t commit_attempts(struct fl_ice_table *tbl, fl_ice_meta_change_fn change, void *ctx,
                                struct fl_error *err) {
    fl_err_t rc = FL_OK;
    for (int attempt = 0;; attempt++) {
        if (attempt > 0) {
            if (attempt >= COMMIT_RETRIES)
                return fl_errf(err, FL_ERR_CONFLICT, "commit to %s gave up after %d conflicts",
                               tbl->key_prefix, COMMIT_RETRIES);
            tbl->conflicts++;
            usleep((useconds_t)(1000 * (10 << attempt)));
            if ((rc = fl_ice_table_refresh(tbl, err))) return rc;
        }
        const struct fl_ice_meta *base = tbl->meta;
        /* the change applies to a copy of the base */
        struct fl_buf mb;
        fl_buf_init(&mb, METADATA_MAX);
        struct fl_ice_meta *next = NULL;
        rc = fl_ice_meta_to_json(base, 0, &mb);
        if (!rc) rc = fl_ice_meta_parse((const char *)mb.data, mb.len, &next, err);
        fl_buf_fini(&mb);
        if (!rc) rc = change(ctx, next, attempt, err);
        if (!rc) {
            fl_ice_meta_log_previous(next, tbl->metadata_location, base->last_updated_ms,
                                     fl_ice_retention_log_max(next));
            fl_ice_meta_touch(next, fl_time_now_us() / 1000 > next->last_updated_ms
                                        ? fl_time_now_us() / 1000
                                        : next->last_updated_ms);
        }
        int version = (tbl->version > 0 ? tbl->version : 0) + 1;
        char *loc = NULL, *key = NULL;
        if (!rc) rc = write_metadata(tbl, next, version, &loc, &key, err);
        if (!rc) {
            if (tbl->icat) {
                rc = tbl->icat->ops->commit(tbl->icat, tbl->ns, tbl->name, tbl->metadata_location,
                                            loc, err);
                if (!rc) {
                    struct fl_error herr = {0};
                    write_hadoop_version(tbl, key, version, &herr);
                }
            } else {
                rc = write_hadoop_version(tbl, key, version, err);
                if (rc == FL_ERR_EXISTS) rc = FL_ERR_CONFLICT;
            }
            if (rc == FL_ERR_CONFLICT) {
                fl_store_delete(tbl->store, key, NULL); /* never referenced */
                fl_err_clear(err);
                fl_free(loc);
                fl_free(key);
                fl_ice_meta_free(next);
                continue;
            }
        }
        if (!rc) {
            fl_ice_retention_after_commit(tbl, tbl->meta, next); /* durable and visible now */
            fl_ice_meta_free(tbl->meta);
            tbl->meta = next;
            next = NULL;
            fl_free(tbl->metadata_location);
            tbl->metadata_location = loc;
            loc = NULL;
            tbl->version = version;
        }
        fl_free(loc);
        fl_free(key);
        fl_ice_meta_free(next);
        return rc;
    }
}

/* A list of file paths (owned copies). */
struct paths {
    char **v;
    int n, cap;
};

static void paths_push(struct paths *ps, const char *path) {
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 8;
        ps->v = fl_reallocarray(ps->v, (size_t)ps->cap, sizeof(*ps->v));
    }
    ps->v[ps->n++] = fl_strdup(path);
}

static bool paths_has(const struct paths *ps, const char *path) {
    for (int i = 0; i < ps->n; i++)
        if (!strcmp(ps->v[i], path)) return true;
    return false;
}

static void paths_clear(struct paths *ps) {
    for (int i = 0; i < ps->n; i++) fl_free(ps->v[i]);
    fl_free(ps->v);
    *ps = (struct paths){0};
}

/* Format 3: at most one live deletion vector per data file. A commit
 * adding floe's vector for a data file removes the live vector it merged
 * (named by the new one's replaces_dv); a live vector for that data file
 * that it did not merge (a concurrent writer's) is a conflict, since
 * removing it would bring rows back and keeping it would leave two. */
struct dv_swap {
    fl_ice_file_pred_fn remove; /* the caller's, may be NULL */
    void *remove_ctx;
    const struct fl_ice_data_file *files; /* the commit's new files */
    int n;
    char *conflict; /* per attempt: a data file with a vector nobody merged */
};

static bool dv_swap_remove(void *ctx, const struct fl_ice_data_file *df) {
    struct dv_swap *sw = ctx;
    if (sw->remove && sw->remove(sw->remove_ctx, df)) return true;
    if (df->content != FL_ICE_CONTENT_POSITION_DELETES || !df->has_content_range ||
        !df->referenced_data_file)
        return false;
    for (int i = 0; i < sw->n; i++) {
        const struct fl_ice_data_file *nf = &sw->files[i];
        if (!nf->has_content_range || !nf->referenced_data_file ||
            strcmp(nf->referenced_data_file, df->referenced_data_file) != 0)
            continue;
        if (nf->replaces_dv && strcmp(nf->replaces_dv, df->file_path) == 0 &&
            nf->replaces_dv_offset == df->content_offset)
            return true;
        if (!sw->conflict) sw->conflict = fl_strdup(df->referenced_data_file);
        return false;
    }
    return false;
}

struct files_change {
    struct dv_swap *swap; /* format 3 commits adding deletion vectors, else NULL */
    struct fl_ice_table *tbl;
    struct staged_manifest *staged;
    int64_t id;
    const struct fl_ice_kv *summary;
    int nsummary;
    int64_t added_records, added_size, added_data, added_del, added_pos, added_eq;
    /* replace/overwrite: which live files of the base to remove */
    fl_ice_file_pred_fn remove;
    void *remove_ctx;
    const char *operation; /* NULL: derived */
    /* rewrite: explicit data sequence number of the added data files
     * (FL_ICE_NULL_LONG: inherit), and a check of the fresh base */
    int64_t data_seq;
    fl_ice_rewrite_validate_fn validate;
    void *validate_ctx;
    bool invalid;      /* validate refused: nothing of this commit is referenced */
    bool apply_failed; /* the last attempt's change failed: nothing of it is referenced */
    /* per attempt: what the removals took away */
    int64_t removed_records, removed_size, removed_data, removed_del, removed_pos, removed_eq;
    /* per attempt: the files it wrote (its manifest list, rewritten and
     * merged manifests) and the manifest paths of its list */
    struct paths written, listed;
};

/* Deletes the store objects named by ps (best effort: a file left
 * behind is an orphan for clean-orphans, never a broken table) and
 * empties ps. */
static void delete_paths(struct fl_ice_table *tbl, struct paths *ps) {
    for (int i = 0; i < ps->n; i++) {
        char key[FL_STORE_KEY_MAX + 1];
        if (!fl_ice_table_key(tbl, ps->v[i], key, sizeof(key), NULL))
            fl_store_delete(tbl->store, key, NULL);
    }
    paths_clear(ps);
}

/* A manifest of an older snapshot with no live entry (only DELETED
 * ones, as a replace leaves behind) is not carried into a new snapshot,
 * as Iceberg Java's MergingSnapshotProducer does: the snapshot that
 * deleted the files keeps it, and expiry deletes it with that snapshot. */
static bool manifest_is_dead(const struct fl_ice_manifest_file *mf) {
    return mf->added_files_count == 0 && mf->existing_files_count == 0 &&
           mf->deleted_files_count > 0;
}

struct collected {
    struct fl_ice_manifest_entry *e;
    int n, cap;
    int nremoved;
    struct files_change *fc;
};

static int collect_entry(void *ctx, const struct fl_ice_manifest_entry *e) {
    struct collected *c = ctx;
    if (e->status == FL_ICE_STATUS_DELETED) return 0; /* deleted before: not carried on */
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->e = fl_reallocarray(c->e, (size_t)c->cap, sizeof(*c->e));
    }
    struct fl_ice_manifest_entry *d = &c->e[c->n++];
    *d = *e;
    fl_ice_data_file_copy(&d->df, &e->df);
    struct files_change *fc = c->fc;
    if (fc->remove(fc->remove_ctx, &e->df)) {
        d->status = FL_ICE_STATUS_DELETED;
        d->snapshot_id = fc->id;
        c->nremoved++;
        fc->removed_size += e->df.file_size_in_bytes;
        if (e->df.content == FL_ICE_CONTENT_DATA) {
            fc->removed_data++;
            fc->removed_records += e->df.record_count;
        } else {
            fc->removed_del++;
            if (e->df.content == FL_ICE_CONTENT_POSITION_DELETES)
                fc->removed_pos += e->df.record_count;
            else
                fc->removed_eq += e->df.record_count;
        }
    } else {
        d->status = FL_ICE_STATUS_EXISTING; /* sequence numbers stay explicit */
    }
    return 0;
}

/* Rewrites manifest mf when the removal predicate takes any of its live
 * files: removed entries become DELETED, the rest EXISTING. *out gets the
 * new manifest's record (or is untouched: *rewritten = 0). */
static fl_err_t rewrite_manifest(struct files_change *fc, const struct fl_ice_manifest_file *mf,
                                 int64_t seq, struct fl_ice_manifest_file *out, int *rewritten,
                                 struct fl_error *err) {
    struct fl_ice_table *tbl = fc->tbl;
    *rewritten = 0;
    struct collected c = {.fc = fc};
    /* count only what this manifest's rewrite removes: keep totals to undo */
    int64_t save[6] = {fc->removed_records, fc->removed_size, fc->removed_data,
                       fc->removed_del,     fc->removed_pos,  fc->removed_eq};
    fl_err_t rc = fl_ice_table_read_manifest(tbl, mf, collect_entry, &c, err);
    if (!rc && c.nremoved > 0) {
        const struct fl_ice_spec *spec = fl_ice_meta_spec(tbl->meta, mf->partition_spec_id);
        if (!spec)
            rc = fl_errf(err, FL_ERR_CORRUPT, "manifest %s names unknown spec %d",
                         mf->manifest_path, mf->partition_spec_id);
        char tag[8];
        snprintf(tag, sizeof(tag), "r%d", mf->content);
        if (!rc)
            rc = fl_ice_table_put_manifest(tbl, spec, mf->content, c.e, c.n, tag, fc->id, seq, out,
                                           err);
        if (!rc) *rewritten = 1;
    } else if (!rc) {
        fc->removed_records = save[0], fc->removed_size = save[1], fc->removed_data = save[2];
        fc->removed_del = save[3], fc->removed_pos = save[4], fc->removed_eq = save[5];
    }
    for (int i = 0; i < c.n; i++) fl_ice_data_file_fini(&c.e[i].df);
    fl_free(c.e);
    return rc;
}

/* Format 3 row lineage (format/spec.md, "Row Lineage"): each data
 * manifest of the list without a first_row_id takes the table's next
 * row ids, as many as its added and existing rows; returns how many
 * were taken (the snapshot's added-rows). Nothing before format 3. */
static int64_t assign_row_ids(const struct fl_ice_meta *next, struct fl_ice_manifest_file *list,
                              int n) {
    if (next->format_version < 3) return 0;
    int64_t id = next->next_row_id;
    for (int i = 0; i < n; i++) {
        if (list[i].content != 0 || list[i].has_first_row_id) continue;
        list[i].has_first_row_id = true;
        list[i].first_row_id = id;
        id += (list[i].added_rows_count > 0 ? list[i].added_rows_count : 0) +
              (list[i].existing_rows_count > 0 ? list[i].existing_rows_count : 0);
    }
    return id - next->next_row_id;
}

/* Per attempt: the manifest list (the parent's manifests + ours) and the snapshot. */
static fl_err_t files_change_apply(void *ctx, struct fl_ice_meta *next, int attempt,
                                   struct fl_error *err) {
    struct files_change *fc = ctx;
    struct fl_ice_table *tbl = fc->tbl;
    int64_t parent = next->current_snapshot_id;
    int64_t seq = next->last_sequence_number + 1;
    struct fl_ice_manifest_file *old = NULL;
    int nold = 0;
    /* a new attempt: the last one lost its compare-and-swap, so nothing it
     * wrote is referenced (Iceberg Java's cleanUncommitted) */
    delete_paths(tbl, &fc->written);
    paths_clear(&fc->listed);
    fc->apply_failed = true; /* until this attempt's snapshot is built */
    fl_err_t rc = fc->validate ? fc->validate(fc->validate_ctx, tbl, err) : FL_OK;
    if (rc) fc->invalid = true;
    if (!rc) rc = fl_ice_table_manifests(tbl, &old, &nold, err);
    if (rc) return rc;
    struct fl_ice_manifest_file *all = fl_calloc((size_t)nold + 2, sizeof(*all));
    int nall = 0;
    for (int kind = 0; kind < 2; kind++) {
        if (!fc->staged[kind].used) continue;
        fc->staged[kind].mf.sequence_number = seq;
        fc->staged[kind].mf.min_sequence_number =
            kind == 0 && fc->data_seq != FL_ICE_NULL_LONG && fc->data_seq < seq ? fc->data_seq
                                                                                : seq;
        all[nall++] = fc->staged[kind].mf; /* shallow: owned by staged */
    }
    fc->removed_records = fc->removed_size = fc->removed_data = 0;
    fc->removed_del = fc->removed_pos = fc->removed_eq = 0;
    if (fc->swap) {
        fl_free(fc->swap->conflict);
        fc->swap->conflict = NULL;
    }
    for (int i = 0; i < nold && !rc; i++) {
        int rewritten = 0;
        struct fl_ice_manifest_file nm;
        if (manifest_is_dead(&old[i])) continue;
        /* deletion vectors alone remove only from delete manifests */
        bool dv_only = fc->swap && !fc->swap->remove && old[i].content == 0;
        if (fc->remove && !dv_only) rc = rewrite_manifest(fc, &old[i], seq, &nm, &rewritten, err);
        if (rewritten) {
            paths_push(&fc->written, nm.manifest_path);
            fl_ice_manifest_file_fini(&old[i]);
            old[i] = nm; /* freed with the others below */
        }
        all[nall++] = old[i];
    }
    if (!rc && fc->swap && fc->swap->conflict) {
        fc->invalid = true;
        rc = fl_errf(err, FL_ERR_CONFLICT,
                     "a concurrent commit wrote a deletion vector for data file %s; plan the "
                     "deletes again",
                     fc->swap->conflict);
    }
    if (rc) {
        fl_free(all);
        for (int i = 0; i < nold; i++) fl_ice_manifest_file_fini(&old[i]);
        fl_free(old);
        return rc;
    }
    /* merge small manifests (Java's MergingSnapshotProducer) */
    struct fl_ice_merge_opts mo;
    fl_ice_merge_opts_from_meta(next, &mo);
    struct fl_ice_manifest_file *list = NULL, *made = NULL;
    int nlist = 0, nmade = 0;
    rc =
        fl_ice_manifests_merge(tbl, &mo, fc->id, seq, all, nall, &list, &nlist, &made, &nmade, err);
    char *lloc = NULL;
    int created = 0;
    for (int i = 0; i < nmade; i++) paths_push(&fc->written, made[i].manifest_path);
    for (int i = 0; i < nlist; i++) {
        created += list[i].added_snapshot_id == fc->id;
        paths_push(&fc->listed, list[i].manifest_path);
    }
    int64_t added_rows = assign_row_ids(next, list, nlist);
    if (!rc)
        rc = fl_ice_table_put_manifest_list(tbl, fc->id, parent, seq, attempt, list, nlist, &lloc,
                                            err);
    if (!rc) { /* the list is referenced by the snapshot built from it */
        paths_push(&fc->written, lloc);
        paths_push(&fc->listed, lloc);
    }
    fl_free(list);
    for (int i = 0; i < nmade; i++) fl_ice_manifest_file_fini(&made[i]);
    fl_free(made);
    fl_free(all);
    for (int i = 0; i < nold; i++) fl_ice_manifest_file_fini(&old[i]);
    fl_free(old);
    if (rc) return rc;
    char nums[24][24];
    struct fl_ice_kv kv[24 + 64];
    int nk = 0;
#define SUM(k, v)                                                                                  \
    (snprintf(nums[nk], sizeof(nums[nk]), "%lld", (long long)(v)), kv[nk].key = (k),               \
     kv[nk].value = nums[nk], nk++)
    SUM("added-data-files", fc->added_data);
    SUM("added-records", fc->added_records);
    SUM("added-files-size", fc->added_size);
    if (fc->added_del) SUM("added-delete-files", fc->added_del);
    if (fc->added_pos) SUM("added-position-deletes", fc->added_pos);
    if (fc->added_eq) SUM("added-equality-deletes", fc->added_eq);
    if (fc->removed_data) SUM("deleted-data-files", fc->removed_data);
    if (fc->removed_records) SUM("deleted-records", fc->removed_records);
    if (fc->removed_del) SUM("removed-delete-files", fc->removed_del);
    if (fc->removed_pos) SUM("removed-position-deletes", fc->removed_pos);
    if (fc->removed_eq) SUM("removed-equality-deletes", fc->removed_eq);
    SUM("total-records",
        summary_i64(next, parent, "total-records") + fc->added_records - fc->removed_records);
    SUM("total-files-size",
        summary_i64(next, parent, "total-files-size") + fc->added_size - fc->removed_size);
    SUM("total-data-files",
        summary_i64(next, parent, "total-data-files") + fc->added_data - fc->removed_data);
    SUM("total-delete-files",
        summary_i64(next, parent, "total-delete-files") + fc->added_del - fc->removed_del);
    SUM("total-position-deletes",
        summary_i64(next, parent, "total-position-deletes") + fc->added_pos - fc->removed_pos);
    SUM("total-equality-deletes",
        summary_i64(next, parent, "total-equality-deletes") + fc->added_eq - fc->removed_eq);
    SUM("manifests-created", created);
    SUM("manifests-kept", nlist - created);
    SUM("manifests-replaced", nold - (nlist - created));
#undef SUM
    for (int i = 0; i < fc->nsummary && nk < (int)(sizeof(kv) / sizeof(kv[0])); i++)
        kv[nk++] = fc->summary[i];
    struct fl_ice_kv *sum = NULL;
    nk = fl_ice_summary_carry(next, parent, kv, nk, &sum);
    struct fl_ice_new_snapshot ns = {.snapshot_id = fc->id,
                                     .parent_id = parent,
                                     .timestamp_ms = fl_time_now_us() / 1000,
                                     .manifest_list = lloc,
                                     .operation = fc->operation    ? fc->operation
                                                  : !fc->added_del ? "append"
                                                  : fc->added_data ? "overwrite"
                                                                   : "delete",
                                     .summary = sum,
                                     .nsummary = nk,
                                     .added_rows = added_rows};
    if (!rc) rc = fl_ice_meta_add_snapshot(next, &ns, NULL, NULL, err);
    if (!rc) fc->apply_failed = false;
    fl_free(sum);
    fl_free(lloc);
    return rc;
}

/* After the commit: what this commit wrote and no committed snapshot
 * references goes. Committed: the staged and rewritten manifests that
 * the merge folded into others. Not committed because the change failed
 * or every attempt lost its compare-and-swap: everything, the staged
 * manifests too. Any other failure (the catalog's answer lost) may have
 * committed: nothing is deleted, orphan cleanup finds it later. */
static void files_change_cleanup(struct files_change *fc, fl_err_t rc) {
    struct fl_ice_table *tbl = fc->tbl;
    for (int kind = 0; kind < 2; kind++)
        if (fc->staged[kind].used) paths_push(&fc->written, fc->staged[kind].mf.manifest_path);
    if (!rc) {
        struct paths unused = {0};
        for (int i = 0; i < fc->written.n; i++)
            if (!paths_has(&fc->listed, fc->written.v[i])) paths_push(&unused, fc->written.v[i]);
        delete_paths(tbl, &unused);
    } else if (fc->invalid || fc->apply_failed || rc == FL_ERR_CONFLICT) {
        delete_paths(tbl, &fc->written);
    }
    paths_clear(&fc->written);
    paths_clear(&fc->listed);
}

fl_err_t fl_ice_table_commit_files(struct fl_ice_table *tbl, const struct fl_ice_data_file *files,
                                   int n, const struct fl_ice_kv *summary, int nsummary,
                                   int64_t *snapshot_id, struct fl_error *err) {
    return fl_ice_table_replace(tbl, NULL, NULL, files, n, NULL, summary, nsummary, snapshot_id,
                                err);
}

fl_err_t fl_ice_table_replace(struct fl_ice_table *tbl, fl_ice_file_pred_fn remove,
                              void *remove_ctx, const struct fl_ice_data_file *files, int n,
                              const char *operation, const struct fl_ice_kv *summary, int nsummary,
                              int64_t *snapshot_id, struct fl_error *err) {
    struct fl_ice_rewrite rw = {
        .remove = remove, .remove_ctx = remove_ctx, .data_sequence_number = FL_ICE_NULL_LONG};
    return fl_ice_table_commit_rw(tbl, &rw, files, n, operation, summary, nsummary, snapshot_id,
                                  err);
}

fl_err_t fl_ice_table_rewrite(struct fl_ice_table *tbl, const struct fl_ice_rewrite *rw,
                              const struct fl_ice_data_file *files, int n,
                              const struct fl_ice_kv *summary, int nsummary, int64_t *snapshot_id,
                              struct fl_error *err) {
    return fl_ice_table_commit_rw(tbl, rw, files, n, "replace", summary, nsummary, snapshot_id,
                                  err);
}

fl_err_t fl_ice_table_commit_rw(struct fl_ice_table *tbl, const struct fl_ice_rewrite *rw,
                                const struct fl_ice_data_file *files, int n, const char *operation,
                                const struct fl_ice_kv *summary, int nsummary, int64_t *snapshot_id,
                                struct fl_error *err) {
    const struct fl_ice_spec *spec = fl_ice_meta_default_spec(tbl->meta);
    int64_t id = new_snapshot_id();
    struct staged_manifest staged[2] = {0}; /* data, deletes */
    struct fl_ice_manifest_entry *entries = fl_calloc((size_t)n + 1, sizeof(*entries));
    fl_err_t rc = FL_OK;
    int64_t added_records = 0, added_size = 0, added_data = 0, added_del = 0, added_pos = 0,
            added_eq = 0;

    /* 1. one manifest per content kind for the new files (reused across retries) */
    for (int kind = 0; kind < 2 && !rc; kind++) {
        int k = 0;
        for (int i = 0; i < n; i++) {
            bool is_del = files[i].content != FL_ICE_CONTENT_DATA;
            if (is_del != (kind == 1)) continue;
            if (files[i].spec_id != spec->spec_id) {
                rc = fl_errf(err, FL_ERR_INVALID,
                             "file %s was written for spec %d, table default is %d",
                             files[i].file_path, files[i].spec_id, spec->spec_id);
                break;
            }
            entries[k].status = FL_ICE_STATUS_ADDED;
            entries[k].snapshot_id = id;
            entries[k].sequence_number = kind == 0 ? rw->data_sequence_number : FL_ICE_NULL_LONG;
            entries[k].file_sequence_number = FL_ICE_NULL_LONG;
            entries[k].df = files[i];
            k++;
        }
        if (rc || k == 0) continue;
        char tag[8];
        snprintf(tag, sizeof(tag), "m%d", kind);
        /* sequence numbers are set per attempt */
        rc = fl_ice_table_put_manifest(tbl, spec, kind, entries, k, tag, id, 0, &staged[kind].mf,
                                       err);
        if (rc) break;
        staged[kind].used = 1;
    }
    for (int i = 0; i < n; i++) {
        added_size += files[i].file_size_in_bytes;
        if (files[i].content == FL_ICE_CONTENT_DATA) {
            added_data++;
            added_records += files[i].record_count;
        } else {
            added_del++;
            if (files[i].content == FL_ICE_CONTENT_POSITION_DELETES)
                added_pos += files[i].record_count;
            else
                added_eq += files[i].record_count;
        }
    }

    /* 2. manifest list + snapshot in new metadata, committed with retries */
    struct files_change fc = {.tbl = tbl,
                              .staged = staged,
                              .id = id,
                              .summary = summary,
                              .nsummary = nsummary,
                              .added_records = added_records,
                              .added_size = added_size,
                              .added_data = added_data,
                              .added_del = added_del,
                              .added_pos = added_pos,
                              .added_eq = added_eq,
                              .remove = rw->remove,
                              .remove_ctx = rw->remove_ctx,
                              .operation = operation,
                              .data_seq = rw->data_sequence_number,
                              .validate = rw->validate,
                              .validate_ctx = rw->validate_ctx};
    struct dv_swap swap = {rw->remove, rw->remove_ctx, files, n, NULL};
    for (int i = 0; i < n && tbl->meta->format_version >= 3; i++)
        if (files[i].has_content_range && files[i].referenced_data_file) {
            fc.swap = &swap;
            fc.remove = dv_swap_remove;
            fc.remove_ctx = &swap;
            break;
        }
    if (!rc) {
        rc = fl_ice_table_commit_meta(tbl, files_change_apply, &fc, err);
        files_change_cleanup(&fc, rc);
    }
    fl_free(swap.conflict);
    if (!rc && snapshot_id) *snapshot_id = id;
    for (int kind = 0; kind < 2; kind++)
        if (staged[kind].used) fl_ice_manifest_file_fini(&staged[kind].mf);
    fl_free(entries);
    return rc;
}
