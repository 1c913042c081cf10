/* docker_client.c — Engine API over libcurl multi: requests, the event stream, interruptible
 * waits. Only the owning thread drives the multi handle; docker_client_interrupt may come from
 * any thread (curl_multi_wakeup is documented thread-safe). */
#include "sources/docker_client.h"

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"

#define CONNECT_TIMEOUT_MS 3000L

struct xfer {
    struct docker_client *c;
    CURL *easy;
    struct buf body;
    size_t max;      /* largest body (or unconsumed stream data) accepted */
    size_t consumed; /* stream: bytes already returned as lines */
    bool done;
    CURLcode result;
    bool headers_done; /* a final (non-1xx) header block ended */
    long status;
    char api_version[DOCKER_API_VERSION_MAX + 1];
    long long date;
    char errbuf[CURL_ERROR_SIZE];
};

struct docker_client {
    struct docker_endpoint ep;
    CURLM *multi;
    atomic_bool stopping;
    struct xfer *stream;    /* NULL when no stream is open */
    unsigned long progress; /* bumped whenever a transfer delivers bytes or finishes */
};

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void set_err(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
    if (err && errlen)
        snprintf(err, errlen, fmt, a, b);
}

struct docker_client *docker_client_new(const struct docker_endpoint *ep)
{
    struct docker_client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->ep = *ep;
    c->multi = curl_multi_init();
    if (!c->multi) {
        free(c);
        return NULL;
    }
    atomic_init(&c->stopping, false);
    return c;
}

static void xfer_free(struct docker_client *c, struct xfer *x)
{
    if (!x)
        return;
    if (x->easy) {
        curl_multi_remove_handle(c->multi, x->easy);
        curl_easy_cleanup(x->easy);
    }
    buf_free(&x->body);
    free(x);
}

void docker_client_free(struct docker_client *c)
{
    if (!c)
        return;
    docker_stream_close(c);
    curl_multi_cleanup(c->multi);
    free(c);
}

void docker_client_interrupt(struct docker_client *c)
{
    atomic_store(&c->stopping, true);
    curl_multi_wakeup(c->multi);
}

bool docker_client_interrupted(struct docker_client *c)
{
    return atomic_load(&c->stopping);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct xfer *x = arg;
    size_t n = size * nmemb;
    x->c->progress++;
    if (x->body.len - x->consumed + n > x->max)
        return 0; /* makes curl fail the transfer with CURLE_WRITE_ERROR */
    if (!buf_append(&x->body, data, n))
        return 0;
    return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
    struct xfer *x = arg;
    size_t n = size * nmemb;
    x->c->progress++;
    static const char key[] = "api-version:";
    static const char date[] = "date:";
    if (n > sizeof date - 1 && n < 128 && strncasecmp(data, date, sizeof date - 1) == 0) {
        char v[128];
        memcpy(v, data + sizeof date - 1, n - (sizeof date - 1));
        v[n - (sizeof date - 1)] = '\0';
        time_t t = curl_getdate(v, NULL);
        x->date = t > 0 ? (long long)t : 0;
    } else if (n > sizeof key - 1 && strncasecmp(data, key, sizeof key - 1) == 0) {
        const char *v = data + sizeof key - 1;
        size_t vl = n - (sizeof key - 1);
        while (vl > 0 && (*v == ' ' || *v == '\t'))
            v++, vl--;
        while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
            vl--;
        if (vl <= DOCKER_API_VERSION_MAX) {
            memcpy(x->api_version, v, vl);
            x->api_version[vl] = '\0';
        }
    } else if ((n == 2 && data[0] == '\r' && data[1] == '\n') || (n == 1 && data[0] == '\n')) {
        long code = 0;
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
        if (code >= 200) {
            x->status = code;
            x->headers_done = true;
        }
    }
    return n;
}

static struct xfer *xfer_new(struct docker_client *c, const char *path, long timeout_ms, size_t max)
{
    struct xfer *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->max = max;
    x->c = c;
    x->easy = curl_easy_init();
    char url[DOCKER_URL_MAX + 1024];
    int n = snprintf(url, sizeof url, "%s%s", c->ep.base_url, path);
    if (!x->easy || n < 0 || (size_t)n >= sizeof url) {
        if (x->easy)
            curl_easy_cleanup(x->easy);
        free(x);
        return NULL;
    }
    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_URL, url);
    if (c->ep.is_unix)
        curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, c->ep.unix_path);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    if (timeout_ms > 0)
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 30L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 10L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "joyride/" JOYRIDE_VERSION);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
        curl_easy_cleanup(e);
        free(x);
        return NULL;
    }
    return x;
}

/* Runs transfers once and records finished ones. */
static void perform(struct docker_client *c)
{
    int running = 0;
    curl_multi_perform(c->multi, &running);
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        struct xfer *x = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        c->progress++;
        if (x) {
            x->done = true;
            x->result = m->data.result;
            if (x->status == 0)
                curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->status);
        }
    }
}

/* One round: run transfers; only when that brought nothing new, wait for activity up to
 * timeout_ms and run them again. (Waiting after a run that already delivered data would leave
 * that data unread until the next packet: the last event of a burst would sit in the buffer.) */
static enum docker_io pump(struct docker_client *c, long timeout_ms)
{
    unsigned long before = c->progress;
    perform(c);
    if (atomic_load(&c->stopping))
        return DOCKER_IO_STOPPED;
    if (c->progress != before)
        return DOCKER_IO_OK;
    int nfds = 0;
    if (timeout_ms < 0)
        timeout_ms = 0;
    curl_multi_poll(c->multi, NULL, 0, (int)(timeout_ms > 60000 ? 60000 : timeout_ms), &nfds);
    if (atomic_load(&c->stopping))
        return DOCKER_IO_STOPPED;
    perform(c);
    return DOCKER_IO_OK;
}

/* A message for a failed transfer; a refused or missing socket names the endpoint, not curl's
 * placeholder host. */
static const char *xfer_error(struct docker_client *c, struct xfer *x)
{
    if (x->result == CURLE_COULDNT_CONNECT) {
        long os_errno = 0;
        curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &os_errno);
        snprintf(x->errbuf, sizeof x->errbuf, "cannot connect to %.160s: %.60s", c->ep.display,
                 os_errno ? strerror((int)os_errno) : "connection failed");
        return x->errbuf;
    }
    return x->errbuf[0] ? x->errbuf : curl_easy_strerror(x->result);
}

void docker_response_free(struct docker_response *r)
{
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

enum docker_io docker_client_get(struct docker_client *c, const char *path, long timeout_ms,
                                 struct docker_response *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    if (atomic_load(&c->stopping))
        return DOCKER_IO_STOPPED;
    struct xfer *x = xfer_new(c, path, timeout_ms, DOCKER_BODY_MAX);
    if (!x) {
        set_err(err, errlen, "cannot start request %s%s", path, "");
        return DOCKER_IO_ERROR;
    }
    enum docker_io rc = DOCKER_IO_OK;
    while (!x->done && rc == DOCKER_IO_OK)
        rc = pump(c, 1000);
    if (rc == DOCKER_IO_OK && x->result != CURLE_OK) {
        if (x->result == CURLE_COULDNT_CONNECT)
            set_err(err, errlen, "%s%s", xfer_error(c, x), "");
        else
            set_err(err, errlen, "GET %s: %s", path, xfer_error(c, x));
        rc = DOCKER_IO_ERROR;
    }
    if (rc == DOCKER_IO_OK) {
        r->status = x->status;
        r->len = x->body.len;
        r->body = buf_take(&x->body);
        if (!r->body) {
            set_err(err, errlen, "out of memory for %s%s", path, "");
            rc = DOCKER_IO_ERROR;
        }
        memcpy(r->api_version, x->api_version, sizeof r->api_version);
        r->date = x->date;
    }
    xfer_free(c, x);
    return rc;
}

/* For a unix endpoint: an inotify watch on the socket's directory, so a daemon that (re)creates
 * its socket ends the wait at once; -1 when not possible (the plain wait then applies). */
static int watch_socket_dir(const struct docker_endpoint *ep, const char **base)
{
    if (!ep->is_unix)
        return -1;
    char dir[DOCKER_UNIX_PATH_MAX + 1];
    snprintf(dir, sizeof dir, "%s", ep->unix_path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return -1;
    *base = ep->unix_path + (slash - dir) + 1;
    if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd >= 0 && inotify_add_watch(fd, dir, IN_CREATE | IN_MOVED_TO) < 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* True when the pending inotify events include the socket's name. */
static bool socket_appeared(int fd, const char *base)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    bool hit = false;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            if (ev->len > 0 && strcmp(ev->name, base) == 0)
                hit = true;
            p += sizeof *ev + ev->len;
        }
    }
    return hit;
}

enum docker_io docker_client_sleep(struct docker_client *c, long ms)
{
    const char *base = NULL;
    int ifd = watch_socket_dir(&c->ep, &base);
    long deadline = now_ms() + ms;
    enum docker_io rc = DOCKER_IO_OK;
    for (;;) {
        if (atomic_load(&c->stopping)) {
            rc = DOCKER_IO_STOPPED;
            break;
        }
        long left = deadline - now_ms();
        if (left <= 0)
            break;
        perform(c);
        struct curl_waitfd w = {.fd = ifd, .events = CURL_WAIT_POLLIN};
        int nfds = 0;
        curl_multi_poll(c->multi, ifd >= 0 ? &w : NULL, ifd >= 0 ? 1 : 0,
                        (int)(left > 60000 ? 60000 : left), &nfds);
        if (ifd >= 0 && (w.revents & CURL_WAIT_POLLIN) && socket_appeared(ifd, base))
            break; /* the daemon is (re)starting: try now */
    }
    if (ifd >= 0)
        close(ifd);
    return rc;
}

enum docker_io docker_stream_open(struct docker_client *c, const char *path, long timeout_ms,
                                  char *err, size_t errlen)
{
    docker_stream_close(c);
    if (atomic_load(&c->stopping))
        return DOCKER_IO_STOPPED;
    struct xfer *x = xfer_new(c, path, 0, DOCKER_STREAM_MAX);
    if (!x) {
        set_err(err, errlen, "cannot start request %s%s", path, "");
        return DOCKER_IO_ERROR;
    }
    c->stream = x;
    long deadline = now_ms() + timeout_ms;
    while (!x->headers_done && !x->done) {
        long left = deadline - now_ms();
        if (left <= 0) {
            set_err(err, errlen, "GET %s: no response headers in time%s", path, "");
            docker_stream_close(c);
            return DOCKER_IO_ERROR;
        }
        if (pump(c, left) == DOCKER_IO_STOPPED) {
            docker_stream_close(c);
            return DOCKER_IO_STOPPED;
        }
    }
    if (x->done && x->result != CURLE_OK) {
        set_err(err, errlen, "GET %s: %s", path, xfer_error(c, x));
        docker_stream_close(c);
        return DOCKER_IO_ERROR;
    }
    if (x->status != 200) {
        char code[16];
        snprintf(code, sizeof code, "%ld", x->status);
        set_err(err, errlen, "GET %s: HTTP %s", path, code);
        docker_stream_close(c);
        return DOCKER_IO_ERROR;
    }
    return DOCKER_IO_OK;
}

enum docker_io docker_stream_next(struct docker_client *c, const char **line, size_t *len,
                                  long timeout_ms, char *err, size_t errlen)
{
    struct xfer *x = c->stream;
    if (!x) {
        set_err(err, errlen, "event stream not open%s%s", "", "");
        return DOCKER_IO_ERROR;
    }
    /* the line returned last time is no longer needed: drop consumed bytes */
    if (x->consumed > 0) {
        struct buf *b = &x->body;
        memmove(b->p, b->p + x->consumed, b->len - x->consumed);
        b->len -= x->consumed;
        x->consumed = 0;
        b->p[b->len] = '\0';
    }
    long deadline = now_ms() + timeout_ms;
    size_t scanned = 0;
    bool pumped = false;
    for (;;) {
        if (atomic_load(&c->stopping))
            return DOCKER_IO_STOPPED;
        while (scanned < x->body.len) {
            char *start = x->body.p + x->consumed;
            char *nl = memchr(x->body.p + scanned, '\n', x->body.len - scanned);
            if (!nl) {
                scanned = x->body.len;
                break;
            }
            size_t l = (size_t)(nl - start);
            x->consumed = (size_t)(nl - x->body.p) + 1;
            scanned = x->consumed;
            while (l > 0 && start[l - 1] == '\r')
                l--;
            if (l == 0)
                continue;
            start[l] = '\0';
            *line = start;
            *len = l;
            return DOCKER_IO_OK;
        }
        if (x->done) {
            if (x->result == CURLE_OK)
                set_err(err, errlen, "the daemon closed the event stream%s%s", "", "");
            else
                set_err(err, errlen, "event stream: %s%s", xfer_error(c, x), "");
            return DOCKER_IO_ERROR;
        }
        long left = deadline - now_ms();
        if (left <= 0 && pumped)
            return DOCKER_IO_TIMEOUT;
        /* even with no time left, take in once what is already readable */
        if (pump(c, left > 0 ? left : 0) == DOCKER_IO_STOPPED)
            return DOCKER_IO_STOPPED;
        pumped = true;
    }
}

size_t docker_stream_pending(struct docker_client *c)
{
    return c->stream ? c->stream->body.len - c->stream->consumed : 0;
}

void docker_stream_close(struct docker_client *c)
{
    xfer_free(c, c->stream);
    c->stream = NULL;
}
