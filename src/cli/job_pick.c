/*
 * cli/job_pick.c: the ids of the jobs a bulk command chose; see
 * job_pick.h.
 */
#include "cli/job_pick.h"

#include <stdlib.h>
#include <unistd.h>

#include "util/err.h"
#include "util/vec.h"

void job_pick_init(job_pick_t *p, bool dry_run, bool force, const char *dry_lead)
{
	*p = (job_pick_t){0};
	if (dry_run)
		p->shown = stdout, p->lead = dry_lead;
	else if (!force && isatty(STDIN_FILENO))
		p->shown = stderr, p->lead = "  ";
}

int job_pick_add(job_pick_t *p, int64_t id, char **err)
{
	if (!vec_room(&p->ids, &p->cap, p->n, sizeof(*p->ids), 256))
		return err_set(err, "out of memory");
	p->ids[p->n++] = id;
	return 0;
}

void job_pick_free(job_pick_t *p)
{
	free(p->ids);
	p->ids = NULL;
	p->n = p->cap = 0;
}
