/* cli/cluster.c — `joyride members` (GET /dns/cluster: every SWIM member and every node heard by
 * discovery, with role, address, state, records and last change) and `joyride sync`
 * (POST /dns/sync). */
#include <stdio.h>
#include <string.h>

#include "cli/internal.h"

static const char MEMBERS_HELP[] =
    "One row per cluster node: the SWIM members (this node included) and the nodes heard by\n"
    "broadcast discovery that are not members yet (state \"discovered\"). ROLE is the role a\n"
    "node announces by discovery, else self or peer. Exit 1 when cluster sync is off.\n";

static const char SYNC_HELP[] = "Asks the node for an immediate push/pull of the full record state "
                                "with every alive member.\nExit 1 when cluster sync is off.\n";

const struct cli_command cli_members_command = {
    .name = "members",
    .run = cli_members,
    .args = "",
    .summary = "cluster nodes: role, address, SWIM state, records",
    .help = MEMBERS_HELP,
};

const struct cli_command cli_sync_command = {
    .name = "sync",
    .run = cli_sync,
    .args = "",
    .summary = "start an immediate full sync with every cluster member",
    .help = SYNC_HELP,
};

static int disabled_or_failed(const struct cli_reply *r)
{
    if (r->status == 503)
        fprintf(stderr, "joyride: %s (the node runs with ENABLE_DNS_SYNC=false)\n",
                cli_message(r, "cluster sync is not enabled"));
    else
        fprintf(stderr, "joyride: HTTP %ld: %s\n", r->status, cli_message(r, "request failed"));
    return CLI_FAIL;
}

/* The role a discovered node announces, or NULL. */
static const char *announced_role(const json_t *nodes, const char *id)
{
    size_t i;
    const json_t *n;
    json_array_foreach(nodes, i, n)
    {
        const char *nid = cli_str(n, "node_id");
        if (nid && id && strcmp(nid, id) == 0)
            return cli_str(json_object_get(n, "metadata"), "role");
    }
    return NULL;
}

static bool is_member(const json_t *members, const char *id)
{
    size_t i;
    const json_t *m;
    json_array_foreach(members, i, m)
    {
        const char *mid = cli_str(m, "node_id");
        if (mid && id && strcmp(mid, id) == 0)
            return true;
    }
    return false;
}

static void member_rows(struct cli_table *t, const json_t *members, const json_t *nodes)
{
    size_t i;
    const json_t *m;
    json_array_foreach(members, i, m)
    {
        const char *id = cli_str(m, "node_id");
        bool self = json_is_true(json_object_get(m, "self"));
        const char *role = announced_role(nodes, id);
        char inc[24], recs[24], when[96];
        snprintf(inc, sizeof inc, "%lld",
                 (long long)json_integer_value(json_object_get(m, "incarnation")));
        snprintf(recs, sizeof recs, "%lld",
                 (long long)json_integer_value(json_object_get(m, "records")));
        const char *row[] = {id,
                             role ? role : self ? "self" : "peer",
                             cli_str(m, "address"),
                             cli_str(m, "state"),
                             inc,
                             recs,
                             cli_when(cli_str(m, "last_change"), when)};
        cli_table_add(t, row);
    }
    const json_t *n;
    json_array_foreach(nodes, i, n)
    {
        const char *id = cli_str(n, "node_id");
        if (is_member(members, id))
            continue;
        const json_t *meta = json_object_get(n, "metadata");
        char addr[96], when[96];
        snprintf(addr, sizeof addr, "%s:%lld",
                 cli_str(n, "ip_address") ? cli_str(n, "ip_address") : "?",
                 (long long)json_integer_value(json_object_get(meta, "swim_port")));
        const char *role = cli_str(meta, "role");
        const char *row[] = {id,
                             role ? role : "peer",
                             addr,
                             "discovered",
                             "-",
                             "-",
                             cli_when(cli_str(n, "last_seen"), when)};
        cli_table_add(t, row);
    }
}

int cli_members(int argc, char **argv)
{
    struct cli_opts o;
    int rc = cli_parse(argc, argv, &cli_members_command, &o);
    if (rc >= 0)
        return rc;
    struct cli_reply r;
    if ((rc = cli_request(&o, "GET", "/dns/cluster", &r)) != CLI_OK)
        return rc;
    int code = r.status == 200 ? CLI_OK : CLI_FAIL;
    if ((rc = cli_print_raw(&o, &r, code)) >= 0) {
        cli_reply_free(&r);
        return rc;
    }
    if (code != CLI_OK) {
        rc = disabled_or_failed(&r);
        cli_reply_free(&r);
        return rc;
    }
    const json_t *c = json_object_get(r.doc, "cluster");
    const json_t *swim = json_object_get(c, "swim_cluster");
    static const char *const headers[] = {"NODE",        "ROLE",    "ADDRESS",    "STATE",
                                          "INCARNATION", "RECORDS", "LAST CHANGE"};
    struct cli_table t;
    cli_table_init(&t, 7, headers);
    member_rows(&t, json_object_get(swim, "members"), json_object_get(c, "nodes"));
    cli_table_print(&t, stdout);
    const json_t *counts = json_object_get(swim, "member_counts");
    printf("\n%zu node(s): %lld alive, %lld suspect, %lld failed, %lld left; %lld discovered\n",
           cli_table_rows(&t), (long long)json_integer_value(json_object_get(counts, "alive")),
           (long long)json_integer_value(json_object_get(counts, "suspect")),
           (long long)json_integer_value(json_object_get(counts, "failed")),
           (long long)json_integer_value(json_object_get(counts, "left")),
           (long long)json_integer_value(json_object_get(c, "discovered_nodes")));
    cli_table_free(&t);
    cli_reply_free(&r);
    return CLI_OK;
}

int cli_sync(int argc, char **argv)
{
    struct cli_opts o;
    int rc = cli_parse(argc, argv, &cli_sync_command, &o);
    if (rc >= 0)
        return rc;
    struct cli_reply r;
    if ((rc = cli_request(&o, "POST", "/dns/sync", &r)) != CLI_OK)
        return rc;
    int code = r.status == 200 ? CLI_OK : CLI_FAIL;
    if ((rc = cli_print_raw(&o, &r, code)) >= 0) {
        cli_reply_free(&r);
        return rc;
    }
    if (code == CLI_OK)
        printf("%s\n", cli_message(&r, "DNS synchronization initiated"));
    else
        disabled_or_failed(&r);
    cli_reply_free(&r);
    return code;
}
