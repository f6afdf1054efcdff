#!/usr/bin/env bash
# --max-jobs bounds the containers running at once, and all jobs finish.
. "$(dirname "$0")/../lib/test-lib.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
add_test_host e1 --max-jobs 10
IMG=cjobs-test/busybox:1

# Counts running cjobs containers every 50 ms until told to stop; prints
# the largest count seen.
sample_running() {
	local max=0 n
	while [ ! -f stop-sampling ]; do
		n=$(curl -s --unix-socket "$ENGINE_SOCK" -G http://d/containers/json \
			--data-urlencode 'filters={"label":["cjobs.job"],"status":["running"]}' |
			grep -o '"Id"' | wc -l)
		[ "$n" -gt "$max" ] && max=$n
		sleep 0.05
	done
	echo "$max"
}

test_expect_success '20 jobs with --max-jobs 4 never run more than 4 at once' '
	for i in $(seq 20); do cjobs job submit --image $IMG -- sleep 1 >/dev/null || exit 1; done
	rm -f stop-sampling
	sample_running >maxseen &
	spid=$!
	cjobs process-jobs --max-jobs 4 &&
	touch stop-sampling && wait $spid &&
	echo "most running at once: $(cat maxseen)" &&
	test "$(cat maxseen)" -le 4 && test "$(cat maxseen)" -ge 2 &&
	test "$(cjobs job list --status completed --format json | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")" = 20
'

test_expect_success 'the host limit bounds the containers too' '
	cjobs host update e1 --max-jobs 2 >/dev/null &&
	for i in $(seq 6); do cjobs job submit --image $IMG -- sleep 1 >/dev/null || exit 1; done
	rm -f stop-sampling
	sample_running >maxseen &
	spid=$!
	cjobs process-jobs --max-jobs 8 &&
	touch stop-sampling && wait $spid &&
	test "$(cat maxseen)" -le 2 &&
	test "$(cjobs job list --status completed --format json | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")" = 26
'

test_expect_success 'no container labelled by cjobs is left on the engine' '
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

test_done
