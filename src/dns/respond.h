/* dns/respond.h — the answer policy: turns one query packet into one response packet from a
 * record snapshot, the TTL, the unknown-name action and the authoritative domains. No I/O and no
 * allocation, so every server thread calls it on its own buffers. */
#ifndef JOYRIDE_DNS_RESPOND_H
#define JOYRIDE_DNS_RESPOND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/server.h"
#include "dns/wire.h"
#include "records/records.h"

/* A domain Joyride is authoritative for, in lowercase wire form. */
struct dns_zone {
    uint8_t wire[DNS_NAME_MAX];
    uint16_t len;
};

struct dns_apex;

struct dns_policy {
    uint32_t ttl;
    bool forward; /* names Joyride does not own (outside every zone) go to the forwarder */
    enum dns_unknown_action unknown;
    const struct dns_zone *zones;
    size_t n_zones;
    const struct dns_apex *apex; /* the zones' NS sets (dns/apex.h); NULL: no NS, MNAME the apex */
};

/* SOA timers other than the serial and minimum (which come from the snapshot and the TTL). */
#define DNS_SOA_REFRESH 3600
#define DNS_SOA_RETRY 600
#define DNS_SOA_EXPIRE 604800 /* one week: what zone checkers recommend at least */

#define DNS_OUTCOME_FORWARDED (-2) /* handed to the forwarder, which answers and counts it */

struct dns_outcome {
    int rcode;      /* rcode sent (BADVERS is 16); -1 when the query was dropped */
    bool truncated; /* TC set */
    bool forward;   /* nothing built: the name is not ours and p->forward is set */
};

/* The answer for a parsed, well formed query (dns_parse_query returned DNS_PARSE_OK).
 * rr: what records_lookup found for q->qname, or on a miss the wildcard dns_wildcard_match found
 * (answered with the question name as owner), NULL when neither exists; snap: the snapshot rr
 * came from, where the zone apexes find their NS names and glue (NULL: none); serial: the SOA
 * serial; rotate: round-robin start for multiple addresses. Returns the length written to out,
 * 0 when the query is to be dropped. */
size_t dns_answer(const struct dns_policy *p, const struct dns_query *q, const struct rec_rrset *rr,
                  const struct rec_snapshot *snap, uint32_t serial, bool tcp, uint32_t rotate,
                  uint8_t *out, size_t outsize, struct dns_outcome *res);

/* Parses in[0..inlen) and answers it from snap (the caller holds records_read_lock).
 * Returns the response length, 0 when nothing is to be sent (res->forward: the query, parsed
 * into *q, is for the forwarder). */
size_t dns_respond_query(const struct dns_policy *p, const struct rec_snapshot *snap,
                         const uint8_t *in, size_t inlen, bool tcp, uint32_t rotate, uint8_t *out,
                         size_t outsize, struct dns_outcome *res, struct dns_query *q);
size_t dns_respond(const struct dns_policy *p, const struct rec_snapshot *snap, const uint8_t *in,
                   size_t inlen, bool tcp, uint32_t rotate, uint8_t *out, size_t outsize,
                   struct dns_outcome *res);

/* Index in p->zones of the most specific zone holding the lowercase wire name, -1 when none;
 * *off is where the zone starts in the name. */
int dns_policy_zone(const struct dns_policy *p, const uint8_t *name, size_t len, uint16_t *off);

/* Builds p's zone list from presentation names; zones must hold n entries. Returns false (and
 * the index of the bad name in *bad) when a name is not a valid domain. */
bool dns_zones_from_text(const char *const *names, size_t n, struct dns_zone *zones, size_t *bad);

#endif
