/* fuzz_dns_query.c — libFuzzer target for the DNS query parser and answer builder: any input is
 * parsed and answered (UDP and TCP limits, one of four policies picked by the first byte, the
 * last with zone apexes answering NS and glue) from a real record table that holds wildcards
 * (RFC 4592) too and hosts records, so their addresses' reverse names answer PTR; every response
 * must parse strictly, stay within its size limit, keep the query id and echo the question byte
 * for byte, every A/AAAA answer's owner must be the question name, and a name the table lacks may
 * only have answers when the wildcard walk found the wildcard of its closest encloser. ASan
 * catches any read past the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/apex.h"
#include "dns/respond.h"
#include "dns/wildcard.h"
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
    add(v, &n, "fuzz.ns.example.com", "10.0.0.53"); /* NS names of the zones' apexes */
    add(v, &n, "fuzz.ns.example.com", "fd00::53");
    add(v, &n, "fuzz.ns.c.example.com", "10.0.0.54");
    /* wildcards: nested (the most specific wins), beside explicit names and empty non-terminals,
     * inside a zone and outside every zone */
    add(v, &n, "*.example.com", "10.2.0.1");
    add(v, &n, "*.example.com", "fd00::2:1");
    add(v, &n, "*.c.example.com", "10.2.0.2");
    add(v, &n, "*.b.c.example.com", "fd00::2:3");
    add(v, &n, "*.wild.org", "192.0.2.80");
    add(v, &n, "x.y.wild.org", "192.0.2.81");
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
    static struct dns_apex *apex;
    const char *members[] = {"fuzz", "gone"}; /* "gone" has no name served: never listed */
    apex = dns_apex_new(zones, 2, NULL, 0, NULL);
    if (!apex || dns_apex_set_nodes(apex, members, 2) != 1)
        abort();
    policies[3] = (struct dns_policy){
        .ttl = 300, .unknown = DNS_UNKNOWN_NXDOMAIN, .zones = zones, .n_zones = 2, .apex = apex};
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
    /* Answers, synthesized from a wildcard or not, are owned by the question name as asked. */
    for (size_t i = 0; rc == DNS_PARSE_OK && i < m.an; i++)
        if (strcmp(m.rr[i].name, m.qname) != 0)
            abort();
}

/* The wildcard walk on its own: a closest encloser starts at a label boundary of the name and
 * exists; a name that exists has answers only from itself; a missing name gets answers only
 * when its closest encloser has a wildcard. */
static void check_wildcard(const struct rec_snapshot *s, const struct dns_query *q,
                           const uint8_t *out, size_t len)
{
    int enc;
    const struct rec_rrset *own = records_lookup(s, q->qname, q->qname_len);
    const struct rec_rrset *wild = dns_wildcard_match(s, q->qname, q->qname_len, &enc);
    if (enc >= 0) {
        size_t k = 0;
        while (k < (size_t)enc)
            k += (size_t)q->qname[k] + 1;
        if (k != (size_t)enc || !records_lookup(s, q->qname + enc, q->qname_len - (size_t)enc))
            abort();
    } else if (wild) {
        abort();
    }
    static struct dt_msg m;
    if (own || dt_parse(out, len, &m) != NULL)
        return;
    for (size_t i = 0; i < m.an; i++) /* (a zone apex not in the table answers its SOA) */
        if ((m.rr[i].type == DNS_TYPE_A || m.rr[i].type == DNS_TYPE_AAAA) && !wild)
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
        if (rc == DNS_PARSE_OK && len)
            check_wildcard(s, &q, out, len);
    }
    records_read_unlock();
    return 0;
}
