/* wire.c — placeholder until the module lands. */
