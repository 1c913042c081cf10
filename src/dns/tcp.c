/* dns/tcp.c — DNS over TCP on one thread: a non-blocking listener and connections in epoll, 2-byte
 * length framing, several pipelined queries per read answered with one write, partial reads and
 * writes kept per connection.
 *
 * Limits, so that no client can lock others out (RFC 7766 section 6.2.3):
 * - idle connections are closed after the idle timeout (least recently active first);
 * - a query must arrive whole within QUERY_MS of its first byte, however steadily its bytes
 *   trickle in (a slow-read attacker cannot keep a connection by sending a byte now and then);
 * - at the connection cap a new connection evicts the least recently active one instead of being
 *   refused, so a flood of held connections cannot keep new clients out;
 * - one client address holds at most a share of the cap (per_client); a new connection beyond it
 *   evicts that client's own least recently active connection.
 *
 * Forwarded answers come back from the forwarder thread through a locked delivery queue and an
 * eventfd; each names its connection by id, so an answer for a connection closed meanwhile is
 * dropped (answers may leave out of order, as RFC 7766 allows). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns/internal.h"
#include "core/log.h"
#include "dns/forward.h"

#define IN_CAP 4096                             /* a query longer than this closes the connection */
#define OUT_CAP ((size_t)2 * (DNS_MSG_MAX + 2)) /* scratch for the answers to one read */
#define MAX_EVENTS 64
#define ACCEPT_PAUSE_MS 100 /* after EMFILE/ENFILE */
#define QUERY_MS 2000       /* a query's bytes must all arrive within this (or the idle timeout) */

struct conn {
    int fd;
    uint64_t id;
    struct conn *prev, *next;   /* activity list, least recently active first */
    struct conn *qprev, *qnext; /* partial-query list, oldest first query byte first */
    bool in_qlist;
    uint64_t last_ms;
    uint64_t query_start_ms; /* when the first byte of the incomplete query arrived */
    uint8_t peer[16];        /* client address (IPv4 as v4-mapped), for the per-client cap */
    uint8_t *pending;        /* answers not yet written */
    size_t pending_len, pending_off;
    size_t in_len;
    uint8_t in[IN_CAP];
};

/* A forwarded answer on its way to a connection. */
struct delivery {
    struct delivery *next;
    uint64_t conn_id;
    size_t len;
    uint8_t msg[];
};

struct tcp_server {
    struct dns_counters ctr; /* first (cache-line aligned); written only by the TCP thread */
    struct dns_server *srv;
    struct conn *head, *tail;   /* activity list */
    struct conn *qhead, *qtail; /* connections holding part of a query */
    int per_client;             /* connections one client address may hold */
    int query_ms;               /* time limit for one query's bytes */
    pthread_t thread;
    uint64_t accept_resume_ms;
    int listen_fd, ep;
    uint32_t rotate;
    bool started;
    bool accept_paused;
    uint64_t next_id;
    int deliver_fd;             /* eventfd: deliveries queued */
    pthread_mutex_t deliver_mu; /* guards deliveries */
    struct delivery *deliveries, *deliveries_last;
    uint8_t out[OUT_CAP];
};

/* Markers for the epoll data of the non-connection fds. */
static char listen_marker, stop_marker, deliver_marker;

static uint64_t now_ms(void)
{
    return dns_now_ns() / 1000000u;
}

static void list_remove(struct tcp_server *t, struct conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        t->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        t->tail = c->prev;
    c->prev = c->next = NULL;
}

static void list_append(struct tcp_server *t, struct conn *c)
{
    c->prev = t->tail;
    c->next = NULL;
    if (t->tail)
        t->tail->next = c;
    else
        t->head = c;
    t->tail = c;
}

static void touch(struct tcp_server *t, struct conn *c)
{
    c->last_ms = now_ms();
    if (t->tail != c) {
        list_remove(t, c);
        list_append(t, c);
    }
}

static void qlist_remove(struct tcp_server *t, struct conn *c)
{
    if (!c->in_qlist)
        return;
    if (c->qprev)
        c->qprev->qnext = c->qnext;
    else
        t->qhead = c->qnext;
    if (c->qnext)
        c->qnext->qprev = c->qprev;
    else
        t->qtail = c->qprev;
    c->qprev = c->qnext = NULL;
    c->in_qlist = false;
}

/* Start times are taken from one monotonic clock, so appending keeps the list ordered. */
static void qlist_append(struct tcp_server *t, struct conn *c, uint64_t now)
{
    c->query_start_ms = now;
    c->qprev = t->qtail;
    c->qnext = NULL;
    if (t->qtail)
        t->qtail->qnext = c;
    else
        t->qhead = c;
    t->qtail = c;
    c->in_qlist = true;
}

static void conn_close(struct tcp_server *t, struct conn *c)
{
    list_remove(t, c);
    qlist_remove(t, c);
    epoll_ctl(t->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->pending);
    free(c);
    ctr_add(&t->ctr.tcp_open, (uint64_t)-1);
}

struct tcp_server *tcp_server_new(struct dns_server *s, int listen_fd)
{
    struct tcp_server *t = NULL;
    if (posix_memalign((void **)&t, 64, sizeof *t) != 0)
        return NULL;
    memset(t, 0, offsetof(struct tcp_server, out));
    t->srv = s;
    t->listen_fd = listen_fd;
    pthread_mutex_init(&t->deliver_mu, NULL);
    t->deliver_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    t->per_client = s->tcp_max / 8 > 4 ? s->tcp_max / 8 : (s->tcp_max < 4 ? s->tcp_max : 4);
    t->query_ms = s->tcp_idle_ms < QUERY_MS ? s->tcp_idle_ms : QUERY_MS;
    t->ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &listen_marker};
    struct epoll_event sv = {.events = EPOLLIN, .data.ptr = &stop_marker};
    struct epoll_event dv = {.events = EPOLLIN, .data.ptr = &deliver_marker};
    if (t->ep < 0 || t->deliver_fd < 0 || epoll_ctl(t->ep, EPOLL_CTL_ADD, listen_fd, &ev) < 0 ||
        epoll_ctl(t->ep, EPOLL_CTL_ADD, s->stop_fd, &sv) < 0 ||
        epoll_ctl(t->ep, EPOLL_CTL_ADD, t->deliver_fd, &dv) < 0) {
        if (t->ep >= 0)
            close(t->ep);
        if (t->deliver_fd >= 0)
            close(t->deliver_fd);
        pthread_mutex_destroy(&t->deliver_mu);
        free(t);
        return NULL;
    }
    return t;
}

const struct dns_counters *tcp_server_counters(const struct tcp_server *t)
{
    return &t->ctr;
}

static void peer_key(const struct sockaddr_storage *ss, uint8_t out[16])
{
    memset(out, 0, 16);
    if (ss->ss_family == AF_INET6) {
        memcpy(out, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
    } else if (ss->ss_family == AF_INET) {
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
    }
}

/* Makes room for a connection from peer: evicts that client's least recently active connection
 * when it is at its share, else the least recently active of all when the server is full. */
static void make_room(struct tcp_server *t, const uint8_t peer[16])
{
    int mine = 0;
    struct conn *oldest_mine = NULL;
    for (struct conn *c = t->head; c; c = c->next) {
        if (memcmp(c->peer, peer, 16) == 0) {
            if (!oldest_mine)
                oldest_mine = c;
            mine++;
        }
    }
    struct conn *victim = NULL;
    if (mine >= t->per_client)
        victim = oldest_mine;
    else if ((int)ctr_get(&t->ctr.tcp_open) >= t->srv->tcp_max)
        victim = t->head;
    if (victim) {
        ctr_add(&t->ctr.tcp_evicted, 1);
        conn_close(t, victim);
    }
}

static void accept_all(struct tcp_server *t)
{
    for (;;) {
        struct sockaddr_storage ss = {.ss_family = AF_UNSPEC};
        socklen_t sl = sizeof ss;
        int fd = accept4(t->listen_fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                log_warn("dns", "TCP accept paused: %s", strerror(errno));
                struct epoll_event ev = {.events = 0, .data.ptr = &listen_marker};
                epoll_ctl(t->ep, EPOLL_CTL_MOD, t->listen_fd, &ev);
                t->accept_paused = true;
                t->accept_resume_ms = now_ms() + ACCEPT_PAUSE_MS;
            }
            return; /* EAGAIN, or a connection that died in the backlog */
        }
        ctr_add(&t->ctr.tcp_total, 1);
        uint8_t peer[16];
        peer_key(&ss, peer);
        make_room(t, peer);
        /* Answers of one read leave in one send already; never hold them back for an ACK. */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn *c = malloc(sizeof *c);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (!c || epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            ctr_add(&t->ctr.tcp_refused, 1);
            free(c);
            close(fd);
            continue;
        }
        c->fd = fd;
        c->id = ++t->next_id;
        c->pending = NULL;
        c->pending_len = c->pending_off = 0;
        c->in_len = 0;
        c->in_qlist = false;
        c->qprev = c->qnext = NULL;
        memcpy(c->peer, peer, sizeof c->peer);
        c->last_ms = now_ms();
        list_append(t, c);
        ctr_add(&t->ctr.tcp_open, 1);
    }
}

/* Writes as much of buf as the socket takes; keeps the rest as pending. false: close. */
static bool conn_write(struct tcp_server *t, struct conn *c, const uint8_t *buf, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(c->fd, buf + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        return false;
    }
    if (off == len)
        return true;
    c->pending = malloc(len - off);
    if (!c->pending)
        return false;
    memcpy(c->pending, buf + off, len - off);
    c->pending_len = len - off;
    c->pending_off = 0;
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
    return epoll_ctl(t->ep, EPOLL_CTL_MOD, c->fd, &ev) == 0;
}

/* A query for a name Joyride does not own: REFUSED or a cache hit at once, else the forwarder
 * answers later through tcp_server_deliver. */
static size_t forward_query(struct tcp_server *t, struct conn *c, const struct dns_query *q,
                            uint8_t *out, uint64_t t0, struct dns_outcome *o)
{
    struct fwd_reply_to to;
    memset(&to, 0, offsetof(struct fwd_reply_to, ctrl));
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&to.peer;
    a->sin6_family = AF_INET6; /* c->peer is IPv6 or v4-mapped */
    memcpy(&a->sin6_addr, c->peer, 16);
    to.peerlen = sizeof *a;
    to.tcp = true;
    to.fd = -1;
    to.ctrllen = 0;
    to.tcp_srv = t;
    to.conn_id = c->id;
    to.t0_ns = t0;
    return fwd_handle(t->srv->fwd, &t->srv->policy, q, &to, out, DNS_MSG_MAX, o);
}

/* Answers every complete query in c->in (while nothing is pending) and writes the answers.
 * false: the connection is to be closed. */
static bool conn_process(struct tcp_server *t, struct conn *c, uint64_t t0)
{
    struct dns_server *s = t->srv;
    size_t off = 0;
    bool ok = true;
    while (ok && !c->pending) {
        size_t out_len = 0, answered = 0;
        records_read_lock();
        const struct rec_snapshot *snap = records_snapshot(s->records);
        while (c->in_len - off >= 2 && out_len + 2 + DNS_MSG_MAX <= OUT_CAP) {
            size_t mlen = (size_t)c->in[off] << 8 | c->in[off + 1];
            if (mlen == 0 || mlen > IN_CAP - 2) {
                ctr_add(&t->ctr.dropped, 1);
                ok = false; /* cannot be a query we would answer; framing is lost */
                break;
            }
            if (c->in_len - off - 2 < mlen)
                break;
            struct dns_outcome o;
            struct dns_query q;
            size_t len = dns_respond_query(&s->policy, snap, c->in + off + 2, mlen, true,
                                           t->rotate++, t->out + out_len + 2, DNS_MSG_MAX, &o, &q);
            if (o.forward)
                len = forward_query(t, c, &q, t->out + out_len + 2, t0, &o);
            ctr_add(&t->ctr.queries, 1);
            dns_count_outcome(&t->ctr, &o);
            if (len) {
                t->out[out_len] = (uint8_t)(len >> 8);
                t->out[out_len + 1] = (uint8_t)len;
                out_len += 2 + len;
                answered++;
            }
            off += 2 + mlen;
        }
        records_read_unlock();
        if (out_len == 0)
            break;
        if (!conn_write(t, c, t->out, out_len))
            return false;
        dns_count_latency(&t->ctr, dns_now_ns() - t0, answered);
    }
    if (off) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
        qlist_remove(t, c); /* a query completed: the next one's clock starts with its bytes */
    }
    if (c->in_len && !c->in_qlist)
        qlist_append(t, c, now_ms());
    return ok;
}

static bool conn_readable(struct tcp_server *t, struct conn *c)
{
    for (;;) {
        if (c->pending)
            return true; /* answers first; reading resumes when they are written */
        ssize_t n = recv(c->fd, c->in + c->in_len, IN_CAP - c->in_len, 0);
        if (n == 0)
            return false;
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        c->in_len += (size_t)n;
        touch(t, c);
        if (!conn_process(t, c, dns_now_ns()))
            return false;
        if (c->in_len == IN_CAP)
            return false; /* unreachable: a full buffer always holds a complete query */
    }
}

static bool conn_writable(struct tcp_server *t, struct conn *c)
{
    while (c->pending_off < c->pending_len) {
        ssize_t n = send(c->fd, c->pending + c->pending_off, c->pending_len - c->pending_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            c->pending_off += (size_t)n;
            touch(t, c);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        return false;
    }
    free(c->pending);
    c->pending = NULL;
    c->pending_len = c->pending_off = 0;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(t->ep, EPOLL_CTL_MOD, c->fd, &ev) < 0)
        return false;
    /* Queries that arrived while we were blocked on writing. */
    if (!conn_process(t, c, dns_now_ns()))
        return false;
    return conn_readable(t, c);
}

void tcp_server_deliver(struct tcp_server *t, uint64_t conn_id, const uint8_t *msg, size_t len)
{
    struct delivery *d = malloc(sizeof *d + len);
    if (!d)
        return;
    d->next = NULL;
    d->conn_id = conn_id;
    d->len = len;
    memcpy(d->msg, msg, len);
    pthread_mutex_lock(&t->deliver_mu);
    bool was_empty = t->deliveries == NULL;
    if (t->deliveries_last)
        t->deliveries_last->next = d;
    else
        t->deliveries = d;
    t->deliveries_last = d;
    pthread_mutex_unlock(&t->deliver_mu);
    uint64_t one = 1;
    if (was_empty && write(t->deliver_fd, &one, sizeof one) < 0 && errno != EAGAIN)
        log_warn("dns", "cannot wake the TCP thread: %s", strerror(errno));
}

/* Appends a framed message to what c has pending (c->pending is set). */
static bool conn_queue(struct conn *c, const uint8_t *framed, size_t len)
{
    size_t left = c->pending_len - c->pending_off;
    uint8_t *p = malloc(left + len);
    if (!p)
        return false;
    memcpy(p, c->pending + c->pending_off, left);
    memcpy(p + left, framed, len);
    free(c->pending);
    c->pending = p;
    c->pending_len = left + len;
    c->pending_off = 0;
    return true;
}

static void take_deliveries(struct tcp_server *t)
{
    uint64_t v;
    if (read(t->deliver_fd, &v, sizeof v) < 0 && errno != EAGAIN)
        log_warn("dns", "TCP delivery wake-up read failed: %s", strerror(errno));
    pthread_mutex_lock(&t->deliver_mu);
    struct delivery *list = t->deliveries;
    t->deliveries = t->deliveries_last = NULL;
    pthread_mutex_unlock(&t->deliver_mu);
    for (struct delivery *d = list, *n; d; d = n) {
        n = d->next;
        struct conn *c = t->head;
        while (c && c->id != d->conn_id)
            c = c->next;
        if (c) {
            t->out[0] = (uint8_t)(d->len >> 8);
            t->out[1] = (uint8_t)d->len;
            memcpy(t->out + 2, d->msg, d->len);
            touch(t, c);
            bool ok = c->pending ? conn_queue(c, t->out, d->len + 2)
                                 : conn_write(t, c, t->out, d->len + 2);
            if (!ok)
                conn_close(t, c);
        }
        free(d);
    }
}

/* Closes idle connections and those whose query is overdue; returns the epoll timeout until the
 * next one may expire. */
static int expire_idle(struct tcp_server *t)
{
    uint64_t now = now_ms();
    uint64_t idle = (uint64_t)t->srv->tcp_idle_ms;
    uint64_t qlim = (uint64_t)t->query_ms;
    while (t->head && t->head->last_ms + idle <= now)
        conn_close(t, t->head);
    while (t->qhead && t->qhead->query_start_ms + qlim <= now) {
        ctr_add(&t->ctr.tcp_timed_out, 1);
        conn_close(t, t->qhead);
    }
    int timeout = -1;
    if (t->head)
        timeout = (int)(t->head->last_ms + idle - now);
    if (t->qhead) {
        int q = (int)(t->qhead->query_start_ms + qlim - now);
        if (timeout < 0 || q < timeout)
            timeout = q;
    }
    if (t->accept_paused) {
        if (t->accept_resume_ms <= now) {
            struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &listen_marker};
            epoll_ctl(t->ep, EPOLL_CTL_MOD, t->listen_fd, &ev);
            t->accept_paused = false;
        } else {
            int w = (int)(t->accept_resume_ms - now);
            if (timeout < 0 || w < timeout)
                timeout = w;
        }
    }
    return timeout;
}

static void *tcp_main(void *arg)
{
    struct tcp_server *t = arg;
    struct epoll_event ev[MAX_EVENTS];
    pthread_setname_np(pthread_self(), "dns-tcp");
    records_reader_register();
    while (!dns_stopping(t->srv)) {
        int timeout = expire_idle(t);
        int n = epoll_wait(t->ep, ev, MAX_EVENTS, timeout);
        if (n < 0 && errno != EINTR) {
            log_error("dns", "TCP epoll_wait failed: %s", strerror(errno));
            break;
        }
        for (int i = 0; i < n; i++) {
            void *p = ev[i].data.ptr;
            if (p == &stop_marker)
                goto out;
            if (p == &listen_marker) {
                accept_all(t);
                continue;
            }
            if (p == &deliver_marker) {
                take_deliveries(t);
                continue;
            }
            struct conn *c = p;
            bool keep;
            if (ev[i].events & (EPOLLERR | EPOLLHUP) && !(ev[i].events & EPOLLIN))
                keep = false;
            else if (c->pending)
                keep = conn_writable(t, c);
            else
                keep = conn_readable(t, c);
            if (!keep)
                conn_close(t, c);
        }
    }
out:
    records_reader_unregister();
    return NULL;
}

int tcp_server_start(struct tcp_server *t)
{
    int rc = dns_thread_create(&t->thread, tcp_main, t);
    t->started = rc == 0;
    return rc;
}

void tcp_server_join(struct tcp_server *t)
{
    if (t->started)
        pthread_join(t->thread, NULL);
    t->started = false;
}

void tcp_server_free(struct tcp_server *t)
{
    if (!t)
        return;
    while (t->head)
        conn_close(t, t->head);
    for (struct delivery *d = t->deliveries, *n; d; d = n) {
        n = d->next;
        free(d);
    }
    close(t->deliver_fd);
    pthread_mutex_destroy(&t->deliver_mu);
    close(t->ep);
    close(t->listen_fd);
    free(t);
}
