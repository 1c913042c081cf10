/* cli/opts.c — the command table, the dispatcher main.c calls, `--help` texts, and the options
 * every command shares: --api URL (else $JOYRIDE_API, else http://127.0.0.1:$HTTP_PORT), --json,
 * --timeout SECONDS, -h/--help. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/internal.h"

static const struct cli_command *const commands[] = {
    &cli_members_command, &cli_records_command, &cli_explain_command,
    &cli_sync_command,    &cli_health_command,
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

bool cli_is_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return true;
    return false;
}

int cli_run(int argc, char **argv)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (argc > 0 && strcmp(commands[i]->name, argv[0]) == 0)
            return commands[i]->run(argc, argv);
    return CLI_USAGE;
}

void cli_print_commands(FILE *out)
{
    fprintf(out, "\nCommands (they talk to a running node over its HTTP API; "
                 "joyride COMMAND --help for more):\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        char head[40];
        snprintf(head, sizeof head, "%s %s", commands[i]->name, commands[i]->args);
        fprintf(out, "  joyride %-22s %s\n", head, commands[i]->summary);
    }
    fprintf(out, "Their exit status: 0 ok, 1 not found / unhealthy / failed, 2 usage, "
                 "3 node not reachable.\n");
}

static void print_help(const struct cli_command *c)
{
    printf("Usage: joyride %s%s%s [--api URL] [--json] [--timeout SECONDS]\n", c->name,
           c->args[0] ? " " : "", c->args);
    printf("%c%s.\n", toupper((unsigned char)c->summary[0]), c->summary + 1);
    if (c->help)
        printf("\n%s", c->help);
    printf("\nCommon options:\n"
           "  --api URL          the node's HTTP API (default: $JOYRIDE_API, else\n"
           "                     http://127.0.0.1:$HTTP_PORT, port 5000 when unset)\n"
           "  --json             print the API's JSON answer as it came\n"
           "  --timeout SECONDS  give up after this long (default: 5)\n"
           "  -h, --help         show this help\n"
           "\nExit status: 0 ok, 1 %s, 2 usage, 3 node not reachable.\n",
           strcmp(c->name, "health") == 0 ? "unhealthy or not reachable" : "not found or failed");
}

int cli_usage_error(const struct cli_opts *o, const char *fmt, ...)
{
    struct buf msg = {0};
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "joyride %s: %s (see joyride %s --help)\n", o->cmd->name,
            msg.p ? msg.p : "bad arguments", o->cmd->name);
    buf_free(&msg);
    return CLI_USAGE;
}

/* The default API URL from the environment. */
static int default_api(struct cli_opts *o)
{
    const char *env = getenv("JOYRIDE_API");
    if (env && env[0]) {
        snprintf(o->api, sizeof o->api, "%s", env);
        return -1;
    }
    const char *port = getenv("HTTP_PORT");
    if (!port || !port[0])
        port = getenv("FLASK_PORT"); /* HTTP_PORT's alias, as the node reads it */
    if (!port || !port[0])
        port = "5000";
    char *end;
    long p = strtol(port, &end, 10);
    if (*end || p < 1 || p > 65535)
        return cli_usage_error(o, "HTTP_PORT: %s is not a port (1-65535)", port);
    snprintf(o->api, sizeof o->api, "http://127.0.0.1:%ld", p);
    return -1;
}

static bool check_api(struct cli_opts *o)
{
    size_t n = strlen(o->api);
    while (n > 0 && o->api[n - 1] == '/')
        o->api[--n] = '\0';
    bool scheme = strncasecmp(o->api, "http://", 7) == 0 || strncasecmp(o->api, "https://", 8) == 0;
    return scheme && n > (strncasecmp(o->api, "https", 5) == 0 ? 8u : 7u) &&
           !strpbrk(o->api, " \t\r\n?#");
}

static int value_index(const struct cli_command *c, const char *name)
{
    for (int i = 0; i < 3 && c->value_opts[i]; i++)
        if (strcmp(c->value_opts[i], name) == 0)
            return i;
    return -1;
}

/* "--name=value" or "--name value": the option's name and its value (NULL when it has none). */
static int take_value(int argc, char **argv, int *i, char *name, size_t namelen, const char **value)
{
    const char *a = argv[*i] + 2;
    const char *eq = strchr(a, '=');
    size_t n = eq ? (size_t)(eq - a) : strlen(a);
    snprintf(name, namelen, "%.*s", (int)n, a);
    *value = eq ? eq + 1 : (*i + 1 < argc ? argv[*i + 1] : NULL);
    return eq ? 0 : 1; /* how many extra argv entries the value used */
}

int cli_parse(int argc, char **argv, const struct cli_command *cmd, struct cli_opts *o)
{
    memset(o, 0, sizeof *o);
    o->cmd = cmd;
    o->timeout_ms = CLI_DEFAULT_TIMEOUT_MS;
    const char *api = NULL;
    bool dashdash = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (dashdash || a[0] != '-' || strcmp(a, "-") == 0) {
            if (o->nargs == cmd->max_args)
                return cli_usage_error(o, "unexpected argument '%s'", a);
            o->args[o->nargs++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            dashdash = true;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            print_help(cmd);
            return CLI_OK;
        }
        if (strcmp(a, "--json") == 0) {
            o->json = true;
            continue;
        }
        if (strncmp(a, "--", 2) != 0)
            return cli_usage_error(o, "unknown option %s", a);
        char name[64];
        const char *value;
        int used = take_value(argc, argv, &i, name, sizeof name, &value);
        int vi = value_index(cmd, name);
        bool known = vi >= 0 || strcmp(name, "api") == 0 || strcmp(name, "timeout") == 0;
        if (!known)
            return cli_usage_error(o, "unknown option --%s", name);
        if (!value)
            return cli_usage_error(o, "--%s needs a value", name);
        i += used;
        if (strcmp(name, "api") == 0) {
            api = value;
        } else if (strcmp(name, "timeout") == 0) {
            char *end;
            double s = strtod(value, &end);
            if (end == value || *end || !(s > 0 && s <= 3600))
                return cli_usage_error(o, "--timeout: %s is not a number of seconds (0-3600)",
                                       value);
            o->timeout_ms = (long)(s * 1000.0 + 0.5);
            if (o->timeout_ms < 1)
                o->timeout_ms = 1;
        } else {
            o->values[vi] = value;
        }
    }
    if (o->nargs < cmd->min_args)
        return cli_usage_error(o, "missing %s", cmd->args);
    if (api) {
        if (strlen(api) >= sizeof o->api)
            return cli_usage_error(o, "--api: the URL is too long");
        snprintf(o->api, sizeof o->api, "%s", api);
    } else {
        int rc = default_api(o);
        if (rc >= 0)
            return rc;
    }
    if (!check_api(o))
        return cli_usage_error(o, "%s is not an http:// URL (--api http://HOST:PORT)", o->api);
    return -1;
}
