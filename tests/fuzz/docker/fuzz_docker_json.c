/* fuzz_docker_json.c — libFuzzer target for the Docker source's pure decoders. The first input byte
 * picks the decoder (its value mod 6) and a variant (the quotient); the rest is the decoder's
 * input: 0 one /events line, then the labels of its Actor.Attributes to records 1 a
 * /containers/json body, each listed container's labels to records 2 a /containers/{id}/json body,
 * its Config.Labels to records 3 a /version body, and API version strings 4 a DOCKER_HOST value 5 a
 * DOCKER_LABELS key list, a newline, a label value to split into names Whatever decodes must
 * satisfy the decoders' documented guarantees (full ids, printable container names, published names
 * already normalized, well-formed endpoints); a violation aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "records/records.h"
#include "sources/docker_host.h"
#include "sources/docker_json.h"
#include "sources/docker_labels.h"

static void check(int cond)
{
    if (!cond)
        abort();
}

/* A NUL-terminated heap copy of exactly len bytes, so reading past the string is caught. */
static char *cstr(const uint8_t *p, size_t len)
{
    char *s = malloc(len + 1);
    check(s != NULL);
    memcpy(s, p, len);
    s[len] = '\0';
    return s;
}

static void check_printable(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);
    check(n <= max);
    for (size_t i = 0; i < n; i++)
        check((unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7f);
}

/* Every published name is valid, already normalized, distinct, and has an address; the TTL is one
 * valid value and ranks stay below the count. */
static void check_recs(const struct rec_inputs *r)
{
    check(r->n <= DOCKER_NAMES_MAX && r->n <= r->cap);
    for (size_t i = 0; i < r->n; i++) {
        char norm[REC_NAME_MAX + 1];
        check(records_normalize_name(r->v[i].name, norm));
        check(strcmp(norm, r->v[i].name) == 0);
        check(r->v[i].addr.type == REC_A || r->v[i].addr.type == REC_AAAA);
        for (size_t k = 0; k < i; k++)
            check(strcmp(r->v[k].name, r->v[i].name) != 0 ||
                  memcmp(&r->v[k].addr, &r->v[i].addr, sizeof r->v[i].addr) != 0);
        /* one TTL (joyride.host.ttl) for the container's names; each name's place in order */
        check(r->v[i].has_ttl == r->v[0].has_ttl && r->v[i].ttl == r->v[0].ttl);
        check(!r->v[i].has_ttl || r->v[i].ttl <= DOCKER_TTL_MAX);
        check(r->v[i].rank < r->n);
    }
}

static struct docker_keys keys;

static void labels_to_records(const struct docker_labels *labels, uint8_t variant,
                              const char *container)
{
    struct rec_addr host_ip = {0};
    if (variant & 1)
        check(records_parse_addr(variant & 2 ? "fd00::1" : "10.0.0.1", &host_ip));
    struct rec_inputs r = {0};
    enum docker_labels_result res = docker_labels_records(&keys, labels, &host_ip, container, &r);
    check(res != DOCKER_LABELS_NOMEM);
    if (res == DOCKER_LABELS_OK)
        check_recs(&r);
    else
        check(r.n == 0);
    rec_inputs_free(&r);
}

static void check_container(const struct docker_container *c)
{
    check(docker_id_valid(c->id));
    check(c->name[0] != '\0');
    check_printable(c->name, DOCKER_CNAME_MAX);
    check(c->labels.n <= c->labels.cap && (c->labels.present || c->labels.n == 0));
    for (size_t i = 0; i < c->labels.n; i++)
        check(c->labels.v[i].key != NULL);
}

static void on_listed(struct docker_container *c, void *ctx)
{
    check_container(c);
    labels_to_records(&c->labels, *(const uint8_t *)ctx, c->name);
}

static void fuzz_event(const uint8_t *p, size_t len, uint8_t variant)
{
    struct docker_event ev;
    char err[128];
    enum docker_decode d = docker_event_decode((const char *)p, len, &ev, err, sizeof err);
    if (d != DOCKER_DECODE_OK) {
        check((d == DOCKER_DECODE_IGNORE || d == DOCKER_DECODE_BAD) && ev.attributes.v == NULL);
        return;
    }
    check(docker_id_valid(ev.id));
    check(ev.name[0] == '\0' || strnlen(ev.name, DOCKER_CNAME_MAX + 1) <= DOCKER_CNAME_MAX);
    if (ev.name[0])
        check_printable(ev.name, DOCKER_CNAME_MAX);
    check(ev.effect == docker_action_effect(ev.action, ev.signal));
    check(ev.action == DOCKER_EV_KILL || ev.signal == -1);
    labels_to_records(&ev.attributes, variant, ev.name[0] ? ev.name : ev.id);
    docker_event_free(&ev);
}

static void fuzz_list(const uint8_t *p, size_t len, uint8_t variant)
{
    size_t skipped = 0;
    char err[128];
    (void)docker_list_decode((const char *)p, len, on_listed, &variant, &skipped, err, sizeof err);
}

static void fuzz_inspect(const uint8_t *p, size_t len, uint8_t variant)
{
    struct docker_container c;
    char err[128];
    if (!docker_inspect_decode((const char *)p, len, &c, err, sizeof err)) {
        check(c.labels.v == NULL && !c.labels.present);
        return;
    }
    check_container(&c);
    labels_to_records(&c.labels, variant, c.name);
    docker_container_free(&c);
}

static void fuzz_version(const uint8_t *p, size_t len)
{
    char v[16];
    if (docker_version_decode((const char *)p, len, v)) {
        check(docker_api_version_valid(v));
        check(docker_api_version_cmp(v, v) == 0);
        int a = docker_api_version_cmp(v, DOCKER_API_MIN),
            b = docker_api_version_cmp(DOCKER_API_MIN, v);
        check((a < 0 && b > 0) || (a == 0 && b == 0) || (a > 0 && b < 0));
    }
    char *s = cstr(p, len);
    if (docker_api_version_valid(s)) {
        check(docker_api_version_cmp(s, s) == 0);
        check(strlen(s) <= DOCKER_API_VERSION_MAX);
    }
    free(s);
}

static void fuzz_host(const uint8_t *p, size_t len)
{
    char *s = cstr(p, len);
    struct docker_endpoint ep;
    char err[256];
    if (docker_endpoint_parse(s, &ep, err, sizeof err)) {
        size_t bl = strnlen(ep.base_url, sizeof ep.base_url);
        check(bl > 0 && bl < sizeof ep.base_url && ep.base_url[bl - 1] != '/');
        check(strncmp(ep.base_url, "http://", 7) == 0);
        check(strnlen(ep.display, sizeof ep.display) < sizeof ep.display);
        if (ep.is_unix) {
            check(ep.unix_path[0] == '/');
            check(strnlen(ep.unix_path, sizeof ep.unix_path) <= DOCKER_UNIX_PATH_MAX);
            check(strncmp(ep.display, "unix://", 7) == 0);
        } else {
            check(strncmp(ep.display, "tcp://", 6) == 0);
        }
    } else {
        check(err[0] != '\0');
    }
    free(s);
}

static void fuzz_names(const uint8_t *p, size_t len, uint8_t variant)
{
    const uint8_t *nl = memchr(p, '\n', len);
    size_t klen = nl ? (size_t)(nl - p) : len;
    char *list = cstr(p, klen);
    struct docker_keys k;
    char err[256];
    if (docker_keys_parse(list, &k, err, sizeof err)) {
        check(k.n >= 1 && k.n <= DOCKER_KEYS_MAX);
        for (size_t i = 0; i < k.n; i++) {
            size_t kl = strnlen(k.keys[i], DOCKER_KEY_LEN_MAX + 1);
            check(kl >= 1 && kl <= DOCKER_KEY_LEN_MAX);
            for (size_t j = 0; j < i; j++)
                check(strcmp(k.keys[i], k.keys[j]) != 0);
        }
    }
    free(list);
    if (!nl)
        return;
    char *value = cstr(nl + 1, len - klen - 1);
    struct rec_addr addr;
    check(records_parse_addr(variant & 1 ? "fd00::2" : "10.0.0.2", &addr));
    struct rec_inputs r = {0};
    size_t invalid = 0;
    check(docker_names_append(value, &addr, "fuzz", &r, &invalid));
    check_recs(&r);
    rec_inputs_free(&r);
    free(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (keys.n == 0) {
        log_set_level(LOG_ERROR); /* invalid names are logged as warnings: keep the run quiet */
        char err[128];
        check(docker_keys_parse("joyride.host.name, dns.names", &keys, err, sizeof err));
    }
    if (size == 0)
        return 0;
    uint8_t sel = data[0] % 6, variant = data[0] / 6;
    const uint8_t *p = data + 1;
    size_t len = size - 1;
    switch (sel) {
    case 0:
        fuzz_event(p, len, variant);
        break;
    case 1:
        fuzz_list(p, len, variant);
        break;
    case 2:
        fuzz_inspect(p, len, variant);
        break;
    case 3:
        fuzz_version(p, len);
        break;
    case 4:
        fuzz_host(p, len);
        break;
    case 5:
        fuzz_names(p, len, variant);
        break;
    default:
        break;
    }
    return 0;
}
