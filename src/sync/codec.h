/* sync/codec.h — the cluster's user-payload format: record deltas (gossip), owner states (fetch
 * answers, whole or in chunks), digests (push/pull, on-demand sync), fetch ("repair") requests
 * and version beacons.
 *
 * Every payload starts with SYNC_MAGIC and SYNC_VERSION. SYNC_MAGIC is above every memberlist or
 * serf message type (serf uses 0..9 for its own user messages), so payloads of other applications
 * sharing the gossip layer are never mistaken for ours and ours never for theirs.
 *
 * Layout (integers big-endian; str = u8 length + bytes, no NUL; addr = u8 4|6 + 4|16 bytes):
 *   header   magic u8, version u8, kind u8
 *   DELTAS   str owner, u64 epoch, u16 count,
 *            count * { u64 seq, u8 op, str source, str name, addr [ext] }
 *   STATE    str sender, u8 flags, u16 owners,
 *            owners * { str owner, u64 epoch, u64 seq, u32 count,
 *                       count * { u64 seq, u8 tombstone, str source, str name, addr [ext] } }
 *   REPAIR   str requester, str owner, u64 epoch, u64 seq      (what the requester holds)
 *   VERSION  str owner, u64 epoch, u64 seq [, str holder]      (the owner's current version;
 *                                                          holder: a node that has it, else owner)
 *   DIGEST   str sender, u8 flags, u16 count, count * { str owner, u64 epoch, u64 seq }
 *                                                          (the versions the sender holds)
 *   CHUNK    str owner, u64 epoch, u64 seq, u32 total, u32 first, then a complete STATE payload
 *            carrying one owner and its entries first .. first+count-1 of total
 * Record extension: when bit SYNC_REC_EXT is set in a record's op or tombstone byte, the record
 * ends with ext = u8 length + that many bytes of { u8 tag, u8 length, value } items; decoders
 * skip tags they do not know, so fields can be added without a new version. SYNC_EXT_TTL (u32,
 * at most 2^31 - 1) and SYNC_EXT_RANK (u32) are sent only when the record has them, so a record
 * without a TTL and of rank 0 is encoded exactly as before the extension existed.
 * Decoders validate everything (lengths, names, addresses, ops) and never read past the input. */
#ifndef JOYRIDE_SYNC_CODEC_H
#define JOYRIDE_SYNC_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "records/records.h"

#define SYNC_MAGIC 0xA7
#define SYNC_VERSION 1

enum sync_kind {
    SYNC_KIND_DELTAS = 1,
    SYNC_KIND_STATE = 2,
    SYNC_KIND_REPAIR_REQ = 3,
    SYNC_KIND_VERSION = 4,
    SYNC_KIND_DIGEST = 5,
    SYNC_KIND_CHUNK = 6,
};

/* Record extension (see the layout above): the flag in a record's op or tombstone byte, and the
 * tags of its fields. */
#define SYNC_REC_EXT 0x80
#define SYNC_EXT_TTL 1  /* u32: the record's TTL */
#define SYNC_EXT_RANK 2 /* u32: the record's PTR order among its address's names */

/* STATE flags */
#define SYNC_STATE_WANT_REPLY 0x01 /* the receiver answers with its own full state */
#define SYNC_STATE_REPAIR 0x02     /* an answer to a repair request */
/* DIGEST flags */
#define SYNC_DIGEST_WANT_REPLY 0x01 /* the receiver answers with its own digest */
#define SYNC_DIGEST_FULL 0x02       /* every owner the sender holds (not a recent slice) */

/* Growable output buffer; on allocation failure `oom` is set and further writes are ignored. */
struct sync_buf {
    uint8_t *p;
    size_t len, cap;
    bool oom;
    size_t owners_at, n_owners, entries_at, n_entries; /* STATE counts to patch */
};
void sync_buf_free(struct sync_buf *b);

/* Returns the payload kind (enum sync_kind) or -1 when buf is not one of our payloads. */
int sync_payload_kind(const uint8_t *buf, size_t len);

/* ---- DELTAS ---- */

/* Encoded size of one delta inside a DELTAS payload. */
size_t sync_delta_size(const struct rec_delta *d);
/* Encodes the longest prefix of d[0..n) that shares d[0]'s owner and epoch and fits in max_bytes
 * (at least one delta when it fits at all). Returns how many deltas were encoded (0 on error or
 * when even one does not fit); the payload is in *out (reset first). */
size_t sync_encode_deltas(struct sync_buf *out, const struct rec_delta *d, size_t n,
                          size_t max_bytes);
/* Decodes a DELTAS payload into a malloc'd array (*out, *n). Returns false when malformed. */
bool sync_decode_deltas(const uint8_t *buf, size_t len, struct rec_delta **out, size_t *n);

/* ---- STATE ---- */

void sync_encode_state_begin(struct sync_buf *out, const char *sender, uint8_t flags);
/* Starts one owner; entries follow with sync_encode_state_entry; sync_encode_state_owner_end
 * patches the entry count. */
void sync_encode_state_owner(struct sync_buf *out, const char *owner, struct rec_version ver);
void sync_encode_state_entry(struct sync_buf *out, const struct rec_view *v);
void sync_encode_state_owner_end(struct sync_buf *out);
/* Finishes the payload (patches the owner count). Returns false on overflow / allocation failure.
 */
bool sync_encode_state_end(struct sync_buf *out);

struct sync_owner_state {
    const char *owner;
    struct rec_version ver;
    struct rec_view *entries; /* owner/source/name point into the decoded state's arena */
    size_t n;
};

struct sync_state {
    char sender[REC_OWNER_MAX + 1];
    uint8_t flags;
    struct sync_owner_state *owners;
    size_t n_owners;
    size_t n_entries; /* total over owners */
    char *arena;
    struct rec_view *views;
};
/* Decodes a STATE payload. Returns false when malformed (then nothing needs freeing). */
bool sync_decode_state(const uint8_t *buf, size_t len, struct sync_state *out);
void sync_state_free(struct sync_state *s);

/* ---- REPAIR request ---- */

struct sync_repair_req {
    char requester[REC_OWNER_MAX + 1];
    char owner[REC_OWNER_MAX + 1];
    struct rec_version have;
};
bool sync_encode_repair_req(struct sync_buf *out, const struct sync_repair_req *r);
bool sync_decode_repair_req(const uint8_t *buf, size_t len, struct sync_repair_req *out);

/* ---- VERSION beacon: an owner's current version, so a receiver that missed the last change
 * (no later change will reveal the gap) notices it is behind. ---- */
bool sync_encode_version(struct sync_buf *out, const char *owner, struct rec_version ver);
bool sync_decode_version(const uint8_t *buf, size_t len, char owner[REC_OWNER_MAX + 1],
                         struct rec_version *ver);
/* The same with a holder: a node that has the owner's records at that version. */
bool sync_encode_version_held(struct sync_buf *out, const char *owner, struct rec_version ver,
                              const char *holder);
/* holder is set to the owner when the beacon names none. */
bool sync_decode_version_held(const uint8_t *buf, size_t len, char owner[REC_OWNER_MAX + 1],
                              struct rec_version *ver, char holder[REC_OWNER_MAX + 1]);

/* ---- DIGEST: the version of every owner the sender holds (push/pull, on-demand sync), so the
 * receiver fetches only the owners it is behind on, one at a time. ---- */
void sync_encode_digest_begin(struct sync_buf *out, const char *sender, uint8_t flags);
void sync_encode_digest_owner(struct sync_buf *out, const char *owner, struct rec_version ver);
bool sync_encode_digest_end(struct sync_buf *out);

struct sync_digest_entry {
    char owner[REC_OWNER_MAX + 1];
    struct rec_version ver;
};
struct sync_digest {
    char sender[REC_OWNER_MAX + 1];
    uint8_t flags;
    struct sync_digest_entry *owners; /* malloc'd */
    size_t n;
};
bool sync_decode_digest(const uint8_t *buf, size_t len, struct sync_digest *out);
void sync_digest_free(struct sync_digest *d);

/* ---- CHUNK: one owner's full state split over several bounded messages. ---- */
struct sync_chunk {
    char owner[REC_OWNER_MAX + 1];
    struct rec_version ver;
    uint32_t total, first;
    const uint8_t *state; /* the STATE payload inside (points into the input) */
    size_t state_len;
};
/* Wraps a one-owner STATE payload (state, len) as the chunk (total, first). */
bool sync_encode_chunk(struct sync_buf *out, const char *owner, struct rec_version ver,
                       uint32_t total, uint32_t first, const uint8_t *state, size_t len);
bool sync_decode_chunk(const uint8_t *buf, size_t len, struct sync_chunk *out);

#endif
