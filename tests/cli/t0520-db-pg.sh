#!/usr/bin/env bash
# cjobs db migrate|status|check|vacuum|backup on a PostgreSQL store (the
# run's private server, CJOBS_TEST_PG): the same behaviour, output and exit
# codes as on SQLite (t0500), PostgreSQL's own terms where they differ, a
# backup restored with pg_restore, and the bad input of a store's name: a
# malformed URL, a wrong password (a second private server of this script's
# own, with a password for one role), a missing database, no server, a
# server that never answers, a schema newer than the program. The store's
# name carries a password throughout (the test server trusts its socket and
# ignores it), and no output may show it.
export CJOBS_TEST_STORE=postgresql
. "$(dirname "$0")/../lib/test-lib.sh"

SECRET=pw-Zq7xSecret
URL="postgresql://cjobs:$SECRET@/$TEST_PG_DB?host=$PG_SOCKDIR"
SHOWN="postgresql://cjobs:\*\*\*@/$TEST_PG_DB?host=$PG_SOCKDIR"
export CJOBS_DATABASE=$URL
PSQL=$(pg_bindir)/psql

# Every command's output is kept in $TEST_DIR/seen as well, for the last
# test: no output may hold the password.
cjobs() { cjobs_seen "$@"; }

# Databases of this script beside its store, dropped at the end.
EXTRA_DBS=""
newdb() {
	"$(pg_bindir)/createdb" -h "$PG_SOCKDIR" -U cjobs "$@"
}
db_of() { echo "$CJOBS_TEST_PG dbname=${TEST_PG_DB}_$1"; }
psql_on() { "$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_SOCKDIR" -U cjobs -d "$1" -c "$2"; }

# A second server of our own, for the password: role pwuser must give
# 'right-pw' (scram-sha-256); every other connection is trusted as on the
# run's server.
PW_DIR=$(mktemp -d /tmp/cjpw.XXXXXX)
cleanup_all() {
	local d
	pg_stop "$PW_DIR"
	rm -rf "$PW_DIR"
	for d in $EXTRA_DBS; do
		"$PSQL" -X -q -h "$PG_SOCKDIR" -U cjobs -d postgres \
			-c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1
	done
	test_cleanup
}
trap cleanup_all EXIT
for n in planted restored counts newer; do EXTRA_DBS="$EXTRA_DBS ${TEST_PG_DB}_$n"; done

test_expect_success 'an empty database is no job store: status, check, vacuum and backup exit 1 and create nothing' '
	for c in status check vacuum "vacuum --dry-run" "backup x.dump"; do
		expect_code 1 cjobs db $c 2>err &&
		grep -q "^cjobs: error: no job store in $SHOWN: it holds no cjobs tables (any other command creates them there" err || exit 1
	done &&
	test "$(store_sql "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")" = 0 &&
	test ! -e x.dump
'

test_expect_success 'db migrate --dry-run lists the migration and applies nothing; db migrate applies it once' '
	cjobs db migrate --dry-run >dry &&
	latest=$(sed -n "s/.*: schema version 0 of \([0-9]*\)$/\1/p" dry) &&
	test "$latest" -ge 7 &&
	grep -q "^store $SHOWN: schema version 0 of $latest$" dry &&
	grep -q "^would apply: 0001_initial_schema$" dry &&
	grep -q "^would apply: 0003_claim_unpinned$" dry &&
	grep -q "^would apply: 0007_job_dependencies$" dry &&
	test "$(grep -c "^would apply: " dry)" = "$latest" &&
	test "$(store_sql "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")" = 0 &&
	cjobs db migrate >out &&
	test "$(grep "^applied: " out | sed "s/^applied: //")" = "$(grep "^would apply: " dry | sed "s/^would apply: //")" &&
	grep -q "^store $SHOWN is at schema version $latest$" out &&
	cjobs db migrate >out && ! grep -q "^applied" out &&
	cjobs db migrate --dry-run >out && grep -q "^nothing to apply" out
'

test_expect_success 'jobs of every status with output, hosts and a template' '
	cjobs dev sample-data --count 40 --url mock:// >/dev/null &&
	test "$(store_sql "SELECT count(DISTINCT status) FROM jobs")" = 7 &&
	test "$(store_sql "SELECT count(*) FROM job_output")" -gt 10
'

test_expect_success 'db status counts agree with the store, in PostgreSQL terms' '
	cjobs db status --format json >st.json &&
	j() { python3 -c "import json,sys; d=json.load(open(\"st.json\")); print(eval(sys.argv[1]))" "$1"; } &&
	test "$(j "d[\"path\"]")" = "postgresql://cjobs:***@/$TEST_PG_DB?host=$PG_SOCKDIR" &&
	test "$(j "d[\"driver\"]")" = PostgreSQL &&
	test "$(j "d[\"jobs\"][\"total\"]")" = "$(store_sql "SELECT count(*) FROM jobs")" &&
	for s in queued launching running completed failed timeout cancelled; do
		test "$(j "d[\"jobs\"][\"$s\"]")" = "$(store_sql "SELECT count(*) FROM jobs WHERE status = '"'"'$s'"'"'")" || exit 1
	done &&
	test "$(j "d[\"history_rows\"]")" = "$(store_sql "SELECT count(*) FROM job_history")" &&
	test "$(j "d[\"output_rows\"]")" = "$(store_sql "SELECT count(*) FROM job_output")" &&
	test "$(j "d[\"output_bytes\"]")" = "$(store_sql "SELECT sum(length(data)) FROM job_output")" &&
	test "$(j "d[\"hosts\"]")" = "$(store_sql "SELECT count(*) FROM hosts")" &&
	test "$(j "d[\"templates\"]")" = 1 &&
	test "$(j "d[\"schema_version\"]")" = "$(j "d[\"latest_schema_version\"]")" &&
	test "$(j "d[\"schema_version\"]")" -ge 7 &&
	test "$(j "d[\"wal_bytes\"]")" = 0 && test "$(j "d[\"free_pages\"]")" = 0 &&
	test "$(j "d[\"page_size\"]")" = "$(store_sql "SELECT current_setting('"'"'block_size'"'"')")" &&
	test "$(j "d[\"file_bytes\"]")" -gt 1000000 &&
	test "$(j "d[\"total_bytes\"]")" = "$(j "d[\"file_bytes\"]")" &&
	test "$(j "d[\"page_count\"]")" = "$(j "d[\"file_bytes\"] // d[\"page_size\"]")" &&
	cjobs db status >st.txt &&
	grep -q "^store: *$SHOWN$" st.txt && grep -q "^driver: *PostgreSQL$" st.txt &&
	grep -q "^size: .* (the database, as pg_database_size counts it)$" st.txt &&
	! grep -q "^pages:" st.txt &&
	grep -q "^  completed *$(store_sql "SELECT count(*) FROM jobs WHERE status = '"'"'completed'"'"'")$" st.txt
'

test_expect_success 'db check is clean, and says that PostgreSQL checks its own pages' '
	cjobs db check >out &&
	test "$(wc -l <out)" = 1 &&
	grep -qx "store $SHOWN: ok (job consistency; PostgreSQL checks its own pages)" out
'

test_expect_success 'db check finds planted inconsistencies on PostgreSQL, naming the jobs, and exits 1' '
	newdb -T "$TEST_PG_DB" "${TEST_PG_DB}_planted" &&
	P=$(db_of planted) &&
	done_id=$(psql_on "${TEST_PG_DB}_planted" "SELECT min(id) FROM jobs WHERE status = '"'"'completed'"'"'") &&
	failed_id=$(psql_on "${TEST_PG_DB}_planted" "SELECT min(id) FROM jobs WHERE status = '"'"'failed'"'"'") &&
	psql_on "${TEST_PG_DB}_planted" "SET session_replication_role = replica;
		UPDATE jobs SET finished_at = 0 WHERE id = $done_id;
		UPDATE jobs SET worker_id = '"'"'w-gone'"'"', lease_until = 5 WHERE id = $failed_id;
		INSERT INTO job_history (job_id, at, attempt, to_status, actor) VALUES (99999, 1, 0, '"'"'queued'"'"', '"'"'x'"'"')" &&
	expect_code 1 cjobs --database "$P" db check >out &&
	grep -q "^job $done_id: is completed but has no finish time" out &&
	grep -q "^job $failed_id: is failed but still holds a lease (worker_id w-gone" out &&
	grep -q "^job 99999: does not exist, but 1 history rows are left" out &&
	grep -q ": 3 problems found$" out
'

test_expect_success 'db vacuum runs VACUUM (ANALYZE) beside running jobs, and counts the jobs again' '
	test "$(store_sql "SELECT count(*) FROM jobs WHERE status IN ('"'"'launching'"'"', '"'"'running'"'"')")" -gt 0 &&
	digest=$(store_digest) &&
	cjobs db vacuum --dry-run >out &&
	grep -q "^store $SHOWN: .* now (PostgreSQL reuses the space of removed rows itself)$" out &&
	grep -q "^would vacuum: VACUUM (ANALYZE) every table, beside the workers" out &&
	test "$(store_digest)" = "$digest" &&
	store_sql "UPDATE job_counts SET n = n + 5 WHERE status = '"'"'completed'"'"'" &&
	expect_code 1 cjobs db check >out && grep -q "^job counts: completed jobs" out &&
	cjobs db vacuum >out &&
	grep -q "^vacuumed $SHOWN: .* before, .* after (.* returned)$" out &&
	cjobs db check >out && grep -q ": ok (job consistency" out &&
	test "$(store_sql "SELECT count(*) FROM pg_stat_user_tables WHERE relname = '"'"'jobs'"'"' AND last_vacuum IS NOT NULL AND last_analyze IS NOT NULL")" = 1
'

test_expect_success 'db backup runs pg_dump into a file of mode 0600, and refuses an existing one without --force' '
	cjobs db backup b.dump >out &&
	grep -q "^backed up $SHOWN to b.dump (.*, mode 0600)$" out &&
	test "$(stat -c %a b.dump)" = 600 &&
	"$(pg_bindir)/pg_restore" -l b.dump >list && grep -q "TABLE DATA public jobs" list &&
	echo precious >keep.dump &&
	expect_code 1 cjobs db backup keep.dump 2>err &&
	grep -q "backup file keep.dump already exists; give --force to replace it" err &&
	test "$(cat keep.dump)" = precious &&
	cjobs db backup keep.dump --force >/dev/null &&
	"$(pg_bindir)/pg_restore" -l keep.dump >/dev/null &&
	! ls | grep -q "\.tmp-"
'

test_expect_success 'without pg_dump, db backup says so, exits 1 and leaves no file' '
	expect_code 1 env PATH=/nonexistent "$CJOBS_BIN" db backup nodump.dump 2>err &&
	grep -q "^cjobs: error: pg_dump is not installed; a PostgreSQL store is backed up with it (Debian: apt-get install postgresql-client)$" err &&
	test ! -e nodump.dump && ! ls | grep -q "\.tmp-"
'

test_expect_success 'a backup restored with pg_restore into a new database checks clean and holds the same jobs' '
	newdb "${TEST_PG_DB}_restored" &&
	"$(pg_bindir)/pg_restore" --no-owner -h "$PG_SOCKDIR" -U cjobs -d "${TEST_PG_DB}_restored" b.dump &&
	R=$(db_of restored) &&
	cjobs --database "$R" db check >out && grep -q ": ok (job consistency" out &&
	same_jobs "$CJOBS_DATABASE" "$R" &&
	test "$(psql_on "${TEST_PG_DB}_restored" "SELECT value FROM meta WHERE key = '"'"'store_id'"'"'")" = \
		"$(store_sql "SELECT value FROM meta WHERE key = '"'"'store_id'"'"'")" &&
	cjobs --database "$R" job submit --image x -- true >out &&
	test "$(grep -o "[0-9]*" out | head -1)" -gt "$(store_sql "SELECT max(id) FROM jobs")"
'

# ---- bad input: one line that says what is wrong and what to do, exit 1,
# and never the password.

# one_error FILE: FILE is one error line (and the usual pointer to the help).
one_error() {
	test "$(grep -c "^cjobs: error: " "$1")" = 1 &&
	test "$(grep -vc "^cjobs: error: \|^Run .cjobs help" "$1")" = 0 &&
	! grep -q "$SECRET" "$1"
}

test_expect_success 'a malformed URL: one line naming the mistake and the form to write' '
	expect_code 1 cjobs --database "postgresql://cjobs:$SECRET@/db?bogus=1&host=$PG_SOCKDIR" db status 2>err &&
	one_error err &&
	grep -q "^cjobs: error: invalid --database \"postgresql://cjobs:\*\*\*@/db?bogus=1&host=$PG_SOCKDIR\": invalid URI query parameter: \"bogus\"; the keywords are libpq" err &&
	expect_code 1 cjobs --database "postgresql://cjobs:$SECRET@db:port/jobs" job list 2>err &&
	one_error err &&
	grep -q "^cjobs: error: cannot open job store postgresql://cjobs:\*\*\*@db:port/jobs: invalid integer value \"port\" for connection option \"port\"; write that setting as a whole number" err &&
	expect_code 1 cjobs --database "postgresql:/$TEST_PG_DB" db status 2>err &&
	one_error err && grep -q "a PostgreSQL URL begins with postgresql://" err
'

test_expect_success 'the server of this script starts, with a password for role pwuser' '
	( pg_start "$PW_DIR" >pw.log 2>&1 ) &&
	sed -i "1i local all pwuser scram-sha-256" "$PW_DIR/data/pg_hba.conf" &&
	"$PSQL" -X -q -h "$PW_DIR" -U cjobs -d postgres -c "CREATE ROLE pwuser LOGIN PASSWORD '"'"'right-pw'"'"'" &&
	"$PSQL" -X -q -h "$PW_DIR" -U cjobs -d postgres -c "SELECT pg_reload_conf()" >/dev/null &&
	! "$PSQL" -X -q -h "$PW_DIR" -U pwuser -d postgres -w -c "SELECT 1" 2>/dev/null &&
	PGPASSWORD=right-pw "$PSQL" -X -q -h "$PW_DIR" -U pwuser -d postgres -c "SELECT 1" >/dev/null
'

test_expect_success 'a wrong password: one line that says so and where a password comes from' '
	expect_code 1 cjobs --database "postgresql://pwuser:wrong-$SECRET@/postgres?host=$PW_DIR" db status 2>err &&
	one_error err && ! grep -q "wrong-" err &&
	grep -q "^cjobs: error: cannot open job store postgresql://pwuser:\*\*\*@/postgres?host=$PW_DIR: connection to server on socket \"$PW_DIR/.s.PGSQL.5432\" failed: FATAL:  password authentication failed for user \"pwuser\"; check the password" err &&
	expect_code 1 cjobs --database "host=$PW_DIR user=pwuser password='"'"'wrong $SECRET'"'"' dbname=postgres" job list 2>err &&
	one_error err && ! grep -q "wrong" err && grep -q "password authentication failed" err &&
	expect_code 1 cjobs --database "host=$PW_DIR user=pwuser dbname=postgres" db status 2>err </dev/null &&
	one_error err && grep -q "no password supplied; the server wants a password" err &&
	expect_code 1 cjobs --database "postgresql://pwuser:right-pw@/postgres?host=$PW_DIR" db status 2>err &&
	grep -q "no job store in postgresql://pwuser:\*\*\*@/postgres?host=$PW_DIR: it holds no cjobs tables" err &&
	! grep -q right-pw err
'

test_expect_success 'a missing database: one line that says to create it' '
	expect_code 1 cjobs --database "postgresql://cjobs:$SECRET@/${TEST_PG_DB}_nosuch?host=$PG_SOCKDIR" db status 2>err &&
	one_error err &&
	grep -q "FATAL:  database \"${TEST_PG_DB}_nosuch\" does not exist; create the database (createdb NAME" err
'

test_expect_success 'no server there: one line that says none listens' '
	mkdir nopg &&
	expect_code 1 cjobs --database "postgresql://cjobs:$SECRET@/db?host=$TEST_DIR/nopg" job list 2>err &&
	one_error err &&
	grep -q "failed: No such file or directory; no server listens there: start it" err
'

test_expect_success 'a server that never answers, with connect_timeout: one line that says it did not answer' '
	python3 -c "
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1] + \"/.s.PGSQL.5432\"); s.listen(4)
open(sys.argv[1] + \"/ready\", \"w\").close()
time.sleep(60)" "$TEST_DIR/nopg" &
	pid=$!
	wait_for 30 "test -e nopg/ready" &&
	expect_code 1 cjobs --database "postgresql://cjobs:$SECRET@/db?host=$TEST_DIR/nopg&connect_timeout=2" db status 2>err
	rc=$?; kill $pid; wait $pid 2>/dev/null
	test $rc = 0 && one_error err &&
	grep -q "failed: timeout expired; the server did not answer in time" err
'

test_expect_success 'a store whose schema is newer than this cjobs: one line that says to use a newer one' '
	newdb -T "$TEST_PG_DB" "${TEST_PG_DB}_newer" &&
	psql_on "${TEST_PG_DB}_newer" "INSERT INTO schema_migrations VALUES (99, '"'"'9999_future'"'"', 0)" &&
	N="postgresql://cjobs:$SECRET@/${TEST_PG_DB}_newer?host=$PG_SOCKDIR" &&
	for c in "db status" "db check" "job list" "db migrate"; do
		expect_code 1 cjobs --database "$N" $c 2>err && one_error err &&
		grep -q "its schema version 99 is newer than this cjobs knows ([0-9]*); use a newer cjobs" err || exit 1
	done &&
	test "$(psql_on "${TEST_PG_DB}_newer" "SELECT max(version) FROM schema_migrations")" = 99
'

test_expect_success 'the help of the db commands says what each does on PostgreSQL' '
	cjobs db status --help | tr "\n" " " | grep -q "pg_database_size" &&
	cjobs db check --help | tr "\n" " " | grep -q "the server checks its own pages" &&
	cjobs db vacuum --help | tr "\n" " " | grep -q "VACUUM (ANALYZE)" &&
	cjobs db backup --help | tr "\n" " " | grep -q "pg_dump --format=custom" &&
	cjobs db backup --help | grep -q "pg_restore --no-owner" &&
	cjobs --database "$URL" db copy --help >/dev/null
'

test_expect_success 'no output of this script showed the password' '
	test -s seen && ! grep -q "$SECRET" seen && ! grep -q "right-pw" seen
'

test_done
