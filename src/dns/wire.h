/* dns/wire.h — DNS wire format: parse one query, build one response. No I/O and no allocation:
 * everything works on caller buffers and never reads or writes outside the given lengths. */
#ifndef JOYRIDE_DNS_WIRE_H
#define JOYRIDE_DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER_LEN 12
#define DNS_NAME_MAX 255      /* uncompressed wire form, root label included */
#define DNS_UDP_MIN 512       /* payload limit without EDNS (RFC 1035) */
#define DNS_EDNS_PAYLOAD 1232 /* the UDP payload we advertise and never exceed */
#define DNS_MSG_MAX 65535     /* TCP message limit */
#define DNS_OPT_LEN 11        /* an OPT RR without options */

enum dns_type {
    DNS_TYPE_A = 1,
    DNS_TYPE_NS = 2,
    DNS_TYPE_CNAME = 5,
    DNS_TYPE_SOA = 6,
    DNS_TYPE_PTR = 12,
    DNS_TYPE_AAAA = 28,
    DNS_TYPE_OPT = 41,
    DNS_TYPE_IXFR = 251,
    DNS_TYPE_AXFR = 252,
    DNS_TYPE_ANY = 255,
};

enum dns_class { DNS_CLASS_IN = 1, DNS_CLASS_CH = 3, DNS_CLASS_HS = 4, DNS_CLASS_ANY = 255 };

enum dns_rcode {
    DNS_RCODE_NOERROR = 0,
    DNS_RCODE_FORMERR = 1,
    DNS_RCODE_SERVFAIL = 2,
    DNS_RCODE_NXDOMAIN = 3,
    DNS_RCODE_NOTIMP = 4,
    DNS_RCODE_REFUSED = 5,
    DNS_RCODE_BADVERS = 16, /* extended: needs EDNS */
};

enum dns_opcode { DNS_OPCODE_QUERY = 0 };

/* Outcome of parsing: drop silently, answer with an error rcode, or go on to look the name up. */
enum dns_parse {
    DNS_PARSE_DROP = -1, /* not a query we may answer (shorter than a header, QR set) */
    DNS_PARSE_OK = 0,    /* well formed standard query: look it up */
    /* otherwise a positive enum dns_rcode to send back (FORMERR, NOTIMP, REFUSED, BADVERS) */
};

struct dns_query {
    uint16_t id;
    uint8_t opcode;
    bool rd, cd;
    bool has_question; /* the question parsed; responses echo it */
    uint16_t qtype, qclass;
    const uint8_t *question; /* the question as received (original case): name, type, class */
    uint16_t question_len;
    uint8_t qname[DNS_NAME_MAX]; /* lowercased, uncompressed, root label included */
    uint16_t qname_len;
    bool has_edns; /* a well formed OPT RR was present; responses carry OPT */
    bool edns_do;
    uint8_t edns_version;
    uint16_t edns_udp_size; /* as sent by the client */
};

/* Parses pkt[0..len). Returns DNS_PARSE_DROP, DNS_PARSE_OK, or an rcode for an error response
 * that dns_build_error() makes. q is filled as far as parsing got. */
int dns_parse_query(const uint8_t *pkt, size_t len, struct dns_query *q);

/* Largest response for q: TCP 65535; UDP the client's EDNS size (at least 512, at most
 * DNS_EDNS_PAYLOAD), 512 without EDNS. */
size_t dns_response_limit(const struct dns_query *q, bool tcp);

/* ---- Response builder ---- */

struct dns_resp {
    uint8_t *buf;
    size_t cap; /* min(buffer size, response limit) */
    size_t len;
    size_t mark;         /* end of the question: where the answer section starts */
    uint16_t an, ns, ar; /* ar: additional records other than OPT */
    bool edns, edns_do;
    uint16_t rcode; /* may be extended (> 15) */
    bool truncated;
};

/* Starts a response to q: header (id, opcode, RD and CD copied, QR, AA as given) and the echoed
 * question when q has one. limit is the response size limit (dns_response_limit); buf must hold
 * at least DNS_HEADER_LEN + question + DNS_OPT_LEN bytes or false is returned. */
bool dns_resp_begin(struct dns_resp *r, const struct dns_query *q, uint8_t *buf, size_t bufsize,
                    size_t limit, uint16_t rcode, bool aa);

/* Adds an answer RR for the question name (compressed to the question) with rdata of type
 * A (4 bytes) or AAAA (16 bytes). When it does not fit, the response is truncated: every answer
 * is removed and TC is set; later adds are ignored. Returns false once truncated. */
bool dns_resp_add_addr(struct dns_resp *r, uint16_t type, const uint8_t *addr, uint32_t ttl);

/* Adds a PTR answer RR for the question name whose rdata is the uncompressed, lowercase wire
 * name target[0..len). Same overflow rule as dns_resp_add_addr. */
bool dns_resp_add_ptr(struct dns_resp *r, const uint8_t *target, size_t len, uint32_t ttl);

/* SOA parameters for a zone Joyride is authoritative for. The owner is the zone apex, which is
 * the suffix of the question name starting at qname offset zone_off (compressed to it).
 * MNAME is mname (lowercase uncompressed wire form, compressed to the apex when inside it), or
 * the apex when mname is NULL; RNAME is hostmaster.<apex>. */
struct dns_soa {
    uint16_t zone_off;
    uint32_t ttl, serial, refresh, retry, expire, minimum;
    const uint8_t *mname;
    size_t mname_len;
};
/* Adds the SOA to the answer (answer = true) or authority section. Same overflow rule as
 * dns_resp_add_addr. */
bool dns_resp_add_soa(struct dns_resp *r, const struct dns_soa *soa, bool answer);

/* Adds an NS record owned by the zone apex (the question name's suffix at zone_off) to the answer
 * section; target is a lowercase uncompressed wire name, compressed to the apex when inside it.
 * *target_at (may be NULL) receives where the target name starts in the message, for glue.
 * Same overflow rule as dns_resp_add_addr. */
bool dns_resp_add_ns(struct dns_resp *r, uint16_t zone_off, const uint8_t *target,
                     size_t target_len, uint32_t ttl, uint16_t *target_at);

/* Adds an A or AAAA record owned by the name at message offset owner_at (a name already written,
 * e.g. an NS target) to the additional section. Additional data is optional: when it does not
 * fit, nothing is added and the response is not truncated. Returns whether it was added. */
bool dns_resp_add_glue(struct dns_resp *r, uint16_t owner_at, uint16_t type, const uint8_t *addr,
                       uint32_t ttl);

/* Bytes still free for records (the OPT record's room kept); 0 once truncated. */
size_t dns_resp_room(const struct dns_resp *r);

/* Adds OPT when the query had EDNS, writes the counts and rcode; returns the length. */
size_t dns_resp_finish(struct dns_resp *r);

/* A complete error response (header, question if parsed, OPT if the query had EDNS). Returns
 * its length, 0 if buf is too small. */
size_t dns_build_error(const struct dns_query *q, uint16_t rcode, uint8_t *buf, size_t bufsize);

/* "NOERROR", "NXDOMAIN", ... ("RCODE12" for unnamed ones, "BADVERS" for 16). */
const char *dns_rcode_name(int rcode);

/* ---- Names ---- */

/* Converts a presentation name ("example.com", "example.com.", "." ) to lowercase wire form.
 * Returns the wire length, 0 if invalid. */
size_t dns_name_from_text(const char *text, uint8_t out[DNS_NAME_MAX]);

/* If zone (wire form, lowercase) is name or a suffix of name at a label boundary, returns the
 * offset in name where it starts; -1 otherwise. */
int dns_name_suffix_at(const uint8_t *name, size_t name_len, const uint8_t *zone, size_t zone_len);

#endif
