/* sync/codec.c — encoders and validating decoders for the cluster's user payloads (layout in
 * sync_codec.h). Decoders never read outside [buf, buf+len) and reject anything that does not
 * describe valid records. */
#include "sync/codec.h"

#include <stdlib.h>
#include <string.h>

#define HEADER_LEN 3
#define STATE_MAX_OWNERS 65535u
#define MIN_DELTA_BYTES (8 + 1 + 2 + 2 + 5) /* seq, op, two 1-char strings, A address */
#define MIN_ENTRY_BYTES MIN_DELTA_BYTES

/* ---- output buffer ---- */

void sync_buf_free(struct sync_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

static void buf_reserve(struct sync_buf *b, size_t more)
{
    if (b->oom)
        return;
    if (more > SIZE_MAX / 2 - b->len) {
        b->oom = true;
        return;
    }
    if (b->len + more <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more)
        cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return;
    }
    b->p = p;
    b->cap = cap;
}

static void put(struct sync_buf *b, const void *src, size_t n)
{
    buf_reserve(b, n);
    if (b->oom)
        return;
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void put_u8(struct sync_buf *b, uint8_t v)
{
    put(b, &v, 1);
}

static void put_be(struct sync_buf *b, uint64_t v, int bytes)
{
    uint8_t tmp[8];
    for (int i = 0; i < bytes; i++)
        tmp[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
    put(b, tmp, (size_t)bytes);
}

static void patch_be(struct sync_buf *b, size_t at, uint64_t v, int bytes)
{
    if (b->oom || at + (size_t)bytes > b->len)
        return;
    for (int i = 0; i < bytes; i++)
        b->p[at + (size_t)i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

static void put_str(struct sync_buf *b, const char *s)
{
    size_t n = strlen(s);
    if (n > 255) {
        b->oom = true; /* cannot be represented; callers only pass bounded strings */
        return;
    }
    put_u8(b, (uint8_t)n);
    put(b, s, n);
}

static void put_addr(struct sync_buf *b, const struct rec_addr *a)
{
    if (a->type == REC_AAAA) {
        put_u8(b, 6);
        put(b, a->bytes, 16);
    } else {
        put_u8(b, 4);
        put(b, a->bytes, 4);
    }
}

/* A record's extension fields: present when it has a TTL or a rank. */
static bool rec_has_ext(uint32_t rank, bool has_ttl)
{
    return has_ttl || rank != 0;
}

static size_t ext_size(uint32_t rank, bool has_ttl)
{
    if (!rec_has_ext(rank, has_ttl))
        return 0;
    return 1 + (has_ttl ? 6 : 0) + (rank ? 6 : 0);
}

static void put_ext(struct sync_buf *b, uint32_t rank, bool has_ttl, uint32_t ttl)
{
    if (!rec_has_ext(rank, has_ttl))
        return;
    put_u8(b, (uint8_t)(ext_size(rank, has_ttl) - 1));
    if (has_ttl) {
        put_u8(b, SYNC_EXT_TTL);
        put_u8(b, 4);
        put_be(b, ttl, 4);
    }
    if (rank) {
        put_u8(b, SYNC_EXT_RANK);
        put_u8(b, 4);
        put_be(b, rank, 4);
    }
}

static void put_header(struct sync_buf *b, enum sync_kind kind)
{
    b->len = 0;
    b->oom = false;
    put_u8(b, SYNC_MAGIC);
    put_u8(b, SYNC_VERSION);
    put_u8(b, (uint8_t)kind);
}

/* ---- input reader ---- */

struct rd {
    const uint8_t *p;
    size_t len, off;
    bool bad;
};

static bool rd_need(struct rd *r, size_t n)
{
    if (r->bad || n > r->len - r->off) {
        r->bad = true;
        return false;
    }
    return true;
}

static uint64_t get_be(struct rd *r, int bytes)
{
    if (!rd_need(r, (size_t)bytes))
        return 0;
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = (v << 8) | r->p[r->off + (size_t)i];
    r->off += (size_t)bytes;
    return v;
}

/* Copies a str into dst (cap includes the NUL); rejects empty, too long, NUL or control bytes. */
static bool get_str(struct rd *r, char *dst, size_t cap)
{
    size_t n = (size_t)get_be(r, 1);
    if (r->bad || n == 0 || n >= cap || !rd_need(r, n)) {
        r->bad = true;
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t c = r->p[r->off + i];
        if (c < 0x20 || c == 0x7f) {
            r->bad = true;
            return false;
        }
        dst[i] = (char)c;
    }
    dst[n] = 0;
    r->off += n;
    return true;
}

/* A record name must already be in normalized form (lowercase, no trailing dot). */
static bool get_name(struct rd *r, char dst[REC_NAME_MAX + 1])
{
    char norm[REC_NAME_MAX + 1];
    if (!get_str(r, dst, REC_NAME_MAX + 1))
        return false;
    if (!records_normalize_name(dst, norm) || strcmp(norm, dst) != 0) {
        r->bad = true;
        return false;
    }
    return true;
}

static bool get_addr(struct rd *r, struct rec_addr *a)
{
    memset(a, 0, sizeof *a);
    uint8_t t = (uint8_t)get_be(r, 1);
    size_t n = t == 4 ? 4 : t == 6 ? 16 : 0;
    if (r->bad || n == 0 || !rd_need(r, n)) {
        r->bad = true;
        return false;
    }
    a->type = t == 4 ? REC_A : REC_AAAA;
    memcpy(a->bytes, r->p + r->off, n);
    r->off += n;
    return true;
}

/* Reads an ext block into rank and TTL (absent fields: rank 0, no TTL); unknown tags are
 * skipped, a known one of the wrong size or a TTL above 2^31 - 1 is malformed. */
static void get_ext(struct rd *r, uint32_t *rank, bool *has_ttl, uint32_t *ttl)
{
    size_t n = (size_t)get_be(r, 1);
    if (!rd_need(r, n))
        return;
    size_t end = r->off + n;
    while (!r->bad && r->off < end) {
        if (end - r->off < 2) {
            r->bad = true;
            return;
        }
        uint8_t tag = r->p[r->off], len = r->p[r->off + 1];
        r->off += 2;
        if (len > end - r->off) {
            r->bad = true;
            return;
        }
        if (tag == SYNC_EXT_TTL || tag == SYNC_EXT_RANK) {
            if (len != 4) {
                r->bad = true;
                return;
            }
            uint32_t v = (uint32_t)get_be(r, 4);
            if (tag == SYNC_EXT_RANK) {
                *rank = v;
            } else if (v > INT32_MAX) {
                r->bad = true;
            } else {
                *has_ttl = true;
                *ttl = v;
            }
        } else {
            r->off += len; /* a field of a later version */
        }
    }
}

static bool get_header(struct rd *r, enum sync_kind kind)
{
    return sync_payload_kind(r->p, r->len) == (int)kind && (r->off = HEADER_LEN, true);
}

int sync_payload_kind(const uint8_t *buf, size_t len)
{
    if (!buf || len < HEADER_LEN || buf[0] != SYNC_MAGIC || buf[1] != SYNC_VERSION)
        return -1;
    if (buf[2] < SYNC_KIND_DELTAS || buf[2] > SYNC_KIND_CHUNK)
        return -1;
    return buf[2];
}

/* ---- DELTAS ---- */

size_t sync_delta_size(const struct rec_delta *d)
{
    return 8 + 1 + 1 + strlen(d->source) + 1 + strlen(d->name) + 1 +
           (d->addr.type == REC_AAAA ? 16 : 4) +
           (d->op == REC_OP_ADD ? ext_size(d->rank, d->has_ttl) : 0);
}

size_t sync_encode_deltas(struct sync_buf *out, const struct rec_delta *d, size_t n,
                          size_t max_bytes)
{
    if (n == 0)
        return 0;
    put_header(out, SYNC_KIND_DELTAS);
    put_str(out, d[0].owner);
    put_be(out, d[0].ver.epoch, 8);
    size_t count_at = out->len;
    put_be(out, 0, 2);
    size_t k = 0;
    while (k < n && k < 65535 && strcmp(d[k].owner, d[0].owner) == 0 &&
           d[k].ver.epoch == d[0].ver.epoch) {
        if (out->len + sync_delta_size(&d[k]) > max_bytes)
            break;
        /* a removal's rank and TTL mean nothing: it is sent as before */
        bool ext = d[k].op == REC_OP_ADD && rec_has_ext(d[k].rank, d[k].has_ttl);
        put_be(out, d[k].ver.seq, 8);
        put_u8(out, (uint8_t)(d[k].op | (ext ? SYNC_REC_EXT : 0)));
        put_str(out, d[k].source);
        put_str(out, d[k].name);
        put_addr(out, &d[k].addr);
        if (ext)
            put_ext(out, d[k].rank, d[k].has_ttl, d[k].ttl);
        k++;
    }
    patch_be(out, count_at, k, 2);
    if (out->oom)
        return 0;
    return k;
}

bool sync_decode_deltas(const uint8_t *buf, size_t len, struct rec_delta **out, size_t *n)
{
    struct rd r = {buf, len, 0, false};
    *out = NULL;
    *n = 0;
    if (!get_header(&r, SYNC_KIND_DELTAS))
        return false;
    char owner[REC_OWNER_MAX + 1];
    if (!get_str(&r, owner, sizeof owner))
        return false;
    uint64_t epoch = get_be(&r, 8);
    size_t count = (size_t)get_be(&r, 2);
    if (r.bad || count == 0 || count > (len - r.off) / MIN_DELTA_BYTES)
        return false;
    struct rec_delta *d = calloc(count, sizeof *d);
    if (!d)
        return false;
    for (size_t i = 0; i < count; i++) {
        memcpy(d[i].owner, owner, sizeof owner);
        d[i].ver.epoch = epoch;
        d[i].ver.seq = get_be(&r, 8);
        uint8_t op = (uint8_t)get_be(&r, 1);
        bool ext = op & SYNC_REC_EXT;
        op &= (uint8_t)~SYNC_REC_EXT;
        if (op != REC_OP_ADD && op != REC_OP_DEL)
            r.bad = true;
        d[i].op = (enum rec_op)op;
        get_str(&r, d[i].source, sizeof d[i].source);
        get_name(&r, d[i].name);
        get_addr(&r, &d[i].addr);
        if (ext)
            get_ext(&r, &d[i].rank, &d[i].has_ttl, &d[i].ttl);
        if (r.bad)
            break;
    }
    if (r.bad || r.off != len) {
        free(d);
        return false;
    }
    *out = d;
    *n = count;
    return true;
}

/* ---- STATE ---- */

void sync_encode_state_begin(struct sync_buf *out, const char *sender, uint8_t flags)
{
    put_header(out, SYNC_KIND_STATE);
    put_str(out, sender);
    put_u8(out, flags);
    out->owners_at = out->len;
    out->entries_at = 0;
    out->n_owners = 0;
    out->n_entries = 0;
    put_be(out, 0, 2);
}

void sync_encode_state_owner(struct sync_buf *out, const char *owner, struct rec_version ver)
{
    if (out->owners_at == 0 || out->n_owners >= STATE_MAX_OWNERS) {
        out->oom = true;
        return;
    }
    put_str(out, owner);
    put_be(out, ver.epoch, 8);
    put_be(out, ver.seq, 8);
    out->entries_at = out->len;
    out->n_entries = 0;
    put_be(out, 0, 4);
    out->n_owners++;
}

void sync_encode_state_entry(struct sync_buf *out, const struct rec_view *v)
{
    if (out->entries_at == 0 || out->n_entries >= UINT32_MAX) {
        out->oom = true;
        return;
    }
    /* a tombstone's rank and TTL mean nothing: it is sent as before */
    bool ext = !v->tombstone && rec_has_ext(v->rank, v->has_ttl);
    put_be(out, v->seq, 8);
    put_u8(out, (uint8_t)((v->tombstone ? 1 : 0) | (ext ? SYNC_REC_EXT : 0)));
    put_str(out, v->source);
    put_str(out, v->name);
    put_addr(out, &v->addr);
    if (ext)
        put_ext(out, v->rank, v->has_ttl, v->ttl);
    out->n_entries++;
}

void sync_encode_state_owner_end(struct sync_buf *out)
{
    patch_be(out, out->entries_at, out->n_entries, 4);
    out->entries_at = 0;
}

bool sync_encode_state_end(struct sync_buf *out)
{
    if (out->owners_at == 0 || out->entries_at != 0)
        return false;
    patch_be(out, out->owners_at, out->n_owners, 2);
    out->owners_at = 0;
    return !out->oom;
}

void sync_state_free(struct sync_state *s)
{
    free(s->owners);
    free(s->arena);
    free(s->views);
    memset(s, 0, sizeof *s);
}

/* Copies a validated string into the arena; returns its start. */
static const char *arena_put(char *arena, size_t *used, const char *s)
{
    size_t n = strlen(s) + 1;
    char *dst = arena + *used;
    memcpy(dst, s, n);
    *used += n;
    return dst;
}

bool sync_decode_state(const uint8_t *buf, size_t len, struct sync_state *out)
{
    struct rd r = {buf, len, 0, false};
    memset(out, 0, sizeof *out);
    if (!get_header(&r, SYNC_KIND_STATE))
        return false;
    if (!get_str(&r, out->sender, sizeof out->sender))
        return false;
    out->flags = (uint8_t)get_be(&r, 1);
    size_t n_owners = (size_t)get_be(&r, 2);
    if (r.bad || n_owners > (len - r.off) / (2 + 8 + 8 + 4))
        return false;
    /* Every string in the input is at most its length prefix plus a NUL in the arena, and every
     * entry needs at least MIN_ENTRY_BYTES: both bound the allocations by the input size. */
    size_t max_entries = len / MIN_ENTRY_BYTES;
    out->owners = calloc(n_owners ? n_owners : 1, sizeof *out->owners);
    out->arena = malloc(len + 1);
    out->views = calloc(max_entries ? max_entries : 1, sizeof *out->views);
    if (!out->owners || !out->arena || !out->views) {
        sync_state_free(out);
        return false;
    }
    size_t used = 0, total = 0;
    for (size_t i = 0; i < n_owners && !r.bad; i++) {
        char owner[REC_OWNER_MAX + 1];
        if (!get_str(&r, owner, sizeof owner))
            break;
        struct sync_owner_state *o = &out->owners[i];
        o->owner = arena_put(out->arena, &used, owner);
        o->ver.epoch = get_be(&r, 8);
        o->ver.seq = get_be(&r, 8);
        size_t count = (size_t)get_be(&r, 4);
        if (r.bad || count > max_entries - total) {
            r.bad = true;
            break;
        }
        o->entries = out->views + total;
        o->n = count;
        for (size_t k = 0; k < count && !r.bad; k++) {
            struct rec_view *v = &out->views[total + k];
            char source[REC_SOURCE_MAX + 1], name[REC_NAME_MAX + 1];
            v->owner = o->owner;
            v->seq = get_be(&r, 8);
            uint8_t ts = (uint8_t)get_be(&r, 1);
            bool ext = ts & SYNC_REC_EXT;
            ts &= (uint8_t)~SYNC_REC_EXT;
            if (ts > 1)
                r.bad = true;
            v->tombstone = ts == 1;
            if (!get_str(&r, source, sizeof source) || !get_name(&r, name) ||
                !get_addr(&r, &v->addr))
                break;
            if (ext)
                get_ext(&r, &v->rank, &v->has_ttl, &v->ttl);
            /* strings in the arena never exceed the bytes they came from */
            v->source = arena_put(out->arena, &used, source);
            v->name = arena_put(out->arena, &used, name);
            v->served = !v->tombstone;
        }
        total += count;
    }
    if (r.bad || r.off != len) {
        sync_state_free(out);
        return false;
    }
    out->n_owners = n_owners;
    out->n_entries = total;
    return true;
}

/* ---- REPAIR request ---- */

bool sync_encode_repair_req(struct sync_buf *out, const struct sync_repair_req *q)
{
    put_header(out, SYNC_KIND_REPAIR_REQ);
    put_str(out, q->requester);
    put_str(out, q->owner);
    put_be(out, q->have.epoch, 8);
    put_be(out, q->have.seq, 8);
    return !out->oom;
}

bool sync_decode_repair_req(const uint8_t *buf, size_t len, struct sync_repair_req *out)
{
    struct rd r = {buf, len, 0, false};
    memset(out, 0, sizeof *out);
    if (!get_header(&r, SYNC_KIND_REPAIR_REQ))
        return false;
    get_str(&r, out->requester, sizeof out->requester);
    get_str(&r, out->owner, sizeof out->owner);
    out->have.epoch = get_be(&r, 8);
    out->have.seq = get_be(&r, 8);
    return !r.bad && r.off == len;
}

/* ---- VERSION beacon ---- */

bool sync_encode_version(struct sync_buf *out, const char *owner, struct rec_version ver)
{
    put_header(out, SYNC_KIND_VERSION);
    put_str(out, owner);
    put_be(out, ver.epoch, 8);
    put_be(out, ver.seq, 8);
    return !out->oom;
}

bool sync_decode_version(const uint8_t *buf, size_t len, char owner[REC_OWNER_MAX + 1],
                         struct rec_version *ver)
{
    char holder[REC_OWNER_MAX + 1];
    return sync_decode_version_held(buf, len, owner, ver, holder);
}

bool sync_encode_version_held(struct sync_buf *out, const char *owner, struct rec_version ver,
                              const char *holder)
{
    if (!sync_encode_version(out, owner, ver))
        return false;
    put_str(out, holder);
    return !out->oom;
}

bool sync_decode_version_held(const uint8_t *buf, size_t len, char owner[REC_OWNER_MAX + 1],
                              struct rec_version *ver, char holder[REC_OWNER_MAX + 1])
{
    struct rd r = {buf, len, 0, false};
    if (!get_header(&r, SYNC_KIND_VERSION))
        return false;
    get_str(&r, owner, REC_OWNER_MAX + 1);
    ver->epoch = get_be(&r, 8);
    ver->seq = get_be(&r, 8);
    if (r.bad)
        return false;
    if (r.off == len) {
        memcpy(holder, owner, REC_OWNER_MAX + 1);
        return true;
    }
    get_str(&r, holder, REC_OWNER_MAX + 1);
    return !r.bad && r.off == len;
}

/* ---- DIGEST ---- */

void sync_encode_digest_begin(struct sync_buf *out, const char *sender, uint8_t flags)
{
    put_header(out, SYNC_KIND_DIGEST);
    put_str(out, sender);
    put_u8(out, flags);
    out->owners_at = out->len;
    out->n_owners = 0;
    put_be(out, 0, 2);
}

void sync_encode_digest_owner(struct sync_buf *out, const char *owner, struct rec_version ver)
{
    if (out->owners_at == 0 || out->n_owners >= STATE_MAX_OWNERS) {
        out->oom = true;
        return;
    }
    put_str(out, owner);
    put_be(out, ver.epoch, 8);
    put_be(out, ver.seq, 8);
    out->n_owners++;
}

bool sync_encode_digest_end(struct sync_buf *out)
{
    if (out->owners_at == 0)
        return false;
    patch_be(out, out->owners_at, out->n_owners, 2);
    out->owners_at = 0;
    return !out->oom;
}

void sync_digest_free(struct sync_digest *d)
{
    free(d->owners);
    memset(d, 0, sizeof *d);
}

bool sync_decode_digest(const uint8_t *buf, size_t len, struct sync_digest *out)
{
    struct rd r = {buf, len, 0, false};
    memset(out, 0, sizeof *out);
    if (!get_header(&r, SYNC_KIND_DIGEST) || !get_str(&r, out->sender, sizeof out->sender))
        return false;
    out->flags = (uint8_t)get_be(&r, 1);
    size_t n = (size_t)get_be(&r, 2);
    if (r.bad || n > (len - r.off) / (2 + 8 + 8))
        return false;
    out->owners = calloc(n ? n : 1, sizeof *out->owners);
    if (!out->owners)
        return false;
    for (size_t i = 0; i < n && !r.bad; i++) {
        get_str(&r, out->owners[i].owner, sizeof out->owners[i].owner);
        out->owners[i].ver.epoch = get_be(&r, 8);
        out->owners[i].ver.seq = get_be(&r, 8);
    }
    if (r.bad || r.off != len) {
        sync_digest_free(out);
        return false;
    }
    out->n = n;
    return true;
}

/* ---- CHUNK ---- */

bool sync_encode_chunk(struct sync_buf *out, const char *owner, struct rec_version ver,
                       uint32_t total, uint32_t first, const uint8_t *state, size_t len)
{
    put_header(out, SYNC_KIND_CHUNK);
    put_str(out, owner);
    put_be(out, ver.epoch, 8);
    put_be(out, ver.seq, 8);
    put_be(out, total, 4);
    put_be(out, first, 4);
    put(out, state, len);
    return !out->oom;
}

bool sync_decode_chunk(const uint8_t *buf, size_t len, struct sync_chunk *out)
{
    struct rd r = {buf, len, 0, false};
    memset(out, 0, sizeof *out);
    if (!get_header(&r, SYNC_KIND_CHUNK) || !get_str(&r, out->owner, sizeof out->owner))
        return false;
    out->ver.epoch = get_be(&r, 8);
    out->ver.seq = get_be(&r, 8);
    out->total = (uint32_t)get_be(&r, 4);
    out->first = (uint32_t)get_be(&r, 4);
    if (r.bad || out->first >= out->total ||
        sync_payload_kind(buf + r.off, len - r.off) != SYNC_KIND_STATE)
        return false;
    out->state = buf + r.off;
    out->state_len = len - r.off;
    return true;
}
