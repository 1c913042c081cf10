/* bench/records_bench.c — the record table benchmark (bench/records.sh runs it): for each table
 * size, loads that many names (1000 names per local hosts source, A records, names spread over
 * 100 parent zones), then measures
 *   - the cost of a one-name change until it is published: records_set_source of a one-name
 *     source (alternately a new address and a new name), timed from the call until a lookup on
 *     the published snapshot returns the new answer; median, p99 and max over the changes;
 *   - lookups per second of one thread under records_read_lock, 90 % hits on random names of the
 *     table and 10 % misses, on the snapshot as the changes left it;
 *   - the heap in use by the table (glibc mallinfo2) after loading and after the changes.
 * It uses only the public records.h API, so the same source builds against an older library.
 * Usage: records_bench [records...]   (default: 1000 10000 100000 1000000)
 * Environment: CHANGES (changes per size, default 2000; fewer when a change takes long), LOOKUPS
 * (that many lookups instead of one second's worth, e.g. to count instructions with perf stat). */
#include <malloc.h>
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

static double heap_mb(void)
{
    struct mallinfo2 mi = mallinfo2();
    return (double)(mi.uordblks + mi.hblkhd) / (1024.0 * 1024.0);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void host_name(char *out, size_t n, long i)
{
    snprintf(out, n, "host-%ld.zone%ld.bench.test", i, i % 100);
}

/* Whether the published snapshot answers `wire` with exactly the A address a (or, a == NULL,
 * with nothing). */
static bool answers(struct records *t, const uint8_t *wire, size_t wl, const uint8_t *a)
{
    records_read_lock();
    const struct rec_rrset *rr = records_lookup(records_snapshot(t), wire, wl);
    bool ok = a ? rr && rr->n_a == 1 && memcmp(rr->a[0], a, 4) == 0 : rr == NULL;
    records_read_unlock();
    return ok;
}

static void run(long nrec, int max_changes)
{
    double heap0 = heap_mb();
    struct records *t = records_new("bench", 1);
    if (!t)
        exit(1);
    const long per_source = 1000;
    struct rec_input *v = calloc((size_t)per_source, sizeof *v);
    if (!v)
        exit(1);
    double t0 = now_s();
    records_batch_begin(t);
    for (long s = 0; s * per_source < nrec; s++) {
        size_t n = 0;
        for (long i = s * per_source; i < nrec && i < (s + 1) * per_source; i++, n++) {
            memset(&v[n], 0, sizeof v[n]);
            host_name(v[n].name, sizeof v[n].name, i);
            v[n].addr.type = REC_A;
            v[n].addr.bytes[0] = 10;
            v[n].addr.bytes[1] = (uint8_t)(i >> 16);
            v[n].addr.bytes[2] = (uint8_t)(i >> 8);
            v[n].addr.bytes[3] = (uint8_t)i;
        }
        char src[64];
        snprintf(src, sizeof src, "hosts:/bench/f%ld", s);
        records_set_source(t, src, v, n);
    }
    records_batch_end(t);
    double load_s = now_s() - t0;
    free(v);
    double heap_loaded = heap_mb() - heap0;

    /* One-name changes: the same source alternately gets a new address for its name and a new
     * name, each timed until a reader sees it. */
    double *lat = calloc((size_t)max_changes, sizeof *lat);
    if (!lat)
        exit(1);
    int changes = 0;
    double budget_end = now_s() + 20.0;
    for (; changes < max_changes; changes++) {
        struct rec_input x;
        memset(&x, 0, sizeof x);
        snprintf(x.name, sizeof x.name, "changed-%d.zone%d.bench.test", changes / 2,
                 (changes / 2) % 100);
        x.addr.type = REC_A;
        x.addr.bytes[0] = 172;
        x.addr.bytes[1] = 16;
        x.addr.bytes[2] = (uint8_t)(changes >> 8);
        x.addr.bytes[3] = (uint8_t)changes;
        uint8_t w[REC_WIRE_MAX];
        size_t wl = records_name_to_wire(x.name, w);
        double c0 = now_s();
        if (records_set_source(t, "hosts:/bench/one", &x, 1) < 0)
            exit(1);
        while (!answers(t, w, wl, x.addr.bytes))
            ;
        lat[changes] = now_s() - c0;
        if (changes >= 20 && now_s() > budget_end)
            break;
    }
    qsort(lat, (size_t)changes, sizeof *lat, cmp_double);
    double heap_changed = heap_mb() - heap0;

    /* Lookups: random names of the table, every tenth one absent. */
    enum { NQ = 1 << 16 };
    uint8_t(*qw)[64] = malloc(NQ * sizeof *qw);
    uint8_t *ql = malloc(NQ);
    if (!qw || !ql)
        exit(1);
    for (int i = 0; i < NQ; i++) {
        char name[REC_NAME_MAX + 1];
        long k = (long)(rnd() % (uint64_t)nrec);
        if (i % 10 == 9)
            snprintf(name, sizeof name, "absent-%ld.zone%ld.bench.test", k, k % 100);
        else
            host_name(name, sizeof name, k);
        ql[i] = (uint8_t)records_name_to_wire(name, qw[i]);
    }
    long lookups = 0, hits = 0;
    const char *fixed = getenv("LOOKUPS"); /* a fixed number instead of one second (perf stat) */
    long nfixed = fixed ? atol(fixed) : 0;
    t0 = now_s();
    double el;
    do {
        for (int i = 0; i < NQ; i++) {
            records_read_lock();
            hits += records_lookup(records_snapshot(t), qw[i], ql[i]) != NULL;
            records_read_unlock();
        }
        lookups += NQ;
        el = now_s() - t0;
    } while (fixed ? lookups < nfixed : el < 1.0);
    long want_hits = lookups / NQ * (NQ - (NQ + 1) / 10);
    free(qw);
    free(ql);

    printf("%8ld records: change→visible median %8.1f us  p99 %8.1f us  max %8.1f us (%d changes)"
           "  lookups %6.2f M/s%s  heap %6.1f MB loaded, %6.1f MB after changes  (load %.2f s)\n",
           nrec, lat[changes / 2] * 1e6, lat[changes * 99 / 100] * 1e6, lat[changes - 1] * 1e6,
           changes, (double)lookups / el / 1e6, hits == want_hits ? "" : " WRONG", heap_loaded,
           heap_changed, load_s);
    fflush(stdout);
    free(lat);
    records_free(t);
}

int main(int argc, char **argv)
{
    const char *ch = getenv("CHANGES");
    int max_changes = ch && atoi(ch) > 0 ? atoi(ch) : 2000;
    records_reader_register();
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            run(atol(argv[i]), max_changes);
    } else {
        long sizes[] = {1000, 10000, 100000, 1000000};
        for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
            run(sizes[i], max_changes);
    }
    records_reader_unregister();
    return 0;
}
