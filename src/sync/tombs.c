/* sync/tombs.c — collection of this node's own tombstones: at once with no live peer, once every
 * live member has confirmed them, or once they are older than SYNC_TOMB_MAX_AGE_MS. */
#include "sync/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"

/* The lowest of our seqs every live member has reported holding (0 if one has not reported). */
static uint64_t confirmed_upto(const struct sync *s, const struct name_list *l,
                               struct rec_version mine)
{
    uint64_t upto = mine.seq;
    for (size_t i = 0; i < l->n && upto; i++) {
        bool found = false;
        for (size_t k = 0; k < s->n_seen; k++) {
            if (strcmp(s->seen[k].node, l->ids[i]) == 0 && s->seen[k].ver.epoch == mine.epoch) {
                found = true;
                if (s->seen[k].ver.seq < upto)
                    upto = s->seen[k].ver.seq;
            }
        }
        if (!found)
            upto = 0;
    }
    return upto;
}

/* Remembers our seq at this tick, so tombstone ages can be told from seqs. */
static void tomb_mark(struct sync *s, uint64_t now, struct rec_version mine)
{
    struct sync_tomb_mark *last =
        s->n_marks ? &s->marks[(s->mark_head + s->n_marks - 1) % SYNC_TOMB_MARKS] : NULL;
    if (last && last->epoch == mine.epoch && last->seq == mine.seq)
        return; /* nothing changed since: the older mark dates these seqs */
    if (s->n_marks == SYNC_TOMB_MARKS) {
        s->mark_head = (s->mark_head + 1) % SYNC_TOMB_MARKS;
        s->n_marks--;
    }
    s->marks[(s->mark_head + s->n_marks) % SYNC_TOMB_MARKS] =
        (struct sync_tomb_mark){now, mine.epoch, mine.seq};
    s->n_marks++;
}

/* The highest seq we already had SYNC_TOMB_MAX_AGE_MS ago (0 if none is that old). */
static uint64_t tomb_aged_upto(const struct sync *s, uint64_t now, uint64_t epoch)
{
    uint64_t upto = 0;
    for (size_t i = 0; i < s->n_marks; i++) {
        const struct sync_tomb_mark *m = &s->marks[(s->mark_head + i) % SYNC_TOMB_MARKS];
        if (m->epoch == epoch && now - m->ms >= SYNC_TOMB_MAX_AGE_MS && m->seq > upto)
            upto = m->seq;
    }
    return upto;
}

void sync_tombs_collect(struct sync *s, uint64_t now)
{
    /* Our own tombstones (the argument is in docs/dns-sync.md, "Tombstones"): no peer's
     * convergence depends on them, because every repair and every anti-entropy exchange is a full
     * state carrying our version, and a merge drops what it holds of ours at or below that version
     * and absent from the state. They only let deltas describe removals for a while. So: with no
     * live peer they go at once (a peer that comes back reconciles by full state); otherwise once
     * every live member has reported holding our records past them, or once they are older than
     * SYNC_TOMB_MAX_AGE_MS (a member that never reports, like a serf agent, must not pin them). */
    struct name_list l = {.self = s->cfg.node_id};
    swim_foreach_member(s->swim, sync_collect_live, &l);
    struct rec_version mine;
    if (records_owner_version(s->records, s->cfg.node_id, &mine)) {
        tomb_mark(s, now, mine);
        uint64_t upto = l.n == 0 ? mine.seq : confirmed_upto(s, &l, mine);
        uint64_t aged = tomb_aged_upto(s, now, mine.epoch);
        if (aged > upto)
            upto = aged;
        if (upto > 0) {
            size_t n = records_gc_tombstones(s->records, s->cfg.node_id, upto);
            if (n)
                log_debug(SYNC_MOD, "collected %zu tombstones up to seq %llu", n,
                          (unsigned long long)upto);
        }
    }
    free(l.ids);
}
