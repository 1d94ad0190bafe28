/*
 * log.h - leveled logging to stderr.
 *
 * Only the top of the program (main, servers, pipelines) logs; deep code
 * returns errors instead. Lines are "2026-11-23T11:00:00.123456Z INFO msg".
 */
#ifndef FL_CORE_LOG_H
#define FL_CORE_LOG_H

typedef enum {
    FL_LOG_DEBUG = 0,
    FL_LOG_INFO,
    FL_LOG_WARN,
    FL_LOG_ERROR,
    FL_LOG_OFF
} fl_log_level_t;

/* Sets the lowest level printed (default FL_LOG_INFO). Thread-safe. */
void fl_log_set_level(fl_log_level_t level);
fl_log_level_t fl_log_get_level(void);

/* Parses "debug", "info", "warn", "error", "off"; -1 if unknown. */
int fl_log_level_parse(const char *s);

void fl_log(fl_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define fl_debug(...) fl_log(FL_LOG_DEBUG, __VA_ARGS__)
#define fl_info(...) fl_log(FL_LOG_INFO, __VA_ARGS__)
#define fl_warn(...) fl_log(FL_LOG_WARN, __VA_ARGS__)
#define fl_error(...) fl_log(FL_LOG_ERROR, __VA_ARGS__)

#endif
