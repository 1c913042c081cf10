/* proto.h — the memberlist wire format: message structs, msgpack encoders/decoders, compound,
 * CRC and compress wrappers, the UDP packet walker and the TCP stream reader/writer.
 *
 * Conventions
 * - Decoding is zero-copy and allocation-free: every struct swim_bytes in a decoded message points
 * into the caller's input buffer (or into the caller's scratch buffer for decompressed/decrypted
 * data), so it is valid only as long as that buffer is. Strings are NOT NUL-terminated.
 * - Decoders take the body AFTER the type byte. They are tolerant like go-msgpack: any integer
 * width (signed or unsigned; negative or out-of-range values for a field are rejected), str or bin
 * for byte fields, nil for any field (zero value), keys in any order, unknown keys skipped
 * (including nested maps/arrays, nesting depth limited). Trailing bytes after the map are ignored;
 * *used tells how many were consumed. They never read outside [p, p+len).
 * - Encoders write the type byte followed by the msgpack map exactly as memberlist 0.2.x does: keys
 *   sorted by Go field name, str family only (fixstr/str16/str32), smallest unsigned int forms, nil
 * (c0) for a byte field whose swim_bytes.p is NULL, omitempty Source* fields left out when empty,
 * Vsn as a 6-byte str. They write into buf[0..cap) and return the length written, or -1 if cap is
 * too small (nothing useful is left in buf then).
 */
#ifndef SWIMMIES_PROTO_H
#define SWIMMIES_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct swim_keyring;

/* Message type bytes (memberlist net.go messageType). */
enum swim_msg_type {
    SWIM_MSG_PING = 0,
    SWIM_MSG_INDIRECT_PING = 1,
    SWIM_MSG_ACK = 2,
    SWIM_MSG_SUSPECT = 3,
    SWIM_MSG_ALIVE = 4,
    SWIM_MSG_DEAD = 5,
    SWIM_MSG_PUSH_PULL = 6,
    SWIM_MSG_COMPOUND = 7,
    SWIM_MSG_USER = 8,
    SWIM_MSG_COMPRESS = 9,
    SWIM_MSG_ENCRYPT = 10,
    SWIM_MSG_NACK = 11,
    SWIM_MSG_HAS_CRC = 12,
    SWIM_MSG_ERR = 13,
};

/* Result codes shared by decoders, the walker, the stream reader and the keyring. */
enum swim_status {
    SWIM_OK = 0,
    SWIM_EMALFORMED = -1,  /* not valid for this message / wrapper */
    SWIM_ETRUNC = -2,      /* input ends before the message does (stream: read more and retry) */
    SWIM_ENOSPACE = -3,    /* output or scratch buffer too small, or a size limit exceeded */
    SWIM_ECRC = -4,        /* hasCrc checksum mismatch */
    SWIM_EDECRYPT = -5,    /* no installed key authenticates the data */
    SWIM_EPLAINTEXT = -6,  /* keyring configured but the stream is not encrypted */
    SWIM_ENOKEY = -7,      /* stream is encrypted but no keyring configured */
    SWIM_EUNSUPPORTED = -8 /* unknown compression algorithm, encryption version, message type */
};

/* Human-readable text for an swim_status (the TCP err reply uses memberlist's wording where one
 * exists). */
const char *swim_strerror(int status);

#define SWIM_VSN_LEN 6            /* [PMin, PMax, PCur, DMin, DMax, DCur] */
#define SWIM_META_MAX 512         /* memberlist MetaMaxSize */
#define SWIM_UDP_BUFFER_SIZE 1400 /* memberlist UDPBufferSize: largest gossip packet we build */
#define SWIM_COMPOUND_MAX_PARTS 255
#define SWIM_MAX_STREAM_BYTES ((size_t)20 * 1024 * 1024) /* memberlist maxPushStateBytes */
#define SWIM_NEST_MAX 4 /* max compound/compress nesting the walker follows */

/* Node states carried in push/pull (memberlist NodeStateType). */
enum swim_node_state {
    SWIM_STATE_ALIVE = 0,
    SWIM_STATE_SUSPECT = 1,
    SWIM_STATE_DEAD = 2,
    SWIM_STATE_LEFT = 3
};

/* A byte range. For encoding, p == NULL means Go nil (encoded c0 for []byte fields, "" for
 * strings); p != NULL with len 0 is an empty str (a0). Decoding sets p = NULL for nil. */
struct swim_bytes {
    const uint8_t *p;
    size_t len;
};

/* Helpers to build an swim_bytes from a C string / buffer. */
struct swim_bytes swim_str(const char *s);
struct swim_bytes swim_mem(const void *p, size_t len);
/* True if the bytes equal the NUL-terminated string s. */
bool swim_bytes_eq_str(struct swim_bytes b, const char *s);

/* ---- messages ----------------------------------------------------------------------------------
 */

struct swim_ping { /* type 0 */
    uint32_t seq_no;
    struct swim_bytes node;        /* target node name, may be empty */
    struct swim_bytes source_addr; /* omitempty; 4 or 16 byte IP */
    uint16_t source_port;          /* omitempty */
    struct swim_bytes source_node; /* omitempty */
};

struct swim_indirect_ping { /* type 1 */
    uint32_t seq_no;
    struct swim_bytes target; /* IP bytes of the node to probe */
    uint16_t port;
    struct swim_bytes node; /* name of the node to probe */
    bool nack;              /* requester wants a nack if no ack arrives in time */
    struct swim_bytes source_addr;
    uint16_t source_port;
    struct swim_bytes source_node;
};

struct swim_ack { /* type 2 */
    uint32_t seq_no;
    struct swim_bytes
        payload; /* p == NULL encodes as nil (what Go sends without a ping delegate) */
};

struct swim_nack { /* type 11 */
    uint32_t seq_no;
};

struct swim_suspect { /* type 3 */
    uint32_t incarnation;
    struct swim_bytes node;
    struct swim_bytes from;
};

struct swim_dead { /* type 5; from == node means graceful leave */
    uint32_t incarnation;
    struct swim_bytes node;
    struct swim_bytes from;
};

struct swim_alive { /* type 4 */
    uint32_t incarnation;
    struct swim_bytes node;
    struct swim_bytes addr; /* 4 or 16 byte IP */
    uint16_t port;
    struct swim_bytes meta; /* <= SWIM_META_MAX; p == NULL encodes nil */
    uint8_t vsn[SWIM_VSN_LEN];
    uint8_t vsn_len; /* decode: number of Vsn bytes received (extra bytes beyond 6 ignored);
                        encode: always sends all 6 */
};

struct swim_push_pull_header { /* type 6, first map of the stream */
    uint32_t nodes;            /* number of swim_push_node maps that follow */
    uint32_t user_state_len;   /* raw user-state bytes after the node maps */
    bool join;
};

struct swim_push_node { /* one node map in push/pull (no type byte) */
    struct swim_bytes name;
    struct swim_bytes addr;
    uint16_t port;
    struct swim_bytes meta;
    uint32_t incarnation;
    uint8_t state; /* enum swim_node_state (other values are passed through) */
    uint8_t vsn[SWIM_VSN_LEN];
    uint8_t vsn_len;
};

struct swim_user_header { /* type 8 over TCP: header map, then user_msg_len raw bytes */
    uint32_t user_msg_len;
};

struct swim_compress { /* type 9 */
    uint32_t algo;     /* 0 = LZW */
    struct swim_bytes buf;
};

struct swim_err { /* type 13 */
    struct swim_bytes error;
};

/* ---- encoders: type byte + msgpack map (swim_encode_push_node: map only)
 * --------------------------- */

ssize_t swim_encode_ping(uint8_t *buf, size_t cap, const struct swim_ping *m);
ssize_t swim_encode_indirect_ping(uint8_t *buf, size_t cap, const struct swim_indirect_ping *m);
ssize_t swim_encode_ack(uint8_t *buf, size_t cap, const struct swim_ack *m);
ssize_t swim_encode_nack(uint8_t *buf, size_t cap, const struct swim_nack *m);
ssize_t swim_encode_suspect(uint8_t *buf, size_t cap, const struct swim_suspect *m);
ssize_t swim_encode_alive(uint8_t *buf, size_t cap, const struct swim_alive *m);
ssize_t swim_encode_dead(uint8_t *buf, size_t cap, const struct swim_dead *m);
/* 06 + header map. Append nodes with swim_encode_push_node, then user_state_len raw bytes. */
ssize_t swim_encode_push_pull_header(uint8_t *buf, size_t cap,
                                     const struct swim_push_pull_header *m);
ssize_t swim_encode_push_node(uint8_t *buf, size_t cap, const struct swim_push_node *m);
/* 08 + {UserMsgLen}: the TCP user-message header; the caller appends the payload. */
ssize_t swim_encode_user_header(uint8_t *buf, size_t cap, const struct swim_user_header *m);
/* 08 + raw payload: a user message as sent over UDP. */
ssize_t swim_encode_user_udp(uint8_t *buf, size_t cap, const uint8_t *payload, size_t len);
ssize_t swim_encode_compress(uint8_t *buf, size_t cap, const struct swim_compress *m);
ssize_t swim_encode_err(uint8_t *buf, size_t cap, const struct swim_err *m);

/* ---- decoders: body after the type byte; *used (may be NULL) gets bytes consumed ---------------
 */

int swim_decode_ping(const uint8_t *p, size_t len, struct swim_ping *out, size_t *used);
int swim_decode_indirect_ping(const uint8_t *p, size_t len, struct swim_indirect_ping *out,
                              size_t *used);
int swim_decode_ack(const uint8_t *p, size_t len, struct swim_ack *out, size_t *used);
int swim_decode_nack(const uint8_t *p, size_t len, struct swim_nack *out, size_t *used);
int swim_decode_suspect(const uint8_t *p, size_t len, struct swim_suspect *out, size_t *used);
int swim_decode_alive(const uint8_t *p, size_t len, struct swim_alive *out, size_t *used);
int swim_decode_dead(const uint8_t *p, size_t len, struct swim_dead *out, size_t *used);
int swim_decode_push_pull_header(const uint8_t *p, size_t len, struct swim_push_pull_header *out,
                                 size_t *used);
int swim_decode_push_node(const uint8_t *p, size_t len, struct swim_push_node *out, size_t *used);
int swim_decode_user_header(const uint8_t *p, size_t len, struct swim_user_header *out,
                            size_t *used);
int swim_decode_compress(const uint8_t *p, size_t len, struct swim_compress *out, size_t *used);
int swim_decode_err(const uint8_t *p, size_t len, struct swim_err *out, size_t *used);

/* ---- packet layers -----------------------------------------------------------------------------
 */

/* IEEE CRC-32 (same as zlib crc32 / Go crc32.ChecksumIEEE). */
uint32_t swim_crc32(const uint8_t *p, size_t len);

/* Compound header size for n parts (07, count, n x u16). */
static inline size_t swim_compound_overhead(size_t nparts)
{
    return 2 + 2 * nparts;
}

/* 07 count len... parts...; n <= 255, each part <= 65535 bytes. Returns length or -1. */
ssize_t swim_compound_build(uint8_t *buf, size_t cap, const struct swim_bytes *parts, size_t n);

/* 0c + CRC32(msg) BE + msg. buf and msg may not overlap. Returns length or -1. */
ssize_t swim_crc_wrap(uint8_t *buf, size_t cap, const uint8_t *msg, size_t len);

/* 09 + {Algo: 0, Buf: LZW(msg)}, byte-identical to memberlist compressPayload.
 * buf and msg may not overlap. Returns length or -1 (cap too small). */
ssize_t swim_compress_wrap(uint8_t *buf, size_t cap, const uint8_t *msg, size_t len);

/* Decompress the body of a compress message (after the 09 byte) into out[0..cap).
 * Returns the decompressed length, or SWIM_EMALFORMED / SWIM_EUNSUPPORTED (algo != 0) /
 * SWIM_ENOSPACE (would exceed cap). */
ssize_t swim_decompress_body(const uint8_t *p, size_t len, uint8_t *out, size_t cap);

/* Outgoing UDP packet: msg is one message or a compound. If compress is set and the compress
 * wrapper is smaller, it is used; if crc is set the hasCrc header is added (do this when the peer's
 * PMax >= 5); if kr is non-NULL and has a primary key, the result is encrypted (vsn 1, random
 * nonce). Returns the packet length or -1. buf and msg may not overlap. */
ssize_t swim_packet_wrap(uint8_t *buf, size_t cap, const uint8_t *msg, size_t len, bool compress,
                         bool crc, const struct swim_keyring *kr);

/* Called once per inner message found in a packet: type is the message type byte, body/len the
 * bytes after it (for SWIM_MSG_USER the raw user payload). Wrapper types (compound, compress,
 * hasCrc) never reach the callback; unknown types do. body points into the packet or the scratch
 * buffer and is valid only during the call. */
typedef void (*swim_msg_cb)(void *ctx, uint8_t type, const uint8_t *body, size_t len);

struct swim_walk_stats {
    unsigned messages;  /* callbacks made */
    unsigned truncated; /* compound parts dropped because the packet was shorter than declared */
    unsigned
        errors;   /* malformed wrappers/parts dropped (bad compound, bad compress, too deep...) */
    bool had_crc; /* the packet carried a valid hasCrc header */
};

/* Walk a received UDP packet (already decrypted): verify and strip an outer hasCrc header, expand
 * compound and compress recursively (at most SWIM_NEST_MAX levels), and call cb for every inner
 * message. Decompressed data goes into scratch (a stack-like region; total decompressed bytes are
 * limited by scratch_cap). Returns SWIM_OK if every part was delivered, SWIM_ECRC if the CRC did
 * not match (nothing delivered), SWIM_EMALFORMED if the packet is empty or some part was dropped
 * (stats say which); stats may be NULL. */
int swim_packet_walk(const uint8_t *pkt, size_t len, uint8_t *scratch, size_t scratch_cap,
                     swim_msg_cb cb, void *ctx, struct swim_walk_stats *stats);

/* Full receive path for a UDP datagram: if kr is non-NULL and has keys, decrypt first (into
 * scratch; on any failure SWIM_EDECRYPT, counted in kr->auth_failures, or SWIM_ENOSPACE if scratch
 * is too small; unless verify_incoming is false, then the datagram is walked as plaintext like
 * memberlist's GossipVerifyIncoming=false), then swim_packet_walk. */
int swim_packet_receive(const uint8_t *pkt, size_t len, struct swim_keyring *kr,
                        bool verify_incoming, uint8_t *scratch, size_t scratch_cap, swim_msg_cb cb,
                        void *ctx, struct swim_walk_stats *stats);

/* ---- TCP stream --------------------------------------------------------------------------------
 */

/* One request or response read from a TCP stream. */
struct swim_stream_msg {
    uint8_t type;   /* inner type after unwrapping encrypt/compress */
    bool encrypted; /* outer encrypt wrapper was present (and authenticated) */
    bool compressed;
    size_t consumed; /* bytes of the input stream this message used */
    union {
        struct swim_ping ping; /* SWIM_MSG_PING (TCP fallback ping) */
        struct swim_ack ack;   /* SWIM_MSG_ACK (reply to it) */
        struct swim_err err;   /* SWIM_MSG_ERR */
        struct {               /* SWIM_MSG_PUSH_PULL */
            struct swim_push_pull_header header;
            struct swim_bytes nodes; /* header.nodes node maps back to back (all validated);
                                      iterate with swim_push_nodes_next */
            struct swim_bytes user_state;
        } push_pull;
        struct { /* SWIM_MSG_USER */
            struct swim_user_header header;
            struct swim_bytes payload;
        } user;
    } u;
};

/* Read one message from the start of a TCP stream buffer in[0..len).
 * kr: NULL or empty keyring means encryption is not configured (an encrypted stream gives
 * SWIM_ENOKEY). With keys, a plaintext stream gives SWIM_EPLAINTEXT unless verify_incoming is
 * false. Returns SWIM_OK (out filled, out->consumed set), SWIM_ETRUNC (need more bytes: call again
 * with the same data plus more), or an error (SWIM_EMALFORMED, SWIM_EDECRYPT, SWIM_ENOSPACE when
 * scratch is too small or a length exceeds SWIM_MAX_STREAM_BYTES, SWIM_EUNSUPPORTED for an unknown
 * inner type). Decrypted and decompressed data is placed in scratch; out's pointers may point
 * there. */
int swim_stream_read(const uint8_t *in, size_t len, struct swim_keyring *kr, bool verify_incoming,
                     uint8_t *scratch, size_t scratch_cap, struct swim_stream_msg *out);

/* Iterate the node maps of a push/pull message. Usage:
 *   struct swim_bytes it = msg.u.push_pull.nodes; struct swim_push_node n;
 *   while (swim_push_nodes_next(&it, &n) == 1) ...
 * Returns 1 with *node filled, 0 at the end, SWIM_EMALFORMED on bad data. */
int swim_push_nodes_next(struct swim_bytes *it, struct swim_push_node *node);

/* Wrap a complete stream message (type byte + maps + raw bytes) for sending over TCP: if compress,
 * always wrap in compress (as memberlist does); if kr has a primary key, then wrap in encrypt
 * (0a + u32 BE length + vsn 1 payload, the 5 header bytes as AAD). Returns length or -1. */
ssize_t swim_stream_wrap(uint8_t *buf, size_t cap, const uint8_t *msg, size_t len, bool compress,
                         const struct swim_keyring *kr);

#endif
