/* fuzz_sync_codec.c — libFuzzer target for the cluster's user payloads (deltas, states, chunks,
 * digests, fetch requests, beacons): every decoder on the same input, and whatever decodes must
 * re-encode to a payload that decodes to the same records and re-encodes to itself. A payload
 * without record extensions re-encodes byte for byte; one with them may differ in bytes the
 * format lets decoders skip (unknown fields, an empty block, a removal's or tombstone's fields),
 * never in what the records say. Digests and chunk headers re-encode byte for byte. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sync/codec.h"

/* A record's extension fields survived, where they mean something (an add, a live entry). */
static bool same_record(bool live, uint32_t ra, bool ha, uint32_t ta, uint32_t rb, bool hb,
                        uint32_t tb)
{
    return !live || (ra == rb && ha == hb && (!ha || ta == tb));
}

static bool same_addr(const struct rec_addr *a, const struct rec_addr *b)
{
    return a->type == b->type && memcmp(a->bytes, b->bytes, 16) == 0;
}

static void check_deltas(const uint8_t *data, size_t size)
{
    struct rec_delta *d, *d2;
    size_t n, n2;
    if (!sync_decode_deltas(data, size, &d, &n))
        return;
    struct sync_buf b = {0}, b2 = {0};
    if (sync_encode_deltas(&b, d, n, SIZE_MAX) != n || !sync_decode_deltas(b.p, b.len, &d2, &n2) ||
        n2 != n)
        abort();
    bool ext = false;
    for (size_t i = 0; i < n; i++) {
        ext |= d[i].rank != 0 || d[i].has_ttl;
        if (strcmp(d[i].owner, d2[i].owner) != 0 || d[i].ver.epoch != d2[i].ver.epoch ||
            d[i].ver.seq != d2[i].ver.seq || d[i].op != d2[i].op ||
            strcmp(d[i].source, d2[i].source) != 0 || strcmp(d[i].name, d2[i].name) != 0 ||
            !same_addr(&d[i].addr, &d2[i].addr) ||
            !same_record(d[i].op == REC_OP_ADD, d[i].rank, d[i].has_ttl, d[i].ttl, d2[i].rank,
                         d2[i].has_ttl, d2[i].ttl))
            abort(); /* the records survive re-encoding */
    }
    if (sync_encode_deltas(&b2, d2, n2, SIZE_MAX) != n2 || b2.len != b.len ||
        memcmp(b2.p, b.p, b.len) != 0)
        abort(); /* and the encoding is a fixed point */
    /* without extension fields nothing is dropped but ext blocks that said nothing (each at
     * least a byte): the same bytes, or fewer */
    if (!ext && (b.len > size || (b.len == size && memcmp(b.p, data, size) != 0)))
        abort();
    sync_buf_free(&b);
    sync_buf_free(&b2);
    free(d);
    free(d2);
}

static void encode_state(const struct sync_state *st, struct sync_buf *b)
{
    sync_encode_state_begin(b, st->sender, st->flags);
    for (size_t i = 0; i < st->n_owners; i++) {
        sync_encode_state_owner(b, st->owners[i].owner, st->owners[i].ver);
        for (size_t k = 0; k < st->owners[i].n; k++)
            sync_encode_state_entry(b, &st->owners[i].entries[k]);
        sync_encode_state_owner_end(b);
    }
    if (!sync_encode_state_end(b))
        abort();
}

static void check_state(const uint8_t *data, size_t size)
{
    struct sync_state st, st2;
    if (!sync_decode_state(data, size, &st))
        return;
    struct sync_buf b = {0}, b2 = {0};
    encode_state(&st, &b);
    if (!sync_decode_state(b.p, b.len, &st2) || st2.n_entries != st.n_entries ||
        st2.n_owners != st.n_owners)
        abort();
    bool ext = false;
    for (size_t i = 0; i < st.n_entries; i++) {
        const struct rec_view *v = &st.views[i], *w = &st2.views[i];
        ext |= v->rank != 0 || v->has_ttl;
        if (v->seq != w->seq || v->tombstone != w->tombstone || strcmp(v->source, w->source) ||
            strcmp(v->name, w->name) || strcmp(v->owner, w->owner) ||
            !same_addr(&v->addr, &w->addr) ||
            !same_record(!v->tombstone, v->rank, v->has_ttl, v->ttl, w->rank, w->has_ttl, w->ttl))
            abort();
    }
    encode_state(&st2, &b2);
    if (b2.len != b.len || memcmp(b2.p, b.p, b.len) != 0)
        abort();
    if (!ext && (b.len > size || (b.len == size && memcmp(b.p, data, size) != 0)))
        abort();
    sync_buf_free(&b);
    sync_buf_free(&b2);
    sync_state_free(&st);
    sync_state_free(&st2);
}

static void check_digest(const uint8_t *data, size_t size)
{
    struct sync_digest d;
    if (!sync_decode_digest(data, size, &d))
        return;
    struct sync_buf b = {0};
    sync_encode_digest_begin(&b, d.sender, d.flags);
    for (size_t i = 0; i < d.n; i++)
        sync_encode_digest_owner(&b, d.owners[i].owner, d.owners[i].ver);
    if (!sync_encode_digest_end(&b) || b.len != size || memcmp(b.p, data, size) != 0)
        abort();
    sync_buf_free(&b);
    sync_digest_free(&d);
}

static void check_chunk(const uint8_t *data, size_t size)
{
    struct sync_chunk c;
    if (!sync_decode_chunk(data, size, &c))
        return;
    if (c.state < data || c.state + c.state_len != data + size || c.first >= c.total)
        abort(); /* the inner state lies within the input, at its end */
    check_state(c.state, c.state_len);
    struct sync_buf b = {0};
    if (!sync_encode_chunk(&b, c.owner, c.ver, c.total, c.first, c.state, c.state_len) ||
        b.len != size || memcmp(b.p, data, size) != 0)
        abort();
    sync_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_digest(data, size);
    check_chunk(data, size);
    char holder[REC_OWNER_MAX + 1], o2[REC_OWNER_MAX + 1];
    struct rec_version v2;
    (void)sync_decode_version_held(data, size, o2, &v2, holder);
    check_deltas(data, size);
    check_state(data, size);
    struct sync_repair_req q;
    (void)sync_decode_repair_req(data, size, &q);
    char owner[REC_OWNER_MAX + 1];
    struct rec_version ver;
    (void)sync_decode_version(data, size, owner, &ver);
    return 0;
}
