#!/usr/bin/env bash
# A job that prints 100 MB: the worker's memory stays flat (its peak
# resident size is read from the kernel), and the store keeps the capped
# part, marked truncated, with the true size.
. "$(dirname "$0")/../lib/test-lib.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
add_test_host e1
IMG=cjobs-test/busybox:1

# peak_rss_kb PID: the process's peak resident set (VmHWM), in KiB.
peak_rss_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null; }

# The worker runs as a daemon, so that its peak resident size (VmHWM, the
# kernel's high-water mark: nothing to sample) can be read once the job is
# recorded, before the worker exits.
test_expect_success 'a job that prints 100 MB: the worker stays under 64 MB; the log is capped and marked' '
	id=$(cjobs job submit --image $IMG -- sh -c "yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c 100000000; echo tail >&2") || exit 1
	"$CJOBS_BIN" process-jobs --daemon --output-limit 1m 2>w.log &
	pid=$!
	stop_on_exit $pid
	wait_for 300 "test \"\$(job_field $id status)\" = completed" &&
	peak=$(peak_rss_kb $pid) &&
	echo "worker peak resident memory: ${peak} KiB" &&
	kill -TERM $pid && wait_exit 60 $pid &&
	test "$peak" -gt 0 && test "$peak" -lt 65536 &&
	cjobs job logs $id --stream stdout >out 2>note &&
	test "$(wc -c <out)" = 1048576 &&
	grep -q "stdout of job $id was cut at 1048576 bytes of 100000000" note &&
	cjobs job show $id --format json | python3 -c "
import json,sys
o = json.load(sys.stdin)[\"stdout\"]
assert o == {\"kept_bytes\": 1048576, \"total_bytes\": 100000000, \"truncated\": True}, o" &&
	cjobs job show $id | grep -q "^output: *stdout 1.0 MiB kept of 95.4 MiB written (cut at the output limit), stderr 5 B" &&
	test "$(cjobs job logs $id --stream stderr)" = tail
'

test_done
