/* transport_udp.h — the real network for a swimmies node: one UDP socket and one TCP listener on
 * the same port, non-blocking, driven by the event loop (loop.h). It owns the struct swim it
 * creates, feeds it packets, streams and timer ticks, and performs its sends. */
#ifndef SWIMMIES_TRANSPORT_UDP_H
#define SWIMMIES_TRANSPORT_UDP_H

#include "core/loop.h"
#include "swimmies/swim.h"

struct swim_net;

/* Binds UDP and TCP on bind (port 0: the kernel picks one free for both) and creates the swim
 * node. cfg->transport is filled in here; if cfg->advertise.ip_len is 0 the bound address is
 * advertised (its port is always the bound port when advertise.port is 0). Returns NULL and
 * logs through cfg->log on failure. */
struct swim_net *swim_net_new(struct loop *loop, const struct swim_addr *bind,
                              const struct swim_config *cfg);
/* Closes sockets and connections and frees the swim node. */
void swim_net_free(struct swim_net *n);
struct swim *swim_net_swim(struct swim_net *n);
/* The address actually bound. */
struct swim_addr swim_net_bound(const struct swim_net *n);

#endif
