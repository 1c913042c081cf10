/* sources/docker_json.h — decoding the Engine API's JSON into plain C structs: one event of the
 * /events stream, the /containers/json list, a /containers/{id}/json inspect and /version; and
 * encoding the query filters. Pure, no I/O. The only file of the Docker source that sees JSON. */
#ifndef JOYRIDE_SOURCES_DOCKER_JSON_H
#define JOYRIDE_SOURCES_DOCKER_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sources/docker.h"
#include "sources/docker_labels.h"

#define DOCKER_ID_MAX 64     /* full container id: 64 lowercase hex digits */
#define DOCKER_CNAME_MAX 128 /* container name as shown in logs (longer ones are cut) */

/* What an event does to the container's records: ADD means "running", published as its health
 * allows. */
enum docker_effect { DOCKER_EFFECT_NONE, DOCKER_EFFECT_ADD, DOCKER_EFFECT_REMOVE };

/* A running container's health as far as an input tells it. Served: NONE and HEALTHY. */
enum docker_health {
    DOCKER_HEALTH_UNKNOWN,  /* this input does not say (a start event): inspect */
    DOCKER_HEALTH_NONE,     /* no HEALTHCHECK: served while running */
    DOCKER_HEALTH_STARTING, /* first checks pending */
    DOCKER_HEALTH_HEALTHY,
    DOCKER_HEALTH_UNHEALTHY,
};
extern const char *const docker_health_names[DOCKER_HEALTH_UNHEALTHY + 1];

struct docker_event {
    enum docker_action action;
    enum docker_effect effect;
    char id[DOCKER_ID_MAX + 1];
    char name[DOCKER_CNAME_MAX + 1]; /* from Actor.Attributes.name; "" when absent */
    int signal;                      /* kill: the signal number; -1 when absent */
    int64_t time_nano;               /* 0 when absent */
    enum docker_health health;       /* health_status events; UNKNOWN for the others */
    struct docker_labels attributes; /* Actor.Attributes (labels live here); owned */
};

enum docker_decode {
    DOCKER_DECODE_OK,     /* a container event; ev is filled */
    DOCKER_DECODE_IGNORE, /* valid JSON but not a container event (other Type) */
    DOCKER_DECODE_BAD,    /* malformed: err says why */
};

/* Decodes one line of the event stream (without its newline). On OK the caller frees ev. */
enum docker_decode docker_event_decode(const char *buf, size_t len, struct docker_event *ev,
                                       char *err, size_t errlen);
void docker_event_free(struct docker_event *ev);

/* "start" -> DOCKER_EV_START, "health_status: healthy" -> DOCKER_EV_HEALTHY, ...; anything else
 * is DOCKER_EV_OTHER. */
enum docker_action docker_action_parse(const char *s);

/* The effect of an action: start/unpause and the health_status ones add; die/stop/pause/destroy
 * remove; kill removes only
 * for SIGKILL/SIGTERM or when the event names no signal (signal < 0): `docker kill -s HUP` is a
 * reload, not a stop; if the container does die, its die event removes. */
enum docker_effect docker_action_effect(enum docker_action a, int signal);

/* A container as listed or inspected. */
struct docker_container {
    char id[DOCKER_ID_MAX + 1];
    char name[DOCKER_CNAME_MAX + 1]; /* without the leading '/' */
    bool running;                    /* running and not paused */
    /* inspect: from State.Health.Status (absent: NONE); list: from its Health.Status when the API
     * has it, else from the Status text ("Up 3 minutes (healthy)", "(health: starting)") */
    enum docker_health health;
    struct docker_labels labels; /* owned */
};
void docker_container_free(struct docker_container *c);

/* Decodes a /containers/json body; cb is called for each valid entry (entries without a valid
 * Id are skipped and counted in *skipped, which may be NULL); cb may take over c->labels (leaving
 * it zeroed), whatever is left is freed after it returns. Returns false on a malformed body or
 * when memory runs out. */
bool docker_list_decode(const char *body, size_t len,
                        void (*cb)(struct docker_container *c, void *ctx), void *ctx,
                        size_t *skipped, char *err, size_t errlen);

/* Decodes a /containers/{id}/json body. On success the caller frees out (docker_container_free). */
bool docker_inspect_decode(const char *body, size_t len, struct docker_container *out, char *err,
                           size_t errlen);

/* Decodes a JSON object of labels (as in Config.Labels); false when it is not an object or
 * memory runs out. On success the caller frees out. */
bool docker_labels_decode(const char *json, size_t len, struct docker_labels *out);

/* ApiVersion from a /version body; false when absent or not a valid version. */
bool docker_version_decode(const char *body, size_t len, char out[16]);

/* The compact JSON of the `filters` query parameter, malloc'd (NULL when memory runs out): the
 * running containers with label key `label` (NULL: every running container) for the list, the
 * container events that change records (health_status ones included) for the event stream. */
char *docker_list_filter_json(const char *label);
char *docker_events_filter_json(void);

/* Full container id: exactly 64 lowercase hex digits. */
bool docker_id_valid(const char *s);

#endif
