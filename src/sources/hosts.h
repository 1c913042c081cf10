/* sources/hosts.h — hosts-directory source: every regular non-hidden file in /etc/hosts format,
 * watched with inotify and published to the record table as source "hosts:<path>". */
#ifndef JOYRIDE_SOURCES_HOSTS_H
#define JOYRIDE_SOURCES_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"
#include "records/records.h"

struct hosts_source;

/* Starts watching dir from the loop thread. A missing directory is a warning and is picked up
 * when it appears. Returns NULL only on allocation/inotify failure. */
struct hosts_source *hosts_source_start(struct loop *l, const char *dir, struct records *t);
/* On the loop thread: stops watching; the records it published stay until the table is freed. */
void hosts_source_stop(struct hosts_source *h);

struct hosts_status {
    bool enabled;
    char directory[4096];
    bool running; /* the directory exists and is being watched */
    size_t records_count;
    size_t files;
    uint64_t reloads;
};
/* Thread-safe (called from HTTP threads). */
void hosts_source_get_status(struct hosts_source *h, struct hosts_status *out);

/* ---- The parser (a pure function; exposed for tests and fuzzing). ---- */

/* Records parsed from one file. */
struct hosts_parsed {
    struct rec_inputs recs;
    size_t bad_lines; /* lines skipped as invalid (all of them, reported or not) */
};

/* How many invalid lines of one text are reported one by one (the rest are only counted). */
#define HOSTS_WARN_MAX 5
/* The longest excerpt of a bad token quoted in a warning (printable ASCII only). */
#define HOSTS_EXCERPT_MAX 64

/* Called for each of the first HOSTS_WARN_MAX invalid lines with its 1-based number and the
 * reason, which quotes at most HOSTS_EXCERPT_MAX printable characters of the bad token. */
typedef void (*hosts_warn_fn)(size_t line, const char *reason, void *ctx);

/* Parses text[0..len) in /etc/hosts format: "<address> <name> [<name>...]" per line, IPv4 or
 * IPv6 address (zone ids are rejected), names separated by spaces or tabs, '#' starting a comment
 * anywhere, blank lines ignored, CR LF accepted. A line with an invalid address or any invalid
 * name is skipped whole (counted in bad_lines; warn, which may be NULL, is called for the first
 * HOSTS_WARN_MAX of them). Names are validated and lowercased. Each record's rank is its place
 * among the names of its address in file order (the order of its PTRs: a line's first name
 * first). Appends to out (zero it first); returns 0, or -1 on allocation failure. */
int hosts_parse(const char *text, size_t len, struct hosts_parsed *out, hosts_warn_fn warn,
                void *ctx);
void hosts_parsed_free(struct hosts_parsed *p);

/* Whether a directory entry name is a hosts file: not hidden, not an editor's temporary or backup
 * file (*~, *.swp, *.swo, *.swx, *.tmp, #*#). */
bool hosts_name_eligible(const char *name);

#endif
