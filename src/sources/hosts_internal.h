/* sources/hosts_internal.h — the hosts source's state, shared by the watcher (hosts.c) and the
 * file loader (hosts_load.c); nothing outside src/sources includes it. */
#ifndef JOYRIDE_SOURCES_HOSTS_INTERNAL_H
#define JOYRIDE_SOURCES_HOSTS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "sources/hosts.h"

#define HOSTS_MOD "hosts"
/* The largest hosts file read; a bigger one is refused with one warning. */
#define HOSTS_FILE_MAX (16u << 20)
/* Per-line warnings (all files together) written per minute; the rest are counted. */
#define HOSTS_LINE_LOG_BURST 50
/* Longest file name shown in a log line (printable ASCII; longer names are cut). */
#define HOSTS_NAME_SHOWN 128

struct known_file {
    char *name;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
    size_t count;
    bool seen; /* scratch for full rescans */
};

/* A directory on the way to the hosts directory, watched for changes of one entry: the
 * directory's own name in its parent, every symlink in the configured path, or (while the
 * directory is missing) the first component that does not exist yet. */
struct path_watch {
    int wd;
    char *name;
};
struct path_watches {
    struct path_watch *v;
    size_t n, cap;
};

struct hosts_source {
    struct loop *loop;
    struct records *t;
    char *dir; /* as configured (trailing slashes cut); names the sources */
    int ifd;
    int wd_dir;    /* the directory the path leads to, or -1 while it is missing */
    dev_t dir_dev; /* ... and its identity, checked when an entry on the path changes */
    ino_t dir_ino;
    char *target; /* the real path of the directory last watched (for logs), or NULL */
    struct path_watches path;
    struct loop_timer *timer; /* coalescing */
    struct loop_timer *poll;  /* missing-directory poll */
    uint64_t poll_ms;
    bool full;  /* next pass rescans the whole directory */
    bool check; /* next pass re-walks the path and checks where it leads */
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

/* hosts_load.c: on the loop thread. */
/* (Re)loads one directory entry: publishes its records, or withdraws them when the entry is gone,
 * not a regular file, unreadable or too large. */
void hosts_load(struct hosts_source *h, const char *name);
/* Reads the whole directory: loads new and changed files, withdraws the ones that went. */
void hosts_rescan(struct hosts_source *h);
/* Withdraws every file's records (the directory is gone; the caller logs that once). */
void hosts_forget_all(struct hosts_source *h);

/* hosts.c */
bool hosts_pending_has(const struct hosts_source *h, const char *name);

#endif
