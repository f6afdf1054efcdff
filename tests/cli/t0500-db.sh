#!/usr/bin/env bash
# cjobs db status|check|vacuum|backup on a real store, with a real worker
# running jobs on a private engine during the backup.
. "$(dirname "$0")/../lib/test-lib.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
add_test_host e1

IMG=cjobs-test/busybox:1

test_expect_success 'commands on a store that does not exist fail and name the path' '
	for c in status check vacuum "backup x.db"; do
		expect_code 1 cjobs --database nosuch/c.db db $c 2>err &&
		grep -q "no job store at nosuch/c.db" err || exit 1
	done &&
	test ! -e nosuch
'

test_expect_success 'a store named in a directory that does not exist is refused, whoever names it; the default path makes its own' '
	expect_code 1 cjobs --database typo/sub/c.db job list 2>err &&
	grep -q "the directory typo/sub does not exist; create it first (mkdir -p typo/sub)" err &&
	test ! -e typo &&
	expect_code 1 env CJOBS_DATABASE=typo/c.db "$CJOBS_BIN" job submit --image x -- true 2>err &&
	grep -q "the directory typo does not exist" err && test ! -e typo &&
	printf "[store]\npath = %s\n" "$PWD/typo/c.db" >conf.ini &&
	(unset CJOBS_DATABASE; expect_code 1 cjobs --config conf.ini host list 2>err) &&
	grep -q "the directory $PWD/typo does not exist" err && test ! -e typo &&
	mkdir typo && cjobs --database typo/c.db job list >/dev/null && test -f typo/c.db &&
	(unset CJOBS_DATABASE; XDG_DATA_HOME="$PWD/xdg/deep" "$CJOBS_BIN" job list >/dev/null) &&
	test -f xdg/deep/cjobs/cjobs.db
'

test_expect_success 'a store that cannot be written (no write permission; a read-only file system) can still be read by the commands that only read; the others say why not' '
	ro=$(mktemp -d /tmp/cjro.XXXXXX) && chmod 755 "$ro" &&
	trap "rm -rf \"$ro\"" EXIT &&
	cjobs --database "$ro/s.db" job submit --image x --name seen -- true >/dev/null &&
	chmod 444 "$ro/s.db" && chmod 555 "$ro" &&
	for c in "job list" "job show 1" "job logs 1" "host list" "template list" "token list" \
		"manage-jobs status" "manage-jobs report"; do
		runuser -u nobody -- "$CJOBS_BIN" --database "$ro/s.db" $c >out 2>err ||
			{ echo "$c: $(cat err)"; exit 1; }
	done &&
	runuser -u nobody -- "$CJOBS_BIN" --database "$ro/s.db" job list | grep -q " seen " &&
	expect_code 1 runuser -u nobody -- "$CJOBS_BIN" --database "$ro/s.db" job submit --image x -- true 2>err &&
	grep -q "cannot open job store $ro/s.db: permission denied" err &&
	chmod 755 "$ro" && chmod 644 "$ro/s.db" &&
	unshare -m sh -c "mount --bind $ro $ro && mount -o remount,ro,bind $ro &&
		$CJOBS_BIN --database $ro/s.db job show 1 >out 2>err &&
		! $CJOBS_BIN --database $ro/s.db host add h --url mock:// 2>>err" &&
	grep -q "^name: *seen" out && grep -q "read-only file system" err &&
	sqlite3 "$ro/s.db" "DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)" &&
	unshare -m sh -c "mount --bind $ro $ro && mount -o remount,ro,bind $ro &&
		! $CJOBS_BIN --database $ro/s.db job list 2>err" &&
	grep -q "which takes writing it, and it cannot be written here" err &&
	test ! -e "$ro/s.db-wal"
'

test_expect_success 'jobs of several statuses exist' '
	cjobs job submit --image $IMG -- sh -c "echo out; echo err >&2" >/dev/null &&
	cjobs job submit --image $IMG -- sh -c "exit 3" >/dev/null &&
	cjobs job submit --image $IMG --at +1d -- true >/dev/null &&
	expect_code 3 cjobs process-jobs 2>/dev/null
'

test_expect_success 'db status counts agree with the store' '
	cjobs db status --format json >st.json &&
	q() { store_sql "$1"; } &&
	j() { python3 -c "import json,sys; d=json.load(open(\"st.json\")); print(eval(sys.argv[1]))" "$1"; } &&
	test "$(j "d[\"jobs\"][\"total\"]")" = "$(q "select count(*) from jobs")" &&
	for s in queued launching running completed failed timeout cancelled; do
		test "$(j "d[\"jobs\"][\"$s\"]")" = "$(q "select count(*) from jobs where status=\"$s\"")" || exit 1
	done &&
	test "$(j "d[\"jobs\"][\"completed\"]")" = 1 &&
	test "$(j "d[\"history_rows\"]")" = "$(q "select count(*) from job_history")" &&
	test "$(j "d[\"output_rows\"]")" = "$(q "select count(*) from job_output")" &&
	test "$(j "d[\"output_bytes\"]")" = "$(q "select sum(length(data)) from job_output")" &&
	test "$(j "d[\"schema_version\"]")" = "$(store_sql "SELECT max(version) FROM schema_migrations")" &&
	test "$(j "d[\"file_bytes\"]")" -gt 0 &&
	cjobs db status >st.txt &&
	grep -q "^store: *$CJOBS_DATABASE" st.txt && grep -q "^  completed *1$" st.txt
'

test_expect_success 'db check is clean on a store the worker wrote' '
	cjobs db check >out && grep -q ": ok" out
'

test_expect_success 'db check finds planted inconsistencies, naming the jobs, and exits 1' '
	cp "$CJOBS_DATABASE" planted.db &&
	sqlite3 planted.db "update jobs set finished_at = 0 where id = 1;
		update jobs set worker_id = \"w-gone\", lease_until = 5 where id = 2;
		pragma foreign_keys = off;
		insert into job_history (job_id, at, attempt, to_status, actor) values (999, 1, 0, \"queued\", \"x\")" &&
	expect_code 1 cjobs --database planted.db db check >out &&
	grep -q "^job 1: is completed but has no finish time" out &&
	grep -q "^job 2: is failed but still holds a lease (worker_id w-gone" out &&
	grep -q "^job 999: does not exist, but 1 history rows are left" out &&
	grep -q "3 problems found" out
'

test_expect_success 'db check finds a job that finished before it started' '
	cp "$CJOBS_DATABASE" planted2.db &&
	sqlite3 planted2.db "update jobs set finished_at = started_at - 5000 where id = 1" &&
	expect_code 1 cjobs --database planted2.db db check >out &&
	grep -q "^job 1: finished (.*) before it started" out
'

test_expect_success 'db check names the other contradictions: no start time, no worker, a completed job exiting non-zero, a history that disagrees, output without its job' '
	cp "$CJOBS_DATABASE" planted3.db &&
	sqlite3 planted3.db "update jobs set status = \"running\", started_at = 0, finished_at = 0, worker_id = null, lease_until = 0 where id = 2;
		update jobs set exit_code = 3 where id = 1;
		pragma foreign_keys = off;
		insert into job_output (job_id, attempt, stream, data, truncated, total_bytes) values (998, 1, 1, zeroblob(1), 0, 1)" &&
	expect_code 1 cjobs --database planted3.db db check >out &&
	grep -q "^job 1: is completed but its exit code is 3$" out &&
	grep -q "^job 2: is running but has no start time (started_at is 0)$" out &&
	grep -q "^job 2: is running but no worker holds it (worker_id is empty)$" out &&
	grep -q "^job 2: is running but its latest history row says failed$" out &&
	grep -q "^job 998: does not exist, but 1 output rows are left (table job_output)$" out &&
	grep -q "^job counts: " out
'

test_expect_success 'db vacuum returns the space of removed rows' '
	store_sql "create table filler (x); insert into filler select randomblob(1000) from generate_series(1, 2000); drop table filler;" 2>/dev/null ||
	python3 -c "
import sqlite3; c=sqlite3.connect(\"$CJOBS_DATABASE\")
c.execute(\"create table filler (x)\"); c.executemany(\"insert into filler values (randomblob(1000))\", [()]*2000)
c.commit(); c.execute(\"drop table filler\"); c.commit()" &&
	before=$(stat -c %s "$CJOBS_DATABASE") &&
	digest=$(store_digest) &&
	cjobs db vacuum --dry-run >out && grep -q "would vacuum" out &&
	test "$(stat -c %s "$CJOBS_DATABASE")" = "$before" &&
	test "$(store_digest)" = "$digest" &&
	cjobs db vacuum >out && grep -q "^vacuumed .* before, .* after" out &&
	test "$(stat -c %s "$CJOBS_DATABASE")" -lt "$before" &&
	cjobs db check >/dev/null
'

test_expect_success 'db vacuum refuses while jobs run, unless --force' '
	cp "$CJOBS_DATABASE" busy.db &&
	sqlite3 busy.db "update jobs set status = \"running\", worker_id = \"w\" where id = 3" &&
	size=$(stat -c %s busy.db) &&
	expect_code 1 cjobs --database busy.db db vacuum 2>err &&
	grep -q "1 jobs are launching or running; vacuum locks the store" err &&
	test "$(stat -c %s busy.db)" = "$size" &&
	cjobs --database busy.db db vacuum --dry-run >out && grep -q "would refuse" out &&
	cjobs --database busy.db db vacuum --dry-run --force >out && grep -q "would vacuum" out &&
	test "$(stat -c %s busy.db)" = "$size" &&
	cjobs --database busy.db db vacuum --force >out && grep -q "^vacuumed" out
'

test_expect_success 'db vacuum says when another process holds the store too long' '
	cp "$CJOBS_DATABASE" locked.db &&
	# The holder keeps the write lock until vacuum has given up.
	hold_write_lock locked.db held release &
	pid=$!
	wait_for 60 "test -s held" &&
	expect_code 1 cjobs --database locked.db db vacuum 2>err
	rc=$?; touch release; wait $pid
	test $rc = 0 && grep -q "the job store is busy (another process held it for more than 5 s)" err
'

test_expect_success 'db vacuum counts the jobs per host and status again, which mends what db check finds' '
	cp "$CJOBS_DATABASE" counts.db &&
	sqlite3 counts.db "update job_counts set n = n + 5 where status = \"completed\"" &&
	expect_code 1 cjobs --database counts.db db check >out &&
	grep -q "^job counts: completed jobs of host .e1.: counted 6, but the jobs table has 1" out &&
	cjobs --database counts.db db vacuum >/dev/null &&
	cjobs --database counts.db db check >out && grep -q ": ok" out
'

test_expect_success 'jobs for the worker to run during the backups are queued' '
	for i in 1 2 3 4 5 6; do
		cjobs job submit --image $IMG -- sh -c "sleep 0.\$RANDOM; echo \$RANDOM" >/dev/null || exit 1
	done
'

test_expect_success 'db backup copies the store while a worker runs jobs' '
	"$CJOBS_BIN" process-jobs --daemon --poll-interval 1 2>daemon.err &
	pid=$!
	wait_for 60 "test \$(store_sql \"select count(*) from jobs where id > 3 and status <> \\\"queued\\\"\") -gt 0" &&
	cjobs db backup backup.db >out &&
	cjobs db backup b2.db >/dev/null &&
	wait_for 60 "test \$(store_sql \"select count(*) from jobs where id > 3 and status in (\\\"queued\\\", \\\"launching\\\", \\\"running\\\")\") = 0" &&
	cjobs db backup b3.db >/dev/null
	rc=$?
	kill -TERM $pid && wait $pid && test $rc = 0 &&
	grep -q "^backed up .* to backup.db (.*, mode 0600)" out &&
	for f in backup.db b2.db b3.db; do
		test "$(stat -c %a $f)" = 600 &&
		test "$(sqlite3 $f "pragma integrity_check")" = ok &&
		cjobs --database $f job list >/dev/null &&
		cjobs --database $f db check >/dev/null || exit 1
	done &&
	test "$(cjobs --database b3.db job list --format json | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")" = 9 &&
	test "$(cjobs --database b3.db job list --status completed --format json | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")" = 7 &&
	! ls | grep -q "\.tmp-"
'

test_expect_success 'db backup refuses to overwrite a file, unless --force' '
	echo precious >keep.db &&
	expect_code 1 cjobs db backup keep.db 2>err &&
	grep -q "backup file keep.db already exists; give --force to replace it" err &&
	test "$(cat keep.db)" = precious &&
	cjobs db backup keep.db --force >/dev/null &&
	test "$(sqlite3 keep.db "pragma integrity_check")" = ok &&
	test "$(stat -c %a keep.db)" = 600
'

test_expect_success 'db backup into a missing directory fails and says why' '
	expect_code 1 cjobs db backup nodir/b.db 2>err &&
	grep -q "cannot create backup file nodir/b.db: No such file or directory" err
'

test_expect_success 'db backup refuses a directory, and the store itself even with --force' '
	mkdir adir &&
	expect_code 1 cjobs db backup adir --force 2>err &&
	grep -q "backup file adir is a directory; name a file" err &&
	before=$(store_digest) &&
	expect_code 1 cjobs db backup "$CJOBS_DATABASE" --force 2>err &&
	grep -q "backup file .* is the job store itself" err &&
	test "$(store_digest)" = "$before" &&
	! ls "$(dirname "$CJOBS_DATABASE")" adir | grep -q "\.tmp-"
'

test_expect_success 'db migrate --dry-run lists what a new store lacks and applies nothing; db migrate applies it once' '
	expect_code 0 cjobs --database new.db db migrate --dry-run >out &&
	grep -q "^store new.db: schema version 0 of [1-9]" out &&
	n=$(grep -c "^would apply: " out) && test "$n" -gt 1 &&
	test "$(sqlite3 new.db "select count(*) from sqlite_master where name = \"jobs\"")" = 0 &&
	cjobs --database new.db db migrate >out &&
	test "$(grep -c "^applied: " out)" = "$n" &&
	cjobs --database new.db db migrate --dry-run >out &&
	grep -q "^nothing to apply" out &&
	cjobs --database new.db db migrate >out &&
	! grep -q "^applied: " out
'

test_expect_success 'every db subcommand has its help' '
	for s in migrate status check vacuum backup; do cjobs db $s --help >out || exit 1; done &&
	cjobs db vacuum --help | grep -q "^WARNING:" &&
	cjobs db backup --help | grep -q "^Common Errors:"
'

test_expect_success 'no container labelled by cjobs is left on the engine' '
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

test_done
