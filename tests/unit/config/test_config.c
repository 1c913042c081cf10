/* test_config.c — configuration: defaults, every variable's parsing and validation, the one-line
 * error messages, --flags, .env reading and the flag > environment > .env > default precedence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "config/dotenv.h"
#include "config/options.h"
#include "config/values.h"

/* ---- helpers ---- */

static enum config_result parse(struct config *c, char *const *argv, char *const *envp,
                                const char *dotenv, char *err)
{
    int argc = 0;
    while (argv && argv[argc])
        argc++;
    char *const noargs[] = {"joyride", NULL};
    return config_parse(c, argv ? argc : 1, argv ? argv : noargs, envp, dotenv, err, 256);
}

/* Parses with a single environment variable and expects the given error. */
static void expect_env_error(const char *kv, const char *want)
{
    struct config c;
    char err[256];
    char *envp[] = {(char *)kv, NULL};
    enum config_result r = parse(&c, NULL, envp, NULL, err);
    if (r != CONFIG_ERROR)
        fail_msg("%s: expected an error, got %d", kv, r);
    if (strchr(err, '\n'))
        fail_msg("%s: error is not one line: %s", kv, err);
    if (strcmp(err, want) != 0)
        fail_msg("%s: error\n  got:  %s\n  want: %s", kv, err, want);
}

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/joyride-test-env-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    return path;
}

/* ---- defaults ---- */

static void test_defaults(void **state)
{
    (void)state;
    struct config c;
    char err[256];
    assert_int_equal(parse(&c, NULL, NULL, NULL, err), CONFIG_OK);
    assert_int_equal(c.dns_port, 5353);
    assert_string_equal(c.dns_bind_address, "0.0.0.0");
    assert_int_equal(c.http_port, 5000);
    assert_string_equal(c.http_bind_address, "0.0.0.0");
    assert_string_equal(c.hosts_directory, "/app/hosts");
    assert_int_equal(c.dns_ttl, 60);
    assert_int_equal(c.dns_unknown_action, CONFIG_UNKNOWN_NXDOMAIN);
    assert_int_equal(c.dns_ptr, CONFIG_PTR_HOSTS);
    assert_int_equal(c.n_dns_domains, 0);
    assert_int_equal(c.dns_workers, config_cpu_count());
    char want_id[64];
    snprintf(want_id, sizeof want_id, "joyride-%ld", (long)getpid());
    assert_string_equal(c.node_id, want_id);
    assert_true(c.enable_dns_sync);
    assert_int_equal(c.discovery_port, 8889);
    assert_int_equal(c.swim_port, 8890);
    assert_string_equal(c.cluster_bind_address, "0.0.0.0");
    assert_string_equal(c.discovery_broadcast, "255.255.255.255");
    assert_int_equal(c.discovery_interval_ms, 5000);
    assert_int_equal(c.discovery_timeout_ms, 15000);
    assert_int_equal(c.n_cluster_seeds, 0);
    assert_int_equal(c.n_cluster_keys, 0);
    assert_int_equal(c.records_on_node_failure, CONFIG_FAILURE_WITHDRAW);
    /* memberlist DefaultLANConfig */
    assert_int_equal(c.swim_probe_interval_ms, 1000);
    assert_int_equal(c.swim_probe_timeout_ms, 500);
    assert_int_equal(c.swim_gossip_interval_ms, 200);
    assert_int_equal(c.swim_suspicion_mult, 4);
    assert_int_equal(c.swim_pushpull_interval_ms, 30000);
    assert_int_equal(c.log_level, LOG_INFO);
    assert_string_equal(c.service_name, "Joyride DNS");
    assert_string_equal(c.environment, "development");
    assert_string_equal(c.semantic_version, JOYRIDE_VERSION);
    assert_string_equal(c.docker_host, "unix:///var/run/docker.sock");
    assert_string_equal(c.docker_labels, "joyride.host.name");
    assert_string_equal(c.api_token, ""); /* API writes off */
    assert_string_equal(c.api_records_file, "./api-records.json");
    /* HOSTIP: detected, always a usable literal */
    assert_true(c.hostip_detected);
    struct rec_addr a;
    assert_true(records_parse_addr(c.hostip, &a));
    assert_int_equal(a.type, REC_A);
    assert_memory_equal(a.bytes, c.hostip_addr.bytes, 4);
    config_free(&c);
}

/* The default NODE_ID: the PID where it tells hosts apart, else the hostname, the machine id, the
 * PID; characters a node id refuses become '-'. */
static void test_default_node_id(void **state)
{
    (void)state;
    char id[REC_OWNER_MAX + 1];
    const char *mid = "3d1219c7c4c5404aaa1f6d2a48adfda4\n";
    config_default_node_id(id, sizeof id, 4242, false, "web1", mid);
    assert_string_equal(id, "joyride-4242"); /* host PID namespace: the PID */
    config_default_node_id(id, sizeof id, 1, false, "web1", mid);
    assert_string_equal(id, "joyride-web1"); /* PID 1: the same on every host */
    config_default_node_id(id, sizeof id, 7, true, "web2", mid);
    assert_string_equal(id,
                        "joyride-web2"); /* a container (own PID namespace), even under --init */
    config_default_node_id(id, sizeof id, 1, true, "", mid);
    assert_string_equal(id, "joyride-3d1219c7c4c5");
    config_default_node_id(id, sizeof id, 1, true, NULL, "");
    assert_string_equal(id, "joyride-1");
    config_default_node_id(id, sizeof id, 1, true,
                           "a b\x01"
                           "c",
                           NULL);
    assert_string_equal(id, "joyride-a-b-c");
    char big[300];
    memset(big, 'h', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    config_default_node_id(id, sizeof id, 1, true, big, NULL);
    assert_int_equal(strlen(id), REC_OWNER_MAX);
    /* this process runs in the test machine's initial PID namespace */
    char here[REC_OWNER_MAX + 1], want[64];
    config_node_id_here(here, sizeof here);
    snprintf(want, sizeof want, "joyride-%ld", (long)getpid());
    if (!config_in_own_pid_namespace())
        assert_string_equal(here, want);
    else
        assert_string_not_equal(here, want);
}

static void test_detect_hostip(void **state)
{
    (void)state;
    char buf[CONFIG_ADDR_MAX];
    config_detect_hostip(buf, sizeof buf);
    struct rec_addr a;
    assert_true(records_parse_addr(buf, &a));
    assert_int_not_equal(a.bytes[0], 0);
}

/* ---- every variable from the environment ---- */

static void test_env_values(void **state)
{
    (void)state;
    char *envp[] = {"DNS_PORT=53",
                    "DNS_BIND_ADDRESS=::1",
                    "HTTP_PORT=8080",
                    "HTTP_BIND_ADDRESS=127.0.0.2",
                    "HOSTIP=10.0.0.5",
                    "HOSTS_DIRECTORY=/etc/joyride/hosts",
                    "DNS_TTL=300",
                    "DNS_UNKNOWN_ACTION=DROP",
                    "DNS_PTR=All",
                    "DNS_DOMAINS=Example.COM., home.lan  example.com",
                    "DNS_WORKERS=3",
                    "NODE_ID=node-a",
                    "ENABLE_DNS_SYNC=False",
                    "DISCOVERY_PORT=0",
                    "SWIM_PORT=7946",
                    "CLUSTER_BIND_ADDRESS=10.0.0.5",
                    "DISCOVERY_BROADCAST=10.0.0.255",
                    "DISCOVERY_INTERVAL=2",
                    "CLUSTER_SEEDS=10.0.0.1:7000, node2.lan [fd00::1]:7001",
                    "CLUSTER_SECRET=AAECAwQFBgcICQoLDA0ODw==,"
                    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                    "RECORDS_ON_NODE_FAILURE=keep",
                    "SWIM_PROBE_INTERVAL=2s",
                    "SWIM_PROBE_TIMEOUT=750ms",
                    "SWIM_GOSSIP_INTERVAL=0.1",
                    "SWIM_SUSPICION_MULT=6",
                    "SWIM_PUSHPULL_INTERVAL=1m",
                    "LOG_LEVEL=warning",
                    "SERVICE_NAME=My DNS",
                    "ENVIRONMENT=production",
                    "SEMANTIC_VERSION=9.9.9",
                    "DOCKER_HOST=tcp://127.0.0.1:2375",
                    "DOCKER_LABELS=a.b, c.d",
                    "API_TOKEN=s3cret token",
                    "API_RECORDS_FILE=/var/lib/joyride/api-records.json",
                    "UNRELATED=ignored",
                    NULL};
    struct config c;
    char err[256];
    assert_int_equal(parse(&c, NULL, envp, NULL, err), CONFIG_OK);
    assert_int_equal(c.dns_port, 53);
    assert_string_equal(c.dns_bind_address, "::1");
    assert_int_equal(c.http_port, 8080);
    assert_string_equal(c.http_bind_address, "127.0.0.2");
    assert_string_equal(c.hostip, "10.0.0.5");
    assert_false(c.hostip_detected);
    assert_int_equal(c.hostip_addr.type, REC_A);
    assert_memory_equal(c.hostip_addr.bytes, "\x0a\x00\x00\x05", 4);
    assert_string_equal(c.hosts_directory, "/etc/joyride/hosts");
    assert_int_equal(c.dns_ttl, 300);
    assert_int_equal(c.dns_unknown_action, CONFIG_UNKNOWN_DROP);
    assert_int_equal(c.dns_ptr, CONFIG_PTR_ALL);
    assert_int_equal(c.n_dns_domains, 2);
    assert_string_equal(c.dns_domains[0], "example.com");
    assert_string_equal(c.dns_domains[1], "home.lan");
    assert_int_equal(c.dns_workers, 3);
    assert_string_equal(c.node_id, "node-a");
    assert_false(c.enable_dns_sync);
    assert_int_equal(c.discovery_port, 0);
    assert_int_equal(c.swim_port, 7946);
    assert_string_equal(c.cluster_bind_address, "10.0.0.5");
    assert_string_equal(c.discovery_broadcast, "10.0.0.255");
    assert_int_equal(c.discovery_interval_ms, 2000);
    assert_int_equal(c.discovery_timeout_ms, 6000); /* 3 intervals */
    assert_int_equal(c.n_cluster_seeds, 3);
    assert_string_equal(c.cluster_seeds[0].host, "10.0.0.1");
    assert_int_equal(c.cluster_seeds[0].port, 7000);
    assert_string_equal(c.cluster_seeds[1].host, "node2.lan");
    assert_int_equal(c.cluster_seeds[1].port, 7946); /* SWIM_PORT */
    assert_string_equal(c.cluster_seeds[2].host, "fd00::1");
    assert_int_equal(c.cluster_seeds[2].port, 7001);
    assert_int_equal(c.n_cluster_keys, 2);
    assert_int_equal(c.cluster_keys[0].len, 16);
    assert_int_equal(c.cluster_keys[1].len, 32);
    for (int i = 0; i < 32; i++)
        assert_int_equal(c.cluster_keys[1].bytes[i], i);
    assert_int_equal(c.records_on_node_failure, CONFIG_FAILURE_KEEP);
    assert_int_equal(c.swim_probe_interval_ms, 2000);
    assert_int_equal(c.swim_probe_timeout_ms, 750);
    assert_int_equal(c.swim_gossip_interval_ms, 100);
    assert_int_equal(c.swim_suspicion_mult, 6);
    assert_int_equal(c.swim_pushpull_interval_ms, 60000);
    assert_int_equal(c.log_level, LOG_WARNING);
    assert_string_equal(c.service_name, "My DNS");
    assert_string_equal(c.environment, "production");
    assert_string_equal(c.semantic_version, "9.9.9");
    assert_string_equal(c.api_token, "s3cret token");
    assert_string_equal(c.api_records_file, "/var/lib/joyride/api-records.json");
    assert_string_equal(c.docker_host, "tcp://127.0.0.1:2375");
    assert_string_equal(c.docker_labels, "a.b,c.d");
    config_free(&c);
}

/* ---- bad values: one line naming the variable ---- */

static void test_errors(void **state)
{
    (void)state;
    expect_env_error("DNS_PORT=70000", "DNS_PORT: 70000 is not a port (1-65535)");
    expect_env_error("DNS_PORT=0", "DNS_PORT: 0 is not a port (1-65535)");
    expect_env_error("DNS_PORT=53x", "DNS_PORT: 53x is not a port (1-65535)");
    expect_env_error("HTTP_PORT=-1", "HTTP_PORT: -1 is not a port (1-65535)");
    /* an alias is reported under the name the user wrote */
    expect_env_error("FLASK_PORT=99999", "FLASK_PORT: 99999 is not a port (1-65535)");
    expect_env_error("FLASK_PORT=web", "FLASK_PORT: web is not a port (1-65535)");
    expect_env_error("SWIM_PORT=65536", "SWIM_PORT: 65536 is not a port (1-65535)");
    expect_env_error("DISCOVERY_PORT=70000",
                     "DISCOVERY_PORT: 70000 is not a port (0-65535, 0 disables)");
    expect_env_error("HOSTIP=banana", "HOSTIP: banana is not an IP address");
    expect_env_error("HOSTIP=0.0.0.0", "HOSTIP: 0.0.0.0 is not a usable address (unspecified)");
    expect_env_error("DNS_BIND_ADDRESS=localhost",
                     "DNS_BIND_ADDRESS: localhost is not an IPv4 or IPv6 address");
    expect_env_error("HTTP_BIND_ADDRESS=1.2.3",
                     "HTTP_BIND_ADDRESS: 1.2.3 is not an IPv4 or IPv6 address");
    expect_env_error("DISCOVERY_BROADCAST=ff02::1",
                     "DISCOVERY_BROADCAST: ff02::1 is not an IPv4 address");
    expect_env_error("DNS_UNKNOWN_ACTION=ignore",
                     "DNS_UNKNOWN_ACTION: ignore is not one of nxdomain, refused, drop");
    expect_env_error("DNS_PTR=docker", "DNS_PTR: docker is not one of hosts, all, off");
    expect_env_error("DNS_TTL=-5", "DNS_TTL: -5 is not a whole number from 0 to 2147483647");
    expect_env_error("DNS_TTL=2147483648",
                     "DNS_TTL: 2147483648 is not a whole number from 0 to 2147483647");
    expect_env_error("DNS_WORKERS=0", "DNS_WORKERS: 0 is not a whole number from 1 to 1024");
    expect_env_error("DNS_DOMAINS=ok.test,bad..test",
                     "DNS_DOMAINS: bad..test is not a valid domain name");
    /* a wildcard is a record name, not a domain */
    expect_env_error("DNS_DOMAINS=*.wild.test",
                     "DNS_DOMAINS: *.wild.test is not a valid domain name");
    expect_env_error(
        "DNS_FORWARD_ZONES=*.corp.test=10.0.0.53",
        "DNS_FORWARD_ZONES: *.corp.test=10.0.0.53: *.corp.test is not a valid domain name");
    expect_env_error("CLUSTER_SEEDS=*.seed.test:8890",
                     "CLUSTER_SEEDS: *.seed.test:8890 is not host:port");
    expect_env_error("NODE_ID=has space",
                     "NODE_ID: has space: only printable ASCII without blanks is allowed");
    expect_env_error("ENABLE_DNS_SYNC=perhaps",
                     "ENABLE_DNS_SYNC: perhaps is not a boolean (true or false)");
    /* the message says "true or false": nothing else is a boolean */
    expect_env_error("ENABLE_DNS_SYNC=yes",
                     "ENABLE_DNS_SYNC: yes is not a boolean (true or false)");
    expect_env_error("ENABLE_DNS_SYNC=1", "ENABLE_DNS_SYNC: 1 is not a boolean (true or false)");
    expect_env_error("ENABLE_DNS_SYNC=off",
                     "ENABLE_DNS_SYNC: off is not a boolean (true or false)");
    /* lists that are not empty but hold nothing: "" is how to say none */
    expect_env_error("DNS_DOMAINS=,", "DNS_DOMAINS: , holds no domain (leave it empty for none)");
    expect_env_error("CLUSTER_SEEDS= , ",
                     "CLUSTER_SEEDS:  ,  holds no host:port (leave it empty for none)");
    expect_env_error("CLUSTER_SECRET=,",
                     "CLUSTER_SECRET: , holds no key (leave it empty for none)");
    expect_env_error("DISCOVERY_INTERVAL=soon",
                     "DISCOVERY_INTERVAL: soon is not a duration from 1ms to 24h (e.g. 5, 1.5s, "
                     "500ms, 2m)");
    expect_env_error("SWIM_PROBE_INTERVAL=0",
                     "SWIM_PROBE_INTERVAL: 0 is not a duration from 1ms to 24h (e.g. 5, 1.5s, "
                     "500ms, 2m)");
    expect_env_error("SWIM_SUSPICION_MULT=0",
                     "SWIM_SUSPICION_MULT: 0 is not a whole number from 1 to 100");
    expect_env_error("CLUSTER_SEEDS=10.0.0.1:99999",
                     "CLUSTER_SEEDS: 10.0.0.1:99999 is not host:port");
    expect_env_error("CLUSTER_SEEDS=fd00::1:7000", "CLUSTER_SEEDS: fd00::1:7000 is not host:port");
    expect_env_error("CLUSTER_SECRET=c2hvcnQ=",
                     "CLUSTER_SECRET: key 1 is 5 bytes; keys must be 16, 24 or 32 bytes");
    expect_env_error("CLUSTER_SECRET=AAECAwQFBgcICQoLDA0ODw==,not*base64",
                     "CLUSTER_SECRET: key 2 is not valid base64");
    expect_env_error("RECORDS_ON_NODE_FAILURE=drop",
                     "RECORDS_ON_NODE_FAILURE: drop is not one of withdraw, keep");
    expect_env_error("LOG_LEVEL=LOUD", "LOG_LEVEL: LOUD is not one of DEBUG, INFO, WARNING, ERROR");
    /* DOCKER_HOST's grammar is the Docker source's (checked by app.c, see test_config.py);
     * config only insists on one line of text */
    expect_env_error("DOCKER_HOST=unix:///a\nb", "DOCKER_HOST: contains a control character");
    expect_env_error("DOCKER_LABELS=,", "DOCKER_LABELS: no label key given");
    expect_env_error("SERVICE_NAME=a\nb", "SERVICE_NAME: contains a control character");
    /* control characters never break the message into two lines */
    expect_env_error("DNS_PORT=5\n3", "DNS_PORT: 5?3 is not a port (1-65535)");
}

static void test_secret_never_echoed(void **state)
{
    (void)state;
    struct config c;
    char err[256];
    char *envp[] = {"CLUSTER_SECRET=U2VjcmV0S2V5TWF0ZXJpYWw=", NULL}; /* 17 bytes */
    assert_int_equal(parse(&c, NULL, envp, NULL, err), CONFIG_ERROR);
    assert_null(strstr(err, "U2VjcmV0"));
    assert_string_equal(err, "CLUSTER_SECRET: key 1 is 17 bytes; keys must be 16, 24 or 32 bytes");
}

static void test_combinations(void **state)
{
    (void)state;
    char *e1[] = {"SWIM_PROBE_INTERVAL=1s", "SWIM_PROBE_TIMEOUT=2s", NULL};
    char *e2[] = {"DISCOVERY_PORT=9000", "SWIM_PORT=9000", NULL};
    char *e3[] = {"DNS_PORT=9000", "HTTP_PORT=9000", NULL};
    char *e4[] = {"DISCOVERY_INTERVAL=10s", "DISCOVERY_TIMEOUT=5s", NULL};
    /* fine: sync off, or different addresses */
    char *ok1[] = {"DISCOVERY_PORT=9000", "SWIM_PORT=9000", "ENABLE_DNS_SYNC=false", NULL};
    char *ok2[] = {"DNS_PORT=9000", "HTTP_PORT=9000", "DNS_BIND_ADDRESS=127.0.0.2",
                   "HTTP_BIND_ADDRESS=127.0.0.3", NULL};
    struct config c;
    char err[256];
    assert_int_equal(parse(&c, NULL, e1, NULL, err), CONFIG_ERROR);
    assert_string_equal(err, "SWIM_PROBE_TIMEOUT: 2000ms is longer than SWIM_PROBE_INTERVAL "
                             "(1000ms)");
    assert_int_equal(parse(&c, NULL, e2, NULL, err), CONFIG_ERROR);
    assert_string_equal(err, "DISCOVERY_PORT: 9000 is also SWIM_PORT");
    assert_int_equal(parse(&c, NULL, e3, NULL, err), CONFIG_ERROR);
    assert_string_equal(err, "HTTP_PORT: 9000 is also DNS_PORT (both listen on TCP)");
    assert_int_equal(parse(&c, NULL, e4, NULL, err), CONFIG_ERROR);
    assert_string_equal(err, "DISCOVERY_TIMEOUT: 5000ms is shorter than DISCOVERY_INTERVAL "
                             "(10000ms)");
    assert_int_equal(parse(&c, NULL, ok1, NULL, err), CONFIG_OK);
    config_free(&c);
    assert_int_equal(parse(&c, NULL, ok2, NULL, err), CONFIG_OK);
    config_free(&c);
}

static void test_empty_values(void **state)
{
    (void)state;
    /* "" disables the hosts source and means "none" for the lists */
    char *envp[] = {"HOSTS_DIRECTORY=", "DNS_DOMAINS=", "CLUSTER_SEEDS=",
                    "CLUSTER_SECRET=",  "API_TOKEN=",   NULL};
    struct config c;
    char err[256];
    assert_int_equal(parse(&c, NULL, envp, NULL, err), CONFIG_OK);
    assert_string_equal(c.hosts_directory, "");
    assert_string_equal(c.api_token, "");
    assert_int_equal(c.n_dns_domains, 0);
    assert_int_equal(c.n_cluster_seeds, 0);
    assert_int_equal(c.n_cluster_keys, 0);
    config_free(&c);
    /* every other option: an empty (or blank) value is an error naming it, never a silent
     * default */
    expect_env_error("ENABLE_DNS_SYNC=",
                     "ENABLE_DNS_SYNC: empty value (unset it for the default, true)");
    expect_env_error("DNS_PORT=", "DNS_PORT: empty value (unset it for the default, 5353)");
    expect_env_error("FLASK_PORT=", "FLASK_PORT: empty value (unset it for the default, 5000)");
    expect_env_error("NODE_ID=", "NODE_ID: empty value (unset it for the default, joyride-<pid>)");
    expect_env_error("HOSTIP= ", "HOSTIP: empty value (unset it for the default, the address of "
                                 "the interface on the default route, else 127.0.0.1)");
    expect_env_error("DOCKER_HOST=", "DOCKER_HOST: empty value (unset it for the default, "
                                     "unix:///var/run/docker.sock)");
    expect_env_error("SERVICE_NAME=",
                     "SERVICE_NAME: empty value (unset it for the default, Joyride DNS)");
    expect_env_error("DNS_WORKERS=",
                     "DNS_WORKERS: empty value (unset it for the default, number of CPUs)");
    expect_env_error(
        "API_RECORDS_FILE=",
        "API_RECORDS_FILE: empty value (unset it for the default, ./api-records.json)");
    /* every option that is not allowed to be empty is checked */
    for (size_t i = 0; i < CONFIG_N_OPTS; i++) {
        if (config_opts[i].empty_ok)
            continue;
        char kv[64];
        snprintf(kv, sizeof kv, "%s=", config_opts[i].env);
        struct config c2;
        char *e2[] = {kv, NULL};
        if (parse(&c2, NULL, e2, NULL, err) != CONFIG_ERROR)
            fail_msg("%s accepted", kv);
        if (!strstr(err, ": empty value (unset it for the default, "))
            fail_msg("%s: %s", kv, err);
    }
}

static void test_where(void **state)
{
    (void)state;
    struct config c;
    char err[256];
    char *envp[] = {"FLASK_PORT=8081", "DOCKER_HOST=unix:///x", NULL};
    char *argv[] = {"joyride", "--docker-host", "tcp://127.0.0.1:1", NULL};
    assert_int_equal(parse(&c, argv, envp, NULL, err), CONFIG_OK);
    assert_string_equal(config_where(&c, "HTTP_PORT"), "FLASK_PORT");
    assert_string_equal(config_where(&c, "DOCKER_HOST"), "--docker-host");
    assert_string_equal(config_where(&c, "DNS_PORT"), "DNS_PORT"); /* the default */
    config_free(&c);
    char *path = write_temp("# x\nDNS_TTL=7\n");
    assert_int_equal(parse(&c, NULL, NULL, path, err), CONFIG_OK);
    char want[300];
    snprintf(want, sizeof want, "%s:2: DNS_TTL", path);
    assert_string_equal(config_where(&c, "DNS_TTL"), want);
    config_free(&c);
    unlink(path);
    free(path);
    /* cross-option checks name both sides as written */
    char *e2[] = {"FLASK_PORT=9000", NULL};
    char *a2[] = {"joyride", "--dns-port=9000", NULL};
    assert_int_equal(parse(&c, a2, e2, NULL, err), CONFIG_ERROR);
    assert_string_equal(err, "FLASK_PORT: 9000 is also --dns-port (both listen on TCP)");
}

/* ---- flags ---- */

static void test_flags(void **state)
{
    (void)state;
    char *argv[] = {
        "joyride", "--dns-port=1053",   "--http-port",   "8081",          "--hosts-directory",
        "",        "--enable-dns-sync", "--dns-domains", "a.test,b.test", "--log-level=debug",
        NULL};
    char *envp[] = {"ENABLE_DNS_SYNC=false", "DNS_PORT=2053", NULL};
    struct config c;
    char err[256];
    assert_int_equal(parse(&c, argv, envp, NULL, err), CONFIG_OK);
    assert_int_equal(c.dns_port, 1053);
    assert_int_equal(c.http_port, 8081);
    assert_string_equal(c.hosts_directory, "");
    assert_true(c.enable_dns_sync);
    assert_int_equal(c.n_dns_domains, 2);
    assert_int_equal(c.log_level, LOG_DEBUG);
    config_free(&c);

    char *argv2[] = {"joyride", "--enable-dns-sync", "false", "--dns-ttl", "5", NULL};
    assert_int_equal(parse(&c, argv2, NULL, NULL, err), CONFIG_OK);
    assert_false(c.enable_dns_sync);
    assert_int_equal(c.dns_ttl, 5);
    config_free(&c);
}

static void test_flag_errors(void **state)
{
    (void)state;
    struct config c;
    char err[256];
    char *a1[] = {"joyride", "--no-such-thing", NULL};
    assert_int_equal(parse(&c, a1, NULL, NULL, err), CONFIG_ERROR);
    assert_string_equal(err, "unknown option --no-such-thing (see --help)");
    char *a2[] = {"joyride", "--dns-port", NULL};
    assert_int_equal(parse(&c, a2, NULL, NULL, err), CONFIG_ERROR);
    assert_string_equal(err, "--dns-port needs a value");
    char *a3[] = {"joyride", "stray", NULL};
    assert_int_equal(parse(&c, a3, NULL, NULL, err), CONFIG_ERROR);
    assert_string_equal(err, "unexpected argument stray (see --help)");
    /* a flag's value is reported under the flag */
    char *a4[] = {"joyride", "--dns-port", "70000", NULL};
    assert_int_equal(parse(&c, a4, NULL, NULL, err), CONFIG_ERROR);
    assert_string_equal(err, "--dns-port: 70000 is not a port (1-65535)");
    char *a8[] = {"joyride", "--enable-dns-sync", "yes", NULL};
    assert_int_equal(parse(&c, a8, NULL, NULL, err), CONFIG_ERROR);
    assert_string_equal(err, "--enable-dns-sync: yes is not a boolean (true or false)");
    char *a9[] = {"joyride", "--enable-dns-sync=", NULL};
    assert_int_equal(parse(&c, a9, NULL, NULL, err), CONFIG_ERROR);
    assert_string_equal(err, "--enable-dns-sync: empty value (unset it for the default, true)");
    char *a10[] = {"joyride", "--http-port=", NULL};
    assert_int_equal(parse(&c, a10, NULL, NULL, err), CONFIG_ERROR);
    assert_string_equal(err, "--http-port: empty value (unset it for the default, 5000)");
    char *a5[] = {"joyride", "--dns-port=1", "--help", NULL};
    assert_int_equal(parse(&c, a5, NULL, NULL, err), CONFIG_HELP);
    char *a6[] = {"joyride", "-V", NULL};
    assert_int_equal(parse(&c, a6, NULL, NULL, err), CONFIG_VERSION);
    /* --help wins over a bad environment: help must always be reachable */
    char *envp[] = {"DNS_PORT=banana", NULL};
    char *a7[] = {"joyride", "-h", NULL};
    assert_int_equal(parse(&c, a7, envp, NULL, err), CONFIG_HELP);
}

/* ---- .env and precedence ---- */

static void test_precedence(void **state)
{
    (void)state;
    char *path = write_temp("# settings\n"
                            "DNS_PORT=1111\n"
                            "HTTP_PORT=2222\n"
                            "DNS_TTL=33\n"
                            "export ENVIRONMENT=\"staging env\"  # quoted\n"
                            "FLASK_PORT=4444\n");
    char *envp[] = {"DNS_PORT=3333", NULL};
    char *argv[] = {"joyride", "--dns-port", "5555", NULL};
    struct config c;
    char err[256];

    /* .env alone */
    assert_int_equal(parse(&c, NULL, NULL, path, err), CONFIG_OK);
    assert_int_equal(c.dns_port, 1111);
    assert_int_equal(c.http_port, 2222); /* HTTP_PORT beats its alias in the same layer */
    assert_int_equal(c.dns_ttl, 33);
    assert_string_equal(c.environment, "staging env");
    config_free(&c);

    /* environment over .env */
    assert_int_equal(parse(&c, NULL, envp, path, err), CONFIG_OK);
    assert_int_equal(c.dns_port, 3333);
    assert_int_equal(c.dns_ttl, 33);
    config_free(&c);
    /* an empty environment value is the user's value, so an error, not a fall-through to .env */
    char *envp_empty[] = {"DNS_TTL=", NULL};
    assert_int_equal(parse(&c, NULL, envp_empty, path, err), CONFIG_ERROR);
    assert_string_equal(err, "DNS_TTL: empty value (unset it for the default, 60)");

    /* flags over both */
    assert_int_equal(parse(&c, argv, envp, path, err), CONFIG_OK);
    assert_int_equal(c.dns_port, 5555);
    config_free(&c);

    /* the alias in the environment beats the primary name in .env */
    char *envp2[] = {"FLASK_PORT=6666", NULL};
    assert_int_equal(parse(&c, NULL, envp2, path, err), CONFIG_OK);
    assert_int_equal(c.http_port, 6666);
    config_free(&c);

    /* a bad value in .env is reported with the file, line and key the user wrote */
    char *bad = write_temp("\nHOSTIP=banana\nFLASK_PORT=x\n");
    char want[300];
    char *envp5[] = {"FLASK_PORT=5001", NULL};
    assert_int_equal(parse(&c, NULL, envp5, bad, err), CONFIG_ERROR);
    snprintf(want, sizeof want, "%s:2: HOSTIP: banana is not an IP address", bad);
    assert_string_equal(err, want);
    char *envp4[] = {"HOSTIP=10.1.1.2", NULL};
    assert_int_equal(parse(&c, NULL, envp4, bad, err), CONFIG_ERROR);
    snprintf(want, sizeof want, "%s:3: FLASK_PORT: x is not a port (1-65535)", bad);
    assert_string_equal(err, want);
    /* ... unless the environment overrides it */
    char *envp3[] = {"HOSTIP=10.1.1.1", "FLASK_PORT=5001", NULL};
    assert_int_equal(parse(&c, NULL, envp3, bad, err), CONFIG_OK);
    assert_string_equal(c.hostip, "10.1.1.1");
    config_free(&c);

    /* a missing .env is no error */
    assert_int_equal(parse(&c, NULL, NULL, "/nonexistent/joyride/.env", err), CONFIG_OK);
    config_free(&c);

    unlink(path);
    unlink(bad);
    free(path);
    free(bad);
}

static void test_dotenv_syntax(void **state)
{
    (void)state;
    const char *text = "A=plain value  # comment\n"
                       "  B = 'single # not a comment'\n"
                       "C=\"line1\\nline2 \\\"q\\\" \\\\ \\$x\"\n"
                       "\n"
                       "# whole-line comment\n"
                       "D=\n"
                       "E=a#b\n"
                       "F=\"multi\n"
                       "line\"\r\n"
                       "A=override\n"
                       "export G=1\n";
    struct dotenv d;
    char err[256];
    assert_int_equal(dotenv_parse(text, strlen(text), ".env", &d, err, sizeof err), 0);
    assert_string_equal(dotenv_get(&d, "A"), "override");
    assert_string_equal(dotenv_get(&d, "B"), "single # not a comment");
    assert_string_equal(dotenv_get(&d, "C"), "line1\nline2 \"q\" \\ $x");
    assert_string_equal(dotenv_get(&d, "D"), "");
    assert_string_equal(dotenv_get(&d, "E"), "a#b");
    assert_string_equal(dotenv_get(&d, "F"), "multi\nline");
    assert_string_equal(dotenv_get(&d, "G"), "1");
    assert_null(dotenv_get(&d, "H"));
    dotenv_free(&d);

    static const struct {
        const char *text, *err;
    } bad[] = {
        {"A=1\nnot a pair\n", ".env:2: expected KEY=VALUE"},
        {"A=1\n=2\n", ".env:2: expected KEY=VALUE"},
        {"A='open\nB=2\n", ".env:1: unterminated quoted value"},
        {"A=\"x\" y\n", ".env:1: unexpected text after the closing quote"},
        {"A=1\nB=\"two\nlines\"\n3BAD=1\n", ".env:4: expected KEY=VALUE"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(
            dotenv_parse(bad[i].text, strlen(bad[i].text), ".env", &d, err, sizeof err), -1);
        assert_string_equal(err, bad[i].err);
        assert_int_equal(d.n, 0);
    }

    /* through config_parse: the file's problem is the one-line error */
    char *path = write_temp("DNS_PORT=53\njunk\n");
    struct config c;
    assert_int_equal(parse(&c, NULL, NULL, path, err), CONFIG_ERROR);
    char want[256];
    snprintf(want, sizeof want, "%s:2: expected KEY=VALUE", path);
    assert_string_equal(err, want);
    unlink(path);
    free(path);
}

/* Random and mutated .env texts: never a crash or an over-read (ASan), and every failure is
 * "name:line: problem" on one line with a line number inside the text. */
static void test_dotenv_random(void **state)
{
    (void)state;
    static const char alphabet[] = "AB_=#'\" \t\n\r\\xport$1";
    static const char *const seeds[] = {"A=1\n", "export B='x'\n", "C=\"a\\nb\" # c\n",
                                        "# c\n\nD=\n", "E=\"multi\nline\"\n"};
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    int ok = 0;
    for (int iter = 0; iter < 20000; iter++) {
        char text[96];
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        size_t len = (size_t)(rng % sizeof text);
        const char *seed = seeds[iter % 5];
        size_t sl = strlen(seed);
        for (size_t i = 0; i < len; i++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            uint32_t r = (uint32_t)rng;
            /* mostly the seed, sometimes a byte from the alphabet or any byte */
            if (r % 7 == 0)
                text[i] = alphabet[(r >> 8) % (sizeof alphabet - 1)];
            else if (r % 29 == 0)
                text[i] = (char)(r >> 16);
            else
                text[i] = seed[(i + (r % 3 == 0 ? (r >> 4) : 0)) % sl];
        }
        /* an exact-size heap copy so ASan sees any read past the end */
        char *buf = malloc(len ? len : 1);
        memcpy(buf, text, len);
        struct dotenv d;
        char err[256];
        if (dotenv_parse(buf, len, "f", &d, err, sizeof err) == 0) {
            for (size_t i = 0; i < d.n; i++) {
                assert_non_null(d.v[i].key);
                assert_non_null(d.v[i].value);
                assert_true(d.v[i].line >= 1);
            }
            dotenv_free(&d);
            ok++;
        } else {
            int line = 0;
            assert_int_equal(sscanf(err, "f:%d:", &line), 1);
            assert_true(line >= 1 && line <= (int)len + 1);
            assert_null(strchr(err, '\n'));
            assert_int_equal(d.n, 0);
        }
        free(buf);
    }
    /* both outcomes are exercised */
    assert_true(ok > 1000 && ok < 19000);
}

/* ---- help ---- */

static void test_help_lists_everything(void **state)
{
    (void)state;
    static const char *const vars[] = {"DNS_PORT",
                                       "DNS_BIND_ADDRESS",
                                       "HTTP_PORT",
                                       "FLASK_PORT",
                                       "HTTP_BIND_ADDRESS",
                                       "HOSTIP",
                                       "HOSTS_DIRECTORY",
                                       "DNS_TTL",
                                       "DNS_UNKNOWN_ACTION",
                                       "DNS_PTR",
                                       "DNS_DOMAINS",
                                       "DNS_WORKERS",
                                       "NODE_ID",
                                       "ENABLE_DNS_SYNC",
                                       "DISCOVERY_PORT",
                                       "SWIM_PORT",
                                       "LOG_LEVEL",
                                       "SERVICE_NAME",
                                       "ENVIRONMENT",
                                       "SEMANTIC_VERSION",
                                       "DOCKER_HOST",
                                       "DOCKER_LABELS",
                                       "CLUSTER_BIND_ADDRESS",
                                       "DISCOVERY_BROADCAST",
                                       "DISCOVERY_INTERVAL",
                                       "DISCOVERY_TIMEOUT",
                                       "CLUSTER_SEEDS",
                                       "CLUSTER_SECRET",
                                       "RECORDS_ON_NODE_FAILURE",
                                       "SWIM_PROBE_INTERVAL",
                                       "SWIM_PROBE_TIMEOUT",
                                       "SWIM_GOSSIP_INTERVAL",
                                       "SWIM_SUSPICION_MULT",
                                       "SWIM_PUSHPULL_INTERVAL",
                                       "API_TOKEN",
                                       "API_RECORDS_FILE"};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    config_print_help(f, "joyride");
    fclose(f);
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        char flag[64];
        if (!strstr(buf, vars[i]))
            fail_msg("--help does not mention %s", vars[i]);
        if (strcmp(vars[i], "FLASK_PORT") == 0)
            continue;
        /* the flag is the variable in lowercase with dashes */
        size_t j = 0;
        flag[j++] = '-';
        flag[j++] = '-';
        for (const char *p = vars[i]; *p; p++)
            flag[j++] = *p == '_' ? '-' : (char)(*p | 0x20);
        flag[j] = '\0';
        if (!strstr(buf, flag))
            fail_msg("--help does not mention %s", flag);
    }
    assert_non_null(strstr(buf, "DNS_PORT (default: 5353)"));
    assert_non_null(strstr(buf, "HOSTS_DIRECTORY (default: /app/hosts)"));
    assert_non_null(strstr(buf, "DISCOVERY_BROADCAST (default: 255.255.255.255)"));
    assert_non_null(strstr(buf, "SWIM_PROBE_TIMEOUT (default: 500ms)"));
    assert_non_null(strstr(buf, "API_TOKEN (default: empty)"));
    assert_non_null(strstr(buf, "API_RECORDS_FILE (default: ./api-records.json)"));
    assert_non_null(strstr(buf, "--help"));
    assert_non_null(strstr(buf, "--version"));
    free(buf);
}

/* ---- value parsers ---- */

static void test_values(void **state)
{
    (void)state;
    uint32_t ms;
    assert_true(cv_duration_ms("5", 86400000, &ms));
    assert_int_equal(ms, 5000);
    assert_true(cv_duration_ms(" 1.5s ", 86400000, &ms));
    assert_int_equal(ms, 1500);
    assert_true(cv_duration_ms("250ms", 86400000, &ms));
    assert_int_equal(ms, 250);
    assert_true(cv_duration_ms("2m", 86400000, &ms));
    assert_int_equal(ms, 120000);
    assert_true(cv_duration_ms("1h", 86400000, &ms));
    assert_int_equal(ms, 3600000);
    assert_true(cv_duration_ms(".5", 86400000, &ms));
    assert_int_equal(ms, 500);
    assert_false(cv_duration_ms("0", 86400000, &ms));
    assert_false(cv_duration_ms("0.5ms", 86400000, &ms));
    assert_false(cv_duration_ms("25h", 86400000, &ms));
    assert_false(cv_duration_ms("1.2345", 86400000, &ms));
    assert_false(cv_duration_ms("5.", 86400000, &ms));
    assert_false(cv_duration_ms("-1", 86400000, &ms));
    assert_false(cv_duration_ms("1d", 86400000, &ms));
    assert_false(cv_duration_ms("99999999999999999999h", 86400000, &ms));

    uint64_t u;
    assert_true(cv_uint("65535", 1, 65535, &u));
    assert_false(cv_uint("18446744073709551616", 0, UINT64_MAX, &u)); /* overflow */
    assert_false(cv_uint("", 0, 10, &u));
    assert_false(cv_uint("+1", 0, 10, &u));

    bool b;
    assert_true(cv_bool("TRUE", &b) && b);
    assert_true(cv_bool(" False ", &b) && !b);
    assert_false(cv_bool("2", &b));
    assert_false(cv_bool("yes", &b));
    assert_false(cv_bool("off", &b));
    assert_false(cv_bool("1", &b));
    assert_false(cv_bool("", &b));

    uint8_t out[32];
    assert_int_equal(cv_base64("", out, sizeof out), -1);
    assert_int_equal(cv_base64("Zg==", out, sizeof out), 1);
    assert_int_equal(out[0], 'f');
    assert_int_equal(cv_base64("Zm9vYg", out, sizeof out), 4); /* padding optional */
    assert_memory_equal(out, "foob", 4);
    assert_int_equal(cv_base64("Zh==", out, sizeof out), -1); /* non-zero leftover bits */
    assert_int_equal(cv_base64("Zg=", out, sizeof out), -1);
    assert_int_equal(cv_base64("Z", out, sizeof out), -1);
    assert_int_equal(cv_base64("Zm9v YmFy", out, sizeof out), -1);

    char *host;
    uint16_t port;
    assert_true(cv_host_port("[::1]:53", 9, &host, &port));
    assert_string_equal(host, "::1");
    assert_int_equal(port, 53);
    free(host);
    assert_true(cv_host_port("[::1]", 9, &host, &port));
    assert_int_equal(port, 9);
    free(host);
    assert_false(cv_host_port("[::1", 9, &host, &port));
    assert_false(cv_host_port(":53", 9, &host, &port));
    assert_false(cv_host_port("h:0", 9, &host, &port));

    char shown[80];
    char longv[200];
    memset(longv, 'x', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    assert_int_equal(strlen(cv_show(longv, shown)), 63);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_detect_hostip),
        cmocka_unit_test(test_default_node_id),
        cmocka_unit_test(test_env_values),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_secret_never_echoed),
        cmocka_unit_test(test_combinations),
        cmocka_unit_test(test_empty_values),
        cmocka_unit_test(test_where),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_flag_errors),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_dotenv_syntax),
        cmocka_unit_test(test_dotenv_random),
        cmocka_unit_test(test_help_lists_everything),
        cmocka_unit_test(test_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
