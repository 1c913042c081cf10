/* test_docker_traefik.c — the Traefik rule parser (rules taken from Traefik's v2 and v3 router
 * documentation, plus malformed ones) and the names a container's router rule labels give. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/log.h"
#include "core/vec.h"
#include "records/records.h"
#include "sources/docker_labels.h"
#include "sources/traefik_rule.h"

/* The hosts a rule reports, as "H:a.example.com S:b R:c " (H Host, R HostRegexp, S HostSNI,
 * X HostSNIRegexp); NULL when the rule is refused. */
struct hosts {
    char text[1024];
};

static void on_host(enum traefik_host_kind kind, const char *v, size_t len, void *ctx)
{
    struct hosts *h = ctx;
    static const char tag[] = {'H', 'R', 'S', 'X'};
    size_t o = strlen(h->text);
    snprintf(h->text + o, sizeof h->text - o, "%c:%.*s ", tag[kind], (int)len, v);
}

static const char *hosts_of(const char *rule, struct hosts *h)
{
    char err[128];
    h->text[0] = '\0';
    if (!traefik_rule_hosts(rule, strlen(rule), on_host, h, err, sizeof err)) {
        assert_true(err[0] != '\0');
        assert_true(h->text[0] == '\0'); /* nothing reported for a refused rule */
        return NULL;
    }
    return h->text;
}

static void expect(const char *rule, const char *want)
{
    struct hosts h;
    const char *got = hosts_of(rule, &h);
    if (!got)
        fail_msg("rule refused: %s", rule);
    if (strcmp(got, want) != 0)
        fail_msg("rule %s: got '%s', want '%s'", rule, got, want);
    /* validation alone gives the same verdict */
    assert_true(traefik_rule_hosts(rule, strlen(rule), NULL, NULL, NULL, 0));
}

static void refused(const char *rule)
{
    struct hosts h;
    if (hosts_of(rule, &h))
        fail_msg("rule accepted: %s (hosts '%s')", rule, h.text);
}

/* Rules as Traefik v2's documentation writes them (routers/#rule, tcp routers). */
static void test_v2_rules(void **state)
{
    (void)state;
    expect("Host(`example.com`)", "H:example.com ");
    expect("Host(`example.com`, `example.org`)", "H:example.com H:example.org ");
    expect("Host(`example.com`) || Host(`example.org`)", "H:example.com H:example.org ");
    expect("Host(`example.com`) && Path(`/traefik`)", "H:example.com ");
    expect("Host(`example.com`) || (Host(`example.org`) && Path(`/traefik`))",
           "H:example.com H:example.org ");
    expect("Host(`example.com`) && PathPrefix(`/api`, `/admin`)", "H:example.com ");
    expect("Headers(`key`, `value`)", "");
    expect("HeadersRegexp(`Content-Type`, `application/(text|json)`)", "");
    expect("Method(`GET`, `POST`)", "");
    expect("Query(`foo=bar`, `bar=baz`)", "");
    expect("ClientIP(`10.0.0.0/16`, `::1`)", "");
    expect("HostHeader(`example.com`)", "H:example.com ");
    expect("HostRegexp(`example.com`, `{subdomain:[a-z]+}.example.com`)",
           "R:example.com R:{subdomain:[a-z]+}.example.com ");
    expect("Host(`example.com`) && !Path(`/admin`)", "H:example.com ");
    expect("PathPrefix(`/products/`) && !Host(`example.org`)", "");
    /* TCP routers */
    expect("HostSNI(`example.com`)", "S:example.com ");
    expect("HostSNI(`example.com`, `example.org`)", "S:example.com S:example.org ");
    expect("HostSNI(`*`)", "S:* ");
    expect("HostSNI(`example.com`) || ClientIP(`192.168.0.0/16`)", "S:example.com ");
    /* v2 registers lower- and upper-case spellings of the matchers too */
    expect("host(`a.example.com`) || HOST(`b.example.com`)", "H:a.example.com H:b.example.com ");
}

/* Rules as Traefik v3's documentation writes them (one argument per Host, double quotes). */
static void test_v3_rules(void **state)
{
    (void)state;
    expect("Host(\"example.com\")", "H:example.com ");
    expect("Host(`example.com`) || Host(`example.org`)", "H:example.com H:example.org ");
    expect("HostRegexp(`^.+\\.example\\.com$`)", "R:^.+\\.example\\.com$ ");
    expect("Header(`Content-Type`, `application/json`)", "");
    expect("HeaderRegexp(`Content-Type`, `^application/(json|yaml)$`)", "");
    expect("Method(`GET`)", "");
    expect("Path(`/products`) || PathPrefix(`/products/`) || PathRegexp(`\\.(jpeg|jpg|png)$`)", "");
    expect("Query(`mobile`, `true`) && QueryRegexp(`mobile`, `^(true|yes)$`)", "");
    expect("ClientIP(`10.76.105.11`)", "");
    expect("Host(`example.com`) && (PathPrefix(`/api`) || PathPrefix(`/admin`))", "H:example.com ");
    expect("!(Host(`example.com`) && Path(`/admin`))", "");
    expect("!!Host(`twice.example.com`)", "H:twice.example.com ");
    expect("(Host(`a.example.com`) || !Host(`b.example.com`)) && Method(`GET`)",
           "H:a.example.com ");
    expect("HostSNI(`example.com`) && ALPN(`h2`)", "S:example.com ");
    expect("HostSNIRegexp(`^.+\\.example\\.com$`)", "X:^.+\\.example\\.com$ ");
    /* whitespace and newlines between tokens, double quotes with Go escapes */
    expect("  Host( \"a.example.com\" ,\n\t`b.example.com` )  ||Host(\"c\\x2eexample.com\")",
           "H:a.example.com H:b.example.com H:c.example.com ");
    expect("Host(\"q\\\"uote\")", "H:q\"uote ");
}

static void test_malformed_rules(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "   ",
        "Host",
        "Host(",
        "Host()",
        "Host(`a.example.com`",
        "Host(`a.example.com`))",
        "Host(a.example.com)",
        "Host('a.example.com')",
        "Host(`a.example.com` `b.example.com`)",
        "Host(`a.example.com`,)",
        "Host(`unterminated)",
        "Host(\"unterminated)",
        "Host(\"bad \\q escape\")",
        "Host(\"new\nline\")",
        "Host(`a.example.com`) &&",
        "&& Host(`a.example.com`)",
        "Host(`a.example.com`) | Host(`b.example.com`)",
        "Host(`a.example.com`) & Host(`b.example.com`)",
        "Host(`a.example.com`) Host(`b.example.com`)",
        "Hostname(`a.example.com`)",
        "Foo(`a.example.com`) || Host(`b.example.com`)",
        "(Host(`a.example.com`)",
        "Host(`a.example.com`))",
        "()",
        "!",
        "Host(`a.example.com`) || ()",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        refused(bad[i]);
    /* nesting is bounded, well-nested deep input within the bound is fine */
    char deep[4 * TRAEFIK_RULE_DEPTH_MAX + 64];
    size_t o = 0;
    for (int i = 0; i < TRAEFIK_RULE_DEPTH_MAX + 1; i++)
        deep[o++] = '(';
    o += (size_t)snprintf(deep + o, sizeof deep - o, "Host(`d.example.com`)");
    for (int i = 0; i < TRAEFIK_RULE_DEPTH_MAX + 1; i++)
        deep[o++] = ')';
    deep[o] = '\0';
    refused(deep);
    memmove(deep, deep + 2, strlen(deep + 2) + 1);
    deep[strlen(deep) - 2] = '\0';
    expect(deep, "H:d.example.com ");
    /* a string longer than the literal limit is refused */
    static char big[TRAEFIK_STRING_MAX + 32];
    memcpy(big, "Host(`", 6);
    memset(big + 6, 'a', TRAEFIK_STRING_MAX + 1);
    memcpy(big + 6 + TRAEFIK_STRING_MAX + 1, "`)", 3);
    refused(big);
    /* a NUL inside the given length is not the end of the rule */
    struct hosts h = {{0}};
    assert_false(traefik_rule_hosts("Host(`a`)\0x", 11, on_host, &h, NULL, 0));
    assert_true(traefik_rule_hosts(NULL, 0, NULL, NULL, NULL, 0) == false);
}

/* ---- labels to records ---- */

static struct docker_labels labels_of(const char *const *kv)
{
    struct docker_labels l = {.present = true};
    for (size_t i = 0; kv[i]; i += 2) {
        struct docker_label *x = vec_push_zero(&l);
        assert_non_null(x);
        x->key = strdup(kv[i]);
        x->value = kv[i + 1] ? strdup(kv[i + 1]) : NULL;
    }
    return l;
}

/* "name=addr;" for every record, in order; NONE etc. as the result's name otherwise. */
static const char *records_of(bool traefik, const char *const *kv, char *out, size_t cap)
{
    struct docker_keys k;
    assert_true(docker_keys_parse(NULL, &k, NULL, 0));
    k.traefik = traefik;
    struct rec_addr host;
    assert_true(records_parse_addr("192.0.2.1", &host));
    struct docker_labels l = labels_of(kv);
    struct rec_inputs r = {0};
    enum docker_labels_result res = docker_labels_records(&k, &l, &host, "web", &r);
    out[0] = '\0';
    if (res == DOCKER_LABELS_NONE)
        snprintf(out, cap, "NONE");
    for (size_t i = 0; res == DOCKER_LABELS_OK && i < r.n; i++) {
        char a[46];
        size_t o = strlen(out);
        snprintf(out + o, cap - o, "%s=%s;", r.v[i].name, records_format_addr(&r.v[i].addr, a));
    }
    rec_inputs_free(&r);
    docker_labels_free(&l);
    return out;
}

static void test_router_labels(void **state)
{
    (void)state;
    char buf[2048];
    const char *const http[] = {"traefik.http.routers.web.rule",
                                "Host(`App.Example.com`) && PathPrefix(`/`)",
                                "traefik.http.routers.web.entrypoints",
                                "websecure",
                                "traefik.http.routers.api.rule",
                                "Host(`api.example.com`, `app.example.com`) || "
                                "HostRegexp(`{sub:[a-z]+}.example.com`)",
                                NULL};
    assert_string_equal(
        records_of(true, http, buf, sizeof buf),
        "app.example.com=192.0.2.1;api.example.com=192.0.2.1;*.example.com=192.0.2.1;");
    /* DOCKER_TRAEFIK unset: router rules are not ours */
    assert_string_equal(records_of(false, http, buf, sizeof buf), "NONE");

    /* TCP routers: HostSNI names, not the catch-all; Host in a TCP rule is not a TCP matcher */
    const char *const tcp[] = {"traefik.tcp.routers.db.rule",
                               "HostSNI(`db.example.com`) || HostSNI(`*`)",
                               "traefik.tcp.routers.all.rule",
                               "HostSNI(`*`)",
                               "traefik.tcp.routers.odd.rule",
                               "Host(`nottcp.example.com`)",
                               "traefik.http.routers.odd.rule",
                               "HostSNI(`nothttp.example.com`)",
                               NULL};
    assert_string_equal(records_of(true, tcp, buf, sizeof buf), "db.example.com=192.0.2.1;");

    /* traefik.enable=false skips the rules; the joyride label still counts */
    const char *const off[] = {"traefik.enable", "false", "traefik.http.routers.web.rule",
                               "Host(`off.example.com`)", NULL};
    assert_string_equal(records_of(true, off, buf, sizeof buf), "NONE");
    const char *const off_joy[] = {"traefik.enable",
                                   "False",
                                   "traefik.http.routers.web.rule",
                                   "Host(`off.example.com`)",
                                   "joyride.host.name",
                                   "joy.example.com",
                                   NULL};
    assert_string_equal(records_of(true, off_joy, buf, sizeof buf), "joy.example.com=192.0.2.1;");
    const char *const on[] = {"traefik.enable", "true", "traefik.http.routers.web.rule",
                              "Host(`on.example.com`)", NULL};
    assert_string_equal(records_of(true, on, buf, sizeof buf), "on.example.com=192.0.2.1;");

    /* both sources of names, with joyride.host.ip for all of them; a duplicate is kept once */
    const char *const both[] = {"joyride.host.name",
                                "joy.example.com, shared.example.com",
                                "joyride.host.ip",
                                "10.0.0.7",
                                "traefik.http.routers.r.rule",
                                "Host(`shared.example.com`) || Host(`traefik.example.com.`)",
                                NULL};
    assert_string_equal(records_of(true, both, buf, sizeof buf),
                        "joy.example.com=10.0.0.7;shared.example.com=10.0.0.7;"
                        "traefik.example.com=10.0.0.7;");

    /* invalid names and malformed rules are skipped, the rest still counts */
    const char *const messy[] = {"traefik.http.routers.a.rule",
                                 "Host(`bad..name`, `ok.example.com`, `-lead.example.com`)",
                                 "traefik.http.routers.b.rule",
                                 "Host(`broken.example.com`",
                                 "traefik.http.routers.c.rule",
                                 NULL,
                                 "traefik.http.routers..rule",
                                 "Host(`noname.example.com`)",
                                 "traefik.http.routers.d.rules",
                                 "Host(`suffix.example.com`)",
                                 "traefik.http.services.s.rule",
                                 "Host(`service.example.com`)",
                                 NULL};
    assert_string_equal(records_of(true, messy, buf, sizeof buf), "ok.example.com=192.0.2.1;");

    /* HostRegexp that maps to a wildcard, in v2 and v3 forms; HostSNIRegexp in TCP routers */
    const char *const rx[] = {"traefik.http.routers.a.rule",
                              "HostRegexp(`^.+\\.Apps\\.example\\.com$`)",
                              "traefik.http.routers.b.rule",
                              "HostRegexp(`{sub:[a-z0-9-]+}.v2.example.com`) || "
                              "HostRegexp(`^api-.+\\.example\\.com$`)",
                              "traefik.tcp.routers.c.rule",
                              "HostSNIRegexp(`^[^.]+\\.db\\.example\\.com$`) || "
                              "HostRegexp(`^.+\\.notcp\\.example\\.com$`)",
                              NULL};
    assert_string_equal(records_of(true, rx, buf, sizeof buf),
                        "*.apps.example.com=192.0.2.1;*.v2.example.com=192.0.2.1;"
                        "*.db.example.com=192.0.2.1;");

    /* Host and HostSNI take no wildcard in Traefik: a '*' name there is skipped */
    const char *const star[] = {"traefik.http.routers.a.rule",
                                "Host(`*.h.example.com`, `h.example.com`)",
                                "traefik.tcp.routers.b.rule", "HostSNI(`*.s.example.com`)", NULL};
    assert_string_equal(records_of(true, star, buf, sizeof buf), "h.example.com=192.0.2.1;");

    /* regexps that are no wildcard, or only negated hosts: ours, but no names */
    const char *const none[] = {"traefik.http.routers.a.rule", "HostRegexp(`^.+\\.example\\.com`)",
                                "traefik.http.routers.b.rule", "!Host(`neg.example.com`)", NULL};
    assert_string_equal(records_of(true, none, buf, sizeof buf), "");
}

/* HostRegexp arguments to wildcards: what maps cleanly (a leftmost any-label part, then a literal
 * domain) and what is skipped with a reason. */
static void expect_wild(const char *re, const char *want)
{
    char out[300];
    const char *why = "unset";
    bool ok = traefik_regexp_wildcard(re, strlen(re), out, sizeof out, &why);
    if (want && (!ok || strcmp(out, want) != 0 || why != NULL))
        fail_msg("%s: got %s, want %s (%s)", re, ok ? out : "nothing", want, why ? why : "");
    if (!want && (ok || !why || !why[0]))
        fail_msg("%s: mapped to %s, want it skipped with a reason", re, out);
}

static void test_regexp_wildcards(void **state)
{
    (void)state;
    /* Traefik v2 templates (gorilla/mux: {name} is [^.]+) */
    expect_wild("{subdomain:[a-z]+}.example.com", "*.example.com");
    expect_wild("{sub}.example.com", "*.example.com");
    expect_wild("{sub:[a-zA-Z0-9_-]+}.apps.example.com", "*.apps.example.com");
    expect_wild("{sub:.+}.example.com", "*.example.com");
    expect_wild("{sub:[^.]+}.example.com", "*.example.com");
    expect_wild("{sub:\\w+}.Example.COM", "*.Example.COM"); /* lowercased as names are */
    /* Traefik v3 regexps, anchored */
    expect_wild("^.+\\.example\\.com$", "*.example.com");
    expect_wild("^[a-z0-9-]+\\.example\\.com$", "*.example.com");
    expect_wild("^[^.]+\\.example\\.com$", "*.example.com");
    expect_wild("^.*\\.example\\.com$", "*.example.com");
    expect_wild("^\\w+\\.example\\.com$", "*.example.com");
    /* not a wildcard */
    expect_wild("example.com", NULL);                 /* v2 literal / v3 unanchored */
    expect_wild("^.+\\.example\\.com", NULL);         /* no $: example.com.evil */
    expect_wild(".+\\.example\\.com$", NULL);         /* no ^ */
    expect_wild("^.+.example.com$", NULL);            /* unescaped dots */
    expect_wild("^api-.+\\.example\\.com$", NULL);    /* literal prefix */
    expect_wild("^(foo|bar)\\.example\\.com$", NULL); /* alternation */
    expect_wild("^.+\\.example\\.(com|org)$", NULL);  /* regexp in the domain */
    expect_wild("^.+\\.$", NULL);                     /* no domain */
    expect_wild("^.+\\.example\\.\\.com$", NULL);     /* empty label */
    expect_wild("{sub:(a|b)}.example.com", NULL);
    expect_wild("api-{sub}.example.com", NULL);
    expect_wild("{sub}.{env}.example.com", NULL);
    expect_wild("{sub}example.com", NULL);
    expect_wild("{sub:[a-z]+}.", NULL);
    expect_wild("{sub:[a-z.]+}.example.com", NULL); /* '.' inside a class is not a label char */
    expect_wild("{s-b}.example.com", NULL);
    expect_wild("", NULL);
    char tiny[4];
    const char *why;
    assert_false(traefik_regexp_wildcard("{a}.example.com", 15, tiny, sizeof tiny, &why));
}

int main(void)
{
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v2_rules),         cmocka_unit_test(test_v3_rules),
        cmocka_unit_test(test_malformed_rules),  cmocka_unit_test(test_router_labels),
        cmocka_unit_test(test_regexp_wildcards),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
