/* test_joinlimit.c — the limiter on joins that discovery triggers: the token bucket (burst, then
 * SYNC_JOIN_PER_S per second), the per-address doubling backoff, its reset, and the bounded
 * address table. Virtual time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "sync/joinlimit.h"

static struct swim_addr addr(uint32_t n, uint16_t port)
{
    struct swim_addr a = {
        .ip = {127, (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n}, .ip_len = 4, .port = port};
    return a;
}

static void test_bucket(void **state)
{
    (void)state;
    struct sync_join_limiter l;
    uint64_t t = 1000000;
    sync_join_limiter_init(&l, t);
    /* a burst of new addresses, then the rate */
    uint32_t next = 1;
    for (int i = 0; i < SYNC_JOIN_BURST; i++) {
        struct swim_addr a = addr(next++, 8890);
        assert_int_equal(sync_join_check(&l, &a, t), SYNC_JOIN_GO);
    }
    struct swim_addr a = addr(next++, 8890);
    assert_int_equal(sync_join_check(&l, &a, t), SYNC_JOIN_RATE);
    /* 10 s of a flood, one new address per ms: SYNC_JOIN_PER_S per second get through */
    int go = 0;
    for (int ms = 1; ms <= 10000; ms++) {
        a = addr(next++, 8890);
        go += sync_join_check(&l, &a, t + (uint64_t)ms) == SYNC_JOIN_GO;
    }
    assert_int_equal(go, 10 * SYNC_JOIN_PER_S);
    /* idle time refills to the burst, never beyond */
    t += 10000 + 3600 * 1000;
    go = 0;
    for (int i = 0; i < 3 * SYNC_JOIN_BURST; i++) {
        a = addr(next++, 8890);
        go += sync_join_check(&l, &a, t) == SYNC_JOIN_GO;
    }
    assert_int_equal(go, SYNC_JOIN_BURST);
}

static void test_backoff_per_address(void **state)
{
    (void)state;
    struct sync_join_limiter l;
    uint64_t t = 5000;
    sync_join_limiter_init(&l, t);
    struct swim_addr a = addr(7, 8890), b = addr(7, 8891);
    /* one address announced once a millisecond for 60 s: attempts at 0, 1, 3, 7, 15, 31, 47 s */
    int go = 0;
    uint64_t last_go = 0, gaps[16];
    for (uint64_t ms = 0; ms < 60000; ms++) {
        if (sync_join_check(&l, &a, t + ms) == SYNC_JOIN_GO) {
            if (go)
                gaps[go - 1] = ms - last_go;
            last_go = ms;
            go++;
        }
    }
    assert_int_equal(go, 7);
    const uint64_t want[] = {1000, 2000, 4000, 8000, 16000, 16000};
    for (int i = 0; i < 6; i++)
        assert_int_equal(gaps[i], want[i]);
    /* another port is another address */
    assert_int_equal(sync_join_check(&l, &b, t + 60000), SYNC_JOIN_GO);
    /* a member again: its backoff is forgotten */
    sync_join_reset(&l, &a);
    assert_int_equal(sync_join_check(&l, &a, t + 60001), SYNC_JOIN_GO);
    assert_int_equal(sync_join_check(&l, &a, t + 60002), SYNC_JOIN_BACKOFF);
    assert_int_equal(sync_join_check(&l, &a, t + 61001), SYNC_JOIN_GO);
}

static void test_address_table_is_bounded(void **state)
{
    (void)state;
    struct sync_join_limiter l;
    uint64_t t = 0;
    sync_join_limiter_init(&l, t);
    /* many more addresses than slots, slowly enough for the bucket: the least recently tried
     * address gives its slot up, the table never grows */
    for (uint32_t i = 0; i < 4 * SYNC_JOIN_ADDRS; i++) {
        struct swim_addr a = addr(i, 1);
        t += 1000;
        assert_int_equal(sync_join_check(&l, &a, t), SYNC_JOIN_GO);
    }
    size_t used = 0;
    for (size_t i = 0; i < SYNC_JOIN_ADDRS; i++)
        used += l.a[i].used;
    assert_int_equal(used, SYNC_JOIN_ADDRS);
    /* the most recent ones are still held back */
    struct swim_addr last = addr(4 * SYNC_JOIN_ADDRS - 1, 1);
    assert_int_equal(sync_join_check(&l, &last, t + 10), SYNC_JOIN_BACKOFF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket),
        cmocka_unit_test(test_backoff_per_address),
        cmocka_unit_test(test_address_table_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
