/* records/names.c — helpers shared by sources and the DNS server: name validation and
 * normalisation, address parsing and formatting, the sources' record-input list. */
#include "records/records.h"

#include <arpa/inet.h>
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
        else if (l->v[i].line && (!kept->line || l->v[i].line < kept->line))
            kept->line = l->v[i].line; /* a repeat: keep its first line */
    }
    l->n = k;
    return k;
}
