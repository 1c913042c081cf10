/* sources/hosts.c — the hosts-directory source's watcher: follows the directory with inotify on
 * the control thread's loop and hands changed files to the loader (hosts_load.c).
 *
 * Events name the files that changed; a short one-shot timer (COALESCE_MS) collects a burst and
 * then reloads each named file once (so each file changes atomically for readers). A file is read
 * when it is closed after writing, moved in, or appears as a link; a half-written new file is not
 * read until its writer closes it. Overflow, the directory (re)appearing and Kubernetes-style
 * "..data" swaps trigger a full rescan, which also reloads any file whose identity, size or times
 * changed.
 *
 * The path to the directory is watched too: the directory holding it (for its own name) and the
 * directory holding every symlink on the way there, inside link targets too (for the link's name).
 * When one of those entries changes (a symlink swapped with `ln -s new tmp && mv -T tmp dir`, the
 * directory moved away or deleted), the path is resolved again; if it now leads elsewhere the new
 * directory is watched instead and reconciled file by file (names in both never stop resolving).
 * A missing directory is watched through its first missing component's parent (plus a backoff
 * poll as a safety net) and picked up when it appears; a directory that is gone withdraws its
 * records with one warning and is waited for again. */
#include "sources/hosts.h"

#include <errno.h>
#include <limits.h>
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
#include "sources/hosts_internal.h"

#define MOD HOSTS_MOD
#define COALESCE_MS 15
#define POLL_MIN_MS 250
#define POLL_MAX_MS 4000
#define PENDING_MAX 256

/* IN_MASK_ADD on both: one inode may be the directory and on its path at once (a link to "."),
 * and inotify has one watch (one mask) per inode. */
#define DIR_MASK                                                                                   \
    (IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB |            \
     IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK | IN_MASK_ADD)
#define PATH_MASK                                                                                  \
    (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF |         \
     IN_ONLYDIR | IN_MASK_ADD)
#define SELF_GONE (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT)

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

/* ---- pending names ---- */

bool hosts_pending_has(const struct hosts_source *h, const char *name)
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

/* ---- the path to the directory ---- */

static bool path_uses(const struct hosts_source *h, int wd)
{
    for (size_t i = 0; i < h->path.n; i++)
        if (h->path.v[i].wd == wd)
            return true;
    return false;
}

static void path_free(struct hosts_source *h)
{
    for (size_t i = 0; i < h->path.n; i++)
        free(h->path.v[i].name);
    vec_free(&h->path);
}

/* Watches dir (a directory path) for changes of its entry name; appends to the list. */
static void watch_entry(struct hosts_source *h, const char *dir, const char *name, size_t len,
                        struct path_watches *next)
{
    int wd = inotify_add_watch(h->ifd, dir, PATH_MASK);
    char *dup = wd >= 0 ? strndup(name, len) : NULL;
    if (wd < 0 || !dup || !vec_push(next, ((struct path_watch){wd, dup})))
        free(dup); /* not watched: the poll or the next event covers it */
}

#define LINKS_MAX 40 /* symlinks followed on the way, as the kernel's ELOOP limit */

/* Walks path component by component and watches, in the directory holding it, the last
 * component, every symlink, and the first component that does not exist (then stops). At a
 * symlink the walk goes on through the link's target (followed by the rest of the path), so a
 * link to a path with links of its own is followed too. */
static void walk_path(struct hosts_source *h, const char *path, int links,
                      struct path_watches *next)
{
    size_t len = strlen(path);
    char *buf = malloc(2 * len + 4);
    if (!buf)
        return;
    char *prefix = buf, *parent = buf + len + 2;
    for (size_t i = 0;;) {
        while (i < len && path[i] == '/')
            i++;
        if (i == len)
            break;
        size_t c0 = i;
        while (i < len && path[i] != '/')
            i++;
        size_t plen = c0;
        while (plen > 0 && path[plen - 1] == '/')
            plen--;
        if (plen == 0) {
            parent[0] = path[0] == '/' ? '/' : '.';
            plen = 1;
        } else {
            memcpy(parent, path, plen);
        }
        parent[plen] = '\0';
        memcpy(prefix, path, i);
        prefix[i] = '\0';
        bool dots = (i - c0 == 1 && path[c0] == '.') ||
                    (i - c0 == 2 && path[c0] == '.' && path[c0 + 1] == '.');
        struct stat st;
        bool exists = lstat(prefix, &st) == 0;
        bool link = exists && S_ISLNK(st.st_mode);
        if (!dots && (i == len || !exists || link))
            watch_entry(h, parent, path + c0, i - c0, next);
        if (!exists)
            break;
        if (link && links < LINKS_MAX) {
            char target[PATH_MAX];
            ssize_t n = readlink(prefix, target, sizeof target - 1);
            struct buf via = {0};
            if (n > 0) {
                target[n] = '\0';
                if (target[0] != '/')
                    buf_printf(&via, "%s/", parent);
                buf_puts(&via, target);
                buf_puts(&via, path + i);
            }
            if (n > 0 && !via.oom)
                walk_path(h, via.p, links + 1, next);
            buf_free(&via);
            break;
        }
    }
    free(buf);
}

/* Watches the entries the configured path goes through (walk_path). New watches are added before
 * stale ones go, so no change falls between the two. */
static void watch_path(struct hosts_source *h)
{
    struct path_watches next = {0};
    walk_path(h, h->dir, 0, &next);
    for (size_t i = 0; i < h->path.n; i++) {
        int wd = h->path.v[i].wd;
        bool kept = wd == h->wd_dir;
        for (size_t j = 0; j < next.n && !kept; j++)
            kept = next.v[j].wd == wd;
        if (!kept)
            inotify_rm_watch(h->ifd, wd); /* a second removal of the same wd is EINVAL */
    }
    path_free(h);
    h->path = next;
}

/* ---- the directory ---- */

static void schedule(struct hosts_source *h, bool full);

static void drop_dir_watch(struct hosts_source *h, bool still_watched)
{
    if (still_watched && h->wd_dir >= 0 && !path_uses(h, h->wd_dir))
        inotify_rm_watch(h->ifd, h->wd_dir);
    h->wd_dir = -1;
}

/* Starts watching the directory the path leads to now; false (errno set) when there is none.
 * Its identity is taken before the watch: should the path change in between, the entry's event
 * (watched already) makes the next pass see the difference and watch again. */
static bool establish(struct hosts_source *h)
{
    struct stat st;
    if (stat(h->dir, &st) < 0)
        return false;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return false;
    }
    int wd = inotify_add_watch(h->ifd, h->dir, DIR_MASK);
    if (wd < 0)
        return false;
    h->wd_dir = wd;
    h->dir_dev = st.st_dev;
    h->dir_ino = st.st_ino;
    char *target = realpath(h->dir, NULL);
    if (target && h->target && strcmp(target, h->target) != 0)
        log_info(MOD, "hosts directory %s now points to %s (was %s); reloading its files", h->dir,
                 target, h->target);
    else if (target && strcmp(target, h->dir) != 0)
        log_info(MOD, "watching hosts directory %s (-> %s)", h->dir, target);
    else
        log_info(MOD, "watching hosts directory %s", h->dir);
    if (target) {
        free(h->target);
        h->target = target;
    }
    h->warned_missing = false;
    h->poll_ms = POLL_MIN_MS;
    if (h->poll) {
        loop_timer_cancel(h->loop, h->poll);
        h->poll = NULL;
    }
    h->full = true;
    return true;
}

/* Whether the path still leads to the watched directory; if not, stops watching it (the caller
 * then watches the new one, or reports it gone). */
static void verify_target(struct hosts_source *h)
{
    struct stat st;
    if (h->wd_dir < 0 || (stat(h->dir, &st) == 0 && S_ISDIR(st.st_mode) &&
                          st.st_dev == h->dir_dev && st.st_ino == h->dir_ino))
        return;
    drop_dir_watch(h, true);
    pending_clear(h); /* names from the old directory: the full rescan covers the new one */
    h->full = true;
}

static void on_poll(void *ctx)
{
    struct hosts_source *h = ctx;
    h->poll = NULL;
    h->check = true;
    schedule(h, true);
}

static void wait_for_dir(struct hosts_source *h)
{
    if (h->poll)
        return;
    h->poll = loop_timer_add(h->loop, h->poll_ms, on_poll, h);
    h->poll_ms = h->poll_ms * 2 > POLL_MAX_MS ? POLL_MAX_MS : h->poll_ms * 2;
}

static void process(struct hosts_source *h)
{
    if (h->check) {
        h->check = false;
        watch_path(h);
        verify_target(h);
    }
    if (h->wd_dir < 0 && !establish(h)) {
        int err = errno;
        if (!h->warned_missing && h->files.n)
            log_warn(MOD,
                     "hosts directory %s is gone (%s); withdrawing the records of %zu files; "
                     "waiting for it to appear",
                     h->dir, strerror(err), h->files.n);
        else if (!h->warned_missing)
            log_warn(MOD, "hosts directory %s: %s; waiting for it to appear", h->dir,
                     strerror(err));
        h->warned_missing = true;
        hosts_forget_all(h);
        pending_clear(h);
        h->full = false;
        wait_for_dir(h);
        update_status(h);
        return;
    }
    if (h->full) {
        hosts_rescan(h);
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
                    hosts_load(h, h->pending.v[i]);
            }
        }
    }
    h->full = false;
    pending_clear(h);
    update_status(h);
}

/* Everything the coalesced events changed is published to DNS readers as one snapshot. */
static void on_timer(void *ctx)
{
    struct hosts_source *h = ctx;
    h->timer = NULL;
    records_batch_begin(h->t);
    process(h);
    records_batch_end(h->t);
}

static void schedule(struct hosts_source *h, bool full)
{
    h->full |= full;
    if (!h->timer)
        h->timer = loop_timer_add(h->loop, COALESCE_MS, on_timer, h);
}

static void note_name(struct hosts_source *h, const char *name)
{
    if (h->full || hosts_pending_has(h, name)) {
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

/* An event on a directory of the path: does it concern the watched entry? While the directory is
 * missing anything there counts (a symlink's target may appear beside it). */
static bool path_event(const struct hosts_source *h, const struct inotify_event *ev)
{
    for (size_t i = 0; i < h->path.n; i++) {
        if (h->path.v[i].wd != ev->wd)
            continue;
        if ((ev->mask & SELF_GONE) || h->wd_dir < 0 ||
            (ev->len && strcmp(ev->name, h->path.v[i].name) == 0))
            return true;
    }
    return false;
}

static void dir_event(struct hosts_source *h, const struct inotify_event *ev)
{
    if (ev->mask & SELF_GONE) {
        /* Removed or moved away. Its records stay until the next pass: a directory swapped for a
         * new one (mv new dir) is reconciled file by file, so names in both never vanish. */
        drop_dir_watch(h, !(ev->mask & IN_IGNORED));
        pending_clear(h);
        h->check = true;
        update_status(h);
        schedule(h, true);
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
}

static void handle_event(struct hosts_source *h, const struct inotify_event *ev)
{
    if (ev->mask & IN_Q_OVERFLOW) {
        h->check = true;
        schedule(h, true);
        return;
    }
    /* One watch may serve both roles (a directory on the path is the directory itself). */
    if (path_event(h, ev)) {
        h->check = true;
        schedule(h, false);
    }
    if (ev->wd == h->wd_dir && h->wd_dir >= 0)
        dir_event(h, ev);
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
    h->wd_dir = -1;
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
    watch_path(h); /* before the directory: a change from here on is seen */
    if (establish(h)) {
        records_batch_begin(h->t); /* the initial load happens before start returns */
        hosts_rescan(h);
        records_batch_end(h->t);
        h->full = false;
    } else {
        log_warn(MOD, "hosts directory %s: %s; waiting for it to appear", h->dir, strerror(errno));
        h->warned_missing = true;
        wait_for_dir(h);
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
    path_free(h);
    free(h->target);
    free(h->dir);
    pthread_mutex_destroy(&h->mu);
    free(h);
}
