/* sources/hosts_parse.c — the /etc/hosts format parser (pure: bytes in, records and per-line
 * warnings out) and the rule for which directory entries count as hosts files. */
#include "sources/hosts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/vec.h"

#define TOKEN_MAX 260 /* longer than any valid address or name (253 + trailing dot) */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int push(struct hosts_parsed *out, const struct rec_input *r)
{
    return vec_push(&out->recs, *r) ? 0 : -1;
}

/* Copies a token into buf as a C string; false when it is too long or holds a NUL byte. */
static bool token(const char *p, size_t len, char buf[TOKEN_MAX + 1])
{
    if (len > TOKEN_MAX || memchr(p, '\0', len))
        return false;
    memcpy(buf, p, len);
    buf[len] = '\0';
    return true;
}

static void warnf(const struct hosts_parsed *out, hosts_warn_fn warn, void *ctx, size_t line,
                  const char *fmt, const char *tok, size_t toklen)
{
    if (!warn || out->bad_lines >= HOSTS_WARN_MAX)
        return;
    char shown[HOSTS_EXCERPT_MAX + 4];
    log_excerpt(shown, sizeof shown, tok, toklen); /* one line, printable, short */
    char reason[224];
    snprintf(reason, sizeof reason, fmt, shown);
    warn(line, reason, ctx);
}

/* Parses one line (no newline, comment already cut). Returns 0, or -1 on allocation failure. */
static int parse_line(const char *p, size_t len, size_t lineno, struct hosts_parsed *out,
                      hosts_warn_fn warn, void *ctx)
{
    size_t i = 0;
    while (i < len && is_space(p[i]))
        i++;
    if (i == len)
        return 0; /* blank */
    size_t a0 = i;
    while (i < len && !is_space(p[i]))
        i++;
    size_t a1 = i;
    char tok[TOKEN_MAX + 1];
    struct rec_input r;
    memset(&r, 0, sizeof r);
    r.line = (uint32_t)lineno;
    if (memchr(p + a0, '%', i - a0)) {
        warnf(out, warn, ctx, lineno, "IPv6 zone ids are not supported: '%s'", p + a0, i - a0);
        goto bad;
    }
    if (!token(p + a0, i - a0, tok) || !records_parse_addr(tok, &r.addr)) {
        warnf(out, warn, ctx, lineno, "invalid address '%s'", p + a0, i - a0);
        goto bad;
    }
    size_t first = out->recs.n, names = 0;
    for (;;) {
        while (i < len && is_space(p[i]))
            i++;
        if (i == len)
            break;
        size_t n0 = i;
        while (i < len && !is_space(p[i]))
            i++;
        if (!token(p + n0, i - n0, tok) || !records_normalize_name(tok, r.name)) {
            /* the reasons are fixed text without '%' */
            const char *why = i - n0 > TOKEN_MAX             ? "longer than 253 characters"
                              : memchr(p + n0, '\0', i - n0) ? "holds a NUL byte"
                                                             : records_name_error(tok);
            char fmt[160];
            snprintf(fmt, sizeof fmt, "invalid name '%%s': %s", why ? why : "not a name");
            warnf(out, warn, ctx, lineno, fmt, p + n0, i - n0);
            out->recs.n = first; /* the whole line is skipped */
            goto bad;
        }
        if (push(out, &r) < 0) {
            out->recs.n = first;
            return -1;
        }
        names++;
    }
    if (names == 0) {
        warnf(out, warn, ctx, lineno, "address '%s' without any name", p + a0, a1 - a0);
        goto bad;
    }
    return 0;
bad:
    out->bad_lines++;
    return 0;
}

int hosts_parse(const char *text, size_t len, struct hosts_parsed *out, hosts_warn_fn warn,
                void *ctx)
{
    size_t lineno = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        lineno++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        const char *hash = memchr(p, '#', (size_t)(eol - p));
        const char *stop = hash ? hash : eol;
        if (parse_line(p, (size_t)(stop - p), lineno, out, warn, ctx) < 0)
            return -1;
        p = nl ? nl + 1 : end;
    }
    /* PTR order: an address's names as the file lists them, a line's first name first */
    return rec_inputs_rank(&out->recs) ? 0 : -1;
}

void hosts_parsed_free(struct hosts_parsed *p)
{
    rec_inputs_free(&p->recs);
    p->bad_lines = 0;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
    size_t sl = strlen(suffix);
    return len >= sl && memcmp(s + len - sl, suffix, sl) == 0;
}

bool hosts_name_eligible(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || name[0] == '.')
        return false;
    if (name[len - 1] == '~' || (name[0] == '#' && name[len - 1] == '#'))
        return false;
    static const char *const temp[] = {".swp", ".swo", ".swx", ".tmp"};
    for (size_t i = 0; i < sizeof temp / sizeof temp[0]; i++)
        if (ends_with(name, len, temp[i]))
            return false;
    return true;
}
