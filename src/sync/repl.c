/* sync/repl.c — the sans-IO replication core (repl.h): local deltas batched into gossip (a large
 * burst is announced by version instead), the version beacon, digests for push/pull and
 * on-demand exchanges, gap detection, merges of owner states, owner liveness from membership
 * events, and the driving (queue, timers), all on the time the caller passes in. Fetching owner
 * states is fetch.c. */
#include "sync/repl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/vec.h"

/* ---- helpers ---- */

bool repl_member_live(struct repl *r, const char *name)
{
    struct swim_member m;
    if (strcmp(name, r->node_id) == 0 || !swim_get_member(r->swim, name, &m) || m.is_self)
        return false;
    return m.state == SWIM_ALIVE || m.state == SWIM_SUSPECT;
}

bool repl_member_gone(struct repl *r, const char *name)
{
    struct swim_member m;
    if (!swim_get_member(r->swim, name, &m))
        return false;
    return m.state == SWIM_DEAD || m.state == SWIM_LEFT;
}

bool repl_collect_live(void *ctx, const struct swim_member *m)
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

void repl_live_members(struct repl *r, struct name_list *l)
{
    memset(l, 0, sizeof *l);
    l->self = r->node_id;
    swim_foreach_member(r->swim, repl_collect_live, l);
}

static void send_reliable(struct repl *r, const char *to, const struct sync_buf *b)
{
    int rc = swim_send_user(r->swim, to, b->p, b->len, true);
    if (rc < 0)
        log_debug(SYNC_MOD, "sending %zu bytes to %s failed (%d)", b->len, to, rc);
}

/* Live members other than us. */
static size_t live_count(struct repl *r)
{
    size_t n = swim_num_alive(r->swim);
    return n ? n - 1 : 0;
}

/* Tells the driver about a deadline that may be earlier than the one it knows. */
static void want_tick(struct repl *r, uint64_t at)
{
    if (r->cfg.schedule)
        r->cfg.schedule(r->cfg.ctx, at);
}

void repl_note_synced(struct repl *r)
{
    r->stats.sync_operations++;
    r->stats.last_sync = (double)(r->now ? r->now : 1); /* the driver makes it wall time */
}

/* ---- local deltas -> gossip ---- */

/* Sends our current version to every live peer (directly when few, and as a named gossip
 * broadcast that a newer beacon replaces). */
static void send_beacon(struct repl *r)
{
    struct rec_version ver;
    if (r->stopping || !r->st.owner_version(r->st.ctx, r->node_id, &ver))
        return;
    struct sync_buf b = {0};
    r->announced = true;
    r->last_announce = r->now;
    if (sync_encode_version_held(&b, r->node_id, ver, r->node_id)) {
        char bname[REC_OWNER_MAX + 8];
        snprintf(bname, sizeof bname, "v:%s", r->node_id);
        swim_broadcast(r->swim, bname, b.p, b.len);
        if (live_count(r) <= r->cfg.direct_max) {
            struct name_list l;
            repl_live_members(r, &l);
            for (size_t i = 0; i < l.n; i++)
                swim_send_user(r->swim, l.ids[i], b.p, b.len, false);
            free(l.ids);
        }
    }
    sync_buf_free(&b);
}

void repl_local_deltas(struct repl *r, uint64_t now, const struct rec_delta *d, size_t n)
{
    r->now = now;
    if (r->stopping)
        return; /* leaving: peers drop our records anyway */
    struct sync_buf b = {0};
    size_t done = 0, msgs = 0;
    struct name_list direct = {0};
    size_t live = live_count(r);
    if (n && live <= r->cfg.direct_max)
        repl_live_members(r, &direct);
    if (live == 0)
        n = 0; /* nobody to tell: a member that joins or comes back gets our full state */
    if (n > SYNC_BURST_DELTAS) {
        /* Too many to gossip one by one (a restart, a big hosts file): announce our version
         * once the burst is over; peers fetch the state in chunks, from whoever has it. */
        free(direct.ids);
        r->stats.deltas_sent += n;
        repl_note_recent(r, r->node_id);
        /* a small cluster hears the beacon directly, at once; a large one once the burst is
         * over */
        uint64_t at = live <= r->cfg.direct_max ? now : now + SYNC_BURST_BEACON_MS;
        if (at == 0)
            at = 1; /* 0 means unarmed */
        if (!r->beacon_at || r->beacon_at > at)
            r->beacon_at = at;
        want_tick(r, r->beacon_at);
        log_debug(SYNC_MOD, "%zu record changes at once: announcing our version instead", n);
        return;
    }

    while (done < n) {
        size_t k = sync_encode_deltas(&b, d + done, n - done, SYNC_GOSSIP_MAX);
        if (k == 0) {
            log_warn(SYNC_MOD, "could not encode delta for %s", d[done].name);
            done++;
            continue;
        }
        int rc = swim_broadcast(r->swim, NULL, b.p, b.len);
        if (rc < 0)
            log_warn(SYNC_MOD, "gossip of %zu record changes failed (%d)", k, rc);
        else
            msgs++;
        /* Small clusters: also send it straight to every live member now instead of waiting
         * for the next gossip round; the gossip copy stays as the loss-tolerant path. */
        for (size_t i = 0; i < direct.n; i++)
            swim_send_user(r->swim, direct.ids[i], b.p, b.len, false);
        done += k;
    }
    free(direct.ids);
    sync_buf_free(&b);
    if (msgs) {
        /* (re)arm the version beacon for after the last change of a burst */
        r->beacon_at = now + SYNC_BEACON_DELAY_MS;
        want_tick(r, r->beacon_at);
    }
    if (n) {
        repl_note_recent(r, r->node_id);
        r->stats.deltas_sent += n;
        r->stats.delta_msgs_sent += msgs;
        log_debug(SYNC_MOD, "gossiping %zu record changes in %zu messages", n, msgs);
    }
}

/* ---- full states ---- */

struct owner_list {
    char (*ids)[REC_OWNER_MAX + 1];
    size_t n, cap;
};

static void collect_owner(const char *owner, void *ctx)
{
    struct owner_list *l = ctx;
    if (vec_grow(l->ids, l->cap, l->n + 1))
        snprintf(l->ids[l->n++], sizeof l->ids[0], "%s", owner);
}

static void encode_entry(const struct rec_view *v, void *ctx)
{
    sync_encode_state_entry(ctx, v);
}

static void encode_owner(struct repl *r, struct sync_buf *b, const char *owner)
{
    /* The version is only known under the export's lock; encode the owner header with a
     * placeholder, then patch it once the export returns. */
    size_t at = b->len;
    sync_encode_state_owner(b, owner, (struct rec_version){0, 0});
    struct rec_version ver;
    if (!r->st.export_owner(r->st.ctx, owner, &ver, encode_entry, b)) {
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
static bool build_state(struct repl *r, struct sync_buf *b, uint8_t flags, const char *only)
{
    sync_encode_state_begin(b, r->node_id, flags);
    if (only) {
        encode_owner(r, b, only);
    } else {
        struct owner_list l = {0};
        r->st.foreach_owner(r->st.ctx, collect_owner, &l);
        encode_owner(r, b, r->node_id);
        for (size_t i = 0; i < l.n; i++)
            if (strcmp(l.ids[i], r->node_id) != 0)
                encode_owner(r, b, l.ids[i]);
        free(l.ids);
    }
    return sync_encode_state_end(b);
}

void repl_local_state(void *ctx, bool join, uint8_t **out, size_t *out_len)
{
    struct repl *r = ctx;
    (void)join;
    struct sync_buf b = {0};
    *out = NULL;
    *out_len = 0;
    if (r->stopping || !repl_build_digest(r, &b, 0)) {
        sync_buf_free(&b);
        return;
    }
    *out = b.p;
    *out_len = b.len;
    r->stats.states_sent++;
}

void repl_note_peer_seen(struct repl *r, const char *peer, struct rec_version ver)
{
    for (size_t i = 0; i < r->n_seen; i++) {
        if (strcmp(r->seen[i].node, peer) == 0) {
            r->seen[i].ver = ver;
            return;
        }
    }
    if (!vec_grow(r->seen, r->cap_seen, r->n_seen + 1))
        return;
    snprintf(r->seen[r->n_seen].node, sizeof r->seen[0].node, "%s", peer);
    r->seen[r->n_seen++].ver = ver;
}

static void forget_peer_seen(struct repl *r, const char *peer)
{
    for (size_t i = 0; i < r->n_seen; i++) {
        if (strcmp(r->seen[i].node, peer) == 0) {
            r->seen[i] = r->seen[--r->n_seen];
            return;
        }
    }
}

/* Merges one decoded state. */
void repl_merge_state(struct repl *r, const struct sync_state *st, const char *how)
{
    size_t carried = 0;
    int changes = 0;
    for (size_t i = 0; i < st->n_owners; i++) {
        const struct sync_owner_state *o = &st->owners[i];
        if (strcmp(o->owner, r->node_id) == 0) {
            struct rec_version mine;
            if (r->st.owner_version(r->st.ctx, r->node_id, &mine) && o->ver.epoch == mine.epoch)
                repl_note_peer_seen(r, st->sender, o->ver);
            continue;
        }
        /* Only owners the membership says are alive: a dead or departed owner's state travelling
         * through a peer must not bring it back. The sender itself is evidently alive. */
        bool live = repl_member_live(r, o->owner) ||
                    (strcmp(o->owner, st->sender) == 0 && !repl_member_gone(r, o->owner));
        if (!live)
            continue;
        /* A relayed state no newer than ours brings nothing and, being older, could resurrect
         * entries whose tombstones were collected. The owner's own state at our version is
         * authoritative: merging it drops the tombstones the owner has collected. */
        struct rec_version have;
        bool from_owner = strcmp(o->owner, st->sender) == 0;
        if (r->st.owner_version(r->st.ctx, o->owner, &have) && have.epoch == o->ver.epoch &&
            (o->ver.seq < have.seq || (o->ver.seq == have.seq && !from_owner)))
            continue;
        int c = r->st.merge_owner(r->st.ctx, o->owner, o->ver, o->entries, o->n);
        if (c < 0)
            continue;
        changes += c;
        repl_note_recent(r, o->owner);
        carried += o->n;
        repl_fetch_check(r, o->owner);
    }
    r->stats.states_merged++;
    r->stats.records_synced += carried;
    repl_note_synced(r);
    /* INFO only when it changed what this node answers: a join exchanges states both ways and
     * an up-to-date state is routine */
    if (changes > 0)
        log_info(SYNC_MOD, "Received DNS sync with %zu record%s from %s (%d change%s)",
                 st->n_entries, st->n_entries == 1 ? "" : "s", st->sender, changes,
                 changes == 1 ? "" : "s");
    log_debug(SYNC_MOD, "%s from %s: %zu owners, %zu entries merged, %d served changes", how,
              st->sender, st->n_owners, carried, changes);
}

static void merge_pushpull(struct repl *r, const uint8_t *buf, size_t len, bool join)
{
    if (sync_payload_kind(buf, len) == SYNC_KIND_DIGEST) {
        struct sync_digest d;
        if (!sync_decode_digest(buf, len, &d)) {
            r->stats.payloads_malformed++;
            return;
        }
        repl_merge_digest(r, &d, join);
        sync_digest_free(&d);
        if (r->cfg.schedule)
            r->cfg.schedule(r->cfg.ctx, r->now); /* fetches go out from the next tick */
        return;
    }
    struct sync_state st;
    if (!sync_decode_state(buf, len, &st)) {
        r->stats.payloads_malformed++;
        log_debug(SYNC_MOD, "ignoring a push/pull state of %zu bytes that is not ours", len);
        return;
    }
    repl_merge_state(r, &st, join ? "join push/pull" : "push/pull");
    sync_state_free(&st);
}

size_t repl_exchange_all(struct repl *r, uint64_t now)
{
    r->now = now;
    if (r->stopping)
        return 0;
    struct name_list l;
    repl_live_members(r, &l);
    size_t sent = 0;
    struct sync_buf b = {0};
    if (l.n && repl_build_digest(r, &b, SYNC_DIGEST_WANT_REPLY)) {
        /* Sending may touch the member table, so names were collected first. */
        for (size_t i = 0; i < l.n; i++)
            send_reliable(r, l.ids[i], &b);
        sent = l.n;
        r->stats.states_sent += l.n;
        log_info(SYNC_MOD, "full state sync started with %zu members", l.n);
    }
    sync_buf_free(&b);
    free(l.ids);
    return sent;
}

/* ---- incoming user messages ---- */

static void apply_deltas(struct repl *r, const uint8_t *msg, size_t len)
{
    struct rec_delta *d;
    size_t n;
    if (!sync_decode_deltas(msg, len, &d, &n)) {
        r->stats.payloads_malformed++;
        return;
    }
    uint64_t applied = 0, stale = 0, rejected = 0, gaps = 0;
    /* A departed or unknown owner's late gossip is not applied: it would bring it back. An
     * owner that is new to us is fetched whole when its join event arrives. */
    bool live = strcmp(d[0].owner, r->node_id) != 0 && repl_member_live(r, d[0].owner);
    enum rec_apply *res = live ? calloc(n, sizeof *res) : NULL;
    if (res) /* one publication to DNS readers for the whole batch */
        r->st.apply_deltas(r->st.ctx, d, n, res);
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
    r->stats.deltas_received += n;
    r->stats.delta_msgs_received++;
    r->stats.deltas_applied += applied;
    r->stats.deltas_stale += stale;
    r->stats.deltas_rejected += rejected;
    r->stats.gaps += gaps;
    if (applied) {
        r->stats.records_synced += applied;
        repl_note_recent(r, d[0].owner);
        repl_note_synced(r);
        /* Epidemic spread, as serf does: the origin's broadcast is retransmitted only a few
         * times, so whoever learns something from it passes the same payload on once. Copies
         * that bring nothing new are not relayed, which ends the epidemic. */
        if (swim_broadcast(r->swim, NULL, msg, len) == 0)
            r->stats.relayed++;
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
            repl_fetch_start(r, d[0].owner, need, NULL, false);
        } else if (applied) {
            repl_fetch_check(r, d[0].owner);
        }
    }
    free(d);
}

static void handle_version(struct repl *r, const uint8_t *msg, size_t len)
{
    char owner[REC_OWNER_MAX + 1], holder[REC_OWNER_MAX + 1];
    struct rec_version ver, have;
    if (!sync_decode_version_held(msg, len, owner, &ver, holder)) {
        r->stats.payloads_malformed++;
        return;
    }
    if (!repl_member_live(r, owner))
        return;
    bool known = r->st.owner_version(r->st.ctx, owner, &have);
    if (known && !ver_newer(ver, have))
        return; /* not news: only those who learn from it pass it on, which ends the rumour */
    {
        log_debug(SYNC_MOD, "%s is at seq %llu, we hold %llu: asking for repair", owner,
                  (unsigned long long)ver.seq, known ? (unsigned long long)have.seq : 0ull);
        r->stats.gaps++;
        /* Fetch it from the node that says it has it; once we hold it we say so in turn
         * (epidemic pull: every holder serves a few, nobody serves everyone). */
        bool holder_ok = strcmp(holder, r->node_id) != 0 &&
                         (strcmp(holder, owner) == 0 || repl_member_live(r, holder));
        repl_fetch_start(r, owner, ver, holder_ok ? holder : owner, true);
    }
}

static void handle_user_msg(struct repl *r, const uint8_t *msg, size_t len)
{
    switch (sync_payload_kind(msg, len)) {
    case SYNC_KIND_DELTAS:
        apply_deltas(r, msg, len);
        break;
    case SYNC_KIND_STATE: {
        struct sync_state st;
        if (!sync_decode_state(msg, len, &st)) {
            r->stats.payloads_malformed++;
            break;
        }
        repl_merge_state(r, &st, st.flags & SYNC_STATE_REPAIR ? "repair" : "state exchange");
        if ((st.flags & SYNC_STATE_WANT_REPLY) && strcmp(st.sender, r->node_id) != 0) {
            struct sync_buf b = {0};
            if (build_state(r, &b, 0, NULL)) {
                send_reliable(r, st.sender, &b);
                r->stats.states_sent++;
            }
            sync_buf_free(&b);
        }
        sync_state_free(&st);
        break;
    }
    case SYNC_KIND_REPAIR_REQ:
        repl_answer_fetch(r, msg, len);
        break;
    case SYNC_KIND_DIGEST: {
        struct sync_digest d;
        if (!sync_decode_digest(msg, len, &d)) {
            r->stats.payloads_malformed++;
            break;
        }
        repl_merge_digest(r, &d, false);
        if ((d.flags & SYNC_DIGEST_WANT_REPLY) && strcmp(d.sender, r->node_id) != 0) {
            struct sync_buf b = {0};
            if (repl_build_digest(r, &b, 0)) {
                send_reliable(r, d.sender, &b);
                r->stats.states_sent++;
            }
            sync_buf_free(&b);
        }
        sync_digest_free(&d);
        break;
    }
    case SYNC_KIND_CHUNK:
        repl_handle_chunk(r, msg, len);
        break;
    case SYNC_KIND_VERSION:
        handle_version(r, msg, len);
        break;
    default:
        r->stats.payloads_foreign++;
        break;
    }
}

/* ---- membership ---- */

static void handle_event(struct repl *r, enum swim_event ev, const char *name)
{
    switch (ev) {
    case SWIM_EV_JOIN:
        log_info(SYNC_MOD, "SWIM member joined: %s", name);
        r->st.set_owner_alive(r->st.ctx, name, true);
        if (!r->announced || r->now - r->last_announce >= SYNC_ANNOUNCE_MIN_MS) {
            /* We have just joined (or restarted), or members come back (a healed partition:
             * they missed our changes): say what we hold of our own, so members fetch it from
             * us, then from each other. */
            r->announced = true;
            r->last_announce = r->now;
            uint64_t at = r->now + SYNC_ANNOUNCE_DELAY_MS;
            if (!r->beacon_at || r->beacon_at > at)
                r->beacon_at = at;
        }
        /* Its records may predate our membership (gossip we never got). A small cluster
         * fetches them from it at once; a large one learns them from its announcement and
         * from digests (everyone asking one node at once would flood it). When we hold nothing
         * of it the fetch is tracked and retried: the member may not know us yet. */
        repl_fetch_unpark(r, name, false);
        repl_pay_owed(r, name);
        if (live_count(r) <= r->cfg.direct_max) {
            if (r->st.owner_version(r->st.ctx, name, NULL))
                repl_send_fetch_req(r, name, name);
            else
                repl_fetch_start(r, name, (struct rec_version){0, 0}, name, false);
        } else {
            struct rec_version held;
            if (!r->st.owner_version(r->st.ctx, name, &held))
                repl_fetch_later(r, name, (struct rec_version){0, 0}, name,
                                 SYNC_JOIN_FETCH_DELAY_MS);
            else /* it may have restarted (a new epoch) while we thought it dead */
                repl_fetch_probe_later(r, name, held, SYNC_JOIN_FETCH_DELAY_MS);
        }
        break;
    case SWIM_EV_ALIVE:
        r->st.set_owner_alive(r->st.ctx, name, true);
        repl_fetch_unpark(r, name, false);
        break;
    case SWIM_EV_FAIL:
        if (r->cfg.keep_on_failure) {
            log_info(SYNC_MOD, "SWIM member failed: %s (keeping its records)", name);
        } else {
            log_info(SYNC_MOD, "SWIM member failed: %s (withdrawing its records)", name);
            r->st.set_owner_alive(r->st.ctx, name, false);
        }
        break;
    case SWIM_EV_LEAVE:
        log_info(SYNC_MOD, "SWIM member left: %s (dropping its records)", name);
        r->st.drop_owner(r->st.ctx, name);
        repl_fetch_unpark(r, name, true);
        forget_peer_seen(r, name);
        break;
    case SWIM_EV_SUSPECT:
        log_debug(SYNC_MOD, "SWIM member suspect: %s", name);
        break;
    case SWIM_EV_UPDATE:
        break;
    }
}

static void enqueue(struct repl *r, struct repl_queued *q)
{
    q->next = NULL;
    if (r->q_tail)
        r->q_tail->next = q;
    else
        r->q_head = q;
    r->q_tail = q;
    want_tick(r, r->now);
}

void repl_on_event(void *ctx, enum swim_event ev, const struct swim_member *m)
{
    struct repl *r = ctx;
    if (r->stopping || m->is_self || strcmp(m->name, r->node_id) == 0)
        return;
    struct repl_queued *q = calloc(1, sizeof *q);
    if (!q)
        return;
    q->kind = REPL_IN_EVENT;
    q->ev = ev;
    snprintf(q->name, sizeof q->name, "%s", m->name);
    enqueue(r, q);
}

static void enqueue_bytes(struct repl *r, enum repl_input kind, const uint8_t *msg, size_t len)
{
    struct repl_queued *q = malloc(sizeof *q + len);
    if (!q)
        return;
    memset(q, 0, sizeof *q);
    q->kind = kind;
    q->len = len;
    memcpy(q->msg, msg, len);
    enqueue(r, q);
}

void repl_on_user_msg(void *ctx, const uint8_t *msg, size_t len)
{
    struct repl *r = ctx;
    if (sync_payload_kind(msg, len) < 0) {
        r->stats.payloads_foreign++;
        return;
    }
    if (!r->stopping)
        enqueue_bytes(r, REPL_IN_MSG, msg, len);
}

/* Merged at once, not queued: the state we hand the next push/pull must already include it.
 * Merging only reads the member table; the fetches it starts are sent from the next tick. */
void repl_merge_remote_state(void *ctx, const uint8_t *buf, size_t len, bool join)
{
    struct repl *r = ctx;
    if (!buf || !len || r->stopping)
        return;
    r->in_callback = true;
    merge_pushpull(r, buf, len, join);
    r->in_callback = false;
}

/* ---- driving ---- */

static void housekeeping(struct repl *r)
{
    repl_fetch_housekeeping(r);
    repl_tombs_collect(r, r->now);
}

void repl_tick(struct repl *r, uint64_t now)
{
    r->now = now;
    while (r->q_head) {
        struct repl_queued *q = r->q_head;
        r->q_head = q->next;
        if (!r->q_head)
            r->q_tail = NULL;
        if (!r->stopping) {
            switch (q->kind) {
            case REPL_IN_EVENT:
                handle_event(r, q->ev, q->name);
                break;
            case REPL_IN_MSG:
                handle_user_msg(r, q->msg, q->len);
                break;
            }
        }
        free(q);
    }
    if (r->stopping)
        return;
    if (r->fetch_waiting) {
        r->fetch_waiting = false;
        repl_fetch_dispatch(r);
    }
    repl_recent_tick(r);
    if (r->beacon_at && now >= r->beacon_at) {
        r->beacon_at = 0;
        send_beacon(r);
    }
    if (now >= r->housekeeping_at) {
        r->housekeeping_at = now + SYNC_HOUSEKEEPING_MS;
        housekeeping(r);
    }
}

uint64_t repl_next_deadline(const struct repl *r)
{
    if (r->stopping)
        return UINT64_MAX;
    if (r->q_head || r->fetch_waiting)
        return r->now;
    uint64_t d = r->housekeeping_at;
    if (r->beacon_at && r->beacon_at < d)
        d = r->beacon_at;
    if (r->recent_at && r->recent_at < d)
        d = r->recent_at;
    return d;
}

const struct sync_stats *repl_stats(const struct repl *r)
{
    return &r->stats;
}

struct repl *repl_new(const struct repl_config *c, uint64_t now)
{
    if (!c || !c->node_id || !c->swim || strlen(c->node_id) > REC_OWNER_MAX)
        return NULL;
    struct repl *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->cfg = *c;
    snprintf(r->node_id, sizeof r->node_id, "%s", c->node_id);
    r->cfg.node_id = r->node_id;
    r->swim = c->swim;
    r->st = c->store;
    r->now = now;
    r->housekeeping_at = now + SYNC_HOUSEKEEPING_MS;
    r->rng = now * 0x9E3779B97F4A7C15ULL + 1;
    for (const char *p = r->node_id; *p; p++)
        r->rng = (r->rng ^ (uint8_t)*p) * 1099511628211ULL;
    return r;
}

void repl_stop(struct repl *r)
{
    if (!r)
        return;
    r->stopping = true;
    while (r->q_head) {
        struct repl_queued *q = r->q_head;
        r->q_head = q->next;
        free(q);
    }
    r->q_tail = NULL;
}

void repl_free(struct repl *r)
{
    if (!r)
        return;
    repl_stop(r);
    repl_fetch_free(r);
    free(r->seen);
    free(r);
}
