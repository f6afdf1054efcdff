#!/usr/bin/env bash
# stores: both (tests/run runs it again on PostgreSQL)
# Dependencies between jobs: --after ID[:ok|any|notok], pipelines named in
# one --file, what a failed or cancelled dependency does to the jobs after
# it, --cascade, and what status, list and show say about waiting jobs. The
# jobs run in real containers on the test engine.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$(dirname "$0")/../lib/serve.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
add_test_host e1 --max-jobs 8
IMG=cjobs-test/busybox:1
trap 'serve_stop_all; test_cleanup' EXIT

# start_worker: a daemon in the background, stopped when the test body ends.
start_worker() {
	"$CJOBS_BIN" process-jobs --daemon --verbosity 2 2>>worker.log &
	stop_on_exit $!
}
# history_reasons ID: the reasons of the job's history, one per line.
history_reasons() {
	cjobs job show "$1" --format json |
		python3 -c 'import json,sys; [print(h["reason"] or "") for h in json.load(sys.stdin)["history"]]'
}
# cli_cycle_error: what the command line says of the cycle x -> y -> x.
cli_cycle_error() {
	printf "%s\n" "{\"image\": \"$IMG\", \"name\": \"x\", \"after\": [\"y\"]}" \
		"{\"image\": \"$IMG\", \"name\": \"y\", \"after\": [\"x\"]}" |
		"$CJOBS_BIN" job submit --file - 2>&1 | head -1 | sed "s/^cjobs: error: //; s/; nothing was queued\$//"
}
# started_after A B: job B started no earlier than job A finished.
started_after() {
	test "$(job_field "$2" started_at)" \> "$(job_field "$1" finished_at)" ||
		test "$(job_field "$2" started_at)" = "$(job_field "$1" finished_at)"
}

test_expect_success 'a job --after another waits while it runs, is listed as waiting, then runs when it completed' '
	store_delete_jobs &&
	a=$(cjobs job submit --image $IMG --name first -- sh -c "$GATED") &&
	b=$(cjobs job submit --image $IMG --name second --after $a -- echo second) &&
	test "$(job_field $b waiting_on)" = 1 &&
	start_worker &&
	wait_for 60 "test \"\$(job_field $a status)\" = running" &&
	test "$(job_field $b status)" = queued &&
	cjobs job list --waiting --format csv >waiting.csv &&
	test "$(tail -n +2 waiting.csv | cut -d, -f1)" = "$b" &&
	cjobs manage-jobs status --format json >st.json &&
	python3 -c "
import json; q = json.load(open(\"st.json\"))[\"queue\"]
assert q[\"waiting\"] == 1 and q[\"ready\"] == 0, q" &&
	cjobs manage-jobs status >st.txt &&
	test_grep "0 ready now, 0 scheduled later, 1 waiting for other jobs" st.txt &&
	cjobs job show $b >show.txt &&
	test_grep "^waits for: *$a (ok: waiting, running)" show.txt &&
	job_release $a &&
	wait_for 60 "test \"\$(job_field $b status)\" = completed" &&
	test "$(cjobs job logs $b --stream stdout)" = second &&
	started_after $a $b &&
	cjobs job show $a >show.txt &&
	test_grep "^waited for by: $b (ok: met, completed)" show.txt &&
	test -z "$(cjobs job list --waiting --format csv | tail -n +2)"
'

test_expect_success 'a failed dependency cancels the jobs waiting with ok, and theirs in turn; notok and any run' '
	store_delete_jobs &&
	a=$(cjobs job submit --image $IMG -- sh -c "exit 3") &&
	ok=$(cjobs job submit --image $IMG --after $a -- echo never) &&
	next=$(cjobs job submit --image $IMG --after $ok -- echo never) &&
	bad=$(cjobs job submit --image $IMG --after $a:notok -- echo cleanup) &&
	any=$(cjobs job submit --image $IMG --after $a:any -- echo always) &&
	start_worker &&
	wait_for 60 "test \"\$(job_field $bad status)\" = completed && test \"\$(job_field $any status)\" = completed" &&
	test "$(job_field $a status)" = failed &&
	test "$(job_field $ok status)" = cancelled &&
	test "$(job_field $ok last_error)" = "dependency job $a failed" &&
	history_reasons $ok | grep -qx "dependency job $a failed" &&
	test "$(job_field $next status)" = cancelled &&
	history_reasons $next | grep -qx "dependency job $ok was cancelled" &&
	test "$(job_field $ok attempt)" = 0 &&
	test "$(cjobs job logs $bad --stream stdout)" = cleanup &&
	test "$(cjobs job logs $any --stream stdout)" = always
'

test_expect_success 'a dependency that completes cancels the job waiting for its failure' '
	store_delete_jobs &&
	a=$(cjobs job submit --image $IMG -- true) &&
	b=$(cjobs job submit --image $IMG --after $a:notok -- echo never) &&
	start_worker &&
	wait_for 60 "test \"\$(job_field $b status)\" = cancelled" &&
	test "$(job_field $a status)" = completed &&
	test "$(job_field $b last_error)" = "dependency job $a completed, and this job waits for a failure"
'

test_expect_success 'a dependency retried by hand after it ended settles nothing twice' '
	store_delete_jobs &&
	a=$(cjobs job submit --image $IMG -- sh -c "exit 3") &&
	later=$(cjobs job submit --image $IMG --at +1h -- true) &&
	b=$(cjobs job submit --image $IMG --after $a:any --after $later -- true) &&
	test "$(job_field $b waiting_on)" = 2 &&
	{ cjobs process-jobs 2>/dev/null; test $? = 3; } &&
	test "$(job_field $b waiting_on)" = 1 &&
	cjobs manage-jobs retry --job-id $a --force >/dev/null &&
	cjobs job show $b >show.txt &&
	test_grep "^waits for: *$a (any: met, queued), $later (ok: waiting, queued)" show.txt &&
	{ cjobs process-jobs 2>/dev/null; test $? = 3; } &&
	test "$(job_field $a attempt)" = 2 &&
	test "$(job_field $b waiting_on)" = 1 &&
	test "$(job_field $b status)" = queued
'

test_expect_success 'the retries of a dependency come first: its dependents decide on its last attempt' '
	store_delete_jobs &&
	a=$(cjobs job submit --image $IMG --volume cjobs-t0870:/v --max-retries 1 \
		--retry-on-exit-code 3 --retry-strategy aggressive -- \
		sh -c "if [ -e /v/tried ]; then rm /v/tried; echo second; else touch /v/tried; exit 3; fi") &&
	b=$(cjobs job submit --image $IMG --after $a -- echo after) &&
	start_worker &&
	wait_for 90 "test \"\$(job_field $b status)\" = completed" &&
	test "$(job_field $a status)" = completed &&
	test "$(job_field $a attempt)" = 2 &&
	test "$(cjobs job logs $b --stream stdout)" = after &&
	started_after $a $b
'

test_expect_success 'a pipeline named in one --file runs in order, each step after the one it names' '
	store_delete_jobs &&
	cat >pipe.jsonl <<-EOF &&
	{"name": "load", "after": ["transform"], "command": ["echo", "load"]}
	{"name": "extract", "command": ["echo", "extract"]}
	{"name": "transform", "after": ["extract"], "command": ["echo", "transform"]}
	{"name": "report", "after": ["load:any", "extract"], "command": ["echo", "report"]}
	EOF
	cjobs job submit --image $IMG --file pipe.jsonl >ids &&
	test "$(wc -l <ids)" = 4 &&
	load=$(sed -n 1p ids) extract=$(sed -n 2p ids) transform=$(sed -n 3p ids) report=$(sed -n 4p ids) &&
	test "$(job_field $extract waiting_on)" = 0 &&
	test "$(job_field $report waiting_on)" = 2 &&
	start_worker &&
	wait_for 90 "test \"\$(job_field $report status)\" = completed" &&
	for id in $load $extract $transform; do
		test "$(job_field $id status)" = completed || exit 1
	done &&
	started_after $extract $transform &&
	started_after $transform $load &&
	started_after $load $report &&
	cjobs job show $report --format json | python3 -c "
import json, sys; o = json.load(sys.stdin)
assert [(d[\"job\"], d[\"on\"], d[\"state\"]) for d in o[\"after\"]] == [($extract, \"ok\", \"met\"), ($load, \"any\", \"met\")], o[\"after\"]"
'

test_expect_success 'a --file gives its jobs ids stage by stage: a job after those it waits for, each stage in line order' '
	store_delete_jobs &&
	cat >stages.jsonl <<-EOF &&
	{"name": "a1", "command": ["true"]}
	{"name": "a2", "after": ["a1"], "command": ["true"]}
	{"name": "a3", "after": ["a2"], "command": ["true"]}
	{"name": "b1", "command": ["true"]}
	{"name": "b2", "after": ["b1"], "command": ["true"]}
	{"name": "c", "after": ["b1", "a2"], "command": ["true"]}
	EOF
	cjobs job submit --image $IMG --file stages.jsonl >ids &&
	first=$(sort -n ids | head -1) &&
	for line in 1 2 3 4 5 6; do
		echo $(( $(sed -n ${line}p ids) - first )) || exit 1
	done >offsets &&
	printf "%s\n" 0 2 4 1 3 5 >want &&
	test_cmp want offsets &&
	line=0 &&
	for name in a1 a2 a3 b1 b2 c; do
		line=$((line + 1)) &&
		test "$(job_field $(sed -n ${line}p ids) name)" = $name || exit 1
	done
'

API_TOKEN=$("$CJOBS_BIN" token create deps --scope admin 2>/dev/null)
serve_start "$TEST_DIR/serve.log" || { echo "Bail out! no server"; exit 1; }

test_expect_success 'the API queues a named pipeline all or nothing, and shows both directions of a job' '
	store_delete_jobs &&
	api POST /api/v1/jobs "[{\"image\": \"$IMG\", \"name\": \"b\", \"after\": [\"a:any\"], \"command\": [\"true\"]},
		{\"image\": \"$IMG\", \"name\": \"a\", \"command\": [\"true\"]}]" >/dev/null &&
	status_is 201 &&
	b=$(jq_py "d[\"ids\"][0]") a=$(jq_py "d[\"ids\"][1]") &&
	test $a -lt $b &&
	api GET /api/v1/jobs/$a >/dev/null && status_is 200 &&
	test "$(jq_py "[(x[\"job\"], x[\"on\"], x[\"state\"]) for x in d[\"waited_for_by\"]]")" = "[[$b, \"any\", \"waiting\"]]" &&
	api GET /api/v1/jobs/$b >/dev/null &&
	test "$(jq_py "d[\"waiting_on\"]")" = 1 &&
	api GET /api/v1/status >/dev/null &&
	test "$(jq_py "d[\"queue\"][\"waiting\"]")" = 1 &&
	before=$(store_sql "SELECT count(*) FROM jobs") &&
	api POST /api/v1/jobs "[{\"image\": \"$IMG\", \"name\": \"x\", \"after\": [\"y\"]},
		{\"image\": \"$IMG\", \"name\": \"y\", \"after\": [\"x\"]}]" >/dev/null &&
	status_is 400 &&
	error_is "$(cli_cycle_error)" &&
	test "$(store_sql "SELECT count(*) FROM jobs")" = "$before"
'

test_expect_success 'a cycle, an unknown name, a name used twice or a job waiting for itself queue nothing' '
	store_delete_jobs &&
	printf "%s\n" "{\"name\": \"a\", \"after\": [\"c\"], \"command\": [\"true\"]}" \
		"{\"name\": \"b\", \"after\": [\"a\"], \"command\": [\"true\"]}" \
		"{\"name\": \"c\", \"after\": [\"b\"], \"command\": [\"true\"]}" >cycle.jsonl &&
	expect_code 1 cjobs job submit --image $IMG --file cycle.jsonl 2>err &&
	test_grep "cycle, so none could ever start: job .a. -> job .c. -> job .b. -> job .a." err &&
	printf "%s\n" "{\"name\": \"a\", \"after\": [\"nope\"], \"command\": [\"true\"]}" >unknown.jsonl &&
	expect_code 1 cjobs job submit --image $IMG --file unknown.jsonl 2>err &&
	test_grep "job .a.: --after .nope. is neither a job id nor the name of another job of the same submission" err &&
	printf "%s\n" "{\"name\": \"a\", \"command\": [\"true\"]}" "{\"name\": \"a\", \"command\": [\"true\"]}" \
		"{\"after\": [\"a\"], \"command\": [\"true\"]}" >twice.jsonl &&
	expect_code 1 cjobs job submit --image $IMG --file twice.jsonl 2>err &&
	test_grep "several jobs of the submission have that name" err &&
	printf "%s\n" "{\"name\": \"me\", \"after\": [\"me\"], \"command\": [\"true\"]}" >self.jsonl &&
	expect_code 1 cjobs job submit --image $IMG --file self.jsonl 2>err &&
	test_grep "job .me. waits for itself" err &&
	test "$(store_sql "SELECT count(*) FROM jobs")" = 0 &&
	test "$(store_sql "SELECT count(*) FROM job_deps")" = 0
'

test_expect_success '--after a job that ended: met at once, or refused when it never can be' '
	store_delete_jobs &&
	a=$(cjobs job submit --image $IMG -- true) &&
	f=$(cjobs job submit --image $IMG -- false) &&
	{ cjobs process-jobs 2>/dev/null; test $? = 3; } &&
	test "$(job_field $a status)" = completed && test "$(job_field $f status)" = failed &&
	b=$(cjobs job submit --image $IMG --after $a --after $f:notok -- true) &&
	test "$(job_field $b waiting_on)" = 0 &&
	before=$(store_sql "SELECT count(*) FROM jobs") &&
	expect_code 1 cjobs job submit --image $IMG --after $f -- true 2>err &&
	test_grep "job $f failed already, so a job --after $f:ok could never start" err &&
	expect_code 1 cjobs job submit --image $IMG --after $a:notok -- true 2>err &&
	test_grep "job $a completed already" err &&
	expect_code 1 cjobs job submit --image $IMG --after 99999 -- true 2>err &&
	test_grep "no job with id 99999" err &&
	expect_code 1 cjobs job submit --image $IMG --after $a:maybe -- true 2>err &&
	test_grep "the condition after .:. is ok, any or notok" err &&
	expect_code 1 cjobs job submit --image $IMG --after $a --after $a -- true 2>err &&
	test_grep "is named twice" err &&
	test "$(store_sql "SELECT count(*) FROM jobs")" = "$before"
'

test_expect_success 'manage-jobs cancel --cascade stops a running job and cancels everything after it' '
	store_delete_jobs &&
	a=$(cjobs job submit --image $IMG -- sh -c "$GATED") &&
	b=$(cjobs job submit --image $IMG --after $a:any -- echo never) &&
	c=$(cjobs job submit --image $IMG --after $b:notok -- echo never) &&
	other=$(cjobs job submit --image $IMG --after $a:any -- true) &&
	start_worker &&
	wait_for 60 "test \"\$(job_field $a status)\" = running" &&
	expect_code 1 cjobs manage-jobs cancel --job-id $a --cascade </dev/null 2>err &&
	test_grep "refusing to cancel 4 job(s) (job $a and the jobs that wait for it)" err &&
	test "$(job_field $b status)" = queued &&
	cjobs manage-jobs cancel --job-id $a --cascade --dry-run >dry &&
	test "$(grep -c "^would cancel job" dry)" = 4 &&
	cjobs manage-jobs cancel --job-id $a --cascade --force --grace 0 >out &&
	test_grep "cancelled 4 of 4 job(s): job $a and the jobs that wait for it" out &&
	for id in $a $b $c $other; do
		test "$(job_field $id status)" = cancelled || exit 1
	done &&
	history_reasons $b | grep -qx "cancelled with job $a (--cascade): Manual cancellation" &&
	history_reasons $a | grep -qx "Manual cancellation" &&
	test "$(job_field $b attempt)" = 0 &&
	test -z "$(engine_containers "$ENGINE_SOCK")" &&
	expect_code 1 cjobs manage-jobs cancel --host e1 --cascade 2>err &&
	test_grep "give the job with --job-id ID" err
'

test_expect_success 'without --cascade, cancelling a job cancels those that wait for it with ok; those with any run' '
	store_delete_jobs &&
	a=$(cjobs job submit --image $IMG --at +1h -- true) &&
	ok=$(cjobs job submit --image $IMG --after $a -- true) &&
	any=$(cjobs job submit --image $IMG --after $a:any -- echo ran) &&
	cjobs manage-jobs cancel --job-id $a >/dev/null &&
	test "$(job_field $ok status)" = cancelled &&
	test "$(job_field $ok last_error)" = "dependency job $a was cancelled" &&
	test "$(job_field $any waiting_on)" = 0 &&
	cjobs process-jobs 2>/dev/null &&
	test "$(cjobs job logs $any --stream stdout)" = ran
'

test_expect_success 'db copy keeps the dependencies, and says how many it copied' '
	store_delete_jobs &&
	a=$(cjobs job submit --image $IMG --at +1h -- true) &&
	b=$(cjobs job submit --image $IMG --after $a:any -- true) &&
	cjobs db copy --to "$TEST_DIR/copy.db" >out 2>&1 &&
	test_grep "2 jobs, 1 dependency," out &&
	cjobs --database "$TEST_DIR/copy.db" job show $b --format json >copy.json &&
	cjobs job show $b --format json >orig.json &&
	python3 -c "
import json
a, b = json.load(open(\"orig.json\")), json.load(open(\"copy.json\"))
assert a[\"after\"] == b[\"after\"] == [{\"job\": $a, \"on\": \"any\", \"state\": \"waiting\", \"status\": \"queued\"}], (a, b)
assert b[\"waiting_on\"] == 1" &&
	test "$(cjobs --database "$TEST_DIR/copy.db" job list --waiting --format csv | tail -n +2 | cut -d, -f1)" = "$b"
'

test_done
