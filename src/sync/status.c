/* sync/status.c — the cluster as the HTTP API shows it: the "cluster" object of GET /dns/cluster
 * (the documented shape plus per-member detail) and the Prometheus lines for /metrics. Both are
 * built from a sync_get_status copy, so HTTP threads never touch the membership core. */
#include "sync/status.h"

#include <stdlib.h>
#include <time.h>

#include "core/prom.h"

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

char *sync_status_metrics(const struct sync_status *st)
{
    struct prom o = {0};
    prom_family(&o, "joyride_cluster_members", PROM_GAUGE,
                "Cluster members by SWIM state (this node included).");
    prom_u64(&o, "joyride_cluster_members", PROM_LABELS({"state", "alive"}), st->alive);
    prom_u64(&o, "joyride_cluster_members", PROM_LABELS({"state", "suspect"}), st->suspect);
    prom_u64(&o, "joyride_cluster_members", PROM_LABELS({"state", "failed"}), st->failed);
    prom_u64(&o, "joyride_cluster_members", PROM_LABELS({"state", "left"}), st->left);
    prom_gauge(&o, "joyride_cluster_discovered_nodes", "Nodes heard by broadcast discovery.",
               st->n_discovered);
    prom_gauge(&o, "joyride_cluster_dns_version",
               "Version of the served record set (changes with every change).", st->dns_version);
    const struct sync_stats *s = &st->stats;
    prom_counter(&o, "joyride_cluster_deltas_sent_total", "Record changes of this node gossiped.",
                 s->deltas_sent);
    prom_counter(&o, "joyride_cluster_deltas_received_total", "Record changes received by gossip.",
                 s->deltas_received);
    prom_counter(&o, "joyride_cluster_deltas_applied_total", "Received record changes applied.",
                 s->deltas_applied);
    prom_counter(&o, "joyride_cluster_gaps_total", "Received changes that revealed a missed one.",
                 s->gaps);
    prom_counter(&o, "joyride_cluster_repairs_requested_total",
                 "Targeted full-state requests sent.", s->repairs_requested);
    prom_counter(&o, "joyride_cluster_repairs_served_total",
                 "Targeted full-state requests answered.", s->repairs_served);
    prom_counter(&o, "joyride_cluster_repairs_completed_total", "Gaps closed.",
                 s->repairs_completed);
    prom_counter(&o, "joyride_cluster_full_states_sent_total",
                 "Full record states sent (push/pull, repairs, on-demand sync).", s->states_sent);
    prom_counter(&o, "joyride_cluster_full_states_merged_total",
                 "Full record states received and merged.", s->states_merged);
    prom_counter(&o, "joyride_cluster_records_synced_total", "Remote record entries received.",
                 s->records_synced);
    prom_counter(&o, "joyride_cluster_sync_operations_total",
                 "Delta batches applied plus full states merged.", s->sync_operations);
    prom_counter(&o, "joyride_cluster_payloads_malformed_total",
                 "Cluster payloads dropped as malformed.", s->payloads_malformed);
    const struct swim_metrics *m = &st->swim;
    prom_counter(&o, "joyride_swim_packets_in_total", "SWIM UDP packets received.", m->packets_in);
    prom_counter(&o, "joyride_swim_packets_out_total", "SWIM UDP packets sent.", m->packets_out);
    prom_counter(&o, "joyride_swim_bytes_in_total", "SWIM bytes received (UDP + TCP).",
                 m->bytes_in + m->stream_bytes_in);
    prom_counter(&o, "joyride_swim_bytes_out_total", "SWIM bytes sent (UDP + TCP).",
                 m->bytes_out + m->stream_bytes_out);
    prom_counter(&o, "joyride_swim_gossip_packets_total", "Gossip packets sent.",
                 m->gossip_packets);
    prom_counter(&o, "joyride_swim_pushpulls_total", "TCP push/pull exchanges.", m->pushpulls);
    prom_counter(&o, "joyride_swim_pushpull_failures_total", "Failed push/pull exchanges.",
                 m->pushpull_failures);
    prom_counter(&o, "joyride_swim_probes_total", "Failure-detector probes.", m->probes);
    prom_counter(&o, "joyride_swim_probe_failures_total", "Probes that got no ack.",
                 m->probe_failures);
    prom_counter(&o, "joyride_swim_probes_refused_total",
                 "Probes answered by ICMP port unreachable or a refused connection.",
                 m->probes_refused);
    prom_counter(&o, "joyride_swim_heal_pings_total",
                 "Pings sent to dead members to notice a healed partition.", m->heal_pings);
    prom_counter(&o, "joyride_swim_heals_total",
                 "Joining push/pulls to dead members heard from again.", m->heals);
    prom_counter(&o, "joyride_swim_refused_deaths_total",
                 "Members declared dead because nothing listened at their address.",
                 m->refused_deaths);
    prom_counter(&o, "joyride_swim_deaths_total", "Members declared dead.", m->deaths);
    prom_counter(&o, "joyride_swim_refutes_total", "Suspicions of this node refuted.", m->refutes);
    prom_family(&o, "joyride_swim_dropped_total", PROM_COUNTER,
                "SWIM packets/streams dropped, by reason.");
    prom_u64(&o, "joyride_swim_dropped_total", PROM_LABELS({"reason", "decrypt"}),
             m->dropped_decrypt);
    prom_u64(&o, "joyride_swim_dropped_total", PROM_LABELS({"reason", "malformed"}),
             m->dropped_malformed);
    prom_u64(&o, "joyride_swim_dropped_total", PROM_LABELS({"reason", "plaintext"}),
             m->dropped_plaintext);
    prom_u64(&o, "joyride_swim_dropped_total", PROM_LABELS({"reason", "other"}), m->dropped_other);
    prom_counter(&o, "joyride_swim_broadcasts_dropped_total",
                 "User broadcasts pruned, oldest first, from a full gossip queue.",
                 m->broadcasts_dropped);
    prom_gauge(&o, "joyride_swim_queued_broadcasts",
               "Gossip messages waiting for retransmission (membership and user).",
               m->queued_broadcasts);
    prom_gauge(&o, "joyride_swim_health_score", "Lifeguard local health (0 is healthy).",
               m->health_score);
    return prom_take(&o);
}

char *sync_metrics_text(struct sync *s)
{
    struct sync_status st;
    sync_get_status(s, &st);
    char *t = sync_status_metrics(&st);
    sync_status_free(&st);
    return t;
}
