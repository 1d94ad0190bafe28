/*
 * cli_opts.h - the one option parser of floe's subcommands. Each command
 * describes its options in a table (name, alias, kind, target, range)
 * and gets the same answers for the same mistakes everywhere:
 *
 *   floe topic: unknown option "--xyz" (floe topic --help lists the options)
 *   floe topic: option --partitions needs a value (...)
 *   floe topic: option --partitions needs a number, got "d1" (...)
 *   floe topic: option --partitions: 0 is out of range 1..10000 (...)
 *   floe topic: unexpected argument "x" (...)
 *
 * Options may come before, between and after the positional arguments;
 * "--NAME=VALUE" is the same as "--NAME VALUE"; "--" ends the options;
 * "-" alone is a positional argument; -h and --help ask for the usage.
 */
#ifndef FL_CLI_CLI_OPTS_H
#define FL_CLI_CLI_OPTS_H

#include "core/err.h"

#include <stdint.h>
#include <stdio.h>

enum fl_cli_opt_kind {
    FL_CLI_FLAG, /* no value: *(int *)target = lo, or 1 when lo is 0 */
    FL_CLI_STR,  /* *(const char **)target = the value (argv's, not copied) */
    FL_CLI_INT,  /* *(int64_t *)target = the value, an integer in lo..hi (lo == hi: any) */
    FL_CLI_NUM,  /* *(double *)target = the value, a finite number */
    FL_CLI_FN,   /* fn(target, value, err): lists, enums, times; its error is the message */
};

struct fl_cli_opt {
    const char *name;  /* "--partitions" */
    const char *alias; /* "-c", or NULL */
    enum fl_cli_opt_kind kind;
    void *target;
    int64_t lo, hi;
    fl_err_t (*fn)(void *target, const char *value, struct fl_error *err);
};

/* Parses argv[1..argc-1] by opts (ended by an entry with a NULL name).
 * Positional arguments go to pos in order, at most maxpos of them (*npos
 * says how many). Returns 0 when all is well, 1 when -h or --help was
 * given, 2 for a usage error, with the message (no command name) in err. */
int fl_cli_opts_parse(const struct fl_cli_opt *opts, int argc, char **argv, const char **pos,
                      int maxpos, int *npos, struct fl_error *err);

/* fl_cli_opts_parse for the command cmd ("topic"): returns -1 to go on;
 * else the exit code after printing: 0 and usage to stdout for --help, 2
 * and "floe CMD: why (floe CMD --help lists the options)" to stderr for a
 * usage error. */
int fl_cli_opts(const char *cmd, const struct fl_cli_opt *opts, int argc, char **argv,
                const char **pos, int maxpos, int *npos, void (*usage)(FILE *f));

#endif
