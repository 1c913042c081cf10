/* sync/store_records.c — the replication core's store over the real record table (records.h):
 * the remote-owner functions one to one, and the owner listing built from a full walk. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vec.h"
#include "sync/repl.h"

static bool s_owner_version(void *ctx, const char *owner, struct rec_version *out)
{
    return records_owner_version(ctx, owner, out);
}

static bool s_export_owner(void *ctx, const char *owner, struct rec_version *ver_out,
                           void (*cb)(const struct rec_view *v, void *cbctx), void *cbctx)
{
    return records_export_owner(ctx, owner, ver_out, cb, cbctx);
}

struct owner_names {
    char (*ids)[REC_OWNER_MAX + 1];
    size_t n, cap;
};

static void collect_owner(const struct rec_view *v, void *ctx)
{
    struct owner_names *l = ctx;
    /* Entries come grouped by owner, so comparing with the last one is enough in practice; a
     * short scan keeps it correct whatever the order. */
    for (size_t i = l->n; i > 0; i--)
        if (strcmp(l->ids[i - 1], v->owner) == 0)
            return;
    if (vec_grow(l->ids, l->cap, l->n + 1))
        snprintf(l->ids[l->n++], sizeof l->ids[0], "%s", v->owner);
}

static void s_foreach_owner(void *ctx, void (*cb)(const char *owner, void *cbctx), void *cbctx)
{
    struct owner_names l = {0};
    records_foreach(ctx, false, collect_owner, &l);
    for (size_t i = 0; i < l.n; i++)
        cb(l.ids[i], cbctx);
    free(l.ids);
}

static size_t s_apply_deltas(void *ctx, const struct rec_delta *d, size_t n,
                             enum rec_apply *results)
{
    return records_apply_deltas(ctx, d, n, results);
}

static int s_merge_owner(void *ctx, const char *owner, struct rec_version ver,
                         const struct rec_view *entries, size_t n)
{
    return records_merge_owner(ctx, owner, ver, entries, n);
}

static void s_set_owner_alive(void *ctx, const char *owner, bool alive)
{
    records_set_owner_alive(ctx, owner, alive);
}

static void s_drop_owner(void *ctx, const char *owner)
{
    records_drop_owner(ctx, owner);
}

static size_t s_gc_tombstones(void *ctx, const char *owner, uint64_t upto_seq)
{
    return records_gc_tombstones(ctx, owner, upto_seq);
}

struct repl_store repl_store_records(struct records *t)
{
    return (struct repl_store){
        .ctx = t,
        .owner_version = s_owner_version,
        .export_owner = s_export_owner,
        .foreach_owner = s_foreach_owner,
        .apply_deltas = s_apply_deltas,
        .merge_owner = s_merge_owner,
        .set_owner_alive = s_set_owner_alive,
        .drop_owner = s_drop_owner,
        .gc_tombstones = s_gc_tombstones,
    };
}
