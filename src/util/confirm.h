/*
 * util/confirm.h: the confirmation prompt of destructive operations.
 *
 * Asks on the terminal and reads the answer from it. When standard input is
 * not a terminal (a script, CI, a pipe), it never guesses: it refuses, and
 * the caller tells the person to add --force.
 */
#ifndef CJOBS_UTIL_CONFIRM_H
#define CJOBS_UTIL_CONFIRM_H

typedef enum {
	CONFIRM_YES,
	CONFIRM_NO,          /* the person said no (or end of input) */
	CONFIRM_NOT_A_TTY,   /* standard input is not a terminal: nothing asked */
} confirm_t;

/* Prints "<question> [y/N] " on standard error and reads one line. */
confirm_t confirm(const char *question);

#endif
