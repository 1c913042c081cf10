/* test_overlay.c — unit tests of the record table's incremental publication: after every step of
 * randomized change sequences (local hosts and Docker sources, remote owners' adds and removals,
 * restarts, liveness, departures, batches; records with ranks and TTLs, PTRs from hosts sources
 * and policy changes; names nested so that ancestors, empty non-terminals and shadowing change
 * all the time), the published snapshot, delta over base, answers every name (addresses, TTLs,
 * and at the addresses' reverse names and their ancestors, PTR targets in order) exactly as a
 * snapshot rebuilt in full from the served set that this test derives itself from the listing
 * (tombstones, dormant owners, hosts shadowing), with the same count and content digest
 * and a version that changes exactly when the served set does. Background merges are tuned to
 * happen often. Also: concurrent readers see a whole change or none of it across merges, and a
 * one-name change at 100k records costs far less than a rebuild. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/vec.h"
#include "records/internal.h"
#include "records/records.h"
#include "records/snapshot.h"

static uint64_t rng;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

/* ---- the universe: names nested three deep under two top-level labels ---- */

#define NNAMES 80
static char names[NNAMES][32];
static size_t nnames;

static void make_names(void)
{
    static const char *top[] = {"z", "q"};
    static const char *lab[] = {"a", "b", "c"};
    nnames = 0;
    for (int t = 0; t < 2; t++) {
        snprintf(names[nnames++], sizeof names[0], "%s", top[t]);
        for (int i = 0; i < 3; i++) {
            snprintf(names[nnames++], sizeof names[0], "%s.%s", lab[i], top[t]);
            for (int j = 0; j < 3; j++) {
                snprintf(names[nnames++], sizeof names[0], "%s.%s.%s", lab[j], lab[i], top[t]);
                if (t == 0)
                    for (int k = 0; k < 2; k++)
                        snprintf(names[nnames++], sizeof names[0], "%s.%s.%s.%s", lab[k], lab[j],
                                 lab[i], top[t]);
            }
        }
    }
    snprintf(names[nnames++], sizeof names[0], "*.a.z"); /* wildcards give no PTR */
    snprintf(names[nnames++], sizeof names[0], "*.c.b.z");
}

static const char *rand_name(void)
{
    /* Deep names more often, so ancestors come and go as empty non-terminals. */
    return names[rnd(3) ? nnames - 1 - rnd((uint32_t)nnames / 2) : rnd((uint32_t)nnames)];
}

static struct rec_addr rand_addr(void)
{
    static const char *pool[] = {"10.0.0.1", "10.0.0.2", "10.0.0.3",
                                 "10.0.0.4", "fd00::1",  "fd00::2"};
    struct rec_addr a;
    assert_true(records_parse_addr(pool[rnd(6)], &a));
    return a;
}

/* Every name checked: the universe, two never used, and the pool's reverse names with their
 * ancestors. */
#define NCHECK (NNAMES + 64)
static char checked[NCHECK][REC_REVERSE_MAX + 1];
static size_t nchecked;

static void add_checked(const char *n)
{
    for (size_t i = 0; i < nchecked; i++)
        if (strcmp(checked[i], n) == 0)
            return;
    assert_true(nchecked < NCHECK);
    snprintf(checked[nchecked++], sizeof checked[0], "%s", n);
}

static void make_checked(void)
{
    static const char *pool[] = {"10.0.0.1", "10.0.0.2", "10.0.0.3",
                                 "10.0.0.4", "fd00::1",  "fd00::2"};
    nchecked = 0;
    for (size_t i = 0; i < nnames; i++)
        add_checked(names[i]);
    add_checked("x.z");
    add_checked("d.c.b.a.z");
    for (int i = 0; i < 6; i++) {
        struct rec_addr a;
        char rev[REC_REVERSE_MAX + 1];
        assert_true(records_parse_addr(pool[i], &a));
        records_reverse_name(&a, rev);
        for (const char *p = rev; p; p = strchr(p, '.') ? strchr(p, '.') + 1 : NULL) {
            /* ip6 names: only the address and its last few ancestors (the rest are alike) */
            if (a.type == REC_AAAA && p != rev && strlen(p) > 20)
                continue;
            add_checked(p);
        }
    }
}

/* The policy the table was given last (the reference applies it the same way). */
static struct rec_policy policy = {60, REC_PTR_HOSTS};

/* ---- the reference: served set derived from the listing, rebuilt in full ---- */

struct ref_entry {
    char owner[REC_OWNER_MAX + 1];
    char source[REC_SOURCE_MAX + 1];
    char name[REC_NAME_MAX + 1];
    struct rec_addr addr;
    uint32_t rank, ttl;
    bool has_ttl;
    bool tomb, dormant, served;
};
struct ref_list {
    struct ref_entry *v;
    size_t n, cap;
};

static void collect(const struct rec_view *v, void *ctx)
{
    struct ref_list *l = ctx;
    struct ref_entry *e = vec_push_zero(l);
    if (!e)
        abort();
    snprintf(e->owner, sizeof e->owner, "%s", v->owner);
    snprintf(e->source, sizeof e->source, "%s", v->source);
    snprintf(e->name, sizeof e->name, "%s", v->name);
    e->addr = v->addr;
    e->rank = v->rank;
    e->has_ttl = v->has_ttl;
    e->ttl = v->ttl;
    e->tomb = v->tombstone;
    e->dormant = v->dormant;
    e->served = v->served;
}

static struct rec_snapshot *reference(struct records *t, struct ref_list *l)
{
    l->n = 0;
    records_foreach(t, false, collect, l);
    struct snap_pair *pairs = calloc(l->n + 1, sizeof *pairs);
    assert_non_null(pairs);
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++) {
        const struct ref_entry *e = &l->v[i];
        bool local = strcmp(e->owner, "me") == 0, shadowed = false;
        for (size_t j = 0; j < l->n && !local; j++) {
            const struct ref_entry *h = &l->v[j];
            shadowed |= strcmp(h->owner, "me") == 0 && !h->tomb &&
                        strncmp(h->source, "hosts:", 6) == 0 && strcmp(h->name, e->name) == 0;
        }
        bool served = !e->tomb && !e->dormant && !shadowed;
        assert_int_equal(served, e->served);
        if (served)
            pairs[k++] = (struct snap_pair){
                .name = e->name,
                .addr = e->addr,
                .ttl = e->has_ttl ? e->ttl : policy.default_ttl,
                .rank = e->rank,
                .ptr =
                    records_ptr_source(policy.ptr, e->source) && !records_name_is_wildcard(e->name),
            };
    }
    struct rec_snapshot *s = snap_build(pairs, k, 0);
    assert_non_null(s);
    free(pairs);
    return s;
}

/* "" when a and b answer alike, else what differs (into buf). */
static const char *rrset_diff(const struct rec_rrset *a, const struct rec_rrset *b,
                              const char *name, char *buf, size_t len)
{
    if (!a || !b) {
        if (a != b)
            snprintf(buf, len, "%.100s: %s in the published snapshot, %s in the full rebuild", name,
                     a ? "present" : "absent", b ? "present" : "absent");
        return a != b ? buf : "";
    }
    if (a->n_a != b->n_a || a->n_aaaa != b->n_aaaa || memcmp(a->a, b->a, (size_t)a->n_a * 4) != 0 ||
        memcmp(a->aaaa, b->aaaa, (size_t)a->n_aaaa * 16) != 0) {
        snprintf(buf, len, "%.100s: %u A/%u AAAA published, %u/%u in the full rebuild (or others)",
                 name, a->n_a, a->n_aaaa, b->n_a, b->n_aaaa);
        return buf;
    }
    if ((a->n_a && a->ttl_a != b->ttl_a) || (a->n_aaaa && a->ttl_aaaa != b->ttl_aaaa)) {
        snprintf(buf, len, "%.100s: TTL %u/%u published, %u/%u in the full rebuild", name, a->ttl_a,
                 a->ttl_aaaa, b->ttl_a, b->ttl_aaaa);
        return buf;
    }
    bool same = a->n_ptr == b->n_ptr && (!a->n_ptr || a->ttl_ptr == b->ttl_ptr);
    for (uint16_t i = 0; same && i < a->n_ptr; i++)
        same = a->ptr[i].len == b->ptr[i].len &&
               memcmp(a->ptr[i].wire, b->ptr[i].wire, a->ptr[i].len) == 0;
    if (!same) {
        snprintf(buf, len,
                 "%.100s: %u PTR (TTL %u) published, %u (TTL %u) in the full rebuild (or "
                 "others, or in another order)",
                 name, a->n_ptr, a->ttl_ptr, b->n_ptr, b->ttl_ptr);
        return buf;
    }
    return "";
}

struct checker {
    struct ref_list l;
    uint64_t last_digest, last_version;
    bool first;
    size_t deltas_seen;
};

/* Every name of the universe (and some never used) answers as in a full rebuild. Assertions come
 * after the read section, so a failure never leaves it open. */
static void check(struct records *t, struct checker *c)
{
    struct rec_snapshot *ref = reference(t, &c->l);
    char diff[256] = "";
    records_read_lock();
    const struct rec_snapshot *s = records_snapshot(t);
    for (size_t i = 0; i < nchecked && !diff[0]; i++) {
        const char *name = checked[i];
        uint8_t w[REC_WIRE_MAX];
        size_t wl = records_name_to_wire(name, w);
        rrset_diff(records_lookup(s, w, wl), records_lookup(ref, w, wl), name, diff, sizeof diff);
    }
    size_t count = records_snapshot_count(s);
    uint64_t digest = snap_digest(s), v = records_snapshot_version(s);
    records_read_unlock();
    if (diff[0])
        fail_msg("%s", diff);
    assert_int_equal(count, records_snapshot_count(ref));
    assert_int_equal(digest, snap_digest(ref)); /* the same content fingerprint */
    if (!c->first) {
        if (snap_digest(ref) != c->last_digest)
            assert_true(v > c->last_version);
        else
            assert_int_equal(v, c->last_version);
    }
    c->first = false;
    c->last_digest = snap_digest(ref);
    c->last_version = v;
    snap_free(ref);
    rt_lock(t);
    if (t->snap != t->ov.base)
        c->deltas_seen++;
    pthread_mutex_unlock(&t->mu);
}

/* ---- random changes ---- */

struct remote {
    char id[8];
    uint64_t epoch, seq;
};

static void local_source(struct records *t, const char *src)
{
    struct rec_input in[5];
    size_t n = rnd(6);
    memset(in, 0, sizeof in);
    for (size_t i = 0; i < n && i < 5; i++) {
        snprintf(in[i].name, sizeof in[i].name, "%s", rand_name());
        in[i].addr = rand_addr();
        in[i].rank = rnd(3);
        in[i].has_ttl = rnd(3) == 0;
        in[i].ttl = in[i].has_ttl ? 30 + rnd(3) : 0;
    }
    assert_true(records_set_source(t, src, in, n > 5 ? 5 : n) >= 0);
}

static void remote_delta(struct records *t, struct remote *r)
{
    if (rnd(40) == 0) { /* the owner restarted: its new epoch replaces what it had */
        r->epoch++;
        r->seq = 0;
    }
    struct rec_delta d;
    memset(&d, 0, sizeof d);
    snprintf(d.owner, sizeof d.owner, "%s", r->id);
    d.ver = (struct rec_version){r->epoch, ++r->seq};
    d.op = rnd(3) ? REC_OP_ADD : REC_OP_DEL;
    snprintf(d.source, sizeof d.source, rnd(2) ? "hosts:/etc/%u" : "docker:c%u", rnd(2));
    snprintf(d.name, sizeof d.name, "%s", rand_name());
    d.addr = rand_addr();
    d.rank = rnd(3);
    d.has_ttl = rnd(3) == 0;
    d.ttl = d.has_ttl ? 30 + rnd(3) : 0;
    enum rec_apply res = records_apply_delta(t, &d);
    assert_true(res == REC_APPLIED || res == REC_GAP || res == REC_STALE);
}

static void one_change(struct records *t, struct remote *rem, size_t nrem)
{
    static const char *hosts[] = {"hosts:/h/0", "hosts:/h/1", "hosts:/h/2"};
    static const char *docker[] = {"docker:c0", "docker:c1"};
    struct remote *r = &rem[rnd((uint32_t)nrem)];
    if (rnd(100) == 0) { /* the default TTL or which sources give PTRs */
        static const enum rec_ptr_mode modes[] = {REC_PTR_OFF, REC_PTR_HOSTS, REC_PTR_ALL};
        policy = (struct rec_policy){rnd(2) ? 60 : 31, modes[rnd(3)]};
        records_set_policy(t, &policy);
        return;
    }
    switch (rnd(10)) {
    case 0:
    case 1:
        local_source(t, hosts[rnd(3)]);
        break;
    case 2:
        local_source(t, docker[rnd(2)]);
        break;
    case 3:
        records_set_owner_alive(t, r->id, rnd(2));
        break;
    case 4:
        if (rnd(8) == 0) {
            records_drop_owner(t, r->id);
            r->epoch++;
            r->seq = 0;
            break;
        }
        /* fall through */
    default:
        remote_delta(t, r);
        break;
    }
}

static void noop_delta(const struct rec_delta *d, void *ctx)
{
    (void)d;
    (void)ctx;
}

static void run_sequence(uint64_t seed, size_t steps, size_t delta_max, bool observed)
{
    rng = seed;
    make_names();
    make_checked();
    policy = (struct rec_policy){60, REC_PTR_HOSTS};
    struct records *t = records_new("me", 1);
    assert_non_null(t);
    rt_overlay_tune(t, 1, 1, delta_max);
    if (observed) /* local removals then leave tombstones that can come back to life */
        records_set_observer(t, noop_delta, NULL);
    struct remote rem[3] = {{"r0", 1, 0}, {"r1", 1, 0}, {"r2", 1, 0}};
    struct checker c = {.first = true};
    check(t, &c);
    for (size_t i = 0; i < steps; i++) {
        if (rnd(8) == 0) {
            records_batch_begin(t);
            size_t n = 2 + rnd(6);
            for (size_t j = 0; j < n; j++)
                one_change(t, rem, 3);
            records_batch_end(t);
        } else {
            one_change(t, rem, 3);
        }
        check(t, &c);
    }
    rt_lock(t);
    size_t merges = t->ov.merges;
    pthread_mutex_unlock(&t->mu);
    /* Small deltas are merged into a new base in the background; all of that must be exact. */
    print_message("delta_max %zu: %zu of %zu steps published a delta, %zu merges\n", delta_max,
                  c.deltas_seen, steps, merges);
    assert_true(c.deltas_seen > 0);
    assert_true(merges > 0);
    free(c.l.v);
    records_free(t);
}

static void test_incremental_equals_full_rebuild(void **state)
{
    (void)state;
    static const size_t delta_max[] = {1, 4, 16};
    for (uint64_t seed = 1; seed <= 6; seed++)
        run_sequence(seed * 0x9e3779b97f4a7c15ull, 1500, delta_max[seed % 3], false);
}

static void test_incremental_equals_full_rebuild_observed(void **state)
{
    (void)state;
    for (uint64_t seed = 11; seed <= 14; seed++)
        run_sequence(seed * 0x2545f4914f6cdd1dull, 1500, 1 + seed % 8, true);
}

/* ---- concurrent readers while deltas are published and merged ---- */

#define CONC_NAMES 10

struct conc {
    struct records *t;
    _Atomic bool stop;
    _Atomic long rounds, torn;
};

/* The group's names are all absent, or all answer the same single address. */
static void *reader_main(void *arg)
{
    struct conc *c = arg;
    records_reader_register();
    uint8_t w[CONC_NAMES][32];
    size_t wl[CONC_NAMES];
    for (int i = 0; i < CONC_NAMES; i++) {
        char n[32];
        snprintf(n, sizeof n, "g%d.sub%d.conc.test", i, i % 3);
        wl[i] = records_name_to_wire(n, w[i]);
    }
    while (!atomic_load(&c->stop)) {
        records_read_lock();
        const struct rec_snapshot *s = records_snapshot(c->t);
        int k = -1;
        bool ok = true;
        for (int i = 0; i < CONC_NAMES; i++) {
            const struct rec_rrset *rr = records_lookup(s, w[i], wl[i]);
            int v = !rr || rr->n_a != 1 ? -2 : rr->a[0][3];
            ok &= k == -1 || v == k;
            k = v;
        }
        records_read_unlock();
        if (!ok)
            atomic_fetch_add(&c->torn, 1);
        atomic_fetch_add(&c->rounds, 1);
    }
    records_reader_unregister();
    return NULL;
}

/* A group of names replaced as one source, among 5000 other names, with background merges every
 * few changes: readers see the whole group's change or none of it. */
static void test_readers_see_whole_changes_across_merges(void **state)
{
    (void)state;
    struct records *t = records_new("me", 1);
    assert_non_null(t);
    rt_overlay_tune(t, 1, 0, 8);
    struct rec_input *bulk = calloc(5000, sizeof *bulk);
    assert_non_null(bulk);
    for (int i = 0; i < 5000; i++) {
        snprintf(bulk[i].name, sizeof bulk[i].name, "b%d.sub%d.conc.test", i, i % 3);
        assert_true(records_parse_addr("10.1.0.1", &bulk[i].addr));
    }
    assert_int_equal(records_set_source(t, "hosts:/bulk", bulk, 5000), 5000);
    free(bulk);
    struct conc c = {.t = t};
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&th[i], NULL, reader_main, &c), 0);
    for (int round = 0; round < 600; round++) {
        struct rec_input v[CONC_NAMES + 1];
        memset(v, 0, sizeof v);
        char addr[32];
        snprintf(addr, sizeof addr, "10.9.0.%d", round % 250);
        for (int i = 0; i < CONC_NAMES; i++) {
            snprintf(v[i].name, sizeof v[i].name, "g%d.sub%d.conc.test", i, i % 3);
            assert_true(records_parse_addr(addr, &v[i].addr));
        }
        /* Other names change too, so the delta grows and merges keep happening. */
        snprintf(v[CONC_NAMES].name, sizeof v[0].name, "other%d.conc.test", round);
        assert_true(records_parse_addr(addr, &v[CONC_NAMES].addr));
        size_t n = round % 10 == 9 ? 0 : CONC_NAMES + 1;
        assert_true(records_set_source(t, "hosts:/group", v, n) > 0);
    }
    atomic_store(&c.stop, true);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    rt_lock(t);
    size_t merges = t->ov.merges;
    pthread_mutex_unlock(&t->mu);
    assert_int_equal(atomic_load(&c.torn), 0);
    assert_true(atomic_load(&c.rounds) > 0);
    assert_true(merges > 0);
    records_free(t);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* A one-name change at 100k records republishes the changed name, not the table: its median
 * cost stays a small fraction of a full rebuild's (which is what every change cost before). */
static void test_change_cost_follows_the_change(void **state)
{
    (void)state;
    struct records *t = records_new("me", 1);
    assert_non_null(t);
    const size_t n = 100000;
    struct rec_input *in = calloc(n, sizeof *in);
    assert_non_null(in);
    for (size_t i = 0; i < n; i++) {
        snprintf(in[i].name, sizeof in[i].name, "h%zu.z%zu.test", i, i % 100);
        in[i].addr.type = REC_A;
        in[i].addr.bytes[0] = 10;
        in[i].addr.bytes[1] = (uint8_t)(i >> 16);
        in[i].addr.bytes[2] = (uint8_t)(i >> 8);
        in[i].addr.bytes[3] = (uint8_t)i;
    }
    double t0 = now_s();
    assert_int_equal(records_set_source(t, "hosts:/all", in, n), (int)n);
    double load = now_s() - t0;
    free(in);
    enum { CHANGES = 200 };
    double lat[CHANGES];
    for (int i = 0; i < CHANGES; i++) {
        struct rec_input x;
        memset(&x, 0, sizeof x);
        snprintf(x.name, sizeof x.name, "changed%d.z1.test", i);
        assert_true(records_parse_addr("10.200.0.1", &x.addr));
        t0 = now_s();
        /* a hosts file: its record gives a PTR, published in the delta too */
        assert_true(records_set_source(t, "hosts:/one", &x, 1) > 0);
        lat[i] = now_s() - t0;
    }
    qsort(lat, CHANGES, sizeof *lat, cmp_double);
    print_message("load of 100k records %.1f ms, one-name change median %.3f ms\n", load * 1e3,
                  lat[CHANGES / 2] * 1e3);
    /* The load is one full build (plus the table's own work); a change publishes a few names. */
    assert_true(lat[CHANGES / 2] < load / 10);
    assert_int_equal(records_snapshot_count(t->snap), n + 1);
    uint8_t w[REC_WIRE_MAX], want[REC_WIRE_MAX];
    size_t wl = records_name_to_wire("1.0.200.10.in-addr.arpa", w);
    size_t tl = records_name_to_wire("changed199.z1.test", want);
    const struct rec_rrset *rr = records_lookup(t->snap, w, wl);
    assert_non_null(rr);
    assert_int_equal(rr->n_ptr, 1);
    assert_int_equal(rr->ptr[0].len, tl);
    assert_memory_equal(rr->ptr[0].wire, want, tl);
    records_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_incremental_equals_full_rebuild),
        cmocka_unit_test(test_incremental_equals_full_rebuild_observed),
        cmocka_unit_test(test_readers_see_whole_changes_across_merges),
        cmocka_unit_test(test_change_cost_follows_the_change),
    };
    records_reader_register();
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    records_reader_unregister();
    return rc;
}
