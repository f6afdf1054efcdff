/*
 * cli/cmd_job_submit.c: `cjobs job submit`: validate one job completely and
 * queue it. Nothing is written unless every value is valid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/context.h"
#include "cli/submit_file.h"
#include "ops/submit.h"
#include "util/err.h"

static int submit_run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	job_t *jobs = NULL;
	size_t n = 0;
	int rc = EXIT_ERROR;
	int64_t copies = cli_given(a, "count") ? cli_num(a, "count") : 0;
	if (cli_has(a, "file")) {
		if (copies) {
			cli_error(ctx, "give --file or --count, not both (copies of a line are more "
				       "lines in the file)");
			return EXIT_ERROR;
		}
		if (submit_read_file(ctx, a, cli_str(a, "file"), &jobs, &n, &err) < 0) {
			cli_error(ctx, "%s; nothing was queued", err_str(err));
			goto out;
		}
	} else {
		jobs = calloc(1, sizeof(job_t));
		if (!jobs) {
			cli_error(ctx, "out of memory");
			goto out;
		}
		job_init(&jobs[0]);
		n = 1;
		if (ops_submit_fill(ctx->store, a, true, &jobs[0], &err) < 0) {
			cli_error(ctx, "%s", err_str(err));
			goto out;
		}
	}
	int64_t *ids = NULL;
	if (ops_submit_store(ctx->store, jobs, n, copies, ctx_default_engine_url(), &ids, &err) != 0) {
		cli_error(ctx, "%s%s", err_str(err), n > 1 || copies > 1 ? "; nothing was queued" : "");
		goto out;
	}
	/* One buffered write: a hundred thousand ids print in milliseconds. */
	for (int64_t i = 0, total = copies > 0 ? copies : (int64_t)n; i < total; i++)
		printf("%lld\n", (long long)ids[i]);
	free(ids);
	rc = EXIT_OK;
out:
	free(err);
	for (size_t i = 0; i < n; i++)
		job_free(&jobs[i]);
	free(jobs);
	return rc;
}

const cli_command_t cmd_job_submit = {
	.name = "submit",
	.summary = "queue a container job",
	.usage = "--image IMAGE [options] [--] [COMMAND [ARG...]]",
	.min_args = 0, .max_args = -1, .stop_at_positional = true, .needs_store = true,
	.description =
		"Checks every value, then stores the job as 'queued' and prints its id (a whole "
		"number) on standard output, for scripts: id=$(cjobs job submit ...). The command "
		"and its arguments follow the options, best after '--' so that their own options "
		"are not read as cjobs's; each argument reaches the container exactly as given "
		"(no shell is involved: use sh -c '...' for one). Without a command the image's "
		"own runs. A worker ('cjobs process-jobs') runs it.",
	.options = ops_submit_options,
	.examples = (const cli_example_t[]){
		{"cjobs job submit --image cjobs-test/busybox:1 -- echo hello",
		 "queue a job that prints hello", 0},
		{"cjobs job submit --image cjobs-test/busybox:1 --name nightly --priority 10 --timeout 5m -- sh -c 'echo start; sleep 1'",
		 "queue a named, higher-priority job with a five-minute limit", 0},
		{"cjobs job submit --image cjobs-test/busybox:1 --env MODE=fast --memory 64m --cpus 0.5 -- env",
		 "queue a job with an environment variable and resource limits", 0},
		{"cjobs job submit --image cjobs-test/busybox:1 --at +1h -- echo later",
		 "queue a job that may not start for an hour", 0},
		{"cjobs job submit --file jobs.jsonl --priority 5",
		 "queue every job of jobs.jsonl (one JSON object per line), with priority 5 where a "
		 "line gives none", 0},
		{"cjobs job submit --image cjobs-test/busybox:1 --count 100 -- true",
		 "queue 100 copies of a job", 0},
		{"cjobs job submit --image cjobs-test/busybox:1 --after 1 --after 2:any -- echo next",
		 "queue a job that starts once job 1 has completed and job 2 has ended, however",
		 0},
		{"cjobs job submit --image cjobs-test/busybox:1 --max-retries 3 --retry-on-exit-code "
		 "75 --retry-delay 30 --retry-factor 2 --retry-max-delay 10m -- sh -c 'exit 75'",
		 "retry exit code 75 up to three times, after about 30s, 1m, then 2m", 0},
		{"cjobs job submit --image cjobs-test/busybox:1 --user 1000:1000 --read-only --tmpfs /scratch:size=64m --volume cache:/cache --cap-drop ALL -- sh -c 'id -u'",
		 "queue a job that runs as user 1000 on a read-only root, with a scratch tmpfs, a "
		 "named volume and no capabilities", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"How It Works",
		 "  1. Parses every option: --image is required; numbers, sizes, durations and\n"
		 "     times are checked against their ranges.\n"
		 "  2. Builds the environment: the --template's variables, then each --env-file,\n"
		 "     then each --env; a later entry replaces an earlier one with the same key.\n"
		 "  3. Reads the container options (--volume, --mount, --user, --cap-add, ...)\n"
		 "     into their canonical form. With --host, checks that the host is\n"
		 "     registered and allows the job's bind mounts, added capabilities and GPUs.\n"
		 "  4. Validates the whole job; on any error nothing is written.\n"
		 "  5. In one transaction: registers the local engine as host 'local' when no host\n"
		 "     is registered at all, and stores the job as queued with its first history\n"
		 "     row.\n"
		 "  6. Prints the job's id on standard output.\n"
		 "With --file, steps 1 to 4 are done for every line (the line's keys over the\n"
		 "command line's options) before anything is stored, and step 5 stores every job\n"
		 "in one transaction; with --count, the one job is stored N times. The ids are\n"
		 "printed one per line, in the file's order. Lines that wait for each other\n"
		 "(\"after\" naming another line's \"name\") get their ids stage by stage: first\n"
		 "the jobs that wait for no other line, then those that wait only for those,\n"
		 "and so on, each stage in line order. So a job's id is above the ids of the\n"
		 "lines it waits for, and since the queue's order is priority, then id, a\n"
		 "file of pipelines runs stage by stage at equal priority."},
		{"Important Notes",
		 "A job runs with the network mode of the host it lands on (by default none: no "
		 "network) unless it gives --network. Whoever can submit jobs can run any image on "
		 "the hosts: treat the right to submit as root access to them.\n\n"
		 "Security: what would hand a job the machine itself is refused unless its host "
		 "allows it ('cjobs host update NAME --allow-bind PATH, --allow-cap-add CAP, "
		 "--allow-gpus yes'; none by default): a bind mount (--volume /src:/dst, --mount "
		 "type=bind) whose source is not under an allowed directory, a --cap-add, a --gpus. "
		 "The host is asked at submit when the job names it (--host), and always by the "
		 "worker before it creates the container, which fails the job for good with the "
		 "same message. A bind source is judged by its path ('..' resolved, whole "
		 "components compared, so /data does not allow /database), not by the files: "
		 "allow only directories in which no submitter can make a symbolic link. Named "
		 "volumes, tmpfs, --cap-drop, --read-only and --security-opt no-new-privileges "
		 "take rights away and are always allowed; --privileged, devices and other "
		 "security options are not offered at all. --network host is not refused: the "
		 "host's own network is then the job's.\n\n"
		 "Nothing contacts an engine: whether the image exists, or the pinned host is "
		 "enabled and reachable, is found out when a worker runs the job. The environment, "
		 "secrets included, is stored in the store file (mode 0600). Submitting takes a "
		 "fraction of a second."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: give the image to run with --image", "--image is missing",
		 "add --image NAME[:TAG]", "cjobs job submit -- true"},
		{"cjobs: error: no host named 'nosuch'", "--host names an unregistered host",
		 "check 'cjobs host list' or register it with 'cjobs host add'",
		 "cjobs job submit --image busybox --host nosuch -- true"},
		{"cjobs: error: option --priority: 'high' is not a whole number from -1000 to 1000",
		 "the value is not a number or out of range", "give a value in the range shown",
		 "cjobs job submit --image busybox --priority high -- true"},
		{"cjobs: error: job 2 failed already, so a job --after 2:ok could never start; wait "
		 "for it with :any, or retry job 2 first",
		 "--after names a job that has already ended in a way its condition can never "
		 "accept (ok: completed; notok: failed or timed out)",
		 "wait for it with :any (or :notok for a failure), or run it again with 'cjobs "
		 "manage-jobs retry --job-id ID' and then submit",
		 "cjobs job submit --image busybox --after 2 -- true"},
		{"cjobs: error: --after: no job with id 999; 'cjobs job list' shows the jobs",
		 "--after names a job id that does not exist (or was cleaned up)",
		 "check the id with 'cjobs job list'",
		 "cjobs job submit --image busybox --after 999 -- true"},
		{"cjobs: error: --after: '3:maybe': the condition after ':' is ok, any or notok, e.g. "
		 "12:any",
		 "the condition is not one of ok, any, notok", "write ID, ID:ok, ID:any or ID:notok",
		 "cjobs job submit --image busybox --after 3:maybe -- true"},
		{"cjobs: error: job 1 of the submission: --after 'extract' is neither a job id nor the "
		 "name of another job of the same submission; ...",
		 "on the command line --after takes job ids; names are for the jobs of one --file or "
		 "API request",
		 "give the id 'cjobs job submit' printed, or submit the jobs together in one --file "
		 "with \"name\" and \"after\"",
		 "cjobs job submit --image busybox --after extract -- true"},
		{"cjobs: error: --after: '1:any' is named twice; name each job it waits for once",
		 "the same job is given to --after twice", "give each job once, with one condition",
		 "cjobs job submit --image busybox --after 1 --after 1:any -- true"},
		{"cjobs: error: the jobs wait for each other in a cycle, so none could ever start: "
		 "job 'a' -> job 'b' -> job 'a' ...",
		 "jobs of one --file (or API request) name each other in \"after\" in a circle; "
		 "nothing was queued",
		 "remove one \"after\" of the circle so that the pipeline has a first job",
		 "cjobs job submit --image busybox --file cycle.jsonl"},
		{"cjobs: error: --retry-max-delay (30s) is shorter than the first retry's delay (60s): "
		 "make it at least as long",
		 "the ceiling of the waits between retries is below the first wait (given with "
		 "--retry-delay, or the strategy's: 10s default, 1s aggressive, 1m conservative)",
		 "give a longer --retry-max-delay, or a shorter --retry-delay",
		 "cjobs job submit --image busybox --retry-strategy conservative --retry-max-delay 30 "
		 "-- true"},
		{"cjobs: error: option --retry-factor: '0.5' is not a number from 1 to 10 (up to three "
		 "decimals, e.g. 1.5)",
		 "the factor would shorten the waits, or is not a number",
		 "give 1 (the same wait each time) to 10",
		 "cjobs job submit --image busybox --retry-factor 0.5 -- true"},
		{"cjobs: error: --env: environment entry 'DEBUG' has no '='",
		 "an --env value lacks =", "write --env KEY=VALUE",
		 "cjobs job submit --image busybox --env DEBUG -- true"},
		{"cjobs: error: cannot read env file missing.env: No such file or directory",
		 "the --env-file path is wrong or unreadable", "check the path and its permissions",
		 "cjobs job submit --image busybox --env-file missing.env -- true"},
		{"cjobs: error: bad.jsonl:2: \"priority\": 'high' is not a whole number from -1000 to "
		 "1000; nothing was queued",
		 "a line of the --file has a value the option refuses (the message names the line "
		 "and the key); no job of the file was stored",
		 "correct that line and submit the whole file again",
		 "cjobs job submit --file bad.jsonl"},
		{"cjobs: error: --volume 'data' is not understood: write SRC:DST or SRC:DST:ro",
		 "a --volume value is not SRC:DST[:ro]", "write /host/dir:/dir[:ro] or NAME:/dir[:ro]; a path holding ':' needs --mount",
		 "cjobs job submit --image busybox --volume data -- true"},
		{"cjobs: error: --volume '/a:/b:rx': the mode 'rx' is not known: use ro (read-only) or rw",
		 "the part after the second ':' is not a mode", "end with :ro, :rw or nothing",
		 "cjobs job submit --image busybox --volume /a:/b:rx -- true"},
		{"cjobs: error: --volume: 'my+vol' is neither an absolute host path nor a volume name",
		 "the source is relative and not a volume name", "give an absolute path, or a volume name of letters, digits, '_', '.', '-'",
		 "cjobs job submit --image busybox --volume my+vol:/v -- true"},
		{"cjobs: error: --volume: the target 'b' must be an absolute path, e.g. /data",
		 "a mount's target (or a --tmpfs path, a bind source) is relative", "write it from /",
		 "cjobs job submit --image busybox --volume /a:b -- true"},
		{"cjobs: error: --mount 'target=/d' has no type: write type=bind, type=volume or type=tmpfs",
		 "--mount lacks type=", "add type=bind, type=volume or type=tmpfs",
		 "cjobs job submit --image busybox --mount target=/d -- true"},
		{"cjobs: error: --mount 'type=nfs,target=/d': the type must be bind, volume or tmpfs",
		 "an unknown mount type", "use bind, volume or tmpfs",
		 "cjobs job submit --image busybox --mount type=nfs,target=/d -- true"},
		{"cjobs: error: --mount 'type=bind,source=/data' has no target: add target=/path/in/container",
		 "--mount lacks target=", "add target= (or dst=, destination=)",
		 "cjobs job submit --image busybox --mount type=bind,source=/data -- true"},
		{"cjobs: error: --mount '...': unknown key 'bind-propagation': use type, source (src), target (dst, destination), readonly (ro), tmpfs-size and tmpfs-mode",
		 "a key cjobs does not take", "leave it out; the keys cjobs takes are listed",
		 "cjobs job submit --image busybox --mount type=bind,source=/data,target=/d,bind-propagation=rshared -- true"},
		{"cjobs: error: --mount 'type=bind,target=/d': a bind mount needs source=/host/path",
		 "a bind mount without its source", "add source=/host/path",
		 "cjobs job submit --image busybox --mount type=bind,target=/d -- true"},
		{"cjobs: error: --mount '...': readonly takes true or false (or no value, meaning true)",
		 "readonly= has another value", "write readonly, readonly=true or readonly=false",
		 "cjobs job submit --image busybox --mount type=volume,source=v,target=/d,readonly=maybe -- true"},
		{"cjobs: error: --mount 'type=volume,src=,target=/d': 'src' needs a value, e.g. src=/data",
		 "a key is given without its value", "give the value after '='",
		 "cjobs job submit --image busybox --mount type=volume,src=,target=/d -- true"},
		{"cjobs: error: --mount '...': tmpfs-size must be a size such as 64m",
		 "tmpfs-size is not a size", "write it like 64m or 1g",
		 "cjobs job submit --image busybox --mount type=tmpfs,target=/t,tmpfs-size=lots -- true"},
		{"cjobs: error: --mount '...': tmpfs-mode must be octal permission bits such as 1777",
		 "tmpfs-mode is not octal", "write octal digits, at most 7777",
		 "cjobs job submit --image busybox --mount type=tmpfs,target=/t,tmpfs-mode=999 -- true"},
		{"cjobs: error: --mount 'type=tmpfs,source=x,target=/t': a tmpfs mount has no source; remove it",
		 "a tmpfs mount names a source", "remove source=",
		 "cjobs job submit --image busybox --mount type=tmpfs,source=x,target=/t -- true"},
		{"cjobs: error: --mount '...': tmpfs-size and tmpfs-mode go with type=tmpfs only",
		 "tmpfs options on a bind or volume mount", "remove them or use type=tmpfs",
		 "cjobs job submit --image busybox --mount type=volume,target=/t,tmpfs-size=1m -- true"},
		{"cjobs: error: --tmpfs '/t:size=big': the option 'size=big' is not known",
		 "a --tmpfs option cjobs does not take, or a size that is not one", "use the options listed, e.g. /tmp:size=64m",
		 "cjobs job submit --image busybox --tmpfs /t:size=big -- true"},
		{"cjobs: error: --tmpfs '/t:': nothing after ':'; write PATH or PATH:OPTIONS",
		 "a --tmpfs value ends with ':'", "drop the ':' or add options",
		 "cjobs job submit --image busybox --tmpfs /t: -- true"},
		{"cjobs: error: --user 'me:' is not understood: write UID[:GID] such as 1000 or 1000:1000",
		 "--user is not ids or names", "write 1000, 1000:1000 or a name the image knows",
		 "cjobs job submit --image busybox --user me: -- true"},
		{"cjobs: error: --hostname 'my_box' is not a host name",
		 "--hostname holds characters a host name may not", "use letters, digits, '-' and '.'",
		 "cjobs job submit --image busybox --hostname my_box -- true"},
		{"cjobs: error: --label 'team' is not KEY=VALUE: write e.g. --label team=data",
		 "a --label lacks '=' or a key", "write KEY=VALUE",
		 "cjobs job submit --image busybox --label team -- true"},
		{"cjobs: error: --label 'cjobs.job=x': keys starting with cjobs. are cjobs's own",
		 "the label's key starts with cjobs.", "choose a key of your own",
		 "cjobs job submit --image busybox --label cjobs.job=x -- true"},
		{"cjobs: error: --network 'a:b' is not a network name",
		 "--network holds characters a network name may not", "give the network's name",
		 "cjobs job submit --image busybox --network a:b -- true"},
		{"cjobs: error: --entrypoint is empty: give the program to run, e.g. --entrypoint /bin/sh",
		 "--entrypoint is given empty", "name the program, or leave the option out for the image's",
		 "cjobs job submit --image busybox --entrypoint= -- true"},
		{"cjobs: error: --cap-add: 'NET_ADMINS' is not a Linux capability",
		 "the name is not one of Linux's capabilities", "check the spelling (capabilities(7)); CAP_ and case are optional",
		 "cjobs job submit --image busybox --cap-add NET_ADMINS -- true"},
		{"cjobs: error: --security-opt 'seccomp=unconfined' is not accepted: cjobs takes only no-new-privileges",
		 "a security option other than no-new-privileges", "leave it out; only no-new-privileges is taken",
		 "cjobs job submit --image busybox --security-opt seccomp=unconfined -- true"},
		{"cjobs: error: --gpus 'some' is not understood: write all, a number such as 2, or device=ID[,ID]",
		 "--gpus is not all, a count or device=", "write all, 2 or device=0,1",
		 "cjobs job submit --image busybox --gpus some -- true"},
		{"cjobs: error: --gpus '0': a count must be from 1 to 1024",
		 "a GPU count out of range", "give 1 to 1024, or leave --gpus out",
		 "cjobs job submit --image busybox --gpus 0 -- true"},
		{"cjobs: error: --gpus 'device=a/b': 'a/b' is not a device id",
		 "a device id holds other characters", "use the ids nvidia-smi -L shows",
		 "cjobs job submit --image busybox --gpus device=a/b -- true"},
		{"cjobs: error: --gpus 'device=,' names no device",
		 "device= without an id", "list at least one id",
		 "cjobs job submit --image busybox --gpus device=, -- true"},
		{"cjobs: error: option --shm-size: '1k' is out of range: give from 1m to 1t",
		 "the size is too small or too large", "give 1m to 1t",
		 "cjobs job submit --image busybox --shm-size 1k -- true"},
		{"cjobs: error: option --pull: 'sometimes' is not one of: always, missing, never",
		 "an unknown pull policy", "use always, missing or never",
		 "cjobs job submit --image busybox --pull sometimes -- true"},
		{"cjobs: error: host 'local' does not allow bind mounts from /data: allow it with 'cjobs host update local --allow-bind /data'",
		 "the job names its host, and the host does not allow bind mounts from that directory", "an administrator allows it with the command shown, or use a named volume",
		 "cjobs job submit --image busybox --host local --volume /data:/data -- true"},
		{"cjobs: error: host 'local' does not allow adding the capability SYS_PTRACE: allow it with 'cjobs host update local --allow-cap-add SYS_PTRACE'",
		 "the job names its host, which does not allow that capability", "an administrator allows it with the command shown, or drop --cap-add",
		 "cjobs job submit --image busybox --host local --cap-add SYS_PTRACE -- true"},
		{"cjobs: error: host 'local' does not allow GPUs (--gpus): allow them with 'cjobs host update local --allow-gpus yes'",
		 "the job names its host, which does not allow GPUs", "an administrator allows them with the command shown",
		 "cjobs job submit --image busybox --host local --gpus all -- true"},
		{NULL, NULL, NULL},
	},
	.run = submit_run,
};
