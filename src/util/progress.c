/*
 * util/progress.c: see progress.h.
 */
#include "util/progress.h"

#include <stdio.h>
#include <unistd.h>

#include "util/timeutil.h"

void progress_start(progress_t *p, const char *what, int64_t total, int64_t min_total)
{
	p->on = total >= min_total && total > 0 && isatty(STDERR_FILENO);
	p->what = what;
	p->total = total;
	p->last_ms = 0;
	p->drawn = false;
}

static void draw(progress_t *p, int64_t done)
{
	if (done > p->total)
		done = p->total;
	fprintf(stderr, "\r%s: %lld of %lld (%d%%)", p->what, (long long)done,
		(long long)p->total, (int)(done * 100 / p->total));
	fflush(stderr);
	p->drawn = true;
}

void progress_update(progress_t *p, int64_t done)
{
	if (!p->on)
		return;
	int64_t now = mono_ms();
	if (p->drawn && now - p->last_ms < 100)
		return;
	p->last_ms = now;
	draw(p, done);
}

void progress_end(progress_t *p, int64_t done)
{
	if (!p->on)
		return;
	draw(p, done);
	fputc('\n', stderr);
}
