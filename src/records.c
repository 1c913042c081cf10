/* records.c — placeholder until the module lands. */
