/* sources/api_records.c — the API records file: parsing and writing its JSON (jansson), loading
 * it at start, and replacing it atomically (temporary file in the same directory, fsync, rename,
 * fsync of the directory). */
#include "sources/api_records.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "core/log.h"
#include "core/vec.h"

#define FILE_VERSION 1

void api_records_free(struct api_records *l)
{
    vec_free(l);
}

static int record_cmp(const void *x, const void *y)
{
    const struct api_record *a = x, *b = y;
    int c = strcmp(a->name, b->name);
    if (c)
        return c;
    if (a->addr.type != b->addr.type)
        return a->addr.type < b->addr.type ? -1 : 1;
    return memcmp(a->addr.bytes, b->addr.bytes, sizeof a->addr.bytes);
}

/* Orders by name, address, then ttl, so repeated pairs sort next to each other in a fixed order. */
static int record_ttl_cmp(const void *x, const void *y)
{
    const struct api_record *a = x, *b = y;
    int c = record_cmp(a, b);
    if (c)
        return c;
    uint64_t ta = a->has_ttl ? a->ttl + 1ull : 0, tb = b->has_ttl ? b->ttl + 1ull : 0;
    return ta < tb ? -1 : ta > tb;
}

/* Sorts and drops repeated (name, address) pairs (a file edited by hand may repeat one); the one
 * kept is the first in record_ttl_cmp order. */
static void sort_unique(struct api_records *l)
{
    if (l->n > 1)
        qsort(l->v, l->n, sizeof *l->v, record_ttl_cmp);
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++)
        if (k == 0 || record_cmp(&l->v[k - 1], &l->v[i]) != 0)
            l->v[k++] = l->v[i];
    l->n = k;
}

/* A value as an error message shows it: at most 60 printable characters. */
static const char *shown(const char *v, char buf[72])
{
    snprintf(buf, 72, "%.60s%s", v, strlen(v) > 60 ? "..." : "");
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            *p = '?';
    return buf;
}

static bool parse_record(json_t *o, size_t index, struct api_record *r, char *err, size_t errlen)
{
    char b[72];
    memset(r, 0, sizeof *r);
    if (!json_is_object(o)) {
        snprintf(err, errlen, "record %zu: not an object", index);
        return false;
    }
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        if (strcmp(key, "hostname") != 0 && strcmp(key, "ip_address") != 0 &&
            strcmp(key, "ttl") != 0) {
            snprintf(err, errlen, "record %zu: unknown field '%s'", index, shown(key, b));
            return false;
        }
    }
    json_t *h = json_object_get(o, "hostname");
    if (!json_is_string(h) || !records_normalize_name(json_string_value(h), r->name)) {
        const char *why = json_is_string(h) ? records_name_error(json_string_value(h)) : NULL;
        snprintf(err, errlen, "record %zu: hostname: %s%s%s%s", index, json_is_string(h) ? "'" : "",
                 json_is_string(h) ? shown(json_string_value(h), b) : "missing or not a string",
                 json_is_string(h) ? "' is not a valid DNS name: " : "", why ? why : "");
        return false;
    }
    json_t *a = json_object_get(o, "ip_address");
    if (!json_is_string(a) || !records_parse_addr(json_string_value(a), &r->addr)) {
        snprintf(err, errlen, "record %zu: ip_address: %s%s%s", index, json_is_string(a) ? "'" : "",
                 json_is_string(a) ? shown(json_string_value(a), b) : "missing or not a string",
                 json_is_string(a) ? "' is not an IPv4 or IPv6 address" : "");
        return false;
    }
    json_t *t = json_object_get(o, "ttl");
    if (t && !json_is_null(t)) {
        if (!json_is_integer(t) || json_integer_value(t) < 0 ||
            json_integer_value(t) > (json_int_t)API_TTL_MAX) {
            snprintf(err, errlen, "record %zu: ttl: not a whole number from 0 to %u", index,
                     API_TTL_MAX);
            return false;
        }
        r->has_ttl = true;
        r->ttl = (uint32_t)json_integer_value(t);
    }
    return true;
}

bool api_records_parse(const char *text, size_t len, struct api_records *out, char *err,
                       size_t errlen)
{
    out->n = 0;
    json_error_t je;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        snprintf(err, errlen, "line %d, column %d: %s", je.line, je.column, je.text);
        return false;
    }
    bool ok = false;
    json_t *ver = json_object_get(doc, "version");
    json_t *recs = json_object_get(doc, "records");
    if (!json_is_object(doc)) {
        snprintf(err, errlen, "not a JSON object");
    } else if (!json_is_integer(ver) || json_integer_value(ver) != FILE_VERSION) {
        snprintf(err, errlen, "\"version\" is missing or not %d", FILE_VERSION);
    } else if (!json_is_array(recs)) {
        snprintf(err, errlen, "\"records\" is missing or not an array");
    } else if (json_array_size(recs) > API_RECORDS_MAX) {
        snprintf(err, errlen, "%zu records, more than %d", json_array_size(recs), API_RECORDS_MAX);
    } else {
        ok = true;
        size_t i;
        json_t *o;
        json_array_foreach(recs, i, o)
        {
            struct api_record *r = vec_push_zero(out);
            if (!r) {
                snprintf(err, errlen, "out of memory");
                ok = false;
                break;
            }
            if (!parse_record(o, i + 1, r, err, errlen)) {
                ok = false;
                break;
            }
        }
    }
    json_decref(doc);
    if (!ok) {
        out->n = 0;
        return false;
    }
    sort_unique(out);
    return true;
}

bool api_records_dump(const struct api_records *l, struct buf *out)
{
    buf_printf(out, "{\"version\":%d,\"records\":[", FILE_VERSION);
    for (size_t i = 0; i < l->n && !out->oom; i++) {
        const struct api_record *r = &l->v[i];
        char addr[46];
        json_t *name = json_string(r->name);
        char *qname = name ? json_dumps(name, JSON_ENCODE_ANY) : NULL;
        json_decref(name);
        if (!qname) {
            out->oom = true;
            break;
        }
        buf_printf(out, "%s\n{\"hostname\":%s,\"ip_address\":\"%s\"", i ? "," : "", qname,
                   records_format_addr(&r->addr, addr));
        free(qname);
        if (r->has_ttl)
            buf_printf(out, ",\"ttl\":%u", r->ttl);
        buf_putc(out, '}');
    }
    buf_puts(out, "\n]}\n");
    return !out->oom;
}

/* ---- the file ---- */

bool api_records_load(const char *path, struct api_records *out, char *err, size_t errlen)
{
    out->n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0 && errno == ENOENT)
        return true;
    if (fd < 0) {
        snprintf(err, errlen, "cannot open: %s", strerror(errno));
        return false;
    }
    struct stat st;
    struct buf b = {0};
    bool ok = false;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot stat: %s", strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "not a regular file");
    } else if ((uint64_t)st.st_size > API_FILE_MAX) {
        snprintf(err, errlen, "larger than %u MB", API_FILE_MAX >> 20);
    } else if (!buf_reserve(&b, (size_t)st.st_size + 1)) {
        snprintf(err, errlen, "out of memory");
    } else {
        ok = true;
        for (;;) {
            if (!buf_reserve(&b, 4096)) {
                snprintf(err, errlen, "out of memory");
                ok = false;
                break;
            }
            ssize_t r = read(fd, b.p + b.len, b.cap - b.len - 1);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0) {
                snprintf(err, errlen, "cannot read: %s", strerror(errno));
                ok = false;
                break;
            }
            if (r == 0)
                break;
            b.len += (size_t)r;
            if (b.len > API_FILE_MAX) {
                snprintf(err, errlen, "larger than %u MB", API_FILE_MAX >> 20);
                ok = false;
                break;
            }
        }
    }
    close(fd);
    if (ok)
        ok = api_records_parse(b.p, b.len, out, err, errlen);
    buf_free(&b);
    return ok;
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* fsync of the directory holding path, so the rename itself is durable. */
static bool sync_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return false;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0)
        return false;
    bool ok = fsync(fd) == 0;
    int e = errno;
    close(fd);
    errno = e;
    return ok;
}

bool api_records_writable(const char *path, char *err, size_t errlen)
{
    char *copy = strdup(path);
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    const char *dir = dirname(copy);
    struct stat st;
    bool ok = false;
    if (stat(dir, &st) != 0)
        snprintf(err, errlen, "directory %s: %s", dir, strerror(errno));
    else if (!S_ISDIR(st.st_mode))
        snprintf(err, errlen, "%s is not a directory", dir);
    else if (access(dir, W_OK | X_OK) != 0)
        snprintf(err, errlen, "directory %s is not writable: %s", dir, strerror(errno));
    else
        ok = true;
    free(copy);
    return ok;
}

bool api_records_write(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        snprintf(err, errlen, "path too long");
        errno = ENAMETOOLONG;
        return false;
    }
    /* one writer (the store's mutex), so a fixed name: a crash leaves at most this one behind,
     * and the next write truncates it */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(e));
        errno = e;
        return false;
    }
    const char *step = "write";
    bool ok = write_all(fd, data, len);
    if (ok) {
        step = "fsync";
        ok = fsync(fd) == 0;
    }
    int e = errno;
    if (close(fd) != 0 && ok) {
        e = errno;
        step = "close";
        ok = false;
    }
    if (ok) {
        step = "rename";
        ok = rename(tmp, path) == 0;
        e = errno;
    }
    if (!ok) {
        unlink(tmp);
        snprintf(err, errlen, "cannot %s %s: %s", step, tmp, strerror(e));
        errno = e;
        return false;
    }
    if (!sync_dir(path)) /* the new file is in place; only its durability across a power loss is
                            in doubt, so the change stands */
        log_warn("api", "%s: cannot fsync its directory: %s", path, strerror(errno));
    return true;
}
