/* cli/table.c — output for people: tables whose columns are as wide as their content, and the
 * API's UTC timestamps shown as local time with how long ago ("2026-12-02 15:53:26 (12 s ago)"),
 * the format the status page uses too. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/internal.h"
#include "core/vec.h"

void cli_table_init(struct cli_table *t, size_t ncols, const char *const *headers)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
    t->headers = headers;
}

void cli_table_add(struct cli_table *t, const char *const *row)
{
    if (!vec_reserve(&t->cells, t->cells.n + t->ncols))
        return;
    for (size_t i = 0; i < t->ncols; i++)
        t->cells.v[t->cells.n + i] = strdup(row[i] && row[i][0] ? row[i] : "-");
    t->cells.n += t->ncols;
}

size_t cli_table_rows(const struct cli_table *t)
{
    return t->ncols ? t->cells.n / t->ncols : 0;
}

/* Display width: UTF-8 continuation bytes take no column. */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; s && *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

static void print_row(FILE *out, const char *const *cells, const size_t *w, size_t ncols)
{
    for (size_t c = 0; c < ncols; c++) {
        const char *s = cells[c] ? cells[c] : "?";
        fputs(s, out);
        if (c + 1 < ncols)
            fprintf(out, "%*s", (int)(w[c] - width(s) + 2), "");
    }
    fputc('\n', out);
}

void cli_table_print(const struct cli_table *t, FILE *out)
{
    if (t->ncols == 0)
        return;
    size_t *w = calloc(t->ncols, sizeof *w);
    if (!w)
        return;
    for (size_t c = 0; c < t->ncols; c++)
        w[c] = width(t->headers[c]);
    for (size_t i = 0; i < t->cells.n; i++) {
        size_t cw = width(t->cells.v[i]);
        if (cw > w[i % t->ncols])
            w[i % t->ncols] = cw;
    }
    print_row(out, t->headers, w, t->ncols);
    for (size_t r = 0; r < cli_table_rows(t); r++)
        print_row(out, (const char *const *)&t->cells.v[r * t->ncols], w, t->ncols);
    free(w);
}

void cli_table_free(struct cli_table *t)
{
    for (size_t i = 0; i < t->cells.n; i++)
        free(t->cells.v[i]);
    vec_free(&t->cells);
}

const char *cli_when(const char *iso, char buf[96])
{
    if (!iso)
        return "-";
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *rest = strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest) {
        snprintf(buf, 96, "%s", iso);
        return buf;
    }
    time_t t = timegm(&tm);
    struct tm local;
    char when[40];
    if (!localtime_r(&t, &local) || !strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &local)) {
        snprintf(buf, 96, "%s", iso);
        return buf;
    }
    long ago = (long)difftime(time(NULL), t);
    if (ago < 0)
        snprintf(buf, 96, "%s (in %ld s)", when, -ago);
    else if (ago < 120)
        snprintf(buf, 96, "%s (%ld s ago)", when, ago);
    else if (ago < 7200)
        snprintf(buf, 96, "%s (%ld min ago)", when, ago / 60);
    else if (ago < 172800)
        snprintf(buf, 96, "%s (%ld h ago)", when, ago / 3600);
    else
        snprintf(buf, 96, "%s (%ld d ago)", when, ago / 86400);
    return buf;
}

const char *cli_str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}
