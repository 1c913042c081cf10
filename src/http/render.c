/* http/render.c — the JSON documents of the API (/health, /status, /dns/records, errors), built
 * from a gathered struct http_view so they are pure functions of their inputs. */
#include <math.h>
#include <stdio.h>
#include <time.h>

#include "http/internal.h"

const char *http_iso8601(double unix_seconds, char buf[32])
{
    time_t sec = (time_t)floor(unix_seconds);
    long ms = (long)((unix_seconds - (double)sec) * 1000.0);
    if (ms > 999)
        ms = 999;
    if (ms < 0)
        ms = 0;
    struct tm tm;
    gmtime_r(&sec, &tm);
    size_t n = strftime(buf, 24, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 32 - n, ".%03ldZ", ms);
    return buf;
}

static void set(json_t *o, const char *key, json_t *value)
{
    json_object_set_new(o, key, value ? value : json_null());
}

static json_t *str_or_null(const char *s)
{
    return s && s[0] ? json_string(s) : json_null();
}

static json_t *base_object(const struct config *cfg, const struct http_view *v, const char *status)
{
    char ts[32];
    json_t *o = json_object();
    set(o, "status", json_string(status));
    set(o, "timestamp", json_string(http_iso8601(v->now, ts)));
    set(o, "service", json_string(cfg->service_name));
    set(o, "version", json_string(cfg->semantic_version));
    return o;
}

json_t *http_health_json(const struct config *cfg, const struct http_view *v)
{
    return base_object(cfg, v, "healthy");
}

static json_t *forwarding_json(const struct dns_forward_stats *f)
{
    json_t *o = json_object();
    set(o, "enabled", json_boolean(f->enabled));
    if (!f->enabled)
        return o;
    set(o, "forwarded", json_integer((json_int_t)f->forwarded));
    set(o, "coalesced", json_integer((json_int_t)f->coalesced));
    set(o, "refused", json_integer((json_int_t)f->refused));
    set(o, "servfail", json_integer((json_int_t)f->servfail));
    set(o, "stale", json_integer((json_int_t)f->stale));
    set(o, "spoofed", json_integer((json_int_t)f->spoofed));
    set(o, "pending", json_integer((json_int_t)f->in_flight));
    json_t *c = json_object();
    set(c, "entries", json_integer((json_int_t)f->cache_entries));
    set(c, "bytes", json_integer((json_int_t)f->cache_bytes));
    set(c, "hits", json_integer((json_int_t)f->cache_hits));
    set(c, "misses", json_integer((json_int_t)f->cache_misses));
    set(c, "evictions", json_integer((json_int_t)f->cache_evictions));
    set(o, "cache", c);
    json_t *ups = json_array();
    for (size_t i = 0; i < f->n_upstreams; i++) {
        const struct dns_upstream_stats *u = &f->upstreams[i];
        json_t *j = json_object();
        set(j, "address", json_string(u->address));
        set(j, "zone", u->zone[0] ? json_string(u->zone) : json_null());
        set(j, "state", json_string(u->resting ? "resting" : "up"));
        set(j, "srtt_ms", json_real(u->srtt_ms));
        set(j, "queries", json_integer((json_int_t)u->queries));
        set(j, "answers", json_integer((json_int_t)u->answers));
        set(j, "timeouts", json_integer((json_int_t)u->timeouts));
        set(j, "errors", json_integer((json_int_t)u->errors));
        set(j, "spoofed", json_integer((json_int_t)u->spoofed));
        set(j, "tcp_retries", json_integer((json_int_t)u->tcp_retries));
        json_array_append_new(ups, j);
    }
    set(o, "upstreams", ups);
    return o;
}

static json_t *dns_server_json(const struct config *cfg, const struct http_view *v)
{
    json_t *d = json_object();
    set(d, "port", json_integer(v->dns_port));
    set(d, "bind_address", json_string(cfg->dns_bind_address));
    set(d, "running", json_boolean(v->dns_running));
    set(d, "workers", json_integer(cfg->dns_workers));
    set(d, "queries_total",
        json_integer((json_int_t)v->dns.queries_udp + (json_int_t)v->dns.queries_tcp));
    set(d, "queries_udp", json_integer((json_int_t)v->dns.queries_udp));
    set(d, "queries_tcp", json_integer((json_int_t)v->dns.queries_tcp));
    set(d, "ttl", json_integer(cfg->dns_ttl));
    set(d, "unknown_action", json_string(config_unknown_action_name(cfg->dns_unknown_action)));
    json_t *domains = json_array();
    for (size_t i = 0; i < cfg->n_dns_domains; i++)
        json_array_append_new(domains, json_string(cfg->dns_domains[i]));
    set(d, "domains", domains);
    set(d, "forwarding", forwarding_json(&v->fwd));
    return d;
}

static json_t *docker_json(const struct config *cfg, const struct http_view *v)
{
    const struct docker_status *s = &v->docker;
    json_t *d = json_object();
    set(d, "running", json_boolean(v->docker_enabled && s->running));
    set(d, "connected", json_boolean(v->docker_enabled && s->connected));
    set(d, "api_version", str_or_null(v->docker_enabled ? s->api_version : NULL));
    set(d, "containers_tracked", json_integer((json_int_t)s->containers_tracked));
    set(d, "last_error", str_or_null(v->docker_enabled ? s->last_error : NULL));
    set(d, "docker_host", json_string(cfg->docker_host));
    set(d, "labels", json_string(cfg->docker_labels));
    set(d, "reconnects", json_integer((json_int_t)s->reconnects));
    json_t *ev = json_object();
    for (int i = 0; i < DOCKER_EV_COUNT; i++)
        set(ev, docker_action_names[i], json_integer((json_int_t)s->events[i]));
    set(d, "events", ev);
    return d;
}

static json_t *hosts_json(const struct config *cfg, const struct http_view *v)
{
    json_t *h = json_object();
    set(h, "enabled", json_boolean(v->hosts_enabled));
    set(h, "directory",
        v->hosts_enabled ? json_string(v->hosts.directory) : str_or_null(cfg->hosts_directory));
    set(h, "running", json_boolean(v->hosts_enabled && v->hosts.running));
    set(h, "records_count", json_integer((json_int_t)v->hosts.records_count));
    set(h, "files", json_integer((json_int_t)v->hosts.files));
    set(h, "reloads", json_integer((json_int_t)v->hosts.reloads));
    return h;
}

json_t *http_status_json(const struct config *cfg, const struct http_view *v)
{
    char ts[32];
    json_t *o = base_object(cfg, v, "running");
    set(o, "environment", json_string(cfg->environment));
    set(o, "uptime", json_real(floor(v->uptime * 1000.0) / 1000.0));
    set(o, "started_at", json_string(http_iso8601(v->now - v->uptime, ts)));
    set(o, "node_id", json_string(cfg->node_id));
    set(o, "hostip", json_string(cfg->hostip));
    set(o, "dns_server", dns_server_json(cfg, v));

    json_t *http = json_object();
    set(http, "port", json_integer(cfg->http_port));
    set(http, "bind_address", json_string(cfg->http_bind_address));
    set(o, "http_server", http);

    set(o, "docker_monitor", docker_json(cfg, v));
    set(o, "hosts_monitor", hosts_json(cfg, v));

    json_t *sync = json_object();
    set(sync, "enabled", json_boolean(cfg->enable_dns_sync));
    set(sync, "running", json_boolean(v->sync_running));
    set(o, "dns_sync_cluster", sync);

    json_t *rec = json_object();
    set(rec, "served", json_integer((json_int_t)v->rec.served));
    set(rec, "version", json_integer((json_int_t)v->rec.version));
    set(rec, "owners", json_integer((json_int_t)v->rec.owners));
    set(rec, "remote", json_integer((json_int_t)v->remote));
    json_t *kinds = json_object();
    for (int k = 0; k < KIND_COUNT; k++)
        set(kinds, http_source_kind_names[k], json_integer((json_int_t)v->by_kind[k]));
    set(rec, "by_source", kinds);
    set(o, "records", rec);
    return o;
}

json_t *http_record_json(const struct config *cfg, const struct http_record *r)
{
    char addr[46];
    json_t *e = json_object();
    set(e, "hostname", json_string(r->name));
    set(e, "ip_address", json_string(records_format_addr(&r->addr, addr)));
    set(e, "ttl", json_integer(r->has_ttl ? r->ttl : cfg->dns_ttl));
    const char *type = r->addr.type == REC_AAAA ? "AAAA" : "A";
    set(e, "type", json_string(type));
    /* what the record is: an address of its name, or a wildcard (RFC 4592) for names below */
    set(e, "kind", json_string(records_name_is_wildcard(r->name) ? "wildcard" : type));
    set(e, "source", json_string(r->source));
    enum http_source_kind kind = http_source_kind(r->source);
    set(e, "source_type", json_string(http_source_kind_names[kind]));
    set(e, "owner", json_string(r->owner));
    /* whether the address's reverse name answers PTR with this name (DNS_PTR) */
    bool ptr = (cfg->dns_ptr == CONFIG_PTR_ALL ||
                (cfg->dns_ptr == CONFIG_PTR_HOSTS && kind == KIND_HOSTS)) &&
               !records_name_is_wildcard(r->name); /* a wildcard is no address's name */
    set(e, "ptr", json_boolean(ptr));
    return e;
}

int http_json_to_buf(const char *data, size_t size, void *b)
{
    return buf_append(b, data, size) ? 0 : -1;
}

bool http_records_render(const struct config *cfg, const struct http_view *v,
                         const struct http_records_query *q, struct buf *out)
{
    size_t total = v->matched;
    size_t first = q->offset < v->records.n ? q->offset : v->records.n;
    size_t n = v->records.n - first;
    if (q->has_limit && q->limit < n)
        n = q->limit;
    buf_printf(out,
               "{\"status\":\"success\",\"total_records\":%zu,\"total\":%zu,\"returned\":%zu,"
               "\"offset\":%zu,\"limit\":",
               total, total, n, q->offset);
    if (q->has_limit)
        buf_printf(out, "%zu", q->limit);
    else
        buf_puts(out, "null");
    buf_puts(out, ",\"records\":[");
    for (size_t i = 0; i < n && !out->oom; i++) {
        json_t *e = http_record_json(cfg, &v->records.v[first + i]);
        if (i)
            buf_putc(out, ',');
        if (!e || json_dump_callback(e, http_json_to_buf, out, JSON_COMPACT) != 0)
            out->oom = true;
        json_decref(e);
    }
    buf_puts(out, "]}\n");
    return !out->oom;
}

json_t *http_error_json(const char *status, const char *message)
{
    json_t *o = json_object();
    set(o, "status", json_string(status));
    set(o, "message", json_string(message));
    return o;
}
