/* bench_records.c — a micro-benchmark of the record table (not a test): the cost of one
 * records_set_source call including the snapshot publication, for tables of several sizes, and
 * the cost of one lookup bracketed by the RCU read lock.
 * Usage: bench_records [records...]   (default: 10 1000 10000) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "records/records.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run(int nrec)
{
    struct records *t = records_new("bench", 1);
    struct rec_input *v = calloc((size_t)nrec, sizeof *v);
    if (!t || !v)
        exit(1);
    for (int i = 0; i < nrec; i++) {
        snprintf(v[i].name, sizeof v[i].name, "h%d.zone%d.example", i, i % 10);
        records_parse_addr("10.0.0.0", &v[i].addr);
        v[i].addr.bytes[2] = (uint8_t)(i >> 8);
        v[i].addr.bytes[3] = (uint8_t)i;
    }
    records_set_source(t, "hosts:/bench", v, (size_t)nrec);

    int changes = nrec >= 10000 ? 200 : 2000;
    double t0 = now_s();
    for (int i = 0; i < changes; i++) {
        struct rec_input x;
        memset(&x, 0, sizeof x);
        snprintf(x.name, sizeof x.name, "c%d.example", i);
        records_parse_addr("10.1.0.1", &x.addr);
        records_set_source(t, "docker:bench", &x, 1);
    }
    double per_change = (now_s() - t0) / changes;

    uint8_t w[REC_WIRE_MAX];
    size_t wl = records_name_to_wire("h5.zone5.example", w);
    long lookups = 5000000, hits = 0;
    t0 = now_s();
    for (long i = 0; i < lookups; i++) {
        records_read_lock();
        hits += records_lookup(records_snapshot(t), w, wl) != NULL;
        records_read_unlock();
    }
    double per_lookup = (now_s() - t0) / (double)lookups;
    printf("%6d records: %8.1f us per change (set_source + publication), %5.1f ns per lookup%s\n",
           nrec, per_change * 1e6, per_lookup * 1e9, hits == lookups ? "" : " (MISSES!)");
    records_free(t);
    free(v);
}

int main(int argc, char **argv)
{
    records_reader_register();
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            run(atoi(argv[i]));
    } else {
        run(10);
        run(1000);
        run(10000);
    }
    records_reader_unregister();
    return 0;
}
