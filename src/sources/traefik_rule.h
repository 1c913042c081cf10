/* sources/traefik_rule.h — a recursive-descent parser for Traefik router rules (v2 and v3
 * syntax) that reports the host names a rule matches: the arguments of Host, HostSNI and the
 * regexp forms, outside any negation. Pure, no allocation.
 *
 * Grammar (whitespace allowed between tokens):
 *   rule    := or
 *   or      := and ( "||" and )*
 *   and     := unary ( "&&" unary )*
 *   unary   := "!" unary | "(" or ")" | matcher
 *   matcher := NAME "(" string ( "," string )* ")"
 *   string  := "`" raw "`" | '"' chars with Go escapes '"'
 * Matcher names are the ones Traefik v2 and v3 define (Host, HostSNI, PathPrefix, Header(s), ...),
 * case-insensitive as v2 accepts them; any other name makes the rule invalid, as Traefik refuses
 * such a router. */
#ifndef JOYRIDE_SOURCES_TRAEFIK_RULE_H
#define JOYRIDE_SOURCES_TRAEFIK_RULE_H

#include <stdbool.h>
#include <stddef.h>

#define TRAEFIK_RULE_DEPTH_MAX 64 /* nesting of parentheses and negations */
#define TRAEFIK_STRING_MAX 1024   /* one decoded string literal */

enum traefik_host_kind {
    TRAEFIK_HOST,            /* Host (and v2's HostHeader) */
    TRAEFIK_HOST_REGEXP,     /* HostRegexp */
    TRAEFIK_HOST_SNI,        /* HostSNI (TCP routers) */
    TRAEFIK_HOST_SNI_REGEXP, /* HostSNIRegexp (v3 TCP routers) */
};

/* Called for each argument of a host matcher that is not under an odd number of negations, in
 * the rule's order; value is the decoded string (not NUL-terminated, may hold any byte). */
typedef void (*traefik_host_cb)(enum traefik_host_kind kind, const char *value, size_t len,
                                void *ctx);

/* Parses rule (len bytes). On a syntax error returns false with a one-line message in err and
 * calls cb for nothing; otherwise calls cb for every host (cb may be NULL: validation only). */
bool traefik_rule_hosts(const char *rule, size_t len, traefik_host_cb cb, void *ctx, char *err,
                        size_t errlen);

#endif
