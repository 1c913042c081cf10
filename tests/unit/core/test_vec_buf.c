/* test_vec_buf.c — unit tests of the shared building blocks: the growable array (core/vec.h) and
 * the byte/string buffer (core/buf.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/vec.h"

struct ints {
    int *v;
    size_t n, cap;
};

static void vec_push_grows_and_keeps_order(void **state)
{
    (void)state;
    struct ints a = {0};
    for (int i = 0; i < 1000; i++)
        assert_true(vec_push(&a, i));
    assert_int_equal(a.n, 1000);
    assert_true(a.cap >= 1000);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(a.v[i], i);
    vec_free(&a);
    assert_null(a.v);
    assert_int_equal(a.n, 0);
    assert_int_equal(a.cap, 0);
}

static void vec_reserve_and_zero(void **state)
{
    (void)state;
    struct ints a = {0};
    assert_true(vec_reserve(&a, 100));
    assert_true(a.cap >= 100);
    assert_int_equal(a.n, 0);
    int *z = vec_push_zero(&a);
    assert_non_null(z);
    assert_int_equal(*z, 0);
    assert_int_equal(a.n, 1);
    /* an impossible size fails and changes nothing */
    size_t cap = a.cap;
    assert_false(vec_reserve(&a, SIZE_MAX / 2));
    assert_int_equal(a.cap, cap);
    assert_int_equal(a.n, 1);
    vec_free(&a);
}

static void buf_text_and_bytes(void **state)
{
    (void)state;
    struct buf b = {0};
    assert_true(buf_puts(&b, "abc"));
    assert_true(buf_putc(&b, '-'));
    assert_true(buf_printf(&b, "%d:%s", 42, "x"));
    assert_string_equal(b.p, "abc-42:x");
    assert_int_equal(b.len, 8);
    /* a long formatted piece forces growth inside buf_vprintf */
    char big[500];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_true(buf_printf(&b, "[%s]", big));
    assert_int_equal(b.len, 8 + 2 + 499);
    assert_int_equal(b.p[b.len], '\0');
    assert_int_equal(b.p[9], 'y');
    static const uint8_t bin[] = {0, 1, 0, 2};
    buf_reset(&b);
    assert_true(buf_append(&b, bin, sizeof bin));
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.p, bin, 4);
    char *s = buf_take(&b);
    assert_non_null(s);
    assert_null(b.p);
    free(s);
    s = buf_take(&b); /* empty: "" */
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
}

static void buf_oom_sticks(void **state)
{
    (void)state;
    struct buf b = {0};
    assert_true(buf_puts(&b, "x"));
    assert_false(buf_reserve(&b, SIZE_MAX - 1));
    assert_true(b.oom);
    assert_false(buf_puts(&b, "more"));
    assert_null(buf_take(&b));
    assert_null(b.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vec_push_grows_and_keeps_order),
        cmocka_unit_test(vec_reserve_and_zero),
        cmocka_unit_test(buf_text_and_bytes),
        cmocka_unit_test(buf_oom_sticks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
