/* test_docker_source.c — the Docker source end to end against a scripted fake Engine on a unix
 * socket: list + events, ordering, the inspect fallback, reconnect with a diff against the table,
 * events replayed over a lagging list, no daemon at start, and a prompt stop with an idle stream.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"
#include "records/records.h"
#include "sources/docker.h"

#define ID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define ID_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define MAX_LINES 64
#define MAX_CONNS 64

/* ---- the fake Engine ---- */

struct fake {
    char dir[64];
    char sock[100];
    int lfd;
    pthread_t acceptor;
    bool acceptor_running;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char list[4096];        /* body of /containers/json */
    char inspect_id[2][65]; /* the containers /containers/{id}/json knows */
    char inspect[2][2048];
    char *lines[MAX_LINES]; /* live events, appended; every stream sends them from its start */
    size_t nlines;
    char *replay[MAX_LINES]; /* sent right after the headers when the request has since= */
    size_t nreplay;
    unsigned gen; /* bumping it closes every open stream */
    int pings, lists, streams, inspects;
    int saw_since;
    int conns[MAX_CONNS];
    pthread_t conn_threads[MAX_CONNS];
    size_t nconns;
    bool stopping;
};

static struct fake F;

static bool send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static bool reply(int fd, int status, const char *ctype, const char *body)
{
    char head[512];
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d X\r\nApi-Version: 1.41\r\nDate: %s\r\nContent-Type: %s\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     status, date, ctype, strlen(body));
    return send_all(fd, head, (size_t)n) && send_all(fd, body, strlen(body));
}

static void serve_events(int fd, bool since)
{
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                               "Connection: close\r\n\r\n";
    pthread_mutex_lock(&F.mu);
    F.streams++;
    F.saw_since = F.saw_since || since ? 1 : 0;
    unsigned gen = F.gen;
    pthread_mutex_unlock(&F.mu);
    if (!send_all(fd, head, sizeof head - 1))
        return;
    pthread_mutex_lock(&F.mu);
    for (size_t i = 0; since && i < F.nreplay; i++)
        send_all(fd, F.replay[i], strlen(F.replay[i]));
    size_t sent = F.nlines; /* live events from now on */
    while (!F.stopping && F.gen == gen) {
        while (sent < F.nlines) {
            if (!send_all(fd, F.lines[sent], strlen(F.lines[sent])))
                goto out;
            sent++;
        }
        pthread_cond_wait(&F.cv, &F.mu);
    }
out:
    pthread_mutex_unlock(&F.mu);
}

static void *conn_main(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[8192];
    size_t have = 0;
    for (;;) {
        char *end;
        while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
            if (have == sizeof buf)
                goto done;
            ssize_t r = recv(fd, buf + have, sizeof buf - have, 0);
            if (r <= 0)
                goto done;
            have += (size_t)r;
        }
        *end = '\0';
        char path[4096] = "";
        sscanf(buf, "GET %4095s", path);
        size_t used = (size_t)(end + 4 - buf);
        memmove(buf, end + 4, have - used);
        have -= used;
        bool ok;
        pthread_mutex_lock(&F.mu);
        if (strcmp(path, "/_ping") == 0) {
            F.pings++;
            pthread_mutex_unlock(&F.mu);
            ok = reply(fd, 200, "text/plain", "OK");
        } else if (strncmp(path, "/v1.41/events?", 14) == 0) {
            pthread_mutex_unlock(&F.mu);
            serve_events(fd, strstr(path, "since=") != NULL);
            break;
        } else if (strncmp(path, "/v1.41/containers/json?", 23) == 0) {
            F.lists++;
            char body[sizeof F.list];
            memcpy(body, F.list, sizeof body);
            pthread_mutex_unlock(&F.mu);
            ok = reply(fd, 200, "application/json", body);
        } else if (strncmp(path, "/v1.41/containers/", 18) == 0) {
            F.inspects++;
            int known = -1;
            for (int k = 0; k < 2; k++) {
                if (F.inspect_id[k][0] && strncmp(path + 18, F.inspect_id[k], 64) == 0)
                    known = k;
            }
            char body[sizeof F.inspect[0]];
            memcpy(body, F.inspect[known < 0 ? 0 : known], sizeof body);
            pthread_mutex_unlock(&F.mu);
            ok = known >= 0
                     ? reply(fd, 200, "application/json", body)
                     : reply(fd, 404, "application/json", "{\"message\":\"No such container\"}");
        } else {
            pthread_mutex_unlock(&F.mu);
            ok = reply(fd, 404, "text/plain", "not found");
        }
        if (!ok)
            break;
    }
done:
    return NULL;
}

static void *acceptor_main(void *arg)
{
    (void)arg;
    for (;;) {
        struct pollfd p = {.fd = F.lfd, .events = POLLIN};
        int r = poll(&p, 1, 20);
        pthread_mutex_lock(&F.mu);
        bool stop = F.stopping || F.lfd < 0;
        pthread_mutex_unlock(&F.mu);
        if (stop)
            return NULL;
        if (r <= 0)
            continue;
        int fd = accept(F.lfd, NULL, NULL);
        if (fd < 0)
            continue;
        pthread_mutex_lock(&F.mu);
        if (F.nconns == MAX_CONNS) {
            pthread_mutex_unlock(&F.mu);
            close(fd);
            continue;
        }
        F.conns[F.nconns] = fd;
        pthread_create(&F.conn_threads[F.nconns], NULL, conn_main, (void *)(intptr_t)fd);
        F.nconns++;
        pthread_mutex_unlock(&F.mu);
    }
}

/* Starts listening (the daemon "comes up"). */
static void fake_up(void)
{
    F.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(F.lfd >= 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", F.sock);
    unlink(F.sock);
    assert_int_equal(bind(F.lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(F.lfd, 16), 0);
    F.stopping = false;
    assert_int_equal(pthread_create(&F.acceptor, NULL, acceptor_main, NULL), 0);
    F.acceptor_running = true;
}

/* Closes every connection and the socket (the daemon "dies"). */
static void fake_down(void)
{
    pthread_mutex_lock(&F.mu);
    F.stopping = true;
    F.gen++;
    pthread_cond_broadcast(&F.cv);
    for (size_t i = 0; i < F.nconns; i++)
        shutdown(F.conns[i], SHUT_RDWR);
    pthread_mutex_unlock(&F.mu);
    if (F.acceptor_running)
        pthread_join(F.acceptor, NULL);
    F.acceptor_running = false;
    for (size_t i = 0; i < F.nconns; i++) {
        pthread_join(F.conn_threads[i], NULL);
        close(F.conns[i]);
    }
    F.nconns = 0;
    if (F.lfd >= 0)
        close(F.lfd);
    F.lfd = -1;
    unlink(F.sock);
}

static int64_t next_time; /* events are stamped after the source started, as a daemon would */

/* One event line; attrs NULL gives an event without Actor.Attributes. */
static char *make_line(const char *action, const char *id, const char *name, const char *attrs,
                       int64_t time_nano)
{
    char *line = malloc(1024);
    assert_non_null(line);
    if (attrs)
        snprintf(line, 1024,
                 "{\"Type\":\"container\",\"Action\":\"%s\",\"Actor\":{\"ID\":\"%s\","
                 "\"Attributes\":{\"name\":\"%s\"%s}},\"timeNano\":%lld}\n",
                 action, id, name, attrs, (long long)time_nano);
    else
        snprintf(line, 1024,
                 "{\"Type\":\"container\",\"Action\":\"%s\",\"Actor\":{\"ID\":\"%s\"},"
                 "\"timeNano\":%lld}\n",
                 action, id, (long long)time_nano);
    return line;
}

static void push_line(char *line)
{
    pthread_mutex_lock(&F.mu);
    assert_true(F.nlines < MAX_LINES);
    F.lines[F.nlines++] = line;
    pthread_cond_broadcast(&F.cv);
    pthread_mutex_unlock(&F.mu);
}

/* Appends a live event; returns its timeNano. */
static int64_t fake_event(const char *action, const char *id, const char *name, const char *attrs)
{
    int64_t t = ++next_time;
    push_line(make_line(action, id, name, attrs, t));
    return t;
}

static void fake_raw(const char *text)
{
    push_line(strdup(text));
}

static void fake_set_list(const char *body)
{
    pthread_mutex_lock(&F.mu);
    snprintf(F.list, sizeof F.list, "%s", body);
    pthread_mutex_unlock(&F.mu);
}

static void fake_set_inspect(int slot, const char *id, const char *body)
{
    pthread_mutex_lock(&F.mu);
    snprintf(F.inspect_id[slot], sizeof F.inspect_id[slot], "%s", id);
    snprintf(F.inspect[slot], sizeof F.inspect[slot], "%s", body);
    pthread_mutex_unlock(&F.mu);
}

static int fake_count(const int *what)
{
    pthread_mutex_lock(&F.mu);
    int v = *what;
    pthread_mutex_unlock(&F.mu);
    return v;
}

static int setup(void **state)
{
    (void)state;
    memset(&F, 0, sizeof F);
    F.lfd = -1;
    pthread_mutex_init(&F.mu, NULL);
    pthread_cond_init(&F.cv, NULL);
    snprintf(F.dir, sizeof F.dir, "/tmp/jr-dkt-XXXXXX");
    assert_non_null(mkdtemp(F.dir));
    snprintf(F.sock, sizeof F.sock, "%s/docker.sock", F.dir);
    snprintf(F.list, sizeof F.list, "[]");
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    next_time = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec + 60000000000LL;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fake_down();
    for (size_t i = 0; i < F.nlines; i++)
        free(F.lines[i]);
    for (size_t i = 0; i < F.nreplay; i++)
        free(F.replay[i]);
    rmdir(F.dir);
    pthread_mutex_destroy(&F.mu);
    pthread_cond_destroy(&F.cv);
    return 0;
}

/* ---- the source under test ---- */

struct seen {
    char text[4096]; /* "name=addr;" for every served docker record, sorted by the table */
    size_t n;
};

static void collect(const struct rec_view *v, void *ctx)
{
    struct seen *s = ctx;
    if (strncmp(v->source, "docker:", 7) != 0)
        return;
    char a[46];
    size_t len = strlen(s->text);
    snprintf(s->text + len, sizeof s->text - len, "%s=%s;", v->name,
             records_format_addr(&v->addr, a));
    s->n++;
}

static bool has(struct records *t, const char *name_eq_addr)
{
    struct seen s = {0};
    records_foreach(t, true, collect, &s);
    char want[300];
    snprintf(want, sizeof want, "%s;", name_eq_addr);
    return strstr(s.text, want) != NULL;
}

static size_t ndocker(struct records *t)
{
    struct seen s = {0};
    records_foreach(t, true, collect, &s);
    return s.n;
}

#define WAIT_FOR(cond)                                                                             \
    do {                                                                                           \
        uint64_t deadline_ = loop_now_ms() + 10000;                                                \
        while (!(cond) && loop_now_ms() < deadline_)                                               \
            usleep(2000);                                                                          \
        if (!(cond))                                                                               \
            fail_msg("timed out waiting for %s", #cond);                                           \
    } while (0)

static struct docker_source *start_source(struct records *t)
{
    char host[160];
    snprintf(host, sizeof host, "unix://%s", F.sock);
    struct docker_config cfg = {.docker_host = host, .labels = "joyride.host.name"};
    assert_true(records_parse_addr("192.0.2.1", &cfg.host_ip));
    struct docker_source *d = docker_source_start(&cfg, t);
    assert_non_null(d);
    return d;
}

static bool connected(struct docker_source *d)
{
    struct docker_status st;
    docker_source_get_status(d, &st);
    return st.connected;
}

static uint64_t events_of(struct docker_source *d, enum docker_action a)
{
    struct docker_status st;
    docker_source_get_status(d, &st);
    return st.events[a];
}

#define LBL(names) ",\"joyride.host.name\":\"" names "\""

static void test_list_then_events(void **state)
{
    (void)state;
    fake_set_list("[{\"Id\":\"" ID_A "\",\"Names\":[\"/a\"],\"State\":\"running\","
                  "\"Labels\":{\"joyride.host.name\":\"a.example.com, a2.example.com\"}},"
                  "{\"Id\":\"" ID_B "\",\"Names\":[\"/b\"],\"State\":\"paused\","
                  "\"Labels\":{\"joyride.host.name\":\"b.example.com\"}}]");
    /* b was paused when listed, so whether it has a health check is unknown: its unpause is
     * inspected */
    fake_set_inspect(0, ID_B,
                     "{\"Id\":\"" ID_B "\",\"Name\":\"/b\",\"State\":{\"Running\":true},"
                     "\"Config\":{\"Labels\":{\"joyride.host.name\":\"b.example.com\","
                     "\"joyride.host.ip\":\"fd00::b\"}}}");
    /* replayed from before the source started: applied, not counted */
    F.replay[F.nreplay++] = make_line("die", ID_C, "c", LBL("c.example.com"), 1000);
    fake_up();
    struct records *t = records_new("me", 1);
    struct docker_source *d = start_source(t);
    WAIT_FOR(connected(d));
    assert_true(has(t, "a.example.com=192.0.2.1"));
    assert_true(has(t, "a2.example.com=192.0.2.1"));
    assert_int_equal(ndocker(t), 2); /* the paused one is not published */
    assert_true(fake_count(&F.saw_since));

    /* events apply in order: a container that starts and dies at once leaves nothing */
    fake_event("start", ID_C, "c", LBL("c.example.com"));
    fake_event("die", ID_C, "c", LBL("c.example.com"));
    fake_event("unpause", ID_B, "b", LBL("b.example.com") ",\"joyride.host.ip\":\"fd00::b\"");
    fake_event("kill", ID_A, "a", LBL("a.example.com") ",\"signal\":\"1\"");
    WAIT_FOR(has(t, "b.example.com=fd00::b"));
    assert_false(has(t, "c.example.com=192.0.2.1"));
    assert_true(has(t, "a.example.com=192.0.2.1"));    /* kill -s HUP is not a stop */
    fake_raw("{\"Type\":\"container\",\"Action\":\n"); /* malformed: skipped */
    fake_raw("\r\n");                                  /* blank: skipped */
    fake_event("exec_start: sh", ID_A, "a", "");
    fake_event("stop", ID_A, "a", LBL("a.example.com"));
    WAIT_FOR(!has(t, "a.example.com=192.0.2.1"));
    assert_int_equal(ndocker(t), 1);
    assert_int_equal(events_of(d, DOCKER_EV_START), 1);
    assert_int_equal(events_of(d, DOCKER_EV_DIE), 1);
    assert_int_equal(events_of(d, DOCKER_EV_KILL), 1);
    assert_int_equal(events_of(d, DOCKER_EV_OTHER), 1);

    struct docker_status st;
    docker_source_get_status(d, &st);
    assert_true(st.running);
    assert_string_equal(st.api_version, "1.41");
    assert_int_equal(st.containers_tracked, 1);

    /* stop with an idle stream returns at once */
    uint64_t t0 = loop_now_ms();
    docker_source_stop(d);
    assert_true(loop_now_ms() - t0 < 500);
    records_free(t);
}

static void test_inspect_fallback(void **state)
{
    (void)state;
    fake_set_inspect(0, ID_A,
                     "{\"Id\":\"" ID_A
                     "\",\"Name\":\"/a\",\"State\":{\"Running\":true,\"Paused\":false},"
                     "\"Config\":{\"Labels\":{\"joyride.host.name\":\"inspected.example.com\"}}}");
    fake_up();
    struct records *t = records_new("me", 1);
    struct docker_source *d = start_source(t);
    WAIT_FOR(connected(d));
    fake_event("start", ID_A, "a", NULL); /* no attributes: the source asks */
    WAIT_FOR(has(t, "inspected.example.com=192.0.2.1"));
    fake_event("start", ID_B, "b", NULL); /* unknown to inspect (404): nothing */
    fake_event("die", ID_A, "a", NULL);   /* removal needs no labels */
    WAIT_FOR(ndocker(t) == 0);
    assert_int_equal(fake_count(&F.inspects), 2);
    docker_source_stop(d);
    records_free(t);
}

/* A container with a health check is served only while healthy: the list's summary is checked
 * with inspect, health_status events publish and withdraw, a restart is "starting" again; one
 * without a check is inspected once and then published straight from its events. */
static void test_health(void **state)
{
    (void)state;
#define HC_LBL "\"Labels\":{\"joyride.host.name\":\"hc.example.com\"}"
    fake_set_list("[{\"Id\":\"" ID_A "\",\"Names\":[\"/hc\"],\"State\":\"running\","
                  "\"Status\":\"Up 2 seconds (health: starting)\"," HC_LBL "}]");
    /* inspect is the authority: it became healthy after the list was taken */
    fake_set_inspect(0, ID_A,
                     "{\"Id\":\"" ID_A "\",\"Name\":\"/hc\",\"State\":{\"Running\":true,"
                     "\"Health\":{\"Status\":\"healthy\"}},\"Config\":{" HC_LBL "}}");
    fake_set_inspect(1, ID_B,
                     "{\"Id\":\"" ID_B "\",\"Name\":\"/plain\",\"State\":{\"Running\":true},"
                     "\"Config\":{\"Labels\":{\"joyride.host.name\":\"plain.example.com\"}}}");
    fake_up();
    struct records *t = records_new("me", 1);
    struct docker_source *d = start_source(t);
    WAIT_FOR(connected(d));
    assert_true(has(t, "hc.example.com=192.0.2.1"));
    assert_int_equal(fake_count(&F.inspects), 1);

    fake_event("health_status: unhealthy", ID_A, "hc", LBL("hc.example.com"));
    WAIT_FOR(!has(t, "hc.example.com=192.0.2.1"));
    struct docker_status st;
    docker_source_get_status(d, &st);
    assert_int_equal(st.containers_tracked, 0);
    fake_event("health_status: healthy", ID_A, "hc", LBL("hc.example.com"));
    WAIT_FOR(has(t, "hc.example.com=192.0.2.1"));

    /* restarted: health checks start over, so it is not served until healthy again */
    fake_set_inspect(0, ID_A,
                     "{\"Id\":\"" ID_A "\",\"Name\":\"/hc\",\"State\":{\"Running\":true,"
                     "\"Health\":{\"Status\":\"starting\"}},\"Config\":{" HC_LBL "}}");
    fake_event("die", ID_A, "hc", LBL("hc.example.com"));
    fake_event("start", ID_A, "hc", LBL("hc.example.com"));
    /* without a health check: inspected at its first start only */
    fake_event("start", ID_B, "plain", LBL("plain.example.com"));
    WAIT_FOR(has(t, "plain.example.com=192.0.2.1"));
    assert_int_equal(fake_count(&F.inspects), 3);
    assert_false(has(t, "hc.example.com=192.0.2.1"));
    fake_event("die", ID_B, "plain", LBL("plain.example.com"));
    fake_event("start", ID_B, "plain",
               LBL("plain.example.com") ",\"joyride.host.ip\":\"10.0.0.2\"");
    WAIT_FOR(has(t, "plain.example.com=10.0.0.2"));
    assert_int_equal(fake_count(&F.inspects), 3);
    fake_event("health_status: healthy", ID_A, "hc", LBL("hc.example.com"));
    WAIT_FOR(has(t, "hc.example.com=192.0.2.1"));
    docker_source_get_status(d, &st);
    assert_int_equal(st.events[DOCKER_EV_HEALTHY], 2);
    assert_int_equal(st.events[DOCKER_EV_UNHEALTHY], 1);
    assert_int_equal(st.containers_tracked, 2);
    docker_source_stop(d);
    records_free(t);
#undef HC_LBL
}

static void test_reconnect_diffs_and_replay(void **state)
{
    (void)state;
    fake_set_list("[{\"Id\":\"" ID_A "\",\"Names\":[\"/a\"],\"State\":\"running\","
                  "\"Labels\":{\"joyride.host.name\":\"a.example.com\"}},"
                  "{\"Id\":\"" ID_B "\",\"Names\":[\"/b\"],\"State\":\"running\","
                  "\"Labels\":{\"joyride.host.name\":\"b.example.com\"}}]");
    fake_up();
    struct records *t = records_new("me", 1);
    struct docker_source *d = start_source(t);
    WAIT_FOR(connected(d));
    assert_int_equal(ndocker(t), 2);
    int64_t last = fake_event("start", ID_B, "b", LBL("b.example.com"));
    WAIT_FOR(events_of(d, DOCKER_EV_START) == 1);

    /* the daemon dies; meanwhile a is removed, c starts; b was paused a moment before we
     * reconnect, but the list still shows it running: the replayed pause event wins */
    fake_down();
    WAIT_FOR(!connected(d));
    fake_set_list("[{\"Id\":\"" ID_B "\",\"Names\":[\"/b\"],\"State\":\"running\","
                  "\"Labels\":{\"joyride.host.name\":\"b.example.com\"}},"
                  "{\"Id\":\"" ID_C "\",\"Names\":[\"/c\"],\"State\":\"running\","
                  "\"Labels\":{\"joyride.host.name\":\"c.example.com\"}}]");
    /* the replay repeats the last event already seen (not counted again) and has the pause */
    F.replay[F.nreplay++] = make_line("start", ID_B, "b", LBL("b.example.com"), last);
    F.replay[F.nreplay++] = make_line("pause", ID_B, "b", LBL("b.example.com"), last + 5);
    fake_up();
    WAIT_FOR(connected(d));
    /* the replayed pause may reach the stream after the list was folded: then it is applied
     * right after, as any event */
    WAIT_FOR(events_of(d, DOCKER_EV_PAUSE) == 1);
    assert_false(has(t, "a.example.com=192.0.2.1"));
    assert_false(has(t, "b.example.com=192.0.2.1"));
    assert_true(has(t, "c.example.com=192.0.2.1"));
    assert_int_equal(ndocker(t), 1);
    struct docker_status st;
    docker_source_get_status(d, &st);
    assert_int_equal(st.reconnects, 1);
    assert_int_equal(st.containers_tracked, 1);
    assert_int_equal(st.events[DOCKER_EV_START], 1);
    assert_int_equal(st.events[DOCKER_EV_PAUSE], 1);
    docker_source_stop(d);
    records_free(t);
}

static void test_no_daemon_then_up(void **state)
{
    (void)state;
    struct records *t = records_new("me", 1);
    struct docker_source *d = start_source(t); /* nothing listens yet */
    struct docker_status st;
    WAIT_FOR((docker_source_get_status(d, &st), st.last_error[0] != '\0'));
    assert_non_null(strstr(st.last_error, "cannot connect to unix://"));
    assert_true(st.running);
    fake_set_list("[{\"Id\":\"" ID_A "\",\"Names\":[\"/a\"],\"State\":\"running\","
                  "\"Labels\":{\"joyride.host.name\":\"late.example.com\"}}]");
    fake_up();
    WAIT_FOR(has(t, "late.example.com=192.0.2.1"));
    /* stopping while it backs off or follows an idle stream is immediate */
    uint64_t t0 = loop_now_ms();
    docker_source_stop(d);
    assert_true(loop_now_ms() - t0 < 500);
    records_free(t);
}

static void test_stop_while_backing_off(void **state)
{
    (void)state;
    struct records *t = records_new("me", 1);
    struct docker_source *d = start_source(t);
    struct docker_status st;
    WAIT_FOR((docker_source_get_status(d, &st), st.last_error[0] != '\0'));
    uint64_t t0 = loop_now_ms();
    docker_source_stop(d);
    assert_true(loop_now_ms() - t0 < 500);
    records_free(t);
}

static void test_bad_config_stays_idle(void **state)
{
    (void)state;
    struct records *t = records_new("me", 1);
    struct docker_config cfg = {.docker_host = "ssh://user@host", .labels = NULL};
    char err[256];
    assert_false(docker_config_validate(&cfg, err, sizeof err));
    assert_non_null(strstr(err, "DOCKER_HOST"));
    struct docker_source *d = docker_source_start(&cfg, t);
    assert_non_null(d);
    struct docker_status st;
    docker_source_get_status(d, &st);
    assert_false(st.connected);
    assert_non_null(strstr(st.last_error, "DOCKER_HOST"));
    docker_source_stop(d);
    cfg.docker_host = NULL;
    cfg.labels = "a.b, c.d";
    assert_true(docker_config_validate(&cfg, err, sizeof err));
    records_free(t);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_list_then_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inspect_fallback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_health, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconnect_diffs_and_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_daemon_then_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_while_backing_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_config_stays_idle, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
