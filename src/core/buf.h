/* core/buf.h — a growable byte and string buffer. Writes after a failed allocation are ignored and
 * set `oom`, so a writer can append many pieces and check once at the end. `p` is always
 * NUL-terminated after a successful write (the NUL is not counted in `len`), so text built here
 * is a C string; binary data may contain NULs. */
#ifndef JOYRIDE_CORE_BUF_H
#define JOYRIDE_CORE_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
    char *p;
    size_t len, cap;
    bool oom;
};

/* Room for n more bytes (and the NUL); false (and oom set) when memory runs out. */
bool buf_reserve(struct buf *b, size_t n);
bool buf_append(struct buf *b, const void *data, size_t n);
bool buf_puts(struct buf *b, const char *s);
bool buf_putc(struct buf *b, char c);
bool buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);
/* Hands the contents over (a malloc'd C string, "" when empty) and empties the buffer; NULL when
 * a write failed (oom) or memory runs out. */
char *buf_take(struct buf *b);
void buf_free(struct buf *b);

#endif
