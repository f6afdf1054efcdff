#!/usr/bin/env bash
# stores: both (tests/run runs it again on PostgreSQL)
# --daemon keeps taking jobs; signals behave as the help says. No test
# sleeps to wait: each waits for the worker's log (at verbosity 3 it says
# when it found no job ready) or for a job's status in the store.
. "$(dirname "$0")/../lib/test-lib.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
add_test_host e1
IMG=cjobs-test/busybox:1

# start_daemon LOG [options]: a daemon at verbosity 3 in the background,
# its pid in $pid (call it in the test body itself, not in $(...)).
start_daemon() {
	local log=$1
	shift
	"$CJOBS_BIN" "$@" --verbosity 3 >/dev/null 2>"$log" &
	pid=$!
}

test_expect_success 'the daemon notices a job submitted while it idles at once (poll interval 1h); SIGTERM takes no new job, lets the running one finish, exits 0' '
	start_daemon d.log process-jobs --daemon --poll-interval 3600
	stop_on_exit $pid
	wait_for 60 "grep -q \"no job ready\" d.log" &&
	id=$(cjobs job submit --image $IMG -- sh -c "$GATED") &&
	wait_for 60 "test \"\$(job_field $id status)\" = running" &&
	# Woken by the submit itself (inotify on SQLite, NOTIFY on
	# PostgreSQL), not by a timer of its own.
	grep -q "another process changed the store: looking for jobs at once" d.log &&
	kill -TERM $pid &&
	wait_for 30 "grep -q \"SIGTERM: taking no new jobs; waiting for 1 running job\" d.log" &&
	late=$(cjobs job submit --image $IMG -- true) &&
	job_release $id &&
	wait_exit 60 $pid &&
	test "$(job_field $id status)" = completed &&
	test "$(cjobs job logs $id --stream stdout)" = done &&
	test "$(job_field $late status)" = queued &&
	cjobs manage-jobs cancel --job-id $late >/dev/null
'

test_expect_success 'the daemon starts a job scheduled with --at when its time comes, not before' '
	id=$(cjobs job submit --image $IMG --at +10s -- true) &&
	# 10 s: the daemon must be up and idle before then, also on a loaded
	# machine, for its "no job ready" to show that it waited.
	start_daemon at.log process-jobs --daemon --poll-interval 3600
	stop_on_exit $pid
	wait_for 60 "grep -q \"no job ready\" at.log" &&
	# The log, not the store: a command reading the store while the job
	# waits could wake the worker through the store'"'"'s directory.
	wait_for 60 "grep -q \"job $id completed\" at.log" &&
	nb=$(job_field $id not_before) && st=$(job_field $id started_at) &&
	echo "not before $nb, started $st" &&
	test "$(printf "%s\n%s\n" "$nb" "$st" | sort | head -1)" = "$nb" &&
	kill -TERM $pid && wait_exit 60 $pid
'

test_expect_success 'SIGINT removes running containers and puts their jobs back in the queue without counting the attempt' '
	a=$(cjobs job submit --image $IMG -- sleep 300) &&
	b=$(cjobs job submit --image $IMG -- sleep 300) || exit 1
	start_daemon int.log process-jobs --daemon
	stop_on_exit $pid
	wait_for 60 "test \"\$(job_field $a status)\" = running && test \"\$(job_field $b status)\" = running" &&
	kill -INT $pid &&
	wait_exit 60 $pid &&
	test "$(job_field $a status)" = queued && test "$(job_field $b status)" = queued &&
	test "$(job_field $a attempt)" = 0 && test "$(job_field $b attempt)" = 0 &&
	test -z "$(engine_containers "$ENGINE_SOCK")" &&
	cjobs job show $a --format json | python3 -c "
import json,sys
h=json.load(sys.stdin)[\"history\"][-1]
assert (h[\"from\"], h[\"to\"], h[\"attempt\"]) == (\"running\", \"queued\", 0), h
assert \"worker interrupted (SIGINT); container removed\" in h[\"reason\"], h" &&
	cjobs manage-jobs cancel --job-id $a >/dev/null && cjobs manage-jobs cancel --job-id $b >/dev/null
'

test_expect_success 'SIGUSR1 re-reads every [worker] key of the configuration; each takes effect for the next jobs' '
	printf "[worker]\nmax_jobs = 1\ntimeout = 3600\noutput_limit = 1m\nshutdown_timeout = 0\npoll_interval = 3600\n" >c.ini &&
	a=$(cjobs job submit --image $IMG --priority 9 -- sleep 300) || exit 1
	start_daemon usr1.log --config c.ini process-jobs --daemon
	stop_on_exit $pid
	wait_for 60 "test \"\$(job_field $a status)\" = running" &&
	b=$(cjobs job submit --image $IMG -- sleep 60) &&
	c=$(cjobs job submit --image $IMG -- sh -c "yes x | head -c 3000") &&
	test "$(job_field $b status)" = queued &&
	printf "[worker]\nmax_jobs = 3\ntimeout = 1\noutput_limit = 1k\nshutdown_timeout = 1\npoll_interval = 7\n" >c.ini &&
	kill -USR1 $pid &&
	wait_for 30 "grep -q \"configuration reloaded (max jobs 3, poll interval 7s, timeout 1s, output limit 1024 bytes, shutdown timeout 1s)\" usr1.log" &&
	wait_for 60 "test \"\$(job_field $b status)\" = timeout && test \"\$(job_field $c status)\" = completed" &&
	job_field $b last_error | grep -q "time limit of 1s" &&
	cjobs job show $c --format json | python3 -c "
import json,sys
o = json.load(sys.stdin)[\"stdout\"]
assert o == {\"kept_bytes\": 1024, \"total_bytes\": 3000, \"truncated\": True}, o" &&
	test "$(job_field $a status)" = running &&
	kill -TERM $pid &&
	expect_code 3 wait_exit 60 $pid &&
	grep -q "SIGTERM: taking no new jobs; waiting up to 1s for 1 running job" usr1.log &&
	test "$(job_field $a status)" = queued && test "$(job_field $a attempt)" = 0 &&
	cjobs manage-jobs cancel --job-id $a >/dev/null
'

test_expect_success 'SIGUSR1 keeps the values given as options; a configuration with an error is refused, saying why' '
	printf "[worker]\nmax_jobs = 3\ntimeout = 1\noutput_limit = 1k\nshutdown_timeout = 1\npoll_interval = 7\n" >o.ini &&
	start_daemon opt.log --config o.ini process-jobs --daemon --max-jobs 2 --timeout 100 \
		--output-limit 5k --shutdown-timeout 9 --poll-interval 11
	stop_on_exit $pid
	wait_for 60 "grep -q \"no job ready\" opt.log" &&
	kill -USR1 $pid &&
	wait_for 30 "grep -q \"configuration reloaded\" opt.log" &&
	grep -q "configuration reloaded (max jobs 2, poll interval 11s, timeout 100s, output limit 5120 bytes, shutdown timeout 9s)" opt.log &&
	printf "[worker]\nmax_jobs = 0\n" >o.ini &&
	kill -USR1 $pid &&
	wait_for 30 "grep -q \"configuration not reloaded\" opt.log" &&
	grep -q "configuration not reloaded: o.ini:2: \[worker\] max_jobs: .0. is not a whole number from 1 to 10000" opt.log &&
	kill -TERM $pid &&
	wait_exit 60 $pid &&
	grep -q "waiting up to 9s" opt.log
'

test_expect_success 'no container labelled by cjobs is left on the engine' '
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

test_expect_success SQLITE 'files written beside the store (the worker'"'"'s own log there) do not wake the worker as if the store had changed' '
	"$CJOBS_BIN" process-jobs --daemon --verbosity 3 >beside.log 2>&1 &
	wpid=$!
	stop_on_exit $wpid
	wait_for 30 "grep -q \"no job ready for this worker\" beside.log" &&
	for i in 1 2 3 4 5 6 7 8 9 10; do echo x >>other.txt; done &&
	kill -USR1 $wpid &&
	wait_for 30 "grep -q SIGUSR1: beside.log" &&
	kill -USR1 $wpid &&
	wait_for 30 "test \$(grep -c SIGUSR1: beside.log) -ge 2" &&
	n=$(grep -c "another process changed the store" beside.log) &&
	echo "woken $n times" && test "$n" -le 3 &&
	kill -TERM $wpid && wait $wpid
'

test_done
