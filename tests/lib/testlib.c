/* testlib.c — helpers shared by the C unit tests; see testlib.h. */
#include "testlib.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

struct rec_input tl_in(const char *name, const char *addr)
{
    struct rec_input r;
    memset(&r, 0, sizeof r);
    int n = snprintf(r.name, sizeof r.name, "%s", name);
    assert_true(n >= 0 && (size_t)n < sizeof r.name);
    assert_true(records_parse_addr(addr, &r.addr));
    return r;
}
