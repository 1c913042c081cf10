/* fuzz_traefik_rule.c — libFuzzer target for the Traefik rule parser and the names router rule
 * labels give. The input is a rule. Checks: a refused rule reports no host; validation alone gives
 * the same verdict; every reported value fits the literal limit; the rule in parentheses reports
 * the same hosts (or is refused only for its depth); as a traefik.http.routers label and a
 * traefik.tcp.routers label, every published name is valid, normalized and distinct; a host regexp
 * maps to a well-formed "*.domain" wildcard or is skipped with a reason. A violation aborts. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/vec.h"
#include "records/records.h"
#include "sources/docker_labels.h"
#include "sources/traefik_rule.h"

static void check(int cond)
{
    if (!cond)
        abort();
}

struct seen {
    char text[8192];
    size_t len;
    size_t n;
};

static void on_host(enum traefik_host_kind kind, const char *v, size_t len, void *ctx)
{
    struct seen *s = ctx;
    check(kind <= TRAEFIK_HOST_SNI_REGEXP);
    check(len <= TRAEFIK_STRING_MAX);
    s->n++;
    if (kind == TRAEFIK_HOST_REGEXP || kind == TRAEFIK_HOST_SNI_REGEXP) {
        /* a regexp maps to "*." and a literal domain, or is skipped with a reason */
        char wild[REC_NAME_MAX + 2];
        const char *why = NULL;
        bool ok = traefik_regexp_wildcard(v, len, wild, sizeof wild, &why);
        check(ok ? why == NULL : why != NULL && why[0] != '\0');
        if (ok) {
            size_t wl = strlen(wild);
            check(wl >= 3 && wl < sizeof wild && wild[0] == '*' && wild[1] == '.');
            check(wild[2] != '.' && wild[wl - 1] != '.' && strstr(wild + 2, "..") == NULL);
            check(strspn(wild + 2, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "0123456789-_.") == wl - 2);
        }
    }
    /* a digest of what was reported: kind, length, bytes (cut when long) */
    if (s->len + len + 8 < sizeof s->text) {
        s->text[s->len++] = (char)('0' + kind);
        memcpy(s->text + s->len, &len, sizeof len);
        s->len += sizeof len;
        memcpy(s->text + s->len, v, len);
        s->len += len;
    }
}

static void check_recs(const struct rec_inputs *r)
{
    check(r->n <= DOCKER_NAMES_MAX);
    for (size_t i = 0; i < r->n; i++) {
        char norm[REC_NAME_MAX + 1];
        check(records_normalize_name(r->v[i].name, norm));
        check(strcmp(norm, r->v[i].name) == 0);
        for (size_t k = 0; k < i; k++)
            check(strcmp(r->v[k].name, r->v[i].name) != 0);
    }
}

static void as_label(const char *key, char *rule)
{
    struct docker_keys keys;
    check(docker_keys_parse(NULL, &keys, NULL, 0));
    keys.traefik = true;
    struct docker_label l[2] = {{.key = (char *)key, .value = rule},
                                {.key = (char *)"traefik.enable", .value = (char *)"true"}};
    struct docker_labels labels = {.v = l, .n = 2, .cap = 2, .present = true};
    struct rec_addr host;
    check(records_parse_addr("192.0.2.1", &host));
    struct rec_inputs r = {0};
    enum docker_labels_result res = docker_labels_records(&keys, &labels, &host, "fuzz", &r);
    check(res == DOCKER_LABELS_OK || res == DOCKER_LABELS_NOMEM);
    check_recs(&r);
    rec_inputs_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    if (!quiet) {
        log_set_level(LOG_ERROR);
        quiet = 1;
    }
    if (size > 16384)
        return 0;
    char *rule = malloc(size + 3);
    check(rule != NULL);
    rule[0] = '(';
    memcpy(rule + 1, data, size);
    rule[size + 1] = ')';
    rule[size + 2] = '\0';

    struct seen a = {0}, b = {0};
    char err[128] = "x";
    bool ok = traefik_rule_hosts(rule + 1, size, on_host, &a, err, sizeof err);
    check(ok || (a.n == 0 && err[0] != '\0'));
    check(traefik_rule_hosts(rule + 1, size, NULL, NULL, NULL, 0) == ok);
    bool wrapped = traefik_rule_hosts(rule, size + 2, on_host, &b, err, sizeof err);
    if (ok) {
        check(wrapped || strstr(err, "deeply") != NULL);
        if (wrapped)
            check(a.n == b.n && a.len == b.len && memcmp(a.text, b.text, a.len) == 0);
    }

    /* as labels (NUL-terminated: cut at the first NUL as a label value would be) */
    rule[size + 1] = '\0';
    as_label("traefik.http.routers.fuzz.rule", rule + 1);
    as_label("traefik.tcp.routers.fuzz.rule", rule + 1);
    free(rule);
    return 0;
}
