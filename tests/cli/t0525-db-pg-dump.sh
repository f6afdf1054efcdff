#!/usr/bin/env bash
# cjobs db backup on a PostgreSQL store (the run's private server,
# CJOBS_TEST_PG) when pg_dump does not do its work: it fails with a
# complaint, fails without a word, is killed by a signal, cannot be run, or
# is refused by the server (a role that may not read every table). Each
# time: one line that says what happened, exit 1, and no backup file and no
# temporary file left. And where pg_dump connects to: the store's own
# settings, never the PG* variables of the environment, and a setting libpq
# has no variable for is left to pg_dump's default. t0520 has the backup
# that works and a missing pg_dump.
export CJOBS_TEST_STORE=postgresql
. "$(dirname "$0")/../lib/test-lib.sh"

PSQL=$(pg_bindir)/psql
ROLE=${TEST_PG_DB}_reader
cleanup_all() {
	test_cleanup
	"$PSQL" -X -q -h "$PG_SOCKDIR" -U cjobs -d postgres -c "DROP ROLE IF EXISTS $ROLE" \
		>/dev/null 2>&1
}
trap cleanup_all EXIT

# fake NAME SCRIPT: a pg_dump of our own in $TEST_DIR/NAME (first in PATH
# when that directory is put there), running the shell SCRIPT.
fake() {
	mkdir -p "$TEST_DIR/$1" &&
	printf '#!/bin/sh\n%s\n' "$2" >"$TEST_DIR/$1/pg_dump" &&
	chmod 755 "$TEST_DIR/$1/pg_dump"
}

# nothing_left: no backup file and no temporary one in this directory.
nothing_left() {
	test ! -e x.dump && ! ls -a | grep -q "\.tmp-"
}

test_expect_success 'a store with jobs, hosts and output' '
	cjobs db migrate >/dev/null &&
	cjobs dev sample-data --count 10 --url mock:// >/dev/null &&
	test "$(store_sql "SELECT count(*) FROM job_output")" -gt 0
'

test_expect_success 'a pg_dump that fails: the first line of what it said, exit 1, no file' '
	fake complains "echo \"pg_dump: error: the first line\" >&2; echo \"the second line\" >&2; exit 1" &&
	expect_code 1 env PATH="$TEST_DIR/complains:$PATH" "$CJOBS_BIN" db backup x.dump 2>err &&
	test_grep -qx "cjobs: error: pg_dump failed: pg_dump: error: the first line" err &&
	! grep -q "second line" err &&
	nothing_left
'

test_expect_success 'a pg_dump that fails without a word: it says so' '
	fake silent "exit 3" &&
	expect_code 1 env PATH="$TEST_DIR/silent:$PATH" "$CJOBS_BIN" db backup x.dump 2>err &&
	test_grep -qx "cjobs: error: pg_dump failed: it gave no reason" err &&
	nothing_left
'

test_expect_success 'a pg_dump killed by a signal: the signal is the reason given' '
	fake killed "echo \"pg_dump: starting\" >&2; kill -KILL \$\$" &&
	expect_code 1 env PATH="$TEST_DIR/killed:$PATH" "$CJOBS_BIN" db backup x.dump 2>err &&
	test_grep -qx "cjobs: error: pg_dump failed: it was killed by signal 9 (Killed)" err &&
	nothing_left
'

test_expect_success 'a pg_dump that cannot be run: the system says why' '
	fake noexec "exit 0" && chmod 644 "$TEST_DIR/noexec/pg_dump" &&
	expect_code 1 env PATH="$TEST_DIR/noexec" "$CJOBS_BIN" db backup x.dump 2>err &&
	test_grep -qx "cjobs: error: cannot run pg_dump: Permission denied" err &&
	nothing_left
'

test_expect_success 'pg_dump refused by the server (a role that may not read job_output): its reason' '
	store_sql "CREATE ROLE $ROLE LOGIN;
		GRANT USAGE ON SCHEMA public TO $ROLE;
		GRANT SELECT ON ALL TABLES IN SCHEMA public TO $ROLE;
		REVOKE SELECT ON job_output FROM $ROLE" &&
	R="host=$PG_SOCKDIR user=$ROLE dbname=$TEST_PG_DB" &&
	cjobs --database "$R" job list >/dev/null &&
	expect_code 1 cjobs --database "$R" db backup x.dump 2>err &&
	test_grep -q "^cjobs: error: pg_dump failed: pg_dump: error: query failed: ERROR:  permission denied for table job_output$" err &&
	test "$(wc -l <err)" -le 2 &&
	nothing_left &&
	store_sql "DROP OWNED BY $ROLE; DROP ROLE $ROLE"
'

test_expect_success 'pg_dump reaches the store named, whatever PGHOST, PGDATABASE and PGUSER say' '
	expect_code 1 env PGDATABASE=postgres PGUSER=nobody PGHOST=/nonexistent pg_dump --schema-only >/dev/null 2>&1 &&
	PGDATABASE=postgres PGUSER=nobody PGHOST=/nonexistent \
		cjobs --database "$CJOBS_DATABASE fallback_application_name=t0525" db backup env.dump >out &&
	grep -q "^backed up .* to env.dump (" out &&
	"$(pg_bindir)/pg_restore" -l env.dump >list &&
	grep -q "TABLE DATA public jobs " list &&
	grep -q "TABLE DATA public job_output " list
'

test_done
