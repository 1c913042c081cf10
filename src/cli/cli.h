/* cli/cli.h — the operator commands of the joyride binary (`joyride members`, `records`,
 * `explain`, `sync`, `health`). Each talks to a running node over its HTTP API (--api URL, else
 * $JOYRIDE_API, else http://127.0.0.1:$HTTP_PORT with 5000 by default), prints an aligned table
 * for people or the API's JSON with --json, and exits with a code scripts can use:
 * 0 ok, 1 not found / unhealthy / failed, 2 usage, 3 node not reachable (health: 1). */
#ifndef JOYRIDE_CLI_H
#define JOYRIDE_CLI_H

#include <stdbool.h>
#include <stdio.h>

enum cli_exit {
    CLI_OK = 0,
    CLI_FAIL = 1,        /* not found, unhealthy, the node refused or failed */
    CLI_USAGE = 2,       /* bad arguments */
    CLI_UNREACHABLE = 3, /* no HTTP answer from the node */
};

/* Whether argv[1] names a command (then main calls cli_run instead of starting a node). */
bool cli_is_command(const char *name);
/* Runs the command argv[0] with its arguments; returns the exit code. */
int cli_run(int argc, char **argv);
/* The "Commands" section of `joyride --help`. */
void cli_print_commands(FILE *out);

/* The commands; argv[0] is the command's name. */
int cli_members(int argc, char **argv);
int cli_records(int argc, char **argv);
int cli_explain(int argc, char **argv);
int cli_sync(int argc, char **argv);
/* GET /health: exit 0 when the node answers "healthy", 1 when it is unhealthy or unreachable
 * (as a Docker HEALTHCHECK wants), 2 for bad arguments. */
int cli_health(int argc, char **argv);

#endif
