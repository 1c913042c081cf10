/* notify/notify.h — systemd service notifications over NOTIFY_SOCKET (libsystemd's sd_notify):
 * READY=1 once startup is complete, STATUS= kept current, WATCHDOG=1 from the control loop at half
 * of WATCHDOG_USEC (so a stuck loop gets the service restarted), STOPPING=1 at shutdown. Without
 * NOTIFY_SOCKET nothing is sent and no timer runs. Everything runs on the control loop's thread. */
#ifndef JOYRIDE_NOTIFY_H
#define JOYRIDE_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"

struct notify_hooks {
    void *ctx;
    /* True once what was loaded at startup is published (asked every few ms until it is true or
     * the ready timeout passes). NULL: ready at once. */
    bool (*ready)(void *ctx);
    /* One STATUS= line (no newline) into buf; asked every second, sent when it changed. */
    void (*status)(void *ctx, char *buf, size_t len);
};

struct notify;

/* With NOTIFY_SOCKET set: starts the watchdog (when WATCHDOG_USEC applies to this process), waits
 * for hooks->ready on the loop, then sends READY=1 with the first STATUS=. Returns NULL when
 * NOTIFY_SOCKET is unset (or on allocation failure, logged): every call below takes NULL. The
 * hooks are copied. */
struct notify *notify_start(struct loop *l, const struct notify_hooks *hooks,
                            uint32_t ready_timeout_ms);

/* Sends STOPPING=1, cancels the timers (the loop must still exist) and frees n. */
void notify_stop(struct notify *n);

#endif
