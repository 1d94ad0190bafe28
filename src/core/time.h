/*
 * time.h - UTC time in microseconds since the Unix epoch.
 *
 * floe keeps every timestamp as int64 microseconds UTC (Iceberg's
 * timestamp/timestamptz unit); these helpers read the clock and convert
 * to and from ISO-8601 text and civil dates, for any year 0001-9999,
 * including instants before 1970.
 */
#ifndef FL_CORE_TIME_H
#define FL_CORE_TIME_H

#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

#define FL_US_PER_SEC INT64_C(1000000)
#define FL_US_PER_DAY INT64_C(86400000000)

/* The range floe accepts from text and JSON: 0001-01-01 to 9999-12-31,
 * the years four digits can spell (and every engine reads). */
#define FL_DATE_MIN_DAYS INT32_C(-719162) /* 0001-01-01 */
#define FL_DATE_MAX_DAYS INT32_C(2932896) /* 9999-12-31 */
#define FL_TIME_MIN_US (INT64_C(-719162) * FL_US_PER_DAY)
#define FL_TIME_MAX_US (INT64_C(2932897) * FL_US_PER_DAY - 1)

int64_t fl_time_now_us(void);
/* Monotonic clock in microseconds, for durations. */
int64_t fl_time_mono_us(void);

/* Days since 1970-01-01 for a civil date (proleptic Gregorian). */
int64_t fl_time_days_from_civil(int64_t y, unsigned m, unsigned d);
void fl_time_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* "YYYY-MM-DDTHH:MM:SS.ffffffZ" into out (at least 32 bytes). */
void fl_time_format_iso(int64_t us, char *out, size_t outsz);
/* "YYYY-MM-DD" for days since the epoch. */
void fl_time_format_date(int32_t days, char *out, size_t outsz);
/* "HH:MM:SS.ffffff" for microseconds since midnight. */
void fl_time_format_time(int64_t us, char *out, size_t outsz);

/* Parses "YYYY-MM-DD[( |T)HH:MM[:SS[.f{1,9}]]][Z|+HH:MM|-HH:MM]" into UTC
 * microseconds. Without a zone the text is taken as UTC. The whole
 * string (len bytes) must be consumed. FL_ERR_INVALID if it does not parse. */
fl_err_t fl_time_parse_iso(const char *s, size_t len, int64_t *us);
/* Parses "YYYY-MM-DD" into days since the epoch. */
fl_err_t fl_time_parse_date(const char *s, size_t len, int32_t *days);
/* Parses an hour stamp "YYYY-MM-DD-HH" (seed 001's ts, UTC) into
 * microseconds since the epoch. FL_ERR_INVALID for anything else. */
fl_err_t fl_time_parse_hour_stamp(const char *s, size_t len, int64_t *us);
/* Parses "HH:MM[:SS[.ffffff]]" into microseconds since midnight. */
fl_err_t fl_time_parse_time(const char *s, size_t len, int64_t *us);

/* An epoch number whose unit nobody said (a JSON number for a timestamp
 * column), as microseconds. Its magnitude |v| tells the unit; each range
 * reaches the year 5138 in its unit and starts where the one before ends:
 *   |v| < 1e11   seconds       (1e11 s is 5138-11-16)
 *   |v| < 1e14   milliseconds  (from 1e11 ms, 1973-03-03)
 *   |v| < 1e17   microseconds  (from 1973-03-03)
 *   otherwise    nanoseconds   (from 1973-03-03; int64 ends in 2262),
 *                truncated to the microsecond (towards the past).
 * So any instant from 1973-03-03 to 5138 reads right in any of the four
 * units; seed 002's 1767780000000 (ms) is 2026-01-07T10:00:00Z.
 * FL_ERR_RANGE outside 0001-01-01..9999-12-31. */
fl_err_t fl_time_epoch_guess_us(int64_t v, int64_t *us);
/* The same for a number with a fraction (1767780000.5 seconds), rounded
 * to the nearest microsecond; FL_ERR_RANGE also for NaN and infinities. */
fl_err_t fl_time_epoch_guess_us_double(double v, int64_t *us);

#endif
