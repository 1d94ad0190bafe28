/*
 * test_cli_opts.c - the subcommands' one option parser (cli/cli_opts.h):
 * each kind (flag, string, integer with its range, number, function),
 * aliases, --name=value, "--" and "-" as positional, -h/--help, and the
 * one message for each mistake: unknown option, a value missing, not a
 * number, out of range, a flag given a value, too many arguments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/cli_opts.h"

#include <string.h>

struct t {
    int flag, from;
    const char *str;
    int64_t n, any;
    double x;
    const char *seen[4];
    int nseen;
};

static fl_err_t collect(void *target, const char *v, struct fl_error *err) {
    struct t *t = target;
    if (!strcmp(v, "bad")) return fl_errf(err, FL_ERR_INVALID, "not this one");
    t->seen[t->nseen++] = v;
    return FL_OK;
}

/* Parses the words of line (at most 15, split at spaces) into t. */
static int parse(const char *line, struct t *t, const char **pos, int maxpos, int *npos,
                 char *msg) {
    static char buf[256];
    char *argv[16] = {"cmd"};
    int argc = 1;
    strcpy(buf, line);
    for (char *w = strtok(buf, " "); w && argc < 16; w = strtok(NULL, " ")) argv[argc++] = w;
    memset(t, 0, sizeof(*t));
    t->n = -1;
    const struct fl_cli_opt opts[] = {
        {.name = "--flag", .alias = "-f", .kind = FL_CLI_FLAG, .target = &t->flag},
        {.name = "--from-start", .kind = FL_CLI_FLAG, .target = &t->from, .lo = 7},
        {.name = "--str", .alias = "-s", .kind = FL_CLI_STR, .target = &t->str},
        {.name = "--n", .kind = FL_CLI_INT, .target = &t->n, .lo = 1, .hi = 10},
        {.name = "--any", .kind = FL_CLI_INT, .target = &t->any},
        {.name = "--x", .kind = FL_CLI_NUM, .target = &t->x},
        {.name = "--add", .kind = FL_CLI_FN, .target = t, .fn = collect},
        {0}};
    struct fl_error err = {0};
    int rc = fl_cli_opts_parse(opts, argc, argv, pos, maxpos, npos, &err);
    strcpy(msg, err.msg);
    return rc;
}

static void test_kinds(void **state) {
    (void)state;
    struct t t;
    const char *pos[4];
    int npos;
    char msg[256];
    /* an alias is not a long option: "--s=v" is no "-s v" */
    assert_int_equal(parse("--s=v2", &t, pos, 4, &npos, msg), 2);
    assert_string_equal(msg, "unknown option \"--s\"");
    assert_int_equal(parse("-s v3", &t, pos, 4, &npos, msg), 0);
    assert_string_equal(t.str, "v3");
    assert_int_equal(
        parse("a -f --str hello --n 10 b --any -5 --x 2.5 --add p --add=q --from-start", &t, pos, 4,
              &npos, msg),
        0);
    assert_int_equal(t.flag, 1);
    assert_int_equal(t.from, 7);
    assert_string_equal(t.str, "hello");
    assert_int_equal(t.n, 10);
    assert_int_equal(t.any, -5);
    assert_true(t.x == 2.5);
    assert_int_equal(t.nseen, 2);
    assert_string_equal(t.seen[0], "p");
    assert_string_equal(t.seen[1], "q");
    assert_int_equal(npos, 2);
    assert_string_equal(pos[0], "a");
    assert_string_equal(pos[1], "b");

    /* "-" is positional; after "--" everything is */
    assert_int_equal(parse("- -- --flag -x", &t, pos, 4, &npos, msg), 0);
    assert_int_equal(npos, 3);
    assert_string_equal(pos[0], "-");
    assert_string_equal(pos[1], "--flag");
    assert_string_equal(pos[2], "-x");
    assert_int_equal(t.flag, 0);

    assert_int_equal(parse("a --help --bogus", &t, pos, 4, &npos, msg), 1);
    assert_int_equal(parse("-h", &t, pos, 4, &npos, msg), 1);
}

static void test_mistakes(void **state) {
    (void)state;
    struct t t;
    const char *pos[4];
    int npos;
    char msg[256];
    static const struct {
        const char *line, *msg;
    } cases[] = {
        {"--data d1", "unknown option \"--data\""},
        {"-z", "unknown option \"-z\""},
        {"--n d1", "option --n needs a number, got \"d1\""},
        {"--n 3x", "option --n needs a number, got \"3x\""},
        {"--n 0", "option --n: 0 is out of range 1..10"},
        {"--n 11", "option --n: 11 is out of range 1..10"},
        {"--any 99999999999999999999", "option --any needs a number, got \"99999999999999999999\""},
        {"--x nan", "option --x needs a number, got \"nan\""},
        {"--x", "option --x needs a value"},
        {"--str", "option --str needs a value"},
        {"--flag=1", "option --flag takes no value"},
        {"--add bad", "option --add: not this one"},
        {"a b c", "unexpected argument \"c\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(parse(cases[i].line, &t, pos, 2, &npos, msg), 2);
        assert_string_equal(msg, cases[i].msg);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_mistakes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
