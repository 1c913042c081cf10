/* msgpack.c — bounds-checked tolerant msgpack reader and str-only writer for the memberlist
 * dialect. */
#include "swimmies/msgpack.h"

#include <string.h>

static size_t avail(const struct swim_mp_reader *r)
{
    return (size_t)(r->end - r->p);
}

/* Big-endian unsigned of n bytes at p (n <= 8). */
static uint64_t be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Reads the header at r->p: tag byte plus n length/value bytes. Returns SWIM_ETRUNC if absent. */
static int need(const struct swim_mp_reader *r, size_t n)
{
    return avail(r) >= n ? SWIM_OK : SWIM_ETRUNC;
}

int swim_mp_read_map(struct swim_mp_reader *r, uint32_t *n)
{
    if (need(r, 1))
        return SWIM_ETRUNC;
    uint8_t t = r->p[0];
    if ((t & 0xf0) == 0x80) {
        *n = t & 0x0f;
        r->p += 1;
    } else if (t == 0xde || t == 0xdf) {
        size_t w = t == 0xde ? 2 : 4;
        if (need(r, 1 + w))
            return SWIM_ETRUNC;
        *n = (uint32_t)be(r->p + 1, w);
        r->p += 1 + w;
    } else if (t == 0xc0) {
        *n = 0;
        r->p += 1;
    } else {
        return SWIM_EMALFORMED;
    }
    return SWIM_OK;
}

/* Header of a str/bin value: data length and header size. */
static int bytes_header(const struct swim_mp_reader *r, size_t *hdr, size_t *len)
{
    if (need(r, 1))
        return SWIM_ETRUNC;
    uint8_t t = r->p[0];
    size_t w;
    if ((t & 0xe0) == 0xa0) {
        *hdr = 1;
        *len = t & 0x1f;
        return SWIM_OK;
    }
    switch (t) {
    case 0xd9: /* str8 */
    case 0xc4: /* bin8 */
        w = 1;
        break;
    case 0xda: /* str16 */
    case 0xc5: /* bin16 */
        w = 2;
        break;
    case 0xdb: /* str32 */
    case 0xc6: /* bin32 */
        w = 4;
        break;
    default:
        return SWIM_EMALFORMED;
    }
    if (need(r, 1 + w))
        return SWIM_ETRUNC;
    *hdr = 1 + w;
    *len = (size_t)be(r->p + 1, w);
    if (*len > SWIM_MAX_STREAM_BYTES)
        return SWIM_EMALFORMED;
    return SWIM_OK;
}

int swim_mp_read_bytes(struct swim_mp_reader *r, struct swim_bytes *out)
{
    if (need(r, 1))
        return SWIM_ETRUNC;
    if (r->p[0] == 0xc0) {
        out->p = NULL;
        out->len = 0;
        r->p += 1;
        return SWIM_OK;
    }
    size_t hdr, len;
    int rc = bytes_header(r, &hdr, &len);
    if (rc)
        return rc;
    if (avail(r) - hdr < len)
        return SWIM_ETRUNC;
    out->p = r->p + hdr;
    out->len = len;
    r->p += hdr + len;
    return SWIM_OK;
}

/* Any integer: *neg set for negative values, *mag the magnitude (or value). */
static int read_int(struct swim_mp_reader *r, bool *neg, uint64_t *v)
{
    if (need(r, 1))
        return SWIM_ETRUNC;
    uint8_t t = r->p[0];
    *neg = false;
    if (t <= 0x7f) {
        *v = t;
        r->p += 1;
        return SWIM_OK;
    }
    if (t >= 0xe0) {
        *neg = true;
        *v = (uint64_t)(-(int64_t)(int8_t)t);
        r->p += 1;
        return SWIM_OK;
    }
    if (t == 0xc0) {
        *v = 0;
        r->p += 1;
        return SWIM_OK;
    }
    size_t w;
    bool is_signed;
    switch (t) {
    case 0xcc:
        w = 1;
        is_signed = false;
        break;
    case 0xcd:
        w = 2;
        is_signed = false;
        break;
    case 0xce:
        w = 4;
        is_signed = false;
        break;
    case 0xcf:
        w = 8;
        is_signed = false;
        break;
    case 0xd0:
        w = 1;
        is_signed = true;
        break;
    case 0xd1:
        w = 2;
        is_signed = true;
        break;
    case 0xd2:
        w = 4;
        is_signed = true;
        break;
    case 0xd3:
        w = 8;
        is_signed = true;
        break;
    default:
        return SWIM_EMALFORMED;
    }
    if (need(r, 1 + w))
        return SWIM_ETRUNC;
    uint64_t raw = be(r->p + 1, w);
    if (is_signed && (raw >> (8 * w - 1)) & 1) {
        /* Sign-extend and take the magnitude. */
        uint64_t ext = w == 8 ? raw : raw | (~(uint64_t)0 << (8 * w));
        *neg = true;
        *v = ~ext + 1;
    } else {
        *v = raw;
    }
    r->p += 1 + w;
    return SWIM_OK;
}

int swim_mp_read_uint(struct swim_mp_reader *r, uint64_t max, uint64_t *out)
{
    struct swim_mp_reader save = *r;
    bool neg;
    uint64_t v;
    int rc = read_int(r, &neg, &v);
    if (rc)
        return rc;
    if ((neg && v != 0) || v > max) {
        *r = save;
        return SWIM_EMALFORMED;
    }
    *out = v;
    return SWIM_OK;
}

int swim_mp_read_bool(struct swim_mp_reader *r, bool *out)
{
    if (need(r, 1))
        return SWIM_ETRUNC;
    uint8_t t = r->p[0];
    if (t == 0xc2 || t == 0xc3) {
        *out = t == 0xc3;
        r->p += 1;
        return SWIM_OK;
    }
    uint64_t v;
    int rc = swim_mp_read_uint(r, 1, &v);
    if (rc)
        return rc;
    *out = v == 1;
    return SWIM_OK;
}

int swim_mp_read_u8_list(struct swim_mp_reader *r, uint8_t *out, size_t cap, uint8_t *n)
{
    if (need(r, 1))
        return SWIM_ETRUNC;
    uint8_t t = r->p[0];
    size_t count, hdr;
    if ((t & 0xf0) == 0x90 || t == 0xdc || t == 0xdd) {
        /* array of integers */
        if ((t & 0xf0) == 0x90) {
            count = t & 0x0f;
            hdr = 1;
        } else {
            size_t w = t == 0xdc ? 2 : 4;
            if (need(r, 1 + w))
                return SWIM_ETRUNC;
            count = (size_t)be(r->p + 1, w);
            hdr = 1 + w;
        }
        struct swim_mp_reader sub = {r->p + hdr, r->end};
        for (size_t i = 0; i < count; i++) {
            uint64_t v;
            int rc = swim_mp_read_uint(&sub, 255, &v);
            if (rc)
                return rc;
            if (i < cap)
                out[i] = (uint8_t)v;
        }
        *n = (uint8_t)(count < cap ? count : cap);
        r->p = sub.p;
        return SWIM_OK;
    }
    struct swim_bytes b;
    int rc = swim_mp_read_bytes(r, &b);
    if (rc)
        return rc;
    size_t k = b.len < cap ? b.len : cap;
    if (k)
        memcpy(out, b.p, k);
    *n = (uint8_t)k;
    return SWIM_OK;
}

static int skip_depth(struct swim_mp_reader *r, int depth)
{
    if (depth > SWIM_MP_SKIP_DEPTH)
        return SWIM_EMALFORMED;
    if (need(r, 1))
        return SWIM_ETRUNC;
    uint8_t t = r->p[0];
    size_t fixed = 0; /* bytes after the tag for fixed-size values */
    uint64_t items = 0;
    bool container = false;
    if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3) {
        r->p += 1;
        return SWIM_OK;
    }
    if ((t & 0xf0) == 0x80 || t == 0xde || t == 0xdf) {
        uint32_t n;
        int rc = swim_mp_read_map(r, &n);
        if (rc)
            return rc;
        items = (uint64_t)n * 2;
        container = true;
    } else if ((t & 0xf0) == 0x90 || t == 0xdc || t == 0xdd) {
        if ((t & 0xf0) == 0x90) {
            items = t & 0x0f;
            r->p += 1;
        } else {
            size_t w = t == 0xdc ? 2 : 4;
            if (need(r, 1 + w))
                return SWIM_ETRUNC;
            items = be(r->p + 1, w);
            r->p += 1 + w;
        }
        container = true;
    } else if ((t & 0xe0) == 0xa0 || t == 0xd9 || t == 0xda || t == 0xdb || t == 0xc4 ||
               t == 0xc5 || t == 0xc6) {
        struct swim_bytes b;
        return swim_mp_read_bytes(r, &b);
    } else {
        size_t extlen_w = 0;
        switch (t) {
        case 0xcc:
        case 0xd0:
            fixed = 1;
            break;
        case 0xcd:
        case 0xd1:
            fixed = 2;
            break;
        case 0xce:
        case 0xd2:
        case 0xca:
            fixed = 4;
            break;
        case 0xcf:
        case 0xd3:
        case 0xcb:
            fixed = 8;
            break;
        case 0xd4:
            fixed = 2;
            break; /* fixext1: type + 1 */
        case 0xd5:
            fixed = 3;
            break;
        case 0xd6:
            fixed = 5;
            break;
        case 0xd7:
            fixed = 9;
            break;
        case 0xd8:
            fixed = 17;
            break;
        case 0xc7:
            extlen_w = 1;
            break;
        case 0xc8:
            extlen_w = 2;
            break;
        case 0xc9:
            extlen_w = 4;
            break;
        default:
            return SWIM_EMALFORMED; /* 0xc1 is never used */
        }
        if (extlen_w) {
            if (need(r, 1 + extlen_w))
                return SWIM_ETRUNC;
            uint64_t n = be(r->p + 1, extlen_w);
            if (n > SWIM_MAX_STREAM_BYTES)
                return SWIM_EMALFORMED;
            fixed = extlen_w + 1 + (size_t)n;
        }
        if (need(r, 1 + fixed))
            return SWIM_ETRUNC;
        r->p += 1 + fixed;
        return SWIM_OK;
    }
    if (container) {
        for (uint64_t i = 0; i < items; i++) {
            int rc = skip_depth(r, depth + 1);
            if (rc)
                return rc;
        }
    }
    return SWIM_OK;
}

int swim_mp_skip(struct swim_mp_reader *r)
{
    struct swim_mp_reader save = *r;
    int rc = skip_depth(r, 0);
    if (rc)
        *r = save;
    return rc;
}

/* ---- writer ---- */

void swim_mp_put_raw(struct swim_mp_writer *w, const void *data, size_t len)
{
    if (w->overflow || (size_t)(w->end - w->p) < len) {
        w->overflow = true;
        return;
    }
    if (len)
        memcpy(w->p, data, len);
    w->p += len;
}

void swim_mp_put_byte(struct swim_mp_writer *w, uint8_t b)
{
    swim_mp_put_raw(w, &b, 1);
}

static void put_be(struct swim_mp_writer *w, uint8_t tag, uint64_t v, size_t n)
{
    uint8_t tmp[9];
    tmp[0] = tag;
    for (size_t i = 0; i < n; i++)
        tmp[1 + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    swim_mp_put_raw(w, tmp, 1 + n);
}

void swim_mp_put_map(struct swim_mp_writer *w, uint32_t n)
{
    if (n < 16)
        swim_mp_put_byte(w, (uint8_t)(0x80 | n));
    else if (n <= 0xffff)
        put_be(w, 0xde, n, 2);
    else
        put_be(w, 0xdf, n, 4);
}

void swim_mp_put_uint(struct swim_mp_writer *w, uint64_t v)
{
    if (v <= 0x7f)
        swim_mp_put_byte(w, (uint8_t)v);
    else if (v <= 0xff)
        put_be(w, 0xcc, v, 1);
    else if (v <= 0xffff)
        put_be(w, 0xcd, v, 2);
    else if (v <= 0xffffffffu)
        put_be(w, 0xce, v, 4);
    else
        put_be(w, 0xcf, v, 8);
}

void swim_mp_put_bool(struct swim_mp_writer *w, bool v)
{
    swim_mp_put_byte(w, v ? 0xc3 : 0xc2);
}

void swim_mp_put_nil(struct swim_mp_writer *w)
{
    swim_mp_put_byte(w, 0xc0);
}

void swim_mp_put_str(struct swim_mp_writer *w, const void *data, size_t len)
{
    if (len < 32)
        swim_mp_put_byte(w, (uint8_t)(0xa0 | len));
    else if (len <= 0xffff)
        put_be(w, 0xda, len, 2);
    else if (len <= 0xffffffffu)
        put_be(w, 0xdb, len, 4);
    else {
        w->overflow = true;
        return;
    }
    swim_mp_put_raw(w, data, len);
}

void swim_mp_put_string(struct swim_mp_writer *w, struct swim_bytes b)
{
    swim_mp_put_str(w, b.p, b.p ? b.len : 0);
}

void swim_mp_put_byteslice(struct swim_mp_writer *w, struct swim_bytes b)
{
    if (!b.p)
        swim_mp_put_nil(w);
    else
        swim_mp_put_str(w, b.p, b.len);
}

void swim_mp_put_key(struct swim_mp_writer *w, const char *key)
{
    swim_mp_put_str(w, key, strlen(key));
}
