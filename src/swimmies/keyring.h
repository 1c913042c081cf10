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

#include "swimmies/proto.h" /* enum swim_status */

#define SWIM_KEYRING_MAX 16
#define SWIM_KEY_MAX 32
#define SWIM_ENC_VSN_SIZE 1
#define SWIM_ENC_NONCE_SIZE 12
#define SWIM_ENC_TAG_SIZE 16
#define SWIM_ENC_OVERHEAD 29  /* vsn 1: version + nonce + tag */
#define SWIM_ENC_TCP_HEADER 5 /* 0a + u32 length */

struct swim_key {
    uint8_t len; /* 16, 24 or 32 */
    uint8_t k[SWIM_KEY_MAX];
};

struct swim_keyring {
    struct swim_key keys[SWIM_KEYRING_MAX]; /* keys[0] is the primary */
    size_t n;
    uint64_t auth_failures; /* decryptions no installed key could authenticate */
};

/* Empty keyring (encryption disabled until a key is added). */
void swim_keyring_init(struct swim_keyring *kr);
/* Wipes the key material. */
void swim_keyring_clear(struct swim_keyring *kr);
/* True if at least one key is installed. NULL-safe. */
bool swim_keyring_enabled(const struct swim_keyring *kr);

/* Install a key. The first key added becomes the primary. Adding an installed key is a no-op.
 * Returns SWIM_OK, SWIM_EMALFORMED (bad length) or SWIM_ENOSPACE (SWIM_KEYRING_MAX keys). */
int swim_keyring_add(struct swim_keyring *kr, const uint8_t *key, size_t len);
/* Make an installed key the primary. SWIM_OK or SWIM_EMALFORMED if it is not installed. */
int swim_keyring_use(struct swim_keyring *kr, const uint8_t *key, size_t len);
/* Remove a key. Removing the primary is refused (SWIM_EMALFORMED); removing an unknown key is OK.
 */
int swim_keyring_remove(struct swim_keyring *kr, const uint8_t *key, size_t len);

/* Parse a base64 key (as printed by `serf keygen`). Returns the key length (16/24/32) written to
 * out[SWIM_KEY_MAX], or SWIM_EMALFORMED. */
int swim_key_from_base64(const char *s, uint8_t out[SWIM_KEY_MAX]);
/* Base64 of a key into out (NUL-terminated, needs 4*ceil(len/3)+1 bytes). Returns chars written. */
int swim_key_to_base64(const uint8_t *key, size_t len, char *out, size_t cap);

/* Size of an encrypted payload for a plaintext of len bytes at version vsn (0 or 1). */
size_t swim_encrypted_len(int vsn, size_t len);

/* Low level: encrypt msg with key into out as [vsn][nonce][ct][tag] with the given AAD.
 * nonce == NULL picks a random one (RAND_bytes). Returns length or -1. out may not overlap msg. */
ssize_t swim_encrypt_payload(const struct swim_key *key, int vsn, const uint8_t *nonce,
                             const uint8_t *msg, size_t len, const uint8_t *aad, size_t aad_len,
                             uint8_t *out, size_t cap);
/* Low level: try every key on [vsn][nonce][ct][tag]; plaintext (padding removed for vsn 0) into
 * out. Returns plaintext length, SWIM_EMALFORMED (too short), SWIM_EUNSUPPORTED (vsn > 1),
 * SWIM_ENOSPACE, or SWIM_EDECRYPT. Every failure except SWIM_ENOSPACE is counted in auth_failures.
 * out must not overlap payload. */
ssize_t swim_decrypt_payload(struct swim_keyring *kr, const uint8_t *payload, size_t len,
                             const uint8_t *aad, size_t aad_len, uint8_t *out, size_t cap);

/* In-place seal for building packets without a copy: the plaintext is already at
 * buf[13 .. 13+len); writes vsn 1 at buf[0], a random nonce at buf[1..13), encrypts in place and
 * appends the tag. Returns 13 + len + 16 or -1 (cap too small, crypto failure). */
ssize_t swim_seal_inplace(const struct swim_key *key, uint8_t *buf, size_t cap, size_t len,
                          const uint8_t *aad, size_t aad_len);

/* UDP: encrypt msg with the primary key (vsn 1). Returns datagram length or -1 (no key / no room).
 */
ssize_t swim_encrypt_udp(const struct swim_keyring *kr, const uint8_t *msg, size_t len,
                         uint8_t *out, size_t cap);
/* UDP: decrypt a datagram. Same results as swim_decrypt_payload. */
ssize_t swim_decrypt_udp(struct swim_keyring *kr, const uint8_t *pkt, size_t len, uint8_t *out,
                         size_t cap);

/* TCP: 0a + u32 BE length + payload (primary key, vsn 1, header as AAD). Returns length or -1. */
ssize_t swim_encrypt_tcp(const struct swim_keyring *kr, const uint8_t *msg, size_t len,
                         uint8_t *out, size_t cap);
/* TCP: in starts with 0a. Returns plaintext length and sets *consumed to the bytes of the stream
 * used; SWIM_ETRUNC if more bytes are needed; SWIM_ENOSPACE if the declared length exceeds 20 MiB
 * or cap; otherwise as swim_decrypt_payload. */
ssize_t swim_decrypt_tcp(struct swim_keyring *kr, const uint8_t *in, size_t len, uint8_t *out,
                         size_t cap, size_t *consumed);

#endif
