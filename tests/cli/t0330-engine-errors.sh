#!/usr/bin/env bash
# stores: both (tests/run runs it again on PostgreSQL)
# process-jobs against engines that are not there, and stores that cannot
# be opened: the exit codes of the specification.
. "$(dirname "$0")/../lib/test-lib.sh"

test_expect_success 'an engine that is not running: exit 2 naming the host and address' '
	cjobs host add dead --url unix://$TEST_DIR/nothing.sock >/dev/null &&
	id=$(cjobs job submit --image busybox -- true) &&
	expect_code 2 cjobs process-jobs 2>err &&
	grep -q "host .dead." err && grep -q "unix://$TEST_DIR/nothing.sock" err &&
	test "$(job_field $id status)" = queued
'

test_expect_success 'a store that cannot be opened: exit 1 naming the file' '
	echo "not a database" >bad.db &&
	expect_code 1 cjobs --database bad.db process-jobs 2>err &&
	grep -q "cannot open job store bad.db: the file is not an SQLite database" err &&
	expect_code 1 cjobs --database /dev/null/x.db process-jobs 2>err &&
	grep -q "cannot open job store /dev/null/x.db: not a directory" err
'

test_expect_success '--host naming no host is exit 1' '
	expect_code 1 cjobs process-jobs --host nosuch 2>err &&
	grep -q "no host named .nosuch.; .cjobs host list. shows the hosts" err
'

test_expect_success 'an engine that accepts connections but never answers: exit 2, saying so' '
	python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(64)
held = []
while True: held.append(s.accept()[0])" "$TEST_DIR/tarpit.sock" &
	tp=$!
	trap "kill $tp 2>/dev/null" EXIT
	wait_for 10 "test -S $TEST_DIR/tarpit.sock" &&
	cjobs host add tarpit --url "unix://$TEST_DIR/tarpit.sock" >/dev/null &&
	id=$(cjobs job submit --image busybox --host tarpit -- true) &&
	expect_code 2 cjobs process-jobs --host tarpit 2>err &&
	grep -q "host .tarpit. (unix://.*tarpit.sock) cannot be used: it did not answer within 15 seconds" err &&
	test "$(job_field $id status)" = queued &&
	cjobs manage-jobs cancel --job-id $id >/dev/null &&
	cjobs host remove tarpit --force >/dev/null
'

test_engine_start e2 || { echo "Bail out! no engine"; exit 1; }

# A worker that waits makes a few read calls per second (its signal pipe,
# the store); one that spins makes hundreds even when it gets a small share
# of a loaded machine (674 a second for a planted spin under a load of 30
# on two cores), thousands on a quiet one.
# /proc/PID/io counts them, so the rate below is no timing: the window is
# from the worker saying its engine is gone to its saying it answers again.
syscr() { awk '/^syscr:/ {print $2}' /proc/$1/io; }

test_expect_success 'a daemon whose engine goes away waits for it instead of spinning, and carries on when it answers again' '
	cjobs host add gone --url "$ENGINE_URL" >/dev/null || exit 1
	"$CJOBS_BIN" process-jobs --daemon --host gone --poll-interval 1 --verbosity 2 >/dev/null 2>spin.log &
	pid=$!
	stop_on_exit $pid
	wait_for 60 "grep -q \"host .gone.: engine\" spin.log" &&
	test_engine_stop e2 &&
	wait_for 60 "grep -q \"host .gone. (.*) cannot be used\" spin.log" &&
	r1=$(syscr $pid) && t1=$(date +%s%N) &&
	engine_start "$TEST_DIR/e2" &&
	wait_for 60 "grep -q \"host .gone. (.*) answers again\" spin.log" &&
	r2=$(syscr $pid) && t2=$(date +%s%N) &&
	rate=$(( (r2 - r1) * 1000000000 / (t2 - t1 + 1) )) &&
	echo "read calls while the engine was away: $((r2 - r1)) in $(( (t2 - t1) / 1000000 )) ms, $rate a second" &&
	test "$rate" -lt 100 &&
	id=$(cjobs job submit --image cjobs-test/busybox:1 --host gone -- echo back) &&
	wait_for 60 "test \"\$(job_field $id status)\" = completed" &&
	test "$(cjobs job logs $id --stream stdout)" = back
'

test_done
