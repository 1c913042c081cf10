/* core/prom.c — the Prometheus text-exposition writer (see prom.h). */
#include "core/prom.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/vec.h"

static const char *const type_names[] = {"counter", "gauge", "histogram"};

/* Appends s with backslash and newline escaped, and with '"' too when `quote` is set. */
static void put_escaped(struct buf *b, const char *s, bool quote)
{
    if (!s)
        return;
    const char *run = s;
    for (; *s; s++) {
        char c = *s;
        if (c != '\\' && c != '\n' && !(quote && c == '"'))
            continue;
        buf_append(b, run, (size_t)(s - run));
        buf_putc(b, '\\');
        buf_putc(b, c == '\n' ? 'n' : c);
        run = s + 1;
    }
    buf_append(b, run, (size_t)(s - run));
}

static bool seen(const struct prom *p, const char *name)
{
    for (size_t i = 0; i < p->seen.n; i++)
        if (strcmp(p->seen.v[i], name) == 0)
            return true;
    return false;
}

void prom_family(struct prom *p, const char *name, enum prom_type type, const char *help)
{
    if (p->out.oom || seen(p, name))
        return;
    char *copy = strdup(name);
    if (!copy || !vec_push(&p->seen, copy)) {
        free(copy);
        p->out.oom = true;
        return;
    }
    buf_printf(&p->out, "# HELP %s ", name);
    put_escaped(&p->out, help, false);
    buf_printf(&p->out, "\n# TYPE %s %s\n", name, type_names[type]);
}

/* "name{a="x",b="y"} " */
static void put_name(struct buf *b, const char *name, const struct prom_label *labels, size_t n)
{
    buf_puts(b, name);
    for (size_t i = 0; i < n; i++) {
        buf_putc(b, i ? ',' : '{');
        buf_puts(b, labels[i].name);
        buf_puts(b, "=\"");
        put_escaped(b, labels[i].value, true);
        buf_putc(b, '"');
    }
    buf_puts(b, n ? "} " : " ");
}

void prom_u64(struct prom *p, const char *name, const struct prom_label *labels, size_t n_labels,
              uint64_t v)
{
    put_name(&p->out, name, labels, n_labels);
    buf_printf(&p->out, "%" PRIu64 "\n", v);
}

void prom_i64(struct prom *p, const char *name, const struct prom_label *labels, size_t n_labels,
              int64_t v)
{
    put_name(&p->out, name, labels, n_labels);
    buf_printf(&p->out, "%" PRId64 "\n", v);
}

void prom_double(struct prom *p, const char *name, const struct prom_label *labels, size_t n_labels,
                 double v, int decimals)
{
    put_name(&p->out, name, labels, n_labels);
    if (isnan(v))
        buf_puts(&p->out, "NaN\n");
    else if (isinf(v))
        buf_puts(&p->out, v > 0 ? "+Inf\n" : "-Inf\n");
    else
        buf_printf(&p->out, "%.*f\n", decimals, v);
}

void prom_counter(struct prom *p, const char *name, const char *help, uint64_t v)
{
    prom_family(p, name, PROM_COUNTER, help);
    prom_u64(p, name, NULL, 0, v);
}

void prom_gauge(struct prom *p, const char *name, const char *help, uint64_t v)
{
    prom_family(p, name, PROM_GAUGE, help);
    prom_u64(p, name, NULL, 0, v);
}

void prom_histogram(struct prom *p, const char *name, const char *help, const double *bounds,
                    const uint64_t *cumulative, size_t n, double sum, uint64_t count)
{
    prom_family(p, name, PROM_HISTOGRAM, help);
    struct buf *b = &p->out;
    for (size_t i = 0; i <= n; i++) {
        buf_printf(b, "%s_bucket{le=\"", name);
        if (i < n)
            buf_printf(b, "%g\"} %" PRIu64 "\n", bounds[i], cumulative[i]);
        else
            buf_printf(b, "+Inf\"} %" PRIu64 "\n", count);
    }
    buf_printf(b, "%s_sum %.9f\n", name, sum);
    buf_printf(b, "%s_count %" PRIu64 "\n", name, count);
}

void prom_raw(struct prom *p, const char *text)
{
    if (text)
        buf_puts(&p->out, text);
}

char *prom_take(struct prom *p)
{
    char *s = buf_take(&p->out);
    prom_free(p);
    return s;
}

void prom_free(struct prom *p)
{
    buf_free(&p->out);
    for (size_t i = 0; i < p->seen.n; i++)
        free(p->seen.v[i]);
    vec_free(&p->seen);
}
