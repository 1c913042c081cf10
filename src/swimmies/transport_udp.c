/* transport_udp.c — real UDP + TCP sockets for the sans-IO swimmies core on the event loop:
 * datagrams in/out, accepted streams (read until the core has a whole request, write its reply,
 * close), outgoing streams (connect, write, optionally read one reply), per-connection timeouts,
 * one loop timer that follows swim_next_deadline(), and the "nothing listens there" evidence:
 * ICMP port unreachable from the UDP error queue (IP_RECVERR) and refused TCP connects are
 * reported to the core (swim_recv_unreachable). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/vec.h"
#include "swimmies/transport_udp.h"

#define NET_LOG "swim-net"
#define UDP_BATCH 64
#define TCP_READ_CHUNK 65536
#define STREAM_MAX ((size_t)21 * 1024 * 1024)
#define MAX_CONNS 256

struct conn {
    struct swim_net *net;
    int fd;
    bool incoming;
    bool connecting;
    uint64_t token; /* outgoing: reply expected when != 0 */
    struct swim_addr peer;
    uint8_t *out;
    size_t out_len, out_off;
    struct {
        uint8_t *v;
        size_t n, cap;
    } in; /* bytes read so far (a core/vec.h vector) */
    uint64_t deadline;
    struct conn *prev, *next;
};

struct swim_net {
    struct loop *loop;
    struct swim *swim;
    int udp_fd, tcp_fd;
    struct swim_addr bound;
    struct loop_timer *timer;
    uint64_t timer_due;
    struct conn *conns;
    size_t n_conns;
    uint32_t tcp_timeout_ms;
    uint8_t *rxbuf;
};

static void to_sockaddr(const struct swim_addr *a, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof(*ss));
    if (a->ip_len == 16) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        memcpy(&s6->sin6_addr, a->ip, 16);
        s6->sin6_port = htons(a->port);
        *len = sizeof(*s6);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        s4->sin_family = AF_INET;
        memcpy(&s4->sin_addr, a->ip, 4);
        s4->sin_port = htons(a->port);
        *len = sizeof(*s4);
    }
}

static void from_sockaddr(const struct sockaddr_storage *ss, struct swim_addr *a)
{
    memset(a, 0, sizeof(*a));
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        memcpy(a->ip, &s6->sin6_addr, 16);
        a->ip_len = 16;
        a->port = ntohs(s6->sin6_port);
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        memcpy(a->ip, &s4->sin_addr, 4);
        a->ip_len = 4;
        a->port = ntohs(s4->sin_port); // NOLINT(clang-analyzer-core.CallAndMessage): from recvfrom
    }
}

/* ---- timer ------------------------------------------------------------------------------------
 */

static void on_timer(void *ctx);

static void conns_expire(struct swim_net *n, uint64_t now);

/* Arms the one loop timer for the earlier of the core's deadline and the connections' ones
 * (only ever moves it earlier; on_timer clears it before it runs). */
static void reschedule_at(struct swim_net *n, uint64_t due)
{
    uint64_t now = loop_now_ms();
    for (struct conn *c = n->conns; c; c = c->next)
        if (c->deadline < due)
            due = c->deadline;
    if (due < now)
        due = now;
    if (n->timer && n->timer_due <= due)
        return;
    if (n->timer)
        loop_timer_cancel(n->loop, n->timer);
    n->timer = loop_timer_add(n->loop, due - now, on_timer, n);
    n->timer_due = due;
}

static void reschedule(struct swim_net *n)
{
    reschedule_at(n, swim_next_deadline(n->swim));
}

static void on_timer(void *ctx)
{
    struct swim_net *n = ctx;
    n->timer = NULL;
    uint64_t now = loop_now_ms();
    swim_tick(n->swim, now);
    conns_expire(n, now);
    reschedule(n);
}

/* transport.schedule: an API call queued work (join, leave, broadcast, ...); the core passes its
 * new deadline, so no caller has to remember to reschedule. */
static void on_schedule(void *ctx, uint64_t deadline_ms)
{
    struct swim_net *n = ctx;
    if (n->swim) /* NULL only while swim_new runs */
        reschedule_at(n, deadline_ms);
}

/* ---- UDP --------------------------------------------------------------------------------------
 */

/* Reads the UDP socket's error queue: each ICMP port unreachable names the destination of a
 * datagram of ours that found no socket. Other errors (host unreachable, too big) are dropped:
 * a vanished host is left to the normal timeouts. */
static void drain_errors(struct swim_net *n)
{
    for (int i = 0; i < UDP_BATCH; i++) {
        struct sockaddr_storage ss = {0};
        uint8_t data[64];
        union {
            char buf[512];
            struct cmsghdr align;
        } ctl;
        struct iovec iov = {data, sizeof(data)};
        struct msghdr msg = {.msg_name = &ss,
                             .msg_namelen = sizeof(ss),
                             .msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = ctl.buf,
                             .msg_controllen = sizeof(ctl.buf)};
        if (recvmsg(n->udp_fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
            return;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            bool v4 = c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR;
            bool v6 = c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR;
            if (!v4 && !v6)
                continue;
            struct sock_extended_err ee;
            memcpy(&ee, CMSG_DATA(c), sizeof(ee));
            bool port = (ee.ee_origin == SO_EE_ORIGIN_ICMP && ee.ee_type == ICMP_DEST_UNREACH &&
                         ee.ee_code == ICMP_PORT_UNREACH) ||
                        (ee.ee_origin == SO_EE_ORIGIN_ICMP6 && ee.ee_type == ICMP6_DST_UNREACH &&
                         ee.ee_code == ICMP6_DST_UNREACH_NOPORT);
            if (port && msg.msg_namelen > 0) {
                struct swim_addr to;
                from_sockaddr(&ss, &to);
                swim_recv_unreachable(n->swim, loop_now_ms(), &to);
            }
        }
    }
}

static int send_packet(void *ctx, const struct swim_addr *to, const uint8_t *buf, size_t len)
{
    struct swim_net *n = ctx;
    struct sockaddr_storage ss;
    socklen_t sl;
    to_sockaddr(to, &ss, &sl);
    ssize_t r = sendto(n->udp_fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&ss, sl);
    if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EMSGSIZE) {
        /* an ICMP error queued for an earlier datagram is reported by the next call (IP_RECVERR):
         * it says nothing about this one, so send it again */
        r = sendto(n->udp_fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&ss, sl);
    }
    return r == (ssize_t)len ? 0 : -1;
}

static void on_udp(int fd, uint32_t events, void *ctx)
{
    struct swim_net *n = ctx;
    if (events & EPOLLERR)
        drain_errors(n);
    for (int i = 0; i < UDP_BATCH; i++) {
        struct sockaddr_storage ss = {0};
        socklen_t sl = sizeof(ss);
        ssize_t r = recvfrom(fd, n->rxbuf, 65536, MSG_DONTWAIT, (struct sockaddr *)&ss, &sl);
        if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            drain_errors(n); /* a pending ICMP error, reported in place of a datagram */
            continue;
        }
        if (r < 0)
            break;
        struct swim_addr from;
        from_sockaddr(&ss, &from);
        swim_recv_packet(n->swim, loop_now_ms(), &from, n->rxbuf, (size_t)r);
    }
    reschedule(n);
}

/* ---- TCP --------------------------------------------------------------------------------------
 */

static void conn_unlink(struct conn *c)
{
    struct swim_net *n = c->net;
    if (c->prev)
        c->prev->next = c->next;
    else
        n->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    n->n_conns--;
}

static void conn_close(struct conn *c)
{
    struct swim_net *n = c->net;
    loop_del_fd(n->loop, c->fd);
    close(c->fd);
    conn_unlink(c);
    free(c->out);
    free(c->in.v);
    free(c);
}

/* An outgoing stream ended before its reply completed. */
static void conn_fail(struct conn *c)
{
    struct swim_net *n = c->net;
    uint64_t token = c->token;
    c->token = 0;
    conn_close(c);
    if (token)
        swim_stream_reply(n->swim, loop_now_ms(), token, NULL, 0);
}

static void conns_expire(struct swim_net *n, uint64_t now)
{
    for (struct conn *c = n->conns; c;) {
        struct conn *nx = c->next;
        if (c->deadline <= now)
            conn_fail(c);
        c = nx;
    }
}

static struct conn *conn_new(struct swim_net *n, int fd, bool incoming)
{
    struct conn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->net = n;
    c->fd = fd;
    c->incoming = incoming;
    c->deadline = loop_now_ms() + n->tcp_timeout_ms;
    c->next = n->conns;
    if (c->next)
        c->next->prev = c;
    n->conns = c;
    n->n_conns++;
    return c;
}

/* Reads what is available; returns 1 on EOF, -1 on error/overflow, 0 otherwise. */
static int conn_read(struct conn *c)
{
    for (;;) {
        if (c->in.cap - c->in.n < TCP_READ_CHUNK) {
            size_t nc = c->in.cap ? c->in.cap * 2 : (size_t)TCP_READ_CHUNK * 2;
            if (nc > STREAM_MAX || !vec_reserve(&c->in, nc))
                return -1;
        }
        ssize_t r = read(c->fd, c->in.v + c->in.n, c->in.cap - c->in.n);
        if (r > 0) {
            c->in.n += (size_t)r;
            continue;
        }
        if (r == 0)
            return 1;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        if (errno == EINTR)
            continue;
        return -1;
    }
}

/* Writes pending output; returns 1 when all is written, 0 when blocked, -1 on error. */
static int conn_write(struct conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t w =
            send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w > 0) {
            c->out_off += (size_t)w;
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (w < 0 && errno == EINTR)
            continue;
        return -1;
    }
    return 1;
}

/* An encrypted stream announces its length: skip re-parsing until all of it is here. */
static bool frame_incomplete(const struct conn *c)
{
    if (c->in.n < 5 || c->in.v[0] != 0x0a)
        return false;
    size_t need = 5 + ((size_t)c->in.v[1] << 24 | (size_t)c->in.v[2] << 16 |
                       (size_t)c->in.v[3] << 8 | (size_t)c->in.v[4]);
    return c->in.n < need;
}

static void on_conn(int fd, uint32_t events, void *ctx)
{
    (void)fd;
    struct conn *c = ctx;
    struct swim_net *n = c->net;
    if (c->connecting) {
        int err = 0;
        socklen_t el = sizeof(err);
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err) {
            if (err == ECONNREFUSED)
                swim_recv_unreachable(n->swim, loop_now_ms(), &c->peer);
            conn_fail(c);
            goto out;
        }
        c->connecting = false;
    }
    if (c->out && c->out_off < c->out_len) {
        int w = conn_write(c);
        if (w < 0) {
            conn_fail(c);
            goto out;
        }
        if (w == 0)
            goto out;
        /* written: incoming conns close, outgoing wait for a reply if one is expected */
        if (c->incoming || !c->token) {
            conn_close(c);
            goto out;
        }
        loop_mod_fd(n->loop, c->fd, EPOLLIN);
        goto out;
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        int r = conn_read(c);
        if (r == 0 && frame_incomplete(c))
            goto out;
        if (c->in.n > 0 && r >= 0) {
            if (c->incoming) {
                uint8_t *reply = NULL;
                size_t rl = 0;
                int rc = swim_recv_stream(n->swim, loop_now_ms(), &c->peer, c->in.v, c->in.n,
                                          &reply, &rl);
                if (rc == 1 && r == 0)
                    goto out; /* need more */
                if (reply && rl) {
                    c->out = reply;
                    c->out_len = rl;
                    c->out_off = 0;
                    int w = conn_write(c);
                    if (w == 0) {
                        loop_mod_fd(n->loop, c->fd, EPOLLOUT);
                        goto out;
                    }
                } else {
                    free(reply);
                }
                conn_close(c);
                goto out;
            }
            int rc = swim_stream_reply(n->swim, loop_now_ms(), c->token, c->in.v, c->in.n);
            if (rc == 1 && r == 0)
                goto out;
            if (rc == 1) {
                conn_fail(c); /* EOF in the middle of the reply */
                goto out;
            }
            c->token = 0;
            conn_close(c);
            goto out;
        }
        if (r != 0)
            conn_fail(c);
    }
out:
    reschedule(n);
}

static void on_accept(int fd, uint32_t events, void *ctx)
{
    (void)events;
    struct swim_net *n = ctx;
    for (;;) {
        struct sockaddr_storage ss = {0};
        socklen_t sl = sizeof(ss);
        int cfd = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0)
            break;
        if (n->n_conns >= MAX_CONNS) {
            close(cfd); /* memberlist caps concurrent push/pulls too */
            continue;
        }
        struct conn *c = conn_new(n, cfd, true);
        if (!c) {
            close(cfd);
            continue;
        }
        from_sockaddr(&ss, &c->peer);
        if (loop_add_fd(n->loop, cfd, EPOLLIN, on_conn, c) < 0) {
            close(cfd);
            conn_unlink(c);
            free(c);
        }
    }
    reschedule(n);
}

static int stream_send(void *ctx, const struct swim_addr *to, const uint8_t *buf, size_t len,
                       uint64_t token)
{
    struct swim_net *n = ctx;
    int fd = socket(to->ip_len == 16 ? AF_INET6 : AF_INET,
                    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    /* Originate from our bound address so traffic stays on the chosen interface. */
    if (n->bound.ip_len == to->ip_len) {
        struct swim_addr src = n->bound;
        src.port = 0;
        bool any = true;
        for (int i = 0; i < src.ip_len; i++)
            if (src.ip[i])
                any = false;
        if (!any) {
            struct sockaddr_storage ss;
            socklen_t sl;
            to_sockaddr(&src, &ss, &sl);
            if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
                close(fd);
                return -1;
            }
        }
    }
    struct sockaddr_storage ss;
    socklen_t sl;
    to_sockaddr(to, &ss, &sl);
    int r = connect(fd, (struct sockaddr *)&ss, sl);
    if (r < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    struct conn *c = conn_new(n, fd, false);
    if (!c) {
        close(fd);
        return -1;
    }
    c->peer = *to;
    c->token = token;
    c->connecting = true;
    c->out = malloc(len);
    if (!c->out || loop_add_fd(n->loop, fd, EPOLLOUT, on_conn, c) < 0) {
        c->token = 0;
        free(c->out);
        c->out = NULL;
        close(fd);
        conn_unlink(c);
        free(c);
        return -1;
    }
    memcpy(c->out, buf, len);
    c->out_len = len;
    return 0;
}

/* ---- lifecycle --------------------------------------------------------------------------------
 */

static int bind_socket(int type, const struct swim_addr *a)
{
    int fd = socket(a->ip_len == 16 ? AF_INET6 : AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_storage ss;
    socklen_t sl;
    to_sockaddr(a, &ss, &sl);
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

struct swim_net *swim_net_new(struct loop *loop, const struct swim_addr *bind,
                              const struct swim_config *cfg)
{
    struct swim_net *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->loop = loop;
    n->udp_fd = n->tcp_fd = -1;
    n->rxbuf = malloc(65536);
    char b[64];
    if (!n->rxbuf)
        goto fail;
    struct swim_addr a = *bind;
    for (int attempt = 0; attempt < 32; attempt++) {
        n->tcp_fd = bind_socket(SOCK_STREAM, &a);
        if (n->tcp_fd < 0)
            break;
        if (a.port == 0) {
            struct sockaddr_storage ss = {0};
            socklen_t sl = sizeof(ss);
            getsockname(n->tcp_fd, (struct sockaddr *)&ss, &sl);
            struct swim_addr got;
            from_sockaddr(&ss, &got);
            a.port = got.port;
        }
        n->udp_fd = bind_socket(SOCK_DGRAM, &a);
        if (n->udp_fd >= 0 || bind->port != 0)
            break;
        close(n->tcp_fd); /* the UDP twin of the ephemeral port was taken: try another */
        n->tcp_fd = -1;
        a.port = 0;
    }
    if (n->tcp_fd < 0 || n->udp_fd < 0) {
        swim_logf(&cfg->log, SWIM_LOG_ERROR, NET_LOG, "cannot bind %s: %s",
                  swim_addr_str(bind, b, sizeof(b)), strerror(errno));
        goto fail;
    }
    if (listen(n->tcp_fd, 128) < 0)
        goto fail;
    int rcv = 4 * 1024 * 1024;
    setsockopt(n->udp_fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
    int on = 1;
    if (a.ip_len == 16)
        setsockopt(n->udp_fd, SOL_IPV6, IPV6_RECVERR, &on, sizeof(on));
    else
        setsockopt(n->udp_fd, SOL_IP, IP_RECVERR, &on, sizeof(on));
    n->bound = a;

    struct swim_config c = *cfg;
    if (c.advertise.ip_len == 0) {
        c.advertise = a;
    } else if (c.advertise.port == 0) {
        c.advertise.port = a.port;
    }
    c.transport.ctx = n;
    c.transport.send_packet = send_packet;
    c.transport.stream_send = stream_send;
    c.transport.schedule = on_schedule;
    n->tcp_timeout_ms = c.tcp_timeout_ms ? c.tcp_timeout_ms : 10000;
    n->swim = swim_new(&c, loop_now_ms());
    if (!n->swim) {
        swim_logf(&cfg->log, SWIM_LOG_ERROR, NET_LOG, "invalid swim configuration");
        goto fail;
    }
    if (loop_add_fd(loop, n->udp_fd, EPOLLIN, on_udp, n) < 0 ||
        loop_add_fd(loop, n->tcp_fd, EPOLLIN, on_accept, n) < 0)
        goto fail;
    reschedule(n);
    return n;
fail:
    swim_net_free(n);
    return NULL;
}

void swim_net_free(struct swim_net *n)
{
    if (!n)
        return;
    for (struct conn *c = n->conns, *next; c; c = next) {
        next = c->next;
        c->token = 0;
        conn_close(c);
    }
    if (n->timer)
        loop_timer_cancel(n->loop, n->timer);
    if (n->udp_fd >= 0) {
        loop_del_fd(n->loop, n->udp_fd);
        close(n->udp_fd);
    }
    if (n->tcp_fd >= 0) {
        loop_del_fd(n->loop, n->tcp_fd);
        close(n->tcp_fd);
    }
    swim_free(n->swim);
    free(n->rxbuf);
    free(n);
}

struct swim *swim_net_swim(struct swim_net *n)
{
    return n->swim;
}

struct swim_addr swim_net_bound(const struct swim_net *n)
{
    return n->bound;
}
