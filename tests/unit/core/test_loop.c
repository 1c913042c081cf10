/* test_loop.c — unit tests for the event loop: timer order, cancel, fd readiness, cross-thread
 * post and stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <unistd.h>

#include "core/loop.h"

struct order_ctx {
    struct loop *l;
    int seen[8];
    int n;
    int stop_after;
};

struct tick {
    struct order_ctx *o;
    int id;
};

static void on_tick(void *ctx)
{
    struct tick *t = ctx;
    t->o->seen[t->o->n++] = t->id;
    if (t->o->n == t->o->stop_after)
        loop_stop(t->o->l);
}

static void test_timers_fire_in_due_order(void **state)
{
    (void)state;
    struct loop *l = loop_new();
    assert_non_null(l);
    struct order_ctx o = {.l = l, .stop_after = 3};
    struct tick a = {&o, 1}, b = {&o, 2}, c = {&o, 3}, d = {&o, 4};
    uint64_t t0 =
        loop_now_ms(); /* before the timers are armed: their due times are >= t0 + delay */
    assert_non_null(loop_timer_add(l, 30, on_tick, &c));
    assert_non_null(loop_timer_add(l, 10, on_tick, &a));
    struct loop_timer *cancelled = loop_timer_add(l, 15, on_tick, &d);
    assert_non_null(loop_timer_add(l, 20, on_tick, &b));
    loop_timer_cancel(l, cancelled);
    assert_int_equal(loop_run(l), 0);
    assert_true(loop_now_ms() - t0 >= 30);
    assert_int_equal(o.n, 3);
    assert_int_equal(o.seen[0], 1);
    assert_int_equal(o.seen[1], 2);
    assert_int_equal(o.seen[2], 3);
    loop_free(l);
}

struct fd_ctx {
    struct loop *l;
    char got;
};

static void on_readable(int fd, uint32_t events, void *ctx)
{
    (void)events;
    struct fd_ctx *f = ctx;
    assert_int_equal(read(fd, &f->got, 1), 1);
    loop_del_fd(f->l, fd);
    loop_stop(f->l);
}

static void test_fd_readiness_and_delete_in_callback(void **state)
{
    (void)state;
    struct loop *l = loop_new();
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct fd_ctx f = {.l = l};
    assert_int_equal(loop_add_fd(l, p[0], 0x001 /* EPOLLIN */, on_readable, &f), 0);
    assert_int_equal(write(p[1], "x", 1), 1);
    loop_run(l);
    assert_int_equal(f.got, 'x');
    close(p[0]);
    close(p[1]);
    loop_free(l);
}

static void on_posted(void *ctx)
{
    struct order_ctx *o = ctx;
    o->seen[o->n++] = 42;
    loop_stop(o->l);
}

static void *poster(void *arg)
{
    struct order_ctx *o = arg;
    loop_post(o->l, on_posted, o);
    return NULL;
}

static void test_post_from_other_thread(void **state)
{
    (void)state;
    struct loop *l = loop_new();
    struct order_ctx o = {.l = l};
    pthread_t th;
    pthread_create(&th, NULL, poster, &o);
    loop_run(l);
    pthread_join(th, NULL);
    assert_int_equal(o.n, 1);
    assert_int_equal(o.seen[0], 42);
    loop_free(l);
}

static void *stopper(void *arg)
{
    loop_stop(arg);
    return NULL;
}

static void test_stop_from_other_thread_with_pending_timer(void **state)
{
    (void)state;
    struct loop *l = loop_new();
    struct order_ctx o = {.l = l, .stop_after = 99};
    struct tick a = {&o, 1};
    loop_timer_add(l, 60000, on_tick, &a);
    pthread_t th;
    pthread_create(&th, NULL, stopper, l);
    uint64_t t0 = loop_now_ms();
    loop_run(l);
    pthread_join(th, NULL);
    assert_true(loop_now_ms() - t0 < 5000);
    assert_int_equal(o.n, 0);
    loop_free(l); /* frees the pending timer */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers_fire_in_due_order),
        cmocka_unit_test(test_fd_readiness_and_delete_in_callback),
        cmocka_unit_test(test_post_from_other_thread),
        cmocka_unit_test(test_stop_from_other_thread_with_pending_timer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
