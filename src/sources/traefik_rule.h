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

/* The wildcard record a HostRegexp / HostSNIRegexp argument maps to cleanly: a pattern whose
 * leftmost part matches any label(s) and whose rest is a literal domain, as
 *   v2 templates  {sub}.example.com   {sub:[a-z0-9-]+}.example.com   {sub:.+}.example.com
 *   v3 regexps    ^[^.]+\.example\.com$   ^.+\.example\.com$   ^[a-z0-9-]+\.example\.com$
 * where the leftmost part is one atom ('.', "[^.]", "\w" or a bracket class of letters, digits,
 * '-' and '_') repeated with '+' or '*'. Writes "*.example.com" (not validated or lowercased) to
 * out and returns true; otherwise returns false with the reason in *why (static text). The
 * wildcard answers for every name below the domain, a superset of what a narrower class
 * matches: the names it adds go to the same router, which does not match them. */
bool traefik_regexp_wildcard(const char *re, size_t len, char *out, size_t outlen,
                             const char **why);

#endif
