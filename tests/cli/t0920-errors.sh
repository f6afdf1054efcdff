#!/usr/bin/env bash
# Every common error that a command's help documents is produced by the
# command line documented beside it, run here, and the text printed matches
# (a "..." in the documented text stands for the rest, or for a part that
# varies). The list comes from the program itself (`cjobs help --errors`);
# an error documented without a command line that produces it fails.
. "$(dirname "$0")/../lib/test-lib.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
IMG=cjobs-test/busybox:1

# The sandbox: a working host 'local', a host 'down' whose engine is not
# running, jobs 1 (completed), 2 (failed), 3 (queued for later) and 4, 5
# (queued, pinned to 'down'), template 'defaults', schedule 'nightly', a configuration file
# with two problems (bad.ini), a job file whose second line is wrong
# (bad.jsonl), one whose two jobs wait for each other (cycle.jsonl), an
# existing file (exists.db), API token 'ci', and registry
# credentials files that are not JSON (bad-auth.json) and whose entry is
# not base64 (wrong-auth.json).
test_expect_success 'the sandbox is set up' '
	cjobs host add local --url "$ENGINE_URL" >/dev/null &&
	cjobs job submit --image $IMG -- sh -c "echo out; echo err >&2" >/dev/null &&
	cjobs job submit --image $IMG -- sh -c "exit 3" >/dev/null &&
	cjobs job submit --image $IMG --at +1d -- true >/dev/null &&
	{ cjobs process-jobs 2>/dev/null; test $? = 3; } &&
	cjobs host add down --url unix:///tmp/cjobs-down.sock >/dev/null &&
	cjobs job submit --image $IMG --host down -- true >/dev/null &&
	cjobs job submit --image $IMG --host down -- true >/dev/null &&
	cjobs template add defaults --env LOG_LEVEL=info >/dev/null &&
	cjobs schedule add nightly --cron "0 2 * * *" --image $IMG -- true >/dev/null &&
	cjobs token create ci --scope submit >/dev/null 2>&1 &&
	printf "[worker]\nmax_jobs = abc\nbogus = 1\n" >bad.ini &&
	printf "%s\n" "{\"image\": \"$IMG\", \"command\": [\"true\"]}" \
		"{\"image\": \"$IMG\", \"priority\": \"high\"}" >bad.jsonl &&
	printf "%s\n" "{\"name\": \"a\", \"after\": [\"b\"], \"command\": [\"true\"]}" \
		"{\"name\": \"b\", \"after\": [\"a\"], \"command\": [\"true\"]}" >cycle.jsonl &&
	touch exists.db &&
	printf "{\"auths\": {" >bad-auth.json &&
	printf "{\"auths\": {\"registry.example\": {\"auth\": \"not base64!\"}}}" >wrong-auth.json
'

# Stores in a state of their own, for the errors that need one; each is a
# copy of the sandbox's store, so that no trigger changes what another sees.
# leftover.db: job 5 running on host 'down' (its engine never answers);
# running.db: jobs 4 and 5 running there; broken.db: job 1 completed without
# a finish time; busy.db: a copy whose write lock another process holds;
# hang.db: host 'hang', whose engine accepts connections and never answers;
# newer.db: a store of a schema newer than this cjobs.
test_expect_success 'the stores in special states are set up' '
	running_on_down() {
		store_edit "$1" "UPDATE jobs SET status = '"'running'"', attempt = 1, ran_on = '"'down'"',
			container_name = '"'cjobs-x-'"' || id, container_id = '"'abc'"' || id,
			worker_id = '"'gone:1:x'"' WHERE id IN ($2)"
	} &&
	cjobs db backup leftover.db >/dev/null && running_on_down leftover.db 5 &&
	cjobs db backup running.db >/dev/null && running_on_down running.db "4, 5" &&
	cjobs db backup broken.db >/dev/null &&
	store_edit broken.db "UPDATE jobs SET finished_at = 0 WHERE id = 1" &&
	cjobs db backup newer.db >/dev/null &&
	sqlite3 newer.db "INSERT INTO schema_migrations VALUES (99, '"'"'9999_future'"'"', 0)" &&
	cjobs db backup busy.db >/dev/null &&
	cjobs --database hang.db host add hang --url "unix://$TEST_DIR/hang.sock" >/dev/null
'
# One process holds busy.db's write lock and listens on hang.sock without
# ever answering, until its standard input (the fifo) closes: at the end of
# this script, or when the script dies.
mkfifo "$TEST_DIR/holder.in"
python3 -c '
import socket, sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[2])
s.listen(16)
print("ready", flush=True)
sys.stdin.read()
' "$TEST_DIR/busy.db" "$TEST_DIR/hang.sock" <"$TEST_DIR/holder.in" >"$TEST_DIR/holder.out" 2>&1 &
holder=$!
exec 8>"$TEST_DIR/holder.in"
test_expect_success 'the lock holder and the silent engine are ready' '
	wait_for 60 "grep -q ready holder.out || ! kill -0 $holder" && grep -q ready holder.out
'

# matches MESSAGE FILE: FILE holds MESSAGE, where each "..." stands for any
# text, and the sandbox's directory is written as /tmp (so that a path in
# the sandbox reads as the help shows it).
matches() {
	python3 -c '
import sys
want, path, sandbox = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path, errors="replace").read().replace(sandbox + "/", "/tmp/")
for line in text.splitlines():
    at = 0
    for piece in want.split("..."):
        piece = piece.strip() if piece.strip() else piece
        i = line.find(piece, at)
        if i < 0:
            break
        at = i + len(piece)
    else:
        sys.exit(0)
sys.exit(1)' "$1" "$2" "$TEST_DIR"
}

# Errors of PostgreSQL stores name a database on "this machine's server":
# here the run's private server (CJOBS_TEST_PG), through libpq's variables.
if [ -n "${CJOBS_TEST_PG:-}" ]; then
	PGHOST=${CJOBS_TEST_PG#host=} PGHOST=${PGHOST%% *} PGUSER=cjobs
	export PGHOST PGUSER
fi

cjobs help --errors >"$TEST_DIR/errors"
test_expect_success 'there are documented errors to check' 'test $(wc -l <errors) -ge 10'

while IFS=$'\t' read -r path trigger message; do
	[ -n "$message" ] || continue
	if [ "$trigger" = - ] || [[ $trigger != "cjobs "* ]]; then
		test_expect_success "error of $path has a command that produces it: $message" '
			echo "the help of $path documents this error without a command line that produces it"; false
		'
		continue
	fi
	test_expect_success "error of $path: $trigger" '
		eval "\"\$CJOBS_BIN\" ${trigger#cjobs }" >out 2>err </dev/null; rc=$?;
		test $rc != 0 || { echo "exit 0"; false; } &&
		cat out err >both &&
		matches "$message" both || { echo "wanted: $message"; echo "got:"; cat both; false; }
	'
done <"$TEST_DIR/errors"

exec 8>&-
wait $holder

test_done
