/* respond.c — what Joyride answers: A/AAAA from the record snapshot (all addresses, rotated,
 * with each set's own TTL), PTR at reverse names (targets in rank order), NODATA for other types
 * of known names, names a wildcard covers answered from it (wildcard.c), the unknown-name action
 * for the rest, a SOA in the authority section of negative answers inside the authoritative
 * domains, and SOA and NS (with glue, dns/apex.c) at their apexes. */
#include "dns/respond.h"
#include "dns/wildcard.h"

#include <string.h>

#include "dns/apex.h"

int dns_policy_zone(const struct dns_policy *p, const uint8_t *name, size_t len, uint16_t *off)
{
    int best = -1;
    int best_off = 0;
    for (size_t i = 0; i < p->n_zones; i++) {
        int o = dns_name_suffix_at(name, len, p->zones[i].wire, p->zones[i].len);
        if (o >= 0 && (best < 0 || o < best_off)) {
            best = (int)i;
            best_off = o;
        }
    }
    *off = (uint16_t)best_off;
    return best;
}

static void add_addrs(struct dns_resp *r, uint16_t type, const uint8_t *base, size_t stride,
                      size_t n, uint32_t ttl, uint32_t rotate)
{
    if (n == 0)
        return;
    size_t start = rotate % n;
    for (size_t i = 0; i < n; i++) {
        size_t k = start + i < n ? start + i : start + i - n;
        if (!dns_resp_add_addr(r, type, base + k * stride, ttl))
            return;
    }
}

static void add_ptrs(struct dns_resp *r, const struct rec_rrset *rr)
{
    for (size_t i = 0; i < rr->n_ptr; i++)
        if (!dns_resp_add_ptr(r, rr->ptr[i].wire, rr->ptr[i].len, rr->ttl_ptr))
            return;
}

static size_t finish(struct dns_resp *r, struct dns_outcome *res)
{
    size_t len = dns_resp_finish(r);
    res->rcode = r->rcode;
    res->truncated = r->truncated;
    return len;
}

/* A question for the SOA, the NS or ANY at a zone apex. RFC 8482: ANY is answered with one
 * RRset, the SOA. An empty NS set (no member's name served yet) is NODATA. */
static size_t apex_answer(const struct dns_policy *p, const struct dns_query *q,
                          const struct rec_snapshot *snap, size_t zone, const struct dns_soa *soa,
                          struct dns_resp *r, struct dns_outcome *res)
{
    if (q->qtype == DNS_TYPE_NS)
        dns_apex_add_ns(p->apex, snap, zone, soa->zone_off, p->ttl, r);
    else
        dns_resp_add_soa(r, soa, true);
    if (r->an == 0 && !r->truncated)
        dns_resp_add_soa(r, soa, false);
    return finish(r, res);
}

size_t dns_answer(const struct dns_policy *p, const struct dns_query *q, const struct rec_rrset *rr,
                  const struct rec_snapshot *snap, uint32_t serial, bool tcp, uint32_t rotate,
                  uint8_t *out, size_t outsize, struct dns_outcome *res)
{
    struct dns_resp r;
    size_t limit = dns_response_limit(q, tcp);
    uint16_t zone_off = 0;
    int zone = dns_policy_zone(p, q->qname, q->qname_len, &zone_off);
    bool apex = zone >= 0 && zone_off == 0;
    struct dns_soa soa = {
        .zone_off = zone_off,
        .ttl = p->ttl,
        .serial = serial,
        .refresh = DNS_SOA_REFRESH,
        .retry = DNS_SOA_RETRY,
        .expire = DNS_SOA_EXPIRE,
        .minimum = p->ttl, /* negative caching TTL (RFC 2308): min(SOA TTL, minimum) = ttl */
    };
    struct dns_apex_ns mname;
    if (zone >= 0 && dns_apex_mname(p->apex, snap, (size_t)zone, &mname)) {
        soa.mname = mname.wire;
        soa.mname_len = mname.len;
    }
    res->rcode = -1;
    res->truncated = false;
    res->forward = false;

    if (!rr && zone < 0 && p->forward) {
        res->forward = true; /* not ours: any record, ancestor or domain would have matched */
        return 0;
    }
    if (!rr && !apex) {
        /* Inside a domain: authoritative NXDOMAIN with the SOA. Outside: the unknown action,
         * where any configured domain means the name is not ours (REFUSED). */
        if (zone < 0 && p->unknown == DNS_UNKNOWN_DROP)
            return 0;
        bool refuse = zone < 0 && (p->n_zones > 0 || p->unknown == DNS_UNKNOWN_REFUSED);
        uint16_t rcode = refuse ? DNS_RCODE_REFUSED : DNS_RCODE_NXDOMAIN;
        bool aa = rcode == DNS_RCODE_NXDOMAIN;
        if (!dns_resp_begin(&r, q, out, outsize, limit, rcode, aa))
            return 0;
        if (zone >= 0)
            dns_resp_add_soa(&r, &soa, false);
        return finish(&r, res);
    }

    /* The name exists (it has addresses, is an empty non-terminal, or is a zone apex). */
    if (!dns_resp_begin(&r, q, out, outsize, limit, DNS_RCODE_NOERROR, true))
        return 0;
    bool any = q->qtype == DNS_TYPE_ANY;
    if (apex && (any || q->qtype == DNS_TYPE_SOA || q->qtype == DNS_TYPE_NS))
        return apex_answer(p, q, snap, (size_t)zone, &soa, &r, res);
    if (rr && (any || q->qtype == DNS_TYPE_A))
        add_addrs(&r, DNS_TYPE_A, rr->a ? rr->a[0] : NULL, 4, rr->n_a, rr->ttl_a, rotate);
    if (rr && (any || q->qtype == DNS_TYPE_AAAA))
        add_addrs(&r, DNS_TYPE_AAAA, rr->aaaa ? rr->aaaa[0] : NULL, 16, rr->n_aaaa, rr->ttl_aaaa,
                  rotate);
    if (rr && (any || q->qtype == DNS_TYPE_PTR))
        add_ptrs(&r, rr);
    if (r.an == 0 && !r.truncated && zone >= 0)
        dns_resp_add_soa(&r, &soa, false); /* NODATA inside a zone: SOA for negative caching */
    return finish(&r, res);
}

size_t dns_respond_query(const struct dns_policy *p, const struct rec_snapshot *snap,
                         const uint8_t *in, size_t inlen, bool tcp, uint32_t rotate, uint8_t *out,
                         size_t outsize, struct dns_outcome *res, struct dns_query *q)
{
    int rc = dns_parse_query(in, inlen, q);
    res->rcode = -1;
    res->truncated = false;
    res->forward = false;
    if (rc == DNS_PARSE_DROP)
        return 0;
    if (rc != DNS_PARSE_OK) {
        size_t limit = dns_response_limit(q, tcp);
        size_t len = dns_build_error(q, (uint16_t)rc, out, outsize < limit ? outsize : limit);
        if (len)
            res->rcode = rc;
        return len;
    }
    const struct rec_rrset *rr = records_lookup(snap, q->qname, q->qname_len);
    if (!rr) /* a miss: a wildcard may cover the name (RFC 4592) */
        rr = dns_wildcard_match(snap, q->qname, q->qname_len, NULL);
    return dns_answer(p, q, rr, snap, dns_zone_serial(snap), tcp, rotate, out, outsize, res);
}

size_t dns_respond(const struct dns_policy *p, const struct rec_snapshot *snap, const uint8_t *in,
                   size_t inlen, bool tcp, uint32_t rotate, uint8_t *out, size_t outsize,
                   struct dns_outcome *res)
{
    struct dns_query q;
    return dns_respond_query(p, snap, in, inlen, tcp, rotate, out, outsize, res, &q);
}

bool dns_zones_from_text(const char *const *names, size_t n, struct dns_zone *zones, size_t *bad)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = dns_name_from_text(names[i], zones[i].wire);
        if (len == 0) {
            if (bad)
                *bad = i;
            return false;
        }
        zones[i].len = (uint16_t)len;
    }
    return true;
}
