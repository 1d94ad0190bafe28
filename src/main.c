/*
 * main.c - the floe command line: dispatches `floe <command> ...` to the
 * command's implementation in src/cli/.
 */
#include "cli/cli.h"
#include "core/log.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"topic", fl_cli_topic, "durable log topics: create, list, describe, tail, delete"},
    {"up", fl_cli_up,
     "run floe: the durable log and the HTTP ingest server (until SIGINT/SIGTERM)"},
    {"parquet", fl_cli_parquet, "inspect, read and write Parquet files (schema, meta, cat, write)"},
    {"table", fl_cli_table,
     "Iceberg tables: create, list, describe, append, scan, snapshots, files, drop"},
    {"sql", fl_cli_sql, "SQL over the catalog's Iceberg tables and their metadata tables (SQLite)"},
    {"gen", fl_cli_gen,
     "the seeds' data generators against floe up (weather, datalake, clickstream, iot, ratings)"},
    {"config", fl_cli_config,
     "check a configuration file, or show the effective one with defaults"},
    {"status", fl_cli_status,
     "per pipeline of a running floe up: records in, rejected, committed, lag, commits"},
    {"auth", fl_cli_auth, "API keys for the config's auth: section: new, hash"},
    {"demo", fl_cli_demo, "write a sample Parquet file and read it back: what floe does today"},
    {"help", NULL, "list commands"},
};

static void usage(FILE *f) {
    fprintf(f, "usage: floe [--log-level LEVEL] <command> [args]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\n`floe <command> --help` tells more; `floe --version` prints the version.\n");
}

int main(int argc, char **argv) {
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0) {
            printf("floe %s\n", FLOE_VERSION);
            return 0;
        }
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc) {
            int lvl = fl_log_level_parse(argv[++i]);
            if (lvl < 0) {
                fprintf(stderr, "floe: unknown log level \"%s\"\n", argv[i]);
                return 2;
            }
            fl_log_set_level((fl_log_level_t)lvl);
            continue;
        }
        fprintf(stderr, "floe: unknown option \"%s\"\n", argv[i]);
        usage(stderr);
        return 2;
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[i];
    if (strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
        if (commands[k].run && strcmp(cmd, commands[k].name) == 0)
            return commands[k].run(argc - i, argv + i);
    fprintf(stderr, "floe: unknown command \"%s\" (try `floe help`)\n", cmd);
    return 2;
}
