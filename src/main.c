/* main.c — wiring and lifecycle: runs an operator command (cli/) when argv[1] names one, else
 * parses the configuration, starts every module in order (record table, event loop, API records
 * file, DNS server, hosts and Docker sources, cluster sync, HTTP API), runs the control loop until
 * SIGTERM/SIGINT, then stops everything in reverse order. The only file that knows every module;
 * app.c turns the configuration into each module's settings. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "cli/cli.h"
#include "config/config.h"
#include "core/log.h"
#include "core/loop.h"
#include "dns/server.h"
#include "http/api.h"
#include "notify/notify.h"
#include "records/records.h"
#include "sources/api_records.h"
#include "sources/docker.h"
#include "sources/hosts.h"
#include "sync/sync.h"

extern char **environ;

/* Longest wait for the first Docker list before READY=1 is sent anyway (a daemon that hangs). */
#define NOTIFY_READY_TIMEOUT_MS 10000

static void on_signal(int fd, uint32_t events, void *ctx)
{
    struct app *app = ctx;
    (void)events;
    struct signalfd_siginfo si;
    while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (!app->stop_signal) {
            app->stop_signal = (int)si.ssi_signo;
            log_info("main", "%s received, stopping", strsignal((int)si.ssi_signo));
            loop_stop(app->loop);
        }
    }
}

/* SIGTERM and SIGINT are blocked in every thread (threads inherit the mask, so this runs before
 * any module starts one) and read from a signalfd on the control loop. */
static int block_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
        return -1;
    signal(SIGPIPE, SIG_IGN);
    return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static uint64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const char *hostport(const char *addr, unsigned port, char *buf, size_t len)
{
    snprintf(buf, len, strchr(addr, ':') ? "[%s]:%u" : "%s:%u", addr, port);
    return buf;
}

static int start_dns(struct app *app)
{
    struct dns_server_config dc;
    app_dns_config(app, &dc);
    char err[768] = "";
    if (!app_dns_forward_config(app, &dc)) {
        fprintf(stderr, "joyride: out of memory\n");
        return -1;
    }
    app->dns = dns_server_start(&dc, app->records, err, sizeof err);
    app_dns_forward_free(&dc);
    if (!app->dns) {
        int e = errno;
        if (!err[0])
            snprintf(err, sizeof err, "%s", strerror(e));
        app_explain_bind_error(e, err, sizeof err);
        fprintf(stderr, "joyride: %s\n", err);
        return -1;
    }
    return 0;
}

/* The API records file is loaded before anything listens: a file that cannot be read or parsed
 * stops the start with exit status 2 (like a configuration error), so the records in it are never
 * dropped or overwritten by a node that started without them. */
static int start_api_records(struct app *app)
{
    char err[512] = "";
    app->api_records = api_store_open(app->records, app->cfg.api_records_file, err, sizeof err);
    if (!app->api_records) {
        fprintf(stderr, "joyride: %s %s\n", config_where(&app->cfg, "API_RECORDS_FILE"), err);
        return -1;
    }
    if (!app->cfg.api_token[0])
        log_info("main", "API writes disabled (API_TOKEN is empty): POST and DELETE on "
                         "/dns/records answer 403");
    else if (!api_records_writable(app->cfg.api_records_file, err, sizeof err))
        log_warn("main",
                 "API_RECORDS_FILE %s: %s; POST and DELETE on /dns/records answer 500 "
                 "until that is fixed",
                 app->cfg.api_records_file, err);
    return 0;
}

static int start_sources(struct app *app)
{
    const struct config *c = &app->cfg;
    if (c->hosts_directory && c->hosts_directory[0]) {
        app->hosts = hosts_source_start(app->loop, c->hosts_directory, app->records);
        if (!app->hosts) {
            fprintf(stderr, "joyride: hosts directory %s: cannot start watching (%s)\n",
                    c->hosts_directory, strerror(errno));
            return -1;
        }
    } else {
        log_info("main", "hosts source disabled (HOSTS_DIRECTORY is empty)");
    }
    /* Docker is optional: the source retries with backoff on its own thread. */
    struct docker_config dc;
    app_docker_config(app, &dc);
    app->docker = docker_source_start(&dc, app->records);
    if (!app->docker) {
        fprintf(stderr, "joyride: Docker source: out of memory\n");
        return -1;
    }
    return 0;
}

/* Cluster sync (discovery, SWIM membership, record replication) starts after the local sources
 * and before the HTTP API, which gets its hooks; with ENABLE_DNS_SYNC=false the API answers
 * /dns/cluster and POST /dns/sync with 503. */
static int start_cluster(struct app *app, const struct http_cluster_hooks **hooks)
{
    *hooks = NULL;
    if (!app->cfg.enable_dns_sync) {
        log_info("main", "cluster sync disabled (ENABLE_DNS_SYNC=false)");
        return 0;
    }
    char err[256] = "";
    if (app_start_sync(app, err, sizeof err) != 0) {
        fprintf(stderr, "joyride: %s\n", err[0] ? err : "cluster sync could not start");
        return -1;
    }
    *hooks = app_bind_cluster_hooks(app);
    return 0;
}

static int start_http(struct app *app, const struct http_cluster_hooks *cluster)
{
    struct http_api_config hc;
    app_http_config(app, cluster, &hc);
    char err[768] = "";
    app->http = http_api_start(&hc, err, sizeof err);
    if (!app->http) {
        int e = errno;
        if (!err[0])
            snprintf(err, sizeof err, "%s", strerror(e));
        app_explain_bind_error(e, err, sizeof err);
        fprintf(stderr, "joyride: %s\n", err);
        return -1;
    }
    return 0;
}

static void log_started(const struct app *app)
{
    const struct config *c = &app->cfg;
    char dns[64], http[64];
    log_info("main",
             "%s %s started: DNS %s (UDP+TCP, %d workers, TTL %u, unknown names: %s, PTR: %s), "
             "HTTP %s, node %s, HOSTIP %s%s",
             c->service_name, c->semantic_version,
             hostport(c->dns_bind_address, dns_server_port(app->dns), dns, sizeof dns),
             c->dns_workers, c->dns_ttl, config_unknown_action_name(c->dns_unknown_action),
             config_ptr_mode_name(c->dns_ptr),
             hostport(c->http_bind_address, http_api_port(app->http), http, sizeof http),
             c->node_id, c->hostip, c->hostip_detected ? " (from the default route)" : "");
    for (size_t i = 0; i < c->n_dns_domains; i++)
        log_info("main", "authoritative for %s", c->dns_domains[i]);
    for (size_t i = 0; i < c->n_dns_forwarders; i++)
        log_info("main", "forwarding to %s",
                 hostport(c->dns_forwarders[i].ip, c->dns_forwarders[i].port, dns, sizeof dns));
    for (size_t i = 0; i < c->n_dns_forward_zones; i++)
        log_info("main", "forwarding %s to %s", c->dns_forward_zones[i].zone,
                 hostport(c->dns_forward_zones[i].upstream.ip,
                          c->dns_forward_zones[i].upstream.port, dns, sizeof dns));
    log_info("main", "environment %s; hosts directory %s; Docker %s (labels %s%s)", c->environment,
             c->hosts_directory[0] ? c->hosts_directory : "(disabled)", c->docker_host,
             c->docker_labels, c->docker_traefik ? ", Traefik rules" : "");
}

/* Stops whatever was started, in reverse order. */
static void shutdown_all(struct app *app)
{
    uint64_t t0 = loop_now_ms();
    notify_stop(app->notify); /* STOPPING=1 to systemd */
    http_api_stop(app->http);
    api_store_close(app->api_records); /* no HTTP thread left to call it */
    app_stop_ns_refresh(app);
    sync_stop(app->sync); /* leaves the cluster; runs the (stopped) loop briefly to send it */
    if (app->docker)
        docker_source_stop(app->docker);
    if (app->hosts)
        hosts_source_stop(app->hosts);
    if (app->dns)
        dns_server_stop(app->dns);
    if (app->loop) {
        if (app->sigfd >= 0)
            loop_del_fd(app->loop, app->sigfd);
        loop_free(app->loop);
    }
    if (app->sigfd >= 0)
        close(app->sigfd);
    if (app->records)
        records_free(app->records);
    if (app->stop_signal)
        log_info("main", "stopped in %llu ms", (unsigned long long)(loop_now_ms() - t0));
    config_free(&app->cfg);
}

int main(int argc, char **argv)
{
    /* joyride members|records|explain|sync|health: a client of a running node */
    if (argc > 1 && cli_is_command(argv[1]))
        return cli_run(argc - 1, argv + 1);

    struct app app = {.started_ms = loop_now_ms(), .sigfd = -1};
    uint64_t boot_epoch = realtime_ns();
    char err[512];

    switch (config_parse(&app.cfg, argc, argv, environ, ".env", err, sizeof err)) {
    case CONFIG_HELP:
        config_print_help(stdout, "joyride");
        cli_print_commands(stdout);
        return 0;
    case CONFIG_VERSION:
        config_print_version(stdout);
        return 0;
    case CONFIG_ERROR:
        fprintf(stderr, "joyride: %s\n", err);
        return 2;
    case CONFIG_OK:
        break;
    }
    if (!app_check_config(&app.cfg, err, sizeof err)) {
        fprintf(stderr, "joyride: %s\n", err);
        config_free(&app.cfg);
        return 2;
    }
    log_set_level(app.cfg.log_level);

    int rc = 1;
    app.sigfd = block_signals();
    if (app.sigfd < 0) {
        fprintf(stderr, "joyride: signalfd: %s\n", strerror(errno));
        goto out;
    }
    app.records = records_new(app.cfg.node_id, boot_epoch);
    app.loop = loop_new();
    if (!app.records || !app.loop) {
        fprintf(stderr, "joyride: out of memory\n");
        goto out;
    }
    struct rec_policy policy = app_records_policy(&app);
    records_set_policy(app.records, &policy);
    if (loop_add_fd(app.loop, app.sigfd, EPOLLIN, on_signal, &app) != 0) {
        fprintf(stderr, "joyride: cannot watch signals\n");
        goto out;
    }
    if (start_api_records(&app) != 0) {
        rc = 2;
        goto out;
    }
    if (app_publish_ns(&app) != 0) {
        fprintf(stderr, "joyride: out of memory\n");
        goto out;
    }
    const struct http_cluster_hooks *hooks;
    if (start_dns(&app) != 0 || start_sources(&app) != 0 || start_cluster(&app, &hooks) != 0 ||
        start_http(&app, hooks) != 0)
        goto out;
    app_start_ns_refresh(&app);

    log_started(&app);
    struct notify_hooks nh = app_notify_hooks(&app);
    app.notify = notify_start(app.loop, &nh, NOTIFY_READY_TIMEOUT_MS); /* READY=1 under systemd */
    loop_run(app.loop);
    rc = 0;
out:
    shutdown_all(&app);
    return rc;
}
