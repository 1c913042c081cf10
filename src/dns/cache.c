/* cache.c — the striped LRU cache of forwarded answers. The key is read from the stored message
 * itself (its question is already lowercase in the normal form), plus the DO bit, so an entry is
 * one allocation: links, times, and the message. */
#include "dns/cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dns/fwd_wire.h"

#define MAX_STRIPES 64

struct entry {
    struct entry *chain;       /* hash bucket */
    struct entry *prev, *next; /* LRU: head is the least recently used */
    uint64_t hash;
    uint64_t stored_ms, expire_ms;
    uint16_t rcode;
    uint16_t qlen; /* question length (name + type + class) */
    bool do_bit;
    uint16_t len;
    uint8_t msg[];
};

struct stripe {
    pthread_mutex_t mu;
    struct entry **buckets;
    size_t mask; /* buckets - 1 */
    struct entry *head, *tail;
    size_t n, cap;
    uint64_t bytes;
    uint64_t hits, misses, stale_hits, inserts, evictions;
} __attribute__((aligned(64)));

struct fwd_cache {
    size_t n_stripes;
    struct stripe *stripes;
};

static uint64_t hash_key(const uint8_t *question, size_t qlen, bool do_bit)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < qlen; i++) {
        h ^= question[i];
        h *= 1099511628211ull;
    }
    h ^= do_bit ? 0x9e3779b97f4a7c15ull : 0;
    return h * 1099511628211ull;
}

struct fwd_cache *fwd_cache_new(size_t max_entries)
{
    struct fwd_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    size_t ns = 1;
    while (ns < MAX_STRIPES && ns * 2 * 16 <= max_entries)
        ns *= 2;
    c->n_stripes = ns;
    if (posix_memalign((void **)&c->stripes, 64, ns * sizeof *c->stripes) != 0) {
        free(c);
        return NULL;
    }
    memset(c->stripes, 0, ns * sizeof *c->stripes);
    for (size_t i = 0; i < ns; i++) {
        struct stripe *s = &c->stripes[i];
        s->cap = max_entries / ns + (i < max_entries % ns ? 1 : 0);
        size_t nb = 16;
        while (nb < s->cap)
            nb *= 2;
        s->buckets =
            calloc(nb, sizeof *s->buckets); // NOLINT(bugprone-sizeof-expression): T is a pointer
        s->mask = nb - 1;
        pthread_mutex_init(&s->mu, NULL);
        if (!s->buckets) {
            c->n_stripes = i + 1;
            fwd_cache_free(c);
            return NULL;
        }
    }
    return c;
}

void fwd_cache_free(struct fwd_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_stripes; i++) {
        struct stripe *s = &c->stripes[i];
        for (struct entry *e = s->head, *n; e; e = n) {
            n = e->next;
            free(e);
        }
        free(s->buckets);
        pthread_mutex_destroy(&s->mu);
    }
    free(c->stripes);
    free(c);
}

static void lru_unlink(struct stripe *s, struct entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        s->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        s->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_append(struct stripe *s, struct entry *e)
{
    e->prev = s->tail;
    e->next = NULL;
    if (s->tail)
        s->tail->next = e;
    else
        s->head = e;
    s->tail = e;
}

static struct entry **find_slot(struct stripe *s, uint64_t h, const uint8_t *question, size_t qlen,
                                bool do_bit)
{
    struct entry **pp = &s->buckets[h & s->mask];
    for (; *pp; pp = &(*pp)->chain) {
        const struct entry *e = *pp;
        if (e->hash == h && e->do_bit == do_bit && e->qlen == qlen &&
            memcmp(e->msg + DNS_HEADER_LEN, question, qlen) == 0)
            return pp;
    }
    return pp;
}

static void remove_entry(struct stripe *s, struct entry *e)
{
    struct entry **pp = find_slot(s, e->hash, e->msg + DNS_HEADER_LEN, e->qlen, e->do_bit);
    if (*pp == e)
        *pp = e->chain;
    lru_unlink(s, e);
    s->n--;
    s->bytes -= sizeof *e + e->len;
    free(e);
}

/* Question length of a normal-form message (plain labels + type + class), 0 if malformed. */
static size_t question_len(const uint8_t *msg, size_t len)
{
    size_t o = DNS_HEADER_LEN;
    while (o < len && msg[o] != 0 && !(msg[o] & 0xC0))
        o += 1 + (size_t)msg[o];
    if (o >= len || msg[o] != 0 || len - o - 1 < 4)
        return 0;
    return o + 1 + 4 - DNS_HEADER_LEN;
}

bool fwd_cache_put(struct fwd_cache *c, const uint8_t *msg, size_t len, bool do_bit, uint16_t rcode,
                   uint32_t lifetime_s, uint64_t now_ms)
{
    size_t qlen = question_len(msg, len);
    if (qlen == 0 || lifetime_s == 0 || len > UINT16_MAX)
        return false;
    uint64_t h = hash_key(msg + DNS_HEADER_LEN, qlen, do_bit);
    struct stripe *s = &c->stripes[(h >> 32) & (c->n_stripes - 1)];
    struct entry *e = malloc(sizeof *e + len);
    if (!e)
        return false;
    e->hash = h;
    e->stored_ms = now_ms;
    e->expire_ms = now_ms + (uint64_t)lifetime_s * 1000u;
    e->rcode = rcode;
    e->qlen = (uint16_t)qlen;
    e->do_bit = do_bit;
    e->len = (uint16_t)len;
    memcpy(e->msg, msg, len);
    pthread_mutex_lock(&s->mu);
    struct entry **pp = find_slot(s, h, e->msg + DNS_HEADER_LEN, qlen, do_bit);
    if (*pp)
        remove_entry(s, *pp);
    while (s->n >= s->cap && s->head) {
        s->evictions++;
        remove_entry(s, s->head);
    }
    pp = find_slot(s, h, e->msg + DNS_HEADER_LEN, qlen, do_bit);
    e->chain = NULL;
    *pp = e;
    lru_append(s, e);
    s->n++;
    s->bytes += sizeof *e + len;
    s->inserts++;
    pthread_mutex_unlock(&s->mu);
    return true;
}

enum fwd_cache_result fwd_cache_answer(struct fwd_cache *c, const struct dns_query *q,
                                       uint64_t now_ms, enum fwd_cache_mode mode, size_t limit,
                                       uint8_t *out, size_t cap, size_t *outlen, uint16_t *rcode,
                                       bool *truncated)
{
    /* the stored question is the lowercase name with the client's type and class */
    uint8_t question[DNS_NAME_MAX + 4];
    size_t qlen = (size_t)q->qname_len + 4;
    memcpy(question, q->qname, q->qname_len);
    question[q->qname_len] = (uint8_t)(q->qtype >> 8);
    question[q->qname_len + 1] = (uint8_t)q->qtype;
    question[q->qname_len + 2] = (uint8_t)(q->qclass >> 8);
    question[q->qname_len + 3] = (uint8_t)q->qclass;
    uint64_t h = hash_key(question, qlen, q->edns_do);
    struct stripe *s = &c->stripes[(h >> 32) & (c->n_stripes - 1)];
    enum fwd_cache_result res = FWD_CACHE_MISS;
    *outlen = 0;
    pthread_mutex_lock(&s->mu);
    struct entry *e = *find_slot(s, h, question, qlen, q->edns_do);
    if (e && now_ms >= e->expire_ms + (uint64_t)FWD_STALE_WINDOW_S * 1000u) {
        remove_entry(s, e);
        e = NULL;
    }
    if (e && (now_ms < e->expire_ms || mode == FWD_LOOKUP_STALE)) {
        bool stale = now_ms >= e->expire_ms;
        uint32_t elapsed = (uint32_t)((now_ms - e->stored_ms) / 1000u);
        *outlen = fwd_answer(e->msg, e->len, e->rcode, q, elapsed, stale ? FWD_STALE_TTL : 0, limit,
                             out, cap, truncated);
        *rcode = e->rcode;
        if (*outlen) {
            res = stale ? FWD_CACHE_STALE : FWD_CACHE_FRESH;
            lru_unlink(s, e);
            lru_append(s, e);
        }
    }
    if (res == FWD_CACHE_STALE)
        s->stale_hits++;
    else if (mode == FWD_LOOKUP_CLIENT)
        res == FWD_CACHE_FRESH ? s->hits++ : s->misses++;
    pthread_mutex_unlock(&s->mu);
    return res;
}

void fwd_cache_get_stats(struct fwd_cache *c, struct fwd_cache_stats *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < c->n_stripes; i++) {
        struct stripe *s = &c->stripes[i];
        pthread_mutex_lock(&s->mu);
        out->hits += s->hits;
        out->misses += s->misses;
        out->stale_hits += s->stale_hits;
        out->inserts += s->inserts;
        out->evictions += s->evictions;
        out->entries += s->n;
        out->bytes += s->bytes;
        pthread_mutex_unlock(&s->mu);
    }
}
