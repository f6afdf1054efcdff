#!/usr/bin/env bash
# stores: both (tests/run runs it again on PostgreSQL)
# manage-jobs cleanup removes exactly the finished jobs older than --days
# (with history and output) and this store's leftover containers; it never
# touches queued or live jobs, changes nothing with --dry-run or without
# --force off a terminal, and says what it removed.
. "$(dirname "$0")/../lib/test-lib.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
add_test_host local

IMG=cjobs-test/busybox:1
DAY=86400000
FINAL="status IN ('completed','failed','timeout','cancelled')"
WHEN="coalesce(nullif(finished_at,0),created_at)"

q() { store_sql "$@"; }
now_ms() { echo $(( $(date +%s) * 1000 )); }

# make_fixture COPIES: process 10 real jobs, then copy them by SQL (with
# their history and output) so that there are 10+COPIES finished jobs, and
# give them ages of 1, 5, 10 and 40 days by id; one copy is a job cancelled
# before it ran (no finish time, created 40 days ago).
make_fixture() {
	local copies=$1 i
	for i in 1 2 3 4 5 6; do cjobs job submit --image $IMG -- sh -c "echo out-$i; echo err-$i >&2" >/dev/null || return 1; done
	for i in 1 2 3 4; do cjobs job submit --image $IMG -- sh -c "echo failing-$i; exit 2" >/dev/null || return 1; done
	cjobs process-jobs >/dev/null 2>&1
	test "$(q "select count(*) from jobs where $FINAL")" = 10 || return 1
	q "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $copies)
	   INSERT INTO jobs (uuid, name, image, argv, workdir, env, template_name, memory_bytes,
	     nano_cpus, timeout_s, priority, not_before, host, max_retries, status, attempt,
	     exit_code, created_at, queued_at, started_at, finished_at, peak_memory_bytes,
	     cpu_usage_ns, last_error, container_name, container_id, ran_on, worker_id, lease_until)
	   SELECT 'copy-' || n.i || '-' || j.id, 'copy-of-' || j.id, image, argv, workdir, env,
	     template_name, memory_bytes, nano_cpus, timeout_s, priority, not_before, host,
	     max_retries, status, attempt, exit_code, created_at, queued_at, started_at,
	     finished_at, peak_memory_bytes, cpu_usage_ns, last_error, container_name,
	     container_id, ran_on, NULL, 0
	   FROM n JOIN jobs j ON j.id = 1 + (n.i % 10);
	   INSERT INTO job_output (job_id, attempt, stream, data, truncated, total_bytes)
	   SELECT c.id, o.attempt, o.stream, o.data, o.truncated, o.total_bytes
	   FROM jobs c JOIN job_output o ON o.job_id = CAST(substr(c.name, 9) AS INTEGER)
	   WHERE c.name LIKE 'copy-of-%';
	   INSERT INTO job_history (job_id, at, attempt, from_status, to_status, actor, reason)
	   SELECT c.id, h.at, h.attempt, h.from_status, h.to_status, h.actor, h.reason
	   FROM jobs c JOIN job_history h ON h.job_id = CAST(substr(c.name, 9) AS INTEGER)
	   WHERE c.name LIKE 'copy-of-%';" || return 1
	backdate
}

# Ages by id: 1, 5, 10 or 40 days (every time of the job moves together).
backdate() {
	q "UPDATE jobs SET
	     created_at = created_at - (CASE id % 4 WHEN 0 THEN 1 WHEN 1 THEN 5 WHEN 2 THEN 10 ELSE 40 END) * CAST($DAY AS BIGINT),
	     queued_at = queued_at - (CASE id % 4 WHEN 0 THEN 1 WHEN 1 THEN 5 WHEN 2 THEN 10 ELSE 40 END) * CAST($DAY AS BIGINT),
	     started_at = started_at - (CASE id % 4 WHEN 0 THEN 1 WHEN 1 THEN 5 WHEN 2 THEN 10 ELSE 40 END) * CAST($DAY AS BIGINT),
	     finished_at = finished_at - (CASE id % 4 WHEN 0 THEN 1 WHEN 1 THEN 5 WHEN 2 THEN 10 ELSE 40 END) * CAST($DAY AS BIGINT)
	   WHERE $FINAL AND finished_at > $(now_ms) - $DAY / 2;
	   UPDATE jobs SET status = 'cancelled', finished_at = 0, started_at = 0, exit_code = NULL,
	     created_at = $(now_ms) - 40 * CAST($DAY AS BIGINT), queued_at = $(now_ms) - 40 * CAST($DAY AS BIGINT)
	   WHERE id = (SELECT max(id) FROM jobs WHERE id % 4 = 3 AND $FINAL);" &&
	store_sql "$STORE_RECOUNT_SQL"
}

# The ids the dry run printed under "Jobs to remove", one per line.
listed_ids() {
	sed -n '/^Jobs to remove/,/^Containers to remove/p' "$1" | grep '^  [0-9]' | tr ' ' '\n' | grep . 
}

old_ids() { q "SELECT id FROM jobs WHERE $FINAL AND $WHEN < $(now_ms) - $1 * CAST($DAY AS BIGINT) ORDER BY id"; }

make_fixture 190 || { echo "Bail out! fixture"; exit 1; }
# Either side of 7 days by an hour: one job finished 7 days less an hour
# ago (kept by --days 7), one 7 days and an hour ago (removed); and a job
# cancelled before it ran (no finish time) created a day ago, which counts
# from its creation (kept).
q "UPDATE jobs SET finished_at = $(now_ms) - 7 * CAST($DAY AS BIGINT) + 3600000 WHERE id = 8;
   UPDATE jobs SET finished_at = $(now_ms) - 7 * CAST($DAY AS BIGINT) - 3600000 WHERE id = 12;
   UPDATE jobs SET status = 'cancelled', finished_at = 0, started_at = 0, exit_code = NULL,
     created_at = $(now_ms) - $DAY, queued_at = $(now_ms) - $DAY WHERE id = 16" &&
	store_sql "$STORE_RECOUNT_SQL" || { echo "Bail out! fixture"; exit 1; }
for i in 1 2 3 4 5; do cjobs job submit --image $IMG -- true >/dev/null; done
# Queued jobs, however old, are never removed.
q "UPDATE jobs SET created_at = created_at - 50 * CAST($DAY AS BIGINT), queued_at = queued_at - 50 * CAST($DAY AS BIGINT) WHERE status = 'queued'"

test_expect_success 'the fixture: 200 finished jobs of mixed ages, some either side of 7 days, and 5 queued ones' '
	test "$(q "select count(*) from jobs where $FINAL")" = 200 &&
	test "$(q "select count(*) from jobs where status = '\''queued'\''")" = 5 &&
	test "$(old_ids 7 | wc -l)" -gt 50 &&
	test "$(old_ids 7 | wc -l)" -lt 150 &&
	old_ids 7 | grep -qx 12 && ! old_ids 7 | grep -qx 8 && ! old_ids 7 | grep -qx 16 &&
	test "$(q "select status, finished_at from jobs where id = 16")" = "cancelled|0"
'

test_expect_success 'cleanup --days 7 --dry-run lists exactly the jobs older than 7 days and changes nothing, even with --force' '
	before=$(store_digest) &&
	cjobs manage-jobs cleanup --days 7 --dry-run --force </dev/null >out &&
	test_grep "^Dry run: nothing was changed" out &&
	test "$(store_digest)" = "$before" &&
	cjobs manage-jobs cleanup --days 7 --dry-run </dev/null >out &&
	test "$(store_digest)" = "$before" &&
	listed_ids out >got && old_ids 7 >want && test_cmp want got &&
	n=$(wc -l <want) &&
	bytes=$(q "select coalesce(sum(length(data)),0) from job_output where job_id in (select id from jobs where $FINAL and $WHEN < $(now_ms) - 7 * CAST($DAY AS BIGINT))") &&
	test "$bytes" -gt 0 &&
	test_grep "^Jobs to remove: $n finished before .* ($bytes bytes) of stored output" out &&
	test_grep "^Dry run: nothing was changed" out
'

test_expect_success 'without --force and without a terminal it refuses, says to add --force, and changes nothing' '
	before=$(store_digest) &&
	expect_code 1 cjobs manage-jobs cleanup --days 7 </dev/null >out 2>err &&
	test_grep "standard input is not a terminal" err &&
	test_grep "add --force" err &&
	test_grep "nothing was changed" err &&
	test "$(store_digest)" = "$before"
'

test_expect_success 'answering no at the terminal prompt changes nothing' '
	before=$(store_digest) &&
	printf "n\n" | expect_code 1 script -qec "\"$CJOBS_BIN\" manage-jobs cleanup --days 7" /dev/null >out &&
	test_grep "\[y/N\]" out &&
	test_grep "cleanup cancelled; nothing was changed" out &&
	test "$(store_digest)" = "$before"
'

test_expect_success 'cleanup --days 7 --force removes exactly those jobs with history and output, and reports it' '
	old_ids 7 >gone && n=$(wc -l <gone) && grep -qx 12 gone &&
	q "select id from jobs where not ($FINAL and $WHEN < $(now_ms) - 7 * CAST($DAY AS BIGINT)) order by id" >kept &&
	idlist=$(paste -sd, gone) &&
	hist=$(q "select count(*) from job_history where job_id in ($idlist)") &&
	outs=$(q "select count(*) from job_output where job_id in ($idlist)") &&
	bytes=$(q "select sum(length(data)) from job_output where job_id in ($idlist)") &&
	cjobs manage-jobs cleanup --days 7 --force </dev/null >out 2>err &&
	test_grep "^removed $n jobs with $hist history records and $outs output records; .* ($bytes bytes) of stored output reclaimed" out &&
	q "select id from jobs order by id" >now && test_cmp kept now &&
	grep -qx 8 now && grep -qx 16 now &&
	test "$(q "select count(*) from jobs where status = '\''queued'\''")" = 5 &&
	test "$(q "select count(*) from job_history where job_id not in (select id from jobs)")" = 0 &&
	test "$(q "select count(*) from job_output where job_id not in (select id from jobs)")" = 0 &&
	test ! -s err
'

test_expect_success 'a second run finds nothing to clean up; off a terminal without --force it still refuses' '
	cjobs manage-jobs cleanup --days 7 --force </dev/null >out &&
	test_grep "^nothing to clean up" out &&
	expect_code 1 cjobs manage-jobs cleanup --days 7 </dev/null 2>err &&
	test_grep "add --force to remove 0 jobs and 0 containers" err
'

# Containers: one leftover of this store, one of another store, one of a
# live (running) job.
STORE_ID=$(q "select value from meta where key = 'store_id'")
mkbox() { # mkbox NAME STORE_ID JOB_UUID
	local id
	id=$(curl -s --fail --unix-socket "$ENGINE_SOCK" -X POST -H 'Content-Type: application/json' \
		"http://d/containers/create?name=$1" \
		-d "{\"Image\":\"$IMG\",\"Cmd\":[\"sleep\",\"300\"],\"Labels\":{\"cjobs.job\":\"$3\",\"cjobs.attempt\":\"1\",\"cjobs.store\":\"$2\"},\"HostConfig\":{\"NetworkMode\":\"none\"}}" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])') &&
	curl -s --fail --unix-socket "$ENGINE_SOCK" -X POST "http://d/containers/$id/start" &&
	echo "$id"
}
box_exists() { curl -s --fail --unix-socket "$ENGINE_SOCK" "http://d/containers/$1/json" >/dev/null; }

ORPHAN_UUID=$(cat /proc/sys/kernel/random/uuid)
LIVE_UUID=$(cat /proc/sys/kernel/random/uuid)
ORPHAN=$(mkbox "cjobs-$ORPHAN_UUID-1" "$STORE_ID" "$ORPHAN_UUID")
OTHER=$(mkbox "cjobs-other-1" "$(cat /proc/sys/kernel/random/uuid)" "$(cat /proc/sys/kernel/random/uuid)")
LIVE=$(mkbox "cjobs-$LIVE_UUID-1" "$STORE_ID" "$LIVE_UUID")
q "INSERT INTO jobs (uuid, image, argv, env, status, attempt, created_at, queued_at, started_at,
     container_name, container_id, ran_on, worker_id, lease_until)
   VALUES ('$LIVE_UUID', '$IMG', $SQL_EMPTY_BLOB, $SQL_EMPTY_BLOB, 'running', 1, $(now_ms), $(now_ms), $(now_ms),
     'cjobs-$LIVE_UUID-1', '$LIVE', 'local', 'gone-worker', $(now_ms) + 3600000)"

test_expect_success 'the dry run lists the leftover container, and only it' '
	test -n "$ORPHAN" && test -n "$OTHER" && test -n "$LIVE" &&
	before=$(store_digest) &&
	cjobs manage-jobs cleanup --days 7 --dry-run </dev/null >out &&
	test_grep "^Containers to remove: 1$" out &&
	test_grep "^  local  cjobs-$ORPHAN_UUID-1  ${ORPHAN:0:12}  running$" out &&
	! grep -q "cjobs-$LIVE_UUID" out && ! grep -q cjobs-other out &&
	box_exists "$ORPHAN" && test "$(store_digest)" = "$before"
'

test_expect_success 'cleanup removes a container of this store that belongs to no live job' '
	cjobs manage-jobs cleanup --days 7 --force </dev/null >out &&
	test_grep "^removed 1 leftover containers" out &&
	! box_exists "$ORPHAN" &&
	box_exists "$OTHER" && box_exists "$LIVE" &&
	test "$(q "select status from jobs where uuid = '\''$LIVE_UUID'\''")" = running
'

test_expect_success 'a host that cannot be reached is named with its address; the store is still cleaned; exit 2' '
	cjobs host add dead --url "unix://$TEST_DIR/no-such.sock" >/dev/null &&
	id=$(cjobs job submit --image $IMG -- true) &&
	q "update jobs set status = '\''completed'\'', finished_at = $(now_ms) - 9 * CAST($DAY AS BIGINT) where id = $id" &&
	expect_code 2 cjobs manage-jobs cleanup --days 7 --force </dev/null >out 2>err &&
	test_grep "warning: host .dead. (unix://$TEST_DIR/no-such.sock) cannot be reached" err &&
	test_grep "its containers were not checked" err &&
	test_grep "^removed 1 jobs" out &&
	test -z "$(q "select id from jobs where id = $id")" &&
	cjobs host remove dead --force >/dev/null
'

test_expect_success 'a disabled host is not searched for leftovers' '
	cjobs host add off --url "unix://$TEST_DIR/no-such.sock" >/dev/null &&
	cjobs host disable off >/dev/null &&
	cjobs manage-jobs cleanup --days 7 --force </dev/null >out 2>err &&
	test ! -s err &&
	cjobs host remove off --force >/dev/null
'

test_expect_success '--days 0 removes every finished job and leaves the queued and live ones' '
	cjobs manage-jobs cleanup --days 0 --force </dev/null >out &&
	test "$(q "select count(*) from jobs where $FINAL")" = 0 &&
	test "$(q "select count(*) from jobs where status = '\''queued'\''")" = 5 &&
	test "$(q "select count(*) from jobs where status = '\''running'\''")" = 1
'

test_expect_success '--days outside 0..36500 is refused with the documented message' '
	expect_code 1 cjobs manage-jobs cleanup --days -1 2>err &&
	test_grep "option --days: .-1. is not a whole number from 0 to 36500" err &&
	expect_code 1 cjobs manage-jobs cleanup --days 36501 2>err &&
	test_grep "from 0 to 36500" err
'

# Many jobs: more than one batch.
big_fixture() {
	q "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
	   INSERT INTO jobs (uuid, image, argv, env, status, attempt, exit_code, created_at,
	     queued_at, started_at, finished_at)
	   SELECT $SQL_RANDOM_HEX, '$IMG', $SQL_EMPTY_BLOB, $SQL_EMPTY_BLOB, 'completed', 1, 0,
	     $(now_ms) - 20 * CAST($DAY AS BIGINT), $(now_ms) - 20 * CAST($DAY AS BIGINT), $(now_ms) - 20 * CAST($DAY AS BIGINT), $(now_ms) - 20 * CAST($DAY AS BIGINT) FROM n;
	   INSERT INTO job_history (job_id, at, attempt, from_status, to_status, actor)
	   SELECT id, created_at, 1, NULL, 'queued', 'test' FROM jobs WHERE status = 'completed';
	   INSERT INTO job_output (job_id, attempt, stream, data, total_bytes)
	   SELECT id, 1, 1, $SQL_OK_BLOB, 3 FROM jobs WHERE status = 'completed';"
}

test_expect_success 'over many batches: everything goes, and no progress is written when stderr is not a terminal' '
	big_fixture 2500 &&
	cjobs manage-jobs cleanup --days 7 --force </dev/null >out 2>err &&
	test_grep "^removed 2500 jobs with 2500 history records and 2500 output records; .* (7500 bytes)" out &&
	test ! -s err &&
	test "$(q "select count(*) from jobs where $FINAL")" = 0
'

test_expect_success 'on a terminal, a long run shows progress; answering yes removes' '
	big_fixture 2100 &&
	printf "y\n" | script -qec "\"$CJOBS_BIN\" manage-jobs cleanup --days 7" /dev/null >out &&
	test_grep "removing jobs: 2100 of 2100 (100%)" out &&
	test_grep "removed 2100 jobs" out &&
	test "$(q "select count(*) from jobs where $FINAL")" = 0
'

test_expect_success 'a store held busy by another process: the documented error, exit 1, nothing half-done' '
	big_fixture 10 || exit 1
	before=$(store_digest)
	# The holder keeps the write lock until the cleanup has given up.
	hold_write_lock "$CJOBS_DATABASE" held release &
	holder=$!
	wait_for 60 "test -s held" &&
	expect_code 1 cjobs manage-jobs cleanup --days 7 --force </dev/null >out 2>err
	rc=$?
	touch release
	wait $holder
	test $rc = 0 &&
	test_grep "cannot start a transaction: the job store is busy (another process held it for more than 5 s); the jobs removed so far stay removed: run the cleanup again" err &&
	test "$(store_digest)" = "$before" &&
	cjobs manage-jobs cleanup --days 7 --force </dev/null >out &&
	test_grep "^removed 10 jobs" out
'

test_expect_success 'the help has examples, How It Works, Important Notes, backup guidance, a warning, errors and exit codes' '
	cjobs manage-jobs cleanup --help >out &&
	for s in "Usage Examples:" "How It Works:" "Important Notes:" "Backup and Recovery:" \
		"WARNING:" "Common Errors:" "Exit Codes:" "Options:"; do
		grep -q "^$s" out || { echo "missing $s"; exit 1; }; done &&
	for o in --days --dry-run --force; do grep -q "^  $o" out || { echo "missing $o"; exit 1; }; done &&
	grep -A6 "^  --days" out | grep -q "Default: 30\." &&
	test "$(grep -c "^    cjobs manage-jobs cleanup" out)" -ge 3
'

# run_examples CMD...: every example of the help of CMD must exit as declared.
run_examples() {
	"$CJOBS_BIN" "$@" --help | python3 -c '
import re, subprocess, sys, os
lines = sys.stdin.read().split("\n")
i = lines.index("Usage Examples:") + 1
says = ""
bad = 0
n = 0
while i < len(lines) and (lines[i].startswith("    ") or lines[i] == ""):
    l = lines[i].strip()
    i += 1
    if l.startswith("cjobs "):
        m = re.search(r"\(exits (\d+)\)\s*$", says)
        want = int(m.group(1)) if m else 0
        cmd = os.environ["CJOBS_BIN"] + l[len("cjobs"):]
        rc = subprocess.run(cmd, shell=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        n += 1
        if rc != want:
            print("example exits %d, declared %d: %s" % (rc, want, l)); bad += 1
        says = ""
    elif l:
        says += " " + l
print("%d examples run" % n)
sys.exit(1 if bad or n < 3 else 0)'
}

test_expect_success 'every usage example of cleanup works against a store with jobs and a host' '
	for i in 1 2 3; do cjobs job submit --image $IMG -- true >/dev/null || exit 1; done &&
	cjobs process-jobs >/dev/null 2>&1 && backdate &&
	export CJOBS_BIN && run_examples manage-jobs cleanup
'

curl -s --unix-socket "$ENGINE_SOCK" -X DELETE "http://d/containers/$OTHER?force=1" >/dev/null
curl -s --unix-socket "$ENGINE_SOCK" -X DELETE "http://d/containers/$LIVE?force=1" >/dev/null

test_done
