# tests/lib/test-lib.sh: the harness for the numbered shell tests in
# tests/cli/ (git's t/ suite is the model). A test script sources this,
# declares behaviours with test_expect_success, and ends with test_done.
# Output is TAP ("ok N - ..." / "not ok N - ..."), which tests/run counts.
#
# Each script gets its own scratch directory ($TEST_DIR), its own store
# ($CJOBS_DATABASE) and, when it asks, its own private Docker engine; all
# are removed when the script ends, and the engine is stopped by its pid.

set -u
TEST_NAME=$(basename "$0" .sh)
TEST_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=$(cd "${CJOBS_BUILD_DIR:-$TEST_ROOT/build}" 2>/dev/null && pwd)
CJOBS_BIN=${CJOBS_BIN:-$BUILD_DIR/cjobs}
# Short paths: dockerd's socket path must stay under 108 bytes.
TEST_DIR=$(mktemp -d /tmp/cjt.XXXXXX)
export HOME=$TEST_DIR/home XDG_DATA_HOME=$TEST_DIR/home/.local/share \
	XDG_CONFIG_HOME=$TEST_DIR/home/.config
mkdir -p "$HOME"
export CJOBS_DATABASE=$TEST_DIR/cjobs.db
unset CJOBS_CONFIG DOCKER_HOST
test_count=0
test_failed=0
test_skipped=0
ENGINE_DIRS=""

. "$TEST_ROOT/tests/lib/engine.sh"
. "$TEST_ROOT/tests/lib/store.sh"
. "$TEST_ROOT/tests/lib/pg.sh"

# CJOBS_TEST_STORE=postgresql (tests/run sets it for the scripts that hold
# on both drivers, beside CJOBS_TEST_PG): the script's store is a new
# database of its own on the run's private server, dropped at the end.
TEST_PG_DB=""
if [ "${CJOBS_TEST_STORE:-}" = postgresql ]; then
	if [ -z "${CJOBS_TEST_PG:-}" ]; then
		echo "not ok 1 - CJOBS_TEST_STORE=postgresql needs CJOBS_TEST_PG (run through tests/run)"
		exit 1
	fi
	TEST_PG_DB=cjt_$(basename "$TEST_DIR" | tr -dc 'a-zA-Z0-9' | tr 'A-Z' 'a-z')
	PG_SOCKDIR=${CJOBS_TEST_PG#host=} PG_SOCKDIR=${PG_SOCKDIR%% *}
	export PG_SOCKDIR
	pg_createdb "$TEST_PG_DB" || { echo "not ok 1 - cannot create database $TEST_PG_DB"; exit 1; }
	export CJOBS_DATABASE="$CJOBS_TEST_PG dbname=$TEST_PG_DB"
fi

# Where the tests' own SQL must differ between the two: an empty blob, a
# blob read as text, a random hex string, the blob "ok\n".
if [ -n "$TEST_PG_DB" ]; then
	SQL_EMPTY_BLOB="''::bytea" SQL_RANDOM_HEX="md5(random()::text)"
	SQL_OK_BLOB="decode('6f6b0a', 'hex')"
	sql_blob_text() { echo "convert_from($1, 'UTF8')"; }
else
	SQL_EMPTY_BLOB="x''" SQL_RANDOM_HEX="lower(hex(randomblob(16)))"
	SQL_OK_BLOB="x'6f6b0a'"
	sql_blob_text() { echo "cast($1 as text)"; }
fi

# store_sql SQL: runs SQL on the script's store (sqlite3, or psql on
# PostgreSQL), printing rows as sqlite3 does: columns joined by |.
store_sql() {
	if [ -n "$TEST_PG_DB" ]; then
		"$(pg_bindir)/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_SOCKDIR" -U cjobs \
			-d "$TEST_PG_DB" -c "$1"
	else
		sqlite3 "$CJOBS_DATABASE" "$1"
	fi
}

# The tests' python3 is Debian's (scripts/install-deps installs it): a
# version manager's shim in front of it in PATH (pyenv's is a bash script)
# costs each of the many small calls seconds on a loaded machine. A link
# first in PATH, not a shell function, so that `python3 ... &` leaves the
# interpreter's own pid in $!.
if [ -x /usr/bin/python3 ]; then
	mkdir -p "$TEST_DIR/bin" && ln -sf /usr/bin/python3 "$TEST_DIR/bin/python3" &&
		PATH=$TEST_DIR/bin:$PATH
fi

# Python in the tests reads the store with tests/lib/storedb.py.
export PYTHONPATH=$TEST_ROOT/tests/lib${PYTHONPATH:+:$PYTHONPATH}

# Backgrounded commands must run "$CJOBS_BIN" itself, so that $! is its pid.
cjobs() { "$CJOBS_BIN" "$@"; }

test_cleanup() {
	local d
	for d in $ENGINE_DIRS; do
		engine_stop "$d"
	done
	# dockerd leaves root-owned mounts behind only while running; it is
	# stopped above, so the tree can go (CJOBS_TEST_KEEP=1 keeps it, to
	# read the logs of a failure).
	if [ -n "$TEST_PG_DB" ]; then
		"$(pg_bindir)/psql" -X -q -h "$PG_SOCKDIR" -U cjobs -d postgres \
			-c "DROP DATABASE IF EXISTS $TEST_PG_DB WITH (FORCE)" >/dev/null 2>&1
	fi
	if [ -n "${CJOBS_TEST_KEEP:-}" ]; then
		echo "# kept $TEST_DIR"
	else
		rm -rf "$TEST_DIR" 2>/dev/null || true
	fi
}
trap test_cleanup EXIT

# test_engine_start [NAME]: start a private engine with the test image
# (call it at the top level of a script, not inside a test body, whose
# subshell would lose the variables and the stop at exit);
# sets ENGINE_SOCK and ENGINE_URL (unix://...). NAME defaults to "e1".
test_engine_start() {
	local name=${1:-e1}
	local d=$TEST_DIR/$name
	# Registered first, so that an engine slow to answer is still stopped.
	ENGINE_DIRS="$ENGINE_DIRS $d"
	engine_start "$d" || return 1
	engine_image "$ENGINE_SOCK" || return 1
	ENGINE_URL=unix://$ENGINE_SOCK
	export ENGINE_SOCK ENGINE_URL
}

test_engine_stop() {
	engine_stop "$TEST_DIR/${1:-e1}"
}

# test_expect_success [SQLITE] DESCRIPTION 'COMMANDS': run COMMANDS in a subshell
# with `set -e`-like checking through &&-chains; report ok/not ok.
test_expect_success() {
	# SQLITE first: a behaviour only the SQLite store has (its file, its
	# locks, its pragmas). On PostgreSQL there is nothing of it to test:
	# the test is neither run nor counted, only named.
	if [ "$1" = SQLITE ]; then
		shift
		if [ -n "$TEST_PG_DB" ]; then
			echo "# not on PostgreSQL (SQLite store only): $1"
			return 0
		fi
	fi
	local desc=$1 body=$2 out rc
	test_count=$((test_count + 1))
	local t0=$SECONDS
	# The body runs traced into a file of its own (not its output, which
	# tests compare), so that a failure shows the commands it last ran:
	# a flaky failure then explains itself from the CI log alone.
	local trace=$TEST_DIR/.trace.$test_count mark=$TEST_DIR/.start.$test_count
	: >"$mark"
	out=$(cd "$TEST_DIR" && exec 9>"$trace" && BASH_XTRACEFD=9 && set -x && eval "$body" 2>&1)
	rc=$?
	# How long each test took, to find the slow ones.
	echo "# test $test_count took $((SECONDS - t0))s"
	if [ $rc -eq 0 ]; then
		echo "ok $test_count - $desc"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $desc"
		printf '%s\n' "$out" | tail -40 | sed 's/^/#   /'
		echo "#   the last commands it ran:"
		grep '^+' "$trace" | grep -v '^+* \(eval\|sleep\|local\) ' | tail -8 | cut -c1-300 | sed 's/^/#     /'
		# And the ends of the logs it wrote (its workers' and servers'),
		# which say why a wait ran out.
		local f
		for f in $(find "$TEST_DIR" -maxdepth 1 -name '*.log' -newer "$mark" | sort | head -4); do
			echo "#   the end of $(basename "$f"):"
			tail -12 "$f" | cut -c1-300 | sed 's/^/#     /'
		done
		# CJOBS_TEST_FAIL_FAST=1 (scripts/mutants): stop at the first
		# failure; the EXIT trap still stops the engines.
		if [ "${CJOBS_TEST_FAIL_FAST:-}" = 1 ]; then
			exit 1
		fi
	fi
}

# test_skip DESCRIPTION REASON: a test that cannot run here; counted as
# skipped, never as passed.
test_skip() {
	test_count=$((test_count + 1))
	test_skipped=$((test_skipped + 1))
	echo "ok $test_count - $1 # SKIP $2"
}

# Assertions usable inside test bodies.
test_cmp() { diff -u "$1" "$2"; }
test_grep() { grep "$@" || { echo "grep $* failed in:"; cat "${@: -1}"; return 1; }; }
# expect_code N CMD...: CMD must exit exactly N.
expect_code() {
	local want=$1 rc
	shift
	"$@"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "expected exit $want, got $rc: $*"
		return 1
	fi
}
# stop_on_exit PID: inside a test body, interrupt the worker PID (SIGINT:
# it removes its containers and hands its jobs back) when the body ends,
# however it ends, so that a failed test leaves no worker running.
stop_on_exit() {
	trap "kill -INT $1 2>/dev/null; wait $1 2>/dev/null" EXIT
}
# wait_for SECONDS 'CONDITION': poll CONDITION until it holds, for at most
# SECONDS of sleeping between the polls (the time CONDITION itself takes is
# not counted, as before). The first poll waits 0.1 s, each next one 0.1 s
# longer, up to 0.5 s: what comes at once is seen at once, and a long wait
# does not take from the tests beside it the CPU that each poll's cjobs,
# sqlite3, psql or python3 costs (the suite is bound by its 2 cores).
wait_for() {
	local limit=$1 cond=$2 slept=0 step=1
	while :; do
		eval "$cond" && return 0
		[ "$slept" -lt $((limit * 10)) ] || break
		sleep "0.$step"
		slept=$((slept + step))
		[ "$step" -ge 5 ] || step=$((step + 1))
	done
	echo "timed out after ${limit}s waiting for: $cond"
	return 1
}

test_done() {
	echo "1..$test_count"
	echo "# $TEST_NAME: $((test_count - test_failed - test_skipped)) passed, $test_failed failed, $test_skipped skipped"
	[ "$test_failed" -eq 0 ]
	exit $?
}

# store_digest: a fingerprint of everything in the test's store.
store_digest() {
	if [ -n "$TEST_PG_DB" ]; then
		"$(pg_bindir)/pg_dump" -h "$PG_SOCKDIR" -U cjobs --data-only --inserts \
			"$TEST_PG_DB" | grep -v '^--\|^SET \|^SELECT pg_catalog\|^\\' |
			sha256sum | cut -d' ' -f1
	else
		sqlite3 "$CJOBS_DATABASE" .dump | sha256sum | cut -d' ' -f1
	fi
}

# job_field ID FIELD: one field of `cjobs job show ID --format json`.
job_field() {
	cjobs job show "$1" --format json |
		python3 -c 'import json,sys; v=json.load(sys.stdin)[sys.argv[1]]; print("" if v is None else v)' "$2"
}

# same_jobs A B: every job of store A (job show, both streams of its logs),
# its hosts and templates, and the counts of db status, are those of store B
# (names as --database takes them). Works in the current directory.
same_jobs() {
	local id
	"$CJOBS_BIN" --database "$1" job list --format json >a.jobs &&
	"$CJOBS_BIN" --database "$2" job list --format json >b.jobs &&
	test_cmp a.jobs b.jobs &&
	for id in $(python3 -c "import json; print(*[j[\"id\"] for j in json.load(open(\"a.jobs\"))])"); do
		"$CJOBS_BIN" --database "$1" job show "$id" --format json >a.show &&
		"$CJOBS_BIN" --database "$2" job show "$id" --format json >b.show &&
		test_cmp a.show b.show &&
		"$CJOBS_BIN" --database "$1" job logs "$id" >a.out 2>a.err &&
		"$CJOBS_BIN" --database "$2" job logs "$id" >b.out 2>b.err &&
		cmp a.out b.out && cmp a.err b.err || return 1
	done &&
	"$CJOBS_BIN" --database "$1" host list --format json >a.hosts &&
	"$CJOBS_BIN" --database "$2" host list --format json >b.hosts && test_cmp a.hosts b.hosts &&
	"$CJOBS_BIN" --database "$1" template list --format json >a.tpl &&
	"$CJOBS_BIN" --database "$2" template list --format json >b.tpl && test_cmp a.tpl b.tpl &&
	test "$(_status_counts "$1")" = "$(_status_counts "$2")"
}
_status_counts() {
	"$CJOBS_BIN" --database "$1" db status --format json | python3 -c "import json,sys
d = json.load(sys.stdin)
print(d[\"jobs\"], d[\"history_rows\"], d[\"output_rows\"], d[\"output_bytes\"], d[\"hosts\"], d[\"templates\"])"
}

# add_test_host NAME [options]: register the test engine as host NAME.
add_test_host() {
	local name=$1
	shift
	cjobs host add "$name" --url "$ENGINE_URL" "$@" >/dev/null
}

# max_at_once [HOST]: the most jobs (of HOST, by ran_on, or of all hosts)
# that were claimed and not yet ended at any one moment, read from the
# store's history in the order it was written (a claim opens, the next move
# out of launching or running closes). Writes to the store happen one at a
# time, so that order is the order of events; times are not used: a mock
# job may end in the very millisecond it was claimed. No sampling: it
# counts every job that ran.
max_at_once() {
	store_sql "SELECT h.job_id, h.to_status, j.ran_on FROM job_history h
		JOIN jobs j ON j.id = h.job_id ORDER BY h.id" >"$TEST_DIR/history.rows" &&
	python3 - "$TEST_DIR/history.rows" "${1:-}" <<'PY'
import sys
open_, most = set(), 0
for line in open(sys.argv[1]):
    job, to, ran_on = line.rstrip("\n").split("|")
    if sys.argv[2] and ran_on != sys.argv[2]:
        continue
    if to == "launching":
        open_.add(job)
    elif to != "running":
        open_.discard(job)
    most = max(most, len(open_))
print(most)
PY
}

# wait_exit SECONDS PID: waits (at most SECONDS) for the background process
# PID of this shell to end, then reaps it and returns its exit code (124
# when it did not end in time; it is left running). A plain `wait` could
# hang the script for as long as a worker that ignores a signal keeps going.
wait_exit() {
	local limit=$1 pid=$2
	wait_for "$limit" "! test -e /proc/$pid/stat || test \"\$(sed 's/.*) //' /proc/$pid/stat | cut -c1)\" = Z" ||
		return 124
	wait "$pid"
}

# GATED: a job command that runs until the test releases it (job_release),
# then prints "done" and exits 0: a job that is surely still running when a
# test acts, and ends when the test says, without timing. (Its loop, a sleep
# inside the container, is the workload; a file cannot be missed the way a
# signal sent before the shell set its trap can.)
GATED='while [ ! -e /tmp/go ]; do sleep 0.2; done; echo done'
# container_touch CID PATH: creates PATH in container CID, as root, through
# the test engine's exec API ($ENGINE_SOCK) alone (no store needed: also
# while the store is down).
container_touch() {
	local ex
	ex=$(curl -s --fail --unix-socket "$ENGINE_SOCK" -H "Content-Type: application/json" \
		-d "{\"User\":\"0\",\"Cmd\":[\"sh\",\"-c\",\": >$2\"]}" "http://d/containers/$1/exec" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])') &&
		curl -s --fail --unix-socket "$ENGINE_SOCK" -H "Content-Type: application/json" \
			-d '{"Detach":true}' "http://d/exec/$ex/start" >/dev/null
}
# gated_host SOCK: inside a test body, registers host 'gated' whose engine
# is the one at SOCK behind tests/lib/event-gate.py, which holds back its
# event stream (until $TEST_DIR/gate.open exists), so that the worker
# learns late that a container has exited; the relay stops with the body.
gated_host() {
	python3 "$TEST_ROOT/tests/lib/event-gate.py" "$TEST_DIR/gate.sock" "$1" "$TEST_DIR/gate.open" \
		>gate.log 2>&1 &
	stop_on_exit $!
	wait_for 20 "test -S $TEST_DIR/gate.sock" &&
		cjobs host add gated --url "unix://$TEST_DIR/gate.sock" >/dev/null
}
# container_release CID: let the GATED job of container CID end (/tmp/go).
container_release() { container_touch "$1" /tmp/go; }

# job_release ID: the same for the GATED job ID. A job still launching
# (claimed, its container not yet started: on a loaded machine, seconds)
# has no container to take the release yet: it is tried again until the
# job's container takes it, for at most a minute.
job_release() {
	wait_for 60 "job_release_once $1"
}
job_release_once() {
	local cid
	cid=$(job_field "$1" container_id) && test -n "$cid" && container_release "$cid" 2>/dev/null
}

# cjobs_seen ARGS: runs cjobs as cjobs() does, and also keeps every byte it
# printed in $TEST_DIR/seen (scripts that must show no output ever holds a
# password define cjobs() as this).
cjobs_seen() {
	local rc
	"$CJOBS_BIN" "$@" >"$TEST_DIR/.out" 2>"$TEST_DIR/.err"
	rc=$?
	cat "$TEST_DIR/.out" "$TEST_DIR/.err" >>"$TEST_DIR/seen"
	cat "$TEST_DIR/.out"
	cat "$TEST_DIR/.err" >&2
	return $rc
}

# hold_write_lock DB HELD RELEASE: take DB's write lock (BEGIN IMMEDIATE),
# write "locked" to the file HELD, and keep the lock until the file RELEASE
# exists; then commit and return. Run it in the background, wait_for HELD,
# run what must meet the lock, then create RELEASE and wait for the holder:
# the lock is held for exactly as long as the test needs, however slow.
hold_write_lock() {
	# On PostgreSQL the write lock is the writers' advisory lock
	# (store/pg_driver.c), held by a psql session the same way.
	if [ -n "$TEST_PG_DB" ] && [ "$1" = "$CJOBS_DATABASE" ]; then
		printf '%s\n' "BEGIN;" "SELECT pg_advisory_xact_lock(427036289651);" \
			"\\! echo locked >$2.tmp && mv $2.tmp $2" \
			"\\! while [ ! -e $3 ]; do sleep 0.05; done" "COMMIT;" |
			"$(pg_bindir)/psql" -X -q -h "$PG_SOCKDIR" -U cjobs -d "$TEST_PG_DB" >/dev/null
		return
	fi
	python3 -c '
import os, sqlite3, sys, time
db, held, release = sys.argv[1:4]
c = sqlite3.connect(db, isolation_level=None, timeout=60)
c.execute("BEGIN IMMEDIATE")
with open(held + ".tmp", "w") as f:
    f.write("locked\n")
os.rename(held + ".tmp", held)
while not os.path.exists(release):
    time.sleep(0.05)
c.execute("COMMIT")' "$1" "$2" "$3"
}
