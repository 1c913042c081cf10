/* simstore.h — a compact model of the record table for the replication simulator: the contract
 * of records.h's remote-owner functions (versions, deltas in order with gaps remembered, full
 * states merged entry-wise, tombstones, dormant owners) behind a struct repl_store, with every
 * owner's entries at one version held once for the whole simulated cluster (shared by reference
 * count), so a thousand nodes each holding 100k records fit in one process. Owners are the
 * simulator's nodes ("node-<index>"). */
#ifndef SIMSTORE_H
#define SIMSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sync/repl.h"

struct simworld; /* what all stores share: owner names, the intern table */
struct simstore; /* one node's table */

struct simworld *simworld_new(size_t max_owners);
void simworld_free(struct simworld *w);
/* Entry contents currently held (distinct owner versions) and their entries, for reports. */
size_t simworld_contents(const struct simworld *w, size_t *entries);

/* A node's table; `self` is its owner index, `epoch` its boot epoch. */
struct simstore *simstore_new(struct simworld *w, size_t self, uint64_t epoch);
void simstore_free(struct simstore *s);
struct repl_store simstore_ops(struct simstore *s);

/* Local changes: sets (add) or removes a name of this node's own, bumping its seq; the delta is
 * written to *d (for repl_local_deltas). Returns false when nothing changed. */
bool simstore_local_set(struct simstore *s, const char *name, const struct rec_addr *a, bool add,
                        struct rec_delta *d);
/* Starts a batch of local changes (one interned content at the end) / ends it. */
void simstore_local_begin(struct simstore *s);
void simstore_local_end(struct simstore *s);

/* True if `s` serves exactly what owner `k` serves from its own table (same names and
 * addresses, owner alive in s). */
bool simstore_serves_like(const struct simstore *s, const struct simstore *owner_store, size_t k);
/* One line about what s holds of owner k (for traces). */
void simstore_describe(const struct simstore *s, size_t k, char *buf, size_t len);
/* Served names of owner k held by s (0 if dormant or unknown). */
size_t simstore_served(const struct simstore *s, size_t k);

#endif
