#!/usr/bin/env bash
# cjobs db copy: a whole store into an empty one of either kind. An SQLite
# store of every kind of record goes to PostgreSQL (databases of this
# script on the run's private server, CJOBS_TEST_PG) and back to SQLite,
# and comes back the same, byte for byte (container options and host
# allowances included); ids go on past the source's; a
# non-empty target is refused without --force and replaced with it; the
# source is never changed; the target is verified by db check; what cannot
# be copied fails whole. The targets' names carry a password (the test
# server trusts its socket and ignores it), and no output may show it.
. "$(dirname "$0")/../lib/test-lib.sh"

if [ -z "${CJOBS_TEST_PG:-}" ]; then
	echo "not ok 1 - t0530 needs CJOBS_TEST_PG, a PostgreSQL server (run through tests/run)"
	exit 1
fi
PG_SOCKDIR=${CJOBS_TEST_PG#host=} PG_SOCKDIR=${PG_SOCKDIR%% *}
export PG_SOCKDIR
PSQL=$(pg_bindir)/psql
SECRET=pw-Kk3vSecret
SRC=$CJOBS_DATABASE
PREFIX=cjt_$(basename "$TEST_DIR" | tr -dc 'a-zA-Z0-9' | tr 'A-Z' 'a-z')

# Every command's output is kept in $TEST_DIR/seen as well, for the last
# test: no output may hold the password.
cjobs() { cjobs_seen "$@"; }

# newpg NAME: a new empty database of this script; pgurl NAME: its name
# with a password, pgshown NAME: as cjobs shows it (a grep pattern).
newpg() {
	echo "${PREFIX}_$1" >>"$TEST_DIR/extra_dbs"
	"$(pg_bindir)/createdb" -h "$PG_SOCKDIR" -U cjobs "${PREFIX}_$1"
}
pgurl() { echo "postgresql://cjobs:$SECRET@/${PREFIX}_$1?host=$PG_SOCKDIR"; }
pgshown() { echo "postgresql://cjobs:\*\*\*@/${PREFIX}_$1?host=$PG_SOCKDIR"; }
pgsql() { "$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_SOCKDIR" -U cjobs -d "${PREFIX}_$1" -c "$2"; }
pgdigest() {
	"$(pg_bindir)/pg_dump" -h "$PG_SOCKDIR" -U cjobs "${PREFIX}_$1" | grep -v '^--\|^SET \|^SELECT pg_catalog\|^\\' |
		sha256sum | cut -d' ' -f1
}
# The rows of an SQLite store's tables that a copy carries, in order.
lite_rows() {
	sqlite3 "$1" "SELECT * FROM meta ORDER BY key; SELECT * FROM hosts ORDER BY id;
		SELECT * FROM env_templates ORDER BY id; SELECT * FROM jobs ORDER BY id;
		SELECT * FROM job_history ORDER BY id;
		SELECT job_id, attempt, stream, hex(data), truncated, total_bytes FROM job_output
			ORDER BY 1, 2, 3;
		SELECT * FROM job_counts WHERE n <> 0 ORDER BY 1, 2; SELECT * FROM sqlite_sequence"
}
cleanup_all() {
	local d
	for d in $(cat "$TEST_DIR/extra_dbs" 2>/dev/null); do
		"$PSQL" -X -q -h "$PG_SOCKDIR" -U cjobs -d postgres \
			-c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1
	done
	test_cleanup
}
trap cleanup_all EXIT

test_expect_success 'the source: hosts, templates, jobs of every status with output, bytes that are not text, a removed last job' '
	cjobs host add m --url mock:// >/dev/null &&
	cjobs host add far --url tcp://127.0.0.1:2376 --max-jobs 3 --weight 50 \
		--allow-bind /data --allow-cap-add NET_ADMIN --allow-gpus yes >/dev/null &&
	cjobs host disable far >/dev/null &&
	cjobs template add t1 --env "A=1" --env "B=é	ü" >/dev/null &&
	cjobs dev sample-data --count 24 --url mock:// >/dev/null &&
	cjobs job submit --image busybox --volume /data:/data:ro --label "k=v é" --cap-drop ALL \
		--read-only --shm-size 64m --gpus device=0,1 --env "K=v
w" -- printf "%s\\n" "a b" "" "ü" >/dev/null &&
	cjobs job submit --image busybox --priority 7 --max-retries 2 --retry-on-exit-code 1,75 -- true >/dev/null &&
	id=$(sqlite3 "$SRC" "SELECT min(id) FROM jobs WHERE status = '"'"'completed'"'"'") &&
	sqlite3 "$SRC" "UPDATE job_output SET data = x'"'"'00ff0a41'"'"', total_bytes = 4 WHERE job_id = $id AND stream = 1" &&
	last=$(sqlite3 "$SRC" "SELECT max(id) FROM jobs") &&
	store_edit "$SRC" "PRAGMA foreign_keys = ON; DELETE FROM jobs WHERE id = $last" &&
	test "$(sqlite3 "$SRC" "SELECT seq FROM sqlite_sequence WHERE name = '"'"'jobs'"'"'")" = "$last" &&
	test "$(sqlite3 "$SRC" "SELECT max(id) FROM jobs")" -lt "$last" &&
	cjobs db check >/dev/null &&
	lite_rows "$SRC" >src.rows && cp "$SRC" pristine.db
'

test_expect_success 'db copy --dry-run counts what would be copied and creates nothing' '
	digest=$(store_digest) &&
	cjobs db copy --to new.db --dry-run >out &&
	grep -q "^would copy $SRC (SQLite) to new.db (SQLite): 4 hosts, 2 templates, 25 jobs, [0-9]* history rows, [0-9]* output rows (.* of output)$" out &&
	grep -q "^the target does not exist: it would be created" out &&
	test ! -e new.db &&
	newpg a &&
	cjobs db copy --to "$(pgurl a)" --dry-run >out &&
	grep -q "^would copy $SRC (SQLite) to $(pgshown a) (PostgreSQL): 4 hosts" out &&
	grep -q "^the target is empty: the copy would be made there$" out &&
	test "$(pgsql a "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")" = 0 &&
	test "$(store_digest)" = "$digest"
'

test_expect_success 'SQLite to PostgreSQL: everything is copied, db check finds it clean, the source is unchanged' '
	digest=$(store_digest) &&
	cjobs db copy --to "$(pgurl a)" >out 2>err &&
	test ! -s err &&
	grep -q "^copied $SRC (SQLite) to $(pgshown a) (PostgreSQL): 4 hosts, 2 templates, 25 jobs, [0-9]* history rows, [0-9]* output rows (.* of output) in [0-9.]* s$" out &&
	grep -q "^the copy keeps the store id $(sqlite3 "$SRC" "SELECT value FROM meta WHERE key = '"'"'store_id'"'"'"): run workers on one of the two stores only$" out &&
	grep -qx "store $(pgshown a): ok (job consistency; PostgreSQL checks its own pages)" out &&
	test "$(store_digest)" = "$digest" && cmp "$SRC" pristine.db &&
	same_jobs "$SRC" "$(pgurl a)" &&
	test "$(pgsql a "SELECT encode(data, '"'"'hex'"'"') FROM job_output WHERE data = '"'"'\\x00ff0a41'"'"'::bytea")" = 00ff0a41 &&
	test "$(pgsql a "SELECT count(*) FROM job_output")" = "$(sqlite3 "$SRC" "SELECT count(*) FROM job_output")" &&
	test "$(pgsql a "SELECT sum(length(data)) FROM job_output")" = "$(sqlite3 "$SRC" "SELECT sum(length(data)) FROM job_output")" &&
	test "$(pgsql a "SELECT tgenabled FROM pg_trigger WHERE tgname = '"'"'job_counts_insert'"'"'")" = O
'

test_expect_success 'PostgreSQL back to SQLite: the same rows, byte for byte, as the source' '
	cjobs --database "$(pgurl a)" db copy --to back.db >out &&
	grep -q "^copied $(pgshown a) (PostgreSQL) to back.db (SQLite): 4 hosts, 2 templates, 25 jobs" out &&
	grep -qx "store back.db: ok (integrity check and job consistency)" out &&
	test "$(stat -c %a back.db)" = 600 &&
	lite_rows back.db >back.rows && cmp src.rows back.rows &&
	same_jobs "$SRC" back.db
'

test_expect_success 'SQLite to SQLite: the same rows; a target in a directory that does not exist is refused, as for --database' '
	expect_code 1 cjobs db copy --to sub/dir/lite.db 2>err &&
	grep -q "the directory sub/dir does not exist; create it first" err && test ! -e sub &&
	mkdir -p sub/dir &&
	cjobs db copy --to sub/dir/lite.db >out &&
	grep -q "^copied $SRC (SQLite) to sub/dir/lite.db (SQLite): 4 hosts" out &&
	lite_rows sub/dir/lite.db >lite.rows && cmp src.rows lite.rows
'

test_expect_success 'new jobs, hosts and templates in a copy never take an id the source gave' '
	last=$(sqlite3 "$SRC" "SELECT seq FROM sqlite_sequence WHERE name = '"'"'jobs'"'"'") &&
	newpg ids && cjobs db copy --to "$(pgurl ids)" >/dev/null &&
	cjobs --database "$(pgurl ids)" job submit --image x -- true >/dev/null &&
	test "$(pgsql ids "SELECT max(id) FROM jobs")" = $((last + 1)) &&
	cjobs --database "$(pgurl ids)" host add h3 --url mock:// >/dev/null &&
	cjobs --database "$(pgurl ids)" template add t3 --env X=1 >/dev/null &&
	test "$(pgsql ids "SELECT id FROM hosts WHERE name = '"'"'h3'"'"'")" -gt "$(sqlite3 "$SRC" "SELECT max(id) FROM hosts")" &&
	cjobs --database "$(pgurl ids)" db copy --to ids.db >/dev/null &&
	cjobs --database ids.db job submit --image x -- true >/dev/null &&
	test "$(sqlite3 ids.db "SELECT max(id) FROM jobs")" = $((last + 2)) &&
	cjobs --database back.db job submit --image x -- true >/dev/null &&
	test "$(sqlite3 back.db "SELECT max(id) FROM jobs")" = $((last + 1))
'

test_expect_success 'a target that holds jobs is refused without --force, and left as it was' '
	before=$(pgdigest a) &&
	expect_code 1 cjobs db copy --to "$(pgurl a)" 2>err &&
	grep -q "^cjobs: error: the target $(pgshown a) is not empty (25 jobs, 4 hosts, 2 templates); give --force to replace what it holds, or name an empty store$" err &&
	test "$(pgdigest a)" = "$before" &&
	expect_code 1 cjobs db copy --to back.db 2>err &&
	grep -q "the target back.db is not empty" err &&
	cjobs db copy --to "$(pgurl a)" --dry-run >out &&
	grep -q "^the target holds 25 jobs, 4 hosts and 2 templates: it would be refused (give --force to replace them)$" out &&
	test "$(pgdigest a)" = "$before"
'

test_expect_success '--force replaces what the target holds with the copy, all of it' '
	cjobs --database small.db host add only --url mock:// >/dev/null &&
	cjobs --database small.db job submit --image x -- true >/dev/null &&
	cjobs --database small.db db copy --to "$(pgurl a)" --force --dry-run >out &&
	grep -q "they would be replaced by the copy" out &&
	cjobs --database small.db db copy --to "$(pgurl a)" --force >out &&
	grep -q "^copied small.db (SQLite) to $(pgshown a) (PostgreSQL): 1 host, 0 templates, 1 job, 1 history row, 0 output rows" out &&
	same_jobs small.db "$(pgurl a)" &&
	test "$(pgsql a "SELECT count(*) FROM jobs")" = 1 &&
	test "$(pgsql a "SELECT value FROM meta WHERE key = '"'"'store_id'"'"'")" = "$(sqlite3 small.db "SELECT value FROM meta WHERE key = '"'"'store_id'"'"'")" &&
	test "$(pgsql a "SELECT count(*) FROM job_counts WHERE n <> 0")" = 0 &&
	cjobs db copy --to "$(pgurl a)" --force >/dev/null &&
	same_jobs "$SRC" "$(pgurl a)"
'

test_expect_success 'the source itself is refused as the target, even with --force, under another name' '
	digest=$(store_digest) &&
	expect_code 1 cjobs db copy --to "./$(basename "$SRC")" --force 2>err &&
	grep -q "^cjobs: error: the target ./cjobs.db is the source itself$" err &&
	test "$(store_digest)" = "$digest" &&
	before=$(pgdigest a) &&
	expect_code 1 cjobs --database "$(pgurl a)" db copy --to "host=$PG_SOCKDIR user=cjobs dbname=${PREFIX}_a" --force 2>err &&
	grep -q "is the source itself" err &&
	test "$(pgdigest a)" = "$before"
'

test_expect_success 'a target that is not a cjobs store is refused even with --force, and untouched' '
	newpg other && pgsql other "CREATE TABLE payroll (x int); INSERT INTO payroll VALUES (1)" &&
	expect_code 1 cjobs db copy --to "$(pgurl other)" --force 2>err &&
	grep -q "^cjobs: error: cannot open job store $(pgshown other): it is a PostgreSQL database but not a cjobs job store$" err &&
	test "$(pgsql other "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")" = 1 &&
	sqlite3 other.db "CREATE TABLE payroll (x int)" &&
	expect_code 1 cjobs db copy --to other.db --force 2>err &&
	grep -q "it is an SQLite database but not a cjobs job store" err &&
	test "$(sqlite3 other.db "SELECT count(*) FROM sqlite_master")" = 1
'

test_expect_success 'a source of an older schema is refused, and neither migrated nor changed' '
	cp pristine.db old.db && new=$(sqlite3 old.db "SELECT max(version) FROM schema_migrations") &&
	sqlite3 old.db "DELETE FROM schema_migrations WHERE version = $new" &&
	sum=$(sha256sum <old.db) &&
	expect_code 1 cjobs --database old.db db copy --to x.db 2>err &&
	grep -q "^cjobs: error: job store old.db has schema version $((new - 1)) but this cjobs needs $new; run .cjobs db migrate. first$" err &&
	test "$(sha256sum <old.db)" = "$sum" && test ! -e x.db
'

test_expect_success 'history and output rows whose job is gone are left out, and counted' '
	cp pristine.db orphan.db &&
	sqlite3 orphan.db "INSERT INTO job_history (job_id, at, attempt, to_status, actor) VALUES (99999, 1, 0, '"'"'queued'"'"', '"'"'x'"'"');
		INSERT INTO job_output (job_id, attempt, stream, data) VALUES (99998, 1, 1, x'"'"'01'"'"')" &&
	expect_code 1 cjobs --database orphan.db db check >/dev/null &&
	cjobs --database orphan.db db copy --to orphan-copy.db >out &&
	grep -q "^left out 2 history and output rows whose job is gone" out &&
	grep -q ": ok (integrity check and job consistency)$" out &&
	lite_rows orphan-copy.db >o.rows && cmp src.rows o.rows
'

test_expect_success 'a copy that fails leaves the target as it was, and a new file is removed' '
	cp pristine.db badtext.db &&
	bad=$(sqlite3 badtext.db "SELECT max(id) FROM jobs") &&
	sqlite3 badtext.db "UPDATE jobs SET name = CAST(x'"'"'ff41'"'"' AS TEXT) WHERE id = $bad" &&
	newpg bad && cjobs --database "$(pgurl bad)" db migrate >/dev/null &&
	id_before=$(pgsql bad "SELECT value FROM meta WHERE key = '"'"'store_id'"'"'") &&
	expect_code 1 cjobs --database badtext.db db copy --to "$(pgurl bad)" 2>err &&
	grep -q "^cjobs: error: cannot copy the jobs (from id [0-9]*): invalid byte sequence for encoding \"UTF8\"" err &&
	test "$(pgsql bad "SELECT count(*) FROM jobs") $(pgsql bad "SELECT count(*) FROM hosts")" = "0 0" &&
	test "$(pgsql bad "SELECT value FROM meta WHERE key = '"'"'store_id'"'"'")" = "$id_before" &&
	test "$(pgsql bad "SELECT tgenabled FROM pg_trigger WHERE tgname = '"'"'job_counts_insert'"'"'")" = O &&
	newpg bad2 &&
	expect_code 1 cjobs --database "$(pgurl bad2)" db copy --to gone.db 2>err &&
	grep -q "no job store in" err && test ! -e gone.db
'

test_expect_success 'the copy reads while another process holds the source write lock, and writes nothing there' '
	digest=$(store_digest)
	hold_write_lock "$SRC" held release &
	pid=$!
	wait_for 60 "test -s held" &&
	cjobs db copy --to locked-copy.db >out
	rc=$?; touch release; wait $pid
	test $rc = 0 && grep -q "^copied" out &&
	test "$(store_digest)" = "$digest"
'

test_expect_success 'with -v, each table with its rows and time' '
	cjobs -v db copy --to verbose.db >out 2>err &&
	grep -q "cjobs: copied 25 jobs in [0-9]* ms$" err &&
	grep -q "cjobs: copied 4 hosts in [0-9]* ms$" err
'

test_expect_success 'API tokens go along (their hashes), to PostgreSQL and back, and still let their holder in' '
	cjobs --database tok.db token create carried --scope read >tok 2>/dev/null &&
	cjobs --database tok.db token create gone --scope admin >/dev/null 2>&1 &&
	cjobs --database tok.db token revoke gone >/dev/null &&
	newpg tok && cjobs --database tok.db db copy --to "$(pgurl tok)" >out &&
	grep -q ", 2 API tokens, " out &&
	cjobs --database "$(pgurl tok)" db copy --to tokback.db >/dev/null &&
	test "$(sqlite3 tok.db "SELECT name, scope, hash, created_at, revoked_at FROM api_tokens ORDER BY id")" = \
		"$(sqlite3 tokback.db "SELECT name, scope, hash, created_at, revoked_at FROM api_tokens ORDER BY id")" &&
	cjobs --database tokback.db token list | grep -q "^gone .*Z$" &&
	cjobs --database tokback.db token create carried 2>err >/dev/null; grep -q "already exists" err
'

test_expect_success 'no output of this script showed the password' '
	test -s seen && ! grep -q "$SECRET" seen
'

test_done
