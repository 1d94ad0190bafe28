/*
 * sql_agg.c - single-table aggregate statements answered in C from the
 * table's decoded column batches, without SQLite stepping (and sorting)
 * a row per record:
 *   SELECT <g1..gk>, <aggregates> FROM t [WHERE <terms>] [GROUP BY g1..gk]
 *   [ORDER BY g..]
 * with count(*), count(c), sum(c), avg(c), min(c), max(c), and WHERE a
 * conjunction of `c op literal` / `c IS [NOT] NULL`.
 *
 * How it works: as in sql_count.c, three checks must agree or the
 * statement runs unchanged (the general path):
 *   1. the text has the shape (fl_sql_agg_shape, over sql_lex.c);
 *   2. SQLite's authorizer, while a copy is prepared, reports one
 *      SELECT, only the aggregate functions the text names, reads of one
 *      table's columns the text names, and nothing else (a view, a
 *      function hidden in one, a second table all add something);
 *   3. the copy is stepped with env->agg_probe set: the "floe" cursor
 *      SQLite's own name resolution opened reports its table and declared
 *      schema, when its plan has no LIMIT or time travel; any other
 *      cursor is a miss.
 * The names are then resolved against that declared schema (as SQLite
 * resolved them: case-insensitively) and every column must have a type
 * whose SQLite values the aggregation reproduces exactly: boolean, int,
 * long (integers), double (NaN is NULL in SQLite), string (text, BINARY
 * collation). The table's current snapshot is scanned with the same
 * projection and pruning predicates (sql_pred.c) the cursor would use; a
 * snapshot with delete files falls back. WHERE terms are tested on every
 * row as SQLite's comparison would (term_ok lists the column and literal
 * types for which that is exact; any other falls back). Rows go into a
 * hash table keyed by the group values; each aggregate follows SQLite
 * 3.40's func.c: sum/avg add doubles in scan order with plain double
 * addition (SQLite's GROUP BY sorter keeps scan order within a group),
 * integer sums that overflow fall back (SQLite reports "integer
 * overflow"), min/max keep the first of equal values, count(c) skips
 * NULLs. Groups come out sorted as SQLite's GROUP BY sorter emits them
 * (NULL first, integers by value, text by memcmp then length) on the
 * GROUP BY columns, or on the ORDER BY columns when given. The result
 * replaces the statement through "floe$rows" (sql_rows.c) with the
 * original column names.
 */
#include "sql/sql_agg.h"

#include "core/mem.h"
#include "core/time.h"
#include "sql/sql_int.h"
#include "sql/sql_lex.h"
#include "sql/sql_pred.h"
#include "sql/sql_rows.h"
#include "sql/sql_time.h"
#include "sql/sql_types.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* groups x (keys + aggregates + 1) past this fall back (memory: each
 * cell is a struct key or struct acc, under 80 bytes) */
#define MAX_CELLS ((size_t)1 << 22)
#define HASH_SEED 0x84222325cbf29ce4ULL

static fl_sql_agg_fn_t fn_by_name(const char *n) {
    static const struct {
        const char *name;
        fl_sql_agg_fn_t fn;
    } fns[] = {{"count", FL_SQL_AGG_COUNT},
               {"sum", FL_SQL_AGG_SUM},
               {"avg", FL_SQL_AGG_AVG},
               {"min", FL_SQL_AGG_MIN},
               {"max", FL_SQL_AGG_MAX}};
    for (size_t k = 0; k < sizeof(fns) / sizeof(fns[0]); k++)
        if (sqlite3_stricmp(n, fns[k].name) == 0) return fns[k].fn;
    return FL_SQL_AGG_COLUMN;
}

static int group_index(const struct fl_sql_agg_shape *sh, const char *name) {
    for (int g = 0; g < sh->ngroup; g++)
        if (sqlite3_stricmp(sh->group[g], name) == 0) return g;
    return -1;
}

/* One select item at s[*i]: a column or an aggregate call. */
static int parse_item(const char *s, size_t *i, struct fl_sql_agg_shape *out) {
    if (out->nitems >= FL_SQL_AGG_ITEMS) return 0;
    char name[FL_SQL_NAME_MAX];
    if (!fl_sql_lex_ident(s, i, name, sizeof(name))) return 0;
    int k = out->nitems++;
    if (!fl_sql_lex_punct(s, i, '(')) {
        out->items[k].fn = FL_SQL_AGG_COLUMN;
        memcpy(out->items[k].col, name, sizeof(name));
        return 1;
    }
    fl_sql_agg_fn_t fn = fn_by_name(name);
    if (fn == FL_SQL_AGG_COLUMN) return 0;
    out->items[k].col[0] = '\0';
    if (fn == FL_SQL_AGG_COUNT && fl_sql_lex_punct(s, i, '*'))
        fn = FL_SQL_AGG_COUNT_STAR;
    else if (!fl_sql_lex_ident(s, i, out->items[k].col, sizeof(out->items[k].col)))
        return 0;
    out->items[k].fn = fn;
    return fl_sql_lex_punct(s, i, ')');
}

/* A literal at s[*i]: an integer (optionally negative, no sign space, no
 * fraction or exponent) or a '...' string. */
static int parse_literal(const char *s, size_t *i, int *type, int64_t *v, char *text, size_t *n) {
    size_t j = fl_sql_lex_space(s, *i);
    if (s[j] == '\'') {
        size_t k = 0;
        for (j++;; j++) {
            if (!s[j]) return 0;
            if (s[j] == '\'') {
                if (s[j + 1] != '\'') break;
                j++;
            }
            if (k + 1 >= FL_SQL_NAME_MAX) return 0;
            text[k++] = s[j];
        }
        text[k] = '\0';
        *n = k;
        *type = SQLITE_TEXT;
        *i = j + 1;
        return 1;
    }
    int neg = s[j] == '-';
    if (neg) j++;
    if (s[j] < '0' || s[j] > '9') return 0;
    uint64_t u = 0;
    for (; s[j] >= '0' && s[j] <= '9'; j++) {
        if (u > (UINT64_MAX - 9) / 10) return 0;
        u = u * 10 + (uint64_t)(s[j] - '0');
    }
    if (s[j] == '.' || s[j] == 'e' || s[j] == 'E' || u > (uint64_t)INT64_MAX) return 0;
    *v = neg ? (int64_t)(0 - u) : (int64_t)u;
    *type = SQLITE_INTEGER;
    *i = j;
    return 1;
}

/* One WHERE term at s[*i]: col op literal, or col IS [NOT] NULL. */
static int parse_term(const char *s, size_t *i, struct fl_sql_agg_shape *out) {
    if (out->nwhere >= FL_SQL_AGG_TERMS) return 0;
    int k = out->nwhere++;
    if (!fl_sql_lex_ident(s, i, out->where[k].col, FL_SQL_NAME_MAX)) return 0;
    if (fl_sql_lex_keyword(s, i, "IS")) {
        int not = fl_sql_lex_keyword(s, i, "NOT");
        if (!fl_sql_lex_keyword(s, i, "NULL")) return 0;
        out->where[k].op = not ? SQLITE_INDEX_CONSTRAINT_ISNOTNULL : SQLITE_INDEX_CONSTRAINT_ISNULL;
        out->where[k].lit = SQLITE_NULL;
        return 1;
    }
    size_t j = fl_sql_lex_space(s, *i);
    int op;
    if (s[j] == '=') {
        op = SQLITE_INDEX_CONSTRAINT_EQ, j += s[j + 1] == '=' ? 2 : 1;
    } else if (s[j] == '<') {
        if (s[j + 1] == '>') return 0;
        op = s[j + 1] == '=' ? SQLITE_INDEX_CONSTRAINT_LE : SQLITE_INDEX_CONSTRAINT_LT;
        j += s[j + 1] == '=' ? 2 : 1;
    } else if (s[j] == '>') {
        op = s[j + 1] == '=' ? SQLITE_INDEX_CONSTRAINT_GE : SQLITE_INDEX_CONSTRAINT_GT;
        j += s[j + 1] == '=' ? 2 : 1;
    } else {
        return 0;
    }
    *i = j;
    out->where[k].op = op;
    return parse_literal(s, i, &out->where[k].lit, &out->where[k].i, out->where[k].text,
                         &out->where[k].n);
}

int fl_sql_agg_shape(const char *s, struct fl_sql_agg_shape *out) {
    size_t i = 0;
    memset(out, 0, sizeof(*out));
    if (!s || !fl_sql_lex_keyword(s, &i, "SELECT")) return 0;
    do {
        if (!parse_item(s, &i, out)) return 0;
    } while (fl_sql_lex_punct(s, &i, ','));
    if (!fl_sql_lex_keyword(s, &i, "FROM") || !fl_sql_lex_ident(s, &i, NULL, 0)) return 0;
    if (fl_sql_lex_punct(s, &i, '.') && !fl_sql_lex_ident(s, &i, NULL, 0)) return 0;
    if (fl_sql_lex_keyword(s, &i, "WHERE")) {
        do {
            if (!parse_term(s, &i, out)) return 0;
        } while (fl_sql_lex_keyword(s, &i, "AND"));
    }
    if (fl_sql_lex_keyword(s, &i, "GROUP")) {
        if (!fl_sql_lex_keyword(s, &i, "BY")) return 0;
        do {
            if (out->ngroup >= FL_SQL_AGG_KEYS) return 0;
            char *g = out->group[out->ngroup];
            if (!fl_sql_lex_ident(s, &i, g, FL_SQL_NAME_MAX) || group_index(out, g) >= 0) return 0;
            out->ngroup++;
        } while (fl_sql_lex_punct(s, &i, ','));
    }
    if (fl_sql_lex_keyword(s, &i, "ORDER")) {
        if (!out->ngroup || !fl_sql_lex_keyword(s, &i, "BY")) return 0;
        int seen = 0;
        do {
            char name[FL_SQL_NAME_MAX];
            if (out->norder >= out->ngroup || !fl_sql_lex_ident(s, &i, name, sizeof(name)))
                return 0;
            int g = group_index(out, name);
            if (g < 0 || (seen & (1 << g))) return 0;
            seen |= 1 << g;
            out->order[out->norder++] = g;
            fl_sql_lex_keyword(s, &i, "ASC");
        } while (fl_sql_lex_punct(s, &i, ','));
        if (out->norder != out->ngroup) return 0;
    }
    fl_sql_lex_punct(s, &i, ';');
    if (s[fl_sql_lex_space(s, i)] != '\0') return 0;
    /* a plain column must be grouped; without GROUP BY only aggregates */
    for (int k = 0; k < out->nitems; k++)
        if (out->items[k].fn == FL_SQL_AGG_COLUMN && group_index(out, out->items[k].col) < 0)
            return 0;
    if (!out->norder)
        for (int g = 0; g < out->ngroup; g++) out->order[g] = g;
    return 1;
}

/* What the authorizer saw while a copy was prepared. */
struct auth_seen {
    const struct fl_sql_agg_shape *sh;
    int selects, funcs, others;
    char table[FL_SQL_NAME_MAX];
};

static int named_in_shape(const struct fl_sql_agg_shape *sh, const char *col) {
    if (!col[0] || group_index(sh, col) >= 0) return 1;
    for (int k = 0; k < sh->nitems; k++)
        if (sqlite3_stricmp(sh->items[k].col, col) == 0) return 1;
    for (int k = 0; k < sh->nwhere; k++)
        if (sqlite3_stricmp(sh->where[k].col, col) == 0) return 1;
    return 0;
}

static int observe(void *ctx, int code, const char *a, const char *b, const char *db,
                   const char *trigger) {
    (void)db, (void)trigger;
    struct auth_seen *s = ctx;
    if (code == SQLITE_SELECT) {
        s->selects++;
    } else if (code == SQLITE_FUNCTION && b && fn_by_name(b) != FL_SQL_AGG_COLUMN) {
        s->funcs++;
    } else if (code == SQLITE_READ && a && b && named_in_shape(s->sh, b) &&
               strlen(a) < sizeof(s->table) && (!s->table[0] || strcmp(s->table, a) == 0)) {
        memcpy(s->table, a, strlen(a) + 1);
    } else {
        s->others++;
    }
    return SQLITE_OK;
}

/* One aggregate's state for one group (func.c's SumCtx, and min/max's
 * best value). */
struct acc {
    int64_t cnt, isum, bi;
    double rsum, bd;
    uint8_t overflow, approx, has;
    char *bs; /* min/max of text: the best value, owned */
    size_t bn, bcap;
};

/* One group key value; text at off in the key heap. */
struct key {
    int null;
    int64_t i;
    size_t off, n;
};

/* A column the statement reads: its declared type and batch column. */
struct use {
    fl_type_id_t type;
    int col; /* index in the current schema (= the batch) */
    /* a temporal column against a text literal: the instant the
     * literal names (fl_sql_time_parse), compared as the column's
     * collation compares (sql_time.c) */
    int64_t lit_us;
};

struct agg {
    const struct fl_sql_agg_shape *sh;
    int nk, na; /* group keys, aggregates */
    struct use keys[FL_SQL_AGG_KEYS];
    struct use args[FL_SQL_AGG_ITEMS]; /* per aggregate (count(*): col -1) */
    fl_sql_agg_fn_t fns[FL_SQL_AGG_ITEMS];
    size_t ngroups, gcap, slots_cap;
    struct key *gkeys;   /* ngroups * nk */
    struct acc *accs;    /* ngroups * na */
    uint64_t *ghash;     /* per group */
    uint32_t *slots;     /* group index + 1, 0 = empty */
    struct fl_buf kheap; /* text of keys */
    struct key row[FL_SQL_AGG_KEYS];
    int overflow;                       /* an integer sum overflowed: SQLite reports an error */
    struct use wcols[FL_SQL_AGG_TERMS]; /* per WHERE term */
    uint8_t *sel;                       /* per row of a batch: passes WHERE */
    size_t selcap;
};

static int type_ok(fl_sql_agg_fn_t fn, fl_type_id_t t) {
    int integer = t == FL_TYPE_BOOLEAN || t == FL_TYPE_INT || t == FL_TYPE_LONG;
    switch (fn) {
    case FL_SQL_AGG_COLUMN:
        return integer || t == FL_TYPE_STRING;
    case FL_SQL_AGG_SUM:
    case FL_SQL_AGG_AVG:
        return integer || t == FL_TYPE_DOUBLE;
    default:
        return integer || t == FL_TYPE_DOUBLE || t == FL_TYPE_STRING;
    }
}

/* Resolves name in the declared schema as SQLite does (case-insensitive,
 * first match; ambiguity falls back) and checks its type against the
 * current schema's. */
static int resolve(const struct fl_schema *decl, const struct fl_schema *now, const char *name,
                   int (*ok)(fl_sql_agg_fn_t, fl_type_id_t), fl_sql_agg_fn_t fn, struct use *u) {
    int found = -1;
    for (int c = 0; c < decl->nfields; c++) {
        if (sqlite3_stricmp(decl->fields[c].name, name) != 0) continue;
        if (found >= 0) return 0;
        found = c;
    }
    if (found < 0 || (ok && !ok(fn, decl->fields[found].type))) return 0;
    int idx = fl_schema_index_by_id(now, decl->fields[found].id);
    if (idx < 0 || now->fields[idx].type != decl->fields[found].type) return 0;
    u->type = decl->fields[found].type;
    u->col = idx;
    return 1;
}

static double dbl_at(const struct fl_col *col, size_t r) {
    double x;
    memcpy(&x, col->values + r * 8, 8);
    return x;
}

/* NULL as SQLite sees it: a null slot, or a NaN double. */
static int is_null(const struct fl_col *col, fl_type_id_t t, size_t r) {
    return fl_col_is_null(col, r) || (t == FL_TYPE_DOUBLE && isnan(dbl_at(col, r)));
}

static uint64_t mix(uint64_t h, uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h;
}

/* Text order of SQLite's BINARY collation: memcmp, then length. */
static int text_cmp(const void *a, size_t an, const void *b, size_t bn) {
    size_t n = an < bn ? an : bn;
    int c = n ? memcmp(a, b, n) : 0; /* an empty best value has no buffer */
    return c ? (c < 0 ? -1 : 1) : (an < bn ? -1 : an > bn);
}

static const uint8_t *key_text(const struct agg *ag, const struct key *k) {
    return k->n ? ag->kheap.data + k->off : (const uint8_t *)"";
}

/* Finds (or adds) the group of the current row's keys (ag->row); the
 * row's text keys point into the batch (off is a pointer cast). */
static fl_err_t find_group(struct agg *ag, uint64_t h, size_t *out) {
    size_t mask = ag->slots_cap - 1;
    for (size_t s = h & mask;; s = (s + 1) & mask) {
        uint32_t g1 = ag->slots[s];
        if (!g1) {
            if ((ag->ngroups + 1) * (size_t)(ag->nk + ag->na + 1) > MAX_CELLS) return FL_ERR_LIMIT;
            size_t g = ag->ngroups++;
            if (g == ag->gcap) {
                ag->gcap = ag->gcap ? ag->gcap * 2 : 64;
                ag->gkeys = fl_reallocarray(ag->gkeys, ag->gcap * (size_t)(ag->nk ? ag->nk : 1),
                                            sizeof(*ag->gkeys));
                ag->accs = fl_reallocarray(ag->accs, ag->gcap * (size_t)(ag->na ? ag->na : 1),
                                           sizeof(*ag->accs));
                ag->ghash = fl_reallocarray(ag->ghash, ag->gcap, sizeof(*ag->ghash));
            }
            for (int k = 0; k < ag->nk; k++) {
                struct key *dst = &ag->gkeys[g * (size_t)ag->nk + (size_t)k];
                *dst = ag->row[k];
                if (ag->keys[k].type == FL_TYPE_STRING && !dst->null) {
                    dst->off = ag->kheap.len;
                    if (fl_buf_append(&ag->kheap, (const void *)(uintptr_t)ag->row[k].off,
                                      ag->row[k].n))
                        return FL_ERR_NOMEM;
                }
            }
            memset(&ag->accs[g * (size_t)ag->na], 0, (size_t)ag->na * sizeof(*ag->accs));
            ag->ghash[g] = h;
            ag->slots[s] = (uint32_t)(g + 1);
            *out = g;
            if (ag->ngroups * 2 > ag->slots_cap) { /* grow and rehash */
                fl_free(ag->slots);
                ag->slots_cap *= 2;
                ag->slots = fl_calloc(ag->slots_cap, sizeof(*ag->slots));
                for (size_t x = 0; x < ag->ngroups; x++) {
                    size_t t = ag->ghash[x] & (ag->slots_cap - 1);
                    while (ag->slots[t]) t = (t + 1) & (ag->slots_cap - 1);
                    ag->slots[t] = (uint32_t)(x + 1);
                }
            }
            return FL_OK;
        }
        size_t g = g1 - 1;
        if (ag->ghash[g] != h) continue;
        int same = 1;
        for (int k = 0; k < ag->nk && same; k++) {
            const struct key *a = &ag->gkeys[g * (size_t)ag->nk + (size_t)k], *b = &ag->row[k];
            if (a->null || b->null)
                same = a->null == b->null;
            else if (ag->keys[k].type == FL_TYPE_STRING)
                same = a->n == b->n &&
                       memcmp(key_text(ag, a), (const void *)(uintptr_t)b->off, a->n) == 0;
            else
                same = a->i == b->i;
        }
        if (same) {
            *out = g;
            return FL_OK;
        }
    }
}

/* Adds row r of batch column col (type t) to acc as SQLite's step
 * function fn would. */
static fl_err_t step(struct agg *ag, struct acc *a, fl_sql_agg_fn_t fn, const struct fl_col *col,
                     fl_type_id_t t, size_t r) {
    if (fn == FL_SQL_AGG_COUNT_STAR) {
        a->cnt++;
        return FL_OK;
    }
    if (is_null(col, t, r)) return FL_OK;
    if (fn == FL_SQL_AGG_COUNT) {
        a->cnt++;
        return FL_OK;
    }
    if (fn == FL_SQL_AGG_SUM || fn == FL_SQL_AGG_AVG) {
        a->cnt++;
        if (t == FL_TYPE_DOUBLE) {
            a->rsum += dbl_at(col, r);
            a->approx = 1;
        } else {
            int64_t v = fl_col_int(col, r);
            a->rsum += (double)v;
            if (!(a->approx | a->overflow) && __builtin_add_overflow(a->isum, v, &a->isum)) {
                a->approx = a->overflow = 1;
                if (fn == FL_SQL_AGG_SUM) ag->overflow = 1;
            }
        }
        return FL_OK;
    }
    int want = fn == FL_SQL_AGG_MAX ? 1 : -1, cmp;
    if (t == FL_TYPE_STRING) {
        size_t n;
        const uint8_t *p = fl_col_bytes(col, r, &n);
        cmp = a->has ? text_cmp(p, n, a->bs, a->bn) : want;
        if (cmp == want) {
            if (n > a->bcap) {
                a->bcap = n * 2;
                fl_free(a->bs);
                a->bs = fl_malloc(a->bcap);
            }
            if (n) memcpy(a->bs, p, n);
            a->bn = n;
        }
    } else if (t == FL_TYPE_DOUBLE) {
        double d = dbl_at(col, r);
        cmp = !a->has ? want : d < a->bd ? -1 : d > a->bd;
        if (cmp == want) a->bd = d;
    } else {
        int64_t v = fl_col_int(col, r);
        cmp = !a->has ? want : v < a->bi ? -1 : v > a->bi;
        if (cmp == want) a->bi = v;
    }
    a->has = 1;
    return FL_OK;
}

static int temporal(fl_type_id_t t) {
    return t == FL_TYPE_DATE || t == FL_TYPE_TIMESTAMP || t == FL_TYPE_TIMESTAMPTZ;
}

/* Reads, for a temporal column compared with a text literal, the
 * instant the literal names (term_ok checked that it parses). */
static void temporal_literal(const struct fl_sql_agg_shape *sh, int k, struct use *u) {
    u->lit_us = 0;
    if (temporal(u->type) && sh->where[k].lit == SQLITE_TEXT)
        fl_sql_time_parse(sh->where[k].text, sh->where[k].n, &u->lit_us);
}

/* A row's temporal value as the collation reads its text: the instant,
 * or 0 when the text (a year outside 0001-9999) does not parse. */
static int temporal_us(fl_type_id_t t, int64_t v, int64_t *us) {
    if (t == FL_TYPE_DATE) {
        if (v < FL_DATE_MIN_DAYS || v > FL_DATE_MAX_DAYS) return 0;
        *us = v * FL_US_PER_DAY;
        return 1;
    }
    *us = v;
    return v >= FL_TIME_MIN_US && v <= FL_TIME_MAX_US;
}

/* 1 when SQLite's comparison of a column of type t with the term's
 * literal is reproduced exactly by term_true: integers with integers;
 * doubles with integers a double holds exactly; text with text (BINARY);
 * dates and timestamps (compared as instants by their collation,
 * sql_time.c) with text that names an instant (fl_sql_time_parse: such
 * text has a '-' or ':', so NUMERIC affinity leaves it as text); IS [NOT]
 * NULL on the types above but temporal ones. */
static int term_ok(const struct fl_sql_agg_shape *sh, int k, fl_type_id_t t) {
    int integer = t == FL_TYPE_BOOLEAN || t == FL_TYPE_INT || t == FL_TYPE_LONG;
    const char *x = sh->where[k].text;
    int64_t us;
    switch (sh->where[k].lit) {
    case SQLITE_NULL:
        return integer || t == FL_TYPE_DOUBLE || t == FL_TYPE_STRING;
    case SQLITE_INTEGER:
        return integer || (t == FL_TYPE_DOUBLE && sh->where[k].i <= ((int64_t)1 << 53) &&
                           sh->where[k].i >= -((int64_t)1 << 53));
    default:
        if (t == FL_TYPE_STRING) return 1;
        return temporal(t) && fl_sql_time_parse(x, sh->where[k].n, &us);
    }
}

/* The term's truth on row r of col (type t), as SQLite's comparison. */
static int term_true(const struct fl_sql_agg_shape *sh, int k, const struct use *u,
                     const struct fl_col *col, fl_type_id_t t, size_t r) {
    int op = sh->where[k].op, null = is_null(col, t, r), cmp;
    int64_t tv;
    if (op == SQLITE_INDEX_CONSTRAINT_ISNULL) return null;
    if (op == SQLITE_INDEX_CONSTRAINT_ISNOTNULL) return !null;
    if (null) return 0;
    if (t == FL_TYPE_STRING) {
        size_t n;
        const uint8_t *p = fl_col_bytes(col, r, &n);
        cmp = text_cmp(p, n, sh->where[k].text, sh->where[k].n);
    } else if (temporal(t)) {
        /* text that does not parse sorts after every instant */
        cmp = temporal_us(t, fl_col_int(col, r), &tv) ? (tv > u->lit_us) - (tv < u->lit_us) : 1;
    } else if (t == FL_TYPE_DOUBLE) {
        double d = dbl_at(col, r), v = (double)sh->where[k].i;
        cmp = d < v ? -1 : d > v;
    } else {
        int64_t v = fl_col_int(col, r);
        cmp = v < sh->where[k].i ? -1 : v > sh->where[k].i;
    }
    switch (op) {
    case SQLITE_INDEX_CONSTRAINT_EQ:
        return cmp == 0;
    case SQLITE_INDEX_CONSTRAINT_LT:
        return cmp < 0;
    case SQLITE_INDEX_CONSTRAINT_LE:
        return cmp <= 0;
    case SQLITE_INDEX_CONSTRAINT_GT:
        return cmp > 0;
    default:
        return cmp >= 0;
    }
}

/* Marks in ag->sel the rows of b that pass every WHERE term. */
static void select_rows(struct agg *ag, const struct fl_batch *b) {
    if (b->nrows > ag->selcap) {
        fl_free(ag->sel);
        ag->selcap = b->nrows * 2;
        ag->sel = fl_malloc(ag->selcap);
    }
    memset(ag->sel, 1, b->nrows);
    for (int k = 0; k < ag->sh->nwhere; k++) {
        const struct fl_col *col = &b->cols[ag->wcols[k].col];
        for (size_t r = 0; r < b->nrows; r++)
            if (ag->sel[r])
                ag->sel[r] =
                    (uint8_t)term_true(ag->sh, k, &ag->wcols[k], col, ag->wcols[k].type, r);
    }
}

/* Aggregates one batch. */
static fl_err_t add_batch(struct agg *ag, const struct fl_batch *b) {
    const struct fl_col *kc[FL_SQL_AGG_KEYS], *ac[FL_SQL_AGG_ITEMS];
    for (int k = 0; k < ag->nk; k++) kc[k] = &b->cols[ag->keys[k].col];
    for (int a = 0; a < ag->na; a++)
        ac[a] = ag->args[a].col >= 0 ? &b->cols[ag->args[a].col] : NULL;
    if (ag->sh->nwhere) select_rows(ag, b);
    for (size_t r = 0; r < b->nrows; r++) {
        if (ag->sh->nwhere && !ag->sel[r]) continue;
        uint64_t h = HASH_SEED;
        for (int k = 0; k < ag->nk; k++) {
            struct key *key = &ag->row[k];
            key->null = fl_col_is_null(kc[k], r);
            if (key->null) {
                h = mix(h, 0x6e756c6c);
            } else if (ag->keys[k].type == FL_TYPE_STRING) {
                const uint8_t *p = fl_col_bytes(kc[k], r, &key->n);
                key->off = (size_t)(uintptr_t)p;
                uint64_t x = 0xcbf29ce484222325ULL;
                for (size_t j = 0; j < key->n; j++) x = (x ^ p[j]) * 0x100000001b3ULL;
                h = mix(h, x);
            } else {
                key->i = fl_col_int(kc[k], r);
                h = mix(h, (uint64_t)key->i);
            }
        }
        size_t g;
        fl_err_t rc = find_group(ag, h, &g);
        if (rc) return rc;
        struct acc *acc = &ag->accs[g * (size_t)ag->na];
        for (int a = 0; a < ag->na; a++)
            if ((rc = step(ag, &acc[a], ag->fns[a], ac[a], ag->args[a].type, r))) return rc;
    }
    return FL_OK;
}

static fl_err_t scan_batch(void *ag, const struct fl_batch *b, const char *path, const int64_t *pos,
                           struct fl_error *err) {
    (void)path, (void)pos, (void)err;
    return add_batch(ag, b);
}

struct order_item {
    const struct agg *ag;
    size_t g;
};

/* SQLite's sorter order of two groups on the ORDER BY (or GROUP BY)
 * columns: NULL first, integers by value, text by BINARY. */
static int group_cmp(const void *x, const void *y) {
    const struct order_item *a = x, *b = y;
    const struct agg *ag = a->ag;
    for (int o = 0; o < ag->nk; o++) {
        int k = ag->sh->order[o];
        const struct key *ka = &ag->gkeys[a->g * (size_t)ag->nk + (size_t)k];
        const struct key *kb = &ag->gkeys[b->g * (size_t)ag->nk + (size_t)k];
        int c;
        if (ka->null || kb->null)
            c = kb->null - ka->null;
        else if (ag->keys[k].type == FL_TYPE_STRING)
            c = text_cmp(key_text(ag, ka), ka->n, key_text(ag, kb), kb->n);
        else
            c = ka->i < kb->i ? -1 : ka->i > kb->i;
        if (c) return c;
    }
    return 0;
}

/* The result rows, in SQLite's order; NULL on overflow (fall back). */
static struct fl_sql_rows *finish(struct agg *ag) {
    const struct fl_sql_agg_shape *sh = ag->sh;
    if (ag->overflow) return NULL;
    struct order_item *ord = fl_calloc(ag->ngroups ? ag->ngroups : 1, sizeof(*ord));
    for (size_t g = 0; g < ag->ngroups; g++) ord[g].ag = ag, ord[g].g = g;
    qsort(ord, ag->ngroups, sizeof(*ord), group_cmp);
    struct fl_sql_rows *rows = fl_sql_rows_new(sh->nitems);
    fl_err_t rc = FL_OK;
    for (size_t n = 0; n < ag->ngroups && !rc; n++) {
        size_t g = ord[n].g;
        struct fl_sql_cell *cells = fl_sql_rows_append(rows);
        for (int it = 0, a = 0; it < sh->nitems && !rc; it++) {
            struct fl_sql_cell *c = &cells[it];
            if (sh->items[it].fn == FL_SQL_AGG_COLUMN) {
                int k = group_index(sh, sh->items[it].col);
                const struct key *key = &ag->gkeys[g * (size_t)ag->nk + (size_t)k];
                if (key->null) continue;
                if (ag->keys[k].type == FL_TYPE_STRING)
                    rc = fl_sql_rows_set_text(rows, c, key_text(ag, key), key->n);
                else
                    c->type = SQLITE_INTEGER, c->i = key->i;
                continue;
            }
            const struct acc *acc = &ag->accs[g * (size_t)ag->na + (size_t)a];
            fl_sql_agg_fn_t fn = ag->fns[a];
            fl_type_id_t t = ag->args[a].type;
            a++;
            if (fn == FL_SQL_AGG_COUNT_STAR || fn == FL_SQL_AGG_COUNT) {
                c->type = SQLITE_INTEGER, c->i = acc->cnt;
            } else if (fn == FL_SQL_AGG_SUM) {
                if (acc->cnt == 0) continue;
                if (acc->approx)
                    c->type = SQLITE_FLOAT, c->d = acc->rsum;
                else
                    c->type = SQLITE_INTEGER, c->i = acc->isum;
            } else if (fn == FL_SQL_AGG_AVG) {
                if (acc->cnt == 0) continue;
                c->type = SQLITE_FLOAT, c->d = acc->rsum / (double)acc->cnt;
            } else if (acc->has) {
                if (t == FL_TYPE_STRING)
                    rc = fl_sql_rows_set_text(rows, c, acc->bs, acc->bn);
                else if (t == FL_TYPE_DOUBLE)
                    c->type = SQLITE_FLOAT, c->d = acc->bd;
                else
                    c->type = SQLITE_INTEGER, c->i = acc->bi;
            }
        }
    }
    fl_free(ord);
    if (rc) {
        fl_sql_rows_free(rows);
        return NULL;
    }
    return rows;
}

static void agg_fini(struct agg *ag) {
    for (size_t x = 0; x < ag->ngroups * (size_t)ag->na; x++) fl_free(ag->accs[x].bs);
    fl_free(ag->gkeys);
    fl_free(ag->accs);
    fl_free(ag->ghash);
    fl_free(ag->slots);
    fl_free(ag->sel);
    fl_buf_fini(&ag->kheap);
}

/* Scans the table of the probe and computes the rows; NULL to fall back. */
static struct fl_sql_rows *compute(struct fl_sql_env *env, const struct fl_sql_agg_shape *sh) {
    struct fl_error err = {0};
    struct fl_ice_table *tbl = NULL;
    struct fl_ice_scan *scan = NULL;
    struct fl_sql_rows *rows = NULL;
    struct agg ag;
    struct fl_sql_preds preds;
    fl_sql_preds_init(&preds);
    memset(&ag, 0, sizeof(ag));
    ag.sh = sh;
    fl_buf_init(&ag.kheap, FL_BUF_NOMAX);
    ag.slots_cap = 64;
    ag.slots = fl_calloc(ag.slots_cap, sizeof(*ag.slots));
    if (fl_ice_table_load(env->store, fl_catalog_ice(env->cat), env->probe_ns, env->probe_name,
                          &tbl, &err))
        goto out;
    const struct fl_schema *now = fl_ice_meta_current_schema(tbl->meta);
    int32_t ids[FL_SQL_AGG_KEYS + FL_SQL_AGG_ITEMS + FL_SQL_AGG_TERMS];
    int nids = 0;
    ag.nk = sh->ngroup;
    for (int k = 0; k < sh->ngroup; k++)
        if (!resolve(env->probe_schema, now, sh->group[k], type_ok, FL_SQL_AGG_COLUMN, &ag.keys[k]))
            goto out;
    for (int it = 0; it < sh->nitems; it++) {
        fl_sql_agg_fn_t fn = sh->items[it].fn;
        if (fn == FL_SQL_AGG_COLUMN) continue;
        int a = ag.na++;
        ag.fns[a] = fn;
        ag.args[a].col = -1;
        if (fn != FL_SQL_AGG_COUNT_STAR &&
            !resolve(env->probe_schema, now, sh->items[it].col, type_ok, fn, &ag.args[a]))
            goto out;
    }
    /* WHERE: exact per-row tests here, and pruning as the cursor's */
    for (int k = 0; k < sh->nwhere; k++) {
        if (!resolve(env->probe_schema, now, sh->where[k].col, NULL, FL_SQL_AGG_COLUMN,
                     &ag.wcols[k]) ||
            !term_ok(sh, k, ag.wcols[k].type))
            goto out;
        temporal_literal(sh, k, &ag.wcols[k]);
        if (sh->where[k].lit == SQLITE_NULL) continue;
        struct fl_sql_lit lit;
        memset(&lit, 0, sizeof(lit));
        lit.type = sh->where[k].lit;
        lit.i = sh->where[k].i;
        lit.p = (const uint8_t *)sh->where[k].text;
        lit.n = sh->where[k].n;
        fl_sql_preds_add(&preds, now, ag.wcols[k].col, sh->where[k].op, &lit);
    }
    for (int k = 0; k < ag.nk + ag.na + sh->nwhere; k++) {
        const struct use *u = k < ag.nk           ? &ag.keys[k]
                              : k < ag.nk + ag.na ? &ag.args[k - ag.nk]
                                                  : &ag.wcols[k - ag.nk - ag.na];
        if (u->col < 0) continue;
        int32_t id = now->fields[u->col].id, dup = 0;
        for (int j = 0; j < nids; j++) dup |= ids[j] == id;
        if (!dup) ids[nids++] = id;
    }
    if (!nids) goto out; /* count(*) alone: sql_count.c's case */
    if (fl_ice_scan_open_where(tbl, FL_ICE_NO_SNAPSHOT, preds.preds, preds.n, &scan, &err))
        goto out;
    int ndata = 0, ndel = 0;
    fl_ice_scan_counts(scan, &ndata, &ndel);
    if (ndel || fl_ice_scan_project_ids(scan, ids, nids, &err)) goto out;
    if (!sh->ngroup) { /* no GROUP BY: one group, also over no rows */
        size_t g;
        if (find_group(&ag, HASH_SEED, &g)) goto out;
    }
    if (fl_ice_scan_each(scan, scan_batch, &ag, &err)) goto out;
    rows = finish(&ag);
out:
    if (rows) { /* a scan abandoned to fall back is not counted */
        env->stats.scans++;
        fl_sql_stats_add_scan(env, scan);
    }
    fl_ice_scan_free(scan);
    fl_sql_preds_fini(&preds);
    fl_ice_table_free(tbl);
    agg_fini(&ag);
    return rows;
}

int fl_sql_agg_shortcut(struct fl_sql *sql, sqlite3_stmt **stmt) {
    if (!*stmt || !fl_sql_shortcuts_enabled()) return 0;
    struct fl_sql_agg_shape *sh = fl_malloc(sizeof(*sh));
    sqlite3 *db = fl_sql_db(sql);
    struct fl_sql_env *env = fl_sql_env_of(sql);
    sqlite3_stmt *copy = NULL, *answer = NULL;
    int done = 0, nagg = 0;
    if (!fl_sql_agg_shape(sqlite3_sql(*stmt), sh)) goto out;
    for (int k = 0; k < sh->nitems; k++) nagg += sh->items[k].fn != FL_SQL_AGG_COLUMN;
    struct auth_seen seen;
    memset(&seen, 0, sizeof(seen));
    seen.sh = sh;
    sqlite3_set_authorizer(db, observe, &seen);
    int rc = sqlite3_prepare_v2(db, sqlite3_sql(*stmt), -1, &copy, NULL);
    sqlite3_set_authorizer(db, NULL, NULL);
    if (rc != SQLITE_OK || !copy || seen.selects != 1 || seen.funcs != nagg || seen.others ||
        !seen.table[0] || sqlite3_column_count(copy) != sh->nitems)
        goto out;
    env->count_probe = env->agg_probe = 1;
    env->probe_hits = env->probe_misses = 0;
    rc = sqlite3_step(copy);
    env->count_probe = env->agg_probe = 0;
    if (rc != (sh->ngroup ? SQLITE_DONE : SQLITE_ROW) || env->probe_hits != 1 ||
        env->probe_misses != 0 || !env->probe_schema)
        goto out;
    struct fl_sql_rows *rows = compute(env, sh);
    if (!rows) goto out;
    if (fl_sql_rows_statement(db, rows, *stmt, &answer) != SQLITE_OK) goto out;
    sqlite3_finalize(*stmt);
    *stmt = answer;
    answer = NULL;
    done = 1;
out:
    env->count_probe = env->agg_probe = 0;
    fl_schema_free(env->probe_schema);
    env->probe_schema = NULL;
    sqlite3_finalize(copy);
    sqlite3_finalize(answer);
    fl_free(sh);
    return done;
}
