/* http/routes.c — the endpoint table and method/path routing (404 for unknown paths, 405 with
 * the Allow header for a known path asked with another method). */
#include <string.h>

#include "http/internal.h"

const struct http_endpoint http_endpoints[] = {
    {"/", "GET, HEAD", "status page", ROUTE_PAGE},
    {"/health", "GET, HEAD", "liveness: status, timestamp, service, version", ROUTE_HEALTH},
    {"/status", "GET, HEAD", "service, DNS server, Docker and hosts monitors, cluster",
     ROUTE_STATUS},
    {"/dns/records", "GET, HEAD",
     "every record served, with its source and owner node (?limit=&offset=&name=)", ROUTE_RECORDS},
    {"/dns/explain", "GET, HEAD",
     "what this node answers for ?name=&type= and why: every record with its source and state",
     ROUTE_EXPLAIN},
    {"/dns/cluster", "GET, HEAD", "cluster membership and sync statistics", ROUTE_CLUSTER},
    {"/dns/sync", "POST", "start an immediate full sync with every member", ROUTE_SYNC},
    {"/metrics", "GET, HEAD", "Prometheus metrics", ROUTE_METRICS},
};
const size_t http_n_endpoints = sizeof http_endpoints / sizeof http_endpoints[0];

static bool method_allowed(const char *methods, const char *method)
{
    size_t n = strlen(method);
    const char *p = methods;
    while ((p = strstr(p, method)) != NULL) {
        bool start = p == methods || p[-1] == ' ';
        bool end = p[n] == '\0' || p[n] == ',';
        if (start && end)
            return true;
        p += n;
    }
    return false;
}

enum http_route http_route_find(const char *method, const char *path, const char **allow)
{
    for (size_t i = 0; i < http_n_endpoints; i++) {
        const struct http_endpoint *e = &http_endpoints[i];
        if (strcmp(e->path, path) != 0)
            continue;
        if (method[0] && method_allowed(e->methods, method))
            return e->route;
        if (allow)
            *allow = e->methods;
        return ROUTE_BAD_METHOD;
    }
    return ROUTE_NOT_FOUND;
}
