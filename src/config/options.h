/* config/options.h — the option table (private to config/): each option's environment variable,
 * --flag, default, help text and how its value is parsed. options.c holds the table, the value
 * setters and --help; config.c layers defaults < .env < environment < flags over it. */
#ifndef JOYRIDE_CONFIG_OPTIONS_H
#define JOYRIDE_CONFIG_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

#define CONFIG_MAX_WORKERS 1024

enum opt_kind {
    K_PORT,   /* uint16_t, 1-65535 */
    K_PORT0,  /* uint16_t, 0-65535 (0 disables) */
    K_BIND,   /* char[46], IPv4 or IPv6 literal */
    K_IPV4,   /* char[46], IPv4 literal */
    K_UINT32, /* uint32_t in [min, max] */
    K_INT,    /* int in [min, max] */
    K_MS,     /* uint32_t milliseconds */
    K_BOOL,   /* bool */
    K_TEXT,   /* char *, one printable line */
    K_CUSTOM, /* set() */
};

struct opt {
    const char *group;   /* starts a new group in --help when set */
    const char *env;     /* DNS_PORT */
    const char *alias;   /* another accepted variable name (FLASK_PORT), or NULL */
    const char *flag;    /* dns-port */
    const char *metavar; /* PORT */
    const char *def;     /* default value text; NULL: computed after parsing (def_help says how) */
    const char *def_help;
    const char *help;
    enum opt_kind kind;
    bool empty_ok; /* "" is a value; otherwise a blank value is an error (unset it instead) */
    size_t off;
    uint64_t min, max;
    bool (*set)(struct config *c, const char *v, char *msg, size_t msglen);
};

#define CONFIG_N_OPTS 47
extern const struct opt config_opts[CONFIG_N_OPTS];

/* Parses v into o's field of c. On failure returns false with the problem in msg, without the
 * variable's name ("70000 is not a port (1-65535)"). */
bool config_opt_set(struct config *c, const struct opt *o, const char *v, char *msg, size_t msglen);

/* Setters of the forwarding lists (fwd_options.c): DNS_FORWARDERS, DNS_FORWARD_ZONES,
 * DNS_FORWARD_ALLOW. Each builds the whole list before replacing the old one. */
bool config_set_forwarders(struct config *c, const char *v, char *msg, size_t msglen);
bool config_set_forward_zones(struct config *c, const char *v, char *msg, size_t msglen);
bool config_set_forward_allow(struct config *c, const char *v, char *msg, size_t msglen);
void config_free_forward_lists(struct config *c);

/* Frees the lists config_opt_set built (domains, seeds, keys) and empties them. */
void config_free_lists(struct config *c);

#endif
