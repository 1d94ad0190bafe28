/*
 * cmd_auth.c - `floe auth new` and `floe auth hash [KEY]`: making API keys
 * for the config's `auth:` section (docs/config.md). new prints a fresh
 * random key (32 bytes from getrandom, hex) and its hash; hash prints the
 * hash of KEY, or of the first line of stdin so that the key stays out of
 * the shell's history. The config stores only the hash.
 */
#include "cli/cli.h"
#include "core/auth.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

static void auth_usage(FILE *f) {
    fprintf(f, "usage: floe auth new           print a new random API key and its hash\n"
               "       floe auth hash [KEY]    print KEY's hash (KEY from stdin when absent)\n"
               "the config's auth.keys[].hash takes the hash: sha256:<64 hex>\n");
}

static int auth_new(void) {
    unsigned char raw[32];
    size_t got = 0;
    while (got < sizeof(raw)) {
        ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
        if (n <= 0) {
            fprintf(stderr, "floe auth new: no random bytes from the kernel\n");
            return 1;
        }
        got += (size_t)n;
    }
    char key[2 * sizeof(raw) + 1], hash[FL_AUTH_HASH_TEXT];
    for (size_t i = 0; i < sizeof(raw); i++) snprintf(key + 2 * i, 3, "%02x", raw[i]);
    fl_auth_hash_format(key, strlen(key), hash);
    printf("key:  %s\nhash: %s\n", key, hash);
    return 0;
}

static int auth_hash(const char *key) {
    char line[4096];
    if (!key) {
        if (!fgets(line, sizeof(line), stdin)) {
            fprintf(stderr, "floe auth hash: no key on stdin\n");
            return 2;
        }
        line[strcspn(line, "\r\n")] = 0;
        key = line;
    }
    if (!*key) {
        fprintf(stderr, "floe auth hash: empty key\n");
        return 2;
    }
    char hash[FL_AUTH_HASH_TEXT];
    fl_auth_hash_format(key, strlen(key), hash);
    printf("%s\n", hash);
    return 0;
}

int fl_cli_auth(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "new") && argc == 2) return auth_new();
    if (argc >= 2 && !strcmp(argv[1], "hash") && argc <= 3)
        return auth_hash(argc == 3 ? argv[2] : NULL);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        auth_usage(stdout);
        return 0;
    }
    auth_usage(stderr);
    return 2;
}
