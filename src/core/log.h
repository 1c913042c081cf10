/* core/log.h — levelled logging: one line per event on stderr with time, level and module. */
#ifndef JOYRIDE_LOG_H
#define JOYRIDE_LOG_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARNING = 2, LOG_ERROR = 3 };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses DEBUG/INFO/WARNING/WARN/ERROR (any case). Returns false when unknown. */
bool log_parse_level(const char *s, enum log_level *out);
bool log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_vmsg(enum log_level level, const char *module, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* A flood guard for one kind of log line (a peer that keeps failing, spoofed packets, aborted
 * connections): at most `burst` lines per window; the rest are counted, and the count is logged in
 * one line ("(N similar messages suppressed before the line above)") when the next line of that
 * kind comes after the window. Thread-safe; define one per call site with LOG_LIMIT_INIT. */
struct log_limit {
    pthread_mutex_t mu;
    unsigned burst;
    uint32_t window_ms;
    uint64_t window_start_ms;
    unsigned in_window;
    uint64_t suppressed;
};
#define LOG_LIMIT_INIT(burst_, window_ms_)                                                         \
    {                                                                                              \
        .mu = PTHREAD_MUTEX_INITIALIZER, .burst = (burst_), .window_ms = (window_ms_)              \
    }
/* Logs like log_msg unless the guard's budget for this window is spent. Returns true when the line
 * was written. */
bool log_limited(struct log_limit *l, enum log_level level, const char *module, const char *fmt,
                 ...) __attribute__((format(printf, 4, 5)));
/* Lines suppressed so far and not yet reported. */
uint64_t log_limit_pending(struct log_limit *l);

/* Untrusted text (a file's contents, a file name) made safe for one log line: copies s[0..len)
 * into out (cap bytes, at least 4) with every byte outside printable ASCII (0x20-0x7e) replaced
 * by '?'; text longer than cap - 1 bytes is cut to cap - 4 and ends in "...". Returns out. */
const char *log_excerpt(char *out, size_t cap, const char *s, size_t len);

#define log_debug(mod, ...)                                                                        \
    do {                                                                                           \
        if (log_enabled(LOG_DEBUG))                                                                \
            log_msg(LOG_DEBUG, mod, __VA_ARGS__);                                                  \
    } while (0)
#define log_info(mod, ...) log_msg(LOG_INFO, mod, __VA_ARGS__)
#define log_warn(mod, ...) log_msg(LOG_WARNING, mod, __VA_ARGS__)
#define log_error(mod, ...) log_msg(LOG_ERROR, mod, __VA_ARGS__)

#endif
