/* members.c — the member table: a name-hashed index plus the shuffled probe order, reaping of
 * long-dead members, random member selection, and the core's seeded RNG. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "swimmies/swim_int.h"

uint64_t swim_rand(struct swim *s)
{
    /* xorshift64* */
    uint64_t x = s->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    s->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

uint32_t swim_rand_below(struct swim *s, uint32_t n)
{
    if (n == 0)
        return 0;
    return (uint32_t)((swim_rand(s) >> 32) % n);
}

uint64_t swim_hash_name(const uint8_t *p, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    /* FNV's low bits mix poorly and the table indexes by them: finish with a 64-bit mixer */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static size_t slot_of(const struct swim *s, uint64_t h, const uint8_t *name, size_t len)
{
    size_t mask = s->table_cap - 1;
    size_t i = (size_t)h & mask;
    for (;;) {
        struct member *m = s->table[i];
        if (!m)
            return i;
        if (m->hash == h && m->name_len == len && memcmp(m->name, name, len) == 0)
            return i;
        i = (i + 1) & mask;
    }
}

struct member *swim_members_find(const struct swim *s, const uint8_t *name, size_t len)
{
    if (!s->table_cap)
        return NULL;
    uint64_t h = swim_hash_name(name, len);
    return s->table[slot_of(s, h, name, len)];
}

static int table_grow(struct swim *s)
{
    size_t ncap = s->table_cap ? s->table_cap * 2 : 64;
    struct member **nt = calloc(ncap, sizeof(struct member *));
    if (!nt)
        return -ENOMEM;
    struct member **old = s->table;
    size_t ocap = s->table_cap;
    s->table = nt;
    s->table_cap = ncap;
    for (size_t i = 0; i < ocap; i++)
        if (old[i])
            s->table[slot_of(s, old[i]->hash, (uint8_t *)old[i]->name, old[i]->name_len)] = old[i];
    free(old);
    return 0;
}

struct member *swim_members_add(struct swim *s, const uint8_t *name, size_t len)
{
    if ((s->table_used + 1) * 2 > s->table_cap && table_grow(s) < 0)
        return NULL;
    /* a vector of pointers: sizeof one element is that of a pointer */
    if (!vec_reserve(&s->nodes, s->nodes.n + 1)) // NOLINT(bugprone-sizeof-expression)
        return NULL;
    struct member *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->name = malloc(len + 1);
    if (!m->name) {
        free(m);
        return NULL;
    }
    memcpy(m->name, name, len);
    m->name[len] = 0;
    m->name_len = len;
    m->hash = swim_hash_name(name, len);
    m->state = SWIM_DEAD;
    s->table[slot_of(s, m->hash, name, len)] = m;
    s->table_used++;

    /* Insert at a random offset, as memberlist does, so new nodes are probed soon. */
    size_t n = s->nodes.n;
    size_t off = swim_rand_below(s, (uint32_t)n + 1);
    s->nodes.v[n] = m;
    m->idx = n;
    if (off != n) {
        struct member *o = s->nodes.v[off];
        s->nodes.v[off] = m;
        m->idx = off;
        s->nodes.v[n] = o;
        o->idx = n;
    }
    s->nodes.n++;
    return m;
}

static void table_delete(struct swim *s, struct member *m)
{
    size_t mask = s->table_cap - 1;
    size_t i = slot_of(s, m->hash, (uint8_t *)m->name, m->name_len);
    if (s->table[i] != m)
        return;
    s->table[i] = NULL;
    s->table_used--;
    /* Backward-shift the cluster that follows so lookups keep working. */
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        struct member *x = s->table[j];
        if (!x)
            break;
        size_t home = (size_t)x->hash & mask;
        bool between = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
        if (between)
            continue;
        s->table[i] = x;
        s->table[j] = NULL;
        i = j;
    }
}

void swim_members_suspect_add(struct swim *s, struct member *m)
{
    m->sidx = s->suspects.n;
    if (!vec_push(&s->suspects, m)) // NOLINT(bugprone-sizeof-expression): vector of pointers
        return; /* the timer then never fires; the next suspect message retries */
}

void swim_members_suspect_del(struct swim *s, struct member *m)
{
    if (!m->susp)
        return;
    free(m->susp);
    m->susp = NULL;
    size_t i = m->sidx;
    if (i < s->suspects.n && s->suspects.v[i] == m) {
        s->suspects.v[i] = s->suspects.v[--s->suspects.n];
        s->suspects.v[i]->sidx = i;
    }
}

static void member_free(struct swim *s, struct member *m)
{
    swim_bq_drop_member(s, m);
    swim_members_suspect_del(s, m);
    free(m->meta);
    free(m->name);
    free(m);
}

void swim_members_remove(struct swim *s, struct member *m)
{
    table_delete(s, m);
    size_t i = m->idx;
    s->nodes.v[i] = s->nodes.v[--s->nodes.n];
    s->nodes.v[i]->idx = i;
    member_free(s, m);
}

void swim_members_shuffle(struct swim *s)
{
    for (size_t i = s->nodes.n; i > 1; i--) {
        size_t j = swim_rand_below(s, (uint32_t)i);
        struct member *t = s->nodes.v[i - 1];
        s->nodes.v[i - 1] = s->nodes.v[j];
        s->nodes.v[j] = t;
    }
    for (size_t i = 0; i < s->nodes.n; i++)
        s->nodes.v[i]->idx = i;
}

void swim_members_reap(struct swim *s)
{
    for (size_t i = 0; i < s->nodes.n;) {
        struct member *m = s->nodes.v[i];
        if (m != s->self && (m->state == SWIM_DEAD || m->state == SWIM_LEFT) &&
            s->now - m->state_change > s->cfg.gossip_to_dead_ms) {
            if (m->state == SWIM_DEAD)
                swim_reconnect_remember(s, m);
            swim_members_remove(s, m); /* moves the last one into i */
            continue;
        }
        i++;
    }
    swim_members_shuffle(s);
}

size_t swim_members_k_random(struct swim *s, size_t k, struct member **out,
                             bool (*skip)(struct swim *s, struct member *m, void *ctx), void *ctx)
{
    size_t n = s->nodes.n, got = 0;
    for (size_t i = 0; i < 3 * n && got < k; i++) {
        struct member *m = s->nodes.v[swim_rand_below(s, (uint32_t)n)];
        if (skip && skip(s, m, ctx))
            continue;
        bool dup = false;
        for (size_t j = 0; j < got; j++)
            if (out[j] == m)
                dup = true;
        if (!dup)
            out[got++] = m;
    }
    return got;
}

void swim_members_fill_view(const struct swim *s, const struct member *m, struct swim_member *out)
{
    out->name = m->name;
    out->addr = m->addr;
    out->meta = m->meta;
    out->meta_len = m->meta_len;
    out->state = m->state;
    out->incarnation = m->incarnation;
    memcpy(out->vsn, m->vsn, 6);
    out->state_change_ms = m->state_change;
    out->is_self = (m == s->self);
}

int swim_members_set_meta(struct member *m, const uint8_t *meta, size_t len)
{
    if (len == m->meta_len && (len == 0 || memcmp(meta, m->meta, len) == 0))
        return 0;
    uint8_t *nm = NULL;
    if (len) {
        nm = malloc(len);
        if (!nm)
            return -ENOMEM;
        memcpy(nm, meta, len);
    }
    free(m->meta);
    m->meta = nm;
    m->meta_len = len;
    return 1;
}
