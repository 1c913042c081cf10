/* cli/health.c — `joyride health`: one HTTP GET of /health over a plain TCP socket with a bounded
 * wait, against the address and port the configuration gives (the same flags, environment and
 * .env as the server reads), so a container's HEALTHCHECK needs no curl or shell. */
#include "cli/cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "core/loop.h"

extern char **environ;

#define HEALTH_TIMEOUT_MS 3000

static void usage(FILE *out)
{
    fprintf(out,
            "usage: joyride health [--http-port PORT] [--http-bind-address ADDR] [...]\n"
            "Asks the running joyride's GET /health (the address and port come from the same\n"
            "flags, environment and .env as joyride's; 0.0.0.0 and :: are asked on loopback).\n"
            "Exit status: 0 healthy, 1 not healthy or unreachable, 2 usage error.\n");
}

/* The address to connect to for a bind address: wildcards mean this host's loopback. */
static int target(const char *bind, uint16_t port, struct sockaddr_storage *ss, socklen_t *len,
                  char *shown, size_t shownlen)
{
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    memset(ss, 0, sizeof *ss);
    if (inet_pton(AF_INET, bind, &in4->sin_addr) == 1) {
        if (in4->sin_addr.s_addr == htonl(INADDR_ANY))
            in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        *len = sizeof *in4;
        char a[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &in4->sin_addr, a, sizeof a);
        snprintf(shown, shownlen, "%s:%u", a, port);
        return 0;
    }
    if (inet_pton(AF_INET6, bind, &in6->sin6_addr) == 1) {
        if (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
            in6->sin6_addr = in6addr_loopback;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        *len = sizeof *in6;
        char a[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof a);
        snprintf(shown, shownlen, "[%s]:%u", a, port);
        return 0;
    }
    return -1;
}

/* Waits for events on fd until the deadline; 1 ready, 0 timed out, -1 error (errno). */
static int wait_fd(int fd, short events, uint64_t deadline_ms)
{
    for (;;) {
        uint64_t now = loop_now_ms();
        if (now >= deadline_ms)
            return 0;
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, (int)(deadline_ms - now));
        if (r > 0)
            return 1;
        if (r == 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

/* GET /health; returns 0 when the answer is 200 with "status":"healthy", else 1 with why. */
static int ask(const struct sockaddr_storage *ss, socklen_t len, const char *host, char *why,
               size_t whylen)
{
    uint64_t deadline = loop_now_ms() + HEALTH_TIMEOUT_MS;
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(why, whylen, "socket: %s", strerror(errno));
        return 1;
    }
    int rc = 1;
    if (connect(fd, (const struct sockaddr *)ss, len) != 0 && errno != EINPROGRESS) {
        snprintf(why, whylen, "%s", strerror(errno));
        goto out;
    }
    int w = wait_fd(fd, POLLOUT, deadline);
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (w <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0) {
        snprintf(why, whylen, "%s", w == 0 ? "connect timed out" : strerror(soerr ? soerr : errno));
        goto out;
    }
    char req[256];
    int n =
        snprintf(req, sizeof req,
                 "GET /health HTTP/1.0\r\nHost: %s\r\nUser-Agent: joyride-health\r\n\r\n", host);
    if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
        snprintf(why, whylen, "send: %s", strerror(errno));
        goto out;
    }
    char resp[4096];
    size_t got = 0;
    for (;;) {
        w = wait_fd(fd, POLLIN, deadline);
        if (w <= 0) {
            snprintf(why, whylen, "%s", w == 0 ? "no answer in time" : strerror(errno));
            goto out;
        }
        ssize_t r = recv(fd, resp + got, sizeof resp - 1 - got, 0);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (r < 0) {
            snprintf(why, whylen, "recv: %s", strerror(errno));
            goto out;
        }
        if (r == 0 || (got += (size_t)r) == sizeof resp - 1)
            break;
    }
    resp[got] = '\0';
    /* "HTTP/1.1 200 OK": the status code follows the first space */
    const char *sp = strncmp(resp, "HTTP/", 5) == 0 ? strchr(resp, ' ') : NULL;
    char *end = NULL;
    long status = sp ? strtol(sp + 1, &end, 10) : 0;
    if (!sp || end == sp + 1 || status < 100 || status > 999) {
        snprintf(why, whylen, "not an HTTP answer");
    } else if (status != 200) {
        snprintf(why, whylen, "HTTP %ld", status);
    } else if (!strstr(resp, "\"status\":\"healthy\"")) {
        snprintf(why, whylen, "answer does not say healthy");
    } else {
        rc = 0;
    }
out:
    close(fd);
    return rc;
}

int cli_health(int argc, char **argv)
{
    struct config cfg;
    char err[512];
    switch (config_parse(&cfg, argc, argv, environ, ".env", err, sizeof err)) {
    case CONFIG_HELP:
        usage(stdout);
        return 0;
    case CONFIG_VERSION:
        config_print_version(stdout);
        return 0;
    case CONFIG_ERROR:
        fprintf(stderr, "joyride health: %s\n", err);
        usage(stderr);
        return 2;
    case CONFIG_OK:
        break;
    }
    struct sockaddr_storage ss;
    socklen_t len;
    char shown[80];
    int rc = 2;
    if (target(cfg.http_bind_address, cfg.http_port, &ss, &len, shown, sizeof shown) != 0) {
        fprintf(stderr, "joyride health: HTTP_BIND_ADDRESS %s is not an IP address\n",
                cfg.http_bind_address);
    } else {
        char why[256];
        rc = ask(&ss, len, shown, why, sizeof why);
        if (rc == 0)
            printf("healthy: http://%s/health\n", shown);
        else
            fprintf(stderr, "joyride health: http://%s/health: %s\n", shown, why);
    }
    config_free(&cfg);
    return rc;
}
