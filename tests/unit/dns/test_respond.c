/* test_respond.c — answers from a real record table (records_new + records_set_source) through
 * dns_respond: hits in any case, several addresses from several sources, empty non-terminals,
 * SOA serial from the snapshot version, a change becoming visible in the next snapshot, PTR at
 * reverse names (order, NODATA, unknown reverse names, truncation) and per-record TTLs. */
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

static struct records *table(void)
{
    struct records *t = records_new("node-a", 1);
    assert_non_null(t);
    struct rec_input a[] = {
        tl_in("web.example.com", "10.0.0.1"),      tl_in("web.example.com", "10.0.0.2"),
        tl_in("web.example.com", "fd00::1"),       tl_in("db.example.com", "10.0.0.9"),
        tl_in("deep.a.b.example.com", "10.0.0.7"), tl_in("v6only.example.com", "fd00::2"),
        tl_in("outside.org", "192.0.2.1"),
    };
    assert_true(records_set_source(t, "hosts:one", a, sizeof a / sizeof a[0]) > 0);
    struct rec_input b[] = {tl_in("web.example.com", "10.0.0.3")};
    assert_true(records_set_source(t, "hosts:two", b, 1) > 0);
    return t;
}

/* Asks name/type against the current snapshot and parses the response into m. m's records point
 * into the response, so it lives in static storage until the next ask (a local buffer here left
 * m pointing at a dead stack frame: the first answer's bytes were whatever reused it). */
static size_t ask(struct records *t, const struct dns_policy *p, const char *name, uint16_t type,
                  struct dt_msg *m, uint64_t *version)
{
    static uint8_t out[1232];
    uint8_t q[512];
    struct dns_outcome o;
    size_t n = dt_query(q, 99, name, type, DNS_CLASS_IN, 1232, false);
    records_read_lock();
    const struct rec_snapshot *s = records_snapshot(t);
    if (version)
        *version = records_snapshot_version(s);
    size_t len = dns_respond(p, s, q, n, false, 0, out, sizeof out, &o);
    records_read_unlock();
    if (len) {
        const char *e = dt_parse(out, len, m);
        if (e)
            fail_msg("bad response: %s", e);
        assert_int_equal(o.rcode, m->rcode);
    } else {
        assert_int_equal(o.rcode, -1);
    }
    return len;
}

static void addrs(const struct dt_msg *m, uint16_t type, char *out, size_t outlen)
{
    /* Sorted, comma separated last bytes, e.g. "1,2,3". */
    int seen[256] = {0};
    for (size_t i = 0; i < m->an; i++)
        if (m->rr[i].type == type)
            seen[m->rr[i].rdata[m->rr[i].rdlen - 1]]++;
    out[0] = 0;
    for (int i = 0; i < 256; i++)
        for (int k = 0; k < seen[i]; k++) {
            size_t l = strlen(out);
            snprintf(out + l, outlen - l, "%s%d", l ? "," : "", i);
        }
}

static void test_hits(void **state)
{
    (void)state;
    struct records *t = table();
    struct dns_policy p = {.ttl = 60, .unknown = DNS_UNKNOWN_NXDOMAIN};
    struct dt_msg m;
    char buf[64];
    ask(t, &p, "WEB.Example.Com", DNS_TYPE_A, &m, NULL);
    assert_int_equal(m.rcode, 0);
    assert_string_equal(m.qname, "WEB.Example.Com");
    addrs(&m, DNS_TYPE_A, buf, sizeof buf);
    assert_string_equal(buf, "1,2,3"); /* both sources */
    assert_true(m.has_opt);
    ask(t, &p, "web.example.com", DNS_TYPE_AAAA, &m, NULL);
    addrs(&m, DNS_TYPE_AAAA, buf, sizeof buf);
    assert_string_equal(buf, "1");
    ask(t, &p, "web.example.com", DNS_TYPE_ANY, &m, NULL);
    assert_int_equal(m.an, 4);
    ask(t, &p, "v6only.example.com", DNS_TYPE_A, &m, NULL);
    assert_int_equal(m.rcode, 0);
    assert_int_equal(m.an, 0);
    ask(t, &p, "nothing.example.com", DNS_TYPE_A, &m, NULL);
    assert_int_equal(m.rcode, DNS_RCODE_NXDOMAIN);
    records_free(t);
}

static void test_empty_non_terminal(void **state)
{
    (void)state;
    struct records *t = table();
    struct dns_policy p = {.ttl = 60, .unknown = DNS_UNKNOWN_REFUSED};
    struct dt_msg m;
    ask(t, &p, "a.b.example.com", DNS_TYPE_A, &m, NULL);
    assert_int_equal(m.rcode, 0); /* exists (it has a child), no data */
    assert_int_equal(m.an, 0);
    ask(t, &p, "b.example.com", DNS_TYPE_AAAA, &m, NULL);
    assert_int_equal(m.rcode, 0);
    ask(t, &p, "x.a.b.example.com", DNS_TYPE_A, &m, NULL);
    assert_int_equal(m.rcode, DNS_RCODE_REFUSED);
    records_free(t);
}

/* With forwarding on, only names that are not ours are marked for the forwarder: records, empty
 * non-terminals and anything inside an authoritative domain are answered here. */
static void test_forward_only_foreign_names(void **state)
{
    (void)state;
    struct records *t = table();
    struct dns_zone z[1];
    const char *names[] = {"zone.test"};
    assert_true(dns_zones_from_text(names, 1, z, NULL));
    struct dns_policy p = {
        .ttl = 60, .unknown = DNS_UNKNOWN_DROP, .forward = true, .zones = z, .n_zones = 1};
    const char *ours[] = {"web.example.com", "b.example.com", "zone.test", "nx.zone.test"};
    const char *foreign[] = {"www.example.net", "nothing.example.com", "x.a.b.example.com"};
    uint8_t q[512], out[1232];
    struct dns_outcome o;
    struct dns_query pq;
    records_read_lock();
    const struct rec_snapshot *s = records_snapshot(t);
    for (size_t i = 0; i < 4; i++) {
        size_t n = dt_query(q, 5, ours[i], DNS_TYPE_A, DNS_CLASS_IN, 1232, false);
        assert_true(dns_respond_query(&p, s, q, n, false, 0, out, sizeof out, &o, &pq) > 0);
        assert_false(o.forward);
        assert_true(out[2] & 0x04); /* AA: our own answer */
    }
    for (size_t i = 0; i < 3; i++) {
        size_t n = dt_query(q, 5, foreign[i], DNS_TYPE_A, DNS_CLASS_IN, 1232, false);
        assert_int_equal(dns_respond_query(&p, s, q, n, false, 0, out, sizeof out, &o, &pq), 0);
        assert_true(o.forward);
        assert_int_equal(pq.qtype, DNS_TYPE_A);
    }
    /* malformed queries are still answered here, never forwarded */
    size_t n = dt_query(q, 5, "www.example.net", DNS_TYPE_AXFR, DNS_CLASS_IN, 1232, false);
    assert_true(dns_respond_query(&p, s, q, n, false, 0, out, sizeof out, &o, &pq) > 0);
    assert_false(o.forward);
    assert_int_equal(o.rcode, DNS_RCODE_REFUSED);
    records_read_unlock();
    records_free(t);
}

/* The serial a fresh answer carries: the fingerprint of the served set (dns_zone_serial). */
static uint32_t serial_now(struct records *t)
{
    records_read_lock();
    uint32_t s = dns_zone_serial(records_snapshot(t));
    records_read_unlock();
    return s;
}

static void test_domains_and_serial(void **state)
{
    (void)state;
    struct records *t = table();
    struct dns_zone z[1];
    const char *names[] = {"example.com"};
    assert_true(dns_zones_from_text(names, 1, z, NULL));
    struct dns_policy p = {.ttl = 45, .unknown = DNS_UNKNOWN_NXDOMAIN, .zones = z, .n_zones = 1};
    struct dt_msg m;
    uint64_t v1, v2;
    ask(t, &p, "gone.example.com", DNS_TYPE_A, &m, &v1);
    assert_int_equal(m.rcode, DNS_RCODE_NXDOMAIN);
    assert_int_equal(m.ns, 1);
    assert_int_equal(m.rr[0].type, DNS_TYPE_SOA);
    assert_int_equal(m.rr[0].soa[0], serial_now(t));
    uint32_t s1 = m.rr[0].soa[0];
    assert_int_equal(m.rr[0].ttl, 45);
    assert_int_equal(m.rr[0].soa[4], 45);
    ask(t, &p, "outside.org", DNS_TYPE_A, &m, NULL);
    assert_int_equal(m.an, 1);
    ask(t, &p, "unknown.org", DNS_TYPE_A, &m, NULL);
    assert_int_equal(m.rcode, DNS_RCODE_REFUSED);

    /* A change shows in the next snapshot, with a new serial. */
    struct rec_input c[] = {tl_in("gone.example.com", "10.1.1.1")};
    assert_true(records_set_source(t, "hosts:three", c, 1) > 0);
    ask(t, &p, "gone.example.com", DNS_TYPE_A, &m, &v2);
    assert_int_equal(m.rcode, 0);
    assert_int_equal(m.an, 1);
    assert_true(v2 != v1);
    ask(t, &p, "gone.example.com", 16 /* TXT */, &m, NULL);
    assert_int_equal(m.ns, 1);
    assert_int_equal(m.rr[0].soa[0], serial_now(t));
    assert_true(m.rr[0].soa[0] != s1);

    /* The serial is the served content's, not this table's version: another table that reached
     * the same records by another road (more versions on the way) answers the same serial. */
    struct records *u = table();
    struct rec_input junk[] = {tl_in("junk.example.com", "10.9.9.9")};
    assert_true(records_set_source(u, "hosts:junk", junk, 1) > 0);
    assert_true(records_set_source(u, "hosts:junk", NULL, 0) > 0);
    assert_true(records_set_source(u, "hosts:three", c, 1) > 0);
    uint64_t vu;
    ask(u, &p, "gone.example.com", 16 /* TXT */, &m, &vu);
    assert_true(vu != v2);
    assert_int_equal(m.rr[0].soa[0], serial_now(t));
    records_free(u);
    records_free(t);
}

/* The PTR answers' targets as "a.test,b.test" (their rdata is an uncompressed name). */
static void ptr_targets(const struct dt_msg *m, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < m->an; i++) {
        assert_int_equal(m->rr[i].type, DNS_TYPE_PTR);
        const uint8_t *w = m->rr[i].rdata;
        size_t k = 0;
        if (i)
            out[o++] = ',';
        for (; k < m->rr[i].rdlen && w[k]; k += (size_t)w[k] + 1) {
            if (k)
                out[o++] = '.';
            memcpy(out + o, w + k + 1, w[k]);
            o += w[k];
            assert_true(o < cap - 2);
        }
        assert_int_equal(k + 1, m->rr[i].rdlen); /* exactly one name, root label last */
    }
    out[o] = 0;
}

static void test_ptr(void **state)
{
    (void)state;
    struct records *t = table(); /* web.example.com has 10.0.0.1 from hosts:one */
    struct rec_input more[] = {tl_in("alias.example.com", "10.0.0.1"),
                               tl_in("host.example.com", "fd00::1")};
    more[0].rank = 1;
    assert_true(records_set_source(t, "hosts:more", more, 2) > 0);
    struct rec_input dock[] = {tl_in("app.example.com", "10.0.0.1")};
    assert_true(records_set_source(t, "docker:c1", dock, 1) > 0);
    struct dns_policy p = {.ttl = 60, .unknown = DNS_UNKNOWN_REFUSED};
    struct dt_msg m;
    char got[1024];
    ask(t, &p, "1.0.0.10.In-Addr.Arpa", DNS_TYPE_PTR, &m, NULL);
    assert_int_equal(m.rcode, 0);
    assert_true(m.aa);
    assert_int_equal(m.an, 2); /* hosts records only (DNS_PTR=hosts): no app.example.com */
    ptr_targets(&m, got, sizeof got);
    assert_string_equal(got, "web.example.com,alias.example.com");
    assert_string_equal(m.rr[0].name, "1.0.0.10.In-Addr.Arpa"); /* owner: the question's case */
    assert_int_equal(m.rr[0].ttl, 60);
    ask(t, &p, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa",
        DNS_TYPE_PTR, &m, NULL);
    ptr_targets(&m, got, sizeof got);
    assert_string_equal(got, "host.example.com,web.example.com");
    /* other types at a reverse name, PTR at a forward name: NODATA */
    ask(t, &p, "1.0.0.10.in-addr.arpa", DNS_TYPE_A, &m, NULL);
    assert_true(m.rcode == 0 && m.an == 0);
    ask(t, &p, "web.example.com", DNS_TYPE_PTR, &m, NULL);
    assert_true(m.rcode == 0 && m.an == 0);
    /* ANY has the PTRs */
    ask(t, &p, "1.0.0.10.in-addr.arpa", DNS_TYPE_ANY, &m, NULL);
    assert_int_equal(m.an, 2);
    /* the reverse tree's ancestors exist (NODATA), an address we have nothing for does not */
    ask(t, &p, "0.0.10.in-addr.arpa", DNS_TYPE_PTR, &m, NULL);
    assert_true(m.rcode == 0 && m.an == 0);
    ask(t, &p, "in-addr.arpa", DNS_TYPE_PTR, &m, NULL);
    assert_true(m.rcode == 0 && m.an == 0);
    ask(t, &p, "200.0.0.10.in-addr.arpa", DNS_TYPE_PTR, &m, NULL);
    assert_int_equal(m.rcode, DNS_RCODE_REFUSED);
    p.unknown = DNS_UNKNOWN_NXDOMAIN;
    ask(t, &p, "200.0.0.10.in-addr.arpa", DNS_TYPE_PTR, &m, NULL);
    assert_int_equal(m.rcode, DNS_RCODE_NXDOMAIN);
    /* DNS_PTR=all: the Docker record too (rank 0 like web, after it by name) */
    records_set_policy(t, &(struct rec_policy){.default_ttl = 60, .ptr = REC_PTR_ALL});
    ask(t, &p, "1.0.0.10.in-addr.arpa", DNS_TYPE_PTR, &m, NULL);
    ptr_targets(&m, got, sizeof got);
    assert_string_equal(got, "app.example.com,web.example.com,alias.example.com");
    /* with forwarding, a reverse name we answer stays here, another one is forwarded */
    uint8_t q[512], out[1232];
    struct dns_outcome o;
    struct dns_query pq;
    p.forward = true;
    records_read_lock();
    size_t n = dt_query(q, 5, "1.0.0.10.in-addr.arpa", DNS_TYPE_PTR, DNS_CLASS_IN, 1232, false);
    assert_true(
        dns_respond_query(&p, records_snapshot(t), q, n, false, 0, out, sizeof out, &o, &pq) > 0);
    assert_false(o.forward);
    n = dt_query(q, 5, "8.8.8.8.in-addr.arpa", DNS_TYPE_PTR, DNS_CLASS_IN, 1232, false);
    assert_int_equal(
        dns_respond_query(&p, records_snapshot(t), q, n, false, 0, out, sizeof out, &o, &pq), 0);
    assert_true(o.forward);
    records_read_unlock();
    records_free(t);
}

static void test_ptr_truncated(void **state)
{
    (void)state;
    struct records *t = records_new("node-a", 1);
    assert_non_null(t);
    struct rec_input in[40];
    for (int i = 0; i < 40; i++) {
        char name[64];
        snprintf(name, sizeof name, "a-rather-long-host-name-%02d.example.com", i);
        in[i] = tl_in(name, "10.0.0.1");
        in[i].rank = (uint32_t)i;
    }
    assert_true(records_set_source(t, "hosts:x", in, 40) > 0);
    struct dns_policy p = {.ttl = 60, .unknown = DNS_UNKNOWN_NXDOMAIN};
    static uint8_t out[65535];
    uint8_t q[512];
    struct dns_outcome o;
    struct dt_msg m;
    size_t n = dt_query(q, 5, "1.0.0.10.in-addr.arpa", DNS_TYPE_PTR, DNS_CLASS_IN, -1, false);
    records_read_lock();
    size_t len = dns_respond(&p, records_snapshot(t), q, n, false, 0, out, sizeof out, &o);
    assert_null(dt_parse(out, len, &m));
    assert_true(m.tc && m.an == 0 && len <= 512); /* 40 names do not fit in 512 bytes */
    len = dns_respond(&p, records_snapshot(t), q, n, true, 0, out, sizeof out, &o);
    records_read_unlock();
    assert_null(dt_parse(out, len, &m));
    assert_false(m.tc);
    assert_int_equal(m.an, 40);
    char got[4096];
    ptr_targets(&m, got, sizeof got);
    assert_memory_equal(got, "a-rather-long-host-name-00.example.com,a-rather-long-host-name-01",
                        64);
    records_free(t);
}

static void test_ttls(void **state)
{
    (void)state;
    struct records *t = table();
    records_set_policy(t, &(struct rec_policy){.default_ttl = 45, .ptr = REC_PTR_HOSTS});
    struct rec_input d[] = {tl_in("db.example.com", "10.0.0.10"),
                            tl_in("own.example.com", "fd00::7")};
    d[0].has_ttl = d[1].has_ttl = true;
    d[0].ttl = 5;
    d[1].ttl = 600;
    assert_true(records_set_source(t, "docker:c1", d, 2) > 0);
    struct dns_policy p = {.ttl = 45, .unknown = DNS_UNKNOWN_NXDOMAIN};
    struct dt_msg m;
    ask(t, &p, "db.example.com", DNS_TYPE_A, &m, NULL); /* hosts (45) and docker (5): smallest */
    assert_int_equal(m.an, 2);
    assert_true(m.rr[0].ttl == 5 && m.rr[1].ttl == 5);
    ask(t, &p, "own.example.com", DNS_TYPE_AAAA, &m, NULL);
    assert_int_equal(m.rr[0].ttl, 600);
    ask(t, &p, "web.example.com", DNS_TYPE_ANY, &m, NULL);
    for (size_t i = 0; i < m.an; i++)
        assert_int_equal(m.rr[i].ttl, 45);
    records_free(t);
}

int main(void)
{
    records_reader_register();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hits),
        cmocka_unit_test(test_empty_non_terminal),
        cmocka_unit_test(test_domains_and_serial),
        cmocka_unit_test(test_forward_only_foreign_names),
        cmocka_unit_test(test_ptr),
        cmocka_unit_test(test_ptr_truncated),
        cmocka_unit_test(test_ttls),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    records_reader_unregister();
    return rc;
}
