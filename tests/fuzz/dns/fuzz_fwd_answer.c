/* fuzz_fwd_answer.c — libFuzzer target for the upstream-answer side of forwarding: any input is
 * checked as the answer to a question (the input's own question when it has one, so the match
 * succeeds and the records are walked), normalized, stored in and read back from a cache, and
 * rewritten for clients with and without EDNS at several size limits. Every normal form and every
 * client answer must parse strictly, stay within its limit, and carry the client's ID and
 * question; ASan catches any read past the input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/cache.h"
#include "dns/fwd_wire.h"
#include "dns/wire.h"
#include "dnstest.h"

static struct fwd_cache *cache;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    cache = fwd_cache_new(64);
    return cache ? 0 : 1;
}

/* The question we asked: the input's own (lowercased) when it parses, else a fixed one. */
static size_t asked(const uint8_t *d, size_t n, uint8_t *qname, uint16_t *type, uint16_t *cls)
{
    size_t o = DNS_HEADER_LEN, w = 0;
    while (o < n && d[o] != 0 && !(d[o] & 0xC0) && w + 1 + d[o] < DNS_NAME_MAX &&
           o + 1 + d[o] < n) {
        qname[w++] = d[o];
        for (size_t i = 0; i < d[o]; i++) {
            uint8_t c = d[o + 1 + i];
            qname[w++] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
        }
        o += 1 + (size_t)d[o];
    }
    if (o + 5 <= n && d[o] == 0) {
        qname[w++] = 0;
        *type = (uint16_t)(d[o + 1] << 8 | d[o + 2]);
        *cls = (uint16_t)(d[o + 3] << 8 | d[o + 4]);
        return w;
    }
    memcpy(qname, "\3www\7example\3com", 17);
    *type = DNS_TYPE_A;
    *cls = DNS_CLASS_IN;
    return 17;
}

/* A client query for qname with its case flipped; parsed into q (question inside buf). */
static bool client(const uint8_t *qname, size_t ql, uint16_t type, uint16_t cls, int edns,
                   bool do_bit, uint8_t *buf, struct dns_query *q)
{
    memset(buf, 0, DNS_HEADER_LEN);
    buf[0] = 0x12;
    buf[1] = 0x34;
    buf[2] = 0x01;
    buf[5] = 1;
    buf[11] = edns >= 0 ? 1 : 0;
    for (size_t i = 0; i < ql; i++) {
        uint8_t c = qname[i];
        buf[DNS_HEADER_LEN + i] = (c >= 'a' && c <= 'z' && (i & 1)) ? (uint8_t)(c - 32) : c;
    }
    size_t o = DNS_HEADER_LEN + ql;
    buf[o++] = (uint8_t)(type >> 8);
    buf[o++] = (uint8_t)type;
    buf[o++] = (uint8_t)(cls >> 8);
    buf[o++] = (uint8_t)cls;
    if (edns >= 0) {
        uint8_t opt[11] = {
            0, 0, 41, (uint8_t)(edns >> 8), (uint8_t)edns, 0, 0, (uint8_t)(do_bit ? 0x80 : 0),
            0, 0, 0};
        memcpy(buf + o, opt, sizeof opt);
        o += sizeof opt;
    }
    return dns_parse_query(buf, o, q) == DNS_PARSE_OK;
}

static void check_answer(const uint8_t *out, size_t len, size_t limit, const struct dns_query *q,
                         bool tc)
{
    static struct dt_msg m;
    if (len == 0)
        return;
    if (len > limit)
        abort();
    const char *e = dt_parse(out, len, &m);
    if (e) {
        fprintf(stderr, "client answer does not parse: %s\n", e);
        abort();
    }
    if (m.id != q->id || !m.qr || m.aa || !(out[3] & 0x80) || (out[3] & 0x20) || m.tc != tc)
        abort();
    if (memcmp(out + DNS_HEADER_LEN, q->question, q->question_len) != 0)
        abort();
    if (m.has_opt != q->has_edns)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t norm[DNS_MSG_MAX], out[DNS_MSG_MAX];
    uint8_t qname[DNS_NAME_MAX], qbuf[DNS_HEADER_LEN + DNS_NAME_MAX + 4 + DNS_OPT_LEN];
    uint16_t type, cls;
    size_t ql = asked(data, size, qname, &type, &cls);
    uint16_t id = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0;
    struct fwd_info info;
    size_t nlen = 0;
    uint32_t max_ttl = size ? 1u + data[size - 1] * 100u : 86400;
    if (fwd_normalize(data, size, id, qname, ql, type, cls, max_ttl, norm, sizeof norm, &nlen,
                      &info) != FWD_OK)
        return 0;
    static struct dt_msg m;
    if (nlen > size || nlen < DNS_HEADER_LEN)
        abort();
    if ((size_t)info.an + info.ns + info.ar > DT_MAX_RR)
        return 0; /* beyond what the test parser holds */
    const char *e = dt_parse(norm, nlen, &m);
    if (e) {
        fprintf(stderr, "normal form does not parse: %s\n", e);
        abort();
    }
    if (m.has_opt || m.an != info.an || m.ns != info.ns || m.ar != info.ar)
        abort();
    for (size_t i = 0; i < m.nrr; i++)
        if (m.rr[i].ttl > max_ttl)
            abort();
    static const int sizes[] = {-1, 512, 1232, 4096};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        struct dns_query q;
        if (!client(qname, ql, type, cls, sizes[s], s & 1, qbuf, &q))
            continue;
        static const size_t limits[] = {0, 12, 64, 512, 1232, DNS_MSG_MAX};
        for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++) {
            bool tc = false;
            size_t len = fwd_answer(norm, nlen, info.rcode, &q, size % 7, (s == 3) ? 30 : 0,
                                    limits[l], out, sizeof out, &tc);
            check_answer(out, len, limits[l], &q, tc);
        }
        if (info.cacheable && fwd_cache_put(cache, norm, nlen, q.edns_do, info.rcode, 60, 0)) {
            size_t len = 0;
            uint16_t rcode;
            bool tc = false;
            size_t limit = dns_response_limit(&q, false);
            if (fwd_cache_answer(cache, &q, 1000, false, limit, out, sizeof out, &len, &rcode,
                                 &tc) != FWD_CACHE_FRESH)
                abort();
            check_answer(out, len, limit, &q, tc);
        }
    }
    return 0;
}
