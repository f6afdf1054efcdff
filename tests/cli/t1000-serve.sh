#!/usr/bin/env bash
# stores: both (tests/run runs it again on PostgreSQL)
# cjobs serve and cjobs token: the REST API against a real store and a
# real private engine. Each endpoint answers as its help says, with the
# objects and the error texts of the command line, and a refused request
# changes nothing.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$(dirname "$0")/../lib/serve.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
add_test_host e1
IMG=cjobs-test/busybox:1
trap 'serve_stop_all; test_cleanup' EXIT

# The first line of a command's error, without its "cjobs: error: ".
cli_err() { "$CJOBS_BIN" "$@" 2>&1 >/dev/null | head -1 | sed 's/^cjobs: error: //'; }

test_expect_success 'token create prints a token once; the store keeps only its hash' '
	cjobs token create ops --scope admin >admin.tok 2>err &&
	grep -q "shown only now" err &&
	grep -qx "cjobs_[A-Za-z0-9_-]\{43\}" admin.tok &&
	cjobs token create ro --scope read >read.tok &&
	cjobs token create sub --scope submit >submit.tok &&
	test "$(store_sql "SELECT count(*) FROM api_tokens WHERE hash = '"'"'$(cat admin.tok)'"'"'")" = 0 &&
	test "$(store_sql "SELECT count(*) FROM api_tokens WHERE hash = '"'"'$(printf %s "$(cat admin.tok)" | sha256sum | cut -c1-64)'"'"'")" = 1 &&
	cjobs token list >list && ! grep -q cjobs_ list &&
	grep -q "^ops  *admin" list && grep -q "^ro  *read" list
'

test_expect_success 'token create refuses a name in use, a bad name and a bad scope, and changes nothing' '
	before=$(store_sql "SELECT count(*) FROM api_tokens") &&
	expect_code 1 cjobs token create ops 2>err &&
	grep -q "a token named .ops. already exists" err &&
	expect_code 1 cjobs token create "a b" 2>err &&
	grep -q "letters, digits" err &&
	expect_code 1 cjobs token create x --scope root 2>err &&
	grep -q "not one of: read, submit, admin" err &&
	test "$(store_sql "SELECT count(*) FROM api_tokens")" = "$before"
'

serve_start "$TEST_DIR/serve.log" || { echo "Bail out! no server"; exit 1; }
API_TOKEN=$(cat "$TEST_DIR/admin.tok")
READ_TOKEN=$(cat "$TEST_DIR/read.tok")
SUBMIT_TOKEN=$(cat "$TEST_DIR/submit.tok")
export API_TOKEN READ_TOKEN SUBMIT_TOKEN SERVE_URL

test_expect_success 'the server listens on the free port it logs, and /healthz answers without a token' '
	case $SERVE_URL in http://127.0.0.1:[1-9]*) ;; *) echo "$SERVE_URL"; false ;; esac &&
	api -t "" GET /healthz >/dev/null && status_is 200 &&
	test "$(jq_py "d[\"ok\"]")" = true
'

test_expect_success 'every /api/v1 request needs a token: none, an unknown or a revoked one is 401, before any other answer' '
	api -t "" GET /api/v1/jobs >/dev/null && status_is 401 &&
	error_is "this request needs a token: send '"'"'Authorization: Bearer TOKEN'"'"' (make one with '"'"'cjobs token create NAME --scope read|submit|admin'"'"')" &&
	api -t cjobs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA GET /api/v1/jobs >/dev/null &&
	status_is 401 && jq_py "d[\"error\"]" | grep -q "unknown token" &&
	api -t nonsense GET /api/v1/jobs >/dev/null && status_is 401 &&
	api -H "Authorization: Basic eDp5" -t "" GET /api/v1/jobs >/dev/null && status_is 401 &&
	cjobs token create gone --scope admin >gone.tok &&
	api -t "$(cat gone.tok)" GET /api/v1/jobs >/dev/null && status_is 200 &&
	cjobs token revoke gone >/dev/null &&
	api -t "$(cat gone.tok)" GET /api/v1/jobs >/dev/null && status_is 401 &&
	jq_py "d[\"error\"]" | grep -q "revoked" &&
	api -t "$(cat gone.tok)" GET /api/v1/jobs/1 >/dev/null && status_is 401 &&
	jq_py "d[\"error\"]" | grep -q "revoked" &&
	api -t "$(cat gone.tok)" GET /api/v1/jobs/999999 >/dev/null && status_is 401 &&
	api -t "$(cat gone.tok)" GET "/api/v1/jobs?limit=0" >/dev/null && status_is 401 &&
	api -t cjobs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA GET /api/v1/jobs/999999 >/dev/null &&
	status_is 401 && jq_py "d[\"error\"]" | grep -q "unknown token" &&
	api -t "$READ_TOKEN" GET /api/v1/jobs/999999 >/dev/null && status_is 404 &&
	api -t "$READ_TOKEN" GET "/api/v1/jobs?limit=0" >/dev/null && status_is 400 &&
	cjobs token list | grep -q "^gone .* [0-9T:-]*Z$"
'

test_expect_success 'a scope too small is 403: read cannot submit, submit cannot cancel' '
	n=$(store_sql "SELECT count(*) FROM jobs") &&
	api -t "$READ_TOKEN" POST /api/v1/jobs "{\"image\": \"$IMG\"}" >/dev/null && status_is 403 &&
	error_is "token '"'"'ro'"'"' has scope read; this request needs submit (make a token with '"'"'cjobs token create NAME --scope submit'"'"')" &&
	api -t "$SUBMIT_TOKEN" POST /api/v1/jobs "{\"image\": \"$IMG\", \"command\": [\"true\"]}" >/dev/null &&
	status_is 201 && id=$(jq_py "d[\"ids\"][0]") &&
	api -t "$SUBMIT_TOKEN" POST /api/v1/jobs/$id/cancel >/dev/null && status_is 403 &&
	test "$(job_field $id status)" = queued &&
	cjobs manage-jobs cancel --job-id $id >/dev/null &&
	test "$(store_sql "SELECT count(*) FROM jobs")" = $((n + 1))
'

test_expect_success 'POST /api/v1/jobs queues one job in the format of job submit --file, answers 201 with its id' '
	api POST /api/v1/jobs "{\"image\": \"$IMG\", \"name\": \"api-one\", \"priority\": 7, \"env\": [\"A=1\", \"API_TOKEN=s3cret\"], \"timeout\": \"5m\", \"command\": [\"sh\", \"-c\", \"echo one\"]}" >/dev/null &&
	status_is 201 && id=$(jq_py "d[\"ids\"][0]") &&
	cjobs job show $id --format json >cli.json &&
	test "$(jq_py "d[\"name\"], d[\"priority\"], d[\"timeout_seconds\"], d[\"command\"]" cli.json)" = "api-one
7
300
[\"sh\", \"-c\", \"echo one\"]" &&
	grep -q "submit" cli.json
'

test_expect_success 'an array is queued all or nothing: one bad job queues none, and the error names it with the command line'"'"'s text' '
	n=$(store_sql "SELECT count(*) FROM jobs") &&
	api POST /api/v1/jobs "[{\"image\": \"$IMG\"}, {\"image\": \"$IMG\", \"priority\": \"high\"}]" >/dev/null &&
	status_is 400 &&
	printf "%s\n" "{\"image\": \"$IMG\"}" "{\"image\": \"$IMG\", \"priority\": \"high\"}" >bad.jsonl &&
	cli=$(cli_err job submit --file bad.jsonl) &&
	test "$cli" = "bad.jsonl:2: \"priority\": '"'"'high'"'"' is not a whole number from -1000 to 1000; nothing was queued" &&
	error_is "job 2 of the array (index 1): \"priority\": '"'"'high'"'"' is not a whole number from -1000 to 1000; nothing was queued" &&
	test "$(store_sql "SELECT count(*) FROM jobs")" = "$n" &&
	api POST /api/v1/jobs "[{\"image\": \"$IMG\", \"command\": [\"true\"]}, {\"image\": \"$IMG\", \"name\": \"second\", \"command\": [\"true\"]}]" >/dev/null &&
	status_is 201 && test "$(jq_py "len(d[\"ids\"])")" = 2 &&
	test "$(store_sql "SELECT count(*) FROM jobs")" = $((n + 2))
'

test_expect_success 'malformed, wrongly typed or unknown JSON is 400 naming where, and queues nothing' '
	n=$(store_sql "SELECT count(*) FROM jobs") &&
	api POST /api/v1/jobs "{\"image\": " >/dev/null && status_is 400 &&
	jq_py "d[\"error\"]" | grep -q "^the body is not JSON: .* at line 1, column" &&
	api POST /api/v1/jobs "{\"image\": \"$IMG\", \"command\": [\"a\\u0000b\"]}" >/dev/null && status_is 400 &&
	jq_py "d[\"error\"]" | grep -qF "the body is not JSON: a string holds \\u0000 (a NUL byte), which cjobs does not take near" &&
	api POST /api/v1/jobs "{\"image\": \"$IMG\", \"command\": \"true\"}" >/dev/null && status_is 400 &&
	error_is "\"command\" must be a list of strings, e.g. [\"sh\", \"-c\", \"echo hi\"]" &&
	api POST /api/v1/jobs "{\"image\": \"$IMG\", \"priority\": [1, 2]}" >/dev/null && status_is 400 &&
	error_is "\"priority\" takes one value, not a list" &&
	api POST /api/v1/jobs "{\"image\": \"$IMG\", \"colour\": \"red\"}" >/dev/null && status_is 400 &&
	jq_py "d[\"error\"]" | grep -q "^unknown key \"colour\"" &&
	api POST /api/v1/jobs "{\"image\": \"$IMG\", \"env-file\": \"/etc/passwd\"}" >/dev/null && status_is 400 &&
	jq_py "d[\"error\"]" | grep -q "only accepted by .cjobs job submit." &&
	api POST /api/v1/jobs "{\"image\": \"$IMG\", \"count\": 3}" >/dev/null && status_is 400 &&
	api POST /api/v1/jobs "[]" >/dev/null && status_is 400 &&
	api POST /api/v1/jobs "7" >/dev/null && status_is 400 &&
	api POST /api/v1/jobs "{\"command\": [\"true\"]}" >/dev/null && status_is 400 &&
	error_is "$(cli_err job submit -- true)" &&
	test "$(store_sql "SELECT count(*) FROM jobs")" = "$n"
'

test_expect_success 'a body over 1 MiB is 413 and queues nothing, whether its length is declared or not' '
	n=$(store_sql "SELECT count(*) FROM jobs") &&
	python3 -c "import json; print(json.dumps({\"image\": \"$IMG\", \"name\": \"x\" * (1 << 20)}))" >big.json &&
	curl -s -o body -w "%{http_code}" -H "Authorization: Bearer $API_TOKEN" --data-binary @big.json "$SERVE_URL/api/v1/jobs" >status &&
	status_is 413 && jq_py "d[\"error\"]" | grep -q "limit is 1048576" &&
	curl -s -o body -w "%{http_code}" -H "Authorization: Bearer $API_TOKEN" -H "Transfer-Encoding: chunked" --data-binary @big.json "$SERVE_URL/api/v1/jobs" >status &&
	status_is 413 &&
	test "$(store_sql "SELECT count(*) FROM jobs")" = "$n"
'

test_expect_success 'a query parameter the route does not list, or one given twice, is 400 (after the token'"'"'s 401) before anything is read or changed' '
	n=$(store_sql "SELECT count(*) FROM jobs") &&
	api -t "" GET "/api/v1/jobs?limt=5" >/dev/null && status_is 401 &&
	api -t cjobs_revoked_or_unknown POST "/api/v1/jobs?dry_run=1" "{}" >/dev/null && status_is 401 &&
	api -t cjobs_revoked_or_unknown GET "/api/v1/jobs?limt=5" >/dev/null && status_is 401 &&
	api POST "/api/v1/jobs?dry_run=1" "{\"image\": \"$IMG\", \"command\": [\"true\"]}" >/dev/null &&
	status_is 400 && error_is "unknown query parameter '"'"'dry_run'"'"': POST /api/v1/jobs takes none" &&
	test "$(store_sql "SELECT count(*) FROM jobs")" = "$n" &&
	api GET "/api/v1/jobs?limt=5" >/dev/null && status_is 400 &&
	error_is "unknown query parameter '"'"'limt'"'"': GET /api/v1/jobs takes status, host, name, image, since, until, limit, cursor, full" &&
	api GET "/api/v1/jobs?status=failed&status=queued" >/dev/null && status_is 400 &&
	error_is "?status: given more than once; give it once" &&
	api GET "/api/v1/status?verbose" >/dev/null && status_is 400 &&
	error_is "unknown query parameter '"'"'verbose'"'"': GET /api/v1/status takes none" &&
	api GET "/api/v1/jobs?limit" >/dev/null && status_is 400 &&
	error_is "?limit: needs a value (?limit=VALUE)" &&
	api GET "/api/v1/jobs?status=failed&limit=" >/dev/null && status_is 400 &&
	error_is "?limit: needs a value (?limit=VALUE)" &&
	api GET "/api/v1/jobs?&limit=1&" >/dev/null && status_is 200 &&
	api GET "/api/v1/jobs?$(seq -s "&" -f "p%g=1" 33)" >/dev/null && status_is 400 &&
	error_is "more than 32 query parameters; no endpoint takes as many" &&
	api GET "/api/v1/jobs?status=failed&limit=1" >/dev/null && status_is 200
'

test_expect_success 'a job runs; GET /api/v1/jobs/ID is the object of job show --format json, and its logs the bytes captured' '
	cat >bytes.json <<-"EOF" &&
	{"image": "cjobs-test/busybox:1", "name": "bytes", "command": ["sh", "-c", "printf \"a\\000b\\001\\n\"; echo err >&2"]}
	EOF
	api POST /api/v1/jobs "$(cat bytes.json)" >/dev/null &&
	status_is 201 && id=$(jq_py "d[\"ids\"][0]") &&
	{ cjobs process-jobs --host e1 >/dev/null 2>&1; true; } &&
	test "$(job_field $id status)" = completed &&
	api GET /api/v1/jobs/$id >api.json && status_is 200 &&
	cjobs job show $id --format json >cli.json &&
	python3 -c "import json,sys; a=json.load(open(\"api.json\")); c=json.load(open(\"cli.json\")); sys.exit(a != c)" &&
	curl -s -H "Authorization: Bearer $API_TOKEN" "$SERVE_URL/api/v1/jobs/$id/logs?stream=stdout" >out.bin &&
	printf "a\000b\001\n" >want.bin && cmp out.bin want.bin &&
	cjobs job logs $id --stream stdout >cli.bin && cmp out.bin cli.bin &&
	test "$(api GET "/api/v1/jobs/$id/logs?stream=stderr")" = err &&
	api GET "/api/v1/jobs/$id/logs" >both.bin && printf "a\000b\001\nerr\n" >want2.bin && cmp both.bin want2.bin &&
	api GET "/api/v1/jobs/$id/logs?attempt=1&stream=stdout" >a1.bin && cmp a1.bin want.bin
'

test_expect_success 'logs: a bad stream or attempt is 400, no output yet is 404, with the command line'"'"'s texts' '
	id=$(cjobs job submit --image $IMG --at +1d -- true) &&
	api GET "/api/v1/jobs/$id/logs?stream=all" >/dev/null && status_is 400 &&
	error_is "?stream: '"'"'all'"'"' is not one of: both, stdout, stderr" &&
	api GET "/api/v1/jobs/$id/logs?attempt=3" >/dev/null && status_is 400 &&
	error_is "$(cli_err job logs $id --attempt 3)" &&
	api GET "/api/v1/jobs/$id/logs" >/dev/null && status_is 404 &&
	error_is "$(cjobs job logs $id 2>&1 | sed "s/^cjobs: note: //")" &&
	cjobs manage-jobs cancel --job-id $id >/dev/null
'

test_expect_success 'an unknown job or endpoint is 404, a bad id 400, a wrong method 405' '
	api GET /api/v1/jobs/999999 >/dev/null && status_is 404 &&
	error_is "$(cli_err job show 999999)" &&
	api GET /api/v1/jobs/abc >/dev/null && status_is 400 &&
	error_is "$(cli_err job show abc)" &&
	api GET /api/v1/nothing >/dev/null && status_is 404 &&
	api DELETE /api/v1/jobs >/dev/null && status_is 405
'

test_expect_success 'GET /api/v1/jobs filters by status, host, name, image and time, newest first, in pages' '
	a=$(cjobs job submit --image $IMG --name pageme --at +1d -- true) &&
	b=$(cjobs job submit --image $IMG --name pageme --at +1d -- true) &&
	c=$(cjobs job submit --image $IMG --name pageme --at +1d -- true) &&
	api GET "/api/v1/jobs?name=pageme&limit=2" >/dev/null && status_is 200 &&
	test "$(jq_py "[j[\"id\"] for j in d[\"jobs\"]]")" = "[$c, $b]" &&
	cur=$(jq_py "d[\"next_cursor\"]" | tr -d "\"") &&
	api GET "/api/v1/jobs?name=pageme&limit=2&cursor=$cur" >/dev/null &&
	test "$(jq_py "[j[\"id\"] for j in d[\"jobs\"]]")" = "[$a]" &&
	test "$(jq_py "d[\"next_cursor\"]")" = null &&
	cjobs job show $a --format json >show.json &&
	python3 -c "import json,sys
page, show = json.load(open(\"body\"))[\"jobs\"][0], json.load(open(\"show.json\"))
keys = \"id name status image priority not_before waiting_on host max_retries attempt exit_code created_at queued_at started_at finished_at last_error ran_on schedule_id\".split()
sys.exit(list(page) != keys or any(page[k] != show[k] for k in keys))" &&
	api GET "/api/v1/jobs?name=pageme&limit=2&cursor=$cur&full=1" >/dev/null && status_is 200 &&
	python3 -c "import json,sys
page, show = json.load(open(\"body\"))[\"jobs\"][0], json.load(open(\"show.json\"))
for k in (\"history\", \"stdout\", \"stderr\", \"after\", \"waited_for_by\", \"schedule\"):
    show.pop(k)
sys.exit(page != show)" &&
	api GET "/api/v1/jobs?full=yes" >/dev/null && status_is 400 &&
	error_is "?full: '"'"'yes'"'"' is not one of: 0, 1" &&
	api GET "/api/v1/jobs?name=pageme&status=queued,cancelled" >/dev/null &&
	test "$(jq_py "len(d[\"jobs\"])")" = 3 &&
	api GET "/api/v1/jobs?name=pageme&status=completed" >/dev/null &&
	test "$(jq_py "len(d[\"jobs\"])")" = 0 &&
	api GET "/api/v1/jobs?status=completed&host=e1&image=$IMG" >/dev/null &&
	test "$(jq_py "all(j[\"status\"] == \"completed\" and j[\"ran_on\"] == \"e1\" for j in d[\"jobs\"]) and len(d[\"jobs\"]) >= 1")" = true &&
	api GET "/api/v1/jobs?name=pageme&since=%2B1h" >/dev/null && test "$(jq_py "len(d[\"jobs\"])")" = 0 &&
	api GET "/api/v1/jobs?name=pageme&until=%2B1h" >/dev/null && test "$(jq_py "len(d[\"jobs\"])")" = 3 &&
	api GET "/api/v1/jobs?status=bogus" >/dev/null && status_is 400 &&
	error_is "?status: $(cli_err job list --status bogus)" &&
	api GET "/api/v1/jobs?limit=0" >/dev/null && status_is 400 &&
	api GET "/api/v1/jobs?since=yesterday" >/dev/null && status_is 400 &&
	for j in $a $b $c; do cjobs manage-jobs cancel --job-id $j >/dev/null || exit 1; done
'

test_expect_success 'cancel: a running job'"'"'s container is stopped and removed; a second cancel is 409 with the command line'"'"'s text' '
	api POST /api/v1/jobs "{\"image\": \"$IMG\", \"command\": [\"sh\", \"-c\", \"echo started; sleep 300\"]}" >/dev/null &&
	id=$(jq_py "d[\"ids\"][0]") || exit 1
	"$CJOBS_BIN" process-jobs --daemon --host e1 >/dev/null 2>worker.log &
	wpid=$!
	stop_on_exit $wpid
	wait_for 60 "test \"\$(job_field $id status)\" = running" &&
	api POST /api/v1/jobs/$id/cancel "{\"reason\": \"api test\"}" >/dev/null && status_is 200 &&
	test "$(jq_py "d[\"outcome\"], d[\"was\"], d[\"container_removed\"], d[\"output_kept\"]")" = "cancelled
running
true
true" &&
	test "$(job_field $id status)" = cancelled &&
	test -z "$(engine_containers "$ENGINE_SOCK")" &&
	cjobs job show $id | grep -q "api:ops: api test" &&
	api POST /api/v1/jobs/$id/cancel >/dev/null && status_is 409 &&
	error_is "$(cli_err manage-jobs cancel --job-id $id)" &&
	api POST /api/v1/jobs/$id/cancel "{\"reason\": \"\"}" >/dev/null && status_is 400 &&
	error_is "$(cli_err manage-jobs cancel --job-id $id --reason "")" &&
	api POST /api/v1/jobs/$id/cancel "{\"why\": 1}" >/dev/null && status_is 400
'

test_expect_success 'logs?follow=1 streams a running job'"'"'s output as it is written, from its engine, and ends when it ends' '
	id=$(cjobs job submit --image $IMG -- sh -c "echo first; echo oops >&2; $GATED") || exit 1
	"$CJOBS_BIN" process-jobs --daemon --host e1 >/dev/null 2>worker3.log &
	wpid=$!
	stop_on_exit $wpid
	wait_for 60 "test \"\$(job_field $id status)\" = running" &&
	{ curl -sN -H "Authorization: Bearer $API_TOKEN" "$SERVE_URL/api/v1/jobs/$id/logs?follow=1&stream=stdout" >followed & } &&
	{ curl -sN -H "Authorization: Bearer $API_TOKEN" "$SERVE_URL/api/v1/jobs/$id/logs?follow=1" >both & } &&
	wait_for 30 "grep -q first followed && grep -q oops both" &&
	test "$(job_field $id status)" = running &&
	! grep -q done followed &&
	job_release $id &&
	wait_for 60 "grep -q done followed && grep -q done both" &&
	wait_for 60 "test \"\$(job_field $id status)\" = completed" &&
	printf "first\ndone\n" >want && cmp followed want &&
	# Between the two streams the engine keeps no order of its own for
	# lines written at the same moment; each stream keeps its order.
	test "$(sort both | tr "\n" " ")" = "done first oops " && test "$(tail -1 both)" = done &&
	curl -s -H "Authorization: Bearer $API_TOKEN" "$SERVE_URL/api/v1/jobs/$id/logs?follow=1&stream=stdout" >after &&
	cmp after followed &&
	api GET "/api/v1/jobs/$id/logs?follow=2" >/dev/null && status_is 400
'

test_expect_success 'logs?follow=1 of a queued job waits for it, goes on through its retries (as job logs --follow) and ends when the job ends' '
	id=$(cjobs job submit --image $IMG --host e1 --max-retries 1 --retry-on-exit-code 3 --retry-delay 1 -- sh -c "echo try; exit 3") || exit 1
	# Each follow runs on a thread of the server: one more while it waits.
	base=$(ls /proc/$SERVE_PID/task | wc -l) &&
	{ curl -sN -H "Authorization: Bearer $API_TOKEN" "$SERVE_URL/api/v1/jobs/$id/logs?follow=1" >followed & } &&
	cpid=$! &&
	wait_for 30 "test \$(ls /proc/$SERVE_PID/task | wc -l) -gt $base" &&
	test "$(job_field $id status)" = queued && ! test -s followed || exit 1
	"$CJOBS_BIN" process-jobs --daemon --host e1 >/dev/null 2>worker4.log &
	wpid=$!
	stop_on_exit $wpid
	wait_exit 120 $cpid &&
	test "$(job_field $id status)" = failed &&
	test "$(job_field $id attempt)" = 2 &&
	printf "try\ntry\n" >want && cmp followed want &&
	# The job has ended: follow=1 answers what is stored, as job logs
	# --follow prints it.
	curl -s -H "Authorization: Bearer $API_TOKEN" "$SERVE_URL/api/v1/jobs/$id/logs?follow=1" >after &&
	"$CJOBS_BIN" job logs $id --follow >cli && cmp after cli && test "$(cat cli)" = try
'

test_expect_success 'logs?follow=1: at most 32 at once (503 beyond); a reader that leaves frees its place' '
	id=$(cjobs job submit --image $IMG --at +1h -- true) || exit 1
	base=$(ls /proc/$SERVE_PID/task | wc -l) &&
	pids="" &&
	for i in $(seq 1 32); do
		curl -sN -o /dev/null -H "Authorization: Bearer $API_TOKEN" "$SERVE_URL/api/v1/jobs/$id/logs?follow=1" &
		pids="$pids $!"
	done &&
	trap "kill $pids 2>/dev/null" EXIT &&
	wait_for 60 "test \$(ls /proc/$SERVE_PID/task | wc -l) -ge $((base + 32))" &&
	api GET "/api/v1/jobs/$id/logs?follow=1" >/dev/null && status_is 503 &&
	error_is "32 outputs are followed already, the most at once; read the output without follow=1, or later" &&
	kill $pids &&
	wait_for 60 "test \$(ls /proc/$SERVE_PID/task | wc -l) -le $base" &&
	test "$(curl -s -o /dev/null -w %{http_code} --max-time 2 -H "Authorization: Bearer $API_TOKEN" "$SERVE_URL/api/v1/jobs/$id/logs?follow=1")" = 200 &&
	cjobs manage-jobs cancel --job-id $id >/dev/null
'

test_expect_success 'retry: a failed job is queued again (200, the job, its history naming the token); a completed one is 409 with the command line'"'"'s text' '
	id=$(cjobs job submit --image $IMG -- sh -c "exit 3") &&
	{ cjobs process-jobs --host e1 >/dev/null 2>&1; true; } &&
	test "$(job_field $id status)" = failed &&
	api POST /api/v1/jobs/$id/retry >/dev/null && status_is 200 &&
	test "$(jq_py "d[\"status\"], d[\"attempt\"]")" = "queued
1" &&
	test "$(jq_py "d[\"history\"][-1][\"actor\"], d[\"history\"][-1][\"reason\"]")" = "api:ops
retried by api:ops" &&
	{ cjobs process-jobs --host e1 >/dev/null 2>&1; true; } &&
	test "$(job_field $id attempt)" = 2 &&
	ok=$(cjobs job submit --image $IMG -- true) &&
	{ cjobs process-jobs --host e1 >/dev/null 2>&1; true; } &&
	api POST /api/v1/jobs/$ok/retry >/dev/null && status_is 409 &&
	error_is "$(cli_err manage-jobs retry --job-id $ok)" &&
	api POST /api/v1/jobs/$ok/retry "{\"priority\": 5}" >/dev/null && status_is 409
'

test_expect_success 'retry takes the changes of manage-jobs retry (timeout, memory, cpus, priority) by their names, with its values and its messages; a bad one changes nothing' '
	id=$(cjobs job submit --image $IMG --host e1 -- sh -c "exit 3") &&
	{ cjobs process-jobs --host e1 >/dev/null 2>&1; true; } &&
	test "$(job_field $id status)" = failed &&
	before=$(store_sql "SELECT status, attempt, timeout_s, priority FROM jobs WHERE id = $id") &&
	api POST /api/v1/jobs/$id/retry "{\"timeout\": \"abc\"}" >/dev/null && status_is 400 &&
	error_is "timeout: $(cli_err manage-jobs retry --job-id $id --timeout abc | sed "s/^option --timeout: //")" &&
	api POST /api/v1/jobs/$id/retry "{\"memory\": \"1k\"}" >/dev/null && status_is 400 &&
	api POST /api/v1/jobs/$id/retry "{\"priority\": true}" >/dev/null && status_is 400 &&
	error_is "\"priority\" must be a string or a whole number" &&
	api POST /api/v1/jobs/$id/retry "{\"nice\": 1}" >/dev/null && status_is 400 &&
	error_is "unknown member \"nice\": a retry takes timeout, memory, cpus and priority (as manage-jobs retry)" &&
	api POST /api/v1/jobs/$id/retry "[1]" >/dev/null && status_is 400 &&
	test "$(store_sql "SELECT status, attempt, timeout_s, priority FROM jobs WHERE id = $id")" = "$before" &&
	api POST /api/v1/jobs/$id/retry "{\"timeout\": \"90s\", \"memory\": \"64m\", \"cpus\": \"0.5\", \"priority\": 7}" >/dev/null &&
	status_is 200 &&
	test "$(jq_py "d[\"status\"], d[\"timeout_seconds\"], d[\"memory_bytes\"], d[\"cpus\"], d[\"priority\"]")" = "queued
90
67108864
0.5
7" &&
	test "$(jq_py "d[\"history\"][-1][\"reason\"]" | sed "s/the worker.s default/DEFAULT/")" = "retried by api:ops: timeout DEFAULT -> 90s, memory none -> 64m, cpus none -> 0.5, priority 0 -> 7"
'

test_expect_success 'hosts, a host'"'"'s health (checked now, recorded), and status answer as the command line does' '
	api GET /api/v1/hosts >/dev/null && status_is 200 &&
	cjobs host list --format json >cli.json &&
	python3 -c "import json,sys; sys.exit(json.load(open(\"body\"))[\"hosts\"] != json.load(open(\"cli.json\")))" &&
	api GET /api/v1/hosts/e1/health >/dev/null && status_is 200 &&
	test "$(jq_py "d[\"healthy\"], d[\"status\"], d[\"recorded\"]")" = "true
healthy
true" &&
	test "$(cjobs host list --format json | python3 -c "import json,sys; print([h for h in json.load(sys.stdin) if h[\"name\"] == \"e1\"][0][\"check_ok\"])")" = True &&
	api -t "$READ_TOKEN" GET /api/v1/hosts/e1/health >/dev/null && status_is 403 &&
	api GET /api/v1/hosts/nosuch/health >/dev/null && status_is 404 &&
	error_is "$(cli_err manage-jobs health-check --host nosuch)" &&
	api GET /api/v1/status >/dev/null && status_is 200 &&
	cjobs manage-jobs status --format json >cli.json &&
	python3 -c "import json,sys
a, c = json.load(open(\"body\")), json.load(open(\"cli.json\"))
for x in (a, c):
    x.pop(\"generated_at\"); x[\"queue\"].pop(\"oldest_waiting\")
sys.exit(a != c)"
'

test_expect_success 'the dashboard signs in with a token into an HttpOnly SameSite=Strict cookie; writes by cookie need the CSRF header' '
	curl -s -D hdr -o body -H "Content-Type: application/json" --data "{\"token\": \"$API_TOKEN\"}" "$SERVE_URL/api/v1/session" &&
	grep -i "^set-cookie: cjobs_session=" hdr | grep -q "HttpOnly; SameSite=Strict" &&
	csrf=$(jq_py "d[\"csrf\"]") && test "$(jq_py "d[\"scope\"]")" = admin &&
	cookie=$(grep -i "^set-cookie:" hdr | sed "s/^[^:]*: //; s/;.*//") &&
	api -t "" -H "Cookie: $cookie" GET /api/v1/session >/dev/null && status_is 200 &&
	test "$(jq_py "d[\"csrf\"]")" = "$csrf" &&
	api -t "" -H "Cookie: $cookie" GET "/api/v1/jobs?limit=1" >/dev/null && status_is 200 &&
	api -t "" -H "Cookie: cjobs_session=cjobs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
		GET "/api/v1/jobs?limit=1" >/dev/null && status_is 401 &&
	n=$(store_sql "SELECT count(*) FROM jobs") &&
	api -t "" -H "Cookie: $cookie" POST /api/v1/jobs "{\"image\": \"$IMG\", \"at\": \"+1d\"}" >/dev/null && status_is 403 &&
	jq_py "d[\"error\"]" | grep -q "X-CSRF-Token" &&
	api -t "" -H "Cookie: $cookie" -H "X-CSRF-Token: nope" POST /api/v1/jobs "{\"image\": \"$IMG\", \"at\": \"+1d\"}" >/dev/null && status_is 403 &&
	test "$(store_sql "SELECT count(*) FROM jobs")" = "$n" &&
	api -t "" -H "Cookie: $cookie" -H "X-CSRF-Token: $csrf" POST /api/v1/jobs "{\"image\": \"$IMG\", \"at\": \"+1d\"}" >/dev/null && status_is 201 &&
	cjobs manage-jobs cancel --job-id "$(jq_py "d[\"ids\"][0]")" >/dev/null &&
	api -t "" POST /api/v1/session "{\"token\": \"cjobs_wrong\"}" >/dev/null && status_is 401 &&
	curl -s -D hdr -o /dev/null -X DELETE -H "Cookie: $cookie" -H "X-CSRF-Token: $csrf" "$SERVE_URL/api/v1/session" &&
	grep -i "^set-cookie: cjobs_session=;" hdr | grep -q "Max-Age=0"
'

test_expect_success 'the dashboard is served from the binary; paths outside its files are 404, .. included' '
	curl -s -o index.html -w "%{http_code} %{content_type}" "$SERVE_URL/" >st &&
	grep -q "^200 text/html" st && grep -qi "<html" index.html &&
	! grep -Eq "(src|href)=\"(https?:)?//" index.html &&
	curl -s -o /dev/null -w "%{http_code}" --path-as-is "$SERVE_URL/assets/../../etc/passwd" >st && test "$(cat st)" = 404 &&
	curl -s -o /dev/null -w "%{http_code}" --path-as-is "$SERVE_URL/assets/%2e%2e/index.html" >st && test "$(cat st)" = 404 &&
	long=$(python3 -c "print(\"a\" * 5000)") &&
	curl -s -o /dev/null -w "%{http_code}" "$SERVE_URL/api/v1/jobs/$long" >st &&
	case $(cat st) in 400|404|414) ;; *) cat st; false ;; esac
'

test_expect_success 'verbosity 2 logs one line per request, never the token' '
	api GET /api/v1/status >/dev/null &&
	wait_for 10 "grep -q \"GET /api/v1/status 200 .* token ops\" serve.log" &&
	! grep -q "$API_TOKEN" serve.log
'

test_expect_success 'GET /api/v1/report is the object of manage-jobs report --format json; its errors are the command line'"'"'s' '
	api GET "/api/v1/report?host=e1&since=2026-01-01" >/dev/null && status_is 200 &&
	cjobs manage-jobs report --host e1 --since 2026-01-01 --format json >cli.json &&
	python3 -c "import json,sys
a, c = json.load(open(\"body\")), json.load(open(\"cli.json\"))
for x in (a, c):
    x.pop(\"generated_at\"); x.pop(\"until\")
sys.exit(a != c or a[\"overall\"][\"jobs\"] < 1)" &&
	api GET "/api/v1/report?since=%2B1d" >/dev/null && status_is 400 &&
	test "$(jq_py "d[\"error\"]" | cut -d"(" -f1)" = "$(cli_err manage-jobs report --since +1d | cut -d"(" -f1)" &&
	api GET "/api/v1/report?host=nosuch" >/dev/null && status_is 404 &&
	error_is "$(cli_err manage-jobs report --host nosuch)" &&
	api GET "/api/v1/report?until=soon" >/dev/null && status_is 400 &&
	api GET /api/v1/report >/dev/null && status_is 200 &&
	python3 -c "import json,datetime as d; j=json.load(open(\"body\")); t=lambda k: d.datetime.fromisoformat(j[k].replace(\"Z\",\"+00:00\")); sys_exit = (t(\"until\")-t(\"since\")).total_seconds() == 7*86400 or exit(1)" &&
	api GET "/api/v1/report?since=-2d&until=-1d" >/dev/null && status_is 200 &&
	python3 -c "import json,datetime as d; j=json.load(open(\"body\")); t=lambda k: d.datetime.fromisoformat(j[k].replace(\"Z\",\"+00:00\")); (t(\"until\")-t(\"since\")).total_seconds() == 86400 or exit(1)" &&
	api GET "/api/v1/report?until=2026-01-01" >/dev/null && status_is 400 &&
	test "$(jq_py "d[\"error\"]" | sed "s/ago: [^)]*)/ago: T)/")" = "$(cli_err manage-jobs report --until 2026-01-01 | sed "s/ago: [^)]*)/ago: T)/")"
'

test_expect_success 'GET /metrics is the Prometheus text format, with the store'"'"'s numbers' '
	api -t "" GET /metrics >/dev/null && status_is 401 &&
	curl -s -D hdr -o metrics.txt -H "Authorization: Bearer $READ_TOKEN" "$SERVE_URL/metrics" &&
	grep -qi "^content-type: text/plain; version=0.0.4" hdr &&
	python3 - metrics.txt <<-"PY" &&
	import re, sys
	fams, seen = {}, set()
	for line in open(sys.argv[1]):
	    line = line.rstrip("\n")
	    m = re.match(r"# (HELP|TYPE) (\w+) (.+)$", line)
	    if m:
	        fams.setdefault(m.group(2), set()).add(m.group(1))
	        continue
	    m = re.match(r"^([a-z_]+)(\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*\})? (-?[0-9.e+]+)$", line)
	    assert m, "not a sample: %r" % line
	    name = re.sub(r"_(bucket|sum|count)$", "", m.group(1)) if m.group(1).startswith("cjobs_job_run_seconds") else m.group(1)
	    assert fams.get(name) == {"HELP", "TYPE"}, "no HELP and TYPE for %s" % name
	    assert name.startswith("cjobs_")
	PY
	done=$(store_sql "SELECT count(*) FROM jobs WHERE status = '"'"'completed'"'"' AND ran_on = '"'"'e1'"'"'") &&
	grep -qx "cjobs_jobs{status=\"completed\",host=\"e1\"} $done" metrics.txt &&
	# The run-time histogram counts every finish of a job that ran (a job
	# retried and finished again counts again), from its history.
	ran=$(store_sql "SELECT count(*) FROM job_history WHERE from_status = '"'"'running'"'"' AND to_status IN ('"'"'completed'"'"', '"'"'failed'"'"', '"'"'timeout'"'"')") &&
	grep -qx "cjobs_job_run_seconds_count $ran" metrics.txt &&
	grep -qx "cjobs_job_run_seconds_bucket{le=\"+Inf\"} $ran" metrics.txt &&
	grep -qx "cjobs_job_run_seconds_bucket{le=\"86400\"} $ran" metrics.txt &&
	grep "^cjobs_job_run_seconds_bucket" metrics.txt | awk "{ if (\$2 < last) exit 1; last = \$2 }" &&
	grep -qx "cjobs_host_up{host=\"e1\"} 1" metrics.txt &&
	grep -q "^cjobs_worker_last_heartbeat_timestamp_seconds{worker=\"[^\"]*\",machine=\"[^\"]*\"} [0-9]" metrics.txt &&
	grep -q "^cjobs_ready_jobs [0-9]" metrics.txt &&
	grep -qx "cjobs_waiting_jobs $(store_sql "SELECT count(*) FROM jobs WHERE status = '"'"'queued'"'"' AND waiting_on > 0")" metrics.txt &&
	grep -q "^cjobs_oldest_ready_job_age_seconds [0-9]" metrics.txt
'

test_expect_success 'GET /api/v1/timeline counts the jobs finished minute by minute over the hour or the day' '
	api GET "/api/v1/timeline?range=hour" >/dev/null && status_is 200 &&
	test "$(jq_py "len(d[\"points\"]), d[\"step_seconds\"]")" = "60
60" &&
	from=$(python3 -c "import json; from datetime import datetime; d = json.load(open(\"body\")); print(int(datetime.fromisoformat(d[\"points\"][0][\"at\"].replace(\"Z\", \"+00:00\")).timestamp() * 1000))") &&
	want=$(store_sql "SELECT count(*) FROM job_history WHERE at >= $from AND to_status IN ('"'"'completed'"'"', '"'"'failed'"'"', '"'"'timeout'"'"', '"'"'cancelled'"'"')") &&
	test "$(jq_py "sum(p[\"finished\"] for p in d[\"points\"])")" = "$want" &&
	test "$want" -gt 0 &&
	api GET "/api/v1/timeline?range=day" >/dev/null && test "$(jq_py "len(d[\"points\"])")" = 1440 &&
	api GET "/api/v1/timeline?range=week" >/dev/null && status_is 400
'

test_expect_success 'POST /api/v1/jobs takes the container options by their option names; the job object shows them; a bad one is 400 with the command line text' '
	api POST /api/v1/jobs "{\"image\": \"$IMG\", \"volume\": [\"cache:/cache\"], \"read-only\": true, \"cap-drop\": \"ALL\", \"user\": 1000, \"shm-size\": \"64m\", \"command\": [\"true\"]}" >/dev/null &&
	status_is 201 && id=$(jq_py "d[\"ids\"][0]") &&
	api GET /api/v1/jobs/$id >/dev/null && status_is 200 &&
	test "$(jq_py "d[\"volumes\"], d[\"read_only\"], d[\"cap_drop\"], d[\"user\"], d[\"shm_size_bytes\"]")" = "[\"cache:/cache\"]
true
[\"ALL\"]
1000
67108864" &&
	n=$(store_sql "SELECT count(*) FROM jobs") &&
	api POST /api/v1/jobs "{\"image\": \"$IMG\", \"label\": [\"cjobs.job=x\"]}" >/dev/null && status_is 400 &&
	jq_py "d[\"error\"]" | grep -q "^--label .cjobs.job=x.: keys starting with cjobs. are cjobs.s own" &&
	api POST /api/v1/jobs "{\"image\": \"$IMG\", \"init\": \"yes\"}" >/dev/null && status_is 400 &&
	jq_py "d[\"error\"]" | grep -q "\"init\" must be true or false" &&
	test "$(store_sql "SELECT count(*) FROM jobs")" = "$n" &&
	cjobs manage-jobs cancel --job-id $id >/dev/null
'

# Stopped here, at the top level, where its exit code can be read.
kill -TERM "$SERVE_PID" && wait "$SERVE_PID"
SERVE_RC=$?
SERVE_PIDS=""
test_expect_success 'SIGTERM stops the server with exit code 0 and a clean log (no sanitizer report)' '
	test "$SERVE_RC" = 0 &&
	grep -q "SIGTERM: no new connections" serve.log &&
	grep -q "stopped after [0-9]* request(s)" serve.log &&
	! grep -q "Sanitizer" serve.log
'

test_done
