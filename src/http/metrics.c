/* http/metrics.c — the Prometheus text exposition (format 0.0.4) of /metrics: DNS queries and
 * responses, answer latency histogram, forwarding (cache, upstreams), records by source, Docker
 * events, hosts reloads, build info. Written with core/prom. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/prom.h"
#include "dns/wire.h"
#include "http/internal.h"

static void dns_metrics(struct prom *o, const struct http_view *v)
{
    const struct dns_stats *d = &v->dns;
    prom_family(o, "joyride_dns_queries_total", PROM_COUNTER, "DNS queries received, by protocol.");
    prom_u64(o, "joyride_dns_queries_total", PROM_LABELS({"protocol", "udp"}), d->queries_udp);
    prom_u64(o, "joyride_dns_queries_total", PROM_LABELS({"protocol", "tcp"}), d->queries_tcp);

    prom_family(o, "joyride_dns_responses_total", PROM_COUNTER,
                "DNS responses sent, by protocol and RCODE.");
    static const char *const protos[2] = {"udp", "tcp"};
    for (int p = 0; p < 2; p++) {
        for (int i = 0; i < 17; i++) {
            uint64_t n = d->rcode_by_proto[p][i];
            if (n || i == 0 || i == 1 || i == 3 || i == 4 || i == 5)
                prom_u64(o, "joyride_dns_responses_total",
                         PROM_LABELS({"protocol", protos[p]}, {"rcode", dns_rcode_name(i)}), n);
        }
    }

    prom_counter(o, "joyride_dns_dropped_total",
                 "DNS queries not answered (unknown names with DNS_UNKNOWN_ACTION=drop, garbage).",
                 d->dropped);
    prom_counter(o, "joyride_dns_truncated_total", "UDP answers sent with the TC bit.",
                 d->truncated);
    prom_counter(o, "joyride_dns_tcp_connections_total", "TCP connections accepted.",
                 d->tcp_connections_total);
    prom_gauge(o, "joyride_dns_tcp_connections_open", "TCP connections open now.",
               d->tcp_connections_open);
    prom_counter(o, "joyride_dns_tcp_connections_refused_total",
                 "TCP connections refused (out of memory or file descriptors).",
                 d->tcp_connections_refused);

    prom_counter(o, "joyride_dns_tcp_connections_evicted_total",
                 "TCP connections closed to make room (connection cap or per-client share).",
                 d->tcp_connections_evicted);
    prom_counter(o, "joyride_dns_tcp_connections_timed_out_total",
                 "TCP connections closed because a query did not arrive whole in time.",
                 d->tcp_connections_timed_out);
    /* the last bucket is +Inf, which is the count */
    prom_histogram(o, "joyride_dns_answer_latency_seconds",
                   "Time from receiving a query to handing its answer to the kernel.",
                   dns_latency_bounds, d->latency_bucket, DNS_LATENCY_BUCKETS - 1, d->latency_sum,
                   d->latency_count);
}

static void forward_metrics(struct prom *o, const struct http_view *v)
{
    const struct dns_forward_stats *f = &v->fwd;
    if (!f->enabled)
        return;
    prom_counter(o, "joyride_dns_forwarded_total",
                 "Questions sent upstream (clients asking the same question share one).",
                 f->forwarded);
    prom_counter(o, "joyride_dns_forward_coalesced_total",
                 "Clients that joined a question already in flight.", f->coalesced);
    prom_counter(o, "joyride_dns_forward_refused_total",
                 "Queries for names Joyride does not own from clients outside DNS_FORWARD_ALLOW.",
                 f->refused);
    prom_counter(o, "joyride_dns_forward_servfail_total",
                 "Forwarded queries answered SERVFAIL because no upstream answered in time.",
                 f->servfail);
    prom_counter(o, "joyride_dns_forward_stale_total",
                 "Forwarded queries answered from an expired cache entry (RFC 8767).", f->stale);
    prom_counter(o, "joyride_dns_forward_spoofed_total",
                 "Upstream answers dropped because their ID or question did not match.",
                 f->spoofed);
    prom_counter(o, "joyride_dns_forward_queue_full_total",
                 "Queries dropped because too many were waiting for upstreams.", f->queue_full);
    prom_gauge(o, "joyride_dns_forward_pending", "Clients waiting for an upstream answer now.",
               f->in_flight);
    prom_counter(o, "joyride_dns_cache_hits_total", "Forwarded names answered from the cache.",
                 f->cache_hits);
    prom_counter(o, "joyride_dns_cache_misses_total", "Forwarded names not in the cache.",
                 f->cache_misses);
    prom_counter(o, "joyride_dns_cache_inserts_total", "Answers stored in the cache.",
                 f->cache_inserts);
    prom_counter(o, "joyride_dns_cache_evictions_total",
                 "Cache entries evicted to stay within DNS_CACHE_SIZE.", f->cache_evictions);
    prom_gauge(o, "joyride_dns_cache_entries", "Entries in the cache now.", f->cache_entries);
    prom_gauge(o, "joyride_dns_cache_bytes", "Bytes held by cache entries.", f->cache_bytes);

    static const struct {
        const char *name, *help;
        size_t off;
    } ctrs[] = {
        {"joyride_dns_upstream_queries_total", "Queries sent to each upstream.",
         offsetof(struct dns_upstream_stats, queries)},
        {"joyride_dns_upstream_answers_total", "Answers accepted from each upstream.",
         offsetof(struct dns_upstream_stats, answers)},
        {"joyride_dns_upstream_timeouts_total", "Queries an upstream did not answer in time.",
         offsetof(struct dns_upstream_stats, timeouts)},
        {"joyride_dns_upstream_errors_total",
         "Failed queries to each upstream (refused port, broken TCP, malformed answer).",
         offsetof(struct dns_upstream_stats, errors)},
        {"joyride_dns_upstream_spoofed_total", "Mismatched answers dropped, by upstream.",
         offsetof(struct dns_upstream_stats, spoofed)},
        {"joyride_dns_upstream_tcp_retries_total", "Truncated answers asked again over TCP.",
         offsetof(struct dns_upstream_stats, tcp_retries)},
    };
    for (size_t k = 0; k < sizeof ctrs / sizeof ctrs[0]; k++) {
        prom_family(o, ctrs[k].name, PROM_COUNTER, ctrs[k].help);
        for (size_t i = 0; i < f->n_upstreams; i++) {
            const struct dns_upstream_stats *u = &f->upstreams[i];
            uint64_t val;
            memcpy(&val, (const char *)u + ctrs[k].off, sizeof val);
            prom_u64(o, ctrs[k].name, PROM_LABELS({"upstream", u->address}, {"zone", u->zone}),
                     val);
        }
    }
    prom_family(o, "joyride_dns_upstream_srtt_seconds", PROM_GAUGE,
                "Smoothed round-trip time of each upstream (failures count as slow answers).");
    prom_family(o, "joyride_dns_upstream_up", PROM_GAUGE,
                "1 when an upstream is in use, 0 while it is rested after repeated failures.");
    for (size_t i = 0; i < f->n_upstreams; i++) {
        const struct dns_upstream_stats *u = &f->upstreams[i];
        prom_double(o, "joyride_dns_upstream_srtt_seconds",
                    PROM_LABELS({"upstream", u->address}, {"zone", u->zone}), u->srtt_ms / 1000.0,
                    6);
        prom_u64(o, "joyride_dns_upstream_up",
                 PROM_LABELS({"upstream", u->address}, {"zone", u->zone}), u->resting ? 0 : 1);
    }
}

static void record_metrics(struct prom *o, const struct http_view *v)
{
    prom_family(o, "joyride_records", PROM_GAUGE, "Records served, by source kind.");
    for (int k = 0; k < KIND_COUNT; k++)
        prom_u64(o, "joyride_records", PROM_LABELS({"source", http_source_kind_names[k]}),
                 v->by_kind[k]);
    prom_family(o, "joyride_records_by_type", PROM_GAUGE, "Records served, by type.");
    prom_u64(o, "joyride_records_by_type", PROM_LABELS({"type", "A"}), v->by_type[0]);
    prom_u64(o, "joyride_records_by_type", PROM_LABELS({"type", "AAAA"}), v->by_type[1]);
    prom_gauge(o, "joyride_records_remote", "Records served that other nodes own.", v->remote);
    prom_gauge(o, "joyride_records_entries",
               "Entries in the record table, tombstones and dormant owners included.",
               v->rec.entries);
    prom_gauge(o, "joyride_records_tombstones", "Removed entries kept as tombstones.",
               v->rec.tombstones);
    prom_gauge(o, "joyride_records_owners", "Owners (nodes) known to the record table.",
               v->rec.owners);
    prom_gauge(o, "joyride_records_version", "Version of the served record set.", v->rec.version);
}

static void source_metrics(struct prom *o, const struct http_view *v)
{
    const struct docker_status *d = &v->docker;
    prom_family(o, "joyride_docker_events_total", PROM_COUNTER,
                "Docker container events, by action.");
    for (int i = 0; i < DOCKER_EV_COUNT; i++)
        prom_u64(o, "joyride_docker_events_total", PROM_LABELS({"action", docker_action_names[i]}),
                 d->events[i]);
    prom_gauge(o, "joyride_docker_connected", "1 while the Docker event stream is followed.",
               v->docker_enabled && d->connected ? 1 : 0);
    prom_counter(o, "joyride_docker_reconnects_total", "Reconnections to the Docker Engine.",
                 d->reconnects);
    prom_gauge(o, "joyride_docker_containers_tracked", "Labelled containers with records.",
               d->containers_tracked);

    const struct hosts_status *h = &v->hosts;
    prom_counter(o, "joyride_hosts_reloads_total", "Hosts-directory reloads.", h->reloads);
    prom_gauge(o, "joyride_hosts_files", "Hosts files loaded.", h->files);
    prom_gauge(o, "joyride_hosts_watching", "1 while the hosts directory is watched.",
               v->hosts_enabled && h->running ? 1 : 0);
}

char *http_metrics_text(const struct config *cfg, const struct http_view *v, const char *extra)
{
    struct prom o = {0};
    prom_family(&o, "joyride_build_info", PROM_GAUGE, "Build and service information (always 1).");
    prom_u64(&o, "joyride_build_info",
             PROM_LABELS({"version", cfg->semantic_version}, {"service", cfg->service_name},
                         {"environment", cfg->environment}, {"node_id", cfg->node_id}),
             1);
    prom_family(&o, "joyride_uptime_seconds", PROM_GAUGE, "Seconds since the process started.");
    prom_double(&o, "joyride_uptime_seconds", NULL, 0, v->uptime, 3);
    prom_gauge(&o, "joyride_dns_sync_running", "1 while cluster sync runs.",
               v->sync_running ? 1 : 0);
    dns_metrics(&o, v);
    forward_metrics(&o, v);
    record_metrics(&o, v);
    source_metrics(&o, v);
    prom_raw(&o, extra);
    return prom_take(&o);
}
