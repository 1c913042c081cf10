/* notify/notify.c — the sd_notify client: a ready poll, a status timer and a watchdog timer on the
 * control loop. The watchdog interval is half of WATCHDOG_USEC, as sd_watchdog_enabled(3)
 * recommends; WATCHDOG_PID, when set, must name this process. */
#include "notify/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "core/log.h"

#define MOD "notify"
#define READY_POLL_MS 5
#define STATUS_EVERY_MS 1000

struct notify {
    struct loop *loop;
    struct notify_hooks hooks;
    uint64_t ready_deadline_ms;
    uint64_t watchdog_ms; /* 0: no watchdog */
    struct loop_timer *ready_timer, *status_timer, *watchdog_timer;
    char status[256];
};

static void send_msg(const char *msg)
{
    static struct log_limit limit = LOG_LIMIT_INIT(3, 60000); /* a vanished socket: not a flood */
    int r = sd_notify(0, msg);
    if (r < 0)
        log_limited(&limit, LOG_WARNING, MOD, "sd_notify(%.20s): %s", msg, strerror(-r));
}

static void current_status(struct notify *n, char *buf, size_t len)
{
    buf[0] = '\0';
    if (n->hooks.status)
        n->hooks.status(n->hooks.ctx, buf, len);
}

static void on_status(void *ctx)
{
    struct notify *n = ctx;
    n->status_timer = NULL;
    char now[sizeof n->status];
    current_status(n, now, sizeof now);
    if (strcmp(now, n->status) != 0) {
        memcpy(n->status, now, sizeof now);
        char msg[sizeof now + 8];
        snprintf(msg, sizeof msg, "STATUS=%s", now);
        send_msg(msg);
    }
    n->status_timer = loop_timer_add(n->loop, STATUS_EVERY_MS, on_status, n);
}

static void on_watchdog(void *ctx)
{
    struct notify *n = ctx;
    n->watchdog_timer = NULL;
    send_msg("WATCHDOG=1");
    n->watchdog_timer = loop_timer_add(n->loop, n->watchdog_ms, on_watchdog, n);
}

static void on_ready_poll(void *ctx)
{
    struct notify *n = ctx;
    n->ready_timer = NULL;
    bool ok = !n->hooks.ready || n->hooks.ready(n->hooks.ctx);
    if (!ok && loop_now_ms() < n->ready_deadline_ms) {
        n->ready_timer = loop_timer_add(n->loop, READY_POLL_MS, on_ready_poll, n);
        return;
    }
    if (!ok)
        log_warn(MOD, "startup loads not complete after the ready timeout; telling systemd ready");
    current_status(n, n->status, sizeof n->status);
    char msg[sizeof n->status + 16];
    snprintf(msg, sizeof msg, "READY=1\nSTATUS=%s", n->status);
    send_msg(msg);
    log_debug(MOD, "told systemd: ready (%s)", n->status);
    n->status_timer = loop_timer_add(n->loop, STATUS_EVERY_MS, on_status, n);
}

struct notify *notify_start(struct loop *l, const struct notify_hooks *hooks,
                            uint32_t ready_timeout_ms)
{
    const char *sock = getenv("NOTIFY_SOCKET");
    if (!sock || !sock[0])
        return NULL;
    struct notify *n = calloc(1, sizeof *n);
    if (!n) {
        log_error(MOD, "out of memory: systemd will not be notified");
        return NULL;
    }
    n->loop = l;
    n->hooks = *hooks;
    n->ready_deadline_ms = loop_now_ms() + ready_timeout_ms;
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        n->watchdog_ms = usec / 2000 ? usec / 2000 : 1;
        log_info(MOD, "systemd watchdog %.3f s: WATCHDOG=1 every %llu ms", (double)usec / 1e6,
                 (unsigned long long)n->watchdog_ms);
        on_watchdog(n);
    }
    on_ready_poll(n);
    return n;
}

void notify_stop(struct notify *n)
{
    if (!n)
        return;
    send_msg("STOPPING=1");
    struct loop_timer **timers[] = {&n->ready_timer, &n->status_timer, &n->watchdog_timer};
    for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++)
        if (*timers[i])
            loop_timer_cancel(n->loop, *timers[i]);
    free(n);
}
