/*
 * ops/submit_container.c: the container options of `job submit` (mounts,
 * user, labels, capabilities, GPUs, ...) read into a job's
 * job_container_t, each value in its canonical text (core/container.c),
 * and checked against what the job's host allows when the job names it.
 * Nothing here writes the store.
 */
#include "ops/submit.h"

#include <stdlib.h>
#include <string.h>

#include "core/container.h"
#include "util/err.h"

typedef ops_canon_fn canon_fn;

int ops_canon_list(const cli_args_t *a, const char *name, ops_canon_fn fn, char ***out, size_t *n,
		   char **err)
{
	size_t given;
	const char **v = cli_list(a, name, &given);
	*n = 0;
	if (!given)
		return 0;
	if (given > CTR_LIST_MAX)
		return err_set(err, "--%s is given %zu times; the limit is %d", name, given,
			       CTR_LIST_MAX);
	if (!(*out = calloc(given + 1, sizeof(char *))))
		return err_set(err, "out of memory");
	for (size_t i = 0; i < given; i++) {
		if (fn(v[i], &(*out)[*n], err) < 0)
			return -1;
		(*n)++;
	}
	return 0;
}

static int canon_one(const cli_args_t *a, const char *name, canon_fn fn, char **out, char **err)
{
	if (!cli_has(a, name))
		return 0;
	return fn(cli_str(a, name), out, err);
}

static int cap_add(const char *t, char **o, char **e)
{
	return ctr_cap_canon("--cap-add", t, o, e);
}

static int cap_drop(const char *t, char **o, char **e)
{
	return ctr_cap_canon("--cap-drop", t, o, e);
}

/* A label given again (a --file line over the command line's) replaces
 * the earlier value of its key, as --env does. */
static void labels_dedup(job_container_t *c)
{
	size_t o = 0;
	for (size_t i = 0; i < c->nlabels; i++) {
		size_t klen = (size_t)(strchr(c->labels[i], '=') - c->labels[i]);
		bool later = false;
		for (size_t j = i + 1; !later && j < c->nlabels; j++)
			later = strncmp(c->labels[j], c->labels[i], klen + 1) == 0;
		if (later)
			free(c->labels[i]);
		else
			c->labels[o++] = c->labels[i];
	}
	for (size_t i = o; i < c->nlabels; i++)
		c->labels[i] = NULL;
	c->nlabels = o;
}

int ops_submit_container(const cli_args_t *a, job_container_t *c, char **err)
{
	if (ops_canon_list(a, "volume", ctr_volume_canon, &c->volumes, &c->nvolumes, err) < 0 ||
	    ops_canon_list(a, "mount", ctr_mount_canon, &c->mounts, &c->nmounts, err) < 0 ||
	    ops_canon_list(a, "tmpfs", ctr_tmpfs_canon, &c->tmpfs, &c->ntmpfs, err) < 0 ||
	    ops_canon_list(a, "label", ctr_label_canon, &c->labels, &c->nlabels, err) < 0 ||
	    ops_canon_list(a, "cap-add", cap_add, &c->cap_add, &c->ncap_add, err) < 0 ||
	    ops_canon_list(a, "cap-drop", cap_drop, &c->cap_drop, &c->ncap_drop, err) < 0 ||
	    canon_one(a, "user", ctr_user_canon, &c->user, err) < 0 ||
	    canon_one(a, "entrypoint", ctr_entrypoint_canon, &c->entrypoint, err) < 0 ||
	    canon_one(a, "hostname", ctr_hostname_canon, &c->hostname, err) < 0 ||
	    canon_one(a, "network", ctr_network_canon, &c->network, err) < 0 ||
	    canon_one(a, "gpus", ctr_gpus_canon, &c->gpus, err) < 0)
		return -1;
	labels_dedup(c);
	size_t n;
	const char **opts = cli_list(a, "security-opt", &n);
	for (size_t i = 0; i < n; i++) {
		if (ctr_security_opt_check(opts[i], err) < 0)
			return -1;
		c->no_new_privileges = true;
	}
	if (cli_has(a, "pull")) {
		const char *p = cli_str(a, "pull");
		for (int i = 1; ctr_pull_names[i]; i++)
			if (strcmp(p, ctr_pull_names[i]) == 0)
				c->pull = (ctr_pull_t)i;
	}
	c->read_only = cli_flag(a, "read-only");
	c->init = cli_flag(a, "init");
	if (cli_has(a, "shm-size"))
		c->shm_size = cli_num(a, "shm-size");
	return 0;
}
