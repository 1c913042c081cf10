/* docker_host.c — DOCKER_HOST parsing (the docker CLI's rules, plain HTTP only) and API version
 * strings. */
#include "sources/docker_host.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool fail(char *err, size_t errlen, const char *msg, const char *what)
{
    if (err && errlen)
        snprintf(err, errlen, "DOCKER_HOST %s: %s", msg, what);
    return false;
}

static bool parse_unix(const char *path, struct docker_endpoint *out, char *err, size_t errlen)
{
    if (*path == '\0') /* the docker CLI would use the default socket; a lost path is a mistake */
        return fail(err, errlen, "unix socket path is empty", "unix://");
    if (path[0] != '/')
        return fail(err, errlen, "unix socket path must be absolute", path);
    if (strlen(path) > DOCKER_UNIX_PATH_MAX)
        return fail(err, errlen, "unix socket path too long (max 107 bytes)", path);
    out->is_unix = true;
    snprintf(out->unix_path, sizeof out->unix_path, "%s", path);
    /* curl needs a host in the URL; the daemon ignores it on a unix socket */
    snprintf(out->base_url, sizeof out->base_url, "http://localhost");
    snprintf(out->display, sizeof out->display, "unix://%s", path);
    return true;
}

/* host[:port][/base]; host may be a bracketed IPv6 literal. Empty host means 127.0.0.1 (the CLI's
 * default), a missing port 2375 (plain HTTP). */
static bool parse_tcp(const char *spec, struct docker_endpoint *out, char *err, size_t errlen)
{
    const char *slash = strchr(spec, '/');
    size_t hp_len = slash ? (size_t)(slash - spec) : strlen(spec);
    const char *base = slash ? slash : "";
    char hostport[300];
    if (hp_len >= sizeof hostport)
        return fail(err, errlen, "address too long", spec);
    memcpy(hostport, spec, hp_len);
    hostport[hp_len] = '\0';

    char host[sizeof hostport];
    const char *port = NULL;
    if (hostport[0] == '[') {
        char *close = strchr(hostport, ']');
        if (!close)
            return fail(err, errlen, "unterminated IPv6 literal", spec);
        size_t hl = (size_t)(close - hostport) + 1;
        memcpy(host, hostport, hl);
        host[hl] = '\0';
        if (close[1] == ':')
            port = close + 2;
        else if (close[1] != '\0')
            return fail(err, errlen, "junk after IPv6 literal", spec);
    } else {
        char *colon = strrchr(hostport, ':');
        if (colon) {
            if (strchr(hostport, ':') != colon)
                return fail(err, errlen, "IPv6 literal needs brackets", spec);
            *colon = '\0';
            port = colon + 1;
        }
        snprintf(host, sizeof host, "%s", hostport[0] ? hostport : "127.0.0.1");
        for (const char *p = host; *p; p++) {
            if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != '_')
                return fail(err, errlen, "bad host name", spec);
        }
    }
    long portnum = 2375;
    if (port && *port) {
        char *end;
        portnum = strtol(port, &end, 10);
        if (*end != '\0' || portnum < 1 || portnum > 65535 || !isdigit((unsigned char)*port))
            return fail(err, errlen, "bad port", spec);
    } else if (port) {
        return fail(err, errlen, "empty port", spec);
    }
    size_t blen = strlen(base);
    while (blen > 0 && base[blen - 1] == '/')
        blen--;
    for (size_t i = 0; i < blen; i++) {
        unsigned char c = (unsigned char)base[i];
        if (c <= ' ' || c >= 0x7f || c == '?' || c == '#')
            return fail(err, errlen, "bad base path", spec);
    }
    out->is_unix = false;
    int n = snprintf(out->base_url, sizeof out->base_url, "http://%s:%ld%.*s", host, portnum,
                     (int)blen, base);
    if (n < 0 || (size_t)n >= sizeof out->base_url)
        return fail(err, errlen, "address too long", spec);
    snprintf(out->display, sizeof out->display, "tcp://%s:%ld", host, portnum);
    return true;
}

bool docker_endpoint_parse(const char *docker_host, struct docker_endpoint *out, char *err,
                           size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (err && errlen)
        err[0] = '\0';
    const char *s = docker_host && *docker_host ? docker_host : DOCKER_DEFAULT_HOST;
    const char *sep = strstr(s, "://");
    /* The docker CLI reads a value without a scheme as tcp://value:2375, so a typo ("abc") or a
     * bare socket path ("/var/run/docker.sock") silently becomes a TCP address: refuse it. */
    if (!sep)
        return fail(err, errlen, "has no scheme (use unix:///path or tcp://host:port)", s);
    size_t slen = (size_t)(sep - s);
    const char *rest = sep + 3;
    if (slen == 4 && strncmp(s, "unix", 4) == 0)
        return parse_unix(rest, out, err, errlen);
    /* http:// is refused as by the docker CLI ("invalid bind address format") */
    if (slen == 3 && strncmp(s, "tcp", 3) == 0)
        return parse_tcp(rest, out, err, errlen);
    return fail(err, errlen, "scheme not supported (use unix:// or tcp://)", s);
}

static bool parse_part(const char **p, unsigned *out)
{
    unsigned v = 0;
    int digits = 0;
    while (isdigit((unsigned char)**p)) {
        if (++digits > 4)
            return false;
        v = v * 10 + (unsigned)(**p - '0');
        (*p)++;
    }
    *out = v;
    return digits > 0;
}

bool docker_api_version_valid(const char *v)
{
    if (!v || strlen(v) > DOCKER_API_VERSION_MAX)
        return false;
    unsigned a, b;
    const char *p = v;
    if (!parse_part(&p, &a) || *p++ != '.' || !parse_part(&p, &b))
        return false;
    return *p == '\0';
}

int docker_api_version_cmp(const char *a, const char *b)
{
    unsigned a1 = 0, a2 = 0, b1 = 0, b2 = 0;
    const char *p = a, *q = b;
    parse_part(&p, &a1);
    if (*p == '.')
        p++;
    parse_part(&p, &a2);
    parse_part(&q, &b1);
    if (*q == '.')
        q++;
    parse_part(&q, &b2);
    if (a1 != b1)
        return a1 < b1 ? -1 : 1;
    if (a2 != b2)
        return a2 < b2 ? -1 : 1;
    return 0;
}
