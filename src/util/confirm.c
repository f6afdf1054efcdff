/* util/confirm.c: yes/no prompt on a terminal; see confirm.h. */
#include "util/confirm.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

confirm_t confirm(const char *question)
{
	if (!isatty(STDIN_FILENO))
		return CONFIRM_NOT_A_TTY;
	fprintf(stderr, "%s [y/N] ", question);
	fflush(stderr);
	char line[64];
	if (!fgets(line, sizeof(line), stdin))
		return CONFIRM_NO;
	line[strcspn(line, "\r\n")] = '\0';
	return strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0 ? CONFIRM_YES
									  : CONFIRM_NO;
}
