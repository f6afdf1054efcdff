#!/usr/bin/env bash
# stores: both (tests/run runs it again on PostgreSQL)
# manage-jobs cancel: queued, launching and running jobs end cancelled with
# their reason; a running container is stopped within the grace period, its
# output so far is kept and nothing is left on the engine; a worker running
# at the same time is not disturbed; bulk cancels need confirmation.
. "$(dirname "$0")/../lib/test-lib.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
add_test_host e1
add_test_host other
IMG=cjobs-test/busybox:1

# fake_state ID STATUS HOST CONTAINER_NAME [CONTAINER_ID]: put a job in a
# state that only a worker (or a worker that died) leaves it in.
fake_state() {
	local cid=NULL
	[ -n "${5:-}" ] && cid="'$5'"
	store_edit_own "UPDATE jobs SET status = '$2', attempt = 1, ran_on = '$3',
		container_name = '$4', container_id = $cid, worker_id = 'gone:1:x' WHERE id = $1"
}

# history_last ID: "from to actor reason" of the job's last history row.
# container_events NAME...: "NAME kill SIGNAL" or "NAME die EXITCODE" for
# each kill and die event of those containers, in the engine's order (until
# the next whole second, so that the events of this second are all in).
container_events() {
	local f
	f=$(printf '"%s",' "$@")
	curl -s --max-time 10 --unix-socket "$ENGINE_SOCK" -G http://d/events \
		--data-urlencode since=0 --data-urlencode "until=$(($(date +%s) + 1))" \
		--data-urlencode "filters={\"type\":[\"container\"],\"event\":[\"kill\",\"die\"],\"container\":[${f%,}]}" |
		python3 -c '
import json, sys
for l in sys.stdin:
    if l.strip():
        e = json.loads(l); a = e["Actor"]["Attributes"]
        print(a.get("name"), e["Action"], a.get("signal", a.get("exitCode", "-")))'
}
# said NAME TEXT: the container NAME has written a line TEXT (its logs, read
# from the engine): what the job does before it is cancelled has happened.
said() {
	curl -s --max-time 10 --unix-socket "$ENGINE_SOCK" \
		"http://d/containers/$1/logs?stdout=1&stderr=1" | tr -c "[:print:]\n" "\n" | grep -qx "$2"
}
# mkbox NAME SCRIPT: create and start a container of this store's labels
# running sh -c SCRIPT, as a worker that then died would have left it;
# prints its id.
mkbox() {
	local id
	id=$(python3 -c '
import json, sys
print(json.dumps({"Image": sys.argv[1], "Cmd": ["sh", "-c", sys.argv[2]],
    "Labels": {"cjobs.job": "fake", "cjobs.attempt": "1"},
    "HostConfig": {"NetworkMode": "none"}}))' "$IMG" "$2" |
		curl -s --fail --unix-socket "$ENGINE_SOCK" -H "Content-Type: application/json" \
			-d @- "http://d/containers/create?name=$1" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])') &&
	curl -s --fail --unix-socket "$ENGINE_SOCK" -X POST "http://d/containers/$id/start" &&
	echo "$id"
}
# traps N: a job's script that says "started", then on SIGTERM says "term"
# and exits 0 by itself N seconds later (PID 1 of a container ignores
# SIGTERM unless it traps it).
traps() { echo "trap \"echo term; sleep $1; exit 0\" TERM; echo started; sleep 300 & wait"; }
# status_of ID: the job's status read from the store with sqlite3 (cheaper
# than job_field in a wait_for loop on a loaded machine).
status_of() { store_sql "SELECT status FROM jobs WHERE id = $1"; }
history_last() {
	cjobs job show "$1" --format json | python3 -c '
import json,sys
h=json.load(sys.stdin)["history"][-1]
print(h["from"], h["to"], h["actor"], h["reason"])'
}

test_expect_success 'cancel has the full help: sections, warning, errors, exit codes' '
	cjobs manage-jobs cancel --help >out &&
	for s in "Usage Examples:" "How It Works:" "Important Notes:" "WARNING:" \
		"Common Errors:" "Exit Codes:" "Options:"; do
		grep -q "^$s" out || { echo "missing $s"; exit 1; }; done &&
	for o in --job-id --host --reason --grace --dry-run --force; do
		grep -q "^  $o" out || { echo "missing $o"; exit 1; }; done &&
	sed -n "/^  --reason/,/^  --grace/p" out | tr -s " \n" " " | grep -q "Default: Manual cancellation\." &&
	grep -q "root-equivalent" out
'

test_expect_success 'neither or both of --job-id and --host is a usage error' '
	expect_code 1 cjobs manage-jobs cancel 2>err &&
	grep -q "say which jobs to cancel: --job-id ID for one job, or --host NAME" err &&
	expect_code 1 cjobs manage-jobs cancel --job-id 1 --host e1 2>err &&
	grep -q "give either --job-id or --host, not both" err
'

test_expect_success 'an unknown job or host is an error that says how to list them' '
	expect_code 1 cjobs manage-jobs cancel --job-id 999 2>err &&
	grep -q "no job with id 999; .cjobs job list. shows the jobs" err &&
	expect_code 1 cjobs manage-jobs cancel --host nosuch --force 2>err &&
	grep -q "no host named .nosuch.; .cjobs host list. shows the hosts" err
'

test_expect_success 'a queued job ends cancelled at once, with the default reason, and never runs' '
	id=$(cjobs job submit --image $IMG -- echo never) &&
	cjobs manage-jobs cancel --job-id $id >out &&
	grep -q "cancelled job $id (was queued)" out &&
	test "$(job_field $id status)" = cancelled &&
	test "$(history_last $id)" = "queued cancelled manage-jobs Manual cancellation" &&
	cjobs process-jobs &&
	test "$(job_field $id status)" = cancelled &&
	test "$(job_field $id attempt)" = 0
'

test_expect_success 'cancelling a finished job is an error that names its status' '
	id=$(cjobs job submit --image $IMG -- true) &&
	cjobs process-jobs &&
	test "$(job_field $id status)" = completed &&
	before=$(store_digest) &&
	expect_code 1 cjobs manage-jobs cancel --job-id $id 2>err &&
	grep -q "job $id is completed; only queued, launching or running jobs can be cancelled" err &&
	test "$(store_digest)" = "$before"
'

test_expect_success 'a running job is stopped within the grace period: SIGKILL --grace seconds after SIGTERM, its output kept; the daemon is unharmed' '
	# The job would exit by itself 6 s after SIGTERM: with --grace 1 the
	# engine kills it first (kill 9, exit 137), while it says "term".
	id=$(cjobs job submit --image $IMG --host e1 --name victim -- sh -c "$(traps 6)") || exit 1
	"$CJOBS_BIN" process-jobs --daemon --poll-interval 1 >/dev/null 2>daemon.log &
	pid=$!
	{
		wait_for 60 "test \"\$(status_of $id)\" = running" &&
		name=$(job_field $id container_name) &&
		wait_for 60 "said $name started" &&
		cjobs manage-jobs cancel --job-id $id --grace 1 --reason "stopped by the test" </dev/null >out &&
		cat out &&
		container_events $name >events && cat events &&
		test "$(cat events)" = "$(printf "%s\n" "$name kill 15" "$name kill 9" "$name die 137")" &&
		grep -q "cancelled job $id (was running on host e1; container stopped and removed; output so far kept)" out &&
		test "$(job_field $id status)" = cancelled &&
		test "$(history_last $id)" = "running cancelled manage-jobs stopped by the test" &&
		test "$(cjobs job logs $id --stream stdout)" = "$(printf "started\nterm")" &&
		test -z "$(engine_containers "$ENGINE_SOCK")" &&
		# The worker that ran it sees it die; once it has run a job after
		# that, it has had its say about the victim too.
		after=$(cjobs job submit --image $IMG --host e1 -- echo after) &&
		wait_for 60 "test \"\$(status_of $after)\" = completed" &&
		kill -0 $pid &&
		test "$(history_last $id)" = "running cancelled manage-jobs stopped by the test" &&
		test "$(cjobs job logs $id --stream stdout)" = "$(printf "started\nterm")"
	}; ok=$?
	kill -TERM $pid; wait $pid; rc=$?
	cat daemon.log
	test $ok = 0 && test $rc = 0 &&
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

test_expect_success 'a container that stops by itself within --grace is not killed; the output kept is cut at [worker] output_limit' '
	# Its worker died: only the cancel touches it. It exits 2 s after
	# SIGTERM, well within --grace 60.
	id=$(cjobs job submit --image $IMG -- sleep 300) &&
	cid=$(mkbox cjobs-grace-1 "$(traps 2)") &&
	wait_for 60 "said cjobs-grace-1 started" &&
	fake_state $id running e1 cjobs-grace-1 $cid &&
	printf "[worker]\noutput_limit = 5\n" >limit5.ini &&
	cjobs --config limit5.ini manage-jobs cancel --job-id $id --grace 60 </dev/null >out &&
	cat out &&
	container_events cjobs-grace-1 >events && cat events &&
	test "$(cat events)" = "$(printf "%s\n" "cjobs-grace-1 kill 15" "cjobs-grace-1 die 0")" &&
	grep -q "cancelled job $id (was running on host e1; container stopped and removed; output so far kept)" out &&
	test "$(store_sql "select $(sql_blob_text data), total_bytes from job_output where job_id = $id and stream = 1")" = "start|13" &&
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

test_expect_success '--grace 0 kills at once; --output-limit given on the command line wins over the configuration' '
	# It would exit by itself 6 s after SIGTERM, but is not given the time.
	id=$(cjobs job submit --image $IMG -- sleep 300) &&
	cid=$(mkbox cjobs-grace-2 "$(traps 6)") &&
	wait_for 60 "said cjobs-grace-2 started" &&
	fake_state $id running e1 cjobs-grace-2 $cid &&
	cjobs --config limit5.ini manage-jobs cancel --job-id $id --grace 0 --output-limit 3 </dev/null >out &&
	cat out &&
	container_events cjobs-grace-2 >events && cat events &&
	test "$(cat events)" = "$(printf "%s\n" "cjobs-grace-2 kill 15" "cjobs-grace-2 kill 9" "cjobs-grace-2 die 137")" &&
	test "$(store_sql "select $(sql_blob_text data) from job_output where job_id = $id and stream = 1")" = sta &&
	test "$(job_field $id status)" = cancelled &&
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

test_expect_success '--host on a non-terminal refuses without --force and changes nothing' '
	a=$(cjobs job submit --image $IMG --host e1 -- true) &&
	b=$(cjobs job submit --image $IMG --host e1 -- true) &&
	c=$(cjobs job submit --image $IMG --host other -- true) &&
	# Queued again after an attempt on e1, but not pinned to it: not one of
	# the jobs of e1 that --host cancels.
	d=$(cjobs job submit --image $IMG -- true) &&
	store_edit_own "UPDATE jobs SET attempt = 1, ran_on = '\''e1'\'' WHERE id = $d" &&
	before=$(store_digest) &&
	expect_code 1 cjobs manage-jobs cancel --host e1 </dev/null 2>err &&
	grep -q "refusing to cancel 2 job(s) on host .e1. without confirmation: standard input is not a terminal; add --force to cancel them" err &&
	test "$(store_digest)" = "$before" &&
	echo y | expect_code 1 cjobs manage-jobs cancel --host e1 2>err &&
	grep -q "add --force" err &&
	test "$(store_digest)" = "$before"
'

test_expect_success '--host --dry-run lists the jobs and changes nothing, even with --force' '
	before=$(store_digest) &&
	cjobs manage-jobs cancel --host e1 --dry-run </dev/null >out &&
	test "$(grep -c "^would cancel job" out)" = 2 &&
	grep -q "2 job(s) would be cancelled" out &&
	test "$(store_digest)" = "$before" &&
	cjobs manage-jobs cancel --host e1 --dry-run --force </dev/null >out &&
	grep -q "2 job(s) would be cancelled" out &&
	test "$(store_digest)" = "$before"
'

test_expect_success '--host on a terminal asks: no changes nothing, yes cancels' '
	before=$(store_digest) &&
	printf "n\n" | expect_code 1 script -qec "\"$CJOBS_BIN\" manage-jobs cancel --host other" /dev/null >out &&
	grep -q "Cancel these 1 job(s) on host .other.? \[y/N\]" out &&
	grep -q "nothing was cancelled" out &&
	test "$(store_digest)" = "$before" &&
	printf "y\n" | script -qec "\"$CJOBS_BIN\" manage-jobs cancel --host other" /dev/null >out &&
	grep -q "cancelled 1 of 1 job(s) on host .other." out &&
	test "$(cjobs job list --status queued --format csv | sed 1d | wc -l)" = 3
'

test_expect_success '--host --force cancels every job of that host and only those' '
	ids=$(cjobs manage-jobs cancel --host e1 --dry-run | sed -n "s/^would cancel job \([0-9]*\) .*/\1/p") &&
	test $(echo $ids | wc -w) = 2 &&
	cjobs manage-jobs cancel --host e1 --force --reason "host maintenance" </dev/null >out &&
	grep -q "cancelled 2 of 2 job(s) on host .e1." out &&
	for j in $ids; do
		test "$(status_of $j)" = cancelled || exit 1
		test "$(history_last $j)" = "queued cancelled manage-jobs host maintenance" || exit 1
	done &&
	left=$(cjobs job list --status queued --format csv | sed 1d | cut -d, -f1) &&
	test "$left" = "$(store_sql "select id from jobs where ran_on = '\''e1'\'' and status = '\''queued'\''")" &&
	cjobs manage-jobs cancel --host e1 --force >out &&
	grep -q "nothing to cancel" out &&
	cjobs manage-jobs cancel --job-id $left </dev/null >/dev/null
'

test_expect_success '--host --force stops several running jobs at once, not one after the other' '
	a=$(cjobs job submit --image $IMG --host e1 -- sh -c "echo a; sleep 300") &&
	b=$(cjobs job submit --image $IMG --host e1 -- sh -c "echo b; sleep 300") || exit 1
	"$CJOBS_BIN" process-jobs --daemon --poll-interval 1 >/dev/null 2>daemon2.log &
	pid=$!
	{
		wait_for 60 "test \"\$(status_of $a)\" = running && test \"\$(status_of $b)\" = running" &&
		wait_for 60 "said $(job_field $a container_name) a && said $(job_field $b container_name) b" &&
		cjobs manage-jobs cancel --host e1 --force --grace 3 </dev/null >out &&
		cat out &&
		container_events $(job_field $a container_name) $(job_field $b container_name) >events &&
		cat events &&
		# Both got SIGTERM before either died: stopped together, not in turn.
		test "$(head -2 events | awk "{print \$2 \$3}" | tr "\n" " ")" = "kill15 kill15 " &&
		test "$(grep -c " die " events)" = 2 &&
		test "$(job_field $a status)" = cancelled && test "$(job_field $b status)" = cancelled &&
		test "$(cjobs job logs $a --stream stdout)" = a &&
		test "$(cjobs job logs $b --stream stdout)" = b &&
		test -z "$(engine_containers "$ENGINE_SOCK")"
	}; ok=$?
	kill -TERM $pid; wait $pid; rc=$?
	test $ok = 0 && test $rc = 0
'

# Moves are committed 256 at a time (ops/cancel.c, CANCEL_BATCH): 600 jobs
# take three transactions, the last one partly full.
test_expect_success '--host --force over 600 queued jobs (several transactions): each cancelled once, with one history row' '
	first=$(store_sql "select coalesce(max(id), 0) from jobs") &&
	cjobs job submit --image $IMG --host other --count 600 -- true >/dev/null &&
	cjobs manage-jobs cancel --host other --force --reason "in batches" </dev/null >out &&
	grep -q "cancelled 600 of 600 job(s) on host .other." out &&
	test "$(grep -c "^cancelled job [0-9]* (was queued)\$" out)" = 600 &&
	test "$(store_sql "select count(*) from jobs where id > $first and host = '\''other'\'' and status = '\''cancelled'\''")" = 600 &&
	test "$(store_sql "select count(*) from jobs where id > $first and status <> '\''cancelled'\''")" = 0 &&
	test "$(store_sql "select count(*), count(distinct h.job_id) from job_history h join jobs j on j.id = h.job_id where j.id > $first and h.to_status = '\''cancelled'\'' and h.actor = '\''manage-jobs'\'' and h.reason = '\''in batches'\''")" = "600|600"
'

# A commit that fails (planted on PostgreSQL: a deferred constraint trigger
# on the history raises at COMMIT for one reason) undoes the whole batch:
# the jobs stay as they were, the running one's container goes on, and
# each job says its cancellation was not stored.
if [ -n "$TEST_PG_DB" ]; then
test_expect_success 'PostgreSQL: a cancellation whose commit fails changes nothing: jobs as they were, the running container not stopped, each job named with the error' '
	store_sql "CREATE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN RAISE EXCEPTION '\''planted refusal at commit'\''; END \$\$; CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON job_history DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.reason = '\''refused at commit'\'') EXECUTE FUNCTION refuse_at_commit()" &&
	r=$(cjobs job submit --image $IMG --host e1 -- sh -c "echo r; sleep 300") || exit 1
	"$CJOBS_BIN" process-jobs --daemon --max-jobs 1 --poll-interval 1 >/dev/null 2>daemon3.log &
	pid=$!
	{
		wait_for 60 "test \"\$(status_of $r)\" = running" &&
		wait_for 60 "said $(job_field $r container_name) r" &&
		q1=$(cjobs job submit --image $IMG --host e1 -- true) &&
		q2=$(cjobs job submit --image $IMG --host e1 -- true) &&
		hist="select count(*) from job_history where to_status = '\''cancelled'\''" &&
		before=$(store_sql "$hist") &&
		expect_code 1 cjobs manage-jobs cancel --host e1 --force --reason "refused at commit" </dev/null >out 2>err &&
		cat out err &&
		for j in $r $q1 $q2; do
			test_grep -q "^cjobs: error: job $j: the cancellation could not be stored (nothing changed): .*planted refusal at commit" err || exit 1
		done &&
		test "$(store_sql "$hist")" = "$before" &&
		test "$(status_of $r)" = running &&
		test "$(status_of $q1)" = queued && test "$(status_of $q2)" = queued &&
		container_events $(job_field $r container_name) >events &&
		! grep -q " kill\| die " events &&
		cjobs manage-jobs cancel --host e1 --force --grace 0 </dev/null >out &&
		grep -q "cancelled 3 of 3 job(s) on host .e1." out &&
		test -z "$(engine_containers "$ENGINE_SOCK")"
	}; ok=$?
	kill -TERM $pid; wait $pid; rc=$?
	store_sql "DROP TRIGGER refuse_at_commit ON job_history; DROP FUNCTION refuse_at_commit()" &&
	test $ok = 0 && test $rc = 0
'
fi

test_expect_success 'a launching job whose worker died: cancelled, and its container removed' '
	id=$(cjobs job submit --image $IMG -- sleep 300) &&
	curl -s --fail --unix-socket "$ENGINE_SOCK" -H "Content-Type: application/json" \
		-d "{\"Image\":\"$IMG\",\"Cmd\":[\"sleep\",\"300\"],\"Labels\":{\"cjobs.job\":\"fake\"}}" \
		"http://d/containers/create?name=cjobs-fake-1" >/dev/null &&
	test -n "$(engine_containers "$ENGINE_SOCK")" &&
	fake_state $id launching e1 cjobs-fake-1 &&
	cjobs manage-jobs cancel --job-id $id >out &&
	grep -q "cancelled job $id (was launching on host e1; container removed)" out &&
	test "$(job_field $id status)" = cancelled &&
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

test_expect_success 'a job launching in a live worker: cancelled, and the worker leaves no container' '
	dpid=$(cat "$TEST_DIR/e1/docker.pid") || exit 1
	"$CJOBS_BIN" process-jobs --daemon --poll-interval 1 --host e1 --verbosity 2 >/dev/null 2>daemon3.log &
	pid=$!
	# Once the worker has found the engine, a stopped engine holds it in
	# the middle of the launch.
	wait_for 60 "grep -q \"host .e1.: engine\" daemon3.log"; ok=$?
	kill -STOP $dpid
	{
		test $ok = 0 &&
		id=$(cjobs job submit --image $IMG --host e1 -- sh -c "echo never; sleep 300") &&
		wait_for 60 "test \"\$(status_of $id)\" = launching"
	}; ok=$?
	if [ $ok = 0 ]; then
		"$CJOBS_BIN" manage-jobs cancel --job-id $id >out 2>err &
		cpid=$!
		wait_for 60 "test \"\$(status_of $id)\" = cancelled"; ok=$?
	fi
	kill -CONT $dpid
	test $ok = 0 && wait $cpid; ok=$?
	{
		test $ok = 0 &&
		cat out err &&
		wait_for 60 "test -z \"\$(engine_containers "$ENGINE_SOCK")\"" &&
		# A job the worker runs after it has dropped the cancelled one.
		after=$(cjobs job submit --image $IMG --host e1 -- echo after) &&
		wait_for 60 "test \"\$(status_of $after)\" = completed" &&
		test "$(job_field $id status)" = cancelled &&
		test "$(history_last $id)" = "launching cancelled manage-jobs Manual cancellation" &&
		kill -0 $pid
	}; ok=$?
	kill -TERM $pid; wait $pid; rc=$?
	cat daemon3.log
	test $ok = 0 && test $rc = 0 &&
	test "$(job_field $id status)" = cancelled &&
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

test_expect_success 'a running job whose engine is down: cancelled in the store, exit 2 saying so' '
	cjobs host add down --url "unix://$TEST_DIR/none.sock" >/dev/null &&
	cjobs host disable down >/dev/null &&
	id=$(cjobs job submit --image $IMG -- sleep 300) &&
	fake_state $id running down cjobs-x-1 abc123 &&
	expect_code 2 cjobs manage-jobs cancel --job-id $id >out 2>err &&
	cat out err &&
	grep -q "job $id is cancelled, but its container cjobs-x-1 could not be stopped: cannot connect to engine" err &&
	test "$(job_field $id status)" = cancelled
'

test_expect_success 'bad option values are refused before anything changes' '
	id=$(cjobs job submit --image $IMG -- true) &&
	before=$(store_digest) &&
	expect_code 1 cjobs manage-jobs cancel --job-id $id --reason "" 2>err &&
	grep -q "the reason is empty" err &&
	expect_code 1 cjobs manage-jobs cancel --job-id $id --grace 2h 2>err &&
	grep -q "from 0 to 3600 seconds" err &&
	expect_code 1 cjobs manage-jobs cancel --job-id 0 2>err &&
	grep -q "option --job-id: .0. is not a whole number from 1 to" err &&
	test "$(store_digest)" = "$before" &&
	cjobs manage-jobs cancel --job-id $id --dry-run >out &&
	grep -q "would cancel job $id (queued" out &&
	test "$(store_digest)" = "$before"
'

test_expect_success 'no container labelled by cjobs is left on the engine' '
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

test_done
