/* http/embed.c — build-time tool: turns a file into a C source defining
 *   const unsigned char <symbol>[];  const size_t <symbol>_len;
 * so the status page ships inside the joyride binary. Usage: embed INPUT OUTPUT SYMBOL */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s INPUT OUTPUT SYMBOL\n", argv[0]);
        return 2;
    }
    FILE *in = fopen(argv[1], "rb");
    if (!in) {
        perror(argv[1]);
        return 1;
    }
    FILE *out = fopen(argv[2], "w");
    if (!out) {
        perror(argv[2]);
        fclose(in);
        return 1;
    }
    fprintf(out, "/* Generated from %s by embed; do not edit. */\n#include <stddef.h>\n\n",
            argv[1]);
    fprintf(out, "const unsigned char %s[] = {", argv[3]);
    size_t n = 0;
    int c;
    while ((c = fgetc(in)) != EOF) {
        fprintf(out, "%s0x%02x,", n % 16 == 0 ? "\n    " : " ", (unsigned)c);
        n++;
    }
    /* a trailing NUL (not counted) so the asset is also a C string */
    fprintf(out, "%s0x00\n};\nconst size_t %s_len = %zu;\n", n % 16 == 0 ? "\n    " : " ", argv[3],
            n);
    int bad = ferror(in) || ferror(out);
    fclose(in);
    if (fclose(out) != 0 || bad) {
        fprintf(stderr, "embed: I/O error\n");
        remove(argv[2]);
        return 1;
    }
    return 0;
}
