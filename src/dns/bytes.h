/* dns/bytes.h — the big-endian reads and writes and header flag bits shared by the DNS wire code
 * (wire.c for our own answers, fwd_wire.c for upstream queries and answers). Header-only. */
#ifndef JOYRIDE_DNS_BYTES_H
#define JOYRIDE_DNS_BYTES_H

#include <stdint.h>

#define FLAG_QR 0x80 /* header byte 2 */
#define FLAG_AA 0x04
#define FLAG_TC 0x02
#define FLAG_RD 0x01
#define FLAG_RA 0x80 /* header byte 3 */
#define FLAG_CD 0x10

static inline uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

#endif
