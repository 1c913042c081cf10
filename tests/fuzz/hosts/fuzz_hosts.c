/* fuzz_hosts.c — libFuzzer target for the hosts-file parser: arbitrary bytes must never crash or
 * over-read, every record it returns must be a normalized name with an A/AAAA address, and the
 * records published to a table must all be found in its snapshot, each with a PTR at its address's
 * reverse name, the address's first name in the file first. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "sources/hosts.h"

static struct records *table;

/* The reverse name of record i's address answers its name, and the first name the file gives
 * that address (the only one of rank 0) first. */
static void check_ptr(const struct rec_snapshot *s, const struct rec_inputs *recs, size_t i,
                      const uint8_t *wire, size_t wl)
{
    char rev[REC_REVERSE_MAX + 1];
    uint8_t rw[REC_WIRE_MAX + 1];
    records_reverse_name(&recs->v[i].addr, rev);
    const struct rec_rrset *rr = records_lookup(s, rw, records_name_to_wire(rev, rw));
    if (!rr || rr->n_ptr == 0)
        abort();
    bool found = false;
    for (size_t k = 0; k < rr->n_ptr; k++)
        found |= rr->ptr[k].len == wl && memcmp(rr->ptr[k].wire, wire, wl) == 0;
    if (!found)
        abort();
    size_t first = 0;
    while (memcmp(&recs->v[first].addr, &recs->v[i].addr, sizeof recs->v[i].addr) != 0)
        first++;
    uint8_t fw[REC_WIRE_MAX + 1];
    size_t fl = records_name_to_wire(recs->v[first].name, fw);
    if (recs->v[first].rank != 0 || rr->ptr[0].len != fl || memcmp(rr->ptr[0].wire, fw, fl) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!table) {
        log_set_level(LOG_ERROR);
        records_reader_register();
        table = records_new("fuzz", 1);
        if (!table)
            abort();
    }
    /* Exact-size heap copy so ASan catches any read past the end. */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    struct hosts_parsed p = {0};
    if (hosts_parse(text, size, &p, NULL, NULL) < 0)
        abort();
    for (size_t i = 0; i < p.recs.n; i++) {
        char norm[REC_NAME_MAX + 1];
        if (!records_normalize_name(p.recs.v[i].name, norm) || strcmp(norm, p.recs.v[i].name) != 0)
            abort();
        if (p.recs.v[i].addr.type != REC_A && p.recs.v[i].addr.type != REC_AAAA)
            abort();
    }
    if (records_set_source(table, "hosts:/fuzz", p.recs.v, p.recs.n) < 0)
        abort();
    records_read_lock();
    const struct rec_snapshot *s = records_snapshot(table);
    if (records_snapshot_count(s) > p.recs.n)
        abort();
    for (size_t i = 0; i < p.recs.n; i++) {
        uint8_t wire[REC_WIRE_MAX + 1];
        size_t wl = records_name_to_wire(p.recs.v[i].name, wire);
        const struct rec_rrset *rr = records_lookup(s, wire, wl);
        if (!rr || rr->n_a + rr->n_aaaa == 0)
            abort();
        if (i < 64)
            check_ptr(s, &p.recs, i, wire, wl);
    }
    records_read_unlock();
    hosts_parsed_free(&p);

    /* The file-name rule on the same bytes as a C string. */
    char *name = malloc(size + 1);
    if (name) {
        memcpy(name, data, size);
        name[size] = '\0';
        (void)hosts_name_eligible(name);
        free(name);
    }
    free(text);
    return 0;
}
