/* test_lzw.c — LZW and the compress wrapper against Go compress/lzw + memberlist compressPayload
 * output, round trips, and hostile streams. */
#include "testutil.h"

#include "go_vectors.h"
#include "swimmies/lzw.h"
#include "swimmies/proto.h"

struct input {
    uint8_t *p;
    size_t len;
};

static struct input make_input(const char *name)
{
    struct input in = {NULL, 0};
    if (!strcmp(name, "empty")) {
        in.p = malloc(1);
    } else if (!strcmp(name, "one")) {
        in.p = exact_copy((const uint8_t *)"a", 1);
        in.len = 1;
    } else if (!strcmp(name, "abab")) {
        in.len = 100;
        in.p = malloc(in.len);
        for (size_t i = 0; i < in.len; i++)
            in.p[i] = i % 2 ? 'b' : 'a';
    } else if (!strcmp(name, "text")) {
        const char *t = "the quick brown fox jumps over the lazy dog. ";
        size_t tl = strlen(t);
        in.len = 20 * tl;
        in.p = malloc(in.len);
        for (size_t i = 0; i < 20; i++)
            memcpy(in.p + i * tl, t, tl);
    } else if (!strcmp(name, "zeros")) {
        in.len = 5000;
        in.p = calloc(1, in.len);
    } else if (!strcmp(name, "rand")) {
        in.len = 3000;
        in.p = lcg_bytes(in.len, 256, 0);
    } else if (!strcmp(name, "small4")) {
        in.len = 3000;
        in.p = lcg_bytes(in.len, 4, 'a');
    }
    assert_non_null(in.p);
    return in;
}

static const struct {
    const char *name;
    const char *hex;
} go_compressed[] = {
    {"empty", GO_COMPRESS_EMPTY},   {"one", GO_COMPRESS_ONE},     {"abab", GO_COMPRESS_ABAB},
    {"text", GO_COMPRESS_TEXT},     {"zeros", GO_COMPRESS_ZEROS}, {"rand", GO_COMPRESS_RAND},
    {"small4", GO_COMPRESS_SMALL4},
};

/* swim_compress_wrap output is byte-identical to Go's compressPayload, and decompressing Go's
 * bytes gives the input back. */
static void test_go_compress_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof go_compressed / sizeof go_compressed[0]; i++) {
        struct input in = make_input(go_compressed[i].name);
        struct hexbuf g = unhex(go_compressed[i].hex);
        uint8_t *buf = malloc(g.len + 64);
        assert_non_null(buf);
        ssize_t n = swim_compress_wrap(buf, g.len + 64, in.p, in.len);
        assert_int_equal(n, (ssize_t)g.len);
        assert_memory_equal(buf, g.p, g.len);
        /* exact capacity works, one less does not */
        assert_int_equal(swim_compress_wrap(buf, g.len, in.p, in.len), (ssize_t)g.len);
        assert_int_equal(swim_compress_wrap(buf, g.len - 1, in.p, in.len), -1);

        uint8_t *out = malloc(in.len + 1);
        assert_non_null(out);
        ssize_t d = swim_decompress_body(g.p + 1, g.len - 1, out, in.len);
        assert_int_equal(d, (ssize_t)in.len);
        if (in.len) {
            assert_memory_equal(out, in.p, in.len);
            /* one byte short of room */
            assert_int_equal(swim_decompress_body(g.p + 1, g.len - 1, out, in.len - 1),
                             SWIM_ENOSPACE);
        }
        free(out);
        free(buf);
        free(g.p);
        free(in.p);
    }
}

/* Big inputs cross every width change and several table resets; Go's output length and CRC. */
static void test_go_big_streams(void **state)
{
    (void)state;
    static const struct {
        size_t n;
        uint32_t mod;
        uint8_t base;
        size_t len;
        uint32_t crc;
    } big[] = {
        {20000, 4, 'a', GO_COMPRESS_BIG_20000_4_LEN, GO_COMPRESS_BIG_20000_4_CRC},
        {20000, 256, 0, GO_COMPRESS_BIG_20000_256_LEN, GO_COMPRESS_BIG_20000_256_CRC},
        {200000, 4, 'a', GO_COMPRESS_BIG_200000_4_LEN, GO_COMPRESS_BIG_200000_4_CRC},
        {200000, 256, 0, GO_COMPRESS_BIG_200000_256_LEN, GO_COMPRESS_BIG_200000_256_CRC},
    };
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        uint8_t *in = lcg_bytes(big[i].n, big[i].mod, big[i].base);
        size_t cap = big[i].len + 16;
        uint8_t *buf = malloc(cap);
        assert_non_null(buf);
        ssize_t n = swim_compress_wrap(buf, cap, in, big[i].n);
        assert_int_equal(n, (ssize_t)big[i].len);
        assert_int_equal(swim_crc32(buf, (size_t)n), big[i].crc);
        uint8_t *out = malloc(big[i].n);
        assert_non_null(out);
        assert_int_equal(swim_decompress_body(buf + 1, (size_t)n - 1, out, big[i].n),
                         (ssize_t)big[i].n);
        assert_memory_equal(out, in, big[i].n);
        free(out);
        free(buf);
        free(in);
    }
}

/* Round trips over sizes and alphabets around the width-change and reset boundaries. */
static void test_roundtrips(void **state)
{
    (void)state;
    static const size_t sizes[] = {0,   1,   2,   3,    255,  256,  257,
                                   511, 512, 513, 1023, 4096, 9000, 70000};
    static const uint32_t mods[] = {1, 2, 3, 16, 256};
    uint32_t x = 99;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (size_t m = 0; m < sizeof mods / sizeof mods[0]; m++) {
            size_t n = sizes[s];
            uint8_t *in = malloc(n + 1);
            assert_non_null(in);
            for (size_t i = 0; i < n; i++) {
                x = x * 1664525u + 1013904223u;
                in[i] = (uint8_t)((x >> 13) % mods[m]);
            }
            ssize_t measured = swim_lzw_compress(in, n, NULL, SIZE_MAX);
            assert_true(measured > 0);
            uint8_t *c = malloc((size_t)measured);
            assert_non_null(c);
            assert_int_equal(swim_lzw_compress(in, n, c, (size_t)measured), measured);
            assert_int_equal(swim_lzw_compress(in, n, c, (size_t)measured - 1), -1);
            uint8_t *out = malloc(n + 1);
            assert_non_null(out);
            assert_int_equal(swim_lzw_decompress(c, (size_t)measured, out, n), (ssize_t)n);
            if (n)
                assert_memory_equal(out, in, n);
            free(out);
            free(c);
            free(in);
        }
    }
}

static void test_hostile_streams(void **state)
{
    (void)state;
    uint8_t out[8192];
    /* every proper prefix of a Go stream lacks the EOF code */
    struct hexbuf g = unhex(GO_COMPRESS_TEXT);
    struct swim_compress c;
    assert_int_equal(swim_decode_compress(g.p + 1, g.len - 1, &c, NULL), SWIM_OK);
    for (size_t n = 0; n < c.buf.len; n++) {
        uint8_t *p = exact_copy(c.buf.p, n);
        assert_int_equal(swim_lzw_decompress(p, n, out, sizeof out), SWIM_EMALFORMED);
        free(p);
    }
    /* unknown algorithm */
    uint8_t alg1[sizeof out];
    memcpy(alg1, g.p, g.len);
    alg1[7] = 1; /* Algo: 1 */
    assert_int_equal(swim_decompress_body(alg1 + 1, g.len - 1, out, sizeof out), SWIM_EUNSUPPORTED);
    free(g.p);

    /* a code beyond the next one to be defined: clear, then 300 (only 258 could come next) */
    uint32_t bits = 256u | 300u << 9;
    uint8_t bad[4] = {(uint8_t)bits, (uint8_t)(bits >> 8), (uint8_t)(bits >> 16), 0};
    assert_int_equal(swim_lzw_decompress(bad, 4, out, sizeof out), SWIM_EMALFORMED);
    /* a code that equals hi right after a clear is EOF, not KwKwK: 256, 257 */
    bits = 256u | 257u << 9;
    uint8_t eof[3] = {(uint8_t)bits, (uint8_t)(bits >> 8), (uint8_t)(bits >> 16)};
    assert_int_equal(swim_lzw_decompress(eof, 3, out, sizeof out), 0);

    /* decompression bomb: 1 MB of zeros compresses to ~2 KB; capped output is refused */
    size_t big = 1u << 20;
    uint8_t *zeros = calloc(1, big);
    assert_non_null(zeros);
    ssize_t n = swim_lzw_compress(zeros, big, NULL, SIZE_MAX);
    assert_true(n > 0 && n < 20000);
    uint8_t *cz = malloc((size_t)n);
    assert_non_null(cz);
    assert_int_equal(swim_lzw_compress(zeros, big, cz, (size_t)n), n);
    assert_int_equal(swim_lzw_decompress(cz, (size_t)n, out, sizeof out), SWIM_ENOSPACE);
    free(cz);
    free(zeros);

    /* random garbage never crashes and never writes past cap */
    uint32_t x = 7;
    uint8_t junk[64];
    for (int it = 0; it < 20000; it++) {
        size_t len = (size_t)(it % 64);
        for (size_t i = 0; i < len; i++) {
            x = x * 1664525u + 1013904223u;
            junk[i] = (uint8_t)(x >> 24);
        }
        uint8_t *p = exact_copy(junk, len);
        uint8_t *o = malloc(100);
        assert_non_null(o);
        ssize_t r = swim_lzw_decompress(p, len, o, 100);
        assert_true(r >= SWIM_ENOSPACE && r <= 100);
        free(o);
        free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_go_compress_vectors),
        cmocka_unit_test(test_go_big_streams),
        cmocka_unit_test(test_roundtrips),
        cmocka_unit_test(test_hostile_streams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
