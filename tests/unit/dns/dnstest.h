/* dnstest.h — helpers for the DNS tests: build query packets, and an independent strict parser
 * for the responses (follows compression pointers with loop detection, checks every length). */
#ifndef JOYRIDE_TEST_DNSTEST_H
#define JOYRIDE_TEST_DNSTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Builds a query for name (presentation form, case kept). edns_size < 0: no OPT.
 * Returns the length. */
size_t dt_query(uint8_t *buf, uint16_t id, const char *name, uint16_t qtype, uint16_t qclass,
                int edns_size, bool do_bit);

/* A response builder for upstream answers: header and question, then records in section order
 * (0 answer, 1 authority, 2 additional). An owner of NULL is a pointer to the question name. */
struct dt_builder {
    uint8_t *p;
    size_t len;
    uint16_t count[3];
};
void dt_begin(struct dt_builder *b, uint8_t *buf, uint16_t id, const char *name, uint16_t qtype,
              uint8_t flags2, uint8_t flags3);
void dt_rr(struct dt_builder *b, int section, const char *owner, uint16_t type, uint32_t ttl,
           const uint8_t *rdata, uint16_t rdlen);
/* A SOA in the authority section, owner a pointer to the question name's suffix at offset
 * zone_off, with the given TTL and minimum. */
void dt_soa(struct dt_builder *b, uint16_t zone_off, uint32_t ttl, uint32_t minimum);
void dt_opt(struct dt_builder *b, uint16_t payload, uint8_t ext_rcode, bool do_bit);
size_t dt_end(struct dt_builder *b);

#define DT_MAX_RR 512

struct dt_rr {
    char name[256]; /* decompressed, presentation form, lowercase kept as sent */
    uint16_t type, cls;
    uint32_t ttl;
    uint16_t rdlen;
    const uint8_t *rdata;
    size_t rdata_off; /* offset of rdata in the message */
    char soa_mname[256], soa_rname[256];
    char target[256]; /* NS: the name server's name */
    uint32_t soa[5];  /* serial refresh retry expire minimum */
};

struct dt_msg {
    uint16_t id;
    bool qr, aa, tc, rd, cd;
    uint8_t opcode;
    uint16_t rcode; /* with the extended bits of OPT */
    uint16_t qd, an, ns, ar;
    char qname[256];
    uint16_t qtype, qclass;
    struct dt_rr rr[DT_MAX_RR]; /* answer, authority, additional in order */
    size_t nrr;
    bool has_opt;
    uint16_t opt_size;
    uint8_t opt_version;
    bool opt_do;
};

/* Parses a response strictly. Returns NULL on success, otherwise a description of the problem. */
const char *dt_parse(const uint8_t *p, size_t len, struct dt_msg *m);

#endif
