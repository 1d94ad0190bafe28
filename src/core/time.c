/*
 * time.c - clocks and civil-time conversions.
 *
 * The days<->civil algorithms are Howard Hinnant's well-known
 * era-based formulas, exact for the whole proleptic Gregorian calendar.
 */
#include "core/time.h"

#include <stdio.h>
#include <time.h>

int64_t fl_time_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * FL_US_PER_SEC + ts.tv_nsec / 1000;
}

int64_t fl_time_mono_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * FL_US_PER_SEC + ts.tv_nsec / 1000;
}

int64_t fl_time_days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void fl_time_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static int64_t floordiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

void fl_time_format_iso(int64_t us, char *out, size_t outsz) {
    int64_t days = floordiv(us, FL_US_PER_DAY);
    int64_t rem = us - days * FL_US_PER_DAY;
    int64_t y;
    unsigned m, d;
    fl_time_civil_from_days(days, &y, &m, &d);
    int64_t secs = rem / FL_US_PER_SEC;
    snprintf(out, outsz, "%04lld-%02u-%02uT%02d:%02d:%02d.%06dZ", (long long)y, m, d,
             (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60),
             (int)(rem % FL_US_PER_SEC));
}

void fl_time_format_date(int32_t days, char *out, size_t outsz) {
    int64_t y;
    unsigned m, d;
    fl_time_civil_from_days(days, &y, &m, &d);
    snprintf(out, outsz, "%04lld-%02u-%02u", (long long)y, m, d);
}

void fl_time_format_time(int64_t us, char *out, size_t outsz) {
    int64_t secs = us / FL_US_PER_SEC;
    snprintf(out, outsz, "%02d:%02d:%02d.%06d", (int)(secs / 3600), (int)(secs / 60 % 60),
             (int)(secs % 60), (int)(us % FL_US_PER_SEC));
}

/* Reads exactly n digits at s[*i]. */
static int digits(const char *s, size_t len, size_t *i, int n, int *out) {
    int v = 0;
    for (int k = 0; k < n; k++) {
        if (*i >= len || s[*i] < '0' || s[*i] > '9') return -1;
        v = v * 10 + (s[(*i)++] - '0');
    }
    *out = v;
    return 0;
}

static int parse_date_part(const char *s, size_t len, size_t *i, int64_t *days) {
    int y, m, d;
    if (digits(s, len, i, 4, &y) || *i >= len || s[(*i)++] != '-') return -1;
    if (digits(s, len, i, 2, &m) || *i >= len || s[(*i)++] != '-') return -1;
    if (digits(s, len, i, 2, &d)) return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) return -1;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m == 2 && d == 29 && !leap) return -1;
    *days = fl_time_days_from_civil(y, (unsigned)m, (unsigned)d);
    return 0;
}

static int parse_time_part(const char *s, size_t len, size_t *i, int64_t *us) {
    int h, mi, sec = 0;
    int64_t frac = 0;
    if (digits(s, len, i, 2, &h) || *i >= len || s[(*i)++] != ':') return -1;
    if (digits(s, len, i, 2, &mi)) return -1;
    if (*i < len && s[*i] == ':') {
        (*i)++;
        if (digits(s, len, i, 2, &sec)) return -1;
        if (*i < len && s[*i] == '.') {
            (*i)++;
            int nd = 0;
            while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
                if (nd < 6) frac = frac * 10 + (s[*i] - '0');
                nd++;
                (*i)++;
            }
            if (nd == 0 || nd > 9) return -1;
            for (int k = nd; k < 6; k++) frac *= 10;
        }
    }
    if (h > 23 || mi > 59 || sec > 59) return -1;
    *us = ((int64_t)h * 3600 + mi * 60 + sec) * FL_US_PER_SEC + frac;
    return 0;
}

fl_err_t fl_time_parse_iso(const char *s, size_t len, int64_t *us) {
    size_t i = 0;
    int64_t days, tod = 0;
    if (parse_date_part(s, len, &i, &days)) return FL_ERR_INVALID;
    if (i < len && (s[i] == 'T' || s[i] == ' ')) {
        i++;
        if (parse_time_part(s, len, &i, &tod)) return FL_ERR_INVALID;
    }
    int64_t off = 0;
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i++] == '-' ? -1 : 1, oh, om = 0;
        if (digits(s, len, &i, 2, &oh)) return FL_ERR_INVALID;
        if (i < len && s[i] == ':') i++;
        if (i < len && digits(s, len, &i, 2, &om)) return FL_ERR_INVALID;
        if (oh > 18 || om > 59) return FL_ERR_INVALID;
        off = sign * ((int64_t)oh * 3600 + om * 60) * FL_US_PER_SEC;
    }
    if (i != len) return FL_ERR_INVALID;
    *us = days * FL_US_PER_DAY + tod - off;
    if (*us < FL_TIME_MIN_US || *us > FL_TIME_MAX_US) return FL_ERR_INVALID;
    return FL_OK;
}

fl_err_t fl_time_parse_hour_stamp(const char *s, size_t len, int64_t *us) {
    if (len != 13 || s[4] != '-' || s[7] != '-' || s[10] != '-') return FL_ERR_INVALID;
    for (size_t i = 0; i < len; i++)
        if (i != 4 && i != 7 && i != 10 && (s[i] < '0' || s[i] > '9')) return FL_ERR_INVALID;
    int32_t days;
    if (fl_time_parse_date(s, 10, &days)) return FL_ERR_INVALID;
    int h = (s[11] - '0') * 10 + (s[12] - '0');
    if (h > 23) return FL_ERR_INVALID;
    *us = (int64_t)days * FL_US_PER_DAY + (int64_t)h * 3600 * 1000000;
    return FL_OK;
}

fl_err_t fl_time_parse_date(const char *s, size_t len, int32_t *days) {
    size_t i = 0;
    int64_t d;
    if (parse_date_part(s, len, &i, &d) || i != len) return FL_ERR_INVALID;
    *days = (int32_t)d;
    return FL_OK;
}

/* The magnitudes where fl_time_epoch_guess_us moves to the next unit. */
#define EPOCH_S_BELOW 1e11
#define EPOCH_MS_BELOW 1e14
#define EPOCH_US_BELOW 1e17

fl_err_t fl_time_epoch_guess_us(int64_t v, int64_t *us) {
    uint64_t m = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    int64_t r;
    if (m < (uint64_t)EPOCH_S_BELOW)
        r = v * FL_US_PER_SEC;
    else if (m < (uint64_t)EPOCH_MS_BELOW)
        r = v * 1000;
    else if (m < (uint64_t)EPOCH_US_BELOW)
        r = v;
    else
        r = v / 1000 - (v % 1000 < 0); /* floor: a nanosecond before 1970 is in its microsecond */
    if (r < FL_TIME_MIN_US || r > FL_TIME_MAX_US) return FL_ERR_RANGE;
    *us = r;
    return FL_OK;
}

fl_err_t fl_time_epoch_guess_us_double(double v, int64_t *us) {
    double m = v < 0 ? -v : v, r;
    if (m < EPOCH_S_BELOW)
        r = v * 1e6;
    else if (m < EPOCH_MS_BELOW)
        r = v * 1e3;
    else if (m < EPOCH_US_BELOW)
        r = v;
    else
        r = v / 1e3;
    if (!(r >= (double)FL_TIME_MIN_US && r <= (double)FL_TIME_MAX_US)) return FL_ERR_RANGE;
    *us = (int64_t)(r < 0 ? r - 0.5 : r + 0.5);
    return FL_OK;
}

fl_err_t fl_time_parse_time(const char *s, size_t len, int64_t *us) {
    size_t i = 0;
    if (parse_time_part(s, len, &i, us) || i != len) return FL_ERR_INVALID;
    return FL_OK;
}
