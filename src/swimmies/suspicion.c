/* suspicion.c — Lifeguard suspicion timers: a suspect is declared dead after a timeout that starts
 * at max and shrinks toward min as independent confirmations arrive (memberlist suspicion.go),
 * and the base timeout formula SuspicionMult * max(1, log10(n)) * ProbeInterval (util.go). */
#include <math.h>
#include <stdlib.h>

#include "swimmies/swim_int.h"

uint64_t swim_suspicion_timeout_ms(uint32_t mult, size_t n, uint64_t interval)
{
    double scale = log10(n > 1 ? (double)n : 1.0);
    if (scale < 1.0)
        scale = 1.0;
    /* Go: time.Duration(nodeScale*1000) * interval / 1000, truncated to whole milliseconds */
    uint64_t scaled = (uint64_t)(scale * 1000.0);
    return (uint64_t)mult * scaled * interval / 1000;
}

uint64_t swim_suspicion_remaining(uint32_t n, uint32_t k, uint64_t elapsed, uint64_t min,
                                  uint64_t max)
{
    double frac = (k > 0) ? log((double)n + 1.0) / log((double)k + 1.0) : 1.0;
    double raw = (double)max / 1000.0 - frac * ((double)max / 1000.0 - (double)min / 1000.0);
    double ms = floor(1000.0 * raw);
    uint64_t timeout = ms < (double)min ? min : (uint64_t)ms;
    return timeout > elapsed ? timeout - elapsed : 0;
}

struct suspicion *swim_suspicion_new(uint64_t now, const uint8_t *from, size_t from_len, uint32_t k,
                                     uint64_t min, uint64_t max)
{
    struct suspicion *sp = calloc(1, sizeof(*sp) + (k + 1) * sizeof(uint64_t));
    if (!sp)
        return NULL;
    sp->k = k;
    sp->min = min;
    sp->max = max;
    sp->start = now;
    sp->deadline = now + (k < 1 ? min : max);
    sp->conf[sp->nconf++] = swim_hash_name(from, from_len);
    return sp;
}

bool swim_suspicion_confirm(struct suspicion *sp, uint64_t now, const uint8_t *from,
                            size_t from_len)
{
    if (sp->n >= sp->k)
        return false;
    uint64_t h = swim_hash_name(from, from_len);
    for (uint32_t i = 0; i < sp->nconf; i++)
        if (sp->conf[i] == h)
            return false;
    sp->conf[sp->nconf++] = h;
    sp->n++;
    uint64_t elapsed = now - sp->start;
    sp->deadline = now + swim_suspicion_remaining(sp->n, sp->k, elapsed, sp->min, sp->max);
    return true;
}
