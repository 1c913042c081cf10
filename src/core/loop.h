/* core/loop.h — the control thread's event loop: fd readiness (epoll), one-shot timers, and
 * thread-safe posting of work and stop requests from other threads. */
#ifndef JOYRIDE_LOOP_H
#define JOYRIDE_LOOP_H

#include <stdint.h>

struct loop;
struct loop_timer;

typedef void (*loop_fd_cb)(int fd, uint32_t events, void *ctx);
typedef void (*loop_cb)(void *ctx);

struct loop *loop_new(void);
/* Frees the loop; pending timers and posted callbacks are dropped without running. */
void loop_free(struct loop *l);

/* Watch fd for EPOLLIN/EPOLLOUT/...; cb runs on the loop thread. Returns 0 or -errno. */
int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb, void *ctx);
int loop_mod_fd(struct loop *l, int fd, uint32_t events);
void loop_del_fd(struct loop *l, int fd);

/* One-shot timer after delay_ms. The handle is valid until the callback starts or until
 * loop_timer_cancel; cancelling from inside its own callback is not allowed (it is already gone).
 */
struct loop_timer *loop_timer_add(struct loop *l, uint64_t delay_ms, loop_cb cb, void *ctx);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);

/* Monotonic milliseconds. */
uint64_t loop_now_ms(void);

/* Runs until loop_stop. Returns 0. */
int loop_run(struct loop *l);
/* Thread-safe: makes loop_run return after the current iteration. */
void loop_stop(struct loop *l);
/* Thread-safe: runs fn(ctx) on the loop thread soon. Returns 0 or -ENOMEM. */
int loop_post(struct loop *l, loop_cb fn, void *ctx);

#endif
