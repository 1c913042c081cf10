/* dns/forward.h — forwarding names Joyride does not own to upstream resolvers. The UDP workers
 * and the TCP thread call fwd_handle for such a query: it answers REFUSED to clients outside
 * DNS_FORWARD_ALLOW, answers from the cache when it can (on the calling thread), and otherwise
 * hands the query to the forwarder thread and returns at once. The forwarder thread (its own
 * core/loop) asks the upstreams, coalesces identical questions, fills the cache, and sends the
 * answer itself: over UDP with sendmsg on the worker's own socket (the same source address and
 * port the client asked), over TCP through the TCP thread's delivery queue. */
#ifndef JOYRIDE_DNS_FORWARD_H
#define JOYRIDE_DNS_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns/respond.h"
#include "dns/server.h"
#include "dns/wire.h"

struct forwarder;
struct tcp_server;

#define FWD_CTRL_MAX 64

/* Where a forwarded answer goes. */
struct fwd_reply_to {
    bool tcp;
    int fd; /* UDP: the worker's socket */
    struct sockaddr_storage peer;
    socklen_t peerlen;
    uint8_t ctrl[FWD_CTRL_MAX] __attribute__((aligned(8))); /* UDP: the source-address cmsg */
    size_t ctrllen;
    struct tcp_server *tcp_srv; /* TCP: the connection's thread and id */
    uint64_t conn_id;
    uint64_t t0_ns; /* when the query arrived */
};

/* NULL with a reason in err when the configuration cannot be used. */
struct forwarder *fwd_new(const struct dns_forward_config *cfg, char *err, size_t errlen);
int fwd_start(struct forwarder *f); /* 0 or an errno */
void fwd_stop(struct forwarder *f); /* joins the thread; pending clients get nothing */
void fwd_free(struct forwarder *f);

/* Thread-safe. For a parsed query that dns_respond marked forward: returns the answer's length
 * in out (REFUSED, or a cache hit) with *o set, or 0 with o->rcode = DNS_OUTCOME_FORWARDED when
 * the forwarder took it (or -1 when it was dropped: queue full). A name no forward zone covers
 * while DNS_FORWARDERS is empty gets p's unknown-name answer. */
size_t fwd_handle(struct forwarder *f, const struct dns_policy *p, const struct dns_query *q,
                  const struct fwd_reply_to *to, uint8_t *out, size_t cap, struct dns_outcome *o);

/* Whether some upstream (a forward zone's or DNS_FORWARDERS) would be asked for q. */
bool fwd_covers(const struct forwarder *f, const struct dns_query *q);

/* Counters of answers the forwarder thread sent, by protocol (0 UDP, 1 TCP). */
const struct dns_counters *fwd_counters(const struct forwarder *f, int proto);

void fwd_get_stats(struct forwarder *f, struct dns_forward_stats *out);

#endif
