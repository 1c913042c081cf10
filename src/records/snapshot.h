/* records/snapshot.h — internal to the record table: building the immutable reader snapshot (an
 * open-addressing hash table keyed by wire-format name, in one allocation) from served pairs. */
#ifndef JOYRIDE_RECORDS_SNAPSHOT_H
#define JOYRIDE_RECORDS_SNAPSHOT_H

#include "records/records.h"

/* One served (name, address) pair; name is a normalized presentation name. */
struct snap_pair {
    const char *name;
    struct rec_addr addr;
    uint32_t ttl;  /* the record's answer TTL */
    uint32_t rank; /* PTR order among the address's names */
    bool ptr;      /* the address's reverse name answers PTR name */
};

/* Builds a snapshot holding every name of pairs with its A and AAAA addresses (sorted, each
 * distinct address once, TTL the smallest of the name's records of that type), for pairs with
 * ptr the reverse name of the address with its PTR targets (each distinct name once, ordered by
 * its smallest rank, then name), and every ancestor name as an empty non-terminal, in time
 * linear in n (hashing; only each name's own records are sorted). Zeroes the unused bytes of A
 * addresses in pairs. NULL on allocation failure. */
struct rec_snapshot *snap_build(struct snap_pair *pairs, size_t n, uint64_t version);
void snap_free(struct rec_snapshot *s);

/* Content fingerprint: equal snapshots have equal digests (used to skip no-op publications). */
uint64_t snap_digest(const struct rec_snapshot *s);

/* Retired-list link used by the table while a snapshot waits for a grace period. */
struct rec_snapshot **snap_next(struct rec_snapshot *s);

#endif
