/* config/config.h — Joyride's configuration: every setting from --flags, the environment and a .env
 * file (flags win over the environment, the environment over .env, .env over the defaults),
 * validated into typed fields. Parsing never prints and never exits: errors come back as one
 * line of text naming the variable, flag or .env line the user wrote and the value, so main()
 * decides what to do and tests can call it freely. An empty value is an error except where ""
 * means something (HOSTS_DIRECTORY, DNS_DOMAINS, DNS_NS_NAMES, CLUSTER_SEEDS, CLUSTER_SECRET,
 * API_TOKEN, DNS_FORWARDERS, DNS_FORWARD_ZONES). */
#ifndef JOYRIDE_CONFIG_H
#define JOYRIDE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/log.h"
#include "records/records.h"

#define CONFIG_ADDR_MAX 46     /* INET6_ADDRSTRLEN */
#define CONFIG_KEY_MAX 32      /* AES-256 */
#define CONFIG_MAX_NS_NAMES 32 /* DNS_NS_NAMES entries (the DNS server answers this many) */

/* What the DNS server does with a name it has no record for (app.c maps it to the server's own
 * enum, so config needs nothing from dns/). */
enum config_unknown_action { CONFIG_UNKNOWN_NXDOMAIN, CONFIG_UNKNOWN_REFUSED, CONFIG_UNKNOWN_DROP };
/* DNS_PTR: which records answer reverse queries for their address. */
enum config_ptr_mode { CONFIG_PTR_HOSTS, CONFIG_PTR_ALL, CONFIG_PTR_OFF };

enum config_node_failure { CONFIG_FAILURE_WITHDRAW, CONFIG_FAILURE_KEEP };

struct config_seed {
    char *host; /* IP literal or host name, without brackets */
    uint16_t port;
};

struct config_key {
    size_t len; /* 16, 24 or 32 */
    uint8_t bytes[CONFIG_KEY_MAX];
};

/* An upstream resolver: an IP literal and a port (53 unless given). */
struct config_upstream {
    char ip[CONFIG_ADDR_MAX];
    uint16_t port;
};

/* Conditional forwarding: names at or under zone go to upstream. */
struct config_forward_zone {
    char *zone; /* normalized (lowercase, no trailing dot) */
    struct config_upstream upstream;
};

/* A network: family 4 or 6, the address bytes (IPv4 in the first 4) and the prefix length. */
struct config_cidr {
    int family;
    uint8_t addr[16];
    unsigned prefix;
};

/* Where the user gave an option's value, as they wrote it, for messages. */
struct config_origin {
    const char *env; /* the option's variable ("HTTP_PORT"; static storage) */
    char *where;     /* "HTTP_PORT", "FLASK_PORT", "--http-port" or ".env:3: HTTP_PORT" */
};

struct config {
    /* DNS */
    char dns_bind_address[CONFIG_ADDR_MAX];
    uint16_t dns_port;
    uint32_t dns_ttl;
    enum config_unknown_action dns_unknown_action;
    enum config_ptr_mode dns_ptr;
    char **dns_domains; /* normalized (lowercase, no trailing dot), de-duplicated */
    size_t n_dns_domains;
    char **dns_ns_names; /* DNS_NS_NAMES, normalized, de-duplicated; empty: derived per node */
    size_t n_dns_ns_names;
    int dns_workers;
    uint32_t dns_tcp_idle_timeout_ms;
    int dns_tcp_max_connections;
    struct config_upstream *dns_forwarders; /* empty: no default forwarding */
    size_t n_dns_forwarders;
    struct config_forward_zone *dns_forward_zones;
    size_t n_dns_forward_zones;
    struct config_cidr *dns_forward_allow;
    size_t n_dns_forward_allow;
    uint32_t dns_forward_timeout_ms;
    int dns_cache_size;
    uint32_t dns_cache_min_ttl, dns_cache_max_ttl;

    /* HTTP */
    char http_bind_address[CONFIG_ADDR_MAX];
    uint16_t http_port;
    char *api_token;        /* "" : writes over the API are off (403) */
    char *api_records_file; /* the API records file */

    /* Identity and sources */
    char hostip[CONFIG_ADDR_MAX];
    struct rec_addr hostip_addr;
    bool hostip_detected; /* true when HOSTIP was not given and came from the default route */
    char node_id[REC_OWNER_MAX + 1];
    char *hosts_directory; /* "" disables the hosts source */
    char *docker_host;   /* one line of text; app.c checks it against the Docker source's grammar */
    char *docker_labels; /* comma-separated label keys, trimmed */
    bool docker_traefik; /* Traefik router rules give names too */

    /* Cluster (parsed and validated; used by the sync layer) */
    bool enable_dns_sync;
    uint16_t swim_port;
    char cluster_bind_address[CONFIG_ADDR_MAX];
    uint16_t discovery_port; /* 0: discovery off */
    char discovery_broadcast[CONFIG_ADDR_MAX];
    uint32_t discovery_interval_ms;
    uint32_t discovery_timeout_ms;
    struct config_seed *cluster_seeds;
    size_t n_cluster_seeds;
    struct config_key *cluster_keys; /* first is primary */
    size_t n_cluster_keys;
    enum config_node_failure records_on_node_failure;
    uint32_t swim_probe_interval_ms;
    uint32_t swim_probe_timeout_ms;
    uint32_t swim_gossip_interval_ms;
    uint32_t swim_suspicion_mult;
    uint32_t swim_gossip_nodes;
    uint32_t swim_pushpull_interval_ms;

    /* Presentation and logging */
    enum log_level log_level;
    char *service_name;
    char *environment;
    char *semantic_version;

    /* options the user set (a core/vec.h vector); read with config_where */
    struct {
        struct config_origin *v;
        size_t n, cap;
    } origins;
};

enum config_result {
    CONFIG_OK,      /* cfg is filled; release with config_free */
    CONFIG_HELP,    /* --help/-h was given: print config_print_help, exit 0 */
    CONFIG_VERSION, /* --version/-V was given: print config_print_version, exit 0 */
    CONFIG_ERROR,   /* err holds one line (no trailing newline): "DNS_PORT: 70000 is not a port" */
};

/* Builds cfg from argv[1..argc), envp (NULL-terminated "KEY=VALUE" strings; NULL for none) and
 * the .env file at dotenv_path (NULL or a missing file: none). Nothing is printed; on any result
 * other than CONFIG_OK, cfg holds nothing that needs freeing. */
enum config_result config_parse(struct config *cfg, int argc, char *const argv[],
                                char *const envp[], const char *dotenv_path, char *err,
                                size_t errlen);
void config_free(struct config *cfg);

/* How the user named the option whose variable is env ("--docker-host", ".env:3: DOCKER_HOST",
 * "FLASK_PORT"), or env itself when the value is the default. For messages: "<where>: <problem>".
 */
const char *config_where(const struct config *c, const char *env);

/* The usage text: every option with its environment variable and default. */
void config_print_help(FILE *out, const char *prog);
void config_print_version(FILE *out);

/* Address of the interface on the default route (a UDP socket connected to a public address,
 * which sends nothing; then getsockname), or "127.0.0.1". buf holds CONFIG_ADDR_MAX bytes. */
void config_detect_hostip(char *buf, size_t len);

/* The default NODE_ID (node_id.c): joyride-<pid> when the PID tells hosts apart (not PID 1 and in
 * the initial PID namespace); otherwise (a container) joyride-<hostname>, else joyride-<first 12
 * characters of machine_id>, else joyride-<pid>. Pure; characters a node id refuses become '-'. */
void config_default_node_id(char *out, size_t len, long pid, bool own_pid_namespace,
                            const char *hostname, const char *machine_id);
/* Whether this process is PID 1 or in a PID namespace other than the initial one. */
bool config_in_own_pid_namespace(void);
/* config_default_node_id for this process (getpid, gethostname, /etc/machine-id). */
void config_node_id_here(char *out, size_t len);

/* Number of CPUs this process may run on (at least 1). */
int config_cpu_count(void);

/* Name of an unknown-name action ("nxdomain", "refused", "drop"). */
const char *config_unknown_action_name(enum config_unknown_action a);
/* Name of a DNS_PTR mode ("hosts", "all", "off"). */
const char *config_ptr_mode_name(enum config_ptr_mode m);

#endif
