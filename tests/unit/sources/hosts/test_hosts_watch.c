/* test_hosts_watch.c — the hosts-directory watcher on a real event loop in a temporary directory:
 * initial load, ignored files, create / modify / delete / rename in and out / editor-style
 * replace, symlinks, a missing directory appearing, the directory removed and recreated, a
 * symlinked directory (or a symlink earlier in its path, or inside a link's target) swapped for
 * another, and the reload latency (median under the 100 ms the source promises, measured over 20
 * changes). Every wait polls with a deadline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/loop.h"
#include "sources/hosts.h"

#define DEADLINE_MS 3000

struct env {
    char base[256]; /* mkdtemp */
    char dir[300];  /* the watched directory */
    struct loop *loop;
    struct records *t;
    struct hosts_source *h;
};

/* ---- helpers ---- */

/* Whether name currently resolves to exactly the given address (NULL: name absent). */
static bool resolves_to(struct records *t, const char *name, const char *addr)
{
    uint8_t w[REC_WIRE_MAX + 1];
    size_t wl = records_name_to_wire(name, w);
    struct rec_addr a = {0};
    if (addr)
        assert_true(records_parse_addr(addr, &a));
    bool ok;
    records_read_lock();
    const struct rec_rrset *rr = records_lookup(records_snapshot(t), w, wl);
    if (!addr) {
        ok = rr == NULL || (rr->n_a == 0 && rr->n_aaaa == 0);
    } else if (!rr) {
        ok = false;
    } else if (a.type == REC_A) {
        ok = rr->n_a == 1 && rr->n_aaaa == 0 && memcmp(rr->a[0], a.bytes, 4) == 0;
    } else {
        ok = rr->n_aaaa == 1 && rr->n_a == 0 && memcmp(rr->aaaa[0], a.bytes, 16) == 0;
    }
    records_read_unlock();
    return ok;
}

struct wait {
    struct env *e;
    const char *name, *addr;
    uint64_t deadline;
    bool met;
};

static void check_tick(void *ctx)
{
    struct wait *w = ctx;
    if (resolves_to(w->e->t, w->name, w->addr)) {
        w->met = true;
        loop_stop(w->e->loop);
        return;
    }
    if (loop_now_ms() >= w->deadline) {
        loop_stop(w->e->loop);
        return;
    }
    assert_non_null(loop_timer_add(w->e->loop, 1, check_tick, w));
}

/* Runs the loop until name resolves to addr (NULL: does not resolve); returns the elapsed ms, or
 * fails the test after the deadline. */
static uint64_t run_until(struct env *e, const char *name, const char *addr)
{
    uint64_t t0 = loop_now_ms();
    struct wait w = {e, name, addr, t0 + DEADLINE_MS, false};
    if (!resolves_to(e->t, name, addr)) {
        assert_non_null(loop_timer_add(e->loop, 0, check_tick, &w));
        loop_run(e->loop);
        if (!w.met)
            fail_msg("%s did not become %s within %d ms", name, addr ? addr : "absent",
                     DEADLINE_MS);
    }
    return loop_now_ms() - t0;
}

static void on_later(void *ctx)
{
    loop_stop(ctx);
}

/* Runs the loop for ms (to show that something does NOT happen). */
static void run_for(struct env *e, uint64_t ms)
{
    assert_non_null(loop_timer_add(e->loop, ms, on_later, e->loop));
    loop_run(e->loop);
}

struct feed {
    int n;
    enum rec_op ops[8];
    char sources[8][REC_SOURCE_MAX + 1];
};

static void on_delta(const struct rec_delta *d, void *ctx)
{
    struct feed *f = ctx;
    if (f->n < 8) {
        f->ops[f->n] = d->op;
        snprintf(f->sources[f->n], sizeof f->sources[0], "%s", d->source);
    }
    f->n++;
}

struct feed_wait {
    struct env *e;
    struct feed *f;
    int want;
    uint64_t deadline;
};

static void feed_tick(void *ctx)
{
    struct feed_wait *w = ctx;
    if (w->f->n >= w->want || loop_now_ms() >= w->deadline) {
        loop_stop(w->e->loop);
        return;
    }
    assert_non_null(loop_timer_add(w->e->loop, 1, feed_tick, w));
}

/* Runs the loop until the change feed holds at least want deltas (fails after the deadline). */
static void run_until_feed(struct env *e, struct feed *f, int want)
{
    struct feed_wait w = {e, f, want, loop_now_ms() + DEADLINE_MS};
    assert_non_null(loop_timer_add(e->loop, 0, feed_tick, &w));
    loop_run(e->loop);
    if (f->n < want)
        fail_msg("only %d of %d changes within %d ms", f->n, want, DEADLINE_MS);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    assert_true(snprintf(path, sizeof path, "%s/%s", dir, name) < (int)sizeof path);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void path_of(const struct env *e, const char *name, char out[512])
{
    assert_true(snprintf(out, 512, "%s/%s", e->dir, name) < 512);
}

static void rm_rf(const char *path)
{
    char cmd[600];
    assert_true(snprintf(cmd, sizeof cmd, "rm -rf '%s'", path) < (int)sizeof cmd);
    assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof *e);
    assert_non_null(e);
    snprintf(e->base, sizeof e->base, "%s/jr-hosts-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(e->base));
    snprintf(e->dir, sizeof e->dir, "%s/hosts", e->base);
    e->loop = loop_new();
    assert_non_null(e->loop);
    records_reader_register();
    e->t = records_new("node-a", 1);
    assert_non_null(e->t);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    hosts_source_stop(e->h);
    records_free(e->t);
    records_reader_unregister();
    loop_free(e->loop);
    rm_rf(e->base);
    free(e);
    return 0;
}

static void start(struct env *e)
{
    e->h = hosts_source_start(e->loop, e->dir, e->t);
    assert_non_null(e->h);
}

struct sources {
    int n;
    char names[4][600];
};

static void on_source(const char *source, size_t n, void *ctx)
{
    struct sources *s = ctx;
    (void)n;
    if (s->n < 4)
        snprintf(s->names[s->n], sizeof s->names[0], "%s", source);
    s->n++;
}

/* ---- tests ---- */

static void test_initial_load_and_ignored_files(void **state)
{
    struct env *e = *state;
    assert_int_equal(mkdir(e->dir, 0755), 0);
    write_file(e->dir, "lab", "10.0.0.1 one.lab\nfd00::2 two.lab\nbad line here\n");
    write_file(e->dir, "more", "10.0.0.3 three.lab # comment\n");
    write_file(e->dir, ".hidden", "10.0.0.9 hidden.lab\n");
    write_file(e->dir, "lab.swp", "10.0.0.9 swp.lab\n");
    write_file(e->dir, "lab~", "10.0.0.9 backup.lab\n");
    char sub[512];
    path_of(e, "subdir", sub);
    assert_int_equal(mkdir(sub, 0755), 0);
    write_file(sub, "inner", "10.0.0.9 inner.lab\n");
    char fifo[512];
    path_of(e, "fifo", fifo);
    assert_int_equal(mkfifo(fifo, 0644), 0); /* never opened: reading it would block */
    start(e);
    /* Loaded synchronously by start. */
    assert_true(resolves_to(e->t, "one.lab", "10.0.0.1"));
    assert_true(resolves_to(e->t, "two.lab", "fd00::2"));
    assert_true(resolves_to(e->t, "three.lab", "10.0.0.3"));
    assert_true(resolves_to(e->t, "hidden.lab", NULL));
    assert_true(resolves_to(e->t, "swp.lab", NULL));
    assert_true(resolves_to(e->t, "backup.lab", NULL));
    assert_true(resolves_to(e->t, "inner.lab", NULL));
    struct hosts_status st;
    hosts_source_get_status(e->h, &st);
    assert_true(st.enabled);
    assert_true(st.running);
    assert_int_equal(st.files, 2);
    assert_int_equal(st.records_count, 3);
    assert_string_equal(st.directory, e->dir);
    /* Sources are named after the file. */
    struct sources s = {0};
    records_foreach_source(e->t, "hosts:", on_source, &s);
    assert_int_equal(s.n, 2);
    char want[600];
    snprintf(want, sizeof want, "hosts:%s/lab", e->dir);
    assert_true(strcmp(s.names[0], want) == 0 || strcmp(s.names[1], want) == 0);
    /* Dotfiles written later are ignored too. */
    write_file(e->dir, ".later", "10.0.0.9 later.lab\n");
    write_file(e->dir, "marker", "10.0.0.10 marker.lab\n");
    run_until(e, "marker.lab", "10.0.0.10");
    assert_true(resolves_to(e->t, "later.lab", NULL));
}

static void test_create_modify_delete(void **state)
{
    struct env *e = *state;
    assert_int_equal(mkdir(e->dir, 0755), 0);
    start(e);
    write_file(e->dir, "a", "10.1.0.1 web.test\n");
    run_until(e, "web.test", "10.1.0.1");
    write_file(e->dir, "a", "10.1.0.2 web.test\n");
    run_until(e, "web.test", "10.1.0.2");
    /* Same size, rewritten immediately: still picked up (events name the file). */
    write_file(e->dir, "a", "10.1.0.3 web.test\n");
    run_until(e, "web.test", "10.1.0.3");
    char p[512];
    path_of(e, "a", p);
    assert_int_equal(unlink(p), 0);
    run_until(e, "web.test", NULL);
    struct hosts_status st;
    hosts_source_get_status(e->h, &st);
    assert_int_equal(st.files, 0);
    assert_int_equal(st.records_count, 0);
    assert_true(st.reloads >= 4);
}

static void test_rename_in_out_and_editor_replace(void **state)
{
    struct env *e = *state;
    assert_int_equal(mkdir(e->dir, 0755), 0);
    start(e);
    /* Written elsewhere (outside), moved in. */
    char outside[512], inside[512], tmp[512];
    snprintf(outside, sizeof outside, "%s/staged", e->base);
    write_file(e->base, "staged", "10.2.0.1 moved.test\n");
    path_of(e, "moved", inside);
    assert_int_equal(rename(outside, inside), 0);
    run_until(e, "moved.test", "10.2.0.1");
    /* Editor style: write a hidden temp file, rename it over the original. */
    write_file(e->dir, ".moved.tmp", "10.2.0.2 moved.test\n10.2.0.3 extra.test\n");
    path_of(e, ".moved.tmp", tmp);
    assert_int_equal(rename(tmp, inside), 0);
    run_until(e, "extra.test", "10.2.0.3");
    assert_true(resolves_to(e->t, "moved.test", "10.2.0.2"));
    /* vim style: rename the original to a backup~, write a new file. */
    char backup[512];
    path_of(e, "moved~", backup);
    assert_int_equal(rename(inside, backup), 0);
    write_file(e->dir, "moved", "10.2.0.4 moved.test\n");
    assert_int_equal(unlink(backup), 0);
    run_until(e, "moved.test", "10.2.0.4");
    assert_true(resolves_to(e->t, "extra.test", NULL));
    /* Renamed within the directory: the new source comes before the old one goes, so the name
     * never stops resolving (the table's change feed shows the order). */
    struct feed feed = {0};
    records_set_observer(e->t, on_delta, &feed);
    char renamed[512];
    path_of(e, "renamed", renamed);
    assert_int_equal(rename(inside, renamed), 0);
    run_until_feed(e, &feed, 2);
    records_set_observer(e->t, NULL, NULL);
    assert_int_equal(feed.ops[0], REC_OP_ADD);
    assert_int_equal(feed.ops[1], REC_OP_DEL);
    assert_true(strstr(feed.sources[0], "/renamed") != NULL);
    assert_true(resolves_to(e->t, "moved.test", "10.2.0.4"));
    struct hosts_status st;
    hosts_source_get_status(e->h, &st);
    assert_int_equal(st.files, 1);
    /* Renamed to a dotfile: gone. Moved out of the directory: gone. */
    char hidden[512];
    path_of(e, ".renamed", hidden);
    assert_int_equal(rename(renamed, hidden), 0);
    run_until(e, "moved.test", NULL);
    assert_int_equal(rename(hidden, renamed), 0);
    run_until(e, "moved.test", "10.2.0.4");
    assert_int_equal(rename(renamed, outside), 0);
    run_until(e, "moved.test", NULL);
}

static void test_symlink_and_hardlink(void **state)
{
    struct env *e = *state;
    assert_int_equal(mkdir(e->dir, 0755), 0);
    start(e);
    write_file(e->base, "target", "10.3.0.1 linked.test\n");
    char target[512], lnk[512];
    snprintf(target, sizeof target, "%s/target", e->base);
    path_of(e, "link", lnk);
    assert_int_equal(symlink(target, lnk), 0);
    run_until(e, "linked.test", "10.3.0.1");
    write_file(e->base, "target2", "10.3.0.2 hard.test\n");
    snprintf(target, sizeof target, "%s/target2", e->base);
    path_of(e, "hard", lnk);
    assert_int_equal(link(target, lnk), 0);
    run_until(e, "hard.test", "10.3.0.2");
}

static void test_missing_directory_appears(void **state)
{
    struct env *e = *state;
    /* Two levels missing. */
    snprintf(e->dir, sizeof e->dir, "%s/not/yet", e->base);
    start(e);
    struct hosts_status st;
    hosts_source_get_status(e->h, &st);
    assert_true(st.enabled);
    assert_false(st.running);
    char mid[512];
    snprintf(mid, sizeof mid, "%s/not", e->base);
    run_for(e, 30);
    assert_int_equal(mkdir(mid, 0755), 0);
    run_for(e, 30);
    assert_int_equal(mkdir(e->dir, 0755), 0);
    write_file(e->dir, "late", "10.4.0.1 late.test\n");
    uint64_t ms = run_until(e, "late.test", "10.4.0.1");
    print_message("missing directory picked up %llu ms after it appeared\n",
                  (unsigned long long)ms);
    hosts_source_get_status(e->h, &st);
    assert_true(st.running);
    assert_int_equal(st.files, 1);
}

static void test_directory_removed_and_recreated(void **state)
{
    struct env *e = *state;
    assert_int_equal(mkdir(e->dir, 0755), 0);
    write_file(e->dir, "f", "10.5.0.1 gone.test\n");
    start(e);
    assert_true(resolves_to(e->t, "gone.test", "10.5.0.1"));
    /* Moved away: its records are withdrawn. */
    char away[512];
    snprintf(away, sizeof away, "%s/away", e->base);
    assert_int_equal(rename(e->dir, away), 0);
    run_until(e, "gone.test", NULL);
    struct hosts_status st;
    hosts_source_get_status(e->h, &st);
    assert_false(st.running);
    /* Back again. */
    assert_int_equal(rename(away, e->dir), 0);
    run_until(e, "gone.test", "10.5.0.1");
    /* Deleted outright, then recreated with other content. */
    rm_rf(e->dir);
    run_until(e, "gone.test", NULL);
    assert_int_equal(mkdir(e->dir, 0755), 0);
    write_file(e->dir, "g", "10.5.0.2 back.test\n");
    run_until(e, "back.test", "10.5.0.2");
    hosts_source_get_status(e->h, &st);
    assert_true(st.running);
}

struct swap_watch {
    struct env *e;
    uint64_t deadline;
    int ticks, vanished;
    bool done;
};

static void swap_tick(void *ctx)
{
    struct swap_watch *w = ctx;
    w->ticks++;
    if (!resolves_to(w->e->t, "swap.test", "10.7.0.1") &&
        !resolves_to(w->e->t, "swap.test", "10.7.0.2"))
        w->vanished++;
    if (resolves_to(w->e->t, "swap.test", "10.7.0.2") &&
        resolves_to(w->e->t, "only-new.test", "10.7.0.3")) {
        w->done = true;
        loop_stop(w->e->loop);
        return;
    }
    if (loop_now_ms() >= w->deadline) {
        loop_stop(w->e->loop);
        return;
    }
    assert_non_null(loop_timer_add(w->e->loop, 1, swap_tick, w));
}

/* The directory replaced by another one at once (mv new dir): reconciled file by file; a name
 * in both never stops resolving (checked between every two loop events). */
static void test_directory_swapped(void **state)
{
    struct env *e = *state;
    assert_int_equal(mkdir(e->dir, 0755), 0);
    write_file(e->dir, "f", "10.7.0.1 swap.test\n10.7.0.4 only-old.test\n");
    start(e);
    char fresh[512], old[512];
    snprintf(fresh, sizeof fresh, "%s/fresh", e->base);
    snprintf(old, sizeof old, "%s/old", e->base);
    assert_int_equal(mkdir(fresh, 0755), 0);
    write_file(fresh, "f", "10.7.0.2 swap.test\n");
    write_file(fresh, "g", "10.7.0.3 only-new.test\n");
    assert_int_equal(rename(e->dir, old), 0);
    assert_int_equal(rename(fresh, e->dir), 0);
    struct swap_watch w = {e, loop_now_ms() + DEADLINE_MS, 0, 0, false};
    assert_non_null(loop_timer_add(e->loop, 0, swap_tick, &w));
    loop_run(e->loop);
    assert_true(w.done);
    assert_true(w.ticks > 1);
    assert_int_equal(w.vanished, 0);
    assert_true(resolves_to(e->t, "only-old.test", NULL));
    struct hosts_status st;
    hosts_source_get_status(e->h, &st);
    assert_true(st.running);
    assert_int_equal(st.files, 2);
}

/* Points link at target atomically: a new link beside it, renamed over it
 * (what `ln -s target tmp && mv -T tmp link` does). */
static void swap_link(const char *target, const char *link)
{
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s.tmp", link);
    assert_int_equal(symlink(target, tmp), 0);
    assert_int_equal(rename(tmp, link), 0);
}

struct both_watch {
    struct env *e;
    const char *name, *addr;   /* in both targets: must never vanish */
    const char *done, *done_a; /* only in the new one: the swap is complete */
    uint64_t deadline;
    int ticks, vanished;
    bool met;
};

static void both_tick(void *ctx)
{
    struct both_watch *w = ctx;
    w->ticks++;
    if (!resolves_to(w->e->t, w->name, w->addr))
        w->vanished++;
    if (resolves_to(w->e->t, w->done, w->done_a) || loop_now_ms() >= w->deadline) {
        w->met = resolves_to(w->e->t, w->done, w->done_a);
        loop_stop(w->e->loop);
        return;
    }
    assert_non_null(loop_timer_add(w->e->loop, 1, both_tick, w));
}

/* The hosts directory is a symlink swapped for another (a release switch): the new target is
 * watched and reconciled file by file (a name in both never stops resolving, checked between
 * every two loop events), the old one no longer; then the link is deleted (names withdrawn) and
 * made again. */
static void test_symlinked_directory_swapped(void **state)
{
    struct env *e = *state;
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/hA", e->base);
    snprintf(b, sizeof b, "%s/hB", e->base);
    assert_int_equal(mkdir(a, 0755), 0);
    assert_int_equal(mkdir(b, 0755), 0);
    write_file(a, "f", "10.8.0.1 both.test\n10.8.0.2 old.test\n");
    write_file(b, "f", "10.8.0.1 both.test\n10.8.0.3 new.test\n");
    assert_int_equal(symlink("hA", e->dir), 0);
    start(e);
    assert_true(resolves_to(e->t, "old.test", "10.8.0.2"));
    swap_link("hB", e->dir);
    struct both_watch w = {e,          "both.test", "10.8.0.1",
                           "new.test", "10.8.0.3",  loop_now_ms() + DEADLINE_MS,
                           0,          0,           false};
    assert_non_null(loop_timer_add(e->loop, 0, both_tick, &w));
    uint64_t t0 = loop_now_ms();
    loop_run(e->loop);
    assert_true(w.met);
    print_message("symlinked directory swap picked up in %llu ms\n",
                  (unsigned long long)(loop_now_ms() - t0));
    assert_true(w.ticks > 1);
    assert_int_equal(w.vanished, 0);
    run_until(e, "old.test", NULL);
    /* Changes in the new target are followed, in the old one no longer. */
    write_file(a, "g", "10.8.0.4 stale.test\n");
    write_file(b, "g", "10.8.0.5 fresh.test\n");
    run_until(e, "fresh.test", "10.8.0.5");
    run_for(e, 50);
    assert_true(resolves_to(e->t, "stale.test", NULL));
    /* The link deleted, then made again. */
    assert_int_equal(unlink(e->dir), 0);
    run_until(e, "both.test", NULL);
    struct hosts_status st;
    hosts_source_get_status(e->h, &st);
    assert_false(st.running);
    assert_int_equal(st.files, 0);
    assert_int_equal(symlink("hA", e->dir), 0);
    run_until(e, "stale.test", "10.8.0.4");
    hosts_source_get_status(e->h, &st);
    assert_true(st.running);
    assert_int_equal(st.files, 2);
}

/* A symlink earlier in the path (HOSTS_DIRECTORY=current/hosts, `current` switched between
 * releases) is followed too. */
static void test_symlink_in_path_swapped(void **state)
{
    struct env *e = *state;
    char r1[512], r2[512], cur[512];
    snprintf(r1, sizeof r1, "%s/r1", e->base);
    snprintf(r2, sizeof r2, "%s/r2", e->base);
    snprintf(cur, sizeof cur, "%s/current", e->base);
    for (int i = 0; i < 2; i++) {
        char d[600];
        snprintf(d, sizeof d, "%s/hosts", i ? r2 : r1);
        assert_int_equal(mkdir(i ? r2 : r1, 0755), 0);
        assert_int_equal(mkdir(d, 0755), 0);
        write_file(d, "f", i ? "10.9.0.2 rel.test\n" : "10.9.0.1 rel.test\n");
    }
    assert_int_equal(symlink("r1", cur), 0);
    snprintf(e->dir, sizeof e->dir, "%s/current/hosts", e->base);
    start(e);
    assert_true(resolves_to(e->t, "rel.test", "10.9.0.1"));
    swap_link("r2", cur);
    run_until(e, "rel.test", "10.9.0.2");
    swap_link("r1", cur);
    run_until(e, "rel.test", "10.9.0.1");
}

/* A link to a path that holds a link of its own (etc/hosts -> ../srv/current/hosts, with
 * srv/current -> r1): switching the inner link is followed; and a link whose target, elsewhere,
 * does not exist yet is picked up when the target appears (by its name, long before the backoff
 * poll would come round). */
static void test_link_chain(void **state)
{
    struct env *e = *state;
    char p[600];
    const char *dirs[] = {"etc",    "srv",          "srv/r1", "srv/r1/hosts",
                          "srv/r2", "srv/r2/hosts", "other"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", e->base, dirs[i]);
        assert_int_equal(mkdir(p, 0755), 0);
    }
    snprintf(p, sizeof p, "%s/srv/r1/hosts", e->base);
    write_file(p, "f", "10.9.1.1 chain.test\n");
    snprintf(p, sizeof p, "%s/srv/r2/hosts", e->base);
    write_file(p, "f", "10.9.1.2 chain.test\n");
    snprintf(p, sizeof p, "%s/srv/current", e->base);
    assert_int_equal(symlink("r1", p), 0);
    snprintf(e->dir, sizeof e->dir, "%s/etc/hosts", e->base);
    assert_int_equal(symlink("../srv/current/hosts", e->dir), 0);
    start(e);
    assert_true(resolves_to(e->t, "chain.test", "10.9.1.1"));
    swap_link("r2", p);
    run_until(e, "chain.test", "10.9.1.2");
    /* Now to a directory elsewhere that is not there yet. */
    snprintf(p, sizeof p, "%s/other/later", e->base);
    swap_link(p, e->dir);
    run_until(e, "chain.test", NULL);
    run_for(e, 2000); /* the poll's backoff is at 2 s, its next round about 1.75 s away */
    assert_int_equal(mkdir(p, 0755), 0);
    write_file(p, "f", "10.9.1.3 chain.test\n");
    uint64_t ms = run_until(e, "chain.test", "10.9.1.3");
    print_message("link target elsewhere picked up %llu ms after it appeared\n",
                  (unsigned long long)ms);
    assert_true(ms < 1000);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_reload_latency(void **state)
{
    struct env *e = *state;
    assert_int_equal(mkdir(e->dir, 0755), 0);
    start(e);
    enum { N = 20 };
    uint64_t ms[N];
    for (int i = 0; i < N; i++) {
        char text[64], addr[32];
        snprintf(addr, sizeof addr, "10.6.0.%d", i + 1);
        snprintf(text, sizeof text, "%s lat.test\n", addr);
        write_file(e->dir, "lat", text);
        ms[i] = run_until(e, "lat.test", addr);
    }
    qsort(ms, N, sizeof ms[0], cmp_u64);
    print_message("reload latency over %d changes: median %llu ms, max %llu ms\n", N,
                  (unsigned long long)ms[N / 2], (unsigned long long)ms[N - 1]);
    assert_true(ms[N / 2] < 100);
    assert_true(ms[N - 1] < 1000);
}

static void test_status_without_source(void **state)
{
    (void)state;
    struct hosts_status st;
    memset(&st, 0xff, sizeof st);
    hosts_source_get_status(NULL, &st);
    assert_false(st.enabled);
    assert_false(st.running);
    assert_int_equal(st.files, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_initial_load_and_ignored_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_modify_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_in_out_and_editor_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_and_hardlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_directory_appears, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory_removed_and_recreated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory_swapped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlinked_directory_swapped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_in_path_swapped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload_latency, setup, teardown),
        cmocka_unit_test(test_status_without_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
