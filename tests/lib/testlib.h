/* testlib.h — helpers shared by the C unit tests (tests/lib, linked as testlib_dep): building
 * record inputs for the record table and the DNS tests. Failures are cmocka assertions, so a bad
 * fixture fails the test that built it. */
#ifndef JOYRIDE_TESTLIB_H
#define JOYRIDE_TESTLIB_H

#include "records/records.h"

/* A record input for name (copied as given) with the address addr, an IPv4 or IPv6 literal;
 * fails the running test when addr does not parse or name does not fit. */
struct rec_input tl_in(const char *name, const char *addr);

#endif
