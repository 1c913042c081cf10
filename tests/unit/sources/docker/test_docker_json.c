/* test_docker_json.c — decoding events, container lists, inspect and /version bodies, using JSON
 * captured from a real dockerd (Engine 20.10, API 1.41) in data/, plus malformed input. */
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
#include "sources/docker_json.h"
#include "sources/docker_labels.h"

#define WEB1 "ebbfad29fdd0aab4a97b211e64df7cc07fcb79dbf20f50d4e58650a66b6000b0"
#define QUICK "9ba9d300dd8e50411c9446317fa25716ea415e34a7ff3722d2e7aaa68d1fb84e"

static char *slurp(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", DOCKER_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Decodes every line of events.jsonl; returns the actions of container id in order. */
static size_t actions_of(const char *id, enum docker_action *out, enum docker_effect *eff,
                         size_t max)
{
    size_t len, n = 0;
    char *all = slurp("events.jsonl", &len);
    for (char *line = all, *nl; line < all + len; line = nl + 1) {
        nl = strchr(line, '\n');
        if (!nl)
            nl = all + len;
        struct docker_event ev;
        char err[200];
        assert_int_equal(docker_event_decode(line, (size_t)(nl - line), &ev, err, sizeof err),
                         DOCKER_DECODE_OK);
        assert_true(docker_id_valid(ev.id));
        assert_true(ev.attributes.present);
        assert_true(ev.time_nano > 0);
        if (strcmp(ev.id, id) == 0 && n < max) {
            eff[n] = ev.effect;
            out[n++] = ev.action;
        }
        docker_event_free(&ev);
    }
    free(all);
    return n;
}

static void test_event_sequence(void **state)
{
    (void)state;
    enum docker_action a[16] = {0};
    enum docker_effect e[16] = {0};
    /* run -d, pause, unpause, kill -s HUP (it died of it), stop (no-op), rm */
    size_t n = actions_of(WEB1, a, e, 16);
    enum docker_action want[] = {DOCKER_EV_OTHER,   DOCKER_EV_START, DOCKER_EV_PAUSE,
                                 DOCKER_EV_UNPAUSE, DOCKER_EV_KILL,  DOCKER_EV_DIE,
                                 DOCKER_EV_DESTROY};
    enum docker_effect want_e[] = {DOCKER_EFFECT_NONE,  DOCKER_EFFECT_ADD,  DOCKER_EFFECT_REMOVE,
                                   DOCKER_EFFECT_ADD,   DOCKER_EFFECT_NONE, DOCKER_EFFECT_REMOVE,
                                   DOCKER_EFFECT_REMOVE};
    assert_int_equal(n, sizeof want / sizeof *want);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(a[i], want[i]);
        assert_int_equal(e[i], want_e[i]);
    }
    /* sh -c 'exit 0': start then die, so nothing is left */
    n = actions_of(QUICK, a, e, 16);
    assert_int_equal(n, 4);
    assert_int_equal(a[2], DOCKER_EV_START);
    assert_int_equal(a[3], DOCKER_EV_DIE);
    assert_int_equal(e[3], DOCKER_EFFECT_REMOVE);
}

/* The first start event of web1: names and override come from Actor.Attributes. */
static void test_event_labels(void **state)
{
    (void)state;
    size_t len;
    char *all = slurp("events.jsonl", &len);
    char *line = strstr(all, "{\"status\":\"start\",\"id\":\"" WEB1);
    assert_non_null(line);
    struct docker_event ev;
    assert_int_equal(docker_event_decode(line, (size_t)(strchr(line, '\n') - line), &ev, NULL, 0),
                     DOCKER_DECODE_OK);
    assert_int_equal(ev.action, DOCKER_EV_START);
    assert_string_equal(ev.id, WEB1);
    assert_string_equal(ev.name, "web1");
    assert_int_equal(ev.time_nano, 1795630745485806995LL);
    struct docker_keys k;
    assert_true(docker_keys_parse(NULL, &k, NULL, 0));
    struct rec_addr host;
    assert_true(records_parse_addr("192.0.2.1", &host));
    struct rec_inputs r = {0};
    assert_int_equal(docker_labels_records(&k, &ev.attributes, &host, ev.name, &r),
                     DOCKER_LABELS_OK);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.v[0].name, "app.example.com");
    assert_string_equal(r.v[1].name, "www.example.com");
    assert_string_equal(r.v[2].name, "api.example.com");
    char buf[46];
    assert_string_equal(records_format_addr(&r.v[0].addr, buf), "10.1.2.3");
    rec_inputs_free(&r);
    docker_event_free(&ev);
    free(all);
}

static enum docker_decode decode(const char *s, struct docker_event *ev)
{
    char err[200] = "";
    enum docker_decode r = docker_event_decode(s, strlen(s), ev, err, sizeof err);
    if (r == DOCKER_DECODE_BAD)
        assert_true(err[0] != '\0');
    return r;
}

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_event_kill_signals(void **state)
{
    (void)state;
    struct {
        const char *sig;
        enum docker_effect want;
    } cases[] = {{"\"signal\":\"15\"", DOCKER_EFFECT_REMOVE},
                 {"\"signal\":\"9\"", DOCKER_EFFECT_REMOVE},
                 {"\"signal\":\"SIGTERM\"", DOCKER_EFFECT_REMOVE},
                 {"\"signal\":\"KILL\"", DOCKER_EFFECT_REMOVE},
                 {"\"x\":\"y\"", DOCKER_EFFECT_REMOVE},
                 {"\"signal\":\"1\"", DOCKER_EFFECT_NONE},
                 {"\"signal\":\"SIGHUP\"", DOCKER_EFFECT_NONE},
                 {"\"signal\":\"10\"", DOCKER_EFFECT_NONE}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char js[512];
        snprintf(js, sizeof js,
                 "{\"Type\":\"container\",\"Action\":\"kill\",\"Actor\":{\"ID\":\"" ID64
                 "\",\"Attributes\":{%s}}}",
                 cases[i].sig);
        struct docker_event ev;
        assert_int_equal(decode(js, &ev), DOCKER_DECODE_OK);
        assert_int_equal(ev.action, DOCKER_EV_KILL);
        assert_int_equal(ev.effect, cases[i].want);
        docker_event_free(&ev);
    }
}

static void test_event_malformed(void **state)
{
    (void)state;
    struct docker_event ev;
    const char *bad[] = {
        "",
        "not json",
        "[1,2]",
        "\"str\"",
        "{\"Type\":\"container\"}",
        "{\"Type\":\"container\",\"Action\":\"start\"}",
        "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"abc\"}}",
        "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"" ID64 "0\"}}",
        "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"../../../etc/passwd\"}}",
        "{\"Type\":\"container\",\"Action\":5,\"Actor\":{\"ID\":\"" ID64 "\"}}",
        "{\"Type\":\"container\",\"Action\":\"start\",\"Action\":\"die\",\"Actor\":{\"ID\":\"" ID64
        "\"}}",
        "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"" ID64 "\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (decode(bad[i], &ev) != DOCKER_DECODE_BAD)
            fail_msg("accepted: %s", bad[i]);
    }
    /* other event types are ignored, not errors */
    assert_int_equal(
        decode("{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":{\"ID\":\"x\"}}", &ev),
        DOCKER_DECODE_IGNORE);
    assert_int_equal(decode("{\"Type\":7}", &ev), DOCKER_DECODE_IGNORE);
    /* attributes that are not an object are dropped; unknown actions do nothing */
    assert_int_equal(
        decode("{\"Type\":\"container\",\"Action\":\"exec_start: sh\",\"Actor\":{\"ID\":"
               "\"" ID64 "\",\"Attributes\":[]}}",
               &ev),
        DOCKER_DECODE_OK);
    assert_false(ev.attributes.present);
    assert_int_equal(ev.action, DOCKER_EV_OTHER);
    assert_int_equal(ev.effect, DOCKER_EFFECT_NONE);
    assert_string_equal(ev.name, "");
    docker_event_free(&ev);
    /* the pre-1.22 shape (status/id) still decodes */
    assert_int_equal(decode("{\"status\":\"die\",\"id\":\"" ID64 "\"}", &ev), DOCKER_DECODE_OK);
    assert_int_equal(ev.action, DOCKER_EV_DIE);
    docker_event_free(&ev);
    /* a name with control characters is made printable */
    assert_int_equal(decode("{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"" ID64
                            "\",\"Attributes\":{\"name\":\"a\\nb\\u001bc\"}}}",
                            &ev),
                     DOCKER_DECODE_OK);
    assert_string_equal(ev.name, "a?b?c");
    docker_event_free(&ev);
}

/* Every truncation of a real event is handled without reading past it. */
static void test_event_prefixes(void **state)
{
    (void)state;
    size_t len;
    char *all = slurp("events.jsonl", &len);
    size_t l1 = (size_t)(strchr(all, '\n') - all);
    for (size_t n = 0; n < l1; n++) {
        char *copy = malloc(n ? n : 1);
        assert_non_null(copy);
        memcpy(copy, all, n);
        struct docker_event ev;
        assert_int_equal(docker_event_decode(copy, n, &ev, NULL, 0), DOCKER_DECODE_BAD);
        free(copy);
    }
    free(all);
}

struct seen {
    int n;
    struct docker_container c[8];
    char labels[8][512];
};

/* The labels as "k=v;k=v;" in their JSON order ("k=(null)" for a non-string value), "" when
 * not present, "{}" when empty. */
static void show_labels(const struct docker_labels *l, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    if (l->present && l->n == 0)
        snprintf(out, cap, "{}");
    for (size_t i = 0; i < l->n && o < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s=%s;", l->v[i].key,
                              l->v[i].value ? l->v[i].value : "(null)");
}

static void on_c(struct docker_container *c, void *ctx)
{
    struct seen *s = ctx;
    if (s->n < 8) {
        s->c[s->n] = *c;
        show_labels(&c->labels, s->labels[s->n], sizeof s->labels[0]);
        s->c[s->n].labels = (struct docker_labels){0};
    }
    s->n++;
}

struct label_sets {
    struct docker_labels *v;
    size_t n, cap;
};

/* Takes the labels over, as the Docker source does: the decoder must not free them. */
static void on_take(struct docker_container *c, void *ctx)
{
    struct label_sets *all = ctx;
    assert_true(vec_push(all, c->labels));
    c->labels = (struct docker_labels){0};
}

static void test_list(void **state)
{
    (void)state;
    size_t len;
    char *body = slurp("list-labelled.json", &len);
    struct seen s = {0};
    char err[200];
    assert_true(docker_list_decode(body, len, on_c, &s, NULL, err, sizeof err));
    assert_int_equal(s.n, 1);
    assert_string_equal(s.c[0].id, WEB1);
    assert_string_equal(s.c[0].name, "web1");
    assert_true(s.c[0].running);
    assert_string_equal(s.labels[0], "joyride.host.ip=10.1.2.3;joyride.host.name=app.example.com, "
                                     "www.example.com api.example.com;");
    struct label_sets taken = {0};
    assert_true(docker_list_decode(body, len, on_take, &taken, NULL, err, sizeof err));
    assert_int_equal(taken.n, 1);
    const struct docker_label *ip = docker_labels_find(&taken.v[0], "joyride.host.ip");
    assert_non_null(ip);
    assert_string_equal(ip->value, "10.1.2.3");
    docker_labels_free(&taken.v[0]);
    vec_free(&taken);
    free(body);

    body = slurp("list-running.json", &len);
    memset(&s, 0, sizeof s);
    assert_true(docker_list_decode(body, len, on_c, &s, NULL, err, sizeof err));
    assert_int_equal(s.n, 1);
    assert_string_equal(s.c[0].name, "api1");
    free(body);

    /* entries without a valid Id are skipped; a paused one is not running */
    const char *mixed = "[{\"Id\":\"short\"},{\"Names\":[\"/x\"]},5,{\"Id\":\"" ID64
                        "\",\"Names\":[\"/p\"],\"State\":\"paused\",\"Labels\":{}},"
                        "{\"Id\":\"" ID64 "\",\"Labels\":null}]";
    memset(&s, 0, sizeof s);
    size_t skipped = 0;
    assert_true(docker_list_decode(mixed, strlen(mixed), on_c, &s, &skipped, err, sizeof err));
    assert_int_equal(s.n, 2);
    assert_int_equal(skipped, 3);
    assert_false(s.c[0].running);
    assert_string_equal(s.c[0].name, "p");
    assert_string_equal(s.c[1].name, "0123456789ab"); /* no Names: the short id */
    assert_string_equal(s.labels[0], "{}");
    assert_string_equal(s.labels[1], ""); /* null is not an object */

    const char *typed = "[{\"Id\":\"" ID64 "\",\"Labels\":{\"n\":1,\"s\":\"x\",\"o\":{}}}]";
    memset(&s, 0, sizeof s);
    assert_true(docker_list_decode(typed, strlen(typed), on_c, &s, NULL, err, sizeof err));
    assert_string_equal(s.labels[0], "n=(null);s=x;o=(null);");

    assert_false(docker_list_decode("{}", 2, on_c, &s, NULL, err, sizeof err));
    assert_false(docker_list_decode("[", 1, on_c, &s, NULL, err, sizeof err));
    assert_false(docker_list_decode("", 0, on_c, &s, NULL, err, sizeof err));
}

static void test_inspect_version(void **state)
{
    (void)state;
    size_t len;
    char *body = slurp("inspect.json", &len);
    struct docker_container c;
    char err[200];
    assert_true(docker_inspect_decode(body, len, &c, err, sizeof err));
    assert_string_equal(c.id, WEB1);
    assert_string_equal(c.name, "web1");
    assert_true(c.running);
    assert_true(c.labels.present);
    const struct docker_label *ip = docker_labels_find(&c.labels, "joyride.host.ip");
    assert_non_null(ip);
    assert_string_equal(ip->value, "10.1.2.3");
    assert_null(docker_labels_find(&c.labels, "no.such.label"));
    docker_container_free(&c);
    assert_false(c.labels.present);
    free(body);
    const char *paused = "{\"Id\":\"" ID64 "\",\"Name\":\"/z\",\"State\":{\"Running\":true,"
                         "\"Paused\":true},\"Config\":{\"Labels\":{\"a\":\"b\"}}}";
    assert_true(docker_inspect_decode(paused, strlen(paused), &c, err, sizeof err));
    assert_false(c.running);
    assert_int_equal(c.labels.n, 1);
    assert_string_equal(c.labels.v[0].key, "a");
    assert_string_equal(c.labels.v[0].value, "b");
    docker_container_free(&c);
    assert_false(docker_inspect_decode("{\"Id\":1}", 8, &c, err, sizeof err));
    assert_false(c.labels.present);
    assert_false(docker_inspect_decode("nope", 4, &c, err, sizeof err));

    /* the query filters, as the daemon takes them */
    char *f = docker_list_filter_json("joyride.host.name");
    assert_string_equal(f, "{\"label\":[\"joyride.host.name\"],\"status\":[\"running\"]}");
    free(f);
    f = docker_events_filter_json();
    assert_string_equal(f, "{\"type\":[\"container\"],\"event\":[\"start\",\"unpause\",\"die\","
                           "\"stop\",\"kill\",\"pause\",\"destroy\",\"health_status\"]}");
    free(f);
    f = docker_list_filter_json(NULL); /* Traefik rules: every running container */
    assert_string_equal(f, "{\"status\":[\"running\"]}");
    free(f);

    char v[16];
    const char *ver =
        "{\"Version\":\"20.10.24\",\"ApiVersion\":\"1.41\",\"MinAPIVersion\":\"1.12\"}";
    assert_true(docker_version_decode(ver, strlen(ver), v));
    assert_string_equal(v, "1.41");
    assert_false(docker_version_decode("{\"ApiVersion\":\"x\"}", 18, v));
    assert_false(docker_version_decode("[]", 2, v));
}

#define HC "4e7cd795595b1efae8d71bc44e06226f09e5a3725fbd26ebdb4e2dd203c9c576"

/* Captured from dockerd 20.10 (API 1.41): a container with a health check on a bind-mounted file:
 * start, unhealthy (no file), healthy (file created), unhealthy (file removed); inspect and the
 * list while healthy. */
static void test_health_captured(void **state)
{
    (void)state;
    size_t len;
    char *all = slurp("health-events.jsonl", &len);
    enum docker_action want[] = {DOCKER_EV_START, DOCKER_EV_UNHEALTHY, DOCKER_EV_HEALTHY,
                                 DOCKER_EV_UNHEALTHY};
    enum docker_health want_h[] = {DOCKER_HEALTH_UNKNOWN, DOCKER_HEALTH_UNHEALTHY,
                                   DOCKER_HEALTH_HEALTHY, DOCKER_HEALTH_UNHEALTHY};
    size_t n = 0;
    for (char *line = all; *line; n++) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl);
        assert_true(n < 4);
        struct docker_event ev;
        assert_int_equal(docker_event_decode(line, (size_t)(nl - line), &ev, NULL, 0),
                         DOCKER_DECODE_OK);
        assert_string_equal(ev.id, HC);
        assert_string_equal(ev.name, "hcweb");
        assert_int_equal(ev.action, want[n]);
        assert_int_equal(ev.health, want_h[n]);
        assert_int_equal(ev.effect, DOCKER_EFFECT_ADD);
        const struct docker_label *l = docker_labels_find(&ev.attributes, "joyride.host.name");
        assert_non_null(l);
        assert_string_equal(l->value, "hc.example.com");
        docker_event_free(&ev);
        line = nl + 1;
    }
    assert_int_equal(n, 4);
    free(all);

    char *body = slurp("health-inspect.json", &len);
    struct docker_container c;
    assert_true(docker_inspect_decode(body, len, &c, NULL, 0));
    assert_true(c.running);
    assert_int_equal(c.health, DOCKER_HEALTH_HEALTHY);
    docker_container_free(&c);
    free(body);

    body = slurp("health-list.json", &len);
    struct seen s;
    memset(&s, 0, sizeof s);
    assert_true(docker_list_decode(body, len, on_c, &s, NULL, NULL, 0));
    assert_int_equal(s.n, 1);
    assert_int_equal(s.c[0].health, DOCKER_HEALTH_HEALTHY);
    free(body);

    /* the list and inspect of a container without a check (captured above) say none */
    body = slurp("inspect.json", &len);
    assert_true(docker_inspect_decode(body, len, &c, NULL, 0));
    assert_int_equal(c.health, DOCKER_HEALTH_NONE);
    docker_container_free(&c);
    free(body);
    body = slurp("list-running.json", &len);
    memset(&s, 0, sizeof s);
    assert_true(docker_list_decode(body, len, on_c, &s, NULL, NULL, 0));
    assert_int_equal(s.c[0].health, DOCKER_HEALTH_NONE);
    free(body);
}

/* health_status events, State.Health in inspect, and the list's health summary. */
static void test_health(void **state)
{
    (void)state;
    static const struct {
        const char *action;
        enum docker_action a;
        enum docker_health h;
    } ev_cases[] = {
        {"health_status: healthy", DOCKER_EV_HEALTHY, DOCKER_HEALTH_HEALTHY},
        {"health_status: unhealthy", DOCKER_EV_UNHEALTHY, DOCKER_HEALTH_UNHEALTHY},
        {"health_status: starting", DOCKER_EV_HEALTH_STARTING, DOCKER_HEALTH_STARTING},
        {"health_status", DOCKER_EV_OTHER, DOCKER_HEALTH_UNKNOWN},
        {"start", DOCKER_EV_START, DOCKER_HEALTH_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof ev_cases / sizeof ev_cases[0]; i++) {
        char line[512];
        snprintf(
            line, sizeof line,
            "{\"status\":\"%s\",\"id\":\"" ID64 "\",\"from\":\"local/busybox\","
            "\"Type\":\"container\",\"Action\":\"%s\",\"Actor\":{\"ID\":\"" ID64 "\","
            "\"Attributes\":{\"image\":\"local/busybox\",\"joyride.host.name\":\"h.example.com\","
            "\"name\":\"web\"}},\"scope\":\"local\",\"time\":1795630745,"
            "\"timeNano\":1795630745485806995}",
            ev_cases[i].action, ev_cases[i].action);
        struct docker_event ev;
        assert_int_equal(docker_event_decode(line, strlen(line), &ev, NULL, 0), DOCKER_DECODE_OK);
        assert_int_equal(ev.action, ev_cases[i].a);
        assert_int_equal(ev.health, ev_cases[i].h);
        assert_int_equal(ev.effect,
                         ev_cases[i].a == DOCKER_EV_OTHER ? DOCKER_EFFECT_NONE : DOCKER_EFFECT_ADD);
        assert_non_null(docker_labels_find(&ev.attributes, "joyride.host.name"));
        docker_event_free(&ev);
    }

    static const struct {
        const char *state;
        enum docker_health h;
    } in_cases[] = {
        {"{\"Running\":true,\"Paused\":false}", DOCKER_HEALTH_NONE},
        {"{\"Running\":true,\"Health\":null}", DOCKER_HEALTH_NONE},
        {"{\"Running\":true,\"Health\":{\"Status\":\"starting\",\"FailingStreak\":0,"
         "\"Log\":[]}}",
         DOCKER_HEALTH_STARTING},
        {"{\"Running\":true,\"Health\":{\"Status\":\"healthy\",\"FailingStreak\":0}}",
         DOCKER_HEALTH_HEALTHY},
        {"{\"Running\":true,\"Health\":{\"Status\":\"unhealthy\",\"FailingStreak\":3}}",
         DOCKER_HEALTH_UNHEALTHY},
        {"{\"Running\":true,\"Health\":{\"Status\":\"none\"}}", DOCKER_HEALTH_NONE},
        {"{\"Running\":true,\"Health\":{}}", DOCKER_HEALTH_STARTING},
        {"{\"Running\":true,\"Health\":{\"Status\":\"weird\"}}", DOCKER_HEALTH_STARTING},
    };
    for (size_t i = 0; i < sizeof in_cases / sizeof in_cases[0]; i++) {
        char body[512];
        snprintf(body, sizeof body,
                 "{\"Id\":\"" ID64 "\",\"Name\":\"/web\",\"State\":%s,\"Config\":{}}",
                 in_cases[i].state);
        struct docker_container c;
        assert_true(docker_inspect_decode(body, strlen(body), &c, NULL, 0));
        assert_int_equal(c.health, in_cases[i].h);
        docker_container_free(&c);
    }

    const char *list =
        "[{\"Id\":\"" ID64 "\",\"State\":\"running\",\"Status\":\"Up 3 minutes (healthy)\"},"
        "{\"Id\":\"" ID64
        "\",\"State\":\"running\",\"Status\":\"Up 2 seconds (health: starting)\"},"
        "{\"Id\":\"" ID64 "\",\"State\":\"running\",\"Status\":\"Up 1 hour (unhealthy)\"},"
        "{\"Id\":\"" ID64 "\",\"State\":\"running\",\"Status\":\"Up 1 hour\"},"
        "{\"Id\":\"" ID64 "\",\"State\":\"running\",\"Status\":\"Up 1 hour (healthy)\","
        "\"Health\":{\"Status\":\"unhealthy\"}},"
        "{\"Id\":\"" ID64 "\",\"State\":\"running\"}]";
    enum docker_health want[] = {DOCKER_HEALTH_HEALTHY,   DOCKER_HEALTH_STARTING,
                                 DOCKER_HEALTH_UNHEALTHY, DOCKER_HEALTH_NONE,
                                 DOCKER_HEALTH_UNHEALTHY, DOCKER_HEALTH_NONE};
    struct seen s;
    memset(&s, 0, sizeof s);
    assert_true(docker_list_decode(list, strlen(list), on_c, &s, NULL, NULL, 0));
    assert_int_equal(s.n, 6);
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(s.c[i].health, want[i]);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_sequence),     cmocka_unit_test(test_event_labels),
        cmocka_unit_test(test_event_kill_signals), cmocka_unit_test(test_event_malformed),
        cmocka_unit_test(test_event_prefixes),     cmocka_unit_test(test_list),
        cmocka_unit_test(test_inspect_version),    cmocka_unit_test(test_health),
        cmocka_unit_test(test_health_captured),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
