/* core/log.c — levelled logging to stderr: "2026-11-25T18:10:50.123Z INFO  dns: message". */
#include "core/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static atomic_int current_level = LOG_INFO;

static const char *const level_names[] = {"DEBUG", "INFO", "WARNING", "ERROR"};

void log_set_level(enum log_level level)
{
    atomic_store(&current_level, (int)level);
}

enum log_level log_get_level(void)
{
    return (enum log_level)atomic_load(&current_level);
}

bool log_enabled(enum log_level level)
{
    return (int)level >= atomic_load(&current_level);
}

bool log_parse_level(const char *s, enum log_level *out)
{
    if (!s)
        return false;
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return true;
        }
    }
    if (strcasecmp(s, "WARN") == 0) {
        *out = LOG_WARNING;
        return true;
    }
    return false;
}

void log_msg(enum log_level level, const char *module, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, module, fmt, ap);
    va_end(ap);
}

void log_vmsg(enum log_level level, const char *module, const char *fmt, va_list ap)
{
    if (!log_enabled(level))
        return;
    char line[1024];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line,
                     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-7s %s: ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, level_names[level], module);
    if (n < 0 || (size_t)n >= sizeof line)
        n = 0;
    /* ap comes from the caller's va_start (log_msg, log_limited) */
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    /* one write per line so concurrent threads never interleave within a line */
    fwrite(line, 1, len, stderr);
}

const char *log_excerpt(char *out, size_t cap, const char *s, size_t len)
{
    size_t n = len < cap ? len : cap - 4;
    for (size_t i = 0; i < n; i++)
        out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (n < len)
        memcpy(out + n, "...", 4);
    else
        out[n] = '\0';
    return out;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool log_limited(struct log_limit *l, enum log_level level, const char *module, const char *fmt,
                 ...)
{
    if (!log_enabled(level))
        return false;
    uint64_t now = mono_ms();
    uint64_t report = 0;
    bool write = false;
    pthread_mutex_lock(&l->mu);
    if (l->window_start_ms == 0 || now - l->window_start_ms >= l->window_ms) {
        report = l->suppressed;
        l->suppressed = 0;
        l->window_start_ms = now;
        l->in_window = 0;
    }
    if (l->in_window < l->burst) {
        l->in_window++;
        write = true;
    } else {
        l->suppressed++;
    }
    pthread_mutex_unlock(&l->mu);
    if (!write)
        return false;
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, module, fmt, ap);
    va_end(ap);
    if (report)
        log_msg(level, module, "(%llu similar messages suppressed before the line above)",
                (unsigned long long)report);
    return true;
}

uint64_t log_limit_pending(struct log_limit *l)
{
    pthread_mutex_lock(&l->mu);
    uint64_t n = l->suppressed;
    pthread_mutex_unlock(&l->mu);
    return n;
}
