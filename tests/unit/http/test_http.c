/* test_http.c — the HTTP module: routing (404/405/Allow), the JSON documents and the Prometheus
 * text rendered from a known view, and a live daemon on 127.0.0.1 answering real requests
 * (records from a real table, cluster hooks, port-in-use error). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "http/internal.h"
#include "core/loop.h"

/* ---- routing ---- */

static void test_routes(void **state)
{
    (void)state;
    const char *allow = NULL;
    assert_int_equal(http_route_find("GET", "/", &allow), ROUTE_PAGE);
    assert_int_equal(http_route_find("GET", "/health", &allow), ROUTE_HEALTH);
    assert_int_equal(http_route_find("HEAD", "/health", &allow), ROUTE_HEALTH);
    assert_int_equal(http_route_find("GET", "/status", &allow), ROUTE_STATUS);
    assert_int_equal(http_route_find("GET", "/dns/records", &allow), ROUTE_RECORDS);
    assert_int_equal(http_route_find("GET", "/dns/cluster", &allow), ROUTE_CLUSTER);
    assert_int_equal(http_route_find("GET", "/dns/explain", &allow), ROUTE_EXPLAIN);
    assert_int_equal(http_route_find("POST", "/dns/sync", &allow), ROUTE_SYNC);
    assert_int_equal(http_route_find("GET", "/metrics", &allow), ROUTE_METRICS);

    allow = NULL;
    assert_int_equal(http_route_find("GET", "/dns/sync", &allow), ROUTE_BAD_METHOD);
    assert_string_equal(allow, "POST");
    assert_int_equal(http_route_find("POST", "/status", &allow), ROUTE_BAD_METHOD);
    assert_string_equal(allow, "GET, HEAD");
    assert_int_equal(http_route_find("DELETE", "/", &allow), ROUTE_BAD_METHOD);
    /* a method must match whole, not as a substring of another */
    assert_int_equal(http_route_find("ET", "/health", &allow), ROUTE_BAD_METHOD);
    assert_int_equal(http_route_find("GE", "/health", &allow), ROUTE_BAD_METHOD);
    assert_int_equal(http_route_find("POS", "/dns/sync", &allow), ROUTE_BAD_METHOD);
    assert_int_equal(http_route_find("", "/health", &allow), ROUTE_BAD_METHOD);

    assert_int_equal(http_route_find("GET", "/nope", &allow), ROUTE_NOT_FOUND);
    assert_int_equal(http_route_find("GET", "/health/", &allow), ROUTE_NOT_FOUND);
    assert_int_equal(http_route_find("GET", "/HEALTH", &allow), ROUTE_NOT_FOUND);
    assert_int_equal(http_route_find("GET", "", &allow), ROUTE_NOT_FOUND);
}

/* ---- renderers from a known view ---- */

static struct config cfg;

static int setup_cfg(void **state)
{
    (void)state;
    char err[256];
    char *const argv[] = {"joyride", NULL};
    char *const envp[] = {"DNS_BIND_ADDRESS=127.0.0.1",
                          "HTTP_BIND_ADDRESS=127.0.0.1",
                          "DNS_PORT=5399",
                          "HTTP_PORT=5099",
                          "HOSTIP=192.0.2.7",
                          "NODE_ID=node\"x",
                          "SERVICE_NAME=Test \"DNS\"",
                          "ENVIRONMENT=unit",
                          "DNS_DOMAINS=example.test",
                          "HOSTS_DIRECTORY=/srv/hosts",
                          "DNS_WORKERS=3",
                          "ENABLE_DNS_SYNC=true",
                          NULL};
    return config_parse(&cfg, 1, argv, envp, NULL, err, sizeof err) == CONFIG_OK ? 0 : -1;
}

static int teardown_cfg(void **state)
{
    (void)state;
    config_free(&cfg);
    return 0;
}

static void fake_view(struct http_view *v)
{
    memset(v, 0, sizeof *v);
    v->now = 1764094250.25; /* 2025-11-25T18:10:50.250Z */
    v->uptime = 12.3456;
    v->dns_running = true;
    v->dns_port = 5399;
    v->dns.queries_udp = 7;
    v->dns.queries_tcp = 2;
    v->dns.rcode[0] = 6;
    v->dns.rcode[3] = 3;
    v->dns.rcode[9] = 1; /* NOTAUTH: listed because non-zero */
    v->dns.rcode_by_proto[0][0] = 4;
    v->dns.rcode_by_proto[1][0] = 2;
    v->dns.rcode_by_proto[0][3] = 3;
    v->dns.rcode_by_proto[1][9] = 1;
    v->dns.rcode_by_proto[0][16] = 2;
    v->dns.latency_count = 9;
    v->dns.latency_sum = 0.0009;
    for (int i = 0; i < DNS_LATENCY_BUCKETS; i++)
        v->dns.latency_bucket[i] = i < 3 ? (uint64_t)i * 3 : 9;
    v->hosts_enabled = true;
    snprintf(v->hosts.directory, sizeof v->hosts.directory, "/srv/hosts");
    v->hosts.running = true;
    v->hosts.records_count = 2;
    v->hosts.files = 1;
    v->hosts.reloads = 4;
    v->docker_enabled = true;
    v->docker.running = true;
    v->docker.connected = false;
    v->docker.events[DOCKER_EV_START] = 5;
    v->docker.events[DOCKER_EV_DIE] = 1;
    snprintf(v->docker.last_error, sizeof v->docker.last_error, "connection refused");
    v->rec.served = 3;
    v->rec.version = 42;
    v->by_kind[KIND_HOSTS] = 2;
    v->by_kind[KIND_DOCKER] = 1;
    v->by_type[0] = 2;
    v->by_type[1] = 1;
}

static void test_iso8601(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(http_iso8601(0, buf), "1970-01-01T00:00:00.000Z");
    assert_string_equal(http_iso8601(1764094250.25, buf), "2025-11-25T18:10:50.250Z");
    assert_string_equal(http_iso8601(1764094250.9999, buf), "2025-11-25T18:10:50.999Z");
}

static void test_health_and_status_json(void **state)
{
    (void)state;
    struct http_view v;
    fake_view(&v);
    json_t *h = http_health_json(&cfg, &v);
    assert_string_equal(json_string_value(json_object_get(h, "status")), "healthy");
    assert_string_equal(json_string_value(json_object_get(h, "timestamp")),
                        "2025-11-25T18:10:50.250Z");
    assert_string_equal(json_string_value(json_object_get(h, "service")), "Test \"DNS\"");
    assert_string_equal(json_string_value(json_object_get(h, "version")), JOYRIDE_VERSION);
    json_decref(h);

    json_t *s = http_status_json(&cfg, &v);
    assert_string_equal(json_string_value(json_object_get(s, "environment")), "unit");
    assert_true(json_real_value(json_object_get(s, "uptime")) > 12.3449);
    assert_true(json_real_value(json_object_get(s, "uptime")) < 12.3461);
    json_t *d = json_object_get(s, "dns_server");
    assert_int_equal(json_integer_value(json_object_get(d, "port")), 5399);
    assert_string_equal(json_string_value(json_object_get(d, "bind_address")), "127.0.0.1");
    assert_true(json_is_true(json_object_get(d, "running")));
    assert_int_equal(json_integer_value(json_object_get(d, "workers")), 3);
    assert_int_equal(json_integer_value(json_object_get(d, "queries_total")), 9);
    assert_string_equal(json_string_value(json_array_get(json_object_get(d, "domains"), 0)),
                        "example.test");
    json_t *k = json_object_get(s, "docker_monitor");
    assert_true(json_is_true(json_object_get(k, "running")));
    assert_true(json_is_false(json_object_get(k, "connected")));
    assert_true(json_is_null(json_object_get(k, "api_version")));
    assert_int_equal(json_integer_value(json_object_get(k, "containers_tracked")), 0);
    assert_string_equal(json_string_value(json_object_get(k, "last_error")), "connection refused");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(k, "events"), "start")), 5);
    json_t *hm = json_object_get(s, "hosts_monitor");
    assert_true(json_is_true(json_object_get(hm, "enabled")));
    assert_string_equal(json_string_value(json_object_get(hm, "directory")), "/srv/hosts");
    assert_true(json_is_true(json_object_get(hm, "running")));
    assert_int_equal(json_integer_value(json_object_get(hm, "records_count")), 2);
    json_t *c = json_object_get(s, "dns_sync_cluster");
    assert_true(json_is_true(json_object_get(c, "enabled")));
    assert_true(json_is_false(json_object_get(c, "running")));
    json_decref(s);

    /* hosts disabled: enabled false, the configured directory still shown */
    v.hosts_enabled = false;
    s = http_status_json(&cfg, &v);
    hm = json_object_get(s, "hosts_monitor");
    assert_true(json_is_false(json_object_get(hm, "enabled")));
    assert_true(json_is_false(json_object_get(hm, "running")));
    json_decref(s);
}

static void test_records_json(void **state)
{
    (void)state;
    struct http_view v;
    fake_view(&v);
    struct http_record recs[3] = {
        {.name = "a.test", .source = "hosts:/srv/hosts/x", .owner = "n1"},
        {.name = "b.test", .source = "docker:abc", .owner = "n2"},
        {.name = "*.c.test", .source = "api", .owner = "n1"},
    };
    records_parse_addr("10.0.0.1", &recs[0].addr);
    records_parse_addr("fd00::1", &recs[1].addr);
    records_parse_addr("10.0.0.3", &recs[2].addr);
    v.records.v = recs;
    v.records.n = 3;
    v.matched = 3;
    struct http_records_query all = {0};
    struct buf b = {0};
    assert_true(http_records_render(&cfg, &v, &all, &b));
    assert_true(b.len > 0 && b.p[b.len - 1] == '\n');
    json_t *o = json_loads(b.p, 0, NULL);
    buf_free(&b);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "success");
    assert_int_equal(json_integer_value(json_object_get(o, "total_records")), 3);
    assert_int_equal(json_integer_value(json_object_get(o, "total")), 3);
    assert_int_equal(json_integer_value(json_object_get(o, "returned")), 3);
    assert_int_equal(json_integer_value(json_object_get(o, "offset")), 0);
    assert_true(json_is_null(json_object_get(o, "limit")));
    json_t *r1 = json_array_get(json_object_get(o, "records"), 1);
    assert_string_equal(json_string_value(json_object_get(r1, "hostname")), "b.test");
    assert_string_equal(json_string_value(json_object_get(r1, "ip_address")), "fd00::1");
    assert_string_equal(json_string_value(json_object_get(r1, "type")), "AAAA");
    assert_int_equal(json_integer_value(json_object_get(r1, "ttl")), 60);
    assert_string_equal(json_string_value(json_object_get(r1, "source")), "docker:abc");
    assert_string_equal(json_string_value(json_object_get(r1, "source_type")), "docker");
    assert_string_equal(json_string_value(json_object_get(r1, "owner")), "n2");
    /* the kind: the address type, or wildcard for a "*" name */
    assert_string_equal(json_string_value(json_object_get(r1, "kind")), "AAAA");
    json_t *r0 = json_array_get(json_object_get(o, "records"), 0);
    assert_string_equal(json_string_value(json_object_get(r0, "kind")), "A");
    json_t *r2 = json_array_get(json_object_get(o, "records"), 2);
    assert_string_equal(json_string_value(json_object_get(r2, "hostname")), "*.c.test");
    assert_string_equal(json_string_value(json_object_get(r2, "type")), "A");
    assert_string_equal(json_string_value(json_object_get(r2, "kind")), "wildcard");
    json_decref(o);

    /* a page: offset 1, limit 1 -> the second record only; offset past the end -> none */
    struct http_records_query page = {.has_limit = true, .limit = 1, .offset = 1};
    assert_true(http_records_render(&cfg, &v, &page, &b));
    o = json_loads(b.p, 0, NULL);
    buf_free(&b);
    assert_int_equal(json_integer_value(json_object_get(o, "total")), 3);
    assert_int_equal(json_integer_value(json_object_get(o, "returned")), 1);
    assert_int_equal(json_integer_value(json_object_get(o, "limit")), 1);
    assert_int_equal(json_array_size(json_object_get(o, "records")), 1);
    r1 = json_array_get(json_object_get(o, "records"), 0);
    assert_string_equal(json_string_value(json_object_get(r1, "hostname")), "b.test");
    json_decref(o);
    page.offset = 7;
    assert_true(http_records_render(&cfg, &v, &page, &b));
    o = json_loads(b.p, 0, NULL);
    buf_free(&b);
    assert_int_equal(json_integer_value(json_object_get(o, "returned")), 0);
    assert_int_equal(json_integer_value(json_object_get(o, "offset")), 7);
    assert_int_equal(json_array_size(json_object_get(o, "records")), 0);
    json_decref(o);
}

static struct http_args args_of(const char *const *kv)
{
    struct http_args a = {0};
    for (; kv[0]; kv += 2) {
        a.v[a.n].key = kv[0];
        a.v[a.n].value = kv[1];
        a.n++;
    }
    return a;
}

static void test_records_query(void **state)
{
    (void)state;
    struct http_records_query q;
    char err[256];
    struct http_args a = args_of((const char *const[]){NULL});
    assert_true(http_records_query_parse(&a, &q, err, sizeof err));
    assert_false(q.has_limit || q.has_name || q.offset);
    assert_true(http_records_match(&q, "anything.test"));

    a = args_of((const char *const[]){"limit", "100", "offset", "20", "name", "Web.Test.", NULL});
    assert_true(http_records_query_parse(&a, &q, err, sizeof err));
    assert_true(q.has_limit && q.limit == 100 && q.offset == 20 && q.has_name && !q.glob);
    assert_true(http_records_match(&q, "web.test"));
    assert_false(http_records_match(&q, "www.web.test"));

    a = args_of((const char *const[]){"name", "*.Example.com", NULL});
    assert_true(http_records_query_parse(&a, &q, err, sizeof err));
    assert_true(q.glob);
    assert_true(http_records_match(&q, "a.example.com"));
    assert_true(http_records_match(&q, "a.b.example.com"));
    assert_false(http_records_match(&q, "example.com"));
    assert_false(http_records_match(&q, "badexample.com"));
    a = args_of((const char *const[]){"name", "*web*", NULL});
    assert_true(http_records_query_parse(&a, &q, err, sizeof err));
    assert_true(http_records_match(&q, "myweb1.test"));
    assert_false(http_records_match(&q, "db.test"));

    /* every malformed form is refused with a reason naming the parameter */
    static const char *const bad[][5] = {
        {"limit", "abc"}, {"limit", "-1"},   {"limit", "100001"},
        {"limit", ""},    {"offset", "1e3"}, {"offset", "9999999999"},
        {"name", "a b"},  {"name", "[ab]*"}, {"name", "bad..name"},
        {"lmit", "1"},    {"limit", NULL},   {"limit", "1", "limit", "2"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        a = args_of((const char *const[]){bad[i][0], bad[i][1], bad[i][2], bad[i][3], NULL});
        err[0] = '\0';
        assert_false(http_records_query_parse(&a, &q, err, sizeof err));
        assert_true(strlen(err) > 0);
    }
    a = args_of((const char *const[]){"lmit", "1", NULL});
    assert_false(http_records_query_parse(&a, &q, err, sizeof err));
    assert_string_equal(err, "unknown parameter 'lmit' (accepted: limit, offset, name)");
}

static void test_explain_query(void **state)
{
    (void)state;
    struct http_explain_query q;
    char err[256];
    struct http_args a = args_of((const char *const[]){"name", "App.Example.COM.", NULL});
    assert_true(http_explain_query_parse(&a, &q, err, sizeof err));
    assert_string_equal(q.name, "app.example.com");
    assert_int_equal(q.qtype, 1);
    assert_string_equal(q.type, "A");
    a = args_of((const char *const[]){"name", "x.test", "type", "aaaa", NULL});
    assert_true(http_explain_query_parse(&a, &q, err, sizeof err));
    assert_int_equal(q.qtype, 28);
    assert_string_equal(q.type, "AAAA");
    a = args_of((const char *const[]){"name", "x.test", "type", "TYPE99", NULL});
    assert_true(http_explain_query_parse(&a, &q, err, sizeof err));
    assert_int_equal(q.qtype, 99);
    assert_string_equal(q.type, "TYPE99");
    static const char *const bad[][4] = {
        {"type", "A"},
        {"name", "-bad-.test"},
        {"name", "x.test", "type", "BOGUS"},
        {"name", "x.test", "type", "TYPE0"},
        {"name", "x.test", "limit", "1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        a = args_of((const char *const[]){bad[i][0], bad[i][1], bad[i][2], bad[i][3], NULL});
        assert_false(http_explain_query_parse(&a, &q, err, sizeof err));
    }
}

/* The value of the sample line that starts with prefix followed by a space; -1 when absent. */
static double sample(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, prefix, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    }
    return -1;
}

static void test_metrics_text(void **state)
{
    (void)state;
    struct http_view v;
    fake_view(&v);
    char *t =
        http_metrics_text(&cfg, &v, "# HELP x_extra extra\n# TYPE x_extra gauge\nx_extra 1\n");
    assert_non_null(t);
    /* every line is a comment or "name{labels} value" */
    int lines = 0;
    for (char *line = t; *line; lines++) {
        char *end = strchr(line, '\n');
        assert_non_null(end);
        if (line[0] != '#') {
            /* the value follows the label set (whose values may hold blanks) */
            char *labels_end = memrchr(line, '}', (size_t)(end - line));
            char *from = labels_end ? labels_end : line;
            char *sp = memchr(from, ' ', (size_t)(end - from));
            assert_non_null(sp);
            char *num_end;
            strtod(sp + 1, &num_end);
            assert_ptr_equal(num_end, end);
            assert_true((line[0] >= 'a' && line[0] <= 'z') || line[0] == '_');
        }
        line = end + 1;
    }
    assert_true(lines > 50);
    assert_true(sample(t, "joyride_dns_queries_total{protocol=\"udp\"}") == 7);
    assert_true(sample(t, "joyride_dns_queries_total{protocol=\"tcp\"}") == 2);
    assert_true(sample(t, "joyride_dns_responses_total{protocol=\"udp\",rcode=\"NOERROR\"}") == 4);
    assert_true(sample(t, "joyride_dns_responses_total{protocol=\"tcp\",rcode=\"NOERROR\"}") == 2);
    assert_true(sample(t, "joyride_dns_responses_total{protocol=\"udp\",rcode=\"NXDOMAIN\"}") == 3);
    assert_true(sample(t, "joyride_dns_responses_total{protocol=\"tcp\",rcode=\"NXDOMAIN\"}") == 0);
    assert_true(sample(t, "joyride_dns_responses_total{protocol=\"tcp\",rcode=\"NOTAUTH\"}") == 1);
    assert_true(sample(t, "joyride_dns_responses_total{protocol=\"udp\",rcode=\"NOTAUTH\"}") == -1);
    assert_true(sample(t, "joyride_dns_responses_total{protocol=\"udp\",rcode=\"BADVERS\"}") == 2);
    assert_true(sample(t, "joyride_dns_responses_total{protocol=\"udp\",rcode=\"YXDOMAIN\"}") ==
                -1);
    assert_true(sample(t, "joyride_dns_answer_latency_seconds_bucket{le=\"+Inf\"}") == 9);
    assert_true(sample(t, "joyride_dns_answer_latency_seconds_count") == 9);
    assert_true(sample(t, "joyride_records{source=\"hosts\"}") == 2);
    assert_true(sample(t, "joyride_records{source=\"docker\"}") == 1);
    assert_true(sample(t, "joyride_docker_events_total{action=\"start\"}") == 5);
    assert_true(sample(t, "joyride_docker_events_total{action=\"die\"}") == 1);
    assert_true(sample(t, "joyride_hosts_reloads_total") == 4);
    assert_true(sample(t, "joyride_docker_connected") == 0);
    assert_true(sample(t, "x_extra") == 1);
    /* label values are escaped */
    assert_non_null(strstr(t, "service=\"Test \\\"DNS\\\"\""));
    assert_non_null(strstr(t, "node_id=\"node\\\"x\""));
    assert_true(sample(t, "joyride_build_info{version=\"" JOYRIDE_VERSION
                          "\",service=\"Test \\\"DNS\\\"\",environment=\"unit\","
                          "node_id=\"node\\\"x\"}") == 1);
    /* histogram buckets are cumulative */
    double prev = 0;
    for (int i = 0; i < DNS_LATENCY_BUCKETS - 1; i++) {
        char key[128];
        snprintf(key, sizeof key, "joyride_dns_answer_latency_seconds_bucket{le=\"%g\"}",
                 dns_latency_bounds[i]);
        double b = sample(t, key);
        assert_true(b >= prev);
        prev = b;
    }
    free(t);
}

/* ---- a live daemon ---- */

struct reply {
    int status;
    char head[2048];
    char *body;
};

static void http_request(uint16_t port, const char *request, struct reply *r)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    size_t n = strlen(request);
    assert_int_equal(send(fd, request, n, 0), (ssize_t)n);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    ssize_t k;
    while ((k = recv(fd, buf + len, cap - len - 1, 0)) > 0) {
        len += (size_t)k;
        if (len + 1 == cap)
            buf = realloc(buf, cap *= 2);
    }
    close(fd);
    buf[len] = '\0';
    char *sep = strstr(buf, "\r\n\r\n");
    assert_non_null(sep);
    size_t hl = (size_t)(sep - buf);
    assert_true(hl < sizeof r->head);
    memcpy(r->head, buf, hl);
    r->head[hl] = '\0';
    r->status = (int)strtol(buf + 9, NULL, 10);
    r->body = strdup(sep + 4);
    free(buf);
}

static json_t *get_json(uint16_t port, const char *method, const char *path, int want_status)
{
    char req[256];
    snprintf(req, sizeof req, "%s %s HTTP/1.0\r\nContent-Length: 0\r\n\r\n", method, path);
    struct reply r;
    http_request(port, req, &r);
    if (r.status != want_status)
        fail_msg("%s %s: status %d, want %d\n%s", method, path, r.status, want_status, r.body);
    assert_non_null(strcasestr(r.head, "Content-Type: application/json"));
    json_error_t e;
    json_t *o = json_loads(r.body, 0, &e);
    if (!o)
        fail_msg("%s %s: not JSON: %s", method, path, r.body);
    free(r.body);
    return o;
}

static int fake_sync_rc;
static int fake_sync_calls;

static bool fake_running(void *ctx)
{
    (void)ctx;
    return true;
}

static json_t *fake_cluster(void *ctx)
{
    (void)ctx;
    return json_pack("{s:s, s:b}", "node_id", "n1", "running", 1);
}

static int fake_sync(void *ctx)
{
    (void)ctx;
    fake_sync_calls++;
    return fake_sync_rc;
}

static char *fake_metrics(void *ctx)
{
    (void)ctx;
    return strdup("joyride_swim_members{state=\"alive\"} 3\n");
}

static void test_live(void **state)
{
    (void)state;
    struct records *t = records_new("node-live", 1);
    struct rec_input in[2] = {{.name = "b.test"}, {.name = "a.test"}};
    records_parse_addr("10.0.0.2", &in[0].addr);
    records_parse_addr("10.0.0.1", &in[1].addr);
    assert_true(records_set_source(t, "hosts:/srv/hosts/f", in, 2) > 0);

    struct http_api_config hc = {.cfg = &cfg,
                                 .started_ms = loop_now_ms(),
                                 .records = t,
                                 .bind_any_port = true,
                                 .port_override = 0};
    char err[256];
    struct http_api *a = http_api_start(&hc, err, sizeof err);
    assert_non_null(a);
    uint16_t port = http_api_port(a);
    assert_int_not_equal(port, 0);

    json_t *o = get_json(port, "GET", "/health", 200);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "healthy");
    json_decref(o);

    o = get_json(port, "GET", "/status", 200);
    assert_true(json_is_false(json_object_get(json_object_get(o, "dns_server"), "running")));
    assert_true(json_is_false(json_object_get(json_object_get(o, "hosts_monitor"), "enabled")));
    assert_true(json_is_false(json_object_get(json_object_get(o, "docker_monitor"), "running")));
    assert_true(json_is_false(json_object_get(json_object_get(o, "dns_sync_cluster"), "running")));
    json_decref(o);

    o = get_json(port, "GET", "/dns/records", 200);
    assert_int_equal(json_integer_value(json_object_get(o, "total_records")), 2);
    json_t *r0 = json_array_get(json_object_get(o, "records"), 0);
    assert_string_equal(json_string_value(json_object_get(r0, "hostname")), "a.test");
    assert_string_equal(json_string_value(json_object_get(r0, "owner")), "node-live");
    json_decref(o);

    /* paging and the name filter from the query string; bad parameters: 400 */
    o = get_json(port, "GET", "/dns/records?limit=1&offset=1", 200);
    assert_int_equal(json_integer_value(json_object_get(o, "total")), 2);
    assert_int_equal(json_integer_value(json_object_get(o, "returned")), 1);
    r0 = json_array_get(json_object_get(o, "records"), 0);
    assert_string_equal(json_string_value(json_object_get(r0, "hostname")), "b.test");
    json_decref(o);
    o = get_json(port, "GET", "/dns/records?name=A.TEST", 200);
    assert_int_equal(json_integer_value(json_object_get(o, "total")), 1);
    json_decref(o);
    o = get_json(port, "GET", "/dns/records?limit=x", 400);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "error");
    json_decref(o);
    /* no DNS server in this test: explain cannot ask it */
    o = get_json(port, "GET", "/dns/explain?name=a.test", 503);
    json_decref(o);
    o = get_json(port, "GET", "/dns/explain", 400);
    json_decref(o);

    /* no cluster hooks: 503 disabled */
    o = get_json(port, "GET", "/dns/cluster", 503);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "disabled");
    assert_string_equal(json_string_value(json_object_get(o, "message")),
                        "DNS synchronization is not enabled");
    json_decref(o);
    o = get_json(port, "POST", "/dns/sync", 503);
    json_decref(o);

    o = get_json(port, "GET", "/no/such/path", 404);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "error");
    json_decref(o);

    struct reply r;
    http_request(port, "PUT /status HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello", &r);
    assert_int_equal(r.status, 405);
    assert_non_null(strcasestr(r.head, "\r\nAllow: GET, HEAD"));
    free(r.body);
    http_request(port, "GET /dns/sync HTTP/1.0\r\n\r\n", &r);
    assert_int_equal(r.status, 405);
    assert_non_null(strcasestr(r.head, "\r\nAllow: POST"));
    free(r.body);

    http_request(port, "GET / HTTP/1.0\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strcasestr(r.head, "Content-Type: text/html"));
    assert_int_equal(strlen(r.body), http_status_page_len);
    assert_non_null(strstr(r.body, "localStorage"));
    free(r.body);

    http_request(port, "GET /metrics HTTP/1.0\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strcasestr(r.head, "Content-Type: text/plain; version=0.0.4"));
    assert_true(sample(r.body, "joyride_records{source=\"hosts\"}") == 2);
    free(r.body);

    /* the same port again: a clear one-line error */
    hc.port_override = port;
    errno = 0;
    struct http_api *b = http_api_start(&hc, err, sizeof err);
    assert_null(b);
    assert_int_equal(errno, EADDRINUSE);
    char want[128];
    snprintf(want, sizeof want, "HTTP port %u on 127.0.0.1 is already in use", port);
    assert_string_equal(err, want);

    http_api_stop(a);
    records_free(t);
}

static void test_live_cluster_hooks(void **state)
{
    (void)state;
    struct records *t = records_new("node-c", 1);
    struct http_cluster_hooks hooks = {.running = fake_running,
                                       .cluster_json = fake_cluster,
                                       .sync_now = fake_sync,
                                       .metrics = fake_metrics};
    struct http_api_config hc = {.cfg = &cfg,
                                 .started_ms = loop_now_ms(),
                                 .records = t,
                                 .cluster = &hooks,
                                 .bind_any_port = true};
    char err[256];
    struct http_api *a = http_api_start(&hc, err, sizeof err);
    assert_non_null(a);
    uint16_t port = http_api_port(a);

    json_t *o = get_json(port, "GET", "/dns/cluster", 200);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "success");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(o, "cluster"), "node_id")), "n1");
    json_decref(o);

    fake_sync_rc = 0;
    o = get_json(port, "POST", "/dns/sync", 200);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "success");
    assert_string_equal(json_string_value(json_object_get(o, "message")),
                        "DNS synchronization initiated");
    assert_null(json_object_get(o, "coalesced")); /* the answer as it always was */
    json_decref(o);
    fake_sync_rc = 1; /* coalesced into a sync already running: same answer, saying so */
    o = get_json(port, "POST", "/dns/sync", 200);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "success");
    assert_true(json_is_true(json_object_get(o, "coalesced")));
    json_decref(o);
    fake_sync_rc = -EAGAIN;
    o = get_json(port, "POST", "/dns/sync", 500);
    json_decref(o);
    assert_int_equal(fake_sync_calls, 3);

    o = get_json(port, "GET", "/status", 200);
    assert_true(json_is_true(json_object_get(json_object_get(o, "dns_sync_cluster"), "running")));
    json_decref(o);

    struct reply r;
    http_request(port, "GET /metrics HTTP/1.0\r\n\r\n", &r);
    assert_true(sample(r.body, "joyride_swim_members{state=\"alive\"}") == 3);
    assert_true(sample(r.body, "joyride_dns_sync_running") == 1);
    free(r.body);

    http_api_stop(a);
    records_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_iso8601),
        cmocka_unit_test(test_health_and_status_json),
        cmocka_unit_test(test_records_json),
        cmocka_unit_test(test_records_query),
        cmocka_unit_test(test_explain_query),
        cmocka_unit_test(test_metrics_text),
        cmocka_unit_test(test_live),
        cmocka_unit_test(test_live_cluster_hooks),
    };
    return cmocka_run_group_tests(tests, setup_cfg, teardown_cfg);
}
