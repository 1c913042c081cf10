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

#define MP_SKIP_DEPTH 32 /* deepest nesting mp_skip follows in unknown values */

/* Reader over [p, end). Every function returns SW_OK, SW_ETRUNC (input ended inside the value) or
 * SW_EMALFORMED, and advances p only on success. */
struct mp_reader {
    const uint8_t *p;
    const uint8_t *end;
};

/* Map header (fixmap/map16/map32). nil reads as an empty map. */
int mp_read_map(struct mp_reader *r, uint32_t *n);
/* str family (fixstr/str8/16/32) or bin8/16/32; nil gives p = NULL, len 0. */
int mp_read_bytes(struct mp_reader *r, struct sw_bytes *out);
/* Any integer form; negative values or values above max are SW_EMALFORMED; nil reads as 0. */
int mp_read_uint(struct mp_reader *r, uint64_t max, uint64_t *out);
/* true/false (also 0/1 integers); nil reads as false. */
int mp_read_bool(struct mp_reader *r, bool *out);
/* Bytes (str/bin) or an array of small integers, copied into out[0..cap); *n gets the number of
 * elements received (elements beyond cap are checked but dropped). nil gives 0 elements. */
int mp_read_u8_list(struct mp_reader *r, uint8_t *out, size_t cap, uint8_t *n);
/* Skip any one value including nested maps/arrays (depth-limited). */
int mp_skip(struct mp_reader *r);

/* Writer into [p, end). Writes past the end set overflow and are dropped. */
struct mp_writer {
    uint8_t *p;
    uint8_t *end;
    bool overflow;
};

void mp_put_raw(struct mp_writer *w, const void *data, size_t len);
void mp_put_byte(struct mp_writer *w, uint8_t b);
void mp_put_map(struct mp_writer *w, uint32_t n);
/* Smallest unsigned form: posfixint, cc, cd, ce, cf. */
void mp_put_uint(struct mp_writer *w, uint64_t v);
void mp_put_bool(struct mp_writer *w, bool v);
void mp_put_nil(struct mp_writer *w);
/* fixstr / str16 / str32 header + data (never str8 or bin). */
void mp_put_str(struct mp_writer *w, const void *data, size_t len);
/* A Go string field: str (NULL is ""). */
void mp_put_string(struct mp_writer *w, struct sw_bytes b);
/* A Go []byte field: nil (c0) when b.p is NULL, else str. */
void mp_put_byteslice(struct mp_writer *w, struct sw_bytes b);
/* A fixstr map key. */
void mp_put_key(struct mp_writer *w, const char *key);

#endif
