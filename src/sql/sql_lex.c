/*
 * sql_lex.c - a small lexer for recognising statement shapes before
 * SQLite runs them (sql_count.c, sql_agg.c). It only has to accept a
 * subset of SQLite's tokens exactly: anything it does not know makes the
 * shape not match, and the statement runs unchanged.
 */
#include "sql/sql_lex.h"

#include <sqlite3.h>
#include <string.h>

size_t fl_sql_lex_space(const char *s, size_t i) {
    for (;;) {
        if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f') {
            i++;
        } else if (s[i] == '-' && s[i + 1] == '-') {
            while (s[i] && s[i] != '\n') i++;
        } else if (s[i] == '/' && s[i + 1] == '*') {
            const char *e = strstr(s + i + 2, "*/");
            if (!e) return strlen(s); /* SQLite accepts an unterminated final comment */
            i = (size_t)(e - s) + 2;
        } else {
            return i;
        }
    }
}

static int ident_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$' || (unsigned char)c >= 0x80;
}

int fl_sql_lex_keyword(const char *s, size_t *i, const char *kw) {
    size_t j = fl_sql_lex_space(s, *i), n = strlen(kw);
    if (sqlite3_strnicmp(s + j, kw, (int)n) != 0 || ident_char(s[j + n])) return 0;
    *i = j + n;
    return 1;
}

int fl_sql_lex_punct(const char *s, size_t *i, char c) {
    size_t j = fl_sql_lex_space(s, *i);
    if (s[j] != c) return 0;
    *i = j + 1;
    return 1;
}

int fl_sql_lex_ident(const char *s, size_t *i, char *out, size_t outsz) {
    size_t j = fl_sql_lex_space(s, *i), n = 0;
    char q = s[j] == '"' ? '"' : s[j] == '`' ? '`' : s[j] == '[' ? ']' : 0;
    if (q) {
        for (j++;; j++) {
            if (!s[j]) return 0;
            if (s[j] == q) {
                if (q != ']' && s[j + 1] == q) {
                    j++;
                } else {
                    break;
                }
            }
            if (out && n + 1 >= outsz) return 0;
            if (out) out[n++] = s[j];
        }
        *i = j + 1;
    } else {
        if (!ident_char(s[j]) || (s[j] >= '0' && s[j] <= '9')) return 0;
        while (ident_char(s[j])) {
            if (out && n + 1 >= outsz) return 0;
            if (out) out[n++] = s[j];
            j++;
        }
        *i = j;
    }
    if (out && outsz) out[n] = '\0';
    return 1;
}

void fl_sql_lex_words(const char *s, fl_sql_lex_word_fn fn, void *ctx) {
    size_t i = 0;
    char prev = 0; /* the last character of the previous token */
    while (s[i]) {
        size_t j = fl_sql_lex_space(s, i);
        if (j != i) {
            i = j;
            continue;
        }
        char c = s[i];
        if (c == '\'' || c == '"' || c == '`' || c == '[') {
            char close = c == '[' ? ']' : c;
            for (i++; s[i]; i++)
                if (s[i] == close) {
                    if (close != ']' && s[i + 1] == close) {
                        i++;
                        continue;
                    }
                    i++;
                    break;
                }
            prev = close;
            continue;
        }
        if (!ident_char(c) || (c >= '0' && c <= '9')) {
            /* a number is one token with its letters (1e5, 0x1F) */
            if (c >= '0' && c <= '9')
                while (ident_char(s[i]) || s[i] == '.') i++;
            else
                i++;
            prev = s[i - 1];
            continue;
        }
        size_t end = i;
        while (ident_char(s[end])) end++;
        size_t next = fn(ctx, s, i, end, prev);
        prev = s[end - 1];
        i = next > end ? next : end;
        if (next > end) prev = s[next - 1];
    }
}
