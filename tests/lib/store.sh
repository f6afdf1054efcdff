# tests/lib/store.sh: for tests and benchmarks that set jobs up by editing
# the store directly (a state no command makes quickly, such as a million
# finished jobs). cjobs counts status changes itself (store/counts.c), not
# through a trigger, so after such an edit the counts per host and status
# must be made again, as 'cjobs db vacuum' does. Sourced by
# tests/lib/test-lib.sh and bench/lib/common.sh.

# The SQL that counts the jobs again (the same on SQLite and PostgreSQL).
STORE_RECOUNT_SQL="BEGIN; DELETE FROM job_counts;
	INSERT INTO job_counts (host_key, status, n)
	SELECT coalesce(ran_on, host, ''), status, count(*) FROM jobs
	WHERE status <> 'queued' GROUP BY 1, 2; COMMIT;"

# store_recount DB: counts the jobs of the SQLite file DB per host and
# status again.
store_recount() {
	sqlite3 "$1" "$STORE_RECOUNT_SQL"
}

# store_edit DB SQL: runs SQL on the SQLite file DB, then counts the jobs
# again.
store_edit() {
	sqlite3 "$1" "$2" && store_recount "$1"
}

# store_edit_own SQL: the same on the test's own store, whichever driver
# it is on (store_sql, test-lib.sh).
store_edit_own() {
	store_sql "$1" && store_sql "$STORE_RECOUNT_SQL"
}

# store_delete_jobs: removes every job of the test's own store, with its
# history and output (sqlite3 leaves foreign keys off unless asked).
store_delete_jobs() {
	if [ -n "${TEST_PG_DB:-}" ]; then
		store_sql "DELETE FROM jobs"
	else
		store_sql "PRAGMA foreign_keys = ON; DELETE FROM jobs"
	fi
}
