/* test_api_records.c — the API records file and store: parsing (every error names the record and
 * the field), dump/parse round trips, loading (missing file = empty, corrupt = error, nothing
 * touched), the atomic write (no temporary left, old content kept when the write fails), and the
 * store against a real record table (source "api", idempotent add, removal, a failed write
 * changing nothing). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sources/api_records.h"

static bool parse(const char *text, struct api_records *l, char *err)
{
    return api_records_parse(text, strlen(text), l, err, 256);
}

static void test_parse_ok(void **state)
{
    (void)state;
    struct api_records l = {0};
    char err[256] = "";
    assert_true(parse("{\"version\":1,\"records\":[]}", &l, err));
    assert_int_equal(l.n, 0);
    assert_true(parse("{\"version\":1,\"records\":["
                      "{\"hostname\":\"B.Example.com.\",\"ip_address\":\"10.0.0.2\",\"ttl\":30},"
                      "{\"hostname\":\"a.example.com\",\"ip_address\":\"fd00::1\"},"
                      "{\"hostname\":\"b.example.com\",\"ip_address\":\"10.0.0.2\",\"ttl\":30},"
                      "{\"hostname\":\"a.example.com\",\"ip_address\":\"10.0.0.1\",\"ttl\":null}]}",
                      &l, err));
    /* sorted by name then address (A before AAAA), the repeated pair merged, names normalized */
    assert_int_equal(l.n, 3);
    assert_string_equal(l.v[0].name, "a.example.com");
    assert_int_equal(l.v[0].addr.type, REC_A);
    assert_false(l.v[0].has_ttl);
    assert_string_equal(l.v[1].name, "a.example.com");
    assert_int_equal(l.v[1].addr.type, REC_AAAA);
    assert_string_equal(l.v[2].name, "b.example.com");
    assert_true(l.v[2].has_ttl);
    assert_int_equal(l.v[2].ttl, 30);
    api_records_free(&l);
}

static void expect_error(const char *text, const char *needle)
{
    struct api_records l = {0};
    char err[256] = "";
    assert_false(parse(text, &l, err));
    if (!strstr(err, needle))
        fail_msg("error '%s' does not contain '%s' (input %s)", err, needle, text);
    assert_int_equal(l.n, 0);
    api_records_free(&l);
}

static void test_parse_errors(void **state)
{
    (void)state;
    expect_error("", "line 1");
    expect_error("{\"version\":1,\"records\":[", "line 1, column");
    expect_error("[]", "not a JSON object");
    expect_error("{\"records\":[]}", "\"version\"");
    expect_error("{\"version\":2,\"records\":[]}", "\"version\"");
    expect_error("{\"version\":1}", "\"records\"");
    expect_error("{\"version\":1,\"records\":{}}", "\"records\"");
    expect_error("{\"version\":1,\"records\":[],\"records\":[]}", "duplicate");
    expect_error("{\"version\":1,\"records\":[7]}", "record 1: not an object");
    expect_error("{\"version\":1,\"records\":[{\"hostname\":\"a.b\",\"ip_address\":\"1.2.3.4\"},"
                 "{\"ip_address\":\"1.2.3.4\"}]}",
                 "record 2: hostname: missing");
    expect_error("{\"version\":1,\"records\":[{\"hostname\":\"a..b\",\"ip_address\":\"1.2.3.4\"}]}",
                 "record 1: hostname: 'a..b' is not a valid DNS name");
    expect_error(
        "{\"version\":1,\"records\":[{\"hostname\":\"a*.b\",\"ip_address\":\"1.2.3.4\"}]}",
        "record 1: hostname: 'a*.b' is not a valid DNS name: '*' must be a whole leftmost");
    expect_error("{\"version\":1,\"records\":[{\"hostname\":\"a.b\",\"ip_address\":\"1.2.3\"}]}",
                 "record 1: ip_address: '1.2.3'");
    expect_error("{\"version\":1,\"records\":[{\"hostname\":\"a.b\",\"ip_address\":4}]}",
                 "record 1: ip_address: missing or not a string");
    expect_error("{\"version\":1,\"records\":[{\"hostname\":\"a.b\",\"ip_address\":\"1.2.3.4\","
                 "\"ttl\":-1}]}",
                 "record 1: ttl");
    expect_error("{\"version\":1,\"records\":[{\"hostname\":\"a.b\",\"ip_address\":\"1.2.3.4\","
                 "\"ttl\":2147483648}]}",
                 "record 1: ttl");
    expect_error("{\"version\":1,\"records\":[{\"hostname\":\"a.b\",\"ip_address\":\"1.2.3.4\","
                 "\"ttl\":\"60\"}]}",
                 "record 1: ttl");
    expect_error("{\"version\":1,\"records\":[{\"hostname\":\"a.b\",\"ip_address\":\"1.2.3.4\","
                 "\"extra\":1}]}",
                 "record 1: unknown field 'extra'");
}

static void add(struct api_records *l, const char *name, const char *addr, long ttl)
{
    struct api_record *r = &l->v[l->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    assert_true(records_parse_addr(addr, &r->addr));
    r->has_ttl = ttl >= 0;
    r->ttl = ttl >= 0 ? (uint32_t)ttl : 0;
}

static void test_dump_round_trip(void **state)
{
    (void)state;
    struct api_record v[4];
    struct api_records l = {.v = v, .cap = 4};
    add(&l, "a.example.com", "10.0.0.1", 0);
    add(&l, "a.example.com", "fd00::1", -1);
    add(&l, "x_y.example.com", "192.168.1.1", 2147483647);
    struct buf b = {0};
    assert_true(api_records_dump(&l, &b));
    struct api_records back = {0};
    char err[256];
    assert_true(api_records_parse(b.p, b.len, &back, err, sizeof err));
    assert_int_equal(back.n, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(back.v[i].name, v[i].name);
        assert_memory_equal(&back.v[i].addr, &v[i].addr, sizeof v[i].addr);
        assert_int_equal(back.v[i].has_ttl, v[i].has_ttl);
        assert_int_equal(back.v[i].ttl, v[i].ttl);
    }
    buf_free(&b);
    /* an empty list is a valid file too */
    l.n = 0;
    assert_true(api_records_dump(&l, &b));
    assert_true(api_records_parse(b.p, b.len, &back, err, sizeof err));
    assert_int_equal(back.n, 0);
    buf_free(&b);
    api_records_free(&back);
}

/* ---- files ---- */

struct dir {
    char path[64];
    char file[96];
};

static void dir_make(struct dir *d)
{
    snprintf(d->path, sizeof d->path, "/tmp/joyride-api-test-XXXXXX");
    assert_non_null(mkdtemp(d->path));
    snprintf(d->file, sizeof d->file, "%s/records.json", d->path);
}

static void dir_remove(struct dir *d)
{
    char p[128];
    unlink(d->file);
    snprintf(p, sizeof p, "%s.tmp", d->file);
    unlink(p);
    rmdir(d->path);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void test_load(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct api_records l = {0};
    char err[256] = "";
    assert_true(api_records_load(d.file, &l, err, sizeof err)); /* missing: empty */
    assert_int_equal(l.n, 0);
    write_text(d.file,
               "{\"version\":1,\"records\":[{\"hostname\":\"a.b\",\"ip_address\":\"1.2.3.4\"}]}");
    assert_true(api_records_load(d.file, &l, err, sizeof err));
    assert_int_equal(l.n, 1);
    write_text(d.file, "{\"version\":1,\"records\":[{\"hostname\":\"a.b\",\"ip_");
    assert_false(api_records_load(d.file, &l, err, sizeof err));
    assert_non_null(strstr(err, "line 1"));
    /* a directory, not a file */
    assert_false(api_records_load(d.path, &l, err, sizeof err));
    assert_non_null(strstr(err, "regular file"));
    /* unreadable (skipped as root, who reads anything) */
    if (geteuid() != 0) {
        chmod(d.file, 0);
        assert_false(api_records_load(d.file, &l, err, sizeof err));
        assert_non_null(strstr(err, "cannot open"));
    }
    api_records_free(&l);
    dir_remove(&d);
}

static void test_write_atomic(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    char err[256] = "", tmp[128];
    snprintf(tmp, sizeof tmp, "%s.tmp", d.file);
    assert_true(api_records_write(d.file, "one\n", 4, err, sizeof err));
    assert_string_equal(read_text(d.file), "one\n");
    assert_true(api_records_write(d.file, "two\n", 4, err, sizeof err));
    assert_string_equal(read_text(d.file), "two\n");
    assert_int_equal(access(tmp, F_OK), -1); /* renamed away */
    /* a stale temporary from a crash is replaced */
    write_text(tmp, "half a fi");
    assert_true(api_records_write(d.file, "three\n", 6, err, sizeof err));
    assert_string_equal(read_text(d.file), "three\n");
    assert_int_equal(access(tmp, F_OK), -1);
    /* the temporary cannot be created (a directory in its place): the file is untouched */
    assert_int_equal(mkdir(tmp, 0700), 0);
    assert_false(api_records_write(d.file, "four\n", 5, err, sizeof err));
    assert_non_null(strstr(err, ".tmp"));
    assert_string_equal(read_text(d.file), "three\n");
    rmdir(tmp);
    /* no such directory */
    char missing[160];
    snprintf(missing, sizeof missing, "%s/nope/records.json", d.path);
    assert_false(api_records_write(missing, "x", 1, err, sizeof err));
    assert_int_equal(errno, ENOENT);
    dir_remove(&d);
}

/* ---- the store ---- */

struct seen {
    size_t n;
    char names[8][REC_NAME_MAX + 1];
};

static void collect(const struct rec_view *v, void *ctx)
{
    struct seen *s = ctx;
    if (strcmp(v->source, API_SOURCE) == 0 && s->n < 8)
        snprintf(s->names[s->n++], sizeof s->names[0], "%s", v->name);
}

static size_t served_api(struct records *t, struct seen *s)
{
    memset(s, 0, sizeof *s);
    records_foreach(t, true, collect, s);
    return s->n;
}

static struct api_record rec(const char *name, const char *addr)
{
    struct api_record r = {0};
    snprintf(r.name, sizeof r.name, "%s", name);
    assert_true(records_parse_addr(addr, &r.addr));
    return r;
}

static void test_store(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    char err[256] = "";
    struct seen seen;
    struct records *t = records_new("node-a", 1);
    struct api_store *s = api_store_open(t, d.file, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(api_store_count(s), 0);
    assert_int_equal(access(d.file, F_OK), -1); /* nothing written until a change */

    struct api_record r1 = rec("app.example.com", "10.0.0.1");
    struct api_record r2 = rec("app.example.com", "10.0.0.2");
    struct api_record r3 = rec("db.example.com", "fd00::3");
    assert_int_equal(api_store_add(s, &r1, err, sizeof err), API_ADD_CREATED);
    assert_int_equal(api_store_add(s, &r1, err, sizeof err), API_ADD_EXISTS);
    r1.has_ttl = true;
    r1.ttl = 5; /* same pair, another ttl: kept, written */
    assert_int_equal(api_store_add(s, &r1, err, sizeof err), API_ADD_EXISTS);
    assert_non_null(strstr(read_text(d.file), "\"ttl\":5"));
    assert_int_equal(api_store_add(s, &r2, err, sizeof err), API_ADD_CREATED);
    assert_int_equal(api_store_add(s, &r3, err, sizeof err), API_ADD_CREATED);
    assert_int_equal(api_store_count(s), 3);
    assert_int_equal(served_api(t, &seen), 3);

    /* the file holds exactly what the store holds */
    struct api_records l = {0};
    assert_true(api_records_load(d.file, &l, err, sizeof err));
    assert_int_equal(l.n, 3);

    /* remove one address, then all of a name, then nothing */
    struct api_records removed = {0};
    assert_int_equal(api_store_remove(s, "app.example.com", &r2.addr, &removed, err, sizeof err),
                     1);
    assert_int_equal(removed.n, 1);
    assert_memory_equal(&removed.v[0].addr, &r2.addr, sizeof r2.addr);
    assert_int_equal(api_store_remove(s, "app.example.com", &r2.addr, &removed, err, sizeof err),
                     0);
    assert_int_equal(api_store_remove(s, "nope.example.com", NULL, &removed, err, sizeof err), 0);
    assert_int_equal(served_api(t, &seen), 2);
    assert_int_equal(api_store_remove(s, "app.example.com", NULL, &removed, err, sizeof err), 1);
    assert_int_equal(removed.n, 2);
    assert_true(removed.v[1].has_ttl);
    assert_int_equal(served_api(t, &seen), 1);
    assert_string_equal(seen.names[0], "db.example.com");
    api_store_close(s);

    /* a restart: a new table, the same file */
    records_free(t);
    t = records_new("node-a", 2);
    s = api_store_open(t, d.file, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(api_store_count(s), 1);
    assert_int_equal(served_api(t, &seen), 1);
    assert_string_equal(seen.names[0], "db.example.com");

    /* the file cannot be written: the add fails and neither the table nor the file change */
    char tmp[128];
    snprintf(tmp, sizeof tmp, "%s.tmp", d.file);
    assert_int_equal(mkdir(tmp, 0700), 0);
    char before[65536];
    snprintf(before, sizeof before, "%s", read_text(d.file));
    assert_int_equal(api_store_add(s, &r2, err, sizeof err), API_ADD_FAILED);
    assert_non_null(strstr(err, ".tmp"));
    assert_int_equal(api_store_count(s), 1);
    assert_int_equal(served_api(t, &seen), 1);
    assert_int_equal(api_store_remove(s, "db.example.com", NULL, &removed, err, sizeof err), -1);
    assert_int_equal(served_api(t, &seen), 1);
    assert_string_equal(read_text(d.file), before);
    rmdir(tmp);
    api_store_close(s);
    records_free(t);

    /* a corrupt file: open fails and says so, the file is left as it was */
    write_text(d.file, "{\"version\":1,\"records\":[{]}");
    t = records_new("node-a", 3);
    assert_null(api_store_open(t, d.file, err, sizeof err));
    assert_non_null(strstr(err, d.file));
    assert_non_null(strstr(err, "move it aside"));
    assert_string_equal(read_text(d.file), "{\"version\":1,\"records\":[{]}");
    records_free(t);
    api_records_free(&l);
    api_records_free(&removed);
    dir_remove(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ok),        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_dump_round_trip), cmocka_unit_test(test_load),
        cmocka_unit_test(test_write_atomic),    cmocka_unit_test(test_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
