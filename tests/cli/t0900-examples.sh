#!/usr/bin/env bash
# Every usage example in every command's help runs, in a sandbox, and ends
# with the exit code its help documents. The examples come from the program
# itself (`cjobs help --examples`), so a new example is tested as soon as it
# is written.
. "$(dirname "$0")/../lib/test-lib.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
IMG=cjobs-test/busybox:1

# The sandbox the examples expect: the engine under the host names they use,
# a host to remove, TLS files and a registry credentials file to name, a job
# file, jobs 1 (completed, both streams), 2 (failed), 3 (queued for later),
# 4 (queued for later) and 5 (waiting for job 4), and schedules nightly and
# old-report.
setup_sandbox() {
	cd "$TEST_DIR" &&
	cjobs host add local --url "$ENGINE_URL" >/dev/null &&
	cjobs host add production-docker --url "$ENGINE_URL" >/dev/null &&
	cjobs host add old1 --url unix:///tmp/old1.sock >/dev/null &&
	cjobs host disable old1 >/dev/null &&
	touch ca.pem cert.pem key.pem &&
	printf "{\"auths\": {\"registry.example\": {\"auth\": \"dXNlcjpwYXNz\"}}}" >registry-auth.json &&
	printf "%s\n" "{\"image\": \"$IMG\", \"command\": [\"true\"]}" \
		"{\"image\": \"$IMG\", \"priority\": 9, \"command\": [\"echo\", \"hi\"]}" >jobs.jsonl &&
	cjobs job submit --image $IMG -- sh -c "echo out; echo err >&2" >/dev/null &&
	cjobs job submit --image $IMG -- sh -c "exit 3" >/dev/null &&
	cjobs job submit --image $IMG --at +1d -- true >/dev/null &&
	{ cjobs process-jobs 2>/dev/null; test $? = 3; } &&
	cjobs job submit --image $IMG --at +1d -- true >/dev/null &&
	cjobs job submit --image $IMG --after 4 -- true >/dev/null &&
	cjobs schedule add nightly --cron "0 2 * * *" --image $IMG -- true >/dev/null &&
	cjobs schedule add old-report --cron @weekly --image $IMG -- true >/dev/null
}

# The store and files it makes outlive the test's subshell.
test_expect_success 'the sandbox is set up' 'setup_sandbox'

# The PostgreSQL examples name the database cjobs of "this machine's
# server" (postgresql:///cjobs): here the run's private server
# (CJOBS_TEST_PG), reached through libpq's variables, with an empty
# database cjobs of this script's own, dropped at the end.
if [ -n "${CJOBS_TEST_PG:-}" ]; then
	PGHOST=${CJOBS_TEST_PG#host=} PGHOST=${PGHOST%% *} PGUSER=cjobs
	export PGHOST PGUSER
	drop_cjobs_db() {
		"$(pg_bindir)/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS cjobs WITH (FORCE)" \
			>/dev/null 2>&1
	}
	trap 'drop_cjobs_db; test_cleanup' EXIT
	drop_cjobs_db
	test_expect_success 'the PostgreSQL examples have their empty database' '
		"$(pg_bindir)/createdb" cjobs
	'
fi

cjobs help --examples >"$TEST_DIR/examples" 2>"$TEST_DIR/examples.err"
test_expect_success 'there are examples to run' 'test $(wc -l <examples) -ge 30'

while IFS=$'\t' read -r path want line; do
	[ -n "$line" ] || continue
	run=${line#cjobs }
	if [[ $line == *--daemon* || $line == "cjobs serve"* ]]; then
		# A daemon or server example runs until it says (at verbosity 2)
		# that it is up, and is then stopped with SIGTERM. Its log is
		# emptied first: the background shell truncates it only when it
		# gets to run, and the wait must not read the previous example's
		# "up" line (a SIGTERM before the server took its signals).
		test_expect_success "example of $path: $line" '
			: >daemon.err
			eval "exec \"\$CJOBS_BIN\" $run --verbosity 2" >/dev/null 2>daemon.err &
			pid=$!
			wait_for 60 "grep -Eq \"job\\(s\\) at once, daemon| serving http\" daemon.err || ! kill -0 $pid";
			kill -TERM $pid; wait $pid; rc=$?;
			test $rc = '"$want"' || { echo "exit $rc"; cat daemon.err; false; }
		'
	else
		test_expect_success "example of $path: $line" '
			eval "\"\$CJOBS_BIN\" $run" >out 2>err </dev/null; rc=$?;
			test $rc = '"$want"' || { echo "exit $rc, documented '"$want"'"; cat err; false; }
		'
	fi
done <"$TEST_DIR/examples"

test_expect_success 'no container labelled by cjobs is left on the engine' '
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

test_done
