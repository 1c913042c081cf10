/* sync/status.c — the cluster as the HTTP API shows it: the "cluster" object of GET /dns/cluster
 * (the documented shape plus per-member detail) and the Prometheus lines for /metrics. Both are
 * built from a sync_get_status copy, so HTTP threads never touch the membership core. */
#include "sync/status.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* "2025-08-04T10:30:00Z" or JSON null for 0. */
static json_t *iso_time(double unix_s)
{
    if (unix_s <= 0)
        return json_null();
    time_t t = (time_t)unix_s;
    struct tm tm;
    char buf[32];
    if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return json_null();
    return json_string(buf);
}

static void set(json_t *o, const char *k, json_t *v)
{
    json_object_set_new(o, k, v ? v : json_null());
}

json_t *sync_status_json(const struct sync_status *st)
{
    json_t *c = json_object();
    if (!c)
        return NULL;
    set(c, "node_id", json_string(st->node_id));
    set(c, "running", json_boolean(st->running));
    set(c, "discovered_nodes", json_integer((json_int_t)st->n_discovered));

    json_t *stats = json_object();
    set(stats, "nodes_discovered", json_integer((json_int_t)st->n_discovered));
    set(stats, "nodes_active", json_integer((json_int_t)st->alive + (json_int_t)st->suspect));
    set(stats, "dns_records_synced", json_integer((json_int_t)st->stats.records_synced));
    set(stats, "sync_operations", json_integer((json_int_t)st->stats.sync_operations));
    set(stats, "last_sync", iso_time(st->stats.last_sync));
    /* beyond the documented shape */
    set(stats, "deltas_sent", json_integer((json_int_t)st->stats.deltas_sent));
    set(stats, "deltas_received", json_integer((json_int_t)st->stats.deltas_received));
    set(stats, "gaps_detected", json_integer((json_int_t)st->stats.gaps));
    set(stats, "repairs_requested", json_integer((json_int_t)st->stats.repairs_requested));
    set(stats, "repairs_completed", json_integer((json_int_t)st->stats.repairs_completed));
    set(stats, "last_repair_ms", json_real(st->stats.last_repair_ms));
    set(stats, "full_states_sent", json_integer((json_int_t)st->stats.states_sent));
    set(stats, "full_states_merged", json_integer((json_int_t)st->stats.states_merged));
    set(c, "statistics", stats);

    json_t *nodes = json_array();
    for (size_t i = 0; i < st->n_discovered; i++) {
        const struct swim_discovery_node *n = &st->discovered[i];
        json_t *o = json_object();
        set(o, "node_id", json_string(n->node_id));
        set(o, "ip_address", json_string(n->ip_address));
        set(o, "last_seen", iso_time(n->last_seen));
        json_t *meta = json_object();
        set(meta, "role", json_string(n->role));
        set(meta, "swim_port", json_integer(n->swim_port));
        set(o, "metadata", meta);
        /* beyond the documented shape */
        set(o, "hostname", json_string(n->hostname));
        set(o, "version", json_string(n->version));
        json_array_append_new(nodes, o);
    }
    set(c, "nodes", nodes);

    json_t *swim = json_object();
    set(swim, "alive_members", json_integer((json_int_t)st->alive + (json_int_t)st->suspect));
    json_t *counts = json_object();
    set(counts, "alive", json_integer(st->alive));
    set(counts, "suspect", json_integer(st->suspect));
    set(counts, "failed", json_integer(st->failed));
    set(counts, "left", json_integer(st->left));
    set(swim, "member_counts", counts);
    set(swim, "dns_version", json_integer((json_int_t)st->dns_version));
    /* beyond the documented shape: every member with its state */
    json_t *members = json_array();
    for (size_t i = 0; i < st->n_members; i++) {
        const struct sync_member_status *m = &st->members[i];
        json_t *o = json_object();
        set(o, "node_id", json_string(m->node_id));
        set(o, "address", json_string(m->address));
        set(o, "state", json_string(swim_state_name(m->state)));
        set(o, "incarnation", json_integer(m->incarnation));
        set(o, "records", json_integer((json_int_t)m->records));
        set(o, "last_change", iso_time(m->last_change));
        set(o, "self", json_boolean(m->is_self));
        json_array_append_new(members, o);
    }
    set(swim, "members", members);
    set(swim, "encrypted", json_boolean(st->encrypted));
    set(swim, "health_score", json_integer(st->swim.health_score));
    set(c, "swim_cluster", swim);
    return c;
}

json_t *sync_cluster_json(struct sync *s)
{
    struct sync_status st;
    sync_get_status(s, &st);
    json_t *c = sync_status_json(&st);
    sync_status_free(&st);
    return c;
}

/* ---- Prometheus text ---- */

struct out {
    char *p;
    size_t len, cap;
    bool oom;
};

static void append(struct out *o, const char *text, int n)
{
    if (o->oom || n < 0) {
        o->oom = true;
        return;
    }
    size_t need = o->len + (size_t)n + 1;
    if (need > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < need)
            cap *= 2;
        char *p = realloc(o->p, cap);
        if (!p) {
            o->oom = true;
            return;
        }
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->len, text, (size_t)n + 1);
    o->len += (size_t)n;
}

/* Formats one line (every line here is short) and appends it. */
#define put(o, ...)                                                                                \
    do {                                                                                           \
        char line_[512];                                                                           \
        int n_ = snprintf(line_, sizeof line_, __VA_ARGS__);                                       \
        append((o), line_, n_ < (int)sizeof line_ ? n_ : -1);                                      \
    } while (0)

static void metric(struct out *o, const char *name, const char *type, const char *help, uint64_t v)
{
    put(o, "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64 "\n", name, help, name, type, name, v);
}

char *sync_status_metrics(const struct sync_status *st)
{
    struct out o = {0};
    put(&o, "# HELP joyride_cluster_members Cluster members by SWIM state (this node included).\n"
            "# TYPE joyride_cluster_members gauge\n");
    put(&o, "joyride_cluster_members{state=\"alive\"} %u\n", st->alive);
    put(&o, "joyride_cluster_members{state=\"suspect\"} %u\n", st->suspect);
    put(&o, "joyride_cluster_members{state=\"failed\"} %u\n", st->failed);
    put(&o, "joyride_cluster_members{state=\"left\"} %u\n", st->left);
    metric(&o, "joyride_cluster_discovered_nodes", "gauge", "Nodes heard by broadcast discovery.",
           st->n_discovered);
    metric(&o, "joyride_cluster_dns_version", "gauge",
           "Version of the served record set (changes with every change).", st->dns_version);
    const struct sync_stats *s = &st->stats;
    metric(&o, "joyride_cluster_deltas_sent_total", "counter",
           "Record changes of this node gossiped.", s->deltas_sent);
    metric(&o, "joyride_cluster_deltas_received_total", "counter",
           "Record changes received by gossip.", s->deltas_received);
    metric(&o, "joyride_cluster_deltas_applied_total", "counter",
           "Received record changes applied.", s->deltas_applied);
    metric(&o, "joyride_cluster_gaps_total", "counter",
           "Received changes that revealed a missed one.", s->gaps);
    metric(&o, "joyride_cluster_repairs_requested_total", "counter",
           "Targeted full-state requests sent.", s->repairs_requested);
    metric(&o, "joyride_cluster_repairs_served_total", "counter",
           "Targeted full-state requests answered.", s->repairs_served);
    metric(&o, "joyride_cluster_repairs_completed_total", "counter", "Gaps closed.",
           s->repairs_completed);
    metric(&o, "joyride_cluster_full_states_sent_total", "counter",
           "Full record states sent (push/pull, repairs, on-demand sync).", s->states_sent);
    metric(&o, "joyride_cluster_full_states_merged_total", "counter",
           "Full record states received and merged.", s->states_merged);
    metric(&o, "joyride_cluster_records_synced_total", "counter", "Remote record entries received.",
           s->records_synced);
    metric(&o, "joyride_cluster_sync_operations_total", "counter",
           "Delta batches applied plus full states merged.", s->sync_operations);
    metric(&o, "joyride_cluster_payloads_malformed_total", "counter",
           "Cluster payloads dropped as malformed.", s->payloads_malformed);
    const struct swim_metrics *m = &st->swim;
    metric(&o, "joyride_swim_packets_in_total", "counter", "SWIM UDP packets received.",
           m->packets_in);
    metric(&o, "joyride_swim_packets_out_total", "counter", "SWIM UDP packets sent.",
           m->packets_out);
    metric(&o, "joyride_swim_bytes_in_total", "counter", "SWIM bytes received (UDP + TCP).",
           m->bytes_in + m->stream_bytes_in);
    metric(&o, "joyride_swim_bytes_out_total", "counter", "SWIM bytes sent (UDP + TCP).",
           m->bytes_out + m->stream_bytes_out);
    metric(&o, "joyride_swim_gossip_packets_total", "counter", "Gossip packets sent.",
           m->gossip_packets);
    metric(&o, "joyride_swim_pushpulls_total", "counter", "TCP push/pull exchanges.", m->pushpulls);
    metric(&o, "joyride_swim_pushpull_failures_total", "counter", "Failed push/pull exchanges.",
           m->pushpull_failures);
    metric(&o, "joyride_swim_probes_total", "counter", "Failure-detector probes.", m->probes);
    metric(&o, "joyride_swim_probe_failures_total", "counter", "Probes that got no ack.",
           m->probe_failures);
    metric(&o, "joyride_swim_deaths_total", "counter", "Members declared dead.", m->deaths);
    metric(&o, "joyride_swim_refutes_total", "counter", "Suspicions of this node refuted.",
           m->refutes);
    put(&o, "# HELP joyride_swim_dropped_total SWIM packets/streams dropped, by reason.\n"
            "# TYPE joyride_swim_dropped_total counter\n");
    put(&o, "joyride_swim_dropped_total{reason=\"decrypt\"} %" PRIu64 "\n", m->dropped_decrypt);
    put(&o, "joyride_swim_dropped_total{reason=\"malformed\"} %" PRIu64 "\n", m->dropped_malformed);
    put(&o, "joyride_swim_dropped_total{reason=\"plaintext\"} %" PRIu64 "\n", m->dropped_plaintext);
    put(&o, "joyride_swim_dropped_total{reason=\"other\"} %" PRIu64 "\n", m->dropped_other);
    metric(&o, "joyride_swim_health_score", "gauge", "Lifeguard local health (0 is healthy).",
           m->health_score);
    if (o.oom) {
        free(o.p);
        return NULL;
    }
    return o.p;
}

char *sync_metrics_text(struct sync *s)
{
    struct sync_status st;
    sync_get_status(s, &st);
    char *t = sync_status_metrics(&st);
    sync_status_free(&st);
    return t;
}
