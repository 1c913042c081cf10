/* test_docker_host.c — DOCKER_HOST parsing as the docker CLI reads it, and API version strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sources/docker_host.h"

static void ok(const char *in, bool is_unix, const char *path_or_url, const char *display)
{
    struct docker_endpoint ep;
    char err[256];
    bool r = docker_endpoint_parse(in, &ep, err, sizeof err);
    if (!r)
        fail_msg("'%s' rejected: %s", in ? in : "(null)", err);
    assert_int_equal(ep.is_unix, is_unix);
    if (is_unix) {
        assert_string_equal(ep.unix_path, path_or_url);
        assert_string_equal(ep.base_url, "http://localhost");
    } else {
        assert_string_equal(ep.base_url, path_or_url);
    }
    assert_string_equal(ep.display, display);
}

static void bad(const char *in)
{
    struct docker_endpoint ep;
    char err[256] = "";
    if (docker_endpoint_parse(in, &ep, err, sizeof err))
        fail_msg("'%s' accepted", in);
    assert_true(strncmp(err, "DOCKER_HOST", 11) == 0);
}

static void test_unix(void **state)
{
    (void)state;
    ok(NULL, true, "/var/run/docker.sock", "unix:///var/run/docker.sock");
    ok("", true, "/var/run/docker.sock", "unix:///var/run/docker.sock");
    bad("unix://"); /* the docker CLI falls back to the default socket; we refuse */
    ok("unix:///tmp/x/docker.sock", true, "/tmp/x/docker.sock", "unix:///tmp/x/docker.sock");
    bad("unix://relative/docker.sock");
    char longpath[200] = "unix:///";
    memset(longpath + 8, 'a', 120);
    longpath[128] = '\0';
    bad(longpath);
}

static void test_tcp(void **state)
{
    (void)state;
    ok("tcp://127.0.0.1:2375", false, "http://127.0.0.1:2375", "tcp://127.0.0.1:2375");
    ok("tcp://docker.example.com", false, "http://docker.example.com:2375",
       "tcp://docker.example.com:2375");
    ok("tcp://:4243", false, "http://127.0.0.1:4243", "tcp://127.0.0.1:4243");
    ok("tcp://[::1]:2375", false, "http://[::1]:2375", "tcp://[::1]:2375");
    ok("tcp://[fd00::1]", false, "http://[fd00::1]:2375", "tcp://[fd00::1]:2375");
    ok("tcp://10.0.0.1:2375/prefix/", false, "http://10.0.0.1:2375/prefix", "tcp://10.0.0.1:2375");
    /* the docker CLI reads these as tcp://...:2375 (or refuses http://, as we do) */
    bad("10.0.0.2:2376");
    bad("abc");
    bad("/var/run/docker.sock");
    bad("http://h:1");
    bad("HTTP://h:1");
}

static void test_rejected(void **state)
{
    (void)state;
    bad("ssh://user@host");
    bad("fd://");
    bad("npipe:////./pipe/docker_engine");
    bad("tcp://host:0");
    bad("tcp://host:65536");
    bad("tcp://host:12ab");
    bad("tcp://host:");
    bad("tcp://::1:2375");
    bad("tcp://[::1");
    bad("tcp://[::1]x");
    bad("tcp://ho st:1");
    bad("tcp://h:1/a b");
    bad("tcp://h:1/a?b");
}

static void test_versions(void **state)
{
    (void)state;
    assert_true(docker_api_version_valid("1.41"));
    assert_true(docker_api_version_valid("1.9"));
    assert_true(docker_api_version_valid("10.100"));
    assert_false(docker_api_version_valid(NULL));
    assert_false(docker_api_version_valid(""));
    assert_false(docker_api_version_valid("1"));
    assert_false(docker_api_version_valid("1."));
    assert_false(docker_api_version_valid(".41"));
    assert_false(docker_api_version_valid("1.41.2"));
    assert_false(docker_api_version_valid("v1.41"));
    assert_false(docker_api_version_valid("1.41 "));
    assert_false(docker_api_version_valid("12345.1"));
    assert_true(docker_api_version_cmp("1.9", "1.10") < 0);
    assert_true(docker_api_version_cmp("1.41", "1.24") > 0);
    assert_true(docker_api_version_cmp("1.24", "1.24") == 0);
    assert_true(docker_api_version_cmp("2.0", "1.99") > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unix),
        cmocka_unit_test(test_tcp),
        cmocka_unit_test(test_rejected),
        cmocka_unit_test(test_versions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
