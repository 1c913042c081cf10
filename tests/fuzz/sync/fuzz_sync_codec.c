/* fuzz_sync_codec.c — libFuzzer target for the cluster's user payloads (deltas, states, chunks,
 * digests, fetch requests, beacons): every decoder on the same input, and whatever decodes must
 * re-encode to the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sync/codec.h"

static void check_deltas(const uint8_t *data, size_t size)
{
    struct rec_delta *d;
    size_t n;
    if (!sync_decode_deltas(data, size, &d, &n))
        return;
    struct sync_buf b = {0};
    size_t k = sync_encode_deltas(&b, d, n, SIZE_MAX);
    if (k != n || b.len != size || memcmp(b.p, data, size) != 0)
        abort(); /* a decoded payload re-encodes byte for byte */
    sync_buf_free(&b);
    free(d);
}

static void check_state(const uint8_t *data, size_t size)
{
    struct sync_state st;
    if (!sync_decode_state(data, size, &st))
        return;
    struct sync_buf b = {0};
    sync_encode_state_begin(&b, st.sender, st.flags);
    for (size_t i = 0; i < st.n_owners; i++) {
        sync_encode_state_owner(&b, st.owners[i].owner, st.owners[i].ver);
        for (size_t k = 0; k < st.owners[i].n; k++)
            sync_encode_state_entry(&b, &st.owners[i].entries[k]);
        sync_encode_state_owner_end(&b);
    }
    if (!sync_encode_state_end(&b) || b.len != size || memcmp(b.p, data, size) != 0)
        abort();
    sync_buf_free(&b);
    sync_state_free(&st);
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
