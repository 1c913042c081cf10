/* awareness.c — Lifeguard local health: a score in [0, max-1] that grows when this node misses
 * nacks or has to refute, shrinks on successful probes, and stretches probe timeouts by
 * (score + 1) so a slow node accuses others less (memberlist awareness.go). */
#include "swimmies/swim_int.h"

void swim_awareness_apply(struct swim *s, int delta)
{
    int max = (int)s->cfg.awareness_max_mult;
    int v = s->awareness + delta;
    if (v < 0)
        v = 0;
    if (v > max - 1)
        v = max - 1;
    s->awareness = v;
}

uint64_t swim_awareness_scale(const struct swim *s, uint64_t timeout)
{
    return timeout * (uint64_t)(s->awareness + 1);
}
