/* fwd_clients.c — the forwarder's side facing clients: DNS_FORWARD_ALLOW, the entry point the
 * UDP workers and the TCP thread call (REFUSED, a cache hit on the calling thread, or a hand-over
 * through the forwarder's queue), and the replies the forwarder thread sends: upstream answers
 * rewritten for each client, stale answers, SERVFAIL. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "dns/fwd_internal.h"
#include "dns/fwd_wire.h"

/* ---- access control and the entry point for server threads ---- */

static bool cidr_match(const struct dns_cidr *c, const uint8_t *a)
{
    unsigned bits = c->prefix, i = 0;
    for (; bits >= 8; bits -= 8, i++)
        if (c->addr[i] != a[i])
            return false;
    if (bits == 0)
        return true;
    uint8_t mask = (uint8_t)(0xFF << (8 - bits));
    return (c->addr[i] & mask) == (a[i] & mask);
}

static bool client_allowed(const struct forwarder *f, const struct sockaddr_storage *ss)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    const uint8_t *a;
    int family = ss->ss_family;
    if (family == AF_INET) {
        a = (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
    } else if (family == AF_INET6) {
        a = (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
        if (memcmp(a, mapped, 12) == 0) {
            a += 12;
            family = AF_INET;
        }
    } else {
        return false;
    }
    for (size_t i = 0; i < f->n_allow; i++)
        if (f->allow[i].family == family && cidr_match(&f->allow[i], a))
            return true;
    return false;
}

size_t fwd_handle(struct forwarder *f, const struct dns_policy *p, const struct dns_query *q,
                  const struct fwd_reply_to *to, uint8_t *out, size_t cap, struct dns_outcome *o)
{
    size_t limit = dns_response_limit(q, to->tcp);
    o->truncated = false;
    if (!fwd_set_for(f, q)) {
        struct dns_policy local = *p;
        local.forward = false;
        return dns_answer(&local, q, NULL, NULL, 0, to->tcp, 0, out, cap, o);
    }
    if (!client_allowed(f, &to->peer)) {
        count_up(&f->refused);
        size_t len = dns_build_error(q, DNS_RCODE_REFUSED, out, cap < limit ? cap : limit);
        o->rcode = len ? DNS_RCODE_REFUSED : -1;
        return len;
    }
    size_t len = 0;
    uint16_t rcode = 0;
    if (fwd_cache_answer(f->cache, q, dns_now_ns() / 1000000u, FWD_LOOKUP_CLIENT, limit, out, cap,
                         &len, &rcode, &o->truncated) == FWD_CACHE_FRESH) {
        o->rcode = rcode;
        return len;
    }
    if (__atomic_add_fetch(&f->pending, 1, __ATOMIC_RELAXED) > MAX_PENDING) {
        __atomic_sub_fetch(&f->pending, 1, __ATOMIC_RELAXED);
        count_up(&f->queue_full);
        o->rcode = -1;
        return 0;
    }
    struct waiter *w = malloc(sizeof *w);
    if (!w) {
        __atomic_sub_fetch(&f->pending, 1, __ATOMIC_RELAXED);
        o->rcode = -1;
        return 0;
    }
    w->next = NULL;
    w->f = f;
    w->to = *to;
    w->q = *q;
    memcpy(w->question, q->question, q->question_len);
    w->q.question = w->question;
    pthread_mutex_lock(&f->q_mu);
    bool was_empty = f->queue == NULL;
    if (f->queue_last)
        f->queue_last->next = w;
    else
        f->queue = w;
    f->queue_last = w;
    pthread_mutex_unlock(&f->q_mu);
    if (was_empty) {
        uint64_t one = 1;
        if (write(f->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
            log_warn("dns", "cannot wake the forwarder: %s", strerror(errno));
    }
    o->rcode = DNS_OUTCOME_FORWARDED;
    return 0;
}

/* ---- replies to clients ---- */

void fwd_send_reply(struct forwarder *f, struct waiter *w, const uint8_t *msg, size_t len,
                    int rcode, bool truncated)
{
    struct dns_outcome o = {.rcode = rcode, .truncated = truncated};
    if (w->to.tcp) {
        tcp_server_deliver(w->to.tcp_srv, w->to.conn_id, msg, len);
    } else {
        struct iovec iov = {.iov_base = (void *)msg, .iov_len = len};
        struct msghdr h = {.msg_name = &w->to.peer,
                           .msg_namelen = w->to.peerlen,
                           .msg_iov = &iov,
                           .msg_iovlen = 1,
                           .msg_control = w->to.ctrllen ? w->to.ctrl : NULL,
                           .msg_controllen = w->to.ctrllen};
        ssize_t r;
        do
            r = sendmsg(w->to.fd, &h, MSG_DONTWAIT | MSG_NOSIGNAL);
        while (r < 0 && errno == EINTR);
        if (r < 0)
            o.rcode = -1;
    }
    struct dns_counters *c = &f->ctr[w->to.tcp ? 1 : 0];
    dns_count_outcome(c, &o);
    dns_count_latency(c, dns_now_ns() - w->to.t0_ns, 1);
}

void fwd_free_waiter(struct forwarder *f, struct waiter *w)
{
    __atomic_sub_fetch(&f->pending, 1, __ATOMIC_RELAXED);
    free(w);
}

/* An upstream's answer (normal form) to every client waiting for it. */
void fwd_answer_waiters(struct forwarder *f, struct waiter *list, const uint8_t *msg, size_t len,
                        uint16_t rcode)
{
    for (struct waiter *w = list, *n; w; w = n) {
        n = w->next;
        bool tc = false;
        size_t out = fwd_answer(msg, len, rcode, &w->q, 0, 0, dns_response_limit(&w->q, w->to.tcp),
                                f->obuf, sizeof f->obuf, &tc);
        if (out)
            fwd_send_reply(f, w, f->obuf, out, rcode, tc);
        fwd_free_waiter(f, w);
    }
}

/* Nothing answered: a stale entry, else SERVFAIL with RA set. */
void fwd_fail_waiters(struct forwarder *f, struct waiter *list)
{
    uint64_t now = loop_now_ms();
    for (struct waiter *w = list, *n; w; w = n) {
        n = w->next;
        size_t limit = dns_response_limit(&w->q, w->to.tcp);
        size_t len = 0;
        uint16_t rcode = 0;
        bool tc = false;
        if (fwd_cache_answer(f->cache, &w->q, now, FWD_LOOKUP_STALE, limit, f->obuf, sizeof f->obuf,
                             &len, &rcode, &tc) != FWD_CACHE_MISS) {
            count_up(&f->stale);
            fwd_send_reply(f, w, f->obuf, len, rcode, tc);
        } else {
            len = dns_build_error(&w->q, DNS_RCODE_SERVFAIL, f->obuf, limit);
            if (len) {
                f->obuf[3] |= 0x80; /* RA */
                count_up(&f->servfail);
                fwd_send_reply(f, w, f->obuf, len, DNS_RCODE_SERVFAIL, false);
            }
        }
        fwd_free_waiter(f, w);
    }
}
