/* dns/fwd_wire.h — the wire side of forwarding, no I/O and no allocation: the query Joyride
 * sends upstream, the check that an upstream answer is the one asked for (ID, question), its
 * normal form (OPT removed, TTLs capped; what the cache stores), and the answer a client gets
 * from that form (client's ID and question case, RA set, AA and AD clear, TTLs counted down,
 * EDNS and the client's UDP size honoured with TC). */
#ifndef JOYRIDE_DNS_FWD_WIRE_H
#define JOYRIDE_DNS_FWD_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/wire.h"

/* Builds the upstream query for q (lowercased question, RD set, CD as the client sent it, OPT
 * with payload DNS_EDNS_PAYLOAD and the client's DO bit). Returns the length, 0 when cap is too
 * small. */
size_t fwd_build_query(const struct dns_query *q, uint16_t id, uint8_t *out, size_t cap);

enum fwd_status {
    FWD_OK = 0,
    FWD_MALFORMED, /* not a response we can walk (lengths, names, A/AAAA/NS/CNAME/PTR/SOA rdata) */
    FWD_MISMATCH,  /* a response, but not to what we asked: wrong ID or question (spoofing) */
};

/* What fwd_normalize learnt about an accepted answer. */
struct fwd_info {
    uint16_t rcode; /* with the extended bits of the upstream's OPT */
    bool tc;
    uint16_t an, ns, ar; /* counts after normalization (OPT removed) */
    /* Caching: ttl is the lifetime (seconds) the answer may be cached for; cacheable false for
     * rcodes other than NOERROR/NXDOMAIN, TC answers and negatives without a SOA. */
    bool cacheable, negative;
    uint32_t ttl;
};

/* Checks pkt[0..len) against the query we sent (id, lowercase qname, qtype, qclass) and writes
 * its normal form to out (header with ID 0, the question, every record but OPT and what follows
 * it, each TTL capped at max_ttl). Returns FWD_OK with *outlen and *info filled. */
enum fwd_status fwd_normalize(const uint8_t *pkt, size_t len, uint16_t id, const uint8_t *qname,
                              size_t qname_len, uint16_t qtype, uint16_t qclass, uint32_t max_ttl,
                              uint8_t *out, size_t cap, size_t *outlen, struct fwd_info *info);

/* The answer for client query q from a normal-form message msg[0..len): elapsed seconds are
 * taken off every TTL (floored at 0); stale_ttl > 0 sets every TTL to it instead. limit is the
 * client's size limit (dns_response_limit): a message that does not fit is cut to its question
 * with TC set. ext_rcode is the full rcode (fwd_info.rcode). Returns the length, 0 when out is
 * too small or msg is not for q's question. */
size_t fwd_answer(const uint8_t *msg, size_t len, uint16_t ext_rcode, const struct dns_query *q,
                  uint32_t elapsed, uint32_t stale_ttl, size_t limit, uint8_t *out, size_t cap,
                  bool *truncated);

#endif
