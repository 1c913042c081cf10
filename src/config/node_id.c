/* config/node_id.c — the default NODE_ID. `joyride-<pid>` tells nodes apart only where PIDs differ
 * between hosts; in a container joyride runs in a PID namespace of its own (often as PID 1), so
 * every host would say `joyride-1`. There the default is `joyride-<hostname>` (a container on the
 * host network has the host's name, any other container its own id), else
 * `joyride-<machine-id prefix>`, else the PID. */
#include "config/config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The initial PID namespace's inode number (PROC_PID_INIT_INO in the kernel). */
#define INIT_PID_NS "pid:[4026531836]"
#define MACHINE_ID_CHARS 12

/* Appends the characters a node id allows (printable ASCII, no blanks); false if none. */
static bool append_id(char *out, size_t len, const char *prefix, const char *s, size_t max)
{
    size_t n = (size_t)snprintf(out, len, "%s", prefix);
    size_t start = n;
    for (size_t i = 0; s && s[i] && i < max && n + 1 < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\n')
            break;
        out[n++] = ch > 0x20 && ch < 0x7f ? (char)ch : '-';
    }
    out[n] = '\0';
    return n > start;
}

void config_default_node_id(char *out, size_t len, long pid, bool own_pid_namespace,
                            const char *hostname, const char *machine_id)
{
    bool pid_unique = pid != 1 && !own_pid_namespace;
    if (pid_unique || (!append_id(out, len, "joyride-", hostname, len) &&
                       !append_id(out, len, "joyride-", machine_id, MACHINE_ID_CHARS)))
        snprintf(out, len, "joyride-%ld", pid);
}

bool config_in_own_pid_namespace(void)
{
    char link[64];
    ssize_t n = readlink("/proc/self/ns/pid", link, sizeof link - 1);
    if (n <= 0)
        return getpid() == 1;
    link[n] = '\0';
    return getpid() == 1 || strcmp(link, INIT_PID_NS) != 0;
}

void config_node_id_here(char *out, size_t len)
{
    char host[256] = "";
    if (gethostname(host, sizeof host) != 0)
        host[0] = '\0';
    host[sizeof host - 1] = '\0';
    char mid[64] = "";
    FILE *f = fopen("/etc/machine-id", "re");
    if (f) {
        if (!fgets(mid, sizeof mid, f))
            mid[0] = '\0';
        fclose(f);
    }
    config_default_node_id(out, len, (long)getpid(), config_in_own_pid_namespace(), host, mid);
}
