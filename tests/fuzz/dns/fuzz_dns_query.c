/* fuzz_dns_query.c — libFuzzer target for the DNS query parser and answer builder: any input is
 * parsed and answered (UDP and TCP limits, one of four policies picked by the first byte) from a
 * real record table (hosts records, so their addresses' reverse names answer PTR); every response
 * must parse strictly, stay within its size limit, keep the query id and echo the question byte for
 * byte. ASan catches any read past the input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/respond.h"
#include "dns/wire.h"
#include "dnstest.h"
#include "records/records.h"

static struct records *table;
static struct dns_zone zones[2];
static struct dns_policy policies[4];

static void add(struct rec_input *v, size_t *n, const char *name, const char *addr)
{
    memset(&v[*n], 0, sizeof v[*n]);
    snprintf(v[*n].name, sizeof v[*n].name, "%s", name);
    if (!records_parse_addr(addr, &v[*n].addr))
        abort();
    (*n)++;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static struct rec_input v[128];
    size_t n = 0;
    char a[32];
    add(v, &n, "www.example.com", "10.0.0.1");
    add(v, &n, "www.example.com", "fd00::1");
    add(v, &n, "a.b.c.example.com", "10.0.0.2");
    add(v, &n, "other.org", "192.0.2.1");
    for (int i = 0; i < 100; i++) {
        snprintf(a, sizeof a, "10.1.0.%d", i);
        add(v, &n, "many.example.com", a);
    }
    /* one address with many names: its reverse name answers PTRs in rank order, past 512 bytes */
    static struct rec_input w[40];
    size_t nw = 0;
    for (int i = 0; i < 40; i++) {
        snprintf(a, sizeof a, "alias-%02d.example.com", i);
        add(w, &nw, a, "10.2.0.1");
        w[i].rank = (uint32_t)(39 - i);
    }
    table = records_new("fuzz", 1);
    if (!table || records_set_source(table, "hosts:fuzz", v, n) <= 0 ||
        records_set_source(table, "hosts:aliases", w, nw) <= 0)
        abort();
    const char *names[] = {"example.com", "c.example.com"};
    if (!dns_zones_from_text(names, 2, zones, NULL))
        abort();
    policies[0] = (struct dns_policy){.ttl = 60, .unknown = DNS_UNKNOWN_NXDOMAIN};
    policies[1] = (struct dns_policy){.ttl = 1, .unknown = DNS_UNKNOWN_REFUSED};
    policies[2] = (struct dns_policy){.ttl = 30, .unknown = DNS_UNKNOWN_DROP};
    policies[3] = (struct dns_policy){
        .ttl = 300, .unknown = DNS_UNKNOWN_NXDOMAIN, .zones = zones, .n_zones = 2};
    records_reader_register();
    return 0;
}

static void check(const uint8_t *data, size_t size, const struct dns_query *q, int rc,
                  const uint8_t *out, size_t len, size_t limit, const struct dns_outcome *o)
{
    struct dt_msg m;
    if (len == 0) {
        if (o->rcode != -1)
            abort();
        return;
    }
    if (len > limit || len < DNS_HEADER_LEN)
        abort();
    const char *e = dt_parse(out, len, &m);
    if (e) {
        fprintf(stderr, "response does not parse: %s\n", e);
        abort();
    }
    if (!m.qr || m.id != (uint16_t)(data[0] << 8 | data[1]) || m.rcode != o->rcode)
        abort();
    if (m.qd == 1) {
        /* The question is echoed exactly as it was sent. */
        if (!q->has_question || size < DNS_HEADER_LEN + q->question_len ||
            memcmp(out + DNS_HEADER_LEN, data + DNS_HEADER_LEN, q->question_len) != 0)
            abort();
    }
    if (rc == DNS_PARSE_OK && m.qd != 1)
        abort();
    if (m.tc && m.an != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[DNS_MSG_MAX];
    struct dns_query q;
    int rc = dns_parse_query(data, size, &q);
    if (rc == DNS_PARSE_OK) {
        if (q.qname_len == 0 || q.qname_len > DNS_NAME_MAX || q.qname[q.qname_len - 1] != 0)
            abort();
        for (size_t i = 0; i < q.qname_len; i++)
            if (q.qname[i] >= 'A' && q.qname[i] <= 'Z')
                abort();
    }
    const struct dns_policy *p = &policies[size ? data[0] & 3 : 0];
    records_read_lock();
    const struct rec_snapshot *s = records_snapshot(table);
    for (int tcp = 0; tcp < 2; tcp++) {
        struct dns_outcome o;
        size_t cap = tcp ? DNS_MSG_MAX : DNS_EDNS_PAYLOAD;
        size_t len = dns_respond(p, s, data, size, tcp, (uint32_t)size, out, cap, &o);
        size_t limit = rc == DNS_PARSE_DROP ? 0 : dns_response_limit(&q, tcp);
        check(data, size, &q, rc, out, len, limit, &o);
    }
    records_read_unlock();
    return 0;
}
