/* dns/wildcard.c — the closest-encloser walk of RFC 4592 section 3.3.1, run only when the query
 * name itself is not in the snapshot: strip labels from the left until an existing name (with
 * records or an empty non-terminal) is found, then look up "*" below it. An existing name or empty
 * non-terminal therefore blocks every wildcard above it, and only the wildcard at the closest
 * encloser (the most specific one) can answer. Each step is one hash lookup. */
#include "dns/wildcard.h"

#include <string.h>

const struct rec_rrset *dns_wildcard_match(const struct rec_snapshot *s, const uint8_t *qname,
                                           size_t qname_len, int *encloser_off)
{
    if (encloser_off)
        *encloser_off = -1;
    if (qname_len < 2 || qname_len > REC_WIRE_MAX)
        return NULL;
    /* Ancestors from the longest; the root is never held, so stop at the last label. */
    for (size_t k = (size_t)qname[0] + 1; k < qname_len && qname[k] != 0;
         k += (size_t)qname[k] + 1) {
        size_t tail = qname_len - k;
        if (!records_lookup(s, qname + k, tail))
            continue;
        if (encloser_off)
            *encloser_off = (int)k;
        /* "*" + the closest encloser: k >= 2, so it is never longer than qname */
        uint8_t wild[REC_WIRE_MAX];
        wild[0] = 1;
        wild[1] = '*';
        memcpy(wild + 2, qname + k, tail);
        return records_lookup(s, wild, tail + 2);
    }
    return NULL;
}
