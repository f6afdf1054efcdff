#!/usr/bin/env bash
# stores: both (tests/run runs it again on PostgreSQL)
# Several machines: three workers, each in a PID and UTS namespace of its
# own (pid 1 there, and the same hostname for all three), share one store
# (the PostgreSQL server over its unix socket, or the SQLite file) and run
# 300 jobs on a mock host and 60 real containers on a private engine; one
# is killed with SIGKILL in the middle. Every job completes exactly once,
# no container is left, and the dead worker's jobs are taken over while
# its heartbeat lease still runs: nothing in cjobs may tell workers apart,
# or judge them dead, by hostname or pid.
. "$(dirname "$0")/../lib/test-lib.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
add_test_host e1 --max-jobs 6
cjobs host add m1 --url mock:// --max-jobs 20 >/dev/null
IMG=cjobs-test/busybox:1

# machine N: a daemon in new PID and UTS namespaces, named "node"; the
# namespace (and with it the worker) dies with the unshare process.
machine() {
	unshare --pid --uts --fork --mount-proc --kill-child=SIGKILL \
		sh -c 'hostname node && exec "$0" process-jobs --daemon --max-jobs 8 --verbosity 2' \
		"$CJOBS_BIN" 2>"m$1.log" &
	echo $! >"m$1.pid"
}
# worker_of N: the worker id machine N logged at its start.
worker_of() {
	sed -n 's/.*cjobs: \(node:[^ ]*\): [0-9]* host(s).*/\1/p' "m$1.log" | head -1
}

test_expect_success 'three machines of one name share the store; one killed mid-run: every job once, its jobs taken over within its lease' '
	curl -sN --unix-socket "$ENGINE_SOCK" -G http://d/events \
		--data-urlencode "filters={\"type\":[\"container\"],\"event\":[\"start\"],\"label\":[\"cjobs.job\"]}" \
		>starts.jsonl 2>/dev/null &
	evpid=$!
	trap "kill -9 \$evpid \$(cat m1.pid m2.pid m3.pid 2>/dev/null) 2>/dev/null" EXIT
	cjobs job submit --image $IMG --host e1 --count 60 -- sh -c "sleep 1; echo done" >/dev/null &&
	cjobs job submit --image $IMG --host m1 --count 300 -- true >/dev/null &&
	machine 1 && machine 2 && machine 3 &&
	wait_for 60 "test -n \"\$(worker_of 1)\" && test -n \"\$(worker_of 2)\" && test -n \"\$(worker_of 3)\"" &&
	w1=$(worker_of 1) && w2=$(worker_of 2) && w3=$(worker_of 3) &&
	test "$w1" != "$w2" && test "$w1" != "$w3" && test "$w2" != "$w3" &&
	for w in $w1 $w2 $w3; do echo "$w" | grep -q "^node:1:" || exit 1; done &&
	# Killed while it holds a real container: whichever machine holds one
	# (on a loaded machine, which of the three gets the host'"'"'s six places
	# is up to the race for them).
	wait_for 120 "store_sql \"SELECT worker_id FROM jobs WHERE ran_on = '"'"'e1'"'"' AND status = '"'"'running'"'"' AND worker_id IS NOT NULL\" | grep -q ." &&
	victim=$(store_sql "SELECT worker_id FROM jobs WHERE ran_on = '"'"'e1'"'"' AND status = '"'"'running'"'"' AND worker_id IS NOT NULL LIMIT 1") &&
	v="" && { for n in 1 2 3; do test "$(worker_of $n)" = "$victim" && v=$n; done; test -n "$v"; } &&
	live="" && for n in 1 2 3; do test $n = $v || live="$live $n"; done &&
	w2=$victim &&
	kill -9 $(cat m$v.pid) && { wait $(cat m$v.pid) 2>/dev/null; true; } &&
	# What it held when it died (read after: a mock job ends in moments).
	held=$(store_sql "SELECT id FROM jobs WHERE worker_id = '"'"'$w2'"'"' AND status IN ('"'"'launching'"'"', '"'"'running'"'"')" | tr "\n" " ") &&
	lease=$(store_sql "SELECT lease_until FROM workers WHERE id = '"'"'$w2'"'"'") &&
	test -n "$held" &&
	echo "killed $w2 holding jobs $held" &&
	wait_for 240 "test \$(store_sql \"SELECT count(*) FROM jobs WHERE status = '"'"'completed'"'"'\") = 360" &&
	# Each held job was taken over by a live machine, before the dead
	# worker'"'"'s heartbeat lease ran out.
	for id in $held; do
		# Taken over (a container to adopt), or put back in the queue
		# (claimed, but no container yet).
		line=$(grep -hE "job $id: .*(taking it over|back in the queue)" $(for n in $live; do echo m$n.log; done) | head -1) &&
		test -n "$line" || { echo "job $id: not taken over"; exit 1; }
		took=$(python3 -c "
import datetime, sys
t = datetime.datetime.strptime(sys.argv[1], \"%Y-%m-%dT%H:%M:%S.%fZ\").replace(tzinfo=datetime.timezone.utc)
print(int(t.timestamp() * 1000))" "${line%% *}") &&
		test "$took" -lt "$lease" || { echo "job $id: taken over at $took, lease until $lease"; exit 1; }
	done &&
	test "$(store_sql "SELECT count(*) FROM job_history WHERE to_status = '"'"'completed'"'"'")" = 360 &&
	# One container start per real job: none ran twice.
	wait_for 60 "test \$(python3 -c \"import json,sys; print(len({json.loads(l)[\\\"Actor\\\"][\\\"Attributes\\\"][\\\"cjobs.job\\\"] for l in open(\\\"starts.jsonl\\\") if l.strip()}))\") = 60" &&
	test "$(grep -c "\"start\"" starts.jsonl)" = 60 &&
	for id in $(store_sql "SELECT id FROM jobs WHERE ran_on = '"'"'e1'"'"'"); do
		test "$(cjobs job logs $id --stream stdout)" = done || { echo "job $id: bad output"; exit 1; }
	done &&
	# A result is recorded before its container is removed: the live
	# workers remove the last ones after the count reached 360 (on a
	# loaded machine, seconds after); a container no one removes fails here.
	wait_for 60 "test -z \"\$(engine_containers \"$ENGINE_SOCK\")\"" &&
	kill -9 $(for n in $live; do cat m$n.pid; done) && { wait $(for n in $live; do cat m$n.pid; done) 2>/dev/null; true; } &&
	cjobs db check
'

test_expect_success 'host weights hold across workers: two workers of two jobs each put three of four on the host of weight 3' '
	cjobs host disable e1 >/dev/null && cjobs host disable m1 >/dev/null &&
	add_test_host heavy --weight 3 && add_test_host light --weight 1 &&
	cjobs job submit --image $IMG --count 4 -- sh -c "$GATED" >/dev/null || exit 1
	"$CJOBS_BIN" process-jobs --daemon --max-jobs 2 >/dev/null 2>wa.log </dev/null &
	wa=$!
	"$CJOBS_BIN" process-jobs --daemon --max-jobs 2 >/dev/null 2>wb.log </dev/null &
	wb=$!
	trap "kill -9 \$wa \$wb 2>/dev/null" EXIT
	wait_for 60 "test \$(store_sql \"SELECT count(*) FROM jobs WHERE status = '"'"'running'"'"' AND container_id IS NOT NULL\") = 4" &&
	test "$(store_sql "SELECT ran_on || count(*) FROM jobs WHERE status = '"'"'running'"'"' GROUP BY ran_on ORDER BY ran_on")" = "heavy3
light1" &&
	test "$(store_sql "SELECT count(DISTINCT worker_id) FROM jobs WHERE status = '"'"'running'"'"'")" = 2 &&
	for c in $(store_sql "SELECT container_id FROM jobs WHERE status = '"'"'running'"'"'"); do
		container_release $c || exit 1
	done &&
	wait_for 60 "test \$(store_sql \"SELECT count(*) FROM jobs WHERE ran_on IN ('"'"'heavy'"'"', '"'"'light'"'"') AND status = '"'"'completed'"'"'\") = 4" &&
	kill -TERM $wa $wb && wait_exit 60 $wa && wait_exit 60 $wb &&
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

test_done
