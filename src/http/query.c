/* http/query.c — the query parameters of /dns/records (limit, offset, name filter) and
 * /dns/explain (name, type): strict parsing with a one-line reason for the 400, and the name
 * filter itself (an exact name, or a glob such as *.example.com). */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns/wire.h"
#include "http/internal.h"

/* A parameter value as an error message shows it: at most 60 characters, printable. */
static const char *shown(const char *value, char buf[72])
{
    snprintf(buf, 72, "%.60s%s", value, strlen(value) > 60 ? "..." : "");
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            *p = '?';
    return buf;
}

/* Rejects unknown and repeated keys; known lists the accepted ones, NULL-terminated. */
static bool check_keys(const struct http_args *a, const char *const *known, char *err,
                       size_t errlen)
{
    char b[72];
    if (a->overflow) {
        snprintf(err, errlen, "too many parameters");
        return false;
    }
    for (size_t i = 0; i < a->n; i++) {
        bool ok = false;
        for (const char *const *k = known; *k; k++)
            ok = ok || strcmp(*k, a->v[i].key) == 0;
        if (!ok) {
            char list[128] = "";
            for (const char *const *k = known; *k; k++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                         k == known ? "" : ", ", *k);
            snprintf(err, errlen, "unknown parameter '%s' (accepted: %s)", shown(a->v[i].key, b),
                     list);
            return false;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(a->v[j].key, a->v[i].key) == 0) {
                snprintf(err, errlen, "parameter %s given twice", a->v[i].key);
                return false;
            }
        }
        if (!a->v[i].value || !a->v[i].value[0]) {
            snprintf(err, errlen, "parameter %s needs a value", a->v[i].key);
            return false;
        }
    }
    return true;
}

static const char *arg(const struct http_args *a, const char *key)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i].key, key) == 0)
            return a->v[i].value;
    return NULL;
}

/* A decimal count 0..max, digits only. */
static bool count(const char *s, size_t max, size_t *out)
{
    size_t v = 0;
    if (!*s || strlen(s) > 9)
        return false;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (size_t)(*p - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

/* A glob over names: the name characters plus '*' and '?', at most REC_NAME_MAX long. */
static bool glob_pattern(const char *s, char out[REC_NAME_MAX + 1])
{
    size_t n = strlen(s);
    if (n == 0 || n > REC_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == '_' || c == '*' || c == '?';
        if (!ok)
            return false;
        out[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    out[n] = '\0';
    if (n > 1 && out[n - 1] == '.')
        out[n - 1] = '\0'; /* "*.example.com." as "*.example.com" */
    return true;
}

bool http_records_query_parse(const struct http_args *a, struct http_records_query *q, char *err,
                              size_t errlen)
{
    static const char *const known[] = {"limit", "offset", "name", NULL};
    memset(q, 0, sizeof *q);
    if (!check_keys(a, known, err, errlen))
        return false;
    const char *v;
    char b[72];
    if ((v = arg(a, "limit"))) {
        if (!count(v, HTTP_RECORDS_LIMIT_MAX, &q->limit)) {
            snprintf(err, errlen, "limit: '%s' is not a count from 0 to %d", shown(v, b),
                     HTTP_RECORDS_LIMIT_MAX);
            return false;
        }
        q->has_limit = true;
    }
    if ((v = arg(a, "offset")) && !count(v, 999999999, &q->offset)) {
        snprintf(err, errlen, "offset: '%s' is not a count from 0 to 999999999", shown(v, b));
        return false;
    }
    if ((v = arg(a, "name"))) {
        q->has_name = true;
        q->glob = strpbrk(v, "*?") != NULL;
        bool ok = q->glob ? glob_pattern(v, q->name) : records_normalize_name(v, q->name);
        if (!ok) {
            snprintf(err, errlen,
                     "name: '%s' is neither a DNS name nor a pattern of name characters with * "
                     "and ?",
                     shown(v, b));
            return false;
        }
    }
    return true;
}

bool http_records_match(const struct http_records_query *q, const char *name)
{
    if (!q->has_name)
        return true;
    if (!q->glob)
        return strcmp(q->name, name) == 0;
    return fnmatch(q->name, name, 0) == 0;
}

static const struct {
    const char *name;
    uint16_t type;
} types[] = {
    {"A", 1},     {"NS", 2},     {"CNAME", 5},   {"SOA", 6},    {"PTR", 12},
    {"MX", 15},   {"TXT", 16},   {"AAAA", 28},   {"SRV", 33},   {"NAPTR", 35},
    {"DS", 43},   {"RRSIG", 46}, {"DNSKEY", 48}, {"SVCB", 64},  {"HTTPS", 65},
    {"CAA", 257}, {"ANY", 255},  {"AXFR", 252},  {"IXFR", 251},
};

const char *http_type_name(uint16_t qtype, char buf[16])
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (types[i].type == qtype)
            return types[i].name;
    snprintf(buf, 16, "TYPE%u", qtype);
    return buf;
}

static bool parse_type(const char *s, uint16_t *out)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (strcasecmp(types[i].name, s) == 0) {
            *out = types[i].type;
            return true;
        }
    }
    size_t v;
    if (strncasecmp(s, "TYPE", 4) == 0 && count(s + 4, 65535, &v) && v > 0) {
        *out = (uint16_t)v;
        return true;
    }
    return false;
}

bool http_explain_query_parse(const struct http_args *a, struct http_explain_query *q, char *err,
                              size_t errlen)
{
    static const char *const known[] = {"name", "type", NULL};
    memset(q, 0, sizeof *q);
    if (!check_keys(a, known, err, errlen))
        return false;
    const char *name = arg(a, "name"), *type = arg(a, "type");
    char b[72];
    if (!name) {
        snprintf(err, errlen, "parameter name is required (?name=app.example.com)");
        return false;
    }
    if (!records_normalize_name(name, q->name)) {
        snprintf(err, errlen, "name: '%s' is not a valid DNS name", shown(name, b));
        return false;
    }
    q->qtype = DNS_TYPE_A;
    if (type && !parse_type(type, &q->qtype)) {
        snprintf(err, errlen, "type: '%s' is not a record type (A, AAAA, ANY, SOA, ... or TYPE<n>)",
                 shown(type, b));
        return false;
    }
    char buf[16];
    snprintf(q->type, sizeof q->type, "%s", http_type_name(q->qtype, buf));
    return true;
}
