#!/usr/bin/env bash
# stores: both (tests/run runs it again on PostgreSQL)
# Automatic retries: a job's --max-retries, --retry-strategy and
# --retry-on-exit-code; permanent errors and time limits are never retried;
# each attempt's output and result stay in the job's history.
. "$(dirname "$0")/../lib/test-lib.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
add_test_host e1 --max-jobs 8
IMG=cjobs-test/busybox:1

history_reasons() {
	cjobs job show "$1" --format json | python3 -c '
import json,sys
for e in json.load(sys.stdin)["history"]: print(e["attempt"], e["from"], e["to"], e["reason"])'
}

test_expect_success 'an exit code the job lists is retried with its strategy until retries run out' '
	id=$(cjobs job submit --image $IMG --max-retries 2 --retry-strategy aggressive \
		--retry-on-exit-code 3,4 -- sh -c "echo try; exit 3") &&
	cjobs job show $id >show && grep -q "max retries:   2 (strategy aggressive: first after about 1.0s, x1.5, at most 1m00s; also on exit codes 3,4)" show &&
	test "$(job_field $id retry_strategy)" = aggressive &&
	test "$(job_field $id retry_on_exit_code)" = 3,4 || exit 1
	# An hour between looks of its own: each retry must start when it is
	# due, not at the next poll (see reap_slots and wake_for_scheduled in
	# worker.c: a claim made while the failed attempt still held its place
	# on the host, or a wake a millisecond before the time, once missed it).
	"$CJOBS_BIN" process-jobs --daemon --poll-interval 3600 --verbosity 2 2>w.log &
	pid=$! &&
	stop_on_exit $pid &&
	# Two retries due within seconds; a worker that waited for its own
	# 40-second reconcile instead of the retry time would take over 80.
	wait_for 60 "test \"\$(job_field $id status)\" = failed" &&
	test "$(job_field $id attempt)" = 3 &&
	test "$(job_field $id exit_code)" = 3 &&
	history_reasons $id >h &&
	grep -Eq "^1 running queued exited 3; retry 1 of 2 in [0-9.]+m?s \(aggressive strategy\)$" h &&
	grep -Eq "^2 running queued exited 3; retry 2 of 2 in [0-9.]+m?s \(aggressive strategy\)$" h &&
	grep -q "^3 running failed exited 3$" h &&
	for a in 1 2 3; do test "$(cjobs job logs $id --attempt $a --stream stdout)" = try || exit 1; done &&
	grep -q "retry 1 of 2 in" w.log
'

test_expect_success 'a job'"'"'s own --retry-delay, --retry-factor and --retry-max-delay set the waits between its attempts' '
	id=$(cjobs job submit --image $IMG --max-retries 2 --retry-on-exit-code 3 \
		--retry-delay 2 --retry-factor 2 --retry-max-delay 3 -- sh -c "exit 3") &&
	test "$(job_field $id retry_strategy)" = default &&
	test "$(job_field $id retry_delay_seconds)" = 2 &&
	test "$(job_field $id retry_factor)" = 2.0 &&
	test "$(job_field $id retry_max_delay_seconds)" = 3 &&
	cjobs job show $id >show &&
	grep -q "max retries:   2 (strategy default: first after about 2.0s, x2, at most 3.0s; also on exit codes 3)" show || exit 1
	"$CJOBS_BIN" process-jobs --daemon --poll-interval 3600 2>w.log &
	pid=$! &&
	stop_on_exit $pid &&
	wait_for 60 "test \"\$(job_field $id status)\" = failed" &&
	history_reasons $id >h &&
	python3 - h <<-"PY"
	import re, sys
	waits = [float(m.group(1)) / (1000 if m.group(2) == "ms" else 1)
	         for m in re.finditer(r"retry \d of 2 in ([0-9.]+)(m?s)", open(sys.argv[1]).read())]
	# 2 s, then 2 x 2 = 4 s held at 3 s; each scaled by 0.8 to 1.2 and
	# never past the ceiling.
	assert len(waits) == 2, waits
	assert 1.6 <= waits[0] <= 2.4, waits
	assert 2.4 <= waits[1] <= 3.0, waits
	PY
'

test_expect_success 'process-jobs without --daemon leaves its retries queued; with --wait-retries it waits for them and ends with their result' '
	id=$(cjobs job submit --image $IMG --max-retries 2 --retry-strategy aggressive \
		--retry-on-exit-code 3 -- sh -c "exit 3") &&
	cjobs process-jobs 2>w.log &&
	test "$(job_field $id status)" = queued && test "$(job_field $id attempt)" = 1 &&
	cjobs manage-jobs cancel --job-id $id >/dev/null &&
	id=$(cjobs job submit --image $IMG --max-retries 2 --retry-strategy aggressive \
		--retry-on-exit-code 3 -- sh -c "exit 3") &&
	expect_code 3 cjobs process-jobs --wait-retries 2>w.log &&
	test "$(job_field $id status)" = failed && test "$(job_field $id attempt)" = 3 &&
	grep -q "waiting [0-9.]*s for a retry this run scheduled (--wait-retries)" w.log &&
	grep -q "processed: 0 completed, 1 failed or timed out, 2 queued again for a retry" w.log
'

test_expect_success 'an exit code the job does not list fails it at once' '
	id=$(cjobs job submit --image $IMG --max-retries 2 --retry-on-exit-code 1,2 -- sh -c "exit 3") &&
	expect_code 3 cjobs process-jobs &&
	test "$(job_field $id status)" = failed &&
	test "$(job_field $id attempt)" = 1
'

test_expect_success 'without --retry-on-exit-code a non-zero exit is not retried, retries or not' '
	id=$(cjobs job submit --image $IMG --max-retries 3 -- sh -c "exit 1") &&
	expect_code 3 cjobs process-jobs &&
	test "$(job_field $id status)" = failed &&
	test "$(job_field $id attempt)" = 1
'

test_expect_success 'a missing image is permanent: failed at once whatever the retries' '
	id=$(cjobs job submit --image cjobs-test/nosuch:1 --max-retries 3 -- true) &&
	expect_code 3 cjobs process-jobs 2>err &&
	test "$(job_field $id status)" = failed &&
	test "$(job_field $id attempt)" = 1 &&
	job_field $id last_error | grep -q "not found" &&
	grep -q "not retried: a permanent error" err
'

test_expect_success 'a missing executable is permanent: failed at once, no container left' '
	id=$(cjobs job submit --image $IMG --max-retries 3 -- /nonexistent) &&
	expect_code 3 cjobs process-jobs 2>err &&
	test "$(job_field $id status)" = failed &&
	test "$(job_field $id attempt)" = 1 &&
	grep -q "not retried: a permanent error" err &&
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

test_expect_success 'a time limit is never retried automatically' '
	id=$(cjobs job submit --image $IMG --timeout 1 --max-retries 2 --retry-on-exit-code any -- sleep 30) &&
	expect_code 3 cjobs process-jobs &&
	test "$(job_field $id status)" = timeout &&
	test "$(job_field $id attempt)" = 1
'

test_expect_success 'bad retry settings are refused and nothing is stored' '
	before=$(store_digest) &&
	expect_code 1 cjobs job submit --image $IMG --retry-strategy fast -- true 2>err &&
	grep -q "option --retry-strategy: .fast. is not one of: default, aggressive, conservative" err &&
	for v in 0 256; do
		expect_code 1 cjobs job submit --image $IMG --retry-on-exit-code "$v" -- true 2>err &&
		grep -q "retry-on-exit-code: exit codes are from 1 to 255 (0 is success); .$v. is not" err ||
			{ cat err; exit 1; }
	done &&
	for v in abc 1, "1;2"; do
		expect_code 1 cjobs job submit --image $IMG --retry-on-exit-code "$v" -- true 2>err &&
		grep -q "retry-on-exit-code: .$v. is not .any. or a comma-separated list of exit codes" err ||
			{ cat err; exit 1; }
	done &&
	expect_code 1 cjobs job submit --image $IMG --retry-on-exit-code "" -- true 2>err &&
	grep -q "retry-on-exit-code: give .any. or exit codes such as 1,75" err &&
	for v in 0.5 11 1.2345 x; do
		expect_code 1 cjobs job submit --image $IMG --retry-factor "$v" -- true 2>err &&
		grep -q "option --retry-factor: .$v. is not a number from 1 to 10 (up to three decimals, e.g. 1.5)" err ||
			{ cat err; exit 1; }
	done &&
	expect_code 1 cjobs job submit --image $IMG --retry-delay 0 -- true 2>err &&
	grep -q "option --retry-delay: .0. is not a duration from 1 to 86400 seconds" err &&
	expect_code 1 cjobs job submit --image $IMG --retry-delay 1h --retry-max-delay 10m -- true 2>err &&
	grep -q "retry-max-delay (600s) is shorter than the first retry.s delay (3600s)" err &&
	expect_code 1 cjobs job submit --image $IMG --retry-strategy conservative --retry-max-delay 30 -- true 2>err &&
	grep -q "retry-max-delay (30s) is shorter than the first retry.s delay (60s)" err &&
	test "$(store_digest)" = "$before"
'

test_done
