/* traefik_rule.c — the Traefik rule parser of traefik_rule.h: a tokenizer over the input and one
 * function per grammar rule. A rule is parsed twice: once to validate, then to report hosts, so a
 * malformed rule reports none. Also the mapping of host regexps to wildcard names. */
#include "sources/traefik_rule.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

struct parser {
    const char *start, *p, *end;
    traefik_host_cb cb; /* NULL while validating */
    void *ctx;
    int depth;
    char *err;
    size_t errlen;
    bool failed;
    char str[TRAEFIK_STRING_MAX];
    size_t slen;
};

/* The matchers of Traefik v2 and v3 (HTTP and TCP routers); kind < 0 for non-host ones. */
static const struct {
    const char *name;
    int kind;
} matchers[] = {
    {"Host", TRAEFIK_HOST},
    {"HostHeader", TRAEFIK_HOST},
    {"HostRegexp", TRAEFIK_HOST_REGEXP},
    {"HostSNI", TRAEFIK_HOST_SNI},
    {"HostSNIRegexp", TRAEFIK_HOST_SNI_REGEXP},
    {"Path", -1},
    {"PathPrefix", -1},
    {"PathRegexp", -1},
    {"Method", -1},
    {"Headers", -1},
    {"HeadersRegexp", -1},
    {"Header", -1},
    {"HeaderRegexp", -1},
    {"Query", -1},
    {"QueryRegexp", -1},
    {"ClientIP", -1},
    {"ALPN", -1},
};

static bool fail(struct parser *ps, const char *what)
{
    if (!ps->failed) {
        ps->failed = true;
        if (ps->err && ps->errlen)
            snprintf(ps->err, ps->errlen, "%s at offset %zu", what, (size_t)(ps->p - ps->start));
    }
    return false;
}

static void skip_ws(struct parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

/* Consumes tok (after whitespace) when it is next. */
static bool accept(struct parser *ps, const char *tok)
{
    skip_ws(ps);
    size_t n = strlen(tok);
    if ((size_t)(ps->end - ps->p) >= n && memcmp(ps->p, tok, n) == 0) {
        ps->p += n;
        return true;
    }
    return false;
}

static bool put(struct parser *ps, char c)
{
    if (ps->slen == sizeof ps->str)
        return fail(ps, "string literal too long");
    ps->str[ps->slen++] = c;
    return true;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One escape after a backslash in a double-quoted string (Go's: \a \b \f \n \r \t \v \\ \" \'
 * \xHH); others are refused. */
static bool escape(struct parser *ps)
{
    if (ps->p >= ps->end)
        return fail(ps, "unterminated string");
    char c = *ps->p++;
    static const char from[] = "abfnrtv\\\"'";
    static const char to[] = "\a\b\f\n\r\t\v\\\"'";
    const char *f = strchr(from, c);
    if (c != '\0' && f)
        return put(ps, to[f - from]);
    if (c == 'x' && ps->end - ps->p >= 2 && hexval(ps->p[0]) >= 0 && hexval(ps->p[1]) >= 0) {
        char v = (char)(hexval(ps->p[0]) * 16 + hexval(ps->p[1]));
        ps->p += 2;
        return put(ps, v);
    }
    return fail(ps, "unsupported escape in string");
}

/* string := "`" raw "`" | '"' chars '"'; the decoded text goes to ps->str. */
static bool string_lit(struct parser *ps)
{
    skip_ws(ps);
    ps->slen = 0;
    if (ps->p >= ps->end || (*ps->p != '`' && *ps->p != '"'))
        return fail(ps, "expected a string in backquotes or double quotes");
    char q = *ps->p++;
    while (ps->p < ps->end && *ps->p != q) {
        char c = *ps->p++;
        if (q == '"' && c == '\n')
            return fail(ps, "newline in string");
        if (q == '"' && c == '\\') {
            if (!escape(ps))
                return false;
        } else if (!put(ps, c)) {
            return false;
        }
    }
    if (ps->p >= ps->end)
        return fail(ps, "unterminated string");
    ps->p++;
    return true;
}

/* matcher := NAME "(" string ("," string)* ")" */
static bool matcher(struct parser *ps, bool negated)
{
    skip_ws(ps);
    const char *name = ps->p;
    while (ps->p < ps->end &&
           ((*ps->p >= 'a' && *ps->p <= 'z') || (*ps->p >= 'A' && *ps->p <= 'Z') ||
            (*ps->p >= '0' && *ps->p <= '9')))
        ps->p++;
    size_t n = (size_t)(ps->p - name);
    if (n == 0)
        return fail(ps, "expected a matcher");
    int kind = -2;
    for (size_t i = 0; i < sizeof matchers / sizeof matchers[0]; i++) {
        if (strlen(matchers[i].name) == n && strncasecmp(matchers[i].name, name, n) == 0)
            kind = matchers[i].kind;
    }
    if (kind == -2)
        return fail(ps, "unknown matcher");
    if (!accept(ps, "("))
        return fail(ps, "expected '(' after the matcher");
    do {
        if (!string_lit(ps))
            return false;
        if (kind >= 0 && !negated && ps->cb)
            ps->cb((enum traefik_host_kind)kind, ps->str, ps->slen, ps->ctx);
    } while (accept(ps, ","));
    if (!accept(ps, ")"))
        return fail(ps, "expected ',' or ')' in the matcher's arguments");
    return true;
}

static bool or_expr(struct parser *ps, bool negated);

/* unary := "!" unary | "(" or ")" | matcher */
static bool unary(struct parser *ps, bool negated)
{
    if (++ps->depth > TRAEFIK_RULE_DEPTH_MAX)
        return fail(ps, "rule nested too deeply");
    bool ok;
    if (accept(ps, "!")) {
        ok = unary(ps, !negated);
    } else if (accept(ps, "(")) {
        ok = or_expr(ps, negated) && (accept(ps, ")") || fail(ps, "expected ')'"));
    } else {
        ok = matcher(ps, negated);
    }
    ps->depth--;
    return ok;
}

/* and := unary ("&&" unary)* */
static bool and_expr(struct parser *ps, bool negated)
{
    if (!unary(ps, negated))
        return false;
    while (accept(ps, "&&")) {
        if (!unary(ps, negated))
            return false;
    }
    return true;
}

/* or := and ("||" and)* */
static bool or_expr(struct parser *ps, bool negated)
{
    if (!and_expr(ps, negated))
        return false;
    while (accept(ps, "||")) {
        if (!and_expr(ps, negated))
            return false;
    }
    return true;
}

static bool parse(struct parser *ps)
{
    if (!or_expr(ps, false))
        return false;
    skip_ws(ps);
    if (ps->p != ps->end)
        return fail(ps, "unexpected text after the rule");
    return true;
}

bool traefik_rule_hosts(const char *rule, size_t len, traefik_host_cb cb, void *ctx, char *err,
                        size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!rule) {
        rule = "";
        len = 0;
    }
    struct parser ps = {.start = rule, .p = rule, .end = rule + len, .err = err, .errlen = errlen};
    if (!parse(&ps))
        return false;
    if (cb) {
        struct parser again = {.start = rule, .p = rule, .end = rule + len, .cb = cb, .ctx = ctx};
        parse(&again);
    }
    return true;
}

/* A bracket class of letters, digits, '-', '_' and ranges of them, or exactly "[^.]"; *n is
 * its length. */
static bool label_class(const char *p, const char *end, size_t *n)
{
    if (end - p >= 4 && memcmp(p, "[^.]", 4) == 0) {
        *n = 4;
        return true;
    }
    if (p >= end || *p != '[')
        return false;
    const char *q = p + 1;
    size_t items = 0;
    while (q < end && *q != ']') {
        char c = *q;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
        if (!ok)
            return false;
        q++;
        items++;
    }
    if (q >= end || items == 0)
        return false;
    *n = (size_t)(q + 1 - p);
    return true;
}

/* The leftmost part: one atom and '+' or '*', all of [p, end). */
static bool label_pattern(const char *p, const char *end)
{
    size_t n = 0;
    if (p < end && *p == '.')
        n = 1;
    else if (end - p >= 2 && p[0] == '\\' && p[1] == 'w')
        n = 2;
    else if (!label_class(p, end, &n))
        return false;
    return end - p == (ptrdiff_t)n + 1 && (p[n] == '+' || p[n] == '*');
}

/* A literal domain from [p, end): labels of letters, digits, '-' and '_' separated by sep
 * ("." in v2 templates, "\." in v3 regexps), written with plain dots after "*." to out. */
static bool literal_domain(const char *p, const char *end, const char *sep, char *out,
                           size_t outlen)
{
    size_t sl = strlen(sep), o = 2;
    if (outlen < 3)
        return false;
    out[0] = '*';
    out[1] = '.';
    bool label = false;
    while (p < end) {
        char c = *p;
        bool sep_here = (size_t)(end - p) >= sl && memcmp(p, sep, sl) == 0;
        if (sep_here && !label)
            return false; /* empty label */
        if (!sep_here && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
        if (o + 1 >= outlen)
            return false;
        out[o++] = sep_here ? '.' : c;
        p += sep_here ? sl : 1;
        label = !sep_here;
    }
    out[o] = '\0';
    return label;
}

static bool found(bool ok, const char **why)
{
    if (ok)
        *why = NULL;
    return ok;
}

bool traefik_regexp_wildcard(const char *re, size_t len, char *out, size_t outlen, const char **why)
{
    static const char other[] = "not a wildcard pattern (only a leftmost part matching any "
                                "label, then a literal domain, maps to *.domain)";
    const char *end = re + len;
    *why = other;
    if (len > 0 && re[0] == '{') { /* v2: {name} or {name:pattern}, then ".domain" */
        const char *close = memchr(re, '}', len);
        if (!close || close + 1 >= end || close[1] != '.')
            return false;
        const char *colon = memchr(re, ':', (size_t)(close - re));
        for (const char *q = re + 1; q < (colon ? colon : close); q++)
            if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
                  (*q >= '0' && *q <= '9') || *q == '_'))
                return false; /* not a variable name */
        if (colon && !label_pattern(colon + 1, close))
            return false;
        return found(literal_domain(close + 2, end, ".", out, outlen), why);
    }
    if (len > 0 && re[0] == '^') { /* v3: ^pattern\.domain$ */
        if (re[len - 1] != '$')
            *why = "a regexp not anchored with '$' also matches longer names";
        if (re[len - 1] != '$')
            return false;
        for (const char *q = re + 1; q + 1 < end - 1; q++) {
            if (q[0] == '\\' && q[1] == '.' && label_pattern(re + 1, q))
                return found(literal_domain(q + 2, end - 1, "\\.", out, outlen), why);
        }
        return false;
    }
    *why = "neither a v2 template ({name}.domain) nor an anchored v3 regexp (^...$)";
    return false;
}
