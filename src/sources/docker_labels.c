/* docker_labels.c — label keys, name splitting and validation, the address override. */
#include "sources/docker_labels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/vec.h"

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
        size_t len = (size_t)(p - start);
        char raw[REC_NAME_MAX + 2];
        char norm[REC_NAME_MAX + 1];
        bool ok = len < sizeof raw;
        if (ok) {
            memcpy(raw, start, len);
            raw[len] = '\0';
            ok = records_normalize_name(raw, norm);
        }
        if (!ok) {
            char shown[96];
            log_warn(MOD, "container %s: invalid name '%s' skipped", container,
                     printable(shown, start, len));
            if (invalid)
                (*invalid)++;
            continue;
        }
        if (out->n >= DOCKER_NAMES_MAX) {
            log_warn(MOD, "container %s: more than %d names, '%s' and the rest skipped", container,
                     DOCKER_NAMES_MAX, norm);
            if (invalid)
                (*invalid)++;
            return true;
        }
        if (!recs_push(out, norm, addr))
            return false;
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
    if (!any)
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
    return DOCKER_LABELS_OK;
}
