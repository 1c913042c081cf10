/* records/names.c — helpers shared by sources and the DNS server: name validation and
 * normalisation, address parsing and formatting, reverse (PTR) names, the sources' record-input
 * list. */
#include "records/records.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vec.h"

static bool label_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* Validates and lowercases in into out; returns NULL or why the name is not valid. */
static const char *normalize(const char *in, char out[REC_NAME_MAX + 1])
{
    if (!in)
        return "no name";
    size_t len = strnlen(in, REC_NAME_MAX + 2);
    if (len > 0 && in[len - 1] == '.')
        len--; /* one optional trailing dot */
    if (len == 0)
        return "empty name";
    if (len > REC_NAME_MAX)
        return "longer than 253 characters";
    size_t start = 0;
    if (in[0] == '*') {
        /* RFC 4592: a wildcard is a leftmost label of exactly "*" above a parent name */
        if (len == 1)
            return "a wildcard needs a parent name ('*.example.com')";
        if (in[1] != '.')
            return "'*' must be a whole leftmost label ('*.example.com')";
        out[0] = '*';
        out[1] = '.';
        start = 2;
    }
    size_t label = 0;
    for (size_t i = start; i < len; i++) {
        char c = in[i];
        if (c == '.') {
            if (label == 0)
                return "empty label";
            if (in[i - 1] == '-')
                return "a label ends with '-'";
            label = 0;
            out[i] = '.';
            continue;
        }
        if (c == '*')
            return "'*' must be a whole leftmost label ('*.example.com')";
        if (!label_char_ok(c))
            return "a label holds a character other than a letter, digit, '-' or '_'";
        if (label == 0 && c == '-')
            return "a label starts with '-'";
        if (++label > 63)
            return "a label is longer than 63 characters";
        out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    if (label == 0)
        return "empty label"; /* "a.." or "*." */
    if (in[len - 1] == '-')
        return "a label ends with '-'";
    out[len] = '\0';
    return NULL;
}

bool records_normalize_name(const char *in, char out[REC_NAME_MAX + 1])
{
    return normalize(in, out) == NULL;
}

const char *records_name_error(const char *in)
{
    char out[REC_NAME_MAX + 1];
    return normalize(in, out);
}

bool records_name_is_wildcard(const char *name)
{
    return name && name[0] == '*' && name[1] == '.';
}

bool records_normalize_domain(const char *in, char out[REC_NAME_MAX + 1])
{
    return records_normalize_name(in, out) && !records_name_is_wildcard(out);
}

bool records_parse_addr(const char *s, struct rec_addr *out)
{
    struct rec_addr a;
    memset(&a, 0, sizeof a);
    if (!s)
        return false;
    if (inet_pton(AF_INET, s, a.bytes) == 1) {
        a.type = REC_A;
    } else if (inet_pton(AF_INET6, s, a.bytes) == 1) {
        a.type = REC_AAAA;
    } else {
        return false;
    }
    *out = a;
    return true;
}

const char *records_format_addr(const struct rec_addr *a, char buf[46])
{
    int af = a->type == REC_A ? AF_INET : a->type == REC_AAAA ? AF_INET6 : 0;
    if (!af || !inet_ntop(af, a->bytes, buf, 46))
        memcpy(buf, "?", 2);
    return buf;
}

size_t records_reverse_name(const struct rec_addr *a, char buf[REC_REVERSE_MAX + 1])
{
    static const char hex[] = "0123456789abcdef";
    if (a->type == REC_A) {
        int n = snprintf(buf, REC_REVERSE_MAX + 1, "%u.%u.%u.%u.in-addr.arpa", a->bytes[3],
                         a->bytes[2], a->bytes[1], a->bytes[0]);
        return n > 0 ? (size_t)n : 0;
    }
    size_t o = 0;
    for (int i = 15; i >= 0; i--) {
        buf[o++] = hex[a->bytes[i] & 0x0f];
        buf[o++] = '.';
        buf[o++] = hex[a->bytes[i] >> 4];
        buf[o++] = '.';
    }
    memcpy(buf + o, "ip6.arpa", sizeof "ip6.arpa");
    return o + sizeof "ip6.arpa" - 1;
}

static int hex_val(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool records_parse_reverse_name(const char *name, struct rec_addr *out)
{
    struct rec_addr a;
    memset(&a, 0, sizeof a);
    const char *p = name;
    size_t len = strlen(name);
    if (len > 13 && strcmp(name + len - 13, ".in-addr.arpa") == 0) {
        for (int i = 3; i >= 0; i--) {
            unsigned v = 0, digits = 0;
            for (; *p >= '0' && *p <= '9'; p++, digits++)
                v = v * 10 + (unsigned)(*p - '0');
            if (digits == 0 || digits > 3 || v > 255 || (digits > 1 && p[-(int)digits] == '0') ||
                *p != '.')
                return false;
            a.bytes[i] = (uint8_t)v;
            p++;
        }
        if (strcmp(p, "in-addr.arpa") != 0)
            return false;
        a.type = REC_A;
    } else if (len == REC_REVERSE_MAX && strcmp(name + 64, "ip6.arpa") == 0) {
        for (size_t i = 0; i < 32; i++) {
            int v = hex_val(p[2 * i]);
            if (v < 0 || p[2 * i + 1] != '.')
                return false;
            a.bytes[15 - i / 2] |= (uint8_t)(i % 2 ? v << 4 : v);
        }
        a.type = REC_AAAA;
    } else {
        return false;
    }
    *out = a;
    return true;
}

int records_input_cmp(const void *x, const void *y)
{
    const struct rec_input *a = x, *b = y;
    int c = strcmp(a->name, b->name);
    if (c)
        return c;
    if (a->addr.type != b->addr.type)
        return a->addr.type < b->addr.type ? -1 : 1;
    return memcmp(a->addr.bytes, b->addr.bytes, sizeof a->addr.bytes);
}

void rec_inputs_free(struct rec_inputs *l)
{
    vec_free(l);
}

size_t rec_inputs_dedupe(struct rec_inputs *l)
{
    if (l->n < 2)
        return l->n;
    qsort(l->v, l->n, sizeof *l->v, records_input_cmp);
    size_t k = 1;
    for (size_t i = 1; i < l->n; i++) {
        struct rec_input *kept = &l->v[k - 1];
        if (records_input_cmp(kept, &l->v[i]) != 0)
            l->v[k++] = l->v[i];
        else {
            if (l->v[i].line && (!kept->line || l->v[i].line < kept->line))
                kept->line = l->v[i].line; /* a repeat: keep its first line */
            if (l->v[i].rank < kept->rank)
                kept->rank = l->v[i].rank; /* and its first place among the address's names */
        }
    }
    l->n = k;
    return k;
}

/* One input's address and position while a list is ranked. */
struct rank_key {
    struct rec_addr addr;
    uint32_t pos;
};

static int rank_cmp(const void *x, const void *y)
{
    const struct rank_key *a = x, *b = y;
    if (a->addr.type != b->addr.type)
        return a->addr.type < b->addr.type ? -1 : 1;
    int c = memcmp(a->addr.bytes, b->addr.bytes, a->addr.type == REC_A ? 4 : 16);
    return c ? c : (a->pos < b->pos ? -1 : a->pos > b->pos);
}

bool rec_inputs_rank(struct rec_inputs *l)
{
    if (l->n == 0)
        return true;
    if (l->n > UINT32_MAX)
        return false;
    struct rank_key *k = malloc(l->n * sizeof *k);
    if (!k)
        return false;
    for (size_t i = 0; i < l->n; i++)
        k[i] = (struct rank_key){l->v[i].addr, (uint32_t)i};
    qsort(k, l->n, sizeof *k, rank_cmp);
    uint32_t rank = 0;
    for (size_t i = 0; i < l->n; i++) {
        bool same =
            i > 0 && k[i - 1].addr.type == k[i].addr.type &&
            memcmp(k[i - 1].addr.bytes, k[i].addr.bytes, k[i].addr.type == REC_A ? 4 : 16) == 0;
        rank = same ? rank + 1 : 0;
        l->v[k[i].pos].rank = rank;
    }
    free(k);
    return true;
}
