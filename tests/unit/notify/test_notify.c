/* test_notify.c — notify against a datagram socket standing in for systemd: nothing without
 * NOTIFY_SOCKET; READY=1 (with STATUS=) only once the ready hook says so, or at the ready timeout;
 * STATUS= sent again only when it changes; WATCHDOG=1 at half of WATCHDOG_USEC, none when
 * WATCHDOG_PID names another process; STOPPING=1 from notify_stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/loop.h"
#include "notify/notify.h"

struct fake_systemd {
    int fd;
    char path[108];
};

static void fake_open(struct fake_systemd *f)
{
    snprintf(f->path, sizeof f->path, "/tmp/jr-notify-%ld-%d.sock", (long)getpid(), rand());
    f->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(f->fd >= 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", f->path);
    assert_int_equal(bind(f->fd, (struct sockaddr *)&a, sizeof a), 0);
    setenv("NOTIFY_SOCKET", f->path, 1);
}

static void fake_close(struct fake_systemd *f)
{
    close(f->fd);
    unlink(f->path);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
}

/* The next message, or "" when none is queued. */
static const char *next_msg(struct fake_systemd *f, char *buf, size_t len)
{
    ssize_t n = recv(f->fd, buf, len - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static int count_msgs(struct fake_systemd *f, const char *prefix)
{
    char m[512];
    int n = 0;
    while (next_msg(f, m, sizeof m)[0])
        n += strncmp(m, prefix, strlen(prefix)) == 0;
    return n;
}

static void stop_loop(void *ctx)
{
    loop_stop(ctx);
}

static void run_for(struct loop *l, uint64_t ms)
{
    loop_timer_add(l, ms, stop_loop, l);
    loop_run(l);
}

struct state {
    bool ready;
    int status_calls;
    char status[64];
};

static bool hook_ready(void *ctx)
{
    return ((struct state *)ctx)->ready;
}

static void hook_status(void *ctx, char *buf, size_t len)
{
    struct state *s = ctx;
    s->status_calls++;
    snprintf(buf, len, "%s", s->status);
}

static void test_nothing_without_socket(void **state)
{
    (void)state;
    unsetenv("NOTIFY_SOCKET");
    struct loop *l = loop_new();
    struct state s = {.ready = true};
    struct notify_hooks h = {.ctx = &s, .ready = hook_ready, .status = hook_status};
    assert_null(notify_start(l, &h, 1000));
    notify_stop(NULL); /* NULL-safe */
    assert_int_equal(s.status_calls, 0);
    loop_free(l);
}

static void test_ready_waits_for_the_hook_then_status_on_change(void **state)
{
    (void)state;
    struct fake_systemd f;
    fake_open(&f);
    struct loop *l = loop_new();
    struct state s = {.ready = false};
    snprintf(s.status, sizeof s.status, "3 records served");
    struct notify_hooks h = {.ctx = &s, .ready = hook_ready, .status = hook_status};
    struct notify *n = notify_start(l, &h, 60000);
    assert_non_null(n);
    run_for(l, 50);
    char m[512];
    assert_string_equal(next_msg(&f, m, sizeof m), ""); /* not ready yet: nothing */
    s.ready = true;
    run_for(l, 30);
    assert_string_equal(next_msg(&f, m, sizeof m), "READY=1\nSTATUS=3 records served");
    run_for(l, 1100); /* one status round, unchanged: nothing sent */
    assert_string_equal(next_msg(&f, m, sizeof m), "");
    assert_true(s.status_calls >= 2);
    snprintf(s.status, sizeof s.status, "4 records served");
    run_for(l, 1100);
    assert_string_equal(next_msg(&f, m, sizeof m), "STATUS=4 records served");
    notify_stop(n);
    assert_string_equal(next_msg(&f, m, sizeof m), "STOPPING=1");
    assert_string_equal(next_msg(&f, m, sizeof m), "");
    loop_free(l);
    fake_close(&f);
}

static void test_ready_at_the_timeout(void **state)
{
    (void)state;
    struct fake_systemd f;
    fake_open(&f);
    struct loop *l = loop_new();
    struct state s = {.ready = false};
    struct notify_hooks h = {.ctx = &s, .ready = hook_ready};
    uint64_t t0 = loop_now_ms();
    struct notify *n = notify_start(l, &h, 200);
    run_for(l, 50);
    char m[512];
    if (loop_now_ms() - t0 < 200) /* (a loaded machine may have slept past the timeout) */
        assert_string_equal(next_msg(&f, m, sizeof m), "");
    run_for(l, 250);
    assert_string_equal(next_msg(&f, m, sizeof m), "READY=1\nSTATUS=");
    notify_stop(n);
    loop_free(l);
    fake_close(&f);
}

static void test_watchdog_half_interval(void **state)
{
    (void)state;
    struct fake_systemd f;
    fake_open(&f);
    setenv("WATCHDOG_USEC", "100000", 1); /* pings every 50 ms */
    struct loop *l = loop_new();
    struct notify_hooks h = {0};
    struct notify *n = notify_start(l, &h, 1000);
    /* fewer messages than a datagram socket queues (10): nothing reads while the loop runs */
    run_for(l, 220);
    int pings = count_msgs(&f, "WATCHDOG=1");
    assert_true(pings >= 3 && pings <= 6); /* at 0, 50, ..., 200 ms; fewer when loaded */
    notify_stop(n);
    loop_free(l);

    /* WATCHDOG_PID naming another process: the watchdog is not ours */
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long)getppid());
    setenv("WATCHDOG_PID", pid, 1);
    l = loop_new();
    n = notify_start(l, &h, 1000);
    run_for(l, 200);
    assert_int_equal(count_msgs(&f, "WATCHDOG=1"), 0);
    notify_stop(n);
    /* and naming this process: it is */
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    setenv("WATCHDOG_PID", pid, 1);
    n = notify_start(l, &h, 1000);
    run_for(l, 120);
    assert_true(count_msgs(&f, "WATCHDOG=1") >= 2);
    notify_stop(n);
    loop_free(l);
    fake_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_without_socket),
        cmocka_unit_test(test_ready_waits_for_the_hook_then_status_on_change),
        cmocka_unit_test(test_ready_at_the_timeout),
        cmocka_unit_test(test_watchdog_half_interval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
