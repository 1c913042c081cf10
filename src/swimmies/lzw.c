/* lzw.c — Go compress/lzw compatible LZW (LSB, literal width 8) compressor and decompressor. */
#include "swimmies/lzw.h"

#include <string.h>

#include "swimmies/proto.h"

#define LZW_CLEAR 256u
#define LZW_EOF 257u
#define LZW_MAX_CODE 4095u
#define LZW_MAX_WIDTH 12u
#define LZW_TABLE_SIZE (4u << 12) /* open-addressing hash for (prefix, byte) -> code */
#define LZW_TABLE_MASK (LZW_TABLE_SIZE - 1)
#define LZW_INVALID 0xffffffffu

/* Bit writer: LSB first; counts bytes even when out is NULL or full. */
struct bitw {
    uint8_t *out;
    size_t cap;
    size_t n;
    uint32_t bits;
    unsigned nbits;
    unsigned width;
};

static int emit(struct bitw *w, uint32_t code)
{
    w->bits |= code << w->nbits;
    w->nbits += w->width;
    while (w->nbits >= 8) {
        if (w->n >= w->cap)
            return -1;
        if (w->out)
            w->out[w->n] = (uint8_t)w->bits;
        w->n++;
        w->bits >>= 8;
        w->nbits -= 8;
    }
    return 0;
}

struct lzw_enc {
    struct bitw w;
    uint32_t hi;                    /* last assigned code */
    uint32_t overflow;              /* hi value at which the width grows */
    uint32_t table[LZW_TABLE_SIZE]; /* key << 12 | code; 0 = empty */
};

/* Advances hi after a code was emitted. Returns 1 if the table was reset (a clear was emitted),
 * 0 otherwise, -1 if out of room. */
static int inc_hi(struct lzw_enc *e)
{
    e->hi++;
    if (e->hi == e->overflow) {
        e->w.width++;
        e->overflow <<= 1;
    }
    if (e->hi == LZW_MAX_CODE) {
        if (emit(&e->w, LZW_CLEAR))
            return -1;
        e->w.width = 9;
        e->hi = LZW_EOF;
        e->overflow = 512;
        memset(e->table, 0, sizeof(e->table));
        return 1;
    }
    return 0;
}

ssize_t swim_lzw_compress(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
    struct lzw_enc e;
    memset(&e, 0, sizeof(e));
    e.w.out = out;
    e.w.cap = cap;
    e.w.width = 9;
    e.hi = LZW_EOF;
    e.overflow = 512;

    /* Go writes a clear code first; for empty input only Close's clear is written. */
    if (emit(&e.w, LZW_CLEAR))
        return -1;
    if (len > 0) {
        uint32_t code = in[0];
        for (size_t i = 1; i < len; i++) {
            uint32_t lit = in[i];
            uint32_t key = code << 8 | lit;
            uint32_t hash = ((key >> 12) ^ key) & LZW_TABLE_MASK;
            uint32_t h = hash;
            bool found = false;
            while (e.table[h] != 0) {
                if (key == e.table[h] >> 12) {
                    code = e.table[h] & LZW_MAX_CODE;
                    found = true;
                    break;
                }
                h = (h + 1) & LZW_TABLE_MASK;
            }
            if (found)
                continue;
            if (emit(&e.w, code))
                return -1;
            code = lit;
            int rc = inc_hi(&e);
            if (rc < 0)
                return -1;
            if (rc == 1)
                continue;
            while (e.table[hash] != 0)
                hash = (hash + 1) & LZW_TABLE_MASK;
            e.table[hash] = (key << 12) | e.hi;
        }
        if (emit(&e.w, code))
            return -1;
        if (inc_hi(&e) < 0)
            return -1;
    }
    if (emit(&e.w, LZW_EOF))
        return -1;
    if (e.w.nbits > 0) {
        if (e.w.n >= e.w.cap)
            return -1;
        if (out)
            out[e.w.n] = (uint8_t)e.w.bits;
        e.w.n++;
    }
    return (ssize_t)e.w.n;
}

ssize_t swim_lzw_decompress(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
    uint8_t suffix[1u << LZW_MAX_WIDTH];
    uint16_t prefix[1u << LZW_MAX_WIDTH];
    uint8_t stack[1u << LZW_MAX_WIDTH]; /* one string, built backwards */
    const uint32_t invalid = 0xffff;
    uint32_t bits = 0, nbits = 0, width = 9;
    uint32_t hi = LZW_EOF, overflow = 512, last = invalid;
    size_t ip = 0, o = 0;

    memset(suffix, 0, sizeof(suffix));
    memset(prefix, 0, sizeof(prefix));
    for (;;) {
        while (nbits < width) {
            if (ip >= len)
                return SWIM_EMALFORMED; /* no EOF code */
            bits |= (uint32_t)in[ip++] << nbits;
            nbits += 8;
        }
        uint32_t code = bits & ((1u << width) - 1);
        bits >>= width;
        nbits -= width;

        if (code < LZW_CLEAR) {
            if (o >= cap)
                return SWIM_ENOSPACE;
            out[o++] = (uint8_t)code;
            if (last != invalid) {
                suffix[hi] = (uint8_t)code;
                prefix[hi] = (uint16_t)last;
            }
        } else if (code == LZW_CLEAR) {
            width = 9;
            hi = LZW_EOF;
            overflow = 512;
            last = invalid;
            continue;
        } else if (code == LZW_EOF) {
            return (ssize_t)o;
        } else if (code <= hi) {
            size_t i = sizeof(stack);
            uint32_t c = code;
            if (code == hi && last != invalid) {
                /* KwKwK: the string of last plus its own first byte. */
                c = last;
                while (c >= LZW_CLEAR)
                    c = prefix[c];
                stack[--i] = (uint8_t)c;
                c = last;
            }
            while (c >= LZW_CLEAR) {
                if (i == 0)
                    return SWIM_EMALFORMED;
                stack[--i] = suffix[c];
                c = prefix[c];
            }
            if (i == 0)
                return SWIM_EMALFORMED;
            stack[--i] = (uint8_t)c;
            size_t n = sizeof(stack) - i;
            if (cap - o < n)
                return SWIM_ENOSPACE;
            memcpy(out + o, stack + i, n);
            o += n;
            if (last != invalid) {
                suffix[hi] = (uint8_t)c;
                prefix[hi] = (uint16_t)last;
            }
        } else {
            return SWIM_EMALFORMED;
        }
        last = code;
        hi++;
        if (hi >= overflow) {
            if (width == LZW_MAX_WIDTH) {
                last = invalid;
                hi--;
            } else {
                width++;
                overflow = 1u << width;
            }
        }
    }
}
