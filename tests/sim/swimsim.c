/* swimsim.c — cluster scenarios on the deterministic simulator, used as meson tests (exit status
 * says pass/fail) and by bench/swim.sh (key=value lines on stdout):
 *   join N       N nodes join one by one; time until every node sees N alive
 *   crash N      after convergence one node is killed; time until all others see it failed,
 *                checked against memberlist's suspicion formula
 *   loss N P M   P% UDP loss for M simulated minutes: false failure count must be 0
 *   partition N  half/half partition for 60 s, then healed: must converge back to one view
 *   broadcast N  one user broadcast: gossip rounds until all N nodes have it (O(log N))
 *   leave N      a graceful leave is seen as left by everyone
 *   bench N      join, crash, bytes per node per second in steady state
 * Options: --seed S, --key (encrypt with a fixed AES-128 key), --latency MS. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simnet.h"

struct obs {
    size_t n;
    uint64_t false_fail; /* fail events about nodes that were never crashed */
    uint64_t false_susp; /* suspect events about live nodes */
    const char *watch;   /* name whose events are timed */
    size_t watch_fail;   /* how many nodes saw it fail */
    uint64_t first_suspect_t;
    uint64_t last_fail_t;
    size_t got_user;
    uint64_t last_user_t;
    uint8_t *has_user;
    struct simnet *net;
    const uint8_t *crashed; /* by index, may be NULL */
};

static long name_index(const char *name)
{
    if (strncmp(name, "node-", 5) != 0)
        return -1;
    return strtol(name + 5, NULL, 10);
}

static void on_event(void *ctx, size_t node, enum swim_event ev, const struct swim_member *m)
{
    struct obs *o = ctx;
    (void)node;
    long idx = name_index(m->name);
    bool is_crashed = idx >= 0 && simnet_crashed(o->net, (size_t)idx);
    if (ev == SWIM_EV_FAIL && !is_crashed)
        o->false_fail++;
    if (ev == SWIM_EV_SUSPECT && !is_crashed)
        o->false_susp++;
    if (o->watch && strcmp(m->name, o->watch) == 0) {
        if (ev == SWIM_EV_SUSPECT && !o->first_suspect_t)
            o->first_suspect_t = simnet_now(o->net);
        if (ev == SWIM_EV_FAIL) {
            o->watch_fail++;
            o->last_fail_t = simnet_now(o->net);
        }
    }
}

static void on_user(void *ctx, size_t node, const uint8_t *msg, size_t len)
{
    struct obs *o = ctx;
    if (o->has_user && !o->has_user[node]) {
        /* epidemic: like serf, the application re-broadcasts what it sees first */
        swim_broadcast(simnet_swim(o->net, node), "hello", msg, len);
        o->has_user[node] = 1;
        o->got_user++;
        o->last_user_t = simnet_now(o->net);
    }
}

static uint64_t opt_seed = 1;
static bool opt_key;
static uint32_t opt_latency = 1;

static struct simnet *make_net(struct obs *o, double loss)
{
    static const uint8_t key[16] = {0x5f, 0x2c, 0x11, 0x8a, 0x03, 0x9d, 0x44, 0xe1,
                                    0x70, 0x26, 0xbb, 0x19, 0xc4, 0x58, 0x6e, 0x02};
    struct simnet_opts so = {.seed = opt_seed,
                             .latency_ms = opt_latency,
                             .jitter_ms = opt_latency + 1,
                             .loss = loss,
                             .key = opt_key ? key : NULL,
                             .key_len = sizeof(key)};
    struct simnet *net = simnet_new(&so);
    if (!net) {
        fprintf(stderr, "simnet_new failed\n");
        exit(2);
    }
    o->net = net;
    simnet_on_event(net, on_event, o);
    simnet_on_user(net, on_user, o);
    return net;
}

/* Adds n nodes, each joining through a random earlier one every `spacing` ms; then runs until
 * converged or the limit. Returns ms from the last join to convergence, or -1. */
static long grow(struct simnet *net, size_t n, uint64_t spacing, uint64_t limit_ms)
{
    uint64_t rng = opt_seed * 7919 + 17;
    for (size_t i = 0; i < n; i++) {
        if (simnet_add(net, NULL) < 0)
            return -1;
        if (i > 0) {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            simnet_join(net, i, (size_t)((rng >> 33) % i));
        }
        simnet_run_until(net, simnet_now(net) + spacing);
    }
    uint64_t start = simnet_now(net);
    while (simnet_now(net) - start < limit_ms) {
        if (simnet_converged(net, n))
            return (long)(simnet_now(net) - start);
        simnet_run_until(net, simnet_now(net) + 100);
    }
    return -1;
}

static double wall_s(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Time for a fresh node to be known alive by everyone, in an already converged cluster. */
static long join_one(struct simnet *net, struct obs *o, size_t *n)
{
    (void)o;
    long idx = simnet_add(net, NULL);
    if (idx < 0)
        return -1;
    simnet_join(net, (size_t)idx, 0);
    (*n)++;
    uint64_t start = simnet_now(net);
    const char *name = simnet_name(net, (size_t)idx);
    while (simnet_now(net) - start < 120000) {
        if (simnet_count_seeing(net, name, SWIM_ALIVE) == *n)
            return (long)(simnet_now(net) - start);
        simnet_run_until(net, simnet_now(net) + 10);
    }
    return -1;
}

/* Kills node `victim`; returns ms until all live nodes see it failed, or -1. */
static long crash_one(struct simnet *net, struct obs *o, size_t n, size_t victim, uint64_t limit_ms)
{
    o->watch = simnet_name(net, victim);
    o->watch_fail = 0;
    o->first_suspect_t = 0;
    simnet_crash(net, victim);
    uint64_t start = simnet_now(net);
    while (simnet_now(net) - start < limit_ms) {
        if (simnet_count_seeing(net, o->watch, SWIM_DEAD) == n - 1)
            return (long)(simnet_now(net) - start);
        simnet_run_until(net, simnet_now(net) + 10);
    }
    return -1;
}

static int scen_join(size_t n)
{
    struct obs o = {.n = n};
    struct simnet *net = make_net(&o, 0);
    long t = grow(net, n, 50, 120000);
    printf("scenario=join n=%zu converged_ms=%ld false_failures=%llu\n", n, t,
           (unsigned long long)o.false_fail);
    int ok = t >= 0 && o.false_fail == 0;
    if (ok) {
        size_t nn = n;
        long tj = join_one(net, &o, &nn);
        printf("join_known_to_all_ms=%ld\n", tj);
        ok = tj >= 0;
    }
    simnet_free(net);
    return ok ? 0 : 1;
}

static int scen_crash(size_t n)
{
    struct obs o = {.n = n};
    struct simnet *net = make_net(&o, 0);
    if (grow(net, n, 50, 120000) < 0) {
        printf("scenario=crash n=%zu error=no-convergence\n", n);
        return 1;
    }
    simnet_run_until(net, simnet_now(net) + 5000);
    uint64_t t0 = simnet_now(net);
    long t = crash_one(net, &o, n, n / 2, 300000);
    struct swim_config c;
    swim_config_default(&c);
    double scale = fmax(1.0, log10((double)n));
    double min_s = c.suspicion_mult * scale * c.probe_interval_ms / 1000.0;
    double max_s = c.suspicion_max_timeout_mult * min_s;
    double detect_s = o.first_suspect_t ? (double)(o.first_suspect_t - t0) / 1000.0 : -1;
    double suspect_to_all = (t >= 0 && o.first_suspect_t)
                                ? (double)(t0 + (uint64_t)t - o.first_suspect_t) / 1000.0
                                : -1;
    /* memberlist: suspicion lasts between min (k confirmations) and max (none); then the dead
     * message spreads by gossip in a few rounds. Allow 3 s of spreading beyond the max. */
    double bound = max_s + 3.0;
    printf("scenario=crash n=%zu crash_known_to_all_ms=%ld first_suspect_s=%.2f "
           "suspect_to_all_dead_s=%.2f suspicion_min_s=%.1f suspicion_max_s=%.1f "
           "false_failures=%llu\n",
           n, t, detect_s, suspect_to_all, min_s, max_s, (unsigned long long)o.false_fail);
    int ok =
        t >= 0 && suspect_to_all >= min_s - 0.01 && suspect_to_all <= bound && o.false_fail == 0;
    simnet_free(net);
    return ok ? 0 : 1;
}

static int scen_loss(size_t n, double pct, double minutes)
{
    struct obs o = {.n = n};
    struct simnet *net = make_net(&o, 0);
    if (grow(net, n, 50, 120000) < 0) {
        printf("scenario=loss error=no-convergence\n");
        return 1;
    }
    o.false_fail = o.false_susp = 0;
    simnet_set_loss(net, pct / 100.0);
    simnet_run_until(net, simnet_now(net) + (uint64_t)(minutes * 60000));
    simnet_set_loss(net, 0);
    bool conv = false;
    for (int i = 0; i < 600 && !conv; i++) {
        simnet_run_until(net, simnet_now(net) + 100);
        conv = simnet_converged(net, n);
    }
    printf("scenario=loss n=%zu loss_pct=%.0f minutes=%.0f false_failures=%llu "
           "false_suspicions=%llu converged=%d\n",
           n, pct, minutes, (unsigned long long)o.false_fail, (unsigned long long)o.false_susp,
           conv);
    simnet_free(net);
    return (o.false_fail == 0 && conv) ? 0 : 1;
}

static int scen_partition(size_t n)
{
    struct obs o = {.n = n};
    struct simnet *net = make_net(&o, 0);
    if (grow(net, n, 50, 120000) < 0) {
        printf("scenario=partition error=no-convergence\n");
        return 1;
    }
    uint8_t *group = calloc(n, 1);
    for (size_t i = n / 2; i < n; i++)
        group[i] = 1;
    simnet_partition(net, group);
    simnet_run_until(net, simnet_now(net) + 60000);
    /* how many nodes of the first half consider the last node gone (failed or reaped) */
    size_t seen_dead = 0;
    for (size_t i = 0; i < n / 2; i++) {
        struct swim_member m;
        if (!swim_get_member(simnet_swim(net, i), simnet_name(net, n - 1), &m) ||
            m.state == SWIM_DEAD)
            seen_dead++;
    }
    simnet_partition(net, NULL);
    uint64_t healed = simnet_now(net);
    long t = -1;
    while (simnet_now(net) - healed < 300000) {
        if (simnet_converged(net, n)) {
            t = (long)(simnet_now(net) - healed);
            break;
        }
        simnet_run_until(net, simnet_now(net) + 100);
    }
    printf("scenario=partition n=%zu partition_s=60 other_side_failed_by=%zu "
           "heal_to_one_view_ms=%ld\n",
           n, seen_dead, t);
    free(group);
    simnet_free(net);
    return (t >= 0 && seen_dead == n / 2) ? 0 : 1;
}

static int scen_broadcast(size_t n)
{
    struct obs o = {.n = n};
    struct timespec w0;
    clock_gettime(CLOCK_MONOTONIC, &w0);
    struct simnet *net = make_net(&o, 0);
    long conv = grow(net, n, 20, 300000);
    if (conv < 0) {
        printf("scenario=broadcast n=%zu error=no-convergence\n", n);
        return 1;
    }
    simnet_run_until(net, simnet_now(net) + 10000);
    o.has_user = calloc(n, 1);
    o.has_user[0] = 1;
    o.got_user = 1;
    const uint8_t msg[] = "\x7fhello-cluster";
    uint64_t t0 = simnet_now(net);
    swim_broadcast(simnet_swim(net, 0), "hello", msg, sizeof(msg) - 1);
    while (o.got_user < n && simnet_now(net) - t0 < 60000)
        simnet_run_until(net, simnet_now(net) + 10);
    struct swim_config c;
    swim_config_default(&c);
    double rounds = (double)(o.last_user_t - t0) / c.gossip_interval_ms;
    printf("scenario=broadcast n=%zu reached=%zu ms=%llu gossip_rounds=%.1f log2_n=%.1f "
           "wall_s=%.1f\n",
           n, o.got_user, (unsigned long long)(o.last_user_t - t0), rounds, log2((double)n),
           wall_s(&w0));
    /* O(log N): with fan-out 3 the spread needs about log_3(N) rounds; allow 3x. */
    int ok = o.got_user == n && rounds <= 3.0 * log2((double)n);
    free(o.has_user);
    simnet_free(net);
    return ok ? 0 : 1;
}

static int scen_leave(size_t n)
{
    struct obs o = {.n = n};
    struct simnet *net = make_net(&o, 0);
    if (grow(net, n, 50, 120000) < 0)
        return 1;
    simnet_leave(net, 1);
    uint64_t t0 = simnet_now(net);
    long t = -1;
    while (simnet_now(net) - t0 < 60000) {
        if (simnet_count_seeing(net, simnet_name(net, 1), SWIM_LEFT) == n - 1) {
            t = (long)(simnet_now(net) - t0);
            break;
        }
        simnet_run_until(net, simnet_now(net) + 10);
    }
    printf("scenario=leave n=%zu leave_known_to_all_ms=%ld false_failures=%llu\n", n, t,
           (unsigned long long)o.false_fail);
    simnet_free(net);
    return (t >= 0 && o.false_fail == 0) ? 0 : 1;
}

/* One row of the benchmark table. */
static int scen_bench(size_t n, double steady_s)
{
    struct obs o = {.n = n};
    struct timespec w0;
    clock_gettime(CLOCK_MONOTONIC, &w0);
    struct simnet *net = make_net(&o, 0);
    long conv = grow(net, n, 20, 600000);
    if (conv < 0) {
        printf("n=%zu error=no-convergence\n", n);
        return 1;
    }
    simnet_run_until(net, simnet_now(net) + 30000);
    /* steady-state traffic */
    uint64_t b0 = 0, p0 = 0, pp0 = 0;
    for (size_t i = 0; i < n; i++) {
        struct swim_metrics m;
        swim_get_metrics(simnet_swim(net, i), &m);
        b0 += simnet_bytes_sent(net, i);
        p0 += simnet_packets_sent(net, i);
        pp0 += m.streams_out;
    }
    uint64_t t0 = simnet_now(net);
    simnet_run_until(net, t0 + (uint64_t)(steady_s * 1000));
    uint64_t b1 = 0, p1 = 0, pp1 = 0;
    for (size_t i = 0; i < n; i++) {
        struct swim_metrics m;
        swim_get_metrics(simnet_swim(net, i), &m);
        b1 += simnet_bytes_sent(net, i);
        p1 += simnet_packets_sent(net, i);
        pp1 += m.streams_out;
    }
    double streams_pm = (double)(pp1 - pp0) / (double)n / steady_s * 60.0;
    double bps = (double)(b1 - b0) / (double)n / steady_s;
    double pps = (double)(p1 - p0) / (double)n / steady_s;
    size_t nn = n;
    long tj = join_one(net, &o, &nn);
    simnet_run_until(net, simnet_now(net) + 5000);
    long tc = crash_one(net, &o, nn, nn / 3, 600000);
    printf("n=%zu join_known_to_all_ms=%ld crash_known_to_all_ms=%ld bytes_per_node_s=%.0f "
           "packets_per_node_s=%.2f streams_per_node_min=%.2f false_failures=%llu sim_s=%.0f "
           "wall_s=%.1f\n",
           n, tj, tc, bps, pps, streams_pm, (unsigned long long)o.false_fail,
           (double)simnet_now(net) / 1000.0, wall_s(&w0));
    simnet_free(net);
    return (tj >= 0 && tc >= 0) ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *pos[4] = {0};
    int np = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            opt_seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--key") == 0)
            opt_key = true;
        else if (strcmp(argv[i], "--latency") == 0 && i + 1 < argc)
            opt_latency = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (np < 4)
            pos[np++] = argv[i];
    }
    if (np < 2) {
        fprintf(stderr, "usage: swimsim join|crash|loss|partition|broadcast|leave|bench N "
                        "[args] [--seed S] [--key] [--latency MS]\n");
        return 2;
    }
    size_t n = strtoul(pos[1], NULL, 10);
    if (n < 2 || n > 60000)
        return 2;
    if (strcmp(pos[0], "join") == 0)
        return scen_join(n);
    if (strcmp(pos[0], "crash") == 0)
        return scen_crash(n);
    if (strcmp(pos[0], "loss") == 0)
        return scen_loss(n, pos[2] ? atof(pos[2]) : 10, pos[3] ? atof(pos[3]) : 10);
    if (strcmp(pos[0], "partition") == 0)
        return scen_partition(n);
    if (strcmp(pos[0], "broadcast") == 0)
        return scen_broadcast(n);
    if (strcmp(pos[0], "leave") == 0)
        return scen_leave(n);
    if (strcmp(pos[0], "bench") == 0)
        return scen_bench(n, pos[2] ? atof(pos[2]) : 60);
    return 2;
}
