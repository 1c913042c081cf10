/* sources/docker_labels.h — a container's labels to records: the labels as plain strings, the
 * configured label keys, a label value split into validated lowercase names, and the
 * joyride.host.ip address override and the joyride.host.ttl TTL. Pure. */
#ifndef JOYRIDE_SOURCES_DOCKER_LABELS_H
#define JOYRIDE_SOURCES_DOCKER_LABELS_H

#include <stdbool.h>
#include <stddef.h>

#include "records/records.h"

#define DOCKER_DEFAULT_LABELS "joyride.host.name"
#define DOCKER_IP_LABEL "joyride.host.ip"
#define DOCKER_TTL_LABEL "joyride.host.ttl"
#define DOCKER_TTL_MAX 2147483647u /* RFC 2181 */
#define DOCKER_TRAEFIK_ENABLE_LABEL "traefik.enable"
#define DOCKER_KEYS_MAX 16     /* label keys in DOCKER_LABELS */
#define DOCKER_KEY_LEN_MAX 255 /* one label key */
#define DOCKER_NAMES_MAX 256   /* names published for one container; the rest are skipped */

struct docker_keys {
    size_t n;
    char keys[DOCKER_KEYS_MAX][DOCKER_KEY_LEN_MAX + 1];
    bool traefik; /* DOCKER_TRAEFIK: router rules give names too (docker_keys_parse: false) */
};

/* Parses a comma- and/or space-separated list of label keys; NULL or blank gives the default.
 * Duplicates are dropped. Returns false (message in err) on an empty key list after a non-blank
 * input, a key too long or with control characters, or more than DOCKER_KEYS_MAX keys. */
bool docker_keys_parse(const char *list, struct docker_keys *out, char *err, size_t errlen);

/* A container's labels (Config.Labels, or an event's Actor.Attributes) as docker_json.c decodes
 * them: every key, in the JSON's order, with its value. A core/vec.h vector. */
struct docker_label {
    char *key;
    char *value; /* NULL when the JSON value is not a string */
};
struct docker_labels {
    struct docker_label *v;
    size_t n, cap;
    bool present; /* the JSON had the object at all (an empty one included) */
};
/* The label `key`: NULL when absent; otherwise the label (its value may be NULL). */
const struct docker_label *docker_labels_find(const struct docker_labels *l, const char *key);
/* Frees keys, values and the array; *l becomes empty and not present. */
void docker_labels_free(struct docker_labels *l);

/* Appends one record per valid name of value (names separated by commas and/or whitespace),
 * all with address addr; names already present are not repeated. Invalid names are logged with
 * the container's name and skipped, *invalid counts them (may be NULL). Returns false only when
 * memory runs out. */
bool docker_names_append(const char *value, const struct rec_addr *addr, const char *container,
                         struct rec_inputs *out, size_t *invalid);

/* Appends one record for the name (len bytes, validated and lowercased as label names are) with
 * address addr, unless it is already there. An invalid name is logged and counted in *invalid (may
 * be NULL); past DOCKER_NAMES_MAX names it is logged as the first of the rest skipped. Returns
 * false only when memory runs out. */
bool docker_name_append(const char *name, size_t len, const struct rec_addr *addr,
                        const char *container, struct rec_inputs *out, size_t *invalid);

/* The labels hold a traefik.http.routers.<r>.rule or traefik.tcp.routers.<r>.rule with a string
 * value and no traefik.enable=false. */
bool docker_traefik_wanted(const struct docker_labels *l);

/* Parses a joyride.host.ttl value: decimal seconds 0..DOCKER_TTL_MAX, surrounding blanks
 * tolerated. */
bool docker_ttl_parse(const char *value, uint32_t *out);

enum docker_labels_result {
    DOCKER_LABELS_OK,      /* out holds the records (possibly none when every name was invalid) */
    DOCKER_LABELS_NONE,    /* none of the keys is present: not our container */
    DOCKER_LABELS_BAD_IP,  /* joyride.host.ip is not an address: the container is skipped */
    DOCKER_LABELS_NO_ADDR, /* no joyride.host.ip and host_ip unset: the container is skipped */
    DOCKER_LABELS_NOMEM,
};

/* Records of a container from its labels (NULL or not present: none): the names of the label keys,
 * then, when keys->traefik is set, the names of its Traefik router rules (Host(...) of HTTP
 * routers, HostSNI(...) of TCP routers other than `*`; regexps and names under negation are
 * skipped; a malformed rule is logged and skipped; traefik.enable=false skips the rules). out is
 * cleared first. Each record's rank is its name's place in that order; joyride.host.ttl gives
 * every record its TTL (an invalid value is logged and the default TTL used). host_ip with type 0
 * means "no HOSTIP". A bad joyride.host.ip skips the whole container (logged): answering HOSTIP
 * instead would send clients to a host the container is explicitly not reachable on. */
enum docker_labels_result docker_labels_records(const struct docker_keys *keys,
                                                const struct docker_labels *labels,
                                                const struct rec_addr *host_ip,
                                                const char *container, struct rec_inputs *out);

#endif
