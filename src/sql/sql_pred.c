/*
 * sql_pred.c - translating SQLite constraints into pruning predicates.
 *
 * How it works: the right-hand value is first brought into the field's
 * Iceberg type the way SQLite's comparison would see it (affinity rules:
 * numeric columns read numeric-looking text as numbers; text-mapped
 * types compare as text). When the conversion is inexact the operator is
 * relaxed to a non-strict one around the nearest value, which keeps
 * every row SQLite could accept. Dates, times and timestamps (of tables
 * and of topics) compare as values (their collation, sql_time.c): the
 * literal is read as an instant and pushed exactly.
 */
#include "sql/sql_pred.h"

#include "batch/batch_json.h"
#include "core/mem.h"
#include "core/time.h"
#include "core/uuid.h"
#include "sql/sql_time.h"
#include "sql/sql_types.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* A value in the field's representation. */
struct tval {
    int64_t i64;
    double f64;
    float f32;
    __int128 dec;
    uint8_t bytes[16];
    const uint8_t *p;
    size_t n;
};

void fl_sql_preds_init(struct fl_sql_preds *ps) { memset(ps, 0, sizeof(*ps)); }

void fl_sql_preds_fini(struct fl_sql_preds *ps) {
    for (int i = 0; i < ps->n; i++) {
        fl_batch_free(ps->lits[i]);
        fl_schema_free(ps->schemas[i]);
    }
    ps->n = 0;
}

static bool op_from_sqlite(int op, fl_ice_op_t *out) {
    switch (op) {
    case SQLITE_INDEX_CONSTRAINT_EQ:
        *out = FL_ICE_OP_EQ;
        return true;
    case SQLITE_INDEX_CONSTRAINT_LT:
        *out = FL_ICE_OP_LT;
        return true;
    case SQLITE_INDEX_CONSTRAINT_LE:
        *out = FL_ICE_OP_LE;
        return true;
    case SQLITE_INDEX_CONSTRAINT_GT:
        *out = FL_ICE_OP_GT;
        return true;
    case SQLITE_INDEX_CONSTRAINT_GE:
        *out = FL_ICE_OP_GE;
        return true;
    case SQLITE_INDEX_CONSTRAINT_ISNULL:
        *out = FL_ICE_OP_IS_NULL;
        return true;
    case SQLITE_INDEX_CONSTRAINT_ISNOTNULL:
        *out = FL_ICE_OP_NOT_NULL;
        return true;
    default:
        return false;
    }
}

/* The whole text as a number, as SQLite's numeric affinity reads it
 * (no surrounding space accepted: conservative). 1 integer, 2 real, 0 no. */
static int text_number(const uint8_t *p, size_t n, int64_t *i, double *f) {
    char buf[64];
    if (n == 0 || n >= sizeof(buf)) return 0;
    memcpy(buf, p, n);
    buf[n] = '\0';
    if (buf[0] == ' ' || buf[0] == '\t' || buf[0] == '\n') return 0;
    char *end;
    errno = 0;
    long long ll = strtoll(buf, &end, 10);
    if (*end == '\0' && errno == 0) {
        *i = ll;
        return 1;
    }
    errno = 0;
    double d = strtod(buf, &end);
    if (*end == '\0' && errno == 0 && isfinite(d) && !strchr(buf, 'x') && !strchr(buf, 'X') &&
        !strpbrk(buf, "nNiI")) {
        *f = d;
        return 2;
    }
    return 0;
}

/* Normalizes v into a number: 1 integer (*i), 2 real (*f), 0 not numeric. */
static int numeric_lit(const struct fl_sql_lit *v, int64_t *i, double *f) {
    if (v->type == SQLITE_INTEGER) {
        *i = v->i;
        return 1;
    }
    if (v->type == SQLITE_FLOAT) {
        if (!isfinite(v->f)) return 0;
        *f = v->f;
        return 2;
    }
    if (v->type == SQLITE_TEXT) return text_number(v->p, v->n, i, f);
    return 0;
}

/* Relaxes an operator for an inexact literal: the caller has picked a
 * value below (for GT/GE) or above (for LT/LE) the true one. */
static bool relax(fl_ice_op_t *op) {
    switch (*op) {
    case FL_ICE_OP_LT:
    case FL_ICE_OP_LE:
        *op = FL_ICE_OP_LE;
        return true;
    case FL_ICE_OP_GT:
    case FL_ICE_OP_GE:
        *op = FL_ICE_OP_GE;
        return true;
    default:
        return false; /* EQ with an inexact literal: cannot say */
    }
}

static bool integer_lit(const struct fl_field *f, const struct fl_sql_lit *v, fl_ice_op_t *op,
                        struct tval *tv) {
    int64_t i = 0;
    double d = 0;
    int k = numeric_lit(v, &i, &d);
    int64_t lo = f->type == FL_TYPE_INT ? INT32_MIN : INT64_MIN;
    int64_t hi = f->type == FL_TYPE_INT ? INT32_MAX : INT64_MAX;
    if (k == 0) return false;
    if (k == 2) {
        /* x < 5.5 <=> x <= 5; x > 5.5 <=> x >= 6 */
        double r = (*op == FL_ICE_OP_LT || *op == FL_ICE_OP_LE) ? floor(d) : ceil(d);
        if (*op == FL_ICE_OP_EQ && r != d) return false;
        if (!(r >= -9.2e18 && r <= 9.2e18)) return false;
        i = (int64_t)r;
        if (r != d) {
            if (*op == FL_ICE_OP_LT) *op = FL_ICE_OP_LE;
            if (*op == FL_ICE_OP_GT) *op = FL_ICE_OP_GE;
        }
    }
    if (i < lo || i > hi) return false;
    tv->i64 = i;
    return true;
}

static bool float_lit(const struct fl_field *f, const struct fl_sql_lit *v, fl_ice_op_t *op,
                      struct tval *tv) {
    int64_t i = 0;
    double d = 0;
    int k = numeric_lit(v, &i, &d);
    if (k == 0) return false;
    if (k == 1) {
        d = (double)i;
        if (d < -9.2e18 || d > 9.2e18 || (int64_t)d != i) return false;
    }
    if (f->type == FL_TYPE_DOUBLE) {
        tv->f64 = d;
        return true;
    }
    if (fabs(d) > 3.4e38) return false;
    float x = (float)d;
    if (fl_sql_float_widen(x) == d) {
        tv->f32 = x;
        return true;
    }
    /* rows show as widen(x), monotonic in x: step past d and relax */
    if (!relax(op)) return false;
    tv->f32 = *op == FL_ICE_OP_LE ? nextafterf(x, INFINITY) : nextafterf(x, -INFINITY);
    return true;
}

static __int128 pow10_128(int n) {
    __int128 r = 1;
    while (n-- > 0) r *= 10;
    return r;
}

static bool decimal_lit(const struct fl_field *f, const struct fl_sql_lit *v, fl_ice_op_t *op,
                        struct tval *tv) {
    /* SQLite compares the text values as doubles: exact only up to 15 digits */
    if (f->precision > 15) return false;
    __int128 limit = pow10_128(f->precision);
    if (v->type == SQLITE_TEXT && v->n < 64) {
        char buf[64];
        memcpy(buf, v->p, v->n);
        buf[v->n] = '\0';
        __int128 u;
        if (fl_decimal_parse(buf, v->n, f->precision, f->scale, &u) == FL_OK) {
            tv->dec = u;
            return true;
        }
    }
    int64_t i = 0;
    double d = 0;
    int k = numeric_lit(v, &i, &d);
    if (k == 1) {
        if (i <= -1000000000000000LL || i >= 1000000000000000LL) return false;
        __int128 u = (__int128)i * pow10_128(f->scale);
        if (u <= -limit || u >= limit) return false;
        tv->dec = u;
        return true;
    }
    if (k != 2) return false;
    double scaled = d * (double)pow10_128(f->scale);
    if (!(fabs(scaled) < 1e15)) return false;
    if (!relax(op)) return false;
    /* one unit of slack for the rounding of the multiplication */
    tv->dec = *op == FL_ICE_OP_LE ? (__int128)ceil(scaled) + 1 : (__int128)floor(scaled) - 1;
    return true;
}

/* A literal against a date/time/timestamp(tz) column of a table: the
 * column's collation (sql_time.c) compares the instants, so the literal
 * is read as one (fl_sql_time_parse) and pushed exactly; a date column
 * takes the day, relaxed when the instant is not a midnight. Text that
 * does not parse sorts after every value: not pushed. */
static bool temporal_value_lit(const struct fl_field *f, const struct fl_sql_lit *v,
                               fl_ice_op_t *op, struct tval *tv) {
    int64_t us;
    if (v->type != SQLITE_TEXT || !fl_sql_time_parse((const char *)v->p, v->n, &us)) return false;
    if (f->type != FL_TYPE_DATE) {
        tv->i64 = us;
        return true;
    }
    int64_t days = us >= 0 ? us / FL_US_PER_DAY : -((-us + FL_US_PER_DAY - 1) / FL_US_PER_DAY);
    tv->i64 = days;
    /* rows are midnights: below the instant means <= its day, above >= its day */
    return days * FL_US_PER_DAY == us || relax(op);
}

bool fl_sql_temporal_bound(fl_type_id_t t, int op, const struct fl_sql_lit *v, int64_t *value,
                           fl_ice_op_t *ice_op) {
    struct fl_field f = {.type = t};
    struct tval tv;
    memset(&tv, 0, sizeof(tv));
    if (t != FL_TYPE_DATE && t != FL_TYPE_TIME && t != FL_TYPE_TIMESTAMP &&
        t != FL_TYPE_TIMESTAMPTZ)
        return false;
    if (!op_from_sqlite(op, ice_op) || *ice_op == FL_ICE_OP_IS_NULL ||
        *ice_op == FL_ICE_OP_NOT_NULL || !temporal_value_lit(&f, v, ice_op, &tv))
        return false;
    *value = tv.i64;
    return true;
}

static bool uuid_lit(const struct fl_sql_lit *v, struct tval *tv) {
    if (v->type != SQLITE_TEXT || v->n != 36) return false;
    for (size_t k = 0; k < 36; k++) {
        char c = (char)v->p[k];
        bool dash = k == 8 || k == 13 || k == 18 || k == 23;
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return fl_uuid_parse((const char *)v->p, 36, tv->bytes) == 0;
}

static fl_err_t append_value(struct fl_col *col, const struct fl_field *f, const struct tval *tv) {
    switch (f->type) {
    case FL_TYPE_BOOLEAN:
        return fl_col_append_bool(col, tv->i64 != 0);
    case FL_TYPE_INT:
    case FL_TYPE_DATE:
        return fl_col_append_i32(col, (int32_t)tv->i64);
    case FL_TYPE_LONG:
    case FL_TYPE_TIME:
    case FL_TYPE_TIMESTAMP:
    case FL_TYPE_TIMESTAMPTZ:
        return fl_col_append_i64(col, tv->i64);
    case FL_TYPE_FLOAT:
        return fl_col_append_f32(col, tv->f32);
    case FL_TYPE_DOUBLE:
        return fl_col_append_f64(col, tv->f64);
    case FL_TYPE_DECIMAL:
        return fl_col_append_i128(col, tv->dec);
    case FL_TYPE_UUID:
        return fl_col_append_bytes(col, tv->bytes, 16);
    case FL_TYPE_STRING:
    case FL_TYPE_BINARY:
    case FL_TYPE_FIXED:
        return fl_col_append_bytes(col, tv->p, tv->n);
    default:
        return FL_ERR_UNSUPPORTED;
    }
}

bool fl_sql_preds_add(struct fl_sql_preds *ps, const struct fl_schema *schema, int col, int sop,
                      const struct fl_sql_lit *v) {
    fl_ice_op_t op;
    if (ps->n >= FL_SQL_PREDS_MAX || col < 0 || col >= schema->nfields) return false;
    if (!op_from_sqlite(sop, &op)) return false;
    const struct fl_field *f = &schema->fields[col];
    if (!fl_type_is_primitive(f->type)) return false;
    bool isnull_op = op == FL_ICE_OP_IS_NULL || op == FL_ICE_OP_NOT_NULL;
    struct tval tv;
    memset(&tv, 0, sizeof(tv));
    if (!isnull_op) {
        if (!v || v->type == SQLITE_NULL) return false; /* x < NULL: never true, nothing to learn */
        bool ok;
        switch (f->type) {
        case FL_TYPE_BOOLEAN: {
            int64_t i = 0;
            double d = 0;
            ok = numeric_lit(v, &i, &d) == 1 && (i == 0 || i == 1);
            tv.i64 = i;
            break;
        }
        case FL_TYPE_INT:
        case FL_TYPE_LONG:
            ok = integer_lit(f, v, &op, &tv);
            break;
        case FL_TYPE_FLOAT:
        case FL_TYPE_DOUBLE:
            ok = float_lit(f, v, &op, &tv);
            break;
        case FL_TYPE_DECIMAL:
            ok = decimal_lit(f, v, &op, &tv);
            break;
        case FL_TYPE_DATE:
        case FL_TYPE_TIME:
        case FL_TYPE_TIMESTAMP:
        case FL_TYPE_TIMESTAMPTZ:
            ok = temporal_value_lit(f, v, &op, &tv);
            break;
        case FL_TYPE_UUID:
            ok = uuid_lit(v, &tv);
            break;
        case FL_TYPE_STRING:
            /* numbers compare as their text under the column's TEXT affinity */
            ok = v->type == SQLITE_TEXT || v->type == SQLITE_INTEGER || v->type == SQLITE_FLOAT;
            tv.p = v->p;
            tv.n = v->n;
            ok = ok && (v->p || v->n == 0);
            break;
        case FL_TYPE_BINARY:
            ok = v->type == SQLITE_BLOB;
            tv.p = v->p;
            tv.n = v->n;
            break;
        case FL_TYPE_FIXED:
            ok = v->type == SQLITE_BLOB && v->n == (size_t)f->length;
            tv.p = v->p;
            tv.n = v->n;
            break;
        default:
            ok = false;
        }
        if (!ok) return false;
    }
    struct fl_schema *ls = fl_schema_select(schema, &col, 1);
    if (!ls) return false;
    ls->fields[0].required = false;
    fl_free(ls->fields[0].name);
    ls->fields[0].name = fl_strdup("v");
    struct fl_batch *b = NULL;
    struct fl_error err = {0};
    fl_err_t rc = fl_batch_new(ls, 1, &b, &err);
    if (!rc) rc = isnull_op ? fl_col_append_null(&b->cols[0]) : append_value(&b->cols[0], f, &tv);
    if (!rc) rc = fl_batch_end_row(b);
    if (rc) {
        fl_batch_free(b);
        fl_schema_free(ls);
        return false;
    }
    int k = ps->n++;
    ps->schemas[k] = ls;
    ps->lits[k] = b;
    ps->preds[k].field_id = f->id;
    ps->preds[k].op = op;
    ps->preds[k].lit = &b->cols[0];
    ps->preds[k].row = 0;
    return true;
}
