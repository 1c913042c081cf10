/* records/snapshot.c — the immutable snapshot DNS workers read: one allocation holding an
 * open-addressing hash table (slot = hash + node index) keyed by the lowercase wire-format name,
 * the nodes (rrset + name offset), the A and AAAA address arrays, the PTR target lists (pointers
 * to the target names' wire forms in the same allocation) and the wire names. Lookups hash the
 * query name once, probe linearly and never allocate. A snapshot may be stacked over a base
 * (snap_set_base): its names, including those marked absent, hide the base's. */
#include "records/snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "core/vec.h"

#define SNAP_EMPTY UINT32_MAX
#define SNAP_FILTER_BITS 4096
#define TARGET_ONLY 0x80000000u /* a PTR target index into the builder's targets, not its names */

struct snap_slot {
    uint32_t hash;
    uint32_t node;
};

struct snap_node {
    struct rec_rrset rr;
    uint32_t name_off;
    uint16_t name_len;
    bool absent; /* SNAP_PAIR_ABSENT: hides the base's name */
};

struct rec_snapshot {
    uint64_t version;
    uint64_t digest;
    uint64_t sum;  /* the digest before its final mix: a sum over records */
    size_t count;  /* served (name, address) pairs */
    size_t nnames; /* names including empty non-terminals */
    uint32_t mask; /* slots - 1 */
    struct snap_slot *slots;
    struct snap_node *nodes;
    const uint8_t *names;
    const struct rec_snapshot *base;        /* snap_set_base: consulted for names this one lacks */
    uint64_t filter[SNAP_FILTER_BITS / 64]; /* with a base: a bit per name's hash, see lookups */
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

size_t records_name_to_wire(const char *name, uint8_t out[REC_WIRE_MAX])
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

static int addr_cmp(const void *x, const void *y)
{
    const struct rec_addr *a = x, *b = y;
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    return memcmp(a->bytes, b->bytes, a->type == REC_A ? 4 : 16);
}

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* Build-time state: names (real and empty non-terminals) in a growable open-addressing table;
 * an ancestor's wire form is a suffix of its child's, so it points into the child's bytes. */
struct bname {
    uint32_t off, len, hash;
    uint32_t head;   /* first pair of this name (list through next[]), SNAP_EMPTY if none */
    uint32_t naddrs; /* pairs before deduplication */
    uint32_t phead;  /* at a reverse name: first pair pointing here (list through pnext[]) */
    uint32_t nptrs;  /* such pairs before deduplication */
    bool absent;
};

struct builder {
    struct bname *names;
    size_t nn, capn;
    uint32_t *table; /* name indices, SNAP_EMPTY when free */
    size_t mask;
    uint8_t *blob;
    size_t blen, bcap;
};

static uint32_t bfind(const struct builder *b, uint32_t h, const uint8_t *w, size_t wl)
{
    for (size_t i = h & b->mask;; i = (i + 1) & b->mask) {
        uint32_t ix = b->table[i];
        if (ix == SNAP_EMPTY || !b->names)
            return SNAP_EMPTY;
        const struct bname *n = &b->names[ix];
        if (n->hash == h && n->len == wl && memcmp(b->blob + n->off, w, wl) == 0)
            return ix;
    }
}

static bool bgrow_table(struct builder *b)
{
    size_t cap = b->table ? (b->mask + 1) * 2 : 64;
    uint32_t *t = malloc(cap * sizeof *t);
    if (!t)
        return false;
    memset(t, 0xff, cap * sizeof *t);
    for (size_t ix = 0; ix < b->nn; ix++) {
        size_t i = b->names[ix].hash & (cap - 1);
        while (t[i] != SNAP_EMPTY)
            i = (i + 1) & (cap - 1);
        t[i] = (uint32_t)ix;
    }
    free(b->table);
    b->table = t;
    b->mask = cap - 1;
    return true;
}

static uint32_t binsert(struct builder *b, uint32_t off, uint32_t len, uint32_t h)
{
    if ((b->nn + 1) * 2 > b->mask + 1 && !bgrow_table(b))
        return SNAP_EMPTY;
    if (!vec_grow(b->names, b->capn, b->nn + 1))
        return SNAP_EMPTY;
    uint32_t ix = (uint32_t)b->nn++;
    b->names[ix] = (struct bname){off, len, h, SNAP_EMPTY, 0, SNAP_EMPTY, 0, false};
    size_t i = h & b->mask;
    while (b->table[i] != SNAP_EMPTY)
        i = (i + 1) & b->mask;
    b->table[i] = ix;
    return ix;
}

/* Adds wire name w (not yet held) without its ancestors; returns its index or SNAP_EMPTY. */
static uint32_t bstore(struct builder *b, const uint8_t *w, size_t wl, uint32_t h)
{
    if (!b->blob || b->blen + wl > b->bcap) {
        size_t cap = b->bcap ? b->bcap * 2 : 4096;
        while (cap < b->blen + wl)
            cap *= 2;
        uint8_t *nb = realloc(b->blob, cap);
        if (!nb)
            return SNAP_EMPTY;
        b->blob = nb;
        b->bcap = cap;
    }
    uint32_t off = (uint32_t)b->blen;
    memcpy(b->blob + off, w, wl);
    b->blen += wl;
    return binsert(b, off, (uint32_t)wl, h);
}

/* Finds or adds a wire name and its ancestors; returns its index or SNAP_EMPTY on failure. */
static uint32_t badd_wire(struct builder *b, const uint8_t *w, size_t wl)
{
    uint32_t h = (uint32_t)wire_hash(w, wl);
    uint32_t ix = bfind(b, h, w, wl);
    if (ix != SNAP_EMPTY)
        return ix;
    ix = bstore(b, w, wl, h);
    if (ix == SNAP_EMPTY)
        return SNAP_EMPTY;
    uint32_t off = b->names[ix].off;
    /* Ancestors up to (not including) the root; stop at the first one already known. */
    for (size_t k = (size_t)w[0] + 1; k < wl && w[k] != 0; k += (size_t)w[k] + 1) {
        uint32_t ah = (uint32_t)wire_hash(w + k, wl - k);
        if (bfind(b, ah, w + k, wl - k) != SNAP_EMPTY)
            break;
        if (binsert(b, off + (uint32_t)k, (uint32_t)(wl - k), ah) == SNAP_EMPTY)
            return SNAP_EMPTY;
    }
    return ix;
}

static uint32_t badd_name(struct builder *b, const char *name)
{
    uint8_t w[REC_WIRE_MAX];
    return badd_wire(b, w, records_name_to_wire(name, w));
}

/* The reverse name of an address in wire form (as records_reverse_name, without formatting). */
static size_t reverse_wire(const struct rec_addr *a, uint8_t out[REC_WIRE_MAX])
{
    static const uint8_t in_addr[] = "\7in-addr\4arpa", ip6[] = "\3ip6\4arpa";
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (a->type == REC_A) {
        for (int i = 3; i >= 0; i--) {
            unsigned v = a->bytes[i];
            size_t len = o++;
            if (v >= 100)
                out[o++] = (uint8_t)('0' + v / 100);
            if (v >= 10)
                out[o++] = (uint8_t)('0' + v / 10 % 10);
            out[o++] = (uint8_t)('0' + v % 10);
            out[len] = (uint8_t)(o - len - 1);
        }
        memcpy(out + o, in_addr, sizeof in_addr); /* the NUL is the root label */
        return o + sizeof in_addr;
    }
    for (int i = 15; i >= 0; i--) {
        out[o++] = 1;
        out[o++] = (uint8_t)hex[a->bytes[i] & 0x0f];
        out[o++] = 1;
        out[o++] = (uint8_t)hex[a->bytes[i] >> 4];
    }
    memcpy(out + o, ip6, sizeof ip6);
    return o + sizeof ip6;
}

/* A PTR target while a reverse name's list is built: the target's name index, rank and TTL. */
struct ptr_item {
    uint32_t target, rank, ttl;
    const char *name; /* presentation form, for a stable order between equal ranks */
};

static int ptr_target_cmp(const void *x, const void *y)
{
    const struct ptr_item *a = x, *b = y;
    if (a->target != b->target)
        return a->target < b->target ? -1 : 1;
    return a->rank < b->rank ? -1 : a->rank > b->rank;
}

static int ptr_order_cmp(const void *x, const void *y)
{
    const struct ptr_item *a = x, *b = y;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    return strcmp(a->name, b->name);
}

/* Sorts and deduplicates items[0..k) (one per target, its smallest rank) into PTR order;
 * returns the new count and the smallest TTL in *ttl. */
static size_t ptr_items_finish(struct ptr_item *items, size_t k, uint32_t *ttl)
{
    uint32_t min = UINT32_MAX;
    for (size_t i = 0; i < k; i++)
        if (items[i].ttl < min)
            min = items[i].ttl;
    if (k > 1)
        qsort(items, k, sizeof *items, ptr_target_cmp);
    size_t m = 0;
    for (size_t i = 0; i < k; i++)
        if (m == 0 || items[m - 1].target != items[i].target)
            items[m++] = items[i];
    if (m > 1)
        qsort(items, m, sizeof *items, ptr_order_cmp);
    *ttl = k ? min : 0;
    return m;
}

static void bfree(struct builder *b)
{
    free(b->names);
    free(b->table);
    free(b->blob);
}

struct rec_snapshot *snap_build(struct snap_pair *pairs, size_t n, uint64_t version)
{
    struct builder b = {0};
    struct builder tb = {0}; /* targets of PTR-only pairs that are no name of this snapshot */
    struct rec_snapshot *s = NULL;
    uint32_t *next = malloc((n ? n : 1) * sizeof *next);
    uint32_t *pnext = malloc((n ? n : 1) * sizeof *pnext);
    uint32_t *fwd = malloc((n ? n : 1) * sizeof *fwd); /* each pair's name index */
    struct rec_addr *scratch = NULL;
    struct ptr_item *items = NULL;
    if (!next || !pnext || !fwd || !bgrow_table(&b) || !bgrow_table(&tb))
        goto out;
    size_t n_a = 0, n_aaaa = 0, n_ptr = 0, maxper = 1, maxptr = 1;
    for (size_t i = 0; i < n; i++) {
        if (pairs[i].addr.type == REC_A)
            memset(pairs[i].addr.bytes + 4, 0, 12);
        if (pairs[i].ptr_only)
            continue;
        uint32_t ix = badd_name(&b, pairs[i].name);
        if (ix == SNAP_EMPTY)
            goto out;
        fwd[i] = ix;
        struct bname *nm = &b.names[ix];
        if (pairs[i].addr.type == SNAP_PAIR_ENT || pairs[i].addr.type == SNAP_PAIR_ABSENT) {
            nm->absent |= pairs[i].addr.type == SNAP_PAIR_ABSENT;
            pairs[i].ptr = false;
            continue;
        }
        next[i] = nm->head;
        nm->head = (uint32_t)i;
        if (++nm->naddrs > maxper)
            maxper = nm->naddrs;
        pairs[i].addr.type == REC_A ? n_a++ : n_aaaa++;
    }
    /* A PTR-only pair's target is this snapshot's name if it has it, else kept aside (a name of
     * its own here would hide the base's). */
    for (size_t i = 0; i < n; i++) {
        if (!pairs[i].ptr_only)
            continue;
        pairs[i].ptr = true;
        uint8_t w[REC_WIRE_MAX];
        size_t wl = records_name_to_wire(pairs[i].name, w);
        uint32_t h = (uint32_t)wire_hash(w, wl);
        uint32_t ix = bfind(&b, h, w, wl);
        if (ix == SNAP_EMPTY) {
            ix = bfind(&tb, h, w, wl);
            if (ix == SNAP_EMPTY && (ix = bstore(&tb, w, wl, h)) == SNAP_EMPTY)
                goto out;
            ix |= TARGET_ONLY;
        }
        fwd[i] = ix;
    }
    /* Reverse names after every forward name, so a pair's target index is final. */
    for (size_t i = 0; i < n; i++) {
        if (!pairs[i].ptr)
            continue;
        uint8_t rev[REC_WIRE_MAX];
        size_t rl = reverse_wire(&pairs[i].addr, rev);
        uint32_t ix = badd_wire(&b, rev, rl);
        if (ix == SNAP_EMPTY)
            goto out;
        struct bname *nm = &b.names[ix];
        pnext[i] = nm->phead;
        nm->phead = (uint32_t)i;
        if (++nm->nptrs > maxptr)
            maxptr = nm->nptrs;
        n_ptr++;
    }
    scratch = malloc(maxper * sizeof *scratch);
    items = malloc(maxptr * sizeof *items);
    if (!scratch || !items)
        goto out;

    size_t nn = b.nn, nslots = 2;
    while (nslots < 2 * nn)
        nslots <<= 1;
    size_t off_slots = align8(sizeof(struct rec_snapshot));
    size_t off_nodes = off_slots + align8(nslots * sizeof(struct snap_slot));
    size_t off_a = off_nodes + align8(nn * sizeof(struct snap_node));
    size_t off_aaaa = off_a + align8(n_a * 4);
    size_t off_ptr = off_aaaa + align8(n_aaaa * 16);
    size_t off_names = off_ptr + align8(n_ptr * sizeof(struct rec_wire));
    uint8_t *mem = calloc(1, off_names + b.blen + tb.blen);
    if (!mem)
        goto out;
    s = (struct rec_snapshot *)mem;
    s->version = version;
    s->nnames = nn;
    s->mask = (uint32_t)(nslots - 1);
    s->slots = (struct snap_slot *)(mem + off_slots);
    s->nodes = (struct snap_node *)(mem + off_nodes);
    uint8_t(*a)[4] = (uint8_t(*)[4])(mem + off_a);
    uint8_t(*aaaa)[16] = (uint8_t(*)[16])(mem + off_aaaa);
    struct rec_wire *ptr = (struct rec_wire *)(mem + off_ptr);
    uint8_t *wire = mem + off_names;
    if (b.blen)
        memcpy(wire, b.blob, b.blen);
    if (tb.blen)
        memcpy(wire + b.blen, tb.blob, tb.blen);
    s->names = wire;
    for (size_t i = 0; i < nslots; i++)
        s->slots[i].node = SNAP_EMPTY;

    /* Each name's addresses sorted and deduplicated (the same address from several sources or
     * owners is answered once), each set's TTL the smallest of its records'; the digest sums
     * per-record hashes (TTLs and PTR positions included) so it ignores the pairs' order. */
    size_t ia = 0, iaaaa = 0, iptr = 0, count = 0;
    uint64_t digest = 0;
    for (size_t i = 0; i < nn; i++) {
        const struct bname *bn = &b.names[i];
        struct snap_node *nd = &s->nodes[i];
        nd->name_off = bn->off;
        nd->name_len = (uint16_t)bn->len;
        nd->absent = bn->absent;
        nd->rr.a = a + ia;
        nd->rr.aaaa = aaaa + iaaaa;
        nd->rr.ptr = ptr + iptr;
        size_t k = 0;
        uint32_t ttl_a = UINT32_MAX, ttl_aaaa = UINT32_MAX;
        for (uint32_t p = bn->head; p != SNAP_EMPTY; p = next[p]) {
            scratch[k++] = pairs[p].addr;
            uint32_t *t = pairs[p].addr.type == REC_A ? &ttl_a : &ttl_aaaa;
            if (pairs[p].ttl < *t)
                *t = pairs[p].ttl;
        }
        if (k > 1)
            qsort(scratch, k, sizeof *scratch, addr_cmp);
        for (size_t j = 0; j < k; j++) {
            if (j > 0 && addr_cmp(&scratch[j - 1], &scratch[j]) == 0)
                continue;
            uint32_t ttl;
            if (scratch[j].type == REC_A) {
                if (nd->rr.n_a == UINT16_MAX)
                    continue;
                memcpy(a[ia++], scratch[j].bytes, 4);
                nd->rr.n_a++;
                ttl = nd->rr.ttl_a = ttl_a;
            } else {
                if (nd->rr.n_aaaa == UINT16_MAX)
                    continue;
                memcpy(aaaa[iaaaa++], scratch[j].bytes, 16);
                nd->rr.n_aaaa++;
                ttl = nd->rr.ttl_aaaa = ttl_aaaa;
            }
            digest += mix(bn->hash ^ wire_hash(scratch[j].bytes, 16) ^ scratch[j].type ^
                          (uint64_t)ttl << 32);
            count++;
        }
        k = 0;
        for (uint32_t p = bn->phead; p != SNAP_EMPTY; p = pnext[p])
            items[k++] = (struct ptr_item){fwd[p], pairs[p].rank, pairs[p].ttl, pairs[p].name};
        k = ptr_items_finish(items, k, &nd->rr.ttl_ptr);
        for (size_t j = 0; j < k && j < UINT16_MAX; j++) {
            uint32_t tx = items[j].target;
            const struct bname *tn = tx & TARGET_ONLY ? &tb.names[tx & ~TARGET_ONLY] : &b.names[tx];
            const uint8_t *tw = tx & TARGET_ONLY ? wire + b.blen : wire;
            // NOLINTNEXTLINE(clang-analyzer-core.NullDereference): a TARGET_ONLY index is in tb
            ptr[iptr++] = (struct rec_wire){tw + tn->off, tn->len};
            nd->rr.n_ptr++;
            digest += mix(bn->hash ^ (uint64_t)tn->hash << 20 ^ j << 8 ^ 12 ^
                          (uint64_t)nd->rr.ttl_ptr << 32);
        }
        for (uint32_t j = bn->hash & s->mask;; j = (j + 1) & s->mask) {
            if (s->slots[j].node == SNAP_EMPTY) {
                s->slots[j].hash = bn->hash;
                s->slots[j].node = (uint32_t)i;
                break;
            }
        }
    }
    s->count = count;
    s->sum = digest;
    s->digest = mix(digest ^ count);
out:
    free(next);
    free(pnext);
    free(fwd);
    free(scratch);
    free(items);
    bfree(&b);
    bfree(&tb);
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

/* What node nd (name hash h) adds to its snapshot's sum, as snap_build adds it. */
static uint64_t node_sum(const struct snap_node *nd, uint32_t h)
{
    uint64_t sum = 0;
    for (uint16_t i = 0; i < nd->rr.n_a; i++) {
        uint8_t b[16] = {0};
        memcpy(b, nd->rr.a[i], 4);
        sum += mix(h ^ wire_hash(b, 16) ^ REC_A ^ (uint64_t)nd->rr.ttl_a << 32);
    }
    for (uint16_t i = 0; i < nd->rr.n_aaaa; i++)
        sum += mix(h ^ wire_hash(nd->rr.aaaa[i], 16) ^ REC_AAAA ^ (uint64_t)nd->rr.ttl_aaaa << 32);
    for (size_t j = 0; j < nd->rr.n_ptr; j++) {
        uint32_t th = (uint32_t)wire_hash(nd->rr.ptr[j].wire, nd->rr.ptr[j].len);
        sum += mix(h ^ (uint64_t)th << 20 ^ j << 8 ^ 12 ^ (uint64_t)nd->rr.ttl_ptr << 32);
    }
    return sum;
}

static const struct snap_node *snap_find(const struct rec_snapshot *s, uint64_t h,
                                         const uint8_t *wire, size_t wire_len)
{
    for (uint32_t j = (uint32_t)h & s->mask;; j = (j + 1) & s->mask) {
        const struct snap_slot *sl = &s->slots[j];
        if (sl->node == SNAP_EMPTY)
            return NULL;
        if (sl->hash != (uint32_t)h)
            continue;
        const struct snap_node *nd = &s->nodes[sl->node];
        if (nd->name_len == wire_len && memcmp(s->names + nd->name_off, wire, wire_len) == 0)
            return nd;
    }
}

void snap_set_base(struct rec_snapshot *s, const struct rec_snapshot *base, size_t count)
{
    s->base = base;
    s->count = count;
    /* The whole's digest, as if built in one: the base's sum without the names s replaces. */
    uint64_t sum = base->sum + s->sum;
    for (uint32_t j = 0; j <= s->mask; j++) {
        const struct snap_slot *sl = &s->slots[j];
        if (sl->node == SNAP_EMPTY)
            continue;
        const struct snap_node *nd = &s->nodes[sl->node];
        const struct snap_node *old =
            snap_find(base, sl->hash, s->names + nd->name_off, nd->name_len);
        if (old)
            sum -= node_sum(old, sl->hash);
    }
    s->sum = sum;
    s->digest = mix(sum ^ count);
    for (uint32_t j = 0; j <= s->mask; j++) {
        if (s->slots[j].node != SNAP_EMPTY) {
            uint32_t b = s->slots[j].hash % SNAP_FILTER_BITS;
            s->filter[b / 64] |= 1ull << (b % 64);
        }
    }
}

void snap_set_version(struct rec_snapshot *s, uint64_t version)
{
    s->version = version;
}

const struct rec_rrset *records_lookup(const struct rec_snapshot *s, const uint8_t *wire,
                                       size_t wire_len)
{
    if (!s || !wire || wire_len == 0 || wire_len > REC_WIRE_MAX)
        return NULL;
    uint64_t h = wire_hash(wire, wire_len);
    /* Over a base, most names are not in this (small) snapshot: the filter says so at once. */
    uint32_t b = (uint32_t)h % SNAP_FILTER_BITS;
    const struct snap_node *nd = NULL;
    if (!s->base || (s->filter[b / 64] >> (b % 64) & 1))
        nd = snap_find(s, h, wire, wire_len);
    if (!nd && s->base)
        nd = snap_find(s->base, h, wire, wire_len);
    return nd && !nd->absent ? &nd->rr : NULL;
}

/* Whether the name of base node nd is hidden by s (s holds it). */
static bool hidden(const struct rec_snapshot *s, const struct rec_snapshot *base,
                   const struct snap_node *nd)
{
    const uint8_t *w = base->names + nd->name_off;
    uint64_t h = wire_hash(w, nd->name_len);
    uint32_t b = (uint32_t)h % SNAP_FILTER_BITS;
    return (s->filter[b / 64] >> (b % 64) & 1) && snap_find(s, h, w, nd->name_len);
}

/* Calls emit for every node of what s answers (s, then its base's nodes s does not hide) that
 * has records. */
static void each_answer(const struct rec_snapshot *s,
                        void (*emit)(const struct rec_snapshot *l, const struct snap_node *nd,
                                     void *ctx),
                        void *ctx)
{
    for (int layer = 0; layer < 2; layer++) {
        const struct rec_snapshot *l = layer ? s->base : s; // NOLINT: s is never NULL here
        for (size_t i = 0; l && i < l->nnames; i++) {
            const struct snap_node *nd = &l->nodes[i];
            if (!nd->absent && (nd->rr.n_a || nd->rr.n_aaaa || nd->rr.n_ptr) &&
                (!layer || !hidden(s, l, nd)))
                emit(l, nd, ctx);
        }
    }
}

struct pairs_out {
    size_t n, bytes;
    struct snap_pair *pairs;
    char *names;
};

static void count_answer(const struct rec_snapshot *l, const struct snap_node *nd, void *ctx)
{
    (void)l;
    struct pairs_out *o = ctx;
    o->n += (size_t)nd->rr.n_a + nd->rr.n_aaaa + nd->rr.n_ptr;
    o->bytes += nd->name_len;
    for (uint16_t j = 0; j < nd->rr.n_ptr; j++)
        o->bytes += nd->rr.ptr[j].len;
}

/* Writes wire name w in presentation form at o's names; returns it. */
static char *put_name(struct pairs_out *o, const uint8_t *w, size_t wl)
{
    char *name = o->names + o->bytes;
    size_t k = 0;
    for (size_t i = 0; w[i]; i += (size_t)w[i] + 1) {
        if (k)
            name[k++] = '.';
        memcpy(name + k, w + i + 1, w[i]);
        k += w[i];
    }
    name[k] = '\0';
    o->bytes += wl;
    return name;
}

static void put_answer(const struct rec_snapshot *l, const struct snap_node *nd, void *ctx)
{
    struct pairs_out *o = ctx;
    char *name = put_name(o, l->names + nd->name_off, nd->name_len);
    for (uint16_t i = 0; i < nd->rr.n_a; i++) {
        struct snap_pair *p = &o->pairs[o->n++];
        memset(p, 0, sizeof *p);
        p->name = name;
        p->addr.type = REC_A;
        memcpy(p->addr.bytes, nd->rr.a[i], 4);
        p->ttl = nd->rr.ttl_a;
    }
    for (uint16_t i = 0; i < nd->rr.n_aaaa; i++) {
        struct snap_pair *p = &o->pairs[o->n++];
        memset(p, 0, sizeof *p);
        p->name = name;
        p->addr.type = REC_AAAA;
        memcpy(p->addr.bytes, nd->rr.aaaa[i], 16);
        p->ttl = nd->rr.ttl_aaaa;
    }
    /* A reverse name's targets as PTR-only pairs, in order (rank = position). */
    struct rec_addr addr;
    if (!nd->rr.n_ptr || !records_parse_reverse_name(name, &addr))
        return;
    for (uint16_t j = 0; j < nd->rr.n_ptr; j++) {
        struct snap_pair *p = &o->pairs[o->n++];
        memset(p, 0, sizeof *p);
        p->name = put_name(o, nd->rr.ptr[j].wire, nd->rr.ptr[j].len);
        p->addr = addr;
        p->ttl = nd->rr.ttl_ptr;
        p->rank = j;
        p->ptr = p->ptr_only = true;
    }
}

bool snap_pairs(const struct rec_snapshot *s, struct snap_pair **pairs, size_t *n, char **names)
{
    struct pairs_out o = {0};
    each_answer(s, count_answer, &o);
    o.pairs = malloc((o.n ? o.n : 1) * sizeof *o.pairs);
    o.names = malloc(o.bytes ? o.bytes : 1);
    if (!o.pairs || !o.names) {
        free(o.pairs);
        free(o.names);
        return false;
    }
    o.n = o.bytes = 0;
    each_answer(s, put_answer, &o);
    *pairs = o.pairs;
    *n = o.n;
    *names = o.names;
    return true;
}

uint64_t records_snapshot_version(const struct rec_snapshot *s)
{
    return s->version;
}

uint64_t records_snapshot_digest(const struct rec_snapshot *s)
{
    return s->digest;
}

size_t records_snapshot_count(const struct rec_snapshot *s)
{
    return s->count;
}
