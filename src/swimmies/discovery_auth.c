/* swimmies/discovery_auth.c — the signed discovery envelope (HMAC-SHA256, OpenSSL): sealing with
 * the primary key, opening with any key, the timestamp window and the replay cache. */
#include "swimmies/discovery_auth.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#define CONTEXT "joyride-discovery-v1"
#define KEY_LABEL "joyride discovery mac key"
#define INPUT_MAX 4096

/* The MAC key of one cluster key (domain separation from its AES-GCM use). */
static bool mac_key(const struct swim_key *k, uint8_t out[SWIM_DISC_MAC_LEN])
{
    unsigned int n = 0;
    return HMAC(EVP_sha256(), k->k, k->len, (const uint8_t *)KEY_LABEL, strlen(KEY_LABEL), out,
                &n) != NULL &&
           n == SWIM_DISC_MAC_LEN;
}

static bool compute_mac(const struct swim_key *k, uint64_t ts_ms, const char *payload, size_t len,
                        uint8_t out[SWIM_DISC_MAC_LEN])
{
    uint8_t key[SWIM_DISC_MAC_LEN];
    uint8_t in[INPUT_MAX];
    size_t ctx_len = sizeof CONTEXT; /* with its NUL */
    if (ctx_len + 8 + len > sizeof in || !mac_key(k, key))
        return false;
    memcpy(in, CONTEXT, ctx_len);
    for (int i = 0; i < 8; i++)
        in[ctx_len + (size_t)i] = (uint8_t)(ts_ms >> (56 - 8 * i));
    memcpy(in + ctx_len + 8, payload, len);
    unsigned int n = 0;
    bool ok = HMAC(EVP_sha256(), key, sizeof key, in, ctx_len + 8 + len, out, &n) != NULL &&
              n == SWIM_DISC_MAC_LEN;
    OPENSSL_cleanse(key, sizeof key);
    return ok;
}

static void to_hex(const uint8_t *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = 0;
}

static int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool from_hex(const char *s, size_t len, uint8_t *out, size_t n)
{
    if (len != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        int hi = hex_val(s[2 * i]), lo = hex_val(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

int swim_disc_seal(const struct swim_keyring *kr, const char *payload, size_t len, uint64_t ts_ms,
                   char *out, size_t cap)
{
    uint8_t mac[SWIM_DISC_MAC_LEN];
    char hex[2 * SWIM_DISC_MAC_LEN + 1];
    if (!swim_keyring_enabled(kr) || !compute_mac(&kr->keys[0], ts_ms, payload, len, mac))
        return -1;
    to_hex(mac, sizeof mac, hex);
    json_t *env = json_pack("{s:s, s:I, s:s%, s:s}", "auth", "hmac-sha256", "ts", (json_int_t)ts_ms,
                            "payload", payload, len, "mac", hex);
    if (!env)
        return -1;
    size_t n = json_dumpb(env, out, cap, JSON_COMPACT);
    json_decref(env);
    return n == 0 || n > cap ? -1 : (int)n;
}

static bool replay_seen(const struct swim_disc_replay *rc, const uint8_t *mac)
{
    for (size_t i = 0; i < rc->n; i++)
        if (memcmp(rc->slot[i], mac, sizeof rc->slot[i]) == 0)
            return true;
    return false;
}

static void replay_add(struct swim_disc_replay *rc, const uint8_t *mac)
{
    size_t i = rc->head;
    if (rc->n < SWIM_DISC_REPLAY_SLOTS)
        i = rc->n++;
    else
        rc->head = (rc->head + 1) % SWIM_DISC_REPLAY_SLOTS; /* overwrites the oldest */
    memcpy(rc->slot[i], mac, sizeof rc->slot[i]);
}

enum swim_disc_verdict swim_disc_open(const struct swim_keyring *kr, struct swim_disc_replay *rc,
                                      const char *pkt, size_t len, uint64_t now_ms,
                                      uint32_t window_ms, char *payload, size_t cap,
                                      size_t *payload_len, uint64_t *ts_ms)
{
    json_t *root = json_loadb(pkt, len, JSON_REJECT_DUPLICATES, NULL);
    if (!root)
        return SWIM_DISC_AUTH_MALFORMED;
    enum swim_disc_verdict v = SWIM_DISC_AUTH_MALFORMED;
    json_t *auth = json_is_object(root) ? json_object_get(root, "auth") : NULL;
    json_t *ts = json_object_get(root, "ts");
    json_t *body = json_object_get(root, "payload");
    json_t *mac_s = json_object_get(root, "mac");
    uint8_t got[SWIM_DISC_MAC_LEN], want[SWIM_DISC_MAC_LEN];
    if (!json_is_object(root) || (!auth && !mac_s)) {
        v = json_is_object(root) ? SWIM_DISC_AUTH_UNAUTHENTICATED : SWIM_DISC_AUTH_MALFORMED;
        goto done;
    }
    if (!json_is_string(auth) || strcmp(json_string_value(auth), "hmac-sha256") != 0 ||
        !json_is_integer(ts) || json_integer_value(ts) < 0 || !json_is_string(body) ||
        !json_is_string(mac_s) ||
        !from_hex(json_string_value(mac_s), json_string_length(mac_s), got, sizeof got))
        goto done;
    uint64_t t = (uint64_t)json_integer_value(ts);
    const char *p = json_string_value(body);
    size_t plen = json_string_length(body);
    bool match = false;
    for (size_t i = 0; kr && i < kr->n && !match; i++)
        match = compute_mac(&kr->keys[i], t, p, plen, want) &&
                CRYPTO_memcmp(want, got, sizeof got) == 0;
    if (!match) {
        v = SWIM_DISC_AUTH_BAD_MAC;
        goto done;
    }
    if ((t > now_ms ? t - now_ms : now_ms - t) > window_ms) {
        v = SWIM_DISC_AUTH_STALE;
        goto done;
    }
    if (rc && replay_seen(rc, got)) {
        v = SWIM_DISC_AUTH_REPLAY;
        goto done;
    }
    if (plen >= cap)
        goto done;
    if (rc)
        replay_add(rc, got);
    memcpy(payload, p, plen);
    payload[plen] = 0;
    *payload_len = plen;
    *ts_ms = t;
    v = SWIM_DISC_AUTH_OK;
done:
    json_decref(root);
    return v;
}

const char *swim_disc_verdict_name(enum swim_disc_verdict v)
{
    switch (v) {
    case SWIM_DISC_AUTH_OK:
        return "ok";
    case SWIM_DISC_AUTH_MALFORMED:
        return "malformed";
    case SWIM_DISC_AUTH_UNAUTHENTICATED:
        return "unauthenticated";
    case SWIM_DISC_AUTH_BAD_MAC:
        return "bad MAC";
    case SWIM_DISC_AUTH_STALE:
        return "timestamp outside the window";
    case SWIM_DISC_AUTH_REPLAY:
        return "replayed";
    }
    return "?";
}
