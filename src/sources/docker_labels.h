/* sources/docker_labels.h — a container's labels to records: the configured label keys, a label
 * value split into validated lowercase names, and the joyride.host.ip address override. Pure. */
#ifndef JOYRIDE_SOURCES_DOCKER_LABELS_H
#define JOYRIDE_SOURCES_DOCKER_LABELS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "records/records.h"

#define DOCKER_DEFAULT_LABELS "joyride.host.name"
#define DOCKER_IP_LABEL "joyride.host.ip"
#define DOCKER_KEYS_MAX 16     /* label keys in DOCKER_LABELS */
#define DOCKER_KEY_LEN_MAX 255 /* one label key */
#define DOCKER_NAMES_MAX 256   /* names published for one container; the rest are skipped */

struct docker_keys {
    size_t n;
    char keys[DOCKER_KEYS_MAX][DOCKER_KEY_LEN_MAX + 1];
};

/* Parses a comma- and/or space-separated list of label keys; NULL or blank gives the default.
 * Duplicates are dropped. Returns false (message in err) on an empty key list after a non-blank
 * input, a key too long or with control characters, or more than DOCKER_KEYS_MAX keys. */
bool docker_keys_parse(const char *list, struct docker_keys *out, char *err, size_t errlen);

/* A growing array of records for one container. */
struct docker_recs {
    struct rec_input *v;
    size_t n, cap;
};
void docker_recs_free(struct docker_recs *r);

/* Appends one record per valid name of value (names separated by commas and/or whitespace),
 * all with address addr; names already present are not repeated. Invalid names are logged with
 * the container's name and skipped, *invalid counts them (may be NULL). Returns false only when
 * memory runs out. */
bool docker_names_append(const char *value, const struct rec_addr *addr, const char *container,
                         struct docker_recs *out, size_t *invalid);

enum docker_labels_result {
    DOCKER_LABELS_OK,      /* out holds the records (possibly none when every name was invalid) */
    DOCKER_LABELS_NONE,    /* none of the keys is present: not our container */
    DOCKER_LABELS_BAD_IP,  /* joyride.host.ip is not an address: the container is skipped */
    DOCKER_LABELS_NO_ADDR, /* no joyride.host.ip and host_ip unset: the container is skipped */
    DOCKER_LABELS_NOMEM,
};

/* Records of a container from its labels (a JSON object of strings, e.g. Config.Labels or an
 * event's Actor.Attributes). out is cleared first. host_ip with type 0 means "no HOSTIP". A bad
 * joyride.host.ip skips the whole container (logged): answering HOSTIP instead would send clients
 * to a host the container is explicitly not reachable on. */
enum docker_labels_result docker_labels_records(const struct docker_keys *keys,
                                                const json_t *labels,
                                                const struct rec_addr *host_ip,
                                                const char *container, struct docker_recs *out);

#endif
