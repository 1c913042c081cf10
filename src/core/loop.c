/* core/loop.c — epoll event loop with a binary-heap timer queue and an eventfd for cross-thread
 * posting. Only loop_stop and loop_post may be called from other threads. */
#include "core/loop.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/vec.h"

struct loop_timer {
    uint64_t due;
    uint64_t order; /* FIFO among equal due times */
    size_t idx;     /* position in the heap */
    loop_cb cb;
    void *ctx;
};

struct watch {
    int fd;
    loop_fd_cb cb;
    void *ctx;
    struct watch *next;
};

struct posted {
    loop_cb fn;
    void *ctx;
    struct posted *next;
};

struct loop {
    int epfd;
    int wakefd;
    struct watch *watches;
    struct {
        struct loop_timer **v;
        size_t n, cap;
    } heap; /* a vec.h vector ordered as a binary heap */
    uint64_t order;
    pthread_mutex_t mu; /* guards posted and stopping */
    struct posted *posted, *posted_tail;
    bool stopping;
};

uint64_t loop_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct loop *loop_new(void)
{
    struct loop *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (l->epfd < 0 || l->wakefd < 0)
        goto fail;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wakefd, &ev) < 0)
        goto fail;
    pthread_mutex_init(&l->mu, NULL);
    return l;
fail:
    if (l->epfd >= 0)
        close(l->epfd);
    if (l->wakefd >= 0)
        close(l->wakefd);
    free(l);
    return NULL;
}

void loop_free(struct loop *l)
{
    if (!l)
        return;
    for (struct watch *w = l->watches, *n; w; w = n) {
        n = w->next;
        free(w);
    }
    for (size_t i = 0; i < l->heap.n; i++)
        free(l->heap.v[i]);
    vec_free(&l->heap);
    for (struct posted *p = l->posted, *n; p; p = n) {
        n = p->next;
        free(p);
    }
    close(l->epfd);
    close(l->wakefd);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb, void *ctx)
{
    struct watch *w = calloc(1, sizeof *w);
    if (!w)
        return -ENOMEM;
    w->fd = fd;
    w->cb = cb;
    w->ctx = ctx;
    struct epoll_event ev = {.events = events, .data.ptr = w};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int e = errno;
        free(w);
        return -e;
    }
    w->next = l->watches;
    l->watches = w;
    return 0;
}

static struct watch *find_watch(struct loop *l, int fd, struct watch ***link)
{
    for (struct watch **pp = &l->watches; *pp; pp = &(*pp)->next) {
        if ((*pp)->fd == fd) {
            if (link)
                *link = pp;
            return *pp;
        }
    }
    return NULL;
}

int loop_mod_fd(struct loop *l, int fd, uint32_t events)
{
    struct watch *w = find_watch(l, fd, NULL);
    if (!w)
        return -ENOENT;
    struct epoll_event ev = {.events = events, .data.ptr = w};
    return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void loop_del_fd(struct loop *l, int fd)
{
    struct watch **link = NULL;
    struct watch *w = find_watch(l, fd, &link);
    if (!w)
        return;
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
    *link = w->next;
    /* Events of the current epoll batch may still point at this watch: mark it dead (cb NULL)
     * and park it on the list; reap_watches frees it after the batch. */
    w->fd = -1;
    w->cb = NULL;
    w->ctx = NULL;
    w->next = l->watches;
    l->watches = w;
}

static bool timer_less(const struct loop_timer *a, const struct loop_timer *b)
{
    return a->due < b->due || (a->due == b->due && a->order < b->order);
}

static void heap_swap(struct loop *l, size_t i, size_t j)
{
    struct loop_timer *t = l->heap.v[i];
    l->heap.v[i] = l->heap.v[j];
    l->heap.v[j] = t;
    l->heap.v[i]->idx = i;
    l->heap.v[j]->idx = j;
}

static void heap_up(struct loop *l, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!timer_less(l->heap.v[i], l->heap.v[p]))
            break;
        heap_swap(l, i, p);
        i = p;
    }
}

static void heap_down(struct loop *l, size_t i)
{
    for (;;) {
        size_t a = 2 * i + 1, b = a + 1, m = i;
        if (a < l->heap.n && timer_less(l->heap.v[a], l->heap.v[m]))
            m = a;
        if (b < l->heap.n && timer_less(l->heap.v[b], l->heap.v[m]))
            m = b;
        if (m == i)
            return;
        heap_swap(l, i, m);
        i = m;
    }
}

static void heap_remove(struct loop *l, size_t i)
{
    l->heap.n--;
    if (i != l->heap.n) {
        l->heap.v[i] = l->heap.v[l->heap.n];
        l->heap.v[i]->idx = i;
        heap_down(l, i);
        heap_up(l, i);
    }
}

struct loop_timer *loop_timer_add(struct loop *l, uint64_t delay_ms, loop_cb cb, void *ctx)
{
    if (!vec_reserve(&l->heap, l->heap.n + 1)) // NOLINT(bugprone-sizeof-expression): T is a pointer
        return NULL;
    struct loop_timer *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->due = loop_now_ms() + delay_ms;
    t->order = l->order++;
    t->cb = cb;
    t->ctx = ctx;
    t->idx = l->heap.n;
    l->heap.v[l->heap.n++] = t;
    heap_up(l, t->idx);
    return t;
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
    if (!t)
        return;
    heap_remove(l, t->idx);
    free(t);
}

void loop_stop(struct loop *l)
{
    pthread_mutex_lock(&l->mu);
    l->stopping = true;
    pthread_mutex_unlock(&l->mu);
    uint64_t one = 1;
    ssize_t r = write(l->wakefd, &one, sizeof one);
    (void)r;
}

int loop_post(struct loop *l, loop_cb fn, void *ctx)
{
    struct posted *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    p->fn = fn;
    p->ctx = ctx;
    pthread_mutex_lock(&l->mu);
    if (l->posted_tail)
        l->posted_tail->next = p;
    else
        l->posted = p;
    l->posted_tail = p;
    pthread_mutex_unlock(&l->mu);
    uint64_t one = 1;
    ssize_t r = write(l->wakefd, &one, sizeof one);
    (void)r;
    return 0;
}

static bool run_posted(struct loop *l)
{
    uint64_t v;
    ssize_t r = read(l->wakefd, &v, sizeof v);
    (void)r;
    pthread_mutex_lock(&l->mu);
    struct posted *list = l->posted;
    l->posted = l->posted_tail = NULL;
    bool stop = l->stopping;
    pthread_mutex_unlock(&l->mu);
    while (list) {
        struct posted *n = list->next;
        list->fn(list->ctx);
        free(list);
        list = n;
    }
    return stop;
}

static void run_timers(struct loop *l)
{
    uint64_t now = loop_now_ms();
    while (l->heap.n > 0 && l->heap.v[0]->due <= now) {
        struct loop_timer *t = l->heap.v[0];
        heap_remove(l, 0);
        loop_cb cb = t->cb;
        void *ctx = t->ctx;
        free(t);
        cb(ctx);
    }
}

static void reap_watches(struct loop *l)
{
    for (struct watch **pp = &l->watches; *pp;) {
        if ((*pp)->cb == NULL) {
            struct watch *dead = *pp;
            *pp = dead->next;
            free(dead);
        } else {
            pp = &(*pp)->next;
        }
    }
}

int loop_run(struct loop *l)
{
    struct epoll_event evs[64];
    for (;;) {
        pthread_mutex_lock(&l->mu);
        bool stop = l->stopping;
        pthread_mutex_unlock(&l->mu);
        if (stop)
            break;
        int timeout = -1;
        if (l->heap.n > 0) {
            uint64_t now = loop_now_ms();
            uint64_t due = l->heap.v[0]->due;
            timeout = due <= now ? 0 : (due - now > 60000 ? 60000 : (int)(due - now));
        }
        int n = epoll_wait(l->epfd, evs, 64, timeout);
        if (n < 0 && errno != EINTR)
            return -errno;
        for (int i = 0; i < n; i++) {
            struct watch *w = evs[i].data.ptr;
            if (w == NULL) {
                if (run_posted(l))
                    goto out;
                continue;
            }
            if (w->cb)
                w->cb(w->fd, evs[i].events, w->ctx);
        }
        reap_watches(l);
        run_timers(l);
    }
out:
    reap_watches(l);
    pthread_mutex_lock(&l->mu);
    l->stopping = false;
    pthread_mutex_unlock(&l->mu);
    return 0;
}
