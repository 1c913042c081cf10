/* http/metrics.c — the Prometheus text exposition (format 0.0.4) of /metrics: DNS queries and
 * responses, answer latency histogram, records by source, Docker events, hosts reloads, build
 * info. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/internal.h"

struct out {
    char *s;
    size_t len, cap;
    bool failed;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
    if (o->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
    va_end(ap);
    if (n < 0) {
        o->failed = true;
        return;
    }
    if (o->len + (size_t)n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->len + (size_t)n + 1)
            cap *= 2;
        char *s = realloc(o->s, cap);
        if (!s) {
            o->failed = true;
            return;
        }
        o->s = s;
        o->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(o->s + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    o->len += (size_t)n;
}

/* A label value with \, " and newlines escaped, as the exposition format requires. */
static const char *label(const char *v, char *buf, size_t cap)
{
    size_t j = 0;
    for (size_t i = 0; v && v[i] && j + 3 < cap; i++) {
        char c = v[i];
        if (c == '\\' || c == '"' || c == '\n') {
            buf[j++] = '\\';
            c = c == '\n' ? 'n' : c;
        }
        buf[j++] = c;
    }
    buf[j] = '\0';
    return buf;
}

static void header(struct out *o, const char *name, const char *type, const char *help)
{
    put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *const rcode_names[16] = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",  "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
    "NXRRSET", "NOTAUTH", "NOTZONE",  "DSOTYPENI", "RCODE12", "RCODE13", "RCODE14",  "RCODE15"};

static void dns_metrics(struct out *o, const struct http_view *v)
{
    const struct dns_stats *d = &v->dns;
    header(o, "joyride_dns_queries_total", "counter", "DNS queries received, by protocol.");
    put(o, "joyride_dns_queries_total{protocol=\"udp\"} %llu\n",
        (unsigned long long)d->queries_udp);
    put(o, "joyride_dns_queries_total{protocol=\"tcp\"} %llu\n",
        (unsigned long long)d->queries_tcp);

    header(o, "joyride_dns_responses_total", "counter",
           "DNS responses sent, by protocol and RCODE.");
    static const char *const protos[2] = {"udp", "tcp"};
    for (int p = 0; p < 2; p++) {
        for (int i = 0; i < 17; i++) {
            uint64_t n = d->rcode_by_proto[p][i];
            if (n || i == 0 || i == 1 || i == 3 || i == 4 || i == 5)
                put(o, "joyride_dns_responses_total{protocol=\"%s\",rcode=\"%s\"} %llu\n",
                    protos[p], i < 16 ? rcode_names[i] : "BADVERS", (unsigned long long)n);
        }
    }

    header(o, "joyride_dns_dropped_total", "counter",
           "DNS queries not answered (unknown names with DNS_UNKNOWN_ACTION=drop, garbage).");
    put(o, "joyride_dns_dropped_total %llu\n", (unsigned long long)d->dropped);
    header(o, "joyride_dns_truncated_total", "counter", "UDP answers sent with the TC bit.");
    put(o, "joyride_dns_truncated_total %llu\n", (unsigned long long)d->truncated);

    header(o, "joyride_dns_tcp_connections_total", "counter", "TCP connections accepted.");
    put(o, "joyride_dns_tcp_connections_total %llu\n",
        (unsigned long long)d->tcp_connections_total);
    header(o, "joyride_dns_tcp_connections_open", "gauge", "TCP connections open now.");
    put(o, "joyride_dns_tcp_connections_open %llu\n", (unsigned long long)d->tcp_connections_open);
    header(o, "joyride_dns_tcp_connections_refused_total", "counter",
           "TCP connections refused (out of memory or file descriptors).");
    put(o, "joyride_dns_tcp_connections_refused_total %llu\n",
        (unsigned long long)d->tcp_connections_refused);
    header(o, "joyride_dns_tcp_connections_evicted_total", "counter",
           "TCP connections closed to make room (connection cap or per-client share).");
    put(o, "joyride_dns_tcp_connections_evicted_total %llu\n",
        (unsigned long long)d->tcp_connections_evicted);
    header(o, "joyride_dns_tcp_connections_timed_out_total", "counter",
           "TCP connections closed because a query did not arrive whole in time.");
    put(o, "joyride_dns_tcp_connections_timed_out_total %llu\n",
        (unsigned long long)d->tcp_connections_timed_out);

    header(o, "joyride_dns_answer_latency_seconds", "histogram",
           "Time from receiving a query to handing its answer to the kernel.");
    for (int i = 0; i < DNS_LATENCY_BUCKETS; i++) {
        if (i == DNS_LATENCY_BUCKETS - 1)
            put(o, "joyride_dns_answer_latency_seconds_bucket{le=\"+Inf\"} %llu\n",
                (unsigned long long)d->latency_count);
        else
            put(o, "joyride_dns_answer_latency_seconds_bucket{le=\"%g\"} %llu\n",
                dns_latency_bounds[i], (unsigned long long)d->latency_bucket[i]);
    }
    put(o, "joyride_dns_answer_latency_seconds_sum %.9f\n", d->latency_sum);
    put(o, "joyride_dns_answer_latency_seconds_count %llu\n", (unsigned long long)d->latency_count);
}

static void record_metrics(struct out *o, const struct http_view *v)
{
    header(o, "joyride_records", "gauge", "Records served, by source kind.");
    for (int k = 0; k < KIND_COUNT; k++)
        put(o, "joyride_records{source=\"%s\"} %zu\n", http_source_kind_names[k], v->by_kind[k]);
    header(o, "joyride_records_by_type", "gauge", "Records served, by type.");
    put(o, "joyride_records_by_type{type=\"A\"} %zu\n", v->by_type[0]);
    put(o, "joyride_records_by_type{type=\"AAAA\"} %zu\n", v->by_type[1]);
    header(o, "joyride_records_remote", "gauge", "Records served that other nodes own.");
    put(o, "joyride_records_remote %zu\n", v->remote);
    header(o, "joyride_records_entries", "gauge",
           "Entries in the record table, tombstones and dormant owners included.");
    put(o, "joyride_records_entries %zu\n", v->rec.entries);
    header(o, "joyride_records_tombstones", "gauge", "Removed entries kept as tombstones.");
    put(o, "joyride_records_tombstones %zu\n", v->rec.tombstones);
    header(o, "joyride_records_owners", "gauge", "Owners (nodes) known to the record table.");
    put(o, "joyride_records_owners %zu\n", v->rec.owners);
    header(o, "joyride_records_version", "gauge", "Version of the served record set.");
    put(o, "joyride_records_version %llu\n", (unsigned long long)v->rec.version);
}

static void source_metrics(struct out *o, const struct http_view *v)
{
    const struct docker_status *d = &v->docker;
    header(o, "joyride_docker_events_total", "counter", "Docker container events, by action.");
    for (int i = 0; i < DOCKER_EV_COUNT; i++)
        put(o, "joyride_docker_events_total{action=\"%s\"} %llu\n", docker_action_names[i],
            (unsigned long long)d->events[i]);
    header(o, "joyride_docker_connected", "gauge", "1 while the Docker event stream is followed.");
    put(o, "joyride_docker_connected %d\n", v->docker_enabled && d->connected ? 1 : 0);
    header(o, "joyride_docker_reconnects_total", "counter", "Reconnections to the Docker Engine.");
    put(o, "joyride_docker_reconnects_total %llu\n", (unsigned long long)d->reconnects);
    header(o, "joyride_docker_containers_tracked", "gauge", "Labelled containers with records.");
    put(o, "joyride_docker_containers_tracked %zu\n", d->containers_tracked);

    const struct hosts_status *h = &v->hosts;
    header(o, "joyride_hosts_reloads_total", "counter", "Hosts-directory reloads.");
    put(o, "joyride_hosts_reloads_total %llu\n", (unsigned long long)h->reloads);
    header(o, "joyride_hosts_files", "gauge", "Hosts files loaded.");
    put(o, "joyride_hosts_files %zu\n", h->files);
    header(o, "joyride_hosts_watching", "gauge", "1 while the hosts directory is watched.");
    put(o, "joyride_hosts_watching %d\n", v->hosts_enabled && h->running ? 1 : 0);
}

char *http_metrics_text(const struct config *cfg, const struct http_view *v, const char *extra)
{
    struct out o = {0};
    char l1[300], l2[300], l3[300], l4[300];
    header(&o, "joyride_build_info", "gauge", "Build and service information (always 1).");
    put(&o,
        "joyride_build_info{version=\"%s\",service=\"%s\",environment=\"%s\",node_id=\"%s\"} 1\n",
        label(cfg->semantic_version, l1, sizeof l1), label(cfg->service_name, l2, sizeof l2),
        label(cfg->environment, l3, sizeof l3), label(cfg->node_id, l4, sizeof l4));
    header(&o, "joyride_uptime_seconds", "gauge", "Seconds since the process started.");
    put(&o, "joyride_uptime_seconds %.3f\n", v->uptime);
    header(&o, "joyride_dns_sync_running", "gauge", "1 while cluster sync runs.");
    put(&o, "joyride_dns_sync_running %d\n", v->sync_running ? 1 : 0);
    dns_metrics(&o, v);
    record_metrics(&o, v);
    source_metrics(&o, v);
    if (extra)
        put(&o, "%s", extra);
    if (o.failed) {
        free(o.s);
        return NULL;
    }
    return o.s;
}
