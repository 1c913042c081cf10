/* test_wire.c — unit tests for the DNS query parser and response builder: malformed queries of
 * every kind (each answered FORMERR/NOTIMP/REFUSED/BADVERS or dropped, never over-read: inputs
 * live in exactly sized heap buffers so ASan sees any read past them), byte-exact answers,
 * compression, case echo, EDNS, truncation and the answer policy on hand-made record sets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/respond.h"
#include "dns/wire.h"
#include "dnstest.h"

/* Parses a copy of pkt[0..len) in a buffer of exactly len bytes. */
static int parse_exact(const uint8_t *pkt, size_t len, struct dns_query *q)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, pkt, len);
    int rc = dns_parse_query(copy, len, q);
    /* q->question points into copy; callers that need it use parse_keep. */
    q->question = NULL;
    free(copy);
    return rc;
}

static void set16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* ---- Parser: well formed ---- */

static void test_parse_simple(void **state)
{
    (void)state;
    uint8_t b[512];
    struct dns_query q;
    size_t n = dt_query(b, 0x1234, "WwW.Example.COM", DNS_TYPE_A, DNS_CLASS_IN, -1, false);
    assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_OK);
    assert_int_equal(q.id, 0x1234);
    assert_true(q.rd);
    assert_false(q.cd);
    assert_int_equal(q.opcode, 0);
    assert_int_equal(q.qtype, DNS_TYPE_A);
    assert_int_equal(q.qclass, DNS_CLASS_IN);
    assert_true(q.has_question);
    assert_false(q.has_edns);
    assert_int_equal(q.qname_len, 17);
    assert_memory_equal(q.qname, "\3www\7example\3com\0", 17);
    assert_ptr_equal(q.question, b + 12);
    assert_int_equal(q.question_len, 21);
    assert_memory_equal(q.question, "\3WwW\7Example\3COM\0\0\1\0\1", 21);
}

static void test_parse_edns(void **state)
{
    (void)state;
    uint8_t b[512];
    struct dns_query q;
    size_t n = dt_query(b, 1, "a.b", DNS_TYPE_AAAA, DNS_CLASS_IN, 4096, true);
    assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_OK);
    assert_true(q.has_edns);
    assert_true(q.edns_do);
    assert_int_equal(q.edns_udp_size, 4096);
    assert_int_equal(q.edns_version, 0);
    assert_int_equal(dns_response_limit(&q, false), DNS_EDNS_PAYLOAD);
    assert_int_equal(dns_response_limit(&q, true), 65535);

    n = dt_query(b, 1, "a.b", DNS_TYPE_AAAA, DNS_CLASS_IN, 100, false);
    assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_OK);
    assert_false(q.edns_do);
    assert_int_equal(dns_response_limit(&q, false), 512); /* below 512 means 512 */
    n = dt_query(b, 1, "a.b", DNS_TYPE_AAAA, DNS_CLASS_IN, 800, false);
    assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_OK);
    assert_int_equal(dns_response_limit(&q, false), 800);
    n = dt_query(b, 1, "a.b", DNS_TYPE_AAAA, DNS_CLASS_IN, -1, false);
    assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_OK);
    assert_int_equal(dns_response_limit(&q, false), 512);
}

static void test_parse_edns_with_options(void **state)
{
    (void)state;
    uint8_t b[512];
    struct dns_query q;
    size_t n = dt_query(b, 1, "a.b", DNS_TYPE_A, DNS_CLASS_IN, 1232, false);
    /* Append a cookie option (code 10, 8 bytes) and a padding option (12, 0 bytes). */
    static const uint8_t opts[] = {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 12, 0, 0};
    memcpy(b + n, opts, sizeof opts);
    set16(b + n - 2, sizeof opts);
    n += sizeof opts;
    assert_int_equal(parse_exact(b, n, &q), DNS_PARSE_OK);
    assert_true(q.has_edns);
}

static void test_parse_root_and_max_name(void **state)
{
    (void)state;
    uint8_t b[600];
    struct dns_query q;
    size_t n = dt_query(b, 1, ".", DNS_TYPE_A, DNS_CLASS_IN, -1, false);
    assert_int_equal(n, 17);
    assert_int_equal(parse_exact(b, n, &q), DNS_PARSE_OK);
    assert_int_equal(q.qname_len, 1);

    /* 255 bytes exactly: 3 labels of 63, one of 61, root. */
    char name[300];
    char l63[64], l61[62];
    memset(l63, 'a', 63);
    l63[63] = 0;
    memset(l61, 'b', 61);
    l61[61] = 0;
    snprintf(name, sizeof name, "%s.%s.%s.%s", l63, l63, l63, l61);
    n = dt_query(b, 1, name, DNS_TYPE_A, DNS_CLASS_IN, -1, false);
    assert_int_equal(parse_exact(b, n, &q), DNS_PARSE_OK);
    assert_int_equal(q.qname_len, 255);

    /* 257 bytes: four labels of 63. */
    snprintf(name, sizeof name, "%s.%s.%s.%s", l63, l63, l63, l63);
    n = dt_query(b, 1, name, DNS_TYPE_A, DNS_CLASS_IN, -1, false);
    assert_int_equal(parse_exact(b, n, &q), DNS_RCODE_FORMERR);
    /* 256 bytes: 3 x 63 + 62. */
    char l62[63];
    memset(l62, 'c', 62);
    l62[62] = 0;
    snprintf(name, sizeof name, "%s.%s.%s.%s", l63, l63, l63, l62);
    n = dt_query(b, 1, name, DNS_TYPE_A, DNS_CLASS_IN, -1, false);
    assert_int_equal(parse_exact(b, n, &q), DNS_RCODE_FORMERR);
}

static void test_parse_lowercases_ascii_only(void **state)
{
    (void)state;
    uint8_t b[64] = {0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0,
                     0,    4,    'A',  'z',  0xC4, '@',  0, 0, 1, 0, 1};
    struct dns_query q;
    assert_int_equal(parse_exact(b, 22, &q), DNS_PARSE_OK);
    assert_memory_equal(q.qname, "\4az\xC4@\0", 6);
}

/* ---- Parser: dropped ---- */

static void test_drop_short_and_responses(void **state)
{
    (void)state;
    uint8_t b[512];
    struct dns_query q;
    size_t n = dt_query(b, 7, "x.y", DNS_TYPE_A, DNS_CLASS_IN, -1, false);
    for (size_t i = 0; i < DNS_HEADER_LEN; i++)
        assert_int_equal(parse_exact(b, i, &q), DNS_PARSE_DROP);
    b[2] |= 0x80; /* QR: a response; never answer it (reflection loops) */
    assert_int_equal(parse_exact(b, n, &q), DNS_PARSE_DROP);
}

/* ---- Parser: FORMERR ---- */

static void test_truncated_at_every_offset(void **state)
{
    (void)state;
    uint8_t b[512];
    struct dns_query q;
    size_t n = dt_query(b, 7, "www.example.com", DNS_TYPE_A, DNS_CLASS_IN, 1232, true);
    assert_int_equal(parse_exact(b, n, &q), DNS_PARSE_OK);
    for (size_t i = DNS_HEADER_LEN; i < n; i++) {
        int rc = parse_exact(b, i, &q);
        assert_int_equal(rc, DNS_RCODE_FORMERR);
        uint8_t out[512];
        struct dns_query q2;
        uint8_t *copy = malloc(i);
        memcpy(copy, b, i);
        rc = dns_parse_query(copy, i, &q2);
        size_t len = dns_build_error(&q2, (uint16_t)rc, out, sizeof out);
        free(copy);
        struct dt_msg m;
        assert_null(dt_parse(out, len, &m));
        assert_int_equal(m.rcode, DNS_RCODE_FORMERR);
        assert_int_equal(m.id, 7);
        assert_true(m.qr);
    }
}

static void test_qdcount(void **state)
{
    (void)state;
    uint8_t b[512];
    struct dns_query q;
    size_t n = dt_query(b, 7, "x.y", DNS_TYPE_A, DNS_CLASS_IN, -1, false);
    set16(b + 4, 0);
    assert_int_equal(parse_exact(b, n, &q), DNS_RCODE_FORMERR);
    set16(b + 4, 2);
    assert_int_equal(parse_exact(b, n, &q), DNS_RCODE_FORMERR);
    /* Two real questions are still one too many. */
    size_t qlen = n - 12;
    memcpy(b + n, b + 12, qlen);
    assert_int_equal(parse_exact(b, n + qlen, &q), DNS_RCODE_FORMERR);
    set16(b + 4, 0xFFFF);
    assert_int_equal(parse_exact(b, n, &q), DNS_RCODE_FORMERR);
}

static void test_pointer_in_question(void **state)
{
    (void)state;
    struct dns_query q;
    /* Pointer to itself (offset 12), to the header, and a label then a pointer. */
    uint8_t self[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1};
    assert_int_equal(parse_exact(self, sizeof self, &q), DNS_RCODE_FORMERR);
    uint8_t hdr[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 0, 0, 1, 0, 1};
    assert_int_equal(parse_exact(hdr, sizeof hdr, &q), DNS_RCODE_FORMERR);
    uint8_t mixed[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0xC0, 12, 0, 1, 0, 1};
    assert_int_equal(parse_exact(mixed, sizeof mixed, &q), DNS_RCODE_FORMERR);
    /* Extended label types 0x40 and 0x80. */
    uint8_t ext1[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 'a', 0, 0, 1, 0, 1};
    assert_int_equal(parse_exact(ext1, sizeof ext1, &q), DNS_RCODE_FORMERR);
    uint8_t ext2[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x80, 'a', 0, 0, 1, 0, 1};
    assert_int_equal(parse_exact(ext2, sizeof ext2, &q), DNS_RCODE_FORMERR);
}

static void test_label_longer_than_packet(void **state)
{
    (void)state;
    struct dns_query q;
    uint8_t b[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 63, 'a', 'b', 0, 0, 1, 0, 1};
    assert_int_equal(parse_exact(b, sizeof b, &q), DNS_RCODE_FORMERR);
    /* No root label before the end. */
    uint8_t c[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 1, 'b'};
    assert_int_equal(parse_exact(c, sizeof c, &q), DNS_RCODE_FORMERR);
}

static void test_trailing_garbage(void **state)
{
    (void)state;
    uint8_t b[512];
    struct dns_query q;
    size_t n = dt_query(b, 7, "x.y", DNS_TYPE_A, DNS_CLASS_IN, -1, false);
    b[n] = 0;
    assert_int_equal(parse_exact(b, n + 1, &q), DNS_RCODE_FORMERR);
    assert_true(q.has_question); /* the error response echoes it */
    n = dt_query(b, 7, "x.y", DNS_TYPE_A, DNS_CLASS_IN, 1232, false);
    memset(b + n, 0xAB, 7);
    assert_int_equal(parse_exact(b, n + 7, &q), DNS_RCODE_FORMERR);
}

static void test_counts_lie(void **state)
{
    (void)state;
    uint8_t b[512];
    struct dns_query q;
    size_t n = dt_query(b, 7, "x.y", DNS_TYPE_A, DNS_CLASS_IN, -1, false);
    set16(b + 10, 1); /* ARCOUNT 1, nothing there */
    assert_int_equal(parse_exact(b, n, &q), DNS_RCODE_FORMERR);
    set16(b + 10, 0xFFFF);
    assert_int_equal(parse_exact(b, n, &q), DNS_RCODE_FORMERR);
    set16(b + 10, 0);
    set16(b + 6, 1); /* ANCOUNT in a query */
    assert_int_equal(parse_exact(b, n, &q), DNS_RCODE_FORMERR);
    set16(b + 6, 0);
    set16(b + 8, 1); /* NSCOUNT */
    assert_int_equal(parse_exact(b, n, &q), DNS_RCODE_FORMERR);
    /* OPT present but ARCOUNT 0: trailing bytes. */
    n = dt_query(b, 7, "x.y", DNS_TYPE_A, DNS_CLASS_IN, 1232, false);
    set16(b + 10, 0);
    assert_int_equal(parse_exact(b, n, &q), DNS_RCODE_FORMERR);
    set16(b + 10, 2);
    assert_int_equal(parse_exact(b, n, &q), DNS_RCODE_FORMERR);
}

static void test_opt_malformed(void **state)
{
    (void)state;
    uint8_t b[512];
    struct dns_query q;
    size_t n = dt_query(b, 7, "x.y", DNS_TYPE_A, DNS_CLASS_IN, 1232, false);
    size_t opt = n - 11;

    /* rdlength past the end. */
    set16(b + opt + 9, 4);
    assert_int_equal(parse_exact(b, n, &q), DNS_RCODE_FORMERR);
    /* An option header cut short (rdlen 3). */
    b[n] = 0;
    b[n + 1] = 10;
    b[n + 2] = 0;
    set16(b + opt + 9, 3);
    assert_int_equal(parse_exact(b, n + 3, &q), DNS_RCODE_FORMERR);
    /* Option length larger than the rdata. */
    b[n + 3] = 9;
    b[n + 4] = 1;
    set16(b + opt + 9, 5);
    assert_int_equal(parse_exact(b, n + 5, &q), DNS_RCODE_FORMERR);
    set16(b + opt + 9, 0);

    /* Owner not the root. */
    uint8_t c[512];
    memcpy(c, b, opt);
    c[opt] = 1;
    c[opt + 1] = 'a';
    c[opt + 2] = 0;
    memcpy(c + opt + 3, b + opt + 1, 10);
    assert_int_equal(parse_exact(c, n + 2, &q), DNS_RCODE_FORMERR);
    /* Owner a pointer to the question name. */
    c[opt] = 0xC0;
    c[opt + 1] = 12;
    memcpy(c + opt + 2, b + opt + 1, 10);
    assert_int_equal(parse_exact(c, n + 1, &q), DNS_RCODE_FORMERR);

    /* Two OPT records. */
    memcpy(b + n, b + opt, 11);
    set16(b + 10, 2);
    assert_int_equal(parse_exact(b, n + 11, &q), DNS_RCODE_FORMERR);

    /* OPT header cut after the type. */
    n = dt_query(b, 7, "x.y", DNS_TYPE_A, DNS_CLASS_IN, 1232, false);
    for (size_t cut = opt; cut < n; cut++)
        assert_int_equal(parse_exact(b, cut, &q), DNS_RCODE_FORMERR);
}

static void test_other_additional_records(void **state)
{
    (void)state;
    uint8_t b[512];
    struct dns_query q;
    size_t n = dt_query(b, 7, "x.y", DNS_TYPE_A, DNS_CLASS_IN, 1232, false);
    /* An extra record (a TSIG-like one) owned by a pointer to the question name: skipped. */
    static const uint8_t rr[] = {0xC0, 12, 0, 250, 0, 255, 0, 0, 0, 0, 0, 2, 0xAA, 0xBB};
    memcpy(b + n, rr, sizeof rr);
    set16(b + 10, 2);
    assert_int_equal(parse_exact(b, n + sizeof rr, &q), DNS_PARSE_OK);
    assert_true(q.has_edns);
    /* A forward pointer, a pointer to itself, and a pointer into the header. */
    b[n + 1] = (uint8_t)(n + 4);
    assert_int_equal(parse_exact(b, n + sizeof rr, &q), DNS_RCODE_FORMERR);
    b[n + 1] = (uint8_t)n;
    assert_int_equal(parse_exact(b, n + sizeof rr, &q), DNS_RCODE_FORMERR);
    b[n + 1] = 3;
    assert_int_equal(parse_exact(b, n + sizeof rr, &q), DNS_RCODE_FORMERR);
    /* A pointer cut in half. */
    b[n + 1] = 12;
    assert_int_equal(parse_exact(b, n + 1, &q), DNS_RCODE_FORMERR);
}

static void test_ixfr_with_soa_in_authority(void **state)
{
    (void)state;
    uint8_t b[512];
    struct dns_query q;
    size_t n = dt_query(b, 7, "example.com", DNS_TYPE_IXFR, DNS_CLASS_IN, -1, false);
    /* The client's SOA: owner -> question name, root MNAME/RNAME, five numbers. */
    static const uint8_t soa[] = {0xC0, 12, 0, 6, 0, 1, 0, 0, 0, 60, 0, 22, 0, 0, 0, 0, 0,
                                  5,    0,  0, 0, 1, 0, 0, 0, 1, 0,  0, 0,  1, 0, 0, 0, 1};
    memcpy(b + n, soa, sizeof soa);
    set16(b + 8, 1);
    assert_int_equal(parse_exact(b, n + sizeof soa, &q), DNS_RCODE_REFUSED);
    /* Cut anywhere inside the SOA: FORMERR. */
    for (size_t cut = n; cut < n + sizeof soa; cut++)
        assert_int_equal(parse_exact(b, cut, &q), DNS_RCODE_FORMERR);
    /* An OPT in the authority section is malformed. */
    n = dt_query(b, 7, "example.com", DNS_TYPE_IXFR, DNS_CLASS_IN, 1232, false);
    set16(b + 8, 1);
    set16(b + 10, 0);
    assert_int_equal(parse_exact(b, n, &q), DNS_RCODE_FORMERR);
    /* Authority records in any other query: FORMERR. */
    n = dt_query(b, 7, "example.com", DNS_TYPE_A, DNS_CLASS_IN, -1, false);
    memcpy(b + n, soa, sizeof soa);
    set16(b + 8, 1);
    assert_int_equal(parse_exact(b, n + sizeof soa, &q), DNS_RCODE_FORMERR);
}

/* ---- Parser: other rcodes ---- */

static void test_badvers(void **state)
{
    (void)state;
    uint8_t b[512], out[512];
    struct dns_query q;
    size_t n = dt_query(b, 9, "x.y", DNS_TYPE_A, DNS_CLASS_IN, 1232, true);
    b[n - 11 + 6] = 1; /* version 1 */
    int rc = dns_parse_query(b, n, &q);
    assert_int_equal(rc, DNS_RCODE_BADVERS);
    size_t len = dns_build_error(&q, (uint16_t)rc, out, sizeof out);
    struct dt_msg m;
    assert_null(dt_parse(out, len, &m));
    assert_true(m.has_opt);
    assert_int_equal(m.rcode, 16);
    assert_int_equal(out[3] & 15, 0); /* low bits in the header, high bits in OPT */
    assert_int_equal(m.opt_version, 0);
    assert_true(m.opt_do);
    assert_int_equal(m.opt_size, DNS_EDNS_PAYLOAD);
    assert_string_equal(m.qname, "x.y");
}

static void test_opcodes(void **state)
{
    (void)state;
    uint8_t b[512], out[512];
    struct dns_query q;
    for (int op = 1; op < 16; op++) {
        size_t n = dt_query(b, 9, "x.y", DNS_TYPE_SOA, DNS_CLASS_IN, -1, false);
        b[2] = (uint8_t)(op << 3);
        set16(b + 8, op == 5 ? 1 : 0); /* UPDATE would carry records; still NOTIMP */
        int rc = parse_exact(b, n, &q);
        assert_int_equal(rc, DNS_RCODE_NOTIMP);
        rc = dns_parse_query(b, n, &q);
        size_t len = dns_build_error(&q, (uint16_t)rc, out, sizeof out);
        struct dt_msg m;
        assert_null(dt_parse(out, len, &m));
        assert_int_equal(m.opcode, op);
        assert_int_equal(m.rcode, DNS_RCODE_NOTIMP);
        assert_int_equal(m.qd, 1);
        assert_false(m.aa);
    }
    /* NOTIMP even when the rest is garbage: header only. */
    uint8_t g[] = {0, 1, 0x20, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0};
    assert_int_equal(dns_parse_query(g, sizeof g, &q), DNS_RCODE_NOTIMP);
    assert_false(q.has_question);
}

static void test_types_and_classes(void **state)
{
    (void)state;
    uint8_t b[512];
    struct dns_query q;
    struct {
        uint16_t type, cls;
        int rc;
    } cases[] = {
        {DNS_TYPE_AXFR, DNS_CLASS_IN, DNS_RCODE_REFUSED},
        {DNS_TYPE_IXFR, DNS_CLASS_IN, DNS_RCODE_REFUSED},
        {254 /* MAILA */, DNS_CLASS_IN, DNS_PARSE_OK},
        {DNS_TYPE_OPT, DNS_CLASS_IN, DNS_PARSE_OK}, /* NODATA, as Knot answers */
        {0, DNS_CLASS_IN, DNS_RCODE_NOTIMP},
        {DNS_TYPE_A, DNS_CLASS_CH, DNS_RCODE_REFUSED},
        {16, DNS_CLASS_CH, DNS_RCODE_REFUSED},
        {DNS_TYPE_A, DNS_CLASS_HS, DNS_RCODE_REFUSED},
        {DNS_TYPE_A, 254 /* NONE */, DNS_RCODE_REFUSED},
        {DNS_TYPE_A, DNS_CLASS_ANY, DNS_PARSE_OK}, /* matches IN */
        {DNS_TYPE_A, 0, DNS_RCODE_REFUSED},
        {DNS_TYPE_ANY, DNS_CLASS_IN, DNS_PARSE_OK},
        {DNS_TYPE_SOA, DNS_CLASS_IN, DNS_PARSE_OK},
        {65535, DNS_CLASS_IN, DNS_PARSE_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = dt_query(b, 9, "x.y", cases[i].type, cases[i].cls, -1, false);
        assert_int_equal(parse_exact(b, n, &q), cases[i].rc);
    }
}

static void test_error_response_shapes(void **state)
{
    (void)state;
    uint8_t b[512], out[512];
    struct dns_query q;
    struct dt_msg m;
    size_t n = dt_query(b, 0xBEEF, "Mixed.Case", DNS_TYPE_AXFR, DNS_CLASS_IN, 1232, false);
    b[3] = 0x10; /* CD */
    int rc = dns_parse_query(b, n, &q);
    size_t len = dns_build_error(&q, (uint16_t)rc, out, sizeof out);
    assert_null(dt_parse(out, len, &m));
    assert_int_equal(m.id, 0xBEEF);
    assert_int_equal(m.rcode, DNS_RCODE_REFUSED);
    assert_true(m.rd);
    assert_true(m.cd);
    assert_false(m.aa);
    assert_string_equal(m.qname, "Mixed.Case");
    assert_true(m.has_opt);
    /* Exact bytes: header, echoed question, OPT. */
    static const uint8_t want[] = {
        0xBE, 0xEF, 0x81, 0x15, 0, 1,   0, 0, 0, 0, 0,  1,    5,    'M', 'i', 'x', 'e', 'd', 4, 'C',
        'a',  's',  'e',  0,    0, 252, 0, 1, 0, 0, 41, 0x04, 0xD0, 0,   0,   0,   0,   0,   0};
    assert_int_equal(len, sizeof want);
    assert_memory_equal(out, want, sizeof want);
    /* Too small a buffer: nothing. */
    assert_int_equal(dns_build_error(&q, 5, out, 12), 0);
}

/* ---- Answers (policy on hand-made rrsets) ---- */

static const uint8_t A1[4][4] = {{10, 0, 0, 1}, {10, 0, 0, 2}, {10, 0, 0, 3}, {10, 0, 0, 4}};
static const uint8_t V6[1][16] = {{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};

static size_t answer(const struct dns_policy *p, const char *name, uint16_t type, int edns,
                     const struct rec_rrset *rr, uint32_t rot, bool tcp, uint8_t *out,
                     size_t outsize, struct dt_msg *m, struct dns_outcome *o)
{
    uint8_t b[512];
    struct dns_query q;
    struct dns_outcome tmp;
    size_t n = dt_query(b, 0x4242, name, type, DNS_CLASS_IN, edns, false);
    assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_OK);
    size_t len = dns_answer(p, &q, rr, NULL, 77, tcp, rot, out, outsize, o ? o : &tmp);
    if (len) {
        const char *e = dt_parse(out, len, m);
        if (e)
            fail_msg("bad response: %s", e);
    }
    return len;
}

static void test_answer_a_bytes(void **state)
{
    (void)state;
    struct dns_policy p = {.ttl = 60, .unknown = DNS_UNKNOWN_NXDOMAIN};
    struct rec_rrset rr = {.n_a = 1, .a = A1, .ttl_a = 60};
    uint8_t out[512];
    struct dt_msg m;
    size_t len = answer(&p, "Ab.C", DNS_TYPE_A, -1, &rr, 0, false, out, sizeof out, &m, NULL);
    static const uint8_t want[] = {
        0x42, 0x42, 0x85, 0x00, 0,   1, 0, 1, 0, 0,  0, 0,              /* QR AA RD, NOERROR */
        2,    'A',  'b',  1,    'C', 0, 0, 1, 0, 1,                     /* question as sent */
        0xC0, 12,   0,    1,    0,   1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1, /* answer, compressed */
    };
    assert_int_equal(len, sizeof want);
    assert_memory_equal(out, want, sizeof want);
}

static void test_answer_multiple_and_rotation(void **state)
{
    (void)state;
    struct dns_policy p = {.ttl = 5, .unknown = DNS_UNKNOWN_NXDOMAIN};
    struct rec_rrset rr = {.n_a = 4, .a = A1, .ttl_a = 5, .n_aaaa = 1, .aaaa = V6, .ttl_aaaa = 5};
    uint8_t out[512];
    struct dt_msg m;
    for (uint32_t rot = 0; rot < 6; rot++) {
        answer(&p, "x.y", DNS_TYPE_A, -1, &rr, rot, false, out, sizeof out, &m, NULL);
        assert_int_equal(m.an, 4);
        bool seen[4] = {false};
        for (int i = 0; i < 4; i++) {
            assert_int_equal(m.rr[i].type, DNS_TYPE_A);
            assert_int_equal(m.rr[i].ttl, 5);
            assert_string_equal(m.rr[i].name, "x.y");
            seen[m.rr[i].rdata[3] - 1] = true;
        }
        assert_true(seen[0] && seen[1] && seen[2] && seen[3]);
        assert_int_equal(m.rr[0].rdata[3], 1 + rot % 4); /* round robin start */
    }
    answer(&p, "x.y", DNS_TYPE_AAAA, -1, &rr, 3, false, out, sizeof out, &m, NULL);
    assert_int_equal(m.an, 1);
    assert_int_equal(m.rr[0].type, DNS_TYPE_AAAA);
    assert_memory_equal(m.rr[0].rdata, V6[0], 16);
    answer(&p, "x.y", DNS_TYPE_ANY, -1, &rr, 0, false, out, sizeof out, &m, NULL);
    assert_int_equal(m.an, 5);
    assert_int_equal(m.rr[4].type, DNS_TYPE_AAAA);
}

static void test_answer_nodata_and_ent(void **state)
{
    (void)state;
    struct dns_policy p = {.ttl = 60, .unknown = DNS_UNKNOWN_REFUSED};
    struct rec_rrset rr = {.n_a = 1, .a = A1, .ttl_a = 60};
    struct rec_rrset ent = {0};
    uint8_t out[512];
    struct dt_msg m;
    answer(&p, "x.y", DNS_TYPE_AAAA, -1, &rr, 0, false, out, sizeof out, &m, NULL);
    assert_int_equal(m.rcode, 0);
    assert_int_equal(m.an + m.ns + m.ar, 0);
    assert_true(m.aa);
    answer(&p, "x.y", 16 /* TXT */, -1, &rr, 0, false, out, sizeof out, &m, NULL);
    assert_int_equal(m.rcode, 0);
    assert_int_equal(m.an, 0);
    /* An empty non-terminal exists: NODATA, never NXDOMAIN or the unknown action. */
    answer(&p, "y", DNS_TYPE_A, -1, &ent, 0, false, out, sizeof out, &m, NULL);
    assert_int_equal(m.rcode, 0);
    assert_int_equal(m.an, 0);
    answer(&p, "y", DNS_TYPE_ANY, -1, &ent, 0, false, out, sizeof out, &m, NULL);
    assert_int_equal(m.rcode, 0);
    assert_int_equal(m.an, 0);
}

static void test_unknown_actions(void **state)
{
    (void)state;
    uint8_t out[512];
    struct dt_msg m;
    struct dns_outcome o;
    struct dns_policy p = {.ttl = 60, .unknown = DNS_UNKNOWN_NXDOMAIN};
    answer(&p, "nope.y", DNS_TYPE_A, 1232, NULL, 0, false, out, sizeof out, &m, &o);
    assert_int_equal(m.rcode, DNS_RCODE_NXDOMAIN);
    assert_int_equal(o.rcode, DNS_RCODE_NXDOMAIN);
    assert_int_equal(m.an + m.ns, 0);
    assert_true(m.has_opt);
    p.unknown = DNS_UNKNOWN_REFUSED;
    answer(&p, "nope.y", DNS_TYPE_A, -1, NULL, 0, false, out, sizeof out, &m, &o);
    assert_int_equal(m.rcode, DNS_RCODE_REFUSED);
    assert_false(m.aa);
    p.unknown = DNS_UNKNOWN_DROP;
    assert_int_equal(answer(&p, "nope.y", DNS_TYPE_A, -1, NULL, 0, false, out, sizeof out, &m, &o),
                     0);
    assert_int_equal(o.rcode, -1);
}

static struct dns_zone zones[2];

static void zones_setup(struct dns_policy *p, enum dns_unknown_action act)
{
    const char *names[] = {"Example.com.", "sub.example.com"};
    assert_true(dns_zones_from_text(names, 2, zones, NULL));
    *p = (struct dns_policy){.ttl = 30, .unknown = act, .zones = zones, .n_zones = 2};
}

static void check_soa(const struct dt_rr *r, const char *owner, uint32_t ttl)
{
    char rname[300];
    assert_int_equal(r->type, DNS_TYPE_SOA);
    assert_string_equal(r->name, owner);
    assert_int_equal(r->ttl, ttl);
    assert_string_equal(r->soa_mname, owner);
    snprintf(rname, sizeof rname, "hostmaster.%s", owner);
    assert_string_equal(r->soa_rname, rname);
    assert_int_equal(r->soa[0], 77);  /* serial */
    assert_int_equal(r->soa[4], ttl); /* minimum = TTL */
}

static void test_soa_in_negatives(void **state)
{
    (void)state;
    uint8_t out[512];
    struct dt_msg m;
    struct dns_policy p;
    zones_setup(&p, DNS_UNKNOWN_DROP);
    /* Unknown inside: NXDOMAIN + SOA of the most specific zone, whatever the action. */
    answer(&p, "Nope.Example.COM", DNS_TYPE_A, -1, NULL, 0, false, out, sizeof out, &m, NULL);
    assert_int_equal(m.rcode, DNS_RCODE_NXDOMAIN);
    assert_true(m.aa);
    assert_int_equal(m.an, 0);
    assert_int_equal(m.ns, 1);
    check_soa(&m.rr[0], "Example.COM", 30); /* owner compressed into the question: case kept */
    answer(&p, "a.b.sub.example.com", DNS_TYPE_A, -1, NULL, 0, false, out, sizeof out, &m, NULL);
    assert_int_equal(m.ns, 1);
    check_soa(&m.rr[0], "sub.example.com", 30);
    /* NODATA inside: SOA too. */
    struct rec_rrset rr = {.n_a = 1, .a = A1, .ttl_a = 60};
    answer(&p, "host.example.com", DNS_TYPE_AAAA, 1232, &rr, 0, false, out, sizeof out, &m, NULL);
    assert_int_equal(m.rcode, 0);
    assert_int_equal(m.an, 0);
    assert_int_equal(m.ns, 1);
    assert_int_equal(m.ar, 1);
    check_soa(&m.rr[0], "example.com", 30);
    /* A hit inside: no SOA. */
    answer(&p, "host.example.com", DNS_TYPE_A, -1, &rr, 0, false, out, sizeof out, &m, NULL);
    assert_int_equal(m.an, 1);
    assert_int_equal(m.ns, 0);
    /* The apex exists even without records: NODATA, and SOA answers SOA. */
    answer(&p, "example.com", DNS_TYPE_A, -1, NULL, 0, false, out, sizeof out, &m, NULL);
    assert_int_equal(m.rcode, 0);
    assert_int_equal(m.ns, 1);
    answer(&p, "EXAMPLE.com", DNS_TYPE_SOA, -1, NULL, 0, false, out, sizeof out, &m, NULL);
    assert_int_equal(m.rcode, 0);
    assert_int_equal(m.an, 1);
    assert_int_equal(m.ns, 0);
    check_soa(&m.rr[0], "EXAMPLE.com", 30);
    /* SOA for a name below the apex: NODATA with the SOA in authority. */
    answer(&p, "host.example.com", DNS_TYPE_SOA, -1, &rr, 0, false, out, sizeof out, &m, NULL);
    assert_int_equal(m.an, 0);
    assert_int_equal(m.ns, 1);
    /* Not at a label boundary: "xexample.com" is outside. */
    struct dns_outcome o;
    assert_int_equal(
        answer(&p, "xexample.com", DNS_TYPE_A, -1, NULL, 0, false, out, sizeof out, &m, &o), 0);
    zones_setup(&p, DNS_UNKNOWN_NXDOMAIN);
    answer(&p, "xexample.com", DNS_TYPE_A, -1, NULL, 0, false, out, sizeof out, &m, NULL);
    assert_int_equal(m.rcode, DNS_RCODE_REFUSED); /* outside the domains */
    assert_int_equal(m.ns, 0);
    /* Known names outside the domains are still answered. */
    answer(&p, "other.org", DNS_TYPE_A, -1, &rr, 0, false, out, sizeof out, &m, NULL);
    assert_int_equal(m.an, 1);
    answer(&p, "other.org", DNS_TYPE_AAAA, -1, &rr, 0, false, out, sizeof out, &m, NULL);
    assert_int_equal(m.rcode, 0);
    assert_int_equal(m.ns, 0);
}

static void test_soa_bytes(void **state)
{
    (void)state;
    uint8_t out[512];
    struct dt_msg m;
    struct dns_policy p;
    zones_setup(&p, DNS_UNKNOWN_NXDOMAIN);
    size_t len =
        answer(&p, "n.example.com", DNS_TYPE_A, -1, NULL, 0, false, out, sizeof out, &m, NULL);
    static const uint8_t want[] = {0x42, 0x42, 0x85, 0x03, 0, 1, 0, 0, 0, 1, 0, 0, 1, 'n', 7, 'e',
                                   'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
                                   /* SOA owner -> offset 14 (example.com inside the question) */
                                   0xC0, 14, 0, 6, 0, 1, 0, 0, 0, 30, 0, 35, 0xC0, 14, 10, 'h', 'o',
                                   's', 't', 'm', 'a', 's', 't', 'e', 'r', 0xC0, 14, 0, 0, 0, 77, 0,
                                   0, 0x0E, 0x10, 0, 0, 0x02, 0x58, 0, 0x09, 0x3A, 0x80, 0, 0, 0,
                                   30};
    assert_int_equal(len, sizeof want);
    assert_memory_equal(out, want, sizeof want);
}

static void test_truncation(void **state)
{
    (void)state;
    uint8_t out[4096];
    struct dt_msg m;
    struct dns_outcome o;
    static uint8_t many[200][4];
    for (int i = 0; i < 200; i++) {
        many[i][0] = 10;
        many[i][3] = (uint8_t)i;
    }
    struct dns_policy p = {.ttl = 60, .unknown = DNS_UNKNOWN_NXDOMAIN};
    struct rec_rrset rr = {.n_a = 200, .a = many};
    /* 12 + 9 question + 16 per A: 30 fit in 512 without EDNS, not 200. */
    size_t len = answer(&p, "x.y", DNS_TYPE_A, -1, &rr, 0, false, out, sizeof out, &m, &o);
    assert_true(m.tc);
    assert_true(o.truncated);
    assert_int_equal(m.an, 0);
    assert_int_equal(m.qd, 1);
    assert_int_equal(len, 12 + 9);
    /* With EDNS: question + OPT kept. */
    len = answer(&p, "x.y", DNS_TYPE_A, 1232, &rr, 0, false, out, sizeof out, &m, &o);
    assert_true(m.tc);
    assert_int_equal(m.an, 0);
    assert_true(m.has_opt);
    assert_int_equal(len, 12 + 9 + 11);
    /* Over TCP everything fits. */
    len = answer(&p, "x.y", DNS_TYPE_A, 1232, &rr, 0, true, out, sizeof out, &m, &o);
    assert_false(m.tc);
    assert_false(o.truncated);
    assert_int_equal(m.an, 200);
    assert_int_equal(len, 12 + 9 + 200 * 16 + 11);
    /* Exactly at the limit: 30 records = 12 + 9 + 480 = 501 <= 512; 31 = 517 > 512. */
    rr.n_a = 30;
    answer(&p, "x.y", DNS_TYPE_A, -1, &rr, 0, false, out, sizeof out, &m, &o);
    assert_false(m.tc);
    assert_int_equal(m.an, 30);
    rr.n_a = 31;
    answer(&p, "x.y", DNS_TYPE_A, -1, &rr, 0, false, out, sizeof out, &m, &o);
    assert_true(m.tc);
    /* EDNS 600: 12 + 9 + 11 + 16k <= 600 -> 35 fit, 36 do not. */
    rr.n_a = 35;
    answer(&p, "x.y", DNS_TYPE_A, 600, &rr, 0, false, out, sizeof out, &m, &o);
    assert_false(m.tc);
    assert_int_equal(m.an, 35);
    rr.n_a = 36;
    answer(&p, "x.y", DNS_TYPE_A, 600, &rr, 0, false, out, sizeof out, &m, &o);
    assert_true(m.tc);
    /* The caller's buffer is a limit too. */
    rr.n_a = 10;
    len = answer(&p, "x.y", DNS_TYPE_A, 1232, &rr, 0, false, out, 100, &m, &o);
    assert_true(m.tc);
    assert_true(len <= 100);
}

static void test_names(void **state)
{
    (void)state;
    uint8_t w[DNS_NAME_MAX];
    assert_int_equal(dns_name_from_text("Example.COM", w), 13);
    assert_memory_equal(w, "\7example\3com\0", 13);
    assert_int_equal(dns_name_from_text("example.com.", w), 13);
    assert_int_equal(dns_name_from_text(".", w), 1);
    assert_int_equal(w[0], 0);
    assert_int_equal(dns_name_from_text("", w), 0);
    assert_int_equal(dns_name_from_text("a..b", w), 0);
    assert_int_equal(dns_name_from_text(".a", w), 0);
    assert_int_equal(dns_name_from_text("a..", w), 0);
    char l64[65];
    memset(l64, 'a', 64);
    l64[64] = 0;
    assert_int_equal(dns_name_from_text(l64, w), 0);
    l64[63] = 0;
    assert_int_equal(dns_name_from_text(l64, w), 65);

    uint8_t n[DNS_NAME_MAX];
    size_t nl = dns_name_from_text("a.example.com", n);
    size_t zl = dns_name_from_text("example.com", w);
    assert_int_equal(dns_name_suffix_at(n, nl, w, zl), 2);
    assert_int_equal(dns_name_suffix_at(w, zl, w, zl), 0);
    zl = dns_name_from_text("xample.com", w);
    assert_int_equal(dns_name_suffix_at(n, nl, w, zl), -1);
    zl = dns_name_from_text("com", w);
    assert_int_equal(dns_name_suffix_at(n, nl, w, zl), 10);
    zl = dns_name_from_text(".", w);
    assert_int_equal(dns_name_suffix_at(n, nl, w, zl), (int)nl - 1);
    zl = dns_name_from_text("b.a.example.com", w);
    assert_int_equal(dns_name_suffix_at(n, nl, w, zl), -1);
    const char *bad[] = {"ok.com", "bad..com"};
    struct dns_zone z[2];
    size_t at = 9;
    assert_false(dns_zones_from_text(bad, 2, z, &at));
    assert_int_equal(at, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_simple),
        cmocka_unit_test(test_parse_edns),
        cmocka_unit_test(test_parse_edns_with_options),
        cmocka_unit_test(test_parse_root_and_max_name),
        cmocka_unit_test(test_parse_lowercases_ascii_only),
        cmocka_unit_test(test_drop_short_and_responses),
        cmocka_unit_test(test_truncated_at_every_offset),
        cmocka_unit_test(test_qdcount),
        cmocka_unit_test(test_pointer_in_question),
        cmocka_unit_test(test_label_longer_than_packet),
        cmocka_unit_test(test_trailing_garbage),
        cmocka_unit_test(test_counts_lie),
        cmocka_unit_test(test_opt_malformed),
        cmocka_unit_test(test_other_additional_records),
        cmocka_unit_test(test_ixfr_with_soa_in_authority),
        cmocka_unit_test(test_badvers),
        cmocka_unit_test(test_opcodes),
        cmocka_unit_test(test_types_and_classes),
        cmocka_unit_test(test_error_response_shapes),
        cmocka_unit_test(test_answer_a_bytes),
        cmocka_unit_test(test_answer_multiple_and_rotation),
        cmocka_unit_test(test_answer_nodata_and_ent),
        cmocka_unit_test(test_unknown_actions),
        cmocka_unit_test(test_soa_in_negatives),
        cmocka_unit_test(test_soa_bytes),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
