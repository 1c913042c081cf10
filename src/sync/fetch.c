/* sync/fetch.c — moving whole owner states between nodes, in bounded pieces: digests (the version
 * of every owner a node holds, exchanged by push/pull and on-demand syncs instead of the records
 * themselves), fetches of one owner at a time from a node known to hold it (gap repairs, digest
 * differences, version beacons) with a window on how many are in flight and retries elsewhere,
 * answers split into chunks of at most SYNC_CHUNK_MAX bytes, and the reassembly of those chunks
 * before one merge. */
#include "sync/repl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/vec.h"

#define REPAIR_MAX_TRIES 10
#define ASSEMBLY_TIMEOUT_MS 10000

/* ---- requests ---- */

static struct sync_repair *repair_slot(struct repl *r, const char *owner)
{
    struct sync_repair *free_slot = NULL;
    for (size_t i = 0; i < r->n_repairs; i++) {
        if (strcmp(r->repairs[i].owner, owner) == 0)
            return &r->repairs[i];
        if (!r->repairs[i].active && !free_slot)
            free_slot = &r->repairs[i];
    }
    if (!free_slot) {
        if (!vec_grow(r->repairs, r->cap_repairs, r->n_repairs + 1))
            return NULL;
        free_slot = &r->repairs[r->n_repairs++];
    }
    memset(free_slot, 0, sizeof *free_slot);
    snprintf(free_slot->owner, sizeof free_slot->owner, "%s", owner);
    return free_slot;
}

void repl_send_fetch_req(struct repl *r, const char *target, const char *owner)
{
    struct sync_repair_req q = {0};
    snprintf(q.requester, sizeof q.requester, "%s", r->node_id);
    snprintf(q.owner, sizeof q.owner, "%s", owner);
    if (!r->st.owner_version(r->st.ctx, owner, &q.have))
        q.have = (struct rec_version){0, 0};
    struct sync_buf b = {0};
    if (sync_encode_repair_req(&b, &q)) {
        if (swim_send_user(r->swim, target, b.p, b.len, true) == 0)
            r->stats.repairs_requested++;
        log_debug(SYNC_MOD, "asked %s for the records of %s (we hold seq %llu)", target, owner,
                  (unsigned long long)q.have.seq);
    }
    sync_buf_free(&b);
}

struct pick_ctx {
    const char *self, *skip;
    size_t want, seen;
    char out[REC_OWNER_MAX + 1];
    bool found;
};

/* Stops at the want-th live member that is neither us nor skip. */
static bool pick_cb(void *ctx, const struct swim_member *m)
{
    struct pick_ctx *p = ctx;
    if (m->is_self || (m->state != SWIM_ALIVE && m->state != SWIM_SUSPECT) ||
        strcmp(m->name, p->self) == 0 || strcmp(m->name, p->skip) == 0)
        return true;
    if (p->seen++ < p->want)
        return true;
    snprintf(p->out, sizeof p->out, "%s", m->name);
    p->found = true;
    return false;
}

/* Asks the node known to hold what we need (or the owner) first, then rotates through the
 * other live members. */
static void repair_ask(struct repl *r, struct sync_repair *rp)
{
    char target[REC_OWNER_MAX + 1];
    rp->asked_ms = r->now;
    rp->asked = true;
    rp->tries++; /* counted even when nobody can be asked, so housekeeping gives up */
    if (rp->tries % 2 == 1 && rp->source[0] && repl_member_live(r, rp->source)) {
        snprintf(target, sizeof target, "%s", rp->source);
    } else if (rp->tries % 2 == 1 && repl_member_live(r, rp->owner)) {
        snprintf(target, sizeof target, "%s", rp->owner);
    } else {
        /* rotate through the other live members (without copying the member list) */
        size_t live = swim_num_alive(r->swim);
        live = live ? live - 1 : 0;
        bool owner_live = repl_member_live(r, rp->owner);
        size_t others = live - (owner_live && live ? 1 : 0);
        if (others == 0) {
            if (!owner_live)
                return;
            snprintf(target, sizeof target, "%s", rp->owner);
        } else {
            struct pick_ctx p = {.self = r->node_id, .skip = rp->owner, .want = rp->tries % others};
            swim_foreach_member(r->swim, pick_cb, &p);
            if (!p.found)
                return;
            snprintf(target, sizeof target, "%s", p.out);
        }
    }
    repl_send_fetch_req(r, target, rp->owner);
    if (rp->once)
        rp->active = false; /* a probe: an answer comes only if there is something newer */
}

static size_t in_flight(const struct repl *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_repairs; i++)
        n += r->repairs[i].active && r->repairs[i].asked;
    return n;
}

void repl_fetch_dispatch(struct repl *r)
{
    size_t busy = in_flight(r);
    for (size_t i = 0; i < r->n_repairs && busy < SYNC_FETCH_WINDOW; i++) {
        struct sync_repair *rp = &r->repairs[i];
        if (rp->active && !rp->asked && r->now >= rp->not_before) {
            struct rec_version have;
            if (rp->not_before && r->st.owner_version(r->st.ctx, rp->owner, &have) &&
                (!ver_newer(rp->need, have) || ver_newer(have, rp->held))) {
                rp->active = false; /* it came meanwhile */
                continue;
            }
            repair_ask(r, rp);
            busy++;
        }
    }
}

void repl_fetch_start(struct repl *r, const char *owner, struct rec_version need,
                      const char *source, bool relay)
{
    struct sync_repair *rp = repair_slot(r, owner);
    if (!rp)
        return;
    if (rp->active && !rp->asked && rp->not_before)
        rp->active = false; /* a delayed fetch or probe: this need is real, ask now */
    if (rp->active) {
        if (ver_newer(need, rp->need)) {
            rp->need = need;
            if (source)
                snprintf(rp->source, sizeof rp->source, "%s", source);
        }
        rp->relay |= relay;
        return; /* already asked; housekeeping retries if it is not answered */
    }
    rp->active = true;
    rp->need = need;
    rp->tries = 0;
    rp->asked = false;
    rp->not_before = 0;
    rp->relay = relay;
    rp->detected_ms = r->now;
    snprintf(rp->source, sizeof rp->source, "%s", source ? source : "");
    if (!r->in_callback && in_flight(r) < SYNC_FETCH_WINDOW)
        repair_ask(r, rp);
    else
        r->fetch_waiting = true; /* asked from the next tick */
}

void repl_fetch_later(struct repl *r, const char *owner, struct rec_version need,
                      const char *source, uint64_t delay_ms)
{
    struct sync_repair *rp = repair_slot(r, owner);
    if (!rp || rp->active)
        return;
    rp->active = true;
    rp->need = need;
    rp->tries = 0;
    rp->asked = false;
    rp->relay = false;
    rp->not_before = r->now + delay_ms;
    rp->detected_ms = r->now;
    snprintf(rp->source, sizeof rp->source, "%s", source ? source : "");
    rp->held = (struct rec_version){0, 0};
    rp->once = false;
}

void repl_fetch_probe_later(struct repl *r, const char *owner, struct rec_version held,
                            uint64_t delay_ms)
{
    struct sync_repair *rp = repair_slot(r, owner);
    if (!rp || rp->active)
        return;
    memset(rp->source, 0, sizeof rp->source);
    rp->active = true;
    rp->need = (struct rec_version){held.epoch, held.seq + 1};
    rp->held = held;
    rp->tries = 1; /* the ask goes to another member first, not to the owner */
    rp->asked = false;
    rp->relay = false;
    rp->once = true;
    rp->not_before = r->now + delay_ms;
    rp->detected_ms = r->now;
}

/* Tells others we now hold owner at ver (named, so a newer one replaces it in the queue), once
 * per version: every node passes an announcement on once, which is what makes it reach all. */
void repl_relay_version(struct repl *r, const char *owner, struct rec_version ver)
{
    size_t i = 0;
    while (i < r->n_relayed && strcmp(r->relayed[i].node, owner) != 0)
        i++;
    if (i < r->n_relayed && !ver_newer(ver, r->relayed[i].ver))
        return;
    if (i == r->n_relayed) {
        if (!vec_grow(r->relayed, r->cap_relayed, r->n_relayed + 1))
            return;
        snprintf(r->relayed[i].node, sizeof r->relayed[i].node, "%s", owner);
        r->n_relayed++;
    }
    r->relayed[i].ver = ver;
    struct sync_buf b = {0};
    if (sync_encode_version_held(&b, owner, ver, r->node_id)) {
        char bname[REC_OWNER_MAX + 8];
        snprintf(bname, sizeof bname, "v:%s", owner);
        if (swim_broadcast(r->swim, bname, b.p, b.len) == 0)
            r->stats.relayed++;
    }
    sync_buf_free(&b);
}

void repl_fetch_check(struct repl *r, const char *owner)
{
    for (size_t i = 0; i < r->n_repairs; i++) {
        struct sync_repair *rp = &r->repairs[i];
        if (!rp->active || strcmp(rp->owner, owner) != 0)
            continue;
        struct rec_version have;
        if (!r->st.owner_version(r->st.ctx, owner, &have))
            return;
        if (!ver_newer(rp->need, have)) {
            rp->active = false;
            double ms = (double)(r->now - rp->detected_ms);
            r->stats.repairs_completed++;
            r->stats.last_repair_ms = ms;
            log_debug(SYNC_MOD, "fetched records of %s %.0f ms after the need was seen", owner, ms);
            if (rp->relay)
                repl_relay_version(r, owner, have);
            r->fetch_waiting = true; /* a slot is free */
        }
        return;
    }
}

void repl_fetch_housekeeping(struct repl *r)
{
    for (size_t i = 0; i < r->n_repairs; i++) {
        struct sync_repair *rp = &r->repairs[i];
        if (!rp->active || !rp->asked)
            continue;
        /* answers over TCP on a lossy link take a retransmission timeout or two: back off */
        uint64_t wait = (uint64_t)SYNC_REPAIR_RETRY_MS << (rp->tries > 4 ? 3 : rp->tries - 1);
        if (r->now - rp->asked_ms < wait)
            continue;
        if (rp->tries >= REPAIR_MAX_TRIES || repl_member_gone(r, rp->owner)) {
            rp->active = false; /* push/pull anti-entropy takes over */
            continue;
        }
        repair_ask(r, rp);
    }
    for (size_t i = 0; i < r->n_owed;) {
        if (r->now - r->owed[i].at > SYNC_OWED_MS)
            r->owed[i] = r->owed[--r->n_owed];
        else
            i++;
    }
    /* stale chunk assemblies */
    for (size_t i = 0; i < r->n_asm;) {
        if (r->now - r->asm_[i].started_ms > ASSEMBLY_TIMEOUT_MS) {
            repl_assembly_drop(r, i);
            continue;
        }
        i++;
    }
    repl_fetch_dispatch(r);
}

/* ---- answers ---- */

struct enc_ctx {
    struct sync_buf *b;
    size_t *offs; /* where each entry starts */
    size_t n, cap;
};

static void encode_entry(const struct rec_view *v, void *ctx)
{
    struct enc_ctx *e = ctx;
    if (vec_grow(e->offs, e->cap, e->n + 1))
        e->offs[e->n++] = e->b->len;
    else
        e->b->oom = true;
    sync_encode_state_entry(e->b, v);
}

/* One owner's state as STATE payload(s): one if it fits SYNC_CHUNK_MAX, else CHUNKs, each sent
 * reliably to `to`. Returns the number of messages sent. */
size_t repl_send_owner(struct repl *r, const char *to, const char *owner, uint8_t flags)
{
    struct sync_buf b = {0};
    struct enc_ctx e = {.b = &b};
    sync_encode_state_begin(&b, r->node_id, flags);
    size_t at = b.len;
    sync_encode_state_owner(&b, owner, (struct rec_version){0, 0});
    size_t ver_at = at + 1 + strlen(owner);
    struct rec_version ver;
    if (!r->st.export_owner(r->st.ctx, owner, &ver, encode_entry, &e)) {
        sync_buf_free(&b);
        free(e.offs);
        return 0;
    }
    sync_encode_state_owner_end(&b);
    bool ok = sync_encode_state_end(&b);
    for (int i = 0; i < 8 && ok; i++) {
        b.p[ver_at + (size_t)i] = (uint8_t)(ver.epoch >> (56 - 8 * i));
        b.p[ver_at + 8 + (size_t)i] = (uint8_t)(ver.seq >> (56 - 8 * i));
    }
    size_t sent = 0;
    if (ok && b.len <= SYNC_CHUNK_MAX) {
        if (swim_send_user(r->swim, to, b.p, b.len, true) == 0)
            sent = 1;
    } else if (ok) {
        /* Every chunk is the STATE header (everything before the first entry, ending with the
         * u32 entry count, patched per chunk) followed by a run of whole entries. */
        size_t head = e.offs[0];
        size_t budget = SYNC_CHUNK_MAX - SYNC_CHUNK_OVERHEAD - head;
        uint8_t *part = malloc(SYNC_CHUNK_MAX);
        struct sync_buf chunk = {0};
        for (size_t i = 0; part && i < e.n;) {
            size_t j = i + 1; /* the slice is entries [i, j) */
            while (j < e.n && (j + 1 < e.n ? e.offs[j + 1] : b.len) - e.offs[i] <= budget)
                j++;
            size_t end = j < e.n ? e.offs[j] : b.len;
            size_t plen = head + (end - e.offs[i]);
            if (plen > SYNC_CHUNK_MAX)
                break; /* one entry larger than a chunk: cannot happen with bounded names */
            memcpy(part, b.p, head);
            uint32_t cnt = (uint32_t)(j - i);
            for (int k = 0; k < 4; k++)
                part[head - 4 + (size_t)k] = (uint8_t)(cnt >> (24 - 8 * k));
            memcpy(part + head, b.p + e.offs[i], end - e.offs[i]);
            if (sync_encode_chunk(&chunk, owner, ver, (uint32_t)e.n, (uint32_t)i, part, plen) &&
                swim_send_user(r->swim, to, chunk.p, chunk.len, true) == 0)
                sent++;
            i = j;
        }
        free(part);
        sync_buf_free(&chunk);
    }
    sync_buf_free(&b);
    free(e.offs);
    return sent;
}

void repl_answer_fetch(struct repl *r, const uint8_t *msg, size_t len)
{
    struct sync_repair_req q;
    if (!sync_decode_repair_req(msg, len, &q)) {
        r->stats.payloads_malformed++;
        return;
    }
    struct swim_member m;
    if (!swim_get_member(r->swim, q.requester, &m)) {
        /* It knows us before we know it (gossip of its join has not reached us): answer once
         * it does, instead of leaving it to time out and ask again. */
        if (r->n_owed < SYNC_OWED_MAX && vec_grow(r->owed, r->cap_owed, r->n_owed + 1)) {
            struct sync_owed *o = &r->owed[r->n_owed++];
            snprintf(o->requester, sizeof o->requester, "%s", q.requester);
            snprintf(o->owner, sizeof o->owner, "%s", q.owner);
            o->at = r->now;
        }
        return;
    }
    struct rec_version have;
    if (q.have.epoch && r->st.owner_version(r->st.ctx, q.owner, &have) && !ver_newer(have, q.have))
        return; /* it holds all we hold: nothing to send */
    size_t sent = repl_send_owner(r, q.requester, q.owner, SYNC_STATE_REPAIR);
    if (sent) {
        r->stats.repairs_served++;
        log_debug(SYNC_MOD, "sent the records of %s to %s in %zu message%s", q.owner, q.requester,
                  sent, sent == 1 ? "" : "s");
    }
}

void repl_pay_owed(struct repl *r, const char *name)
{
    for (size_t i = 0; i < r->n_owed;) {
        struct sync_owed o = r->owed[i];
        if (strcmp(o.requester, name) != 0) {
            i++;
            continue;
        }
        r->owed[i] = r->owed[--r->n_owed];
        if (repl_send_owner(r, o.requester, o.owner, SYNC_STATE_REPAIR))
            r->stats.repairs_served++;
    }
}

/* ---- chunk reassembly ---- */

void repl_assembly_drop(struct repl *r, size_t i)
{
    struct sync_assembly *a = &r->asm_[i];
    for (size_t k = 0; k < a->n_parts; k++)
        sync_state_free(&a->parts[k]);
    free(a->parts);
    r->asm_[i] = r->asm_[--r->n_asm];
}

void repl_handle_chunk(struct repl *r, const uint8_t *msg, size_t len)
{
    struct sync_chunk c;
    struct sync_state st;
    if (!sync_decode_chunk(msg, len, &c) || !sync_decode_state(c.state, c.state_len, &st)) {
        r->stats.payloads_malformed++;
        return;
    }
    if (st.n_owners != 1 || strcmp(st.owners[0].owner, c.owner) != 0 ||
        st.owners[0].ver.epoch != c.ver.epoch || st.owners[0].ver.seq != c.ver.seq ||
        c.first + st.owners[0].n > c.total) {
        r->stats.payloads_malformed++;
        sync_state_free(&st);
        return;
    }
    size_t i = 0;
    while (i < r->n_asm &&
           (strcmp(r->asm_[i].owner, c.owner) != 0 || strcmp(r->asm_[i].sender, st.sender) != 0))
        i++;
    if (i < r->n_asm && (ver_newer(c.ver, r->asm_[i].ver) || ver_newer(r->asm_[i].ver, c.ver) ||
                         r->asm_[i].total != c.total)) {
        if (ver_newer(r->asm_[i].ver, c.ver)) { /* an older one than we are collecting */
            sync_state_free(&st);
            return;
        }
        repl_assembly_drop(r, i);
        i = r->n_asm;
    }
    if (i == r->n_asm) {
        if (r->n_asm >= SYNC_ASM_MAX || !vec_grow(r->asm_, r->cap_asm, r->n_asm + 1)) {
            sync_state_free(&st);
            return;
        }
        struct sync_assembly *a = &r->asm_[r->n_asm++];
        memset(a, 0, sizeof *a);
        snprintf(a->owner, sizeof a->owner, "%s", c.owner);
        snprintf(a->sender, sizeof a->sender, "%s", st.sender);
        a->ver = c.ver;
        a->total = c.total;
        a->started_ms = r->now;
    }
    struct sync_assembly *a = &r->asm_[i];
    for (size_t k = 0; k < a->n_parts; k++) {
        if (a->firsts[k] == c.first) { /* a duplicate */
            sync_state_free(&st);
            return;
        }
    }
    if (!vec_grow(a->parts, a->cap_parts, a->n_parts + 1) || a->n_parts >= SYNC_ASM_PARTS_MAX) {
        sync_state_free(&st);
        repl_assembly_drop(r, i);
        return;
    }
    a->firsts[a->n_parts] = c.first;
    a->parts[a->n_parts++] = st;
    a->got += st.owners[0].n;
    if (a->got < a->total)
        return;
    /* complete: one merge of all the entries */
    struct rec_view *all = malloc((a->total ? a->total : 1) * sizeof *all);
    if (all) {
        size_t n = 0;
        for (size_t k = 0; k < a->n_parts; k++) {
            memcpy(all + n, a->parts[k].owners[0].entries, a->parts[k].owners[0].n * sizeof *all);
            n += a->parts[k].owners[0].n;
        }
        struct sync_owner_state os = {.owner = a->owner, .ver = a->ver, .entries = all, .n = n};
        struct sync_state whole = {
            .flags = a->parts[0].flags, .owners = &os, .n_owners = 1, .n_entries = n};
        snprintf(whole.sender, sizeof whole.sender, "%s", a->sender);
        repl_merge_state(r, &whole, "chunked state");
        free(all);
    }
    repl_assembly_drop(r, i);
}

/* ---- recent changes ---- */

void repl_note_recent(struct repl *r, const char *owner)
{
    size_t i = 0;
    while (i < r->n_recent && strcmp(r->recent[i].owner, owner) != 0)
        i++;
    if (i == r->n_recent) {
        if (!vec_grow(r->recent, r->cap_recent, r->n_recent + 1))
            return;
        snprintf(r->recent[i].owner, sizeof r->recent[i].owner, "%s", owner);
        r->n_recent++;
    }
    r->recent[i].at = r->now;
    if (!r->recent_at)
        r->recent_at = r->now + SYNC_RECENT_DIGEST_MS;
}

static int recent_newest_first(const void *a, const void *b)
{
    const struct sync_recent *x = a, *y = b;
    return x->at < y->at ? 1 : x->at > y->at ? -1 : 0;
}

void repl_recent_tick(struct repl *r)
{
    if (!r->recent_at || r->now < r->recent_at)
        return;
    for (size_t i = 0; i < r->n_recent;) {
        if (r->now - r->recent[i].at > SYNC_RECENT_MS)
            r->recent[i] = r->recent[--r->n_recent];
        else
            i++;
    }
    r->recent_at = r->n_recent ? r->now + SYNC_RECENT_DIGEST_MS : 0;
    size_t live = swim_num_alive(r->swim);
    live = live ? live - 1 : 0;
    if (!r->n_recent || !live)
        return;
    qsort(r->recent, r->n_recent, sizeof *r->recent, recent_newest_first);
    struct sync_buf b = {0};
    sync_encode_digest_begin(&b, r->node_id, 0);
    /* more than fit: a different slice each time, so every recent owner goes out */
    size_t n = r->n_recent < SYNC_RECENT_MAX ? r->n_recent : SYNC_RECENT_MAX;
    size_t from = r->n_recent > SYNC_RECENT_MAX ? r->recent_round++ * n % r->n_recent : 0;
    for (size_t k = 0; k < n; k++) {
        const char *owner = r->recent[(from + k) % r->n_recent].owner;
        struct rec_version v;
        if (r->st.owner_version(r->st.ctx, owner, &v))
            sync_encode_digest_owner(&b, owner, v);
    }
    r->rng = r->rng * 6364136223846793005ULL + 1442695040888963407ULL;
    struct pick_ctx p = {.self = r->node_id, .skip = "", .want = (r->rng >> 33) % live};
    swim_foreach_member(r->swim, pick_cb, &p);
    if (sync_encode_digest_end(&b) && p.found)
        swim_send_user(r->swim, p.out, b.p, b.len, false);
    sync_buf_free(&b);
}

/* ---- parked wants ---- */

static void park(struct repl *r, const char *owner, struct rec_version ver, const char *source)
{
    size_t i = 0;
    while (i < r->n_parked && strcmp(r->parked[i].owner, owner) != 0)
        i++;
    if (i == r->n_parked) {
        if (!vec_grow(r->parked, r->cap_parked, r->n_parked + 1))
            return;
        memset(&r->parked[i], 0, sizeof r->parked[i]);
        snprintf(r->parked[i].owner, sizeof r->parked[i].owner, "%s", owner);
        r->n_parked++;
    } else if (!ver_newer(ver, r->parked[i].need)) {
        return;
    }
    r->parked[i].need = ver;
    snprintf(r->parked[i].source, sizeof r->parked[i].source, "%s", source);
}

void repl_fetch_unpark(struct repl *r, const char *owner, bool drop)
{
    for (size_t i = 0; i < r->n_parked; i++) {
        if (strcmp(r->parked[i].owner, owner) != 0)
            continue;
        struct sync_repair p = r->parked[i];
        r->parked[i] = r->parked[--r->n_parked];
        struct rec_version have;
        if (!drop && (!r->st.owner_version(r->st.ctx, owner, &have) || ver_newer(p.need, have)))
            repl_fetch_start(r, owner, p.need, repl_member_live(r, owner) ? owner : p.source,
                             false);
        return;
    }
}

/* ---- digests ---- */

static void digest_owner(const char *owner, void *ctx)
{
    struct repl *r = ((void **)ctx)[0];
    struct sync_buf *b = ((void **)ctx)[1];
    struct rec_version v;
    if (strcmp(owner, r->node_id) != 0 && r->st.owner_version(r->st.ctx, owner, &v))
        sync_encode_digest_owner(b, owner, v);
}

bool repl_build_digest(struct repl *r, struct sync_buf *b, uint8_t flags)
{
    sync_encode_digest_begin(b, r->node_id, flags | SYNC_DIGEST_FULL);
    struct rec_version mine;
    if (r->st.owner_version(r->st.ctx, r->node_id, &mine))
        sync_encode_digest_owner(b, r->node_id, mine); /* ours first */
    void *ctx[2] = {r, b};
    r->st.foreach_owner(r->st.ctx, digest_owner, ctx);
    return sync_encode_digest_end(b);
}

void repl_merge_digest(struct repl *r, const struct sync_digest *d, bool join)
{
    size_t wanted = 0;
    for (size_t i = 0; i < d->n; i++) {
        const struct sync_digest_entry *o = &d->owners[i];
        if (strcmp(o->owner, r->node_id) == 0) {
            struct rec_version mine;
            if (r->st.owner_version(r->st.ctx, r->node_id, &mine) && o->ver.epoch == mine.epoch)
                repl_note_peer_seen(r, d->sender, o->ver);
            continue;
        }
        bool from_owner = strcmp(o->owner, d->sender) == 0;
        if (!repl_member_live(r, o->owner) && !(from_owner && !repl_member_gone(r, o->owner))) {
            struct rec_version have;
            if (repl_member_gone(r, o->owner) &&
                (!r->st.owner_version(r->st.ctx, o->owner, &have) || ver_newer(o->ver, have)))
                park(r, o->owner, o->ver, d->sender);
            continue;
        }
        struct rec_version have;
        if (r->st.owner_version(r->st.ctx, o->owner, &have) && !ver_newer(o->ver, have)) {
            /* We hold every change the owner has made: no late delta can need our tombstones
             * of it any more (a full state from it would drop them the same way). */
            if (from_owner && have.epoch == o->ver.epoch)
                r->st.gc_tombstones(r->st.ctx, o->owner, o->ver.seq);
            continue;
        }
        /* A joiner, behind on everything, spreads its fetches over the owners (one seed
         * serving every joiner would be the flood); otherwise the sender has just shown it
         * holds that version, and asking it spares the owner, which every node behind on it
         * would ask at once. */
        bool ask_owner = join && repl_member_live(r, o->owner);
        repl_fetch_start(r, o->owner, o->ver, ask_owner ? o->owner : d->sender, false);
        wanted++;
    }
    r->stats.states_merged++;
    if (d->flags & SYNC_DIGEST_FULL)
        repl_note_synced(r); /* a full state compared is a sync, also when nothing is missing */
    if (wanted)
        log_debug(SYNC_MOD, "digest from %s: %zu owners, fetching %zu", d->sender, d->n, wanted);
}

void repl_fetch_free(struct repl *r)
{
    while (r->n_asm)
        repl_assembly_drop(r, r->n_asm - 1);
    free(r->asm_);
    free(r->recent);
    free(r->owed);
    free(r->repairs);
    free(r->parked);
    free(r->relayed);
}
