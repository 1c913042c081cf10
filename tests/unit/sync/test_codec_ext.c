/* test_codec_ext.c — the payload codec's record extension (TTL and PTR rank): round trips of
 * deltas and full states that carry them, payloads as nodes without the extension encode them
 * (byte for byte, both directions), unknown extension fields skipped, malformed ones refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/codec.h"

static struct rec_delta mk(uint64_t seq, enum rec_op op, const char *name, const char *ip)
{
    struct rec_delta d;
    memset(&d, 0, sizeof d);
    snprintf(d.owner, sizeof d.owner, "n1");
    d.ver = (struct rec_version){5, seq};
    d.op = op;
    snprintf(d.source, sizeof d.source, "hosts:h");
    snprintf(d.name, sizeof d.name, "%s", name);
    assert_true(records_parse_addr(ip, &d.addr));
    return d;
}

/* A DELTAS payload of owner "n1", epoch 5, one add of a.b 10.0.0.1 from source "hosts:h" at
 * seq 2, as the format was before the record extension. */
static const uint8_t PLAIN_DELTA[] = {
    SYNC_MAGIC, 1,   SYNC_KIND_DELTAS,
    2,          'n', '1',
    0,          0,   0,
    0,          0,   0,
    0,          5,   0,
    1, /* header, owner */
    0,          0,   0,
    0,          0,   0,
    0,          2,   REC_OP_ADD,
    7,          'h', 'o',
    's',        't', 's',
    ':',        'h', /* seq, op, src */
    3,          'a', '.',
    'b',        4,   10,
    0,          0,   1, /* name, addr */
};

static void test_plain_records_keep_the_old_bytes(void **state)
{
    (void)state;
    /* a record without TTL and of rank 0 is encoded exactly as before... */
    struct rec_delta d = mk(2, REC_OP_ADD, "a.b", "10.0.0.1");
    struct sync_buf b = {0};
    assert_int_equal(sync_encode_deltas(&b, &d, 1, 1400), 1);
    assert_int_equal(b.len, sizeof PLAIN_DELTA);
    assert_memory_equal(b.p, PLAIN_DELTA, sizeof PLAIN_DELTA);
    assert_int_equal(sync_delta_size(&d), sizeof PLAIN_DELTA - 16);
    /* ...and the old bytes decode to no TTL, rank 0 */
    struct rec_delta *out;
    size_t n;
    assert_true(sync_decode_deltas(PLAIN_DELTA, sizeof PLAIN_DELTA, &out, &n));
    assert_int_equal(n, 1);
    assert_false(out[0].has_ttl);
    assert_int_equal(out[0].rank, 0);
    assert_int_equal(out[0].op, REC_OP_ADD);
    free(out);
    /* a removal never carries the extension */
    d.op = REC_OP_DEL;
    d.has_ttl = true;
    d.ttl = 9;
    d.rank = 3;
    assert_int_equal(sync_encode_deltas(&b, &d, 1, 1400), 1);
    assert_int_equal(b.len, sizeof PLAIN_DELTA);
    assert_int_equal(b.p[24], REC_OP_DEL);
    sync_buf_free(&b);
}

static void test_deltas_with_ttl_and_rank(void **state)
{
    (void)state;
    struct rec_delta in[4] = {
        mk(1, REC_OP_ADD, "a.b", "10.0.0.1"), mk(2, REC_OP_ADD, "c.d", "fd00::1"),
        mk(3, REC_OP_ADD, "e.f", "10.0.0.3"), mk(4, REC_OP_DEL, "g", "1.2.3.4")};
    in[0].has_ttl = true;
    in[0].ttl = 0;
    in[1].rank = 7;
    in[2].has_ttl = true;
    in[2].ttl = 2147483647u;
    in[2].rank = 4000000000u;
    struct sync_buf b = {0};
    assert_int_equal(sync_encode_deltas(&b, in, 4, 1400), 4);
    size_t sum = 3 + 3 + 8 + 2; /* header, owner, epoch, count */
    for (int i = 0; i < 4; i++)
        sum += sync_delta_size(&in[i]);
    assert_int_equal(b.len, sum); /* the sizes add up to the payload */
    struct rec_delta *out;
    size_t n;
    assert_true(sync_decode_deltas(b.p, b.len, &out, &n));
    assert_int_equal(n, 4);
    for (int i = 0; i < 4; i++) {
        assert_string_equal(out[i].name, in[i].name);
        assert_int_equal(out[i].op, in[i].op);
        if (in[i].op == REC_OP_ADD) {
            assert_int_equal(out[i].has_ttl, in[i].has_ttl);
            assert_int_equal(out[i].ttl, in[i].ttl);
            assert_int_equal(out[i].rank, in[i].rank);
        }
    }
    free(out);
    /* the size limit counts the extension: the third add's ext alone does not fit */
    assert_int_equal(sync_encode_deltas(&b, in, 3, 1400), 3);
    size_t three = b.len;
    assert_int_equal(sync_encode_deltas(&b, in, 3, three - 1), 2);
    assert_true(b.len <= three - 1 - 13);
    sync_buf_free(&b);
}

/* PLAIN_DELTA with the extension flag and an ext block appended. */
static size_t with_ext(uint8_t *buf, const uint8_t *ext, size_t n)
{
    memcpy(buf, PLAIN_DELTA, sizeof PLAIN_DELTA);
    buf[24] |= SYNC_REC_EXT;
    if (n)
        memcpy(buf + sizeof PLAIN_DELTA, ext, n);
    return sizeof PLAIN_DELTA + n;
}

static void test_ext_unknown_skipped_malformed_refused(void **state)
{
    (void)state;
    uint8_t buf[128];
    struct rec_delta *out;
    size_t n;
    /* an unknown tag before a known one is skipped */
    const uint8_t good[] = {9, 9, 1, 0xaa, SYNC_EXT_TTL, 4, 0, 0, 0, 30};
    size_t len = with_ext(buf, good, sizeof good);
    assert_true(sync_decode_deltas(buf, len, &out, &n));
    assert_true(out[0].has_ttl);
    assert_int_equal(out[0].ttl, 30);
    assert_int_equal(out[0].rank, 0);
    free(out);
    /* an empty ext block is fine */
    const uint8_t empty[] = {0};
    len = with_ext(buf, empty, 1);
    assert_true(sync_decode_deltas(buf, len, &out, &n));
    assert_false(out[0].has_ttl);
    free(out);
    const uint8_t *bad[] = {
        (const uint8_t[]){6, SYNC_EXT_TTL, 3, 0, 0, 30, 0},   /* known tag, wrong length */
        (const uint8_t[]){6, SYNC_EXT_TTL, 4, 0x80, 0, 0, 0}, /* TTL above 2^31 - 1 */
        (const uint8_t[]){6, SYNC_EXT_RANK, 9, 0, 0, 0, 1},   /* item runs past the block */
        (const uint8_t[]){1, SYNC_EXT_RANK},                  /* half an item header */
        (const uint8_t[]){9, SYNC_EXT_RANK, 4, 0, 0, 0, 1},   /* block runs past the input */
    };
    const size_t bad_len[] = {7, 7, 7, 2, 7};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        len = with_ext(buf, bad[i], bad_len[i]);
        assert_false(sync_decode_deltas(buf, len, &out, &n));
    }
    /* the flag without any block */
    len = with_ext(buf, NULL, 0);
    assert_false(sync_decode_deltas(buf, len, &out, &n));
}

static void test_state_with_ttl_and_rank(void **state)
{
    (void)state;
    struct rec_view v[3] = {
        {.owner = "n1", .source = "hosts:h", .name = "a.b", .seq = 3, .rank = 2},
        {.owner = "n1", .source = "docker:x", .name = "c.d", .seq = 4, .has_ttl = true, .ttl = 15},
        {.owner = "n1", .source = "hosts:h", .name = "e.f", .seq = 5, .tombstone = true, .rank = 9},
    };
    for (int i = 0; i < 3; i++)
        assert_true(records_parse_addr(i == 1 ? "fd00::2" : "10.0.0.9", &v[i].addr));
    struct sync_buf b = {0};
    sync_encode_state_begin(&b, "n2", 0);
    sync_encode_state_owner(&b, "n1", (struct rec_version){5, 5});
    for (int i = 0; i < 3; i++)
        sync_encode_state_entry(&b, &v[i]);
    sync_encode_state_owner_end(&b);
    assert_true(sync_encode_state_end(&b));
    struct sync_state st;
    assert_true(sync_decode_state(b.p, b.len, &st));
    assert_int_equal(st.n_entries, 3);
    const struct rec_view *o = st.owners[0].entries;
    assert_int_equal(o[0].rank, 2);
    assert_false(o[0].has_ttl);
    assert_true(o[1].has_ttl);
    assert_int_equal(o[1].ttl, 15);
    assert_int_equal(o[1].rank, 0);
    assert_true(o[2].tombstone);
    assert_int_equal(o[2].rank, 0); /* a tombstone is sent without it */
    sync_state_free(&st);

    /* the same state without TTLs and ranks is the old format: every entry's flag byte 0 or 1 */
    sync_encode_state_begin(&b, "n2", 0);
    sync_encode_state_owner(&b, "n1", (struct rec_version){5, 5});
    v[0].rank = 0;
    v[1].has_ttl = false;
    for (int i = 0; i < 3; i++)
        sync_encode_state_entry(&b, &v[i]);
    sync_encode_state_owner_end(&b);
    assert_true(sync_encode_state_end(&b));
    static const uint8_t head[] = {SYNC_MAGIC, 1, SYNC_KIND_STATE, 2, 'n', '2', 0, 0, 1};
    assert_memory_equal(b.p, head, sizeof head);
    size_t entries = sizeof head + 3 + 8 + 8 + 4;
    assert_int_equal(b.p[entries + 8], 0); /* first entry: live, no extension */
    size_t plain = 0;
    for (int i = 0; i < 3; i++)
        plain += 8 + 1 + 1 + strlen(v[i].source) + 1 + strlen(v[i].name) + 1 +
                 (v[i].addr.type == REC_AAAA ? 16 : 4);
    assert_int_equal(b.len, entries + plain);
    assert_true(sync_decode_state(b.p, b.len, &st));
    assert_false(st.owners[0].entries[1].has_ttl);
    sync_state_free(&st);
    sync_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_records_keep_the_old_bytes),
        cmocka_unit_test(test_deltas_with_ttl_and_rank),
        cmocka_unit_test(test_ext_unknown_skipped_malformed_refused),
        cmocka_unit_test(test_state_with_ttl_and_rank),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
