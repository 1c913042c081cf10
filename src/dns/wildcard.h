/* dns/wildcard.h — wildcard matching as RFC 4592 defines it, for names the snapshot does not
 * hold: the closest encloser (the longest existing ancestor, empty non-terminals included) and
 * the wildcard "*.<closest encloser>", if that exists. No allocation. */
#ifndef JOYRIDE_DNS_WILDCARD_H
#define JOYRIDE_DNS_WILDCARD_H

#include <stddef.h>
#include <stdint.h>

#include "records/records.h"

/* qname (lowercase, uncompressed wire form, root label included) is a name records_lookup did not
 * find in s. Returns the rrset of the wildcard that answers for it, or NULL when none does (no
 * ancestor exists, or the closest encloser has no "*" child: NXDOMAIN). *encloser_off (may be
 * NULL) is set to the offset in qname where the closest encloser starts, or -1 when no ancestor
 * exists. */
const struct rec_rrset *dns_wildcard_match(const struct rec_snapshot *s, const uint8_t *qname,
                                           size_t qname_len, int *encloser_off);

#endif
