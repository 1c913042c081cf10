/* records_snap.c — the immutable snapshot DNS workers read: one allocation holding an
 * open-addressing hash table (slot = hash + node index) keyed by the lowercase wire-format name,
 * the nodes (rrset + name offset), the A and AAAA address arrays and the wire names. Lookups hash
 * the query name once, probe linearly and never allocate. */
#include "records_snap.h"

#include <stdlib.h>
#include <string.h>

#define SNAP_EMPTY UINT32_MAX

struct snap_slot {
    uint32_t hash;
    uint32_t node;
};

struct snap_node {
    struct rec_rrset rr;
    uint32_t name_off;
    uint32_t name_len;
};

struct rec_snapshot {
    uint64_t version;
    uint64_t digest;
    size_t count;  /* served (name, address) pairs */
    size_t nnames; /* names including empty non-terminals */
    uint32_t mask; /* slots - 1 */
    struct snap_slot *slots;
    struct snap_node *nodes;
    const uint8_t *names;
    struct rec_snapshot *retired_next;
};

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

static uint64_t wire_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        h = (h ^ v) * 0xc4ceb9fe1a85ec53ull;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    uint64_t v = 0;
    memcpy(&v, p, n);
    return mix(h ^ v);
}

size_t snap_name_to_wire(const char *name, uint8_t out[REC_WIRE_MAX])
{
    size_t o = 0;
    const char *p = name;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        out[o++] = (uint8_t)len;
        memcpy(out + o, p, len);
        o += len;
        p += len;
        if (*p == '.')
            p++;
    }
    out[o++] = 0;
    return o;
}

static int addr_cmp(const struct rec_addr *a, const struct rec_addr *b)
{
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    return memcmp(a->bytes, b->bytes, a->type == REC_A ? 4 : 16);
}

static int pair_cmp(const void *x, const void *y)
{
    const struct snap_pair *a = x, *b = y;
    int c = strcmp(a->name, b->name);
    return c ? c : addr_cmp(&a->addr, &b->addr);
}

struct snap_name {
    const char *s;
    size_t lo, hi; /* range of pairs; empty for an empty non-terminal */
};

static int name_cmp(const void *x, const void *y)
{
    const struct snap_name *a = x, *b = y;
    int c = strcmp(a->s, b->s);
    if (c)
        return c;
    /* Real names (with pairs) sort before empty non-terminals of the same spelling. */
    return (a->hi > a->lo) == (b->hi > b->lo) ? 0 : (a->hi > a->lo ? -1 : 1);
}

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

static uint64_t digest_pairs(const struct snap_pair *p, size_t n)
{
    uint64_t h = 0x84222325cbf29ce4ull ^ n;
    for (size_t i = 0; i < n; i++) {
        h = mix(h ^ wire_hash((const uint8_t *)p[i].name, strlen(p[i].name)));
        h = mix(h ^ wire_hash(p[i].addr.bytes, 16) ^ p[i].addr.type);
    }
    return h;
}

struct rec_snapshot *snap_build(struct snap_pair *pairs, size_t n, uint64_t version)
{
    /* Normalise: zero unused address bytes so comparisons and digests are exact, then sort. */
    for (size_t i = 0; i < n; i++)
        if (pairs[i].addr.type == REC_A)
            memset(pairs[i].addr.bytes + 4, 0, 12);
    if (n > 1)
        qsort(pairs, n, sizeof *pairs, pair_cmp);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || pair_cmp(&pairs[m - 1], &pairs[i]) != 0)
            pairs[m++] = pairs[i];

    /* Every distinct name plus each of its ancestors (empty non-terminals). */
    size_t cap = 0;
    for (size_t i = 0; i < m; i++)
        if (i == 0 || strcmp(pairs[i - 1].name, pairs[i].name) != 0)
            for (const char *q = pairs[i].name; q; q = strchr(q + 1, '.'))
                cap++;
    struct snap_name *names = malloc((cap ? cap : 1) * sizeof *names);
    if (!names)
        return NULL;
    size_t nn = 0;
    for (size_t i = 0; i < m;) {
        size_t j = i;
        while (j < m && strcmp(pairs[j].name, pairs[i].name) == 0)
            j++;
        names[nn++] = (struct snap_name){pairs[i].name, i, j};
        for (const char *q = strchr(pairs[i].name, '.'); q; q = strchr(q + 1, '.'))
            names[nn++] = (struct snap_name){q + 1, 0, 0};
        i = j;
    }
    if (nn > 1)
        qsort(names, nn, sizeof *names, name_cmp);
    size_t k = 0;
    for (size_t i = 0; i < nn; i++)
        if (k == 0 || strcmp(names[k - 1].s, names[i].s) != 0)
            names[k++] = names[i];
    nn = k;

    size_t n_a = 0, n_aaaa = 0, blob = 0;
    for (size_t i = 0; i < m; i++)
        pairs[i].addr.type == REC_A ? n_a++ : n_aaaa++;
    for (size_t i = 0; i < nn; i++)
        blob += strlen(names[i].s) + 2;
    size_t nslots = 2;
    while (nslots < 2 * nn)
        nslots <<= 1;

    size_t off_slots = align8(sizeof(struct rec_snapshot));
    size_t off_nodes = off_slots + align8(nslots * sizeof(struct snap_slot));
    size_t off_a = off_nodes + align8(nn * sizeof(struct snap_node));
    size_t off_aaaa = off_a + align8(n_a * 4);
    size_t off_names = off_aaaa + align8(n_aaaa * 16);
    size_t total = off_names + blob;
    uint8_t *mem = calloc(1, total);
    if (!mem) {
        free(names);
        return NULL;
    }
    struct rec_snapshot *s = (struct rec_snapshot *)mem;
    s->version = version;
    s->count = m;
    s->nnames = nn;
    s->mask = (uint32_t)(nslots - 1);
    s->slots = (struct snap_slot *)(mem + off_slots);
    s->nodes = (struct snap_node *)(mem + off_nodes);
    uint8_t(*a)[4] = (uint8_t(*)[4])(mem + off_a);
    uint8_t(*aaaa)[16] = (uint8_t(*)[16])(mem + off_aaaa);
    uint8_t *wire = mem + off_names;
    s->names = wire;
    s->digest = digest_pairs(pairs, m);
    for (size_t i = 0; i < nslots; i++)
        s->slots[i].node = SNAP_EMPTY;

    size_t ia = 0, iaaaa = 0, woff = 0;
    for (size_t i = 0; i < nn; i++) {
        struct snap_node *nd = &s->nodes[i];
        nd->rr.a = a + ia;
        nd->rr.aaaa = aaaa + iaaaa;
        for (size_t p = names[i].lo; p < names[i].hi; p++) {
            if (pairs[p].addr.type == REC_A) {
                if (nd->rr.n_a == UINT16_MAX)
                    continue;
                memcpy(a[ia++], pairs[p].addr.bytes, 4);
                nd->rr.n_a++;
            } else {
                if (nd->rr.n_aaaa == UINT16_MAX)
                    continue;
                memcpy(aaaa[iaaaa++], pairs[p].addr.bytes, 16);
                nd->rr.n_aaaa++;
            }
        }
        size_t wl = snap_name_to_wire(names[i].s, wire + woff);
        nd->name_off = (uint32_t)woff;
        nd->name_len = (uint32_t)wl;
        uint64_t h = wire_hash(wire + woff, wl);
        woff += wl;
        for (uint32_t j = (uint32_t)h & s->mask;; j = (j + 1) & s->mask) {
            if (s->slots[j].node == SNAP_EMPTY) {
                s->slots[j].hash = (uint32_t)h;
                s->slots[j].node = (uint32_t)i;
                break;
            }
        }
    }
    free(names);
    return s;
}

void snap_free(struct rec_snapshot *s)
{
    free(s);
}

uint64_t snap_digest(const struct rec_snapshot *s)
{
    return s->digest;
}

struct rec_snapshot **snap_next(struct rec_snapshot *s)
{
    return &s->retired_next;
}

const struct rec_rrset *records_lookup(const struct rec_snapshot *s, const uint8_t *wire,
                                       size_t wire_len)
{
    if (!s || !wire || wire_len == 0 || wire_len > REC_WIRE_MAX)
        return NULL;
    uint64_t h = wire_hash(wire, wire_len);
    for (uint32_t j = (uint32_t)h & s->mask;; j = (j + 1) & s->mask) {
        const struct snap_slot *sl = &s->slots[j];
        if (sl->node == SNAP_EMPTY)
            return NULL;
        if (sl->hash != (uint32_t)h)
            continue;
        const struct snap_node *nd = &s->nodes[sl->node];
        if (nd->name_len == wire_len && memcmp(s->names + nd->name_off, wire, wire_len) == 0)
            return &nd->rr;
    }
}

uint64_t records_snapshot_version(const struct rec_snapshot *s)
{
    return s->version;
}

size_t records_snapshot_count(const struct rec_snapshot *s)
{
    return s->count;
}
