/* test_write.c — the HTTP writes: the bearer-token check (403 with no token configured, 401 for
 * a missing, malformed or wrong one), the POST body parser naming the field at fault, and the
 * routes of POST /dns/records and DELETE /dns/records/{hostname}. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http/internal.h"

static void test_auth(void **state)
{
    (void)state;
    const char *why = NULL;
    assert_int_equal(http_write_auth("", "Bearer x", &why), 403);
    assert_non_null(strstr(why, "API_TOKEN"));
    assert_int_equal(http_write_auth(NULL, NULL, &why), 403);
    assert_int_equal(http_write_auth("s3cret", NULL, &why), 401);
    assert_non_null(strstr(why, "missing"));
    assert_int_equal(http_write_auth("s3cret", "Basic czNjcmV0", &why), 401);
    assert_int_equal(http_write_auth("s3cret", "Bearer", &why), 401);
    assert_int_equal(http_write_auth("s3cret", "Bearer ", &why), 401);
    assert_int_equal(http_write_auth("s3cret", "Bearer s3cre", &why), 401);
    assert_string_equal(why, "wrong token");
    assert_int_equal(http_write_auth("s3cret", "Bearer s3cret2", &why), 401);
    assert_int_equal(http_write_auth("s3cret", "Bearer S3CRET", &why), 401);
    assert_int_equal(http_write_auth("s3cret", "Bearer s3cret", &why), 0);
    /* the scheme is case-insensitive (RFC 7235), blanks around the token are not part of it */
    assert_int_equal(http_write_auth("s3cret", "bearer   s3cret ", &why), 0);
}

static void expect_field(const char *body, const char *field, const char *needle)
{
    struct api_record r;
    const char *f = NULL;
    char err[320] = "";
    assert_false(http_record_body_parse(body, strlen(body), &r, &f, err, sizeof err));
    if (!f || strcmp(f, field) != 0 || !strstr(err, needle) ||
        strncmp(err, field, strlen(field)) != 0)
        fail_msg("body %s: field %s, error '%s' (expected %s, '%s')", body, f ? f : "(none)", err,
                 field, needle);
}

static void test_body(void **state)
{
    (void)state;
    struct api_record r;
    const char *f = "x";
    char err[320] = "";
    const char *ok = "{\"hostname\":\"App.Example.COM.\",\"ip_address\":\"10.1.2.3\",\"ttl\":60}";
    assert_true(http_record_body_parse(ok, strlen(ok), &r, &f, err, sizeof err));
    assert_null(f);
    assert_string_equal(r.name, "app.example.com");
    assert_int_equal(r.addr.type, REC_A);
    assert_true(r.has_ttl);
    assert_int_equal(r.ttl, 60);
    ok = "{\"ip_address\":\"fd00::1\",\"hostname\":\"v6.test\"}";
    assert_true(http_record_body_parse(ok, strlen(ok), &r, &f, err, sizeof err));
    assert_int_equal(r.addr.type, REC_AAAA);
    assert_false(r.has_ttl);
    ok = "{\"hostname\":\"*.Apps.example.com.\",\"ip_address\":\"10.0.0.6\"}";
    assert_true(http_record_body_parse(ok, strlen(ok), &r, &f, err, sizeof err));
    assert_string_equal(r.name, "*.apps.example.com"); /* a wildcard (RFC 4592) */

    expect_field("", "body", "not valid JSON");
    expect_field("{\"hostname\":", "body", "not valid JSON");
    expect_field("[1]", "body", "not a JSON object");
    expect_field("{\"hostname\":\"a.b\",\"ip_address\":\"1.2.3.4\",\"name\":\"x\"}", "body",
                 "unknown field 'name'");
    expect_field("{\"hostname\":\"a.b\",\"hostname\":\"c.d\",\"ip_address\":\"1.2.3.4\"}", "body",
                 "duplicate");
    expect_field("{\"ip_address\":\"1.2.3.4\"}", "hostname", "required");
    expect_field("{\"hostname\":7,\"ip_address\":\"1.2.3.4\"}", "hostname", "string");
    expect_field("{\"hostname\":\"a..b\",\"ip_address\":\"1.2.3.4\"}", "hostname",
                 "valid DNS name");
    expect_field("{\"hostname\":\"-a.b\",\"ip_address\":\"1.2.3.4\"}", "hostname",
                 "valid DNS name");
    expect_field("{\"hostname\":\"a b\",\"ip_address\":\"1.2.3.4\"}", "hostname", "valid DNS name");
    expect_field("{\"hostname\":\"a*.example.com\",\"ip_address\":\"1.2.3.4\"}", "hostname",
                 "'*' must be a whole leftmost label");
    expect_field("{\"hostname\":\"x.*.example.com\",\"ip_address\":\"1.2.3.4\"}", "hostname",
                 "'*' must be a whole leftmost label");
    expect_field("{\"hostname\":\"*\",\"ip_address\":\"1.2.3.4\"}", "hostname",
                 "a wildcard needs a parent name");
    expect_field("{\"hostname\":\"a\\u0000b\",\"ip_address\":\"1.2.3.4\"}", "body",
                 "not valid JSON");
    char longname[400];
    snprintf(longname, sizeof longname, "{\"hostname\":\"%0300d\",\"ip_address\":\"1.2.3.4\"}", 0);
    expect_field(longname, "hostname", "valid DNS name");
    expect_field("{\"hostname\":\"a.b\"}", "ip_address", "required");
    expect_field("{\"hostname\":\"a.b\",\"ip_address\":null}", "ip_address", "string");
    expect_field("{\"hostname\":\"a.b\",\"ip_address\":\"1.2.3\"}", "ip_address", "'1.2.3'");
    expect_field("{\"hostname\":\"a.b\",\"ip_address\":\"a.b\"}", "ip_address", "not an IPv4");
    expect_field("{\"hostname\":\"a.b\",\"ip_address\":\"1.2.3.4\",\"ttl\":-1}", "ttl", "0 to");
    expect_field("{\"hostname\":\"a.b\",\"ip_address\":\"1.2.3.4\",\"ttl\":2147483648}", "ttl",
                 "0 to");
    expect_field("{\"hostname\":\"a.b\",\"ip_address\":\"1.2.3.4\",\"ttl\":1.5}", "ttl", "whole");
    expect_field("{\"hostname\":\"a.b\",\"ip_address\":\"1.2.3.4\",\"ttl\":\"60\"}", "ttl",
                 "whole");
    expect_field("{\"hostname\":\"a.b\",\"ip_address\":\"1.2.3.4\",\"ttl\":true}", "ttl", "whole");
}

static void test_write_routes(void **state)
{
    (void)state;
    const char *allow = NULL;
    assert_int_equal(http_route_find("POST", "/dns/records", &allow), ROUTE_RECORDS);
    assert_int_equal(http_route_find("DELETE", "/dns/records/app.example.com", &allow),
                     ROUTE_RECORD);
    assert_int_equal(http_route_find("GET", "/dns/records/app.example.com", &allow),
                     ROUTE_BAD_METHOD);
    assert_string_equal(allow, "DELETE");
    assert_int_equal(http_route_find("DELETE", "/dns/records", &allow), ROUTE_BAD_METHOD);
    assert_string_equal(allow, "GET, HEAD, POST");
    assert_int_equal(http_route_find("DELETE", "/dns/records/", &allow), ROUTE_NOT_FOUND);
    assert_int_equal(http_route_find("DELETE", "/dns/records/a/b", &allow), ROUTE_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_body),
        cmocka_unit_test(test_write_routes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
