/* http/guard.c — the slow-header guard (see guard.h): a list of open connections under a mutex,
 * each with the time its current request began; a sweeper thread shuts down those whose headers
 * are overdue. libmicrohttpd reports a connection CLOSED (we drop it from the list, under the
 * mutex) before it closes the socket, so the sweeper never touches a descriptor that was reused. */
#include "http/guard.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "core/log.h"

#define SWEEP_MS 250

struct http_guard;

struct guard_conn {
    struct guard_conn *prev, *next;
    struct http_guard *g;
    int fd;
    uint64_t since_ms; /* connection opened or previous request ended */
    bool in_request;   /* headers complete, request being handled */
    bool shut;
};

struct http_guard {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct guard_conn *head;
    uint32_t header_ms;
    uint64_t closed;
    bool stop;
    pthread_t thread;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static struct log_limit slow_log = LOG_LIMIT_INIT(1, 60000);

static void *sweeper(void *arg)
{
    struct http_guard *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += SWEEP_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&g->cv, &g->mu, &until);
        uint64_t now = now_ms();
        unsigned n = 0;
        for (struct guard_conn *c = g->head; c; c = c->next) {
            if (c->in_request || c->shut || now - c->since_ms < g->header_ms)
                continue;
            shutdown(c->fd, SHUT_RDWR); /* libmicrohttpd sees the end and closes it */
            c->shut = true;
            n++;
        }
        g->closed += n;
        if (n)
            log_limited(&slow_log, LOG_WARNING, "http",
                        "closed %u connection(s) that sent no complete request headers within "
                        "%u ms",
                        n, g->header_ms);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

struct http_guard *http_guard_start(uint32_t header_timeout_ms)
{
    struct http_guard *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, &ca);
    pthread_condattr_destroy(&ca);
    g->header_ms = header_timeout_ms;
    if (pthread_create(&g->thread, NULL, sweeper, g) != 0) {
        pthread_cond_destroy(&g->cv);
        pthread_mutex_destroy(&g->mu);
        free(g);
        errno = EAGAIN;
        return NULL;
    }
    return g;
}

void http_guard_stop(struct http_guard *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->mu);
    g->stop = true;
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->thread, NULL);
    while (g->head) {
        struct guard_conn *c = g->head;
        g->head = c->next;
        free(c);
    }
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

void http_guard_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                              enum MHD_ConnectionNotificationCode code)
{
    struct http_guard *g = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct guard_conn *c = ci ? calloc(1, sizeof *c) : NULL;
        *socket_context = c;
        if (!c)
            return; /* unguarded; libmicrohttpd's idle timeout still applies */
        c->g = g;
        c->fd = ci->connect_fd;
        c->since_ms = now_ms();
        pthread_mutex_lock(&g->mu);
        c->next = g->head;
        if (g->head)
            g->head->prev = c;
        g->head = c;
        pthread_mutex_unlock(&g->mu);
        return;
    }
    struct guard_conn *c = *socket_context;
    if (!c)
        return;
    pthread_mutex_lock(&g->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        g->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&g->mu);
    free(c);
    *socket_context = NULL;
}

static struct guard_conn *conn_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* in_request and since_ms are written by the connection's own thread and read by the sweeper,
 * both under the mutex (held for a few instructions; this API serves few requests a second). */
void http_guard_headers_done(struct MHD_Connection *conn)
{
    struct guard_conn *c = conn_of(conn);
    if (!c)
        return;
    pthread_mutex_lock(&c->g->mu);
    c->in_request = true;
    pthread_mutex_unlock(&c->g->mu);
}

void http_guard_on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                             enum MHD_RequestTerminationCode toe)
{
    struct http_guard *g = cls;
    (void)req_cls;
    (void)toe;
    struct guard_conn *c = conn_of(conn);
    if (!c)
        return;
    pthread_mutex_lock(&g->mu);
    c->in_request = false;
    c->since_ms = now_ms();
    pthread_mutex_unlock(&g->mu);
}

uint64_t http_guard_closed(struct http_guard *g)
{
    pthread_mutex_lock(&g->mu);
    uint64_t n = g->closed;
    pthread_mutex_unlock(&g->mu);
    return n;
}
