/* temporary: replaced by cmd_parquet.c and cmd_demo.c */
#include "cli/cli.h"
#include <stdio.h>
int fl_cli_parquet(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "not yet\n"); return 1; }
int fl_cli_demo(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "not yet\n"); return 1; }
