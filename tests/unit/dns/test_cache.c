/* test_cache.c — the forwarding cache: fresh hits with TTLs counted down, expiry, stale answers
 * within the stale window and removal after it, keys apart by type and DO bit, replacement,
 * LRU eviction at the bound, counters, and concurrent readers and writers (run under ASan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "dns/cache.h"
#include "dns/fwd_wire.h"
#include "dnstest.h"

/* Normal form of an answer for name/type with one A record of TTL ttl and last byte tag. */
static size_t entry(uint8_t *msg, const char *name, uint16_t type, uint32_t ttl, uint8_t tag)
{
    uint8_t pkt[512];
    struct dt_builder b;
    uint8_t a[4] = {10, 0, 0, tag};
    dt_begin(&b, pkt, 1, name, type, 0x81, 0x80);
    dt_rr(&b, 0, NULL, DNS_TYPE_A, ttl, a, 4);
    size_t len = dt_end(&b), out;
    uint8_t qn[DNS_NAME_MAX];
    size_t ql = dns_name_from_text(name, qn);
    struct fwd_info info;
    assert_int_equal(
        fwd_normalize(pkt, len, 1, qn, ql, type, DNS_CLASS_IN, 86400, msg, 512, &out, &info),
        FWD_OK);
    return out;
}

static void put(struct fwd_cache *c, const char *name, uint16_t type, bool do_bit, uint32_t ttl,
                uint8_t tag, uint64_t now)
{
    uint8_t msg[512];
    size_t n = entry(msg, name, type, ttl, tag);
    assert_true(fwd_cache_put(c, msg, n, do_bit, 0, ttl, now));
}

/* Looks name up; returns the tag of the answer's address (-1 miss) and its TTL in *ttl. */
static int get(struct fwd_cache *c, const char *name, uint16_t type, bool do_bit, uint64_t now,
               bool stale_ok, uint32_t *ttl, enum fwd_cache_result *res)
{
    uint8_t qb[512], out[1232];
    size_t qn = dt_query(qb, 77, name, type, DNS_CLASS_IN, 1232, do_bit);
    struct dns_query q;
    assert_int_equal(dns_parse_query(qb, qn, &q), DNS_PARSE_OK);
    size_t len;
    uint16_t rcode;
    bool tc;
    enum fwd_cache_result r =
        fwd_cache_answer(c, &q, now, stale_ok ? FWD_LOOKUP_STALE : FWD_LOOKUP_CLIENT, 1232, out,
                         sizeof out, &len, &rcode, &tc);
    if (res)
        *res = r;
    if (r == FWD_CACHE_MISS)
        return -1;
    struct dt_msg m;
    assert_null(dt_parse(out, len, &m));
    assert_int_equal(m.id, 77);
    assert_string_equal(m.qname, name);
    if (ttl)
        *ttl = m.rr[0].ttl;
    return m.rr[0].rdata[3];
}

static void test_fresh_countdown_expiry_stale(void **state)
{
    (void)state;
    struct fwd_cache *c = fwd_cache_new(100);
    uint32_t ttl;
    enum fwd_cache_result r;
    assert_int_equal(get(c, "a.example", DNS_TYPE_A, false, 1000, false, NULL, NULL), -1);
    put(c, "a.example", DNS_TYPE_A, false, 60, 5, 1000);
    assert_int_equal(get(c, "A.Example", DNS_TYPE_A, false, 1000, false, &ttl, &r), 5);
    assert_int_equal(r, FWD_CACHE_FRESH);
    assert_int_equal(ttl, 60);
    assert_int_equal(get(c, "a.example", DNS_TYPE_A, false, 21500, false, &ttl, NULL), 5);
    assert_int_equal(ttl, 40);
    /* expired: a miss for normal lookups, stale (TTL 30) when asked for */
    assert_int_equal(get(c, "a.example", DNS_TYPE_A, false, 61000, false, NULL, NULL), -1);
    assert_int_equal(get(c, "a.example", DNS_TYPE_A, false, 61000, true, &ttl, &r), 5);
    assert_int_equal(r, FWD_CACHE_STALE);
    assert_int_equal(ttl, FWD_STALE_TTL);
    uint64_t end = 61000 + (uint64_t)FWD_STALE_WINDOW_S * 1000;
    assert_int_equal(get(c, "a.example", DNS_TYPE_A, false, end - 1, true, NULL, NULL), 5);
    assert_int_equal(get(c, "a.example", DNS_TYPE_A, false, end, true, NULL, NULL), -1);
    struct fwd_cache_stats st;
    fwd_cache_get_stats(c, &st);
    assert_int_equal(st.hits, 2);
    assert_int_equal(st.misses, 2);
    /* a query looked up again before it goes upstream is not counted twice */
    uint8_t qb[512], out[1232];
    size_t qn = dt_query(qb, 78, "b.example", DNS_TYPE_A, DNS_CLASS_IN, 1232, false);
    struct dns_query q;
    assert_int_equal(dns_parse_query(qb, qn, &q), DNS_PARSE_OK);
    size_t len;
    uint16_t rcode;
    bool tc;
    assert_int_equal(
        fwd_cache_answer(c, &q, end, FWD_LOOKUP_RECHECK, 1232, out, sizeof out, &len, &rcode, &tc),
        FWD_CACHE_MISS);
    fwd_cache_get_stats(c, &st);
    assert_int_equal(st.hits + st.misses, 4);
    assert_int_equal(st.stale_hits, 2);
    assert_int_equal(st.entries, 0); /* past the stale window it is gone */
    fwd_cache_free(c);
}

static void test_keys_and_replacement(void **state)
{
    (void)state;
    struct fwd_cache *c = fwd_cache_new(100);
    put(c, "k.example", DNS_TYPE_A, false, 60, 1, 0);
    put(c, "k.example", DNS_TYPE_A, true, 60, 2, 0);
    put(c, "k.example", DNS_TYPE_AAAA, false, 60, 3, 0);
    assert_int_equal(get(c, "k.example", DNS_TYPE_A, false, 0, false, NULL, NULL), 1);
    assert_int_equal(get(c, "k.example", DNS_TYPE_A, true, 0, false, NULL, NULL), 2);
    assert_int_equal(get(c, "k.example", DNS_TYPE_AAAA, false, 0, false, NULL, NULL), 3);
    assert_int_equal(get(c, "k.example", DNS_TYPE_AAAA, true, 0, false, NULL, NULL), -1);
    put(c, "k.example", DNS_TYPE_A, false, 60, 9, 0);
    assert_int_equal(get(c, "k.example", DNS_TYPE_A, false, 0, false, NULL, NULL), 9);
    struct fwd_cache_stats st;
    fwd_cache_get_stats(c, &st);
    assert_int_equal(st.entries, 3);
    assert_int_equal(st.inserts, 4);
    uint8_t msg[512];
    size_t n = entry(msg, "z.example", DNS_TYPE_A, 60, 1);
    assert_false(fwd_cache_put(c, msg, n, false, 0, 0, 0)); /* lifetime 0: not stored */
    assert_false(fwd_cache_put(c, msg, 5, false, 0, 60, 0));
    fwd_cache_free(c);
}

static void test_lru_eviction(void **state)
{
    (void)state;
    struct fwd_cache *c = fwd_cache_new(3); /* one stripe: exact LRU order */
    put(c, "one.example", DNS_TYPE_A, false, 60, 1, 0);
    put(c, "two.example", DNS_TYPE_A, false, 60, 2, 0);
    put(c, "three.example", DNS_TYPE_A, false, 60, 3, 0);
    assert_int_equal(get(c, "one.example", DNS_TYPE_A, false, 0, false, NULL, NULL), 1);
    put(c, "four.example", DNS_TYPE_A, false, 60, 4, 0); /* evicts two, least recently used */
    assert_int_equal(get(c, "two.example", DNS_TYPE_A, false, 0, false, NULL, NULL), -1);
    assert_int_equal(get(c, "one.example", DNS_TYPE_A, false, 0, false, NULL, NULL), 1);
    assert_int_equal(get(c, "three.example", DNS_TYPE_A, false, 0, false, NULL, NULL), 3);
    assert_int_equal(get(c, "four.example", DNS_TYPE_A, false, 0, false, NULL, NULL), 4);
    struct fwd_cache_stats st;
    fwd_cache_get_stats(c, &st);
    assert_int_equal(st.evictions, 1);
    assert_int_equal(st.entries, 3);
    fwd_cache_free(c);

    /* a large cache stays within its bound as well */
    c = fwd_cache_new(1000);
    char name[64];
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "n%d.example", i);
        put(c, name, DNS_TYPE_A, false, 60, (uint8_t)i, 0);
    }
    fwd_cache_get_stats(c, &st);
    assert_true(st.entries <= 1000 && st.entries > 900);
    assert_int_equal(st.evictions, 5000 - st.entries);
    snprintf(name, sizeof name, "n%d.example", 4999);
    assert_int_equal(get(c, name, DNS_TYPE_A, false, 0, false, NULL, NULL), 4999 & 0xFF);
    fwd_cache_free(c);
}

struct worker_arg {
    struct fwd_cache *c;
    int id;
};

static void *worker(void *p)
{
    struct worker_arg *a = p;
    char name[64];
    uint8_t msg[512], qb[512], out[1232];
    for (int i = 0; i < 20000; i++) {
        snprintf(name, sizeof name, "w%d.example", (i * 7 + a->id) % 300);
        if (i % 3 == 0) {
            size_t n = entry(msg, name, DNS_TYPE_A, 60, (uint8_t)a->id);
            fwd_cache_put(a->c, msg, n, false, 0, 60, (uint64_t)i);
        } else {
            size_t qn = dt_query(qb, 1, name, DNS_TYPE_A, DNS_CLASS_IN, 1232, false);
            struct dns_query q;
            if (dns_parse_query(qb, qn, &q) != DNS_PARSE_OK)
                return (void *)1;
            size_t len;
            uint16_t rcode;
            bool tc;
            if (fwd_cache_answer(a->c, &q, (uint64_t)i, false, 1232, out, sizeof out, &len, &rcode,
                                 &tc) == FWD_CACHE_FRESH &&
                (len < 12 || out[0] != 0 || out[1] != 1))
                return (void *)1;
        }
    }
    return NULL;
}

static void test_concurrent(void **state)
{
    (void)state;
    struct fwd_cache *c = fwd_cache_new(128);
    pthread_t th[4];
    struct worker_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (struct worker_arg){c, i};
        assert_int_equal(pthread_create(&th[i], NULL, worker, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        void *rv;
        pthread_join(th[i], &rv);
        assert_null(rv);
    }
    struct fwd_cache_stats st;
    fwd_cache_get_stats(c, &st);
    assert_true(st.entries <= 128);
    fwd_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_countdown_expiry_stale),
        cmocka_unit_test(test_keys_and_replacement),
        cmocka_unit_test(test_lru_eviction),
        cmocka_unit_test(test_concurrent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
