/* keyring.h — AES-GCM keyring (OpenSSL EVP) and memberlist's encrypted UDP/TCP formats.
 *
 * Keys are 16, 24 or 32 bytes (AES-128/192/256-GCM). keys[0] is the primary: it encrypts;
 * decryption tries every installed key, primary first. Keys can be added, removed (never the
 * primary) and promoted at runtime, like memberlist's Keyring. The struct is public so it can be
 * embedded, but change it only through these functions. Not thread-safe: use it from one thread.
 *
 * Payload format (security.go): [vsn 1B][nonce 12B][ciphertext][tag 16B]. vsn 1 = no padding (what
 * we send), vsn 0 = plaintext PKCS7-padded to 16 bytes (accepted on input, can be produced for
 * tests). UDP: the whole datagram is the payload, no AAD. TCP: 0a + u32 BE payload length +
 * payload, the 5 header bytes are the AAD.
 */
#ifndef SWIMMIES_KEYRING_H
#define SWIMMIES_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "swimmies/proto.h" /* enum sw_status */

#define SW_KEYRING_MAX 16
#define SW_KEY_MAX 32
#define SW_ENC_VSN_SIZE 1
#define SW_ENC_NONCE_SIZE 12
#define SW_ENC_TAG_SIZE 16
#define SW_ENC_OVERHEAD 29  /* vsn 1: version + nonce + tag */
#define SW_ENC_TCP_HEADER 5 /* 0a + u32 length */

struct sw_key {
    uint8_t len; /* 16, 24 or 32 */
    uint8_t k[SW_KEY_MAX];
};

struct sw_keyring {
    struct sw_key keys[SW_KEYRING_MAX]; /* keys[0] is the primary */
    size_t n;
    uint64_t auth_failures; /* decryptions no installed key could authenticate */
};

/* Empty keyring (encryption disabled until a key is added). */
void sw_keyring_init(struct sw_keyring *kr);
/* Wipes the key material. */
void sw_keyring_clear(struct sw_keyring *kr);
/* True if at least one key is installed. NULL-safe. */
bool sw_keyring_enabled(const struct sw_keyring *kr);

/* Install a key. The first key added becomes the primary. Adding an installed key is a no-op.
 * Returns SW_OK, SW_EMALFORMED (bad length) or SW_ENOSPACE (SW_KEYRING_MAX keys). */
int sw_keyring_add(struct sw_keyring *kr, const uint8_t *key, size_t len);
/* Make an installed key the primary. SW_OK or SW_EMALFORMED if it is not installed. */
int sw_keyring_use(struct sw_keyring *kr, const uint8_t *key, size_t len);
/* Remove a key. Removing the primary is refused (SW_EMALFORMED); removing an unknown key is OK. */
int sw_keyring_remove(struct sw_keyring *kr, const uint8_t *key, size_t len);

/* Parse a base64 key (as printed by `serf keygen`). Returns the key length (16/24/32) written to
 * out[SW_KEY_MAX], or SW_EMALFORMED. */
int sw_key_from_base64(const char *s, uint8_t out[SW_KEY_MAX]);
/* Base64 of a key into out (NUL-terminated, needs 4*ceil(len/3)+1 bytes). Returns chars written. */
int sw_key_to_base64(const uint8_t *key, size_t len, char *out, size_t cap);

/* Size of an encrypted payload for a plaintext of len bytes at version vsn (0 or 1). */
size_t sw_encrypted_len(int vsn, size_t len);

/* Low level: encrypt msg with key into out as [vsn][nonce][ct][tag] with the given AAD.
 * nonce == NULL picks a random one (RAND_bytes). Returns length or -1. out may not overlap msg. */
ssize_t sw_encrypt_payload(const struct sw_key *key, int vsn, const uint8_t *nonce,
                           const uint8_t *msg, size_t len, const uint8_t *aad, size_t aad_len,
                           uint8_t *out, size_t cap);
/* Low level: try every key on [vsn][nonce][ct][tag]; plaintext (padding removed for vsn 0) into
 * out. Returns plaintext length, SW_EMALFORMED (too short), SW_EUNSUPPORTED (vsn > 1),
 * SW_ENOSPACE, or SW_EDECRYPT. Every failure except SW_ENOSPACE is counted in auth_failures.
 * out must not overlap payload. */
ssize_t sw_decrypt_payload(struct sw_keyring *kr, const uint8_t *payload, size_t len,
                           const uint8_t *aad, size_t aad_len, uint8_t *out, size_t cap);

/* In-place seal for building packets without a copy: the plaintext is already at
 * buf[13 .. 13+len); writes vsn 1 at buf[0], a random nonce at buf[1..13), encrypts in place and
 * appends the tag. Returns 13 + len + 16 or -1 (cap too small, crypto failure). */
ssize_t sw_seal_inplace(const struct sw_key *key, uint8_t *buf, size_t cap, size_t len,
                        const uint8_t *aad, size_t aad_len);

/* UDP: encrypt msg with the primary key (vsn 1). Returns datagram length or -1 (no key / no room).
 */
ssize_t sw_encrypt_udp(const struct sw_keyring *kr, const uint8_t *msg, size_t len, uint8_t *out,
                       size_t cap);
/* UDP: decrypt a datagram. Same results as sw_decrypt_payload. */
ssize_t sw_decrypt_udp(struct sw_keyring *kr, const uint8_t *pkt, size_t len, uint8_t *out,
                       size_t cap);

/* TCP: 0a + u32 BE length + payload (primary key, vsn 1, header as AAD). Returns length or -1. */
ssize_t sw_encrypt_tcp(const struct sw_keyring *kr, const uint8_t *msg, size_t len, uint8_t *out,
                       size_t cap);
/* TCP: in starts with 0a. Returns plaintext length and sets *consumed to the bytes of the stream
 * used; SW_ETRUNC if more bytes are needed; SW_ENOSPACE if the declared length exceeds 20 MiB or
 * cap; otherwise as sw_decrypt_payload. */
ssize_t sw_decrypt_tcp(struct sw_keyring *kr, const uint8_t *in, size_t len, uint8_t *out,
                       size_t cap, size_t *consumed);

#endif
