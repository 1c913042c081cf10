/* proto.c — memberlist message structs <-> type byte + msgpack map (encoders exact, decoders
 * tolerant). */
#include "swimmies/proto.h"

#include <stddef.h>
#include <string.h>

#include "swimmies/msgpack.h"

struct swim_bytes swim_str(const char *s)
{
    struct swim_bytes b = {(const uint8_t *)s, s ? strlen(s) : 0};
    return b;
}

struct swim_bytes swim_mem(const void *p, size_t len)
{
    struct swim_bytes b = {(const uint8_t *)p, len};
    return b;
}

bool swim_bytes_eq_str(struct swim_bytes b, const char *s)
{
    size_t n = strlen(s);
    return b.len == n && (n == 0 || memcmp(b.p, s, n) == 0);
}

const char *swim_strerror(int status)
{
    switch (status) {
    case SWIM_OK:
        return "ok";
    case SWIM_EMALFORMED:
        return "malformed message";
    case SWIM_ETRUNC:
        return "truncated message";
    case SWIM_ENOSPACE:
        return "message too large";
    case SWIM_ECRC:
        return "invalid checksum";
    case SWIM_EDECRYPT:
        return "No installed keys could decrypt the message";
    case SWIM_EPLAINTEXT:
        return "Encryption is configured but remote state is not encrypted";
    case SWIM_ENOKEY:
        return "Remote state is encrypted and encryption is not configured";
    case SWIM_EUNSUPPORTED:
        return "unsupported message type or algorithm";
    default:
        return "unknown error";
    }
}

/* ---- table-driven decoding ---- */

enum fkind { F_U8, F_U16, F_U32, F_BOOL, F_BYTES, F_VSN };

struct field {
    const char *key;
    enum fkind kind;
    size_t off;     /* offset of the value in the struct */
    size_t len_off; /* F_VSN: offset of the count byte */
};

static bool key_is(struct swim_bytes k, const char *name)
{
    return k.p && swim_bytes_eq_str(k, name);
}

static int decode_fields(const uint8_t *p, size_t len, void *out, size_t out_size,
                         const struct field *fields, size_t nfields, size_t *used)
{
    struct swim_mp_reader r = {p, p + len};
    uint32_t n;
    int rc;
    memset(out, 0, out_size);
    if ((rc = swim_mp_read_map(&r, &n)))
        return rc;
    for (uint32_t i = 0; i < n; i++) {
        struct swim_bytes key;
        if ((rc = swim_mp_read_bytes(&r, &key)))
            return rc;
        const struct field *f = NULL;
        for (size_t j = 0; j < nfields; j++) {
            if (key_is(key, fields[j].key)) {
                f = &fields[j];
                break;
            }
        }
        if (!f) {
            if ((rc = swim_mp_skip(&r)))
                return rc;
            continue;
        }
        uint8_t *dst = (uint8_t *)out + f->off;
        uint64_t v;
        switch (f->kind) {
        case F_U8:
        case F_U16:
        case F_U32: {
            uint64_t max = f->kind == F_U8 ? 0xff : f->kind == F_U16 ? 0xffff : 0xffffffffu;
            if ((rc = swim_mp_read_uint(&r, max, &v)))
                return rc;
            if (f->kind == F_U8) {
                uint8_t x = (uint8_t)v;
                memcpy(dst, &x, sizeof x);
            } else if (f->kind == F_U16) {
                uint16_t x = (uint16_t)v;
                memcpy(dst, &x, sizeof x);
            } else {
                uint32_t x = (uint32_t)v;
                memcpy(dst, &x, sizeof x);
            }
            break;
        }
        case F_BOOL: {
            bool b;
            if ((rc = swim_mp_read_bool(&r, &b)))
                return rc;
            memcpy(dst, &b, sizeof b);
            break;
        }
        case F_BYTES: {
            struct swim_bytes b;
            if ((rc = swim_mp_read_bytes(&r, &b)))
                return rc;
            memcpy(dst, &b, sizeof b);
            break;
        }
        case F_VSN:
            if ((rc = swim_mp_read_u8_list(&r, dst, SWIM_VSN_LEN, (uint8_t *)out + f->len_off)))
                return rc;
            break;
        }
    }
    if (used)
        *used = (size_t)(r.p - p);
    return SWIM_OK;
}

#define FLD(T, key, kind, member)                                                                  \
    {                                                                                              \
        key, kind, offsetof(T, member), 0                                                          \
    }
/* T is a type name: it cannot be parenthesised. */
// NOLINTBEGIN(bugprone-macro-parentheses)
#define DECODER(name, T, table)                                                                    \
    int swim_decode_##name(const uint8_t *p, size_t len, T *out, size_t *used)                     \
    {                                                                                              \
        return decode_fields(p, len, out, sizeof *out, table, sizeof(table) / sizeof((table)[0]),  \
                             used);                                                                \
    }
// NOLINTEND(bugprone-macro-parentheses)

static const struct field ping_fields[] = {
    FLD(struct swim_ping, "SeqNo", F_U32, seq_no),
    FLD(struct swim_ping, "Node", F_BYTES, node),
    FLD(struct swim_ping, "SourceAddr", F_BYTES, source_addr),
    FLD(struct swim_ping, "SourcePort", F_U16, source_port),
    FLD(struct swim_ping, "SourceNode", F_BYTES, source_node),
};
DECODER(ping, struct swim_ping, ping_fields)

static const struct field indirect_fields[] = {
    FLD(struct swim_indirect_ping, "SeqNo", F_U32, seq_no),
    FLD(struct swim_indirect_ping, "Target", F_BYTES, target),
    FLD(struct swim_indirect_ping, "Port", F_U16, port),
    FLD(struct swim_indirect_ping, "Node", F_BYTES, node),
    FLD(struct swim_indirect_ping, "Nack", F_BOOL, nack),
    FLD(struct swim_indirect_ping, "SourceAddr", F_BYTES, source_addr),
    FLD(struct swim_indirect_ping, "SourcePort", F_U16, source_port),
    FLD(struct swim_indirect_ping, "SourceNode", F_BYTES, source_node),
};
DECODER(indirect_ping, struct swim_indirect_ping, indirect_fields)

static const struct field ack_fields[] = {
    FLD(struct swim_ack, "SeqNo", F_U32, seq_no),
    FLD(struct swim_ack, "Payload", F_BYTES, payload),
};
DECODER(ack, struct swim_ack, ack_fields)

static const struct field nack_fields[] = {
    FLD(struct swim_nack, "SeqNo", F_U32, seq_no),
};
DECODER(nack, struct swim_nack, nack_fields)

static const struct field suspect_fields[] = {
    FLD(struct swim_suspect, "Incarnation", F_U32, incarnation),
    FLD(struct swim_suspect, "Node", F_BYTES, node),
    FLD(struct swim_suspect, "From", F_BYTES, from),
};
DECODER(suspect, struct swim_suspect, suspect_fields)

static const struct field dead_fields[] = {
    FLD(struct swim_dead, "Incarnation", F_U32, incarnation),
    FLD(struct swim_dead, "Node", F_BYTES, node),
    FLD(struct swim_dead, "From", F_BYTES, from),
};
DECODER(dead, struct swim_dead, dead_fields)

static const struct field alive_fields[] = {
    FLD(struct swim_alive, "Incarnation", F_U32, incarnation),
    FLD(struct swim_alive, "Node", F_BYTES, node),
    FLD(struct swim_alive, "Addr", F_BYTES, addr),
    FLD(struct swim_alive, "Port", F_U16, port),
    FLD(struct swim_alive, "Meta", F_BYTES, meta),
    {"Vsn", F_VSN, offsetof(struct swim_alive, vsn), offsetof(struct swim_alive, vsn_len)},
};
DECODER(alive, struct swim_alive, alive_fields)

static const struct field pp_header_fields[] = {
    FLD(struct swim_push_pull_header, "Nodes", F_U32, nodes),
    FLD(struct swim_push_pull_header, "UserStateLen", F_U32, user_state_len),
    FLD(struct swim_push_pull_header, "Join", F_BOOL, join),
};
DECODER(push_pull_header, struct swim_push_pull_header, pp_header_fields)

static const struct field push_node_fields[] = {
    FLD(struct swim_push_node, "Name", F_BYTES, name),
    FLD(struct swim_push_node, "Addr", F_BYTES, addr),
    FLD(struct swim_push_node, "Port", F_U16, port),
    FLD(struct swim_push_node, "Meta", F_BYTES, meta),
    FLD(struct swim_push_node, "Incarnation", F_U32, incarnation),
    FLD(struct swim_push_node, "State", F_U8, state),
    {"Vsn", F_VSN, offsetof(struct swim_push_node, vsn), offsetof(struct swim_push_node, vsn_len)},
};
DECODER(push_node, struct swim_push_node, push_node_fields)

static const struct field user_header_fields[] = {
    FLD(struct swim_user_header, "UserMsgLen", F_U32, user_msg_len),
};
DECODER(user_header, struct swim_user_header, user_header_fields)

static const struct field compress_fields[] = {
    FLD(struct swim_compress, "Algo", F_U32, algo),
    FLD(struct swim_compress, "Buf", F_BYTES, buf),
};
DECODER(compress, struct swim_compress, compress_fields)

static const struct field err_fields[] = {
    FLD(struct swim_err, "Error", F_BYTES, error),
};
DECODER(err, struct swim_err, err_fields)

/* ---- encoders (keys in the sorted order go-msgpack emits) ---- */

static void writer_init(struct swim_mp_writer *w, uint8_t *buf, size_t cap, uint8_t type)
{
    w->p = buf;
    w->end = buf + cap;
    w->overflow = false;
    swim_mp_put_byte(w, type);
}

static ssize_t writer_done(const struct swim_mp_writer *w, const uint8_t *buf)
{
    return w->overflow ? -1 : (ssize_t)(w->p - buf);
}

static bool present(struct swim_bytes b)
{
    return b.p && b.len > 0;
}

/* Optional Source* trio of ping and indirect ping: count of present fields. */
static uint32_t source_count(struct swim_bytes addr, struct swim_bytes node, uint16_t port)
{
    return (uint32_t)present(addr) + (uint32_t)present(node) + (uint32_t)(port != 0);
}

static void put_sources(struct swim_mp_writer *w, struct swim_bytes addr, struct swim_bytes node,
                        uint16_t port)
{
    if (present(addr)) {
        swim_mp_put_key(w, "SourceAddr");
        swim_mp_put_str(w, addr.p, addr.len);
    }
    if (present(node)) {
        swim_mp_put_key(w, "SourceNode");
        swim_mp_put_str(w, node.p, node.len);
    }
    if (port) {
        swim_mp_put_key(w, "SourcePort");
        swim_mp_put_uint(w, port);
    }
}

ssize_t swim_encode_ping(uint8_t *buf, size_t cap, const struct swim_ping *m)
{
    struct swim_mp_writer w;
    writer_init(&w, buf, cap, SWIM_MSG_PING);
    swim_mp_put_map(&w, 2 + source_count(m->source_addr, m->source_node, m->source_port));
    swim_mp_put_key(&w, "Node");
    swim_mp_put_string(&w, m->node);
    swim_mp_put_key(&w, "SeqNo");
    swim_mp_put_uint(&w, m->seq_no);
    put_sources(&w, m->source_addr, m->source_node, m->source_port);
    return writer_done(&w, buf);
}

ssize_t swim_encode_indirect_ping(uint8_t *buf, size_t cap, const struct swim_indirect_ping *m)
{
    struct swim_mp_writer w;
    writer_init(&w, buf, cap, SWIM_MSG_INDIRECT_PING);
    swim_mp_put_map(&w, 5 + source_count(m->source_addr, m->source_node, m->source_port));
    swim_mp_put_key(&w, "Nack");
    swim_mp_put_bool(&w, m->nack);
    swim_mp_put_key(&w, "Node");
    swim_mp_put_string(&w, m->node);
    swim_mp_put_key(&w, "Port");
    swim_mp_put_uint(&w, m->port);
    swim_mp_put_key(&w, "SeqNo");
    swim_mp_put_uint(&w, m->seq_no);
    put_sources(&w, m->source_addr, m->source_node, m->source_port);
    swim_mp_put_key(&w, "Target");
    swim_mp_put_byteslice(&w, m->target);
    return writer_done(&w, buf);
}

ssize_t swim_encode_ack(uint8_t *buf, size_t cap, const struct swim_ack *m)
{
    struct swim_mp_writer w;
    writer_init(&w, buf, cap, SWIM_MSG_ACK);
    swim_mp_put_map(&w, 2);
    swim_mp_put_key(&w, "Payload");
    swim_mp_put_byteslice(&w, m->payload);
    swim_mp_put_key(&w, "SeqNo");
    swim_mp_put_uint(&w, m->seq_no);
    return writer_done(&w, buf);
}

ssize_t swim_encode_nack(uint8_t *buf, size_t cap, const struct swim_nack *m)
{
    struct swim_mp_writer w;
    writer_init(&w, buf, cap, SWIM_MSG_NACK);
    swim_mp_put_map(&w, 1);
    swim_mp_put_key(&w, "SeqNo");
    swim_mp_put_uint(&w, m->seq_no);
    return writer_done(&w, buf);
}

static ssize_t encode_from_inc_node(uint8_t *buf, size_t cap, uint8_t type, struct swim_bytes from,
                                    uint32_t inc, struct swim_bytes node)
{
    struct swim_mp_writer w;
    writer_init(&w, buf, cap, type);
    swim_mp_put_map(&w, 3);
    swim_mp_put_key(&w, "From");
    swim_mp_put_string(&w, from);
    swim_mp_put_key(&w, "Incarnation");
    swim_mp_put_uint(&w, inc);
    swim_mp_put_key(&w, "Node");
    swim_mp_put_string(&w, node);
    return writer_done(&w, buf);
}

ssize_t swim_encode_suspect(uint8_t *buf, size_t cap, const struct swim_suspect *m)
{
    return encode_from_inc_node(buf, cap, SWIM_MSG_SUSPECT, m->from, m->incarnation, m->node);
}

ssize_t swim_encode_dead(uint8_t *buf, size_t cap, const struct swim_dead *m)
{
    return encode_from_inc_node(buf, cap, SWIM_MSG_DEAD, m->from, m->incarnation, m->node);
}

ssize_t swim_encode_alive(uint8_t *buf, size_t cap, const struct swim_alive *m)
{
    struct swim_mp_writer w;
    writer_init(&w, buf, cap, SWIM_MSG_ALIVE);
    swim_mp_put_map(&w, 6);
    swim_mp_put_key(&w, "Addr");
    swim_mp_put_byteslice(&w, m->addr);
    swim_mp_put_key(&w, "Incarnation");
    swim_mp_put_uint(&w, m->incarnation);
    swim_mp_put_key(&w, "Meta");
    swim_mp_put_byteslice(&w, m->meta);
    swim_mp_put_key(&w, "Node");
    swim_mp_put_string(&w, m->node);
    swim_mp_put_key(&w, "Port");
    swim_mp_put_uint(&w, m->port);
    swim_mp_put_key(&w, "Vsn");
    swim_mp_put_str(&w, m->vsn, SWIM_VSN_LEN);
    return writer_done(&w, buf);
}

ssize_t swim_encode_push_pull_header(uint8_t *buf, size_t cap,
                                     const struct swim_push_pull_header *m)
{
    struct swim_mp_writer w;
    writer_init(&w, buf, cap, SWIM_MSG_PUSH_PULL);
    swim_mp_put_map(&w, 3);
    swim_mp_put_key(&w, "Join");
    swim_mp_put_bool(&w, m->join);
    swim_mp_put_key(&w, "Nodes");
    swim_mp_put_uint(&w, m->nodes);
    swim_mp_put_key(&w, "UserStateLen");
    swim_mp_put_uint(&w, m->user_state_len);
    return writer_done(&w, buf);
}

ssize_t swim_encode_push_node(uint8_t *buf, size_t cap, const struct swim_push_node *m)
{
    struct swim_mp_writer w = {buf, buf + cap, false};
    swim_mp_put_map(&w, 7);
    swim_mp_put_key(&w, "Addr");
    swim_mp_put_byteslice(&w, m->addr);
    swim_mp_put_key(&w, "Incarnation");
    swim_mp_put_uint(&w, m->incarnation);
    swim_mp_put_key(&w, "Meta");
    swim_mp_put_byteslice(&w, m->meta);
    swim_mp_put_key(&w, "Name");
    swim_mp_put_string(&w, m->name);
    swim_mp_put_key(&w, "Port");
    swim_mp_put_uint(&w, m->port);
    swim_mp_put_key(&w, "State");
    swim_mp_put_uint(&w, m->state);
    swim_mp_put_key(&w, "Vsn");
    swim_mp_put_str(&w, m->vsn, SWIM_VSN_LEN);
    return writer_done(&w, buf);
}

ssize_t swim_encode_user_header(uint8_t *buf, size_t cap, const struct swim_user_header *m)
{
    struct swim_mp_writer w;
    writer_init(&w, buf, cap, SWIM_MSG_USER);
    swim_mp_put_map(&w, 1);
    swim_mp_put_key(&w, "UserMsgLen");
    swim_mp_put_uint(&w, m->user_msg_len);
    return writer_done(&w, buf);
}

ssize_t swim_encode_user_udp(uint8_t *buf, size_t cap, const uint8_t *payload, size_t len)
{
    struct swim_mp_writer w;
    writer_init(&w, buf, cap, SWIM_MSG_USER);
    swim_mp_put_raw(&w, payload, len);
    return writer_done(&w, buf);
}

ssize_t swim_encode_compress(uint8_t *buf, size_t cap, const struct swim_compress *m)
{
    struct swim_mp_writer w;
    writer_init(&w, buf, cap, SWIM_MSG_COMPRESS);
    swim_mp_put_map(&w, 2);
    swim_mp_put_key(&w, "Algo");
    swim_mp_put_uint(&w, m->algo);
    swim_mp_put_key(&w, "Buf");
    swim_mp_put_byteslice(&w, m->buf);
    return writer_done(&w, buf);
}

ssize_t swim_encode_err(uint8_t *buf, size_t cap, const struct swim_err *m)
{
    struct swim_mp_writer w;
    writer_init(&w, buf, cap, SWIM_MSG_ERR);
    swim_mp_put_map(&w, 1);
    swim_mp_put_key(&w, "Error");
    swim_mp_put_string(&w, m->error);
    return writer_done(&w, buf);
}
