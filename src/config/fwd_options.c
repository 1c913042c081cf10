/* config/fwd_options.c — the forwarding lists: DNS_FORWARDERS (ip[:port], [v6]:port or a bare
 * IPv6 address), DNS_FORWARD_ZONES (zone=upstream) and DNS_FORWARD_ALLOW (CIDRs). Each list is
 * built in a vector and moved into struct config only when every item parsed. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/options.h"
#include "config/values.h"
#include "core/vec.h"

#define DNS_DEFAULT_PORT 53

/* ip, ip:port, [ip6]:port, or a bare ip6. */
static bool parse_upstream(const char *item, struct config_upstream *u)
{
    if (cv_ip(item, 0, u->ip, NULL)) {
        u->port = DNS_DEFAULT_PORT;
        return true;
    }
    char *host = NULL;
    bool ok = cv_host_port(item, DNS_DEFAULT_PORT, &host, &u->port) && cv_ip(host, 0, u->ip, NULL);
    free(host);
    return ok;
}

struct upstreams_ctx {
    struct {
        struct config_upstream *v;
        size_t n, cap;
    } list;
    char *msg;
    size_t msglen;
};

static bool add_upstream(const char *item, void *vctx)
{
    struct upstreams_ctx *x = vctx;
    struct config_upstream u;
    char shown[80];
    if (!parse_upstream(item, &u)) {
        snprintf(x->msg, x->msglen, "%s is not ip[:port] (IPv6 as [addr]:port)",
                 cv_show(item, shown));
        return false;
    }
    if (!vec_push(&x->list, u)) {
        snprintf(x->msg, x->msglen, "out of memory");
        return false;
    }
    return true;
}

/* A list value that is not blank but holds no item ("," or " , "): "" is how to say "none". */
static bool blank_list(const char *v, size_t n, const char *what, char *msg, size_t msglen)
{
    if (n > 0 || v[strspn(v, " \t\r\n")] == '\0')
        return false;
    char shown[80];
    snprintf(msg, msglen, "%s holds no %s (leave it empty for none)", cv_show(v, shown), what);
    return true;
}

bool config_set_forwarders(struct config *c, const char *v, char *msg, size_t msglen)
{
    struct upstreams_ctx x = {.msg = msg, .msglen = msglen};
    if (!cv_split(v, add_upstream, &x) || blank_list(v, x.list.n, "upstream", msg, msglen)) {
        vec_free(&x.list);
        return false;
    }
    free(c->dns_forwarders);
    c->dns_forwarders = x.list.v;
    c->n_dns_forwarders = x.list.n;
    return true;
}

struct zones_ctx {
    struct {
        struct config_forward_zone *v;
        size_t n, cap;
    } list;
    char *msg;
    size_t msglen;
};

static void free_zones(struct config_forward_zone *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].zone);
    free(v);
}

static bool add_zone(const char *item, void *vctx)
{
    struct zones_ctx *x = vctx;
    char shown[80];
    const char *eq = strchr(item, '=');
    char name[REC_NAME_MAX + 1], zone[REC_NAME_MAX + 2];
    struct config_forward_zone z = {0};
    if (!eq || (size_t)(eq - item) >= sizeof zone) {
        snprintf(x->msg, x->msglen, "%s is not zone=ip[:port]", cv_show(item, shown));
        return false;
    }
    memcpy(zone, item, (size_t)(eq - item));
    zone[eq - item] = '\0';
    if (!records_normalize_domain(zone, name)) {
        snprintf(x->msg, x->msglen, "%s: %s is not a valid domain name", cv_show(item, shown),
                 zone);
        return false;
    }
    if (!parse_upstream(eq + 1, &z.upstream)) {
        snprintf(x->msg, x->msglen, "%s: %s is not ip[:port] (IPv6 as [addr]:port)",
                 cv_show(item, shown), eq + 1);
        return false;
    }
    for (size_t i = 0; i < x->list.n; i++) {
        if (strcmp(x->list.v[i].zone, name) == 0) {
            snprintf(x->msg, x->msglen, "%s is given twice", name);
            return false;
        }
    }
    char *copy = strdup(name);
    if (!copy ||
        !vec_push(&x->list, ((struct config_forward_zone){.zone = copy, .upstream = z.upstream}))) {
        free(copy);
        snprintf(x->msg, x->msglen, "out of memory");
        return false;
    }
    return true;
}

bool config_set_forward_zones(struct config *c, const char *v, char *msg, size_t msglen)
{
    struct zones_ctx x = {.msg = msg, .msglen = msglen};
    if (!cv_split(v, add_zone, &x) || blank_list(v, x.list.n, "zone=ip[:port]", msg, msglen)) {
        free_zones(x.list.v, x.list.n);
        return false;
    }
    free_zones(c->dns_forward_zones, c->n_dns_forward_zones);
    c->dns_forward_zones = x.list.v;
    c->n_dns_forward_zones = x.list.n;
    return true;
}

struct cidrs_ctx {
    struct {
        struct config_cidr *v;
        size_t n, cap;
    } list;
    char *msg;
    size_t msglen;
};

static bool add_cidr(const char *item, void *vctx)
{
    struct cidrs_ctx *x = vctx;
    char shown[80], ip[64];
    struct config_cidr cidr = {0};
    const char *slash = strchr(item, '/');
    size_t il = slash ? (size_t)(slash - item) : strlen(item);
    uint64_t prefix = 0;
    bool ok = il < sizeof ip;
    if (ok) {
        memcpy(ip, item, il);
        ip[il] = '\0';
        if (inet_pton(AF_INET, ip, cidr.addr) == 1)
            cidr.family = 4;
        else if (inet_pton(AF_INET6, ip, cidr.addr) == 1)
            cidr.family = 6;
        else
            ok = false;
    }
    unsigned max = cidr.family == 4 ? 32 : 128;
    if (ok && slash)
        ok = cv_uint(slash + 1, 0, max, &prefix);
    else if (ok)
        prefix = max;
    if (!ok) {
        snprintf(x->msg, x->msglen, "%s is not an address or address/prefix", cv_show(item, shown));
        return false;
    }
    cidr.prefix = (unsigned)prefix;
    if (!vec_push(&x->list, cidr)) {
        snprintf(x->msg, x->msglen, "out of memory");
        return false;
    }
    return true;
}

bool config_set_forward_allow(struct config *c, const char *v, char *msg, size_t msglen)
{
    struct cidrs_ctx x = {.msg = msg, .msglen = msglen};
    if (!cv_split(v, add_cidr, &x) || blank_list(v, x.list.n, "network", msg, msglen)) {
        vec_free(&x.list);
        return false;
    }
    free(c->dns_forward_allow);
    c->dns_forward_allow = x.list.v;
    c->n_dns_forward_allow = x.list.n;
    return true;
}

void config_free_forward_lists(struct config *c)
{
    free(c->dns_forwarders);
    c->dns_forwarders = NULL;
    c->n_dns_forwarders = 0;
    free_zones(c->dns_forward_zones, c->n_dns_forward_zones);
    c->dns_forward_zones = NULL;
    c->n_dns_forward_zones = 0;
    free(c->dns_forward_allow);
    c->dns_forward_allow = NULL;
    c->n_dns_forward_allow = 0;
}
