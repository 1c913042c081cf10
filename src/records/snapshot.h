/* records/snapshot.h — internal to the record table: building the immutable reader snapshot (an
 * open-addressing hash table keyed by wire-format name, in one allocation) from served pairs,
 * and stacking a small one over a base. */
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
    bool ptr_only; /* only that PTR (ptr is implied): nothing for name itself */
};

/* Pair types besides REC_A and REC_AAAA, for a snapshot stacked over a base: the name exists
 * without addresses of its own (an empty non-terminal), or it does not exist (hides the base's). */
#define SNAP_PAIR_ENT 0xfffe
#define SNAP_PAIR_ABSENT 0xffff

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

/* Stacks s over base: lookups answer from s for every name s holds (none for one marked absent)
 * and from base for the others; count is the whole's served pairs. The digest becomes the
 * whole's, equal to that of the same content built in one. */
void snap_set_base(struct rec_snapshot *s, const struct rec_snapshot *base, size_t count);
void snap_set_version(struct rec_snapshot *s, uint64_t version);

/* Every (name, address) pair s answers (with its base, if stacked), as snap_build takes them, for
 * building a new base (each with its set's TTL; a reverse name's PTR targets as PTR-only pairs
 * ranked by position): *pairs and *names (the names, presentation form) are the caller's to free.
 * False on allocation failure. */
bool snap_pairs(const struct rec_snapshot *s, struct snap_pair **pairs, size_t *n, char **names);

/* Retired-list link used by the table while a snapshot waits for a grace period. */
struct rec_snapshot **snap_next(struct rec_snapshot *s);

#endif
