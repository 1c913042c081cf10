/* test_fwd_wire.c — forwarding on the wire: the upstream query, the check of upstream answers
 * (ID, question, structure), their normal form (OPT dropped, TTLs capped, cache lifetime from the
 * answer or the SOA), and the client's answer (ID and case restored, RA/AA/AD, TTL countdown,
 * stale TTL, TC at the client's size, OPT only for EDNS clients). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "dns/fwd_wire.h"
#include "dns/wire.h"
#include "dnstest.h"

static const uint8_t ADDR1[4] = {192, 0, 2, 1}, ADDR2[4] = {192, 0, 2, 2};

/* A parsed client query for name (case kept). Its question points into buf. */
static void client(uint8_t *buf, const char *name, uint16_t type, int edns, bool do_bit,
                   struct dns_query *q)
{
    size_t n = dt_query(buf, 0x4242, name, type, DNS_CLASS_IN, edns, do_bit);
    assert_int_equal(dns_parse_query(buf, n, q), DNS_PARSE_OK);
}

/* An upstream answer for www.example.com A: two addresses (TTL 300 and 200), an OPT. */
static size_t upstream_answer(uint8_t *buf, uint16_t id, const char *name)
{
    struct dt_builder b;
    dt_begin(&b, buf, id, name, DNS_TYPE_A, 0x81 | 0x04, 0x80 | 0x20); /* QR RD AA; RA AD */
    dt_rr(&b, 0, NULL, DNS_TYPE_A, 300, ADDR1, 4);
    dt_rr(&b, 0, NULL, DNS_TYPE_A, 200, ADDR2, 4);
    dt_opt(&b, 4096, 0, false);
    return dt_end(&b);
}

static enum fwd_status norm(const uint8_t *pkt, size_t len, uint16_t id, const char *name,
                            uint16_t type, uint8_t *out, size_t *outlen, struct fwd_info *info)
{
    uint8_t qn[DNS_NAME_MAX];
    size_t ql = dns_name_from_text(name, qn);
    return fwd_normalize(pkt, len, id, qn, ql, type, DNS_CLASS_IN, 86400, out, DNS_MSG_MAX, outlen,
                         info);
}

static void test_build_query(void **state)
{
    (void)state;
    uint8_t cb[512], out[512];
    struct dns_query q, u;
    client(cb, "WWW.Example.COM", DNS_TYPE_AAAA, 4096, true, &q);
    size_t n = fwd_build_query(&q, 0xBEEF, out, sizeof out);
    assert_true(n > 0);
    assert_int_equal(dns_parse_query(out, n, &u), DNS_PARSE_OK);
    assert_int_equal(u.id, 0xBEEF);
    assert_true(u.rd);
    assert_memory_equal(out + 12,
                        "\x03www\x07"
                        "example\x03"
                        "com",
                        17); /* lowercased */
    assert_int_equal(u.qtype, DNS_TYPE_AAAA);
    assert_true(u.has_edns);
    assert_int_equal(u.edns_udp_size, DNS_EDNS_PAYLOAD);
    assert_true(u.edns_do);
    client(cb, "a.b", DNS_TYPE_A, -1, false, &q);
    n = fwd_build_query(&q, 1, out, sizeof out);
    assert_int_equal(dns_parse_query(out, n, &u), DNS_PARSE_OK);
    assert_true(u.has_edns && !u.edns_do); /* EDNS to upstreams even when the client had none */
    assert_int_equal(fwd_build_query(&q, 1, out, 20), 0);
}

static void test_normalize_accepts_and_strips(void **state)
{
    (void)state;
    uint8_t pkt[512], out[DNS_MSG_MAX];
    size_t len = upstream_answer(pkt, 7, "WWW.example.com"), outlen;
    struct fwd_info info;
    assert_int_equal(norm(pkt, len, 7, "www.example.com", DNS_TYPE_A, out, &outlen, &info), FWD_OK);
    assert_int_equal(outlen, len - DNS_OPT_LEN);
    assert_int_equal(info.an, 2);
    assert_int_equal(info.ar, 0);
    assert_int_equal(out[0] | out[1], 0);
    assert_true(info.cacheable && !info.negative);
    assert_int_equal(info.ttl, 200);
    struct dt_msg m;
    assert_null(dt_parse(out, outlen, &m));
    assert_int_equal(m.ar, 0);
    /* TTL cap */
    uint8_t qn[DNS_NAME_MAX];
    size_t ql = dns_name_from_text("www.example.com", qn);
    assert_int_equal(fwd_normalize(pkt, len, 7, qn, ql, DNS_TYPE_A, DNS_CLASS_IN, 60, out,
                                   sizeof out, &outlen, &info),
                     FWD_OK);
    assert_null(dt_parse(out, outlen, &m));
    assert_int_equal(m.rr[0].ttl, 60);
    assert_int_equal(info.ttl, 60);
}

static void test_normalize_rejects_mismatch(void **state)
{
    (void)state;
    uint8_t pkt[512], out[DNS_MSG_MAX];
    size_t len = upstream_answer(pkt, 7, "www.example.com"), outlen;
    struct fwd_info info;
    assert_int_equal(norm(pkt, len, 8, "www.example.com", DNS_TYPE_A, out, &outlen, &info),
                     FWD_MISMATCH);
    assert_int_equal(norm(pkt, len, 7, "www.example.org", DNS_TYPE_A, out, &outlen, &info),
                     FWD_MISMATCH);
    assert_int_equal(norm(pkt, len, 7, "ww.example.com", DNS_TYPE_A, out, &outlen, &info),
                     FWD_MISMATCH);
    assert_int_equal(norm(pkt, len, 7, "www.example.com", DNS_TYPE_AAAA, out, &outlen, &info),
                     FWD_MISMATCH);
    pkt[2] &= 0x7F; /* a query, not a response */
    assert_int_equal(norm(pkt, len, 7, "www.example.com", DNS_TYPE_A, out, &outlen, &info),
                     FWD_MISMATCH);
    pkt[2] |= 0x80;
    assert_int_equal(norm(pkt, 11, 7, "www.example.com", DNS_TYPE_A, out, &outlen, &info),
                     FWD_MISMATCH);
}

static void test_normalize_rejects_malformed(void **state)
{
    (void)state;
    uint8_t pkt[512], out[DNS_MSG_MAX];
    size_t len = upstream_answer(pkt, 7, "www.example.com"), outlen;
    struct fwd_info info;
    /* every cut inside the records is malformed (the counts promise more) */
    for (size_t cut = 12 + 17 + 4; cut < len; cut++) {
        enum fwd_status st = norm(pkt, cut, 7, "www.example.com", DNS_TYPE_A, out, &outlen, &info);
        assert_int_equal(st, FWD_MALFORMED);
    }
    /* a compression pointer pointing forwards */
    uint8_t bad[512];
    memcpy(bad, pkt, len);
    bad[33] = 0xC0;
    bad[34] = 0x40;
    assert_int_equal(norm(bad, len, 7, "www.example.com", DNS_TYPE_A, out, &outlen, &info),
                     FWD_MALFORMED);
    /* an OPT in the answer section */
    struct dt_builder b;
    dt_begin(&b, bad, 7, "www.example.com", DNS_TYPE_A, 0x81, 0x80);
    dt_opt(&b, 512, 0, false);
    size_t n = dt_end(&b);
    bad[7] = 1; /* an = 1 */
    bad[11] = 0;
    assert_int_equal(norm(bad, n, 7, "www.example.com", DNS_TYPE_A, out, &outlen, &info),
                     FWD_MALFORMED);
    /* a name-valued rdata (NS, CNAME, PTR) must be one whole name: not cut inside its pointer,
     * nothing after it (found by fuzzing: clients would read past the rdata) */
    static const uint8_t cut_ptr[] = {2, 'n', 's', 0xC0};
    static const uint8_t trailing[] = {2, 'n', 's', 0xC0, 12 + 4, 0};
    static const uint8_t whole[] = {2, 'n', 's', 0xC0, 12 + 4};
    const uint16_t types[] = {DNS_TYPE_NS, DNS_TYPE_CNAME, DNS_TYPE_PTR};
    for (size_t i = 0; i < 3; i++) {
        const uint8_t *rd[] = {cut_ptr, trailing, whole};
        const size_t rl[] = {sizeof cut_ptr, sizeof trailing, sizeof whole};
        for (size_t k = 0; k < 3; k++) {
            dt_begin(&b, bad, 7, "www.example.com", DNS_TYPE_A, 0x81, 0x80);
            dt_rr(&b, 0, NULL, types[i], 60, rd[k], rl[k]);
            n = dt_end(&b);
            assert_int_equal(norm(bad, n, 7, "www.example.com", DNS_TYPE_A, out, &outlen, &info),
                             k == 2 ? FWD_OK : FWD_MALFORMED);
        }
    }
}

/* Compression pointers found by fuzzing: a name read through a pointer must end before the name
 * itself starts, and must not run through a record's fixed fields (TTLs are rewritten). A
 * legitimate pointer to an earlier owner name is accepted. */
static void test_normalize_pointer_rules(void **state)
{
    (void)state;
    uint8_t pkt[512], out[DNS_MSG_MAX];
    size_t outlen;
    struct fwd_info info;
    struct dt_builder b;
    static const uint8_t cname[] = {3, 'w', 'e', 'b', 0xC0, 12 + 4}; /* web.example.com */
    dt_begin(&b, pkt, 5, "www.example.com", DNS_TYPE_A, 0x81, 0x80);
    dt_rr(&b, 0, NULL, 5 /* CNAME */, 60, cname, sizeof cname);
    size_t at = b.len;
    dt_rr(&b, 0, NULL, DNS_TYPE_A, 60, ADDR1, 4);
    size_t n = dt_end(&b);
    /* the second owner points at the CNAME target (an earlier name): fine */
    pkt[at] = 0xC0;
    pkt[at + 1] = (uint8_t)(12 + 17 + 4 + 2 + 10);
    assert_int_equal(norm(pkt, n, 5, "www.example.com", DNS_TYPE_A, out, &outlen, &info), FWD_OK);
    /* pointing into the first record's TTL field */
    pkt[at + 1] = (uint8_t)(12 + 17 + 4 + 2 + 4);
    assert_int_equal(norm(pkt, n, 5, "www.example.com", DNS_TYPE_A, out, &outlen, &info),
                     FWD_MALFORMED);
    /* pointing at the low byte of the question's class: labels run into this very name */
    pkt[at + 1] = (uint8_t)(12 + 17 + 3);
    assert_int_equal(norm(pkt, n, 5, "www.example.com", DNS_TYPE_A, out, &outlen, &info),
                     FWD_MALFORMED);
}

static void test_negative_ttl_from_soa(void **state)
{
    (void)state;
    uint8_t pkt[512], out[DNS_MSG_MAX];
    size_t outlen;
    struct fwd_info info;
    struct dt_builder b;
    /* NXDOMAIN: min(SOA TTL 900, SOA minimum 120) */
    dt_begin(&b, pkt, 9, "nx.example.com", DNS_TYPE_A, 0x81, 0x83);
    dt_soa(&b, 3, 900, 120);
    size_t n = dt_end(&b);
    assert_int_equal(norm(pkt, n, 9, "nx.example.com", DNS_TYPE_A, out, &outlen, &info), FWD_OK);
    assert_true(info.cacheable && info.negative);
    assert_int_equal(info.rcode, DNS_RCODE_NXDOMAIN);
    assert_int_equal(info.ttl, 120);
    /* NODATA with SOA TTL below the minimum */
    dt_begin(&b, pkt, 9, "nx.example.com", DNS_TYPE_A, 0x81, 0x80);
    dt_soa(&b, 3, 30, 120);
    n = dt_end(&b);
    assert_int_equal(norm(pkt, n, 9, "nx.example.com", DNS_TYPE_A, out, &outlen, &info), FWD_OK);
    assert_true(info.cacheable && info.negative);
    assert_int_equal(info.ttl, 30);
    /* without a SOA a negative is not cached (RFC 2308 section 5) */
    dt_begin(&b, pkt, 9, "nx.example.com", DNS_TYPE_A, 0x81, 0x83);
    n = dt_end(&b);
    assert_int_equal(norm(pkt, n, 9, "nx.example.com", DNS_TYPE_A, out, &outlen, &info), FWD_OK);
    assert_false(info.cacheable);
    /* SERVFAIL and TC are never cached; the extended rcode comes from OPT */
    dt_begin(&b, pkt, 9, "nx.example.com", DNS_TYPE_A, 0x81, 0x82);
    n = dt_end(&b);
    assert_int_equal(norm(pkt, n, 9, "nx.example.com", DNS_TYPE_A, out, &outlen, &info), FWD_OK);
    assert_false(info.cacheable);
    dt_begin(&b, pkt, 9, "nx.example.com", DNS_TYPE_A, 0x83, 0x80);
    dt_rr(&b, 0, NULL, DNS_TYPE_A, 300, ADDR1, 4);
    n = dt_end(&b);
    assert_int_equal(norm(pkt, n, 9, "nx.example.com", DNS_TYPE_A, out, &outlen, &info), FWD_OK);
    assert_true(info.tc && !info.cacheable);
    dt_begin(&b, pkt, 9, "nx.example.com", DNS_TYPE_A, 0x81, 0x80);
    dt_opt(&b, 512, 1, false);
    n = dt_end(&b);
    assert_int_equal(norm(pkt, n, 9, "nx.example.com", DNS_TYPE_A, out, &outlen, &info), FWD_OK);
    assert_int_equal(info.rcode, DNS_RCODE_BADVERS);
}

static void test_answer_rewrites_for_client(void **state)
{
    (void)state;
    uint8_t pkt[512], msg[DNS_MSG_MAX], cb[512], out[DNS_MSG_MAX];
    size_t len = upstream_answer(pkt, 7, "www.example.com"), mlen;
    struct fwd_info info;
    assert_int_equal(norm(pkt, len, 7, "www.example.com", DNS_TYPE_A, msg, &mlen, &info), FWD_OK);
    struct dns_query q;
    client(cb, "wWw.ExAmple.com", DNS_TYPE_A, 1232, true, &q);
    bool tc;
    size_t n = fwd_answer(msg, mlen, info.rcode, &q, 50, 0, 1232, out, sizeof out, &tc);
    struct dt_msg m;
    assert_null(dt_parse(out, n, &m));
    assert_false(tc);
    assert_int_equal(m.id, 0x4242);
    assert_true(m.qr && m.rd && !m.aa && !m.tc);
    assert_true(out[3] & 0x80);                      /* RA */
    assert_false(out[3] & 0x20);                     /* AD cleared */
    assert_string_equal(m.qname, "wWw.ExAmple.com"); /* the client's case */
    assert_int_equal(m.an, 2);
    assert_int_equal(m.rr[0].ttl, 250);
    assert_int_equal(m.rr[1].ttl, 150);
    assert_true(m.has_opt && m.opt_do);
    assert_int_equal(m.opt_size, DNS_EDNS_PAYLOAD);
    /* elapsed beyond a TTL floors at 0; a stale answer has TTL 30 everywhere */
    n = fwd_answer(msg, mlen, info.rcode, &q, 250, 0, 1232, out, sizeof out, &tc);
    assert_null(dt_parse(out, n, &m));
    assert_int_equal(m.rr[0].ttl, 50);
    assert_int_equal(m.rr[1].ttl, 0);
    n = fwd_answer(msg, mlen, info.rcode, &q, 5000, 30, 1232, out, sizeof out, &tc);
    assert_null(dt_parse(out, n, &m));
    assert_int_equal(m.rr[0].ttl, 30);
    assert_int_equal(m.rr[1].ttl, 30);
    /* no EDNS from the client: no OPT back */
    client(cb, "www.example.com", DNS_TYPE_A, -1, false, &q);
    n = fwd_answer(msg, mlen, info.rcode, &q, 0, 0, 512, out, sizeof out, &tc);
    assert_null(dt_parse(out, n, &m));
    assert_false(m.has_opt);
    assert_int_equal(n, mlen);
    /* a different question does not fit this message */
    client(cb, "www.example.org", DNS_TYPE_A, -1, false, &q);
    assert_int_equal(fwd_answer(msg, mlen, info.rcode, &q, 0, 0, 512, out, sizeof out, &tc), 0);
}

static void test_answer_truncates_at_every_limit(void **state)
{
    (void)state;
    uint8_t pkt[2048], msg[DNS_MSG_MAX], cb[512], out[DNS_MSG_MAX];
    struct dt_builder b;
    dt_begin(&b, pkt, 3, "many.example.com", DNS_TYPE_A, 0x81, 0x80);
    for (int i = 0; i < 40; i++) {
        uint8_t a[4] = {10, 0, 0, (uint8_t)i};
        dt_rr(&b, 0, NULL, DNS_TYPE_A, 60, a, 4);
    }
    size_t len = dt_end(&b), mlen;
    struct fwd_info info;
    assert_int_equal(norm(pkt, len, 3, "many.example.com", DNS_TYPE_A, msg, &mlen, &info), FWD_OK);
    struct dns_query q;
    client(cb, "many.example.com", DNS_TYPE_A, 512, false, &q);
    size_t min = DNS_HEADER_LEN + q.question_len + DNS_OPT_LEN;
    for (size_t limit = 0; limit < mlen + 40; limit++) {
        bool tc;
        size_t n = fwd_answer(msg, mlen, info.rcode, &q, 0, 0, limit, out, sizeof out, &tc);
        if (limit < min) {
            assert_int_equal(n, 0);
            continue;
        }
        struct dt_msg m;
        assert_true(n <= limit);
        assert_null(dt_parse(out, n, &m));
        assert_int_equal(tc, m.tc);
        if (limit < mlen + DNS_OPT_LEN)
            assert_true(m.tc && m.an == 0 && m.has_opt);
        else
            assert_true(!m.tc && m.an == 40);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_query),
        cmocka_unit_test(test_normalize_accepts_and_strips),
        cmocka_unit_test(test_normalize_rejects_mismatch),
        cmocka_unit_test(test_normalize_rejects_malformed),
        cmocka_unit_test(test_normalize_pointer_rules),
        cmocka_unit_test(test_negative_ttl_from_soa),
        cmocka_unit_test(test_answer_rewrites_for_client),
        cmocka_unit_test(test_answer_truncates_at_every_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
