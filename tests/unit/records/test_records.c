/* test_records.c — unit tests of the record table: helpers, local sources and deltas, remote
 * deltas (gaps, staleness, tombstones, epochs), full-state merge, shadowing, owner liveness,
 * tombstone collection, snapshot contents (empty non-terminals) and atomic publication under
 * concurrent readers. */
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

#include "core/vec.h"
#include "records/records.h"
#include "testlib.h"

/* ---- helpers ---- */

/* Looks a name up in the current snapshot; returns -1 when absent, else n_a + n_aaaa; copies the
 * first A address into a4 (if any). */
static int lookup(struct records *t, const char *name, int *n_a, int *n_aaaa, uint8_t a4[4])
{
    uint8_t w[REC_WIRE_MAX + 1];
    size_t wl = records_name_to_wire(name, w);
    records_read_lock();
    const struct rec_rrset *rr = records_lookup(records_snapshot(t), w, wl);
    int r = -1;
    if (rr) {
        r = rr->n_a + rr->n_aaaa;
        if (n_a)
            *n_a = rr->n_a;
        if (n_aaaa)
            *n_aaaa = rr->n_aaaa;
        if (a4 && rr->n_a)
            memcpy(a4, rr->a[0], 4);
    }
    records_read_unlock();
    return r;
}

static bool has_a(struct records *t, const char *name, const char *addr)
{
    uint8_t w[REC_WIRE_MAX + 1];
    size_t wl = records_name_to_wire(name, w);
    struct rec_addr a;
    assert_true(records_parse_addr(addr, &a));
    bool found = false;
    records_read_lock();
    const struct rec_rrset *rr = records_lookup(records_snapshot(t), w, wl);
    if (rr) {
        if (a.type == REC_A) {
            for (int i = 0; i < rr->n_a; i++)
                found |= memcmp(rr->a[i], a.bytes, 4) == 0;
        } else {
            for (int i = 0; i < rr->n_aaaa; i++)
                found |= memcmp(rr->aaaa[i], a.bytes, 16) == 0;
        }
    }
    records_read_unlock();
    return found;
}

static uint64_t version(struct records *t)
{
    records_read_lock();
    uint64_t v = records_snapshot_version(records_snapshot(t));
    records_read_unlock();
    return v;
}

static size_t served(struct records *t)
{
    records_read_lock();
    size_t n = records_snapshot_count(records_snapshot(t));
    records_read_unlock();
    return n;
}

static struct rec_delta delta(const char *owner, uint64_t epoch, uint64_t seq, enum rec_op op,
                              const char *source, const char *name, const char *addr)
{
    struct rec_delta d;
    memset(&d, 0, sizeof d);
    snprintf(d.owner, sizeof d.owner, "%s", owner);
    d.ver.epoch = epoch;
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

static void test_normalize_name(void **state)
{
    (void)state;
    char out[REC_NAME_MAX + 1];
    assert_true(records_normalize_name("App.Example.COM", out));
    assert_string_equal(out, "app.example.com");
    assert_true(records_normalize_name("app.example.com.", out));
    assert_string_equal(out, "app.example.com");
    assert_true(records_normalize_name("_srv.a-b.c1", out));
    assert_true(records_normalize_name("localhost", out));
    assert_false(records_normalize_name("", out));
    assert_false(records_normalize_name(".", out));
    assert_false(records_normalize_name("a..b", out));
    assert_false(records_normalize_name(".a", out));
    assert_false(records_normalize_name("a.b..", out));
    assert_false(records_normalize_name("-a.b", out));
    assert_false(records_normalize_name("a-.b", out));
    assert_false(records_normalize_name("a.b-", out));
    assert_false(records_normalize_name("a b", out));
    assert_false(records_normalize_name("a*b", out));
    /* RFC 4592 wildcards: "*" as the whole leftmost label, above a parent */
    assert_true(records_normalize_name("*.Apps.Example.test.", out));
    assert_string_equal(out, "*.apps.example.test");
    assert_true(records_name_is_wildcard(out));
    assert_true(records_normalize_name("*.test", out));
    assert_false(records_normalize_domain("*.test", out));
    assert_true(records_normalize_domain("apps.test", out));
    assert_false(records_name_is_wildcard("apps.test"));
    const char *const bad_wild[] = {"*",     "*.",   "a*.x", "*x.y", "x.*.y",
                                    "*.*.y", "**.y", "x.*",  "*..y"};
    for (size_t i = 0; i < sizeof bad_wild / sizeof bad_wild[0]; i++) {
        assert_false(records_normalize_name(bad_wild[i], out));
        assert_non_null(records_name_error(bad_wild[i]));
    }
    assert_non_null(strstr(records_name_error("a*.x"), "whole leftmost label"));
    assert_non_null(strstr(records_name_error("x.*.y"), "whole leftmost label"));
    assert_non_null(strstr(records_name_error("*x.y"), "whole leftmost label"));
    assert_non_null(strstr(records_name_error("*"), "parent"));
    assert_null(records_name_error("*.apps.example.test"));
    assert_non_null(strstr(records_name_error("a..b"), "empty label"));
    assert_false(records_normalize_name("ä.com", out));
    assert_false(records_normalize_name(NULL, out));
    char l63[64], l64[65];
    memset(l63, 'a', 63);
    l63[63] = 0;
    memset(l64, 'a', 64);
    l64[64] = 0;
    assert_true(records_normalize_name(l63, out));
    assert_false(records_normalize_name(l64, out));
    /* 253 characters is the longest name; 254 is too long (a trailing dot does not count). */
    char n253[300];
    memset(n253, 0, sizeof n253);
    for (int i = 0; i < 253; i++)
        n253[i] = (i % 2) ? '.' : 'a';
    n253[252] = 'a';
    assert_true(records_normalize_name(n253, out));
    assert_int_equal(strlen(out), 253);
    n253[253] = '.';
    assert_true(records_normalize_name(n253, out));
    n253[253] = 'b';
    n253[252] = '.';
    assert_false(records_normalize_name(n253, out));
}

static void test_addr_helpers(void **state)
{
    (void)state;
    struct rec_addr a;
    char buf[46];
    assert_true(records_parse_addr("10.0.0.1", &a));
    assert_int_equal(a.type, REC_A);
    assert_string_equal(records_format_addr(&a, buf), "10.0.0.1");
    assert_true(records_parse_addr("FD00::1", &a));
    assert_int_equal(a.type, REC_AAAA);
    assert_string_equal(records_format_addr(&a, buf), "fd00::1");
    assert_true(records_parse_addr("::ffff:1.2.3.4", &a));
    assert_int_equal(a.type, REC_AAAA);
    assert_false(records_parse_addr("1.2.3", &a));
    assert_false(records_parse_addr("1.2.3.256", &a));
    assert_false(records_parse_addr("fe80::1%eth0", &a));
    assert_false(records_parse_addr("banana", &a));
    assert_false(records_parse_addr("", &a));
    assert_false(records_parse_addr(NULL, &a));
}

/* ---- local sources ---- */

struct seen_deltas {
    struct rec_delta d[64];
    int n;
};

static void on_delta(const struct rec_delta *d, void *ctx)
{
    struct seen_deltas *s = ctx;
    if (s->n < 64)
        s->d[s->n++] = *d;
}

static void test_set_source_versions_and_deltas(void **state)
{
    struct records *t = *state;
    struct seen_deltas sd = {0};
    records_set_observer(t, on_delta, &sd);
    uint64_t v0 = version(t);
    assert_int_equal(served(t), 0);

    struct rec_input a[] = {
        tl_in("web.example.com", "10.0.0.1"), tl_in("web.example.com", "fd00::1"),
        tl_in("db.example.com", "10.0.0.2"), tl_in("web.example.com", "10.0.0.1")};
    assert_int_equal(records_set_source(t, "hosts:/h/a", a, 4), 3); /* duplicate ignored */
    assert_int_equal(version(t), v0 + 1);                           /* one publication */
    assert_int_equal(served(t), 3);
    assert_int_equal(sd.n, 3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(sd.d[i].owner, "node-a");
        assert_int_equal(sd.d[i].ver.epoch, 1000);
        assert_int_equal(sd.d[i].ver.seq, (uint64_t)i + 1);
        assert_int_equal(sd.d[i].op, REC_OP_ADD);
        assert_string_equal(sd.d[i].source, "hosts:/h/a");
    }
    int na = 0, naaaa = 0;
    assert_int_equal(lookup(t, "web.example.com", &na, &naaaa, NULL), 2);
    assert_int_equal(na, 1);
    assert_int_equal(naaaa, 1);
    assert_true(has_a(t, "web.example.com", "fd00::1"));
    assert_true(has_a(t, "db.example.com", "10.0.0.2"));

    /* Same set again: no change, no publication, no delta. */
    assert_int_equal(records_set_source(t, "hosts:/h/a", a, 3), 0);
    assert_int_equal(version(t), v0 + 1);
    assert_int_equal(sd.n, 3);

    /* Replace: one removal and one addition, in one publication. */
    struct rec_input b[] = {tl_in("web.example.com", "10.0.0.1"),
                            tl_in("web.example.com", "fd00::1"),
                            tl_in("cache.example.com", "10.0.0.3")};
    assert_int_equal(records_set_source(t, "hosts:/h/a", b, 3), 2);
    assert_int_equal(version(t), v0 + 2);
    assert_int_equal(sd.n, 5);
    assert_int_equal(sd.d[3].op, REC_OP_DEL);
    assert_string_equal(sd.d[3].name, "db.example.com");
    assert_int_equal(sd.d[3].ver.seq, 4);
    assert_int_equal(sd.d[4].op, REC_OP_ADD);
    assert_int_equal(sd.d[4].ver.seq, 5);
    assert_int_equal(lookup(t, "db.example.com", NULL, NULL, NULL), -1);
    assert_true(has_a(t, "cache.example.com", "10.0.0.3"));

    struct records_stats st;
    records_get_stats(t, &st);
    assert_int_equal(st.local.epoch, 1000);
    assert_int_equal(st.local.seq, 5);
    assert_int_equal(st.entries, 4);
    assert_int_equal(st.tombstones, 1);
    assert_int_equal(st.served, 3);
    assert_int_equal(st.owners, 1);

    /* Re-adding a removed record revives its tombstone with a new seq. */
    struct rec_input c[] = {tl_in("db.example.com", "10.0.0.2")};
    assert_int_equal(records_set_source(t, "hosts:/h/a", c, 1), 4);
    records_get_stats(t, &st);
    assert_int_equal(st.entries, 4);
    assert_int_equal(st.tombstones, 3);
    assert_int_equal(served(t), 1);

    /* n == 0 removes the source. */
    assert_int_equal(records_set_source(t, "hosts:/h/a", NULL, 0), 1);
    assert_int_equal(served(t), 0);
    records_set_observer(t, NULL, NULL);
    assert_int_equal(records_set_source(t, "", c, 1), -1);
}

static void test_invalid_inputs_skipped(void **state)
{
    struct records *t = *state;
    struct rec_input v[3] = {tl_in("ok.example", "10.0.0.1"), tl_in("x", "10.0.0.2"),
                             tl_in("y", "10.0.0.3")};
    strcpy(v[1].name, "bad..name");
    v[2].addr.type = 99;
    assert_int_equal(records_set_source(t, "hosts:/x", v, 3), 1);
    assert_int_equal(served(t), 1);
    /* A name without its terminating NUL is skipped, not over-read. */
    struct rec_input unterminated = tl_in("z.example", "10.0.0.4");
    memset(unterminated.name, 'a', sizeof unterminated.name);
    assert_int_equal(records_set_source(t, "hosts:/y", &unterminated, 1), 0);
    /* Clean input (sorted, unique, normalized) and the same records in a messy form (unsorted,
     * repeated, uppercase, junk after the 4 bytes of an A address) give the same table. */
    struct rec_input clean[] = {tl_in("c1.example", "10.0.1.1"), tl_in("c1.example", "fd00::1"),
                                tl_in("c2.example", "10.0.1.2")};
    assert_int_equal(records_set_source(t, "hosts:/clean", clean, 3), 3);
    struct rec_input messy[] = {tl_in("C2.example.", "10.0.1.2"), tl_in("c1.example", "fd00::1"),
                                tl_in("c1.example", "10.0.1.1"), tl_in("c2.example", "10.0.1.2")};
    messy[2].addr.bytes[9] = 0xee;
    assert_int_equal(records_set_source(t, "hosts:/clean", messy, 4), 0);
    assert_int_equal(records_set_source(t, "hosts:/clean", clean, 2), 1);
    assert_int_equal(lookup(t, "c2.example", NULL, NULL, NULL), -1);
    /* Uppercase input is normalized. */
    struct rec_input u[] = {tl_in("UP.Example", "10.0.0.9")};
    assert_int_equal(records_set_source(t, "hosts:/u", u, 1), 1);
    assert_true(has_a(t, "up.example", "10.0.0.9"));
}

struct src_seen {
    char names[8][64];
    size_t counts[8];
    int n;
};

static void on_source(const char *source, size_t n, void *ctx)
{
    struct src_seen *s = ctx;
    snprintf(s->names[s->n], 64, "%s", source);
    s->counts[s->n++] = n;
}

static void test_foreach_source(void **state)
{
    struct records *t = *state;
    struct rec_input a[] = {tl_in("a.example", "10.0.0.1"), tl_in("b.example", "10.0.0.2")};
    records_set_source(t, "docker:abc", a, 2);
    records_set_source(t, "docker:def", a, 1);
    records_set_source(t, "hosts:/f", a, 1);
    struct src_seen s = {0};
    records_foreach_source(t, "docker:", on_source, &s);
    assert_int_equal(s.n, 2);
    for (int i = 0; i < 2; i++)
        assert_int_equal(s.counts[i], strcmp(s.names[i], "docker:abc") == 0 ? 2 : 1);
    records_set_source(t, "docker:abc", NULL, 0);
    memset(&s, 0, sizeof s);
    records_foreach_source(t, "docker:", on_source, &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.names[0], "docker:def");
    memset(&s, 0, sizeof s);
    records_foreach_source(t, "", on_source, &s);
    assert_int_equal(s.n, 2);
}

/* ---- snapshot contents ---- */

static void test_empty_non_terminals_and_dedupe(void **state)
{
    struct records *t = *state;
    struct rec_input a[] = {tl_in("app.svc.example.com", "10.0.0.1")};
    struct rec_input b[] = {tl_in("app.svc.example.com", "10.0.0.1"),
                            tl_in("app.svc.example.com", "10.0.0.7")};
    records_set_source(t, "hosts:/a", a, 1);
    records_set_source(t, "docker:c1", b, 2);
    int na = 0, naaaa = 0;
    /* Same address from two sources appears once. */
    assert_int_equal(lookup(t, "app.svc.example.com", &na, &naaaa, NULL), 2);
    assert_int_equal(na, 2);
    assert_int_equal(served(t), 2);
    /* Every ancestor exists, empty. */
    assert_int_equal(lookup(t, "svc.example.com", NULL, NULL, NULL), 0);
    assert_int_equal(lookup(t, "example.com", NULL, NULL, NULL), 0);
    assert_int_equal(lookup(t, "com", NULL, NULL, NULL), 0);
    assert_int_equal(lookup(t, "other.example.com", NULL, NULL, NULL), -1);
    assert_int_equal(lookup(t, "x.app.svc.example.com", NULL, NULL, NULL), -1);
    /* A name that is both a record and an ancestor keeps its addresses. */
    struct rec_input c[] = {tl_in("example.com", "10.0.0.5")};
    records_set_source(t, "hosts:/c", c, 1);
    assert_int_equal(lookup(t, "example.com", &na, NULL, NULL), 1);
    assert_int_equal(lookup(t, "svc.example.com", NULL, NULL, NULL), 0);

    /* Lookups reject garbage lengths. */
    uint8_t w[300] = {0};
    records_read_lock();
    const struct rec_snapshot *s = records_snapshot(t);
    assert_null(records_lookup(s, w, 0));
    assert_null(records_lookup(s, w, 256));
    assert_null(records_lookup(s, w, 1)); /* the root is not a name here */
    records_read_unlock();
}

/* Changes inside a batch reach readers together, as one new snapshot, at the batch's end. */
static void test_batch_publishes_once(void **state)
{
    struct records *t = *state;
    struct rec_input a[] = {tl_in("one.batch.test", "10.0.1.1")};
    records_set_source(t, "hosts:/one", a, 1);
    uint64_t v0 = version(t);
    records_batch_begin(t);
    records_batch_begin(t); /* nests */
    char src[32], name[64];
    for (int i = 0; i < 50; i++) {
        snprintf(src, sizeof src, "hosts:/f%d", i);
        snprintf(name, sizeof name, "n%d.batch.test", i);
        struct rec_input in[] = {tl_in(name, "10.0.2.1")};
        assert_int_equal(records_set_source(t, src, in, 1), 1);
    }
    records_set_source(t, "hosts:/one", NULL, 0);
    assert_int_equal(version(t), v0); /* readers still see the old set */
    assert_int_equal(served(t), 1);
    records_batch_end(t);
    assert_int_equal(version(t), v0);
    records_batch_end(t);
    assert_int_equal(version(t), v0 + 1); /* one publication for 51 changes */
    assert_int_equal(served(t), 50);
    assert_int_equal(lookup(t, "one.batch.test", NULL, NULL, NULL), -1);
    assert_int_equal(lookup(t, "n49.batch.test", NULL, NULL, NULL), 1);
    /* outside a batch every call publishes */
    struct rec_input b[] = {tl_in("two.batch.test", "10.0.1.2")};
    records_set_source(t, "hosts:/two", b, 1);
    assert_int_equal(version(t), v0 + 2);
}

static void test_many_names(void **state)
{
    struct records *t = *state;
    enum { N = 3000 };
    static struct rec_input v[N];
    for (int i = 0; i < N; i++) {
        char name[64], addr[32];
        snprintf(name, sizeof name, "host%d.zone%d.example", i, i % 7);
        snprintf(addr, sizeof addr, "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
        v[i] = tl_in(name, addr);
    }
    assert_int_equal(records_set_source(t, "hosts:/big", v, N), N);
    assert_int_equal(served(t), N);
    for (int i = 0; i < N; i += 37) {
        char name[64], addr[32];
        snprintf(name, sizeof name, "host%d.zone%d.example", i, i % 7);
        snprintf(addr, sizeof addr, "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
        assert_true(has_a(t, name, addr));
    }
    assert_int_equal(lookup(t, "zone3.example", NULL, NULL, NULL), 0);
    assert_int_equal(lookup(t, "zone7.example", NULL, NULL, NULL), -1);
    assert_int_equal(records_set_source(t, "hosts:/big", v, N / 2), N - N / 2);
    assert_int_equal(served(t), N / 2);
}

/* ---- remote owners ---- */

static void test_delta_contiguous_gap_stale(void **state)
{
    struct records *t = *state;
    struct rec_delta d = delta("node-b", 7, 1, REC_OP_ADD, "docker:x", "b.example", "10.1.0.1");
    assert_int_equal(records_apply_delta(t, &d), REC_APPLIED);
    assert_true(has_a(t, "b.example", "10.1.0.1"));
    assert_int_equal(records_apply_delta(t, &d), REC_STALE); /* duplicate */
    struct rec_version v;
    assert_true(records_owner_version(t, "node-b", &v));
    assert_int_equal(v.epoch, 7);
    assert_int_equal(v.seq, 1);
    assert_false(records_owner_version(t, "node-zz", &v));

    /* seq 3 arrives before 2: applied, but a gap. */
    d = delta("node-b", 7, 3, REC_OP_ADD, "docker:x", "c.example", "10.1.0.3");
    assert_int_equal(records_apply_delta(t, &d), REC_GAP);
    assert_true(has_a(t, "c.example", "10.1.0.3"));
    assert_true(records_owner_version(t, "node-b", &v));
    assert_int_equal(v.seq, 1); /* contiguous mark stays until 2 arrives */
    d = delta("node-b", 7, 2, REC_OP_ADD, "docker:x", "d.example", "10.1.0.2");
    assert_int_equal(records_apply_delta(t, &d), REC_APPLIED);
    assert_true(records_owner_version(t, "node-b", &v));
    assert_int_equal(v.seq, 3);
    d = delta("node-b", 7, 3, REC_OP_ADD, "docker:x", "c.example", "10.1.0.3");
    assert_int_equal(records_apply_delta(t, &d), REC_STALE);
    /* Older epoch: stale. */
    d = delta("node-b", 6, 9, REC_OP_ADD, "docker:x", "old.example", "10.1.0.9");
    assert_int_equal(records_apply_delta(t, &d), REC_STALE);
    assert_int_equal(lookup(t, "old.example", NULL, NULL, NULL), -1);
}

static void test_apply_deltas_batch(void **state)
{
    struct records *t = *state;
    uint64_t v0 = version(t);
    struct rec_delta d[5] = {
        delta("node-b", 3, 1, REC_OP_ADD, "docker:x", "b1.example", "10.11.0.1"),
        delta("node-b", 3, 2, REC_OP_ADD, "docker:x", "b2.example", "10.11.0.2"),
        delta("node-b", 3, 2, REC_OP_ADD, "docker:x", "b2.example", "10.11.0.2"), /* repeat */
        delta("node-a", 3, 1, REC_OP_ADD, "docker:x", "me.example", "10.11.0.3"), /* us */
        delta("node-b", 3, 5, REC_OP_DEL, "docker:x", "b1.example", "10.11.0.1"), /* jump */
    };
    enum rec_apply r[5];
    assert_int_equal(records_apply_deltas(t, d, 5, r), 3);
    assert_int_equal(r[0], REC_APPLIED);
    assert_int_equal(r[1], REC_APPLIED);
    assert_int_equal(r[2], REC_STALE);
    assert_int_equal(r[3], REC_REJECTED);
    assert_int_equal(r[4], REC_GAP);
    assert_int_equal(version(t), v0 + 1); /* one publication for the batch */
    assert_int_equal(lookup(t, "b1.example", NULL, NULL, NULL), -1);
    assert_true(has_a(t, "b2.example", "10.11.0.2"));
    assert_int_equal(records_apply_deltas(t, d, 0, NULL), 0);
}

static void test_delta_rejected(void **state)
{
    struct records *t = *state;
    struct rec_delta d = delta("node-a", 1000, 1, REC_OP_ADD, "hosts:/x", "a.example", "10.0.0.1");
    assert_int_equal(records_apply_delta(t, &d), REC_REJECTED); /* claims to be us */
    d = delta("node-b", 1, 1, REC_OP_ADD, "docker:x", "Upper.example", "10.0.0.1");
    assert_int_equal(records_apply_delta(t, &d), REC_REJECTED); /* not normalized */
    d = delta("node-b", 1, 1, REC_OP_ADD, "docker:x", "a..example", "10.0.0.1");
    assert_int_equal(records_apply_delta(t, &d), REC_REJECTED);
    d = delta("node-b", 1, 0, REC_OP_ADD, "docker:x", "a.example", "10.0.0.1");
    assert_int_equal(records_apply_delta(t, &d), REC_REJECTED); /* seq 0 */
    d = delta("node-b", 1, 1, (enum rec_op)9, "docker:x", "a.example", "10.0.0.1");
    assert_int_equal(records_apply_delta(t, &d), REC_REJECTED);
    d = delta("node-b", 1, 1, REC_OP_ADD, "", "a.example", "10.0.0.1");
    assert_int_equal(records_apply_delta(t, &d), REC_REJECTED);
    d = delta("", 1, 1, REC_OP_ADD, "docker:x", "a.example", "10.0.0.1");
    assert_int_equal(records_apply_delta(t, &d), REC_REJECTED);
    d = delta("node-b", 1, 1, REC_OP_ADD, "docker:x", "a.example", "10.0.0.1");
    d.addr.type = 5;
    assert_int_equal(records_apply_delta(t, &d), REC_REJECTED);
    memset(d.name, 'a', sizeof d.name); /* unterminated */
    d.addr.type = REC_A;
    assert_int_equal(records_apply_delta(t, &d), REC_REJECTED);
    assert_int_equal(served(t), 0);
}

static void test_tombstone_beats_late_add(void **state)
{
    struct records *t = *state;
    /* The removal (seq 2) arrives before the add (seq 1): the add must not resurrect it. */
    struct rec_delta del = delta("node-b", 5, 2, REC_OP_DEL, "docker:x", "t.example", "10.2.0.1");
    struct rec_delta add = delta("node-b", 5, 1, REC_OP_ADD, "docker:x", "t.example", "10.2.0.1");
    assert_int_equal(records_apply_delta(t, &del), REC_GAP);
    assert_int_equal(records_apply_delta(t, &add), REC_STALE);
    assert_int_equal(lookup(t, "t.example", NULL, NULL, NULL), -1);
    struct rec_version v;
    assert_true(records_owner_version(t, "node-b", &v));
    assert_int_equal(v.seq, 2); /* the stale add still filled the hole */
    /* A later re-add (seq 3) does serve it again. */
    add.ver.seq = 3;
    assert_int_equal(records_apply_delta(t, &add), REC_APPLIED);
    assert_true(has_a(t, "t.example", "10.2.0.1"));
    /* Add then remove in order. */
    del.ver.seq = 4;
    assert_int_equal(records_apply_delta(t, &del), REC_APPLIED);
    assert_int_equal(lookup(t, "t.example", NULL, NULL, NULL), -1);
    struct records_stats st;
    records_get_stats(t, &st);
    assert_int_equal(st.tombstones, 1);
}

static void test_epoch_restart_supersedes(void **state)
{
    struct records *t = *state;
    struct rec_delta d = delta("node-b", 5, 1, REC_OP_ADD, "docker:x", "old.example", "10.3.0.1");
    assert_int_equal(records_apply_delta(t, &d), REC_APPLIED);
    d = delta("node-b", 5, 2, REC_OP_ADD, "docker:x", "keep.example", "10.3.0.2");
    assert_int_equal(records_apply_delta(t, &d), REC_APPLIED);
    /* The owner restarts (epoch 6) and publishes its first change. */
    d = delta("node-b", 6, 1, REC_OP_ADD, "docker:y", "keep.example", "10.3.0.2");
    assert_int_equal(records_apply_delta(t, &d), REC_APPLIED);
    assert_int_equal(lookup(t, "old.example", NULL, NULL, NULL), -1);
    assert_true(has_a(t, "keep.example", "10.3.0.2"));
    struct rec_version v;
    assert_true(records_owner_version(t, "node-b", &v));
    assert_int_equal(v.epoch, 6);
    assert_int_equal(v.seq, 1);
    /* A restart whose first delta we missed: gap. */
    d = delta("node-b", 8, 4, REC_OP_ADD, "docker:y", "z.example", "10.3.0.4");
    assert_int_equal(records_apply_delta(t, &d), REC_GAP);
    assert_int_equal(lookup(t, "keep.example", NULL, NULL, NULL), -1);
    /* Late deltas of the old epochs are stale. */
    d = delta("node-b", 6, 2, REC_OP_ADD, "docker:y", "late.example", "10.3.0.5");
    assert_int_equal(records_apply_delta(t, &d), REC_STALE);
}

struct export_buf {
    struct rec_view v[64];
    char names[64][REC_NAME_MAX + 1];
    char sources[64][REC_SOURCE_MAX + 1];
    int n;
};

static void on_export(const struct rec_view *v, void *ctx)
{
    struct export_buf *b = ctx;
    assert_true(b->n < 64);
    b->v[b->n] = *v;
    snprintf(b->names[b->n], sizeof b->names[0], "%s", v->name);
    snprintf(b->sources[b->n], sizeof b->sources[0], "%s", v->source);
    b->v[b->n].name = b->names[b->n];
    b->v[b->n].source = b->sources[b->n];
    b->n++;
}

static struct rec_view view(const char *source, const char *name, const char *addr, uint64_t seq,
                            bool tomb)
{
    struct rec_view v;
    memset(&v, 0, sizeof v);
    v.source = source;
    v.name = name;
    assert_true(records_parse_addr(addr, &v.addr));
    v.seq = seq;
    v.tombstone = tomb;
    return v;
}

static void test_export_merge_roundtrip(void **state)
{
    struct records *a = *state;
    struct seen_deltas sd = {0};
    records_set_observer(a, on_delta, &sd); /* observed: removals leave tombstones */
    struct rec_input v[] = {tl_in("m1.example", "10.4.0.1"), tl_in("m2.example", "10.4.0.2"),
                            tl_in("m3.example", "fd00::4")};
    records_set_source(a, "docker:c", v, 3);
    records_set_source(a, "docker:c", v, 2); /* m3 becomes a tombstone */
    struct export_buf buf = {0};
    struct rec_version ver;
    assert_true(records_export_owner(a, "node-a", &ver, on_export, &buf));
    assert_int_equal(ver.epoch, 1000);
    assert_int_equal(ver.seq, 4);
    assert_int_equal(buf.n, 3);

    struct records *b = records_new("node-b", 2000);
    assert_int_equal(records_merge_owner(b, "node-a", ver, buf.v, (size_t)buf.n), 2);
    assert_true(has_a(b, "m1.example", "10.4.0.1"));
    assert_true(has_a(b, "m2.example", "10.4.0.2"));
    assert_int_equal(lookup(b, "m3.example", NULL, NULL, NULL), -1);
    struct rec_version vb;
    assert_true(records_owner_version(b, "node-a", &vb));
    assert_int_equal(vb.epoch, 1000);
    assert_int_equal(vb.seq, 4);
    /* The next delta is contiguous. */
    struct rec_delta d = delta("node-a", 1000, 5, REC_OP_DEL, "docker:c", "m1.example", "10.4.0.1");
    assert_int_equal(records_apply_delta(b, &d), REC_APPLIED);
    assert_int_equal(lookup(b, "m1.example", NULL, NULL, NULL), -1);
    /* Merging the older full state again does not resurrect m1 (the tombstone is newer). */
    assert_int_equal(records_merge_owner(b, "node-a", ver, buf.v, (size_t)buf.n), 0);
    assert_int_equal(lookup(b, "m1.example", NULL, NULL, NULL), -1);
    /* The local owner's state cannot be merged from outside. */
    assert_int_equal(records_merge_owner(b, "node-b", ver, buf.v, (size_t)buf.n), -1);
    assert_false(records_export_owner(b, "nobody", &vb, on_export, &buf));
    records_free(b);
}

static void test_merge_rules(void **state)
{
    struct records *t = *state;
    struct rec_view s1[] = {view("docker:x", "a.example", "10.5.0.1", 1, false),
                            view("docker:x", "b.example", "10.5.0.2", 2, false),
                            view("docker:x", "c.example", "10.5.0.3", 3, true)};
    assert_int_equal(records_merge_owner(t, "node-c", (struct rec_version){10, 3}, s1, 3), 2);
    assert_int_equal(served(t), 2);
    /* A delta newer than the next full state. */
    struct rec_delta d = delta("node-c", 10, 6, REC_OP_ADD, "docker:x", "n.example", "10.5.0.6");
    assert_int_equal(records_apply_delta(t, &d), REC_GAP);
    /* Same epoch, state at seq 5: a removed (b gone, its tombstone collected), c re-added at 5,
     * n (seq 6 > 5) unknown to this state and kept. Invalid entries are skipped. */
    struct rec_view s2[] = {view("docker:x", "a.example", "10.5.0.1", 1, false),
                            view("docker:x", "c.example", "10.5.0.3", 5, false),
                            view("docker:x", "Bad..name", "10.5.0.9", 4, false),
                            view("docker:x", "z.example", "10.5.0.9", 0, false)};
    assert_int_equal(records_merge_owner(t, "node-c", (struct rec_version){10, 5}, s2, 4), 2);
    assert_true(has_a(t, "a.example", "10.5.0.1"));
    assert_int_equal(lookup(t, "b.example", NULL, NULL, NULL), -1);
    assert_true(has_a(t, "c.example", "10.5.0.3"));
    assert_true(has_a(t, "n.example", "10.5.0.6"));
    assert_int_equal(lookup(t, "z.example", NULL, NULL, NULL), -1);
    struct rec_version v;
    assert_true(records_owner_version(t, "node-c", &v));
    assert_int_equal(v.seq, 6); /* 1..5 from the state, 6 pending before: now contiguous */
    /* Older epoch: rejected. */
    assert_int_equal(records_merge_owner(t, "node-c", (struct rec_version){9, 50}, s1, 3), -1);
    assert_true(has_a(t, "n.example", "10.5.0.6"));
    /* Newer epoch: replaces wholesale. */
    struct rec_view s3[] = {view("docker:y", "new.example", "10.5.1.1", 1, false)};
    assert_int_equal(records_merge_owner(t, "node-c", (struct rec_version){11, 1}, s3, 1), 4);
    assert_int_equal(served(t), 1);
    assert_true(has_a(t, "new.example", "10.5.1.1"));
    assert_true(records_owner_version(t, "node-c", &v));
    assert_int_equal(v.epoch, 11);
    assert_int_equal(v.seq, 1);
}

/* ---- served set policy ---- */

static void test_local_hosts_shadow_remote(void **state)
{
    struct records *t = *state;
    struct rec_delta d = delta("node-b", 1, 1, REC_OP_ADD, "hosts:/etc/x", "s.example", "10.6.0.1");
    assert_int_equal(records_apply_delta(t, &d), REC_APPLIED);
    d = delta("node-b", 1, 2, REC_OP_ADD, "docker:c", "other.example", "10.6.0.2");
    assert_int_equal(records_apply_delta(t, &d), REC_APPLIED);
    assert_true(has_a(t, "s.example", "10.6.0.1"));

    /* A local docker record does not shadow: both are served. */
    struct rec_input dk[] = {tl_in("s.example", "10.6.0.9")};
    records_set_source(t, "docker:local", dk, 1);
    assert_int_equal(lookup(t, "s.example", NULL, NULL, NULL), 2);

    /* A local hosts file does: only local addresses remain for that name. */
    struct rec_input h[] = {tl_in("s.example", "10.6.0.5")};
    records_set_source(t, "hosts:/h/local", h, 1);
    assert_int_equal(lookup(t, "s.example", NULL, NULL, NULL), 2);
    assert_true(has_a(t, "s.example", "10.6.0.5"));
    assert_true(has_a(t, "s.example", "10.6.0.9"));
    assert_false(has_a(t, "s.example", "10.6.0.1"));
    assert_true(has_a(t, "other.example", "10.6.0.2"));

    struct export_buf buf = {0};
    records_foreach(t, true, on_export, &buf);
    assert_int_equal(buf.n, 3);
    memset(&buf, 0, sizeof buf);
    records_foreach(t, false, on_export, &buf);
    assert_int_equal(buf.n, 4);
    for (int i = 0; i < buf.n; i++)
        if (strcmp(buf.sources[i], "hosts:/etc/x") == 0)
            assert_false(buf.v[i].served);

    /* Removing the hosts file unshadows. */
    records_set_source(t, "hosts:/h/local", NULL, 0);
    assert_true(has_a(t, "s.example", "10.6.0.1"));
}

static void test_dormant_owner_and_drop(void **state)
{
    struct records *t = *state;
    struct rec_delta d = delta("node-b", 1, 1, REC_OP_ADD, "docker:c", "dorm.example", "10.7.0.1");
    assert_int_equal(records_apply_delta(t, &d), REC_APPLIED);
    uint64_t v0 = version(t);
    records_set_owner_alive(t, "node-b", false);
    assert_int_equal(lookup(t, "dorm.example", NULL, NULL, NULL), -1);
    assert_true(version(t) > v0);
    /* Deltas of a dormant owner are kept (not served). */
    d = delta("node-b", 1, 2, REC_OP_ADD, "docker:c", "dorm2.example", "10.7.0.2");
    assert_int_equal(records_apply_delta(t, &d), REC_APPLIED);
    assert_int_equal(lookup(t, "dorm2.example", NULL, NULL, NULL), -1);
    struct export_buf buf = {0};
    records_foreach(t, false, on_export, &buf);
    assert_int_equal(buf.n, 2);
    assert_false(buf.v[0].served);
    records_set_owner_alive(t, "node-b", true);
    assert_true(has_a(t, "dorm.example", "10.7.0.1"));
    assert_true(has_a(t, "dorm2.example", "10.7.0.2"));
    /* The local owner cannot be made dormant or dropped. */
    struct rec_input l[] = {tl_in("me.example", "10.7.1.1")};
    records_set_source(t, "hosts:/me", l, 1);
    records_set_owner_alive(t, "node-a", false);
    records_drop_owner(t, "node-a");
    assert_true(has_a(t, "me.example", "10.7.1.1"));
    /* Drop forgets the owner. */
    records_drop_owner(t, "node-b");
    assert_int_equal(lookup(t, "dorm.example", NULL, NULL, NULL), -1);
    struct rec_version v;
    assert_false(records_owner_version(t, "node-b", &v));
    struct records_stats st;
    records_get_stats(t, &st);
    assert_int_equal(st.owners, 1);
    /* An owner marked dead before any record arrives stays dormant when they do. */
    records_set_owner_alive(t, "node-q", false);
    assert_false(records_owner_version(t, "node-q", &v));
    d = delta("node-q", 1, 1, REC_OP_ADD, "docker:c", "q.example", "10.7.2.1");
    assert_int_equal(records_apply_delta(t, &d), REC_APPLIED);
    assert_int_equal(lookup(t, "q.example", NULL, NULL, NULL), -1);
}

struct named {
    struct rec_view v[8];
    char sources[8][REC_SOURCE_MAX + 1], owners[8][REC_OWNER_MAX + 1], infos[8][64];
    int n;
};

static void on_named(const struct rec_view *v, void *ctx)
{
    struct named *nb = ctx;
    assert_true(nb->n < 8);
    nb->v[nb->n] = *v;
    snprintf(nb->sources[nb->n], sizeof nb->sources[0], "%s", v->source);
    snprintf(nb->owners[nb->n], sizeof nb->owners[0], "%s", v->owner);
    snprintf(nb->infos[nb->n], sizeof nb->infos[0], "%s", v->info ? v->info : "-");
    nb->n++;
}

static int named_find(const struct named *nb, const char *source)
{
    for (int i = 0; i < nb->n; i++)
        if (strcmp(nb->sources[i], source) == 0)
            return i;
    return -1;
}

/* records_foreach_name: every entry of one name in every state, with lines and source info. */
static void test_foreach_name_states(void **state)
{
    struct records *t = *state;
    struct seen_deltas sd = {0};
    records_set_observer(t, on_delta, &sd); /* so local removals leave tombstones */
    struct rec_input h[] = {tl_in("n.example", "10.8.0.1"), tl_in("other.example", "10.8.0.2")};
    h[0].line = 7;
    h[1].line = 3;
    assert_true(records_set_source(t, "hosts:/h/f", h, 2) > 0);
    struct rec_input dk[] = {tl_in("n.example", "10.8.0.3")};
    assert_true(records_set_source(t, "docker:abc", dk, 1) > 0);
    assert_int_equal(records_set_source_info(t, "docker:abc", "web-1"), 0);
    assert_int_equal(records_set_source_info(t, "docker:none", "x"), -1);
    struct rec_delta d = delta("node-b", 5, 1, REC_OP_ADD, "hosts:/b", "n.example", "10.8.1.1");
    assert_int_equal(records_apply_delta(t, &d), REC_APPLIED); /* shadowed by hosts:/h/f */
    d = delta("node-c", 6, 1, REC_OP_ADD, "docker:c", "n.example", "10.8.2.1");
    assert_int_equal(records_apply_delta(t, &d), REC_APPLIED);
    records_set_owner_alive(t, "node-c", false); /* dormant */
    struct rec_input gone[] = {tl_in("n.example", "10.8.0.4")};
    assert_true(records_set_source(t, "docker:old", gone, 1) > 0);
    assert_true(records_set_source(t, "docker:old", NULL, 0) > 0); /* a tombstone */

    struct named nb = {0};
    records_foreach_name(t, "n.example", on_named, &nb);
    assert_int_equal(nb.n, 5);
    int i = named_find(&nb, "hosts:/h/f");
    assert_true(i >= 0 && nb.v[i].served && nb.v[i].line == 7 && nb.v[i].epoch == 1000);
    assert_string_equal(nb.infos[i], "-");
    i = named_find(&nb, "docker:abc");
    assert_true(i >= 0 && nb.v[i].served && nb.v[i].line == 0);
    assert_string_equal(nb.infos[i], "web-1");
    i = named_find(&nb, "hosts:/b");
    assert_true(i >= 0 && !nb.v[i].served && nb.v[i].shadowed && !nb.v[i].dormant);
    assert_true(nb.v[i].epoch == 5 && nb.v[i].seq == 1);
    i = named_find(&nb, "docker:c");
    assert_true(i >= 0 && !nb.v[i].served && nb.v[i].dormant); /* and shadowed too */
    i = named_find(&nb, "docker:old");
    assert_true(i >= 0 && nb.v[i].tombstone && !nb.v[i].served);

    /* a line that moves follows the file without a new version; the info goes with the source */
    struct records_stats st0, st1;
    records_get_stats(t, &st0);
    h[0].line = 9;
    assert_int_equal(records_set_source(t, "hosts:/h/f", h, 2), 0);
    records_get_stats(t, &st1);
    assert_true(st0.local.seq == st1.local.seq);
    memset(&nb, 0, sizeof nb);
    records_foreach_name(t, "n.example", on_named, &nb);
    assert_int_equal(nb.v[named_find(&nb, "hosts:/h/f")].line, 9);
    records_set_source(t, "docker:abc", NULL, 0);
    records_set_source(t, "docker:abc", dk, 1);
    memset(&nb, 0, sizeof nb);
    records_foreach_name(t, "n.example", on_named, &nb);
    assert_string_equal(nb.infos[named_find(&nb, "docker:abc")], "-");
    records_set_observer(t, NULL, NULL);
}

/* A repeated (name, address) keeps the first line it was seen on. */
static void test_dedupe_keeps_first_line(void **state)
{
    (void)state;
    struct rec_inputs l = {0};
    struct rec_input a = tl_in("d.example", "10.9.0.1"), b = a, c = tl_in("c.example", "10.9.0.2");
    a.line = 12;
    b.line = 4;
    c.line = 8;
    vec_push(&l, a);
    vec_push(&l, c);
    vec_push(&l, b);
    assert_int_equal(rec_inputs_dedupe(&l), 2);
    assert_string_equal(l.v[0].name, "c.example");
    assert_int_equal(l.v[0].line, 8);
    assert_int_equal(l.v[1].line, 4);
    rec_inputs_free(&l);
}

static void test_gc_tombstones(void **state)
{
    struct records *t = *state;
    struct seen_deltas sd = {0};
    records_set_observer(t, on_delta, &sd);
    struct rec_input v[] = {tl_in("g1.example", "10.8.0.1"), tl_in("g2.example", "10.8.0.2")};
    records_set_source(t, "docker:g", v, 2);    /* seq 1, 2 */
    records_set_source(t, "docker:g", v, 1);    /* g2 tombstone at seq 3 */
    records_set_source(t, "docker:g", NULL, 0); /* g1 tombstone at seq 4 */
    assert_int_equal(records_gc_tombstones(t, "node-a", 3), 1);
    assert_int_equal(records_gc_tombstones(t, "node-a", 3), 0);
    assert_int_equal(records_gc_tombstones(t, "node-a", 10), 1);
    struct records_stats st;
    records_get_stats(t, &st);
    assert_int_equal(st.entries, 0);

    /* Remote: tombstones beyond the contiguous mark are kept (a late add could resurrect). */
    struct rec_delta d = delta("node-b", 1, 1, REC_OP_ADD, "docker:c", "r1.example", "10.8.1.1");
    records_apply_delta(t, &d);
    d = delta("node-b", 1, 2, REC_OP_DEL, "docker:c", "r1.example", "10.8.1.1");
    records_apply_delta(t, &d);
    d = delta("node-b", 1, 4, REC_OP_DEL, "docker:c", "r2.example", "10.8.1.2");
    assert_int_equal(records_apply_delta(t, &d), REC_GAP);
    assert_int_equal(records_gc_tombstones(t, "node-b", 100), 1);
    d = delta("node-b", 1, 3, REC_OP_ADD, "docker:c", "r2.example", "10.8.1.2");
    assert_int_equal(records_apply_delta(t, &d), REC_STALE);
    assert_int_equal(lookup(t, "r2.example", NULL, NULL, NULL), -1);
    assert_int_equal(records_gc_tombstones(t, "node-b", 100), 1);
    assert_int_equal(records_gc_tombstones(t, "nobody", 100), 0);
}

static void test_remote_tombstones_collected_automatically(void **state)
{
    struct records *t = *state;
    /* 200 containers of node-b come and go, in order: seqs 1..400. */
    for (int i = 0; i < 200; i++) {
        char name[32];
        snprintf(name, sizeof name, "c%d.example", i);
        struct rec_delta d =
            delta("node-b", 1, 2 * (uint64_t)i + 1, REC_OP_ADD, "docker:x", name, "10.12.0.1");
        assert_int_equal(records_apply_delta(t, &d), REC_APPLIED);
        d.op = REC_OP_DEL;
        d.ver.seq++;
        assert_int_equal(records_apply_delta(t, &d), REC_APPLIED);
    }
    struct records_stats st;
    records_get_stats(t, &st);
    assert_true(st.tombstones < 64); /* bounded, not 200 */
    assert_int_equal(st.entries, st.tombstones);
    /* A late copy of an old add is refused; nothing comes back. */
    struct rec_delta late =
        delta("node-b", 1, 1, REC_OP_ADD, "docker:x", "c0.example", "10.12.0.1");
    assert_int_equal(records_apply_delta(t, &late), REC_STALE);
    assert_int_equal(lookup(t, "c0.example", NULL, NULL, NULL), -1);
    /* An old full state (seq 10, when c0..c4 had come and c4 was still there) does not
     * resurrect c4 either, and a current one adds what is new. */
    struct rec_view old_state[] = {view("docker:x", "c4.example", "10.12.0.1", 9, false)};
    assert_int_equal(records_merge_owner(t, "node-b", (struct rec_version){1, 10}, old_state, 1),
                     0);
    assert_int_equal(lookup(t, "c4.example", NULL, NULL, NULL), -1);
    struct rec_view new_state[] = {view("docker:x", "fresh.example", "10.12.0.2", 401, false)};
    assert_int_equal(records_merge_owner(t, "node-b", (struct rec_version){1, 401}, new_state, 1),
                     1);
    assert_true(has_a(t, "fresh.example", "10.12.0.2"));
    struct rec_version v;
    assert_true(records_owner_version(t, "node-b", &v));
    assert_int_equal(v.seq, 401);
}

static void test_unobserved_removals_leave_no_tombstones(void **state)
{
    struct records *t = *state;
    struct rec_input v[] = {tl_in("u1.example", "10.8.2.1"), tl_in("u2.example", "10.8.2.2")};
    for (int i = 0; i < 100; i++) {
        assert_int_equal(records_set_source(t, "docker:u", v, 2), 2);
        assert_int_equal(records_set_source(t, "docker:u", NULL, 0), 2);
    }
    struct records_stats st;
    records_get_stats(t, &st);
    assert_int_equal(st.entries, 0);
    assert_int_equal(st.tombstones, 0);
    assert_int_equal(st.local.seq, 400);
}

/* ---- convergence: random changes, deltas delivered out of order, duplicated, lost ---- */

struct delta_log {
    struct rec_delta *d;
    size_t n, cap;
};

static void log_delta(const struct rec_delta *d, void *ctx)
{
    struct delta_log *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->d = realloc(l->d, l->cap * sizeof *l->d);
        assert_non_null(l->d);
    }
    l->d[l->n++] = *d;
}

struct pairs {
    char v[512][80];
    int n;
};

static void collect_served(const struct rec_view *v, void *ctx)
{
    struct pairs *p = ctx;
    if (strcmp(v->owner, "node-a") != 0)
        return;
    char buf[46];
    assert_true(p->n < 512);
    snprintf(p->v[p->n++], sizeof p->v[0], "%s %s %s", v->name, records_format_addr(&v->addr, buf),
             v->source);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void served_of(struct records *t, struct pairs *p)
{
    memset(p, 0, sizeof *p);
    records_foreach(t, true, collect_served, p);
    qsort(p->v, (size_t)p->n, sizeof p->v[0], cmp_str);
}

static void assert_same_served(struct records *a, struct records *b)
{
    static struct pairs pa, pb;
    served_of(a, &pa);
    served_of(b, &pb);
    assert_int_equal(pa.n, pb.n);
    for (int i = 0; i < pa.n; i++)
        assert_string_equal(pa.v[i], pb.v[i]);
}

static uint32_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*s >> 33);
}

static struct rec_view *exported;
static size_t n_exported;

static void on_export_copy(const struct rec_view *v, void *ctx)
{
    (void)ctx;
    exported = realloc(exported, (n_exported + 1) * sizeof *exported);
    assert_non_null(exported);
    exported[n_exported] = *v;
    exported[n_exported].name = strdup(v->name);
    exported[n_exported].source = strdup(v->source);
    n_exported++;
}

static void free_exported(void)
{
    for (size_t i = 0; i < n_exported; i++) {
        free((char *)exported[i].name);
        free((char *)exported[i].source);
    }
    free(exported);
    exported = NULL;
    n_exported = 0;
}

/* Node a makes random changes to random sources; node b receives a's deltas shuffled (and some
 * twice). With every delta delivered, b serves exactly what a serves; with some lost, b reports
 * the gaps and a full-state merge brings it to the same served set. */
static void test_convergence_random(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 12; seed++) {
        uint64_t r = seed;
        struct records *a = records_new("node-a", 100 + seed);
        struct records *b = records_new("node-b", 200 + seed);
        struct delta_log log = {0};
        struct rec_version mid_ver = {0};
        records_set_observer(a, log_delta, &log);
        static const char *const names[] = {"n1.example", "n2.example", "n3.example", "n4.example"};
        static const char *const addrs[] = {"10.13.0.1", "10.13.0.2", "fd00::13"};
        for (int step = 0; step < 60; step++) {
            char source[32];
            snprintf(source, sizeof source, "docker:%u", rnd(&r) % 3);
            struct rec_input v[4];
            size_t n = rnd(&r) % 5;
            for (size_t i = 0; i < n; i++)
                v[i] = tl_in(names[rnd(&r) % 4], addrs[rnd(&r) % 3]);
            assert_true(records_set_source(a, source, v, n) >= 0);
            if (step == 30) /* a collects some of its own tombstones midway */
                records_gc_tombstones(a, "node-a", log.n / 2);
            if (step == 40) /* a full state taken midway, merged while deltas still arrive */
                assert_true(records_export_owner(a, "node-a", &mid_ver, on_export_copy, NULL));
        }
        /* Shuffle, duplicate some, and (for odd seeds) lose a few. */
        size_t n = log.n;
        struct rec_delta *d = calloc(2 * n + 1, sizeof *d);
        assert_non_null(d);
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            if (seed % 2 && rnd(&r) % 10 == 0)
                continue;
            d[m++] = log.d[i];
            if (rnd(&r) % 4 == 0)
                d[m++] = log.d[i];
        }
        for (size_t i = m; i > 1; i--) {
            size_t j = rnd(&r) % i;
            struct rec_delta tmp = d[i - 1];
            d[i - 1] = d[j];
            d[j] = tmp;
        }
        bool gap = false;
        size_t merge_at = m ? rnd(&r) % m : 0;
        for (size_t i = 0; i < m; i++) {
            if (i == merge_at && seed % 3 == 0) {
                assert_true(records_merge_owner(b, "node-a", mid_ver, exported, n_exported) >= 0);
                gap = true; /* seqs the state covered may now look out of order */
            }
            enum rec_apply res = records_apply_delta(b, &d[i]);
            assert_int_not_equal(res, REC_REJECTED);
            gap |= res == REC_GAP;
        }
        struct rec_version va, vb;
        assert_true(records_owner_version(a, "node-a", &va));
        assert_true(records_owner_version(b, "node-a", &vb));
        if (seed % 2 == 0) {
            assert_int_equal(vb.seq, va.seq); /* everything arrived: contiguous */
            assert_same_served(a, b);
        } else if (vb.seq < va.seq) {
            assert_true(gap);
        }
        free_exported();
        /* Full-state repair (also a no-op check when nothing was lost). */
        assert_true(records_export_owner(a, "node-a", &va, on_export_copy, NULL));
        assert_true(records_merge_owner(b, "node-a", va, exported, n_exported) >= 0);
        free_exported();
        assert_true(records_owner_version(b, "node-a", &vb));
        assert_int_equal(vb.seq, va.seq);
        assert_same_served(a, b);
        free(d);
        free(log.d);
        records_free(a);
        records_free(b);
    }
}

/* ---- concurrency: readers never see a half-applied set ---- */

#define CONC_NAMES 10
#define CONC_READERS 4

struct conc {
    struct records *t;
    atomic_bool stop;
    atomic_long lookups;
    atomic_long torn;
    atomic_long versions_seen;
};

/* Whether the names of one group are all absent, or all present with the same single address. */
static bool group_consistent(const struct rec_snapshot *s, uint8_t wires[][32], const size_t *lens)
{
    int k = -1; /* -1: nothing seen yet, -2: absent, else the address's last byte */
    for (int i = 0; i < CONC_NAMES; i++) {
        const struct rec_rrset *rr = records_lookup(s, wires[i], lens[i]);
        int v = (!rr || rr->n_a != 1) ? -2 : rr->a[0][3];
        if (k != -1 && v != k)
            return false;
        k = v;
    }
    return true;
}

static void *reader_main(void *arg)
{
    struct conc *c = arg;
    records_reader_register();
    uint8_t wires[2][CONC_NAMES][32];
    size_t lens[2][CONC_NAMES];
    for (int g = 0; g < 2; g++) {
        for (int i = 0; i < CONC_NAMES; i++) {
            char n[16];
            snprintf(n, sizeof n, "%c%d.conc", g ? 'y' : 'x', i + 1);
            lens[g][i] = records_name_to_wire(n, wires[g][i]);
        }
    }
    uint64_t last = 0;
    long seen = 0;
    while (!atomic_load(&c->stop)) {
        records_read_lock();
        const struct rec_snapshot *s = records_snapshot(c->t);
        uint64_t ver = records_snapshot_version(s);
        bool ok = group_consistent(s, wires[0], lens[0]) && group_consistent(s, wires[1], lens[1]);
        records_read_unlock();
        if (!ok)
            atomic_fetch_add(&c->torn, 1);
        if (ver != last) {
            last = ver;
            seen++;
        }
        atomic_fetch_add(&c->lookups, 1);
    }
    atomic_fetch_add(&c->versions_seen, seen);
    records_reader_unregister();
    return NULL;
}

/* The writer flips two groups of ten names, each group always pointing at one address: x* as a
 * local source (records_set_source), y* as a remote owner's full state (records_merge_owner with
 * a new epoch each round, replacing the previous set wholesale) and its liveness. */
static void test_concurrent_readers_see_whole_sets(void **state)
{
    struct records *t = *state;
    struct conc c = {.t = t};
    pthread_t th[CONC_READERS];
    for (int i = 0; i < CONC_READERS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, reader_main, &c), 0);
    struct rec_input v[CONC_NAMES];
    struct rec_view rv[CONC_NAMES];
    char ynames[CONC_NAMES][16];
    for (int round = 0; round < 400; round++) {
        char addr[32];
        snprintf(addr, sizeof addr, "10.9.0.%d", round % 250);
        for (int i = 0; i < CONC_NAMES; i++) {
            char n[16];
            snprintf(n, sizeof n, "x%d.conc", i + 1);
            v[i] = tl_in(n, addr);
            snprintf(ynames[i], sizeof ynames[i], "y%d.conc", i + 1);
            rv[i] = view("docker:y", ynames[i], addr, (uint64_t)i + 1, false);
        }
        /* Every 10th round removes the whole set, so readers also cross "all absent". */
        size_t n = round % 10 == 9 ? 0 : CONC_NAMES;
        assert_true(records_set_source(t, "hosts:/conc", v, n) > 0);
        assert_true(records_merge_owner(t, "node-y", (struct rec_version){(uint64_t)round + 1, 10},
                                        rv, n) >= 0);
        if (round % 7 == 3)
            records_set_owner_alive(t, "node-y", round % 2 == 0);
    }
    atomic_store(&c.stop, true);
    for (int i = 0; i < CONC_READERS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&c.torn), 0);
    assert_true(atomic_load(&c.lookups) > 0);
    assert_true(atomic_load(&c.versions_seen) > CONC_READERS);
}

/* A writer called from inside a read-side critical section must not deadlock. */
static void test_write_inside_read_section(void **state)
{
    struct records *t = *state;
    struct rec_input v[] = {tl_in("nested.example", "10.10.0.1")};
    records_read_lock();
    const struct rec_snapshot *before = records_snapshot(t);
    assert_int_equal(records_set_source(t, "hosts:/n", v, 1), 1);
    /* The snapshot held before the change is still readable inside the section. */
    assert_int_equal(records_snapshot_count(before), 0);
    records_read_unlock();
    assert_true(has_a(t, "nested.example", "10.10.0.1"));
    assert_int_equal(records_set_source(t, "hosts:/n", NULL, 0), 1); /* reclaims the parked one */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize_name),
        cmocka_unit_test(test_addr_helpers),
        cmocka_unit_test_setup_teardown(test_set_source_versions_and_deltas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_inputs_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreach_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_non_terminals_and_dedupe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_publishes_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delta_contiguous_gap_stale, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_deltas_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delta_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tombstone_beats_late_add, setup, teardown),
        cmocka_unit_test_setup_teardown(test_epoch_restart_supersedes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_merge_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_hosts_shadow_remote, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dormant_owner_and_drop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreach_name_states, setup, teardown),
        cmocka_unit_test(test_dedupe_keeps_first_line),
        cmocka_unit_test_setup_teardown(test_gc_tombstones, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remote_tombstones_collected_automatically, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unobserved_removals_leave_no_tombstones, setup,
                                        teardown),
        cmocka_unit_test(test_convergence_random),
        cmocka_unit_test_setup_teardown(test_concurrent_readers_see_whole_sets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_inside_read_section, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
