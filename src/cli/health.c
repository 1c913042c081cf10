/* cli/health.c — `joyride health`: GET /health of a running node, for people and for a Docker
 * HEALTHCHECK (exit 0 healthy; 1 unhealthy or not reachable; 2 usage). */
#include <stdio.h>
#include <string.h>

#include "cli/internal.h"

static const char HELP[] =
    "Healthy means the node's HTTP API answers /health with status \"healthy\" within the\n"
    "timeout. In a Dockerfile: HEALTHCHECK CMD joyride health --timeout 3\n";

const struct cli_command cli_health_command = {
    .name = "health",
    .run = cli_health,
    .args = "",
    .summary = "exit 0 when the node answers healthy (for HEALTHCHECK)",
    .help = HELP,
};

int cli_health(int argc, char **argv)
{
    struct cli_opts o;
    int rc = cli_parse(argc, argv, &cli_health_command, &o);
    if (rc >= 0)
        return rc;
    struct cli_reply r;
    if (cli_request(&o, "GET", "/health", &r) != CLI_OK)
        return CLI_FAIL; /* the message is printed; a health check knows only 0 and 1 */
    const char *status = cli_str(r.doc, "status");
    bool healthy = r.status == 200 && status && strcmp(status, "healthy") == 0;
    int code = healthy ? CLI_OK : CLI_FAIL;
    if ((rc = cli_print_raw(&o, &r, code)) >= 0) {
        cli_reply_free(&r);
        return rc;
    }
    const char *service = cli_str(r.doc, "service"), *version = cli_str(r.doc, "version");
    if (healthy)
        printf("healthy: %s %s at %s\n", service ? service : "?", version ? version : "?", o.api);
    else
        fprintf(stderr, "joyride: %s is not healthy (HTTP %ld, status %s)\n", o.api, r.status,
                status ? status : "missing");
    cli_reply_free(&r);
    return code;
}
