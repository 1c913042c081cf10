/* docker_json.c — decoding Engine API JSON (events, list, inspect, version) with jansson into the
 * plain structs of docker_json.h, and encoding the query filters. No jansson object leaves this
 * file. */
#include "sources/docker_json.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vec.h"
#include "sources/docker_host.h"

const char *const docker_action_names[DOCKER_EV_COUNT] = {"start",
                                                          "unpause",
                                                          "die",
                                                          "stop",
                                                          "kill",
                                                          "pause",
                                                          "destroy",
                                                          "health_status: healthy",
                                                          "health_status: unhealthy",
                                                          "health_status: starting",
                                                          "other"};

const char *const docker_health_names[DOCKER_HEALTH_UNHEALTHY + 1] = {"unknown", "none", "starting",
                                                                      "healthy", "unhealthy"};

/* A Health.Status value; anything unexpected counts as not (yet) healthy. */
static enum docker_health health_parse(const char *s)
{
    if (!s || strcmp(s, "none") == 0 || s[0] == '\0')
        return DOCKER_HEALTH_NONE;
    if (strcmp(s, "healthy") == 0)
        return DOCKER_HEALTH_HEALTHY;
    if (strcmp(s, "unhealthy") == 0)
        return DOCKER_HEALTH_UNHEALTHY;
    return DOCKER_HEALTH_STARTING;
}

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
}

bool docker_id_valid(const char *s)
{
    if (!s)
        return false;
    size_t i;
    for (i = 0; s[i]; i++) {
        char c = s[i];
        if (i >= DOCKER_ID_MAX || !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return i == DOCKER_ID_MAX;
}

/* Container names are [a-zA-Z0-9][a-zA-Z0-9_.-]* in Docker; anything else from the wire is shown
 * with '?' so it cannot disturb a log line. A leading '/' is dropped. */
static void copy_name(char dst[DOCKER_CNAME_MAX + 1], const char *src)
{
    size_t i = 0;
    if (src && src[0] == '/')
        src++;
    for (; src && src[i] && i < DOCKER_CNAME_MAX; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = c > 0x20 && c < 0x7f ? (char)c : '?';
    }
    dst[i] = '\0';
}

enum docker_action docker_action_parse(const char *s)
{
    if (s) {
        for (int a = 0; a < DOCKER_EV_OTHER; a++) {
            if (strcmp(s, docker_action_names[a]) == 0)
                return (enum docker_action)a;
        }
    }
    return DOCKER_EV_OTHER;
}

enum docker_effect docker_action_effect(enum docker_action a, int signal)
{
    switch (a) {
    case DOCKER_EV_START:
    case DOCKER_EV_UNPAUSE:
    case DOCKER_EV_HEALTHY:
    case DOCKER_EV_UNHEALTHY:
    case DOCKER_EV_HEALTH_STARTING:
        return DOCKER_EFFECT_ADD;
    case DOCKER_EV_DIE:
    case DOCKER_EV_STOP:
    case DOCKER_EV_PAUSE:
    case DOCKER_EV_DESTROY:
        return DOCKER_EFFECT_REMOVE;
    case DOCKER_EV_KILL:
        return signal < 0 || signal == 9 || signal == 15 ? DOCKER_EFFECT_REMOVE
                                                         : DOCKER_EFFECT_NONE;
    default:
        return DOCKER_EFFECT_NONE;
    }
}

/* "15" -> 15; "SIGTERM"/"TERM" -> 15, "SIGKILL"/"KILL" -> 9; anything else parsed -> a positive
 * number that is neither; absent -> -1. */
static int parse_signal(const json_t *v)
{
    if (!json_is_string(v))
        return -1;
    const char *s = json_string_value(v);
    if (strncmp(s, "SIG", 3) == 0)
        s += 3;
    if (strcmp(s, "TERM") == 0)
        return 15;
    if (strcmp(s, "KILL") == 0)
        return 9;
    char *end;
    long n = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || n < 0 || n > 1000)
        return 1000; /* a signal we do not know: not a stop */
    return (int)n;
}

/* Copies a JSON object of labels into out (present, every key with its string value or NULL);
 * a non-object leaves out empty and not present. False when memory runs out (out freed). */
static bool copy_labels(json_t *o, struct docker_labels *out)
{
    *out = (struct docker_labels){0};
    if (!json_is_object(o))
        return true;
    out->present = true;
    if (!vec_reserve(out, json_object_size(o)))
        return false;
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        struct docker_label *l = vec_push_zero(out);
        if (!l)
            goto oom;
        l->key = strdup(key);
        l->value = json_is_string(v) ? strdup(json_string_value(v)) : NULL;
        if (!l->key || (json_is_string(v) && !l->value))
            goto oom;
    }
    return true;
oom:
    docker_labels_free(out);
    return false;
}

bool docker_labels_decode(const char *json, size_t len, struct docker_labels *out)
{
    *out = (struct docker_labels){0};
    json_t *root = json_loadb(json, len, 0, NULL);
    bool ok = json_is_object(root) && copy_labels(root, out);
    json_decref(root);
    return ok;
}

enum docker_decode docker_event_decode(const char *buf, size_t len, struct docker_event *ev,
                                       char *err, size_t errlen)
{
    memset(ev, 0, sizeof *ev);
    ev->signal = -1;
    json_error_t jerr;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        if (err && errlen)
            snprintf(err, errlen, "event is not JSON: %s", jerr.text);
        return DOCKER_DECODE_BAD;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        set_err(err, errlen, "event is not a JSON object");
        return DOCKER_DECODE_BAD;
    }
    /* API >= 1.22 has Type/Action/Actor; "status"/"id" are the older duplicates */
    const json_t *type = json_object_get(root, "Type");
    if (type && (!json_is_string(type) || strcmp(json_string_value(type), "container") != 0)) {
        json_decref(root);
        return DOCKER_DECODE_IGNORE;
    }
    const json_t *action = json_object_get(root, "Action");
    if (!action)
        action = json_object_get(root, "status");
    const json_t *actor = json_object_get(root, "Actor");
    const json_t *id = json_is_object(actor) ? json_object_get(actor, "ID") : NULL;
    if (!id)
        id = json_object_get(root, "id");
    if (!json_is_string(action) || !json_is_string(id)) {
        json_decref(root);
        set_err(err, errlen, "event without Action or Actor.ID");
        return DOCKER_DECODE_BAD;
    }
    if (!docker_id_valid(json_string_value(id))) {
        json_decref(root);
        set_err(err, errlen, "event with an invalid container id");
        return DOCKER_DECODE_BAD;
    }
    json_t *attrs = json_is_object(actor) ? json_object_get(actor, "Attributes") : NULL;
    if (attrs && !json_is_object(attrs))
        attrs = NULL;
    if (!copy_labels(attrs, &ev->attributes)) {
        json_decref(root);
        set_err(err, errlen, "out of memory decoding an event");
        return DOCKER_DECODE_BAD;
    }

    ev->action = docker_action_parse(json_string_value(action));
    snprintf(ev->id, sizeof ev->id, "%s", json_string_value(id));
    const json_t *name = attrs ? json_object_get(attrs, "name") : NULL;
    copy_name(ev->name, json_is_string(name) ? json_string_value(name) : "");
    if (ev->action == DOCKER_EV_KILL)
        ev->signal = parse_signal(attrs ? json_object_get(attrs, "signal") : NULL);
    const json_t *tn = json_object_get(root, "timeNano");
    ev->time_nano = json_is_integer(tn) ? (int64_t)json_integer_value(tn) : 0;
    ev->effect = docker_action_effect(ev->action, ev->signal);
    ev->health = ev->action == DOCKER_EV_HEALTHY           ? DOCKER_HEALTH_HEALTHY
                 : ev->action == DOCKER_EV_UNHEALTHY       ? DOCKER_HEALTH_UNHEALTHY
                 : ev->action == DOCKER_EV_HEALTH_STARTING ? DOCKER_HEALTH_STARTING
                                                           : DOCKER_HEALTH_UNKNOWN;
    json_decref(root);
    return DOCKER_DECODE_OK;
}

void docker_event_free(struct docker_event *ev)
{
    docker_labels_free(&ev->attributes);
}

void docker_container_free(struct docker_container *c)
{
    docker_labels_free(&c->labels);
}

enum container_decode { CONTAINER_OK, CONTAINER_BAD_ID, CONTAINER_NOMEM };

/* Fills c from a list entry or an inspect body; BAD_ID when the Id is not a full container id. */
static enum container_decode decode_container(const json_t *o, bool inspect,
                                              struct docker_container *c)
{
    memset(c, 0, sizeof *c);
    const json_t *id = json_object_get(o, "Id");
    if (!json_is_string(id) || !docker_id_valid(json_string_value(id)))
        return CONTAINER_BAD_ID;
    json_t *labels;
    snprintf(c->id, sizeof c->id, "%s", json_string_value(id));
    if (inspect) {
        const json_t *name = json_object_get(o, "Name");
        copy_name(c->name, json_is_string(name) ? json_string_value(name) : "");
        const json_t *state = json_object_get(o, "State");
        c->running = json_is_true(json_object_get(state, "Running")) &&
                     !json_is_true(json_object_get(state, "Paused"));
        const json_t *health = json_object_get(state, "Health");
        const json_t *hs = json_object_get(health, "Status");
        c->health = json_is_object(health)
                        ? health_parse(json_is_string(hs) ? json_string_value(hs) : "starting")
                        : DOCKER_HEALTH_NONE;
        const json_t *config = json_object_get(o, "Config");
        labels = json_object_get(config, "Labels");
    } else {
        const json_t *names = json_object_get(o, "Names");
        const json_t *first = json_is_array(names) ? json_array_get(names, 0) : NULL;
        copy_name(c->name, json_is_string(first) ? json_string_value(first) : "");
        const json_t *state = json_object_get(o, "State");
        /* "State" is a string since API 1.23; older daemons omit it and list running only */
        c->running =
            !state || (json_is_string(state) && strcmp(json_string_value(state), "running") == 0);
        const json_t *health = json_object_get(o, "Health");
        const json_t *hs = json_object_get(health, "Status");
        const json_t *status = json_object_get(o, "Status");
        const char *text = json_is_string(status) ? json_string_value(status) : "";
        if (json_is_string(hs))
            c->health = health_parse(json_string_value(hs));
        else if (strstr(text, "(healthy)"))
            c->health = DOCKER_HEALTH_HEALTHY;
        else if (strstr(text, "(unhealthy)"))
            c->health = DOCKER_HEALTH_UNHEALTHY;
        else if (strstr(text, "(health: "))
            c->health = DOCKER_HEALTH_STARTING;
        else
            c->health = DOCKER_HEALTH_NONE;
        labels = json_object_get(o, "Labels");
    }
    if (c->name[0] == '\0')
        snprintf(c->name, sizeof c->name, "%.12s", c->id);
    return copy_labels(labels, &c->labels) ? CONTAINER_OK : CONTAINER_NOMEM;
}

bool docker_list_decode(const char *body, size_t len,
                        void (*cb)(struct docker_container *c, void *ctx), void *ctx,
                        size_t *skipped, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    if (!root) {
        if (err && errlen)
            snprintf(err, errlen, "container list is not JSON: %s", jerr.text);
        return false;
    }
    if (!json_is_array(root)) {
        json_decref(root);
        set_err(err, errlen, "container list is not a JSON array");
        return false;
    }
    size_t i;
    json_t *o;
    bool ok = true;
    json_array_foreach(root, i, o)
    {
        struct docker_container c;
        enum container_decode r =
            json_is_object(o) ? decode_container(o, false, &c) : CONTAINER_BAD_ID;
        if (r == CONTAINER_OK) {
            cb(&c, ctx);
            docker_container_free(&c);
        } else if (r == CONTAINER_NOMEM) {
            set_err(err, errlen, "out of memory decoding the container list");
            ok = false;
            break;
        } else if (skipped) {
            (*skipped)++;
        }
    }
    json_decref(root);
    return ok;
}

bool docker_inspect_decode(const char *body, size_t len, struct docker_container *out, char *err,
                           size_t errlen)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    if (!root) {
        if (err && errlen)
            snprintf(err, errlen, "inspect is not JSON: %s", jerr.text);
        return false;
    }
    enum container_decode r =
        json_is_object(root) ? decode_container(root, true, out) : CONTAINER_BAD_ID;
    json_decref(root);
    if (r != CONTAINER_OK) {
        set_err(err, errlen,
                r == CONTAINER_NOMEM ? "out of memory decoding inspect"
                                     : "inspect without a valid Id");
        return false;
    }
    return true;
}

bool docker_version_decode(const char *body, size_t len, char out[16])
{
    json_t *root = json_loadb(body, len, 0, NULL);
    const json_t *v = json_is_object(root) ? json_object_get(root, "ApiVersion") : NULL;
    bool ok = json_is_string(v) && docker_api_version_valid(json_string_value(v));
    if (ok)
        snprintf(out, 16, "%s", json_string_value(v));
    json_decref(root);
    return ok;
}

/* Compact JSON of f (consumed); NULL when f is NULL or memory runs out. */
static char *dump(json_t *f)
{
    char *js = f ? json_dumps(f, JSON_COMPACT) : NULL;
    json_decref(f);
    return js;
}

char *docker_list_filter_json(const char *label)
{
    if (!label)
        return dump(json_pack("{s:[s]}", "status", "running"));
    return dump(json_pack("{s:[s], s:[s]}", "label", label, "status", "running"));
}

char *docker_events_filter_json(void)
{
    /* dockerd matches "health_status" as a prefix of "health_status: healthy" etc. */
    return dump(json_pack("{s:[s], s:[s,s,s,s,s,s,s,s]}", "type", "container", "event", "start",
                          "unpause", "die", "stop", "kill", "pause", "destroy", "health_status"));
}
