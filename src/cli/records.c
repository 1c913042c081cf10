/* cli/records.c — `joyride records [FILTER]`: GET /dns/records (?name=FILTER, --limit, --offset)
 * as a table of name, type, address, source and owner node. */
#include <stdio.h>
#include <string.h>

#include "cli/internal.h"

static const char HELP[] =
    "FILTER is an exact name (web.example.com) or a glob of * and ? (\"*.example.com\": every\n"
    "name under example.com; \"*web*\": names containing web); quote it for the shell.\n"
    "Exit 1 when a FILTER matches nothing.\n"
    "\nOptions:\n"
    "  --limit N          at most N records (0-100000; default: all)\n"
    "  --offset N         skip the first N records of the sorted list\n";

const struct cli_command cli_records_command = {
    .name = "records",
    .run = cli_records,
    .args = "[FILTER]",
    .summary = "records served (FILTER: a name, or a glob such as '*.example.com')",
    .help = HELP,
    .value_opts = {"limit", "offset", NULL},
    .max_args = 1,
};

static void add_param(struct buf *b, const char *key, const char *value)
{
    if (!value)
        return;
    buf_putc(b, b->len ? '&' : '?');
    buf_puts(b, key);
    buf_putc(b, '=');
    cli_url_escape(b, value);
}

static long long num(const json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

int cli_records(int argc, char **argv)
{
    struct cli_opts o;
    int rc = cli_parse(argc, argv, &cli_records_command, &o);
    if (rc >= 0)
        return rc;
    const char *filter = o.nargs ? o.args[0] : NULL;
    struct buf q = {0};
    add_param(&q, "name", filter);
    add_param(&q, "limit", o.values[0]);
    add_param(&q, "offset", o.values[1]);
    struct buf path = {0};
    buf_printf(&path, "/dns/records%s", q.p ? q.p : "");
    buf_free(&q);
    struct cli_reply r;
    rc = cli_request(&o, "GET", path.p ? path.p : "/dns/records", &r);
    buf_free(&path);
    if (rc != CLI_OK)
        return rc;
    long long total = num(r.doc, "total");
    int code = r.status != 200        ? (r.status == 400 ? CLI_USAGE : CLI_FAIL)
               : filter && total == 0 ? CLI_FAIL
                                      : CLI_OK;
    if ((rc = cli_print_raw(&o, &r, code)) >= 0) {
        cli_reply_free(&r);
        return rc;
    }
    if (r.status != 200) {
        fprintf(stderr, "joyride records: %s\n", cli_message(&r, "request failed"));
        cli_reply_free(&r);
        return code;
    }
    static const char *const headers[] = {"NAME", "TYPE", "ADDRESS", "SOURCE", "OWNER"};
    struct cli_table t;
    cli_table_init(&t, 5, headers);
    size_t i;
    const json_t *rec;
    json_array_foreach(json_object_get(r.doc, "records"), i, rec)
    {
        const char *row[] = {cli_str(rec, "hostname"), cli_str(rec, "type"),
                             cli_str(rec, "ip_address"), cli_str(rec, "source"),
                             cli_str(rec, "owner")};
        cli_table_add(&t, row);
    }
    long long returned = num(r.doc, "returned"), offset = num(r.doc, "offset");
    if (total == 0) {
        if (filter)
            fprintf(stderr, "joyride: no record matches %s\n", filter);
        else
            printf("no records\n");
    } else {
        cli_table_print(&t, stdout);
        if (returned == total)
            printf("\n%lld record(s)\n", total);
        else if (returned == 0)
            printf("\nnone of %lld record(s) at offset %lld\n", total, offset);
        else
            printf("\nrecords %lld-%lld of %lld%s\n", offset + 1, offset + returned, total,
                   offset + returned < total ? " (--offset for more)" : "");
    }
    cli_table_free(&t);
    cli_reply_free(&r);
    return code;
}
