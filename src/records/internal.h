/* records/internal.h — what the record table's files share and nothing outside records/ sees: the
 * entry, name, owner and table structs and the rt_-prefixed helpers of table.c (entries, owners,
 * per-owner versions), byname.c (the index by name), overlay.c (incremental publication) and
 * publish.c (the writer lock and snapshot publication). */
#ifndef JOYRIDE_RECORDS_INTERNAL_H
#define JOYRIDE_RECORDS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "records/records.h"

#define RECORDS_MOD "records"
#define AUTO_GC_TOMBS 64 /* remote tombstones held before an automatic collection */
#define PENDING_MAX 4096 /* out-of-order seqs remembered per owner above the contiguous mark */

struct owner;
struct rsrc;
struct rec_snapshot;
struct snap_pair;

/* One name of the index by name: every name some entry has, and every ancestor of one. */
struct rname {
    struct rname *hnext;    /* index hash chain; once unlinked, the list of names freed later */
    struct entry *entries;  /* entries of this name, every owner (entry.nnext) */
    struct entry *pentries; /* a reverse name: entries of its address that give PTRs (anext) */
    uint32_t dstamp;        /* publication that last put it in the delta; 0: not in the delta */
    uint32_t nchild;        /* index names whose parent this is */
    uint32_t ndesc; /* names below it (any depth) with served addresses: an empty non-terminal */
    bool served;    /* the last publication served addresses for it */
    bool pserved;   /* the last publication served PTRs for it (a reverse name) */
    bool changed;   /* in the index's list of names changed since the last publication */
    char name[];
};

struct entry {
    struct entry *onext, *oprev; /* owner's list, insertion order */
    struct entry *nnext;         /* its name's list */
    struct entry *anext;         /* its reverse name's list (rv->pentries) */
    struct rname *nm;
    struct rname *rv; /* its address's reverse name while it gives PTRs under the policy */
    struct owner *own;
    uint64_t seq;
    struct rec_addr addr;
    uint32_t line; /* local entries: line in the source file; not replicated */
    uint32_t rank; /* PTR order among the address's names (replicated) */
    uint32_t ttl;  /* with has_ttl: the source's TTL (replicated); else the policy's default */
    bool has_ttl;
    bool tomb;
    bool shadowed;      /* a local hosts file has this name (computed at each publication) */
    bool mark;          /* scratch for merges */
    const char *source; /* interned (table.c); the name is nm->name */
};

struct owner {
    struct owner *next;
    char id[REC_OWNER_MAX + 1];
    uint64_t epoch;
    uint64_t seq;      /* highest seq seen (local: the current seq) */
    uint64_t contig;   /* every seq in 1..contig has been received */
    uint64_t *pending; /* sorted seqs > contig + 1 already received */
    size_t npending, cappending;
    bool local, alive, has_state;
    struct entry *head, *tail;
    size_t nentries, ntombs;
    uint64_t gc_mark; /* contig at the last automatic tombstone collection */
};

/* The index by name (byname.c). */
struct rt_index {
    struct rname **b;
    size_t nb, n;
    struct rname **ch; /* changed since the last publication */
    size_t nch, capch;
    bool lost; /* a change could not be listed: the next publication refreshes every name */
};

/* Incremental publication (overlay.c): the published snapshot is a small delta stacked over a
 * base; the delta holds the current state of every name that changed since the base was built. */
struct rt_overlay {
    struct rec_snapshot *base;
    struct rname **d; /* names in the delta (dstamp != 0) */
    size_t nd, capd;
    uint32_t pubseq;                          /* publications that changed the served set */
    size_t count;                             /* served (name, address) pairs */
    size_t full_below, full_share, delta_max; /* rt_overlay_tune */
    struct rec_addr *scratch;
    size_t capscratch;
    struct snap_pair *pairs;
    size_t cappairs;
    /* Background merge: the snapshot published at publication mseq (and its base), pinned, is
     * built into a new base. A pinned snapshot that gets retired waits for the merge's end. */
    pthread_t thr;
    pthread_cond_t cv;
    bool thr_started, stop, merging, obsolete;
    bool need_full;    /* the delta could not be kept: the next publication rebuilds in full */
    bool no_ptr_delta; /* a reverse name could not be indexed: every publication is in full */
    bool job;          /* pinned, not yet taken by the merger */
    struct rec_snapshot *pin[2];
    bool pin_retired[2];
    uint32_t mseq;
    uint64_t mversion;
    struct rec_snapshot *merged; /* built, installed by the next publication */
    size_t merges, full_builds;  /* counters (tests, stats) */
};

struct local_source {
    char *name;
    size_t count;
    char *info;          /* records_set_source_info; NULL when none */
    struct entry **live; /* its count entries (none a tombstone) */
};

struct records {
    pthread_mutex_t mu;
    struct owner *owners; /* local first */
    struct owner *local;
    size_t nowners;
    size_t nentries;
    struct rsrc **sb; /* interned source strings (table.c) */
    size_t nsb, nsources;
    struct local_source *srcs; /* sorted by name */
    size_t nsrcs, capsrcs;
    records_delta_cb obs;
    void *obs_ctx;
    struct rec_snapshot *snap; /* RCU-published */
    struct rec_snapshot *retired;
    uint64_t version;
    struct rec_policy policy;
    bool dirty;     /* the served set may have changed since the last publication */
    unsigned batch; /* records_batch_begin depth: publication waits for the last end */
    struct rt_index idx;
    struct rt_overlay ov;
};

/* table.c: entries and owners */
uint64_t rt_fnv(uint64_t h, const void *p, size_t n); /* FNV-1a step */
struct entry *rt_entry_find(struct records *t, struct owner *o, const char *source,
                            const char *name, const struct rec_addr *a);
struct entry *rt_entry_add(struct records *t, struct owner *o, const char *source, const char *name,
                           const struct rec_addr *a, uint64_t seq, bool tomb);
void rt_entry_del(struct records *t, struct entry *e);
void rt_entry_set_tomb(struct records *t, struct entry *e, bool tomb);
/* Sets the replicated attributes (rank, TTL); returns whether they changed (and then marks the
 * entry's name for the next publication). */
bool rt_entry_set_attrs(struct records *t, struct entry *e, uint32_t rank, bool has_ttl,
                        uint32_t ttl);
bool rt_entry_served(const struct entry *e);
struct rec_view rt_view_of(const struct entry *e);
struct owner *rt_owner_find(struct records *t, const char *id);
struct owner *rt_owner_create(struct records *t, const char *id);
size_t rt_owner_clear(struct records *t, struct owner *o);
void rt_owner_reset_seq(struct owner *o, uint64_t epoch, uint64_t seq);
void rt_owner_settle(struct owner *o);
bool rt_owner_seq_seen(const struct owner *o, uint64_t seq);
bool rt_owner_note_seq(struct owner *o, uint64_t seq);
size_t rt_collect_tombstones(struct records *t, struct owner *o, uint64_t upto);
void rt_auto_collect(struct records *t, struct owner *o);
void rt_owner_free(struct records *t, struct owner *o);
bool rt_valid_str(const char *s, size_t max);
bool rt_valid_addr(const struct rec_addr *a);

/* byname.c: the index by name */
struct rname *rt_name_get(struct records *t, const char *name); /* finds or adds, ancestors too */
void rt_name_link(struct records *t, struct entry *e);
void rt_name_unlink(struct records *t, struct entry *e);
void rt_name_touch(struct records *t, struct rname *nm);
struct rname *rt_name_find(struct records *t, const char *name);         /* NULL if absent */
struct rname *rt_name_parent(struct records *t, const struct rname *nm); /* one label up */
bool rt_name_refresh(struct records *t, struct rname *nm, bool *changed);
void rt_name_release(struct records *t, struct rname *nm);
void rt_name_relink_ptr(struct records *t); /* after a policy change: which entries give PTRs */
void rt_name_free_all(struct records *t);

/* overlay.c: incremental publication */
void rt_overlay_init(struct records *t);
bool rt_overlay_publish(struct records *t);
void rt_overlay_stop(struct records *t);
void rt_overlay_free(struct records *t);
/* Tuning (tests): a full rebuild while the index holds at most full_below names or when the delta
 * holds 1/full_share of them or more, and a background merge once the delta holds more than
 * delta_max names; 0 keeps the default. */
void rt_overlay_tune(struct records *t, size_t full_below, size_t full_share, size_t delta_max);

/* publish.c: the writer lock and snapshot publication */
void rt_lock(struct records *t);
void rt_publish(struct records *t);
void rt_unlock_publish(struct records *t);
void rt_free_snapshots(struct records *t);
void rt_install(struct records *t, struct rec_snapshot *pub, struct rec_snapshot *base);
void rt_unpin(struct records *t); /* the merge is done with its snapshots */
struct snap_pair rt_pair_of(const struct records *t, const struct entry *e); /* as served */

#endif
