/* test_ptr_ttl.c — unit tests of the record table's PTR records and per-record TTLs: reverse names,
 * ranks, the PTR sets the snapshot derives (order, deduplication, DNS_PTR modes, empty
 * non-terminals of the reverse tree), TTLs (own, default, the smallest of several owners) and
 * their replication through deltas and full states. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vec.h"
#include "records/records.h"
#include "testlib.h"

/* ---- helpers ---- */

static const struct rec_rrset *lookup_locked(struct records *t, const char *name)
{
    uint8_t w[REC_WIRE_MAX + 1];
    size_t wl = records_name_to_wire(name, w);
    return records_lookup(records_snapshot(t), w, wl);
}

/* The PTR targets of a reverse name as "a.test,b.test" (presentation form), "-" when the name
 * does not exist; *ttl gets the set's TTL. */
static void ptrs(struct records *t, const char *rev, char *out, size_t cap, uint32_t *ttl)
{
    records_read_lock();
    const struct rec_rrset *rr = lookup_locked(t, rev);
    size_t o = 0;
    out[0] = 0;
    if (!rr) {
        snprintf(out, cap, "-");
    } else {
        for (size_t i = 0; i < rr->n_ptr; i++) {
            const uint8_t *w = rr->ptr[i].wire;
            if (i)
                out[o++] = ',';
            for (size_t k = 0; w[k]; k += (size_t)w[k] + 1) {
                if (k)
                    out[o++] = '.';
                memcpy(out + o, w + k + 1, w[k]);
                o += w[k];
            }
            assert_true(o < cap - 1);
        }
        out[o] = 0;
        if (ttl)
            *ttl = rr->ttl_ptr;
    }
    records_read_unlock();
}

static char *ptr_list(struct records *t, const char *rev)
{
    static char buf[2048];
    ptrs(t, rev, buf, sizeof buf, NULL);
    return buf;
}

static struct rec_input rin(const char *name, const char *addr, uint32_t rank)
{
    struct rec_input r = tl_in(name, addr);
    r.rank = rank;
    return r;
}

static struct rec_delta delta(const char *owner, uint64_t seq, enum rec_op op, const char *source,
                              const char *name, const char *addr)
{
    struct rec_delta d;
    memset(&d, 0, sizeof d);
    snprintf(d.owner, sizeof d.owner, "%s", owner);
    d.ver.epoch = 7;
    d.ver.seq = seq;
    d.op = op;
    snprintf(d.source, sizeof d.source, "%s", source);
    snprintf(d.name, sizeof d.name, "%s", name);
    assert_true(records_parse_addr(addr, &d.addr));
    return d;
}

static int setup(void **state)
{
    records_reader_register();
    *state = records_new("node-a", 1000);
    assert_non_null(*state);
    return 0;
}

static int teardown(void **state)
{
    records_free(*state);
    records_reader_unregister();
    return 0;
}

/* ---- helpers of the public API ---- */

static void test_reverse_name(void **state)
{
    (void)state;
    char b[REC_REVERSE_MAX + 1];
    struct rec_addr a;
    assert_true(records_parse_addr("192.168.1.20", &a));
    assert_int_equal(records_reverse_name(&a, b), strlen("20.1.168.192.in-addr.arpa"));
    assert_string_equal(b, "20.1.168.192.in-addr.arpa");
    assert_true(records_parse_addr("255.255.255.255", &a));
    records_reverse_name(&a, b);
    assert_string_equal(b, "255.255.255.255.in-addr.arpa");
    assert_true(records_parse_addr("2001:db8::567:89ab", &a));
    assert_int_equal(records_reverse_name(&a, b), REC_REVERSE_MAX);
    assert_string_equal(b,
                        "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
    char norm[REC_NAME_MAX + 1];
    assert_true(records_normalize_name(b, norm)); /* a valid record name */
    /* and back */
    struct rec_addr back, want;
    assert_true(records_parse_reverse_name(b, &back));
    assert_true(records_parse_addr("2001:db8::567:89ab", &want));
    assert_memory_equal(&back, &want, sizeof want);
    assert_true(records_parse_reverse_name("20.1.168.192.in-addr.arpa", &back));
    assert_true(records_parse_addr("192.168.1.20", &want));
    assert_memory_equal(&back, &want, sizeof want);
    assert_true(records_parse_reverse_name("0.0.0.0.in-addr.arpa", &back));
    const char *bad[] = {"1.168.192.in-addr.arpa",
                         "5.20.1.168.192.in-addr.arpa",
                         "256.1.168.192.in-addr.arpa",
                         "020.1.168.192.in-addr.arpa",
                         "x.1.168.192.in-addr.arpa",
                         "20.1.168.192.in-addr.arpa.x",
                         "in-addr.arpa",
                         "ip6.arpa",
                         "web.example.com",
                         "1.2.3.4",
                         "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.ip6.arpa",
                         "g.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
                         "ba.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(records_parse_reverse_name(bad[i], &back));
}

static void test_inputs_rank(void **state)
{
    (void)state;
    struct rec_inputs l = {0};
    const char *names[] = {"a", "b", "c", "d", "e"};
    const char *addrs[] = {"10.0.0.1", "10.0.0.2", "10.0.0.1", "fd00::1", "10.0.0.1"};
    for (int i = 0; i < 5; i++)
        *(struct rec_input *)vec_push_zero(&l) = tl_in(names[i], addrs[i]);
    assert_true(rec_inputs_rank(&l));
    const uint32_t want[] = {0, 0, 1, 0, 2};
    for (int i = 0; i < 5; i++)
        assert_int_equal(l.v[i].rank, want[i]);
    /* a repeated pair keeps its first place */
    *(struct rec_input *)vec_push_zero(&l) = rin("a", "10.0.0.1", 9);
    l.v[0].rank = 3;
    l.v[5].rank = 1;
    assert_int_equal(rec_inputs_dedupe(&l), 5);
    assert_string_equal(l.v[0].name, "a");
    assert_int_equal(l.v[0].rank, 1);
    rec_inputs_free(&l);
}

/* ---- PTR sets in the snapshot ---- */

static void test_ptr_order_and_ancestors(void **state)
{
    struct records *t = *state;
    /* "10.0.0.5 web www" then "10.0.0.5 alias": ranks 0, 1, 2 as the hosts parser gives them */
    struct rec_input in[] = {rin("www.test", "10.0.0.5", 1), rin("web.test", "10.0.0.5", 0),
                             rin("alias.test", "10.0.0.5", 2), rin("v6.test", "fd00::5", 0),
                             rin("zz.test", "10.0.0.6", 0)};
    assert_int_equal(records_set_source(t, "hosts:/h/a", in, 5), 5);
    assert_string_equal(ptr_list(t, "5.0.0.10.in-addr.arpa"), "web.test,www.test,alias.test");
    assert_string_equal(ptr_list(t, "6.0.0.10.in-addr.arpa"), "zz.test");
    assert_string_equal(
        ptr_list(t, "5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa"),
        "v6.test");
    /* the reverse tree's ancestors are empty non-terminals, other addresses do not exist */
    const char *ents[] = {"0.0.10.in-addr.arpa",
                          "0.10.in-addr.arpa",
                          "10.in-addr.arpa",
                          "in-addr.arpa",
                          "d.f.ip6.arpa",
                          "ip6.arpa",
                          "arpa"};
    for (size_t i = 0; i < sizeof ents / sizeof ents[0]; i++)
        assert_string_equal(ptr_list(t, ents[i]), "");
    records_read_lock();
    const struct rec_rrset *ent = lookup_locked(t, "0.0.10.in-addr.arpa");
    assert_non_null(ent);
    assert_int_equal(ent->n_a + ent->n_aaaa + ent->n_ptr, 0);
    records_read_unlock();
    assert_string_equal(ptr_list(t, "7.0.0.10.in-addr.arpa"), "-");
    assert_string_equal(ptr_list(t, "1.0.10.in-addr.arpa"), "-");
    /* PTRs are not counted as served pairs */
    struct records_stats st;
    records_get_stats(t, &st);
    assert_int_equal(st.served, 5);
    /* a new rank reorders (and is a change) */
    in[2].rank = 0;
    in[1].rank = 2;
    assert_int_equal(records_set_source(t, "hosts:/h/a", in, 5), 2);
    assert_string_equal(ptr_list(t, "5.0.0.10.in-addr.arpa"), "alias.test,www.test,web.test");
    /* withdrawn with the source */
    assert_true(records_set_source(t, "hosts:/h/a", NULL, 0) > 0);
    assert_string_equal(ptr_list(t, "5.0.0.10.in-addr.arpa"), "-");
    assert_string_equal(ptr_list(t, "in-addr.arpa"), "-");
}

static void test_wildcards_give_no_ptr(void **state)
{
    struct records *t = *state;
    /* "10.0.0.8 *.apps.test proxy.test": the wildcard stands for many names, none of them its */
    struct rec_input in[] = {rin("*.apps.test", "10.0.0.8", 0), rin("proxy.test", "10.0.0.8", 1)};
    assert_int_equal(records_set_source(t, "hosts:/h/w", in, 2), 2);
    assert_string_equal(ptr_list(t, "8.0.0.10.in-addr.arpa"), "proxy.test");
    assert_int_equal(records_set_source(t, "hosts:/h/w", in, 1), 1);
    assert_string_equal(ptr_list(t, "8.0.0.10.in-addr.arpa"), "-");
}

static void test_ptr_across_sources_and_owners(void **state)
{
    struct records *t = *state;
    struct rec_input a[] = {rin("b.test", "10.0.0.5", 0), rin("c.test", "10.0.0.5", 1)};
    struct rec_input b[] = {rin("a.test", "10.0.0.5", 1), rin("b.test", "10.0.0.5", 3)};
    assert_int_equal(records_set_source(t, "hosts:/h/one", a, 2), 2);
    assert_int_equal(records_set_source(t, "hosts:/h/two", b, 2), 2);
    /* b.test once (its smallest rank 0), then rank 1 by name */
    assert_string_equal(ptr_list(t, "5.0.0.10.in-addr.arpa"), "b.test,a.test,c.test");
    /* another node's hosts record of the same address */
    struct rec_delta d = delta("node-b", 1, REC_OP_ADD, "hosts:/etc/x", "first.test", "10.0.0.5");
    assert_int_equal(records_apply_delta(t, &d), REC_APPLIED);
    assert_string_equal(ptr_list(t, "5.0.0.10.in-addr.arpa"), "b.test,first.test,a.test,c.test");
    /* dormant owner: its PTR goes with its records */
    records_set_owner_alive(t, "node-b", false);
    assert_string_equal(ptr_list(t, "5.0.0.10.in-addr.arpa"), "b.test,a.test,c.test");
    records_set_owner_alive(t, "node-b", true);
    assert_string_equal(ptr_list(t, "5.0.0.10.in-addr.arpa"), "b.test,first.test,a.test,c.test");
    /* a replicated rank comes with the delta */
    d = delta("node-b", 2, REC_OP_ADD, "hosts:/etc/x", "late.test", "10.0.0.5");
    d.rank = 5;
    assert_int_equal(records_apply_delta(t, &d), REC_APPLIED);
    assert_string_equal(ptr_list(t, "5.0.0.10.in-addr.arpa"),
                        "b.test,first.test,a.test,c.test,late.test");
    /* and a later add of the same entry with another rank moves it */
    d = delta("node-b", 3, REC_OP_ADD, "hosts:/etc/x", "late.test", "10.0.0.5");
    assert_int_equal(records_apply_delta(t, &d), REC_APPLIED);
    assert_string_equal(ptr_list(t, "5.0.0.10.in-addr.arpa"),
                        "b.test,first.test,late.test,a.test,c.test");
}

static void test_ptr_modes(void **state)
{
    struct records *t = *state;
    struct rec_input h[] = {rin("h.test", "10.0.0.1", 0)};
    struct rec_input d[] = {rin("d.test", "10.0.0.1", 0), rin("d2.test", "10.0.0.1", 1)};
    struct rec_input api[] = {rin("api.test", "10.0.0.2", 0)};
    assert_int_equal(records_set_source(t, "hosts:/h", h, 1), 1);
    assert_int_equal(records_set_source(t, "docker:abc", d, 2), 2);
    assert_int_equal(records_set_source(t, "api", api, 1), 1);
    /* default: hosts only */
    assert_string_equal(ptr_list(t, "1.0.0.10.in-addr.arpa"), "h.test");
    assert_string_equal(ptr_list(t, "2.0.0.10.in-addr.arpa"), "-");
    assert_true(records_ptr_source(REC_PTR_HOSTS, "hosts:/x"));
    assert_false(records_ptr_source(REC_PTR_HOSTS, "docker:abc"));
    assert_false(records_ptr_source(REC_PTR_OFF, "hosts:/x"));
    assert_true(records_ptr_source(REC_PTR_ALL, "api"));
    assert_true(records_gives_ptr(REC_PTR_HOSTS, "hosts:/x", "a.test"));
    assert_false(records_gives_ptr(REC_PTR_ALL, "hosts:/x", "*.a.test"));
    assert_false(records_gives_ptr(REC_PTR_HOSTS, "docker:abc", "a.test"));
    struct rec_policy all = {.default_ttl = 60, .ptr = REC_PTR_ALL};
    records_set_policy(t, &all);
    assert_string_equal(ptr_list(t, "1.0.0.10.in-addr.arpa"), "d.test,h.test,d2.test");
    assert_string_equal(ptr_list(t, "2.0.0.10.in-addr.arpa"), "api.test");
    struct rec_policy off = {.default_ttl = 60, .ptr = REC_PTR_OFF};
    records_set_policy(t, &off);
    assert_string_equal(ptr_list(t, "1.0.0.10.in-addr.arpa"), "-");
    assert_string_equal(ptr_list(t, "in-addr.arpa"), "-");
}

/* The snapshot's reverse names are the ones records_reverse_name spells, for octets of every
 * width and every nibble. */
static void test_reverse_names_in_snapshot(void **state)
{
    struct records *t = *state;
    const char *addrs[] = {"192.0.10.255", "1.20.100.7", "0.0.0.0",
                           "2001:db8:abcd:ef01:2345:6789:a:fff0"};
    struct rec_input in[4];
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof name, "n%d.test", i);
        in[i] = tl_in(name, addrs[i]);
    }
    assert_int_equal(records_set_source(t, "hosts:/h", in, 4), 4);
    for (int i = 0; i < 4; i++) {
        char rev[REC_REVERSE_MAX + 1], want[32];
        records_reverse_name(&in[i].addr, rev);
        snprintf(want, sizeof want, "n%d.test", i);
        assert_string_equal(ptr_list(t, rev), want);
    }
}

/* A hosts name that is itself a reverse name keeps its address next to the derived PTRs. */
static void test_reverse_name_with_address(void **state)
{
    struct records *t = *state;
    struct rec_input in[] = {rin("1.0.0.10.in-addr.arpa", "10.0.0.9", 0),
                             rin("one.test", "10.0.0.1", 0)};
    assert_int_equal(records_set_source(t, "hosts:/h", in, 2), 2);
    records_read_lock();
    const struct rec_rrset *rr = lookup_locked(t, "1.0.0.10.in-addr.arpa");
    assert_non_null(rr);
    assert_int_equal(rr->n_a, 1);
    assert_int_equal(rr->n_ptr, 1);
    records_read_unlock();
}

/* ---- TTLs ---- */

static uint32_t ttl_a(struct records *t, const char *name)
{
    records_read_lock();
    const struct rec_rrset *rr = lookup_locked(t, name);
    assert_non_null(rr);
    assert_true(rr->n_a > 0);
    uint32_t v = rr->ttl_a;
    records_read_unlock();
    return v;
}

static struct rec_delta seen;
static int nseen;
static void observe(const struct rec_delta *d, void *ctx)
{
    (void)ctx;
    seen = *d;
    nseen++;
}

static void test_ttl_own_default_and_minimum(void **state)
{
    struct records *t = *state;
    struct rec_input in[] = {tl_in("a.test", "10.0.0.1"), tl_in("a.test", "fd00::1"),
                             tl_in("b.test", "10.0.0.2")};
    in[0].has_ttl = true;
    in[0].ttl = 300;
    in[2].has_ttl = true;
    in[2].ttl = 0; /* a TTL of 0 is a TTL, not "none" */
    records_set_observer(t, observe, NULL);
    assert_int_equal(records_set_source(t, "docker:c1", in, 3), 3);
    assert_int_equal(ttl_a(t, "a.test"), 300);
    assert_int_equal(ttl_a(t, "b.test"), 0);
    records_read_lock();
    assert_int_equal(lookup_locked(t, "a.test")->ttl_aaaa, 60); /* the policy's default */
    records_read_unlock();
    struct rec_policy p = {.default_ttl = 45, .ptr = REC_PTR_HOSTS};
    records_set_policy(t, &p);
    records_read_lock();
    assert_int_equal(lookup_locked(t, "a.test")->ttl_aaaa, 45);
    records_read_unlock();
    /* the smallest TTL of the name's owners */
    struct rec_delta d = delta("node-b", 1, REC_OP_ADD, "docker:c2", "a.test", "10.0.0.7");
    d.has_ttl = true;
    d.ttl = 20;
    assert_int_equal(records_apply_delta(t, &d), REC_APPLIED);
    assert_int_equal(ttl_a(t, "a.test"), 20);
    d = delta("node-b", 2, REC_OP_ADD, "docker:c2", "a.test", "10.0.0.7");
    d.has_ttl = true;
    d.ttl = 900; /* a changed TTL comes as a new add of the same entry */
    assert_int_equal(records_apply_delta(t, &d), REC_APPLIED);
    assert_int_equal(ttl_a(t, "a.test"), 300);
    d = delta("node-b", 3, REC_OP_ADD, "docker:c2", "a.test", "10.0.0.7"); /* no TTL: default */
    assert_int_equal(records_apply_delta(t, &d), REC_APPLIED);
    assert_int_equal(ttl_a(t, "a.test"), 45);
    /* a local TTL change is a change: one add delta carrying it */
    nseen = 0;
    in[0].ttl = 30;
    assert_int_equal(records_set_source(t, "docker:c1", in, 3), 1);
    assert_int_equal(nseen, 1);
    assert_int_equal(seen.op, REC_OP_ADD);
    assert_true(seen.has_ttl);
    assert_int_equal(seen.ttl, 30);
    assert_string_equal(seen.name, "a.test");
    assert_int_equal(ttl_a(t, "a.test"), 30);
    /* the same inputs again: nothing */
    assert_int_equal(records_set_source(t, "docker:c1", in, 3), 0);
    assert_int_equal(nseen, 1);
    records_set_observer(t, NULL, NULL);
}

struct export_ctx {
    struct rec_view v[8];
    char names[8][REC_NAME_MAX + 1];
    char sources[8][REC_SOURCE_MAX + 1];
    size_t n;
};

static void collect(const struct rec_view *v, void *vctx)
{
    struct export_ctx *x = vctx;
    assert_true(x->n < 8);
    x->v[x->n] = *v;
    snprintf(x->names[x->n], sizeof x->names[0], "%s", v->name);
    snprintf(x->sources[x->n], sizeof x->sources[0], "%s", v->source);
    x->v[x->n].name = x->names[x->n];
    x->v[x->n].source = x->sources[x->n];
    x->v[x->n].owner = "node-a";
    x->n++;
}

static void test_ttl_and_rank_in_full_states(void **state)
{
    struct records *t = *state;
    struct rec_input in[] = {rin("a.test", "10.0.0.1", 0), rin("b.test", "10.0.0.1", 1)};
    in[0].has_ttl = true;
    in[0].ttl = 120;
    assert_int_equal(records_set_source(t, "hosts:/h", in, 2), 2);
    /* export the local owner's state and merge it into a second table as a remote owner */
    struct export_ctx x = {0};
    struct rec_version ver;
    assert_true(records_export_owner(t, "node-a", &ver, collect, &x));
    assert_int_equal(x.n, 2);
    for (size_t i = 0; i < 2; i++) {
        bool a = strcmp(x.v[i].name, "a.test") == 0;
        assert_int_equal(x.v[i].rank, a ? 0 : 1);
        assert_int_equal(x.v[i].has_ttl, a);
        assert_int_equal(x.v[i].ttl, a ? 120 : 0);
    }
    struct records *r = records_new("node-z", 5);
    assert_non_null(r);
    assert_int_equal(records_merge_owner(r, "node-a", ver, x.v, x.n), 2);
    assert_int_equal(ttl_a(r, "a.test"), 120);
    assert_int_equal(ttl_a(r, "b.test"), 60);
    assert_string_equal(ptr_list(r, "1.0.0.10.in-addr.arpa"), "a.test,b.test");
    /* a newer state with new ranks and TTL */
    in[0].rank = 4;
    in[0].ttl = 10;
    assert_int_equal(records_set_source(t, "hosts:/h", in, 2), 1);
    x.n = 0;
    assert_true(records_export_owner(t, "node-a", &ver, collect, &x));
    assert_int_equal(records_merge_owner(r, "node-a", ver, x.v, x.n), 1);
    assert_int_equal(ttl_a(r, "a.test"), 10);
    uint32_t pttl = 0;
    char buf[256];
    ptrs(r, "1.0.0.10.in-addr.arpa", buf, sizeof buf, &pttl);
    assert_string_equal(buf, "b.test,a.test");
    assert_int_equal(pttl, 10); /* the smallest of the targets' TTLs */
    records_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reverse_name),
        cmocka_unit_test(test_inputs_rank),
        cmocka_unit_test_setup_teardown(test_ptr_order_and_ancestors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wildcards_give_no_ptr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ptr_across_sources_and_owners, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ptr_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reverse_names_in_snapshot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reverse_name_with_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ttl_own_default_and_minimum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ttl_and_rank_in_full_states, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
