/*
 * local.c - the local-disk backend of src/store ("file:///dir").
 *
 * A key is a path below the root directory. How writes stay atomic: the
 * bytes go to a temporary file ".floe-tmp-<random>" in the key's own
 * directory (same filesystem, so the rename cannot copy), which is
 * fsync'ed, closed, then renamed over the key (put, writer) or hard-linked
 * to it (put-if-absent: link(2) fails with EEXIST instead of replacing),
 * and finally the directory is fsync'ed so the new name survives a crash.
 * Any failure before the rename unlinks the temporary file, so a failed
 * write leaves neither an object nor a temporary file. Directories are
 * created as needed and each new one is made durable in its parent.
 * Listing walks the tree with readdir, skips temporary files (unless the
 * caller asks for them: orphan cleanup), directories and anything that
 * is not a regular file (a symbolic link is neither reported nor
 * followed), and sorts the keys in byte order as S3 does. Reads use
 * pread. Faults from struct fl_store_faults are injected in the wrappers
 * around write, fsync, rename and link.
 */
#include "core/fileio.h"
#include "core/mem.h"
#include "store/store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMP_PREFIX ".floe-tmp-"
#define LIST_DEPTH_MAX 512

struct local_store {
    struct fl_store base;
    char *root; /* absolute, no trailing '/' (except for "/") */
    bool no_fsync;
    struct fl_store_faults *faults;
};

struct local_writer {
    struct fl_store_writer base;
    int fd;
    char *tmp;  /* temporary file's path */
    char *path; /* final path */
};

/* ---- faultable system calls ---- */

static ssize_t xwrite(struct local_store *ls, int fd, const void *buf, size_t len) {
    struct fl_store_faults *f = ls->faults;
    if (f) {
        f->writes++;
        if (f->enospc_after) {
            if (f->bytes_written >= f->enospc_after) {
                errno = ENOSPC;
                return -1;
            }
            uint64_t room = f->enospc_after - f->bytes_written;
            if (len > room) len = (size_t)room; /* a short write, then ENOSPC */
        }
        if (f->short_writes && len > 1) len /= 2;
    }
    ssize_t n = write(fd, buf, len);
    if (f && n > 0) f->bytes_written += (uint64_t)n;
    return n;
}

static int xfsync(struct local_store *ls, int fd) {
    if (ls->no_fsync) return 0;
    struct fl_store_faults *f = ls->faults;
    if (f && ++f->fsyncs == f->fsync_fail_at) {
        errno = EIO;
        return -1;
    }
    return fsync(fd);
}

static bool rename_fault(struct local_store *ls) {
    struct fl_store_faults *f = ls->faults;
    if (f && ++f->renames == f->rename_fail_at) {
        errno = EIO;
        return true;
    }
    return false;
}

/* ---- paths ---- */

static char *join(const char *root, const char *key) {
    size_t a = strlen(root), b = strlen(key);
    char *p = fl_malloc(a + b + 2);
    memcpy(p, root, a);
    size_t i = a;
    if (a == 0 || root[a - 1] != '/') p[i++] = '/';
    memcpy(p + i, key, b + 1);
    return p;
}

/* The directory part of path (which has a '/'), as a new string. */
static char *dir_of(const char *path) {
    const char *slash = strrchr(path, '/');
    if (slash == path) return fl_strdup("/");
    return fl_strndup(path, (size_t)(slash - path));
}

static fl_err_t sys_err(const char *what, const char *path, struct fl_error *err) {
    int e = errno;
    fl_err_t code = e == ENOENT                  ? FL_ERR_NOTFOUND
                    : e == ENOSPC || e == EDQUOT ? FL_ERR_LIMIT
                                                 : FL_ERR_IO;
    return fl_errf(err, code, "store: %s %s: %s", what, path, strerror(e));
}

static fl_err_t fsync_dir(struct local_store *ls, const char *dir, struct fl_error *err) {
    if (ls->no_fsync) return FL_OK;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return sys_err("open directory", dir, err);
    fl_err_t rc = FL_OK;
    if (xfsync(ls, fd) != 0) rc = sys_err("fsync directory", dir, err);
    close(fd);
    return rc;
}

/* Creates the directories between the root and the file at path. Each
 * directory this call creates is made durable by an fsync of its parent. */
static fl_err_t make_parents(struct local_store *ls, const char *path, struct fl_error *err) {
    size_t skip = strcmp(ls->root, "/") ? strlen(ls->root) + 1 : 1;
    char *p = fl_strdup(path);
    fl_err_t rc = FL_OK;
    for (char *s = p + skip; (s = strchr(s, '/')) != NULL; s++) {
        *s = '\0';
        if (mkdir(p, 0755) == 0) {
            char *parent = dir_of(p);
            rc = fsync_dir(ls, parent, err);
            fl_free(parent);
            if (rc) break;
        } else if (errno != EEXIST) {
            rc = sys_err("mkdir", p, err);
            break;
        } else {
            struct stat sb;
            if (stat(p, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
                rc = fl_errf(err, FL_ERR_INVALID, "store: %s exists and is not a directory", p);
                break;
            }
        }
        *s = '/';
    }
    fl_free(p);
    return rc;
}

/* Creates a new temporary file in dir; *tmp gets its path. */
static fl_err_t tmp_create(const char *dir, char **tmp, int *fdp, struct fl_error *err) {
    static unsigned long counter;
    for (int attempt = 0; attempt < 16; attempt++) {
        uint64_t r;
        if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
            r = ((uint64_t)getpid() << 32) ^ __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
        size_t n = strlen(dir) + sizeof(TMP_PREFIX) + 20;
        char *p = fl_malloc(n);
        snprintf(p, n, "%s/%s%016llx", strcmp(dir, "/") ? dir : "", TMP_PREFIX,
                 (unsigned long long)r);
        int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            *tmp = p;
            *fdp = fd;
            return FL_OK;
        }
        fl_err_t rc = errno == EEXIST ? FL_OK : sys_err("create", p, err);
        fl_free(p);
        if (rc) return rc;
    }
    return fl_errf(err, FL_ERR_IO, "store: no free temporary name in %s", dir);
}

static ssize_t xwrite_fn(void *ls, int fd, const void *buf, size_t len) {
    return xwrite(ls, fd, buf, len);
}

static fl_err_t write_all(struct local_store *ls, int fd, const void *data, size_t len,
                          const char *path, struct fl_error *err) {
    if (fl_write_all_fn(fd, data, len, -1, xwrite_fn, ls) != 0) return sys_err("write", path, err);
    return FL_OK;
}

/* Moves the finished temporary file to path: rename, or link for
 * create-only, then fsync of the directory. On failure before the new
 * name exists the temporary file is removed. */
static fl_err_t publish(struct local_store *ls, const char *tmp, const char *path, bool if_absent,
                        struct fl_error *err) {
    if (!if_absent) {
        if (rename_fault(ls) || rename(tmp, path) != 0) {
            fl_err_t rc = sys_err("rename to", path, err);
            unlink(tmp);
            return rc;
        }
    } else {
        int r = rename_fault(ls) ? -1 : link(tmp, path);
        if (r != 0 && (errno == EPERM || errno == EOPNOTSUPP || errno == ENOSYS))
            r = renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE);
        else if (r == 0)
            unlink(tmp);
        if (r != 0) {
            fl_err_t rc = errno == EEXIST
                              ? fl_errf(err, FL_ERR_EXISTS, "store: %s already exists", path)
                              : sys_err("link to", path, err);
            unlink(tmp);
            return rc;
        }
    }
    char *dir = dir_of(path);
    fl_err_t rc = fsync_dir(ls, dir, err);
    fl_free(dir);
    if (rc) fl_err_prefix(err, "store: %s is visible but may not be durable", path);
    return rc;
}

/* ---- operations ---- */

static fl_err_t local_put(struct fl_store *st, const char *key, const void *data, size_t len,
                          bool if_absent, struct fl_error *err) {
    struct local_store *ls = (struct local_store *)st;
    char *path = join(ls->root, key), *dir = NULL, *tmp = NULL;
    int fd = -1;
    fl_err_t rc = make_parents(ls, path, err);
    if (rc) goto out;
    dir = dir_of(path);
    if ((rc = tmp_create(dir, &tmp, &fd, err))) goto out;
    if ((rc = write_all(ls, fd, data, len, path, err))) goto out;
    if (xfsync(ls, fd) != 0) {
        rc = sys_err("fsync", path, err);
        goto out;
    }
    int cfd = fd;
    fd = -1;
    if (close(cfd) != 0) {
        rc = sys_err("close", path, err);
        goto out;
    }
    rc = publish(ls, tmp, path, if_absent, err);
    fl_free(tmp);
    tmp = NULL; /* published or removed by publish */
out:
    if (fd >= 0) close(fd);
    if (tmp) {
        unlink(tmp);
        fl_free(tmp);
    }
    fl_free(dir);
    fl_free(path);
    return rc;
}

static fl_err_t open_regular(const char *path, int *fdp, uint64_t *size, struct fl_error *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return fl_errf(err, FL_ERR_NOTFOUND, "store: %s: no such object", path);
        return sys_err("open", path, err);
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        fl_err_t rc = sys_err("stat", path, err);
        close(fd);
        return rc;
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return fl_errf(err, FL_ERR_NOTFOUND, "store: %s: not an object", path);
    }
    *fdp = fd;
    *size = (uint64_t)sb.st_size;
    return FL_OK;
}

static fl_err_t local_get(struct fl_store *st, const char *key, bool whole, uint64_t off,
                          size_t len, struct fl_buf *out, struct fl_error *err) {
    struct local_store *ls = (struct local_store *)st;
    char *path = join(ls->root, key);
    int fd = -1;
    uint64_t size = 0;
    fl_err_t rc = open_regular(path, &fd, &size, err);
    if (rc) goto out;
    if (whole) {
        if (size > len) {
            rc = fl_errf(err, FL_ERR_LIMIT, "store: %s: %llu bytes, more than the %zu allowed",
                         path, (unsigned long long)size, len);
            goto out;
        }
        len = (size_t)size;
    } else {
        if (off >= size) {
            rc = fl_errf(err, FL_ERR_RANGE, "store: %s: offset %llu at or past the end (%llu)",
                         path, (unsigned long long)off, (unsigned long long)size);
            goto out;
        }
        if (len > size - off) len = (size_t)(size - off);
    }
    if (len == 0) goto out; /* an empty file (Spark's empty version-hint.text) */
    uint8_t *dst = fl_buf_grow(out, len);
    if (!dst) {
        rc = fl_errf(err, FL_ERR_LIMIT, "store: %s: %zu bytes do not fit the buffer", path, len);
        goto out;
    }
    size_t got = 0; /* a file truncated under us: what is there */
    if (fl_read_full(fd, dst, len, (int64_t)off, &got) < 0) rc = sys_err("read", path, err);
    out->len -= len - got;
out:
    if (fd >= 0) close(fd);
    fl_free(path);
    return rc;
}

static fl_err_t local_head(struct fl_store *st, const char *key, uint64_t *size,
                           struct fl_error *err) {
    struct local_store *ls = (struct local_store *)st;
    char *path = join(ls->root, key);
    struct stat sb;
    fl_err_t rc = FL_OK;
    if (stat(path, &sb) != 0) {
        rc = errno == ENOENT || errno == ENOTDIR
                 ? fl_errf(err, FL_ERR_NOTFOUND, "store: %s: no such object", path)
                 : sys_err("stat", path, err);
    } else if (!S_ISREG(sb.st_mode)) {
        rc = fl_errf(err, FL_ERR_NOTFOUND, "store: %s: not an object", path);
    } else {
        *size = (uint64_t)sb.st_size;
    }
    fl_free(path);
    return rc;
}

static fl_err_t local_del(struct fl_store *st, const char *key, struct fl_error *err) {
    struct local_store *ls = (struct local_store *)st;
    char *path = join(ls->root, key);
    fl_err_t rc = FL_OK;
    if (unlink(path) != 0) {
        if (errno != ENOENT && errno != ENOTDIR) rc = sys_err("unlink", path, err);
    } else {
        char *dir = dir_of(path);
        rc = fsync_dir(ls, dir, err);
        fl_free(dir);
    }
    fl_free(path);
    return rc;
}

/* ---- listing ---- */

struct list_entry {
    char *key;
    uint64_t size;
    int64_t mtime_ms;
    bool temp;
};

struct list_acc {
    const char *prefix;
    size_t plen;
    unsigned flags;
    struct list_entry *v;
    size_t n, cap;
};

/* true when rel (a key or a directory key ending in '/') can still lead to
 * a key with the prefix */
static bool prefix_compatible(const struct list_acc *acc, const char *rel, size_t rlen) {
    size_t m = rlen < acc->plen ? rlen : acc->plen;
    return memcmp(rel, acc->prefix, m) == 0;
}

/* Walks the directory dfd whose key prefix is rel (empty or ending '/').
 * Takes ownership of dfd. */
static fl_err_t walk(struct list_acc *acc, int dfd, char *rel, size_t rlen, int depth,
                     const char *root, struct fl_error *err) {
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return fl_errf(err, FL_ERR_IO, "store: list %s/%s: %s", root, rel, strerror(errno));
    }
    fl_err_t rc = FL_OK;
    struct dirent *de;
    while ((errno = 0, de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
        bool temp = strncmp(name, TMP_PREFIX, sizeof(TMP_PREFIX) - 1) == 0;
        if (temp && !(acc->flags & FL_STORE_SCAN_TEMP)) continue;
        size_t nlen = strlen(name);
        if (rlen + nlen + 1 > FL_STORE_KEY_MAX) continue; /* cannot be a key */
        memcpy(rel + rlen, name, nlen + 1);
        if (!prefix_compatible(acc, rel, rlen + nlen)) continue;
        struct stat sb;
        if (fstatat(dirfd(d), name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) continue; /* removed meanwhile */
            rc = fl_errf(err, FL_ERR_IO, "store: stat %s/%s: %s", root, rel, strerror(errno));
            break;
        }
        if (S_ISDIR(sb.st_mode)) {
            if (temp) continue;
            if (depth >= LIST_DEPTH_MAX) continue;
            rel[rlen + nlen] = '/';
            rel[rlen + nlen + 1] = '\0';
            if (!prefix_compatible(acc, rel, rlen + nlen + 1)) continue;
            int sub = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
            if (sub < 0) {
                if (errno == ENOENT) continue;
                rc = fl_errf(err, FL_ERR_IO, "store: open %s/%s: %s", root, rel, strerror(errno));
                break;
            }
            rc = walk(acc, sub, rel, rlen + nlen + 1, depth + 1, root, err);
            if (rc) break;
        } else if (S_ISREG(sb.st_mode)) {
            if (rlen + nlen < acc->plen) continue;
            if (acc->n == acc->cap) {
                acc->cap = acc->cap ? acc->cap * 2 : 64;
                acc->v = fl_reallocarray(acc->v, acc->cap, sizeof(*acc->v));
            }
            acc->v[acc->n].key = fl_strndup(rel, rlen + nlen);
            acc->v[acc->n].size = (uint64_t)sb.st_size;
            acc->v[acc->n].mtime_ms =
                (int64_t)sb.st_mtim.tv_sec * 1000 + (int64_t)sb.st_mtim.tv_nsec / 1000000;
            acc->v[acc->n].temp = temp;
            acc->n++;
        }
    }
    if (!rc && errno != 0)
        rc = fl_errf(err, FL_ERR_IO, "store: readdir %s/%s: %s", root, rel, strerror(errno));
    rel[rlen] = '\0';
    closedir(d);
    return rc;
}

static int entry_cmp(const void *a, const void *b) {
    return strcmp(((const struct list_entry *)a)->key, ((const struct list_entry *)b)->key);
}

static fl_err_t local_scan(struct fl_store *st, const char *prefix, unsigned flags,
                           fl_store_scan_fn cb, void *ctx, struct fl_error *err) {
    struct local_store *ls = (struct local_store *)st;
    struct list_acc acc = {.prefix = prefix, .plen = strlen(prefix), .flags = flags};
    char *rel = fl_malloc(FL_STORE_KEY_MAX + 2);
    /* start at the deepest directory the prefix names */
    const char *slash = strrchr(prefix, '/');
    size_t rlen = slash ? (size_t)(slash - prefix) + 1 : 0;
    memcpy(rel, prefix, rlen);
    rel[rlen] = '\0';
    char *start = join(ls->root, rel);
    fl_err_t rc = FL_OK;
    int dfd = open(start, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        if (errno != ENOENT && errno != ENOTDIR) rc = sys_err("open directory", start, err);
    } else {
        rc = walk(&acc, dfd, rel, rlen, 0, ls->root, err);
    }
    if (!rc) {
        if (acc.n) qsort(acc.v, acc.n, sizeof(*acc.v), entry_cmp);
        for (size_t i = 0; i < acc.n && !rc; i++) {
            struct fl_store_obj obj = {acc.v[i].key, acc.v[i].size, acc.v[i].mtime_ms,
                                       acc.v[i].temp};
            rc = cb(ctx, &obj);
        }
    }
    for (size_t i = 0; i < acc.n; i++) fl_free(acc.v[i].key);
    fl_free(acc.v);
    fl_free(start);
    fl_free(rel);
    return rc;
}

/* ---- streaming writer ---- */

static fl_err_t local_writer_open(struct fl_store *st, const char *key,
                                  struct fl_store_writer **out, struct fl_error *err) {
    struct local_store *ls = (struct local_store *)st;
    char *path = join(ls->root, key);
    fl_err_t rc = make_parents(ls, path, err);
    if (rc) {
        fl_free(path);
        return rc;
    }
    char *dir = dir_of(path), *tmp = NULL;
    int fd = -1;
    rc = tmp_create(dir, &tmp, &fd, err);
    fl_free(dir);
    if (rc) {
        fl_free(path);
        return rc;
    }
    struct local_writer *w = fl_calloc(1, sizeof(*w));
    w->base.st = st;
    w->fd = fd;
    w->tmp = tmp;
    w->path = path;
    *out = &w->base;
    return FL_OK;
}

static fl_err_t local_writer_write(struct fl_store_writer *wb, const void *data, size_t len,
                                   struct fl_error *err) {
    struct local_writer *w = (struct local_writer *)wb;
    return write_all((struct local_store *)wb->st, w->fd, data, len, w->path, err);
}

static void writer_free(struct local_writer *w) {
    if (w->fd >= 0) close(w->fd);
    if (w->tmp) {
        unlink(w->tmp);
        fl_free(w->tmp);
    }
    fl_free(w->path);
    fl_free(w);
}

static fl_err_t local_writer_commit(struct fl_store_writer *wb, struct fl_error *err) {
    struct local_writer *w = (struct local_writer *)wb;
    struct local_store *ls = (struct local_store *)wb->st;
    fl_err_t rc = FL_OK;
    if (xfsync(ls, w->fd) != 0) {
        rc = sys_err("fsync", w->path, err);
        goto out;
    }
    int fd = w->fd;
    w->fd = -1;
    if (close(fd) != 0) {
        rc = sys_err("close", w->path, err);
        goto out;
    }
    rc = publish(ls, w->tmp, w->path, false, err);
    fl_free(w->tmp);
    w->tmp = NULL;
out:
    writer_free(w);
    return rc;
}

static void local_writer_abort(struct fl_store_writer *wb) {
    writer_free((struct local_writer *)wb);
}

static void local_free(struct fl_store *st) {
    struct local_store *ls = (struct local_store *)st;
    fl_free(ls->root);
    fl_free(ls->base.uri);
    fl_free(ls);
}

static fl_err_t local_sibling(const struct fl_store *st, const char *rest, struct fl_store **out,
                              struct fl_error *err) {
    const struct local_store *ls = (const struct local_store *)st;
    struct fl_store_opts opts = {.no_fsync = ls->no_fsync, .faults = ls->faults};
    return fl_store_local_open(rest, &opts, out, err);
}

static const struct fl_store_ops local_ops = {
    .scheme = "file",
    .put = local_put,
    .get = local_get,
    .head = local_head,
    .del = local_del,
    .scan = local_scan,
    .writer_open = local_writer_open,
    .writer_write = local_writer_write,
    .writer_commit = local_writer_commit,
    .writer_abort = local_writer_abort,
    .sibling = local_sibling,
    .free = local_free,
};

fl_err_t fl_store_local_open(const char *path, const struct fl_store_opts *opts,
                             struct fl_store **out, struct fl_error *err) {
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') n--;
    if (n + FL_STORE_KEY_MAX + 64 > 4096)
        return fl_errf(err, FL_ERR_INVALID, "store: root path %.64s... too long", path);
    char *root = fl_strndup(path, n);
    for (char *s = root + 1;; s++) { /* mkdir -p */
        char *slash = strchr(s, '/');
        if (slash) *slash = '\0';
        if (mkdir(root, 0755) != 0 && errno != EEXIST) {
            fl_err_t rc = sys_err("mkdir", root, err);
            fl_free(root);
            return rc;
        }
        if (!slash) break;
        *slash = '/';
        s = slash;
    }
    struct stat sb;
    if (stat(root, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fl_err_t rc = fl_errf(err, FL_ERR_INVALID, "store: %s is not a directory", root);
        fl_free(root);
        return rc;
    }
    struct local_store *ls = fl_calloc(1, sizeof(*ls));
    ls->base.ops = &local_ops;
    size_t ulen = n + 16;
    ls->base.uri = fl_malloc(ulen);
    snprintf(ls->base.uri, ulen, "file://%s/", strcmp(root, "/") ? root : "");
    ls->root = root;
    ls->no_fsync = opts->no_fsync;
    ls->faults = opts->faults;
    *out = &ls->base;
    return FL_OK;
}
