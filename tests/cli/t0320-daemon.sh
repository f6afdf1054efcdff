#!/usr/bin/env bash
# --daemon keeps taking jobs; signals behave as the help says.
. "$(dirname "$0")/../lib/test-lib.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
add_test_host e1
IMG=cjobs-test/busybox:1

test_expect_success 'the daemon picks up a job submitted while it runs; SIGTERM waits for it' '
	"$CJOBS_BIN" process-jobs --daemon --poll-interval 1 >/dev/null 2>daemon.log &
	pid=$!
	stop_on_exit $pid
	sleep 1 &&
	id=$(cjobs job submit --image $IMG -- sh -c "sleep 5; echo done") &&
	wait_for 60 "test \"\$(job_field $id status)\" = running" &&
	kill -TERM $pid &&
	wait $pid; rc=$? &&
	test $rc = 0 &&
	test "$(job_field $id status)" = completed &&
	test "$(cjobs job logs $id --stream stdout)" = done &&
	grep -q SIGTERM daemon.log
'

test_expect_success 'the daemon notices a new job at once, without waiting for its poll interval' '
	"$CJOBS_BIN" process-jobs --daemon --poll-interval 3600 >/dev/null 2>pickup.log &
	pid=$!
	stop_on_exit $pid
	sleep 1 &&
	id=$(cjobs job submit --image $IMG -- true) &&
	wait_for 60 "test \"\$(job_field $id status)\" = completed" &&
	kill -TERM $pid && wait $pid
'

test_expect_success 'the daemon starts a job scheduled with --at when its time comes' '
	"$CJOBS_BIN" process-jobs --daemon --poll-interval 3600 >/dev/null 2>at.log &
	pid=$!
	stop_on_exit $pid
	id=$(cjobs job submit --image $IMG --at +8s -- true) &&
	test "$(job_field $id status)" = queued &&
	wait_for 60 "test \"\$(job_field $id status)\" = completed" &&
	kill -TERM $pid && wait $pid
'

test_expect_success 'SIGINT removes running containers and puts their jobs back in the queue' '
	a=$(cjobs job submit --image $IMG -- sleep 300) &&
	b=$(cjobs job submit --image $IMG -- sleep 300) || exit 1
	"$CJOBS_BIN" process-jobs --daemon --poll-interval 1 >/dev/null 2>int.log &
	pid=$!
	stop_on_exit $pid
	wait_for 60 "test \"\$(job_field $a status)\" = running && test \"\$(job_field $b status)\" = running" &&
	kill -INT $pid &&
	wait $pid;
	test "$(job_field $a status)" = queued && test "$(job_field $b status)" = queued &&
	test "$(job_field $a attempt)" = 0 &&
	test -z "$(engine_containers "$ENGINE_SOCK")" &&
	cjobs job show $a | grep -q "worker interrupted"
'

test_expect_success 'SIGUSR1 re-reads the configuration file' '
	printf "[worker]\nmax_jobs = 3\n" >cjobs.ini || exit 1
	"$CJOBS_BIN" --config cjobs.ini process-jobs --daemon --poll-interval 1 >/dev/null 2>usr1.log &
	pid=$!
	stop_on_exit $pid
	sleep 1 &&
	printf "[worker]\nmax_jobs = 5\n" >cjobs.ini &&
	kill -USR1 $pid && sleep 1 && kill -INT $pid; wait $pid;
	grep -q "configuration reloaded (max jobs 5" usr1.log
'

test_expect_success 'no container labelled by cjobs is left on the engine' '
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

test_done
