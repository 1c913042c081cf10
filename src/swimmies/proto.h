/* proto.h — the memberlist wire format: message structs, msgpack encoders/decoders, compound,
 * CRC and compress wrappers, the UDP packet walker and the TCP stream reader/writer.
 *
 * Conventions
 * - Decoding is zero-copy and allocation-free: every struct sw_bytes in a decoded message points
 * into the caller's input buffer (or into the caller's scratch buffer for decompressed/decrypted
 * data), so it is valid only as long as that buffer is. Strings are NOT NUL-terminated.
 * - Decoders take the body AFTER the type byte. They are tolerant like go-msgpack: any integer
 * width (signed or unsigned; negative or out-of-range values for a field are rejected), str or bin
 * for byte fields, nil for any field (zero value), keys in any order, unknown keys skipped
 * (including nested maps/arrays, nesting depth limited). Trailing bytes after the map are ignored;
 * *used tells how many were consumed. They never read outside [p, p+len).
 * - Encoders write the type byte followed by the msgpack map exactly as memberlist 0.2.x does: keys
 *   sorted by Go field name, str family only (fixstr/str16/str32), smallest unsigned int forms, nil
 * (c0) for a byte field whose sw_bytes.p is NULL, omitempty Source* fields left out when empty, Vsn
 * as a 6-byte str. They write into buf[0..cap) and return the length written, or -1 if cap is too
 * small (nothing useful is left in buf then).
 */
#ifndef SWIMMIES_PROTO_H
#define SWIMMIES_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sw_keyring;

/* Message type bytes (memberlist net.go messageType). */
enum sw_msg_type {
    SW_MSG_PING = 0,
    SW_MSG_INDIRECT_PING = 1,
    SW_MSG_ACK = 2,
    SW_MSG_SUSPECT = 3,
    SW_MSG_ALIVE = 4,
    SW_MSG_DEAD = 5,
    SW_MSG_PUSH_PULL = 6,
    SW_MSG_COMPOUND = 7,
    SW_MSG_USER = 8,
    SW_MSG_COMPRESS = 9,
    SW_MSG_ENCRYPT = 10,
    SW_MSG_NACK = 11,
    SW_MSG_HAS_CRC = 12,
    SW_MSG_ERR = 13,
};

/* Result codes shared by decoders, the walker, the stream reader and the keyring. */
enum sw_status {
    SW_OK = 0,
    SW_EMALFORMED = -1,  /* not valid for this message / wrapper */
    SW_ETRUNC = -2,      /* input ends before the message does (stream: read more and retry) */
    SW_ENOSPACE = -3,    /* output or scratch buffer too small, or a size limit exceeded */
    SW_ECRC = -4,        /* hasCrc checksum mismatch */
    SW_EDECRYPT = -5,    /* no installed key authenticates the data */
    SW_EPLAINTEXT = -6,  /* keyring configured but the stream is not encrypted */
    SW_ENOKEY = -7,      /* stream is encrypted but no keyring configured */
    SW_EUNSUPPORTED = -8 /* unknown compression algorithm, encryption version, message type */
};

/* Human-readable text for an sw_status (the TCP err reply uses memberlist's wording where one
 * exists). */
const char *sw_strerror(int status);

#define SW_VSN_LEN 6            /* [PMin, PMax, PCur, DMin, DMax, DCur] */
#define SW_META_MAX 512         /* memberlist MetaMaxSize */
#define SW_UDP_BUFFER_SIZE 1400 /* memberlist UDPBufferSize: largest gossip packet we build */
#define SW_COMPOUND_MAX_PARTS 255
#define SW_MAX_STREAM_BYTES ((size_t)20 * 1024 * 1024) /* memberlist maxPushStateBytes */
#define SW_NEST_MAX 4 /* max compound/compress nesting the walker follows */

/* Node states carried in push/pull (memberlist NodeStateType). */
enum sw_node_state {
    SW_STATE_ALIVE = 0,
    SW_STATE_SUSPECT = 1,
    SW_STATE_DEAD = 2,
    SW_STATE_LEFT = 3
};

/* A byte range. For encoding, p == NULL means Go nil (encoded c0 for []byte fields, "" for
 * strings); p != NULL with len 0 is an empty str (a0). Decoding sets p = NULL for nil. */
struct sw_bytes {
    const uint8_t *p;
    size_t len;
};

/* Helpers to build an sw_bytes from a C string / buffer. */
struct sw_bytes sw_str(const char *s);
struct sw_bytes sw_mem(const void *p, size_t len);
/* True if the bytes equal the NUL-terminated string s. */
bool sw_bytes_eq_str(struct sw_bytes b, const char *s);

/* ---- messages ----------------------------------------------------------------------------------
 */

struct sw_ping { /* type 0 */
    uint32_t seq_no;
    struct sw_bytes node;        /* target node name, may be empty */
    struct sw_bytes source_addr; /* omitempty; 4 or 16 byte IP */
    uint16_t source_port;        /* omitempty */
    struct sw_bytes source_node; /* omitempty */
};

struct sw_indirect_ping { /* type 1 */
    uint32_t seq_no;
    struct sw_bytes target; /* IP bytes of the node to probe */
    uint16_t port;
    struct sw_bytes node; /* name of the node to probe */
    bool nack;            /* requester wants a nack if no ack arrives in time */
    struct sw_bytes source_addr;
    uint16_t source_port;
    struct sw_bytes source_node;
};

struct sw_ack { /* type 2 */
    uint32_t seq_no;
    struct sw_bytes payload; /* p == NULL encodes as nil (what Go sends without a ping delegate) */
};

struct sw_nack { /* type 11 */
    uint32_t seq_no;
};

struct sw_suspect { /* type 3 */
    uint32_t incarnation;
    struct sw_bytes node;
    struct sw_bytes from;
};

struct sw_dead { /* type 5; from == node means graceful leave */
    uint32_t incarnation;
    struct sw_bytes node;
    struct sw_bytes from;
};

struct sw_alive { /* type 4 */
    uint32_t incarnation;
    struct sw_bytes node;
    struct sw_bytes addr; /* 4 or 16 byte IP */
    uint16_t port;
    struct sw_bytes meta; /* <= SW_META_MAX; p == NULL encodes nil */
    uint8_t vsn[SW_VSN_LEN];
    uint8_t vsn_len; /* decode: number of Vsn bytes received (extra bytes beyond 6 ignored);
                        encode: always sends all 6 */
};

struct sw_push_pull_header { /* type 6, first map of the stream */
    uint32_t nodes;          /* number of sw_push_node maps that follow */
    uint32_t user_state_len; /* raw user-state bytes after the node maps */
    bool join;
};

struct sw_push_node { /* one node map in push/pull (no type byte) */
    struct sw_bytes name;
    struct sw_bytes addr;
    uint16_t port;
    struct sw_bytes meta;
    uint32_t incarnation;
    uint8_t state; /* enum sw_node_state (other values are passed through) */
    uint8_t vsn[SW_VSN_LEN];
    uint8_t vsn_len;
};

struct sw_user_header { /* type 8 over TCP: header map, then user_msg_len raw bytes */
    uint32_t user_msg_len;
};

struct sw_compress { /* type 9 */
    uint32_t algo;   /* 0 = LZW */
    struct sw_bytes buf;
};

struct sw_err { /* type 13 */
    struct sw_bytes error;
};

/* ---- encoders: type byte + msgpack map (sw_encode_push_node: map only)
 * --------------------------- */

ssize_t sw_encode_ping(uint8_t *buf, size_t cap, const struct sw_ping *m);
ssize_t sw_encode_indirect_ping(uint8_t *buf, size_t cap, const struct sw_indirect_ping *m);
ssize_t sw_encode_ack(uint8_t *buf, size_t cap, const struct sw_ack *m);
ssize_t sw_encode_nack(uint8_t *buf, size_t cap, const struct sw_nack *m);
ssize_t sw_encode_suspect(uint8_t *buf, size_t cap, const struct sw_suspect *m);
ssize_t sw_encode_alive(uint8_t *buf, size_t cap, const struct sw_alive *m);
ssize_t sw_encode_dead(uint8_t *buf, size_t cap, const struct sw_dead *m);
/* 06 + header map. Append nodes with sw_encode_push_node, then user_state_len raw bytes. */
ssize_t sw_encode_push_pull_header(uint8_t *buf, size_t cap, const struct sw_push_pull_header *m);
ssize_t sw_encode_push_node(uint8_t *buf, size_t cap, const struct sw_push_node *m);
/* 08 + {UserMsgLen}: the TCP user-message header; the caller appends the payload. */
ssize_t sw_encode_user_header(uint8_t *buf, size_t cap, const struct sw_user_header *m);
/* 08 + raw payload: a user message as sent over UDP. */
ssize_t sw_encode_user_udp(uint8_t *buf, size_t cap, const uint8_t *payload, size_t len);
ssize_t sw_encode_compress(uint8_t *buf, size_t cap, const struct sw_compress *m);
ssize_t sw_encode_err(uint8_t *buf, size_t cap, const struct sw_err *m);

/* ---- decoders: body after the type byte; *used (may be NULL) gets bytes consumed ---------------
 */

int sw_decode_ping(const uint8_t *p, size_t len, struct sw_ping *out, size_t *used);
int sw_decode_indirect_ping(const uint8_t *p, size_t len, struct sw_indirect_ping *out,
                            size_t *used);
int sw_decode_ack(const uint8_t *p, size_t len, struct sw_ack *out, size_t *used);
int sw_decode_nack(const uint8_t *p, size_t len, struct sw_nack *out, size_t *used);
int sw_decode_suspect(const uint8_t *p, size_t len, struct sw_suspect *out, size_t *used);
int sw_decode_alive(const uint8_t *p, size_t len, struct sw_alive *out, size_t *used);
int sw_decode_dead(const uint8_t *p, size_t len, struct sw_dead *out, size_t *used);
int sw_decode_push_pull_header(const uint8_t *p, size_t len, struct sw_push_pull_header *out,
                               size_t *used);
int sw_decode_push_node(const uint8_t *p, size_t len, struct sw_push_node *out, size_t *used);
int sw_decode_user_header(const uint8_t *p, size_t len, struct sw_user_header *out, size_t *used);
int sw_decode_compress(const uint8_t *p, size_t len, struct sw_compress *out, size_t *used);
int sw_decode_err(const uint8_t *p, size_t len, struct sw_err *out, size_t *used);

/* ---- packet layers -----------------------------------------------------------------------------
 */

/* IEEE CRC-32 (same as zlib crc32 / Go crc32.ChecksumIEEE). */
uint32_t sw_crc32(const uint8_t *p, size_t len);

/* Compound header size for n parts (07, count, n x u16). */
static inline size_t sw_compound_overhead(size_t nparts)
{
    return 2 + 2 * nparts;
}

/* 07 count len... parts...; n <= 255, each part <= 65535 bytes. Returns length or -1. */
ssize_t sw_compound_build(uint8_t *buf, size_t cap, const struct sw_bytes *parts, size_t n);

/* 0c + CRC32(msg) BE + msg. buf and msg may not overlap. Returns length or -1. */
ssize_t sw_crc_wrap(uint8_t *buf, size_t cap, const uint8_t *msg, size_t len);

/* 09 + {Algo: 0, Buf: LZW(msg)}, byte-identical to memberlist compressPayload.
 * buf and msg may not overlap. Returns length or -1 (cap too small). */
ssize_t sw_compress_wrap(uint8_t *buf, size_t cap, const uint8_t *msg, size_t len);

/* Decompress the body of a compress message (after the 09 byte) into out[0..cap).
 * Returns the decompressed length, or SW_EMALFORMED / SW_EUNSUPPORTED (algo != 0) /
 * SW_ENOSPACE (would exceed cap). */
ssize_t sw_decompress_body(const uint8_t *p, size_t len, uint8_t *out, size_t cap);

/* Outgoing UDP packet: msg is one message or a compound. If compress is set and the compress
 * wrapper is smaller, it is used; if crc is set the hasCrc header is added (do this when the peer's
 * PMax >= 5); if kr is non-NULL and has a primary key, the result is encrypted (vsn 1, random
 * nonce). Returns the packet length or -1. buf and msg may not overlap. */
ssize_t sw_packet_wrap(uint8_t *buf, size_t cap, const uint8_t *msg, size_t len, bool compress,
                       bool crc, const struct sw_keyring *kr);

/* Called once per inner message found in a packet: type is the message type byte, body/len the
 * bytes after it (for SW_MSG_USER the raw user payload). Wrapper types (compound, compress, hasCrc)
 * never reach the callback; unknown types do. body points into the packet or the scratch buffer and
 * is valid only during the call. */
typedef void (*sw_msg_cb)(void *ctx, uint8_t type, const uint8_t *body, size_t len);

struct sw_walk_stats {
    unsigned messages;  /* callbacks made */
    unsigned truncated; /* compound parts dropped because the packet was shorter than declared */
    unsigned
        errors;   /* malformed wrappers/parts dropped (bad compound, bad compress, too deep...) */
    bool had_crc; /* the packet carried a valid hasCrc header */
};

/* Walk a received UDP packet (already decrypted): verify and strip an outer hasCrc header, expand
 * compound and compress recursively (at most SW_NEST_MAX levels), and call cb for every inner
 * message. Decompressed data goes into scratch (a stack-like region; total decompressed bytes are
 * limited by scratch_cap). Returns SW_OK if every part was delivered, SW_ECRC if the CRC did not
 * match (nothing delivered), SW_EMALFORMED if the packet is empty or some part was dropped (stats
 * say which); stats may be NULL. */
int sw_packet_walk(const uint8_t *pkt, size_t len, uint8_t *scratch, size_t scratch_cap,
                   sw_msg_cb cb, void *ctx, struct sw_walk_stats *stats);

/* Full receive path for a UDP datagram: if kr is non-NULL and has keys, decrypt first (into
 * scratch; on any failure SW_EDECRYPT, counted in kr->auth_failures, or SW_ENOSPACE if scratch is
 * too small; unless verify_incoming is false, then the datagram is walked
 * as plaintext like memberlist's GossipVerifyIncoming=false), then sw_packet_walk. */
int sw_packet_receive(const uint8_t *pkt, size_t len, struct sw_keyring *kr, bool verify_incoming,
                      uint8_t *scratch, size_t scratch_cap, sw_msg_cb cb, void *ctx,
                      struct sw_walk_stats *stats);

/* ---- TCP stream --------------------------------------------------------------------------------
 */

/* One request or response read from a TCP stream. */
struct sw_stream_msg {
    uint8_t type;   /* inner type after unwrapping encrypt/compress */
    bool encrypted; /* outer encrypt wrapper was present (and authenticated) */
    bool compressed;
    size_t consumed; /* bytes of the input stream this message used */
    union {
        struct sw_ping ping; /* SW_MSG_PING (TCP fallback ping) */
        struct sw_ack ack;   /* SW_MSG_ACK (reply to it) */
        struct sw_err err;   /* SW_MSG_ERR */
        struct {             /* SW_MSG_PUSH_PULL */
            struct sw_push_pull_header header;
            struct sw_bytes nodes; /* header.nodes node maps back to back (all validated);
                                      iterate with sw_push_nodes_next */
            struct sw_bytes user_state;
        } push_pull;
        struct { /* SW_MSG_USER */
            struct sw_user_header header;
            struct sw_bytes payload;
        } user;
    } u;
};

/* Read one message from the start of a TCP stream buffer in[0..len).
 * kr: NULL or empty keyring means encryption is not configured (an encrypted stream gives
 * SW_ENOKEY). With keys, a plaintext stream gives SW_EPLAINTEXT unless verify_incoming is false.
 * Returns SW_OK (out filled, out->consumed set), SW_ETRUNC (need more bytes: call again with the
 * same data plus more), or an error (SW_EMALFORMED, SW_EDECRYPT, SW_ENOSPACE when scratch is too
 * small or a length exceeds SW_MAX_STREAM_BYTES, SW_EUNSUPPORTED for an unknown inner type).
 * Decrypted and decompressed data is placed in scratch; out's pointers may point there. */
int sw_stream_read(const uint8_t *in, size_t len, struct sw_keyring *kr, bool verify_incoming,
                   uint8_t *scratch, size_t scratch_cap, struct sw_stream_msg *out);

/* Iterate the node maps of a push/pull message. Usage:
 *   struct sw_bytes it = msg.u.push_pull.nodes; struct sw_push_node n;
 *   while (sw_push_nodes_next(&it, &n) == 1) ...
 * Returns 1 with *node filled, 0 at the end, SW_EMALFORMED on bad data. */
int sw_push_nodes_next(struct sw_bytes *it, struct sw_push_node *node);

/* Wrap a complete stream message (type byte + maps + raw bytes) for sending over TCP: if compress,
 * always wrap in compress (as memberlist does); if kr has a primary key, then wrap in encrypt
 * (0a + u32 BE length + vsn 1 payload, the 5 header bytes as AAD). Returns length or -1. */
ssize_t sw_stream_wrap(uint8_t *buf, size_t cap, const uint8_t *msg, size_t len, bool compress,
                       const struct sw_keyring *kr);

#endif
