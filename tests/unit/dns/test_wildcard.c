/* test_wildcard.c — wildcard answers (RFC 4592) from a real record table through dns_respond: the
 * example zone of RFC 4592 section 2.2.1 as a table of queries and expected outcomes (the owner
 * name, NODATA, NXDOMAIN, closest encloser), the most specific wildcard, explicit names winning,
 * several owners of one wildcard, and forwarding, REFUSED and the SOA around wildcards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "dns/respond.h"
#include "dns/wildcard.h"
#include "dnstest.h"
#include "records/records.h"
#include "testlib.h"

/* RFC 4592 section 2.2.1's zone, with the record types Joyride serves:
 *   *.example.                 TXT, MX  -> AAAA 2001:db8::1
 *   sub.*.example.             TXT      -> not expressible: '*' inside a name is refused
 *   host1.example.             A           A 192.0.2.1
 *   _ssh._tcp.host1.example.   SRV      -> A 192.0.2.11
 *   _ssh._tcp.host2.example.   SRV      -> A 192.0.2.12
 *   subdel.example.            NS       -> A 192.0.2.2 (Joyride does not delegate) */
static struct records *rfc_zone(void)
{
    struct records *t = records_new("node-a", 1);
    assert_non_null(t);
    struct rec_input in[] = {
        tl_in("*.example", "2001:db8::1"),
        tl_in("host1.example", "192.0.2.1"),
        tl_in("_ssh._tcp.host1.example", "192.0.2.11"),
        tl_in("_ssh._tcp.host2.example", "192.0.2.12"),
        tl_in("subdel.example", "192.0.2.2"),
    };
    assert_true(records_set_source(t, "hosts:rfc4592", in, sizeof in / sizeof in[0]) > 0);
    return t;
}

static size_t ask(struct records *t, const struct dns_policy *p, const char *name, uint16_t type,
                  struct dt_msg *m, struct dns_outcome *o)
{
    static uint8_t out[1232];
    uint8_t q[512];
    size_t n = dt_query(q, 7, name, type, DNS_CLASS_IN, 1232, false);
    struct dns_query pq;
    records_read_lock();
    size_t len = dns_respond_query(p, records_snapshot(t), q, n, false, 0, out, sizeof out, o, &pq);
    records_read_unlock();
    if (len) {
        const char *e = dt_parse(out, len, m);
        if (e)
            fail_msg("%s: bad response: %s", name, e);
    }
    return len;
}

/* The answers as "owner TYPE last-byte" joined by spaces, sorted by the order in the packet. */
static const char *answers(const struct dt_msg *m, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < m->an; i++) {
        size_t o = strlen(buf);
        snprintf(buf + o, len - o, "%s%s %s %d", o ? " " : "", m->rr[i].name,
                 m->rr[i].type == DNS_TYPE_A      ? "A"
                 : m->rr[i].type == DNS_TYPE_AAAA ? "AAAA"
                                                  : "?",
                 m->rr[i].rdata[m->rr[i].rdlen - 1]);
    }
    return buf;
}

struct row {
    const char *qname;
    uint16_t qtype;
    int rcode;
    const char *answer; /* as answers() writes it; "" for none */
    bool soa;           /* a SOA in the authority section (inside DNS_DOMAINS=example) */
    const char *why;
};

static void check_rows(struct records *t, const struct dns_policy *p, const struct row *rows,
                       size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        struct dt_msg m;
        struct dns_outcome o;
        char got[512];
        if (ask(t, p, r->qname, r->qtype, &m, &o) == 0)
            fail_msg("%s: no answer (%s)", r->qname, r->why);
        answers(&m, got, sizeof got);
        if (m.rcode != r->rcode || strcmp(got, r->answer) != 0)
            fail_msg("%s %u: rcode %u answer '%s', want %d '%s' (%s)", r->qname, r->qtype, m.rcode,
                     got, r->rcode, r->answer, r->why);
        assert_true(m.aa);
        assert_string_equal(m.qname, r->qname); /* question echoed as sent */
        bool soa = m.ns == 1 && m.rr[m.an].type == DNS_TYPE_SOA;
        if (soa != r->soa || m.ns != (r->soa ? 1 : 0))
            fail_msg("%s: authority section %u records, SOA %d, want SOA %d (%s)", r->qname, m.ns,
                     soa, r->soa, r->why);
        if (soa)
            assert_string_equal(m.rr[m.an].name, "example");
    }
}

/* RFC 4592 section 2.2.1: the queries it lists as matching and not matching the wildcard. */
static const struct row rfc_rows[] = {
    {"host3.example", DNS_TYPE_AAAA, 0, "host3.example AAAA 1", false,
     "host3 does not exist: synthesized from *.example, owner the query name"},
    {"host3.example", DNS_TYPE_A, 0, "", true, "the wildcard has no A: NODATA"},
    {"foo.bar.example", DNS_TYPE_AAAA, 0, "foo.bar.example AAAA 1", false,
     "several labels below the closest encloser example"},
    {"host1.example", DNS_TYPE_AAAA, 0, "", true, "host1 exists: NODATA, not the wildcard"},
    {"host1.example", DNS_TYPE_A, 0, "host1.example A 1", false, "explicit name"},
    {"_telnet._tcp.host1.example", DNS_TYPE_A, 3, "", true,
     "closest encloser _tcp.host1.example has no wildcard: NXDOMAIN"},
    {"host.subdel.example", DNS_TYPE_A, 3, "", true,
     "closest encloser subdel.example has no wildcard (a referral in RFC 4592)"},
    {"ghost.*.example", DNS_TYPE_AAAA, 3, "", true,
     "closest encloser *.example itself; no *.*.example: NXDOMAIN"},
    /* beyond the RFC's list, on the same zone */
    {"*.example", DNS_TYPE_AAAA, 0, "*.example AAAA 1", false, "the wildcard node itself"},
    {"*.example", DNS_TYPE_A, 0, "", true, "the wildcard node itself has no A"},
    {"example", DNS_TYPE_AAAA, 0, "", true, "the parent is not matched (zone apex: NODATA)"},
    {"_tcp.host1.example", DNS_TYPE_AAAA, 0, "", true,
     "an empty non-terminal blocks the wildcard: NODATA"},
    {"host2.example", DNS_TYPE_AAAA, 0, "", true, "empty non-terminal host2.example: NODATA"},
    {"x._tcp.host2.example", DNS_TYPE_AAAA, 3, "", true,
     "below an empty non-terminal: its closest encloser has no wildcard"},
    {"HoSt3.ExAmPlE", DNS_TYPE_AAAA, 0, "HoSt3.ExAmPlE AAAA 1", false,
     "the owner is the question name with the client's case"},
    {"host3.example", DNS_TYPE_ANY, 0, "host3.example AAAA 1", false, "ANY: the wildcard's"},
    {"host3.example", DNS_TYPE_SOA, 0, "", true, "another type: NODATA"},
    {"*.host1.example", DNS_TYPE_AAAA, 3, "", true, "a literal '*' below host1: no wildcard there"},
    {"*.bar.example", DNS_TYPE_AAAA, 0, "*.bar.example AAAA 1", false,
     "a '*' query label matches like any other below example"},
};

static void test_rfc4592_example(void **state)
{
    (void)state;
    struct records *t = rfc_zone();
    struct dns_zone z[1];
    const char *names[] = {"example"};
    assert_true(dns_zones_from_text(names, 1, z, NULL));
    struct dns_policy p = {.ttl = 60, .unknown = DNS_UNKNOWN_NXDOMAIN, .zones = z, .n_zones = 1};
    struct row rows[sizeof rfc_rows / sizeof rfc_rows[0]];
    memcpy(rows, rfc_rows, sizeof rows);
    check_rows(t, &p, rows, sizeof rows / sizeof rows[0]);
    /* rows without DNS_DOMAINS: no SOA anywhere, NXDOMAIN per DNS_UNKNOWN_ACTION */
    struct dns_policy plain = {.ttl = 60, .unknown = DNS_UNKNOWN_NXDOMAIN};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        rows[i].soa = false;
    check_rows(t, &plain, rows, sizeof rows / sizeof rows[0]);
    records_free(t);
}

/* The wildcard at the closest encloser wins: a more specific one, and an explicit name on any
 * node, take over below them; removing them brings the outer wildcard back. */
static void test_most_specific_and_explicit(void **state)
{
    (void)state;
    struct records *t = rfc_zone();
    struct dns_policy p = {.ttl = 60, .unknown = DNS_UNKNOWN_NXDOMAIN};
    struct rec_input more[] = {tl_in("*.bar.example", "2001:db8::2"),
                               tl_in("host3.example", "192.0.2.3")};
    assert_true(records_set_source(t, "hosts:more", more, 2) > 0);
    const struct row rows[] = {
        {"foo.bar.example", DNS_TYPE_AAAA, 0, "foo.bar.example AAAA 2", false,
         "*.bar.example is more specific than *.example"},
        {"a.b.bar.example", DNS_TYPE_AAAA, 0, "a.b.bar.example AAAA 2", false,
         "closest encloser bar.example"},
        {"bar.example", DNS_TYPE_AAAA, 0, "", false,
         "the parent of *.bar is an empty non-terminal"},
        {"host3.example", DNS_TYPE_AAAA, 0, "", false,
         "explicit host3 (A only) blocks the wildcard"},
        {"host3.example", DNS_TYPE_A, 0, "host3.example A 3", false, "explicit name"},
        {"x.host3.example", DNS_TYPE_AAAA, 3, "", false, "below an explicit name: no wildcard"},
        {"host4.example", DNS_TYPE_AAAA, 0, "host4.example AAAA 1", false, "the outer wildcard"},
    };
    check_rows(t, &p, rows, sizeof rows / sizeof rows[0]);

    /* another owner's explicit name blocks the wildcard just the same */
    struct rec_delta d = {.owner = "node-b", .ver = {5, 1}, .op = REC_OP_ADD, .source = "hosts:b"};
    snprintf(d.name, sizeof d.name, "host4.example");
    assert_true(records_parse_addr("192.0.2.4", &d.addr));
    assert_int_equal(records_apply_delta(t, &d), REC_APPLIED);
    const struct row remote[] = {
        {"host4.example", DNS_TYPE_AAAA, 0, "", false, "node-b's host4 blocks the wildcard"},
        {"host4.example", DNS_TYPE_A, 0, "host4.example A 4", false, "node-b's record"},
    };
    check_rows(t, &p, remote, 2);
    /* its owner declared dead: the name is gone, so the wildcard answers again */
    records_set_owner_alive(t, "node-b", false);
    const struct row dead[] = {
        {"host4.example", DNS_TYPE_AAAA, 0, "host4.example AAAA 1", false, "host4 dormant"},
    };
    check_rows(t, &p, dead, 1);

    assert_true(records_set_source(t, "hosts:more", NULL, 0) > 0);
    const struct row back[] = {
        {"foo.bar.example", DNS_TYPE_AAAA, 0, "foo.bar.example AAAA 1", false,
         "*.bar.example removed: *.example again"},
        {"host3.example", DNS_TYPE_AAAA, 0, "host3.example AAAA 1", false, "host3 removed"},
    };
    check_rows(t, &p, back, 2);
    records_free(t);
}

/* Several owners and sources of one wildcard: every distinct address. */
static void test_several_owners(void **state)
{
    (void)state;
    struct records *t = records_new("node-a", 1);
    /* (a hosts file's name would shadow other nodes' records of it: API and Docker sources) */
    struct rec_input local[] = {tl_in("*.example", "192.0.2.50"),
                                tl_in("*.example", "2001:db8::1")};
    assert_true(records_set_source(t, "api", local, 2) > 0);
    struct rec_delta d = {.owner = "node-b", .ver = {5, 1}, .op = REC_OP_ADD, .source = "docker:x"};
    snprintf(d.name, sizeof d.name, "*.example");
    assert_true(records_parse_addr("192.0.2.51", &d.addr));
    assert_int_equal(records_apply_delta(t, &d), REC_APPLIED);
    struct dns_policy p = {.ttl = 60, .unknown = DNS_UNKNOWN_NXDOMAIN};
    struct dt_msg m;
    struct dns_outcome o;
    char got[512];
    ask(t, &p, "any.example", DNS_TYPE_A, &m, &o);
    answers(&m, got, sizeof got);
    if (m.rcode != 0 || m.an != 2)
        fail_msg("got %u '%s'", m.rcode, got);
    assert_true(strstr(got, "any.example A 50") && strstr(got, "any.example A 51"));
    ask(t, &p, "any.example", DNS_TYPE_ANY, &m, &o);
    assert_int_equal(m.an, 3);
    records_free(t);
}

/* Names a wildcard covers are ours: never forwarded, never REFUSED as outside DNS_DOMAINS;
 * names it does not cover follow the unknown-name rules as before. */
static void test_forwarding_and_refused(void **state)
{
    (void)state;
    struct records *t = records_new("node-a", 1);
    struct rec_input in[] = {tl_in("*.apps.lan", "10.0.0.80"), tl_in("db.lan", "10.0.0.5")};
    assert_true(records_set_source(t, "hosts:x", in, 2) > 0);
    struct dns_zone z[1];
    const char *names[] = {"zone.test"};
    assert_true(dns_zones_from_text(names, 1, z, NULL));
    struct dns_policy fwd = {
        .ttl = 60, .unknown = DNS_UNKNOWN_NXDOMAIN, .forward = true, .zones = z, .n_zones = 1};
    struct dt_msg m;
    struct dns_outcome o;
    char got[256];
    assert_true(ask(t, &fwd, "web.apps.lan", DNS_TYPE_A, &m, &o) > 0);
    assert_false(o.forward);
    assert_string_equal(answers(&m, got, sizeof got), "web.apps.lan A 80");
    assert_true(ask(t, &fwd, "web.apps.lan", DNS_TYPE_AAAA, &m, &o) > 0); /* NODATA, ours */
    assert_false(o.forward);
    assert_int_equal(m.rcode, 0);
    assert_int_equal(m.an, 0);
    assert_int_equal(ask(t, &fwd, "x.db.lan", DNS_TYPE_A, &m, &o), 0); /* no wildcard there */
    assert_true(o.forward);
    assert_int_equal(ask(t, &fwd, "www.example.net", DNS_TYPE_A, &m, &o), 0);
    assert_true(o.forward);

    /* outside DNS_DOMAINS without forwarding: covered names answered, others REFUSED */
    struct dns_policy zones = {
        .ttl = 60, .unknown = DNS_UNKNOWN_NXDOMAIN, .zones = z, .n_zones = 1};
    ask(t, &zones, "a.b.apps.lan", DNS_TYPE_A, &m, &o);
    assert_string_equal(answers(&m, got, sizeof got), "a.b.apps.lan A 80");
    ask(t, &zones, "x.db.lan", DNS_TYPE_A, &m, &o);
    assert_int_equal(m.rcode, DNS_RCODE_REFUSED);
    struct dns_policy drop = {.ttl = 60, .unknown = DNS_UNKNOWN_DROP};
    assert_true(ask(t, &drop, "web.apps.lan", DNS_TYPE_A, &m, &o) > 0);
    assert_int_equal(ask(t, &drop, "x.db.lan", DNS_TYPE_A, &m, &o), 0);
    records_free(t);
}

/* dns_wildcard_match itself: the closest encloser it reports, the longest names. */
static void test_match_offsets(void **state)
{
    (void)state;
    struct records *t = rfc_zone();
    uint8_t w[REC_WIRE_MAX];
    int enc;
    records_read_lock();
    const struct rec_snapshot *s = records_snapshot(t);
    size_t wl = records_name_to_wire("a.b.example", w);
    assert_non_null(dns_wildcard_match(s, w, wl, &enc));
    assert_int_equal(enc, 4); /* "example" starts after "a" and "b" */
    wl = records_name_to_wire("x._tcp.host2.example", w);
    assert_null(dns_wildcard_match(s, w, wl, &enc));
    assert_int_equal(enc, 2); /* _tcp.host2.example */
    wl = records_name_to_wire("nothing.org", w);
    assert_null(dns_wildcard_match(s, w, wl, &enc));
    assert_int_equal(enc, -1);
    assert_null(dns_wildcard_match(s, (const uint8_t *)"", 1, &enc)); /* the root */
    assert_null(dns_wildcard_match(s, w, 0, NULL));
    /* a 255-byte name of 1-character labels under example */
    char longname[300] = "";
    while (strlen(longname) + 2 + 8 <= 253)
        strcat(longname, "a.");
    strcat(longname, "example");
    wl = records_name_to_wire(longname, w);
    assert_true(wl <= REC_WIRE_MAX);
    assert_non_null(dns_wildcard_match(s, w, wl, &enc));
    assert_int_equal((size_t)enc, wl - 9);
    records_read_unlock();
    records_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4592_example), cmocka_unit_test(test_most_specific_and_explicit),
        cmocka_unit_test(test_several_owners),  cmocka_unit_test(test_forwarding_and_refused),
        cmocka_unit_test(test_match_offsets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
