/* docker_labels.c — label keys, name splitting and validation, the address override. */
#include "sources/docker_labels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/vec.h"
#include "sources/traefik_rule.h"

#define MOD "docker"

/* Copies at most 80 bytes of src for a log line, control and non-ASCII bytes as '?', so a label
 * value can never forge or break log lines. */
static const char *printable(char dst[96], const char *src, size_t len)
{
    size_t n = len > 80 ? 80 : len, i;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (len > n) {
        memcpy(dst + i, "...", 3);
        i += 3;
    }
    dst[i] = '\0';
    return dst;
}

static bool is_sep(char c)
{
    return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool docker_keys_parse(const char *list, struct docker_keys *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (err && errlen)
        err[0] = '\0';
    const char *p = list ? list : "";
    bool blank = true;
    for (const char *q = p; *q; q++)
        blank = blank && is_sep(*q);
    if (blank)
        p = DOCKER_DEFAULT_LABELS;
    while (*p) {
        while (is_sep(*p))
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && !is_sep(*p))
            p++;
        size_t len = (size_t)(p - start);
        if (len > DOCKER_KEY_LEN_MAX) {
            snprintf(err, errlen, "DOCKER_LABELS: label key longer than %d bytes",
                     DOCKER_KEY_LEN_MAX);
            return false;
        }
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)start[i];
            if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
                snprintf(err, errlen, "DOCKER_LABELS: bad character in label key '%.*s'", (int)len,
                         start);
                return false;
            }
        }
        bool dup = false;
        for (size_t i = 0; i < out->n; i++)
            dup = dup || (strlen(out->keys[i]) == len && memcmp(out->keys[i], start, len) == 0);
        if (dup)
            continue;
        if (out->n == DOCKER_KEYS_MAX) {
            snprintf(err, errlen, "DOCKER_LABELS: more than %d label keys", DOCKER_KEYS_MAX);
            return false;
        }
        memcpy(out->keys[out->n], start, len);
        out->keys[out->n][len] = '\0';
        out->n++;
    }
    return true;
}

/* Appends (name, addr) unless it is already in r, keeping the labels' order. */
static bool recs_push(struct rec_inputs *r, const char *name, const struct rec_addr *addr)
{
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->v[i].name, name) == 0 && memcmp(&r->v[i].addr, addr, sizeof *addr) == 0)
            return true;
    }
    struct rec_input *in = vec_push_zero(r);
    if (!in)
        return false;
    snprintf(in->name, sizeof in->name, "%s", name);
    in->addr = *addr;
    return true;
}

bool docker_name_append(const char *name, size_t len, const struct rec_addr *addr,
                        const char *container, struct rec_inputs *out, size_t *invalid)
{
    char raw[REC_NAME_MAX + 2];
    char norm[REC_NAME_MAX + 1];
    bool ok = len < sizeof raw && memchr(name, '\0', len) == NULL;
    if (ok) {
        memcpy(raw, name, len);
        raw[len] = '\0';
        ok = records_normalize_name(raw, norm);
    }
    if (!ok) {
        char shown[96];
        const char *why = len < sizeof raw && memchr(name, '\0', len) == NULL
                              ? records_name_error(raw)
                              : "too long or holds a NUL byte";
        log_warn(MOD, "container %s: invalid name '%s' skipped: %s", container,
                 printable(shown, name, len), why ? why : "not a name");
        if (invalid)
            (*invalid)++;
        return true;
    }
    if (out->n >= DOCKER_NAMES_MAX) {
        log_warn(MOD, "container %s: more than %d names, '%s' and the rest skipped", container,
                 DOCKER_NAMES_MAX, norm);
        if (invalid)
            (*invalid)++;
        return true;
    }
    return recs_push(out, norm, addr);
}

bool docker_names_append(const char *value, const struct rec_addr *addr, const char *container,
                         struct rec_inputs *out, size_t *invalid)
{
    const char *p = value;
    while (*p) {
        while (is_sep(*p))
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && !is_sep(*p))
            p++;
        bool full = out->n >= DOCKER_NAMES_MAX; /* this one is logged, the rest skipped */
        if (!docker_name_append(start, (size_t)(p - start), addr, container, out, invalid))
            return false;
        if (full)
            return true;
    }
    return true;
}

const struct docker_label *docker_labels_find(const struct docker_labels *l, const char *key)
{
    for (size_t i = 0; l && i < l->n; i++) {
        if (strcmp(l->v[i].key, key) == 0)
            return &l->v[i];
    }
    return NULL;
}

void docker_labels_free(struct docker_labels *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].value);
    }
    vec_free(l);
    l->present = false;
}

/* The string value of label key, or NULL when it is absent or not a string. */
static const char *string_label(const struct docker_labels *l, const char *key)
{
    const struct docker_label *x = docker_labels_find(l, key);
    return x ? x->value : NULL;
}

/* ---- Traefik router rules ---- */

/* traefik.enable holds a false value as Go's strconv.ParseBool reads it. */
static bool traefik_disabled(const struct docker_labels *l)
{
    static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};
    const char *v = string_label(l, DOCKER_TRAEFIK_ENABLE_LABEL);
    for (size_t i = 0; v && i < sizeof no / sizeof no[0]; i++) {
        if (strcmp(v, no[i]) == 0)
            return true;
    }
    return false;
}

/* 'h' for traefik.http.routers.<router>.rule, 't' for traefik.tcp.routers.<router>.rule, else 0. */
static char router_rule(const char *key)
{
    static const char http[] = "traefik.http.routers.", tcp[] = "traefik.tcp.routers.",
                      rule[] = ".rule";
    size_t n = strlen(key), pre;
    char kind;
    if (strncmp(key, http, sizeof http - 1) == 0) {
        pre = sizeof http - 1;
        kind = 'h';
    } else if (strncmp(key, tcp, sizeof tcp - 1) == 0) {
        pre = sizeof tcp - 1;
        kind = 't';
    } else {
        return 0;
    }
    /* a router name of at least one character between the prefix and ".rule" */
    if (n < pre + 1 + sizeof rule - 1 || strcmp(key + n - (sizeof rule - 1), rule) != 0)
        return 0;
    return kind;
}

bool docker_traefik_wanted(const struct docker_labels *l)
{
    if (!l || !l->present || traefik_disabled(l))
        return false;
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i].value && router_rule(l->v[i].key))
            return true;
    }
    return false;
}

struct traefik_ctx {
    const struct rec_addr *addr;
    const char *container;
    const char *key;
    struct rec_inputs *out;
    size_t *invalid;
    bool tcp;
    bool full; /* the cap was hit (and logged) */
    bool oom;
};

static void on_traefik_host(enum traefik_host_kind kind, const char *v, size_t len, void *arg)
{
    struct traefik_ctx *c = arg;
    char shown[96];
    if (c->oom || c->full)
        return;
    const char *skip = NULL;
    char wild[REC_NAME_MAX + 2];
    bool star = len >= 2 && v[0] == '*' && v[1] == '.';
    switch (kind) {
    case TRAEFIK_HOST:
        skip = c->tcp ? "Host in a TCP router"
               : star ? "Traefik's Host matches no '*' name (HostRegexp does)"
                      : NULL;
        break;
    case TRAEFIK_HOST_SNI:
        if (!c->tcp)
            skip = "HostSNI in an HTTP router";
        else if (len == 1 && v[0] == '*')
            skip = "HostSNI(`*`) matches every name";
        else if (star)
            skip = "Traefik's HostSNI matches no '*' name (HostSNIRegexp does)";
        break;
    case TRAEFIK_HOST_REGEXP:
    case TRAEFIK_HOST_SNI_REGEXP:
        if (c->tcp != (kind == TRAEFIK_HOST_SNI_REGEXP))
            skip = c->tcp ? "HostRegexp in a TCP router" : "HostSNIRegexp in an HTTP router";
        else if (traefik_regexp_wildcard(v, len, wild, sizeof wild, &skip)) {
            log_debug(MOD, "container %s: %s: '%s' is the wildcard %s", c->container, c->key,
                      printable(shown, v, len), wild);
            v = wild;
            len = strlen(wild);
        }
        break;
    }
    if (skip) {
        log_debug(MOD, "container %s: %s: '%s' skipped: %s", c->container, c->key,
                  printable(shown, v, len), skip);
        return;
    }
    c->full = c->out->n >= DOCKER_NAMES_MAX;
    if (!docker_name_append(v, len, c->addr, c->container, c->out, c->invalid))
        c->oom = true;
}

/* Appends the host names of the container's router rules; false when memory runs out. */
static bool traefik_append(const struct docker_labels *l, const struct rec_addr *addr,
                           const char *container, struct rec_inputs *out)
{
    for (size_t i = 0; i < l->n; i++) {
        char kind = l->v[i].value ? router_rule(l->v[i].key) : 0;
        if (!kind)
            continue;
        struct traefik_ctx c = {.addr = addr,
                                .container = container,
                                .key = l->v[i].key,
                                .out = out,
                                .tcp = kind == 't'};
        char err[96], shown_key[96], shown_rule[96];
        const char *rule = l->v[i].value;
        if (!traefik_rule_hosts(rule, strlen(rule), on_traefik_host, &c, err, sizeof err)) {
            log_warn(MOD, "container %s: %s '%s': %s; rule skipped", container,
                     printable(shown_key, l->v[i].key, strlen(l->v[i].key)),
                     printable(shown_rule, rule, strlen(rule)), err);
        }
        if (c.oom)
            return false;
        if (c.full)
            return true;
    }
    return true;
}

bool docker_ttl_parse(const char *value, uint32_t *out)
{
    if (!value)
        return false;
    const char *s = value;
    while (*s == ' ' || *s == '\t')
        s++;
    uint64_t v = 0;
    size_t digits = 0;
    for (; *s >= '0' && *s <= '9'; s++, digits++) {
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > DOCKER_TTL_MAX)
            return false;
    }
    while (*s == ' ' || *s == '\t')
        s++;
    if (digits == 0 || *s)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* Sets every record's TTL from the joyride.host.ttl label, when it has a valid one. */
static void apply_ttl(const struct docker_labels *labels, const char *container,
                      struct rec_inputs *out)
{
    const struct docker_label *l = docker_labels_find(labels, DOCKER_TTL_LABEL);
    if (!l)
        return;
    uint32_t ttl;
    if (!docker_ttl_parse(l->value, &ttl)) {
        char shown[96];
        const char *v = l->value ? l->value : "";
        log_warn(MOD, "container %s: invalid %s '%s' (seconds from 0 to %u), default TTL used",
                 container, DOCKER_TTL_LABEL, printable(shown, v, strlen(v)), DOCKER_TTL_MAX);
        return;
    }
    for (size_t i = 0; i < out->n; i++) {
        out->v[i].has_ttl = true;
        out->v[i].ttl = ttl;
    }
}

enum docker_labels_result docker_labels_records(const struct docker_keys *keys,
                                                const struct docker_labels *labels,
                                                const struct rec_addr *host_ip,
                                                const char *container, struct rec_inputs *out)
{
    out->n = 0;
    if (!labels || !labels->present)
        return DOCKER_LABELS_NONE;
    bool any = false;
    for (size_t i = 0; i < keys->n; i++)
        any = any || string_label(labels, keys->keys[i]);
    bool traefik = keys->traefik && docker_traefik_wanted(labels);
    if (!any && !traefik)
        return DOCKER_LABELS_NONE;

    struct rec_addr addr;
    const struct docker_label *ip = docker_labels_find(labels, DOCKER_IP_LABEL);
    if (ip) {
        const char *s = ip->value ? ip->value : "";
        /* surrounding blanks are tolerated, nothing else */
        while (*s == ' ' || *s == '\t')
            s++;
        size_t len = strlen(s);
        while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        char buf[64];
        bool ok = len < sizeof buf;
        if (ok) {
            memcpy(buf, s, len);
            buf[len] = '\0';
            ok = records_parse_addr(buf, &addr);
        }
        if (!ok) {
            char shown[96];
            log_warn(MOD, "container %s: invalid %s '%s', container skipped", container,
                     DOCKER_IP_LABEL, printable(shown, s, len));
            return DOCKER_LABELS_BAD_IP;
        }
    } else if (host_ip && (host_ip->type == REC_A || host_ip->type == REC_AAAA)) {
        addr = *host_ip;
    } else {
        log_warn(MOD, "container %s: no HOSTIP configured and no %s label, container skipped",
                 container, DOCKER_IP_LABEL);
        return DOCKER_LABELS_NO_ADDR;
    }

    for (size_t i = 0; i < keys->n; i++) {
        const char *v = string_label(labels, keys->keys[i]);
        if (!v)
            continue;
        if (!docker_names_append(v, &addr, container, out, NULL))
            return DOCKER_LABELS_NOMEM;
    }
    if (traefik && !traefik_append(labels, &addr, container, out))
        return DOCKER_LABELS_NOMEM;
    if (!rec_inputs_rank(out))
        return DOCKER_LABELS_NOMEM;
    apply_ttl(labels, container, out);
    return DOCKER_LABELS_OK;
}
