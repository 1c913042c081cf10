/* test_docker_labels.c — label keys, splitting a label value into names, the address override. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/log.h"
#include "sources/docker_json.h"
#include "sources/docker_labels.h"

static struct rec_addr addr4(const char *s)
{
    struct rec_addr a;
    assert_true(records_parse_addr(s, &a));
    return a;
}

static void test_keys(void **state)
{
    (void)state;
    struct docker_keys k;
    char err[256];
    assert_true(docker_keys_parse(NULL, &k, err, sizeof err));
    assert_int_equal(k.n, 1);
    assert_string_equal(k.keys[0], "joyride.host.name");
    assert_true(docker_keys_parse("  , ", &k, err, sizeof err));
    assert_int_equal(k.n, 1);
    assert_string_equal(k.keys[0], "joyride.host.name");
    assert_true(docker_keys_parse("a.b, c.d e.f,a.b", &k, err, sizeof err));
    assert_int_equal(k.n, 3);
    assert_string_equal(k.keys[0], "a.b");
    assert_string_equal(k.keys[1], "c.d");
    assert_string_equal(k.keys[2], "e.f");
    assert_false(docker_keys_parse("a\"b", &k, err, sizeof err));
    assert_non_null(strstr(err, "DOCKER_LABELS"));
    char many[512] = "";
    for (int i = 0; i < DOCKER_KEYS_MAX + 1; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "k%d,", i);
    assert_false(docker_keys_parse(many, &k, err, sizeof err));
    char longkey[300];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    assert_false(docker_keys_parse(longkey, &k, err, sizeof err));
}

static void expect_names(const struct rec_inputs *r, const char *const *names, size_t n)
{
    assert_int_equal(r->n, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(r->v[i].name, names[i]);
}

static void test_split(void **state)
{
    (void)state;
    struct rec_addr a = addr4("10.0.0.1");
    struct rec_inputs r = {0};
    size_t invalid = 0;

    assert_true(docker_names_append("app.example.com", &a, "c1", &r, &invalid));
    expect_names(&r, (const char *[]){"app.example.com"}, 1);
    assert_memory_equal(&r.v[0].addr, &a, sizeof a);

    r.n = 0;
    assert_true(docker_names_append(
        " A.Example.COM,b.example.com  c.example.com,\td.example.com. ,", &a, "c1", &r, &invalid));
    expect_names(
        &r, (const char *[]){"a.example.com", "b.example.com", "c.example.com", "d.example.com"},
        4);
    assert_int_equal(invalid, 0);

    /* invalid names are skipped and counted, the valid ones kept */
    r.n = 0;
    assert_true(docker_names_append("ok.example.com,bad..name,-lead.example.com,x_y.example.com,"
                                    "under_score-ok.example.com,*.Example.com,a*.example.com,"
                                    "*x.example.com,x.*.example.com,*",
                                    &a, "c1", &r, &invalid));
    expect_names(&r,
                 (const char *[]){"ok.example.com", "x_y.example.com", "under_score-ok.example.com",
                                  "*.example.com"},
                 4);
    assert_int_equal(invalid, 6);

    /* duplicates (after lowercasing) are not repeated */
    r.n = 0;
    invalid = 0;
    assert_true(docker_names_append("dup.example.com DUP.example.com dup.example.com.", &a, "c1",
                                    &r, &invalid));
    expect_names(&r, (const char *[]){"dup.example.com"}, 1);

    /* empty and separator-only values give nothing */
    r.n = 0;
    assert_true(docker_names_append("", &a, "c1", &r, &invalid));
    assert_true(docker_names_append(" ,, \t", &a, "c1", &r, &invalid));
    assert_int_equal(r.n, 0);
    assert_int_equal(invalid, 0);

    /* a name longer than 253 bytes and a label longer than 63 are invalid */
    char huge[600];
    memset(huge, 'a', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    assert_true(docker_names_append(huge, &a, "c1", &r, &invalid));
    char label64[80];
    memset(label64, 'b', 64);
    memcpy(label64 + 64, ".example.com", sizeof ".example.com");
    assert_true(docker_names_append(label64, &a, "c1", &r, &invalid));
    assert_int_equal(r.n, 0);
    assert_int_equal(invalid, 2);

    /* control bytes inside a name make it invalid (and are not echoed raw to the log) */
    invalid = 0;
    assert_true(
        docker_names_append("bad\x1b[31m.example.com ok2.example.com", &a, "c1", &r, &invalid));
    expect_names(&r, (const char *[]){"ok2.example.com"}, 1);
    assert_int_equal(invalid, 1);
    rec_inputs_free(&r);
}

static void test_names_cap(void **state)
{
    (void)state;
    struct rec_addr a = addr4("10.0.0.1");
    struct rec_inputs r = {0};
    size_t invalid = 0;
    static char value[DOCKER_NAMES_MAX * 20 + 400];
    value[0] = '\0';
    for (int i = 0; i < DOCKER_NAMES_MAX + 10; i++)
        snprintf(value + strlen(value), sizeof value - strlen(value), "n%d.example.com ", i);
    assert_true(docker_names_append(value, &a, "c1", &r, &invalid));
    assert_int_equal(r.n, DOCKER_NAMES_MAX);
    assert_int_equal(invalid, 1);
    rec_inputs_free(&r);
}

/* Labels from a JSON object, as the decoder hands them over. */
static struct docker_labels labels(const char *js)
{
    struct docker_labels l;
    assert_true(docker_labels_decode(js, strlen(js), &l));
    assert_true(l.present);
    return l;
}

static void test_labels_records(void **state)
{
    (void)state;
    struct docker_keys k;
    assert_true(docker_keys_parse("joyride.host.name, other.name", &k, NULL, 0));
    struct rec_addr host = addr4("192.0.2.1");
    struct rec_addr none = {0};
    struct rec_inputs r = {0};

    struct docker_labels j =
        labels("{\"joyride.host.name\": \"a.example.com, b.example.com\", \"x\": \"y\"}");
    assert_int_equal(docker_labels_records(&k, &j, &host, "c1", &r), DOCKER_LABELS_OK);
    expect_names(&r, (const char *[]){"a.example.com", "b.example.com"}, 2);
    assert_memory_equal(&r.v[1].addr, &host, sizeof host);
    /* no HOSTIP and no override: skipped */
    assert_int_equal(docker_labels_records(&k, &j, &none, "c1", &r), DOCKER_LABELS_NO_ADDR);
    docker_labels_free(&j);

    /* both keys contribute; a name under both appears once */
    j = labels("{\"joyride.host.name\": \"a.example.com\", \"other.name\": \"c.example.com "
               "a.example.com\"}");
    assert_int_equal(docker_labels_records(&k, &j, &host, "c1", &r), DOCKER_LABELS_OK);
    expect_names(&r, (const char *[]){"a.example.com", "c.example.com"}, 2);
    docker_labels_free(&j);

    /* joyride.host.ip overrides HOSTIP, v4 and v6, blanks around tolerated */
    j = labels("{\"joyride.host.name\": \"m.example.com\", \"joyride.host.ip\": \" 10.9.8.7 \"}");
    assert_int_equal(docker_labels_records(&k, &j, &host, "c1", &r), DOCKER_LABELS_OK);
    struct rec_addr want = addr4("10.9.8.7");
    assert_int_equal(r.n, 1);
    assert_memory_equal(&r.v[0].addr, &want, sizeof want);
    assert_int_equal(docker_labels_records(&k, &j, &none, "c1", &r), DOCKER_LABELS_OK);
    docker_labels_free(&j);
    j = labels("{\"joyride.host.name\": \"m.example.com\", \"joyride.host.ip\": \"fd00::7\"}");
    assert_int_equal(docker_labels_records(&k, &j, &host, "c1", &r), DOCKER_LABELS_OK);
    assert_int_equal(r.v[0].addr.type, REC_AAAA);
    docker_labels_free(&j);

    /* a bad override skips the container rather than answering the wrong address */
    const char *bad_ips[] = {"300.1.1.1",   "",     "10.0.0.1,10.0.0.2", "host.example.com",
                             "10.0.0.1/24", "1.2.3"};
    for (size_t i = 0; i < sizeof bad_ips / sizeof *bad_ips; i++) {
        char js[200];
        snprintf(js, sizeof js,
                 "{\"joyride.host.name\": \"m.example.com\", \"joyride.host.ip\": \"%s\"}",
                 bad_ips[i]);
        struct docker_labels b = labels(js);
        assert_int_equal(docker_labels_records(&k, &b, &host, "c1", &r), DOCKER_LABELS_BAD_IP);
        docker_labels_free(&b);
    }
    j = labels("{\"joyride.host.name\": \"m.example.com\", \"joyride.host.ip\": 5}");
    assert_int_equal(docker_labels_records(&k, &j, &host, "c1", &r), DOCKER_LABELS_BAD_IP);
    docker_labels_free(&j);

    /* not ours: no key, or the key with a non-string value, or no labels at all */
    j = labels("{\"joyride.host.ip\": \"10.0.0.1\", \"name\": \"x\"}");
    assert_int_equal(docker_labels_records(&k, &j, &host, "c1", &r), DOCKER_LABELS_NONE);
    docker_labels_free(&j);
    j = labels("{\"joyride.host.name\": null}");
    assert_int_equal(docker_labels_records(&k, &j, &host, "c1", &r), DOCKER_LABELS_NONE);
    docker_labels_free(&j);
    assert_int_equal(docker_labels_records(&k, NULL, &host, "c1", &r), DOCKER_LABELS_NONE);
    /* an empty object, and labels not present at all */
    j = labels("{}");
    assert_int_equal(docker_labels_records(&k, &j, &host, "c1", &r), DOCKER_LABELS_NONE);
    docker_labels_free(&j);
    assert_false(j.present);
    assert_int_equal(docker_labels_records(&k, &j, &host, "c1", &r), DOCKER_LABELS_NONE);
    /* not a JSON object */
    assert_false(docker_labels_decode("[1]", 3, &j));
    assert_false(docker_labels_decode("{", 1, &j));

    /* the key present but every name invalid: OK with no records */
    j = labels("{\"joyride.host.name\": \"bad..name\"}");
    assert_int_equal(docker_labels_records(&k, &j, &host, "c1", &r), DOCKER_LABELS_OK);
    assert_int_equal(r.n, 0);
    docker_labels_free(&j);
    rec_inputs_free(&r);
}

static void test_ttl_label(void **state)
{
    (void)state;
    uint32_t v = 7;
    assert_true(docker_ttl_parse("30", &v));
    assert_int_equal(v, 30);
    assert_true(docker_ttl_parse(" 0 ", &v));
    assert_int_equal(v, 0);
    assert_true(docker_ttl_parse("2147483647", &v));
    assert_int_equal(v, 2147483647u);
    const char *bad[] = {"",    " ",   "-1",   "+5",  "2147483648", "99999999999999999999",
                         "30s", "1e3", "0x10", "3 0", "1.5"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        v = 7;
        assert_false(docker_ttl_parse(bad[i], &v));
        assert_int_equal(v, 7);
    }
    assert_false(docker_ttl_parse(NULL, &v));

    struct docker_keys k;
    assert_true(docker_keys_parse(NULL, &k, NULL, 0));
    struct rec_addr host = addr4("192.0.2.1");
    struct rec_inputs r = {0};
    /* every name of the container gets the TTL; names are ranked in label order */
    struct docker_labels j = labels("{\"joyride.host.name\": \"b.example.com a.example.com\", "
                                    "\"joyride.host.ttl\": \" 15\"}");
    assert_int_equal(docker_labels_records(&k, &j, &host, "c1", &r), DOCKER_LABELS_OK);
    expect_names(&r, (const char *[]){"b.example.com", "a.example.com"}, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_true(r.v[i].has_ttl);
        assert_int_equal(r.v[i].ttl, 15);
        assert_int_equal(r.v[i].rank, i);
    }
    docker_labels_free(&j);
    /* a bad value: a warning, and the default TTL (no TTL of its own) */
    const char *bad_js[] = {"{\"joyride.host.name\": \"a.example.com\", \"joyride.host.ttl\": "
                            "\"soon\"}",
                            "{\"joyride.host.name\": \"a.example.com\", \"joyride.host.ttl\": 5}"};
    for (size_t i = 0; i < 2; i++) {
        j = labels(bad_js[i]);
        assert_int_equal(docker_labels_records(&k, &j, &host, "c1", &r), DOCKER_LABELS_OK);
        assert_int_equal(r.n, 1);
        assert_false(r.v[0].has_ttl);
        docker_labels_free(&j);
    }
    /* no label: no TTL */
    j = labels("{\"joyride.host.name\": \"a.example.com\"}");
    assert_int_equal(docker_labels_records(&k, &j, &host, "c1", &r), DOCKER_LABELS_OK);
    assert_false(r.v[0].has_ttl);
    docker_labels_free(&j);
    rec_inputs_free(&r);
}

int main(void)
{
    log_set_level(LOG_ERROR); /* the invalid-name warnings are expected here */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),      cmocka_unit_test(test_split),
        cmocka_unit_test(test_names_cap), cmocka_unit_test(test_labels_records),
        cmocka_unit_test(test_ttl_label),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
