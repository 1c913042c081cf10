/* cli/cli.h — joyride's subcommands (`joyride <command> ...`), each a small client of a running
 * joyride. main.c dispatches on argv[1]; argv[0] of each entry point is the command's name. */
#ifndef JOYRIDE_CLI_H
#define JOYRIDE_CLI_H

/* `joyride health [--flag VALUE ...]`: GET /health from the joyride configured like this process
 * (HTTP_PORT, HTTP_BIND_ADDRESS from flags, environment or .env; a wildcard bind address is asked
 * on loopback). Exit status 0 healthy, 1 not healthy or unreachable (one line on stderr), 2 usage
 * or configuration error. For container HEALTHCHECKs and scripts. */
int cli_health(int argc, char **argv);

#endif
