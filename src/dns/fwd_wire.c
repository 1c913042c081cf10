/* fwd_wire.c — forwarding on the wire: the upstream query, the strict check and normal form of an
 * upstream answer, and the client's answer built from that form. Every read is bounded by the
 * given lengths; names are walked, never followed (a compression pointer must point backwards). */
#include "dns/fwd_wire.h"

#include <string.h>

#include "dns/bytes.h"

size_t fwd_build_query(const struct dns_query *q, uint16_t id, uint8_t *out, size_t cap)
{
    size_t need = DNS_HEADER_LEN + q->qname_len + 4 + DNS_OPT_LEN;
    if (need > cap || q->qname_len == 0)
        return 0;
    put16(out, id);
    out[2] = FLAG_RD;
    out[3] = q->cd ? FLAG_CD : 0;
    put16(out + 4, 1);
    put16(out + 6, 0);
    put16(out + 8, 0);
    put16(out + 10, 1);
    uint8_t *p = out + DNS_HEADER_LEN;
    memcpy(p, q->qname, q->qname_len);
    p += q->qname_len;
    put16(p, q->qtype);
    put16(p + 2, q->qclass);
    p += 4;
    p[0] = 0;
    put16(p + 1, DNS_TYPE_OPT);
    put16(p + 3, DNS_EDNS_PAYLOAD);
    p[5] = 0;
    p[6] = 0;
    p[7] = q->edns_do ? 0x80 : 0;
    p[8] = 0;
    put16(p + 9, 0);
    return need;
}

/* Length of the plain-label question name at p[off..len) (no compression), 0 if malformed. */
static size_t qname_len_at(const uint8_t *p, size_t len, size_t off)
{
    size_t o = off;
    for (;;) {
        if (o >= len || (p[o] & 0xC0))
            return 0;
        uint8_t l = p[o];
        if (o - off + 1 + l > DNS_NAME_MAX || o + 1 + l > len)
            return 0;
        o += 1 + (size_t)l;
        if (l == 0)
            return o - off;
    }
}

/* One resource record's fixed fields, walked from *off. */
struct rr {
    size_t name_at, fixed_at; /* owner name; type/class/ttl/rdlength */
    uint16_t type;
    uint32_t ttl;
    size_t rdata_at, rdlen;
};

static bool is_fixed(const uint8_t *fixed, size_t from, size_t n)
{
    for (size_t i = from; fixed && i < from + n; i++)
        if (fixed[i >> 3] & (1u << (i & 7)))
            return true;
    return false;
}

/* Walks a name at *off in p[0..len) and through its compression pointers, which must each point
 * before themselves (so every jump goes backwards, and the name's length bound ends any cycle
 * through labels) and lead to labels that end before this name starts; *off ends after the
 * name's own bytes. Bytes reached through a pointer must
 * not be a record's fixed fields (marked in fixed, when given): TTLs are rewritten later, and a
 * name read through them would change. */
static bool walk_name(const uint8_t *p, size_t len, size_t *off, const uint8_t *fixed)
{
    const size_t start = *off;
    size_t o = start, n = 0, end = 0;
    int hops = 0;
    for (;;) {
        if (o >= len)
            return false;
        uint8_t l = p[o];
        if ((l & 0xC0) == 0xC0) {
            if (o + 2 > len || ++hops > 64)
                return false;
            size_t target = (size_t)(get16(p + o) & 0x3FFF);
            if (target < DNS_HEADER_LEN || target >= o)
                return false;
            if (hops == 1)
                end = o + 2;
            o = target;
            continue;
        }
        if (l & 0xC0)
            return false;
        if (n + 1 + l > DNS_NAME_MAX || o + 1 + l > len)
            return false;
        if (hops && (o + 1 + l > start || is_fixed(fixed, o, 1u + l)))
            return false; /* a pointer leads to an earlier name, never into this one */
        n += 1 + (size_t)l;
        o += 1 + (size_t)l;
        if (l == 0)
            break;
    }
    *off = hops ? end : o;
    return true;
}

static bool next_rr(const uint8_t *p, size_t len, size_t *off, struct rr *r, uint8_t *fixed)
{
    size_t o = *off;
    r->name_at = o;
    if (!walk_name(p, len, &o, fixed) || len - o < 10)
        return false;
    for (size_t i = o; fixed && i < o + 10; i++)
        fixed[i >> 3] |= (uint8_t)(1u << (i & 7));
    r->fixed_at = o;
    r->type = get16(p + o);
    r->ttl = get32(p + o + 4);
    r->rdlen = get16(p + o + 8);
    r->rdata_at = o + 10;
    if (r->rdlen > len - r->rdata_at)
        return false;
    *off = r->rdata_at + r->rdlen;
    return true;
}

/* The rdata of the types whose shape we rely on or that clients check strictly. */
static bool rdata_ok(const uint8_t *p, const struct rr *r, const uint8_t *fixed)
{
    switch (r->type) {
    case DNS_TYPE_A:
        return r->rdlen == 4;
    case DNS_TYPE_AAAA:
        return r->rdlen == 16;
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_PTR: { /* one name, which may be compressed: it must end the rdata */
        size_t end = r->rdata_at + r->rdlen, o = r->rdata_at;
        return walk_name(p, end, &o, fixed) && o == end;
    }
    case DNS_TYPE_SOA: {
        size_t end = r->rdata_at + r->rdlen, o = r->rdata_at;
        for (int i = 0; i < 2; i++) /* MNAME, RNAME */
            if (!walk_name(p, end, &o, fixed))
                return false;
        return end - o == 20;
    }
    default:
        return true;
    }
}

static uint32_t min32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

enum fwd_status fwd_normalize(const uint8_t *pkt, size_t len, uint16_t id, const uint8_t *qname,
                              size_t qname_len, uint16_t qtype, uint16_t qclass, uint32_t max_ttl,
                              uint8_t *out, size_t cap, size_t *outlen, struct fwd_info *info)
{
    memset(info, 0, sizeof *info);
    *outlen = 0;
    if (len < DNS_HEADER_LEN || !(pkt[2] & FLAG_QR) || get16(pkt) != id)
        return FWD_MISMATCH;
    if (((pkt[2] >> 3) & 0x0F) != DNS_OPCODE_QUERY || get16(pkt + 4) != 1)
        return FWD_MISMATCH;
    size_t nl = qname_len_at(pkt, len, DNS_HEADER_LEN);
    if (nl == 0 || nl != qname_len || len - DNS_HEADER_LEN - nl < 4)
        return FWD_MISMATCH;
    for (size_t i = 0; i < nl; i++)
        if (lower(pkt[DNS_HEADER_LEN + i]) != qname[i])
            return FWD_MISMATCH;
    size_t off = DNS_HEADER_LEN + nl;
    if (get16(pkt + off) != qtype || get16(pkt + off + 2) != qclass)
        return FWD_MISMATCH;
    off += 4;
    if (len > cap)
        return FWD_MALFORMED; /* larger than any message we take */

    uint8_t fixed[DNS_MSG_MAX / 8 + 1]; /* bytes that are records' type, class, TTL, rdlength */
    memset(fixed, 0, (len >> 3) + 1);
    unsigned count[3] = {get16(pkt + 6), get16(pkt + 8), get16(pkt + 10)};
    unsigned kept[3] = {0, 0, 0};
    uint16_t rcode = pkt[3] & 0x0F;
    uint32_t min_ttl = UINT32_MAX, soa_ttl = UINT32_MAX;
    bool soa = false;
    size_t end = off;
    memcpy(out, pkt, off);
    memcpy(out + DNS_HEADER_LEN, qname, qname_len); /* the normal form's question is lowercase */
    for (int s = 0; s < 3; s++) {
        for (unsigned i = 0; i < count[s]; i++) {
            struct rr r;
            if (!next_rr(pkt, len, &off, &r, fixed) || !rdata_ok(pkt, &r, fixed))
                return FWD_MALFORMED;
            if (r.type == DNS_TYPE_OPT) {
                if (s != 2 || r.fixed_at != r.name_at + 1 || pkt[r.name_at] != 0)
                    return FWD_MALFORMED;
                rcode = (uint16_t)(rcode | (uint16_t)(r.ttl >> 24) << 4);
                goto done; /* OPT and everything after it stay behind */
            }
            uint32_t ttl = r.ttl > 0x7FFFFFFFu ? 0 : min32(r.ttl, max_ttl); /* RFC 2181 8 */
            memcpy(out + end, pkt + r.name_at, off - r.name_at);
            put32(out + end + (r.fixed_at - r.name_at) + 4, ttl);
            end += off - r.name_at;
            kept[s]++;
            if (s < 2)
                min_ttl = min32(min_ttl, ttl);
            if (s == 1 && r.type == DNS_TYPE_SOA) {
                uint32_t minimum = get32(pkt + r.rdata_at + r.rdlen - 4);
                soa_ttl = min32(ttl, min32(minimum, max_ttl));
                soa = true;
            }
        }
    }
done:
    /* Names in what is kept must decompress within it too (a pointer may lead into labels
     * that ran on into the records left behind). */
    for (size_t o = DNS_HEADER_LEN + nl + 4, i = 0; i < kept[0] + kept[1] + kept[2]; i++) {
        struct rr r;
        if (!next_rr(out, end, &o, &r, NULL) || !rdata_ok(out, &r, NULL))
            return FWD_MALFORMED;
    }
    out[0] = out[1] = 0;
    put16(out + 6, (uint16_t)kept[0]);
    put16(out + 8, (uint16_t)kept[1]);
    put16(out + 10, (uint16_t)kept[2]);
    info->rcode = rcode;
    info->tc = (pkt[2] & FLAG_TC) != 0;
    info->an = (uint16_t)kept[0];
    info->ns = (uint16_t)kept[1];
    info->ar = (uint16_t)kept[2];
    info->negative = rcode == DNS_RCODE_NXDOMAIN || (rcode == DNS_RCODE_NOERROR && !kept[0]);
    if (!info->tc && (rcode == DNS_RCODE_NOERROR || rcode == DNS_RCODE_NXDOMAIN)) {
        if (info->negative && soa) {
            info->cacheable = true;
            info->ttl = kept[0] ? min32(soa_ttl, min_ttl) : soa_ttl; /* RFC 2308 5 */
        } else if (!info->negative) {
            info->cacheable = true;
            info->ttl = min_ttl;
        }
    }
    *outlen = end;
    return FWD_OK;
}

size_t fwd_answer(const uint8_t *msg, size_t len, uint16_t ext_rcode, const struct dns_query *q,
                  uint32_t elapsed, uint32_t stale_ttl, size_t limit, uint8_t *out, size_t cap,
                  bool *truncated)
{
    size_t ql = q->question_len;
    size_t opt = q->has_edns ? DNS_OPT_LEN : 0;
    *truncated = false;
    if (!q->has_question || len < DNS_HEADER_LEN + ql || get16(msg + 4) != 1)
        return 0;
    if (qname_len_at(msg, len, DNS_HEADER_LEN) + 4 != ql || q->qname_len + 4u != ql ||
        memcmp(msg + DNS_HEADER_LEN, q->qname, q->qname_len) != 0 ||
        memcmp(msg + DNS_HEADER_LEN + q->qname_len, q->question + q->qname_len, 4) != 0)
        return 0; /* a message for another question */
    if (limit > cap)
        limit = cap;
    bool fits = len + opt <= limit;
    size_t body = fits ? len : DNS_HEADER_LEN + ql;
    if (body + opt > limit)
        return 0;
    memcpy(out, msg, body);
    memcpy(out + DNS_HEADER_LEN, q->question, ql);
    put16(out, q->id);
    out[2] = (uint8_t)(FLAG_QR | (msg[2] & FLAG_TC) | (fits ? 0 : FLAG_TC) | (q->rd ? FLAG_RD : 0));
    out[3] = (uint8_t)(FLAG_RA | (q->cd ? FLAG_CD : 0) | (ext_rcode & 0x0F));
    if (!fits) {
        *truncated = true;
        memset(out + 6, 0, 6);
    } else {
        unsigned n = (unsigned)get16(msg + 6) + get16(msg + 8) + get16(msg + 10);
        size_t off = DNS_HEADER_LEN + ql;
        for (unsigned i = 0; i < n; i++) {
            struct rr r;
            if (!next_rr(out, body, &off, &r, NULL))
                return 0;
            uint32_t ttl = stale_ttl ? stale_ttl : (r.ttl > elapsed ? r.ttl - elapsed : 0);
            put32(out + r.fixed_at + 4, ttl);
        }
    }
    *truncated = *truncated || (msg[2] & FLAG_TC);
    if (opt) {
        uint8_t *p = out + body;
        p[0] = 0;
        put16(p + 1, DNS_TYPE_OPT);
        put16(p + 3, DNS_EDNS_PAYLOAD);
        p[5] = (uint8_t)(ext_rcode >> 4);
        p[6] = 0;
        p[7] = q->edns_do ? 0x80 : 0;
        p[8] = 0;
        put16(p + 9, 0);
        put16(out + 10, (uint16_t)(get16(out + 10) + 1));
    }
    return body + opt;
}
