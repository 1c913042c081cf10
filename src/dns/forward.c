/* forward.c — the forwarder thread. Clients' queries arrive through a locked queue (woken by an
 * eventfd); identical questions in flight share one upstream query ("flight"). Each attempt uses a
 * fresh connected UDP socket (a random source port from the kernel) and a random ID; an answer
 * counts only when it comes from the upstream's address and port (the connected socket), carries
 * the ID and the question asked, so anything else is dropped and counted. A TC answer is asked
 * again over TCP. An upstream that does not answer within the attempt time makes way for the next
 * (by smoothed RTT, upstream.c); when every upstream failed, or the forward timeout passed, the
 * client gets a stale cache entry (RFC 8767) or SERVFAIL. The side facing clients (access control,
 * the entry point, replies) is fwd_clients.c. */
#include "dns/forward.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/log.h"
#include "dns/fwd_internal.h"
#include "dns/fwd_wire.h"

static void start_attempt(struct flight *fl);

/* ---- configuration ---- */

static bool set_add(struct upstream_set *s, struct upstream *u)
{
    struct upstream **v =
        realloc(s->v, (s->n + 1) * sizeof *v); // NOLINT(bugprone-sizeof-expression): T is a pointer
    if (!v)
        return false;
    v[s->n++] = u;
    s->v = v;
    return true;
}

struct forwarder *fwd_new(const struct dns_forward_config *cfg, char *err, size_t errlen)
{
    size_t n = cfg->n_forwarders + cfg->n_zones;
    if (n > DNS_FWD_MAX_UPSTREAMS) {
        snprintf(err, errlen, "at most %d upstreams", DNS_FWD_MAX_UPSTREAMS);
        return NULL;
    }
    struct forwarder *f = NULL;
    if (posix_memalign((void **)&f, 64, sizeof *f) != 0)
        return NULL;
    memset(f, 0, sizeof *f);
    f->wake_fd = -1;
    pthread_mutex_init(&f->q_mu, NULL);
    pthread_mutex_init(&f->st_mu, NULL);
    f->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
    f->attempt_ms = cfg->attempt_ms ? cfg->attempt_ms : DEFAULT_ATTEMPT_MS;
    f->min_ttl = cfg->cache_min_ttl;
    f->max_ttl = cfg->cache_max_ttl ? cfg->cache_max_ttl : DEFAULT_MAX_TTL;
    f->cache = fwd_cache_new(cfg->cache_size ? cfg->cache_size : DEFAULT_CACHE);
    f->ups = calloc(n ? n : 1, sizeof *f->ups);
    f->zones = calloc(cfg->n_zones ? cfg->n_zones : 1, sizeof *f->zones);
    f->allow = calloc(cfg->n_allow ? cfg->n_allow : 1, sizeof *f->allow);
    f->loop = loop_new();
    f->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!f->cache || !f->ups || !f->zones || !f->allow || !f->loop || f->wake_fd < 0)
        goto oom;
    for (size_t i = 0; i < cfg->n_forwarders; i++) {
        upstream_init(&f->ups[f->n_ups], &cfg->forwarders[i], NULL);
        if (!set_add(&f->def, &f->ups[f->n_ups++]))
            goto oom;
    }
    for (size_t i = 0; i < cfg->n_zones; i++) {
        struct fzone *z = &f->zones[f->n_zones];
        size_t len = dns_name_from_text(cfg->zones[i].zone, z->wire);
        if (len == 0) {
            snprintf(err, errlen, "'%s' is not a domain name", cfg->zones[i].zone);
            fwd_free(f);
            return NULL;
        }
        z->len = (uint16_t)len;
        upstream_init(&f->ups[f->n_ups], &cfg->zones[i].target, cfg->zones[i].zone);
        if (!set_add(&z->set, &f->ups[f->n_ups++]))
            goto oom;
        f->n_zones++;
    }
    memcpy(f->allow, cfg->allow, cfg->n_allow * sizeof *f->allow);
    f->n_allow = cfg->n_allow;
    return f;
oom:
    snprintf(err, errlen, "out of memory");
    fwd_free(f);
    return NULL;
}

/* ---- flights ---- */

static uint64_t flight_hash(const struct dns_query *q)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < q->qname_len; i++) {
        h ^= q->qname[i];
        h *= 1099511628211ull;
    }
    h ^= (uint64_t)q->qtype << 32 | (uint64_t)q->qclass << 16 | (q->edns_do ? 2u : 0) |
         (q->cd ? 1u : 0);
    return h * 1099511628211ull;
}

static bool same_question(const struct dns_query *a, const struct dns_query *b)
{
    return a->qname_len == b->qname_len && a->qtype == b->qtype && a->qclass == b->qclass &&
           a->edns_do == b->edns_do && a->cd == b->cd &&
           memcmp(a->qname, b->qname, a->qname_len) == 0;
}

const struct upstream_set *fwd_set_for(const struct forwarder *f, const struct dns_query *q)
{
    const struct upstream_set *best = f->def.n ? &f->def : NULL;
    int best_off = -1;
    for (size_t i = 0; i < f->n_zones; i++) {
        int o = dns_name_suffix_at(q->qname, q->qname_len, f->zones[i].wire, f->zones[i].len);
        if (o >= 0 && (best_off < 0 || o < best_off)) {
            best_off = o;
            best = &f->zones[i].set;
        }
    }
    return best;
}

static void close_attempt(struct flight *fl)
{
    struct forwarder *f = fl->f;
    if (fl->attempt_timer) {
        loop_timer_cancel(f->loop, fl->attempt_timer);
        fl->attempt_timer = NULL;
    }
    if (fl->fd >= 0) {
        loop_del_fd(f->loop, fl->fd);
        close(fl->fd);
        fl->fd = -1;
    }
    free(fl->tbuf);
    fl->tbuf = NULL;
    fl->tlen = fl->toff = 0;
}

static void flight_remove(struct flight *fl)
{
    struct forwarder *f = fl->f;
    close_attempt(fl);
    if (fl->deadline_timer)
        loop_timer_cancel(f->loop, fl->deadline_timer);
    for (struct flight **pp = &f->buckets[fl->hash % FLIGHT_BUCKETS]; *pp; pp = &(*pp)->chain) {
        if (*pp == fl) {
            *pp = fl->chain;
            break;
        }
    }
    f->in_flight--;
    free(fl);
}

static void flight_fail(struct flight *fl)
{
    struct waiter *list = fl->waiters;
    struct forwarder *f = fl->f;
    fl->waiters = NULL;
    flight_remove(fl);
    fwd_fail_waiters(f, list);
}

static void flight_done(struct flight *fl, const uint8_t *msg, size_t len,
                        const struct fwd_info *info)
{
    struct forwarder *f = fl->f;
    struct upstream *u = fl->set->v[fl->up];
    pthread_mutex_lock(&f->st_mu);
    upstream_answered(u, (double)(dns_now_ns() - fl->sent_ns) / 1e6);
    u->st.answers++;
    pthread_mutex_unlock(&f->st_mu);
    if (info->cacheable) {
        uint32_t life = info->ttl < f->min_ttl ? f->min_ttl : info->ttl;
        if (life > f->max_ttl)
            life = f->max_ttl;
        if (info->negative && life > NEGATIVE_MAX_TTL)
            life = NEGATIVE_MAX_TTL;
        fwd_cache_put(f->cache, msg, len, fl->q.edns_do, info->rcode, life, loop_now_ms());
    }
    struct waiter *list = fl->waiters;
    fl->waiters = NULL;
    flight_remove(fl);
    fwd_answer_waiters(f, list, msg, len, info->rcode);
}

static void attempt_failed(struct flight *fl, bool timeout)
{
    struct forwarder *f = fl->f;
    struct upstream *u = fl->set->v[fl->up];
    double spent = (double)(dns_now_ns() - fl->sent_ns) / 1e6;
    pthread_mutex_lock(&f->st_mu);
    upstream_failed(u, loop_now_ms(), timeout ? (double)f->attempt_ms : spent + f->attempt_ms);
    if (timeout)
        u->st.timeouts++;
    else
        u->st.errors++;
    pthread_mutex_unlock(&f->st_mu);
    close_attempt(fl);
    fl->tried |= 1ull << fl->up;
    fl->tcp = false;
    start_attempt(fl);
}

static void on_attempt_timeout(void *ctx)
{
    struct flight *fl = ctx;
    fl->attempt_timer = NULL;
    attempt_failed(fl, true);
}

static void on_deadline(void *ctx)
{
    struct flight *fl = ctx;
    fl->deadline_timer = NULL;
    flight_fail(fl);
}

/* An answer read from the upstream: checked, then final, or asked again over TCP. Returns true
 * when the flight still waits on the same UDP socket (the datagram was dropped); otherwise the
 * flight moved on or is gone. */
static bool got_answer(struct flight *fl, const uint8_t *pkt, size_t len)
{
    struct forwarder *f = fl->f;
    struct upstream *u = fl->set->v[fl->up];
    struct fwd_info info;
    size_t nlen = 0;
    enum fwd_status st =
        fwd_normalize(pkt, len, fl->id, fl->q.qname, fl->q.qname_len, fl->q.qtype, fl->q.qclass,
                      f->max_ttl, f->nbuf, sizeof f->nbuf, &nlen, &info);
    if (st != FWD_OK) {
        pthread_mutex_lock(&f->st_mu);
        if (st == FWD_MISMATCH) {
            f->spoofed++;
            u->st.spoofed++;
        } else {
            u->st.errors++;
        }
        pthread_mutex_unlock(&f->st_mu);
        if (!fl->tcp)
            return true;
        attempt_failed(fl, false); /* a stream has no second answer */
        return false;
    }
    if (info.tc && !fl->tcp) {
        pthread_mutex_lock(&f->st_mu);
        u->st.tcp_retries++;
        pthread_mutex_unlock(&f->st_mu);
        close_attempt(fl);
        fl->tcp = true;
        start_attempt(fl);
        return false;
    }
    flight_done(fl, f->nbuf, nlen, &info);
    return false;
}

static void on_udp(int fd, uint32_t events, void *ctx)
{
    struct flight *fl = ctx;
    (void)events;
    for (;;) {
        ssize_t n = recv(fd, fl->f->rbuf, sizeof fl->f->rbuf, 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR)
                continue;
            attempt_failed(fl, false); /* ECONNREFUSED: nothing listens there */
            return;
        }
        if (!got_answer(fl, fl->f->rbuf, (size_t)n))
            return; /* the flight finished or moved on (it may be gone) */
    }
}

static void on_tcp(int fd, uint32_t events, void *ctx)
{
    struct flight *fl = ctx;
    if (!fl->tcp_reading) {
        int err = 0;
        socklen_t el = sizeof err;
        if ((events & (EPOLLERR | EPOLLHUP)) ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
            attempt_failed(fl, false);
            return;
        }
        while (fl->toff < fl->tlen) {
            ssize_t n = send(fd, fl->tbuf + fl->toff, fl->tlen - fl->toff, MSG_NOSIGNAL);
            if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
            if (n <= 0) {
                attempt_failed(fl, false);
                return;
            }
            fl->toff += (size_t)n;
        }
        fl->tcp_reading = true;
        fl->tlen = fl->toff = 0;
        loop_mod_fd(fl->f->loop, fd, EPOLLIN);
        return;
    }
    for (;;) {
        size_t need = fl->toff < 2 ? 2 : 2 + ((size_t)fl->tbuf[0] << 8 | fl->tbuf[1]);
        if (fl->toff >= 2 && fl->toff == need) {
            (void)got_answer(fl, fl->tbuf + 2, need - 2);
            return;
        }
        ssize_t n = recv(fd, fl->tbuf + fl->toff, need - fl->toff, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0) {
            attempt_failed(fl, false);
            return;
        }
        fl->toff += (size_t)n;
    }
}

/* Opens a socket to upstream u and sends the question (UDP), or starts connecting (TCP). */
static bool send_query(struct flight *fl, struct upstream *u)
{
    struct forwarder *f = fl->f;
    uint8_t q[DNS_HEADER_LEN + DNS_NAME_MAX + 4 + DNS_OPT_LEN];
    fl->id = (uint16_t)arc4random();
    size_t qlen = fwd_build_query(&fl->q, fl->id, q, sizeof q);
    int type = fl->tcp ? SOCK_STREAM : SOCK_DGRAM;
    fl->fd = socket(u->addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fl->fd < 0 || qlen == 0)
        return false;
    int rc = connect(fl->fd, (const struct sockaddr *)&u->addr, u->len);
    if (rc < 0 && !(fl->tcp && errno == EINPROGRESS))
        return false;
    if (fl->tcp) {
        fl->tbuf = malloc(2 + DNS_MSG_MAX);
        if (!fl->tbuf)
            return false;
        fl->tbuf[0] = (uint8_t)(qlen >> 8);
        fl->tbuf[1] = (uint8_t)qlen;
        memcpy(fl->tbuf + 2, q, qlen);
        fl->tlen = qlen + 2;
        fl->toff = 0;
        fl->tcp_reading = false;
        return loop_add_fd(f->loop, fl->fd, EPOLLOUT, on_tcp, fl) == 0;
    }
    if (send(fl->fd, q, qlen, MSG_NOSIGNAL) != (ssize_t)qlen)
        return false;
    return loop_add_fd(f->loop, fl->fd, EPOLLIN, on_udp, fl) == 0;
}

static void start_attempt(struct flight *fl)
{
    struct forwarder *f = fl->f;
    for (;;) {
        uint64_t now = loop_now_ms();
        if (now >= fl->deadline_ms) {
            flight_fail(fl);
            return;
        }
        if (!fl->tcp) {
            int up = upstream_pick(fl->set, fl->tried, now, arc4random() & 0xFF);
            if (up < 0 && ++fl->rounds < MAX_ROUNDS) {
                fl->tried = 0;
                up = upstream_pick(fl->set, 0, now, arc4random() & 0xFF);
            }
            if (up < 0) {
                flight_fail(fl);
                return;
            }
            fl->up = up;
        }
        struct upstream *u = fl->set->v[fl->up];
        pthread_mutex_lock(&f->st_mu);
        u->st.queries++;
        pthread_mutex_unlock(&f->st_mu);
        fl->sent_ns = dns_now_ns();
        if (send_query(fl, u)) {
            uint64_t left = fl->deadline_ms - now;
            fl->attempt_timer = loop_timer_add(f->loop, left < f->attempt_ms ? left : f->attempt_ms,
                                               on_attempt_timeout, fl);
            if (fl->attempt_timer)
                return;
        }
        /* could not even send: counts as this upstream failing, then the next */
        pthread_mutex_lock(&f->st_mu);
        upstream_failed(u, now, f->attempt_ms);
        u->st.errors++;
        pthread_mutex_unlock(&f->st_mu);
        close_attempt(fl);
        fl->tried |= 1ull << fl->up;
        fl->tcp = false;
    }
}

/* A client's query on the forwarder thread: from the cache, into a flight, or a new flight. */
static void take_waiter(struct forwarder *f, struct waiter *w)
{
    w->next = NULL;
    const struct upstream_set *set = fwd_set_for(f, &w->q);
    if (!set) {
        fwd_fail_waiters(f, w);
        return;
    }
    uint64_t h = flight_hash(&w->q);
    for (struct flight *fl = f->buckets[h % FLIGHT_BUCKETS]; fl; fl = fl->chain) {
        if (fl->hash == h && same_question(&fl->q, &w->q) && fl->n_waiters < MAX_WAITERS) {
            fl->last->next = w;
            fl->last = w;
            fl->n_waiters++;
            count_up(&f->coalesced);
            return;
        }
    }
    size_t len = 0;
    uint16_t rcode = 0;
    bool tc = false;
    if (fwd_cache_answer(f->cache, &w->q, loop_now_ms(), FWD_LOOKUP_RECHECK,
                         dns_response_limit(&w->q, w->to.tcp), f->obuf, sizeof f->obuf, &len,
                         &rcode, &tc) == FWD_CACHE_FRESH) {
        fwd_send_reply(f, w, f->obuf, len, rcode, tc); /* answered while it was queued */
        fwd_free_waiter(f, w);
        return;
    }
    struct flight *fl = calloc(1, sizeof *fl);
    if (!fl) {
        fwd_fail_waiters(f, w);
        return;
    }
    fl->f = f;
    fl->hash = h;
    fl->q = w->q;
    fl->q.question = NULL; /* the key is the lowercase qname; the question is each waiter's */
    fl->set = set;
    fl->fd = -1;
    fl->waiters = fl->last = w;
    fl->n_waiters = 1;
    fl->deadline_ms = loop_now_ms() + f->timeout_ms;
    fl->chain = f->buckets[h % FLIGHT_BUCKETS];
    f->buckets[h % FLIGHT_BUCKETS] = fl;
    f->in_flight++;
    count_up(&f->forwarded);
    fl->deadline_timer = loop_timer_add(f->loop, f->timeout_ms, on_deadline, fl);
    start_attempt(fl);
}

static void on_wake(int fd, uint32_t events, void *ctx)
{
    struct forwarder *f = ctx;
    uint64_t v;
    (void)events;
    if (read(fd, &v, sizeof v) < 0 && errno != EAGAIN)
        log_warn("dns", "forwarder wake-up read failed: %s", strerror(errno));
    pthread_mutex_lock(&f->q_mu);
    struct waiter *list = f->queue;
    f->queue = f->queue_last = NULL;
    pthread_mutex_unlock(&f->q_mu);
    for (struct waiter *w = list, *n; w; w = n) {
        n = w->next;
        take_waiter(f, w);
    }
}

/* ---- thread and lifecycle ---- */

static void *fwd_main(void *arg)
{
    struct forwarder *f = arg;
    pthread_setname_np(pthread_self(), "dns-forward");
    loop_run(f->loop);
    return NULL;
}

int fwd_start(struct forwarder *f)
{
    int rc = loop_add_fd(f->loop, f->wake_fd, EPOLLIN, on_wake, f);
    if (rc < 0)
        return -rc;
    rc = dns_thread_create(&f->thread, fwd_main, f);
    f->started = rc == 0;
    return rc;
}

void fwd_stop(struct forwarder *f)
{
    if (!f || !f->started)
        return;
    loop_stop(f->loop);
    pthread_join(f->thread, NULL);
    f->started = false;
}

void fwd_free(struct forwarder *f)
{
    if (!f)
        return;
    for (size_t b = 0; b < FLIGHT_BUCKETS; b++) {
        while (f->buckets[b]) {
            struct flight *fl = f->buckets[b];
            for (struct waiter *w = fl->waiters, *n; w; w = n) {
                n = w->next;
                free(w);
            }
            fl->waiters = NULL;
            flight_remove(fl);
        }
    }
    for (struct waiter *w = f->queue, *n; w; w = n) {
        n = w->next;
        free(w);
    }
    if (f->loop)
        loop_free(f->loop);
    if (f->wake_fd >= 0)
        close(f->wake_fd);
    free(f->def.v);
    for (size_t i = 0; i < f->n_zones; i++)
        free(f->zones[i].set.v);
    free(f->zones);
    free(f->ups);
    free(f->allow);
    fwd_cache_free(f->cache);
    pthread_mutex_destroy(&f->q_mu);
    pthread_mutex_destroy(&f->st_mu);
    free(f);
}

bool fwd_covers(const struct forwarder *f, const struct dns_query *q)
{
    return fwd_set_for(f, q) != NULL;
}

const struct dns_counters *fwd_counters(const struct forwarder *f, int proto)
{
    return &f->ctr[proto ? 1 : 0];
}

void fwd_get_stats(struct forwarder *f, struct dns_forward_stats *out)
{
    memset(out, 0, sizeof *out);
    out->enabled = true;
    pthread_mutex_lock(&f->st_mu);
    out->spoofed = f->spoofed;
    out->n_upstreams = f->n_ups;
    for (size_t i = 0; i < f->n_ups; i++)
        out->upstreams[i] = f->ups[i].st;
    pthread_mutex_unlock(&f->st_mu);
    out->forwarded = __atomic_load_n(&f->forwarded, __ATOMIC_RELAXED);
    out->coalesced = __atomic_load_n(&f->coalesced, __ATOMIC_RELAXED);
    out->refused = __atomic_load_n(&f->refused, __ATOMIC_RELAXED);
    out->servfail = __atomic_load_n(&f->servfail, __ATOMIC_RELAXED);
    out->stale = __atomic_load_n(&f->stale, __ATOMIC_RELAXED);
    out->queue_full = __atomic_load_n(&f->queue_full, __ATOMIC_RELAXED);
    out->in_flight = __atomic_load_n(&f->pending, __ATOMIC_RELAXED);
    struct fwd_cache_stats cs;
    fwd_cache_get_stats(f->cache, &cs);
    out->cache_hits = cs.hits;
    out->cache_misses = cs.misses;
    out->cache_inserts = cs.inserts;
    out->cache_evictions = cs.evictions;
    out->cache_entries = cs.entries;
    out->cache_bytes = cs.bytes;
}
