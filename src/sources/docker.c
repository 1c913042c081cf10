/* docker.c — placeholder until the module lands. */
