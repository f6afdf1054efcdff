#!/usr/bin/env bash
# stores: both (tests/run runs it again on PostgreSQL)
# schedule add|list|show|pause|resume|remove|run and the worker firing due
# schedules, against a real engine and store, with the test clock: "now" of
# the schedules comes from the file $CJOBS_TEST_CLOCK names (only a build
# with -Dtest_clock=true reads it; tests/run makes build-test so), set by
# each test and seen by a daemon at once on SIGUSR1. Jobs run in real time.
# Nothing sleeps: each test waits for the store.
. "$(dirname "$0")/../lib/test-lib.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
add_test_host e1
IMG=cjobs-test/busybox:1
export CJOBS_TEST_CLOCK=$TEST_DIR/clock

# set_clock ISO: the schedules' "now" (written whole, then renamed in).
set_clock() { echo "$1" >"$TEST_DIR/clock.new" && mv "$TEST_DIR/clock.new" "$TEST_DIR/clock"; }
# ms ISO: unix ms of an ISO 8601 UTC time.
ms() { echo "$(date -u -d "$1" +%s)000"; }
# due_times NAME: the due_at (unix ms, empty when run by hand) of each job
# of schedule NAME, in the order they were made.
due_times() {
	store_sql "SELECT coalesce(j.due_at, 0) FROM jobs j JOIN schedules s ON s.id = j.schedule_id
		WHERE s.name = '$1' ORDER BY j.id"
}
# sched_jobs NAME: the ids of the jobs of schedule NAME, oldest first.
sched_jobs() {
	store_sql "SELECT j.id FROM jobs j JOIN schedules s ON s.id = j.schedule_id
		WHERE s.name = '$1' ORDER BY j.id"
}
# creation_reason ID: the reason of the job's first history row.
creation_reason() {
	store_sql "SELECT reason FROM job_history WHERE job_id = $1 AND from_status IS NULL"
}
# start_daemon LOG: a daemon at verbosity 3, its pid in $pid.
start_daemon() {
	"$CJOBS_BIN" process-jobs --daemon --poll-interval 3600 --verbosity 3 >/dev/null 2>"$1" &
	pid=$!
}

set_clock 2026-01-10T10:07:00Z

test_expect_success 'this build reads the test clock, and a release build does not (the option is off by default)' '
	grep -q "option(.test_clock., type : .boolean., value : false" "$TEST_ROOT/meson_options.txt" &&
	python3 -c "
import json, sys
o = json.load(open(sys.argv[1]))
sys.exit(0 if any(x[\"name\"] == \"test_clock\" and x[\"value\"] is True for x in o) else 1)" \
		"$CJOBS_BUILD_DIR/meson-info/intro-buildoptions.json" &&
	cjobs schedule add probe --cron "0 * * * *" --image $IMG -- true >out &&
	grep -q "next due 2026-01-10T11:00:00Z" out &&
	cjobs schedule remove probe --force >/dev/null
'

test_expect_success 'every cron syntax is accepted: lists, ranges, steps, names, @ names' '
	i=0 &&
	for e in "*/15 * * * *" "0 2 * * *" "0 9-17/2 * * mon-fri" "30 4 1,15 * 5" \
		"5/10 * * * *" "0 0 * JAN,jul Sun" "0 0 1 1 *" "0 12 * * 7" \
		@hourly @daily @midnight @weekly @monthly @yearly @annually; do
		i=$((i + 1)) &&
		cjobs schedule add "ok$i" --cron "$e" --image $IMG -- true >/dev/null || {
			echo "refused: $e"; exit 1; }
	done &&
	test "$(cjobs schedule list | grep -c "^ok")" = 15 &&
	cjobs schedule list --format json >list.json &&
	python3 -c "
import json
v = json.load(open(\"list.json\"))
assert {s[\"cron\"] for s in v} >= {\"0 9-17/2 * * mon-fri\", \"@weekly\"}, v" &&
	for n in $(seq 1 15); do cjobs schedule remove "ok$n" --force >/dev/null || exit 1; done &&
	test -z "$(cjobs schedule list --format json | tr -d "[]\n ")"
'

test_expect_success 'bad expressions and zones are refused with the whole explanation (which field, what it accepts); nothing is stored' '
	before=$(store_digest) &&
	check() {
		expect=$1 && shift &&
		expect_code 1 cjobs schedule add bad "$@" --image $IMG -- true 2>err &&
		test_grep -F -e "$expect" err
	} &&
	check "--cron '"'"'61 * * * *'"'"': minute field" --cron "61 * * * *" &&
	check "hour field" --cron "0 24 * * *" &&
	check "day of month field" --cron "0 0 0 * *" &&
	check "month field" --cron "0 0 * 13 *" &&
	check "day of week field" --cron "0 0 * * 8" &&
	check "--cron" --cron "@reboot" &&
	check "--cron" --cron "* * *" &&
	check "--cron" --cron "0 0 30 2 *" &&
	check "--cron" --cron "0 0 * foo *" &&
	check "--tz" --cron @daily --tz Mars/Olympus &&
	check "--tz" --cron @daily --tz ../../etc/passwd &&
	check "give the times with --cron" &&
	check "option --concurrency" --cron @daily --concurrency sometimes &&
	check "option --catch-up" --cron @daily --catch-up all &&
	check "option --keep" --cron @daily --keep -1 &&
	check "unknown option" --cron @daily --at +1h &&
	expect_code 1 cjobs schedule add "bad name" --cron @daily --image $IMG -- true 2>err &&
	test_grep "schedule name" err &&
	test "$(store_digest)" = "$before"
'

test_expect_success 'schedule show lists the next five due times in UTC and in the zone' '
	cjobs schedule add quarter --cron "*/15 * * * *" --image $IMG -- true >/dev/null &&
	cjobs schedule show quarter >show &&
	sed -n "/^next due times/,/^last runs/p" show >next &&
	cat >expect <<-EOF &&
	next due times:
	  2026-01-10T10:15:00Z  2026-01-10T10:15:00+00:00
	  2026-01-10T10:30:00Z  2026-01-10T10:30:00+00:00
	  2026-01-10T10:45:00Z  2026-01-10T10:45:00+00:00
	  2026-01-10T11:00:00Z  2026-01-10T11:00:00+00:00
	  2026-01-10T11:15:00Z  2026-01-10T11:15:00+00:00
	last runs: none
	EOF
	test_cmp expect next &&
	cjobs schedule add berlin --cron "0 2 * * *" --tz Europe/Berlin --image $IMG -- true >/dev/null &&
	cjobs schedule show berlin --format json >b.json &&
	python3 -c "
import json
o = json.load(open(\"b.json\"))
assert [n[\"utc\"] for n in o[\"next\"]] == [\"2026-01-11T01:00:00Z\", \"2026-01-12T01:00:00Z\", \"2026-01-13T01:00:00Z\", \"2026-01-14T01:00:00Z\", \"2026-01-15T01:00:00Z\"], o[\"next\"]
assert o[\"next\"][0][\"local\"] == \"2026-01-11T02:00:00+01:00\", o[\"next\"]
assert o[\"tz\"] == \"Europe/Berlin\" and o[\"next_due\"] == \"2026-01-11T01:00:00Z\", o" &&
	cjobs schedule remove quarter --force >/dev/null &&
	cjobs schedule remove berlin --force >/dev/null
'

test_expect_success 'a due time makes one job, on time, naming its schedule and due time; it runs in a real container' '
	set_clock 2026-01-10T10:07:00Z &&
	cjobs schedule add hourly --cron "0 * * * *" --image $IMG -- sh -c "echo tick" >/dev/null &&
	cjobs process-jobs 2>/dev/null &&
	test -z "$(sched_jobs hourly)" &&
	set_clock 2026-01-10T11:00:20Z &&
	cjobs process-jobs 2>/dev/null &&
	id=$(sched_jobs hourly) && test -n "$id" &&
	test "$(due_times hourly)" = "$(ms 2026-01-10T11:00:00Z)" &&
	test "$(job_field $id status)" = completed &&
	test "$(cjobs job logs $id)" = tick &&
	test "$(job_field $id schedule)" = hourly &&
	test "$(job_field $id due_at)" = 2026-01-10T11:00:00.000Z &&
	test "$(job_field $id name)" = hourly &&
	creation_reason $id >reason && test_grep "scheduled by .hourly. .*for its due time 2026-01-10T11:00:00Z" reason &&
	! grep -q late reason &&
	cjobs job show $id >show && test_grep "^schedule: *hourly, due 2026-01-10T11:00:00Z" show &&
	test "$(cjobs job list --schedule hourly --format json | python3 -c "import json,sys; print([j[\"id\"] for j in json.load(sys.stdin)])")" = "[$id]" &&
	cjobs process-jobs 2>/dev/null &&
	test "$(sched_jobs hourly)" = "$id" &&
	cjobs schedule show hourly >show &&
	test_grep "job $id  due 2026-01-10T11:00:00Z  completed (exit 0)" show
'

test_expect_success 'missed due times with --catch-up one (the default): one late job for the latest, its history says late, which due time, how many missed' '
	# hourly was last due at 11:00; no worker up at 12:00, 13:00, 14:00.
	set_clock 2026-01-10T14:20:00Z &&
	cjobs process-jobs 2>/dev/null &&
	sched_jobs hourly >ids && test "$(wc -l <ids)" = 2 &&
	id=$(tail -1 ids) &&
	test "$(job_field $id due_at)" = 2026-01-10T14:00:00.000Z &&
	creation_reason $id >reason &&
	test_grep "^late: scheduled by .hourly. for its due time 2026-01-10T14:00:00Z, queued 20m" reason &&
	test_grep "3 due times missed since 2026-01-10T12:00:00Z, run once (--catch-up one)" reason &&
	cjobs schedule show hourly --format json >s.json &&
	python3 -c "
import json
o = json.load(open(\"s.json\"))
assert o[\"next_due\"] == \"2026-01-10T15:00:00Z\", o" &&
	cjobs schedule remove hourly --force >/dev/null
'

test_expect_success 'missed due times with --catch-up none: no job; the missed runs are recorded as skipped' '
	set_clock 2026-01-10T10:07:00Z &&
	cjobs schedule add nocatch --cron "0 * * * *" --catch-up none --image $IMG -- true >/dev/null &&
	set_clock 2026-01-10T13:30:00Z &&
	cjobs process-jobs 2>/dev/null &&
	test -z "$(sched_jobs nocatch)" &&
	cjobs schedule show nocatch >show &&
	test_grep "due 2026-01-10T13:00:00Z  missed: no worker was up at its due time (3 due times, 2026-01-10T11:00:00Z to 2026-01-10T13:00:00Z); --catch-up none runs none of them" show &&
	set_clock 2026-01-10T14:00:00Z &&
	cjobs process-jobs 2>/dev/null &&
	test "$(due_times nocatch)" = "$(ms 2026-01-10T14:00:00Z)" &&
	cjobs schedule remove nocatch --force >/dev/null
'

test_expect_success 'two workers on one store firing schedules over 30 due times: exactly one job, or one skipped run, per due time, none lost' '
	cjobs host add m1 --url mock:// --max-jobs 100 >/dev/null &&
	set_clock 2026-02-01T00:00:30Z &&
	cjobs schedule add race --cron "* * * * *" --host m1 --image $IMG -- true >/dev/null &&
	# Its first job waits for a host no worker serves, so that each later
	# due time is a skipped run (forbid): a due time handled twice would
	# show as two skipped runs, with no job to collide on.
	cjobs host add parked --url mock:// >/dev/null && cjobs host disable parked >/dev/null &&
	cjobs schedule add race-skip --cron "* * * * *" --concurrency forbid --host parked \
		--image $IMG -- true >/dev/null ||
		exit 1
	"$CJOBS_BIN" process-jobs --daemon --host m1 --poll-interval 3600 --verbosity 3 >/dev/null 2>w1.log &
	p1=$!
	"$CJOBS_BIN" process-jobs --daemon --host m1 --poll-interval 3600 --verbosity 3 >/dev/null 2>w2.log &
	p2=$!
	trap "kill -INT $p1 $p2 2>/dev/null; wait $p1 $p2 2>/dev/null" EXIT
	wait_for 60 "grep -q \"no job ready\" w1.log && grep -q \"no job ready\" w2.log" &&
	for i in $(seq 1 30); do
		set_clock "2026-02-01T00:$(printf %02d $i):00Z" &&
		kill -USR1 $p1 $p2 &&
		wait_for 60 "test \"\$(sched_jobs race | wc -l)\" = $i" || exit 1
	done &&
	due_times race | sort | uniq -d >dups && test ! -s dups &&
	test "$(sched_jobs race-skip | wc -l)" = 1 &&
	store_sql "SELECT k.due_at FROM schedule_skips k JOIN schedules s ON s.id = k.schedule_id
		WHERE s.name = '"'"'race-skip'"'"'" >skips &&
	sort skips | uniq -d >dups && test ! -s dups &&
	test "$(wc -l <skips)" = 29 &&
	test "$(due_times race | sort -u | wc -l)" = 30 &&
	test "$(due_times race | head -1)" = "$(ms 2026-02-01T00:01:00Z)" &&
	test "$(due_times race | tail -1)" = "$(ms 2026-02-01T00:30:00Z)" &&
	echo "fired by worker 1: $(grep -c "schedule .race.: queued job" w1.log), by worker 2: $(grep -c "schedule .race.: queued job" w2.log)" &&
	kill -TERM $p1 $p2 && wait_exit 60 $p1 && wait_exit 60 $p2 &&
	cjobs manage-jobs cancel --job-id "$(sched_jobs race-skip)" >/dev/null &&
	cjobs schedule remove race --force >/dev/null &&
	cjobs schedule remove race-skip --force >/dev/null
'

test_expect_success '--concurrency forbid: a due time while the previous job runs is skipped and recorded; the next one after it ended runs' '
	set_clock 2026-03-01T10:00:30Z &&
	cjobs schedule add solo --cron "* * * * *" --concurrency forbid --host e1 --image $IMG -- sh -c "$GATED" >/dev/null &&
	start_daemon f.log
	stop_on_exit $pid
	wait_for 60 "grep -q \"no job ready\" f.log" &&
	set_clock 2026-03-01T10:01:00Z && kill -USR1 $pid &&
	wait_for 60 "test -n \"\$(sched_jobs solo)\"" &&
	first=$(sched_jobs solo) &&
	wait_for 60 "test \"\$(job_field $first status)\" = running" &&
	set_clock 2026-03-01T10:02:00Z && kill -USR1 $pid &&
	wait_for 60 "cjobs schedule show solo | grep -q \"still unfinished\"" &&
	test "$(sched_jobs solo)" = "$first" &&
	cjobs schedule show solo >show &&
	test_grep "due 2026-03-01T10:02:00Z  skipped the run due at 2026-03-01T10:02:00Z: job $first of this schedule is still unfinished (--concurrency forbid)" show &&
	job_release $first &&
	wait_for 60 "test \"\$(job_field $first status)\" = completed" &&
	set_clock 2026-03-01T10:03:00Z && kill -USR1 $pid &&
	wait_for 60 "test \"\$(sched_jobs solo | wc -l)\" = 2" &&
	second=$(sched_jobs solo | tail -1) &&
	test "$(job_field $second due_at)" = 2026-03-01T10:03:00.000Z &&
	wait_for 60 "test \"\$(job_field $second status)\" = running" &&
	job_release $second &&
	wait_for 60 "test \"\$(job_field $second status)\" = completed" &&
	kill -TERM $pid && wait_exit 60 $pid &&
	cjobs schedule remove solo --force >/dev/null
'

test_expect_success '--concurrency replace: the unfinished job is cancelled naming the run that replaced it, and the new one runs' '
	set_clock 2026-03-01T11:00:30Z &&
	cjobs schedule add fresh --cron "* * * * *" --concurrency replace --host e1 --image $IMG -- sh -c "$GATED" >/dev/null &&
	start_daemon r.log
	stop_on_exit $pid
	wait_for 60 "grep -q \"no job ready\" r.log" &&
	set_clock 2026-03-01T11:01:00Z && kill -USR1 $pid &&
	wait_for 60 "test -n \"\$(sched_jobs fresh)\"" &&
	old=$(sched_jobs fresh) &&
	wait_for 60 "test \"\$(job_field $old status)\" = running" &&
	ocid=$(job_field $old container_id) &&
	set_clock 2026-03-01T11:02:00Z && kill -USR1 $pid &&
	wait_for 60 "test \"\$(sched_jobs fresh | wc -l)\" = 2" &&
	new=$(sched_jobs fresh | tail -1) &&
	wait_for 60 "test \"\$(job_field $old status)\" = cancelled" &&
	store_sql "SELECT reason FROM job_history WHERE job_id = $old AND to_status = '"'"'cancelled'"'"'" >why &&
	test_grep "replaced by job $new, the run of schedule .fresh. due at 2026-03-01T11:02:00Z (--concurrency replace)" why &&
	wait_for 60 "test \"\$(job_field $new status)\" = running" &&
	# The old container (PID 1 of its own, which SIGTERM does not stop)
	# has 10 s after SIGTERM; the worker launched the new run meanwhile,
	# instead of waiting for that in its loop.
	curl -s --unix-socket "$ENGINE_SOCK" "http://d/containers/$ocid/json" >old.json &&
	grep -q "\"Running\":true" old.json &&
	wait_for 60 "! curl -sf --unix-socket \"$ENGINE_SOCK\" \"http://d/containers/$ocid/json\" >/dev/null" &&
	job_release $new &&
	wait_for 60 "test \"\$(job_field $new status)\" = completed" &&
	kill -TERM $pid && wait_exit 60 $pid &&
	test -z "$(engine_containers "$ENGINE_SOCK")" &&
	cjobs schedule remove fresh --force >/dev/null
'

test_expect_success 'a paused schedule fires nothing; resume does not catch up the due times of the pause' '
	set_clock 2026-04-01T08:30:00Z &&
	cjobs schedule add napper --cron "0 * * * *" --image $IMG -- true >/dev/null &&
	cjobs schedule pause napper >out && test_grep "paused schedule .napper." out &&
	cjobs schedule list | grep "^napper" | grep -q paused &&
	set_clock 2026-04-01T11:10:00Z &&
	cjobs process-jobs 2>/dev/null &&
	test -z "$(sched_jobs napper)" &&
	cjobs schedule resume napper >out &&
	test_grep "next due 2026-04-01T12:00:00Z (the due times of the pause are not caught up)" out &&
	cjobs process-jobs 2>/dev/null &&
	test -z "$(sched_jobs napper)" &&
	set_clock 2026-04-01T12:00:00Z &&
	cjobs process-jobs 2>/dev/null &&
	test "$(due_times napper)" = "$(ms 2026-04-01T12:00:00Z)"
'

test_expect_success 'schedule run queues one job now, outside the due times, and prints its id' '
	id=$(cjobs schedule run napper) &&
	test "$(job_field $id schedule)" = napper &&
	test -z "$(job_field $id due_at)" &&
	creation_reason $id >reason && test_grep "run by hand" reason &&
	cjobs process-jobs 2>/dev/null &&
	test "$(job_field $id status)" = completed &&
	cjobs schedule show napper --format json >s.json &&
	python3 -c "
import json
o = json.load(open(\"s.json\"))
assert o[\"next_due\"] == \"2026-04-01T13:00:00Z\", o
assert [r[\"id\"] for r in o[\"runs\"]][0] == $id and o[\"runs\"][0][\"due_at\"] is None, o[\"runs\"]"
'

test_expect_success 'schedule remove keeps the jobs it made and says so; they still name it by number' '
	n=$(sched_jobs napper | wc -l) && test "$n" = 2 &&
	id=$(sched_jobs napper | head -1) &&
	expect_code 1 cjobs schedule remove napper </dev/null 2>err &&
	cjobs schedule remove napper --dry-run >out && test_grep "would remove schedule .napper." out &&
	cjobs schedule remove napper --force >out &&
	test_grep "removed schedule .napper.; the 2 jobs it made stay" out &&
	expect_code 1 cjobs schedule show napper 2>err &&
	test_grep "no schedule named .napper." err &&
	test "$(job_field $id status)" = completed &&
	cjobs job show $id >show && test_grep "^schedule: .*(removed), due 2026-04-01T12:00:00Z" show &&
	expect_code 1 cjobs job list --schedule napper 2>err &&
	test_grep "no schedule named .napper." err
'

test_expect_success '--keep N: cleanup first removes the finished jobs of the schedule beyond its newest N, and says how many' '
	cjobs schedule add kept --cron @yearly --keep 2 --image $IMG -- true >/dev/null &&
	cjobs schedule add all --cron @yearly --image $IMG -- true >/dev/null &&
	for i in 1 2 3 4; do cjobs schedule run kept >/dev/null && cjobs schedule run all >/dev/null || exit 1; done &&
	cjobs process-jobs 2>/dev/null &&
	queued=$(cjobs schedule run kept) &&
	cjobs manage-jobs cleanup --dry-run >dry &&
	test_grep "Jobs beyond their schedule.s --keep: 2" dry &&
	sched_jobs kept >before &&
	cjobs manage-jobs cleanup --force >out &&
	test_grep "removed 2 finished jobs beyond their schedule.s --keep" out &&
	sched_jobs kept >after &&
	test "$(cat after | tr "\n" " ")" = "$(sed -n "3,5p" before | tr "\n" " ")" &&
	test "$(sched_jobs all | wc -l)" = 4 &&
	cjobs manage-jobs cancel --job-id $queued >/dev/null
'

test_expect_success 'DST, clocks going forward (Europe/Berlin, 2026-03-29): 02:30 does not happen and runs at 03:00 CEST, once' '
	set_clock 2026-03-27T12:00:00Z &&
	cjobs schedule add spring --cron "30 2 * * *" --tz Europe/Berlin --host m1 --image $IMG -- true >/dev/null &&
	cjobs schedule show spring --format json >s.json &&
	python3 -c "
import json
o = json.load(open(\"s.json\"))
want = [(\"2026-03-28T01:30:00Z\", \"2026-03-28T02:30:00+01:00\"), (\"2026-03-29T01:00:00Z\", \"2026-03-29T03:00:00+02:00\"), (\"2026-03-30T00:30:00Z\", \"2026-03-30T02:30:00+02:00\")]
got = [(n[\"utc\"], n[\"local\"]) for n in o[\"next\"]][:3]
assert got == want, got" &&
	for t in 2026-03-28T01:30:00Z 2026-03-29T00:59:00Z 2026-03-29T01:00:00Z 2026-03-29T01:30:00Z \
		2026-03-29T02:00:00Z 2026-03-30T00:30:00Z; do
		set_clock $t && cjobs process-jobs --host m1 2>/dev/null || exit 1
	done &&
	due_times spring >got &&
	printf "%s\n" $(ms 2026-03-28T01:30:00Z) $(ms 2026-03-29T01:00:00Z) $(ms 2026-03-30T00:30:00Z) >want &&
	test_cmp want got &&
	cjobs schedule remove spring --force >/dev/null
'

test_expect_success 'DST, clocks going back (Europe/Berlin, 2026-10-25): 02:30 happens twice and runs once, at the first' '
	set_clock 2026-10-24T12:00:00Z &&
	cjobs schedule add autumn --cron "30 2 * * *" --tz Europe/Berlin --host m1 --image $IMG -- true >/dev/null &&
	for t in 2026-10-25T00:30:00Z 2026-10-25T01:00:00Z 2026-10-25T01:30:00Z 2026-10-25T02:00:00Z \
		2026-10-26T01:30:00Z; do
		set_clock $t && cjobs process-jobs --host m1 2>/dev/null || exit 1
	done &&
	due_times autumn >got &&
	printf "%s\n" $(ms 2026-10-25T00:30:00Z) $(ms 2026-10-26T01:30:00Z) >want &&
	test_cmp want got &&
	first=$(sched_jobs autumn | head -1) &&
	creation_reason $first >reason && ! grep -q late reason &&
	cjobs schedule remove autumn --force >/dev/null
'

test_expect_success 'db copy carries the schedules, their skipped runs and the jobs naming them' '
	set_clock 2026-10-26T02:00:00Z &&
	cjobs schedule add copyme --cron "0 * * * *" --catch-up none --host m1 --image $IMG -- true >/dev/null &&
	set_clock 2026-10-26T05:30:00Z &&
	cjobs process-jobs --host m1 2>/dev/null &&
	cjobs schedule list --format json >a.json &&
	cjobs db copy --to copy.db >/dev/null 2>&1 &&
	cjobs --database copy.db schedule list --format json >b.json &&
	test_cmp a.json b.json &&
	test -s a.json && test "$(cat a.json)" != "[]" &&
	store_sql "SELECT count(*) FROM schedule_skips" >a.skips &&
	sqlite3 copy.db "SELECT count(*) FROM schedule_skips" >b.skips &&
	test_cmp a.skips b.skips && test "$(cat a.skips)" -gt 0 &&
	id=$(sched_jobs kept | head -1) &&
	cjobs job show $id --format json >a.job &&
	cjobs --database copy.db job show $id --format json >b.job &&
	test_cmp a.job b.job &&
	test "$(cjobs --database copy.db job show $id --format json | python3 -c "import json,sys; print(json.load(sys.stdin)[\"schedule\"])")" = kept
'

test_expect_success 'no container labelled by cjobs is left on the engine' '
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

test_done
