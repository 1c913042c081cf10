/* docker.c — the Docker source's monitor thread: connect (API version negotiation), subscribe to
 * the event stream, take the full container list and reconcile it with the docker:* sources in the
 * table, then apply events in order; reconnect with capped exponential backoff. Status for /status
 * and /metrics is kept under a mutex.
 *
 * Race-free (re)connect: the event stream is opened first, with since= a few seconds back on the
 * daemon's clock, and its response headers awaited (dockerd registers the subscriber before it
 * sends them); only then is the list taken. Events that arrive meanwhile, and the replayed ones,
 * wait in the stream buffer and are folded over the list before anything is published: per
 * container the last event wins, otherwise the list. Every event carries the whole truth for its
 * container (add with the labels from Actor.Attributes, or remove), so an event the list already
 * reflects is harmless, and the replay covers the moment where dockerd has published an event but
 * its list does not show it yet. Docker-sourced records in the table that nobody wants any more
 * are removed ("gone while disconnected").
 */
#include "sources/docker.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/vec.h"
#include "sources/docker_client.h"
#include "sources/docker_host.h"
#include "sources/docker_json.h"
#include "sources/docker_labels.h"

#define MOD "docker"
#define BACKOFF_MIN_MS 250L
#define BACKOFF_MAX_MS 30000L
#define PING_TIMEOUT_MS 5000L
#define LIST_TIMEOUT_MS 30000L
#define STREAM_HEADERS_TIMEOUT_MS 10000L
#define STABLE_MS 10000u
#define SOURCE_PREFIX "docker:"
/* Events of the last seconds before a (re)connect are replayed (since=) and folded over the list:
 * the daemon may publish an event a moment before its container list reflects it. */
#define REPLAY_WINDOW_S 10

/* Container ids that currently have records in the table (for containers_tracked and to skip
 * table calls for containers we never published). */
struct idset {
    char (*v)[DOCKER_ID_MAX + 1];
    size_t n, cap;
};

struct docker_source {
    struct records *t;
    struct docker_endpoint ep;
    struct docker_keys keys;
    struct rec_addr host_ip;
    bool config_ok;
    char config_err[256];
    struct docker_client *client;
    pthread_t thread;

    pthread_mutex_t mu; /* guards st */
    struct docker_status st;

    /* monitor thread only */
    char api[DOCKER_API_VERSION_MAX + 1];
    struct idset tracked;
    bool outage;           /* an outage has been logged and not yet resolved */
    uint64_t outage_since; /* loop_now_ms() when it started */
    bool ever_connected;
    long long daemon_now;  /* the daemon's clock at the last /_ping (Date header) */
    int64_t last_event_ns; /* newest event counted, so replays are not counted twice */
};

/* ---- small helpers ---- */

static ssize_t idset_find(const struct idset *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->v[i], id) == 0)
            return (ssize_t)i;
    }
    return -1;
}

static void idset_put(struct idset *s, const char *id)
{
    if (idset_find(s, id) >= 0)
        return;
    if (!vec_reserve(s, s->n + 1))
        return; /* only the tracked count suffers; the table stays right */
    snprintf(s->v[s->n++], DOCKER_ID_MAX + 1, "%s", id);
}

static void idset_del(struct idset *s, const char *id)
{
    ssize_t i = idset_find(s, id);
    if (i < 0)
        return;
    s->n--;
    if ((size_t)i != s->n)
        memcpy(s->v[i], s->v[s->n], sizeof s->v[i]);
}

static void status_update(struct docker_source *d, void (*fn)(struct docker_status *, void *),
                          void *arg)
{
    pthread_mutex_lock(&d->mu);
    fn(&d->st, arg);
    d->st.containers_tracked = d->tracked.n;
    pthread_mutex_unlock(&d->mu);
}

static void st_set_error(struct docker_status *st, void *arg)
{
    st->connected = false;
    snprintf(st->last_error, sizeof st->last_error, "%s", (const char *)arg);
}

static void st_count(struct docker_status *st, void *arg)
{
    st->events[*(enum docker_action *)arg]++;
}

static void st_stopped(struct docker_status *st, void *arg)
{
    (void)arg;
    st->running = false;
    st->connected = false;
}

static void st_nothing(struct docker_status *st, void *arg)
{
    (void)st;
    (void)arg;
}

/* Percent-encodes s for a query string. */
static bool urlencode(const char *s, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '_' || c == '.' || c == '~';
        if (o + 4 > outlen)
            return false;
        if (plain) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return true;
}

/* "?filters=<url-encoded JSON>" for the given filter JSON (consumed; NULL fails). */
static bool filter_query(char *js, char *out, size_t outlen)
{
    if (!js)
        return false;
    static const char prefix[] = "?filters=";
    bool ok = outlen > sizeof prefix;
    if (ok) {
        snprintf(out, outlen, "%s", prefix);
        ok = urlencode(js, out + sizeof prefix - 1, outlen - (sizeof prefix - 1));
    }
    free(js);
    return ok;
}

/* ---- publishing ---- */

static void source_name(char out[REC_SOURCE_MAX + 1], const char *id)
{
    snprintf(out, REC_SOURCE_MAX + 1, SOURCE_PREFIX "%s", id);
}

static void remove_container(struct docker_source *d, const char *id, const char *name,
                             const char *why)
{
    if (idset_find(&d->tracked, id) < 0)
        return;
    char src[REC_SOURCE_MAX + 1];
    source_name(src, id);
    int changes = records_set_source(d->t, src, NULL, 0);
    if (changes < 0) {
        log_error(MOD, "container %s: cannot remove records (out of memory)", name);
        return;
    }
    idset_del(&d->tracked, id);
    log_info(MOD, "container %s (%.12s) %s: records removed", name, id, why);
}

/* Publishes the records of a running container from its labels (n == 0 removes). */
static void publish_container(struct docker_source *d, const char *id, const char *name,
                              const struct docker_labels *labels, const char *why)
{
    struct rec_inputs recs = {0};
    enum docker_labels_result r = docker_labels_records(&d->keys, labels, &d->host_ip, name, &recs);
    if (r == DOCKER_LABELS_NOMEM) {
        log_error(MOD, "container %s: out of memory building records", name);
        rec_inputs_free(&recs);
        return;
    }
    if (r != DOCKER_LABELS_OK || recs.n == 0) {
        rec_inputs_free(&recs);
        remove_container(d, id, name, why);
        return;
    }
    char src[REC_SOURCE_MAX + 1];
    source_name(src, id);
    int changes = records_set_source(d->t, src, recs.v, recs.n);
    if (changes < 0) {
        log_error(MOD, "container %s: cannot publish records (out of memory)", name);
    } else {
        idset_put(&d->tracked, id);
        /* the container's name, for /dns/explain (an id when the name is unknown: none) */
        records_set_source_info(d->t, src, strcmp(name, id) != 0 ? name : NULL);
        if (changes > 0) {
            char addr[46];
            log_info(MOD, "container %s (%.12s) %s: %zu name(s) -> %s, first %s", name, id, why,
                     recs.n, records_format_addr(&recs.v[0].addr, addr), recs.v[0].name);
        }
    }
    rec_inputs_free(&recs);
}

/* Looks a container up when its event carried no attributes. STOPPED only on shutdown. */
static enum docker_io inspect_and_apply(struct docker_source *d, const char *id, const char *why)
{
    char path[128], err[256];
    snprintf(path, sizeof path, "/v%s/containers/%s/json", d->api, id);
    struct docker_response resp;
    enum docker_io rc = docker_client_get(d->client, path, LIST_TIMEOUT_MS, &resp, err, sizeof err);
    if (rc != DOCKER_IO_OK)
        return rc == DOCKER_IO_STOPPED ? rc : DOCKER_IO_ERROR;
    if (resp.status == 404) {
        remove_container(d, id, id, "gone");
    } else if (resp.status == 200) {
        struct docker_container c;
        if (docker_inspect_decode(resp.body, resp.len, &c, err, sizeof err)) {
            if (c.running)
                publish_container(d, c.id, c.name, &c.labels, why);
            else
                remove_container(d, c.id, c.name, "not running");
            docker_container_free(&c);
        } else {
            log_warn(MOD, "container %.12s: %s", id, err);
        }
    } else {
        log_warn(MOD, "container %.12s: inspect answered HTTP %ld", id, resp.status);
    }
    docker_response_free(&resp);
    return DOCKER_IO_OK;
}

static enum docker_io apply_event(struct docker_source *d, const struct docker_event *ev)
{
    const char *why = docker_action_names[ev->action];
    const char *name = ev->name[0] ? ev->name : ev->id;
    switch (ev->effect) {
    case DOCKER_EFFECT_ADD:
        if (!ev->attributes.present)
            return inspect_and_apply(d, ev->id, why);
        publish_container(d, ev->id, name, &ev->attributes, why);
        break;
    case DOCKER_EFFECT_REMOVE:
        remove_container(d, ev->id, name, why);
        break;
    case DOCKER_EFFECT_NONE:
        break;
    }
    return DOCKER_IO_OK;
}

/* ---- the full list and the reconcile ---- */

/* What one container should publish after a (re)connect: its listed state, overridden by every
 * event already waiting in the stream (the replayed window and whatever came while listing), the
 * last one winning. Folding them before publishing means no record flaps on reconnect. */
struct want {
    char id[DOCKER_ID_MAX + 1];
    char name[DOCKER_CNAME_MAX + 1];
    struct docker_labels labels; /* owned; not present: none */
    bool add;
    bool inspect; /* an add event without attributes: look the container up */
    const char *why;
};

struct wantset {
    struct want *v;
    size_t n, cap;
    bool oom;
};

static struct want *want_get(struct wantset *w, const char *id)
{
    for (size_t i = 0; i < w->n; i++) {
        if (strcmp(w->v[i].id, id) == 0)
            return &w->v[i];
    }
    struct want *x = vec_push_zero(w);
    if (!x) {
        w->oom = true;
        return NULL;
    }
    snprintf(x->id, sizeof x->id, "%s", id);
    return x;
}

static void wantset_free(struct wantset *w)
{
    for (size_t i = 0; i < w->n; i++)
        docker_labels_free(&w->v[i].labels);
    vec_free(w);
}

static void on_listed(struct docker_container *c, void *arg)
{
    struct wantset *w = arg;
    if (!c->running)
        return; /* paused */
    struct want *x = want_get(w, c->id);
    if (!x || x->add)
        return; /* out of memory, or already listed under another label key */
    x->add = true;
    x->why = "listed";
    snprintf(x->name, sizeof x->name, "%s", c->name);
    x->labels = c->labels; /* taken over */
    c->labels = (struct docker_labels){0};
}

/* Counts an event in the status (once: events replayed after a reconnect that were already
 * counted are not) and logs it at debug level. */
static void note_event(struct docker_source *d, const struct docker_event *ev)
{
    bool fresh = ev->time_nano == 0 || ev->time_nano > d->last_event_ns;
    if (fresh) {
        status_update(d, st_count, (void *)&ev->action);
        if (ev->time_nano > d->last_event_ns)
            d->last_event_ns = ev->time_nano;
    }
    log_debug(MOD, "event %s %.12s (%s)%s", docker_action_names[ev->action], ev->id, ev->name,
              fresh ? "" : " (replayed)");
}

/* Decodes one stream line; false when it is not a container event (bad ones are logged). */
static bool decode_line(const char *line, size_t len, struct docker_event *ev)
{
    char derr[200];
    enum docker_decode dr = docker_event_decode(line, len, ev, derr, sizeof derr);
    if (dr == DOCKER_DECODE_BAD)
        log_warn(MOD, "ignoring an event: %s", derr);
    return dr == DOCKER_DECODE_OK;
}

/* Folds every complete event already received into w. */
static void fold_waiting_events(struct docker_source *d, struct wantset *w)
{
    const char *line;
    size_t len;
    char err[256];
    while (docker_stream_next(d->client, &line, &len, 0, err, sizeof err) == DOCKER_IO_OK) {
        struct docker_event ev;
        if (!decode_line(line, len, &ev))
            continue;
        note_event(d, &ev);
        struct want *x = ev.effect == DOCKER_EFFECT_NONE ? NULL : want_get(w, ev.id);
        if (x) {
            docker_labels_free(&x->labels);
            x->add = ev.effect == DOCKER_EFFECT_ADD;
            x->inspect = x->add && !ev.attributes.present;
            x->why = docker_action_names[ev.action];
            snprintf(x->name, sizeof x->name, "%s", ev.name[0] ? ev.name : x->name);
            if (x->add && ev.attributes.present) {
                x->labels = ev.attributes; /* taken over */
                ev.attributes = (struct docker_labels){0};
            }
        }
        docker_event_free(&ev);
    }
}

struct stale {
    const struct wantset *keep;
    struct idset drop;
};

static bool wanted(const struct wantset *w, const char *id)
{
    for (size_t i = 0; i < w->n; i++) {
        if (w->v[i].add && strcmp(w->v[i].id, id) == 0)
            return true;
    }
    return false;
}

static void on_stale_source(const char *source, size_t nrecords, void *arg)
{
    (void)nrecords;
    struct stale *s = arg;
    const char *id = source + strlen(SOURCE_PREFIX);
    if (docker_id_valid(id) && !wanted(s->keep, id))
        idset_put(&s->drop, id);
}

static void on_table_source(const char *source, size_t nrecords, void *arg)
{
    const char *id = source + strlen(SOURCE_PREFIX);
    if (nrecords > 0 && docker_id_valid(id))
        idset_put(arg, id);
}

/* Publishes w, removes docker:* sources nobody wants any more, and resyncs the tracked set with
 * the table. */
static enum docker_io apply_wanted(struct docker_source *d, const struct wantset *w)
{
    for (size_t i = 0; i < w->n; i++) {
        const struct want *x = &w->v[i];
        const char *name = x->name[0] ? x->name : x->id;
        if (x->add && x->inspect) {
            if (inspect_and_apply(d, x->id, x->why) == DOCKER_IO_STOPPED)
                return DOCKER_IO_STOPPED;
        } else if (x->add) {
            publish_container(d, x->id, name, &x->labels, x->why);
        } else {
            remove_container(d, x->id, name, x->why);
        }
    }
    /* published before, not running now: it went away while we were not listening */
    struct stale s = {.keep = w};
    records_foreach_source(d->t, SOURCE_PREFIX, on_stale_source, &s);
    for (size_t i = 0; i < s.drop.n; i++) {
        char shortid[13];
        snprintf(shortid, sizeof shortid, "%.12s", s.drop.v[i]);
        idset_put(&d->tracked, s.drop.v[i]); /* so that remove_container acts */
        remove_container(d, s.drop.v[i], shortid, "gone while disconnected");
    }
    vec_free(&s.drop);
    d->tracked.n = 0;
    records_foreach_source(d->t, SOURCE_PREFIX, on_table_source, &d->tracked);
    return DOCKER_IO_OK;
}

static enum docker_io list_and_reconcile(struct docker_source *d, char *err, size_t errlen)
{
    struct wantset w = {0};
    enum docker_io rc = DOCKER_IO_OK;
    for (size_t k = 0; k < d->keys.n && rc == DOCKER_IO_OK; k++) {
        char query[1024], path[1200];
        if (!filter_query(docker_list_filter_json(d->keys.keys[k]), query, sizeof query)) {
            snprintf(err, errlen, "cannot build the list filter for label %s", d->keys.keys[k]);
            rc = DOCKER_IO_ERROR;
            break;
        }
        snprintf(path, sizeof path, "/v%s/containers/json%s", d->api, query);
        struct docker_response resp;
        rc = docker_client_get(d->client, path, LIST_TIMEOUT_MS, &resp, err, errlen);
        if (rc != DOCKER_IO_OK)
            break;
        if (resp.status != 200) {
            snprintf(err, errlen, "container list answered HTTP %ld", resp.status);
            rc = DOCKER_IO_ERROR;
        } else if (!docker_list_decode(resp.body, resp.len, on_listed, &w, NULL, err, errlen)) {
            rc = DOCKER_IO_ERROR;
        }
        docker_response_free(&resp);
    }
    if (rc == DOCKER_IO_OK) {
        fold_waiting_events(d, &w);
        if (w.oom) {
            snprintf(err, errlen, "out of memory while listing containers");
            rc = DOCKER_IO_ERROR;
        } else {
            rc = apply_wanted(d, &w);
        }
    }
    wantset_free(&w);
    return rc;
}

/* ---- one connection ---- */

static enum docker_io negotiate(struct docker_source *d, char *err, size_t errlen)
{
    struct docker_response resp;
    enum docker_io rc = docker_client_get(d->client, "/_ping", PING_TIMEOUT_MS, &resp, err, errlen);
    if (rc != DOCKER_IO_OK)
        return rc;
    long status = resp.status;
    snprintf(d->api, sizeof d->api, "%s", resp.api_version);
    d->daemon_now = resp.date > 0 ? resp.date : (long long)time(NULL);
    /* events from before this process started are applied (replay) but not counted; over TCP
     * the daemon's clock may differ from ours, so its Date header is the reference there */
    if (!d->ever_connected && !d->ep.is_unix)
        d->last_event_ns = d->daemon_now * 1000000000LL;
    docker_response_free(&resp);
    if (status != 200) {
        snprintf(err, errlen, "/_ping answered HTTP %ld", status);
        return DOCKER_IO_ERROR;
    }
    if (!docker_api_version_valid(d->api)) {
        rc = docker_client_get(d->client, "/version", PING_TIMEOUT_MS, &resp, err, errlen);
        if (rc != DOCKER_IO_OK)
            return rc;
        bool ok = resp.status == 200 && docker_version_decode(resp.body, resp.len, d->api);
        docker_response_free(&resp);
        if (!ok) {
            snprintf(err, errlen, "the daemon reports no API version (/_ping, /version)");
            return DOCKER_IO_ERROR;
        }
    }
    if (docker_api_version_cmp(d->api, DOCKER_API_MIN) < 0) {
        snprintf(err, errlen, "daemon API %s is older than the %s we need", d->api, DOCKER_API_MIN);
        return DOCKER_IO_ERROR;
    }
    return DOCKER_IO_OK;
}

static void st_connected(struct docker_status *st, void *arg)
{
    const struct docker_source *d = arg;
    st->connected = true;
    snprintf(st->api_version, sizeof st->api_version, "%s", d->api);
    if (d->ever_connected)
        st->reconnects++;
}

/* Connects, syncs and follows events until the stream fails (ERROR) or stop (STOPPED). Sets
 * *synced once the list has been applied. */
static enum docker_io session(struct docker_source *d, bool *synced, char *err, size_t errlen)
{
    enum docker_io rc = negotiate(d, err, errlen);
    if (rc != DOCKER_IO_OK)
        return rc;

    char query[512], path[600];
    if (!filter_query(docker_events_filter_json(), query, sizeof query)) {
        snprintf(err, errlen, "cannot build the events filter");
        return DOCKER_IO_ERROR;
    }
    snprintf(path, sizeof path, "/v%s/events%s&since=%lld", d->api, query,
             d->daemon_now - REPLAY_WINDOW_S);
    rc = docker_stream_open(d->client, path, STREAM_HEADERS_TIMEOUT_MS, err, errlen);
    if (rc != DOCKER_IO_OK)
        return rc;
    rc = list_and_reconcile(d, err, errlen);
    if (rc != DOCKER_IO_OK) {
        docker_stream_close(d->client);
        return rc;
    }
    *synced = true;
    status_update(d, st_connected, d);
    if (d->outage) {
        log_info(MOD, "connected again to %s (API %s) after %.1f s: %zu container(s) tracked",
                 d->ep.display, d->api, (double)(loop_now_ms() - d->outage_since) / 1000.0,
                 d->tracked.n);
    } else {
        log_info(MOD, "connected to %s (API %s): %zu container(s) tracked", d->ep.display, d->api,
                 d->tracked.n);
    }
    d->outage = false;
    d->ever_connected = true;

    for (;;) {
        const char *line;
        size_t len;
        rc = docker_stream_next(d->client, &line, &len, 60000, err, errlen);
        if (rc == DOCKER_IO_TIMEOUT)
            continue;
        if (rc != DOCKER_IO_OK)
            break;
        struct docker_event ev;
        if (!decode_line(line, len, &ev))
            continue;
        note_event(d, &ev);
        rc = apply_event(d, &ev);
        docker_event_free(&ev);
        status_update(d, st_nothing, NULL);
        if (rc == DOCKER_IO_STOPPED)
            break;
        if (rc != DOCKER_IO_OK) {
            snprintf(err, errlen, "inspect failed");
            break;
        }
    }
    docker_stream_close(d->client);
    return rc;
}

static void *monitor_main(void *arg)
{
    struct docker_source *d = arg;
    if (!d->config_ok) {
        log_error(MOD, "%s; the Docker source stays idle", d->config_err);
        while (docker_client_sleep(d->client, 3600 * 1000L) != DOCKER_IO_STOPPED)
            ;
        status_update(d, st_stopped, NULL);
        return NULL;
    }
    long backoff = BACKOFF_MIN_MS;
    while (!docker_client_interrupted(d->client)) {
        char err[256] = "";
        bool synced = false;
        uint64_t began = loop_now_ms();
        enum docker_io rc = session(d, &synced, err, sizeof err);
        if (rc == DOCKER_IO_STOPPED)
            break;
        status_update(d, st_set_error, err);
        /* a connection that held for a while starts the backoff over; one that keeps dropping
         * right after the sync does not, so a flapping daemon cannot make us spin or flood */
        if (synced && loop_now_ms() - began >= STABLE_MS)
            backoff = BACKOFF_MIN_MS;
        if (!d->outage) {
            d->outage = true;
            d->outage_since = loop_now_ms();
            if (synced)
                log_warn(MOD, "lost %s: %s; reconnecting (backoff up to %ld s)", d->ep.display, err,
                         BACKOFF_MAX_MS / 1000);
            else
                log_warn(MOD,
                         "cannot reach %s: %s; retrying in the background (backoff up to "
                         "%ld s)",
                         d->ep.display, err, BACKOFF_MAX_MS / 1000);
        } else {
            log_debug(MOD, "still cannot reach %s: %s; next try in %ld ms", d->ep.display, err,
                      backoff);
        }
        if (docker_client_sleep(d->client, backoff) == DOCKER_IO_STOPPED)
            break;
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
    }
    status_update(d, st_stopped, NULL);
    return NULL;
}

/* ---- public API ---- */

bool docker_config_validate(const struct docker_config *cfg, char *err, size_t errlen)
{
    struct docker_endpoint ep;
    struct docker_keys keys;
    return docker_endpoint_parse(cfg->docker_host, &ep, err, errlen) &&
           docker_keys_parse(cfg->labels, &keys, err, errlen);
}

struct docker_source *docker_source_start(const struct docker_config *cfg, struct records *t)
{
    struct docker_source *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->t = t;
    d->host_ip = cfg->host_ip;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    d->last_event_ns = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec;
    d->config_ok =
        docker_endpoint_parse(cfg->docker_host, &d->ep, d->config_err, sizeof d->config_err) &&
        docker_keys_parse(cfg->labels, &d->keys, d->config_err, sizeof d->config_err);
    /* balanced by curl_global_cleanup in docker_source_stop; reference-counted by libcurl */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        free(d);
        return NULL;
    }
    d->client = docker_client_new(&d->ep);
    if (!d->client) {
        curl_global_cleanup();
        free(d);
        return NULL;
    }
    pthread_mutex_init(&d->mu, NULL);
    d->st.running = true;
    if (!d->config_ok)
        snprintf(d->st.last_error, sizeof d->st.last_error, "%s", d->config_err);
    if (pthread_create(&d->thread, NULL, monitor_main, d) != 0) {
        docker_client_free(d->client);
        curl_global_cleanup();
        pthread_mutex_destroy(&d->mu);
        free(d);
        return NULL;
    }
    return d;
}

void docker_source_stop(struct docker_source *d)
{
    if (!d)
        return;
    docker_client_interrupt(d->client);
    pthread_join(d->thread, NULL);
    docker_client_free(d->client);
    curl_global_cleanup();
    pthread_mutex_destroy(&d->mu);
    vec_free(&d->tracked);
    free(d);
}

void docker_source_get_status(struct docker_source *d, struct docker_status *out)
{
    memset(out, 0, sizeof *out);
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    *out = d->st;
    pthread_mutex_unlock(&d->mu);
}
