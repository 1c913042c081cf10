/* test_log.c — unit tests of the log: levels, the flood guard (log_limited) writing at most its
 * burst per window and reporting the suppressed count once, and log_excerpt making untrusted text
 * safe for one line. stderr is redirected to a file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

static char path[] = "/tmp/joyride-test-log-XXXXXX";
static int saved_fd = -1;

static int redirect(void **state)
{
    (void)state;
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    fflush(stderr);
    saved_fd = dup(2);
    dup2(fd, 2);
    close(fd);
    return 0;
}

static int restore(void **state)
{
    (void)state;
    fflush(stderr);
    dup2(saved_fd, 2);
    close(saved_fd);
    if (!getenv("KEEP_LOG"))
        unlink(path);
    return 0;
}

/* Lines written to stderr so far that contain needle. */
static int count(const char *needle)
{
    fflush(stderr);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1200];
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, needle))
            n++;
    fclose(f);
    return n;
}

static void test_levels(void **state)
{
    (void)state;
    log_set_level(LOG_WARNING);
    log_info("t", "hidden-info");
    log_warn("t", "shown-warning %d", 7);
    assert_int_equal(count("hidden-info"), 0);
    assert_int_equal(count("WARNING t: shown-warning 7"), 1);
    enum log_level l;
    assert_true(log_parse_level("warn", &l));
    assert_int_equal(l, LOG_WARNING);
    assert_false(log_parse_level("loud", &l));
    log_set_level(LOG_INFO);
}

static void test_flood_guard(void **state)
{
    (void)state;
    static struct log_limit lim = LOG_LIMIT_INIT(3, 200);
    int written = 0;
    for (int i = 0; i < 1000; i++)
        written += log_limited(&lim, LOG_WARNING, "t", "flood line %d", i);
    assert_int_equal(written, 3);
    assert_int_equal(count("flood line"), 3);
    assert_int_equal(log_limit_pending(&lim), 997);
    assert_int_equal(count("suppressed"), 0);
    /* After the window, the next line is written with one report of what was held back. */
    struct timespec ts = {0, 250 * 1000000L};
    nanosleep(&ts, NULL);
    assert_true(log_limited(&lim, LOG_WARNING, "t", "flood line again"));
    assert_int_equal(count("(997 similar messages suppressed before the line above)"), 1);
    assert_int_equal(log_limit_pending(&lim), 0);
    /* Below the level nothing is written or counted. */
    log_set_level(LOG_ERROR);
    assert_false(log_limited(&lim, LOG_WARNING, "t", "flood line hidden"));
    log_set_level(LOG_INFO);
    assert_int_equal(count("flood line hidden"), 0);
}

static void test_excerpt(void **state)
{
    (void)state;
    char out[8];
    assert_string_equal(log_excerpt(out, sizeof out, "plain", 5), "plain");
    assert_string_equal(log_excerpt(out, sizeof out, "a\nb\x1b[\x80", 6), "a?b?[?");
    /* Exactly cap - 1 bytes fit; one more is cut with a marker. */
    assert_string_equal(log_excerpt(out, sizeof out, "1234567", 7), "1234567");
    assert_string_equal(log_excerpt(out, sizeof out, "12345678", 8), "1234...");
    /* A NUL inside the text is shown, not a terminator. */
    assert_string_equal(log_excerpt(out, sizeof out, "x\0y", 3), "x?y");
    assert_string_equal(log_excerpt(out, sizeof out, "", 0), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_flood_guard),
        cmocka_unit_test(test_excerpt),
    };
    return cmocka_run_group_tests(tests, redirect, restore);
}
