/* sources/api_store.c — the API records store: the list of records, the file that keeps it and
 * the record table's source "api", changed together under one mutex. A change is written to the
 * file first and published to the table (records_set_source, which replicates it) only once the
 * file holds it, so an acknowledged record survives a crash and a failed write changes nothing.
 * Called from HTTP threads; the table serialises its writers itself and DNS readers never wait. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/vec.h"
#include "sources/api_records.h"

struct api_store {
    pthread_mutex_t mu;
    struct records *t;
    char *path;
    struct api_records list; /* sorted by name, then address; unique */
};

static int key_cmp(const struct api_record *a, const struct api_record *b)
{
    int c = strcmp(a->name, b->name);
    if (c)
        return c;
    if (a->addr.type != b->addr.type)
        return a->addr.type < b->addr.type ? -1 : 1;
    return memcmp(a->addr.bytes, b->addr.bytes, sizeof a->addr.bytes);
}

/* The table's inputs for list l. */
static int publish(struct records *t, const struct api_records *l)
{
    struct rec_input *in = l->n ? calloc(l->n, sizeof *in) : NULL;
    if (l->n && !in)
        return -1;
    for (size_t i = 0; i < l->n; i++) {
        memcpy(in[i].name, l->v[i].name, sizeof in[i].name);
        in[i].addr = l->v[i].addr;
        in[i].has_ttl = l->v[i].has_ttl;
        in[i].ttl = l->v[i].ttl;
    }
    int rc = records_set_source(t, API_SOURCE, in, l->n);
    free(in);
    return rc;
}

/* Writes l to the file and then publishes it; false with err set when either fails (the file
 * is put back to old when publishing fails). */
static bool commit(struct api_store *s, const struct api_records *l, const struct api_records *old,
                   char *err, size_t errlen)
{
    struct buf b = {0};
    if (!api_records_dump(l, &b)) {
        buf_free(&b);
        snprintf(err, errlen, "out of memory");
        return false;
    }
    bool ok = api_records_write(s->path, b.p, b.len, err, errlen);
    buf_free(&b);
    if (!ok) {
        log_error("api", "%s: %s", s->path, err);
        return false;
    }
    if (publish(s->t, l) >= 0)
        return true;
    snprintf(err, errlen, "out of memory");
    char e2[256];
    if (api_records_dump(old, &b) && !api_records_write(s->path, b.p, b.len, e2, sizeof e2))
        log_error("api", "%s: restoring after a failed update: %s", s->path, e2);
    buf_free(&b);
    return false;
}

struct api_store *api_store_open(struct records *t, const char *path, char *err, size_t errlen)
{
    struct api_store *s = calloc(1, sizeof *s);
    char msg[300];
    if (!s || !(s->path = strdup(path))) {
        free(s);
        snprintf(err, errlen, "API records: out of memory");
        return NULL;
    }
    s->t = t;
    pthread_mutex_init(&s->mu, NULL);
    if (!api_records_load(path, &s->list, msg, sizeof msg)) {
        snprintf(err, errlen,
                 "%s: %s; fix the file or move it aside (nothing in it has been changed)", path,
                 msg);
        api_store_close(s);
        return NULL;
    }
    if (s->list.n && publish(t, &s->list) < 0) {
        snprintf(err, errlen, "API records: out of memory");
        api_store_close(s);
        return NULL;
    }
    log_info("api", "%zu API record%s loaded from %s", s->list.n, s->list.n == 1 ? "" : "s", path);
    return s;
}

void api_store_close(struct api_store *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->mu);
    api_records_free(&s->list);
    free(s->path);
    free(s);
}

const char *api_store_path(const struct api_store *s)
{
    return s->path;
}

size_t api_store_count(struct api_store *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->list.n;
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* Index of the first record not ordered before r (binary search). */
static size_t lower_bound(const struct api_records *l, const struct api_record *r)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (key_cmp(&l->v[mid], r) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* A copy of l with room for one more. */
static bool copy_list(const struct api_records *l, struct api_records *out)
{
    *out = (struct api_records){0};
    if (!vec_reserve(out, l->n + 1))
        return false;
    if (l->n)
        memcpy(out->v, l->v, l->n * sizeof *l->v);
    out->n = l->n;
    return true;
}

enum api_add_result api_store_add(struct api_store *s, const struct api_record *r, char *err,
                                  size_t errlen)
{
    enum api_add_result res = API_ADD_FAILED;
    struct api_records next;
    pthread_mutex_lock(&s->mu);
    size_t i = lower_bound(&s->list, r);
    bool found = i < s->list.n && key_cmp(&s->list.v[i], r) == 0;
    if (found && s->list.v[i].has_ttl == r->has_ttl && s->list.v[i].ttl == r->ttl) {
        pthread_mutex_unlock(&s->mu);
        return API_ADD_EXISTS; /* nothing to write */
    }
    if (!found && s->list.n >= API_RECORDS_MAX) {
        pthread_mutex_unlock(&s->mu);
        snprintf(err, errlen, "this node holds %d API records, the most it keeps", API_RECORDS_MAX);
        return API_ADD_FULL;
    }
    if (!copy_list(&s->list, &next)) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (found) {
        next.v[i] = *r;
    } else {
        memmove(next.v + i + 1, next.v + i, (next.n - i) * sizeof *next.v);
        next.v[i] = *r;
        next.n++;
    }
    if (commit(s, &next, &s->list, err, errlen)) {
        api_records_free(&s->list);
        s->list = next;
        next = (struct api_records){0};
        res = found ? API_ADD_EXISTS : API_ADD_CREATED;
    }
    api_records_free(&next);
out:
    pthread_mutex_unlock(&s->mu);
    return res;
}

int api_store_remove(struct api_store *s, const char *name, const struct rec_addr *addr,
                     struct api_records *removed, char *err, size_t errlen)
{
    int n = 0;
    struct api_records next = {0};
    pthread_mutex_lock(&s->mu);
    next.v = malloc((s->list.n + 1) * sizeof *next.v);
    if (!next.v) {
        snprintf(err, errlen, "out of memory");
        n = -1;
        goto out;
    }
    next.cap = s->list.n + 1;
    size_t before = removed->n;
    for (size_t i = 0; i < s->list.n; i++) {
        const struct api_record *r = &s->list.v[i];
        bool match = strcmp(r->name, name) == 0 &&
                     (!addr || (r->addr.type == addr->type &&
                                memcmp(r->addr.bytes, addr->bytes, sizeof addr->bytes) == 0));
        if (!match) {
            next.v[next.n++] = *r;
            continue;
        }
        if (!vec_push(removed, *r)) {
            snprintf(err, errlen, "out of memory");
            removed->n = before;
            n = -1;
            goto out;
        }
        n++;
    }
    if (n == 0)
        goto out;
    if (!commit(s, &next, &s->list, err, errlen)) {
        removed->n = before;
        n = -1;
        goto out;
    }
    api_records_free(&s->list);
    s->list = next;
    next = (struct api_records){0};
out:
    pthread_mutex_unlock(&s->mu);
    api_records_free(&next);
    return n;
}
