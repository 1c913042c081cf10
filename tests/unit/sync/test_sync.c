/* test_sync.c — the cluster sync layer: payload codec round trips and hostile input, then three
 * sync managers on one event loop over real loopback UDP/TCP exchanging records end to end
 * (initial state, gossip of changes, repair of a missed change within 1 s, on-demand sync,
 * graceful leave). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/vec.h"
#include "sync/codec.h"
#include "sync/internal.h"
#include "sync/status.h"

/* ---- codec ---- */

static struct rec_delta mk_delta(const char *owner, uint64_t epoch, uint64_t seq, enum rec_op op,
                                 const char *source, const char *name, const char *ip)
{
    struct rec_delta d;
    memset(&d, 0, sizeof d);
    snprintf(d.owner, sizeof d.owner, "%s", owner);
    d.ver = (struct rec_version){epoch, seq};
    d.op = op;
    snprintf(d.source, sizeof d.source, "%s", source);
    snprintf(d.name, sizeof d.name, "%s", name);
    assert_true(records_parse_addr(ip, &d.addr));
    return d;
}

static void test_deltas_roundtrip(void **state)
{
    (void)state;
    struct rec_delta in[3] = {
        mk_delta("node-a", 1700000000123456789ull, 7, REC_OP_ADD, "hosts:/h/a", "web.example.com",
                 "10.0.0.1"),
        mk_delta("node-a", 1700000000123456789ull, 8, REC_OP_DEL, "docker:abc", "db.example.com",
                 "fd00::5"),
        mk_delta("node-a", 1700000000123456789ull, 9, REC_OP_ADD, "hosts:/h/a", "x", "1.2.3.4"),
    };
    struct sync_buf b = {0};
    assert_int_equal(sync_encode_deltas(&b, in, 3, SYNC_GOSSIP_MAX), 3);
    assert_int_equal(sync_payload_kind(b.p, b.len), SYNC_KIND_DELTAS);
    assert_int_equal(b.p[0], SYNC_MAGIC);
    assert_true(b.p[0] > 9); /* never a serf message type */
    struct rec_delta *out;
    size_t n;
    assert_true(sync_decode_deltas(b.p, b.len, &out, &n));
    assert_int_equal(n, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(out[i].owner, in[i].owner);
        assert_true(out[i].ver.epoch == in[i].ver.epoch && out[i].ver.seq == in[i].ver.seq);
        assert_int_equal(out[i].op, in[i].op);
        assert_string_equal(out[i].source, in[i].source);
        assert_string_equal(out[i].name, in[i].name);
        assert_int_equal(out[i].addr.type, in[i].addr.type);
        assert_memory_equal(out[i].addr.bytes, in[i].addr.bytes, 16);
    }
    free(out);
    sync_buf_free(&b);
}

static void test_deltas_split_by_size_and_owner(void **state)
{
    (void)state;
    enum { N = 40 };
    struct rec_delta in[N];
    char name[64];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "a-fairly-long-service-name-%02d.example.com", i);
        in[i] = mk_delta("node-a", 5, (uint64_t)i + 1, REC_OP_ADD, "hosts:/etc/joyride/hosts", name,
                         "10.1.2.3");
    }
    snprintf(in[30].owner, sizeof in[30].owner, "node-b"); /* a different owner ends a batch */
    struct sync_buf b = {0};
    size_t done = 0, msgs = 0;
    while (done < N) {
        size_t k = sync_encode_deltas(&b, in + done, N - done, 600);
        assert_true(k > 0);
        assert_true(b.len <= 600);
        struct rec_delta *out;
        size_t n;
        assert_true(sync_decode_deltas(b.p, b.len, &out, &n));
        assert_int_equal(n, k);
        for (size_t i = 0; i < n; i++) {
            assert_string_equal(out[i].name, in[done + i].name);
            assert_string_equal(out[i].owner, in[done].owner);
        }
        free(out);
        done += k;
        msgs++;
        assert_true(done != 30 || strcmp(in[done].owner, "node-b") == 0);
    }
    assert_true(msgs >= 4);
    /* too small for even one delta */
    assert_int_equal(sync_encode_deltas(&b, in, N, 20), 0);
    sync_buf_free(&b);
}

static struct rec_view mk_view(const char *owner, const char *source, const char *name,
                               const char *ip, uint64_t seq, bool tomb)
{
    struct rec_view v = {.owner = owner,
                         .source = source,
                         .name = name,
                         .seq = seq,
                         .tombstone = tomb,
                         .served = !tomb};
    assert_true(records_parse_addr(ip, &v.addr));
    return v;
}

static void encode_sample_state(struct sync_buf *b)
{
    sync_encode_state_begin(b, "node-a", SYNC_STATE_WANT_REPLY);
    sync_encode_state_owner(b, "node-a", (struct rec_version){11, 3});
    struct rec_view v1 = mk_view("node-a", "hosts:/a", "one.example", "10.0.0.1", 1, false);
    struct rec_view v2 = mk_view("node-a", "hosts:/a", "two.example", "fd00::2", 3, true);
    sync_encode_state_entry(b, &v1);
    sync_encode_state_entry(b, &v2);
    sync_encode_state_owner_end(b);
    sync_encode_state_owner(b, "node-b", (struct rec_version){22, 0});
    sync_encode_state_owner_end(b);
    sync_encode_state_owner(b, "node-c", (struct rec_version){33, 9});
    struct rec_view v3 = mk_view("node-c", "docker:ff", "c.example", "192.168.1.9", 9, false);
    sync_encode_state_entry(b, &v3);
    sync_encode_state_owner_end(b);
    assert_true(sync_encode_state_end(b));
}

static void test_state_roundtrip(void **state)
{
    (void)state;
    struct sync_buf b = {0};
    encode_sample_state(&b);
    struct sync_state st;
    assert_true(sync_decode_state(b.p, b.len, &st));
    assert_string_equal(st.sender, "node-a");
    assert_int_equal(st.flags, SYNC_STATE_WANT_REPLY);
    assert_int_equal(st.n_owners, 3);
    assert_int_equal(st.n_entries, 3);
    assert_string_equal(st.owners[0].owner, "node-a");
    assert_true(st.owners[0].ver.epoch == 11 && st.owners[0].ver.seq == 3);
    assert_int_equal(st.owners[0].n, 2);
    assert_string_equal(st.owners[0].entries[1].name, "two.example");
    assert_true(st.owners[0].entries[1].tombstone);
    assert_false(st.owners[0].entries[1].served);
    assert_int_equal(st.owners[0].entries[1].addr.type, REC_AAAA);
    assert_int_equal(st.owners[1].n, 0);
    assert_string_equal(st.owners[2].entries[0].owner, "node-c");
    assert_string_equal(st.owners[2].entries[0].source, "docker:ff");
    assert_true(st.owners[2].entries[0].seq == 9);
    sync_state_free(&st);
    sync_buf_free(&b);
}

static void test_digest_chunk_version_roundtrip(void **state)
{
    (void)state;
    struct sync_buf b = {0};
    sync_encode_digest_begin(&b, "node-a", SYNC_DIGEST_WANT_REPLY);
    sync_encode_digest_owner(&b, "node-a", (struct rec_version){11, 3});
    sync_encode_digest_owner(&b, "node-b", (struct rec_version){22, 0});
    assert_true(sync_encode_digest_end(&b));
    assert_int_equal(sync_payload_kind(b.p, b.len), SYNC_KIND_DIGEST);
    struct sync_digest d;
    assert_true(sync_decode_digest(b.p, b.len, &d));
    assert_string_equal(d.sender, "node-a");
    assert_int_equal(d.flags, SYNC_DIGEST_WANT_REPLY);
    assert_int_equal(d.n, 2);
    assert_string_equal(d.owners[1].owner, "node-b");
    assert_int_equal(d.owners[0].ver.epoch, 11);
    assert_int_equal(d.owners[0].ver.seq, 3);
    sync_digest_free(&d);
    /* truncated: rejected */
    assert_false(sync_decode_digest(b.p, b.len - 1, &d));

    struct sync_buf st = {0}, ch = {0};
    encode_sample_state(&st);
    assert_true(sync_encode_chunk(&ch, "node-a", (struct rec_version){11, 3}, 10, 4, st.p, st.len));
    assert_int_equal(sync_payload_kind(ch.p, ch.len), SYNC_KIND_CHUNK);
    struct sync_chunk c;
    assert_true(sync_decode_chunk(ch.p, ch.len, &c));
    assert_string_equal(c.owner, "node-a");
    assert_int_equal(c.total, 10);
    assert_int_equal(c.first, 4);
    assert_int_equal(c.state_len, st.len);
    assert_memory_equal(c.state, st.p, st.len);
    assert_false(sync_decode_chunk(ch.p, ch.len - st.len, &c)); /* no state inside */
    /* first must lie below total */
    assert_true(sync_encode_chunk(&ch, "node-a", (struct rec_version){11, 3}, 4, 4, st.p, st.len));
    assert_false(sync_decode_chunk(ch.p, ch.len, &c));

    char owner[REC_OWNER_MAX + 1], holder[REC_OWNER_MAX + 1];
    struct rec_version ver;
    assert_true(sync_encode_version_held(&b, "node-a", (struct rec_version){7, 9}, "node-c"));
    assert_true(sync_decode_version_held(b.p, b.len, owner, &ver, holder));
    assert_string_equal(holder, "node-c");
    assert_true(sync_decode_version(b.p, b.len, owner, &ver)); /* the holder is optional */
    assert_true(sync_encode_version(&b, "node-a", (struct rec_version){7, 9}));
    assert_true(sync_decode_version_held(b.p, b.len, owner, &ver, holder));
    assert_string_equal(holder, "node-a"); /* none named: the owner holds it */
    sync_buf_free(&b);
    sync_buf_free(&st);
    sync_buf_free(&ch);
}

static void test_repair_req_roundtrip(void **state)
{
    (void)state;
    struct sync_repair_req q = {.requester = "node-b", .owner = "node-a", .have = {42, 17}}, r;
    struct sync_buf b = {0};
    assert_true(sync_encode_repair_req(&b, &q));
    assert_int_equal(sync_payload_kind(b.p, b.len), SYNC_KIND_REPAIR_REQ);
    assert_true(sync_decode_repair_req(b.p, b.len, &r));
    assert_string_equal(r.requester, "node-b");
    assert_string_equal(r.owner, "node-a");
    assert_true(r.have.epoch == 42 && r.have.seq == 17);
    /* kinds never decode as each other */
    struct sync_state st;
    struct rec_delta *d;
    size_t n;
    assert_false(sync_decode_state(b.p, b.len, &st));
    assert_false(sync_decode_deltas(b.p, b.len, &d, &n));
    sync_buf_free(&b);
}

/* Decodes buf[0..len) with every decoder; none may crash or read outside (ASan checks). */
static int decode_any(const uint8_t *buf, size_t len)
{
    int ok = 0;
    struct rec_delta *d;
    size_t n;
    if (sync_decode_deltas(buf, len, &d, &n)) {
        assert_true(n > 0);
        free(d);
        ok++;
    }
    struct sync_state st;
    if (sync_decode_state(buf, len, &st)) {
        sync_state_free(&st);
        ok++;
    }
    struct sync_repair_req q;
    if (sync_decode_repair_req(buf, len, &q))
        ok++;
    char owner[REC_OWNER_MAX + 1];
    struct rec_version ver;
    if (sync_decode_version(buf, len, owner, &ver))
        ok++;
    return ok;
}

static uint8_t *copy_exact(const uint8_t *p, size_t n)
{
    uint8_t *c = malloc(n ? n : 1); /* exact size, so ASan sees any over-read */
    assert_non_null(c);
    memcpy(c, p, n);
    return c;
}

static void test_hostile_input(void **state)
{
    (void)state;
    struct sync_buf bufs[4] = {{0}};
    struct rec_delta in[2] = {
        mk_delta("node-a", 5, 1, REC_OP_ADD, "hosts:/a", "web.example", "10.0.0.1"),
        mk_delta("node-a", 5, 2, REC_OP_DEL, "hosts:/a", "db.example", "fd00::1"),
    };
    assert_int_equal(sync_encode_deltas(&bufs[0], in, 2, 1000), 2);
    encode_sample_state(&bufs[1]);
    struct sync_repair_req q = {.requester = "b", .owner = "a", .have = {1, 2}};
    assert_true(sync_encode_repair_req(&bufs[2], &q));
    assert_true(sync_encode_version(&bufs[3], "node-a", (struct rec_version){7, 99}));
    char owner[REC_OWNER_MAX + 1];
    struct rec_version ver;
    assert_true(sync_decode_version(bufs[3].p, bufs[3].len, owner, &ver));
    assert_string_equal(owner, "node-a");
    assert_true(ver.epoch == 7 && ver.seq == 99);
    for (int k = 0; k < 4; k++) {
        struct sync_buf *b = &bufs[k];
        assert_int_equal(decode_any(b->p, b->len), 1);
        /* every truncation is rejected */
        for (size_t len = 0; len < b->len; len++) {
            uint8_t *c = copy_exact(b->p, len);
            assert_int_equal(decode_any(c, len), 0);
            free(c);
        }
        /* a trailing byte is rejected */
        uint8_t *c = copy_exact(b->p, b->len + 1);
        c[b->len] = 0;
        memcpy(c, b->p, b->len);
        assert_int_equal(decode_any(c, b->len + 1), 0);
        free(c);
        /* every single-byte corruption: never a crash; whatever decodes is well formed */
        for (size_t i = 0; i < b->len; i++) {
            for (int v = 0; v < 256; v += 51) {
                c = copy_exact(b->p, b->len);
                c[i] = (uint8_t)(c[i] ^ (v ? v : 0x80));
                decode_any(c, b->len);
                free(c);
            }
        }
    }
    /* specific lies */
    uint8_t *p = copy_exact(bufs[0].p, bufs[0].len);
    p[0] = 8; /* a memberlist/serf user message type */
    assert_int_equal(sync_payload_kind(p, bufs[0].len), -1);
    p[0] = SYNC_MAGIC;
    p[1] = SYNC_VERSION + 1;
    assert_int_equal(sync_payload_kind(p, bufs[0].len), -1);
    free(p);

    /* a huge claimed count with little data */
    struct sync_buf b = {0};
    sync_encode_state_begin(&b, "x", 0);
    assert_true(sync_encode_state_end(&b));
    b.p[b.len - 2] = 0xff;
    b.p[b.len - 1] = 0xff;
    assert_false(sync_decode_state(b.p, b.len, &(struct sync_state){0}));
    sync_buf_free(&b);

    /* names must be valid and already normalized, addresses 4 or 16 bytes, ops known */
    struct rec_delta bad = in[0];
    snprintf(bad.name, sizeof bad.name, "Web.Example");
    assert_int_equal(sync_encode_deltas(&b, &bad, 1, 1000), 1);
    struct rec_delta *d;
    size_t n;
    assert_false(sync_decode_deltas(b.p, b.len, &d, &n));
    bad = in[0];
    snprintf(bad.name, sizeof bad.name, "bad..name");
    assert_int_equal(sync_encode_deltas(&b, &bad, 1, 1000), 1);
    assert_false(sync_decode_deltas(b.p, b.len, &d, &n));
    bad = in[0];
    bad.op = (enum rec_op)9;
    assert_int_equal(sync_encode_deltas(&b, &bad, 1, 1000), 1);
    assert_false(sync_decode_deltas(b.p, b.len, &d, &n));
    assert_int_equal(sync_encode_deltas(&b, in, 1, 1000), 1);
    b.p[b.len - 5] = 5; /* address family byte */
    assert_false(sync_decode_deltas(b.p, b.len, &d, &n));
    sync_buf_free(&b);
    for (int k = 0; k < 4; k++)
        sync_buf_free(&bufs[k]);
}

/* ---- status JSON and metrics ---- */

static void test_status_json_shape(void **state)
{
    (void)state;
    struct sync_member_status members[2] = {
        {.node_id = "a",
         .address = "10.0.0.1:8890",
         .state = SWIM_ALIVE,
         .incarnation = 3,
         .records = 7,
         .last_change = 1754303400.0,
         .is_self = true},
        {.node_id = "b", .address = "10.0.0.2:8890", .state = SWIM_DEAD, .incarnation = 1},
    };
    struct swim_discovery_node disc = {.node_id = "b",
                                       .ip_address = "10.0.0.2",
                                       .swim_port = 8890,
                                       .role = "dns-server",
                                       .last_seen = 1754303399.5};
    struct sync_status st = {.running = true,
                             .node_id = "a",
                             .members = members,
                             .n_members = 2,
                             .discovered = &disc,
                             .n_discovered = 1,
                             .alive = 1,
                             .failed = 1,
                             .dns_version = 42};
    st.stats.records_synced = 15;
    st.stats.sync_operations = 3;
    json_t *c = sync_status_json(&st);
    assert_non_null(c);
    assert_string_equal(json_string_value(json_object_get(c, "node_id")), "a");
    assert_true(json_is_true(json_object_get(c, "running")));
    assert_int_equal(json_integer_value(json_object_get(c, "discovered_nodes")), 1);
    json_t *stats = json_object_get(c, "statistics");
    assert_int_equal(json_integer_value(json_object_get(stats, "nodes_discovered")), 1);
    assert_int_equal(json_integer_value(json_object_get(stats, "nodes_active")), 1);
    assert_int_equal(json_integer_value(json_object_get(stats, "dns_records_synced")), 15);
    assert_int_equal(json_integer_value(json_object_get(stats, "sync_operations")), 3);
    assert_true(json_is_null(json_object_get(stats, "last_sync"))); /* never synced */
    json_t *n0 = json_array_get(json_object_get(c, "nodes"), 0);
    assert_string_equal(json_string_value(json_object_get(n0, "ip_address")), "10.0.0.2");
    assert_string_equal(json_string_value(json_object_get(n0, "last_seen")),
                        "2025-08-04T10:29:59Z");
    json_t *meta = json_object_get(n0, "metadata");
    assert_string_equal(json_string_value(json_object_get(meta, "role")), "dns-server");
    assert_int_equal(json_integer_value(json_object_get(meta, "swim_port")), 8890);
    json_t *sw = json_object_get(c, "swim_cluster");
    assert_int_equal(json_integer_value(json_object_get(sw, "alive_members")), 1);
    json_t *counts = json_object_get(sw, "member_counts");
    assert_int_equal(json_integer_value(json_object_get(counts, "failed")), 1);
    assert_int_equal(json_integer_value(json_object_get(counts, "left")), 0);
    assert_int_equal(json_integer_value(json_object_get(sw, "dns_version")), 42);
    json_t *m1 = json_array_get(json_object_get(sw, "members"), 1);
    assert_string_equal(json_string_value(json_object_get(m1, "state")), "failed");
    json_t *m0 = json_array_get(json_object_get(sw, "members"), 0);
    assert_int_equal(json_integer_value(json_object_get(m0, "records")), 7);
    assert_true(json_is_true(json_object_get(m0, "self")));
    json_decref(c);

    char *text = sync_status_metrics(&st);
    assert_non_null(text);
    assert_non_null(strstr(text, "joyride_cluster_members{state=\"alive\"} 1\n"));
    assert_non_null(strstr(text, "joyride_cluster_members{state=\"failed\"} 1\n"));
    assert_non_null(strstr(text, "joyride_cluster_dns_version 42\n"));
    assert_non_null(strstr(text, "joyride_swim_dropped_total{reason=\"decrypt\"} 0\n"));
    assert_true(text[strlen(text) - 1] == '\n');
    free(text);
}

/* ---- three managers on one loop over loopback ---- */

#define NODES 3     /* the end-to-end test */
#define MAX_NODES 8 /* the gossip-only test */

struct node {
    struct records *rec;
    struct sync *sync;
    char id[32];
};

struct cluster {
    struct loop *loop;
    struct node n[MAX_NODES];
    int direct_max;       /* passed to every node */
    uint32_t pushpull_ms; /* 0: effectively off (600 s) */
};

struct waiter {
    struct loop *loop;
    bool (*pred)(struct cluster *);
    struct cluster *c;
    uint64_t deadline;
    bool met;
};

static void poll_cb(void *ctx)
{
    struct waiter *w = ctx;
    if (w->pred(w->c)) {
        w->met = true;
        loop_stop(w->loop);
    } else if (loop_now_ms() >= w->deadline) {
        loop_stop(w->loop);
    } else {
        loop_timer_add(w->loop, 5, poll_cb, w);
    }
}

/* Runs the loop until pred holds (true) or timeout_ms passes (false). */
static bool run_until(struct cluster *c, bool (*pred)(struct cluster *), uint64_t timeout_ms)
{
    struct waiter w = {c->loop, pred, c, loop_now_ms() + timeout_ms, false};
    if (pred(c))
        return true;
    loop_timer_add(c->loop, 5, poll_cb, &w);
    loop_run(c->loop);
    return w.met;
}

struct find {
    const char *name, *owner;
    bool found;
};

static void find_cb(const struct rec_view *v, void *ctx)
{
    struct find *f = ctx;
    if (strcmp(v->name, f->name) == 0 && (!f->owner || strcmp(v->owner, f->owner) == 0))
        f->found = true;
}

static bool serves(struct records *r, const char *name, const char *owner)
{
    struct find f = {name, owner, false};
    records_foreach(r, true, find_cb, &f);
    return f.found;
}

static void set_name(struct records *r, const char *source, const char *name, const char *ip)
{
    struct rec_input in;
    memset(&in, 0, sizeof in);
    snprintf(in.name, sizeof in.name, "%s", name);
    assert_true(records_parse_addr(ip, &in.addr));
    assert_true(records_set_source(r, source, &in, 1) >= 0);
}

static bool all_serve_initial(struct cluster *c)
{
    char name[64];
    for (int i = 0; i < NODES; i++) {
        if (!c->n[i].sync)
            continue;
        for (int k = 0; k < NODES; k++) {
            if (!c->n[k].sync)
                continue;
            snprintf(name, sizeof name, "n%d.example", k);
            if (!serves(c->n[i].rec, name, c->n[k].id))
                return false;
        }
    }
    return true;
}

static bool all_serve_changed(struct cluster *c)
{
    for (int i = 0; i < NODES; i++)
        if (!serves(c->n[i].rec, "changed.example", "node-1") ||
            serves(c->n[i].rec, "n1.example", "node-1"))
            return false;
    return true;
}

static bool all_serve_late(struct cluster *c)
{
    for (int i = 0; i < NODES; i++)
        if (!serves(c->n[i].rec, "late3.example", "node-0") ||
            !serves(c->n[i].rec, "late1.example", "node-0"))
            return false;
    return true;
}

static bool all_members_alive(struct cluster *c)
{
    for (int i = 0; i < NODES; i++) {
        struct sync_status st;
        sync_get_status(c->n[i].sync, &st);
        bool ok = st.alive == NODES;
        sync_status_free(&st);
        if (!ok)
            return false;
    }
    return true;
}

static uint64_t merged_before;

static bool exchange_done(struct cluster *c)
{
    struct sync_status st;
    sync_get_status(c->n[0].sync, &st);
    /* both peers answered our state with theirs */
    bool ok = st.stats.states_merged >= merged_before + NODES - 1;
    sync_status_free(&st);
    return ok;
}

static bool never(struct cluster *c)
{
    (void)c;
    return false;
}

static bool left_dropped(struct cluster *c)
{
    for (int i = 0; i < 2; i++)
        if (serves(c->n[i].rec, "n2.example", "node-2"))
            return false;
    return true;
}

static void count_gc_entry(const struct rec_view *v, void *ctx)
{
    if (strcmp(v->name, "gc.example") == 0)
        ++*(size_t *)ctx;
}

static size_t gc_entries(struct records *r)
{
    size_t n = 0;
    records_foreach(r, false, count_gc_entry, &n);
    return n;
}

/* Tombstone of gc.example collected everywhere; every ~200 ms each node asks for a full
 * exchange, which is how peers report what they hold and how the owner's collection spreads. */
static bool tombstone_collected(struct cluster *c)
{
    static unsigned calls;
    if (++calls % 40 == 0)
        for (int i = 0; i < NODES; i++)
            sync_request_now(c->n[i].sync);
    for (int i = 0; i < NODES; i++)
        if (gc_entries(c->n[i].rec) != 0)
            return false;
    return true;
}

/* Every node holds gc.example as a tombstone (the add and the removal both arrived). */
static bool gc_tombstone_everywhere(struct cluster *c)
{
    for (int i = 0; i < NODES; i++)
        if (serves(c->n[i].rec, "gc.example", NULL) || gc_entries(c->n[i].rec) != 1)
            return false;
    return true;
}

static void start_node_at(struct cluster *c, int i, const char *ip, uint16_t seed_port)
{
    struct node *n = &c->n[i];
    snprintf(n->id, sizeof n->id, "node-%d", i);
    n->rec = records_new(n->id, 1000 + (uint64_t)i);
    assert_non_null(n->rec);
    char name[64];
    snprintf(name, sizeof name, "n%d.example", i);
    set_name(n->rec, "hosts:/test", name, i == 1 ? "fd00::1" : "10.9.0.1");
    struct sync_config cfg;
    sync_config_default(&cfg);
    cfg.node_id = n->id;
    cfg.hostname = n->id;
    cfg.advertise_ip = ip;
    cfg.bind_address = ip;
    cfg.swim_port = 0;
    cfg.discovery_port = 0;
    struct sync_seed seed = {ip, seed_port};
    cfg.seeds = seed_port ? &seed : NULL;
    cfg.n_seeds = seed_port ? 1 : 0;
    /* memberlist's LAN probe timing: every node of a test shares one loop thread, and under ASan
     * on a loaded machine a 100 ms probe timeout declared live nodes dead (about 1 run in 10).
     * No test here measures failure detection; fast gossip keeps them quick. */
    cfg.probe_interval_ms = 1000;
    cfg.probe_timeout_ms = 500;
    cfg.gossip_interval_ms = 50;
    /* anti-entropy must not hide a broken repair path */
    cfg.pushpull_interval_ms = c->pushpull_ms ? c->pushpull_ms : 600000;
    cfg.direct_max = c->direct_max;
    char err[256] = "";
    n->sync = sync_start(c->loop, n->rec, &cfg, err, sizeof err);
    if (!n->sync)
        fail_msg("sync_start: %s", err);
    assert_true(sync_swim_port(n->sync) > 0);
}

static void start_node(struct cluster *c, int i, uint16_t seed_port)
{
    start_node_at(c, i, "127.0.0.1", seed_port);
}

static bool pair_serves(struct cluster *c)
{
    return serves(c->n[0].rec, "n1.example", "node-1") &&
           serves(c->n[1].rec, "n0.example", "node-0");
}

static bool have_ipv6_loopback(void)
{
    int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    bool ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

static void test_two_nodes_ipv6(void **state)
{
    (void)state;
    if (!have_ipv6_loopback())
        skip();
    struct cluster c;
    memset(&c, 0, sizeof c);
    c.loop = loop_new();
    assert_non_null(c.loop);
    start_node_at(&c, 0, "::1", 0);
    start_node_at(&c, 1, "::1", sync_swim_port(c.n[0].sync));
    assert_true(run_until(&c, pair_serves, 10000));
    struct sync_status st;
    sync_get_status(c.n[1].sync, &st);
    bool found = false;
    for (size_t i = 0; i < st.n_members; i++)
        if (strcmp(st.members[i].node_id, "node-0") == 0)
            found = strncmp(st.members[i].address, "[::1]:", 6) == 0;
    sync_status_free(&st);
    assert_true(found);
    for (int i = 0; i < 2; i++) {
        sync_stop(c.n[i].sync);
        records_free(c.n[i].rec);
    }
    loop_free(c.loop);
}

static bool gossip_all_joined(struct cluster *c)
{
    for (int i = 0; i < MAX_NODES; i++) {
        struct sync_status st;
        sync_get_status(c->n[i].sync, &st);
        bool ok = st.alive == MAX_NODES;
        sync_status_free(&st);
        if (!ok)
            return false;
    }
    return true;
}

static bool gossip_all_serve(struct cluster *c)
{
    for (int i = 0; i < MAX_NODES; i++)
        if (!serves(c->n[i].rec, "spread.example", "node-3"))
            return false;
    return true;
}

/* Without direct sends, a change must reach everyone by gossip: the origin retransmits it only a
 * few times, so receivers pass it on (epidemic), as serf does with user events. Membership itself
 * converges by push/pull, as in memberlist: with push/pull off, a node that joined early and
 * missed the gossip about later joiners knew only some of them after 15 s (1 run in ~30 under
 * load), so this test runs push/pull every 2 s, and still requires the change to have been
 * relayed. */
static void test_gossip_only_spreads_to_all(void **state)
{
    (void)state;
    struct cluster c;
    memset(&c, 0, sizeof c);
    c.loop = loop_new();
    c.direct_max = -1;
    c.pushpull_ms = 2000;
    assert_non_null(c.loop);
    start_node(&c, 0, 0);
    for (int i = 1; i < MAX_NODES; i++)
        start_node(&c, i, sync_swim_port(c.n[0].sync));
    if (!run_until(&c, gossip_all_joined, 15000)) {
        for (int i = 0; i < MAX_NODES; i++) {
            struct sync_status st;
            sync_get_status(c.n[i].sync, &st);
            print_message("node-%d sees %d alive\n", i, (int)st.alive);
            sync_status_free(&st);
        }
        fail_msg("not every node sees every other alive");
    }
    set_name(c.n[3].rec, "hosts:/spread", "spread.example", "10.9.3.3");
    uint64_t t0 = loop_now_ms();
    assert_true(run_until(&c, gossip_all_serve, 5000));
    uint64_t relayed = 0;
    for (int i = 0; i < MAX_NODES; i++) {
        struct sync_status st;
        sync_get_status(c.n[i].sync, &st);
        relayed += st.stats.relayed;
        sync_status_free(&st);
    }
    print_message("gossip only, %d nodes: change everywhere in %llu ms (%llu relays)\n", MAX_NODES,
                  (unsigned long long)(loop_now_ms() - t0), (unsigned long long)relayed);
    assert_true(relayed > 0);
    for (int i = 0; i < MAX_NODES; i++) {
        sync_stop(c.n[i].sync);
        records_free(c.n[i].rec);
    }
    loop_free(c.loop);
}

#define BURST_NAMES 3000 /* some 90 KB of state: more than one chunk */

static bool burst_everywhere(struct cluster *c)
{
    for (int i = 1; i < NODES; i++) {
        if (!serves(c->n[i].rec, "b0.burst.example", "node-0") ||
            !serves(c->n[i].rec, "b2999.burst.example", "node-0"))
            return false;
        struct records_stats rs;
        records_get_stats(c->n[i].rec, &rs);
        if (rs.entries < BURST_NAMES)
            return false;
    }
    return true;
}

/* A burst of changes (a restart, containers starting) is not gossiped change by change: the
 * owner announces its version and the peers fetch its state, in chunks of at most 8 KiB. */
static void test_burst_fetched_in_chunks(void **state)
{
    (void)state;
    struct cluster c;
    memset(&c, 0, sizeof c);
    c.loop = loop_new();
    assert_non_null(c.loop);
    start_node(&c, 0, 0);
    for (int i = 1; i < NODES; i++)
        start_node(&c, i, sync_swim_port(c.n[0].sync));
    assert_true(run_until(&c, all_members_alive, 10000));
    assert_true(run_until(&c, all_serve_initial, 10000));
    struct sync_status st;
    sync_get_status(c.n[0].sync, &st);
    uint64_t msgs_before = st.stats.delta_msgs_sent, served_before = st.stats.repairs_served;
    sync_status_free(&st);

    struct rec_inputs in = {0};
    for (int k = 0; k < BURST_NAMES; k++) {
        struct rec_input *ri = vec_push_zero(&in);
        assert_non_null(ri);
        snprintf(ri->name, sizeof ri->name, "b%d.burst.example", k);
        assert_true(records_parse_addr("10.7.0.1", &ri->addr));
    }
    assert_true(records_set_source(c.n[0].rec, "hosts:/burst", in.v, in.n) >= 0);
    rec_inputs_free(&in);
    uint64_t t0 = loop_now_ms();
    assert_true(run_until(&c, burst_everywhere, 5000));
    print_message("%d names in one burst on both peers in %llu ms\n", BURST_NAMES,
                  (unsigned long long)(loop_now_ms() - t0));
    sync_get_status(c.n[0].sync, &st);
    assert_int_equal(st.stats.delta_msgs_sent, msgs_before); /* nothing gossiped */
    assert_true(st.stats.repairs_served >= served_before + NODES - 1);
    sync_status_free(&st);
    for (int i = 0; i < NODES; i++) {
        sync_stop(c.n[i].sync);
        records_free(c.n[i].rec);
    }
    loop_free(c.loop);
}

static void test_three_nodes_end_to_end(void **state)
{
    (void)state;
    struct cluster c;
    memset(&c, 0, sizeof c);
    c.loop = loop_new();
    assert_non_null(c.loop);
    start_node(&c, 0, 0);
    uint16_t p0 = sync_swim_port(c.n[0].sync);
    for (int i = 1; i < NODES; i++)
        start_node(&c, i, p0);

    /* joins via the seed; records loaded before start travel in the join exchange */
    assert_true(run_until(&c, all_members_alive, 10000));
    assert_true(run_until(&c, all_serve_initial, 10000));

    /* a change on node-1 is gossiped */
    set_name(c.n[1].rec, "hosts:/test", "changed.example", "10.9.9.9");
    uint64_t t0 = loop_now_ms();
    assert_true(run_until(&c, all_serve_changed, 5000));
    print_message("change propagated to all in %llu ms\n",
                  (unsigned long long)(loop_now_ms() - t0));

    /* node-0 changes twice without gossiping (as if both broadcasts were lost), then once more:
     * the others see the gap and repair it from node-0 at once (push/pull is 10 min away). */
    records_set_observer(c.n[0].rec, NULL, NULL);
    set_name(c.n[0].rec, "hosts:/late1", "late1.example", "10.9.1.1");
    set_name(c.n[0].rec, "hosts:/late2", "late2.example", "10.9.1.2");
    records_set_observer(c.n[0].rec, sync_repl_on_delta, c.n[0].sync);
    set_name(c.n[0].rec, "hosts:/late3", "late3.example", "10.9.1.3");
    t0 = loop_now_ms();
    assert_true(run_until(&c, all_serve_late, 3000));
    uint64_t took = loop_now_ms() - t0;
    struct sync_status st;
    sync_get_status(c.n[1].sync, &st);
    print_message("gap repaired everywhere in %llu ms (node-1: %llu gaps, last repair %.0f ms)\n",
                  (unsigned long long)took, (unsigned long long)st.stats.gaps,
                  st.stats.last_repair_ms);
    assert_true(st.stats.gaps >= 1);
    assert_true(st.stats.repairs_requested >= 1);
    assert_true(took < 1000);
    assert_true(st.n_members == NODES);
    assert_true(st.dns_version > 0);
    sync_status_free(&st);

    /* a removal leaves tombstones, collected once every peer has reported holding it */
    set_name(c.n[0].rec, "hosts:/gc", "gc.example", "10.9.7.7");
    records_set_source(c.n[0].rec, "hosts:/gc", NULL, 0);
    assert_true(run_until(&c, gc_tombstone_everywhere, 3000));
    assert_true(run_until(&c, tombstone_collected, 10000));

    /* on-demand full exchange, once the last request (above) is a second old; a request while
     * it is queued or less than a second after it starts nothing */
    assert_false(run_until(&c, never, SYNC_NOW_MIN_INTERVAL_MS + 50));
    sync_get_status(c.n[0].sync, &st);
    merged_before = st.stats.states_merged;
    uint64_t coalesced_before = st.stats.sync_requests_coalesced;
    sync_status_free(&st);
    assert_int_equal(sync_request_now(c.n[0].sync), 0);
    assert_int_equal(sync_request_now(c.n[0].sync), SYNC_NOW_COALESCED);
    assert_true(run_until(&c, exchange_done, 5000));
    assert_int_equal(sync_request_now(c.n[0].sync), SYNC_NOW_COALESCED);
    sync_get_status(c.n[0].sync, &st);
    assert_int_equal(st.stats.sync_requests_coalesced, coalesced_before + 2);
    sync_status_free(&st);

    /* graceful leave: the others drop node-2's records at once */
    sync_stop(c.n[2].sync);
    c.n[2].sync = NULL;
    assert_true(run_until(&c, left_dropped, 3000));

    for (int i = 0; i < NODES; i++) {
        sync_stop(c.n[i].sync);
        records_free(c.n[i].rec);
    }
    loop_free(c.loop);
}

int main(void)
{
    log_set_level(getenv("SYNC_TEST_DEBUG") ? LOG_DEBUG : LOG_WARNING);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deltas_roundtrip),
        cmocka_unit_test(test_deltas_split_by_size_and_owner),
        cmocka_unit_test(test_state_roundtrip),
        cmocka_unit_test(test_repair_req_roundtrip),
        cmocka_unit_test(test_digest_chunk_version_roundtrip),
        cmocka_unit_test(test_hostile_input),
        cmocka_unit_test(test_status_json_shape),
        cmocka_unit_test(test_three_nodes_end_to_end),
        cmocka_unit_test(test_burst_fetched_in_chunks),
        cmocka_unit_test(test_two_nodes_ipv6),
        cmocka_unit_test(test_gossip_only_spreads_to_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
