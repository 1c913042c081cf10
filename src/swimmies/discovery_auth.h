/* swimmies/discovery_auth.h — authenticated discovery messages: with a keyring, every
 * announce/heartbeat/goodbye travels inside a JSON envelope carrying a timestamp and an
 * HMAC-SHA256 over it and the plain message; receivers accept any key of the keyring (rotation),
 * a timestamp within a window of their own clock, and each MAC only once (a replay cache).
 *
 * Envelope: {"auth":"hmac-sha256","ts":<unix ms>,"payload":"<the plain JSON message>",
 *            "mac":"<64 hex digits>"}
 * MAC key: HMAC-SHA256(cluster key, "joyride discovery mac key"), so the AES-GCM key itself never
 * signs anything. MAC input: "joyride-discovery-v1" NUL, ts as 8 bytes big endian, payload. */
#ifndef SWIMMIES_DISCOVERY_AUTH_H
#define SWIMMIES_DISCOVERY_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "swimmies/keyring.h"

#define SWIM_DISC_MAC_LEN 32
#define SWIM_DISC_WINDOW_MS 30000 /* accepted clock difference, either way */
#define SWIM_DISC_REPLAY_SLOTS 512

enum swim_disc_verdict {
    SWIM_DISC_AUTH_OK,
    SWIM_DISC_AUTH_MALFORMED,       /* not JSON, or a broken envelope */
    SWIM_DISC_AUTH_UNAUTHENTICATED, /* JSON without an envelope (a plain message) */
    SWIM_DISC_AUTH_BAD_MAC,         /* no key of the keyring made this MAC */
    SWIM_DISC_AUTH_STALE,           /* timestamp outside the window */
    SWIM_DISC_AUTH_REPLAY           /* this MAC was accepted before */
};

/* MACs accepted recently, a ring whose oldest entry goes first (an entry older than the window
 * may go: the window check refuses its message anyway). The first half of a MAC is plenty to
 * recognise it. Zero-initialise. */
struct swim_disc_replay {
    uint8_t slot[SWIM_DISC_REPLAY_SLOTS][16];
    size_t head, n;
};

/* Wraps a plain message (len bytes of JSON) in an envelope signed with the keyring's primary key
 * at ts_ms. Returns the envelope's length, or -1 (no key, no room, crypto failure). */
int swim_disc_seal(const struct swim_keyring *kr, const char *payload, size_t len, uint64_t ts_ms,
                   char *out, size_t cap);

/* Checks an envelope against every key of kr, the window around now_ms and the replay cache
 * (which records it when accepted; NULL: no replay check). On SWIM_DISC_AUTH_OK the plain message
 * is copied, NUL-terminated, into payload (cap bytes) with its length in *payload_len and its
 * timestamp in *ts_ms. */
enum swim_disc_verdict swim_disc_open(const struct swim_keyring *kr, struct swim_disc_replay *rc,
                                      const char *pkt, size_t len, uint64_t now_ms,
                                      uint32_t window_ms, char *payload, size_t cap,
                                      size_t *payload_len, uint64_t *ts_ms);

const char *swim_disc_verdict_name(enum swim_disc_verdict v);

#endif
