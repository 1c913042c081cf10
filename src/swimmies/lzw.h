/* lzw.h — LZW exactly as Go's compress/lzw with LSB bit order and 8-bit literals (memberlist's
 * compression): clear code 256, EOF 257, codes 9 to 12 bits wide, Go's width-change timing, a clear
 * code at the start of every stream, a clear and reset when the 4095th code would be assigned. */
#ifndef SWIMMIES_LZW_H
#define SWIMMIES_LZW_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Compress in[0..len) into out[0..cap), byte-identical to Go's lzw.NewWriter(LSB, 8) + Write +
 * Close. out may be NULL to only measure. Returns the compressed length, or -1 if it exceeds cap
 * (compression stops as soon as that is known). Uses ~64 KiB of stack. */
ssize_t swim_lzw_compress(const uint8_t *in, size_t len, uint8_t *out, size_t cap);

/* Decompress a Go LSB/8 LZW stream into out[0..cap). The stream must end with the EOF code (bytes
 * after it are ignored). Returns the length, SWIM_EMALFORMED (invalid code, missing EOF) or
 * SWIM_ENOSPACE (output larger than cap). Allocation-free (~12 KiB of stack). */
ssize_t swim_lzw_decompress(const uint8_t *in, size_t len, uint8_t *out, size_t cap);

#endif
