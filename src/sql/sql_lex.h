/*
 * sql_lex.h - the few SQL tokens the statement-shape recognisers of
 * sql_count.c and sql_agg.c read: space and comments, keywords,
 * punctuation, identifiers (bare or quoted).
 */
#ifndef FL_SQL_SQL_LEX_H
#define FL_SQL_SQL_LEX_H

#include <stddef.h>

/* Skips whitespace and comments from s[i]; returns the next index. */
size_t fl_sql_lex_space(const char *s, size_t i);
/* Matches keyword kw (case-insensitive, not followed by an identifier
 * character) at s[*i] after space; advances past it. Returns 1 or 0. */
int fl_sql_lex_keyword(const char *s, size_t *i, const char *kw);
/* Matches the character c at s[*i] after space; advances past it. */
int fl_sql_lex_punct(const char *s, size_t *i, char c);
/* Matches one identifier, bare or quoted ("", [], ``), at s[*i] after
 * space; advances past it. With out (outsz > 0) the name, dequoted, is
 * copied there; a name that does not fit does not match. */
int fl_sql_lex_ident(const char *s, size_t *i, char *out, size_t outsz);
/* Called for a bare word s[start..end) with the last character of the
 * token before it (0 at the start); returns where to go on (>= end). */
typedef size_t (*fl_sql_lex_word_fn)(void *ctx, const char *s, size_t start, size_t end, char prev);
/* Calls fn for each bare word of s outside strings, quoted names and
 * comments (fl_sql_time_literals, iceberg_scan). */
void fl_sql_lex_words(const char *s, fl_sql_lex_word_fn fn, void *ctx);

#endif
