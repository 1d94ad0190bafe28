/*
 * cli_opts.c - the subcommands' option parser (cli_opts.h).
 *
 * How it works: one pass over argv. An argument that starts with "-"
 * (and is not "-" alone) is looked up by name or alias in the command's
 * table; the kind says whether it takes the next argument (or the text
 * after "=") and how that value is checked and stored. Everything else
 * is positional. The first mistake ends the pass with a message.
 */
#include "cli/cli_opts.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct fl_cli_opt *find(const struct fl_cli_opt *opts, const char *a, size_t n) {
    for (const struct fl_cli_opt *o = opts; o->name; o++)
        if ((strlen(o->name) == n && !strncmp(o->name, a, n)) ||
            (o->alias && strlen(o->alias) == n && !strncmp(o->alias, a, n)))
            return o;
    return NULL;
}

static fl_err_t store(const struct fl_cli_opt *o, const char *v, struct fl_error *err) {
    char *end;
    errno = 0;
    switch (o->kind) {
    case FL_CLI_FLAG:
        *(int *)o->target = o->lo ? (int)o->lo : 1;
        return FL_OK;
    case FL_CLI_STR:
        *(const char **)o->target = v;
        return FL_OK;
    case FL_CLI_INT: {
        long long x = strtoll(v, &end, 10);
        if (errno || end == v || *end)
            return fl_errf(err, FL_ERR_INVALID, "option %s needs a number, got \"%s\"", o->name, v);
        if (o->lo != o->hi && (x < o->lo || x > o->hi))
            return fl_errf(err, FL_ERR_INVALID, "option %s: %lld is out of range %lld..%lld",
                           o->name, x, (long long)o->lo, (long long)o->hi);
        *(int64_t *)o->target = x;
        return FL_OK;
    }
    case FL_CLI_NUM: {
        double x = strtod(v, &end);
        if (errno || end == v || *end || !isfinite(x))
            return fl_errf(err, FL_ERR_INVALID, "option %s needs a number, got \"%s\"", o->name, v);
        *(double *)o->target = x;
        return FL_OK;
    }
    case FL_CLI_FN: {
        fl_err_t rc = o->fn(o->target, v, err);
        if (rc) fl_err_prefix(err, "option %s", o->name);
        return rc;
    }
    }
    return fl_errf(err, FL_ERR_INVALID, "option %s: bad table entry", o->name);
}

int fl_cli_opts_parse(const struct fl_cli_opt *opts, int argc, char **argv, const char **pos,
                      int maxpos, int *npos, struct fl_error *err) {
    int only_pos = 0;
    *npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_pos || a[0] != '-' || !a[1]) {
            if (*npos == maxpos) {
                fl_errf(err, FL_ERR_INVALID, "unexpected argument \"%s\"", a);
                return 2;
            }
            pos[(*npos)++] = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            only_pos = 1;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return 1;
        const char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
        const struct fl_cli_opt *o = find(opts, a, eq ? (size_t)(eq - a) : strlen(a));
        if (!o) {
            fl_errf(err, FL_ERR_INVALID, "unknown option \"%.*s\"",
                    (int)(eq ? (size_t)(eq - a) : strlen(a)), a);
            return 2;
        }
        const char *v = NULL;
        if (o->kind == FL_CLI_FLAG) {
            if (eq) {
                fl_errf(err, FL_ERR_INVALID, "option %s takes no value", o->name);
                return 2;
            }
        } else if (eq)
            v = eq + 1;
        else if (i + 1 < argc)
            v = argv[++i];
        else {
            fl_errf(err, FL_ERR_INVALID, "option %s needs a value", o->name);
            return 2;
        }
        if (store(o, v, err)) return 2;
    }
    return 0;
}

int fl_cli_opts(const char *cmd, const struct fl_cli_opt *opts, int argc, char **argv,
                const char **pos, int maxpos, int *npos, void (*usage)(FILE *f)) {
    struct fl_error err = {0};
    int rc = fl_cli_opts_parse(opts, argc, argv, pos, maxpos, npos, &err);
    if (rc == 0) return -1;
    if (rc == 1) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "floe %s: %s (floe %s --help lists the options)\n", cmd, err.msg, cmd);
    return 2;
}
