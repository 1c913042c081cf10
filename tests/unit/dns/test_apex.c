/* test_apex.c — the zone apex of a DNS_DOMAINS zone through dns_respond on a real record table:
 * NS with one name per live member and their glue in the additional section, the SOA MNAME the
 * lowest live NS name, ANY answered with the SOA alone (RFC 8482), NS below the apex NODATA, the
 * NS set following owners that die and come back, fixed DNS_NS_NAMES, truncation, and the node
 * id to label mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "dns/apex.h"
#include "dns/respond.h"
#include "dnstest.h"
#include "records/records.h"
#include "testlib.h"

static struct dns_zone zone[1];

struct fixture {
    struct records *t;
    struct dns_apex *ax;
    struct dns_policy p;
    uint64_t seq[8];
};

/* A remote owner's record, as the sync layer applies it. */
static void remote_add(struct fixture *f, int who, const char *owner, const char *name,
                       const char *addr)
{
    struct rec_delta d;
    memset(&d, 0, sizeof d);
    snprintf(d.owner, sizeof d.owner, "%s", owner);
    d.ver = (struct rec_version){.epoch = 7, .seq = ++f->seq[who]};
    d.op = REC_OP_ADD;
    snprintf(d.source, sizeof d.source, "ns");
    snprintf(d.name, sizeof d.name, "%s", name);
    assert_true(records_parse_addr(addr, &d.addr));
    enum rec_apply r = records_apply_delta(f->t, &d);
    assert_true(r == REC_APPLIED || r == REC_GAP);
}

static void setup_zone(struct fixture *f, const char *local, const char *const *fixed,
                       size_t n_fixed)
{
    const char *names[] = {"example.com"};
    assert_true(dns_zones_from_text(names, 1, zone, NULL));
    memset(f, 0, sizeof *f);
    f->t = records_new(local, 1);
    assert_non_null(f->t);
    f->ax = dns_apex_new(zone, 1, fixed, n_fixed, NULL);
    assert_non_null(f->ax);
    f->p = (struct dns_policy){
        .ttl = 60, .unknown = DNS_UNKNOWN_NXDOMAIN, .zones = zone, .n_zones = 1, .apex = f->ax};
}

static void teardown_zone(struct fixture *f)
{
    dns_apex_free(f->ax);
    records_free(f->t);
}

/* Three members: node-b (this node) and node-a publish their NS names, node-c knows of none yet.
 * Apex and hosts records as a user would have them. */
static void cluster(struct fixture *f)
{
    setup_zone(f, "node-b", NULL, 0);
    struct rec_input own[] = {tl_in("node-b.ns.example.com", "192.0.2.2")};
    assert_true(records_set_source(f->t, "ns", own, 1) > 0);
    struct rec_input hosts[] = {tl_in("web.example.com", "192.0.2.80"),
                                tl_in("example.com", "192.0.2.99")};
    assert_true(records_set_source(f->t, "hosts:h", hosts, 2) > 0);
    remote_add(f, 0, "node-a", "node-a.ns.example.com", "192.0.2.1");
    remote_add(f, 0, "node-a", "node-a.ns.example.com", "2001:db8::1");
    const char *ids[] = {"node-b", "node-c", "node-a"};
    assert_int_equal(dns_apex_set_nodes(f->ax, ids, 3), 1);
}

static struct dt_msg msg;

/* Asks name/type (EDNS payload edns, -1: none) and parses the response into msg. */
static size_t ask(struct fixture *f, const char *name, uint16_t type, int edns)
{
    static uint8_t out[4096];
    uint8_t q[512];
    struct dns_outcome o;
    size_t n = dt_query(q, 7, name, type, DNS_CLASS_IN, edns, false);
    records_read_lock();
    size_t len = dns_respond(&f->p, records_snapshot(f->t), q, n, false, 0, out, sizeof out, &o);
    records_read_unlock();
    assert_true(len > 0);
    const char *e = dt_parse(out, len, &msg);
    if (e)
        fail_msg("bad response: %s", e);
    return len;
}

static uint32_t serial_now(struct fixture *f)
{
    records_read_lock();
    uint32_t s = dns_zone_serial(records_snapshot(f->t));
    records_read_unlock();
    return s;
}

/* The NS targets of msg's answer section, comma separated in order. */
static const char *ns_targets(char *buf, size_t len)
{
    buf[0] = 0;
    for (size_t i = 0; i < msg.an; i++) {
        assert_int_equal(msg.rr[i].type, DNS_TYPE_NS);
        size_t l = strlen(buf);
        snprintf(buf + l, len - l, "%s%s", l ? "," : "", msg.rr[i].target);
    }
    return buf;
}

static void test_ns_and_glue(void **state)
{
    (void)state;
    struct fixture f;
    cluster(&f);
    char buf[512];
    ask(&f, "Example.COM", DNS_TYPE_NS, 1232);
    assert_int_equal(msg.rcode, DNS_RCODE_NOERROR);
    assert_true(msg.aa);
    assert_int_equal(msg.an, 2); /* node-c has no served name: not listed */
    assert_int_equal(msg.ns, 0);
    /* Names are compressed to the question, so they come back in the client's case. */
    assert_string_equal(ns_targets(buf, sizeof buf), "node-a.ns.Example.COM,node-b.ns.Example.COM");
    assert_string_equal(msg.rr[0].name, "Example.COM");
    assert_int_equal(msg.rr[0].ttl, 60);
    /* Glue: node-a's A and AAAA, node-b's A, owners the NS targets; then OPT. */
    assert_int_equal(msg.ar, 4);
    const struct dt_rr *g = &msg.rr[2];
    assert_string_equal(g[0].name, "node-a.ns.Example.COM");
    assert_int_equal(g[0].type, DNS_TYPE_A);
    assert_int_equal(g[0].rdata[3], 1);
    assert_string_equal(g[1].name, "node-a.ns.Example.COM");
    assert_int_equal(g[1].type, DNS_TYPE_AAAA);
    assert_int_equal(g[1].rdata[15], 1);
    assert_string_equal(g[2].name, "node-b.ns.Example.COM");
    assert_int_equal(g[2].type, DNS_TYPE_A);
    assert_int_equal(g[2].rdata[3], 2);
    assert_true(msg.has_opt);

    /* The NS names answer authoritatively for themselves, like any record. */
    ask(&f, "node-a.ns.example.com", DNS_TYPE_AAAA, 1232);
    assert_true(msg.aa);
    assert_int_equal(msg.an, 1);
    assert_int_equal(msg.rr[0].rdata[15], 1);
    teardown_zone(&f);
}

static void test_soa_mname_and_serial(void **state)
{
    (void)state;
    struct fixture f;
    cluster(&f);
    ask(&f, "example.com", DNS_TYPE_SOA, -1);
    assert_int_equal(msg.an, 1);
    assert_int_equal(msg.rr[0].type, DNS_TYPE_SOA);
    assert_string_equal(msg.rr[0].soa_mname, "node-a.ns.example.com");
    assert_string_equal(msg.rr[0].soa_rname, "hostmaster.example.com");
    assert_int_equal(msg.rr[0].soa[0], serial_now(&f));
    /* Negative answers carry the same SOA. */
    ask(&f, "nope.example.com", DNS_TYPE_A, -1);
    assert_int_equal(msg.rcode, DNS_RCODE_NXDOMAIN);
    assert_int_equal(msg.ns, 1);
    assert_string_equal(msg.rr[0].soa_mname, "node-a.ns.example.com");
    /* The lowest live name: with node-a dead, node-b. */
    records_set_owner_alive(f.t, "node-a", false);
    ask(&f, "web.example.com", DNS_TYPE_AAAA, -1);
    assert_int_equal(msg.ns, 1);
    assert_string_equal(msg.rr[0].soa_mname, "node-b.ns.example.com");
    teardown_zone(&f);
}

static void test_any_minimal(void **state)
{
    (void)state;
    struct fixture f;
    cluster(&f);
    ask(&f, "example.com", DNS_TYPE_ANY, 1232);
    assert_int_equal(msg.rcode, DNS_RCODE_NOERROR);
    assert_int_equal(msg.an, 1); /* the apex has an A record too: ANY gives one RRset only */
    assert_int_equal(msg.rr[0].type, DNS_TYPE_SOA);
    assert_int_equal(msg.ns + msg.ar, 1); /* the OPT */
    ask(&f, "example.com", DNS_TYPE_A, 1232);
    assert_int_equal(msg.an, 1);
    assert_int_equal(msg.rr[0].rdata[3], 99);
    teardown_zone(&f);
}

static void test_ns_below_apex_is_nodata(void **state)
{
    (void)state;
    struct fixture f;
    cluster(&f);
    const char *names[] = {"web.example.com", "node-a.ns.example.com", "ns.example.com"};
    for (size_t i = 0; i < 3; i++) {
        ask(&f, names[i], DNS_TYPE_NS, -1);
        assert_int_equal(msg.rcode, DNS_RCODE_NOERROR);
        assert_true(msg.aa);
        assert_int_equal(msg.an, 0);
        assert_int_equal(msg.ns, 1);
        assert_int_equal(msg.rr[0].type, DNS_TYPE_SOA);
        assert_string_equal(msg.rr[0].name, "example.com");
    }
    ask(&f, "nope.example.com", DNS_TYPE_NS, -1);
    assert_int_equal(msg.rcode, DNS_RCODE_NXDOMAIN);
    teardown_zone(&f);
}

static void test_ns_set_follows_owners(void **state)
{
    (void)state;
    struct fixture f;
    cluster(&f);
    char buf[512];
    records_set_owner_alive(f.t, "node-a", false);
    ask(&f, "example.com", DNS_TYPE_NS, 1232);
    assert_string_equal(ns_targets(buf, sizeof buf), "node-b.ns.example.com");
    assert_int_equal(msg.ar, 2); /* its A and the OPT */
    records_set_owner_alive(f.t, "node-a", true);
    ask(&f, "example.com", DNS_TYPE_NS, 1232);
    assert_string_equal(ns_targets(buf, sizeof buf), "node-a.ns.example.com,node-b.ns.example.com");
    /* node-c's name arrives: it is a candidate already, so it is listed at once. */
    remote_add(&f, 1, "node-c", "node-c.ns.example.com", "192.0.2.3");
    ask(&f, "example.com", DNS_TYPE_NS, 1232);
    assert_string_equal(ns_targets(buf, sizeof buf),
                        "node-a.ns.example.com,node-b.ns.example.com,node-c.ns.example.com");
    /* A member that is not a candidate is not listed, whatever records it has. */
    remote_add(&f, 2, "node-d", "node-d.ns.example.com", "192.0.2.4");
    const char *two[] = {"node-a", "node-b"};
    assert_int_equal(dns_apex_set_nodes(f.ax, two, 2), 1);
    ask(&f, "example.com", DNS_TYPE_NS, 1232);
    assert_string_equal(ns_targets(buf, sizeof buf), "node-a.ns.example.com,node-b.ns.example.com");
    /* Order does not matter; an unchanged list publishes nothing. */
    const char *ids[] = {"node-c", "node-a", "node-b", "node-a"};
    assert_int_equal(dns_apex_set_nodes(f.ax, ids, 4), 1);
    assert_int_equal(dns_apex_set_nodes(f.ax, ids, 3), 0);
    ask(&f, "example.com", DNS_TYPE_NS, 1232);
    assert_int_equal(msg.an, 3);
    /* A node that left (its records dropped) goes. */
    records_drop_owner(f.t, "node-a");
    ask(&f, "example.com", DNS_TYPE_NS, 1232);
    assert_string_equal(ns_targets(buf, sizeof buf), "node-b.ns.example.com,node-c.ns.example.com");
    teardown_zone(&f);
}

static void test_no_ns_yet(void **state)
{
    (void)state;
    struct fixture f;
    setup_zone(&f, "node-b", NULL, 0);
    /* Before any name is served: NODATA, and the SOA names the apex itself. */
    ask(&f, "example.com", DNS_TYPE_NS, -1);
    assert_int_equal(msg.an, 0);
    assert_int_equal(msg.ns, 1);
    assert_string_equal(msg.rr[0].soa_mname, "example.com");
    teardown_zone(&f);
}

static void test_fixed_names(void **state)
{
    (void)state;
    struct fixture f;
    const char *fixed[] = {"NS2.example.com.", "ns1.example.com", "ns.other.org"};
    setup_zone(&f, "node-b", fixed, 3);
    struct rec_input hosts[] = {tl_in("ns1.example.com", "192.0.2.53"),
                                tl_in("ns.other.org", "198.51.100.53")};
    assert_true(records_set_source(f.t, "hosts:h", hosts, 2) > 0);
    /* The own derived name of a node is not used with fixed names. */
    const char *ids[] = {"node-b"};
    assert_int_equal(dns_apex_set_nodes(f.ax, ids, 1), 0);
    char buf[512];
    ask(&f, "example.com", DNS_TYPE_NS, 1232);
    assert_string_equal(ns_targets(buf, sizeof buf),
                        "ns2.example.com,ns1.example.com,ns.other.org"); /* as configured */
    /* Glue only for names inside the zone that have records: ns1. */
    assert_int_equal(msg.ar, 2);
    assert_string_equal(msg.rr[3].name, "ns1.example.com");
    assert_int_equal(msg.rr[3].rdata[3], 53);
    ask(&f, "example.com", DNS_TYPE_SOA, -1);
    assert_string_equal(msg.rr[0].soa_mname, "ns2.example.com");
    teardown_zone(&f);

    size_t bad = 99;
    const char *wrong[] = {"ok.example.com", "not..valid"};
    assert_null(dns_apex_new(zone, 1, wrong, 2, &bad));
    assert_int_equal(bad, 1);
}

static void test_truncation(void **state)
{
    (void)state;
    struct fixture f;
    setup_zone(&f, "n00-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, 0);
    const char *ids[20];
    char idbuf[20][64];
    for (int i = 0; i < 20; i++) {
        snprintf(idbuf[i], sizeof idbuf[i], "n%02d-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", i);
        ids[i] = idbuf[i];
        char name[128], addr[32];
        snprintf(name, sizeof name, "%.63s.ns.example.com", idbuf[i]);
        snprintf(addr, sizeof addr, "192.0.2.%d", i + 1);
        if (i == 0) {
            struct rec_input own[] = {tl_in(name, addr)};
            assert_true(records_set_source(f.t, "ns", own, 1) > 0);
        } else {
            remote_add(&f, 0, idbuf[i], name, addr);
        }
    }
    assert_int_equal(dns_apex_set_nodes(f.ax, ids, 20), 1);
    /* 20 NS of ~55 bytes do not fit 512 bytes: TC and no records, the client retries on TCP. */
    ask(&f, "example.com", DNS_TYPE_NS, -1);
    assert_true(msg.tc);
    assert_int_equal(msg.an, 0);
    /* In 1232 bytes the NS set fits whole; glue only as far as it goes, without TC. */
    size_t len = ask(&f, "example.com", DNS_TYPE_NS, 1232);
    assert_false(msg.tc);
    assert_int_equal(msg.an, 20);
    assert_true(msg.ar > 1 && msg.ar < 21);
    assert_true(len <= 1232);
    teardown_zone(&f);
}

static void test_node_labels(void **state)
{
    (void)state;
    char l[DNS_APEX_LABEL_MAX + 1], m[DNS_APEX_LABEL_MAX + 1];
    dns_apex_node_label("node1", l);
    assert_string_equal(l, "node1");
    dns_apex_node_label("joyride-web-01", l);
    assert_string_equal(l, "joyride-web-01");
    /* Changed ids get a hash suffix, so ids that map to the same text stay apart. */
    dns_apex_node_label("Node_1", l);
    assert_int_equal(strncmp(l, "node-1-", 7), 0);
    assert_int_equal(strlen(l), 13);
    dns_apex_node_label("node-1", m);
    assert_string_equal(m, "node-1");
    dns_apex_node_label("NODE1", m);
    assert_true(strncmp(m, "node1-", 6) == 0 && strcmp(m, "node1") != 0);
    dns_apex_node_label("--", l);
    assert_int_equal(strncmp(l, "node-", 5), 0);
    char longid[130];
    memset(longid, 'x', 129);
    longid[129] = 0;
    dns_apex_node_label(longid, l);
    assert_true(strlen(l) <= DNS_APEX_LABEL_MAX);
    char name[REC_NAME_MAX + 1], norm[REC_NAME_MAX + 1];
    assert_true(dns_apex_node_name("a.b_c", "example.com", name));
    assert_true(records_normalize_name(name, norm));
    assert_string_equal(name, norm);
    assert_int_equal(strncmp(name, "a-b-c-", 6), 0);
    char zone_long[250];
    memset(zone_long, 'a', 249);
    zone_long[249] = 0;
    for (int i = 60; i < 249; i += 61)
        zone_long[i] = '.';
    assert_false(dns_apex_node_name("node1", zone_long, name));
}

int main(void)
{
    records_reader_register();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ns_and_glue),
        cmocka_unit_test(test_soa_mname_and_serial),
        cmocka_unit_test(test_any_minimal),
        cmocka_unit_test(test_ns_below_apex_is_nodata),
        cmocka_unit_test(test_ns_set_follows_owners),
        cmocka_unit_test(test_no_ns_yet),
        cmocka_unit_test(test_fixed_names),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_node_labels),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    records_reader_unregister();
    return rc;
}
