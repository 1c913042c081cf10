/* core/prom.h — the one Prometheus text-exposition writer (format 0.0.4), on top of core/buf.
 *
 *     struct prom p = {0};
 *     prom_family(&p, "x_queries_total", PROM_COUNTER, "Queries, by protocol.");
 *     prom_u64(&p, "x_queries_total", PROM_LABELS({"protocol", "udp"}), 12);
 *     prom_gauge(&p, "x_open", "Connections open now.", 3);
 *     char *text = prom_take(&p);   (NULL when memory ran out)
 *
 * "# HELP" and "# TYPE" are written once per metric family: opening a family that this writer
 * has already opened writes nothing. HELP text has \ and newline escaped, label values \, " and
 * newline, as the format requires. Like buf, a failed allocation is sticky: later writes are
 * ignored and prom_take returns NULL. Depends only on core/buf. */
#ifndef JOYRIDE_CORE_PROM_H
#define JOYRIDE_CORE_PROM_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum prom_type { PROM_COUNTER, PROM_GAUGE, PROM_HISTOGRAM };

struct prom_label {
    const char *name, *value; /* a NULL value is written as "" */
};

struct prom_families {
    char **v;
    size_t n, cap;
};

struct prom {
    struct buf out;
    struct prom_families seen; /* family names already headed */
};

/* A label list argument pair: PROM_LABELS({"a", "x"}, {"b", "y"}) expands to the array and its
 * length. Pass NULL, 0 for a sample without labels. */
#define PROM_LABELS(...)                                                                           \
    (const struct prom_label[]){__VA_ARGS__},                                                      \
        sizeof((const struct prom_label[]){__VA_ARGS__}) / sizeof(struct prom_label)

/* Writes the HELP and TYPE lines of family `name` unless it was opened before. */
void prom_family(struct prom *p, const char *name, enum prom_type type, const char *help);

/* One sample line `name{labels} value`. */
void prom_u64(struct prom *p, const char *name, const struct prom_label *labels, size_t n_labels,
              uint64_t v);
void prom_i64(struct prom *p, const char *name, const struct prom_label *labels, size_t n_labels,
              int64_t v);
/* A double with `decimals` digits after the point; NaN and infinities as NaN, +Inf, -Inf. */
void prom_double(struct prom *p, const char *name, const struct prom_label *labels, size_t n_labels,
                 double v, int decimals);

/* A family with a single unlabelled integer sample. */
void prom_counter(struct prom *p, const char *name, const char *help, uint64_t v);
void prom_gauge(struct prom *p, const char *name, const char *help, uint64_t v);

/* A histogram family: `name_bucket{le="..."}` for the n finite upper bounds (bounds written with
 * %g, `cumulative[i]` samples at or below bounds[i]), `le="+Inf"` with `count`, then `name_sum`
 * (9 decimals) and `name_count`. */
void prom_histogram(struct prom *p, const char *name, const char *help, const double *bounds,
                    const uint64_t *cumulative, size_t n, double sum, uint64_t count);

/* Text already in exposition format, appended as it is (e.g. another module's lines). */
void prom_raw(struct prom *p, const char *text);

/* The text (a malloc'd C string, "" when empty), or NULL when memory ran out; resets p. */
char *prom_take(struct prom *p);
void prom_free(struct prom *p);

#endif
