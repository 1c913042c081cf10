/* records/internal.h — what the record table's files share and nothing outside records/ sees: the
 * entry, owner and table structs and the rt_-prefixed helpers of table.c (entries, owners,
 * per-owner versions) and publish.c (the writer lock and snapshot publication). */
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

struct entry {
    struct entry *hnext;         /* hash chain */
    struct entry *onext, *oprev; /* owner's list, insertion order */
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
    const char *source; /* points into name[] after the name */
    char name[];
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

struct local_source {
    char *name;
    size_t count;
    char *info; /* records_set_source_info; NULL when none */
};

struct records {
    pthread_mutex_t mu;
    struct owner *owners; /* local first */
    struct owner *local;
    size_t nowners;
    struct entry **buckets;
    size_t nbuckets, nentries;
    struct local_source *srcs;
    size_t nsrcs, capsrcs;
    records_delta_cb obs;
    void *obs_ctx;
    struct rec_snapshot *snap; /* RCU-published */
    struct rec_snapshot *retired;
    uint64_t version;
    struct rec_policy policy;
    bool dirty;     /* the served set may have changed since the last publication */
    unsigned batch; /* records_batch_begin depth: publication waits for the last end */
};

/* table.c: entries and owners */
uint64_t rt_fnv(uint64_t h, const void *p, size_t n); /* FNV-1a step */
struct entry *rt_entry_find(struct records *t, struct owner *o, const char *source,
                            const char *name, const struct rec_addr *a);
struct entry *rt_entry_add(struct records *t, struct owner *o, const char *source, const char *name,
                           const struct rec_addr *a, uint64_t seq, bool tomb);
void rt_entry_del(struct records *t, struct entry *e);
void rt_entry_set_tomb(struct entry *e, bool tomb);
/* Sets the replicated attributes (rank, TTL); returns whether they changed. */
bool rt_entry_set_attrs(struct entry *e, uint32_t rank, bool has_ttl, uint32_t ttl);
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

/* publish.c: the writer lock and snapshot publication */
void rt_lock(struct records *t);
void rt_publish(struct records *t);
void rt_unlock_publish(struct records *t);
void rt_free_snapshots(struct records *t);

#endif
