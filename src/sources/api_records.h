/* sources/api_records.h — records added over the HTTP API (POST /dns/records): this node's records
 * under source "api", replicated like any other local source, and kept in a JSON file
 * (API_RECORDS_FILE) so they survive a restart.
 *
 * The file is {"version":1,"records":[{"hostname":"app.example.com","ip_address":"10.0.0.1",
 * "ttl":60},...]} ("ttl" optional). Every change rewrites it atomically: a temporary file in the
 * same directory ("<file>.tmp"), fsync, rename over the file, fsync of the directory; so after a
 * crash at any instant the file is the old or the new version, whole. A file that cannot be read
 * or parsed at start is an error (api_store_open fails): the records in it are never dropped
 * silently.
 *
 * A record's ttl is its answers' TTL (replicated with it); without one answers carry DNS_TTL. */
#ifndef JOYRIDE_SOURCES_API_RECORDS_H
#define JOYRIDE_SOURCES_API_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "records/records.h"

#define API_SOURCE "api"
#define API_TTL_MAX 2147483647u  /* RFC 2181: 2^31 - 1 */
#define API_RECORDS_MAX 50000    /* records one node keeps from the API */
#define API_FILE_MAX (64u << 20) /* a records file larger than this is refused at start */

struct api_record {
    char name[REC_NAME_MAX + 1]; /* normalized */
    struct rec_addr addr;
    bool has_ttl;
    uint32_t ttl; /* answers' TTL; without has_ttl answers use DNS_TTL */
};

/* A core/vec.h vector of records. */
struct api_records {
    struct api_record *v;
    size_t n, cap;
};

/* ---- the file format (pure) ---- */

/* Parses a records file's text into out (emptied first; sorted by name then address, repeated
 * pairs merged). False with one line in err naming where and what is wrong
 * ("line 3, column 9: ..." or "record 2: ip_address: '10.0.0' is not an IPv4 or IPv6 address"). */
bool api_records_parse(const char *text, size_t len, struct api_records *out, char *err,
                       size_t errlen);
/* Appends the file text for l (one record a line, a newline at the end). False when memory runs
 * out. */
bool api_records_dump(const struct api_records *l, struct buf *out);
void api_records_free(struct api_records *l);

/* ---- the file ---- */

/* Reads and parses path into out. A missing file is an empty list (true). False with one line in
 * err for anything else (unreadable, not a regular file, too large, not valid). */
bool api_records_load(const char *path, struct api_records *out, char *err, size_t errlen);
/* Replaces path with data atomically (see above). False with one line in err and errno set; the
 * file is then unchanged. */
bool api_records_write(const char *path, const char *data, size_t len, char *err, size_t errlen);

/* Whether api_records_write can replace path: its directory exists and this process may create
 * files in it. False with the reason in err. */
bool api_records_writable(const char *path, char *err, size_t errlen);

/* ---- the store: the list, the file and the table kept in step. Thread-safe. ---- */

struct api_store;

/* Loads path and publishes its records under source "api". NULL with one line in err when the
 * file cannot be read or parsed, or memory runs out. */
struct api_store *api_store_open(struct records *t, const char *path, char *err, size_t errlen);
void api_store_close(struct api_store *s);
const char *api_store_path(const struct api_store *s);
size_t api_store_count(struct api_store *s);

enum api_add_result {
    API_ADD_CREATED, /* new (name, address) */
    API_ADD_EXISTS,  /* already held (its ttl updated when another was asked) */
    API_ADD_FULL,    /* API_RECORDS_MAX records held */
    API_ADD_FAILED,  /* the file could not be written (err says why) or out of memory */
};
/* Adds r: the file is written first, then the table; on failure neither changes. */
enum api_add_result api_store_add(struct api_store *s, const struct api_record *r, char *err,
                                  size_t errlen);
/* Removes name's records (only the one with address addr when it is not NULL) and appends them to
 * removed. Returns how many were removed (0: none matched, nothing written), or -1 with err set
 * when the file could not be written (nothing changed). */
int api_store_remove(struct api_store *s, const char *name, const struct rec_addr *addr,
                     struct api_records *removed, char *err, size_t errlen);

#endif
