/* dns/probe.c — what the running server answers for one name, for /dns/explain: a synthetic
 * query goes through dns_parse_query and dns_answer (the code the workers run) on the live
 * snapshot with the server's own policy (a wildcard found as the workers find it, wildcard.c), and
 * the response packet is read back. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns/apex.h"
#include "dns/forward.h"
#include "dns/internal.h"
#include "dns/wildcard.h"

#define PROBE_ID 0x4a52

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Offset just past the (possibly compressed) name at off, or 0 when it runs off the packet. */
static size_t skip_name(const uint8_t *pkt, size_t len, size_t off)
{
    while (off < len) {
        uint8_t l = pkt[off];
        if ((l & 0xc0) == 0xc0)
            return off + 2 <= len ? off + 2 : 0;
        if (l == 0)
            return off + 1;
        off += 1u + l;
    }
    return 0;
}

/* The (possibly compressed) name at off in presentation form, lowercase as we write it; false
 * when it is malformed. Pointers must lead backwards, so this ends. */
static bool read_name(const uint8_t *pkt, size_t len, size_t off, char out[DNS_PROBE_NAME_MAX])
{
    size_t n = 0;
    while (off < len) {
        uint8_t l = pkt[off];
        if ((l & 0xc0) == 0xc0) {
            if (off + 2 > len || (size_t)(get16(pkt + off) & 0x3fff) >= off)
                return false;
            off = get16(pkt + off) & 0x3fff;
            continue;
        }
        if (l & 0xc0)
            return false; /* extended label types: never written */
        if (l == 0) {
            if (n == 0)
                memcpy(out, ".", 2); /* the root */
            else
                out[n - 1] = '\0'; /* no trailing dot */
            return true;
        }
        if (off + 1 + l > len || n + l + 1 >= DNS_PROBE_NAME_MAX)
            return false;
        for (size_t i = 0; i < l; i++) {
            uint8_t c = pkt[off + 1 + i];
            out[n++] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
        }
        out[n++] = '.';
        off += 1u + l;
    }
    return false;
}

/* Writes the uncompressed wire name rd[0..len) (PTR rdata as respond.c writes it, or a query
 * name's suffix) in presentation form without the trailing dot; false when it is not one. */
static bool read_target(const uint8_t *rd, size_t len, char out[REC_NAME_MAX + 1])
{
    size_t i = 0, o = 0;
    while (i < len && rd[i] != 0) {
        size_t l = rd[i];
        if (l > 63 || i + 1 + l >= len || o + l + 1 > REC_NAME_MAX + 1)
            return false;
        if (o)
            out[o++] = '.';
        memcpy(out + o, rd + i + 1, l);
        o += l;
        i += 1 + l;
    }
    if (i + 1 != len || o == 0)
        return false;
    out[o] = 0;
    return true;
}

/* Reads the answer and authority sections of our own response into out. */
static int read_response(const uint8_t *pkt, size_t len, struct dns_probe *out)
{
    if (len < DNS_HEADER_LEN)
        return -EINVAL;
    out->aa = (pkt[2] & 0x04) != 0;
    uint16_t qd = get16(pkt + 4), an = get16(pkt + 6), ns = get16(pkt + 8), ar = get16(pkt + 10);
    size_t off = DNS_HEADER_LEN;
    for (uint16_t i = 0; i < qd && off; i++) {
        off = skip_name(pkt, len, off);
        off = off && off + 4 <= len ? off + 4 : 0;
    }
    if (an) {
        out->answers = calloc(an, sizeof *out->answers);
        out->ns = calloc(an, sizeof *out->ns);
        if (!out->answers || !out->ns)
            return -ENOMEM;
    }
    for (uint32_t i = 0; i < (uint32_t)an + ns + ar && off; i++) {
        off = skip_name(pkt, len, off);
        if (!off || off + 10 > len)
            return -EINVAL;
        uint16_t type = get16(pkt + off), rdlen = get16(pkt + off + 8);
        uint32_t ttl = get32(pkt + off + 4);
        const uint8_t *rd = pkt + off + 10;
        off += 10u + rdlen;
        if (off > len)
            return -EINVAL;
        if (type == DNS_TYPE_SOA) {
            if (i < an)
                out->soa_answer = true;
            else
                out->soa_authority = true;
            continue;
        }
        if (i < an && type == DNS_TYPE_NS) {
            if (!read_name(pkt, off, off - rdlen, out->ns[out->n_ns]))
                return -EINVAL;
            out->n_ns++;
            continue;
        }
        if (i >= (uint32_t)an + ns && (type == DNS_TYPE_A || type == DNS_TYPE_AAAA))
            out->n_glue++;
        if (i >= an || (type != DNS_TYPE_A && type != DNS_TYPE_AAAA && type != DNS_TYPE_PTR))
            continue;
        struct dns_probe_answer *a = &out->answers[out->n_answers];
        a->type = type;
        a->ttl = ttl;
        if (type == DNS_TYPE_PTR) {
            if (!read_target(rd, rdlen, a->target))
                return -EINVAL;
            out->n_answers++;
            continue;
        }
        size_t n = type == DNS_TYPE_A ? 4 : 16;
        if (rdlen != n)
            return -EINVAL;
        a->addr.type = type == DNS_TYPE_A ? REC_A : REC_AAAA;
        memcpy(a->addr.bytes, rd, n);
        a->ttl = ttl;
        out->n_answers++;
    }
    return 0;
}

int dns_server_probe(struct dns_server *s, const char *name, uint16_t qtype, struct dns_probe *out)
{
    memset(out, 0, sizeof *out);
    out->rcode = -1;
    out->zone = -1;

    /* header (id, RD, one question), the name, type, class IN */
    uint8_t query[DNS_HEADER_LEN + DNS_NAME_MAX + 4] = {PROBE_ID >> 8, PROBE_ID & 0xff, 0x01};
    query[5] = 1;
    size_t nl = dns_name_from_text(name, query + DNS_HEADER_LEN);
    if (nl == 0)
        return -EINVAL;
    uint8_t *t = query + DNS_HEADER_LEN + nl;
    t[0] = (uint8_t)(qtype >> 8);
    t[1] = (uint8_t)qtype;
    t[2] = 0;
    t[3] = DNS_CLASS_IN;
    struct dns_query q;
    int prc = dns_parse_query(query, DNS_HEADER_LEN + nl + 4, &q);
    if (prc == DNS_PARSE_DROP)
        return -EINVAL;
    if (prc != DNS_PARSE_OK) { /* refused before any lookup (AXFR, IXFR) */
        out->rcode = prc;
        return 0;
    }

    uint8_t *resp = malloc(DNS_MSG_MAX);
    if (!resp)
        return -ENOMEM;
    uint16_t zone_off = 0;
    out->zone = dns_policy_zone(&s->policy, q.qname, q.qname_len, &zone_off);
    out->zone_apex = out->zone >= 0 && zone_off == 0;

    struct dns_outcome res;
    records_reader_register();
    records_read_lock();
    const struct rec_snapshot *snap = records_snapshot(s->records);
    const struct rec_rrset *rr = records_lookup(snap, q.qname, q.qname_len);
    out->snapshot_version = records_snapshot_version(snap);
    out->name_exists = rr != NULL;
    int enc = -1;
    if (!rr)
        rr = dns_wildcard_match(snap, q.qname, q.qname_len, &enc);
    if (rr && enc >= 0) {
        read_target(q.qname + enc, q.qname_len - (size_t)enc, out->encloser);
        size_t el = strlen(out->encloser); /* the wildcard exists, so "*." + it fits */
        if (el + 2 <= REC_NAME_MAX) {
            memcpy(out->wildcard, "*.", 2);
            memcpy(out->wildcard + 2, out->encloser, el + 1);
        }
    }
    out->n_a = rr ? rr->n_a : 0;
    out->n_aaaa = rr ? rr->n_aaaa : 0;
    out->n_ptr = rr ? rr->n_ptr : 0;
    uint32_t serial = dns_zone_serial(snap);
    size_t len = dns_answer(&s->policy, &q, rr, snap, serial, true, 0, resp, DNS_MSG_MAX, &res);
    if (res.forward && s->fwd && fwd_covers(s->fwd, &q)) {
        out->forwarded = true;
    } else if (res.forward) { /* only forward zones, none of them covers it: the unknown action */
        struct dns_policy local = s->policy;
        local.forward = false;
        len = dns_answer(&local, &q, rr, snap, serial, true, 0, resp, DNS_MSG_MAX, &res);
    }
    records_read_unlock();
    records_reader_unregister();

    int rc = 0;
    out->rcode = len ? res.rcode : -1;
    if (len)
        rc = read_response(resp, len, out);
    free(resp);
    if (rc != 0)
        dns_probe_free(out);
    return rc;
}

void dns_probe_free(struct dns_probe *p)
{
    free(p->answers);
    p->answers = NULL;
    p->n_answers = 0;
    free(p->ns);
    p->ns = NULL;
    p->n_ns = 0;
}
