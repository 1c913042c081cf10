/* config/dotenv.h — reader for .env files (KEY=VALUE lines, as docker compose writes them). */
#ifndef JOYRIDE_CONFIG_DOTENV_H
#define JOYRIDE_CONFIG_DOTENV_H

#include <stddef.h>

struct dotenv_entry {
    char *key;
    char *value;
    int line;
};

struct dotenv { /* a core/vec.h vector */
    struct dotenv_entry *v;
    size_t n, cap;
};

/* Parses text (len bytes): blank lines and '#' comments are skipped, an optional "export " prefix
 * is allowed, values may be unquoted (trailing " # comment" and surrounding blanks dropped),
 * 'single-quoted' (literal) or "double-quoted" (\n \t \r \\ \" \$ escapes), quoted values may span
 * lines. Later duplicates replace earlier ones. Returns 0, or -1 with "<name>:<line>: <problem>"
 * in err. */
int dotenv_parse(const char *text, size_t len, const char *name, struct dotenv *out, char *err,
                 size_t errlen);

/* Reads and parses the file at path. A missing file is an empty result (0). */
int dotenv_read(const char *path, struct dotenv *out, char *err, size_t errlen);

/* The value of key, or NULL. */
const char *dotenv_get(const struct dotenv *d, const char *key);

void dotenv_free(struct dotenv *d);

#endif
