/* sources/hosts.h — hosts-directory source: every regular non-hidden file in /etc/hosts format,
 * watched with inotify and published to the record table as source "hosts:<path>". */
#ifndef JOYRIDE_SOURCES_HOSTS_H
#define JOYRIDE_SOURCES_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "records.h"

struct hosts_source;

/* Starts watching dir from the loop thread. A missing directory is a warning and is picked up
 * when it appears. Returns NULL only on allocation/inotify failure. */
struct hosts_source *hosts_source_start(struct loop *l, const char *dir, struct records *t);
/* On the loop thread: stops watching; the records it published stay until the table is freed. */
void hosts_source_stop(struct hosts_source *h);

struct hosts_status {
    bool enabled;
    char directory[4096];
    bool running;        /* the directory exists and is being watched */
    size_t records_count;
    size_t files;
    uint64_t reloads;
};
/* Thread-safe (called from HTTP threads). */
void hosts_source_get_status(struct hosts_source *h, struct hosts_status *out);

#endif
