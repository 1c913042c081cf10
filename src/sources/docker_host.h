/* sources/docker_host.h — where the Docker Engine listens: DOCKER_HOST parsed as the docker CLI
 * reads it (unix:///path, tcp://host:port[/base]; stricter than the CLI: no scheme-less values,
 * no http://, no empty unix path), and API version strings. Pure.
 */
#ifndef JOYRIDE_SOURCES_DOCKER_HOST_H
#define JOYRIDE_SOURCES_DOCKER_HOST_H

#include <stdbool.h>
#include <stddef.h>

#define DOCKER_DEFAULT_HOST "unix:///var/run/docker.sock"
#define DOCKER_UNIX_PATH_MAX 107 /* sizeof(sockaddr_un.sun_path) - 1 */
#define DOCKER_URL_MAX 512
#define DOCKER_API_VERSION_MAX 15
#define DOCKER_API_MIN "1.24" /* oldest API whose list/events filters we rely on */

struct docker_endpoint {
    bool is_unix;
    char unix_path[DOCKER_UNIX_PATH_MAX + 1]; /* set when is_unix */
    /* URL prefix every request path is appended to: "http://localhost" over a unix socket,
     * "http://host:port" or "http://host:port/base" over TCP; never ends with '/'. */
    char base_url[DOCKER_URL_MAX];
    char display[DOCKER_URL_MAX]; /* for logs: "unix:///path" or "tcp://host:port" */
};

/* NULL or "" means the default unix socket. Returns false with a message in err for a value
 * without a scheme, schemes we do not speak (http://, ssh://, fd://, npipe://), a bad port, or
 * an empty, relative or too long unix socket path. */
bool docker_endpoint_parse(const char *docker_host, struct docker_endpoint *out, char *err,
                           size_t errlen);

/* "1.41": digits '.' digits, each part at most 4 digits. */
bool docker_api_version_valid(const char *v);
/* Compares two valid versions numerically (1.9 < 1.10); returns <0, 0, >0. */
int docker_api_version_cmp(const char *a, const char *b);

#endif
