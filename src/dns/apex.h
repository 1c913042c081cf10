/* dns/apex.h — the zone apexes of DNS_DOMAINS: the NS set of each zone and what goes with it
 * (glue from the record snapshot, the SOA MNAME), shared read-only by every DNS worker.
 *
 * Two modes. Derived (no DNS_NS_NAMES): every node publishes <label>.ns.<zone> with its HOSTIP as
 * an ordinary record of the table (source "ns"; app.c), so the name replicates, goes dormant with
 * its owner and comes back with it. The apex holds the labels of the known cluster members
 * (dns_apex_set_nodes, RCU-published) and, at query time, lists those whose name the snapshot
 * serves: the NS set is exactly the live members' names, their glue the addresses served. Fixed
 * (DNS_NS_NAMES): the configured names, always; glue only for those inside the zone that have
 * records Joyride serves (a hosts file or API record). */
#ifndef JOYRIDE_DNS_APEX_H
#define JOYRIDE_DNS_APEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/respond.h"
#include "dns/wire.h"
#include "records/records.h"

#define DNS_APEX_MAX_NS 32    /* NS names answered per zone: the lowest by name */
#define DNS_APEX_LABEL_MAX 63 /* a derived label: one DNS label */

struct dns_apex;

/* The apex of zones[0..n_zones) (kept by pointer). fixed[0..n_fixed): DNS_NS_NAMES in
 * presentation form; none: derived names, no member known until dns_apex_set_nodes. NULL when
 * memory ran out or a fixed name is not a valid domain name (its index in *bad). */
struct dns_apex *dns_apex_new(const struct dns_zone *zones, size_t n_zones,
                              const char *const *fixed, size_t n_fixed, size_t *bad);
/* After every reader is gone (the server's threads joined). NULL-safe. */
void dns_apex_free(struct dns_apex *ax);

/* Derived mode: the node ids whose names are NS candidates (every known member, any state: the
 * snapshot decides who is live). Publishes a new immutable list and frees the old one after an
 * RCU grace period, so the caller must not hold records_read_lock. Unchanged lists publish
 * nothing. Returns 1 when the list changed, 0 when not, -ENOMEM. No-op (0) in fixed mode. */
int dns_apex_set_nodes(struct dns_apex *ax, const char *const *ids, size_t n);

/* The DNS label for a node id: lowercase letters, digits and single inner hyphens; an id that
 * is not such a label already (other characters, upper case, over 63 bytes) gets a hyphen and
 * six hex digits of its hash appended, so different ids keep different labels. */
void dns_apex_node_label(const char *node_id, char out[DNS_APEX_LABEL_MAX + 1]);
/* "<label>.ns.<zone>" for a normalized zone; false when longer than a name may be. */
bool dns_apex_node_name(const char *node_id, const char *zone, char out[REC_NAME_MAX + 1]);

/* ---- Query time: inside records_read_lock, snap the snapshot being answered from ---- */

struct dns_apex_ns {
    uint8_t wire[DNS_NAME_MAX]; /* lowercase, uncompressed */
    uint16_t len;
    const struct rec_rrset *rr; /* its addresses in snap; NULL: none */
};

/* The NS set of zone (an index in zones), in name order, at most max. */
size_t dns_apex_ns_set(const struct dns_apex *ax, const struct rec_snapshot *snap, size_t zone,
                       struct dns_apex_ns *out, size_t max);

/* The SOA MNAME of zone: the first name of its NS set; false (MNAME the apex) when empty. */
bool dns_apex_mname(const struct dns_apex *ax, const struct rec_snapshot *snap, size_t zone,
                    struct dns_apex_ns *out);

/* The NS RRset of zone into r's answer section (owner the apex at the question's zone_off),
 * then the A and AAAA glue of the names inside the zone into the additional section as far as
 * it fits. Returns the number of NS records added (0: none, or truncated). */
size_t dns_apex_add_ns(const struct dns_apex *ax, const struct rec_snapshot *snap, size_t zone,
                       uint16_t zone_off, uint32_t ttl, struct dns_resp *r);

/* The SOA serial of a snapshot: a 32-bit fold of its content digest, so every node serving the
 * same records answers the same serial, and any change of the served set changes it. */
uint32_t dns_zone_serial(const struct rec_snapshot *snap);

#endif
