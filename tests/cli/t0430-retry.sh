#!/usr/bin/env bash
# manage-jobs retry: failed and timed-out jobs go back in the queue, with
# the changes asked for written in their history; the next attempt runs
# and the earlier attempt's output stays under its number; bulk retries
# need confirmation.
. "$(dirname "$0")/../lib/test-lib.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
add_test_host e1
IMG=cjobs-test/busybox:1

# history_last ID: "from to actor reason" of the job's last history row.
history_last() {
	cjobs job show "$1" --format json | python3 -c '
import json,sys
h=json.load(sys.stdin)["history"][-1]
print(h["from"], h["to"], h["actor"], h["reason"])'
}

test_expect_success 'retry has the full help: sections, errors, exit codes' '
	cjobs manage-jobs retry --help >out &&
	for s in "Usage Examples:" "How It Works:" "Important Notes:" "Common Errors:" \
		"Exit Codes:" "Options:"; do
		grep -q "^$s" out || { echo "missing $s"; exit 1; }; done &&
	for o in --job-id --host --since --timeout --memory --cpus --priority --dry-run --force; do
		grep -q "^  $o" out || { echo "missing $o"; exit 1; }; done &&
	grep -q "root-equivalent" out
'

test_expect_success 'a timed-out job retried with a longer limit runs again; both attempts are kept' '
	id=$(cjobs job submit --image $IMG --host e1 --timeout 2 -- sh -c "echo out; cat /etc/hostname; sleep 4") &&
	expect_code 3 cjobs process-jobs &&
	test "$(job_field $id status)" = timeout &&
	first=$(cjobs job logs $id --stream stdout) &&
	echo "$first" | grep -q "^out$" &&
	cjobs manage-jobs retry --job-id $id --timeout 30 >out &&
	cat out &&
	grep -q "retried job $id: queued again for attempt 2 (retried by manage-jobs: timeout 2s -> 30s)" out &&
	test "$(job_field $id status)" = queued &&
	test "$(job_field $id timeout_seconds)" = 30 &&
	test -z "$(job_field $id exit_code)" && test -z "$(job_field $id last_error)" &&
	test "$(history_last $id)" = "timeout queued manage-jobs retried by manage-jobs: timeout 2s -> 30s" &&
	cjobs process-jobs &&
	test "$(job_field $id status)" = completed &&
	test "$(job_field $id attempt)" = 2 &&
	test "$(cjobs job logs $id --attempt 1 --stream stdout)" = "$first" &&
	second=$(cjobs job logs $id --attempt 2 --stream stdout) &&
	echo "$second" | grep -q "^out$" &&
	test "$first" != "$second" &&
	test "$(cjobs job logs $id --stream stdout)" = "$second" &&
	cjobs job show $id --format json | python3 -c "
import json,sys
h=[(e[\"attempt\"],e[\"from\"],e[\"to\"]) for e in json.load(sys.stdin)[\"history\"]]
want=[(0,None,\"queued\"),(1,\"queued\",\"launching\"),(1,\"launching\",\"running\"),(1,\"running\",\"timeout\"),
      (1,\"timeout\",\"queued\"),(2,\"queued\",\"launching\"),(2,\"launching\",\"running\"),(2,\"running\",\"completed\")]
assert h == want, h"
'

test_expect_success 'changes of memory, cpus and priority are applied and described' '
	id=$(cjobs job submit --image $IMG --host e1 -- sh -c "exit 4") &&
	expect_code 3 cjobs process-jobs &&
	test "$(job_field $id status)" = failed &&
	cjobs manage-jobs retry --job-id $id --memory 64m --cpus 0.5 --priority 5 >out &&
	grep -q "retried by manage-jobs: memory none -> 64m, cpus none -> 0.5, priority 0 -> 5" out &&
	test "$(job_field $id memory_bytes)" = 67108864 &&
	test "$(job_field $id cpus)" = 0.5 &&
	test "$(job_field $id priority)" = 5 &&
	expect_code 3 cjobs process-jobs &&
	test "$(job_field $id status)" = failed && test "$(job_field $id attempt)" = 2 &&
	cjobs manage-jobs retry --job-id $id >out &&
	grep -q "queued again for attempt 3 (retried by manage-jobs)$" out &&
	expect_code 3 cjobs process-jobs
'

test_expect_success 'retrying a job that is not failed or timeout is an error naming its status' '
	id=$(cjobs job submit --image $IMG --at +1d -- true) &&
	before=$(store_digest) &&
	expect_code 1 cjobs manage-jobs retry --job-id $id 2>err &&
	grep -q "job $id is queued; only failed or timed-out jobs can be retried" err &&
	done_id=$(cjobs job submit --image $IMG --host e1 -- true) &&
	cjobs process-jobs &&
	before=$(store_digest) &&
	expect_code 1 cjobs manage-jobs retry --job-id $done_id 2>err &&
	grep -q "job $done_id is completed; only failed or timed-out jobs can be retried" err &&
	test "$(store_digest)" = "$before"
'

test_expect_success 'usage errors: which jobs, unknown job or host, values out of range' '
	before=$(store_digest) &&
	expect_code 1 cjobs manage-jobs retry 2>err &&
	grep -q "say which jobs to retry: --job-id ID for one job, or --host NAME" err &&
	expect_code 1 cjobs manage-jobs retry --job-id 1 --host e1 2>err &&
	grep -q "give --job-id alone, or --host and/or --since to choose failed jobs, not both" err &&
	expect_code 1 cjobs manage-jobs retry --job-id 999 2>err &&
	grep -q "no job with id 999; .cjobs job list. shows the jobs" err &&
	expect_code 1 cjobs manage-jobs retry --host nosuch 2>err &&
	grep -q "no host named .nosuch.; .cjobs host list. shows the hosts" err &&
	expect_code 1 cjobs manage-jobs retry --job-id 1 --memory 1m 2>err &&
	grep -q "option --memory: .1m. is out of range: give from 6m to 1024t" err &&
	expect_code 1 cjobs manage-jobs retry --job-id 1 --cpus 2000 2>err &&
	grep -q "the CPU limit must be 0 (none) or from 0.01 to 1024 CPUs, e.g. 0.5" err &&
	expect_code 1 cjobs manage-jobs retry --job-id 1 --timeout 8d 2>err &&
	grep -q "from 0 to 604800 seconds" err &&
	expect_code 1 cjobs manage-jobs retry --job-id 1 --priority 1001 2>err &&
	grep -q "from -1000 to 1000" err &&
	expect_code 1 cjobs manage-jobs retry --since yesterday 2>err &&
	grep -q "is not a time" err &&
	test "$(store_digest)" = "$before"
'

test_expect_success 'several jobs: --since picks those finished since; no terminal means --force' '
	old=$(cjobs job submit --image $IMG --host e1 -- false) &&
	expect_code 3 cjobs process-jobs &&
	sleep 1.1 &&
	since=$(date +%s) &&
	a=$(cjobs job submit --image $IMG --host e1 -- false) &&
	b=$(cjobs job submit --image $IMG --host e1 -- sh -c "exit 2") &&
	expect_code 3 cjobs process-jobs &&
	before=$(store_digest) &&
	expect_code 1 cjobs manage-jobs retry --since @$since </dev/null 2>err &&
	grep -q "refusing to retry 2 job(s) without confirmation: standard input is not a terminal; add --force to retry them" err &&
	echo y | expect_code 1 cjobs manage-jobs retry --since @$since 2>err &&
	grep -q "add --force" err &&
	test "$(store_digest)" = "$before" &&
	cjobs manage-jobs retry --since @$since --dry-run --priority 7 >out &&
	cat out &&
	test "$(grep -c "^would retry job" out)" = 2 &&
	grep -q "^would retry job $a (failed after attempt 1 on host e1, .*): priority 0 -> 7$" out &&
	test "$(store_digest)" = "$before" &&
	cjobs manage-jobs retry --since @$since --force >out &&
	grep -q "retried 2 of 2 job(s)" out &&
	test "$(job_field $a status)" = queued && test "$(job_field $b status)" = queued &&
	test "$(job_field $old status)" = failed &&
	expect_code 3 cjobs process-jobs
'

test_expect_success '--host picks the failed jobs of that host only' '
	add_test_host e2 &&
	x=$(cjobs job submit --image $IMG --host e2 -- false) &&
	expect_code 3 cjobs process-jobs &&
	cjobs manage-jobs retry --host e2 --dry-run >out &&
	test "$(grep -c "^would retry job" out)" = 1 &&
	grep -q "^would retry job $x " out &&
	cjobs manage-jobs retry --host e2 --force >out &&
	test "$(job_field $x status)" = queued &&
	cjobs manage-jobs retry --host e2 --force >out &&
	grep -q "nothing to retry" out
'

test_expect_success 'no container labelled by cjobs is left on the engine' '
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

test_done
