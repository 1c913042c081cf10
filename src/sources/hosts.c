/* sources/hosts.c — the hosts-directory source: publishes every hosts file of a directory as
 * source "hosts:<dir>/<file>" and follows changes with inotify on the control thread's loop.
 *
 * Events name the files that changed; a short one-shot timer (COALESCE_MS) collects a burst and
 * then reloads each named file once (one records_set_source call per file, so each file changes
 * atomically for readers). A file is read when it is closed after writing, moved in, or appears as
 * a link; a half-written new file is not read until its writer closes it. Overflow, the directory
 * (re)appearing and Kubernetes-style "..data" swaps trigger a full rescan, which also reloads any
 * file whose identity, size or times changed. A missing directory is watched through its nearest
 * existing ancestor (plus a backoff poll as a safety net) and picked up when it appears; a
 * directory that is deleted or moved away withdraws its records (unless another directory took
 * its place at once, which is then reconciled file by file) and is waited for again. */
#include "sources/hosts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/vec.h"

#define MOD "hosts"
#define COALESCE_MS 15
#define POLL_MIN_MS 250
#define POLL_MAX_MS 4000
#define FILE_MAX (16u << 20)
#define PENDING_MAX 256

#define DIR_MASK                                                                                   \
    (IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB |            \
     IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK)
#define ANCESTOR_MASK (IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

struct known_file {
    char *name;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
    size_t count;
    bool seen; /* scratch for full rescans */
};

struct hosts_source {
    struct loop *loop;
    struct records *t;
    char *dir;
    int ifd;
    int wd_dir;               /* the directory, or -1 while it is missing */
    int wd_ancestor;          /* nearest existing ancestor while the directory is missing, or -1 */
    struct loop_timer *timer; /* coalescing */
    struct loop_timer *poll;  /* missing-directory poll */
    uint64_t poll_ms;
    bool full;
    bool warned_missing;
    struct {
        char **v;
        size_t n, cap;
    } pending; /* names to reload when the timer fires */
    struct {
        struct known_file *v;
        size_t n, cap;
    } files;
    uint64_t reloads;
    pthread_mutex_t mu; /* guards st */
    struct hosts_status st;
};

/* ---- status ---- */

static void update_status(struct hosts_source *h)
{
    size_t records = 0;
    for (size_t i = 0; i < h->files.n; i++)
        records += h->files.v[i].count;
    pthread_mutex_lock(&h->mu);
    h->st.running = h->wd_dir >= 0;
    h->st.records_count = records;
    h->st.files = h->files.n;
    h->st.reloads = h->reloads;
    pthread_mutex_unlock(&h->mu);
}

void hosts_source_get_status(struct hosts_source *h, struct hosts_status *out)
{
    memset(out, 0, sizeof *out);
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    *out = h->st;
    pthread_mutex_unlock(&h->mu);
}

/* ---- files ---- */

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

static void forget(struct hosts_source *h, struct known_file *f)
{
    char src[REC_SOURCE_MAX + 1];
    if (source_name(h, f->name, src))
        records_set_source(h->t, src, NULL, 0);
    log_info(MOD, "%s/%s: removed (%zu records withdrawn)", h->dir, f->name, f->count);
    h->reloads++;
    free(f->name);
    *f = h->files.v[--h->files.n];
}

static void forget_name(struct hosts_source *h, const char *name)
{
    struct known_file *f = known_find(h, name);
    if (f)
        forget(h, f);
}

struct warn_ctx {
    const char *dir, *name;
};

static void on_parse_warning(size_t line, const char *reason, void *ctx)
{
    const struct warn_ctx *w = ctx;
    log_warn(MOD, "%s/%s:%zu: %s; line skipped", w->dir, w->name, line, reason);
}

/* Reads a whole regular file into b (empty); false with errno set on failure. */
static bool read_file(int fd, size_t size_hint, struct buf *b)
{
    size_t room = size_hint + 1; /* one byte more than expected, to see the end at once */
    for (;;) {
        if (b->len > FILE_MAX) {
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

/* (Re)loads one directory entry: publishes its records, or withdraws them when the entry is gone,
 * not a regular file, or unreadable. */
static void load(struct hosts_source *h, const char *name)
{
    char path[4096], src[REC_SOURCE_MAX + 1];
    if (snprintf(path, sizeof path, "%s/%s", h->dir, name) >= (int)sizeof path ||
        !source_name(h, name, src)) {
        log_warn(MOD, "%s/%s: path too long; file ignored", h->dir, name);
        return;
    }
    /* Only regular files (after symlinks) are opened at all: never a FIFO, device or socket.
     * The type is checked again on the open descriptor in case the entry changed in between. */
    struct stat st;
    int fd = -1;
    bool special = false;
    if (stat(path, &st) == 0) {
        special = !S_ISREG(st.st_mode);
        if (!special)
            fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    }
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (special)
            log_debug(MOD, "%s: not a regular file; ignored", path);
        else if (fd < 0 && errno != ENOENT)
            log_warn(MOD, "%s: %s; file ignored", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        forget_name(h, name);
        return;
    }
    struct buf text = {0};
    bool read_ok = st.st_size > (off_t)FILE_MAX ? (errno = EFBIG, false)
                                                : read_file(fd, (size_t)st.st_size, &text);
    int read_errno = errno;
    close(fd);
    if (!read_ok) {
        buf_free(&text);
        log_warn(MOD, "%s: %s; file ignored", path, strerror(read_errno));
        forget_name(h, name);
        return;
    }
    struct hosts_parsed parsed = {0};
    struct warn_ctx wc = {h->dir, name};
    int rc = hosts_parse(text.p ? text.p : "", text.len, &parsed, on_parse_warning, &wc);
    buf_free(&text);
    rec_inputs_dedupe(&parsed.recs);
    if (rc < 0 || records_set_source(h->t, src, parsed.recs.v, parsed.recs.n) < 0) {
        log_error(MOD, "%s: out of memory; file not loaded", path);
        hosts_parsed_free(&parsed);
        return;
    }
    struct known_file *f = known_find(h, name);
    if (!f && !(f = known_add(h, name))) {
        log_error(MOD, "%s: out of memory; file not loaded", path);
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
    log_info(MOD, "%s: %zu records%s", path, parsed.recs.n,
             parsed.bad_lines ? " (some lines skipped)" : "");
    hosts_parsed_free(&parsed);
}

static void forget_all(struct hosts_source *h)
{
    while (h->files.n)
        forget(h, &h->files.v[h->files.n - 1]);
}

static bool pending_has(const struct hosts_source *h, const char *name)
{
    for (size_t i = 0; i < h->pending.n; i++)
        if (strcmp(h->pending.v[i], name) == 0)
            return true;
    return false;
}

static void pending_clear(struct hosts_source *h)
{
    for (size_t i = 0; i < h->pending.n; i++)
        free(h->pending.v[i]);
    h->pending.n = 0;
}

static void rescan_full(struct hosts_source *h)
{
    DIR *d = opendir(h->dir);
    if (!d) {
        log_warn(MOD, "hosts directory %s: %s", h->dir, strerror(errno));
        return; /* the watch reports the directory's removal */
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
        if (f && !pending_has(h, de->d_name) &&
            snprintf(path, sizeof path, "%s/%s", h->dir, de->d_name) < (int)sizeof path &&
            stat(path, &st) == 0 && same_stat(f, &st)) {
            f->seen = true;
            continue;
        }
        load(h, de->d_name);
    }
    closedir(d);
    for (size_t i = h->files.n; i-- > 0;)
        if (!h->files.v[i].seen)
            forget(h, &h->files.v[i]);
}

/* ---- watching ---- */

static void schedule(struct hosts_source *h, bool full);

static void on_poll(void *ctx)
{
    struct hosts_source *h = ctx;
    h->poll = NULL;
    schedule(h, true);
}

static void drop_ancestor_watch(struct hosts_source *h)
{
    if (h->wd_ancestor >= 0)
        inotify_rm_watch(h->ifd, h->wd_ancestor);
    h->wd_ancestor = -1;
}

/* Watches the nearest existing ancestor of the missing directory for it to appear. */
static void watch_ancestor(struct hosts_source *h)
{
    char *p = strdup(h->dir);
    if (!p)
        return;
    for (;;) {
        size_t n = strlen(p);
        while (n > 1 && p[n - 1] == '/')
            p[--n] = '\0';
        char *slash = strrchr(p, '/');
        if (!slash) {
            p[0] = '.'; /* the current directory (p holds at least one character) */
            p[1] = '\0';
        } else if (slash == p)
            p[1] = '\0';
        else
            *slash = '\0';
        int wd = inotify_add_watch(h->ifd, p, ANCESTOR_MASK);
        if (wd >= 0) {
            if (h->wd_ancestor >= 0 && h->wd_ancestor != wd)
                inotify_rm_watch(h->ifd, h->wd_ancestor);
            h->wd_ancestor = wd;
            break;
        }
        if (strcmp(p, "/") == 0 || strcmp(p, ".") == 0)
            break; /* nothing to watch; the poll covers it */
    }
    free(p);
}

/* Starts watching the directory; on failure watches for it to appear. */
static bool establish(struct hosts_source *h)
{
    int wd = inotify_add_watch(h->ifd, h->dir, DIR_MASK);
    if (wd < 0) {
        if (!h->warned_missing)
            log_warn(MOD, "hosts directory %s: %s; waiting for it to appear", h->dir,
                     strerror(errno));
        h->warned_missing = true;
        watch_ancestor(h);
        if (!h->poll) {
            h->poll = loop_timer_add(h->loop, h->poll_ms, on_poll, h);
            h->poll_ms = h->poll_ms * 2 > POLL_MAX_MS ? POLL_MAX_MS : h->poll_ms * 2;
        }
        return false;
    }
    h->wd_dir = wd;
    h->warned_missing = false;
    h->poll_ms = POLL_MIN_MS;
    drop_ancestor_watch(h);
    if (h->poll) {
        loop_timer_cancel(h->loop, h->poll);
        h->poll = NULL;
    }
    log_info(MOD, "watching hosts directory %s", h->dir);
    h->full = true;
    return true;
}

static void dir_lost(struct hosts_source *h, bool still_watched)
{
    if (still_watched)
        inotify_rm_watch(h->ifd, h->wd_dir);
    h->wd_dir = -1;
    log_warn(MOD, "hosts directory %s was removed or moved away", h->dir);
    /* Its records stay until the next pass: a directory swapped for a new one (mv new dir) is
     * reconciled file by file, so names present in both never stop resolving. */
    pending_clear(h);
    update_status(h);
    schedule(h, true);
}

static void on_timer(void *ctx)
{
    struct hosts_source *h = ctx;
    h->timer = NULL;
    if (h->wd_dir < 0 && !establish(h)) {
        if (h->files.n)
            log_warn(MOD, "hosts directory %s is gone; withdrawing the records of %zu files",
                     h->dir, h->files.n);
        forget_all(h);
        pending_clear(h);
        h->full = false;
        update_status(h);
        return;
    }
    if (h->full) {
        rescan_full(h);
    } else {
        /* Files that exist first, then the ones that went: a file renamed within the directory
         * is published under its new name before it is withdrawn under the old one, so its
         * names never disappear in between. */
        for (int pass = 0; pass < 2; pass++) {
            for (size_t i = 0; i < h->pending.n; i++) {
                char path[4096];
                bool exists = snprintf(path, sizeof path, "%s/%s", h->dir, h->pending.v[i]) <
                                  (int)sizeof path &&
                              access(path, F_OK) == 0;
                if (exists == (pass == 0))
                    load(h, h->pending.v[i]);
            }
        }
    }
    h->full = false;
    pending_clear(h);
    update_status(h);
}

static void schedule(struct hosts_source *h, bool full)
{
    h->full |= full;
    if (!h->timer)
        h->timer = loop_timer_add(h->loop, COALESCE_MS, on_timer, h);
}

static void note_name(struct hosts_source *h, const char *name)
{
    if (h->full || pending_has(h, name)) {
        schedule(h, false);
        return;
    }
    if (h->pending.n == PENDING_MAX) {
        schedule(h, true);
        return;
    }
    char *dup = strdup(name);
    if (!dup || !vec_push(&h->pending, dup)) {
        free(dup);
        schedule(h, true);
        return;
    }
    schedule(h, false);
}

/* A new entry is read at once only when it is complete already: a symlink or a hard link. A
 * plain new file is read when its writer closes it (IN_CLOSE_WRITE). */
static bool created_complete(const struct hosts_source *h, const char *name)
{
    char path[4096];
    struct stat st;
    if (snprintf(path, sizeof path, "%s/%s", h->dir, name) >= (int)sizeof path ||
        lstat(path, &st) < 0)
        return false;
    return S_ISLNK(st.st_mode) || (S_ISREG(st.st_mode) && st.st_nlink > 1);
}

static void handle_event(struct hosts_source *h, const struct inotify_event *ev)
{
    if (ev->mask & IN_Q_OVERFLOW) {
        schedule(h, true);
        return;
    }
    if (ev->wd == h->wd_dir && h->wd_dir >= 0) {
        if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT)) {
            dir_lost(h, !(ev->mask & IN_IGNORED));
            return;
        }
        if (!ev->len || !ev->name[0])
            return;
        if (!hosts_name_eligible(ev->name)) {
            if (strncmp(ev->name, "..", 2) == 0)
                schedule(h, true); /* an atomic "..data" symlink swap */
            return;
        }
        if ((ev->mask & IN_CREATE) && !created_complete(h, ev->name))
            return;
        note_name(h, ev->name);
        return;
    }
    if (ev->wd == h->wd_ancestor && h->wd_ancestor >= 0) {
        if (ev->mask & IN_IGNORED)
            h->wd_ancestor = -1;
        schedule(h, true); /* something appeared (or the ancestor went): try again */
    }
}

static void on_inotify(int fd, uint32_t events, void *ctx)
{
    (void)events;
    struct hosts_source *h = ctx;
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            return;
        }
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            handle_event(h, ev);
            p += sizeof *ev + ev->len;
        }
    }
}

/* ---- lifecycle ---- */

struct hosts_source *hosts_source_start(struct loop *l, const char *dir, struct records *t)
{
    if (!l || !t || !dir || !*dir)
        return NULL;
    struct hosts_source *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->loop = l;
    h->t = t;
    h->ifd = -1;
    h->wd_dir = h->wd_ancestor = -1;
    h->poll_ms = POLL_MIN_MS;
    pthread_mutex_init(&h->mu, NULL);
    h->dir = strdup(dir);
    if (!h->dir)
        goto fail;
    size_t n = strlen(h->dir);
    while (n > 1 && h->dir[n - 1] == '/')
        h->dir[--n] = '\0';
    h->st.enabled = true;
    snprintf(h->st.directory, sizeof h->st.directory, "%s", h->dir);
    h->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (h->ifd < 0) {
        log_error(MOD, "inotify: %s", strerror(errno));
        goto fail;
    }
    if (loop_add_fd(l, h->ifd, EPOLLIN, on_inotify, h) < 0)
        goto fail;
    if (establish(h)) {
        rescan_full(h); /* the initial load happens before start returns */
        h->full = false;
    }
    update_status(h);
    return h;
fail:
    if (h->ifd >= 0)
        close(h->ifd);
    free(h->dir);
    pthread_mutex_destroy(&h->mu);
    free(h);
    return NULL;
}

void hosts_source_stop(struct hosts_source *h)
{
    if (!h)
        return;
    if (h->timer)
        loop_timer_cancel(h->loop, h->timer);
    if (h->poll)
        loop_timer_cancel(h->loop, h->poll);
    loop_del_fd(h->loop, h->ifd);
    close(h->ifd);
    pending_clear(h);
    vec_free(&h->pending);
    for (size_t i = 0; i < h->files.n; i++)
        free(h->files.v[i].name);
    vec_free(&h->files);
    free(h->dir);
    pthread_mutex_destroy(&h->mu);
    free(h);
}
