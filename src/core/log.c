/*
 * log.c - leveled logging to stderr, one write(2) per line so that lines
 * from several threads never interleave.
 */
#include "core/log.h"
#include "core/time.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static _Atomic int log_level = FL_LOG_INFO;
static const char *const level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

void fl_log_set_level(fl_log_level_t level) { atomic_store(&log_level, (int)level); }
fl_log_level_t fl_log_get_level(void) { return (fl_log_level_t)atomic_load(&log_level); }

int fl_log_level_parse(const char *s) {
    static const char *const names[] = {"debug", "info", "warn", "error", "off"};
    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0) return i;
    return -1;
}

void fl_log(fl_log_level_t level, const char *fmt, ...) {
    if ((int)level < atomic_load(&log_level) || level >= FL_LOG_OFF) return;
    char line[2048];
    char ts[40];
    fl_time_format_iso(fl_time_now_us(), ts, sizeof(ts));
    int n = snprintf(line, sizeof(line), "%s %s ", ts, level_names[level]);
    if (n < 0) return;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0) return;
    size_t len = (size_t)n + (size_t)m;
    if (len > sizeof(line) - 2) len = sizeof(line) - 2;
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
