/* cli/internal.h — what the command files share: the command descriptions and option parsing
 * (opts.c), the HTTP client on libcurl (client.c) and the output helpers: aligned tables and
 * times shown as local time plus "n s ago" (table.c). */
#ifndef JOYRIDE_CLI_INTERNAL_H
#define JOYRIDE_CLI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "cli/cli.h"
#include "core/buf.h"

#define CLI_API_MAX 512
#define CLI_ARGS_MAX 4
#define CLI_DEFAULT_TIMEOUT_MS 5000L

/* One command: its name, a usage line, what it does, and its own options beyond the common
 * ones (--api, --json, --timeout, --help). */
struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *args;          /* "NAME [TYPE]" */
    const char *summary;       /* one line for `joyride --help` */
    const char *help;          /* the rest of `joyride CMD --help` (may be NULL) */
    const char *value_opts[3]; /* options taking a value, e.g. "limit"; NULL-terminated */
    size_t min_args, max_args;
};

extern const struct cli_command cli_members_command, cli_records_command, cli_explain_command,
    cli_sync_command, cli_health_command;

struct cli_opts {
    const struct cli_command *cmd;
    char api[CLI_API_MAX]; /* base URL, no trailing slash */
    bool json;
    long timeout_ms;
    const char *args[CLI_ARGS_MAX];
    size_t nargs;
    const char *values[3]; /* the value of cmd->value_opts[i], or NULL */
};

/* Parses argv (argv[0] is the command) into o. Returns -1 to go on, or the exit code to return
 * at once: 0 after printing the help, 2 after printing a usage error. */
int cli_parse(int argc, char **argv, const struct cli_command *cmd, struct cli_opts *o);
/* Prints "joyride CMD: <message>" and a hint to stderr; returns CLI_USAGE. */
int cli_usage_error(const struct cli_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

struct cli_reply {
    long status; /* HTTP status */
    struct buf body;
    json_t *doc; /* the body as JSON */
};

/* Sends METHOD api+path (path already URL-encoded). Returns CLI_OK with r filled (any HTTP
 * status, with a JSON body), or, after one line on stderr, CLI_UNREACHABLE (no HTTP answer:
 * "joyride: cannot reach http://127.0.0.1:5000: connection refused") or CLI_FAIL (the answer is
 * not JSON). */
int cli_request(const struct cli_opts *o, const char *method, const char *path,
                struct cli_reply *r);
void cli_reply_free(struct cli_reply *r);
/* Appends s to b percent-encoded for a query string. */
void cli_url_escape(struct buf *b, const char *s);
/* With --json: prints the API's body as it came and returns code; else returns -1. */
int cli_print_raw(const struct cli_opts *o, const struct cli_reply *r, int code);
/* The "message" of an error answer, or a fallback. */
const char *cli_message(const struct cli_reply *r, const char *fallback);

/* ---- output ---- */

struct cli_table {
    size_t ncols;
    const char *const *headers;
    struct {
        char **v; /* row-major cells, each malloc'd */
        size_t n, cap;
    } cells;
};

void cli_table_init(struct cli_table *t, size_t ncols, const char *const *headers);
/* Adds one row of t->ncols cells (NULL or "" shows "-"). */
void cli_table_add(struct cli_table *t, const char *const *row);
size_t cli_table_rows(const struct cli_table *t);
/* Columns as wide as their widest cell, two spaces apart, no trailing blanks. */
void cli_table_print(const struct cli_table *t, FILE *out);
void cli_table_free(struct cli_table *t);

/* "2026-12-02 15:53:26 (12 s ago)" in local time for an ISO 8601 UTC timestamp of the API; the
 * input as is when it does not parse, "-" for NULL. buf holds 96 bytes. */
const char *cli_when(const char *iso, char buf[96]);
/* The string member key of o, or NULL. */
const char *cli_str(const json_t *o, const char *key);

#endif
