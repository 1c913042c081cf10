/* test_prom.c — unit tests of the Prometheus text writer (core/prom.h): headers once per family,
 * label and HELP escaping, integer and double samples, histograms, sticky out-of-memory. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/prom.h"

static void counter_and_gauge_lines(void **state)
{
    (void)state;
    struct prom p = {0};
    prom_counter(&p, "x_total", "Things.", 18446744073709551615ULL);
    prom_gauge(&p, "x_open", "Open now.", 0);
    char *t = prom_take(&p);
    assert_string_equal(t, "# HELP x_total Things.\n# TYPE x_total counter\n"
                           "x_total 18446744073709551615\n"
                           "# HELP x_open Open now.\n# TYPE x_open gauge\nx_open 0\n");
    free(t);
    assert_null(p.out.p);
    assert_int_equal(p.seen.n, 0);
}

static void header_once_per_family(void **state)
{
    (void)state;
    struct prom p = {0};
    prom_family(&p, "q_total", PROM_COUNTER, "Queries.");
    prom_u64(&p, "q_total", PROM_LABELS({"protocol", "udp"}), 1);
    prom_family(&p, "other", PROM_GAUGE, "Other.");
    prom_i64(&p, "other", NULL, 0, -5);
    prom_family(&p, "q_total", PROM_COUNTER, "Queries.");
    prom_u64(&p, "q_total", PROM_LABELS({"protocol", "tcp"}, {"rcode", "NOERROR"}), 2);
    char *t = prom_take(&p);
    assert_string_equal(t, "# HELP q_total Queries.\n# TYPE q_total counter\n"
                           "q_total{protocol=\"udp\"} 1\n"
                           "# HELP other Other.\n# TYPE other gauge\nother -5\n"
                           "q_total{protocol=\"tcp\",rcode=\"NOERROR\"} 2\n");
    free(t);
}

static void escaping(void **state)
{
    (void)state;
    struct prom p = {0};
    prom_family(&p, "e", PROM_GAUGE, "a \\ back\nslash \"quoted\"");
    prom_u64(&p, "e", PROM_LABELS({"v", "x\"y\\z\nw"}, {"empty", NULL}), 1);
    char *t = prom_take(&p);
    assert_string_equal(t, "# HELP e a \\\\ back\\nslash \"quoted\"\n# TYPE e gauge\n"
                           "e{v=\"x\\\"y\\\\z\\nw\",empty=\"\"} 1\n");
    free(t);

    /* long label values are written whole */
    char big[1000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    prom_u64(&p, "long", PROM_LABELS({"v", big}), 7);
    t = prom_take(&p);
    assert_int_equal(strlen(t), strlen("long{v=\"\"} 7\n") + sizeof big - 1);
    assert_non_null(strstr(t, big));
    free(t);
}

static void doubles(void **state)
{
    (void)state;
    struct prom p = {0};
    prom_double(&p, "d", NULL, 0, 2.5, 3);
    prom_double(&p, "d", NULL, 0, 0.0001234567891, 9);
    prom_double(&p, "d", PROM_LABELS({"k", "v"}), -1.0, 0);
    prom_double(&p, "d", NULL, 0, NAN, 3);
    prom_double(&p, "d", NULL, 0, INFINITY, 3);
    prom_double(&p, "d", NULL, 0, -INFINITY, 3);
    char *t = prom_take(&p);
    assert_string_equal(t, "d 2.500\nd 0.000123457\nd{k=\"v\"} -1\nd NaN\nd +Inf\nd -Inf\n");
    free(t);
}

static void histogram(void **state)
{
    (void)state;
    struct prom p = {0};
    const double bounds[3] = {1e-05, 0.00025, 0.5};
    const uint64_t cum[3] = {1, 3, 4};
    prom_histogram(&p, "lat_seconds", "Latency.", bounds, cum, 3, 0.25, 5);
    char *t = prom_take(&p);
    assert_string_equal(t, "# HELP lat_seconds Latency.\n# TYPE lat_seconds histogram\n"
                           "lat_seconds_bucket{le=\"1e-05\"} 1\n"
                           "lat_seconds_bucket{le=\"0.00025\"} 3\n"
                           "lat_seconds_bucket{le=\"0.5\"} 4\n"
                           "lat_seconds_bucket{le=\"+Inf\"} 5\n"
                           "lat_seconds_sum 0.250000000\n"
                           "lat_seconds_count 5\n");
    free(t);
}

static void raw_and_empty(void **state)
{
    (void)state;
    struct prom p = {0};
    char *t = prom_take(&p);
    assert_string_equal(t, "");
    free(t);
    prom_gauge(&p, "a", "A.", 1);
    prom_raw(&p, "# HELP b B.\n# TYPE b gauge\nb 2\n");
    prom_raw(&p, NULL);
    t = prom_take(&p);
    assert_string_equal(t, "# HELP a A.\n# TYPE a gauge\na 1\n# HELP b B.\n# TYPE b gauge\nb 2\n");
    free(t);
}

static void oom_sticks(void **state)
{
    (void)state;
    struct prom p = {0};
    prom_gauge(&p, "a", "A.", 1);
    assert_false(buf_reserve(&p.out, SIZE_MAX - 1));
    prom_gauge(&p, "b", "B.", 2);
    assert_null(prom_take(&p));
    assert_null(p.out.p);
    assert_false(p.out.oom);
    assert_int_equal(p.seen.n, 0);
    /* usable again after take */
    prom_gauge(&p, "c", "C.", 3);
    char *t = prom_take(&p);
    assert_string_equal(t, "# HELP c C.\n# TYPE c gauge\nc 3\n");
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counter_and_gauge_lines),
        cmocka_unit_test(header_once_per_family),
        cmocka_unit_test(escaping),
        cmocka_unit_test(doubles),
        cmocka_unit_test(histogram),
        cmocka_unit_test(raw_and_empty),
        cmocka_unit_test(oom_sticks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
