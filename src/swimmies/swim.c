/* swim.c — placeholder until the module lands. */
