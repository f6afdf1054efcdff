#!/usr/bin/env bash
# stores: both (tests/run runs it again on PostgreSQL)
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

# A store of its own for the selection rules, with jobs put in their
# final states by hand (nothing runs): finish times either side of the
# second T, on two hosts, pinned or not.
T=$(( $(date +%s) - 3600 ))
sel() { CJOBS_DATABASE=$TEST_DIR/sel.db "$CJOBS_BIN" "$@"; }
# fake ID STATUS RAN_ON FINISHED_AT_MS
fake() {
	local code=NULL
	case $2 in failed) code=1 ;; completed) code=0 ;; esac
	store_edit "$TEST_DIR/sel.db" "UPDATE jobs SET status = '$2', attempt = 1, ran_on = '$3',
		started_at = $4 - 10, finished_at = $4, exit_code = $code WHERE id = $1"
}
sel_digest() { CJOBS_DATABASE=$TEST_DIR/sel.db store_digest; }
selected() { sed -n "s/^would retry job \([0-9]*\) .*/\1/p" "$1" | tr "\n" " "; }

test_expect_success 'the selection fixture: failed, timeout, completed, cancelled and queued jobs either side of T' '
	sel host add e1 --url "$ENGINE_URL" >/dev/null && sel host add e2 --url "$ENGINE_URL" >/dev/null &&
	for i in 1 2 3 4 5 6 7 8; do sel job submit --image $IMG -- true >/dev/null || exit 1; done &&
	sqlite3 sel.db "UPDATE jobs SET host = '\''e2'\'' WHERE id = 7" &&
	fake 1 failed e1 $((T * 1000 - 1)) &&
	fake 2 failed e1 $((T * 1000)) &&
	fake 3 timeout e1 $((T * 1000 + 500)) &&
	fake 4 completed e1 $((T * 1000 + 500)) &&
	fake 5 cancelled e1 $((T * 1000 + 500)) &&
	fake 7 failed e2 $((T * 1000 + 500)) &&
	fake 8 failed e2 $((T * 1000 - 1000)) &&
	test "$(sqlite3 sel.db "select group_concat(status) from (select status from jobs order by id)")" = failed,failed,timeout,completed,cancelled,queued,failed,failed
'

test_expect_success '--since picks the failed and timed-out jobs finished at or after it, of every host, and no other' '
	before=$(sel_digest) &&
	sel manage-jobs retry --since @$T --dry-run </dev/null >out &&
	cat out &&
	test "$(selected out)" = "2 3 7 " &&
	grep -q "^dry run: 3 job(s) would be queued again; nothing was changed" out &&
	test "$(sel_digest)" = "$before"
'

test_expect_success '--host picks the failed and timed-out jobs that ran on it, pinned or not; with --since, both must hold' '
	before=$(sel_digest) &&
	sel manage-jobs retry --host e2 --dry-run </dev/null >out && test "$(selected out)" = "7 8 " &&
	sel manage-jobs retry --host e1 --dry-run </dev/null >out && test "$(selected out)" = "1 2 3 " &&
	sel manage-jobs retry --host e2 --since @$T --dry-run </dev/null >out && test "$(selected out)" = "7 " &&
	test "$(sel_digest)" = "$before"
'

test_expect_success 'several jobs off a terminal need --force, even with --host alone; --dry-run --force changes nothing' '
	before=$(sel_digest) &&
	expect_code 1 sel manage-jobs retry --since @$T </dev/null 2>err &&
	grep -q "refusing to retry 3 job(s) without confirmation: standard input is not a terminal; add --force to retry them" err &&
	echo y | expect_code 1 sel manage-jobs retry --since @$T 2>err &&
	grep -q "refusing to retry 3 job(s) without confirmation" err &&
	expect_code 1 sel manage-jobs retry --host e2 </dev/null 2>err &&
	grep -q "refusing to retry 2 job(s) without confirmation" err &&
	sel manage-jobs retry --since @$T --dry-run --force --priority 7 </dev/null >out &&
	grep -q "^would retry job 2 (failed after attempt 1 on host e1, .*): priority 0 -> 7$" out &&
	test "$(sel_digest)" = "$before"
'

test_expect_success 'on a terminal, retry asks: no changes nothing, yes queues them again' '
	before=$(sel_digest) &&
	printf "n\n" | CJOBS_DATABASE=$TEST_DIR/sel.db expect_code 1 script -qec "\"$CJOBS_BIN\" manage-jobs retry --host e2 --since @$T" /dev/null >out &&
	grep -q "Queue these 1 job(s) again? \[y/N\]" out &&
	grep -q "nothing was retried" out &&
	test "$(sel_digest)" = "$before" &&
	printf "y\n" | CJOBS_DATABASE=$TEST_DIR/sel.db script -qec "\"$CJOBS_BIN\" manage-jobs retry --host e2 --since @$T" /dev/null >out &&
	grep -q "retried 1 of 1 job(s)" out &&
	test "$(sqlite3 sel.db "select group_concat(status) from (select status from jobs order by id)")" = failed,failed,timeout,completed,cancelled,queued,queued,failed
'

test_expect_success '--since --force queues exactly the chosen jobs again, and a second run finds none' '
	sel manage-jobs retry --since @$T --force </dev/null >out &&
	cat out &&
	grep -q "retried 2 of 2 job(s)" out &&
	test "$(sqlite3 sel.db "select group_concat(status) from (select status from jobs order by id)")" = failed,queued,queued,completed,cancelled,queued,queued,failed &&
	sel manage-jobs retry --since @$T --force </dev/null >out &&
	grep -q "no failed or timed-out job matches; nothing to retry" out
'

test_expect_success 'one job by --job-id needs no confirmation, even off a terminal' '
	sel manage-jobs retry --job-id 8 </dev/null >out &&
	grep -q "retried job 8: queued again for attempt 2" out &&
	test "$(sqlite3 sel.db "select status from jobs where id = 8")" = queued
'

# Bulk retries go in batches of 256, each in one transaction
# (ops_retry_batch): more than one batch, every job queued again with its
# history row.
test_expect_success 'a bulk retry of more jobs than one batch queues every one again, each with its history row' '
	cjobs host add bulk --url "$ENGINE_URL" >/dev/null &&
	cjobs job submit --image $IMG --host bulk --count 300 -- true >/dev/null &&
	store_sql "UPDATE jobs SET status = '\''failed'\'', attempt = 1, exit_code = 1, ran_on = '\''bulk'\'', started_at = queued_at, finished_at = queued_at + 10 WHERE host = '\''bulk'\''" &&
	cjobs manage-jobs retry --host bulk --force </dev/null >out &&
	grep -q "^retried 300 of 300 job(s)$" out &&
	test "$(grep -c "^retried job [0-9]*: queued again for attempt 2 (retried by manage-jobs)$" out)" = 300 &&
	test "$(store_sql "SELECT count(*) FROM jobs WHERE host = '\''bulk'\'' AND status = '\''queued'\''")" = 300 &&
	test "$(store_sql "SELECT count(*) FROM job_history h JOIN jobs j ON j.id = h.job_id WHERE j.host = '\''bulk'\'' AND h.to_status = '\''queued'\'' AND h.from_status = '\''failed'\''")" = 300
'

# A batch whose commit fails (planted on PostgreSQL: a deferred constraint
# trigger on the history raises at COMMIT for one change) keeps nothing of
# it, and each job says its retry was not stored.
if [ -n "$TEST_PG_DB" ]; then
test_expect_success 'PostgreSQL: a bulk retry whose commit fails changes nothing and names each job with the error' '
	store_sql "CREATE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN RAISE EXCEPTION '\''planted refusal at commit'\''; END \$\$; CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON job_history DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.reason LIKE '\''%priority 0 -> 77'\'') EXECUTE FUNCTION refuse_at_commit()" &&
	cjobs host add refuse --url "$ENGINE_URL" >/dev/null &&
	cjobs job submit --image $IMG --host refuse --count 3 -- true >/dev/null &&
	store_sql "UPDATE jobs SET status = '\''failed'\'', attempt = 1, exit_code = 1, ran_on = '\''refuse'\'', started_at = queued_at, finished_at = queued_at + 10 WHERE host = '\''refuse'\''" &&
	before=$(store_digest) &&
	expect_code 1 cjobs manage-jobs retry --host refuse --force --priority 77 </dev/null >out 2>err &&
	cat out err &&
	for j in $(store_sql "SELECT id FROM jobs WHERE host = '\''refuse'\''"); do
		test_grep -q "^cjobs: error: job $j: the retry could not be stored (nothing changed): .*planted refusal at commit" err || exit 1
	done &&
	grep -q "^retried 0 of 3 job(s)$" out &&
	test "$(store_digest)" = "$before" &&
	store_sql "DROP TRIGGER refuse_at_commit ON job_history; DROP FUNCTION refuse_at_commit()" &&
	cjobs manage-jobs retry --host refuse --force --priority 77 </dev/null >out &&
	grep -q "^retried 3 of 3 job(s)$" out
'
fi

test_expect_success 'no container labelled by cjobs is left on the engine' '
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

test_done
