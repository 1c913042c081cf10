/* keyring.c — AES-GCM keyring over OpenSSL EVP and memberlist's UDP/TCP encryption formats. */
#include "swimmies/keyring.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define HDR (SWIM_ENC_VSN_SIZE + SWIM_ENC_NONCE_SIZE)
#define AES_BLOCK 16

void swim_keyring_init(struct swim_keyring *kr)
{
    memset(kr, 0, sizeof *kr);
}

void swim_keyring_clear(struct swim_keyring *kr)
{
    OPENSSL_cleanse(kr->keys, sizeof kr->keys);
    kr->n = 0;
}

bool swim_keyring_enabled(const struct swim_keyring *kr)
{
    return kr && kr->n > 0;
}

static bool valid_len(size_t len)
{
    return len == 16 || len == 24 || len == 32;
}

static int find(const struct swim_keyring *kr, const uint8_t *key, size_t len)
{
    for (size_t i = 0; i < kr->n; i++)
        if (kr->keys[i].len == len && CRYPTO_memcmp(kr->keys[i].k, key, len) == 0)
            return (int)i;
    return -1;
}

int swim_keyring_add(struct swim_keyring *kr, const uint8_t *key, size_t len)
{
    if (!valid_len(len))
        return SWIM_EMALFORMED;
    if (find(kr, key, len) >= 0)
        return SWIM_OK;
    if (kr->n >= SWIM_KEYRING_MAX)
        return SWIM_ENOSPACE;
    kr->keys[kr->n].len = (uint8_t)len;
    memcpy(kr->keys[kr->n].k, key, len);
    kr->n++;
    return SWIM_OK;
}

int swim_keyring_use(struct swim_keyring *kr, const uint8_t *key, size_t len)
{
    int i = find(kr, key, len);
    if (i < 0)
        return SWIM_EMALFORMED;
    if (i > 0) {
        /* Primary first, the others keep their order (memberlist installKeys). */
        struct swim_key k = kr->keys[i];
        memmove(&kr->keys[1], &kr->keys[0], (size_t)i * sizeof(struct swim_key));
        kr->keys[0] = k;
        OPENSSL_cleanse(&k, sizeof k);
    }
    return SWIM_OK;
}

int swim_keyring_remove(struct swim_keyring *kr, const uint8_t *key, size_t len)
{
    int i = find(kr, key, len);
    if (i == 0)
        return SWIM_EMALFORMED;
    if (i > 0) {
        memmove(&kr->keys[i], &kr->keys[i + 1], (kr->n - (size_t)i - 1) * sizeof(struct swim_key));
        kr->n--;
        OPENSSL_cleanse(&kr->keys[kr->n], sizeof(struct swim_key));
    }
    return SWIM_OK;
}

/* ---- base64 ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64val(char c)
{
    const char *p = c ? strchr(b64, c) : NULL;
    return p ? (int)(p - b64) : -1;
}

int swim_key_from_base64(const char *s, uint8_t out[SWIM_KEY_MAX])
{
    uint8_t tmp[SWIM_KEY_MAX + 3];
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    size_t pad = 0;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    for (; *s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r'; s++) {
        if (*s == '=') {
            pad++;
            continue;
        }
        int v = b64val(*s);
        if (v < 0 || pad)
            return SWIM_EMALFORMED;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= sizeof tmp)
                return SWIM_EMALFORMED;
            tmp[n++] = (uint8_t)(acc >> bits);
        }
    }
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    /* Leftover bits must be zero and padding must complete a quantum. */
    if (*s || pad > 2 || (acc & ((1u << bits) - 1)) != 0 || bits >= 6)
        return SWIM_EMALFORMED;
    if (pad && (size_t)(bits / 2) != pad)
        return SWIM_EMALFORMED;
    if (!valid_len(n)) {
        OPENSSL_cleanse(tmp, sizeof tmp);
        return SWIM_EMALFORMED;
    }
    memcpy(out, tmp, n);
    OPENSSL_cleanse(tmp, sizeof tmp);
    return (int)n;
}

int swim_key_to_base64(const uint8_t *key, size_t len, char *out, size_t cap)
{
    size_t need = 4 * ((len + 2) / 3) + 1;
    if (cap < need)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)key[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)key[i + 1] << 8;
        if (i + 2 < len)
            v |= key[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? b64[v & 63] : '=';
    }
    out[o] = 0;
    return (int)o;
}

/* ---- AES-GCM ---- */

size_t swim_encrypted_len(int vsn, size_t len)
{
    if (vsn >= 1)
        return HDR + len + SWIM_ENC_TAG_SIZE;
    return HDR + len + (AES_BLOCK - len % AES_BLOCK) + SWIM_ENC_TAG_SIZE;
}

static const EVP_CIPHER *cipher_for(const struct swim_key *key)
{
    switch (key->len) {
    case 16:
        return EVP_aes_128_gcm();
    case 24:
        return EVP_aes_192_gcm();
    case 32:
        return EVP_aes_256_gcm();
    default:
        return NULL;
    }
}

/* GCM seal of in[0..len) to out (may be the same pointer) with tag written to tag. */
static int gcm_seal(const struct swim_key *key, const uint8_t *nonce, const uint8_t *in, size_t len,
                    const uint8_t *aad, size_t aad_len, uint8_t *out, uint8_t *tag)
{
    const EVP_CIPHER *c = cipher_for(key);
    EVP_CIPHER_CTX *ctx = c ? EVP_CIPHER_CTX_new() : NULL;
    int ok = ctx != NULL, outl = 0;
    ok = ok && EVP_EncryptInit_ex(ctx, c, NULL, NULL, NULL) == 1;
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SWIM_ENC_NONCE_SIZE, NULL) == 1;
    ok = ok && EVP_EncryptInit_ex(ctx, NULL, NULL, key->k, nonce) == 1;
    if (ok && aad_len)
        ok = EVP_EncryptUpdate(ctx, NULL, &outl, aad, (int)aad_len) == 1;
    if (ok && len)
        ok = EVP_EncryptUpdate(ctx, out, &outl, in, (int)len) == 1;
    ok = ok && EVP_EncryptFinal_ex(ctx, out + len, &outl) == 1;
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SWIM_ENC_TAG_SIZE, tag) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok ? 0 : -1;
}

/* GCM open: ct[0..len) with tag into out. 0 on success, -1 if it does not authenticate. */
static int gcm_open(const struct swim_key *key, const uint8_t *nonce, const uint8_t *ct, size_t len,
                    const uint8_t *tag, const uint8_t *aad, size_t aad_len, uint8_t *out)
{
    const EVP_CIPHER *c = cipher_for(key);
    EVP_CIPHER_CTX *ctx = c ? EVP_CIPHER_CTX_new() : NULL;
    int ok = ctx != NULL, outl = 0;
    uint8_t tagbuf[SWIM_ENC_TAG_SIZE];
    memcpy(tagbuf, tag, sizeof tagbuf);
    ok = ok && EVP_DecryptInit_ex(ctx, c, NULL, NULL, NULL) == 1;
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SWIM_ENC_NONCE_SIZE, NULL) == 1;
    ok = ok && EVP_DecryptInit_ex(ctx, NULL, NULL, key->k, nonce) == 1;
    if (ok && aad_len)
        ok = EVP_DecryptUpdate(ctx, NULL, &outl, aad, (int)aad_len) == 1;
    if (ok && len)
        ok = EVP_DecryptUpdate(ctx, out, &outl, ct, (int)len) == 1;
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SWIM_ENC_TAG_SIZE, tagbuf) == 1;
    ok = ok && EVP_DecryptFinal_ex(ctx, out + len, &outl) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok ? 0 : -1;
}

ssize_t swim_encrypt_payload(const struct swim_key *key, int vsn, const uint8_t *nonce,
                             const uint8_t *msg, size_t len, const uint8_t *aad, size_t aad_len,
                             uint8_t *out, size_t cap)
{
    if ((vsn != 0 && vsn != 1) || len > (size_t)1 << 30)
        return -1;
    size_t total = swim_encrypted_len(vsn, len);
    if (cap < total)
        return -1;
    out[0] = (uint8_t)vsn;
    if (nonce)
        memcpy(out + 1, nonce, SWIM_ENC_NONCE_SIZE);
    else if (RAND_bytes(out + 1, SWIM_ENC_NONCE_SIZE) != 1)
        return -1;
    size_t plen = len;
    if (len)
        memcpy(out + HDR, msg, len);
    if (vsn == 0) {
        size_t pad = AES_BLOCK - len % AES_BLOCK;
        memset(out + HDR + len, (int)pad, pad);
        plen += pad;
    }
    if (gcm_seal(key, out + 1, out + HDR, plen, aad, aad_len, out + HDR, out + HDR + plen))
        return -1;
    return (ssize_t)total;
}

ssize_t swim_seal_inplace(const struct swim_key *key, uint8_t *buf, size_t cap, size_t len,
                          const uint8_t *aad, size_t aad_len)
{
    if (cap < HDR + SWIM_ENC_TAG_SIZE || cap - HDR - SWIM_ENC_TAG_SIZE < len ||
        len > (size_t)1 << 30)
        return -1;
    buf[0] = 1;
    if (RAND_bytes(buf + 1, SWIM_ENC_NONCE_SIZE) != 1)
        return -1;
    if (gcm_seal(key, buf + 1, buf + HDR, len, aad, aad_len, buf + HDR, buf + HDR + len))
        return -1;
    return (ssize_t)(HDR + len + SWIM_ENC_TAG_SIZE);
}

ssize_t swim_decrypt_payload(struct swim_keyring *kr, const uint8_t *payload, size_t len,
                             const uint8_t *aad, size_t aad_len, uint8_t *out, size_t cap)
{
    int vsn = len ? payload[0] : -1;
    if (vsn > 1 || vsn < 0 || len < swim_encrypted_len(vsn, 0)) {
        if (kr)
            kr->auth_failures++;
        return vsn > 1 ? SWIM_EUNSUPPORTED : SWIM_EMALFORMED;
    }
    size_t ctlen = len - HDR - SWIM_ENC_TAG_SIZE;
    if (ctlen > cap)
        return SWIM_ENOSPACE;
    if (ctlen > (size_t)1 << 30)
        return SWIM_ENOSPACE;
    uint8_t dummy[1];
    if (!out) {
        if (ctlen)
            return SWIM_ENOSPACE;
        out = dummy; /* empty plaintext, still authenticated */
    }
    const uint8_t *tag = payload + HDR + ctlen;
    for (size_t i = 0; kr && i < kr->n; i++) {
        if (gcm_open(&kr->keys[i], payload + 1, payload + HDR, ctlen, tag, aad, aad_len, out))
            continue;
        if (vsn == 0) {
            uint8_t pad = ctlen ? out[ctlen - 1] : 0;
            if (pad == 0 || pad > AES_BLOCK || pad > ctlen) {
                kr->auth_failures++;
                return SWIM_EMALFORMED;
            }
            return (ssize_t)(ctlen - pad);
        }
        return (ssize_t)ctlen;
    }
    if (ctlen)
        OPENSSL_cleanse(out, ctlen);
    if (kr)
        kr->auth_failures++;
    return SWIM_EDECRYPT;
}

ssize_t swim_encrypt_udp(const struct swim_keyring *kr, const uint8_t *msg, size_t len,
                         uint8_t *out, size_t cap)
{
    if (!swim_keyring_enabled(kr))
        return -1;
    return swim_encrypt_payload(&kr->keys[0], 1, NULL, msg, len, NULL, 0, out, cap);
}

ssize_t swim_decrypt_udp(struct swim_keyring *kr, const uint8_t *pkt, size_t len, uint8_t *out,
                         size_t cap)
{
    return swim_decrypt_payload(kr, pkt, len, NULL, 0, out, cap);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

ssize_t swim_encrypt_tcp(const struct swim_keyring *kr, const uint8_t *msg, size_t len,
                         uint8_t *out, size_t cap)
{
    if (!swim_keyring_enabled(kr) || cap < SWIM_ENC_TCP_HEADER)
        return -1;
    size_t elen = swim_encrypted_len(1, len);
    if (elen > SWIM_MAX_STREAM_BYTES)
        return -1;
    out[0] = SWIM_MSG_ENCRYPT;
    put_be32(out + 1, (uint32_t)elen);
    ssize_t n = swim_encrypt_payload(&kr->keys[0], 1, NULL, msg, len, out, SWIM_ENC_TCP_HEADER,
                                     out + SWIM_ENC_TCP_HEADER, cap - SWIM_ENC_TCP_HEADER);
    return n < 0 ? -1 : n + SWIM_ENC_TCP_HEADER;
}

ssize_t swim_decrypt_tcp(struct swim_keyring *kr, const uint8_t *in, size_t len, uint8_t *out,
                         size_t cap, size_t *consumed)
{
    if (len < SWIM_ENC_TCP_HEADER)
        return SWIM_ETRUNC;
    if (in[0] != SWIM_MSG_ENCRYPT)
        return SWIM_EMALFORMED;
    uint32_t elen = (uint32_t)in[1] << 24 | (uint32_t)in[2] << 16 | (uint32_t)in[3] << 8 | in[4];
    if (elen > SWIM_MAX_STREAM_BYTES)
        return SWIM_ENOSPACE;
    if (len - SWIM_ENC_TCP_HEADER < elen)
        return SWIM_ETRUNC;
    ssize_t n =
        swim_decrypt_payload(kr, in + SWIM_ENC_TCP_HEADER, elen, in, SWIM_ENC_TCP_HEADER, out, cap);
    if (n >= 0 && consumed)
        *consumed = SWIM_ENC_TCP_HEADER + elen;
    return n;
}
