/* cli/client.c — one HTTP request to the node's API with libcurl (no proxy: the API is on the
 * node's own network), the answer parsed as JSON, and the one-line messages for a node that
 * cannot be reached ("joyride: cannot reach http://127.0.0.1:5000: connection refused"). */
#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/internal.h"

static size_t on_body(char *data, size_t size, size_t n, void *b)
{
    return buf_append(b, data, size * n) ? size * n : 0;
}

/* Why curl got no answer, in a few lowercase words. */
static void reason(CURL *h, CURLcode rc, long timeout_ms, char *out, size_t len)
{
    long os_errno = 0;
    curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
        snprintf(out, len, "%s", os_errno ? strerror((int)os_errno) : "cannot connect");
        break;
    case CURLE_OPERATION_TIMEDOUT:
        snprintf(out, len, "no answer within %.3g s", (double)timeout_ms / 1000.0);
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
        snprintf(out, len, "cannot resolve the host name");
        break;
    case CURLE_GOT_NOTHING:
        snprintf(out, len, "the connection closed without an answer");
        break;
    default:
        snprintf(out, len, "%s", curl_easy_strerror(rc));
        break;
    }
    if (out[0])
        out[0] = (char)tolower((unsigned char)out[0]);
}

int cli_request(const struct cli_opts *o, const char *method, const char *path, struct cli_reply *r)
{
    memset(r, 0, sizeof *r);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "joyride: libcurl could not start\n");
        return CLI_FAIL;
    }
    struct buf url = {0};
    buf_printf(&url, "%s%s", o->api, path);
    CURL *h = curl_easy_init();
    if (!h || url.oom) {
        fprintf(stderr, "joyride: out of memory\n");
        buf_free(&url);
        curl_global_cleanup();
        return CLI_FAIL;
    }
    char agent[64];
    snprintf(agent, sizeof agent, "joyride-cli/%s", JOYRIDE_VERSION);
    curl_easy_setopt(h, CURLOPT_URL, url.p);
    curl_easy_setopt(h, CURLOPT_USERAGENT, agent);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, o->timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r->body);
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
    }
    CURLcode rc = curl_easy_perform(h);
    int code = CLI_OK;
    if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && r->body.oom)) {
        char why[256];
        reason(h, rc, o->timeout_ms, why, sizeof why);
        fprintf(stderr, "joyride: cannot reach %s: %s\n", o->api, why);
        code = CLI_UNREACHABLE;
    } else if (r->body.oom) {
        fprintf(stderr, "joyride: out of memory reading the answer of %s\n", url.p);
        code = CLI_FAIL;
    } else {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
        json_error_t err;
        r->doc = json_loadb(r->body.p ? r->body.p : "", r->body.len, 0, &err);
        if (!r->doc || !json_is_object(r->doc)) {
            fprintf(stderr,
                    "joyride: %s answered HTTP %ld without a JSON object; is it a "
                    "Joyride node?\n",
                    url.p, r->status);
            code = CLI_FAIL;
        }
    }
    curl_easy_cleanup(h);
    curl_global_cleanup();
    buf_free(&url);
    if (code != CLI_OK)
        cli_reply_free(r);
    return code;
}

void cli_reply_free(struct cli_reply *r)
{
    json_decref(r->doc);
    r->doc = NULL;
    buf_free(&r->body);
}

void cli_url_escape(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~' || *p == '*')
            buf_putc(b, (char)*p);
        else
            buf_printf(b, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
    }
}

int cli_print_raw(const struct cli_opts *o, const struct cli_reply *r, int code)
{
    if (!o->json)
        return -1;
    fwrite(r->body.p, 1, r->body.len, stdout);
    if (r->body.len && r->body.p[r->body.len - 1] != '\n')
        putchar('\n');
    return code;
}

const char *cli_message(const struct cli_reply *r, const char *fallback)
{
    const char *m = cli_str(r->doc, "message");
    return m && m[0] ? m : fallback;
}
