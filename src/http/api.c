/* api.c — placeholder until the module lands. */
