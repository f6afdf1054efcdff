#!/usr/bin/env bash
# stores: both (tests/run runs it again on PostgreSQL)
# manage-jobs health-check: every host's engine is contacted at once within
# --timeout; each answer (or its absence) is reported and recorded on the
# host; the exit code says whether all were healthy.
. "$(dirname "$0")/../lib/test-lib.sh"

test_engine_start e2 || { echo "Bail out! no engine e2"; exit 1; }
E2_URL=$ENGINE_URL
test_engine_stop e2
test_engine_start || { echo "Bail out! no engine"; exit 1; }
add_test_host e1 --max-jobs 4
cjobs host add stopped --url "$E2_URL" >/dev/null
cjobs host add nosock --url "unix://$TEST_DIR/none.sock" >/dev/null
add_test_host quiet
cjobs host disable quiet >/dev/null
IMG=cjobs-test/busybox:1

# host_check NAME: "check_ok checked_at-is-set" from `host show --format json`.
host_check() {
	cjobs host show "$1" --format json | python3 -c '
import json,sys
h=json.load(sys.stdin)
print(h["check_ok"], h["checked_at"] is not None)'
}

test_expect_success 'health-check has the full help; health_check is an alias' '
	cjobs manage-jobs health-check --help >out &&
	for s in "Usage Examples:" "How It Works:" "Important Notes:" "Common Errors:" \
		"Exit Codes:" "Options:"; do
		grep -q "^$s" out || { echo "missing $s"; exit 1; }; done &&
	for o in --host --timeout --format; do
		grep -q "^  $o" out || { echo "missing $o"; exit 1; }; done &&
	sed -n "/^  --timeout/,/^  --format/p" out | tr -s " \n" " " | grep -q "Default: 30\. Range: 1 to 3600 seconds" &&
	grep -q "root-equivalent" out &&
	cjobs manage-jobs health_check --help >out2 && test_cmp out out2
'

test_expect_success 'a healthy host, a stopped engine and a missing socket: all shown and recorded, exit 2' '
	test "$(host_check e1)" = "None False" &&
	expect_code 2 cjobs manage-jobs health-check --timeout 5 >out &&
	cat out &&
	grep -E "^e1 +healthy +yes +[0-9]" out &&
	grep -E "^stopped +unreachable +yes" out &&
	grep -E "^nosock +unreachable +yes" out &&
	grep -E "^quiet +healthy +no \(disabled\)" out &&
	grep -q "^  nosock: cannot connect to engine unix://$TEST_DIR/none.sock: No such file or directory" out &&
	grep -q "^  stopped: cannot connect to engine $E2_URL" out &&
	grep -q "^4 host(s) checked: 2 healthy, 2 not$" out &&
	test "$(host_check e1)" = "True True" &&
	test "$(host_check quiet)" = "True True" &&
	test "$(host_check stopped)" = "False True" &&
	test "$(host_check nosock)" = "False True" &&
	cjobs host show nosock | grep -q "failed: cannot connect to engine" &&
	cjobs host show e1 | grep -q " ok: engine "
'

test_expect_success '--host checks only that host: exit 0 when it is healthy' '
	cjobs manage-jobs health-check --host e1 --timeout 5 >out &&
	test "$(grep -c "^[a-z]" out)" = 1 &&
	grep -q "^1 host(s) checked: 1 healthy, 0 not$" out &&
	expect_code 2 cjobs manage-jobs health_check --host nosock >out
'

test_expect_success 'json: one object per host with versions, containers and capacity in use' '
	id=$(cjobs job submit --image $IMG --host e1 -- sleep 300) &&
	store_edit_own "UPDATE jobs SET status = '\''running'\'', attempt = 1, ran_on = '\''e1'\'' WHERE id = $id" &&
	expect_code 2 cjobs manage-jobs health-check --format json --timeout 5 >out &&
	python3 -c "
import json,sys
hs={h[\"name\"]: h for h in json.load(open(\"out\"))}
assert sorted(hs) == [\"e1\",\"nosock\",\"quiet\",\"stopped\"], hs
e=hs[\"e1\"]
assert e[\"healthy\"] is True and e[\"status\"] == \"healthy\" and e[\"error\"] is None, e
assert e[\"engine_version\"] and e[\"api_version\"] and e[\"containers_running\"] == 0, e
assert e[\"jobs_active\"] == 1 and e[\"max_jobs\"] == 4 and e[\"enabled\"] is True, e
assert hs[\"quiet\"][\"enabled\"] is False and hs[\"quiet\"][\"healthy\"] is True
n=hs[\"nosock\"]
assert n[\"healthy\"] is False and n[\"status\"] == \"unreachable\" and \"cannot connect\" in n[\"error\"], n
assert n[\"engine_version\"] is None and n[\"recorded\"] is True, n
" &&
	cjobs manage-jobs health-check --host e1 >out &&
	grep -E "^e1 .* 1/4 jobs " out &&
	store_edit_own "UPDATE jobs SET status = '\''cancelled'\'' WHERE id = $id"
'

test_expect_success 'an engine that accepts but never answers is reported as timed out after --timeout' '
	# The interpreter itself in the background (not a shell function
	# around it), so that $! is the server and the kill below ends it.
	srv=/usr/bin/python3
	test -x $srv || srv=$(type -P python3)
	"$srv" -c "
import socket,sys,time
s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
conns=[]
while True:
    c,_=s.accept(); conns.append(c)
" "$TEST_DIR/hang.sock" &
	hpid=$!
	wait_for 30 "test -S \"$TEST_DIR/hang.sock\"" &&
	cjobs host add hang --url "unix://$TEST_DIR/hang.sock" >/dev/null &&
	expect_code 2 cjobs manage-jobs health-check --timeout 2 >out &&
	expect_code 2 cjobs manage-jobs health-check --timeout 3 --format json >out.json; rc=$?
	kill $hpid; wait $hpid 2>/dev/null
	cat out && test $rc = 0 &&
	grep -E "^hang +timed out" out &&
	grep -E "^e1 +healthy" out &&
	grep -q "^  hang: no answer from unix://$TEST_DIR/hang.sock within 2s" out &&
	test "$(host_check hang)" = "False True" &&
	python3 -c "
import json
hs = {h[\"name\"]: h for h in json.load(open(\"out.json\"))}
h = hs[\"hang\"]
print(\"hang gave up after\", h[\"response_ms\"], \"ms\")
assert h[\"status\"] == \"timed out\" and h[\"healthy\"] is False, h
assert h[\"error\"].endswith(\"within 3s\"), h
# It waited the whole --timeout (load can only make this longer).
assert h[\"response_ms\"] >= 3000, h
assert hs[\"e1\"][\"healthy\"] is True, hs[\"e1\"]
" &&
	cjobs host remove hang --force >/dev/null
'

test_expect_success 'a disabled host that is down fails the check only when named with --host' '
	cjobs host disable stopped >/dev/null && cjobs host disable nosock >/dev/null &&
	cjobs manage-jobs health-check --timeout 5 >out; rc=$?
	cjobs manage-jobs health-check --host nosock --timeout 5 >out2; rc2=$?
	cjobs host enable stopped >/dev/null && cjobs host enable nosock >/dev/null &&
	cat out && test $rc = 0 &&
	grep -E "^nosock +unreachable +no \(disabled\)" out &&
	grep -q "^4 host(s) checked: 2 healthy, 2 not$" out &&
	test $rc2 = 2 && grep -E "^nosock +unreachable" out2
'

test_expect_success '--timeout takes 1 to 3600 seconds' '
	cjobs manage-jobs health-check --host e1 --timeout 3600 >out &&
	grep -q "^1 host(s) checked: 1 healthy, 0 not$" out &&
	{ cjobs manage-jobs health-check --host e1 --timeout 1 >out 2>err; rc=$?; } &&
	test ! -s err && { test $rc = 0 || test $rc = 2; } && grep -q "^1 host(s) checked" out &&
	expect_code 1 cjobs manage-jobs health-check --host e1 --timeout 3601 2>err &&
	grep -q "option --timeout: .3601. is not a duration from 1 to 3600 seconds" err &&
	expect_code 1 cjobs manage-jobs health-check --host e1 --timeout 61m 2>err &&
	grep -q "is not a duration from 1 to 3600 seconds" err
'

test_expect_success 'documented errors: unknown host, no host at all, timeout out of range' '
	expect_code 1 cjobs manage-jobs health-check --host nosuch 2>err &&
	grep -q "no host named .nosuch.; .cjobs host list. shows the hosts" err &&
	expect_code 1 cjobs --database empty.db manage-jobs health-check 2>err &&
	grep -q "no executor host is registered; add one with .cjobs host add NAME --url URL." err &&
	expect_code 1 cjobs manage-jobs health-check --timeout 0 2>err &&
	grep -q "option --timeout: .0. is not a duration from 1 to 3600 seconds" err &&
	expect_code 1 cjobs manage-jobs health-check --format xml 2>err &&
	grep -q "option --format: .xml. is not one of: table, json" err
'

test_done
