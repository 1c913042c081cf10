/* testutil.h — helpers shared by the swimmies codec unit tests: hex decoding, the LCG used for
 * reproducible inputs, and a message collector for the packet walker. */
#ifndef SWIMMIES_CODEC_TESTUTIL_H
#define SWIMMIES_CODEC_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "swimmies/proto.h"

/* A decoded hex string in a malloc'd buffer of exactly len bytes (so ASan catches over-reads). */
struct hexbuf {
    uint8_t *p;
    size_t len;
};

static inline int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Accepts spaces/newlines between bytes. */
static inline struct hexbuf unhex(const char *s)
{
    size_t n = strlen(s);
    struct hexbuf b = {malloc(n / 2 + 1), 0};
    assert_non_null(b.p);
    int hi = -1;
    for (; *s; s++) {
        int v = hexval(*s);
        if (v < 0)
            continue;
        if (hi < 0) {
            hi = v;
        } else {
            b.p[b.len++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    assert_int_equal(hi, -1);
    /* Shrink to the exact size so reads past the end are caught. */
    uint8_t *exact = malloc(b.len ? b.len : 1);
    assert_non_null(exact);
    memcpy(exact, b.p, b.len);
    free(b.p);
    b.p = exact;
    return b;
}

/* Copy of data in a buffer of exactly len bytes. */
static inline uint8_t *exact_copy(const uint8_t *data, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    assert_non_null(p);
    if (len)
        memcpy(p, data, len);
    return p;
}

/* lcg(n, mod, base) as used to make the Go LZW vectors. */
static inline uint8_t *lcg_bytes(size_t n, uint32_t mod, uint8_t base)
{
    uint8_t *b = malloc(n ? n : 1);
    assert_non_null(b);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        b[i] = (uint8_t)(base + (x >> 16) % mod);
    }
    return b;
}

/* Messages seen by the packet walker callback. */
#define COLLECT_MAX 64
struct collected {
    size_t n;
    uint8_t type[COLLECT_MAX];
    uint8_t body[COLLECT_MAX][2048];
    size_t len[COLLECT_MAX];
};

static inline void collect_cb(void *ctx, uint8_t type, const uint8_t *body, size_t len)
{
    struct collected *c = ctx;
    if (c->n >= COLLECT_MAX)
        return;
    c->type[c->n] = type;
    c->len[c->n] = len;
    memcpy(c->body[c->n], body, len < 2048 ? len : 2048);
    c->n++;
}

#endif
