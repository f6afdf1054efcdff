#!/usr/bin/env bash
# stores: both (tests/run runs it again on PostgreSQL)
# --max-jobs and a host's own limit bound the containers running at once on
# a real engine, and all jobs finish. Nothing is sampled: the store's
# history gives every job's claim and end (max_at_once), and the engine's
# own event stream gives every container's start and end, in its order.
. "$(dirname "$0")/../lib/test-lib.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
add_test_host e1 --max-jobs 10
IMG=cjobs-test/busybox:1

# watch_events FILE: the engine's start and die events of cjobs containers,
# from now on (since: even those before curl's request reaches the engine),
# into FILE (in the background; exec, so that $! is curl).
watch_events() {
	exec curl -sN --unix-socket "$ENGINE_SOCK" -G http://d/events \
		--data-urlencode "since=$(date +%s.%N)" \
		--data-urlencode 'filters={"type":["container"],"event":["start","die"],"label":["cjobs.job"]}' \
		>"$1" 2>/dev/null
}
# events_max FILE: the most containers running at once by those events.
events_max() {
	python3 -c '
import json, sys
cur = most = 0
for l in open(sys.argv[1]):
    if l.strip():
        cur += 1 if json.loads(l)["status"] == "start" else -1
        most = max(most, cur)
print(most)' "$1"
}
count_completed() {
	store_sql "SELECT count(*) FROM jobs WHERE status = 'completed'"
}

test_expect_success '8 jobs with --max-jobs 4: exactly 4 at once, never 5, and all complete' '
	cjobs job submit --image $IMG --count 8 -- sleep 1 >/dev/null || exit 1
	watch_events ev1 &
	evpid=$!
	trap "kill $evpid 2>/dev/null" EXIT
	cjobs process-jobs --max-jobs 4 &&
	wait_for 60 "test \$(grep -c die ev1) = 8" &&
	echo "at once: $(max_at_once) claimed, $(events_max ev1) running" &&
	test "$(max_at_once)" = 4 &&
	test "$(events_max ev1)" -le 4 &&
	test "$(grep -c "\"start\"" ev1)" = 8 &&
	test "$(count_completed)" = 8
'

test_expect_success 'the host limit (2) bounds the containers below --max-jobs (8)' '
	store_delete_jobs &&
	cjobs host update e1 --max-jobs 2 >/dev/null &&
	cjobs job submit --image $IMG --count 6 -- sleep 1 >/dev/null || exit 1
	watch_events ev2 &
	evpid=$!
	trap "kill $evpid 2>/dev/null" EXIT
	cjobs process-jobs --max-jobs 8 &&
	wait_for 60 "test \$(grep -c die ev2) = 6" &&
	echo "at once: $(max_at_once) claimed, $(events_max ev2) running" &&
	test "$(max_at_once)" = 2 &&
	test "$(events_max ev2)" -le 2 &&
	test "$(count_completed)" = 6
'

test_expect_success 'the host limit (2) holds for three workers together: exactly 2 at once, never 3' '
	store_delete_jobs &&
	cjobs job submit --image $IMG --count 8 -- sleep 1 >/dev/null || exit 1
	watch_events ev3 &
	evpid=$!
	trap "kill $evpid 2>/dev/null" EXIT
	for w in 1 2 3; do
		"$CJOBS_BIN" process-jobs --max-jobs 8 2>w$w.log &
		echo $! >w$w.pid
	done
	for w in 1 2 3; do wait $(cat w$w.pid) || true; done
	wait_for 60 "test \$(grep -c die ev3) = 8" &&
	echo "at once: $(max_at_once) claimed, $(events_max ev3) running" &&
	test "$(max_at_once)" = 2 &&
	test "$(events_max ev3)" -le 2 &&
	test "$(count_completed)" = 8
'

test_expect_success 'no container labelled by cjobs is left on the engine' '
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

test_done
