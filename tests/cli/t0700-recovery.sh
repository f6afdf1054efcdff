#!/usr/bin/env bash
# stores: both (tests/run runs it again on PostgreSQL)
# Nothing lost: workers killed with SIGKILL, two workers on one store, an
# engine stopped while jobs run, SIGTERM with --shutdown-timeout, jobs and
# containers left behind by workers that died.
. "$(dirname "$0")/../lib/test-lib.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
add_test_host e1 --max-jobs 10
IMG=cjobs-test/busybox:1

# start_worker LOG [options]: a daemon in the background; its pid in $LOG.pid.
start_worker() {
	local log=$1
	shift
	"$CJOBS_BIN" process-jobs --daemon --verbosity 2 "$@" 2>>"$log" &
	echo $! >"$log.pid"
}
# stop_worker LOG: SIGTERM to the worker started with that log; waits for
# it (its exit code is not the point here).
stop_worker() {
	kill -TERM "$(cat "$1.pid")" && { wait "$(cat "$1.pid")" 2>/dev/null || true; }
}
# usr1_barrier LOG: after it returns, the worker of LOG has looked for jobs
# at least once since the call began. Each SIGUSR1 is logged, then makes the
# worker look at once in the same turn; the second's line shows that the
# turn of the first is over.
usr1_barrier() {
	local n
	n=$(grep -c "SIGUSR1:" "$1")
	kill -USR1 "$(cat "$1.pid")" &&
		wait_for 30 "test \$(grep -c SIGUSR1: $1) -ge $((n + 1))" &&
		kill -USR1 "$(cat "$1.pid")" &&
		wait_for 30 "test \$(grep -c SIGUSR1: $1) -ge $((n + 2))"
}
# clear_jobs: remove every job (with its history and output).
clear_jobs() {
	store_delete_jobs
}
# count_status STATUS: how many jobs have it.
count_status() {
	store_sql "SELECT count(*) FROM jobs WHERE status = '$1'"
}
# count_rerun: jobs running again, in an attempt after their first.
count_rerun() {
	store_sql "SELECT count(*) FROM jobs WHERE status = 'running' AND attempt >= 2"
}
# watch_starts FILE: record the engine's container start events, from now
# on, in FILE (in the background; the engine keeps only its last few
# hundred events, so they cannot be asked for afterwards). exec: so that
# $! is curl itself, and no stray process keeps the test's output open.
watch_starts() {
	exec curl -sN --unix-socket "$ENGINE_SOCK" -G http://d/events \
		--data-urlencode 'filters={"type":["container"],"event":["start"],"label":["cjobs.job"]}' \
		>"$1" 2>/dev/null
}
# starts_per_job FILE: "UUID COUNT" for every job whose container started.
starts_per_job() {
	python3 -c '
import collections, json, sys
c = collections.Counter(json.loads(l)["Actor"]["Attributes"]["cjobs.job"] for l in open(sys.argv[1]) if l.strip())
for k, v in sorted(c.items()): print(k, v)' "$1"
}

test_expect_success 'a worker killed with SIGKILL three times loses no job and runs none twice' '
	watch_starts events.jsonl &
	evpid=$! &&
	trap "kill \$evpid 2>/dev/null; kill -INT \$(cat kill.log.pid 2>/dev/null) 2>/dev/null; wait" EXIT &&
	cjobs job submit --image $IMG --count 50 -- sh -c "sleep 2; echo done" >/dev/null &&
	for round in 1 2 3; do
		start_worker kill.log --max-jobs 8 &&
		# Chaos, not synchronisation: the worker dies at a random moment of
		# its work (claiming, creating, running, recording, removing).
		sleep $((RANDOM % 4 + 1)).$((RANDOM % 10)) &&
		kill -9 $(cat kill.log.pid) && wait $(cat kill.log.pid) 2>/dev/null
		echo "round $round: $(count_status completed) completed, $(count_status running) running, $(count_status launching) launching"
	done &&
	start_worker kill.log --max-jobs 8 &&
	wait_for 240 "test \$(count_status completed) = 50" &&
	grep -q "taking it over" kill.log &&
	for id in $(store_sql "SELECT id FROM jobs"); do
		test "$(cjobs job logs $id --stream stdout)" = done || { echo "job $id: bad output"; exit 1; }
	done &&
	test "$(store_sql "SELECT count(*) FROM job_history WHERE to_status = '"'"'completed'"'"'")" = 50 &&
	wait_for 60 "test \$(starts_per_job events.jsonl | wc -l) = 50" && kill $evpid &&
	starts_per_job events.jsonl >starts &&
	test "$(wc -l <starts)" = 50 &&
	! grep -v " 1$" starts &&
	stop_worker kill.log &&
	test -z "$(engine_containers "$ENGINE_SOCK")" &&
	cjobs db check
'

test_expect_success 'a killed worker is dead at once: status --detailed names its job on a host no live worker serves, and a new worker takes it over before its lease runs out' '
	clear_jobs &&
	id=$(cjobs job submit --image $IMG -- sh -c "$GATED") &&
	start_worker a.log --max-jobs 2 &&
	trap "kill -INT \$(cat a.log.pid) \$(cat b.log.pid 2>/dev/null) 2>/dev/null; wait" EXIT &&
	wait_for 60 "test \$(count_status running) = 1" &&
	wid=$(store_sql "SELECT worker_id FROM jobs WHERE id = $id") &&
	kill -9 $(cat a.log.pid) && { wait $(cat a.log.pid) 2>/dev/null; true; } &&
	cjobs manage-jobs status --detailed >st.txt &&
	cat st.txt &&
	grep -E "^$wid +[^ ]+ +dead +.* 1 +e1$" st.txt &&
	grep -q "^Job $id on host e1 is held by dead worker $wid, and no live worker serves e1: start one that does (cjobs process-jobs --host e1 --daemon); it takes the job over.$" st.txt &&
	cjobs manage-jobs status --detailed --format json >st.json &&
	python3 -c "
import json,sys
j = json.load(open(\"st.json\"))
assert j[\"unattended\"] == [{\"id\": $id, \"host\": \"e1\", \"worker_id\": \"$wid\"}], j[\"unattended\"]
w = [x for x in j[\"workers\"] if x[\"id\"] == \"$wid\"][0]
assert w[\"state\"] == \"dead\" and w[\"jobs_held\"] == 1, w
" &&
	lease=$(store_sql "SELECT lease_until FROM workers WHERE id = '"'"'$wid'"'"'") &&
	start_worker b.log --max-jobs 2 &&
	wait_for 60 "grep -q \"job $id: .*taking it over\" b.log" &&
	# Taken over while the dead worker'"'"'s heartbeat lease still ran: its
	# liveness lock, not the lease, said it was gone.
	took=$(python3 -c "
import datetime, re, sys
line = [l for l in open(\"b.log\") if \"taking it over\" in l][0]
t = datetime.datetime.strptime(line.split()[0], \"%Y-%m-%dT%H:%M:%S.%fZ\").replace(tzinfo=datetime.timezone.utc)
print(int(t.timestamp() * 1000))") &&
	test "$took" -lt "$lease" &&
	job_release $id &&
	wait_for 60 "test \$(count_status completed) = 1" &&
	cjobs manage-jobs status --detailed >st2.txt &&
	! grep -q "$wid" st2.txt &&
	! grep -q "held by dead worker" st2.txt &&
	grep -E " alive .* e1$" st2.txt &&
	stop_worker b.log &&
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

test_expect_success 'two workers on one store run each of 40 jobs once' '
	clear_jobs &&
	cjobs job submit --image $IMG --count 40 -- true >/dev/null &&
	start_worker w1.log --max-jobs 4 &&
	start_worker w2.log --max-jobs 4 &&
	trap "kill -INT \$(cat w1.log.pid) \$(cat w2.log.pid) 2>/dev/null; wait" EXIT &&
	wait_for 240 "test \$(count_status completed) = 40" &&
	stop_worker w1.log && stop_worker w2.log &&
	test "$(store_sql "SELECT count(*) FROM job_history WHERE to_status = '"'"'launching'"'"'")" = 40 &&
	test "$(store_sql "SELECT count(DISTINCT actor) FROM job_history WHERE to_status = '"'"'launching'"'"'")" = 2 &&
	test "$(store_sql "SELECT max(attempt) FROM jobs")" = 1 &&
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

# The retried jobs keep the default strategy (a first retry 8-12 s later):
# a retry launched while dockerd is still shutting down can leave a
# container whose file system the engine keeps mounted and then refuses to
# remove ("device or resource busy") until it is restarted; that is the
# engine, not cjobs, and not what this test is about.
test_expect_success 'an engine stopped while jobs run: the worker survives; each job ends as its policy says' '
	clear_jobs &&
	cmd="trap \"exit 143\" TERM; $GATED" &&
	r1=$(cjobs job submit --image $IMG --max-retries 3 -- sh -c "$cmd") &&
	r2=$(cjobs job submit --image $IMG --max-retries 3 -- sh -c "$cmd") &&
	n1=$(cjobs job submit --image $IMG -- sh -c "$cmd") &&
	n2=$(cjobs job submit --image $IMG -- sh -c "$cmd") &&
	start_worker eng.log --max-jobs 8 &&
	stop_on_exit $(cat eng.log.pid) &&
	wait_for 60 "test \$(count_status running) = 4" &&
	engine_stop "$TEST_DIR/e1" &&
	wait_for 60 "grep -q \"host .e1. (.*) cannot be used\" eng.log" &&
	kill -0 $(cat eng.log.pid) &&
	engine_start "$TEST_DIR/e1" &&
	wait_for 120 "test \$(count_status failed) = 2 && test \$(count_rerun) = 2" &&
	job_release $r1 && job_release $r2 &&
	wait_for 120 "test \$(count_status completed) = 2 && test \$(count_status failed) = 2" &&
	kill -0 $(cat eng.log.pid) &&
	for id in $r1 $r2; do
		test "$(job_field $id status)" = completed &&
		test "$(job_field $id attempt)" -ge 2 &&
		test "$(cjobs job logs $id --stream stdout)" = done || exit 1
	done &&
	for id in $n1 $n2; do
		test "$(job_field $id status)" = failed &&
		test "$(job_field $id attempt)" = 1 &&
		job_field $id last_error | grep -Eq "engine stop|stopped from outside" || exit 1
	done &&
	cjobs job show $r1 --format json | python3 -c "
import json,sys
h=json.load(sys.stdin)[\"history\"]
assert any(e[\"to\"]==\"queued\" and \"retry 1 of 3\" in (e[\"reason\"] or \"\") for e in h), h" &&
	grep -q "answers again" eng.log &&
	stop_worker eng.log &&
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

# log_ms_between LOG A B: milliseconds from the first line of LOG with A to
# the first after it with B, by the times the worker writes on its lines.
log_ms_between() {
	python3 - "$@" <<'PY'
import datetime, sys
log, a, b = sys.argv[1:]
t = lambda l: datetime.datetime.strptime(l.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ")
ta = None
for l in open(log):
    if ta is None and a in l:
        ta = t(l)
    elif ta is not None and b in l:
        print(int((t(l) - ta).total_seconds() * 1000)); break
PY
}

test_expect_success 'SIGTERM with --shutdown-timeout: a job ending within it is recorded; what still runs when it passes is handed back, not before' '
	clear_jobs &&
	id=$(cjobs job submit --image $IMG -- sleep 600) &&
	quick=$(cjobs job submit --image $IMG -- sh -c "$GATED") &&
	start_worker st.log --shutdown-timeout 12 &&
	stop_on_exit $(cat st.log.pid) &&
	wait_for 60 "test \$(count_status running) = 2" &&
	kill -TERM $(cat st.log.pid) &&
	wait_for 30 "grep -q \"SIGTERM: taking no new jobs; waiting up to 12s for 2 running job\" st.log" &&
	job_release $quick &&
	{ wait_exit 60 $(cat st.log.pid); test $? != 124; } &&
	grep -q "shutdown timeout: removing" st.log &&
	waited=$(log_ms_between st.log "SIGTERM: taking" "shutdown timeout: removing") &&
	echo "handed back ${waited} ms after SIGTERM" && test "$waited" -ge 12000 &&
	test "$(job_field $quick status)" = completed &&
	test "$(cjobs job logs $quick --stream stdout)" = done &&
	test "$(job_field $id status)" = queued &&
	test "$(job_field $id attempt)" = 0 &&
	cjobs job show $id --format json | grep -q "worker stopped (SIGTERM, shutdown timeout); container removed" &&
	test -z "$(engine_containers "$ENGINE_SOCK")" &&
	cjobs db check
'

test_expect_success 'a leftover container of this store that no job owns is removed at start' '
	clear_jobs &&
	sid=$(store_sql "SELECT value FROM meta WHERE key = '"'"'store_id'"'"'") &&
	test -n "$sid" &&
	curl -s --fail --unix-socket "$ENGINE_SOCK" -H "Content-Type: application/json" \
		-d "{\"Image\":\"$IMG\",\"Cmd\":[\"sleep\",\"60\"],\"Labels\":{\"cjobs.job\":\"gone\",\"cjobs.attempt\":\"1\",\"cjobs.store\":\"$sid\"}}" \
		"http://d/containers/create?name=cjobs-gone-1" >/dev/null &&
	curl -s --fail --unix-socket "$ENGINE_SOCK" -H "Content-Type: application/json" \
		-d "{\"Image\":\"$IMG\",\"Cmd\":[\"true\"],\"Labels\":{\"cjobs.job\":\"other\",\"cjobs.store\":\"another-store\"}}" \
		"http://d/containers/create?name=cjobs-other-store" >/dev/null &&
	cjobs process-jobs --verbosity 2 2>log &&
	grep -q "removing container cjobs-gone-1" log &&
	test "$(engine_containers "$ENGINE_SOCK")" = cjobs-other-store &&
	curl -s --unix-socket "$ENGINE_SOCK" -X DELETE "http://d/containers/cjobs-other-store?force=1"
'

test_expect_success 'a job held by a worker elsewhere: taken over when its lease ran out, left alone before' '
	clear_jobs &&
	old=$(cjobs job submit --image $IMG -- echo recovered) &&
	live=$(cjobs job submit --image $IMG -- echo held) &&
	now=$(date +%s%3N) &&
	for id in $old $live; do
		uuid=$(job_field $id uuid) &&
		lease=$([ $id = $old ] && echo $((now - 1000)) || echo $((now + 600000))) &&
		store_edit_own "UPDATE jobs SET status = '"'"'launching'"'"', attempt = 1,
			worker_id = '"'"'elsewhere:1:1:abcd'"'"', lease_until = $lease, ran_on = '"'"'e1'"'"',
			container_name = '"'"'cjobs-$uuid-1'"'"' WHERE id = $id" || exit 1
	done &&
	cjobs process-jobs --verbosity 2 2>log &&
	grep -q "job $old: the lease of its worker ran out" log &&
	test "$(job_field $old status)" = completed &&
	test "$(job_field $old attempt)" = 1 &&
	test "$(cjobs job logs $old --stream stdout)" = recovered &&
	test "$(job_field $live status)" = launching &&
	! grep -q "job $live:" log
'

test_expect_success 'a running worker follows hosts disabled, added and enabled while it runs' '
	clear_jobs &&
	start_worker hosts.log &&
	stop_on_exit $(cat hosts.log.pid) &&
	wait_for 30 "grep -q \"host .e1.: engine\" hosts.log" &&
	cjobs host disable e1 >/dev/null &&
	kill -USR1 $(cat hosts.log.pid) &&
	wait_for 30 "grep -q \"host .e1. is disabled or removed\" hosts.log" &&
	id=$(cjobs job submit --image $IMG -- echo moved) &&
	usr1_barrier hosts.log &&
	test "$(job_field $id status)" = queued &&
	cjobs host add e2 --url "$ENGINE_URL" >/dev/null &&
	kill -USR1 $(cat hosts.log.pid) &&
	wait_for 30 "grep -q \"host .e2. .* is new\" hosts.log" &&
	wait_for 60 "test \"\$(job_field $id status)\" = completed" &&
	test "$(job_field $id ran_on)" = e2 &&
	cjobs host enable e1 >/dev/null &&
	kill -USR1 $(cat hosts.log.pid) &&
	wait_for 30 "grep -q \"host .e1. is enabled again\" hosts.log" &&
	stop_worker hosts.log
'

test_done
