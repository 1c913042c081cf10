/* config/values.h — parsers for single configuration values (ports, numbers, booleans, durations,
 * addresses, base64, lists). They only parse; config.c turns a failure into a message. */
#ifndef JOYRIDE_CONFIG_VALUES_H
#define JOYRIDE_CONFIG_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decimal digits only (surrounding blanks allowed), value in [min, max]. */
bool cv_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* true or false (any case, surrounding blanks allowed); nothing else, so the message "true or
 * false" is the whole grammar. */
bool cv_bool(const char *s, bool *out);

/* A duration in milliseconds, at least 1 ms and at most max_ms: a number (integer or decimal) of
 * seconds, or a number followed by ms, s, m or h ("5", "1.5s", "500ms", "2m"). */
bool cv_duration_ms(const char *s, uint64_t max_ms, uint32_t *out);

/* An IPv4 (family 4), IPv6 (6) or either (0) literal; out gets its canonical text (46 bytes).
 * *family_out (may be NULL) gets 4 or 6. */
bool cv_ip(const char *s, int family, char out[46], int *family_out);

/* Standard base64 (padding optional, blanks not allowed). Returns the decoded length, or -1 when
 * the text is not base64 or does not fit in cap bytes. */
long cv_base64(const char *s, uint8_t *out, size_t cap);

/* Splits s on commas and blanks: calls cb for each non-empty item (NUL-terminated copy);
 * stops and returns false as soon as cb does (or on allocation failure). */
bool cv_split(const char *s, bool (*cb)(const char *item, void *ctx), void *ctx);

/* host:port, [v6]:port, or a bare host (port = default_port). host is a copy (caller frees).
 * Returns false when the form is wrong or the port is not 1-65535. */
bool cv_host_port(const char *s, uint16_t default_port, char **host, uint16_t *port);

/* A printable copy of s for messages: at most 60 characters, control characters as '?'. */
const char *cv_show(const char *s, char buf[80]);

#endif
