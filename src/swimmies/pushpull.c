/* pushpull.c — anti-entropy (memberlist net.go sendLocalState/mergeRemoteState, state.go
 * pushPull/verifyProtocol/mergeState): full membership plus the delegate's user state over TCP,
 * on join and periodically with the interval scaled by cluster size. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "swimmies/swim_int.h"

int swim_pushpull_encode(struct swim *s, bool join, uint8_t **out, size_t *out_len)
{
    uint8_t *user = NULL;
    size_t user_len = 0;
    if (s->cfg.delegate.local_state)
        s->cfg.delegate.local_state(s->cfg.delegate.ctx, join, &user, &user_len);
    if (!user)
        user_len = 0;
    size_t cap = 64 + user_len;
    for (size_t i = 0; i < s->nodes.n; i++)
        cap += 96 + s->nodes.v[i]->name_len + s->nodes.v[i]->meta_len;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        free(user);
        return -ENOMEM;
    }
    struct swim_push_pull_header h = {
        .nodes = (uint32_t)s->nodes.n, .user_state_len = (uint32_t)user_len, .join = join};
    ssize_t n = swim_encode_push_pull_header(buf, cap, &h);
    size_t pos = n > 0 ? (size_t)n : 0;
    for (size_t i = 0; i < s->nodes.n && n > 0; i++) {
        const struct member *m = s->nodes.v[i];
        struct swim_push_node pn = {
            .name = swim_mem(m->name, m->name_len),
            .addr = swim_mem(m->addr.ip, m->addr.ip_len),
            .port = m->addr.port,
            .meta = m->meta_len ? swim_mem(m->meta, m->meta_len) : (struct swim_bytes){NULL, 0},
            .incarnation = m->incarnation,
            .state = (uint8_t)m->state,
            .vsn_len = 6,
        };
        memcpy(pn.vsn, m->vsn, 6);
        n = swim_encode_push_node(buf + pos, cap - pos, &pn);
        if (n > 0)
            pos += (size_t)n;
    }
    if (n < 0) {
        free(buf);
        free(user);
        return -EMSGSIZE;
    }
    if (user_len)
        memcpy(buf + pos, user, user_len);
    pos += user_len;
    free(user);
    *out = buf;
    *out_len = pos;
    return 0;
}

/* memberlist verifyProtocol: every node's current versions must fit the common ranges. */
static int verify_protocol(struct swim *s, const struct swim_stream_msg *msg)
{
    uint8_t maxpmin = 0, minpmax = 255, maxdmin = 0, mindmax = 255;
    struct swim_bytes it = msg->u.push_pull.nodes;
    struct swim_push_node n;
    int rc;
    while ((rc = swim_push_nodes_next(&it, &n)) == 1) {
        if (n.state != SWIM_STATE_ALIVE || n.vsn_len < 6)
            continue;
        if (n.vsn[0] > maxpmin)
            maxpmin = n.vsn[0];
        if (n.vsn[1] < minpmax)
            minpmax = n.vsn[1];
        if (n.vsn[3] > maxdmin)
            maxdmin = n.vsn[3];
        if (n.vsn[4] < mindmax)
            mindmax = n.vsn[4];
    }
    if (rc < 0)
        return -1;
    for (size_t i = 0; i < s->nodes.n; i++) {
        const struct member *m = s->nodes.v[i];
        if (m->state != SWIM_ALIVE)
            continue;
        if (m->vsn[0] > maxpmin)
            maxpmin = m->vsn[0];
        if (m->vsn[1] < minpmax)
            minpmax = m->vsn[1];
        if (m->vsn[3] > maxdmin)
            maxdmin = m->vsn[3];
        if (m->vsn[4] < mindmax)
            mindmax = m->vsn[4];
    }
    it = msg->u.push_pull.nodes;
    while (swim_push_nodes_next(&it, &n) == 1) {
        uint8_t pcur = n.vsn_len >= 6 ? n.vsn[2] : 0, dcur = n.vsn_len >= 6 ? n.vsn[5] : 0;
        if (pcur < maxpmin || pcur > minpmax || dcur < maxdmin || dcur > mindmax) {
            SWIM_WARN(s,
                      "node '%.*s' versions (protocol %u, delegate %u) are incompatible: "
                      "[%u, %u] / [%u, %u]",
                      (int)n.name.len, (const char *)n.name.p, pcur, dcur, maxpmin, minpmax,
                      maxdmin, mindmax);
            return -1;
        }
    }
    for (size_t i = 0; i < s->nodes.n; i++) {
        const struct member *m = s->nodes.v[i];
        if (m->vsn[2] < maxpmin || m->vsn[2] > minpmax || m->vsn[5] < maxdmin ||
            m->vsn[5] > mindmax) {
            SWIM_WARN(s, "node '%s' versions are incompatible with the remote cluster", m->name);
            return -1;
        }
    }
    return 0;
}

static int ask_accept(struct swim *s, const struct swim_stream_msg *msg)
{
    size_t count = msg->u.push_pull.header.nodes;
    struct swim_member *views = calloc(count ? count : 1, sizeof(*views));
    char **names = calloc(count ? count : 1, sizeof(*names));
    int ret = -1;
    if (!views || !names)
        goto out;
    struct swim_bytes it = msg->u.push_pull.nodes;
    struct swim_push_node n;
    size_t i = 0;
    while (i < count && swim_push_nodes_next(&it, &n) == 1) {
        names[i] = strndup(n.name.len ? (const char *)n.name.p : "", n.name.len);
        if (!names[i])
            goto out;
        views[i].name = names[i];
        swim_ip_to_addr(n.addr.p, n.addr.len > 16 ? 16 : n.addr.len, n.port, &views[i].addr);
        views[i].meta = n.meta.p;
        views[i].meta_len = n.meta.len;
        views[i].state = n.state <= SWIM_LEFT ? (enum swim_state)n.state : SWIM_DEAD;
        views[i].incarnation = n.incarnation;
        memcpy(views[i].vsn, n.vsn, 6);
        i++;
    }
    ret = s->cfg.delegate.accept_merge(s->cfg.delegate.ctx, views, i) ? 0 : -1;
out:
    if (names)
        for (size_t j = 0; j < count; j++)
            free(names[j]);
    free(names);
    free(views);
    return ret;
}

int swim_pushpull_merge(struct swim *s, const struct swim_stream_msg *msg, bool join)
{
    if (verify_protocol(s, msg) < 0) {
        s->m.dropped_other++;
        return -1;
    }
    if (join && s->cfg.delegate.accept_merge && ask_accept(s, msg) < 0)
        return -1;
    struct swim_bytes it = msg->u.push_pull.nodes;
    struct swim_push_node n;
    while (swim_push_nodes_next(&it, &n) == 1) {
        switch (n.state) {
        case SWIM_STATE_ALIVE: {
            struct alive_in a = {.node = n.name.p,
                                 .node_len = n.name.len,
                                 .addr = n.addr.p,
                                 .addr_len = n.addr.len,
                                 .port = n.port,
                                 .meta = n.meta.p,
                                 .meta_len = n.meta.len,
                                 .incarnation = n.incarnation,
                                 .vsn = n.vsn,
                                 .vsn_len = n.vsn_len};
            swim_state_alive(s, &a, false);
            break;
        }
        case SWIM_STATE_LEFT:
            swim_state_dead(s, n.name.p, n.name.len, n.incarnation, n.name.p, n.name.len);
            break;
        case SWIM_STATE_DEAD:
        case SWIM_STATE_SUSPECT:
            swim_state_suspect(s, n.name.p, n.name.len, n.incarnation, (const uint8_t *)s->name,
                               s->name_len);
            break;
        default:
            break;
        }
    }
    if (msg->u.push_pull.user_state.len && s->cfg.delegate.merge_remote_state)
        s->cfg.delegate.merge_remote_state(s->cfg.delegate.ctx, msg->u.push_pull.user_state.p,
                                           msg->u.push_pull.user_state.len, join);
    return 0;
}

static bool skip_pushpull(struct swim *s, struct member *m, void *ctx)
{
    (void)ctx;
    return m == s->self || m->state != SWIM_ALIVE;
}

void swim_pushpull_periodic(struct swim *s)
{
    struct member *peer;
    if (swim_members_k_random(s, 1, &peer, skip_pushpull, NULL) != 1)
        return;
    uint8_t *buf;
    size_t len;
    if (swim_pushpull_encode(s, false, &buf, &len) < 0)
        return;
    if (swim_stream_send(s, &peer->addr, buf, len, ST_PUSHPULL, 0) < 0)
        s->m.pushpull_failures++;
    free(buf);
}
