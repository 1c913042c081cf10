/* fuzz_api_records.c — libFuzzer target for the API records: arbitrary bytes as a records file and
 * as a POST /dns/records body must never crash or over-read; a file that parses must dump to text
 * that parses back to the same records, and a body that parses must hold a normalized name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/internal.h"
#include "sources/api_records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exact-size heap copy so ASan catches any read past the end. */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    char err[320];
    struct api_records l = {0}, back = {0};
    if (api_records_parse(text, size, &l, err, sizeof err)) {
        struct buf b = {0};
        if (!api_records_dump(&l, &b) || !api_records_parse(b.p, b.len, &back, err, sizeof err) ||
            back.n != l.n)
            abort();
        for (size_t i = 0; i < l.n; i++)
            if (strcmp(back.v[i].name, l.v[i].name) != 0 ||
                memcmp(&back.v[i].addr, &l.v[i].addr, sizeof l.v[i].addr) != 0 ||
                back.v[i].has_ttl != l.v[i].has_ttl || back.v[i].ttl != l.v[i].ttl)
                abort();
        buf_free(&b);
    }
    struct api_record r;
    const char *field;
    if (http_record_body_parse(text, size, &r, &field, err, sizeof err)) {
        char norm[REC_NAME_MAX + 1];
        if (field || !records_normalize_name(r.name, norm) || strcmp(norm, r.name) != 0)
            abort();
    } else if (!field) {
        abort();
    }
    api_records_free(&l);
    api_records_free(&back);
    free(text);
    return 0;
}
