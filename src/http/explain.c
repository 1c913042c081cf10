/* http/explain.c — GET /dns/explain: for one name, every record the table holds (served, dormant
 * because its owner failed, shadowed by this node's hosts files, or removed) with its source, and
 * the answer the DNS server really gives (dns_server_probe runs the workers' answer code on the
 * live snapshot), with the rule that decided it; a name answered from a wildcard shows the
 * wildcard and its records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vec.h"
#include "dns/wire.h"
#include "http/internal.h"

enum state { ST_SERVED, ST_SHADOWED, ST_DORMANT, ST_REMOVED };
static const char *const state_names[] = {"served", "shadowed", "dormant", "removed"};

struct entry {
    char *owner, *source, *info; /* one allocation, owned by owner; info may be NULL */
    struct rec_addr addr;
    uint64_t epoch, seq;
    uint32_t line;
    bool local;
    enum state state;
};

struct entries {
    struct entry *v;
    size_t n, cap;
    const char *local;
    bool oom;
};

static void collect(const struct rec_view *r, void *ctx)
{
    struct entries *es = ctx;
    if (es->oom)
        return;
    size_t ol = strlen(r->owner) + 1, sl = strlen(r->source) + 1;
    size_t il = r->info ? strlen(r->info) + 1 : 0;
    char *block = malloc(ol + sl + il);
    struct entry *e = block ? vec_push_zero(es) : NULL;
    if (!e) {
        free(block);
        es->oom = true;
        return;
    }
    memcpy(block, r->owner, ol);
    memcpy(block + ol, r->source, sl);
    if (il)
        memcpy(block + ol + sl, r->info, il);
    e->owner = block;
    e->source = block + ol;
    e->info = il ? block + ol + sl : NULL;
    e->addr = r->addr;
    e->epoch = r->epoch;
    e->seq = r->seq;
    e->line = r->line;
    e->local = strcmp(r->owner, es->local) == 0;
    e->state = r->tombstone  ? ST_REMOVED
               : r->dormant  ? ST_DORMANT
               : r->shadowed ? ST_SHADOWED
                             : ST_SERVED;
}

static int entry_cmp(const void *pa, const void *pb)
{
    const struct entry *a = pa, *b = pb;
    if (a->state != b->state)
        return a->state < b->state ? -1 : 1;
    if (a->addr.type != b->addr.type)
        return a->addr.type < b->addr.type ? -1 : 1;
    int c = memcmp(a->addr.bytes, b->addr.bytes, sizeof a->addr.bytes);
    if (!c)
        c = strcmp(a->owner, b->owner);
    return c ? c : strcmp(a->source, b->source);
}

static void set(json_t *o, const char *key, json_t *value)
{
    json_object_set_new(o, key, value ? value : json_null());
}

static bool type_wanted(uint16_t qtype, const struct rec_addr *a)
{
    return qtype == DNS_TYPE_ANY || qtype == a->type;
}

static bool answered(const struct dns_probe *p, const struct rec_addr *a)
{
    for (size_t i = 0; i < p->n_answers; i++)
        if (p->answers[i].addr.type == a->type &&
            memcmp(p->answers[i].addr.bytes, a->bytes, a->type == REC_A ? 4 : 16) == 0)
            return true;
    return false;
}

static const char *reason(const struct entry *e)
{
    switch (e->state) {
    case ST_SERVED:
        return "served";
    case ST_SHADOWED:
        return "shadowed: this node's hosts files have the name (the local hosts file wins)";
    case ST_DORMANT:
        return "dormant: its owner is not alive; kept and served again when the owner is back";
    case ST_REMOVED:
        return "removed: a tombstone, kept so that older changes cannot bring it back";
    }
    return "";
}

static json_t *entry_json(const struct entry *e, const char *name, const struct dns_probe *p)
{
    char addr[46];
    json_t *o = json_object();
    set(o, "name", json_string(name));
    set(o, "type", json_string(e->addr.type == REC_AAAA ? "AAAA" : "A"));
    set(o, "address", json_string(records_format_addr(&e->addr, addr)));
    set(o, "state", json_string(state_names[e->state]));
    set(o, "reason", json_string(reason(e)));
    set(o, "answered", json_boolean(answered(p, &e->addr) && e->state == ST_SERVED));
    set(o, "source", json_string(e->source));
    enum http_source_kind kind = http_source_kind(e->source);
    set(o, "source_type", json_string(http_source_kind_names[kind]));
    if (kind == KIND_HOSTS) {
        set(o, "file", json_string(e->source + 6));
        set(o, "line", e->line ? json_integer(e->line) : json_null());
    } else if (kind == KIND_DOCKER) {
        set(o, "container_id", json_string(e->source + 7));
        /* a container's name is known on the node that runs it */
        set(o, "container_name", e->info ? json_string(e->info) : json_null());
    }
    set(o, "owner", json_string(e->owner));
    set(o, "owner_is_self", json_boolean(e->local));
    json_t *ver = json_object();
    set(ver, "epoch", json_integer((json_int_t)e->epoch));
    set(ver, "seq", json_integer((json_int_t)e->seq));
    set(o, "version", ver);
    return o;
}

struct tally {
    size_t by_state[4];
    size_t served_owners, served_sources, served_of_type, local_hosts;
};

static void count(const struct entries *es, uint16_t qtype, struct tally *t)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < es->n; i++) {
        const struct entry *e = &es->v[i];
        t->by_state[e->state]++;
        if (e->state != ST_SERVED)
            continue;
        bool new_owner = true, new_source = true;
        for (size_t j = 0; j < i; j++) {
            if (es->v[j].state != ST_SERVED)
                continue;
            if (strcmp(es->v[j].owner, e->owner) == 0) {
                new_owner = false;
                if (strcmp(es->v[j].source, e->source) == 0)
                    new_source = false;
            }
        }
        t->served_owners += new_owner;
        t->served_sources += new_source;
        t->served_of_type += type_wanted(qtype, &e->addr);
        t->local_hosts += e->local && http_source_kind(e->source) == KIND_HOSTS;
    }
}

/* The rule behind the probe's answer: (id, sentence). */
static void rule(const struct config *cfg, const struct http_explain_query *q,
                 const struct dns_probe *p, const struct tally *t, const char **id, char *text,
                 size_t len)
{
    const char *zone = p->zone >= 0 ? cfg->dns_domains[p->zone] : NULL;
    const char *action = config_unknown_action_name(cfg->dns_unknown_action);
    size_t held = t->by_state[ST_SERVED] + t->by_state[ST_SHADOWED] + t->by_state[ST_DORMANT] +
                  t->by_state[ST_REMOVED];
    /* a name with records none of which is served is unknown to DNS all the same */
    const char *unknown = held ? "no served record of the name" : "unknown name";
    if (q->qtype == DNS_TYPE_AXFR || q->qtype == DNS_TYPE_IXFR) {
        *id = "transfer_refused";
        snprintf(text, len, "zone transfers (%s) are refused", q->type);
    } else if (p->forwarded) {
        *id = "forwarded";
        snprintf(text, len,
                 "%s, outside DNS_DOMAINS -> forwarded to the upstreams (DNS_FORWARDERS, "
                 "DNS_FORWARD_ZONES) for clients in DNS_FORWARD_ALLOW, REFUSED for others",
                 unknown);
    } else if (p->rcode < 0) {
        *id = "unknown_drop";
        snprintf(text, len, "%s -> dropped without an answer (DNS_UNKNOWN_ACTION=%s)", unknown,
                 action);
    } else if (p->rcode == DNS_RCODE_REFUSED && cfg->n_dns_domains > 0 && !zone) {
        *id = "outside_domains";
        snprintf(text, len, "%s, outside DNS_DOMAINS -> REFUSED", unknown);
    } else if (p->rcode == DNS_RCODE_REFUSED) {
        *id = "unknown_refused";
        snprintf(text, len, "%s -> REFUSED (DNS_UNKNOWN_ACTION=%s)", unknown, action);
    } else if (p->rcode == DNS_RCODE_NXDOMAIN && zone) {
        *id = "nxdomain_in_domain";
        snprintf(text, len, "%s, inside DNS_DOMAINS domain %s -> NXDOMAIN with its SOA", unknown,
                 zone);
    } else if (p->rcode == DNS_RCODE_NXDOMAIN) {
        *id = "unknown_nxdomain";
        snprintf(text, len, "%s -> NXDOMAIN (DNS_UNKNOWN_ACTION=%s)", unknown, action);
    } else if (p->rcode != DNS_RCODE_NOERROR) {
        *id = "error";
        snprintf(text, len, "answered %s", dns_rcode_name(p->rcode));
    } else if (p->wildcard[0] && p->n_answers > 0) {
        *id = "wildcard";
        char more[120] = "";
        if (t->by_state[ST_SHADOWED])
            snprintf(more, sizeof more,
                     "; this node's hosts files have the wildcard, so %zu record(s) of other "
                     "nodes are shadowed",
                     t->by_state[ST_SHADOWED]);
        else if (t->served_owners > 1)
            snprintf(more, sizeof more, ", every distinct address of its %zu owners",
                     t->served_owners);
        snprintf(text, len,
                 "synthesized from the wildcard %s: the name does not exist and its closest "
                 "encloser %s has a wildcard (RFC 4592)%s",
                 p->wildcard, p->encloser, more);
    } else if (p->wildcard[0]) {
        *id = "wildcard_nodata";
        snprintf(text, len,
                 "the wildcard %s answers for the name (closest encloser %s) but has no %s "
                 "record -> NOERROR without answers",
                 p->wildcard, p->encloser, q->type);
    } else if (p->n_answers > 0 && p->answers[0].type == DNS_TYPE_PTR) {
        *id = "ptr";
        snprintf(text, len,
                 "the reverse name of an address: one PTR per name of its records that give PTRs "
                 "(DNS_PTR=%s), in the order the sources list them (a hosts line's first name "
                 "first)",
                 config_ptr_mode_name(cfg->dns_ptr));
    } else if (p->n_answers > 0 && t->by_state[ST_SHADOWED] > 0) {
        *id = "local_hosts_wins";
        snprintf(text, len,
                 "local hosts file wins: this node's hosts files have the name, so %zu record(s) "
                 "of other nodes are shadowed",
                 t->by_state[ST_SHADOWED]);
    } else if (p->n_answers > 0 && t->served_owners > 1) {
        *id = "all_owners";
        snprintf(text, len,
                 "all owners' addresses: every distinct address of %zu owner nodes, rotated per "
                 "query",
                 t->served_owners);
    } else if (p->n_answers > 0 && t->served_sources > 1) {
        *id = "all_sources";
        snprintf(text, len,
                 "all sources' addresses: every distinct address of %zu sources, rotated per query",
                 t->served_sources);
    } else if (p->n_answers > 0) {
        *id = "served";
        snprintf(text, len, "the served record%s of the name", p->n_answers > 1 ? "s" : "");
    } else if (p->n_ns > 0) {
        *id = "zone_apex";
        snprintf(text, len,
                 "apex of DNS_DOMAINS domain %s -> its NS set: %zu name(s) (%s), %zu glue "
                 "record(s)",
                 zone ? zone : "?", p->n_ns,
                 cfg->n_dns_ns_names ? "DNS_NS_NAMES" : "one per live cluster member", p->n_glue);
    } else if (p->soa_answer) {
        *id = "zone_apex";
        snprintf(text, len, "apex of DNS_DOMAINS domain %s -> its SOA", zone ? zone : "?");
    } else if (p->n_a + p->n_aaaa + p->n_ptr > 0) {
        *id = "nodata";
        char has[32];
        snprintf(has, sizeof has, "%s%s%s%s%s", p->n_a ? "A" : "",
                 p->n_a && p->n_aaaa ? " and " : "", p->n_aaaa ? "AAAA" : "",
                 (p->n_a || p->n_aaaa) && p->n_ptr ? " and " : "", p->n_ptr ? "PTR" : "");
        snprintf(text, len, "the name has no %s record (it has %s) -> NOERROR without answers",
                 q->type, has);
    } else if (p->name_exists) {
        *id = "empty_non_terminal";
        snprintf(text, len,
                 "the name exists only as the parent of other names -> NOERROR without answers");
    } else {
        *id = "zone_apex";
        snprintf(text, len, "apex of DNS_DOMAINS domain %s -> NOERROR without %s answers",
                 zone ? zone : "?", q->type);
    }
}

static json_t *answer_json(const struct dns_probe *p)
{
    json_t *o = json_object();
    set(o, "rcode", p->rcode >= 0 ? json_string(dns_rcode_name(p->rcode)) : json_null());
    set(o, "dropped", json_boolean(p->rcode < 0 && !p->forwarded));
    set(o, "forwarded", json_boolean(p->forwarded));
    set(o, "authoritative", json_boolean(p->aa));
    json_t *list = json_array();
    for (size_t i = 0; i < p->n_answers; i++) {
        char addr[46];
        json_t *a = json_object();
        if (p->answers[i].type == DNS_TYPE_PTR) {
            set(a, "type", json_string("PTR"));
            set(a, "target", json_string(p->answers[i].target));
            set(a, "ttl", json_integer(p->answers[i].ttl));
            json_array_append_new(list, a);
            continue;
        }
        set(a, "type", json_string(p->answers[i].addr.type == REC_AAAA ? "AAAA" : "A"));
        set(a, "address", json_string(records_format_addr(&p->answers[i].addr, addr)));
        set(a, "ttl", json_integer(p->answers[i].ttl));
        json_array_append_new(list, a);
    }
    set(o, "answers", list);
    json_t *ns = json_array();
    for (size_t i = 0; i < p->n_ns; i++)
        json_array_append_new(ns, json_string(p->ns[i]));
    set(o, "ns", ns);
    set(o, "soa", json_string(p->soa_answer ? "answer" : p->soa_authority ? "authority" : "none"));
    return o;
}

/* Why records of the name are not answered, beyond the rule. */
static json_t *notes_json(const struct http_explain_query *q, const struct tally *t,
                          const struct dns_probe *p)
{
    json_t *notes = json_array();
    char line[400];
    if (t->by_state[ST_DORMANT]) {
        snprintf(line, sizeof line, "%zu record(s) dormant: their owner is not alive",
                 t->by_state[ST_DORMANT]);
        json_array_append_new(notes, json_string(line));
    }
    if (t->by_state[ST_REMOVED]) {
        snprintf(line, sizeof line, "%zu record(s) removed (tombstones)", t->by_state[ST_REMOVED]);
        json_array_append_new(notes, json_string(line));
    }
    size_t served = t->by_state[ST_SERVED];
    if (served > t->served_of_type) {
        snprintf(line, sizeof line, "%zu served record(s) of another type than %s",
                 served - t->served_of_type, q->type);
        json_array_append_new(notes, json_string(line));
    }
    if (t->by_state[ST_SHADOWED] && p->n_answers == 0) {
        snprintf(line, sizeof line,
                 "%zu record(s) of other nodes shadowed by this node's hosts files",
                 t->by_state[ST_SHADOWED]);
        json_array_append_new(notes, json_string(line));
    }
    if (p->wildcard[0]) {
        snprintf(line, sizeof line,
                 "the name has no record of its own: the records listed are the wildcard %s's",
                 p->wildcard);
        json_array_append_new(notes, json_string(line));
    }
    if (p->rcode == DNS_RCODE_NOERROR && p->n_answers > 1 && p->answers[0].type != DNS_TYPE_PTR)
        json_array_append_new(notes,
                              json_string("addresses are rotated per query (listed unrotated)"));
    return notes;
}

json_t *http_explain_json(const struct http_api_config *c, const struct http_explain_query *q,
                          unsigned *status)
{
    *status = 500;
    if (!c->dns || !c->records) {
        *status = 503;
        return NULL;
    }
    struct entries es = {.local = records_local_owner(c->records)};
    struct dns_probe p;
    int prc = dns_server_probe(c->dns, q->name, q->qtype, &p);
    /* a name answered from a wildcard has no records: show the wildcard's */
    const char *listed = prc == 0 && p.wildcard[0] ? p.wildcard : q->name;
    if (prc == 0)
        records_foreach_name(c->records, listed, collect, &es);
    if (prc == 0 && es.oom) {
        dns_probe_free(&p);
        prc = -1;
    }
    json_t *o = NULL;
    if (prc == 0) {
        if (es.n > 1)
            qsort(es.v, es.n, sizeof *es.v, entry_cmp);
        struct tally t;
        count(&es, q->qtype, &t);
        const char *id;
        char text[800];
        rule(c->cfg, q, &p, &t, &id, text, sizeof text);

        o = json_object();
        set(o, "status", json_string("success"));
        set(o, "name", json_string(q->name));
        set(o, "type", json_string(q->type));
        set(o, "node_id", json_string(records_local_owner(c->records)));
        set(o, "answer", answer_json(&p));
        json_t *r = json_object();
        set(r, "id", json_string(id));
        set(r, "text", json_string(text));
        set(o, "rule", r);
        set(o, "notes", notes_json(q, &t, &p));
        json_t *wild = NULL;
        if (p.wildcard[0]) {
            wild = json_object();
            set(wild, "name", json_string(p.wildcard));
            set(wild, "closest_encloser", json_string(p.encloser));
        }
        set(o, "wildcard", wild);
        set(o, "zone", p.zone >= 0 ? json_string(c->cfg->dns_domains[p.zone]) : json_null());
        set(o, "unknown_action",
            json_string(config_unknown_action_name(c->cfg->dns_unknown_action)));
        json_t *list = json_array();
        for (size_t i = 0; i < es.n; i++)
            json_array_append_new(list, entry_json(&es.v[i], listed, &p));
        set(o, "records", list);
        json_t *ptr = http_explain_ptr_records(c, q->name);
        if (ptr)
            set(o, "ptr_records", ptr);
        set(o, "snapshot_version", json_integer((json_int_t)p.snapshot_version));
        dns_probe_free(&p);
        *status = 200;
    }
    for (size_t i = 0; i < es.n; i++)
        free(es.v[i].owner);
    vec_free(&es);
    return o;
}
