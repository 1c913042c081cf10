/* records/records.h — the replicated record table.
 *
 * Model (see README "Design"): every entry is keyed by (owner, source, name, address). An owner is
 * a node id; this node owns the records of its own sources ("hosts:<file>", "docker:<container>").
 * Every owner is the only writer of its entries and versions them with (boot_epoch, seq): seq grows
 * by one with every change the owner makes, boot_epoch is fixed per process start, so a restarted
 * owner's state supersedes all it published before. Removals are tombstones carrying the version
 * of the removal, so deltas applied out of order never resurrect a removed record.
 *
 * Readers (DNS workers) never lock: every change publishes a new immutable snapshot through
 * liburcu (urcu-memb flavour). A reader thread calls records_reader_register() once, then brackets
 * each lookup with records_read_lock()/records_read_unlock(). Writers serialise on an internal
 * mutex.
 */
#ifndef JOYRIDE_RECORDS_H
#define JOYRIDE_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REC_NAME_MAX 253   /* presentation form, no trailing dot */
#define REC_WIRE_MAX 255   /* uncompressed wire form, including the root label */
#define REC_OWNER_MAX 128  /* node id */
#define REC_SOURCE_MAX 200 /* "hosts:/path/file", "docker:<64 hex>", ... */

enum rec_type { REC_A = 1, REC_AAAA = 28 };

/* Which served records also answer reverse (PTR) queries for their address. */
enum rec_ptr_mode {
    REC_PTR_OFF,   /* none */
    REC_PTR_HOSTS, /* records of hosts files ("hosts:<file>" sources, any owner) */
    REC_PTR_ALL,   /* every record (Docker names all point at HOSTIP, so opt-in) */
};

struct rec_addr {
    uint16_t type;     /* REC_A or REC_AAAA */
    uint8_t bytes[16]; /* A uses the first 4 */
};

struct rec_version {
    uint64_t epoch;
    uint64_t seq;
};

/* What a local source hands to the table: a validated, lowercased name and an address. */
struct rec_input {
    char name[REC_NAME_MAX + 1];
    struct rec_addr addr;
    uint32_t line; /* 1-based line of the source file it came from (hosts); 0: none */
    uint32_t rank; /* order of the name among its address's names (PTR order); 0 first */
    bool has_ttl;  /* ttl given by the source; otherwise answers carry the default TTL */
    uint32_t ttl;
};

/* A list of record inputs as a source builds it (a core/vec.h vector: vec_push, vec_push_zero). */
struct rec_inputs {
    struct rec_input *v;
    size_t n, cap;
};

/* One change of one owner's state, as replicated between nodes. */
enum rec_op { REC_OP_ADD = 1, REC_OP_DEL = 2 };
struct rec_delta {
    char owner[REC_OWNER_MAX + 1];
    struct rec_version ver; /* version of the owner after this change */
    enum rec_op op;
    char source[REC_SOURCE_MAX + 1];
    char name[REC_NAME_MAX + 1];
    struct rec_addr addr;
    uint32_t rank; /* as rec_input (replicated) */
    bool has_ttl;
    uint32_t ttl;
};

/* One entry as seen by listings and full-state export. */
struct rec_view {
    const char *owner;
    const char *source;
    const char *name;
    struct rec_addr addr;
    uint64_t seq;   /* version (seq within the owner's epoch) of the last change to this entry */
    bool tombstone; /* removed; kept so older deltas cannot resurrect it */
    bool served;    /* visible to DNS (not a tombstone, owner not dormant, not shadowed) */
    uint32_t rank;  /* as rec_input (replicated) */
    bool has_ttl;   /* ttl set by the record's source (replicated) */
    uint32_t ttl;
    /* Listings only (full-state export and merges ignore these): */
    uint64_t epoch;   /* the owner's boot epoch */
    uint32_t line;    /* local entries: line of the source file (rec_input.line); 0 otherwise */
    bool dormant;     /* the owner is declared dead: kept, not served */
    bool shadowed;    /* another owner's entry whose name is in this node's hosts files */
    const char *info; /* records_foreach_name only: the local source's description, or NULL */
};

struct records;

/* local_owner: this node's id; boot_epoch: e.g. CLOCK_REALTIME ns at process start. */
struct records *records_new(const char *local_owner, uint64_t boot_epoch);
void records_free(struct records *t);
const char *records_local_owner(const struct records *t);

/* ---- Local sources (this node is the owner). Thread-safe. ---- */

/* Defers publication: whatever any writer changes between begin and the matching end is
 * published to readers once, at the end, as one snapshot (a burst of hosts files rebuilds the
 * snapshot once, not once per file). Nests. */
void records_batch_begin(struct records *t);
void records_batch_end(struct records *t);

/* Replaces the whole set of records this node publishes under `source` with in[0..n).
 * n == 0 removes the source. Duplicates in `in` are ignored. Each resulting add/remove bumps the
 * local seq, emits a delta to the observer, and the new set is published to readers once (atomic
 * for readers). Returns the number of changes made, or -1 on allocation failure. */
int records_set_source(struct records *t, const char *source, const struct rec_input *in, size_t n);

/* Sets a short description of a local source that listings show (a container's name); NULL or
 * "" clears it. It is not replicated and goes with the source. Returns -1 if the source holds no
 * records or on allocation failure. */
int records_set_source_info(struct records *t, const char *source, const char *info);

/* Calls cb for every local source whose name starts with prefix (e.g. "docker:"), so a source can
 * reconcile after a reconnect. The callback must not call back into the table. */
void records_foreach_source(struct records *t, const char *prefix,
                            void (*cb)(const char *source, size_t nrecords, void *ctx), void *ctx);

/* How the snapshot answers: the TTL of records whose source gave none (DNS_TTL) and which
 * records give PTRs. Defaults: 60, REC_PTR_HOSTS. Republishes when it changes. Thread-safe. */
struct rec_policy {
    uint32_t default_ttl;
    enum rec_ptr_mode ptr;
};
void records_set_policy(struct records *t, const struct rec_policy *p);
/* Whether a record of `source` gives PTRs under mode. */
bool records_ptr_source(enum rec_ptr_mode mode, const char *source);
/* Whether the record `name` of `source` gives a PTR at its address's reverse name under mode:
 * its source does, and it is no wildcard (a wildcard stands for many names, none of which is the
 * address's name). */
bool records_gives_ptr(enum rec_ptr_mode mode, const char *source, const char *name);

/* Observer of local changes (the sync layer gossips them). Called with the table lock held, in
 * seq order; it must not call back into the table. One observer; NULL removes it. While no
 * observer is set, local removals leave no tombstone (nobody replicates them). */
typedef void (*records_delta_cb)(const struct rec_delta *d, void *ctx);
void records_set_observer(struct records *t, records_delta_cb cb, void *ctx);

/* ---- Remote owners (used by the cluster sync layer). Thread-safe. ---- */

enum rec_apply {
    REC_APPLIED,  /* applied; the owner's sequence is contiguous */
    REC_GAP,      /* applied, but seq jumped past the next expected one: ask the owner for repair */
    REC_STALE,    /* older than what we hold (older epoch, or entry already newer): ignored */
    REC_REJECTED, /* invalid (e.g. it claims to be from the local owner) */
};
enum rec_apply records_apply_delta(struct records *t, const struct rec_delta *d);
/* Applies d[0..n) in order with one publication to readers (e.g. the deltas of one gossip
 * message); results[i] (if not NULL) as records_apply_delta. Returns how many applied (incl. GAP).
 */
size_t records_apply_deltas(struct records *t, const struct rec_delta *d, size_t n,
                            enum rec_apply *results);

/* The owner's version and contiguous seq we hold; false if the owner is unknown. */
bool records_owner_version(struct records *t, const char *owner, struct rec_version *out);

/* Full state of one owner (its current version and every entry, tombstones included). cb is
 * called under the table lock and must not call back into the table. Returns false if unknown. */
bool records_export_owner(struct records *t, const char *owner, struct rec_version *ver_out,
                          void (*cb)(const struct rec_view *v, void *ctx), void *ctx);

/* Merges a full state received for `owner` at version `ver`:
 *  - newer epoch than ours: replaces the owner's entries wholesale;
 *  - same epoch: entry-wise, the higher seq wins; entries we hold that the state lacks and whose
 *    seq <= ver.seq are dropped (the owner no longer has them); entries the state carries that we
 *    do not hold although every change up to their seq reached us are ignored (they were removed
 *    and the tombstone collected);
 *  - older epoch: ignored.
 * Returns the number of served-set changes, or -1 if rejected (local owner, stale). */
int records_merge_owner(struct records *t, const char *owner, struct rec_version ver,
                        const struct rec_view *entries, size_t n);

/* Owner liveness from membership: a dormant owner's records are kept but not served. */
void records_set_owner_alive(struct records *t, const char *owner, bool alive);
/* Forgets an owner and all its entries (graceful leave). */
void records_drop_owner(struct records *t, const char *owner);
/* Collects tombstones whose removal every peer has seen (called by sync after a full round).
 * A remote owner's tombstones at or below its contiguous seq are also collected automatically
 * (in batches), as no delta or state can resurrect those entries any more. */
size_t records_gc_tombstones(struct records *t, const char *owner, uint64_t upto_seq);

/* ---- Readers. ---- */

void records_reader_register(void);   /* once per reader thread (urcu) */
void records_reader_unregister(void); /* before the thread exits */
void records_read_lock(void);
void records_read_unlock(void);

struct rec_snapshot;

/* An uncompressed, lowercase wire-format name inside a snapshot. */
struct rec_wire {
    const uint8_t *wire;
    uint32_t len; /* root label included */
};

/* Records of one name in a snapshot: addresses, and at a reverse name (in-addr.arpa, ip6.arpa)
 * the names pointing at that address (PTR targets, in rank order: a hosts line's first name
 * first). A name that exists only as the parent of other names (an empty non-terminal) has
 * n_a == n_aaaa == n_ptr == 0. Each set's TTL is the smallest of its records' TTLs. */
struct rec_rrset {
    uint16_t n_a, n_aaaa;
    uint32_t ttl_a, ttl_aaaa;
    const uint8_t (*a)[4];
    const uint8_t (*aaaa)[16];
    uint16_t n_ptr;
    uint32_t ttl_ptr;
    const struct rec_wire *ptr;
};

/* Only between records_read_lock/unlock; valid until records_read_unlock. Never NULL. */
const struct rec_snapshot *records_snapshot(const struct records *t);
/* Looks up an uncompressed wire-format name whose labels are already lowercase (ASCII).
 * Returns NULL when the name does not exist. */
const struct rec_rrset *records_lookup(const struct rec_snapshot *s, const uint8_t *wire,
                                       size_t wire_len);
/* Changes whenever the served record set changes. */
uint64_t records_snapshot_version(const struct rec_snapshot *s);
/* Fingerprint of the served content: equal on every node serving the same (name, address) pairs,
 * whatever their order of arrival or local version. */
uint64_t records_snapshot_digest(const struct rec_snapshot *s);
size_t records_snapshot_count(const struct rec_snapshot *s); /* served (name, address) pairs */

/* ---- Listings (HTTP API). Thread-safe; cb runs under the table lock. ---- */

/* Every entry; served_only skips tombstones, dormant owners and shadowed entries. */
void records_foreach(struct records *t, bool served_only,
                     void (*cb)(const struct rec_view *v, void *ctx), void *ctx);

/* Every entry of one normalized name, tombstones, dormant and shadowed entries included, with
 * rec_view.info set for local sources that have one. A scan of the whole table. */
void records_foreach_name(struct records *t, const char *name,
                          void (*cb)(const struct rec_view *v, void *ctx), void *ctx);

struct records_stats {
    uint64_t version; /* as records_snapshot_version */
    size_t served;    /* served (name, address) pairs */
    size_t entries;   /* all entries, tombstones included */
    size_t tombstones;
    size_t owners;            /* known owners, local included */
    struct rec_version local; /* this node's version */
};
void records_get_stats(struct records *t, struct records_stats *out);

/* ---- Helpers shared by sources and the DNS server. ---- */

/* Validates a record name (labels 1..63 of [A-Za-z0-9_-], total <= 253, optional trailing dot,
 * no leading/trailing '-' in a label; the leftmost label may be exactly "*", a wildcard as RFC
 * 4592 defines it, above at least one more label) and writes it lowercased without the trailing
 * dot. '*' anywhere else ("a*.x", "*x.y", "x.*.y") is invalid. */
bool records_normalize_name(const char *in, char out[REC_NAME_MAX + 1]);
/* NULL when records_normalize_name accepts in, else a short reason ("'*' must be a whole leftmost
 * label ('*.example.com')"), static text, for log lines and API errors. */
const char *records_name_error(const char *in);
/* A normalized name whose leftmost label is "*". */
bool records_name_is_wildcard(const char *name);
/* records_normalize_name without wildcards: a domain (DNS_DOMAINS, forward zones, host names). */
bool records_normalize_domain(const char *in, char out[REC_NAME_MAX + 1]);
/* Parses an IPv4 or IPv6 literal. */
bool records_parse_addr(const char *s, struct rec_addr *out);
/* Converts a normalized presentation name to uncompressed wire form (as records_lookup takes it);
 * returns its length, root label included. */
size_t records_name_to_wire(const char *name, uint8_t out[REC_WIRE_MAX]);
/* Orders struct rec_input by name, then type, then address (qsort/bsearch comparator). */
int records_input_cmp(const void *a, const void *b);
/* Sets each input's rank to its position among the inputs of the same address, in list order
 * (a source lists its names in its own order: a hosts file's lines, a label's names). */
bool rec_inputs_rank(struct rec_inputs *l);
/* Writes the reverse name of an address ("4.3.2.1.in-addr.arpa", 32 nibbles + "ip6.arpa");
 * buf must hold REC_REVERSE_MAX + 1 bytes. Returns its length. */
#define REC_REVERSE_MAX 72
size_t records_reverse_name(const struct rec_addr *a, char buf[REC_REVERSE_MAX + 1]);
/* The address whose reverse name a normalized name is, in the form records_reverse_name writes
 * (decimal octets without leading zeros, lowercase nibbles); false for any other name. */
bool records_parse_reverse_name(const char *name, struct rec_addr *out);
/* Frees the list's array and empties it. */
void rec_inputs_free(struct rec_inputs *l);
/* Sorts the list by records_input_cmp and drops repeated (name, address) pairs, keeping the
 * first line and rank of each; returns the new count. */
size_t rec_inputs_dedupe(struct rec_inputs *l);
/* Formats an address ("10.0.0.1", "fd00::1"); buf must hold 46 bytes. */
const char *records_format_addr(const struct rec_addr *a, char buf[46]);

#endif
