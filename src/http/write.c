/* http/write.c — the writes of the API: POST /dns/records and DELETE /dns/records/{hostname}.
 * The bearer-token check (constant time), the strict parsing of the POST body with the field at
 * fault named, and the documents answered; the records themselves live in the API records store
 * (sources/api_records.h), which keeps its file, the table and replication in step. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/log.h"
#include "core/vec.h"
#include "http/internal.h"

/* ---- authorization ---- */

unsigned http_write_auth(const char *token, const char *authorization, const char **message)
{
    if (!token || !token[0]) {
        *message = "writes over the API are disabled: set API_TOKEN (or --api-token) to enable "
                   "POST and DELETE on /dns/records, then send 'Authorization: Bearer <token>'";
        return MHD_HTTP_FORBIDDEN;
    }
    const char *p = authorization;
    if (!p || strncasecmp(p, "Bearer ", 7) != 0) {
        *message = "missing 'Authorization: Bearer <token>' (API_TOKEN)";
        return MHD_HTTP_UNAUTHORIZED;
    }
    p += 7;
    while (*p == ' ')
        p++;
    size_t n = strlen(p);
    while (n > 0 && p[n - 1] == ' ')
        n--;
    /* digests of both, so neither the content nor the length of the token leaks through timing */
    unsigned char want[EVP_MAX_MD_SIZE], got[EVP_MAX_MD_SIZE];
    unsigned wl = 0, gl = 0;
    if (!EVP_Digest(token, strlen(token), want, &wl, EVP_sha256(), NULL) ||
        !EVP_Digest(p, n, got, &gl, EVP_sha256(), NULL) || wl != gl ||
        CRYPTO_memcmp(want, got, wl) != 0) {
        *message = "wrong token";
        return MHD_HTTP_UNAUTHORIZED;
    }
    return 0;
}

/* ---- the POST body ---- */

static const char *shown(const char *v, char buf[72])
{
    snprintf(buf, 72, "%.60s%s", v, strlen(v) > 60 ? "..." : "");
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            *p = '?';
    return buf;
}

/* A hostname as the API takes it: a record name (records_normalize_name), a wildcard
 * ("*.apps.example.com") included; the error says what is wrong with it. */
static bool parse_hostname(const char *v, char out[REC_NAME_MAX + 1], char *err, size_t errlen)
{
    char b[72];
    if (!records_normalize_name(v, out)) {
        snprintf(err, errlen,
                 "hostname: '%s' is not a valid DNS name: %s (labels of letters, digits, '-' and "
                 "'_', at most 63 characters each, 253 in all; '*' only as a whole leftmost label)",
                 shown(v, b), records_name_error(v));
        return false;
    }
    return true;
}

bool http_record_body_parse(const char *body, size_t len, struct api_record *out,
                            const char **field, char *err, size_t errlen)
{
    char b[72];
    memset(out, 0, sizeof *out);
    *field = "body";
    json_error_t je;
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je); /* and \u0000 */
    if (!doc) {
        snprintf(err, errlen, "body: not valid JSON (line %d, column %d: %s)", je.line, je.column,
                 je.text);
        return false;
    }
    bool ok = false;
    const char *key;
    json_t *v;
    if (!json_is_object(doc)) {
        snprintf(err, errlen, "body: not a JSON object");
        goto out;
    }
    json_object_foreach(doc, key, v)
    {
        if (strcmp(key, "hostname") != 0 && strcmp(key, "ip_address") != 0 &&
            strcmp(key, "ttl") != 0) {
            snprintf(err, errlen, "body: unknown field '%s' (accepted: hostname, ip_address, ttl)",
                     shown(key, b));
            goto out;
        }
    }
    *field = "hostname";
    v = json_object_get(doc, "hostname");
    if (!v) {
        snprintf(err, errlen, "hostname: required");
        goto out;
    }
    if (!json_is_string(v)) {
        snprintf(err, errlen, "hostname: must be a string");
        goto out;
    }
    if (!parse_hostname(json_string_value(v), out->name, err, errlen))
        goto out;
    *field = "ip_address";
    v = json_object_get(doc, "ip_address");
    if (!v) {
        snprintf(err, errlen, "ip_address: required");
        goto out;
    }
    if (!json_is_string(v)) {
        snprintf(err, errlen, "ip_address: must be a string");
        goto out;
    }
    if (!records_parse_addr(json_string_value(v), &out->addr)) {
        snprintf(err, errlen, "ip_address: '%s' is not an IPv4 or IPv6 address",
                 shown(json_string_value(v), b));
        goto out;
    }
    *field = "ttl";
    v = json_object_get(doc, "ttl");
    if (v && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > (json_int_t)API_TTL_MAX) {
            snprintf(err, errlen, "ttl: must be a whole number of seconds from 0 to %u",
                     API_TTL_MAX);
            goto out;
        }
        out->has_ttl = true;
        out->ttl = (uint32_t)json_integer_value(v);
    }
    *field = NULL;
    ok = true;
out:
    json_decref(doc);
    return ok;
}

/* ---- the answers ---- */

json_t *http_field_error_json(const char *field, const char *message)
{
    json_t *o = http_error_json("error", message);
    if (o && field)
        json_object_set_new(o, "field", json_string(field));
    return o;
}

/* One API record as /dns/records lists it (ttl: what answers carry, the record's own or DNS_TTL),
 * with the ttl asked for as requested_ttl. */
static json_t *record_json(const struct http_api_config *c, const struct api_record *r)
{
    struct http_record hr = {
        .name = (char *)r->name,
        .source = (char *)API_SOURCE,
        .owner = (char *)records_local_owner(c->records),
        .addr = r->addr,
        .has_ttl = r->has_ttl,
        .ttl = r->ttl,
    };
    json_t *o = http_record_json(c->cfg, &hr);
    if (o && r->has_ttl)
        json_object_set_new(o, "requested_ttl", json_integer(r->ttl));
    return o;
}

static json_t *unavailable(unsigned *status)
{
    *status = MHD_HTTP_SERVICE_UNAVAILABLE;
    return http_error_json("error", "API records are not available on this node");
}

json_t *http_record_add(const struct http_api_config *c, const char *body, size_t len,
                        unsigned *status)
{
    struct api_record r;
    const char *field;
    char err[320];
    if (!http_record_body_parse(body, len, &r, &field, err, sizeof err)) {
        *status = MHD_HTTP_BAD_REQUEST;
        return http_field_error_json(field, err);
    }
    if (!c->api_records)
        return unavailable(status);
    char addr[46];
    switch (api_store_add(c->api_records, &r, err, sizeof err)) {
    case API_ADD_CREATED:
        *status = MHD_HTTP_CREATED;
        log_info("api", "added %s %s", r.name, records_format_addr(&r.addr, addr));
        break;
    case API_ADD_EXISTS:
        *status = MHD_HTTP_OK;
        break;
    case API_ADD_FULL:
        *status = MHD_HTTP_INSUFFICIENT_STORAGE;
        return http_error_json("error", err);
    case API_ADD_FAILED:
    default:
        *status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        return http_error_json("error", err);
    }
    json_t *o = http_error_json("success", *status == MHD_HTTP_CREATED ? "record added"
                                                                       : "record already present");
    if (o)
        json_object_set_new(o, "record", record_json(c, &r));
    return o;
}

json_t *http_record_delete(const struct http_api_config *c, const char *name,
                           const struct http_args *args, unsigned *status)
{
    struct api_record key;
    char err[320];
    bool has_addr;
    *status = MHD_HTTP_BAD_REQUEST;
    if (!parse_hostname(name, key.name, err, sizeof err))
        return http_field_error_json("hostname", err);
    if (!http_delete_query_parse(args, &has_addr, &key.addr, err, sizeof err))
        return http_field_error_json(strncmp(err, "ip_address", 10) == 0 ? "ip_address" : "query",
                                     err);
    if (!c->api_records)
        return unavailable(status);
    struct api_records removed = {0};
    int n = api_store_remove(c->api_records, key.name, has_addr ? &key.addr : NULL, &removed, err,
                             sizeof err);
    char addr[46];
    if (n < 0) {
        *status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        return http_error_json("error", err);
    }
    if (n == 0) {
        *status = MHD_HTTP_NOT_FOUND;
        if (has_addr)
            snprintf(err, sizeof err, "no API record %s with address %s", key.name,
                     records_format_addr(&key.addr, addr));
        else
            snprintf(err, sizeof err, "no API record %s", key.name);
        return http_error_json("error", err);
    }
    *status = MHD_HTTP_OK;
    snprintf(err, sizeof err, "%d record%s removed", n, n == 1 ? "" : "s");
    json_t *o = http_error_json("success", err);
    json_t *list = json_array();
    for (size_t i = 0; i < removed.n; i++) {
        json_array_append_new(list, record_json(c, &removed.v[i]));
        log_info("api", "removed %s %s", removed.v[i].name,
                 records_format_addr(&removed.v[i].addr, addr));
    }
    api_records_free(&removed);
    if (o)
        json_object_set_new(o, "removed", list);
    else
        json_decref(list);
    return o;
}
