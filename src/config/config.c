/* config/config.c — the layering of defaults < .env < environment < flags over the option table
 * (options.c) into a validated struct config, the checks across options, and the computed
 * defaults (HOSTIP from the default route, the CPU count, NODE_ID from node_id.c). */
#include "config/config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/dotenv.h"
#include "config/options.h"
#include "config/values.h"
#include "core/vec.h"

/* ---- helpers used by defaults ---- */

const char *config_unknown_action_name(enum config_unknown_action a)
{
    switch (a) {
    case CONFIG_UNKNOWN_NXDOMAIN:
        return "nxdomain";
    case CONFIG_UNKNOWN_REFUSED:
        return "refused";
    case CONFIG_UNKNOWN_DROP:
        return "drop";
    }
    return "?";
}

const char *config_ptr_mode_name(enum config_ptr_mode m)
{
    switch (m) {
    case CONFIG_PTR_HOSTS:
        return "hosts";
    case CONFIG_PTR_ALL:
        return "all";
    case CONFIG_PTR_OFF:
        return "off";
    }
    return "?";
}

void config_detect_hostip(char *buf, size_t len)
{
    snprintf(buf, len, "127.0.0.1");
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    /* connect() on a UDP socket only picks the route and source address; nothing is sent.
     * 192.0.2.1 (TEST-NET-1) is not local, so it follows the default route. */
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(53)};
    inet_pton(AF_INET, "192.0.2.1", &dst.sin_addr);
    struct sockaddr_in me = {0};
    socklen_t mlen = sizeof me;
    if (connect(fd, (struct sockaddr *)&dst, sizeof dst) == 0 &&
        getsockname(fd, (struct sockaddr *)&me, &mlen) == 0 && me.sin_addr.s_addr != 0) {
        char tmp[INET_ADDRSTRLEN];
        if (inet_ntop(AF_INET, &me.sin_addr, tmp, sizeof tmp))
            snprintf(buf, len, "%s", tmp);
    }
    close(fd);
}

int config_cpu_count(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0)
            return n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)(n > CONFIG_MAX_WORKERS ? CONFIG_MAX_WORKERS : n) : 1;
}

/* ---- layering ---- */

static const char *env_lookup(char *const envp[], const char *name)
{
    if (!envp || !name)
        return NULL;
    size_t n = strlen(name);
    for (size_t i = 0; envp[i]; i++)
        if (strncmp(envp[i], name, n) == 0 && envp[i][n] == '=')
            return envp[i] + n + 1;
    return NULL;
}

/* Where an option's value came from, named as the user wrote it: "--http-port", "FLASK_PORT",
 * ".env:3: HTTP_PORT". */
struct origin {
    char where[96];
};

/* A blank value ("" or only blanks) of an option that gives "" no meaning is an error, never a
 * silent default: unset the variable to get the default. */
static bool blank_value(const char *v)
{
    for (; *v; v++)
        if (*v != ' ' && *v != '\t' && *v != '\r' && *v != '\n')
            return false;
    return true;
}

static const struct dotenv_entry *dot_entry(const struct dotenv *d, const char *key)
{
    for (size_t i = 0; key && i < d->n; i++)
        if (strcmp(d->v[i].key, key) == 0)
            return &d->v[i];
    return NULL;
}

static const struct opt *find_flag(const char *name, size_t len)
{
    for (size_t i = 0; i < CONFIG_N_OPTS; i++)
        if (strlen(config_opts[i].flag) == len && strncmp(config_opts[i].flag, name, len) == 0)
            return &config_opts[i];
    return NULL;
}

/* Reads argv into flag_vals; returns CONFIG_OK, CONFIG_HELP, CONFIG_VERSION or CONFIG_ERROR. */
static enum config_result read_flags(int argc, char *const argv[], const char *flag_vals[],
                                     char *err, size_t errlen)
{
    char shown[80];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            return CONFIG_HELP;
        if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0)
            return CONFIG_VERSION;
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            snprintf(err, errlen, "unexpected argument %s (see --help)", cv_show(a, shown));
            return CONFIG_ERROR;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const struct opt *o = find_flag(name, len);
        if (!o) {
            snprintf(err, errlen, "unknown option %s (see --help)", cv_show(a, shown));
            return CONFIG_ERROR;
        }
        const char *v;
        if (eq) {
            v = eq + 1;
        } else if (o->kind == K_BOOL) {
            /* --enable-dns-sync alone means true; a following word that is not an option is its
             * value (and must be true or false) */
            if (i + 1 < argc && argv[i + 1][0] != '-')
                v = argv[++i];
            else
                v = "true";
        } else if (i + 1 < argc) {
            v = argv[++i];
        } else {
            snprintf(err, errlen, "--%s needs a value", o->flag);
            return CONFIG_ERROR;
        }
        flag_vals[o - config_opts] = v;
    }
    return CONFIG_OK;
}

static void set_defaults(struct config *c)
{
    *c = (struct config){0};
    c->log_level = LOG_INFO;
}

static bool apply(struct config *c, const struct opt *o, const char *v, const char *where,
                  char *err, size_t errlen)
{
    char msg[200];
    if (!o->empty_ok && blank_value(v)) {
        snprintf(err, errlen, "%s: empty value (unset it for the default, %s)", where,
                 o->def ? o->def : o->def_help);
        return false;
    }
    if (config_opt_set(c, o, v, msg, sizeof msg))
        return true;
    snprintf(err, errlen, "%s: %s", where, msg);
    return false;
}

/* Remembers where a value the user gave came from, for config_where. */
static bool remember(struct config *c, const char *env, const char *where, char *err, size_t errlen)
{
    struct config_origin *o = vec_push_zero(&c->origins);
    if (!o || !(o->where = strdup(where))) {
        if (o)
            c->origins.n--;
        snprintf(err, errlen, "out of memory");
        return false;
    }
    o->env = env;
    return true;
}

const char *config_where(const struct config *c, const char *env)
{
    for (size_t i = 0; i < c->origins.n; i++)
        if (strcmp(c->origins.v[i].env, env) == 0)
            return c->origins.v[i].where;
    return env;
}

static bool check_combinations(struct config *c, char *err, size_t errlen)
{
#define W(env) config_where(c, env)
    if (c->swim_probe_timeout_ms > c->swim_probe_interval_ms) {
        snprintf(err, errlen, "%s: %ums is longer than %s (%ums)", W("SWIM_PROBE_TIMEOUT"),
                 c->swim_probe_timeout_ms, W("SWIM_PROBE_INTERVAL"), c->swim_probe_interval_ms);
        return false;
    }
    if (c->discovery_timeout_ms < c->discovery_interval_ms) {
        snprintf(err, errlen, "%s: %ums is shorter than %s (%ums)", W("DISCOVERY_TIMEOUT"),
                 c->discovery_timeout_ms, W("DISCOVERY_INTERVAL"), c->discovery_interval_ms);
        return false;
    }
    if (c->enable_dns_sync && c->discovery_port != 0 && c->discovery_port == c->swim_port) {
        snprintf(err, errlen, "%s: %u is also %s", W("DISCOVERY_PORT"), c->discovery_port,
                 W("SWIM_PORT"));
        return false;
    }
    if (c->n_dns_ns_names > 0 && c->n_dns_domains == 0) {
        snprintf(err, errlen, "%s: NS names need %s (the zones they serve)", W("DNS_NS_NAMES"),
                 W("DNS_DOMAINS"));
        return false;
    }
    bool overlap = strcmp(c->dns_bind_address, c->http_bind_address) == 0 ||
                   strcmp(c->dns_bind_address, "0.0.0.0") == 0 ||
                   strcmp(c->http_bind_address, "0.0.0.0") == 0 ||
                   strcmp(c->dns_bind_address, "::") == 0 ||
                   strcmp(c->http_bind_address, "::") == 0;
    if (overlap && c->dns_port == c->http_port) {
        snprintf(err, errlen, "%s: %u is also %s (both listen on TCP)", W("HTTP_PORT"),
                 c->http_port, W("DNS_PORT"));
        return false;
    }
    return true;
#undef W
}

enum config_result config_parse(struct config *cfg, int argc, char *const argv[],
                                char *const envp[], const char *dotenv_path, char *err,
                                size_t errlen)
{
    const char *vals[CONFIG_N_OPTS] = {0};
    const char *flag_vals[CONFIG_N_OPTS] = {0};
    struct origin where[CONFIG_N_OPTS];
    bool user_set[CONFIG_N_OPTS];
    struct dotenv dot = {0};
    enum config_result r;

    set_defaults(cfg);
    if (errlen)
        err[0] = '\0';
    r = read_flags(argc, argv, flag_vals, err, errlen);
    if (r != CONFIG_OK)
        return r;
    if (dotenv_read(dotenv_path, &dot, err, errlen) != 0)
        return CONFIG_ERROR;

    /* each layer: the option's own name first, then its alias; later layers win */
    const char *dot_name = dotenv_path ? dotenv_path : ".env";
    for (size_t i = 0; i < CONFIG_N_OPTS; i++) {
        const struct opt *o = &config_opts[i];
        const char *v = o->def;
        char *w = where[i].where;
        snprintf(w, sizeof where[i].where, "%s", o->env);
        const struct dotenv_entry *d = dot_entry(&dot, o->env);
        if (!d)
            d = dot_entry(&dot, o->alias);
        if (d) {
            v = d->value;
            snprintf(w, sizeof where[i].where, "%s:%d: %s", dot_name, d->line, d->key);
        }
        const char *e = env_lookup(envp, o->env);
        const char *ename = o->env;
        if (!e && o->alias) {
            e = env_lookup(envp, o->alias);
            ename = o->alias;
        }
        if (e) {
            v = e;
            snprintf(w, sizeof where[i].where, "%s", ename);
        }
        if (flag_vals[i]) {
            v = flag_vals[i];
            snprintf(w, sizeof where[i].where, "--%s", o->flag);
        }
        vals[i] = v;
        user_set[i] = d || e || flag_vals[i];
    }

    bool ok = true;
    for (size_t i = 0; i < CONFIG_N_OPTS && ok; i++) {
        if (vals[i])
            ok = apply(cfg, &config_opts[i], vals[i], where[i].where, err, errlen);
        if (ok && user_set[i])
            ok = remember(cfg, config_opts[i].env, where[i].where, err, errlen);
    }
    dotenv_free(&dot);

    if (ok) {
        /* computed defaults */
        if (!cfg->hostip[0]) {
            config_detect_hostip(cfg->hostip, sizeof cfg->hostip);
            records_parse_addr(cfg->hostip, &cfg->hostip_addr);
            cfg->hostip_detected = true;
        }
        if (!cfg->node_id[0])
            config_node_id_here(cfg->node_id, sizeof cfg->node_id);
        if (!cfg->dns_workers)
            cfg->dns_workers = config_cpu_count();
        if (!cfg->discovery_timeout_ms) {
            uint64_t t = 3ull * cfg->discovery_interval_ms;
            cfg->discovery_timeout_ms = t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
        }
        for (size_t i = 0; i < cfg->n_cluster_seeds; i++)
            if (cfg->cluster_seeds[i].port == 0)
                cfg->cluster_seeds[i].port = cfg->swim_port;
        ok = check_combinations(cfg, err, errlen);
    }
    if (!ok) {
        config_free(cfg);
        return CONFIG_ERROR;
    }
    return CONFIG_OK;
}

void config_free(struct config *cfg)
{
    for (size_t i = 0; i < cfg->origins.n; i++)
        free(cfg->origins.v[i].where);
    vec_free(&cfg->origins);
    config_free_lists(cfg);
    free(cfg->hosts_directory);
    free(cfg->docker_host);
    free(cfg->api_token);
    free(cfg->api_records_file);
    free(cfg->docker_labels);
    free(cfg->service_name);
    free(cfg->environment);
    free(cfg->semantic_version);
    set_defaults(cfg);
}
