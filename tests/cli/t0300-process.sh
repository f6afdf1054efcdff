#!/usr/bin/env bash
# stores: both (tests/run runs it again on PostgreSQL)
# process-jobs runs jobs on a real private Docker engine and records
# everything about them; nothing is left behind on the engine.
. "$(dirname "$0")/../lib/test-lib.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
add_test_host e1

IMG=cjobs-test/busybox:1

# ran_ms ID: milliseconds from the job's start to its end, from the store.
ran_ms() {
	cjobs job show "$1" --format json | python3 -c '
import datetime, json, sys
j = json.load(sys.stdin)
t = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
print(int((t(j["finished_at"]) - t(j["started_at"])).total_seconds() * 1000))'
}

test_expect_success 'a failing job ends failed with its exit code and both streams' '
	id=$(cjobs job submit --image $IMG -- sh -c "echo out; echo err >&2; exit 3") &&
	expect_code 3 cjobs process-jobs &&
	test "$(job_field $id status)" = failed &&
	test "$(job_field $id exit_code)" = 3 &&
	test "$(cjobs job logs $id --stream stdout)" = out &&
	test "$(cjobs job logs $id --stream stderr)" = err &&
	test "$(job_field $id ran_on)" = e1 &&
	test -n "$(job_field $id started_at)" && test -n "$(job_field $id finished_at)"
'

test_expect_success 'a job running true ends completed with exit code 0' '
	id=$(cjobs job submit --image $IMG -- true) &&
	cjobs process-jobs &&
	test "$(job_field $id status)" = completed &&
	test "$(job_field $id exit_code)" = 0 &&
	cjobs job show $id --format json | python3 -c "
import json,sys
j=json.load(sys.stdin)
assert [(h[\"from\"],h[\"to\"]) for h in j[\"history\"]] == [(None,\"queued\"),(\"queued\",\"launching\"),(\"launching\",\"running\"),(\"running\",\"completed\")], j[\"history\"]"
'

test_expect_success 'a job past its time limit is killed (not before it) and ends timeout' '
	id=$(cjobs job submit --image $IMG --timeout 2 -- sleep 600) &&
	expect_code 3 cjobs process-jobs &&
	test "$(job_field $id status)" = timeout &&
	job_field $id last_error | grep -q "killed after its time limit of 2s" &&
	echo "ran $(ran_ms $id) ms" && test "$(ran_ms $id)" -ge 2000
'

test_expect_success 'a container that ends on its own just as its time limit passes, the worker not yet told, is recorded as it ended (completed, exit 0), not timeout' '
	gated_host "$ENGINE_SOCK" || exit 1
	{
		id=$(cjobs job submit --host gated --image $IMG --timeout 5 -- sh -c "sleep 3; exit 0") &&
		cjobs process-jobs --host gated -v >worker.log 2>&1 &&
		grep -q "job $id: its container was no longer running when its time limit passed" worker.log &&
		test "$(job_field $id status)" = completed &&
		test "$(job_field $id exit_code)" = 0 &&
		test -z "$(job_field $id last_error)"
	}
	rc=$?
	cjobs host remove gated --force >/dev/null
	exit $rc
'

test_expect_success 'the worker --timeout applies to jobs without their own; a job'"'"'s own limit wins' '
	id=$(cjobs job submit --image $IMG -- sleep 600) &&
	own=$(cjobs job submit --image $IMG --timeout 600 -- sleep 3) &&
	expect_code 3 cjobs process-jobs --timeout 1 &&
	test "$(job_field $id status)" = timeout &&
	job_field $id last_error | grep -q "time limit of 1s" &&
	test "$(job_field $own status)" = completed
'

test_expect_success '--timeout 0 is no time limit; config key worker.timeout sets it, the option wins' '
	id=$(cjobs job submit --image $IMG -- sleep 2) &&
	cjobs process-jobs --timeout 0 &&
	test "$(job_field $id status)" = completed &&
	printf "[worker]\ntimeout = 1\n" >t.ini &&
	id=$(cjobs job submit --image $IMG -- sleep 600) &&
	expect_code 3 cjobs --config t.ini process-jobs &&
	job_field $id last_error | grep -q "time limit of 1s" &&
	id=$(cjobs job submit --image $IMG -- sleep 2) &&
	cjobs --config t.ini process-jobs --timeout 0 &&
	test "$(job_field $id status)" = completed
'

test_expect_success 'exit code 3 only for a job this run ended failed; a retry it schedules is exit 0' '
	id=$(cjobs job submit --image $IMG --max-retries 1 --retry-on-exit-code 3 -- sh -c "exit 3") &&
	cjobs process-jobs &&
	test "$(job_field $id status)" = queued &&
	test "$(job_field $id attempt)" = 1 &&
	cjobs manage-jobs cancel --job-id $id >/dev/null
'

test_expect_success 'an unusable host makes exit 2 even when a job also failed' '
	cjobs host add down --url "unix://$TEST_DIR/nothing.sock" >/dev/null &&
	id=$(cjobs job submit --image $IMG -- false) &&
	expect_code 2 cjobs process-jobs 2>err &&
	grep -q "host .down. (unix://$TEST_DIR/nothing.sock) cannot be used" err &&
	test "$(job_field $id status)" = failed && test "$(job_field $id ran_on)" = e1 &&
	cjobs host remove down --force >/dev/null
'

test_expect_success 'a missing image on a host that may not pull fails naming the image' '
	id=$(cjobs job submit --image cjobs-test/nosuch:9 -- true) &&
	expect_code 3 cjobs process-jobs 2>err &&
	test "$(job_field $id status)" = failed &&
	job_field $id last_error | grep -q "cjobs-test/nosuch:9" &&
	job_field $id last_error | grep -q "pulling is off"
'

test_expect_success 'a host that may pull tries to pull a missing image, and says so when it fails' '
	cjobs host add pulling --url "$ENGINE_URL" --pull yes >/dev/null &&
	id=$(cjobs job submit --image 127.0.0.1:9/cjobs-test/none:1 --host pulling -- true) &&
	expect_code 3 cjobs process-jobs --host pulling 2>err &&
	test "$(job_field $id status)" = failed &&
	job_field $id last_error | grep -q "pull" &&
	job_field $id last_error | grep -q "127.0.0.1:9/cjobs-test/none:1" &&
	cjobs host disable pulling >/dev/null
'

test_expect_success 'environment, working directory and argv reach the container exactly' '
	id=$(cjobs job submit --image $IMG --env "GREETING=hi there" --workdir /tmp \
		-- sh -c "echo \"\$GREETING\"; pwd; echo \"\$1|\$2\"" x "a b" "") &&
	cjobs process-jobs &&
	cjobs job logs $id --stream stdout >out &&
	printf "hi there\n/tmp\na b|\n" >want && test_cmp want out
'

test_expect_success 'memory and cpu limits are applied' '
	id=$(cjobs job submit --image $IMG --memory 64m --cpus 0.5 -- sh -c "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max; cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cut -d\" \" -f1 /sys/fs/cgroup/cpu.max") &&
	cjobs process-jobs &&
	printf "67108864\n50000\n" >want &&
	cjobs job logs $id --stream stdout >got && test_cmp want got
'

test_expect_success 'peak memory and cpu time are recorded for a job that runs a while' '
	id=$(cjobs job submit --image $IMG -- sh -c "i=0; while [ \$i -lt 300000 ]; do i=\$((i+1)); done; sleep 1") &&
	cjobs process-jobs &&
	test "$(job_field $id status)" = completed &&
	test "$(job_field $id peak_memory_bytes)" -gt 0 &&
	python3 -c "import sys; assert float(sys.argv[1]) > 0, sys.argv[1]" "$(job_field $id cpu_seconds)"
'

test_expect_success 'output beyond --output-limit is cut and marked' '
	id=$(cjobs job submit --image $IMG -- sh -c "head -c 300000 /dev/zero | tr \"\\0\" x; echo; echo e >&2") &&
	cjobs process-jobs --output-limit 100k &&
	test "$(cjobs job logs $id --stream stdout 2>note | wc -c)" = 102400 &&
	grep -q "cut at 102400 bytes of 300001" note
'

test_expect_success '--output-limit per stream: exactly the limit is kept whole, one byte more is cut; config key worker.output_limit' '
	id=$(cjobs job submit --image $IMG -- sh -c "yes a | head -c 1024; yes b | head -c 1025 >&2") &&
	cjobs process-jobs --output-limit 1k &&
	cjobs job show $id --format json | python3 -c "
import json,sys
j = json.load(sys.stdin)
assert j[\"stdout\"] == {\"kept_bytes\": 1024, \"total_bytes\": 1024, \"truncated\": False}, j[\"stdout\"]
assert j[\"stderr\"] == {\"kept_bytes\": 1024, \"total_bytes\": 1025, \"truncated\": True}, j[\"stderr\"]" &&
	printf "[worker]\noutput_limit = 10\n" >o.ini &&
	id=$(cjobs job submit --image $IMG -- sh -c "yes a | head -c 11") &&
	cjobs --config o.ini process-jobs &&
	cjobs job show $id --format json | python3 -c "
import json,sys
o = json.load(sys.stdin)[\"stdout\"]
assert o == {\"kept_bytes\": 10, \"total_bytes\": 11, \"truncated\": True}, o"
'

test_expect_success 'higher priority runs first, then the oldest' '
	a=$(cjobs job submit --image $IMG -- true) &&
	b=$(cjobs job submit --image $IMG --priority 10 -- true) &&
	c=$(cjobs job submit --image $IMG -- true) &&
	cjobs process-jobs --max-jobs 1 &&
	order=$(for j in $a $b $c; do echo "$(job_field $j started_at) $j"; done | sort | cut -d" " -f2 | tr "\n" " ") &&
	test "$order" = "$b $a $c "
'

test_expect_success 'a job whose start time has not come is left queued' '
	id=$(cjobs job submit --image $IMG --at +1h -- true) &&
	cjobs process-jobs &&
	test "$(job_field $id status)" = queued
'

test_expect_success 'no container labelled by cjobs is left on the engine' '
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

test_done
