/*
 * cli/docgen.h: man pages, Markdown pages and shell completion, generated
 * from the command declarations (see docgen.c).
 */
#ifndef CJOBS_CLI_DOCGEN_H
#define CJOBS_CLI_DOCGEN_H

#include <stdio.h>

#include "cli/command.h"

void docgen_man(FILE *f, const cli_command_t *cmd, const char *path);
void docgen_markdown(FILE *f, const cli_command_t *cmd, const char *path);
void docgen_bash(FILE *f);
void docgen_zsh(FILE *f);
/* Writes the man pages (DIR/man), Markdown pages (DIR/commands) and the
 * completion scripts (DIR/completion). */
int docgen_write_all(const char *dir, char **err);

#endif
