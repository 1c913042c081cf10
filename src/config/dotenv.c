/* config/dotenv.c — reader for .env files: KEY=VALUE lines with comments, "export" prefixes and
 * single/double quoting, the subset of the docker compose format people actually write. */
#include "config/dotenv.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/vec.h"

#define DOTENV_MAX_BYTES (1u << 20)

struct cursor {
    const char *p, *end;
    int line;
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static bool is_key_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_key_char(char c)
{
    return is_key_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

static void skip_blanks(struct cursor *c)
{
    while (c->p < c->end && is_blank(*c->p))
        c->p++;
}

/* Skips to the start of the next line. */
static void next_line(struct cursor *c)
{
    while (c->p < c->end && *c->p != '\n')
        c->p++;
    if (c->p < c->end) {
        c->p++;
        c->line++;
    }
}

/* After a closing quote: only blanks or a comment may follow on the line. */
static bool rest_is_comment(struct cursor *c)
{
    skip_blanks(c);
    if (c->p < c->end && *c->p != '\n' && *c->p != '#')
        return false;
    next_line(c);
    return true;
}

static int fail(char *err, size_t errlen, const char *name, int line, const char *what)
{
    snprintf(err, errlen, "%s:%d: %s", name, line, what);
    return -1;
}

static int add_entry(struct dotenv *out, char *key, char *value, int line)
{
    for (size_t i = 0; i < out->n; i++) {
        if (strcmp(out->v[i].key, key) == 0) {
            free(out->v[i].value);
            free(key);
            out->v[i].value = value;
            out->v[i].line = line;
            return 0;
        }
    }
    return vec_push(out, ((struct dotenv_entry){.key = key, .value = value, .line = line})) ? 0
                                                                                            : -1;
}

/* Reads a value starting at c->p (after '=' and blanks); leaves c at the next line. */
static int read_value(struct cursor *c, struct buf *v, const char **problem)
{
    char q = c->p < c->end ? *c->p : '\0';
    if (q == '"' || q == '\'') {
        c->p++;
        for (;;) {
            if (c->p >= c->end) {
                *problem = "unterminated quoted value";
                return -1;
            }
            char ch = *c->p++;
            if (ch == q)
                break;
            if (ch == '\n')
                c->line++;
            if (q == '"' && ch == '\\' && c->p < c->end) {
                char e = *c->p++;
                switch (e) {
                case 'n':
                    ch = '\n';
                    break;
                case 't':
                    ch = '\t';
                    break;
                case 'r':
                    ch = '\r';
                    break;
                case '\\':
                case '"':
                case '$':
                    ch = e;
                    break;
                default:
                    if (!buf_putc(v, '\\'))
                        return -2;
                    ch = e;
                    if (e == '\n')
                        c->line++;
                }
            }
            if (!buf_putc(v, ch))
                return -2;
        }
        if (!rest_is_comment(c)) {
            *problem = "unexpected text after the closing quote";
            return -1;
        }
        return 0;
    }
    const char *start = c->p;
    while (c->p < c->end && *c->p != '\n') {
        /* " #" starts a comment; a '#' inside a word (a#b) is part of the value */
        if (*c->p == '#' && (c->p == start || is_blank(c->p[-1])))
            break;
        c->p++;
    }
    const char *stop = c->p;
    while (stop > start && is_blank(stop[-1]))
        stop--;
    if (!buf_append(v, start, (size_t)(stop - start)))
        return -2;
    next_line(c);
    return 0;
}

int dotenv_parse(const char *text, size_t len, const char *name, struct dotenv *out, char *err,
                 size_t errlen)
{
    *out = (struct dotenv){0};
    struct cursor c = {.p = text, .end = text + len, .line = 1};
    while (c.p < c.end) {
        skip_blanks(&c);
        if (c.p >= c.end)
            break;
        if (*c.p == '\n' || *c.p == '#') {
            next_line(&c);
            continue;
        }
        if ((size_t)(c.end - c.p) > 7 && strncmp(c.p, "export", 6) == 0 && is_blank(c.p[6])) {
            c.p += 6;
            skip_blanks(&c);
        }
        int line = c.line;
        const char *k = c.p;
        if (c.p >= c.end || !is_key_start(*c.p)) {
            dotenv_free(out);
            return fail(err, errlen, name, line, "expected KEY=VALUE");
        }
        while (c.p < c.end && is_key_char(*c.p))
            c.p++;
        size_t klen = (size_t)(c.p - k);
        skip_blanks(&c);
        if (c.p >= c.end || *c.p != '=') {
            dotenv_free(out);
            return fail(err, errlen, name, line, "expected KEY=VALUE");
        }
        c.p++;
        skip_blanks(&c);
        struct buf v = {0};
        const char *problem = NULL;
        int rc = read_value(&c, &v, &problem);
        char *value = rc == 0 ? buf_take(&v) : NULL; /* "" for an empty value */
        if (rc == 0 && !value)
            rc = -2;
        buf_free(&v);
        char *key = rc == 0 ? strndup(k, klen) : NULL;
        if (rc != 0 || !key || add_entry(out, key, value, line) != 0) {
            free(value);
            free(key);
            dotenv_free(out);
            return fail(err, errlen, name, line, problem ? problem : "out of memory");
        }
    }
    return 0;
}

int dotenv_read(const char *path, struct dotenv *out, char *err, size_t errlen)
{
    *out = (struct dotenv){0};
    if (!path)
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *buf = malloc(DOTENV_MAX_BYTES + 1);
    if (!buf) {
        fclose(f);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    size_t n = fread(buf, 1, DOTENV_MAX_BYTES + 1, f);
    bool bad = ferror(f);
    fclose(f);
    if (bad || n > DOTENV_MAX_BYTES) {
        free(buf);
        snprintf(err, errlen, "%s: %s", path, bad ? "read error" : "larger than 1 MiB");
        return -1;
    }
    if (memchr(buf, '\0', n)) {
        free(buf);
        snprintf(err, errlen, "%s: not a text file", path);
        return -1;
    }
    int rc = dotenv_parse(buf, n, path, out, err, errlen);
    free(buf);
    return rc;
}

const char *dotenv_get(const struct dotenv *d, const char *key)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->v[i].key, key) == 0)
            return d->v[i].value;
    return NULL;
}

void dotenv_free(struct dotenv *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].key);
        free(d->v[i].value);
    }
    vec_free(d);
    *d = (struct dotenv){0};
}
