/* cli/explain.c — `joyride explain NAME [TYPE]`: GET /dns/explain, shown as the answer the node
 * gives, the rule that decided it (and the wildcard that answered, if one did), and every record
 * of the name with its state and source. */
#include <stdio.h>
#include <string.h>

#include "cli/internal.h"

static const char HELP[] =
    "TYPE is A (default), AAAA, ANY, SOA, ... The answer is the node's real DNS answer (its\n"
    "responder run on its live records); each record shows its state: served, shadowed (this\n"
    "node's hosts files have the name), dormant (its owner failed) or removed (a tombstone).\n"
    "A name answered from a wildcard (RFC 4592) shows the wildcard and its records.\n"
    "Exit 0 when the node answers with at least one address, 1 otherwise.\n";

const struct cli_command cli_explain_command = {
    .name = "explain",
    .run = cli_explain,
    .args = "NAME [TYPE]",
    .summary = "what the node answers for NAME, and why",
    .help = HELP,
    .min_args = 1,
    .max_args = 2,
};

/* "hosts:/etc/joyride/hosts/lab:3", "docker:web-1 (3f2a1b9c0d4e)", or the source as is. */
static const char *source_text(const json_t *rec, char *buf, size_t len)
{
    const char *kind = cli_str(rec, "source_type");
    const json_t *line = json_object_get(rec, "line");
    if (kind && strcmp(kind, "hosts") == 0 && json_is_integer(line)) {
        snprintf(buf, len, "%s:%lld", cli_str(rec, "source"), (long long)json_integer_value(line));
    } else if (kind && strcmp(kind, "docker") == 0 && cli_str(rec, "container_name")) {
        snprintf(buf, len, "docker:%s (%.12s)", cli_str(rec, "container_name"),
                 cli_str(rec, "container_id") ? cli_str(rec, "container_id") : "?");
    } else {
        snprintf(buf, len, "%s", cli_str(rec, "source"));
    }
    return buf;
}

static void print_answer(const json_t *doc)
{
    const json_t *a = json_object_get(doc, "answer");
    const json_t *answers = json_object_get(a, "answers");
    const char *rcode = cli_str(a, "rcode");
    printf("%s %s: ", cli_str(doc, "name"), cli_str(doc, "type"));
    if (json_is_true(json_object_get(a, "dropped"))) {
        printf("no answer (the query is dropped)\n");
    } else {
        printf("%s%s", rcode ? rcode : "?",
               json_is_true(json_object_get(a, "authoritative")) ? " (authoritative)" : "");
        size_t n = json_array_size(answers);
        const json_t *ns = json_object_get(a, "ns");
        if (json_array_size(ns)) {
            printf(", %zu name server%s:", json_array_size(ns),
                   json_array_size(ns) == 1 ? "" : "s");
            size_t i;
            const json_t *x;
            json_array_foreach(ns, i, x)
            {
                printf(" %s", json_string_value(x) ? json_string_value(x) : "?");
            }
        } else if (n) {
            const char *first = cli_str(json_array_get(answers, 0), "type");
            bool ptr = first && strcmp(first, "PTR") == 0;
            printf(", %zu %s%s:", n, ptr ? "name" : "address", n == 1 ? "" : ptr ? "s" : "es");
            size_t i;
            const json_t *x;
            json_array_foreach(answers, i, x)
            {
                const char *v = cli_str(x, ptr ? "target" : "address");
                printf(" %s", v ? v : "?");
            }
        } else if (rcode && strcmp(rcode, "NOERROR") == 0) {
            printf(", no address");
        }
        const char *soa = cli_str(a, "soa");
        if (soa && strcmp(soa, "none") != 0)
            printf(" (SOA in the %s section)", soa);
        putchar('\n');
    }
    printf("rule: %s\n", cli_str(json_object_get(doc, "rule"), "text"));
    const json_t *wild = json_object_get(doc, "wildcard");
    if (json_is_object(wild))
        printf("wildcard: %s (closest encloser %s)\n", cli_str(wild, "name"),
               cli_str(wild, "closest_encloser"));
}

/* At a reverse name: the records of its address, those giving the PTRs first. */
static void print_ptr_records(const json_t *recs)
{
    static const char *const headers[] = {"NAME", "PTR", "RANK", "STATE", "OWNER", "SOURCE"};
    struct cli_table t;
    cli_table_init(&t, 6, headers);
    size_t i;
    const json_t *rec;
    json_array_foreach(recs, i, rec)
    {
        char rank[24], owner[160];
        snprintf(rank, sizeof rank, "%lld",
                 (long long)json_integer_value(json_object_get(rec, "rank")));
        snprintf(owner, sizeof owner, "%s%s", cli_str(rec, "owner"),
                 json_is_true(json_object_get(rec, "owner_is_self")) ? " (this node)" : "");
        const char *row[] = {cli_str(rec, "name"),
                             json_is_true(json_object_get(rec, "gives_ptr")) ? "yes" : "no",
                             rank,
                             cli_str(rec, "state"),
                             owner,
                             cli_str(rec, "source")};
        cli_table_add(&t, row);
    }
    printf("\nrecords of %s:\n", cli_str(json_array_get(recs, 0), "address"));
    cli_table_print(&t, stdout);
    cli_table_free(&t);
}

static void print_records(const json_t *doc)
{
    const json_t *recs = json_object_get(doc, "records");
    const json_t *ptr = json_object_get(doc, "ptr_records");
    if (json_array_size(ptr) > 0)
        print_ptr_records(ptr);
    if (json_array_size(recs) == 0) {
        if (json_array_size(ptr) == 0)
            printf("\nno record of this name on this node\n");
        return;
    }
    static const char *const headers[] = {"STATE", "TYPE",  "ADDRESS", "OWNER",
                                          "SEQ",   "EPOCH", "SOURCE"};
    struct cli_table t;
    cli_table_init(&t, 7, headers);
    size_t i;
    const json_t *rec;
    json_array_foreach(recs, i, rec)
    {
        const json_t *ver = json_object_get(rec, "version");
        char seq[24], epoch[24], owner[160], src[512];
        snprintf(seq, sizeof seq, "%lld",
                 (long long)json_integer_value(json_object_get(ver, "seq")));
        snprintf(epoch, sizeof epoch, "%lld",
                 (long long)json_integer_value(json_object_get(ver, "epoch")));
        snprintf(owner, sizeof owner, "%s%s", cli_str(rec, "owner"),
                 json_is_true(json_object_get(rec, "owner_is_self")) ? " (this node)" : "");
        const char *row[] = {cli_str(rec, "state"),
                             cli_str(rec, "type"),
                             cli_str(rec, "address"),
                             owner,
                             seq,
                             epoch,
                             source_text(rec, src, sizeof src)};
        cli_table_add(&t, row);
    }
    putchar('\n');
    cli_table_print(&t, stdout);
    cli_table_free(&t);
}

int cli_explain(int argc, char **argv)
{
    struct cli_opts o;
    int rc = cli_parse(argc, argv, &cli_explain_command, &o);
    if (rc >= 0)
        return rc;
    struct buf path = {0};
    buf_puts(&path, "/dns/explain?name=");
    cli_url_escape(&path, o.args[0]);
    if (o.nargs > 1) {
        buf_puts(&path, "&type=");
        cli_url_escape(&path, o.args[1]);
    }
    struct cli_reply r;
    rc = path.oom ? CLI_FAIL : cli_request(&o, "GET", path.p, &r);
    buf_free(&path);
    if (rc != CLI_OK)
        return rc;
    const json_t *answers = json_object_get(json_object_get(r.doc, "answer"), "answers");
    int code = r.status == 400                                    ? CLI_USAGE
               : r.status != 200 || json_array_size(answers) == 0 ? CLI_FAIL
                                                                  : CLI_OK;
    if ((rc = cli_print_raw(&o, &r, code)) >= 0) {
        cli_reply_free(&r);
        return rc;
    }
    if (r.status != 200) {
        fprintf(stderr, "joyride explain: %s\n", cli_message(&r, "request failed"));
        cli_reply_free(&r);
        return code;
    }
    print_answer(r.doc);
    size_t i;
    const json_t *note;
    json_array_foreach(json_object_get(r.doc, "notes"), i, note)
    {
        printf("note: %s\n", json_string_value(note));
    }
    print_records(r.doc);
    cli_reply_free(&r);
    return code;
}
