/* test_hosts_parse.c — unit tests of the /etc/hosts parser (including the cap on warnings from a
 * hostile file) and of which directory entries count as hosts files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sources/hosts.h"

struct warnings {
    size_t lines[32];
    char reasons[32][160];
    int n;
};

static void on_warn(size_t line, const char *reason, void *ctx)
{
    struct warnings *w = ctx;
    if (w->n < 32) {
        w->lines[w->n] = line;
        snprintf(w->reasons[w->n], sizeof w->reasons[0], "%s", reason);
    }
    w->n++;
}

static struct hosts_parsed parse(const char *text, struct warnings *w)
{
    struct hosts_parsed p = {0};
    memset(w, 0, sizeof *w);
    assert_int_equal(hosts_parse(text, strlen(text), &p, on_warn, w), 0);
    return p;
}

static void expect(const struct hosts_parsed *p, size_t i, const char *name, const char *addr)
{
    assert_true(i < p->recs.n);
    assert_string_equal(p->recs.v[i].name, name);
    char buf[46];
    assert_string_equal(records_format_addr(&p->recs.v[i].addr, buf), addr);
}

static void test_basic_lines(void **state)
{
    (void)state;
    struct warnings w;
    struct hosts_parsed p = parse("127.0.0.1 localhost\n"
                                  "10.0.0.1\tWeb.Example.COM  www.example.com\t\tw\n"
                                  "fd00::1 v6.example\n"
                                  "::1 ip6-localhost ip6-loopback\n",
                                  &w);
    assert_int_equal(w.n, 0);
    assert_int_equal(p.bad_lines, 0);
    assert_int_equal(p.recs.n, 7);
    expect(&p, 0, "localhost", "127.0.0.1");
    expect(&p, 1, "web.example.com", "10.0.0.1");
    expect(&p, 2, "www.example.com", "10.0.0.1");
    expect(&p, 3, "w", "10.0.0.1");
    expect(&p, 4, "v6.example", "fd00::1");
    expect(&p, 5, "ip6-localhost", "::1");
    expect(&p, 6, "ip6-loopback", "::1");
    hosts_parsed_free(&p);
}

static void test_comments_blanks_crlf(void **state)
{
    (void)state;
    struct warnings w;
    struct hosts_parsed p = parse("# a whole-line comment\n"
                                  "\n"
                                  "   \t  \n"
                                  "  # indented comment\n"
                                  "10.0.0.1 a.example # trailing comment 10.0.0.9 x\n"
                                  "10.0.0.2 b.example#glued\n"
                                  "10.0.0.3 c.example\r\n"
                                  "\t10.0.0.4\td.example.\n"
                                  "#10.0.0.5 commented.example\n"
                                  "10.0.0.6 last.example", /* no final newline */
                                  &w);
    assert_int_equal(w.n, 0);
    assert_int_equal(p.recs.n, 5);
    expect(&p, 0, "a.example", "10.0.0.1");
    expect(&p, 1, "b.example", "10.0.0.2");
    expect(&p, 2, "c.example", "10.0.0.3");
    expect(&p, 3, "d.example", "10.0.0.4");
    expect(&p, 4, "last.example", "10.0.0.6");
    hosts_parsed_free(&p);
}

static void test_invalid_lines_skipped_with_line_numbers(void **state)
{
    (void)state;
    struct warnings w;
    struct hosts_parsed p = parse("10.0.0.1 good.example\n"         /* 1 */
                                  "10.0.0.300 bad-addr.example\n"   /* 2 */
                                  "banana split.example\n"          /* 3 */
                                  "fe80::1%eth0 zoned.example\n"    /* 4 */
                                  "10.0.0.2 ok.example bad..name\n" /* 5: whole line skipped */
                                  "10.0.0.3\n"                      /* 6: no names */
                                  "10.0.0.4 -lead.example\n"        /* 7 */
                                  "10.0.0.5 under_score.example\n"  /* 8: accepted */
                                  "1.2.3 short.example\n"           /* 9 */
                                  "10.0.0.6 good2.example\n",       /* 10 */
                                  &w);
    assert_int_equal(p.recs.n, 3);
    expect(&p, 0, "good.example", "10.0.0.1");
    expect(&p, 1, "under_score.example", "10.0.0.5");
    expect(&p, 2, "good2.example", "10.0.0.6");
    assert_int_equal(p.bad_lines, 7);
    /* The first HOSTS_WARN_MAX (5) are reported one by one. */
    assert_int_equal(w.n, 5);
    const size_t lines[] = {2, 3, 4, 5, 6};
    for (int i = 0; i < 5; i++)
        assert_int_equal(w.lines[i], lines[i]);
    assert_non_null(strstr(w.reasons[0], "invalid address '10.0.0.300'"));
    assert_non_null(strstr(w.reasons[2], "zone"));
    assert_non_null(strstr(w.reasons[3], "invalid name 'bad..name'"));
    assert_non_null(strstr(w.reasons[4], "without any name"));
    hosts_parsed_free(&p);
    p = parse("10.0.0.4 -lead.example\n"       /* 1 */
              "10.0.0.5 under_score.example\n" /* 2: accepted */
              "1.2.3 short.example\n",         /* 3 */
              &w);
    assert_int_equal(p.recs.n, 1);
    expect(&p, 0, "under_score.example", "10.0.0.5");
    assert_int_equal(w.n, 2);
    assert_int_equal(w.lines[0], 1);
    assert_int_equal(w.lines[1], 3);
    assert_non_null(strstr(w.reasons[0], "invalid name '-lead.example'"));
    assert_non_null(strstr(w.reasons[1], "invalid address '1.2.3'"));
    hosts_parsed_free(&p);
}

/* Wildcards (RFC 4592): "*" as a whole leftmost label is a name; '*' elsewhere skips the line
 * with a warning that says why. */
static void test_wildcards(void **state)
{
    (void)state;
    struct warnings w;
    struct hosts_parsed p = parse("10.0.0.1 *.Apps.example.test web.apps.example.test\n" /* 1 */
                                  "10.0.0.2 a*.example.test\n"                           /* 2 */
                                  "10.0.0.3 x.*.example.test\n"                          /* 3 */
                                  "10.0.0.4 *x.example.test\n"                           /* 4 */
                                  "fd00::1 *.apps.example.test\n"                        /* 5 */
                                  "10.0.0.5 *\n",                                        /* 6 */
                                  &w);
    assert_int_equal(p.recs.n, 3);
    expect(&p, 0, "*.apps.example.test", "10.0.0.1");
    expect(&p, 1, "web.apps.example.test", "10.0.0.1");
    expect(&p, 2, "*.apps.example.test", "fd00::1");
    assert_int_equal(w.n, 4);
    const size_t lines[] = {2, 3, 4, 6};
    for (int i = 0; i < 4; i++)
        assert_int_equal(w.lines[i], lines[i]);
    assert_non_null(
        strstr(w.reasons[0], "invalid name 'a*.example.test': '*' must be a whole leftmost label"));
    assert_non_null(strstr(w.reasons[1], "invalid name 'x.*.example.test': '*' must be"));
    assert_non_null(strstr(w.reasons[2], "invalid name '*x.example.test': '*' must be"));
    assert_non_null(strstr(w.reasons[3], "invalid name '*': a wildcard needs a parent name"));
    hosts_parsed_free(&p);
}

/* A hostile file (say a symlink to /etc/passwd, or binary junk): 10,000 invalid lines give
 * HOSTS_WARN_MAX warnings, each quoting a short printable excerpt; every bad line is counted and
 * the valid lines among them still load. */
static void test_warning_cap(void **state)
{
    (void)state;
    enum { N = 10000 };
    static char text[N * 400];
    size_t o = 0;
    for (int i = 1; i <= N; i++) {
        if (i == 4000) {
            o += (size_t)snprintf(text + o, sizeof text - o, "10.9.9.9 valid.example\n");
            continue;
        }
        o += (size_t)snprintf(text + o, sizeof text - o,
                              "root%d:x:0:0:\x1b[31mroot\x07\x7f:/root:/bin/bash\x01\xff", i);
        memset(text + o, 'z', 300); /* one long token */
        o += 300;
        text[o++] = '\n';
    }
    struct warnings w;
    struct hosts_parsed p = {0};
    memset(&w, 0, sizeof w);
    assert_int_equal(hosts_parse(text, o, &p, on_warn, &w), 0);
    assert_int_equal(p.bad_lines, N - 1);
    assert_int_equal(p.recs.n, 1);
    expect(&p, 0, "valid.example", "10.9.9.9");
    assert_int_equal(w.n, HOSTS_WARN_MAX);
    for (int i = 0; i < HOSTS_WARN_MAX; i++) {
        assert_int_equal(w.lines[i], (size_t)i + 1);
        const char *r = w.reasons[i];
        assert_non_null(strstr(r, "invalid address 'root"));
        assert_true(strlen(r) <= HOSTS_EXCERPT_MAX + 40);
        assert_non_null(strstr(r, "...'")); /* cut, and marked as cut */
        for (const char *c = r; *c; c++)
            assert_true(*c >= 0x20 && *c < 0x7f);
    }
    hosts_parsed_free(&p);
    /* The cap is per parse: the next text is reported from its first bad line again. */
    p = parse("junk\n10.0.0.1 fine.example\n", &w);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.lines[0], 1);
    hosts_parsed_free(&p);
}

static void test_long_tokens_and_binary(void **state)
{
    (void)state;
    char text[2048];
    char label[70];
    memset(label, 'a', 64);
    label[64] = '\0';
    snprintf(text, sizeof text, "10.0.0.1 %s.example\n10.0.0.2 ok.example\n", label);
    struct warnings w;
    struct hosts_parsed p = parse(text, &w);
    assert_int_equal(p.recs.n, 1);
    assert_int_equal(w.n, 1);
    hosts_parsed_free(&p);

    /* A name of 253 characters passes; longer tokens are rejected without overflow. */
    char name[600];
    memset(name, 0, sizeof name);
    for (int i = 0; i < 253; i++)
        name[i] = (i % 4 == 3) ? '.' : 'b';
    snprintf(text, sizeof text, "10.0.0.1 %s\n", name);
    p = parse(text, &w);
    assert_int_equal(p.recs.n, 1);
    hosts_parsed_free(&p);
    memset(name, 'c', 590);
    snprintf(text, sizeof text, "10.0.0.1 %s\n%s 10.0.0.1\n", name, name);
    p = parse(text, &w);
    assert_int_equal(p.recs.n, 0);
    assert_int_equal(w.n, 2);
    hosts_parsed_free(&p);

    /* Embedded NUL bytes and control characters make a line invalid, not the parse. */
    const char bin[] = "10.0.0.1 a\0b.example\n10.0.0.2 ok.example\n\x01\x02 \xff\n";
    p = (struct hosts_parsed){0};
    memset(&w, 0, sizeof w);
    assert_int_equal(hosts_parse(bin, sizeof bin - 1, &p, on_warn, &w), 0);
    assert_int_equal(p.recs.n, 1);
    expect(&p, 0, "ok.example", "10.0.0.2");
    assert_int_equal(w.n, 2);
    hosts_parsed_free(&p);

    /* Empty input; NULL warning callback. */
    p = (struct hosts_parsed){0};
    assert_int_equal(hosts_parse("", 0, &p, NULL, NULL), 0);
    assert_int_equal(p.recs.n, 0);
    assert_int_equal(hosts_parse("x y\n", 4, &p, NULL, NULL), 0);
    assert_int_equal(p.bad_lines, 1);
    hosts_parsed_free(&p);
}

static void test_many_lines(void **state)
{
    (void)state;
    enum { N = 5000 };
    static char text[N * 40];
    size_t o = 0;
    for (int i = 0; i < N; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "10.%d.%d.%d h%d.example\n", i >> 16,
                              (i >> 8) & 255, i & 255, i);
    struct hosts_parsed p = {0};
    assert_int_equal(hosts_parse(text, o, &p, NULL, NULL), 0);
    assert_int_equal(p.recs.n, N);
    expect(&p, N - 1, "h4999.example", "10.0.19.135");
    hosts_parsed_free(&p);
}

static void test_dedupe(void **state)
{
    (void)state;
    struct warnings w;
    struct hosts_parsed p = parse("10.0.0.2 b.example a.example\n"
                                  "10.0.0.1 a.example A.example.\n"
                                  "10.0.0.2 a.example\n"
                                  "fd00::1 a.example\n",
                                  &w);
    assert_int_equal(p.recs.n, 6);
    assert_int_equal(rec_inputs_dedupe(&p.recs), 4);
    expect(&p, 0, "a.example", "10.0.0.1");
    expect(&p, 1, "a.example", "10.0.0.2");
    expect(&p, 2, "a.example", "fd00::1");
    expect(&p, 3, "b.example", "10.0.0.2");
    hosts_parsed_free(&p);
    assert_int_equal(rec_inputs_dedupe(&p.recs), 0);
}

/* Ranks: an address's names in file order (PTR order), a line's first name first. */
static void test_ranks(void **state)
{
    (void)state;
    struct warnings w;
    struct hosts_parsed p = parse("10.0.0.1 one.example uno.example\n"
                                  "10.0.0.2 other.example\n"
                                  "bad line here\n"
                                  "10.0.0.1 third.example uno.example\n"
                                  "fd00::1 one.example\n",
                                  &w);
    assert_int_equal(p.recs.n, 6);
    const uint32_t want[] = {0, 1, 0, 2, 3, 0};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(p.recs.v[i].rank, want[i]);
    /* the repeated uno.example keeps its first place */
    assert_int_equal(rec_inputs_dedupe(&p.recs), 5);
    for (size_t i = 0; i < p.recs.n; i++)
        if (strcmp(p.recs.v[i].name, "uno.example") == 0)
            assert_int_equal(p.recs.v[i].rank, 1);
    hosts_parsed_free(&p);
}

static void test_name_eligible(void **state)
{
    (void)state;
    assert_true(hosts_name_eligible("hosts"));
    assert_true(hosts_name_eligible("lab.hosts"));
    assert_true(hosts_name_eligible("a"));
    assert_false(hosts_name_eligible(""));
    assert_false(hosts_name_eligible(".hidden"));
    assert_false(hosts_name_eligible(".hosts.swp"));
    assert_false(hosts_name_eligible("hosts~"));
    assert_false(hosts_name_eligible("hosts.swp"));
    assert_false(hosts_name_eligible("hosts.swx"));
    assert_false(hosts_name_eligible("hosts.tmp"));
    assert_false(hosts_name_eligible("#hosts#"));
    assert_true(hosts_name_eligible("#hosts"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_lines),
        cmocka_unit_test(test_comments_blanks_crlf),
        cmocka_unit_test(test_invalid_lines_skipped_with_line_numbers),
        cmocka_unit_test(test_wildcards),
        cmocka_unit_test(test_long_tokens_and_binary),
        cmocka_unit_test(test_warning_cap),
        cmocka_unit_test(test_many_lines),
        cmocka_unit_test(test_dedupe),
        cmocka_unit_test(test_ranks),
        cmocka_unit_test(test_name_eligible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
