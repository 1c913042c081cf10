/* udp.c — one UDP worker thread: its own SO_REUSEPORT socket, queries received and answers sent
 * in batches (recvmmsg/sendmmsg), answered into preallocated buffers from the record snapshot
 * read under the RCU read lock. When bound to a wildcard address, each reply leaves from the
 * local address its query arrived on (IP_PKTINFO / IPV6_PKTINFO).
 *
 * Replies of one batch that go to the same client with the same size (a resolver or forwarder
 * asking many names) leave as one UDP GSO send (UDP_SEGMENT): the kernel cuts it into the same
 * datagrams for far less work per datagram. When the kernel or device refuses GSO the worker
 * falls back to one datagram per reply. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns/internal.h"
#include "core/log.h"
#include "dns/forward.h"

#define BATCH 32
#define RX_SIZE 2048 /* larger datagrams arrive cut (MSG_TRUNC) and get FORMERR */
#define CTRL_SIZE 64 /* room for an in_pktinfo or in6_pktinfo cmsg and a UDP_SEGMENT cmsg */

struct udp_worker {
    struct dns_counters ctr; /* first: aligned, written only by this worker */
    struct dns_server *srv;
    int fd;
    int index;
    pthread_t thread;
    bool started;
    uint32_t rotate;
    bool gso; /* UDP_SEGMENT accepted so far */
    struct mmsghdr rx[BATCH], tx[BATCH], out[BATCH];
    struct iovec rx_iov[BATCH], tx_iov[BATCH], out_iov[BATCH];
    size_t out_base[BATCH]; /* control bytes of out[i] before its UDP_SEGMENT cmsg */
    struct sockaddr_storage peer[BATCH];
    uint8_t rx_ctrl[BATCH][CTRL_SIZE] __attribute__((aligned(8)));
    uint8_t tx_ctrl[BATCH][CTRL_SIZE] __attribute__((aligned(8)));
    uint8_t out_ctrl[BATCH][CTRL_SIZE] __attribute__((aligned(8)));
    uint8_t rx_buf[BATCH][RX_SIZE];
    uint8_t tx_buf[BATCH][DNS_EDNS_PAYLOAD];
};

struct udp_worker *udp_worker_new(struct dns_server *s, int fd, int index)
{
    struct udp_worker *w = NULL;
    if (posix_memalign((void **)&w, 64, sizeof *w) != 0)
        return NULL;
    memset(&w->ctr, 0, sizeof w->ctr);
    w->srv = s;
    w->fd = fd;
    w->index = index;
    w->started = false;
    w->gso = true;
    w->rotate = (uint32_t)index * 7919u;
    for (int i = 0; i < BATCH; i++) {
        w->rx_iov[i].iov_base = w->rx_buf[i];
        w->rx_iov[i].iov_len = RX_SIZE;
        w->tx_iov[i].iov_base = w->tx_buf[i];
    }
    return w;
}

const struct dns_counters *udp_worker_counters(const struct udp_worker *w)
{
    return &w->ctr;
}

static void prepare_rx(struct udp_worker *w)
{
    for (int i = 0; i < BATCH; i++) {
        struct msghdr *h = &w->rx[i].msg_hdr;
        h->msg_name = &w->peer[i];
        h->msg_namelen = sizeof w->peer[i];
        h->msg_iov = &w->rx_iov[i];
        h->msg_iovlen = 1;
        h->msg_control = w->srv->wildcard ? w->rx_ctrl[i] : NULL;
        h->msg_controllen = w->srv->wildcard ? CTRL_SIZE : 0;
        h->msg_flags = 0;
    }
}

/* Copies the destination address of a received query into the reply's source-address cmsg. */
static void reply_from(struct msghdr *rx, struct msghdr *tx, uint8_t *ctrl)
{
    tx->msg_control = NULL;
    tx->msg_controllen = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(rx); c; c = CMSG_NXTHDR(rx, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof pi);
            pi.ipi_spec_dst = pi.ipi_addr;
            pi.ipi_ifindex = 0;
            tx->msg_control = ctrl;
            tx->msg_controllen = CMSG_SPACE(sizeof pi);
            struct cmsghdr *o = CMSG_FIRSTHDR(tx);
            o->cmsg_level = IPPROTO_IP;
            o->cmsg_type = IP_PKTINFO;
            o->cmsg_len = CMSG_LEN(sizeof pi);
            memcpy(CMSG_DATA(o), &pi, sizeof pi);
            return;
        }
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof pi);
            pi.ipi6_ifindex = 0;
            tx->msg_control = ctrl;
            tx->msg_controllen = CMSG_SPACE(sizeof pi);
            struct cmsghdr *o = CMSG_FIRSTHDR(tx);
            o->cmsg_level = IPPROTO_IPV6;
            o->cmsg_type = IPV6_PKTINFO;
            o->cmsg_len = CMSG_LEN(sizeof pi);
            memcpy(CMSG_DATA(o), &pi, sizeof pi);
            return;
        }
    }
}

/* A query for a name Joyride does not own: answered here (REFUSED, a cache hit) or handed to
 * the forwarder with what it needs to reply from this socket. */
static size_t forward_query(struct udp_worker *w, int i, const struct dns_query *q, uint8_t *out,
                            uint64_t t0, struct dns_outcome *o)
{
    struct msghdr *h = &w->rx[i].msg_hdr;
    struct fwd_reply_to to;
    to.tcp = false;
    to.fd = w->fd;
    memcpy(&to.peer, &w->peer[i], h->msg_namelen);
    to.peerlen = h->msg_namelen;
    to.ctrllen = 0;
    if (w->srv->wildcard) {
        struct msghdr tmp = {0};
        reply_from(h, &tmp, to.ctrl);
        to.ctrllen = tmp.msg_controllen;
    }
    to.tcp_srv = NULL;
    to.conn_id = 0;
    to.t0_ns = t0;
    return fwd_handle(w->srv->fwd, &w->srv->policy, q, &to, out, DNS_EDNS_PAYLOAD, o);
}

/* Answers the n received datagrams; returns how many replies are ready in tx[0..). */
static int answer_batch(struct udp_worker *w, int n, uint64_t t0)
{
    struct dns_server *s = w->srv;
    int m = 0;
    records_read_lock();
    const struct rec_snapshot *snap = records_snapshot(s->records);
    for (int i = 0; i < n; i++) {
        struct msghdr *h = &w->rx[i].msg_hdr;
        struct dns_outcome o = {.rcode = -1};
        size_t len;
        if (h->msg_flags & MSG_TRUNC) {
            /* Bigger than any query we accept: FORMERR from the header alone. */
            struct dns_query q;
            int rc = dns_parse_query(w->rx_buf[i], DNS_HEADER_LEN, &q);
            q.has_question = false;
            q.has_edns = false;
            len = rc == DNS_PARSE_DROP
                      ? 0
                      : dns_build_error(&q, DNS_RCODE_FORMERR, w->tx_buf[m], DNS_UDP_MIN);
            o.rcode = len ? DNS_RCODE_FORMERR : -1;
            o.truncated = false;
        } else {
            struct dns_query q;
            len = dns_respond_query(&s->policy, snap, w->rx_buf[i], w->rx[i].msg_len, false,
                                    w->rotate++, w->tx_buf[m], DNS_EDNS_PAYLOAD, &o, &q);
            if (o.forward)
                len = forward_query(w, i, &q, w->tx_buf[m], t0, &o);
        }
        ctr_add(&w->ctr.queries, 1);
        dns_count_outcome(&w->ctr, &o);
        if (len == 0)
            continue;
        struct msghdr *t = &w->tx[m].msg_hdr;
        if (m != i)
            memcpy(&w->peer[m], &w->peer[i], h->msg_namelen);
        t->msg_name = &w->peer[m];
        t->msg_namelen = h->msg_namelen;
        w->tx_iov[m].iov_len = len;
        t->msg_iov = &w->tx_iov[m];
        t->msg_iovlen = 1;
        t->msg_flags = 0;
        if (s->wildcard)
            reply_from(h, t, w->tx_ctrl[m]);
        else {
            t->msg_control = NULL;
            t->msg_controllen = 0;
        }
        m++;
    }
    records_read_unlock();
    return m;
}

static bool same_destination(const struct msghdr *a, const struct msghdr *b)
{
    return a->msg_namelen == b->msg_namelen &&
           memcmp(a->msg_name, b->msg_name, a->msg_namelen) == 0 &&
           a->msg_controllen == b->msg_controllen &&
           (a->msg_controllen == 0 ||
            memcmp(a->msg_control, b->msg_control, a->msg_controllen) == 0);
}

/* Turns the m replies in tx[] into sends in out[]: replies with the same destination, source
 * and size are chained into one GSO send. Returns the number of sends. */
static int group_replies(struct udp_worker *w, int m)
{
    bool used[BATCH] = {false};
    int g = 0, n_iov = 0;
    for (int i = 0; i < m; i++) {
        if (used[i])
            continue;
        const struct msghdr *ti = &w->tx[i].msg_hdr;
        int first = n_iov;
        w->out_iov[n_iov++] = w->tx_iov[i];
        for (int j = i + 1; w->gso && j < m; j++) {
            if (!used[j] && w->tx_iov[j].iov_len == w->tx_iov[i].iov_len &&
                same_destination(ti, &w->tx[j].msg_hdr)) {
                used[j] = true;
                w->out_iov[n_iov++] = w->tx_iov[j];
            }
        }
        struct msghdr *o = &w->out[g].msg_hdr;
        size_t cl = ti->msg_controllen;
        if (cl)
            memcpy(w->out_ctrl[g], ti->msg_control, cl);
        w->out_base[g] = cl;
        if (n_iov - first > 1) {
            uint16_t seg = (uint16_t)w->tx_iov[i].iov_len;
            struct cmsghdr *c = (struct cmsghdr *)(w->out_ctrl[g] + cl);
            c->cmsg_level = SOL_UDP;
            c->cmsg_type = UDP_SEGMENT;
            c->cmsg_len = CMSG_LEN(sizeof seg);
            memcpy(CMSG_DATA(c), &seg, sizeof seg);
            cl += CMSG_SPACE(sizeof seg);
        }
        o->msg_name = ti->msg_name;
        o->msg_namelen = ti->msg_namelen;
        o->msg_iov = &w->out_iov[first];
        o->msg_iovlen = (size_t)(n_iov - first);
        o->msg_control = cl ? w->out_ctrl[g] : NULL;
        o->msg_controllen = cl;
        o->msg_flags = 0;
        g++;
    }
    return g;
}

/* A send in out[] failed: send its replies one datagram each. When GSO itself was refused
 * (no checksum offload, old kernel, ...) it stays off for this worker. */
static void send_unchained(struct udp_worker *w, int idx, int err)
{
    const struct msghdr *o = &w->out[idx].msg_hdr;
    if (o->msg_iovlen > 1 && w->gso &&
        (err == EIO || err == EINVAL || err == EOPNOTSUPP || err == ENOPROTOOPT ||
         err == EMSGSIZE)) {
        w->gso = false;
        log_info("dns", "UDP worker %d: GSO unavailable (%s), sending datagrams one by one",
                 w->index, strerror(err));
    }
    for (size_t k = 0; k < o->msg_iovlen; k++) {
        struct msghdr one = *o;
        one.msg_iov = &o->msg_iov[k];
        one.msg_iovlen = 1;
        one.msg_controllen = w->out_base[idx];
        if (one.msg_controllen == 0)
            one.msg_control = NULL;
        ssize_t r;
        do
            r = sendmsg(w->fd, &one, 0);
        while (r < 0 && errno == EINTR);
        if (r < 0)
            ctr_add(&w->ctr.dropped, 1);
    }
}

static void send_batch(struct udp_worker *w, int m)
{
    int g = group_replies(w, m);
    int sent = 0;
    while (sent < g) {
        int r = sendmmsg(w->fd, w->out + sent, (unsigned)(g - sent), 0);
        if (r > 0) {
            sent += r;
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else {
            send_unchained(w, sent, r < 0 ? errno : EIO);
            sent++;
        }
    }
}

/* Waits until the socket is readable or the server stops; returns false when stopping. */
static bool wait_readable(struct udp_worker *w)
{
    struct pollfd p[2] = {{.fd = w->fd, .events = POLLIN},
                          {.fd = w->srv->stop_fd, .events = POLLIN}};
    for (;;) {
        if (dns_stopping(w->srv))
            return false;
        int r = poll(p, 2, -1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || (p[1].revents & POLLIN))
            return false;
        if (p[0].revents)
            return true;
    }
}

static void *udp_main(void *arg)
{
    struct udp_worker *w = arg;
    char name[16];
    snprintf(name, sizeof name, "dns-udp-%d", w->index);
    pthread_setname_np(pthread_self(), name);
    records_reader_register();
    uint64_t last_warn = 0;
    while (!dns_stopping(w->srv)) {
        prepare_rx(w);
        int n = recvmmsg(w->fd, w->rx, BATCH, MSG_DONTWAIT, NULL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (!wait_readable(w))
                    break;
            } else if (errno != EINTR) {
                uint64_t now = dns_now_ns();
                if (now - last_warn >= 1000000000u) { /* at most one line a second */
                    log_warn("dns", "UDP receive failed: %s", strerror(errno));
                    last_warn = now;
                }
                if (!wait_readable(w))
                    break;
            }
            continue;
        }
        uint64_t t0 = dns_now_ns();
        int m = answer_batch(w, n, t0);
        if (m > 0) {
            send_batch(w, m);
            dns_count_latency(&w->ctr, dns_now_ns() - t0, (uint64_t)m);
        }
    }
    records_reader_unregister();
    return NULL;
}

int udp_worker_start(struct udp_worker *w)
{
    int rc = dns_thread_create(&w->thread, udp_main, w);
    w->started = rc == 0;
    return rc;
}

void udp_worker_join(struct udp_worker *w)
{
    if (w->started)
        pthread_join(w->thread, NULL);
    w->started = false;
}

void udp_worker_free(struct udp_worker *w)
{
    if (!w)
        return;
    if (w->fd >= 0)
        close(w->fd);
    free(w);
}
