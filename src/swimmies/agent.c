/* agent.c — swimmies-agent: a small standalone membership agent (like `serf agent`) for tests and
 * people. It binds UDP+TCP on --bind, joins --join peers, encrypts with --key (first is primary),
 * advertises --meta k=v tags (serf's tag encoding), prints one line per membership event
 * ("join NAME ADDR", "suspect ...", "fail ...", "leave ...", "alive ...", "update ..."),
 * prints received user messages and push/pull user state as "user HEX" / "state HEX", answers
 * "members", "metrics", "leave", "broadcast TEXT", "send[udp] NODE TEXT" on stdin, offers --state
 * as its push/pull user state, and rewrites --members-file on every change.
 * SIGINT/SIGTERM leave gracefully (a serf leave intent first, then the memberlist leave). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"
#include "swimmies/keyring.h"
#include "swimmies/msgpack.h"
#include "swimmies/swim.h"
#include "swimmies/transport_udp.h"

#define MAX_SEEDS 32
#define MAX_TAGS 32
#define LEAVE_WAIT_MS 3000
#define JOIN_RETRY_MS 1000
#define JOIN_GIVE_UP_MS 60000

/* serf user message types (serf/messages.go) */
#define SERF_MSG_LEAVE 0
#define SERF_MSG_JOIN 1
#define SERF_MSG_PUSHPULL 2
#define SERF_MSG_USER_EVENT 3

struct agent {
    struct loop *loop;
    struct swim_net *net;
    struct swim *swim;
    struct swim_keyring kr;
    struct swim_addr seeds[MAX_SEEDS];
    size_t n_seeds;
    const char *members_file;
    uint64_t serf_ltime; /* highest serf Lamport time seen */
    uint64_t started;
    bool leaving;
    uint64_t leave_started;
    char linebuf[4096];
    size_t linelen;
    bool stdin_open;
};

/* swimmies logs through a callback: its lines go to the process log under the same component
 * names ("swim", "swim-net", "discovery") and levels. */
static void log_from_swimmies(void *ctx, enum swim_log_level level, const char *component,
                              const char *msg)
{
    (void)ctx;
    static const enum log_level levels[] = {LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERROR};
    log_msg(levels[level <= SWIM_LOG_ERROR ? level : SWIM_LOG_ERROR], component, "%s", msg);
}

static void print_line(const char *ev, const struct swim_member *m)
{
    char addr[64];
    printf("%s %s %s\n", ev, m->name, swim_addr_str(&m->addr, addr, sizeof(addr)));
    fflush(stdout);
}

static bool write_member(void *ctx, const struct swim_member *m)
{
    FILE *f = ctx;
    char addr[64];
    fprintf(f, "%s %s %s\n", m->name, swim_addr_str(&m->addr, addr, sizeof(addr)),
            swim_state_name(m->state));
    return true;
}

static void write_members_file(struct agent *a)
{
    if (!a->members_file)
        return;
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", a->members_file);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    swim_foreach_member(a->swim, write_member, f);
    if (fclose(f) == 0)
        rename(tmp, a->members_file);
}

static void on_event(void *ctx, enum swim_event ev, const struct swim_member *m)
{
    struct agent *a = ctx;
    print_line(swim_event_name(ev), m);
    if (a->swim)
        write_members_file(a);
}

/* Serf messages carry a Lamport time; remembering the highest lets our leave intent be newer. */
static void witness_serf(struct agent *a, const uint8_t *msg, size_t len)
{
    if (len < 2 || msg[0] > SERF_MSG_USER_EVENT)
        return;
    struct swim_mp_reader r = {msg + 1, msg + len};
    uint32_t n;
    if (swim_mp_read_map(&r, &n) != SWIM_OK)
        return;
    for (uint32_t i = 0; i < n; i++) {
        struct swim_bytes k;
        if (swim_mp_read_bytes(&r, &k) != SWIM_OK)
            return;
        if (swim_bytes_eq_str(k, "LTime")) {
            uint64_t t;
            if (swim_mp_read_uint(&r, UINT64_MAX, &t) == SWIM_OK && t > a->serf_ltime)
                a->serf_ltime = t;
            return;
        }
        if (swim_mp_skip(&r) != SWIM_OK)
            return;
    }
}

static void print_hex(const char *what, const uint8_t *p, size_t len)
{
    printf("%s ", what);
    for (size_t i = 0; i < len; i++)
        printf("%02x", p[i]);
    printf("\n");
    fflush(stdout);
}

static void on_user(void *ctx, const uint8_t *msg, size_t len)
{
    print_hex("user", msg, len);
    witness_serf(ctx, msg, len);
}

static void on_merge(void *ctx, const uint8_t *buf, size_t len, bool join)
{
    (void)join;
    print_hex("state", buf, len);
    witness_serf(ctx, buf, len);
}

static const char *g_state; /* --state: our push/pull user state */

static void on_local_state(void *ctx, bool join, uint8_t **out, size_t *out_len)
{
    (void)ctx;
    (void)join;
    if (!g_state)
        return;
    *out = (uint8_t *)strdup(g_state);
    *out_len = *out ? strlen(g_state) : 0;
}

static void finish(struct agent *a)
{
    write_members_file(a);
    loop_stop(a->loop);
}

static void leave_poll(void *ctx)
{
    struct agent *a = ctx;
    if (swim_leave_done(a->swim) || loop_now_ms() - a->leave_started > LEAVE_WAIT_MS) {
        finish(a);
        return;
    }
    loop_timer_add(a->loop, 50, leave_poll, a);
}

static void start_leave(struct agent *a)
{
    if (a->leaving)
        return;
    a->leaving = true;
    a->leave_started = loop_now_ms();
    /* serf leave intent {LTime, Node} so serf peers show "left" rather than "failed" */
    uint8_t buf[600];
    struct swim_mp_writer w = {buf, buf + sizeof(buf), false};
    swim_mp_put_byte(&w, SERF_MSG_LEAVE);
    swim_mp_put_map(&w, 2);
    swim_mp_put_key(&w, "LTime");
    swim_mp_put_uint(&w, a->serf_ltime + 1);
    swim_mp_put_key(&w, "Node");
    swim_mp_put_string(&w, swim_str(swim_name(a->swim)));
    if (!w.overflow)
        swim_broadcast(a->swim, "serf-leave", buf, (size_t)(w.p - buf));
    swim_leave(a->swim, loop_now_ms());
    /* give the intent a moment to spread before the memberlist leave completes */
    loop_timer_add(a->loop, 50, leave_poll, a);
}

static bool print_member(void *ctx, const struct swim_member *m)
{
    (void)ctx;
    char addr[64];
    printf("member %s %s %s\n", m->name, swim_addr_str(&m->addr, addr, sizeof(addr)),
           swim_state_name(m->state));
    return true;
}

static void command(struct agent *a, const char *line)
{
    if (strcmp(line, "members") == 0) {
        swim_foreach_member(a->swim, print_member, NULL);
        printf("end\n");
    } else if (strcmp(line, "metrics") == 0) {
        struct swim_metrics m;
        swim_get_metrics(a->swim, &m);
        printf("metrics packets_in=%llu packets_out=%llu bytes_in=%llu bytes_out=%llu "
               "dropped_decrypt=%llu dropped_malformed=%llu dropped_plaintext=%llu probes=%llu "
               "pushpulls=%llu alive=%u health=%u\n",
               (unsigned long long)m.packets_in, (unsigned long long)m.packets_out,
               (unsigned long long)m.bytes_in, (unsigned long long)m.bytes_out,
               (unsigned long long)m.dropped_decrypt, (unsigned long long)m.dropped_malformed,
               (unsigned long long)m.dropped_plaintext, (unsigned long long)m.probes,
               (unsigned long long)m.pushpulls, m.members_alive, m.health_score);
    } else if (strcmp(line, "leave") == 0) {
        start_leave(a);
    } else if (strncmp(line, "broadcast ", 10) == 0) {
        int rc = swim_broadcast(a->swim, NULL, (const uint8_t *)line + 10, strlen(line + 10));
        printf("%s\n", rc == 0 ? "ok" : "error broadcast");
    } else if (strncmp(line, "send ", 5) == 0 || strncmp(line, "sendudp ", 8) == 0) {
        bool reliable = line[4] == ' ';
        const char *node = line + (reliable ? 5 : 8);
        const char *sp = strchr(node, ' ');
        if (!sp) {
            printf("error usage: send NODE TEXT\n");
        } else {
            char name[256];
            snprintf(name, sizeof(name), "%.*s", (int)(sp - node), node);
            int rc =
                swim_send_user(a->swim, name, (const uint8_t *)sp + 1, strlen(sp + 1), reliable);
            printf("%s\n", rc == 0 ? "ok" : "error send");
        }
    } else if (line[0]) {
        printf("error unknown command\n");
    }
    fflush(stdout);
}

static void on_stdin(int fd, uint32_t events, void *ctx)
{
    (void)events;
    struct agent *a = ctx;
    ssize_t r = read(fd, a->linebuf + a->linelen, sizeof(a->linebuf) - 1 - a->linelen);
    if (r <= 0) {
        if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
            loop_del_fd(a->loop, fd);
            a->stdin_open = false;
        }
        return;
    }
    a->linelen += (size_t)r;
    a->linebuf[a->linelen] = 0;
    char *start = a->linebuf, *nl;
    while ((nl = strchr(start, '\n'))) {
        *nl = 0;
        if (nl > start && nl[-1] == '\r')
            nl[-1] = 0;
        command(a, start);
        start = nl + 1;
    }
    a->linelen = strlen(start);
    memmove(a->linebuf, start, a->linelen);
    if (a->linelen == sizeof(a->linebuf) - 1)
        a->linelen = 0; /* overlong line: drop */
}

static void on_signal(int fd, uint32_t events, void *ctx)
{
    (void)events;
    struct agent *a = ctx;
    struct signalfd_siginfo si;
    if (read(fd, &si, sizeof(si)) != sizeof(si))
        return;
    if (a->leaving) {
        finish(a);
        return;
    }
    start_leave(a);
}

static void join_retry(void *ctx)
{
    struct agent *a = ctx;
    if (a->leaving || swim_num_members(a->swim) > 1)
        return;
    if (loop_now_ms() - a->started > JOIN_GIVE_UP_MS) {
        log_error("agent", "could not join any of %zu seed(s)", a->n_seeds);
        return;
    }
    swim_join(a->swim, loop_now_ms(), a->seeds, a->n_seeds);
    loop_timer_add(a->loop, JOIN_RETRY_MS, join_retry, a);
}

static void periodic_file(void *ctx)
{
    struct agent *a = ctx;
    write_members_file(a);
    loop_timer_add(a->loop, 1000, periodic_file, a);
}

/* serf tags: 0xff then a msgpack map of string -> string */
static size_t encode_tags(char **tags, size_t n, uint8_t *out, size_t cap)
{
    struct swim_mp_writer w = {out, out + cap, false};
    swim_mp_put_byte(&w, 0xff);
    swim_mp_put_map(&w, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        char *eq = strchr(tags[i], '=');
        size_t kl = eq ? (size_t)(eq - tags[i]) : strlen(tags[i]);
        swim_mp_put_str(&w, tags[i], kl);
        const char *v = eq ? eq + 1 : "";
        swim_mp_put_str(&w, v, strlen(v));
    }
    return w.overflow ? 0 : (size_t)(w.p - out);
}

static void usage(void)
{
    fprintf(
        stderr,
        "usage: swimmies-agent --name NAME --bind IP:PORT [--join IP:PORT]... [--key BASE64]...\n"
        "                      [--meta K=V]... [--members-file PATH] [--log-level LEVEL]\n"
        "stdin commands: members | metrics | leave\n");
}

int main(int argc, char **argv)
{
    static struct agent a;
    const char *name = NULL, *bind_s = NULL;
    char *tags[MAX_TAGS];
    size_t n_tags = 0;
    swim_keyring_init(&a.kr);
    static const struct option opts[] = {{"name", required_argument, 0, 'n'},
                                         {"bind", required_argument, 0, 'b'},
                                         {"join", required_argument, 0, 'j'},
                                         {"key", required_argument, 0, 'k'},
                                         {"meta", required_argument, 0, 'm'},
                                         {"members-file", required_argument, 0, 'f'},
                                         {"log-level", required_argument, 0, 'l'},
                                         {"state", required_argument, 0, 's'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            name = optarg;
            break;
        case 'b':
            bind_s = optarg;
            break;
        case 'j':
            if (a.n_seeds >= MAX_SEEDS || swim_addr_parse(optarg, 7946, &a.seeds[a.n_seeds]) < 0 ||
                a.seeds[a.n_seeds].port == 0) {
                fprintf(stderr, "swimmies-agent: bad --join address: %s\n", optarg);
                return 2;
            }
            a.n_seeds++;
            break;
        case 'k': {
            uint8_t key[SWIM_KEY_MAX];
            int kl = swim_key_from_base64(optarg, key);
            if (kl < 0 || swim_keyring_add(&a.kr, key, (size_t)kl) != SWIM_OK) {
                fprintf(stderr, "swimmies-agent: bad --key (want base64 of 16, 24 or 32 bytes)\n");
                return 2;
            }
            break;
        }
        case 'm':
            if (n_tags >= MAX_TAGS) {
                fprintf(stderr, "swimmies-agent: too many --meta\n");
                return 2;
            }
            tags[n_tags++] = optarg;
            break;
        case 'f':
            a.members_file = optarg;
            break;
        case 's':
            g_state = optarg;
            break;
        case 'l': {
            enum log_level lv;
            if (!log_parse_level(optarg, &lv)) {
                fprintf(stderr, "swimmies-agent: bad --log-level: %s\n", optarg);
                return 2;
            }
            log_set_level(lv);
            break;
        }
        default:
            usage();
            return c == 'h' ? 0 : 2;
        }
    }
    if (!name || !bind_s) {
        usage();
        return 2;
    }
    struct swim_addr bind;
    if (swim_addr_parse(bind_s, 7946, &bind) < 0) {
        fprintf(stderr, "swimmies-agent: bad --bind address: %s\n", bind_s);
        return 2;
    }
    uint8_t meta[SWIM_META_MAX];
    size_t meta_len = encode_tags(tags, n_tags, meta, sizeof(meta));
    if (n_tags && !meta_len) {
        fprintf(stderr, "swimmies-agent: --meta too large (max %d bytes)\n", SWIM_META_MAX);
        return 2;
    }

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);

    a.loop = loop_new();
    if (!a.loop || sfd < 0)
        return 1;
    struct swim_config cfg;
    swim_config_default(&cfg);
    cfg.log = (struct swim_logger){.fn = log_from_swimmies};
    cfg.name = name;
    cfg.meta = meta;
    cfg.meta_len = meta_len;
    cfg.keyring = swim_keyring_enabled(&a.kr) ? &a.kr : NULL;
    cfg.delegate.ctx = &a;
    cfg.delegate.on_event = on_event;
    cfg.delegate.on_user_msg = on_user;
    cfg.delegate.merge_remote_state = on_merge;
    cfg.delegate.local_state = on_local_state;
    a.net = swim_net_new(a.loop, &bind, &cfg);
    if (!a.net)
        return 1;
    a.swim = swim_net_swim(a.net);
    a.started = loop_now_ms();
    struct swim_addr bound = swim_net_bound(a.net);
    char bb[64];
    log_info("agent", "%s listening on %s (udp+tcp)%s", name, swim_addr_str(&bound, bb, sizeof(bb)),
             cfg.keyring ? ", encrypted" : "");
    write_members_file(&a);
    loop_add_fd(a.loop, sfd, EPOLLIN, on_signal, &a);
    a.stdin_open = loop_add_fd(a.loop, 0, EPOLLIN, on_stdin, &a) == 0;
    if (a.n_seeds)
        join_retry(&a);
    loop_timer_add(a.loop, 1000, periodic_file, &a);

    loop_run(a.loop);

    swim_net_free(a.net);
    loop_free(a.loop);
    swim_keyring_clear(&a.kr);
    close(sfd);
    return 0;
}
