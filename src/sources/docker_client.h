/* sources/docker_client.h — a small HTTP client for the Engine API on libcurl's multi interface:
 * plain requests and one long-lived event stream, driven by the single thread that owns the client;
 * any other thread may interrupt every wait at once (curl_multi_wakeup). */
#ifndef JOYRIDE_SOURCES_DOCKER_CLIENT_H
#define JOYRIDE_SOURCES_DOCKER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "sources/docker_host.h"

#define DOCKER_BODY_MAX (64u << 20)   /* largest response body accepted */
#define DOCKER_STREAM_MAX (16u << 20) /* unconsumed event-stream bytes before we give up */

enum docker_io {
    DOCKER_IO_OK,
    DOCKER_IO_ERROR,   /* transport or protocol error: err says what */
    DOCKER_IO_TIMEOUT, /* nothing within the time asked for (stream_next) */
    DOCKER_IO_STOPPED, /* docker_client_interrupt was called */
};

struct docker_client;

/* Returns NULL on allocation failure. curl_global_init must have been called. */
struct docker_client *docker_client_new(const struct docker_endpoint *ep);
void docker_client_free(struct docker_client *c);
/* Thread-safe, async-signal-unsafe: every current and later wait returns DOCKER_IO_STOPPED. */
void docker_client_interrupt(struct docker_client *c);
bool docker_client_interrupted(struct docker_client *c);

struct docker_response {
    long status; /* HTTP status */
    char *body;  /* NUL-terminated; free with docker_response_free */
    size_t len;
    char api_version[DOCKER_API_VERSION_MAX + 1]; /* the Api-Version header, "" when absent */
    long long date; /* the Date header (daemon clock, Unix seconds), 0 when absent */
};
void docker_response_free(struct docker_response *r);

/* GET base_url + path (path starts with '/'). The event stream, when open, keeps buffering
 * meanwhile. OK means an HTTP response arrived (any status). */
enum docker_io docker_client_get(struct docker_client *c, const char *path, long timeout_ms,
                                 struct docker_response *r, char *err, size_t errlen);

/* Waits ms milliseconds or until interrupted (OK or STOPPED). Over a unix socket the wait also
 * ends (OK) as soon as the socket file is created again, i.e. when the daemon starts. */
enum docker_io docker_client_sleep(struct docker_client *c, long ms);

/* Opens the event stream and waits until its response headers are in with status 200: from then
 * on the daemon has registered us and buffers every event for us. */
enum docker_io docker_stream_open(struct docker_client *c, const char *path, long timeout_ms,
                                  char *err, size_t errlen);
/* The next complete line of the stream (without "\r\n"; empty lines are skipped). *line stays
 * valid until the next docker_stream_* call. ERROR when the stream ended or failed. */
enum docker_io docker_stream_next(struct docker_client *c, const char **line, size_t *len,
                                  long timeout_ms, char *err, size_t errlen);
/* Bytes received on the stream but not yet returned by docker_stream_next. */
size_t docker_stream_pending(struct docker_client *c);
void docker_stream_close(struct docker_client *c);

#endif
