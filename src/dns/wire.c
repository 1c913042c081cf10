/* wire.c — DNS wire format: a strict query parser and a bounded response builder. Every read
 * and write is checked against the buffer length; nothing here allocates or does I/O. */
#include "dns/wire.h"

#include <string.h>

#include "dns/bytes.h"

#define PTR_QNAME 0xC00C
/* The question name: plain labels only (a compression pointer can only point backwards, and
 * there is nothing before the question worth pointing at), at most DNS_NAME_MAX bytes.
 * Copies it lowercased into q->qname. Returns false when malformed. */
static bool parse_qname(const uint8_t *p, size_t len, size_t *off, struct dns_query *q)
{
    size_t o = *off, n = 0;
    for (;;) {
        if (o >= len)
            return false;
        uint8_t l = p[o];
        if (l & 0xC0)
            return false; /* compression pointer or extended label type */
        if (n + 1 + l > DNS_NAME_MAX || o + 1 + l > len)
            return false;
        q->qname[n++] = l;
        for (size_t i = 0; i < l; i++)
            q->qname[n++] = lower(p[o + 1 + i]);
        o += 1 + (size_t)l;
        if (l == 0)
            break;
    }
    q->qname_len = (uint16_t)n;
    *off = o;
    return true;
}

/* Skips the owner name of a record after the question: labels, optionally ended by a
 * compression pointer. The pointer is not followed; it must point backwards into the message
 * before this name (which rules out loops). */
static bool skip_name(const uint8_t *p, size_t len, size_t *off)
{
    size_t start = *off, o = *off, n = 0;
    for (;;) {
        if (o >= len)
            return false;
        uint8_t l = p[o];
        if ((l & 0xC0) == 0xC0) {
            if (o + 2 > len)
                return false;
            size_t target = (size_t)(get16(p + o) & 0x3FFF);
            if (target < DNS_HEADER_LEN || target >= start)
                return false;
            o += 2;
            break;
        }
        if (l & 0xC0)
            return false;
        if (n + 1 + l > DNS_NAME_MAX || o + 1 + l > len)
            return false;
        n += 1 + (size_t)l;
        o += 1 + (size_t)l;
        if (l == 0)
            break;
    }
    *off = o;
    return true;
}

/* EDNS0 OPT (RFC 6891): owner is the root, CLASS is the UDP size, TTL holds the extended rcode,
 * version and DO bit; RDATA is a sequence of {code, length, data} options that must add up. */
static bool parse_opt(const uint8_t *p, size_t rdlen, uint16_t cls, uint32_t ttl,
                      struct dns_query *q)
{
    size_t o = 0;
    while (o < rdlen) {
        if (rdlen - o < 4)
            return false;
        size_t olen = get16(p + o + 2);
        if (olen > rdlen - o - 4)
            return false;
        o += 4 + olen;
    }
    q->has_edns = true;
    q->edns_udp_size = cls;
    q->edns_version = (uint8_t)(ttl >> 16);
    q->edns_do = (ttl & 0x8000) != 0;
    return true;
}

/* count records from *off: owner names (compression allowed, backwards), fixed fields and rdata
 * must all fit. In the additional section (opt_ok) at most one OPT, owned by the root, is read
 * into q; elsewhere an OPT is malformed. Other records are skipped. */
static bool parse_records(const uint8_t *p, size_t len, size_t *off, unsigned count, bool opt_ok,
                          struct dns_query *q)
{
    size_t o = *off;
    for (unsigned i = 0; i < count; i++) {
        size_t name_at = o;
        if (!skip_name(p, len, &o))
            return false;
        if (len - o < 10)
            return false;
        uint16_t type = get16(p + o);
        uint16_t cls = get16(p + o + 2);
        uint32_t ttl = get32(p + o + 4);
        size_t rdlen = get16(p + o + 8);
        o += 10;
        if (rdlen > len - o)
            return false;
        if (type == DNS_TYPE_OPT) {
            if (!opt_ok || q->has_edns || o - 10 - name_at != 1 || p[name_at] != 0)
                return false;
            if (!parse_opt(p + o, rdlen, cls, ttl, q))
                return false;
        }
        o += rdlen;
    }
    *off = o;
    return true;
}

int dns_parse_query(const uint8_t *pkt, size_t len, struct dns_query *q)
{
    memset(q, 0, offsetof(struct dns_query, qname));
    q->qname_len = 0;
    q->has_edns = false;
    q->edns_do = false;
    q->edns_version = 0;
    q->edns_udp_size = 0;
    if (len < DNS_HEADER_LEN)
        return DNS_PARSE_DROP;
    if (pkt[2] & FLAG_QR)
        return DNS_PARSE_DROP;
    q->id = get16(pkt);
    q->opcode = (pkt[2] >> 3) & 0x0F;
    q->rd = (pkt[2] & FLAG_RD) != 0;
    q->cd = (pkt[3] & FLAG_CD) != 0;
    unsigned qd = get16(pkt + 4), an = get16(pkt + 6), ns = get16(pkt + 8), ar = get16(pkt + 10);

    size_t off = DNS_HEADER_LEN;
    bool question_ok = false;
    if (qd == 1 && parse_qname(pkt, len, &off, q) && len - off >= 4) {
        q->qtype = get16(pkt + off);
        q->qclass = get16(pkt + off + 2);
        off += 4;
        q->question = pkt + DNS_HEADER_LEN;
        q->question_len = (uint16_t)(off - DNS_HEADER_LEN);
        question_ok = true;
    }
    if (q->opcode != DNS_OPCODE_QUERY) {
        /* Other opcodes give sections other meanings; echo the question if it parsed. */
        q->has_question = question_ok;
        return DNS_RCODE_NOTIMP;
    }
    if (!question_ok)
        return DNS_RCODE_FORMERR;
    q->has_question = true;
    /* A standard query carries no answer records, and authority records only in an IXFR
     * request (the client's SOA). */
    if (an != 0 || (ns != 0 && q->qtype != DNS_TYPE_IXFR))
        return DNS_RCODE_FORMERR;
    if (!parse_records(pkt, len, &off, ns, false, q) || !parse_records(pkt, len, &off, ar, true, q))
        return DNS_RCODE_FORMERR;
    if (off != len)
        return DNS_RCODE_FORMERR; /* bytes after the last counted record */
    if (q->has_edns && q->edns_version != 0)
        return DNS_RCODE_BADVERS;
    if (q->qtype == DNS_TYPE_AXFR || q->qtype == DNS_TYPE_IXFR)
        return DNS_RCODE_REFUSED; /* no zone transfers */
    if (q->qtype == 0)
        return DNS_RCODE_NOTIMP; /* reserved type (as Knot answers) */
    if (q->qclass != DNS_CLASS_IN && q->qclass != DNS_CLASS_ANY)
        return DNS_RCODE_REFUSED; /* we only serve the Internet class; ANY matches it */
    return DNS_PARSE_OK;
}

size_t dns_response_limit(const struct dns_query *q, bool tcp)
{
    if (tcp)
        return DNS_MSG_MAX;
    if (!q->has_edns || q->edns_udp_size <= DNS_UDP_MIN)
        return DNS_UDP_MIN;
    return q->edns_udp_size < DNS_EDNS_PAYLOAD ? q->edns_udp_size : DNS_EDNS_PAYLOAD;
}

static size_t budget(const struct dns_resp *r)
{
    return r->cap - (r->edns ? DNS_OPT_LEN : 0);
}

bool dns_resp_begin(struct dns_resp *r, const struct dns_query *q, uint8_t *buf, size_t bufsize,
                    size_t limit, uint16_t rcode, bool aa)
{
    size_t qlen = q->has_question ? q->question_len : 0;
    memset(r, 0, sizeof *r);
    r->buf = buf;
    r->cap = bufsize < limit ? bufsize : limit;
    r->edns = q->has_edns;
    r->edns_do = q->edns_do;
    r->rcode = rcode;
    if (DNS_HEADER_LEN + qlen + (r->edns ? DNS_OPT_LEN : 0) > r->cap)
        return false;
    put16(buf, q->id);
    buf[2] =
        (uint8_t)(FLAG_QR | (q->opcode & 0x0F) << 3 | (aa ? FLAG_AA : 0) | (q->rd ? FLAG_RD : 0));
    buf[3] = (uint8_t)((q->cd ? FLAG_CD : 0) | (rcode & 0x0F));
    put16(buf + 4, q->has_question ? 1 : 0);
    memset(buf + 6, 0, 6);
    if (qlen)
        memcpy(buf + DNS_HEADER_LEN, q->question, qlen);
    r->len = r->mark = DNS_HEADER_LEN + qlen;
    return true;
}

static void truncate_resp(struct dns_resp *r)
{
    r->truncated = true;
    r->len = r->mark;
    r->an = r->ns = r->ar = 0;
}

/* Owner (compressed), type, class IN, ttl, rdlength. */
static uint8_t *rr_header(struct dns_resp *r, uint16_t owner_ptr, uint16_t type, uint32_t ttl,
                          uint16_t rdlen)
{
    uint8_t *p = r->buf + r->len;
    put16(p, owner_ptr);
    put16(p + 2, type);
    put16(p + 4, DNS_CLASS_IN);
    put32(p + 6, ttl);
    put16(p + 10, rdlen);
    return p + 12;
}

bool dns_resp_add_addr(struct dns_resp *r, uint16_t type, const uint8_t *addr, uint32_t ttl)
{
    uint16_t rdlen = type == DNS_TYPE_A ? 4 : 16;
    if (r->truncated || r->mark == DNS_HEADER_LEN)
        return false; /* truncated already, or no question to point at */
    if (r->len + 12 + rdlen > budget(r)) {
        truncate_resp(r);
        return false;
    }
    uint8_t *rd = rr_header(r, PTR_QNAME, type, ttl, rdlen);
    memcpy(rd, addr, rdlen);
    r->len += 12 + (size_t)rdlen;
    r->an++;
    return true;
}

/* Length of the lowercase wire name name[0..len) once written by put_name: the labels before the
 * question's zone at zone_off plus a pointer to it when the name ends with that zone (compared
 * case-insensitively, the question keeping the client's case), else the whole name. */
static size_t name_prefix(const struct dns_resp *r, uint16_t zone_off, const uint8_t *name,
                          size_t len, bool *ptr)
{
    const uint8_t *zone = r->buf + DNS_HEADER_LEN + zone_off;
    size_t zlen = r->mark - DNS_HEADER_LEN - 4 - zone_off; /* the question name ends 4 before */
    *ptr = false;
    for (size_t off = 0; off < len; off += 1 + (size_t)name[off]) {
        if (len - off != zlen)
            continue;
        size_t i = 0;
        while (i < zlen && lower(zone[i]) == name[off + i])
            i++;
        if (i == zlen) {
            *ptr = true;
            return off;
        }
        break;
    }
    return len;
}

static size_t put_name(const struct dns_resp *r, uint8_t *p, uint16_t zone_off, const uint8_t *name,
                       size_t len)
{
    bool ptr;
    size_t n = name_prefix(r, zone_off, name, len, &ptr);
    memcpy(p, name, n);
    if (!ptr)
        return n;
    put16(p + n, (uint16_t)(0xC000 | (DNS_HEADER_LEN + zone_off)));
    return n + 2;
}

static size_t name_size(const struct dns_resp *r, uint16_t zone_off, const uint8_t *name,
                        size_t len)
{
    bool ptr;
    size_t n = name_prefix(r, zone_off, name, len, &ptr);
    return ptr ? n + 2 : n;
}

bool dns_resp_add_ptr(struct dns_resp *r, const uint8_t *target, size_t len, uint32_t ttl)
{
    if (r->truncated || r->mark == DNS_HEADER_LEN || len == 0 || len > DNS_NAME_MAX)
        return false; /* truncated already, no question to point at, or not a name */
    if (r->len + 12 + len > budget(r)) {
        truncate_resp(r);
        return false;
    }
    uint8_t *rd = rr_header(r, PTR_QNAME, DNS_TYPE_PTR, ttl, (uint16_t)len);
    memcpy(rd, target, len);
    r->len += 12 + len;
    r->an++;
    return true;
}

bool dns_resp_add_soa(struct dns_resp *r, const struct dns_soa *soa, bool answer)
{
    static const uint8_t hostmaster[] = "\x0ahostmaster";
    if (r->truncated || r->mark == DNS_HEADER_LEN)
        return false; /* truncated already, or no question to point at */
    size_t mlen = soa->mname ? name_size(r, soa->zone_off, soa->mname, soa->mname_len) : 2;
    const size_t rdlen = mlen + (sizeof hostmaster - 1) + 2 + 20;
    if (r->len + 12 + rdlen > budget(r)) {
        truncate_resp(r);
        return false;
    }
    uint16_t owner = (uint16_t)(0xC000 | (DNS_HEADER_LEN + soa->zone_off));
    uint8_t *p = rr_header(r, owner, DNS_TYPE_SOA, soa->ttl, (uint16_t)rdlen);
    if (soa->mname)
        p += put_name(r, p, soa->zone_off, soa->mname, soa->mname_len);
    else {
        put16(p, owner); /* MNAME: the apex */
        p += 2;
    }
    memcpy(p, hostmaster, sizeof hostmaster - 1); /* RNAME: hostmaster.<apex> */
    p += sizeof hostmaster - 1;
    put16(p, owner);
    p += 2;
    put32(p, soa->serial);
    put32(p + 4, soa->refresh);
    put32(p + 8, soa->retry);
    put32(p + 12, soa->expire);
    put32(p + 16, soa->minimum);
    r->len += 12 + rdlen;
    if (answer)
        r->an++;
    else
        r->ns++;
    return true;
}

bool dns_resp_add_ns(struct dns_resp *r, uint16_t zone_off, const uint8_t *target,
                     size_t target_len, uint32_t ttl, uint16_t *target_at)
{
    if (r->truncated || r->mark == DNS_HEADER_LEN)
        return false;
    size_t rdlen = name_size(r, zone_off, target, target_len);
    if (r->len + 12 + rdlen > budget(r)) {
        truncate_resp(r);
        return false;
    }
    uint16_t owner = (uint16_t)(0xC000 | (DNS_HEADER_LEN + zone_off));
    uint8_t *p = rr_header(r, owner, DNS_TYPE_NS, ttl, (uint16_t)rdlen);
    if (target_at)
        *target_at = (uint16_t)(p - r->buf);
    put_name(r, p, zone_off, target, target_len);
    r->len += 12 + rdlen;
    r->an++;
    return true;
}

bool dns_resp_add_glue(struct dns_resp *r, uint16_t owner_at, uint16_t type, const uint8_t *addr,
                       uint32_t ttl)
{
    uint16_t rdlen = type == DNS_TYPE_A ? 4 : 16;
    if (r->truncated || owner_at < DNS_HEADER_LEN || owner_at >= r->len || owner_at > 0x3FFF ||
        r->len + 12 + rdlen > budget(r))
        return false;
    uint8_t *rd = rr_header(r, (uint16_t)(0xC000 | owner_at), type, ttl, rdlen);
    memcpy(rd, addr, rdlen);
    r->len += 12 + (size_t)rdlen;
    r->ar++;
    return true;
}

size_t dns_resp_room(const struct dns_resp *r)
{
    return r->truncated || r->len >= budget(r) ? 0 : budget(r) - r->len;
}

size_t dns_resp_finish(struct dns_resp *r)
{
    uint8_t *b = r->buf;
    if (r->truncated)
        b[2] |= FLAG_TC;
    b[3] = (uint8_t)((b[3] & 0xF0) | (r->rcode & 0x0F));
    put16(b + 6, r->an);
    put16(b + 8, r->ns);
    put16(b + 10, (uint16_t)(r->ar + (r->edns ? 1 : 0)));
    if (r->edns) {
        uint8_t *p = b + r->len;
        p[0] = 0; /* root owner */
        put16(p + 1, DNS_TYPE_OPT);
        put16(p + 3, DNS_EDNS_PAYLOAD);
        p[5] = (uint8_t)(r->rcode >> 4); /* extended rcode */
        p[6] = 0;                        /* version */
        p[7] = r->edns_do ? 0x80 : 0;    /* DO echoed (RFC 3225) */
        p[8] = 0;
        put16(p + 9, 0);
        r->len += DNS_OPT_LEN;
    }
    return r->len;
}

size_t dns_build_error(const struct dns_query *q, uint16_t rcode, uint8_t *buf, size_t bufsize)
{
    struct dns_resp r;
    if (!dns_resp_begin(&r, q, buf, bufsize, bufsize, rcode, false))
        return 0;
    return dns_resp_finish(&r);
}

size_t dns_name_from_text(const char *text, uint8_t out[DNS_NAME_MAX])
{
    size_t n = 0, tl = strlen(text);
    if (tl == 1 && text[0] == '.') {
        out[0] = 0;
        return 1;
    }
    if (tl > 0 && text[tl - 1] == '.')
        tl--;
    size_t i = 0;
    while (i < tl) {
        size_t j = i;
        while (j < tl && text[j] != '.')
            j++;
        size_t l = j - i;
        if (l == 0 || l > 63 || n + 1 + l + 1 > DNS_NAME_MAX)
            return 0;
        out[n++] = (uint8_t)l;
        for (size_t k = i; k < j; k++)
            out[n++] = lower((uint8_t)text[k]);
        i = j + 1;
    }
    if (tl == 0 || text[tl - 1] == '.')
        return 0; /* empty name or empty last label */
    out[n++] = 0;
    return n;
}

int dns_name_suffix_at(const uint8_t *name, size_t name_len, const uint8_t *zone, size_t zone_len)
{
    size_t off = 0;
    while (off < name_len) {
        if (name_len - off == zone_len && memcmp(name + off, zone, zone_len) == 0)
            return (int)off;
        off += 1 + (size_t)name[off];
    }
    return -1;
}

const char *dns_rcode_name(int rcode)
{
    static const char *const names[16] = {
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",  "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
        "NXRRSET", "NOTAUTH", "NOTZONE",  "DSOTYPENI", "RCODE12", "RCODE13", "RCODE14",  "RCODE15"};
    if (rcode == DNS_RCODE_BADVERS)
        return "BADVERS";
    return rcode >= 0 && rcode < 16 ? names[rcode] : "?";
}
