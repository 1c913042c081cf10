/* dns/apex.c — the NS set of each DNS_DOMAINS zone: derived names (one per cluster member whose
 * <label>.ns.<zone> record the snapshot serves) or the fixed DNS_NS_NAMES, the NS answer with its
 * glue, the SOA MNAME and serial. The member list is an immutable array published with RCU
 * (urcu-memb, the flavour the record table's readers already hold), so workers never lock. */
#include "dns/apex.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu/urcu-memb.h>

struct apex_label {
    uint8_t len;
    char s[DNS_APEX_LABEL_MAX + 1];
};

/* Immutable once published. */
struct apex_labels {
    size_t n;
    struct apex_label v[];
};

struct dns_apex {
    const struct dns_zone *zones;
    size_t n_zones;
    struct dns_zone *fixed; /* DNS_NS_NAMES in wire form; NULL: derived */
    size_t n_fixed;
    struct apex_labels *labels; /* RCU-published; derived mode */
};

struct dns_apex *dns_apex_new(const struct dns_zone *zones, size_t n_zones,
                              const char *const *fixed, size_t n_fixed, size_t *bad)
{
    struct dns_apex *ax = calloc(1, sizeof *ax);
    if (!ax)
        return NULL;
    ax->zones = zones;
    ax->n_zones = n_zones;
    if (n_fixed > 0) {
        ax->fixed = calloc(n_fixed, sizeof *ax->fixed);
        if (!ax->fixed || !dns_zones_from_text(fixed, n_fixed, ax->fixed, bad)) {
            free(ax->fixed);
            free(ax);
            return NULL;
        }
        ax->n_fixed = n_fixed < DNS_APEX_MAX_NS ? n_fixed : DNS_APEX_MAX_NS;
    }
    return ax;
}

void dns_apex_free(struct dns_apex *ax)
{
    if (!ax)
        return;
    free(ax->labels);
    free(ax->fixed);
    free(ax);
}

static uint32_t fnv32(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

void dns_apex_node_label(const char *node_id, char out[DNS_APEX_LABEL_MAX + 1])
{
    /* Room for "-" and six hex digits when the id has to be changed. */
    const size_t base_max = DNS_APEX_LABEL_MAX - 7;
    size_t n = 0;
    for (const char *p = node_id; *p && n < DNS_APEX_LABEL_MAX; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (alnum)
            out[n++] = c;
        else if (n > 0 && out[n - 1] != '-')
            out[n++] = '-';
    }
    while (n > 0 && out[n - 1] == '-')
        n--;
    out[n] = '\0';
    if (n > 0 && strcmp(out, node_id) == 0)
        return; /* already a label of its own */
    if (n > base_max)
        n = base_max;
    while (n > 0 && out[n - 1] == '-')
        n--;
    if (n == 0) {
        memcpy(out, "node", 4);
        n = 4;
    }
    snprintf(out + n, DNS_APEX_LABEL_MAX + 1 - n, "-%06x", (unsigned)(fnv32(node_id) & 0xffffff));
}

bool dns_apex_node_name(const char *node_id, const char *zone, char out[REC_NAME_MAX + 1])
{
    char label[DNS_APEX_LABEL_MAX + 1];
    dns_apex_node_label(node_id, label);
    int n = snprintf(out, REC_NAME_MAX + 1, "%s.ns.%s", label, zone);
    return n > 0 && (size_t)n <= REC_NAME_MAX;
}

static int label_cmp(const void *x, const void *y)
{
    const struct apex_label *a = x, *b = y;
    return strcmp(a->s, b->s);
}

int dns_apex_set_nodes(struct dns_apex *ax, const char *const *ids, size_t n)
{
    if (ax->fixed)
        return 0;
    /* Zeroed: the list is compared with the published one byte for byte. */
    struct apex_labels *l = calloc(1, sizeof *l + (n ? n : 1) * sizeof l->v[0]);
    if (!l)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        dns_apex_node_label(ids[i], l->v[i].s);
        l->v[i].len = (uint8_t)strlen(l->v[i].s);
    }
    qsort(l->v, n, sizeof l->v[0], label_cmp);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || strcmp(l->v[k - 1].s, l->v[i].s) != 0)
            l->v[k++] = l->v[i];
    l->n = k;
    /* Only the writer (the control thread) stores the pointer, so reading it plainly is safe. */
    const struct apex_labels *cur = ax->labels;
    if (cur && cur->n == l->n && memcmp(cur->v, l->v, k * sizeof l->v[0]) == 0) {
        free(l);
        return 0;
    }
    struct apex_labels *old = rcu_xchg_pointer(&ax->labels, l);
    if (old) {
        urcu_memb_synchronize_rcu();
        free(old);
    }
    return 1;
}

/* Label + "ns" + zone into out; 0 when longer than a name may be. */
static size_t derived_wire(const struct apex_label *l, const struct dns_zone *z,
                           uint8_t out[DNS_NAME_MAX])
{
    size_t n = 1 + (size_t)l->len + 3 + z->len;
    if (n > DNS_NAME_MAX)
        return 0;
    out[0] = l->len;
    memcpy(out + 1, l->s, l->len);
    out[1 + l->len] = 2; /* the label "ns" */
    out[2 + l->len] = 'n';
    out[3 + l->len] = 's';
    memcpy(out + 4 + l->len, z->wire, z->len);
    return n;
}

static bool has_addrs(const struct rec_rrset *rr)
{
    return rr && (rr->n_a > 0 || rr->n_aaaa > 0);
}

size_t dns_apex_ns_set(const struct dns_apex *ax, const struct rec_snapshot *snap, size_t zone,
                       struct dns_apex_ns *out, size_t max)
{
    if (!ax || zone >= ax->n_zones)
        return 0;
    size_t k = 0;
    if (ax->fixed) {
        for (size_t i = 0; i < ax->n_fixed && k < max; i++) {
            struct dns_apex_ns *o = &out[k++];
            memcpy(o->wire, ax->fixed[i].wire, ax->fixed[i].len);
            o->len = ax->fixed[i].len;
            o->rr = snap ? records_lookup(snap, o->wire, o->len) : NULL;
        }
        return k;
    }
    const struct apex_labels *l = rcu_dereference(((struct dns_apex *)ax)->labels);
    if (!l || !snap)
        return 0;
    for (size_t i = 0; i < l->n && k < max; i++) {
        struct dns_apex_ns *o = &out[k];
        size_t len = derived_wire(&l->v[i], &ax->zones[zone], o->wire);
        if (len == 0)
            continue;
        o->len = (uint16_t)len;
        o->rr = records_lookup(snap, o->wire, len);
        if (has_addrs(o->rr))
            k++; /* a member whose record is not served (dead, not replicated yet) is left out */
    }
    return k;
}

bool dns_apex_mname(const struct dns_apex *ax, const struct rec_snapshot *snap, size_t zone,
                    struct dns_apex_ns *out)
{
    return dns_apex_ns_set(ax, snap, zone, out, 1) == 1;
}

size_t dns_apex_add_ns(const struct dns_apex *ax, const struct rec_snapshot *snap, size_t zone,
                       uint16_t zone_off, uint32_t ttl, struct dns_resp *r)
{
    struct dns_apex_ns set[DNS_APEX_MAX_NS];
    uint16_t at[DNS_APEX_MAX_NS];
    size_t n = dns_apex_ns_set(ax, snap, zone, set, DNS_APEX_MAX_NS);
    for (size_t i = 0; i < n; i++)
        if (!dns_resp_add_ns(r, zone_off, set[i].wire, set[i].len, ttl, &at[i]))
            return 0;
    const struct dns_zone *z = &ax->zones[zone];
    for (size_t i = 0; i < n; i++) {
        const struct rec_rrset *rr = set[i].rr;
        if (!rr || dns_name_suffix_at(set[i].wire, set[i].len, z->wire, z->len) < 0)
            continue; /* glue only for names inside the zone */
        /* Whole RRsets only: a cut one would be cached as if complete. */
        if (dns_resp_room(r) < (size_t)rr->n_a * 16)
            return n;
        for (size_t j = 0; j < rr->n_a; j++)
            dns_resp_add_glue(r, at[i], DNS_TYPE_A, rr->a[j], ttl);
        if (dns_resp_room(r) < (size_t)rr->n_aaaa * 28)
            return n;
        for (size_t j = 0; j < rr->n_aaaa; j++)
            dns_resp_add_glue(r, at[i], DNS_TYPE_AAAA, rr->aaaa[j], ttl);
    }
    return n;
}

uint32_t dns_zone_serial(const struct rec_snapshot *snap)
{
    uint64_t d = snap ? records_snapshot_digest(snap) : 0;
    return (uint32_t)(d ^ (d >> 32));
}
