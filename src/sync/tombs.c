/* sync/tombs.c — collection of this node's own tombstones: at once with no live peer, once every
 * live member has confirmed them, or once they are older than SYNC_TOMB_MAX_AGE_MS. */
#include "sync/repl_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"

/* The lowest of our seqs every live member has reported holding (0 if one has not reported). */
static uint64_t confirmed_upto(const struct repl *r, const struct name_list *l,
                               struct rec_version mine)
{
    uint64_t upto = mine.seq;
    for (size_t i = 0; i < l->n && upto; i++) {
        bool found = false;
        for (size_t k = 0; k < r->n_seen; k++) {
            if (strcmp(r->seen[k].node, l->ids[i]) == 0 && r->seen[k].ver.epoch == mine.epoch) {
                found = true;
                if (r->seen[k].ver.seq < upto)
                    upto = r->seen[k].ver.seq;
            }
        }
        if (!found)
            upto = 0;
    }
    return upto;
}

/* Remembers our seq at this tick, so tombstone ages can be told from seqs. */
static void tomb_mark(struct repl *r, uint64_t now, struct rec_version mine)
{
    struct sync_tomb_mark *last =
        r->n_marks ? &r->marks[(r->mark_head + r->n_marks - 1) % SYNC_TOMB_MARKS] : NULL;
    if (last && last->epoch == mine.epoch && last->seq == mine.seq)
        return; /* nothing changed since: the older mark dates these seqs */
    if (r->n_marks == SYNC_TOMB_MARKS) {
        r->mark_head = (r->mark_head + 1) % SYNC_TOMB_MARKS;
        r->n_marks--;
    }
    r->marks[(r->mark_head + r->n_marks) % SYNC_TOMB_MARKS] =
        (struct sync_tomb_mark){now, mine.epoch, mine.seq};
    r->n_marks++;
}

/* The highest seq we already had SYNC_TOMB_MAX_AGE_MS ago (0 if none is that old). */
static uint64_t tomb_aged_upto(const struct repl *r, uint64_t now, uint64_t epoch)
{
    uint64_t upto = 0;
    for (size_t i = 0; i < r->n_marks; i++) {
        const struct sync_tomb_mark *m = &r->marks[(r->mark_head + i) % SYNC_TOMB_MARKS];
        if (m->epoch == epoch && now - m->ms >= SYNC_TOMB_MAX_AGE_MS && m->seq > upto)
            upto = m->seq;
    }
    return upto;
}

void repl_tombs_collect(struct repl *r, uint64_t now)
{
    /* Our own tombstones (the argument is in docs/dns-sync.md, "Tombstones"): no peer's
     * convergence depends on them, because every repair and every anti-entropy exchange is a full
     * state carrying our version, and a merge drops what it holds of ours at or below that version
     * and absent from the state. They only let deltas describe removals for a while. So: with no
     * live peer they go at once (a peer that comes back reconciles by full state); otherwise once
     * every live member has reported holding our records past them, or once they are older than
     * SYNC_TOMB_MAX_AGE_MS (a member that never reports, like a serf agent, must not pin them). */
    struct rec_version mine;
    if (!r->st.owner_version(r->st.ctx, r->node_id, &mine))
        return;
    tomb_mark(r, now, mine);
    if (r->gc_epoch == mine.epoch && r->gc_upto >= mine.seq)
        return; /* everything up to our version is collected already */
    struct name_list l;
    repl_live_members(r, &l);
    {
        uint64_t upto = l.n == 0 ? mine.seq : confirmed_upto(r, &l, mine);
        uint64_t aged = tomb_aged_upto(r, now, mine.epoch);
        if (aged > upto)
            upto = aged;
        if (upto > 0) {
            size_t n = r->st.gc_tombstones(r->st.ctx, r->node_id, upto);
            r->gc_epoch = mine.epoch;
            r->gc_upto = upto;
            if (n)
                log_debug(SYNC_MOD, "collected %zu tombstones up to seq %llu", n,
                          (unsigned long long)upto);
        }
    }
    free(l.ids);
}
