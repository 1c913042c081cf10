/* swimmies/swim_log.h — how the swimmies libraries log: never to a stream or an application
 * logger of their own, only through a callback the program gives in its configuration
 * (struct swim_config, struct swim_discovery_config). Each call is one line without a newline,
 * with a level and the component that logged it ("swim" protocol core, "swim-net" transport,
 * "discovery"). A NULL callback keeps the library silent. */
#ifndef SWIMMIES_SWIM_LOG_H
#define SWIMMIES_SWIM_LOG_H

#include <stdarg.h>
#include <stdio.h>

enum swim_log_level {
    SWIM_LOG_DEBUG = 0,
    SWIM_LOG_INFO = 1,
    SWIM_LOG_WARNING = 2,
    SWIM_LOG_ERROR = 3
};

struct swim_logger {
    void (*fn)(void *ctx, enum swim_log_level level, const char *component, const char *msg);
    void *ctx;
};

/* Formats one message (at most 1023 bytes) and hands it to lg->fn; nothing when fn is NULL. */
static inline void swim_logf(const struct swim_logger *lg, enum swim_log_level level,
                             const char *component, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static inline void swim_logf(const struct swim_logger *lg, enum swim_log_level level,
                             const char *component, const char *fmt, ...)
{
    if (!lg->fn)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        msg[0] = '\0';
    lg->fn(lg->ctx, level, component, msg);
}

#endif
