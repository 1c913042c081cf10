/* bench_wildcard.c — a micro-benchmark of the answer path (not a test): ns per query through
 * dns_respond for hits, misses with no wildcard above them (NXDOMAIN), names a wildcard answers,
 * and names with no existing ancestor, next to the same queries answered without the wildcard
 * walk (records_lookup and dns_answer alone, the code before wildcards), on a table of 1000 names
 * in 10 zones, 5 of them with a wildcard.
 * Usage: bench_wildcard [iterations]   (default: 2000000 per query kind) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/apex.h"
#include "dns/respond.h"
#include "dnstest.h"
#include "records/records.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define NQ 64

struct kind {
    const char *what;
    const char *fmt; /* %d: a counter */
    uint8_t q[NQ][300];
    size_t len[NQ];
};

/* The answer without the wildcard walk: what dns_respond_query did before wildcards. */
static size_t plain(const struct dns_policy *p, const struct rec_snapshot *s, const uint8_t *in,
                    size_t inlen, uint8_t *out, size_t outsize)
{
    struct dns_query q;
    struct dns_outcome o;
    if (dns_parse_query(in, inlen, &q) != DNS_PARSE_OK)
        return 0;
    const struct rec_rrset *rr = records_lookup(s, q.qname, q.qname_len);
    return dns_answer(p, &q, rr, s, dns_zone_serial(s), false, 0, out, outsize, &o);
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 2000000;
    struct records *t = records_new("bench", 1);
    static struct rec_input v[1005];
    size_t n = 0;
    for (int i = 0; i < 1000; i++, n++) {
        snprintf(v[n].name, sizeof v[n].name, "h%d.zone%d.example", i, i % 10);
        records_parse_addr("10.0.0.1", &v[n].addr);
        v[n].addr.bytes[3] = (uint8_t)i;
    }
    for (int z = 0; z < 10; z += 2, n++) {
        snprintf(v[n].name, sizeof v[n].name, "*.zone%d.example", z);
        records_parse_addr("10.9.0.1", &v[n].addr);
    }
    if (!t || records_set_source(t, "hosts:bench", v, n) <= 0)
        return 1;
    static struct kind kinds[] = {
        {"hit", "h%d.zone%d.example", {{0}}, {0}},
        {"miss, no wildcard (NXDOMAIN)", "nx%d.zone%d.example", {{0}}, {0}},
        {"miss, wildcard answers", "w%d.zone%d.example", {{0}}, {0}},
        {"miss, no ancestor", "x%d.y%d.other.test", {{0}}, {0}},
    };
    for (size_t k = 0; k < 4; k++)
        for (int i = 0; i < NQ; i++) {
            char name[128];
            int zone = k == 1 ? 2 * (i % 5) + 1 : 2 * (i % 5); /* odd zones: no wildcard */
            snprintf(name, sizeof name, kinds[k].fmt, k == 0 ? i * 10 + zone : i, zone);
            kinds[k].len[i] = dt_query(kinds[k].q[i], 1, name, 1, 1, 1232, false);
        }
    struct dns_policy p = {.ttl = 60, .unknown = DNS_UNKNOWN_NXDOMAIN};
    static uint8_t out[1232];
    records_reader_register();
    printf("%-32s %12s %12s\n", "query", "ns (walk)", "ns (no walk)");
    for (size_t k = 0; k < 4; k++) {
        double best[2] = {1e9, 1e9};
        for (int round = 0; round < 3; round++) {
            for (int mode = 0; mode < 2; mode++) {
                records_read_lock();
                const struct rec_snapshot *s = records_snapshot(t);
                size_t sum = 0;
                double t0 = now_s();
                for (long i = 0; i < iters; i++) {
                    const struct kind *kd = &kinds[k];
                    struct dns_outcome o;
                    sum += mode == 0
                               ? dns_respond(&p, s, kd->q[i % NQ], kd->len[i % NQ], false,
                                             (uint32_t)i, out, sizeof out, &o)
                               : plain(&p, s, kd->q[i % NQ], kd->len[i % NQ], out, sizeof out);
                }
                double ns = (now_s() - t0) * 1e9 / (double)iters;
                records_read_unlock();
                if (sum == 0)
                    return 1;
                if (ns < best[mode])
                    best[mode] = ns;
            }
        }
        printf("%-32s %12.1f %12.1f\n", kinds[k].what, best[0], best[1]);
    }
    records_reader_unregister();
    records_free(t);
    return 0;
}
