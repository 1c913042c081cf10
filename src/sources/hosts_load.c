/* sources/hosts_load.c — the hosts source's files: reads one hosts file (regular files only, at
 * most HOSTS_FILE_MAX bytes), parses it, publishes it as source "hosts:<dir>/<file>" in one
 * records_set_source call, and keeps what it knows about each file (identity, size, times, record
 * count) so a full rescan reloads only what changed. Warnings from a hostile file are bounded:
 * the first HOSTS_WARN_MAX bad lines as file:line with a short printable excerpt, then one line
 * with the count of the rest, and at most HOSTS_LINE_LOG_BURST such per-line warnings a minute in
 * all; file names are shown sanitised too. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/vec.h"
#include "sources/hosts_internal.h"

#define MOD HOSTS_MOD

static const char *shown_name(const char *name, char out[HOSTS_NAME_SHOWN])
{
    return log_excerpt(out, HOSTS_NAME_SHOWN, name, strlen(name));
}

static bool source_name(const struct hosts_source *h, const char *name,
                        char out[REC_SOURCE_MAX + 1])
{
    int n = snprintf(out, REC_SOURCE_MAX + 1, "hosts:%s/%s", h->dir, name);
    return n > 0 && n <= REC_SOURCE_MAX;
}

static struct known_file *known_find(struct hosts_source *h, const char *name)
{
    for (size_t i = 0; i < h->files.n; i++)
        if (strcmp(h->files.v[i].name, name) == 0)
            return &h->files.v[i];
    return NULL;
}

static struct known_file *known_add(struct hosts_source *h, const char *name)
{
    char *dup = strdup(name);
    struct known_file *f = dup ? vec_push_zero(&h->files) : NULL;
    if (!f) {
        free(dup);
        return NULL;
    }
    f->name = dup;
    return f;
}

/* Withdraws a file's records and forgets it; one line per file unless the whole directory went
 * (quiet: the caller has said so once). */
static void forget(struct hosts_source *h, struct known_file *f, bool quiet)
{
    char src[REC_SOURCE_MAX + 1], shown[HOSTS_NAME_SHOWN];
    if (source_name(h, f->name, src))
        records_set_source(h->t, src, NULL, 0);
    if (quiet)
        log_debug(MOD, "%s/%s: %zu records withdrawn", h->dir, shown_name(f->name, shown),
                  f->count);
    else
        log_info(MOD, "%s/%s: removed (%zu records withdrawn)", h->dir, shown_name(f->name, shown),
                 f->count);
    h->reloads++;
    free(f->name);
    *f = h->files.v[--h->files.n];
}

static void forget_name(struct hosts_source *h, const char *name)
{
    struct known_file *f = known_find(h, name);
    if (f)
        forget(h, f, false);
}

void hosts_forget_all(struct hosts_source *h)
{
    while (h->files.n)
        forget(h, &h->files.v[h->files.n - 1], true);
}

struct warn_ctx {
    const char *dir, *name;
};

/* Across all files and reloads (a directory of junk, a junk file rewritten over and over), per-line
 * warnings are also bounded in time; the per-file summary lines are not. */
static struct log_limit line_log = LOG_LIMIT_INIT(HOSTS_LINE_LOG_BURST, 60000);

static void on_parse_warning(size_t line, const char *reason, void *ctx)
{
    const struct warn_ctx *w = ctx;
    log_limited(&line_log, LOG_WARNING, MOD, "%s/%s:%zu: %s; line skipped", w->dir, w->name, line,
                reason);
}

/* Reads a whole regular file into b (empty); false with errno set on failure (EFBIG: it grew
 * past HOSTS_FILE_MAX while being read). */
static bool read_file(int fd, size_t size_hint, struct buf *b)
{
    size_t room = size_hint + 1; /* one byte more than expected, to see the end at once */
    for (;;) {
        if (b->len > HOSTS_FILE_MAX) {
            errno = EFBIG;
            return false;
        }
        if (!buf_reserve(b, room)) {
            errno = ENOMEM;
            return false;
        }
        ssize_t r = read(fd, b->p + b->len, b->cap - b->len - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return false;
        if (r == 0)
            return true;
        b->len += (size_t)r;
        b->p[b->len] = '\0';
        room = b->len; /* the file grew while being read: double */
    }
}

static bool same_stat(const struct known_file *f, const struct stat *st)
{
    return f->dev == st->st_dev && f->ino == st->st_ino && f->size == st->st_size &&
           f->mtime.tv_sec == st->st_mtim.tv_sec && f->mtime.tv_nsec == st->st_mtim.tv_nsec &&
           f->ctime.tv_sec == st->st_ctim.tv_sec && f->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

/* Opens path if it is a regular file (after symlinks): never a FIFO, device or socket. The type
 * is checked again on the open descriptor in case the entry changed in between. Returns the
 * descriptor (st filled), or -1 after logging why not (nothing when the entry is just gone). */
static int open_regular(const char *dir, const char *shown, const char *path, struct stat *st)
{
    int fd = -1;
    bool special = false;
    if (stat(path, st) == 0) {
        special = !S_ISREG(st->st_mode);
        if (!special)
            fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    }
    if (fd >= 0 && fstat(fd, st) == 0 && S_ISREG(st->st_mode))
        return fd;
    if (special || fd >= 0)
        log_debug(MOD, "%s/%s: not a regular file; ignored", dir, shown);
    else if (errno != ENOENT)
        log_warn(MOD, "%s/%s: %s; file ignored", dir, shown, strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

void hosts_load(struct hosts_source *h, const char *name)
{
    char path[4096], src[REC_SOURCE_MAX + 1], shown[HOSTS_NAME_SHOWN];
    shown_name(name, shown);
    if (snprintf(path, sizeof path, "%s/%s", h->dir, name) >= (int)sizeof path ||
        !source_name(h, name, src)) {
        log_warn(MOD, "%s/%s: path too long; file ignored", h->dir, shown);
        return;
    }
    struct stat st;
    int fd = open_regular(h->dir, shown, path, &st);
    if (fd < 0) {
        forget_name(h, name);
        return;
    }
    struct buf text = {0};
    bool read_ok = st.st_size > (off_t)HOSTS_FILE_MAX ? (errno = EFBIG, false)
                                                      : read_file(fd, (size_t)st.st_size, &text);
    int read_errno = errno;
    close(fd);
    if (!read_ok) {
        buf_free(&text);
        if (read_errno == EFBIG)
            log_warn(MOD, "%s/%s: larger than the %u MiB a hosts file may have; file ignored",
                     h->dir, shown, HOSTS_FILE_MAX >> 20);
        else
            log_warn(MOD, "%s/%s: %s; file ignored", h->dir, shown, strerror(read_errno));
        forget_name(h, name);
        return;
    }
    struct hosts_parsed parsed = {0};
    struct warn_ctx wc = {h->dir, shown};
    int rc = hosts_parse(text.p ? text.p : "", text.len, &parsed, on_parse_warning, &wc);
    buf_free(&text);
    rec_inputs_dedupe(&parsed.recs);
    if (rc < 0 || records_set_source(h->t, src, parsed.recs.v, parsed.recs.n) < 0) {
        log_error(MOD, "%s/%s: out of memory; file not loaded", h->dir, shown);
        hosts_parsed_free(&parsed);
        return;
    }
    struct known_file *f = known_find(h, name);
    if (!f && !(f = known_add(h, name))) {
        log_error(MOD, "%s/%s: out of memory; file not loaded", h->dir, shown);
        records_set_source(h->t, src, NULL, 0);
        hosts_parsed_free(&parsed);
        return;
    }
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->size = st.st_size;
    f->mtime = st.st_mtim;
    f->ctime = st.st_ctim;
    f->count = parsed.recs.n;
    f->seen = true;
    h->reloads++;
    if (parsed.bad_lines > HOSTS_WARN_MAX)
        log_warn(MOD, "... and %zu more invalid lines in %s/%s", parsed.bad_lines - HOSTS_WARN_MAX,
                 h->dir, shown);
    if (parsed.bad_lines)
        log_info(MOD, "%s/%s: %zu records (%zu invalid lines skipped)", h->dir, shown,
                 parsed.recs.n, parsed.bad_lines);
    else
        log_info(MOD, "%s/%s: %zu records", h->dir, shown, parsed.recs.n);
    hosts_parsed_free(&parsed);
}

void hosts_rescan(struct hosts_source *h)
{
    DIR *d = opendir(h->dir);
    if (!d) {
        log_warn(MOD, "hosts directory %s: %s", h->dir, strerror(errno));
        return; /* the watches report the directory's removal */
    }
    for (size_t i = 0; i < h->files.n; i++)
        h->files.v[i].seen = false;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!hosts_name_eligible(de->d_name))
            continue;
        struct known_file *f = known_find(h, de->d_name);
        struct stat st;
        char path[4096];
        if (f && !hosts_pending_has(h, de->d_name) &&
            snprintf(path, sizeof path, "%s/%s", h->dir, de->d_name) < (int)sizeof path &&
            stat(path, &st) == 0 && same_stat(f, &st)) {
            f->seen = true;
            continue;
        }
        hosts_load(h, de->d_name);
    }
    closedir(d);
    for (size_t i = h->files.n; i-- > 0;)
        if (!h->files.v[i].seen)
            forget(h, &h->files.v[i], false);
}
