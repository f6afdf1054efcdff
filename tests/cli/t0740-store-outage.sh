#!/usr/bin/env bash
# The database may fail too: a PostgreSQL server of this script's own is
# stopped under a running daemon and started again. The worker keeps its
# containers running, keeps the results that came in meanwhile, reconnects
# with backoff, and records them: nothing lost, nothing run twice.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$(dirname "$0")/../lib/serve.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
# Its own directory under /tmp: the postgres user must reach it, and the
# test's own is closed to others.
PGD=$(mktemp -d /tmp/cjpg.XXXXXX)
trap 'pg_stop "$PGD"; rm -rf "$PGD"; test_cleanup' EXIT
pg_start "$PGD" >/dev/null || { echo "Bail out! no PostgreSQL server"; exit 1; }
pg_createdb outage || { echo "Bail out! no database"; exit 1; }
# store_sql and the rest of test-lib.sh speak to this database.
TEST_PG_DB=outage
export CJOBS_DATABASE="host=$PGD user=cjobs dbname=outage"
add_test_host e1 --max-jobs 4
IMG=cjobs-test/busybox:1

# exited CID: the container has stopped (read from the engine).
exited() {
	curl -s --unix-socket "$ENGINE_SOCK" "http://d/containers/$1/json" |
		python3 -c 'import json,sys; sys.exit(0 if not json.load(sys.stdin)["State"]["Running"] else 1)'
}

test_expect_success 'PostgreSQL stopped and started again under a daemon: results that came meanwhile are recorded, nothing runs twice, and a job submitted afterwards wakes it as before' '
	curl -sN --unix-socket "$ENGINE_SOCK" -G http://d/events \
		--data-urlencode "filters={\"type\":[\"container\"],\"event\":[\"start\"],\"label\":[\"cjobs.job\"]}" \
		>starts.jsonl 2>/dev/null &
	evpid=$!
	a=$(cjobs job submit --image $IMG -- sh -c "$GATED") &&
	b=$(cjobs job submit --image $IMG -- sh -c "$GATED") &&
	c=$(cjobs job submit --image $IMG -- sh -c "$GATED") || exit 1
	# Verbosity 3: the log says when a change by another process woke it.
	"$CJOBS_BIN" process-jobs --daemon --verbosity 3 >/dev/null 2>w.log </dev/null &
	wpid=$!
	trap "kill -9 \$evpid \$wpid 2>/dev/null" EXIT
	wait_for 60 "test \$(store_sql \"SELECT count(*) FROM jobs WHERE status = '"'"'running'"'"' AND container_id IS NOT NULL\") = 3" &&
	ca=$(job_field $a container_id) && cb=$(job_field $b container_id) && cc=$(job_field $c container_id) &&
	pg_stop "$PGD" &&
	wait_for 60 "grep -q \"the job store cannot be reached\" w.log" &&
	container_release $ca && container_release $cb &&
	wait_for 60 "exited $ca && exited $cb" &&
	wait_for 60 "grep -q \"job $a: its result waits for the job store\" w.log" &&
	kill -0 $wpid &&
	! exited $cc &&
	# Its output goes nowhere: the server outlives this shell.
	pg_start "$PGD" >/dev/null 2>&1 </dev/null &&
	wait_for 120 "grep -q \"the job store answers again\" w.log" &&
	wait_for 60 "test \"\$(job_field $a status)\" = completed && test \"\$(job_field $b status)\" = completed" &&
	test "$(cjobs job logs $a --stream stdout)" = done &&
	test "$(cjobs job logs $b --stream stdout)" = done &&
	test "$(job_field $c status)" = running &&
	container_release $cc &&
	wait_for 60 "test \"\$(job_field $c status)\" = completed" &&
	# The new session listens again: the submit itself wakes the daemon
	# (a claim for another reason, such as its hosts read again, would
	# start the job too, later, and say nothing of a change).
	woken=$(grep -c "another process changed the store" w.log || true) &&
	d=$(cjobs job submit --image $IMG -- echo woken) &&
	wait_for 60 "test \$(grep -c \"another process changed the store\" w.log) -gt $woken" &&
	wait_for 60 "test \"\$(job_field $d status)\" = completed" &&
	kill -TERM $wpid && wait_exit 60 $wpid &&
	cat w.log &&
	test "$(store_sql "SELECT count(*) FROM job_history WHERE to_status = '"'"'completed'"'"'")" = 4 &&
	test "$(grep -c "\"start\"" starts.jsonl)" = 4 &&
	for id in $a $b $c $d; do test "$(job_field $id attempt)" = 1 || exit 1; done &&
	test -z "$(engine_containers "$ENGINE_SOCK")" &&
	cjobs db check
'

test_expect_success 'a store away longer than --store-timeout: the worker exits 1 and leaves its container running; the next worker takes the job over and runs it once' '
	curl -sN --unix-socket "$ENGINE_SOCK" -G http://d/events \
		--data-urlencode "filters={\"type\":[\"container\"],\"event\":[\"start\"],\"label\":[\"cjobs.job\"]}" \
		>starts2.jsonl 2>/dev/null &
	evpid=$!
	d=$(cjobs job submit --image $IMG -- sh -c "$GATED") || exit 1
	"$CJOBS_BIN" process-jobs --daemon --store-timeout 2 >/dev/null 2>w1.log </dev/null &
	wpid=$!
	trap "kill -9 \$evpid \$wpid \$w2pid 2>/dev/null" EXIT
	wait_for 60 "test \"\$(job_field $d status)\" = running && test -n \"\$(job_field $d container_id)\"" &&
	cd_=$(job_field $d container_id) &&
	pg_stop "$PGD" &&
	{ wait_exit 60 $wpid; rc=$?; cat w1.log; test $rc = 1; } &&
	grep -q "giving up after 2 s" w1.log &&
	grep -q "error: the job store could not be reached for 2 s" w1.log &&
	! exited $cd_ &&
	pg_start "$PGD" >/dev/null 2>&1 </dev/null &&
	wait_for 60 "cjobs job show $d >/dev/null 2>&1" &&
	test "$(job_field $d status)" = running || exit 1
	"$CJOBS_BIN" process-jobs --daemon --verbosity 2 >/dev/null 2>w2.log </dev/null &
	w2pid=$!
	wait_for 60 "grep -q \"job $d: .*taking it over\" w2.log" &&
	container_release $cd_ &&
	wait_for 60 "test \"\$(job_field $d status)\" = completed" &&
	kill -TERM $w2pid && wait_exit 60 $w2pid &&
	test "$(job_field $d attempt)" = 1 &&
	test "$(cjobs job logs $d --stream stdout)" = done &&
	test "$(grep -c "\"start\"" starts2.jsonl)" = 1 &&
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

test_expect_success 'cjobs serve while the store is away: 503 with the reason, never a crash; answers again when it is back' '
	cjobs token create outage --scope admin >tok 2>/dev/null || exit 1
	"$CJOBS_BIN" serve --listen 127.0.0.1:0 --threads 1 --verbosity 2 >/dev/null 2>s.log </dev/null &
	spid=$!
	serve_stop_on_exit $spid
	wait_for 30 "grep -q \" serving http\" s.log" &&
	SERVE_URL=$(sed -n "s/.* serving \(http:\/\/[^ ]*\) .*/\1/p" s.log) &&
	API_TOKEN=$(cat tok) &&
	api GET /api/v1/jobs >/dev/null && status_is 200 &&
	pg_stop "$PGD" &&
	api GET /api/v1/jobs >/dev/null && status_is 503 &&
	jq_py "d[\"error\"]" | grep -q "." &&
	api -t "" GET /healthz >/dev/null && status_is 503 &&
	api POST /api/v1/jobs "{\"image\": \"$IMG\"}" >/dev/null && status_is 503 &&
	kill -0 $spid &&
	pg_start "$PGD" >/dev/null 2>&1 </dev/null &&
	wait_for 60 "api GET /api/v1/jobs >/dev/null && status_is 200 >/dev/null" &&
	api -t "" GET /healthz >/dev/null && status_is 200 &&
	# Away and back again while nobody asks: the connection of the one
	# request thread broke unseen. The next read is answered on a new
	# connection at once, not with 503.
	pg_stop "$PGD" && pg_start "$PGD" >/dev/null 2>&1 </dev/null &&
	wait_for 60 "store_sql \"SELECT 1\" >/dev/null 2>&1" &&
	api GET /api/v1/status >/dev/null && status_is 200 &&
	kill -TERM $spid && wait_exit 30 $spid
'

test_done
