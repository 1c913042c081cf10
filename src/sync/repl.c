/* sync/repl.c — record replication over swimmies: local deltas batched into gossip, full owner
 * states for push/pull and on-demand exchanges, gap detection with targeted repairs, owner
 * liveness from membership events, and retries of unanswered repairs. */
#include "sync/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/vec.h"

#define REPAIR_MAX_TRIES 8

/* ---- helpers ---- */

bool sync_member_live(struct sync *s, const char *name)
{
    struct swim_member m;
    if (!s->swim || strcmp(name, s->cfg.node_id) == 0 || !swim_get_member(s->swim, name, &m) ||
        m.is_self)
        return false;
    return m.state == SWIM_ALIVE || m.state == SWIM_SUSPECT;
}

static bool member_gone(struct sync *s, const char *name)
{
    struct swim_member m;
    if (!swim_get_member(s->swim, name, &m))
        return false;
    return m.state == SWIM_DEAD || m.state == SWIM_LEFT;
}

bool sync_collect_live(void *ctx, const struct swim_member *m)
{
    struct name_list *l = ctx;
    if (m->is_self || (m->state != SWIM_ALIVE && m->state != SWIM_SUSPECT))
        return true;
    if (l->self && strcmp(m->name, l->self) == 0)
        return true;
    if (!vec_grow(l->ids, l->cap, l->n + 1))
        return false;
    snprintf(l->ids[l->n++], sizeof l->ids[0], "%s", m->name);
    return true;
}

static void send_reliable(struct sync *s, const char *to, const struct sync_buf *b)
{
    int rc = swim_send_user(s->swim, to, b->p, b->len, true);
    if (rc < 0)
        log_debug(SYNC_MOD, "sending %zu bytes to %s failed (%d)", b->len, to, rc);
}

/* ---- local deltas: observer (any thread) -> queue -> gossip (loop thread) ---- */

/* Sends our current version to every live peer (directly when few, and as a named gossip
 * broadcast that a newer beacon replaces). */
static void send_beacon(void *ctx)
{
    struct sync *s = ctx;
    s->beacon_timer = NULL;
    struct rec_version ver;
    if (s->stopping || !s->swim || !records_owner_version(s->records, s->cfg.node_id, &ver))
        return;
    struct sync_buf b = {0};
    if (sync_encode_version(&b, s->cfg.node_id, ver)) {
        char bname[REC_OWNER_MAX + 8];
        snprintf(bname, sizeof bname, "v:%s", s->cfg.node_id);
        swim_broadcast(s->swim, bname, b.p, b.len);
        struct name_list l = {.self = s->cfg.node_id};
        swim_foreach_member(s->swim, sync_collect_live, &l);
        for (size_t i = 0; l.n <= s->direct_max && i < l.n; i++)
            swim_send_user(s->swim, l.ids[i], b.p, b.len, false);
        free(l.ids);
    }
    sync_buf_free(&b);
}

static void flush_deltas(void *ctx)
{
    struct sync *s = ctx;
    pthread_mutex_lock(&s->qmu);
    struct rec_delta *d = s->pending;
    size_t n = s->n_pending;
    s->pending = NULL;
    s->n_pending = s->cap_pending = 0;
    s->flush_posted = false;
    bool stopping = s->stopping;
    pthread_mutex_unlock(&s->qmu);
    if (stopping)
        n = 0; /* leaving: peers drop our records anyway */

    struct sync_buf b = {0};
    size_t done = 0, msgs = 0;
    struct name_list direct = {.self = s->cfg.node_id};
    if (n && s->swim)
        swim_foreach_member(s->swim, sync_collect_live, &direct);
    if (direct.n == 0)
        n = 0; /* nobody to tell: a member that joins or comes back gets our full state */
    if (direct.n > s->direct_max)
        direct.n = 0;
    while (done < n && s->swim) {
        size_t k = sync_encode_deltas(&b, d + done, n - done, SYNC_GOSSIP_MAX);
        if (k == 0) {
            log_warn(SYNC_MOD, "could not encode delta for %s", d[done].name);
            done++;
            continue;
        }
        int rc = swim_broadcast(s->swim, NULL, b.p, b.len);
        if (rc < 0)
            log_warn(SYNC_MOD, "gossip of %zu record changes failed (%d)", k, rc);
        else
            msgs++;
        /* Small clusters: also send it straight to every live member now instead of waiting
         * for the next gossip round; the gossip copy stays as the loss-tolerant path. */
        for (size_t i = 0; i < direct.n; i++)
            swim_send_user(s->swim, direct.ids[i], b.p, b.len, false);
        done += k;
    }
    free(direct.ids);
    sync_buf_free(&b);
    free(d);
    if (msgs && s->net) {
        /* (re)arm the version beacon for after the last change of a burst */
        if (s->beacon_timer)
            loop_timer_cancel(s->loop, s->beacon_timer);
        s->beacon_timer = loop_timer_add(s->loop, SYNC_BEACON_DELAY_MS, send_beacon, s);
    }
    if (n) {
        pthread_mutex_lock(&s->mu);
        s->stats.deltas_sent += n;
        s->stats.delta_msgs_sent += msgs;
        pthread_mutex_unlock(&s->mu);
        log_debug(SYNC_MOD, "gossiping %zu record changes in %zu messages", n, msgs);
    }
}

void sync_repl_on_delta(const struct rec_delta *d, void *ctx)
{
    struct sync *s = ctx;
    pthread_mutex_lock(&s->qmu);
    if (!vec_grow(s->pending, s->cap_pending, s->n_pending + 1)) {
        /* Lost for gossip; peers repair from the gap or the next push/pull. */
        pthread_mutex_unlock(&s->qmu);
        return;
    }
    s->pending[s->n_pending++] = *d;
    if (!s->flush_posted && !s->stopping && loop_post(s->loop, flush_deltas, s) == 0)
        s->flush_posted = true;
    pthread_mutex_unlock(&s->qmu);
}

/* ---- full states ---- */

struct owner_list {
    char (*ids)[REC_OWNER_MAX + 1];
    size_t n, cap;
    bool oom;
};

static void collect_owner(const struct rec_view *v, void *ctx)
{
    struct owner_list *l = ctx;
    /* Entries come grouped by owner, so comparing with the last one is enough in practice; a
     * short scan keeps it correct whatever the order. */
    for (size_t i = l->n; i > 0; i--)
        if (strcmp(l->ids[i - 1], v->owner) == 0)
            return;
    if (!vec_grow(l->ids, l->cap, l->n + 1)) {
        l->oom = true;
        return;
    }
    snprintf(l->ids[l->n++], sizeof l->ids[0], "%s", v->owner);
}

static void encode_entry(const struct rec_view *v, void *ctx)
{
    sync_encode_state_entry(ctx, v);
}

static void encode_owner(struct sync *s, struct sync_buf *b, const char *owner)
{
    /* The version is only known under the export's lock; encode the owner header with a
     * placeholder, then patch it once the export returns. */
    size_t at = b->len;
    sync_encode_state_owner(b, owner, (struct rec_version){0, 0});
    struct rec_version ver;
    if (!records_export_owner(s->records, owner, &ver, encode_entry, b)) {
        /* unknown now: drop what was written */
        b->len = at;
        b->n_owners--;
        b->entries_at = 0;
        return;
    }
    sync_encode_state_owner_end(b);
    size_t ver_at = at + 1 + strlen(owner);
    for (int i = 0; i < 8 && !b->oom; i++) {
        b->p[ver_at + (size_t)i] = (uint8_t)(ver.epoch >> (56 - 8 * i));
        b->p[ver_at + 8 + (size_t)i] = (uint8_t)(ver.seq >> (56 - 8 * i));
    }
}

/* Our full state: every owner we know (ours first), or only `only` when given. */
static bool build_state(struct sync *s, struct sync_buf *b, uint8_t flags, const char *only)
{
    sync_encode_state_begin(b, s->cfg.node_id, flags);
    if (only) {
        encode_owner(s, b, only);
    } else {
        struct owner_list l = {0};
        records_foreach(s->records, false, collect_owner, &l);
        encode_owner(s, b, s->cfg.node_id);
        for (size_t i = 0; i < l.n; i++)
            if (strcmp(l.ids[i], s->cfg.node_id) != 0)
                encode_owner(s, b, l.ids[i]);
        free(l.ids);
    }
    return sync_encode_state_end(b);
}

void sync_repl_local_state(void *ctx, bool join, uint8_t **out, size_t *out_len)
{
    struct sync *s = ctx;
    (void)join;
    struct sync_buf b = {0};
    if (!build_state(s, &b, 0, NULL)) {
        sync_buf_free(&b);
        *out = NULL;
        *out_len = 0;
        return;
    }
    *out = b.p;
    *out_len = b.len;
    SYNC_STAT(s, states_sent, 1);
}

static void note_peer_seen(struct sync *s, const char *peer, struct rec_version ver)
{
    for (size_t i = 0; i < s->n_seen; i++) {
        if (strcmp(s->seen[i].node, peer) == 0) {
            s->seen[i].ver = ver;
            return;
        }
    }
    if (!vec_grow(s->seen, s->cap_seen, s->n_seen + 1))
        return;
    snprintf(s->seen[s->n_seen].node, sizeof s->seen[0].node, "%s", peer);
    s->seen[s->n_seen++].ver = ver;
}

static void forget_peer_seen(struct sync *s, const char *peer)
{
    for (size_t i = 0; i < s->n_seen; i++) {
        if (strcmp(s->seen[i].node, peer) == 0) {
            s->seen[i] = s->seen[--s->n_seen];
            return;
        }
    }
}

/* Settles the repair of owner once we hold everything up to need. */
static void repair_check(struct sync *s, const char *owner)
{
    for (size_t i = 0; i < s->n_repairs; i++) {
        struct sync_repair *r = &s->repairs[i];
        if (!r->active || strcmp(r->owner, owner) != 0)
            continue;
        struct rec_version have;
        if (!records_owner_version(s->records, owner, &have))
            return;
        if (have.epoch > r->need.epoch ||
            (have.epoch == r->need.epoch && have.seq >= r->need.seq)) {
            r->active = false;
            double ms = (double)(loop_now_ms() - r->detected_ms);
            pthread_mutex_lock(&s->mu);
            s->stats.repairs_completed++;
            s->stats.last_repair_ms = ms;
            pthread_mutex_unlock(&s->mu);
            log_info(SYNC_MOD, "repaired records of %s %.0f ms after the gap", owner, ms);
        }
        return;
    }
}

/* Merges one decoded state; returns the number of entries it carried for merged owners. */
static void merge_state(struct sync *s, const struct sync_state *st, const char *how)
{
    size_t carried = 0;
    int changes = 0;
    for (size_t i = 0; i < st->n_owners; i++) {
        const struct sync_owner_state *o = &st->owners[i];
        if (strcmp(o->owner, s->cfg.node_id) == 0) {
            struct rec_version mine;
            if (records_owner_version(s->records, s->cfg.node_id, &mine) &&
                o->ver.epoch == mine.epoch)
                note_peer_seen(s, st->sender, o->ver);
            continue;
        }
        /* Only owners the membership says are alive: a dead or departed owner's state travelling
         * through a peer must not bring it back. The sender itself is evidently alive. */
        bool live = sync_member_live(s, o->owner) ||
                    (strcmp(o->owner, st->sender) == 0 && !member_gone(s, o->owner));
        if (!live)
            continue;
        /* A relayed state no newer than ours brings nothing and, being older, could resurrect
         * entries whose tombstones were collected. The owner's own state at our version is
         * authoritative: merging it drops the tombstones the owner has collected. */
        struct rec_version have;
        bool from_owner = strcmp(o->owner, st->sender) == 0;
        if (records_owner_version(s->records, o->owner, &have) && have.epoch == o->ver.epoch &&
            (o->ver.seq < have.seq || (o->ver.seq == have.seq && !from_owner)))
            continue;
        int c = records_merge_owner(s->records, o->owner, o->ver, o->entries, o->n);
        if (c < 0)
            continue;
        changes += c;
        carried += o->n;
        repair_check(s, o->owner);
    }
    pthread_mutex_lock(&s->mu);
    s->stats.states_merged++;
    s->stats.sync_operations++;
    s->stats.records_synced += carried;
    s->stats.last_sync = sync_wall_now();
    pthread_mutex_unlock(&s->mu);
    log_info(SYNC_MOD, "Received DNS sync with %zu records", st->n_entries);
    log_debug(SYNC_MOD, "%s from %s: %zu owners, %zu entries merged, %d served changes", how,
              st->sender, st->n_owners, carried, changes);
}

void sync_repl_merge_remote_state(void *ctx, const uint8_t *buf, size_t len, bool join)
{
    struct sync *s = ctx;
    if (!buf || len == 0)
        return;
    struct sync_state st;
    if (!sync_decode_state(buf, len, &st)) {
        SYNC_STAT(s, payloads_malformed, 1);
        log_debug(SYNC_MOD, "ignoring a push/pull state of %zu bytes that is not ours", len);
        return;
    }
    merge_state(s, &st, join ? "join push/pull" : "push/pull");
    sync_state_free(&st);
}

void sync_repl_exchange_all(struct sync *s)
{
    struct name_list l = {.self = s->cfg.node_id};
    swim_foreach_member(s->swim, sync_collect_live, &l);
    if (l.n == 0) {
        free(l.ids);
        return;
    }
    struct sync_buf b = {0};
    if (build_state(s, &b, SYNC_STATE_WANT_REPLY, NULL)) {
        /* Sending may touch the member table, so names were collected first. */
        for (size_t i = 0; i < l.n; i++)
            send_reliable(s, l.ids[i], &b);
        pthread_mutex_lock(&s->mu);
        s->stats.states_sent += l.n;
        pthread_mutex_unlock(&s->mu);
        log_info(SYNC_MOD, "full state sync started with %zu members", l.n);
    }
    sync_buf_free(&b);
    free(l.ids);
}

/* ---- repairs ---- */

static struct sync_repair *repair_slot(struct sync *s, const char *owner)
{
    struct sync_repair *free_slot = NULL;
    for (size_t i = 0; i < s->n_repairs; i++) {
        if (strcmp(s->repairs[i].owner, owner) == 0)
            return &s->repairs[i];
        if (!s->repairs[i].active && !free_slot)
            free_slot = &s->repairs[i];
    }
    if (!free_slot) {
        if (!vec_grow(s->repairs, s->cap_repairs, s->n_repairs + 1))
            return NULL;
        free_slot = &s->repairs[s->n_repairs++];
    }
    memset(free_slot, 0, sizeof *free_slot);
    snprintf(free_slot->owner, sizeof free_slot->owner, "%s", owner);
    return free_slot;
}

/* Asks the owner itself, or when it is not reachable any other live member, for the owner's
 * full state. */
static void repair_ask(struct sync *s, struct sync_repair *r)
{
    char target[REC_OWNER_MAX + 1];
    r->asked_ms = loop_now_ms();
    r->tries++; /* counted even when nobody can be asked, so housekeeping gives up */
    if (sync_member_live(s, r->owner) && r->tries % 2 == 1) {
        snprintf(target, sizeof target, "%s", r->owner);
    } else {
        struct name_list l = {.self = s->cfg.node_id};
        swim_foreach_member(s->swim, sync_collect_live, &l);
        size_t pick = SIZE_MAX;
        for (size_t k = 0; k < l.n; k++) {
            size_t i = (r->tries + k) % l.n; /* rotate through the members */
            if (strcmp(l.ids[i], r->owner) != 0 || l.n == 1) {
                pick = i;
                break;
            }
        }
        if (pick == SIZE_MAX) {
            free(l.ids);
            return;
        }
        snprintf(target, sizeof target, "%s", l.ids[pick]);
        free(l.ids);
    }
    struct sync_repair_req q = {0};
    snprintf(q.requester, sizeof q.requester, "%s", s->cfg.node_id);
    snprintf(q.owner, sizeof q.owner, "%s", r->owner);
    if (!records_owner_version(s->records, r->owner, &q.have))
        q.have = (struct rec_version){0, 0};
    struct sync_buf b = {0};
    if (sync_encode_repair_req(&b, &q)) {
        send_reliable(s, target, &b);
        SYNC_STAT(s, repairs_requested, 1);
        log_debug(SYNC_MOD, "asked %s for the records of %s (we hold seq %llu, need %llu)", target,
                  r->owner, (unsigned long long)q.have.seq, (unsigned long long)r->need.seq);
    }
    sync_buf_free(&b);
}

/* One untracked request for a member's own records (sent when it joins). */
static void fetch_owner(struct sync *s, const char *member)
{
    struct sync_repair_req q = {0};
    snprintf(q.requester, sizeof q.requester, "%s", s->cfg.node_id);
    snprintf(q.owner, sizeof q.owner, "%s", member);
    records_owner_version(s->records, member, &q.have);
    struct sync_buf b = {0};
    if (sync_encode_repair_req(&b, &q)) {
        send_reliable(s, member, &b);
        SYNC_STAT(s, repairs_requested, 1);
    }
    sync_buf_free(&b);
}

static void repair_start(struct sync *s, const char *owner, struct rec_version need)
{
    struct sync_repair *r = repair_slot(s, owner);
    if (!r)
        return;
    if (r->active) {
        if (need.epoch > r->need.epoch || (need.epoch == r->need.epoch && need.seq > r->need.seq))
            r->need = need;
        return; /* already asked; housekeeping retries if it is not answered */
    }
    r->active = true;
    r->need = need;
    r->tries = 0;
    r->detected_ms = loop_now_ms();
    repair_ask(s, r);
}

static void answer_repair(struct sync *s, const uint8_t *msg, size_t len)
{
    struct sync_repair_req q;
    if (!sync_decode_repair_req(msg, len, &q)) {
        SYNC_STAT(s, payloads_malformed, 1);
        return;
    }
    struct sync_buf b = {0};
    if (build_state(s, &b, SYNC_STATE_REPAIR, q.owner) && b.n_owners > 0) {
        send_reliable(s, q.requester, &b);
        SYNC_STAT(s, repairs_served, 1);
        log_debug(SYNC_MOD, "sent the records of %s to %s", q.owner, q.requester);
    }
    sync_buf_free(&b);
}

/* ---- incoming user messages ---- */

static void apply_deltas(struct sync *s, const uint8_t *msg, size_t len)
{
    struct rec_delta *d;
    size_t n;
    if (!sync_decode_deltas(msg, len, &d, &n)) {
        SYNC_STAT(s, payloads_malformed, 1);
        return;
    }
    uint64_t applied = 0, stale = 0, rejected = 0, gaps = 0;
    /* A departed or unknown owner's late gossip is not applied: it would bring it back. An
     * owner that is new to us is fetched whole when its join event arrives. */
    bool live = strcmp(d[0].owner, s->cfg.node_id) != 0 && sync_member_live(s, d[0].owner);
    enum rec_apply *res = live ? calloc(n, sizeof *res) : NULL;
    if (res) /* one publication to DNS readers for the whole batch */
        records_apply_deltas(s->records, d, n, res);
    for (size_t i = 0; i < n && res; i++) {
        switch (res[i]) {
        case REC_APPLIED:
            applied++;
            break;
        case REC_GAP:
            applied++;
            gaps++;
            break;
        case REC_STALE:
            stale++;
            break;
        case REC_REJECTED:
            rejected++;
            break;
        }
    }
    free(res);
    if (!live)
        stale = n;
    pthread_mutex_lock(&s->mu);
    s->stats.deltas_received += n;
    s->stats.delta_msgs_received++;
    s->stats.deltas_applied += applied;
    s->stats.deltas_stale += stale;
    s->stats.deltas_rejected += rejected;
    s->stats.gaps += gaps;
    if (applied) {
        s->stats.records_synced += applied;
        s->stats.sync_operations++;
        s->stats.last_sync = sync_wall_now();
    }
    pthread_mutex_unlock(&s->mu);
    if (applied) {
        /* Epidemic spread, as serf does: the origin's broadcast is retransmitted only a few
         * times, so whoever learns something from it passes the same payload on once. Copies
         * that bring nothing new are not relayed, which ends the epidemic. */
        if (swim_broadcast(s->swim, NULL, msg, len) == 0)
            SYNC_STAT(s, relayed, 1);
    }
    if (live) {
        if (gaps) {
            /* need the highest seq this message carried */
            struct rec_version need = d[n - 1].ver;
            for (size_t i = 0; i < n; i++)
                if (d[i].ver.seq > need.seq)
                    need = d[i].ver;
            log_debug(SYNC_MOD, "missed a change of %s before seq %llu: asking for repair",
                      d[0].owner, (unsigned long long)need.seq);
            repair_start(s, d[0].owner, need);
        } else if (applied) {
            repair_check(s, d[0].owner);
        }
    }
    free(d);
}

static void handle_user_msg(struct sync *s, const uint8_t *msg, size_t len)
{
    switch (sync_payload_kind(msg, len)) {
    case SYNC_KIND_DELTAS:
        apply_deltas(s, msg, len);
        break;
    case SYNC_KIND_STATE: {
        struct sync_state st;
        if (!sync_decode_state(msg, len, &st)) {
            SYNC_STAT(s, payloads_malformed, 1);
            break;
        }
        merge_state(s, &st, st.flags & SYNC_STATE_REPAIR ? "repair" : "state exchange");
        if ((st.flags & SYNC_STATE_WANT_REPLY) && strcmp(st.sender, s->cfg.node_id) != 0) {
            struct sync_buf b = {0};
            if (build_state(s, &b, 0, NULL)) {
                send_reliable(s, st.sender, &b);
                SYNC_STAT(s, states_sent, 1);
            }
            sync_buf_free(&b);
        }
        sync_state_free(&st);
        break;
    }
    case SYNC_KIND_REPAIR_REQ:
        answer_repair(s, msg, len);
        break;
    case SYNC_KIND_VERSION: {
        char owner[REC_OWNER_MAX + 1];
        struct rec_version ver, have;
        if (!sync_decode_version(msg, len, owner, &ver)) {
            SYNC_STAT(s, payloads_malformed, 1);
            break;
        }
        if (!sync_member_live(s, owner))
            break;
        bool known = records_owner_version(s->records, owner, &have);
        if (!known || have.epoch < ver.epoch || (have.epoch == ver.epoch && have.seq < ver.seq)) {
            log_debug(SYNC_MOD, "%s is at seq %llu, we hold %llu: asking for repair", owner,
                      (unsigned long long)ver.seq, known ? (unsigned long long)have.seq : 0ull);
            SYNC_STAT(s, gaps, 1);
            repair_start(s, owner, ver);
            /* news to us, so possibly to others: pass it on (a newer beacon of the same owner
             * replaces it in the queue) */
            char bname[REC_OWNER_MAX + 8];
            snprintf(bname, sizeof bname, "v:%s", owner);
            swim_broadcast(s->swim, bname, msg, len);
        }
        break;
    }
    default:
        SYNC_STAT(s, payloads_foreign, 1);
        break;
    }
}

/* ---- membership ---- */

static void handle_event(struct sync *s, enum swim_event ev, const char *name)
{
    switch (ev) {
    case SWIM_EV_JOIN:
        log_info(SYNC_MOD, "SWIM member joined: %s", name);
        records_set_owner_alive(s->records, name, true);
        /* Its records may predate our membership (gossip we never got): fetch them whole. */
        fetch_owner(s, name);
        break;
    case SWIM_EV_ALIVE:
        records_set_owner_alive(s->records, name, true);
        break;
    case SWIM_EV_FAIL:
        if (s->cfg.keep_on_failure) {
            log_info(SYNC_MOD, "SWIM member failed: %s (keeping its records)", name);
        } else {
            log_info(SYNC_MOD, "SWIM member failed: %s (withdrawing its records)", name);
            records_set_owner_alive(s->records, name, false);
        }
        break;
    case SWIM_EV_LEAVE:
        log_info(SYNC_MOD, "SWIM member left: %s (dropping its records)", name);
        records_drop_owner(s->records, name);
        forget_peer_seen(s, name);
        break;
    case SWIM_EV_SUSPECT:
        log_debug(SYNC_MOD, "SWIM member suspect: %s", name);
        break;
    case SWIM_EV_UPDATE:
        break;
    }
}

static void run_deferred(void *ctx)
{
    struct sync *s = ctx;
    s->dq_posted = false;
    bool events = false;
    while (s->dq_head) {
        struct sync_deferred *d = s->dq_head;
        s->dq_head = d->next;
        if (!s->dq_head)
            s->dq_tail = NULL;
        if (!s->stopping) {
            if (d->is_event) {
                handle_event(s, d->ev, d->name);
                events = true;
            } else
                handle_user_msg(s, d->msg, d->len);
        }
        free(d);
    }
    if (events && !s->stopping)
        sync_refresh_status(s);
}

static void defer(struct sync *s, struct sync_deferred *d)
{
    d->next = NULL;
    if (s->dq_tail)
        s->dq_tail->next = d;
    else
        s->dq_head = d;
    s->dq_tail = d;
    if (!s->dq_posted && loop_post(s->loop, run_deferred, s) == 0)
        s->dq_posted = true;
}

void sync_repl_on_event(void *ctx, enum swim_event ev, const struct swim_member *m)
{
    struct sync *s = ctx;
    if (m->is_self || strcmp(m->name, s->cfg.node_id) == 0)
        return;
    struct sync_deferred *d = calloc(1, sizeof *d);
    if (!d)
        return;
    d->is_event = true;
    d->ev = ev;
    snprintf(d->name, sizeof d->name, "%s", m->name);
    defer(s, d);
}

void sync_repl_on_user_msg(void *ctx, const uint8_t *msg, size_t len)
{
    struct sync *s = ctx;
    if (sync_payload_kind(msg, len) < 0) {
        SYNC_STAT(s, payloads_foreign, 1);
        return;
    }
    struct sync_deferred *d = malloc(sizeof *d + len);
    if (!d)
        return;
    memset(d, 0, sizeof *d);
    d->len = len;
    memcpy(d->msg, msg, len);
    defer(s, d);
}

/* ---- housekeeping ---- */

void sync_repl_housekeeping(struct sync *s)
{
    uint64_t now = loop_now_ms();
    for (size_t i = 0; i < s->n_repairs; i++) {
        struct sync_repair *r = &s->repairs[i];
        if (!r->active || now - r->asked_ms < SYNC_REPAIR_RETRY_MS)
            continue;
        if (r->tries >= REPAIR_MAX_TRIES || member_gone(s, r->owner)) {
            r->active = false; /* push/pull anti-entropy takes over */
            continue;
        }
        repair_ask(s, r);
    }

    sync_tombs_collect(s, now);
}

void sync_repl_free(struct sync *s)
{
    while (s->dq_head) {
        struct sync_deferred *d = s->dq_head;
        s->dq_head = d->next;
        free(d);
    }
    s->dq_tail = NULL;
    free(s->pending);
    s->pending = NULL;
    s->n_pending = s->cap_pending = 0;
    free(s->repairs);
    s->repairs = NULL;
    s->n_repairs = s->cap_repairs = 0;
    free(s->seen);
    s->seen = NULL;
    s->n_seen = s->cap_seen = 0;
}
