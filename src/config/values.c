/* config/values.c — parsers for single configuration values: numbers, booleans, durations,
 * IP literals, base64 keys, comma/blank separated lists and host:port pairs. */
#include "config/values.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Copies s without surrounding blanks into buf (cap bytes); false when it does not fit. */
static bool trimmed(const char *s, char *buf, size_t cap)
{
    while (*s && blank(*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && blank(s[n - 1]))
        n--;
    if (n >= cap)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return true;
}

bool cv_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char buf[32];
    if (!trimmed(s, buf, sizeof buf) || !buf[0])
        return false;
    uint64_t v = 0;
    for (const char *p = buf; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool cv_bool(const char *s, bool *out)
{
    char buf[16];
    if (!trimmed(s, buf, sizeof buf))
        return false;
    if (strcasecmp(buf, "true") == 0) {
        *out = true;
        return true;
    }
    if (strcasecmp(buf, "false") == 0) {
        *out = false;
        return true;
    }
    return false;
}

bool cv_duration_ms(const char *s, uint64_t max_ms, uint32_t *out)
{
    char buf[32];
    if (!trimmed(s, buf, sizeof buf) || !buf[0])
        return false;
    /* integer part and up to 3 fractional digits, in thousandths */
    const char *p = buf;
    uint64_t milli = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
        if (milli > 100000000u)
            return false;
        milli = milli * 10 + (uint64_t)(*p++ - '0');
        digits++;
    }
    milli *= 1000;
    if (*p == '.') {
        p++;
        uint64_t scale = 100;
        int frac = 0;
        while (*p >= '0' && *p <= '9') {
            milli += (uint64_t)(*p++ - '0') * scale;
            scale /= 10;
            frac++;
        }
        if (frac == 0 || frac > 3)
            return false;
        digits += frac;
    }
    if (digits == 0)
        return false;
    uint64_t ms;
    if (strcmp(p, "") == 0 || strcmp(p, "s") == 0)
        ms = milli;
    else if (strcmp(p, "ms") == 0)
        ms = milli / 1000; /* a fraction of a millisecond rounds down */
    else if (strcmp(p, "m") == 0)
        ms = milli * 60;
    else if (strcmp(p, "h") == 0)
        ms = milli * 3600;
    else
        return false;
    if (ms < 1 || ms > max_ms || ms > UINT32_MAX)
        return false;
    *out = (uint32_t)ms;
    return true;
}

bool cv_ip(const char *s, int family, char out[46], int *family_out)
{
    char buf[64];
    unsigned char bin[16];
    if (!trimmed(s, buf, sizeof buf))
        return false;
    if (family != 6 && inet_pton(AF_INET, buf, bin) == 1) {
        inet_ntop(AF_INET, bin, out, 46);
        if (family_out)
            *family_out = 4;
        return true;
    }
    if (family != 4 && inet_pton(AF_INET6, buf, bin) == 1) {
        inet_ntop(AF_INET6, bin, out, 46);
        if (family_out)
            *family_out = 6;
        return true;
    }
    return false;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

long cv_base64(const char *s, uint8_t *out, size_t cap)
{
    size_t n = strlen(s);
    size_t pad = 0;
    while (n > 0 && s[n - 1] == '=' && pad < 2) {
        n--;
        pad++;
    }
    if (n == 0 || n % 4 == 1 || (pad && (n + pad) % 4 != 0))
        return -1;
    size_t len = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(s[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (len >= cap)
                return -1;
            out[len++] = (uint8_t)(acc >> bits);
        }
    }
    /* leftover bits must be zero, otherwise the text is not a canonical encoding */
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        return -1;
    return (long)len;
}

bool cv_split(const char *s, bool (*cb)(const char *item, void *ctx), void *ctx)
{
    const char *p = s;
    while (*p) {
        while (*p && (blank(*p) || *p == ','))
            p++;
        const char *start = p;
        while (*p && !blank(*p) && *p != ',')
            p++;
        if (p == start)
            continue;
        char *item = strndup(start, (size_t)(p - start));
        if (!item)
            return false;
        bool ok = cb(item, ctx);
        free(item);
        if (!ok)
            return false;
    }
    return true;
}

bool cv_host_port(const char *s, uint16_t default_port, char **host, uint16_t *port)
{
    const char *h = s, *hend, *ps = NULL;
    if (*s == '[') {
        h = s + 1;
        hend = strchr(h, ']');
        if (!hend)
            return false;
        if (hend[1] == ':')
            ps = hend + 2;
        else if (hend[1] != '\0')
            return false;
    } else {
        const char *colon = strchr(s, ':');
        if (colon && strchr(colon + 1, ':'))
            return false; /* a bare IPv6 address needs brackets when a port follows */
        hend = colon ? colon : s + strlen(s);
        if (colon)
            ps = colon + 1;
    }
    if (hend == h)
        return false;
    uint64_t p = default_port;
    if (ps && !cv_uint(ps, 1, 65535, &p))
        return false;
    *host = strndup(h, (size_t)(hend - h));
    if (!*host)
        return false;
    *port = (uint16_t)p;
    return true;
}

const char *cv_show(const char *s, char buf[80])
{
    size_t i = 0;
    for (; i < 60 && s[i]; i++)
        buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    buf[i] = '\0';
    if (s[i])
        memcpy(buf + i, "...", 4);
    return buf;
}
