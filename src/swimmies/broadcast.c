/* broadcast.c — retransmit-limited gossip queues (memberlist queue.go): each message is sent
 * RetransmitMult * ceil(log10(N + 1)) times, least-transmitted first, newest first within a
 * transmit count; a newer message about a node (or a named user broadcast) replaces the queued
 * older one. Two queues: membership messages, then user broadcasts in the space left. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "swimmies/swim_int.h"

uint32_t swim_retransmit_limit(uint32_t mult, size_t n)
{
    double scale = ceil(log10((double)n + 1.0));
    return mult * (uint32_t)scale;
}

static void level_link(struct bqueue *q, struct bq_item *it)
{
    uint32_t lv = it->transmits < BQ_LEVELS ? it->transmits : BQ_LEVELS - 1;
    it->prev = NULL;
    it->next = q->head[lv];
    if (it->next)
        it->next->prev = it;
    q->head[lv] = it;
}

static void level_unlink(struct bqueue *q, struct bq_item *it)
{
    uint32_t lv = it->transmits < BQ_LEVELS ? it->transmits : BQ_LEVELS - 1;
    if (it->prev)
        it->prev->next = it->next;
    else
        q->head[lv] = it->next;
    if (it->next)
        it->next->prev = it->prev;
    it->prev = it->next = NULL;
}

/* Unlinks and frees; a finished or replaced leave broadcast completes the leave. */
static void item_finish(struct swim *s, struct bqueue *q, struct bq_item *it)
{
    level_unlink(q, it);
    q->count--;
    if (it->owner && it->owner->bcast == it)
        it->owner->bcast = NULL;
    if (it->notify_leave)
        s->leave_done = true;
    free(it->name);
    free(it);
}

void swim_bq_free_all(struct swim *s, struct bqueue *q)
{
    for (int lv = 0; lv < BQ_LEVELS; lv++) {
        struct bq_item *it = q->head[lv];
        while (it) {
            struct bq_item *next = it->next;
            item_finish(s, q, it);
            it = next;
        }
    }
}

static struct bq_item *item_new(const uint8_t *msg, size_t len)
{
    struct bq_item *it = calloc(1, sizeof(*it) + len);
    if (!it)
        return NULL;
    it->len = len;
    memcpy(it->data, msg, len);
    return it;
}

int swim_bq_queue_member(struct swim *s, struct member *m, const uint8_t *msg, size_t len,
                         bool notify_leave)
{
    struct bq_item *it = item_new(msg, len);
    if (!it)
        return -ENOMEM;
    if (m->bcast)
        item_finish(s, &s->bq, m->bcast);
    it->owner = m;
    it->notify_leave = notify_leave;
    m->bcast = it;
    level_link(&s->bq, it);
    s->bq.count++;
    return 0;
}

void swim_bq_drop_member(struct swim *s, struct member *m)
{
    if (m->bcast)
        item_finish(s, &s->bq, m->bcast);
}

/* Drops the most transmitted, oldest first, user broadcasts until the queue is back at 7/8 of
 * its limit (memberlist's Prune: with no one to gossip to, nothing would ever leave it). Runs
 * once per limit/8 insertions, so the walk is amortised. */
static void prune_user(struct swim *s)
{
    size_t max = s->cfg.user_queue_max ? s->cfg.user_queue_max : 4096;
    if (s->uq.count <= max)
        return;
    size_t keep = max - max / 8;
    for (int lv = BQ_LEVELS - 1; lv >= 0 && s->uq.count > keep; lv--) {
        struct bq_item *it = s->uq.head[lv];
        while (it && it->next)
            it = it->next;
        while (it && s->uq.count > keep) {
            struct bq_item *pv = it->prev;
            item_finish(s, &s->uq, it);
            s->m.broadcasts_dropped++;
            it = pv;
        }
    }
}

int swim_bq_queue_user(struct swim *s, const char *name, const uint8_t *msg, size_t len)
{
    struct bq_item *it = item_new(msg, len);
    if (!it)
        return -ENOMEM;
    if (name) {
        it->name = strdup(name);
        if (!it->name) {
            free(it);
            return -ENOMEM;
        }
        for (int lv = 0; lv < BQ_LEVELS; lv++) {
            for (struct bq_item *o = s->uq.head[lv]; o;) {
                struct bq_item *nx = o->next;
                if (o->name && strcmp(o->name, name) == 0)
                    item_finish(s, &s->uq, o);
                o = nx;
            }
        }
    }
    level_link(&s->uq, it);
    s->uq.count++;
    s->m.broadcasts_queued++;
    prune_user(s);
    return 0;
}

/* Picks from one queue; returns parts added. */
static size_t take_from(struct swim *s, struct bqueue *q, size_t overhead, size_t limit,
                        size_t *used, struct swim_bytes *parts, size_t max_parts, uint8_t *store,
                        size_t store_cap, size_t *store_used)
{
    if (!q->count)
        return 0;
    uint32_t tlimit = swim_retransmit_limit(s->cfg.retransmit_mult, s->nodes.n);
    struct bq_item *picked[SWIM_COMPOUND_MAX_PARTS];
    size_t np = 0, misses = 0;
    for (int lv = 0; lv < BQ_LEVELS && np < max_parts; lv++) {
        struct bq_item *it = q->head[lv];
        while (it && np < max_parts) {
            struct bq_item *nx = it->next;
            if (*used + overhead >= limit)
                goto done;
            size_t free_bytes = limit - *used - overhead;
            /* Messages are similar in size: after a run of misfits the packet is full. */
            if (it->len > free_bytes && ++misses > 32)
                goto done;
            if (it->len <= free_bytes && *store_used + it->len <= store_cap) {
                level_unlink(q, it);
                picked[np] = it;
                parts[np].p = store + *store_used;
                parts[np].len = it->len;
                memcpy(store + *store_used, it->data, it->len);
                *store_used += it->len;
                *used += overhead + it->len;
                np++;
            }
            it = nx;
        }
    }
done:
    for (size_t i = 0; i < np; i++) {
        struct bq_item *it = picked[i];
        if (it->transmits + 1 >= tlimit) {
            /* item_finish unlinks; relink first so the lists stay consistent */
            level_link(q, it);
            item_finish(s, q, it);
        } else {
            it->transmits++;
            level_link(q, it);
        }
    }
    return np;
}

size_t swim_bq_take(struct swim *s, size_t overhead, size_t limit, struct swim_bytes *parts,
                    size_t max_parts, uint8_t *store, size_t store_cap)
{
    size_t used = 0, store_used = 0;
    if (max_parts > SWIM_COMPOUND_MAX_PARTS)
        max_parts = SWIM_COMPOUND_MAX_PARTS;
    size_t n = take_from(s, &s->bq, overhead, limit, &used, parts, max_parts, store, store_cap,
                         &store_used);
    n += take_from(s, &s->uq, overhead, limit, &used, parts + n, max_parts - n, store, store_cap,
                   &store_used);
    return n;
}
