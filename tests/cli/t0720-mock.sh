#!/usr/bin/env bash
# stores: both (tests/run runs it again on PostgreSQL)
# The mock executor (a host at mock://): a product feature for dry runs and
# for measuring cjobs itself. Every job it gets completes at once with exit
# code 0 and no output, through the same worker, store and history as on a
# real engine. No engine is involved (and none is started here).
. "$(dirname "$0")/../lib/test-lib.sh"

test_expect_success 'a mock host is registered, checked and shown like any other' '
	cjobs host add dry --url mock:// --max-jobs 50 >out &&
	grep -q "added host .dry. (mock://, up to 50 jobs at once)" out &&
	cjobs manage-jobs health-check --host dry >out &&
	grep -q "mock" out &&
	cjobs host show dry --format json | grep -q "\"url\": \"mock://\""
'

test_expect_success 'process-jobs option ranges: each edge is taken, one past it is refused saying the range, nothing stored' '
	cjobs process-jobs --max-jobs 1 --poll-interval 1 --timeout 0 --output-limit 0 --shutdown-timeout 0 &&
	cjobs process-jobs --max-jobs 10000 --poll-interval 1d --timeout 7d --output-limit 1g --shutdown-timeout 7d &&
	before=$(store_digest) &&
	expect_code 1 cjobs process-jobs --max-jobs 0 2>err &&
	grep -q "option --max-jobs: .0. is not a whole number from 1 to 10000" err &&
	expect_code 1 cjobs process-jobs --max-jobs 10001 2>err &&
	grep -q "option --max-jobs: .10001. is not a whole number from 1 to 10000" err &&
	expect_code 1 cjobs process-jobs --poll-interval 0 2>err &&
	grep -q "option --poll-interval: .0. is not a duration from 1 to 86400 seconds" err &&
	expect_code 1 cjobs process-jobs --poll-interval 86401 2>err &&
	grep -q "option --poll-interval: .86401. is not a duration from 1 to 86400 seconds" err &&
	expect_code 1 cjobs process-jobs --timeout 604801 2>err &&
	grep -q "option --timeout: .604801. is not a duration from 0 to 604800 seconds" err &&
	expect_code 1 cjobs process-jobs --output-limit 1073741825 2>err &&
	grep -q "option --output-limit: .1073741825. is out of range: give from 0 to 1g" err &&
	expect_code 1 cjobs process-jobs --shutdown-timeout -1 2>err &&
	grep -q "option --shutdown-timeout: .-1. is not a duration from 0 to 604800 seconds" err &&
	expect_code 1 cjobs process-jobs --shutdown-timeout 8d 2>err &&
	grep -q "option --shutdown-timeout: .8d. is not a duration from 0 to 604800 seconds" err &&
	test "$(store_digest)" = "$before"
'

test_expect_success 'a queue of jobs runs to completion on it, history and all' '
	cjobs job submit --image busybox --host dry --count 500 -- sh -c "exit 7" >ids &&
	cjobs process-jobs --host dry --max-jobs 50 &&
	test "$(store_sql "SELECT status || count(*) FROM jobs GROUP BY status")" = completed500 &&
	id=$(head -1 ids) &&
	test "$(job_field $id exit_code)" = 0 &&
	test "$(job_field $id ran_on)" = dry &&
	cjobs job show $id --format json | python3 -c "
import json,sys
j=json.load(sys.stdin)
h=[(e[\"from\"],e[\"to\"]) for e in j[\"history\"]]
assert h == [(None,\"queued\"),(\"queued\",\"launching\"),(\"launching\",\"running\"),(\"running\",\"completed\")], h
# The move to running is written with the result (the end was known first),
# but at its own time: the start.
at=[e[\"at\"] for e in j[\"history\"]]
assert at == sorted(at), at
assert j[\"started_at\"] and j[\"started_at\"] <= j[\"finished_at\"], j" &&
	test -z "$(cjobs job logs $id --stream stdout)" &&
	cjobs db check
'

test_expect_success 'a daemon on a mock host takes new jobs as they come and stops on SIGTERM' '
	"$CJOBS_BIN" process-jobs --daemon --host dry 2>d.log &
	pid=$!
	stop_on_exit $pid
	id=$(cjobs job submit --image busybox --host dry -- true) &&
	wait_for 30 "test \"\$(job_field $id status)\" = completed" &&
	kill -TERM $pid && wait $pid
'

test_expect_success 'mock:// takes no TLS files and no other form' '
	expect_code 1 cjobs host add m2 --url mock://x 2>err &&
	grep -q "engine address" err &&
	touch ca.pem &&
	expect_code 1 cjobs host add m3 --url mock:// --tls-ca ca.pem 2>err &&
	grep -q "TLS" err
'

# A mock engine keeps its containers in the process that made them, as an
# engine keeps them in its daemon: a worker that dies takes them along, so
# the next worker meets jobs whose containers are gone (404), the case of
# an engine whose container was removed. It must recover them as t0700
# expects of a real engine: a job still launching goes back to the queue
# with its attempt given back and then completes on attempt 1 (t0700, "a
# job held by a worker elsewhere"); a job that ran is recorded as vanished,
# not completed. An old mock that answered "exited 0" for any id made both
# look like finished containers.

# recovered IDS: "ID STATUS ATTEMPT REQUEUES VANISHED" for each job of the
# comma-separated IDS: how often it went back to the queue because its
# container never started, and whether its error says the container
# vanished ("vanished") or not ("-").
recovered() {
	store_sql "SELECT j.id || ' ' || j.status || ' ' || j.attempt || ' ' ||
		(SELECT count(*) FROM job_history h WHERE h.job_id = j.id
			AND h.reason LIKE '%its worker stopped before the container started; back in the queue%') ||
		' ' || CASE WHEN j.last_error LIKE '%the container disappeared while no worker watched it%'
			THEN 'vanished' ELSE '-' END
		FROM jobs j WHERE j.id IN ($1)"
}
count_status() {
	store_sql "SELECT count(*) FROM jobs WHERE status = '$1'"
}

test_expect_success 'jobs held by a worker gone for good, on a mock host: no container is found (404); launching goes back to the queue, running is failed as vanished' '
	store_delete_jobs &&
	launching=$(cjobs job submit --image busybox --host dry -- true) &&
	running=$(cjobs job submit --image busybox --host dry -- true) &&
	now=$(date +%s%3N) &&
	for id in $launching $running; do
		uuid=$(job_field $id uuid) &&
		st=$([ $id = $launching ] && echo launching || echo running) &&
		cid=$([ $id = $launching ] && echo NULL || echo "'"'"'$(printf "%064d" $id)'"'"'") &&
		store_edit_own "UPDATE jobs SET status = '"'"'$st'"'"', attempt = 1,
			worker_id = '"'"'elsewhere:1:1:abcd'"'"', lease_until = $((now - 1000)),
			ran_on = '"'"'dry'"'"', container_name = '"'"'cjobs-$uuid-1'"'"',
			container_id = $cid, started_at = $((now - 2000)) WHERE id = $id" || exit 1
	done &&
	expect_code 3 cjobs process-jobs --host dry --verbosity 2 2>log &&
	grep -q "job $launching: the lease of its worker ran out" log &&
	grep -q "job $running: the lease of its worker ran out" log &&
	printf "%s\n" "$launching completed 1 1 -" "$running failed 1 0 vanished" >want &&
	recovered "$launching,$running" | sort -n >got &&
	test_cmp want got &&
	test -z "$(job_field $running exit_code)" &&
	cjobs db check
'

test_expect_success 'a worker killed (-9) mid-queue on a mock host: the next worker finds none of its containers and recovers each job as from an engine that lost them' '
	store_delete_jobs &&
	cjobs job submit --image busybox --host dry --count 5000 -- true >/dev/null || exit 1
	"$CJOBS_BIN" process-jobs --daemon --host dry --max-jobs 50 2>k.log &
	pid=$!
	stop_on_exit $pid
	# Frozen where it stands (SIGSTOP) once it is under way, so that the
	# jobs it holds are read before it dies; again if it held none.
	for try in 1 2 3 4 5 6 7 8 9 10; do
		wait_for 60 "test \$(count_status completed) -ge $((try * 50))" || exit 1
		kill -STOP $pid &&
		store_sql "SELECT id || '"'"' '"'"' || status FROM jobs WHERE status IN ('"'"'launching'"'"', '"'"'running'"'"')" >held &&
		test -s held && break
		kill -CONT $pid
	done &&
	test -s held &&
	kill -9 $pid && { wait $pid 2>/dev/null; true; } &&
	echo "killed holding $(wc -l <held) jobs: $(grep -c launching held) launching, $(grep -c " running" held) running" &&
	code=$(grep -q " running" held && echo 3 || echo 0) &&
	expect_code $code cjobs process-jobs --host dry --max-jobs 50 --verbosity 2 2>n.log &&
	while read -r id st; do
		grep -q "job $id: .*taking it over" n.log || { echo "job $id: not taken over"; exit 1; }
	done <held &&
	awk "{ print \$1, (\$2 == \"launching\" ? \"completed 1 1 -\" : \"failed 1 0 vanished\") }" held |
		sort -n >want &&
	recovered "$(cut -d" " -f1 held | paste -sd, -)" | sort -n >got &&
	test_cmp want got &&
	test "$(count_status failed)" = "$(grep -c " running" held)" &&
	test $(( $(count_status completed) + $(count_status failed) )) = 5000 &&
	test "$(store_sql "SELECT max(attempt) FROM jobs")" = 1 &&
	cjobs db check
'

# Routing and limits are the worker's own rules, not an engine's behaviour:
# mock hosts show them without containers, and every job's claim and end
# are in the store's history (max_at_once), so nothing here samples or
# waits on time.

test_expect_success 'host weights: with room everywhere, a host of weight 3 gets three jobs for each one of a host of weight 1' '
	cjobs host disable dry >/dev/null &&
	cjobs host add heavy --url mock:// --weight 3 >/dev/null &&
	cjobs host add light --url mock:// --weight 1 >/dev/null &&
	cjobs job submit --image busybox --count 4 -- true >/dev/null &&
	cjobs process-jobs --max-jobs 4 &&
	test "$(store_sql "SELECT ran_on || count(*) FROM jobs WHERE status = '"'"'completed'"'"' AND ran_on IN ('"'"'heavy'"'"', '"'"'light'"'"') GROUP BY ran_on")" = "heavy3
light1" &&
	cjobs host update heavy --weight 1 >/dev/null && cjobs host update light --weight 3 >/dev/null &&
	cjobs job submit --image busybox --count 4 -- true >/dev/null &&
	cjobs process-jobs --max-jobs 4 &&
	test "$(store_sql "SELECT ran_on || count(*) FROM jobs WHERE status = '"'"'completed'"'"' AND ran_on IN ('"'"'heavy'"'"', '"'"'light'"'"') GROUP BY ran_on")" = "heavy4
light4"
'

clear_jobs() { store_delete_jobs; }

test_expect_success '--max-jobs counts across all hosts: exactly N jobs at once, never N + 1' '
	clear_jobs &&
	cjobs job submit --image busybox --count 9 -- true >/dev/null &&
	cjobs process-jobs --max-jobs 3 &&
	test "$(max_at_once)" = 3 &&
	test "$(store_sql "SELECT count(*) FROM jobs WHERE status = '"'"'completed'"'"'")" = 9
'

test_expect_success 'a host'"'"'s own --max-jobs bounds it below the worker'"'"'s: exactly that many there at once' '
	clear_jobs &&
	cjobs host update heavy --max-jobs 2 --weight 1000 >/dev/null &&
	cjobs host update light --max-jobs 10 --weight 1 >/dev/null &&
	cjobs job submit --image busybox --count 12 -- true >/dev/null &&
	cjobs process-jobs --max-jobs 8 &&
	test "$(max_at_once heavy)" = 2 &&
	test "$(max_at_once)" = 8 &&
	cjobs host disable light >/dev/null &&
	cjobs job submit --image busybox --count 5 -- true >/dev/null &&
	cjobs process-jobs --max-jobs 8 &&
	test "$(max_at_once heavy)" = 2 &&
	test "$(store_sql "SELECT count(*) FROM jobs WHERE status = '"'"'completed'"'"'")" = 17 &&
	cjobs host enable light >/dev/null
'

test_expect_success 'config key worker.max_jobs sets the limit; --max-jobs given wins over it' '
	clear_jobs &&
	printf "[worker]\nmax_jobs = 2\n" >mj.ini &&
	cjobs job submit --image busybox --count 6 -- true >/dev/null &&
	cjobs --config mj.ini process-jobs &&
	test "$(max_at_once)" = 2 &&
	clear_jobs &&
	cjobs job submit --image busybox --count 6 -- true >/dev/null &&
	cjobs --config mj.ini process-jobs --max-jobs 5 &&
	test "$(max_at_once)" = 5
'

test_expect_success '--host: that host'"'"'s jobs and unpinned ones run there; jobs pinned elsewhere and disabled hosts are left alone' '
	clear_jobs &&
	on_heavy=$(cjobs job submit --image busybox --host heavy -- true) &&
	on_light=$(cjobs job submit --image busybox --host light -- true) &&
	free=$(cjobs job submit --image busybox -- true) &&
	cjobs process-jobs --host light &&
	test "$(job_field $on_light status)" = completed && test "$(job_field $on_light ran_on)" = light &&
	test "$(job_field $free status)" = completed && test "$(job_field $free ran_on)" = light &&
	test "$(job_field $on_heavy status)" = queued &&
	cjobs host disable heavy >/dev/null &&
	free2=$(cjobs job submit --image busybox -- true) &&
	cjobs process-jobs &&
	test "$(job_field $free2 ran_on)" = light &&
	test "$(job_field $on_heavy status)" = queued &&
	cjobs host enable heavy >/dev/null &&
	cjobs process-jobs &&
	test "$(job_field $on_heavy status)" = completed && test "$(job_field $on_heavy ran_on)" = heavy
'

test_done
