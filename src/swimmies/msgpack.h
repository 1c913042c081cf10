/* msgpack.h — the small msgpack subset memberlist speaks (go-msgpack 0.5.5 defaults): a
 * bounds-checked tolerant reader and a writer that emits the old str-only dialect. Internal to the
 * swimmies codec.
 */
#ifndef SWIMMIES_MSGPACK_H
#define SWIMMIES_MSGPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "swimmies/proto.h"

#define SWIM_MP_SKIP_DEPTH 32 /* deepest nesting swim_mp_skip follows in unknown values */

/* Reader over [p, end). Every function returns SWIM_OK, SWIM_ETRUNC (input ended inside the value)
 * or SWIM_EMALFORMED, and advances p only on success. */
struct swim_mp_reader {
    const uint8_t *p;
    const uint8_t *end;
};

/* Map header (fixmap/map16/map32). nil reads as an empty map. */
int swim_mp_read_map(struct swim_mp_reader *r, uint32_t *n);
/* str family (fixstr/str8/16/32) or bin8/16/32; nil gives p = NULL, len 0. */
int swim_mp_read_bytes(struct swim_mp_reader *r, struct swim_bytes *out);
/* Any integer form; negative values or values above max are SWIM_EMALFORMED; nil reads as 0. */
int swim_mp_read_uint(struct swim_mp_reader *r, uint64_t max, uint64_t *out);
/* true/false (also 0/1 integers); nil reads as false. */
int swim_mp_read_bool(struct swim_mp_reader *r, bool *out);
/* Bytes (str/bin) or an array of small integers, copied into out[0..cap); *n gets the number of
 * elements received (elements beyond cap are checked but dropped). nil gives 0 elements. */
int swim_mp_read_u8_list(struct swim_mp_reader *r, uint8_t *out, size_t cap, uint8_t *n);
/* Skip any one value including nested maps/arrays (depth-limited). */
int swim_mp_skip(struct swim_mp_reader *r);

/* Writer into [p, end). Writes past the end set overflow and are dropped. */
struct swim_mp_writer {
    uint8_t *p;
    uint8_t *end;
    bool overflow;
};

void swim_mp_put_raw(struct swim_mp_writer *w, const void *data, size_t len);
void swim_mp_put_byte(struct swim_mp_writer *w, uint8_t b);
void swim_mp_put_map(struct swim_mp_writer *w, uint32_t n);
/* Smallest unsigned form: posfixint, cc, cd, ce, cf. */
void swim_mp_put_uint(struct swim_mp_writer *w, uint64_t v);
void swim_mp_put_bool(struct swim_mp_writer *w, bool v);
void swim_mp_put_nil(struct swim_mp_writer *w);
/* fixstr / str16 / str32 header + data (never str8 or bin). */
void swim_mp_put_str(struct swim_mp_writer *w, const void *data, size_t len);
/* A Go string field: str (NULL is ""). */
void swim_mp_put_string(struct swim_mp_writer *w, struct swim_bytes b);
/* A Go []byte field: nil (c0) when b.p is NULL, else str. */
void swim_mp_put_byteslice(struct swim_mp_writer *w, struct swim_bytes b);
/* A fixstr map key. */
void swim_mp_put_key(struct swim_mp_writer *w, const char *key);

#endif
