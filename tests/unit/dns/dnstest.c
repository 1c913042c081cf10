/* dnstest.c — query builder and strict response parser used by the DNS unit and fuzz tests. */
#include "dnstest.h"

#include <stdio.h>
#include <string.h>

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

size_t dt_query(uint8_t *buf, uint16_t id, const char *name, uint16_t qtype, uint16_t qclass,
                int edns_size, bool do_bit)
{
    size_t o = 12;
    memset(buf, 0, 12);
    put16(buf, id);
    buf[2] = 0x01; /* RD */
    put16(buf + 4, 1);
    put16(buf + 10, edns_size >= 0 ? 1 : 0);
    const char *p = name;
    while (*p && strcmp(p, ".") != 0) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        buf[o++] = (uint8_t)l;
        memcpy(buf + o, p, l);
        o += l;
        p += l;
        if (*p == '.')
            p++;
    }
    buf[o++] = 0;
    put16(buf + o, qtype);
    put16(buf + o + 2, qclass);
    o += 4;
    if (edns_size >= 0) {
        buf[o] = 0;
        put16(buf + o + 1, 41);
        put16(buf + o + 3, (uint16_t)edns_size);
        buf[o + 5] = 0;
        buf[o + 6] = 0;
        buf[o + 7] = do_bit ? 0x80 : 0;
        buf[o + 8] = 0;
        put16(buf + o + 9, 0);
        o += 11;
    }
    return o;
}

static size_t put_name(uint8_t *buf, const char *name)
{
    size_t o = 0;
    const char *p = name;
    while (*p && strcmp(p, ".") != 0) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        buf[o++] = (uint8_t)l;
        memcpy(buf + o, p, l);
        o += l;
        p += l;
        if (*p == '.')
            p++;
    }
    buf[o++] = 0;
    return o;
}

void dt_begin(struct dt_builder *b, uint8_t *buf, uint16_t id, const char *name, uint16_t qtype,
              uint8_t flags2, uint8_t flags3)
{
    memset(b, 0, sizeof *b);
    b->p = buf;
    memset(buf, 0, 12);
    put16(buf, id);
    buf[2] = flags2;
    buf[3] = flags3;
    put16(buf + 4, 1);
    b->len = 12 + put_name(buf + 12, name);
    put16(buf + b->len, qtype);
    put16(buf + b->len + 2, 1);
    b->len += 4;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

void dt_rr(struct dt_builder *b, int section, const char *owner, uint16_t type, uint32_t ttl,
           const uint8_t *rdata, uint16_t rdlen)
{
    uint8_t *p = b->p + b->len;
    size_t o;
    if (owner) {
        o = put_name(p, owner);
    } else {
        put16(p, 0xC00C);
        o = 2;
    }
    put16(p + o, type);
    put16(p + o + 2, 1);
    put32(p + o + 4, ttl);
    put16(p + o + 8, rdlen);
    memcpy(p + o + 10, rdata, rdlen);
    b->len += o + 10 + rdlen;
    b->count[section]++;
}

void dt_soa(struct dt_builder *b, uint16_t zone_off, uint32_t ttl, uint32_t minimum)
{
    uint8_t *p = b->p + b->len;
    uint16_t ptr = (uint16_t)(0xC000 | (12 + zone_off));
    put16(p, ptr);
    put16(p + 2, 6);
    put16(p + 4, 1);
    put32(p + 6, ttl);
    put16(p + 10, 2 + 2 + 20);
    put16(p + 12, ptr); /* MNAME */
    put16(p + 14, ptr); /* RNAME */
    put32(p + 16, 1);
    put32(p + 20, 3600);
    put32(p + 24, 600);
    put32(p + 28, 86400);
    put32(p + 32, minimum);
    b->len += 36;
    b->count[1]++;
}

void dt_opt(struct dt_builder *b, uint16_t payload, uint8_t ext_rcode, bool do_bit)
{
    uint8_t *p = b->p + b->len;
    p[0] = 0;
    put16(p + 1, 41);
    put16(p + 3, payload);
    p[5] = ext_rcode;
    p[6] = 0;
    p[7] = do_bit ? 0x80 : 0;
    p[8] = 0;
    put16(p + 9, 0);
    b->len += 11;
    b->count[2]++;
}

size_t dt_end(struct dt_builder *b)
{
    put16(b->p + 6, b->count[0]);
    put16(b->p + 8, b->count[1]);
    put16(b->p + 10, b->count[2]);
    return b->len;
}

/* Reads a possibly compressed name at *off into out (presentation form, "." for the root). */
static const char *read_name(const uint8_t *p, size_t len, size_t *off, char out[256])
{
    size_t o = *off, n = 0, wire = 0;
    bool jumped = false;
    int hops = 0;
    out[0] = 0;
    for (;;) {
        if (o >= len)
            return "name runs past the message";
        uint8_t l = p[o];
        if ((l & 0xC0) == 0xC0) {
            if (o + 2 > len)
                return "pointer runs past the message";
            size_t target = get16(p + o) & 0x3FFF;
            if (target >= o)
                return "pointer does not point backwards";
            if (++hops > 64)
                return "pointer loop";
            if (!jumped)
                *off = o + 2;
            jumped = true;
            o = target;
            continue;
        }
        if (l & 0xC0)
            return "extended label type";
        wire += 1 + (size_t)l;
        if (wire > 255)
            return "name longer than 255";
        if (o + 1 + l > len)
            return "label runs past the message";
        if (l == 0) {
            if (!jumped)
                *off = o + 1;
            break;
        }
        if (n + l + 2 > 256)
            return "name too long";
        memcpy(out + n, p + o + 1, l);
        n += l;
        out[n++] = '.';
        out[n] = 0;
        o += 1 + (size_t)l;
    }
    if (n == 0)
        strcpy(out, ".");
    else
        out[n - 1] = 0; /* no trailing dot */
    return NULL;
}

const char *dt_parse(const uint8_t *p, size_t len, struct dt_msg *m)
{
    const char *e;
    memset(m, 0, sizeof *m);
    if (len < 12)
        return "shorter than a header";
    m->id = get16(p);
    m->qr = p[2] & 0x80;
    m->opcode = (p[2] >> 3) & 15;
    m->aa = p[2] & 0x04;
    m->tc = p[2] & 0x02;
    m->rd = p[2] & 0x01;
    m->cd = p[3] & 0x10;
    m->rcode = p[3] & 15;
    m->qd = get16(p + 4);
    m->an = get16(p + 6);
    m->ns = get16(p + 8);
    m->ar = get16(p + 10);
    size_t o = 12;
    if (m->qd > 1)
        return "more than one question";
    if (m->qd == 1) {
        if ((e = read_name(p, len, &o, m->qname)))
            return e;
        if (len - o < 4)
            return "question cut";
        m->qtype = get16(p + o);
        m->qclass = get16(p + o + 2);
        o += 4;
    }
    size_t total = (size_t)m->an + m->ns + m->ar;
    if (total > DT_MAX_RR)
        return "too many records";
    for (size_t i = 0; i < total; i++) {
        struct dt_rr *r = &m->rr[i];
        if ((e = read_name(p, len, &o, r->name)))
            return e;
        if (len - o < 10)
            return "record header cut";
        r->type = get16(p + o);
        r->cls = get16(p + o + 2);
        r->ttl = get32(p + o + 4);
        r->rdlen = get16(p + o + 8);
        o += 10;
        if (r->rdlen > len - o)
            return "rdata runs past the message";
        r->rdata = p + o;
        r->rdata_off = o;
        if (r->type == 1 && r->rdlen != 4)
            return "A rdata is not 4 bytes";
        if (r->type == 28 && r->rdlen != 16)
            return "AAAA rdata is not 16 bytes";
        if (r->type == 2) {
            size_t so = o;
            if ((e = read_name(p, o + r->rdlen, &so, r->target)))
                return e;
            if (so != o + r->rdlen)
                return "NS rdata length mismatch";
        }
        if (r->type == 6) {
            size_t so = o;
            if ((e = read_name(p, o + r->rdlen, &so, r->soa_mname)))
                return e;
            if ((e = read_name(p, o + r->rdlen, &so, r->soa_rname)))
                return e;
            if (so + 20 != o + r->rdlen)
                return "SOA rdata length mismatch";
            for (int k = 0; k < 5; k++)
                r->soa[k] = get32(p + so + 4 * (size_t)k);
        }
        if (r->type == 41) {
            if (i < (size_t)m->an + m->ns)
                return "OPT outside the additional section";
            if (m->has_opt)
                return "two OPT records";
            if (strcmp(r->name, ".") != 0)
                return "OPT owner is not the root";
            m->has_opt = true;
            m->opt_size = r->cls;
            m->opt_version = (uint8_t)(r->ttl >> 16);
            m->opt_do = (r->ttl & 0x8000) != 0;
            m->rcode |= (uint16_t)((r->ttl >> 24) << 4);
        }
        o += r->rdlen;
        m->nrr++;
    }
    if (o != len)
        return "bytes after the last record";
    return NULL;
}
