/*
 * cli/cmd_host.c: `cjobs host`: register and manage executor hosts (Docker
 * engines). Talks to the store only; `manage-jobs health-check` is what
 * contacts engines.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/context.h"
#include "ops/render.h"
#include "ops/submit.h"
#include "core/container.h"
#include "core/validate.h"
#include "engine/registry_auth.h"
#include "util/err.h"
#include "util/output.h"
#include "util/timeutil.h"

static const char *const list_formats[] = {"table", "json", "csv", NULL};
static const char *const show_formats[] = {"text", "json", NULL};

/* The fields of a host, shared by add (with defaults) and update (none:
 * only what is given changes). */
#define HOST_OPTIONS(D)                                                                        \
	{.name = "url", .type = OPT_STRING, .metavar = "URL",                                  \
	 .help = "The engine's address: unix:///path/to/docker.sock or tcp://HOST:PORT; or "   \
		 "mock:// for the mock executor, which runs nothing: every job it gets "     \
		 "completes at once with exit code 0 and no output (for dry runs of a "      \
		 "queue and for measuring cjobs itself). It answers as an engine would, "    \
		 "from the containers it made; they live as long as the process that "      \
		 "uses it, so the jobs of a worker that died find their containers gone, "   \
		 "as on an engine where they were removed."},                                \
	{.name = "max-jobs", .type = OPT_INT, .metavar = "N", .def = D("10"), .min = 1,        \
	 .max = HOST_MAX_JOBS_MAX,                                                             \
	 .help = "How many of this host's containers may run at once, counted over every "  \
		 "worker that shares the store."},                                             \
	{.name = "weight", .type = OPT_INT, .metavar = "N", .def = D("100"),                   \
	 .min = HOST_WEIGHT_MIN, .max = HOST_WEIGHT_MAX,                                       \
	 .help = "Routing weight: hosts with free capacity get new jobs in proportion to "     \
		 "their weight, counted over every worker that shares the store."},            \
	{.name = "pull", .type = OPT_BOOL, .metavar = "yes|no", .def = D("no"),                \
	 .help = "Pull an image the engine does not have before creating the container. "     \
		 "With no, such a job fails with an error naming the image."},                 \
	{.name = "network", .type = OPT_STRING, .metavar = "MODE", .def = D("none"),           \
	 .help = "Network mode for the containers: none (no network), bridge, host, or the "   \
		 "name of a network on that engine."},                                         \
	{.name = "tls-ca", .type = OPT_STRING, .metavar = "FILE",                              \
	 .help = "CA certificate that signed the engine's certificate (tcp:// only)."},        \
	{.name = "tls-cert", .type = OPT_STRING, .metavar = "FILE",                            \
	 .help = "Client certificate for the engine (with --tls-key)."},                       \
	{.name = "tls-key", .type = OPT_STRING, .metavar = "FILE",                             \
	 .help = "Client private key for the engine (with --tls-cert)."},                      \
	{.name = "tls-verify", .type = OPT_BOOL, .metavar = "yes|no", .def = D("yes"),         \
	 .help = "Verify the engine's certificate. Turning this off lets anyone on the path "  \
		 "pose as the engine; a warning is printed."},                                 \
	{.name = "allow-bind", .type = OPT_STRING, .metavar = "PATH", .repeat = true,          \
	 .help = "Let jobs bind-mount (--volume /src:/dst, --mount type=bind) this directory " \
		 "of the engine's machine and what lies under it (absolute; '..' is resolved " \
		 "and paths are compared by whole components). Repeat it for more; the ones "  \
		 "given replace the host's list, and 'none' empties it. Without it (and by "   \
		 "default), every bind mount is refused."},                                    \
	{.name = "allow-cap-add", .type = OPT_STRING, .metavar = "CAP", .repeat = true,        \
	 .help = "Let jobs add this Linux capability (--cap-add), e.g. NET_ADMIN, or 'all'. "  \
		 "Repeat it for more; the ones given replace the host's list, and 'none' "     \
		 "empties it. Without it (and by default), every --cap-add is refused."},      \
	{.name = "allow-gpus", .type = OPT_BOOL, .metavar = "yes|no", .def = D("no"),          \
	 .help = "Let jobs ask for GPUs (--gpus), which the engine hands over as devices."},           \
	{.name = "registry-auth", .type = OPT_STRING, .metavar = "FILE",                       \
	 .help = "Registry credentials for this host's pulls: a Docker config.json (as "       \
		 "'docker login' writes it: auths, credsStore, credHelpers). Checked now and " \
		 "stored as an absolute path, never its contents; the worker reads it each "   \
		 "time it pulls. A registry it has no entry for falls back to the Docker "     \
		 "configuration of the user running the worker. An empty FILE ('') removes it."}

#define WITH_DEFAULT(x) x
#define NO_DEFAULT(x) NULL

static const cli_exit_doc_t host_exits[] = {
	{0, "Success."},
	{1, "Invalid option or value, unknown host, or job store problem (the message says which)."},
	{0, NULL},
};

static int set_str(char **field, const char *value)
{
	if (!value)
		return 0;
	char *copy = strdup(value);
	if (!copy)
		return -1;
	free(*field);
	*field = copy;
	return 0;
}

static int allow_cap_canon(const char *text, char **out, char **err)
{
	return ctr_cap_canon("--allow-cap-add", text, out, err);
}

/* An allowance list given replaces the host's; 'none', alone, empties it. */
static int set_allow_list(const cli_args_t *a, const char *name, ops_canon_fn fn, char ***list,
			  size_t *n, char **err)
{
	size_t given;
	const char **v = cli_list(a, name, &given);
	if (!given)
		return 0;
	for (size_t i = 0; i < given; i++)
		if (strcmp(v[i], "none") == 0 && given > 1)
			return err_set(err, "--%s none empties the list: give it alone", name);
	char **out = NULL;
	size_t k = 0;
	if (strcmp(v[0], "none") != 0 && ops_canon_list(a, name, fn, &out, &k, err) < 0) {
		strv_free(out);
		return -1;
	}
	strv_free(*list);
	*list = out;
	*n = k;
	return 0;
}

/* --registry-auth: the file must read as a Docker config.json now (its
 * mistakes show here, not at a job's pull), and is stored by its absolute
 * path, which the worker reads from wherever it runs. "" removes it. */
static int set_registry_auth(host_t *h, const char *path, char **err)
{
	if (!*path) {
		free(h->registry_auth);
		h->registry_auth = NULL;
		return 0;
	}
	char *text = NULL;
	size_t len = 0;
	if (registry_file_read(path, &text, &len, err) < 0)
		return -1;
	int rc = registry_config_check(text, len, path, err);
	explicit_bzero(text, len);
	free(text);
	if (rc < 0)
		return -1;
	char *abs = realpath(path, NULL);
	if (!abs)
		return err_set(err, "cannot read registry credentials file %s: %s", path,
			       strerror(errno));
	free(h->registry_auth);
	h->registry_auth = abs;
	return 0;
}

/* Copies the options given (or defaulted) into host. */
static int apply_host_options(const cli_args_t *a, host_t *h, char **err)
{
	if ((cli_has(a, "url") && set_str(&h->url, cli_str(a, "url")) < 0) ||
	    (cli_has(a, "network") && set_str(&h->network_mode, cli_str(a, "network")) < 0) ||
	    (cli_has(a, "tls-ca") && set_str(&h->tls_ca, cli_str(a, "tls-ca")) < 0) ||
	    (cli_has(a, "tls-cert") && set_str(&h->tls_cert, cli_str(a, "tls-cert")) < 0) ||
	    (cli_has(a, "tls-key") && set_str(&h->tls_key, cli_str(a, "tls-key")) < 0))
		return err_set(err, "out of memory");
	if (cli_has(a, "max-jobs"))
		h->max_jobs = (int)cli_num(a, "max-jobs");
	if (cli_has(a, "weight"))
		h->weight = (int)cli_num(a, "weight");
	if (cli_has(a, "pull"))
		h->pull_images = cli_num(a, "pull") != 0;
	if (cli_has(a, "tls-verify"))
		h->tls_verify = cli_num(a, "tls-verify") != 0;
	if (cli_has(a, "allow-gpus"))
		h->allow.gpus = cli_num(a, "allow-gpus") != 0;
	if (set_allow_list(a, "allow-bind", ctr_allow_path_canon, &h->allow.bind, &h->allow.nbind,
			   err) < 0 ||
	    set_allow_list(a, "allow-cap-add", allow_cap_canon, &h->allow.cap_add,
			   &h->allow.ncap_add, err) < 0 ||
	    (cli_has(a, "registry-auth") &&
	     set_registry_auth(h, cli_str(a, "registry-auth"), err) < 0))
		return -1;
	const char *files[] = {h->tls_ca, h->tls_cert, h->tls_key};
	for (size_t i = 0; i < 3; i++) {
		struct stat st;
		if (files[i] && (stat(files[i], &st) != 0 || !S_ISREG(st.st_mode) ||
				 access(files[i], R_OK) != 0))
			return err_set(err, "cannot read TLS file %s: check the path and permissions",
				       files[i]);
	}
	return validate_host(h, err);
}

static void warn_tls(const host_t *h)
{
	if (strncmp(h->url, "tcp://", 6) == 0 && h->tls_ca && !h->tls_verify)
		fprintf(stderr, "cjobs: warning: host '%s': the engine's certificate will not be "
				"verified; anyone on the network path can pose as it\n",
			h->name);
	if (strncmp(h->url, "tcp://", 6) == 0 && !h->tls_ca && !h->tls_cert)
		fprintf(stderr, "cjobs: warning: host '%s' is reached over plain TCP without TLS: "
				"anyone who can reach %s controls that engine\n",
			h->name, h->url);
}

static int host_add_run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	host_t h;
	host_init(&h);
	int rc = EXIT_ERROR;
	if (!cli_has(a, "url")) {
		cli_error(ctx, "give the engine's address with --url, e.g. --url unix:///var/run/docker.sock");
		goto out;
	}
	if (set_str(&h.name, a->pos[0]) < 0 || apply_host_options(a, &h, &err) < 0 ||
	    store_host_add(ctx->store, &h, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		goto out;
	}
	warn_tls(&h);
	printf("added host '%s' (%s, up to %d jobs at once)\n", h.name, h.url, h.max_jobs);
	rc = EXIT_OK;
out:
	free(err);
	host_free(&h);
	return rc;
}

/* Loads host `name` or prints an error that lists how to see the hosts. */
static int load_host(cli_ctx_t *ctx, const char *name, host_t *h)
{
	return ctx_load_host(ctx, name, h);
}

static int host_update_run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	host_t h;
	host_init(&h);
	int rc = EXIT_ERROR;
	if (load_host(ctx, a->pos[0], &h) != 0)
		goto out;
	if (apply_host_options(a, &h, &err) < 0 || store_host_update(ctx->store, &h, &err) != 0) {
		cli_error(ctx, "%s", err_str(err));
		goto out;
	}
	warn_tls(&h);
	printf("updated host '%s'\n", h.name);
	rc = EXIT_OK;
out:
	free(err);
	host_free(&h);
	return rc;
}

static int set_enabled(cli_ctx_t *ctx, cli_args_t *a, bool enabled)
{
	char *err = NULL;
	host_t h;
	host_init(&h);
	int rc = EXIT_ERROR;
	if (load_host(ctx, a->pos[0], &h) != 0)
		goto out;
	h.enabled = enabled;
	if (store_host_update(ctx->store, &h, &err) != 0) {
		cli_error(ctx, "%s", err_str(err));
		goto out;
	}
	printf("host '%s' is %s\n", h.name,
	       enabled ? "enabled: workers started from now on may send it jobs"
		       : "disabled: workers started from now on send it no new jobs; running ones "
			 "finish");
	rc = EXIT_OK;
out:
	free(err);
	host_free(&h);
	return rc;
}

static int host_enable_run(cli_ctx_t *ctx, cli_args_t *a)
{
	return set_enabled(ctx, a, true);
}

static int host_disable_run(cli_ctx_t *ctx, cli_args_t *a)
{
	return set_enabled(ctx, a, false);
}

static int host_remove_run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	host_t h;
	host_init(&h);
	if (load_host(ctx, a->pos[0], &h) != 0) {
		host_free(&h);
		return EXIT_ERROR;
	}
	char *what = NULL;
	if (asprintf(&what, "host '%s' (%s)", h.name, h.url) < 0)
		what = NULL;
	host_free(&h);
	int front = ctx_removal(ctx, a, what, a->pos[0],
				"refused then if jobs are pinned to it or running there");
	if (front != 0)
		return front > 0 ? EXIT_OK : EXIT_ERROR;
	int rc = store_host_remove(ctx->store, a->pos[0], &err);
	if (rc == 1) {
		/* Gone meanwhile: the message of a host that is not there. */
		host_t gone;
		host_init(&gone);
		if (ctx_load_host(ctx, a->pos[0], &gone) == 0)
			cli_error(ctx, "host '%.64s' could not be removed; try again", a->pos[0]);
		host_free(&gone);
	} else if (rc < 0)
		cli_error(ctx, "%s", err_str(err));
	else
		printf("removed host '%s'\n", a->pos[0]);
	free(err);
	return rc == 0 ? EXIT_OK : EXIT_ERROR;
}

static int host_list_run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	host_t *hosts = NULL;
	size_t n = 0;
	if (store_host_list(ctx->store, &hosts, &n, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	const char *fmt = cli_str(a, "format");
	int rc = EXIT_OK;
	if (strcmp(fmt, "json") == 0) {
		json_t *arr = json_array();
		for (size_t i = 0; arr && i < n; i++)
			json_array_append_new(arr, render_host_json(&hosts[i]));
		rc = render_print_json(stdout, arr) == 0 ? EXIT_OK : EXIT_ERROR;
		json_decref(arr);
	} else {
		static const char *const head[] = {"NAME", "URL", "ENABLED", "MAX_JOBS", "WEIGHT",
						   "PULL", "NETWORK", "LAST_CHECK"};
		table_t *t = table_new(8, head);
		for (size_t i = 0; t && i < n; i++) {
			host_t *h = &hosts[i];
			char mj[16], w[16], when[40];
			snprintf(mj, sizeof(mj), "%d", h->max_jobs);
			snprintf(w, sizeof(w), "%d", h->weight);
			const char *check = h->checked_at ? (h->check_ok ? "ok" : "failed") : "never";
			char checkbuf[64];
			if (h->checked_at)
				snprintf(checkbuf, sizeof(checkbuf), "%s %s", check,
					 format_time(h->checked_at, when, sizeof(when)));
			const char *row[] = {h->name,    h->url, h->enabled ? "yes" : "no", mj, w,
					     h->pull_images ? "yes" : "no",
					     h->network_mode ? h->network_mode : "default",
					     h->checked_at ? checkbuf : check};
			if (table_add(t, row) < 0)
				rc = EXIT_ERROR;
		}
		if (!t || rc != EXIT_OK)
			cli_error(ctx, "out of memory");
		else if (strcmp(fmt, "csv") == 0)
			table_print_csv(t, stdout);
		else
			table_print(t, stdout);
		table_free(t);
	}
	store_host_list_free(hosts, n);
	return rc;
}

static void print_allow(const char *label, char *const *v, size_t n)
{
	fputs(label, stdout);
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? " " : "", v[i]);
	printf("%s\n", n ? "" : "none");
}

static int host_show_run(cli_ctx_t *ctx, cli_args_t *a)
{
	host_t h;
	host_init(&h);
	if (load_host(ctx, a->pos[0], &h) != 0) {
		host_free(&h);
		return EXIT_ERROR;
	}
	int rc = EXIT_OK;
	if (strcmp(cli_str(a, "format"), "json") == 0) {
		json_t *j = render_host_json(&h);
		rc = render_print_json(stdout, j) == 0 ? EXIT_OK : EXIT_ERROR;
		json_decref(j);
	} else {
		char t1[40], t2[40];
		printf("name:          %s\n", h.name);
		printf("url:           %s\n", h.url);
		printf("enabled:       %s\n", h.enabled ? "yes" : "no");
		printf("max jobs:      %d\n", h.max_jobs);
		printf("weight:        %d\n", h.weight);
		printf("pull images:   %s\n", h.pull_images ? "yes" : "no");
		printf("network mode:  %s\n", h.network_mode ? h.network_mode : "default");
		print_allow("allow bind:    ", h.allow.bind, h.allow.nbind);
		print_allow("allow cap add: ", h.allow.cap_add, h.allow.ncap_add);
		printf("allow gpus:    %s\n", h.allow.gpus ? "yes" : "no");
		printf("tls:           %s\n", h.tls_ca || h.tls_cert
						      ? (h.tls_verify ? "yes, verified" : "yes, NOT verified")
						      : "no");
		if (h.tls_ca)
			printf("tls ca:        %s\n", h.tls_ca);
		if (h.tls_cert)
			printf("tls cert:      %s\n", h.tls_cert);
		if (h.tls_key)
			printf("tls key:       %s\n", h.tls_key);
		printf("registry auth: %s\n", h.registry_auth ? h.registry_auth
							 : "none (the worker's user's Docker "
							   "configuration)");
		printf("created:       %s\n", format_time(h.created_at, t1, sizeof(t1)));
		printf("last check:    %s%s%s%s\n", format_time(h.checked_at, t2, sizeof(t2)),
		       h.checked_at ? (h.check_ok ? " ok" : " failed") : "",
		       h.check_message ? ": " : "", h.check_message ? h.check_message : "");
	}
	host_free(&h);
	return rc;
}

static const cli_option_t add_options[] = {HOST_OPTIONS(WITH_DEFAULT), {0}};
static const cli_option_t update_options[] = {HOST_OPTIONS(NO_DEFAULT), {0}};
static const cli_option_t list_options[] = {
	{.name = "format", .type = OPT_CHOICE, .metavar = "FORMAT", .def = "table",
	 .choices = list_formats,
	 .help = "table for people; json (an array of objects) or csv (with a header row) for "
		 "scripts."},
	{0},
};
static const cli_option_t show_options[] = {
	{.name = "format", .type = OPT_CHOICE, .metavar = "FORMAT", .def = "text",
	 .choices = show_formats, .help = "text for people; json for scripts."},
	{0},
};

static const cli_command_t host_add = {
	.name = "add",
	.summary = "register a Docker engine as an executor host",
	.usage = "NAME --url URL [options]",
	.min_args = 1, .max_args = 1, .needs_store = true,
	.description =
		"Registers the Docker engine at --url under NAME, so that process-jobs may run "
		"jobs there. Nothing is contacted: check the engine with "
		"'cjobs manage-jobs health-check --host NAME'. NAME is 1 to 64 letters, digits, "
		"'.', '_' or '-'.",
	.options = add_options,
	.examples = (const cli_example_t[]){
		{"cjobs host add local2 --url unix:///var/run/docker.sock --max-jobs 4",
		 "register the local engine under the name local2, four jobs at a time", 0},
		{"cjobs host add build1 --url tcp://127.0.0.1:2376 --tls-ca ca.pem --tls-cert cert.pem --tls-key key.pem",
		 "register a remote engine reached over TLS with a client certificate", 0},
		{NULL, NULL, 0},
	},
	.warning = "Access to a Docker engine is root access to its machine: whoever can submit "
		   "jobs to a host can run anything there. Register only engines meant for this, "
		   "and protect tcp:// engines with TLS client certificates.",
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: an executor host named \"local\" already exists",
		 "a host of that name is registered",
		 "choose another name, or change it with 'cjobs host update'",
		 "cjobs host add local --url unix:///var/run/docker.sock"},
		{"cjobs: error: engine address 'http://127.0.0.1:2375' is not understood",
		 "--url has another form", "write unix:///path/to/docker.sock or tcp://HOST:PORT",
		 "cjobs host add web --url http://127.0.0.1:2375"},
		{"cjobs: error: cannot read TLS file missing.pem: check the path and permissions",
		 "a --tls-ca, --tls-cert or --tls-key file is missing or unreadable",
		 "give the right path; the worker reads these files each time it starts",
		 "cjobs host add tls1 --url tcp://127.0.0.1:2376 --tls-ca missing.pem"},
		{"cjobs: error: cannot read registry credentials file missing-auth.json: No such "
		 "file or directory",
		 "the --registry-auth file is missing or unreadable by this user",
		 "give the path of a Docker config.json ('docker login' writes one in "
		 "~/.docker/config.json); the user running the workers must be able to read it too",
		 "cjobs host add reg1 --url unix:///var/run/docker.sock --registry-auth missing-auth.json"},
		{"cjobs: error: registry credentials file bad-auth.json is not valid JSON (line ...",
		 "the --registry-auth file is not JSON (the message says where; it never quotes the "
		 "file, which holds secrets)",
		 "mend the file at that place, or write it again with 'docker login'",
		 "cjobs host add reg1 --url unix:///var/run/docker.sock --registry-auth bad-auth.json"},
		{"cjobs: error: registry credentials file wrong-auth.json: \"auth\" of the auths entry "
		 "\"registry.example\" is not the base64 of USER:PASSWORD (UTF-8 text)",
		 "an entry of the file is malformed: the message names the entry and what is wrong "
		 "with it (auths not an object, auth not base64 of USER:PASSWORD, a value that is not "
		 "a string, a credsStore or credHelpers name that is not a helper's)",
		 "write auth as the base64 of USER:PASSWORD (printf 'USER:PASSWORD' | base64), or "
		 "log in again with 'docker login REGISTRY'",
		 "cjobs host add reg1 --url unix:///var/run/docker.sock --registry-auth wrong-auth.json"},
		{"cjobs: error: the host name may hold only letters, digits, '.', '_' and '-'",
		 "NAME has another character, such as a space", "choose a name of letters, digits, "
		 "'.', '_' and '-'", "cjobs host add 'bad name' --url unix:///var/run/docker.sock"},
		{NULL, NULL, NULL},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "Nothing is contacted: a wrong address or a stopped engine shows only when a "
		 "worker or 'cjobs manage-jobs health-check --host NAME' uses the host. The new "
		 "host is enabled at once, so running workers may send it jobs: check it first. "
		 "The TLS files are checked to be readable now; their paths are stored, so they "
		 "must stay readable by the user that runs the workers. A tcp:// address without "
		 "TLS, or --tls-verify no, prints a warning. A --registry-auth file is read and "
		 "checked now (a Docker config.json), and only its absolute path is stored: the "
		 "worker reads the credentials from it each time it pulls, and they never enter "
		 "the store. Only the store is written; it takes a fraction of a second."},
		{NULL, NULL},
	},
	.exit_codes = host_exits,
	.run = host_add_run,
};

static const cli_command_t host_update = {
	.name = "update",
	.summary = "change an executor host's settings",
	.usage = "NAME [options]",
	.min_args = 1, .max_args = 1, .needs_store = true,
	.description = "Changes only the settings given; the rest stay as they are. Running jobs "
		       "are not affected; new limits apply to the next jobs placed there.",
	.options = update_options,
	.examples = (const cli_example_t[]){
		{"cjobs host update local --max-jobs 8", "let host local run eight jobs at once", 0},
		{"cjobs host update local --allow-bind /srv/data --allow-bind /scratch",
		 "let jobs on host local bind-mount /srv/data, /scratch and what lies under them", 0},
		{"cjobs host update local --registry-auth registry-auth.json",
		 "pull with the registry credentials in registry-auth.json (a Docker config.json); "
		 "--registry-auth '' goes back to the worker's own Docker configuration", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "Only the store is written; the engine is not contacted, so check a new --url with "
		 "'cjobs manage-jobs health-check --host NAME'. Pointing a host at another engine "
		 "gives whoever can submit jobs root-equivalent access to that machine. The same "
		 "checks as 'host add' apply (TLS files readable, a --registry-auth file readable "
		 "and well-formed, limits in range).\n\n"
		 "Security: --allow-bind, --allow-cap-add and --allow-gpus widen what jobs may do "
		 "on the host's machine: a job allowed to bind-mount / or /etc, or to add "
		 "SYS_ADMIN, owns it. Allow the narrowest directories that serve, ones in which "
		 "no submitter can make a symbolic link (a bind source is judged by its path, "
		 "not by the files). The worker checks each job again before it creates the "
		 "container, so a narrowed list also holds for jobs already queued."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: no host named 'nosuch'; 'cjobs host list' shows the hosts",
		 "no executor host of that name is registered (names are case-sensitive)",
		 "check the name with 'cjobs host list'", "cjobs host update nosuch --max-jobs 3"},
		{"cjobs: error: option --max-jobs: '0' is not a whole number from 1 to 10000",
		 "the value is out of range", "give a value in the range shown",
		 "cjobs host update local --max-jobs 0"},
		{"cjobs: error: --allow-bind: the directory 'data' must be an absolute path, e.g. /data",
		 "an --allow-bind directory is relative", "write it from /",
		 "cjobs host update local --allow-bind data"},
		{"cjobs: error: --allow-bind none empties the list: give it alone",
		 "none is given beside directories", "give --allow-bind none alone, or only directories",
		 "cjobs host update local --allow-bind none --allow-bind /data"},
		{"cjobs: error: --allow-cap-add: 'NET_ADMINS' is not a Linux capability",
		 "the name is not one of Linux's capabilities",
		 "check the spelling (capabilities(7)); CAP_ and case are optional",
		 "cjobs host update local --allow-cap-add NET_ADMINS"},
		{NULL, NULL, NULL},
	},
	.exit_codes = host_exits,
	.run = host_update_run,
};

static const cli_command_t host_list = {
	.name = "list",
	.summary = "list the executor hosts",
	.usage = "[options]",
	.max_args = 0, .needs_store = true, .reads_only = true,
	.description = "Lists every registered host, by name, with its engine address, whether "
		       "it is enabled, its limit of concurrent jobs, its weight, whether it may "
		       "pull images, its containers' network mode, and the result and time of its "
		       "last health check ('never' before the first). The table is for people; "
		       "--format json gives an array of objects and --format csv a header row and "
		       "one row per host, for scripts.",
	.options = list_options,
	.examples = (const cli_example_t[]){
		{"cjobs host list", "show every host with its address and limits", 0},
		{"cjobs host list --format json", "the same as JSON for scripts", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "Read-only: reads the store, never an engine. LAST_CHECK is the result recorded "
		 "by the last 'cjobs manage-jobs health-check' (never: not checked yet), not a live "
		 "check: run health-check to know whether the engines answer now."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: option --format: 'xml' is not one of: table, json, csv",
		 "--format has another value", "use table, json or csv",
		 "cjobs host list --format xml"},
		{NULL, NULL, NULL},
	},
	.exit_codes = host_exits,
	.run = host_list_run,
};

static const cli_command_t host_show = {
	.name = "show",
	.summary = "show every setting of one executor host",
	.usage = "NAME [options]",
	.min_args = 1, .max_args = 1, .needs_store = true, .reads_only = true,
	.description = "Prints every setting of host NAME: address, enabled, limits, weight, "
		       "image pulls, network mode, TLS files and whether the engine's certificate "
		       "is verified, its registry credentials file, when it was registered, and "
		       "its last health check with the message it gave. --format json prints one "
		       "object for scripts.",
	.options = show_options,
	.examples = (const cli_example_t[]){
		{"cjobs host show local", "show host local's settings and last health check", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "Read-only: reads the store, never the engine; 'last check' is what the last "
		 "'cjobs manage-jobs health-check' recorded. The TLS and registry auth lines show "
		 "the files' paths, never their contents."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: no host named 'nosuch'; 'cjobs host list' shows the hosts",
		 "no executor host of that name is registered (names are case-sensitive)",
		 "check the name with 'cjobs host list'", "cjobs host show nosuch"},
		{NULL, NULL, NULL},
	},
	.exit_codes = host_exits,
	.run = host_show_run,
};

static const cli_command_t host_remove = {
	.name = "remove",
	.summary = "unregister an executor host",
	.usage = "NAME [--dry-run] [--force]",
	.min_args = 1, .max_args = 1, .needs_store = true,
	.options = (const cli_option_t[]){
		{.name = "dry-run", .type = OPT_FLAG,
		 .help = "Say what would be removed; change nothing."},
		{.name = "force", .type = OPT_FLAG,
		 .help = "Remove without asking. Needed when standard input is not a terminal "
			 "(scripts, cron)."},
		{0},
	},
	.description = "Removes the host from the store. Refused while jobs are pinned to it or "
		       "running there: cancel or finish them first, or disable the host.",
	.examples = (const cli_example_t[]){
		{"cjobs host remove old1 --dry-run", "show what removing host old1 would do", 0},
		{"cjobs host remove old1 --force", "unregister host old1 without asking", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"How It Works",
		 "  1. Looks the host up (none: an error); with --dry-run, says what would go\n"
		 "     and stops.\n"
		 "  2. Asks for confirmation on a terminal (none needed with --force; refused\n"
		 "     without --force when standard input is not a terminal).\n"
		 "  3. In one transaction, counts the jobs launching or running on it or\n"
		 "     pinned to it, and the queued jobs pinned to it.\n"
		 "  4. If there are any, refuses and says which and what to do; nothing changes.\n"
		 "  5. Otherwise deletes the host and prints 'removed host NAME'."},
		{"Important Notes",
		 "Only the store changes: the engine is not contacted and no container is stopped. "
		 "To retire a busy host: 'cjobs host disable NAME', cancel or let finish its jobs "
		 "('cjobs manage-jobs cancel --host NAME'), then remove it. If no host is left, the "
		 "next 'job submit' or 'process-jobs' registers the local engine as 'local' again."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: no host named 'nosuch'; 'cjobs host list' shows the hosts",
		 "no executor host of that name is registered (names are case-sensitive)",
		 "check the name with 'cjobs host list'", "cjobs host remove nosuch"},
		{"cjobs: error: cannot remove host \"down\": 2 queued job(s) are pinned to it; "
		 "cancel them (or let them run) before removing it",
		 "queued jobs were submitted with --host down; removing the host would strand them "
		 "(when jobs are launching or running there, the message says so and counts them)",
		 "cancel them with 'cjobs manage-jobs cancel', or let them run, then remove the host",
		 "cjobs host remove down --force"},
		{"cjobs: error: removing host 'local' (",
		 "(the message goes on: ...) needs confirmation, but standard input is not a "
		 "terminal) the command runs from a script or a pipe without --force",
		 "check with --dry-run, then add --force", "cjobs host remove local"},
		{NULL, NULL, NULL},
	},
	.exit_codes = host_exits,
	.run = host_remove_run,
};

static const cli_command_t host_enable = {
	.name = "enable",
	.summary = "let workers send jobs to a host again",
	.usage = "NAME",
	.min_args = 1, .max_args = 1, .needs_store = true,
	.description = "Marks host NAME enabled: workers place jobs there, including the queued jobs "
		       "pinned to it. A worker already running notices within 20 seconds (at once "
		       "on SIGUSR1) and checks the engine before sending it jobs.",
	.examples = (const cli_example_t[]){
		{"cjobs host enable local", "put host local back into service", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "Only the store changes; workers may place jobs on the host from their next "
		 "placement on, including the queued jobs pinned to it. Check the engine first with "
		 "'cjobs manage-jobs health-check --host NAME'. Enabling an enabled host changes "
		 "nothing and exits 0."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: no host named 'nosuch'; 'cjobs host list' shows the hosts",
		 "no executor host of that name is registered (names are case-sensitive)",
		 "check the name with 'cjobs host list'", "cjobs host enable nosuch"},
		{NULL, NULL, NULL},
	},
	.exit_codes = host_exits,
	.run = host_enable_run,
};

static const cli_command_t host_disable = {
	.name = "disable",
	.summary = "stop sending new jobs to a host",
	.usage = "NAME",
	.min_args = 1, .max_args = 1, .needs_store = true,
	.description = "Marks host NAME disabled: workers place no new job there, and jobs pinned to "
		       "it wait until it is enabled again. Jobs already running there finish "
		       "normally and are still watched. A worker already running notices within 20 "
		       "seconds (at once on SIGUSR1).",
	.examples = (const cli_example_t[]){
		{"cjobs host disable local", "take host local out of service", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "Only the store changes: no container is stopped and the engine is not contacted. "
		 "To stop the jobs running there too, use 'cjobs manage-jobs cancel --host NAME'. "
		 "Disabling the only host leaves new jobs waiting in the queue. Disabling a "
		 "disabled host changes nothing and exits 0."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: no host named 'nosuch'; 'cjobs host list' shows the hosts",
		 "no executor host of that name is registered (names are case-sensitive)",
		 "check the name with 'cjobs host list'", "cjobs host disable nosuch"},
		{NULL, NULL, NULL},
	},
	.exit_codes = host_exits,
	.run = host_disable_run,
};

const cli_command_t cmd_host = {
	.name = "host",
	.group = "Setting up",
	.summary = "register and manage executor hosts (Docker engines)",
	.usage = "SUBCOMMAND [options]",
	.description =
		"An executor host is a Docker engine (or Podman's Docker-compatible service) that "
		"runs jobs, reached at unix:///path/to/docker.sock or tcp://HOST:PORT with "
		"optional TLS. Each host has a limit of concurrent jobs and a routing weight. "
		"When no host is registered, the local engine is registered as 'local' the first "
		"time a job is submitted or processed.",
	.examples = (const cli_example_t[]){
		{"cjobs host list", "every host with its address, limits and last check", 0},
		{"cjobs host show local", "the settings of host local", 0},
		{"cjobs host update local --weight 200", "send host local twice its share of jobs", 0},
		{"cjobs host disable old1", "keep new jobs off host old1", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "Access to a Docker engine is root access to its machine (the socket "
		 "/var/run/docker.sock is root-equivalent, and a tcp:// engine without TLS client "
		 "certificates is open to anyone who can reach it): whoever can submit jobs to a "
		 "host can run anything there. Register only engines meant for this.\n\n"
		 "Registry credentials for a host's pulls come from its --registry-auth file (a "
		 "Docker config.json), else from the Docker configuration of the user running the "
		 "worker; the store keeps only the file's path, never the credentials (see 'cjobs "
		 "help process-jobs', Registry Credentials).\n\n"
		 "The host subcommands read and change the store only; none contacts an engine "
		 "('cjobs manage-jobs health-check' does). Changes apply to the next jobs workers "
		 "place; running jobs are not affected. The store file is created mode 0600: run "
		 "these commands as the user that owns it. Each takes a fraction of a second."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: 'cjobs host' needs a subcommand (see the list above)",
		 "'cjobs host' was run without a subcommand; the group's help, with the list of "
		 "subcommands, is printed on standard error before the message",
		 "add one of the subcommands listed, e.g. 'cjobs host list'", "cjobs host"},
		{"cjobs: error: unknown subcommand 'frob' for 'cjobs host'",
		 "the word after 'host' is not one of its subcommands (a typo, or a subcommand of "
		 "another group)",
		 "see 'cjobs help host' for the list of subcommands", "cjobs host frob"},
		{NULL, NULL, NULL},
	},
	.subcommands = (const cli_command_t *const[]){&host_add, &host_list, &host_show, &host_update,
						      &host_remove, &host_enable, &host_disable, NULL},
};
