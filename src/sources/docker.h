/* sources/docker.h — Docker source: containers labelled joyride.host.name (or, with DOCKER_TRAEFIK,
 * with Traefik router rules) become records owned by this node ("docker:<container id>"), served
 * while the container runs and, when it has a HEALTHCHECK, is healthy; following the Engine API
 * event stream on its own thread. */
#ifndef JOYRIDE_SOURCES_DOCKER_H
#define JOYRIDE_SOURCES_DOCKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "records/records.h"

struct docker_config {
    const char *docker_host; /* as DOCKER_HOST: unix:///var/run/docker.sock or tcp://host:port */
    const char *labels;      /* comma-separated label keys, e.g. "joyride.host.name" */
    struct rec_addr host_ip; /* address names resolve to unless joyride.host.ip says otherwise */
    bool traefik;            /* DOCKER_TRAEFIK: Traefik router rules give names too */
};

enum docker_action {
    DOCKER_EV_START,
    DOCKER_EV_UNPAUSE,
    DOCKER_EV_DIE,
    DOCKER_EV_STOP,
    DOCKER_EV_KILL,
    DOCKER_EV_PAUSE,
    DOCKER_EV_DESTROY,
    DOCKER_EV_HEALTHY,         /* "health_status: healthy" */
    DOCKER_EV_UNHEALTHY,       /* "health_status: unhealthy" */
    DOCKER_EV_HEALTH_STARTING, /* "health_status: starting" */
    DOCKER_EV_OTHER,
    DOCKER_EV_COUNT
};
extern const char *const docker_action_names[DOCKER_EV_COUNT];

struct docker_status {
    bool running;   /* the monitor thread runs */
    bool connected; /* currently following the event stream */
    char api_version[16];
    size_t containers_tracked;
    char last_error[256];
    uint64_t events[DOCKER_EV_COUNT];
    uint64_t reconnects;
};

/* Checks DOCKER_HOST and DOCKER_LABELS as docker_source_start will read them; false with a
 * one-line message in err (e.g. for config validation at startup). */
bool docker_config_validate(const struct docker_config *cfg, char *err, size_t errlen);

/* Starts the monitor thread; never fails because the daemon is missing (it retries with backoff).
 * Returns NULL only on allocation failure. */
struct docker_source *docker_source_start(const struct docker_config *cfg, struct records *t);
/* Stops the thread (closing the event stream at once) and joins it. */
void docker_source_stop(struct docker_source *d);
/* Thread-safe. */
void docker_source_get_status(struct docker_source *d, struct docker_status *out);

#endif
