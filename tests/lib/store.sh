# tests/lib/store.sh: for tests and benchmarks that set jobs up by editing
# the store with sqlite3 (a state no command makes quickly, such as a
# million finished jobs). cjobs counts status changes itself (store/counts.c),
# not through a trigger, so after such an edit the counts per host and status
# must be made again, as 'cjobs db vacuum' does. Sourced by
# tests/lib/test-lib.sh and bench/lib/common.sh.

# store_recount DB: counts the jobs of DB per host and status again.
store_recount() {
	sqlite3 "$1" "BEGIN; DELETE FROM job_counts;
		INSERT INTO job_counts (host_key, status, n)
		SELECT coalesce(ran_on, host, ''), status, count(*) FROM jobs
		WHERE status <> 'queued' GROUP BY 1, 2; COMMIT;"
}

# store_edit DB SQL: runs SQL on DB, then counts the jobs again.
store_edit() {
	sqlite3 "$1" "$2" && store_recount "$1"
}
