/* docker.c — Docker source: monitor thread lifecycle and status. (First version: the thread
 * runs and stops promptly; the Engine API client follows.) */
#include "sources/docker.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

const char *const docker_action_names[DOCKER_EV_COUNT] = {"start", "unpause", "die",     "stop",
                                                          "kill",  "pause",   "destroy", "other"};

struct docker_source {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stopping;
    struct docker_status st;
};

static void *monitor_main(void *arg)
{
    struct docker_source *d = arg;
    pthread_mutex_lock(&d->mu);
    while (!d->stopping)
        pthread_cond_wait(&d->cv, &d->mu);
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

struct docker_source *docker_source_start(const struct docker_config *cfg, struct records *t)
{
    (void)cfg;
    (void)t;
    struct docker_source *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    d->st.running = true;
    if (pthread_create(&d->thread, NULL, monitor_main, d) != 0) {
        pthread_mutex_destroy(&d->mu);
        pthread_cond_destroy(&d->cv);
        free(d);
        return NULL;
    }
    return d;
}

void docker_source_stop(struct docker_source *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    d->stopping = true;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->thread, NULL);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    free(d);
}

void docker_source_get_status(struct docker_source *d, struct docker_status *out)
{
    memset(out, 0, sizeof *out);
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    *out = d->st;
    pthread_mutex_unlock(&d->mu);
}
