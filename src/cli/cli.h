/*
 * cli.h - the subcommands of the floe binary. Each takes the arguments
 * from its own name on (argv[0] is the command name) and returns the
 * process exit code: 0 success, 1 failure, 2 usage error.
 */
#ifndef FL_CLI_CLI_H
#define FL_CLI_CLI_H

int fl_cli_parquet(int argc, char **argv);
int fl_cli_demo(int argc, char **argv);
int fl_cli_table(int argc, char **argv);
int fl_cli_gen(int argc, char **argv);
int fl_cli_sql(int argc, char **argv);
int fl_cli_up(int argc, char **argv);
int fl_cli_topic(int argc, char **argv);
int fl_cli_config(int argc, char **argv);
int fl_cli_status(int argc, char **argv);
int fl_cli_auth(int argc, char **argv);

#endif
