/* hosts.c — placeholder until the module lands. */
