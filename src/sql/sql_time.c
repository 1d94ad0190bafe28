/*
 * sql_time.c - dates and timestamps compared as values in floe sql.
 *
 * How it works: Iceberg's date, time, timestamp and timestamptz values
 * reach SQLite as text in one fixed form ('2026-01-08 14:00:00.000000+00:00',
 * sql_types.c), which users read and which SQLite's date functions take.
 * Compared as text, `ts = '2026-01-08 14:00:00'` would find nothing. So
 * those columns are declared COLLATE floe_time: SQLite then compares a
 * column with any text through this collation, which reads both sides as
 * the instant they name (fl_sql_time_parse; without zone: UTC) and
 * compares that. Values of one column always parse; the collation's order
 * on them is the values' order, so ORDER BY, GROUP BY and DISTINCT are
 * unchanged. A text that does not parse sorts after all that do (a total
 * order, as SQLite requires). The pushdown (sql_pred.c) and the aggregate
 * shortcut (sql_agg.c) read literals with the same parser, so every path
 * agrees with SQLite's own comparison.
 *
 * Trino's typed literals, TIMESTAMP '...' and DATE '...', are not SQLite
 * syntax: fl_sql_time_literals blanks the type word before a statement
 * is prepared, leaving the string, which the collation reads.
 */
#include "sql/sql_time.h"

#include "core/mem.h"
#include "core/time.h"
#include "sql/sql.h"
#include "sql/sql_lex.h"

#include <string.h>

int fl_sql_time_parse(const char *s, size_t n, int64_t *us) {
    char buf[64];
    if (n == 0 || n >= sizeof(buf)) return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (n > 4 && !strcmp(buf + n - 4, " UTC")) n -= 4; /* Trino's timestamptz text */
    int32_t days;
    if (fl_time_parse_iso(buf, n, us) == FL_OK) return 1;
    /* an hour ('2026-01-08 14') and a month ('2026-01') mean their start */
    if (n == 13 && (buf[10] == ' ' || buf[10] == 'T')) buf[10] = '-';
    if (n == 7) {
        memcpy(buf + 7, "-01", 4);
        n = 10;
    }
    if (fl_time_parse_hour_stamp(buf, n, us) == FL_OK) return 1;
    if (n == 10 && fl_time_parse_date(buf, n, &days) == FL_OK) {
        *us = (int64_t)days * FL_US_PER_DAY;
        return 1;
    }
    if (n >= 5 && buf[2] == ':' && fl_time_parse_time(buf, n, us) == FL_OK) return 1;
    return 0;
}

/* The fixed forms floe itself prints compare as text: the same shape and
 * no zone but UTC's. */
static int same_fixed_form(const unsigned char *a, const unsigned char *b, int n) {
    if (n != 10 && n != 15 && n != 26 && n != 32) return 0;
    if (n == 32 && (memcmp(a + 26, "+00:00", 6) != 0 || memcmp(b + 26, "+00:00", 6) != 0)) return 0;
    int body = n == 32 ? 26 : n;
    for (int i = 0; i < body; i++) {
        int da = a[i] >= '0' && a[i] <= '9', db = b[i] >= '0' && b[i] <= '9';
        if (da != db || (!da && a[i] != b[i])) return 0;
    }
    return 1;
}

static int binary_cmp(const void *a, int na, const void *b, int nb) {
    int m = na < nb ? na : nb;
    int c = m > 0 ? memcmp(a, b, (size_t)m) : 0;
    return c ? c : (na > nb) - (na < nb);
}

static int time_collate(void *ctx, int na, const void *a, int nb, const void *b) {
    (void)ctx;
    if (na == nb && same_fixed_form(a, b, na)) return memcmp(a, b, (size_t)na);
    int64_t x, y;
    int px = fl_sql_time_parse(a, (size_t)na, &x), py = fl_sql_time_parse(b, (size_t)nb, &y);
    if (px && py) return (x > y) - (x < y);
    if (px != py) return px ? -1 : 1;
    return binary_cmp(a, na, b, nb);
}

int fl_sql_time_register(sqlite3 *db) {
    return sqlite3_create_collation_v2(db, FL_SQL_TIME_COLLATION, SQLITE_UTF8, NULL, time_collate,
                                       NULL);
}

/* The word s[i..] equals w (case-insensitively): its end, else 0. */
static size_t word_is(const char *s, size_t i, const char *w) {
    size_t n = strlen(w);
    size_t k = i;
    if (sqlite3_strnicmp(s + i, w, (int)n) != 0) return 0;
    k += n;
    char c = s[k];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
        c == '$' || (unsigned char)c >= 0x80)
        return 0;
    return k;
}

/* After a type word ending at i: the quote of its literal, or 0. */
static size_t literal_after(const char *s, size_t i, int zoned) {
    size_t j = fl_sql_lex_space(s, i), e;
    if (zoned && ((e = word_is(s, j, "WITH")) || (e = word_is(s, j, "WITHOUT")))) {
        j = fl_sql_lex_space(s, e);
        if (!(e = word_is(s, j, "TIME"))) return 0;
        j = fl_sql_lex_space(s, e);
        if (!(e = word_is(s, j, "ZONE"))) return 0;
        j = fl_sql_lex_space(s, e);
    }
    return s[j] == '\'' ? j : 0;
}

/* fl_sql_lex_words' callback: blanks a type word and what follows it up
 * to its literal's quote. */
static size_t blank_type_word(void *ctx, const char *s, size_t i, size_t end, char prev) {
    char *w = ctx;
    size_t e, q = 0;
    if (prev == '.') return end;
    if (end - i == 9 && (e = word_is(s, i, "TIMESTAMP")))
        q = literal_after(s, e, 1);
    else if (end - i == 4 && (e = word_is(s, i, "TIME")))
        q = literal_after(s, e, 1);
    else if (end - i == 4 && (e = word_is(s, i, "DATE")))
        q = literal_after(s, e, 0);
    if (!q) return end;
    memset(w + i, ' ', q - i);
    return q;
}

void fl_sql_time_literals(char *s) { fl_sql_lex_words(s, blank_type_word, s); }

char *fl_sql_text_dup(const char *text) {
    char *s = fl_strdup(text);
    fl_sql_time_literals(s);
    return s;
}
