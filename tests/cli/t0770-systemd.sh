#!/usr/bin/env bash
# stores: both (tests/run runs it again on PostgreSQL)
# Running under systemd: the notifications of process-jobs --daemon and of
# serve, sent to a datagram socket this test owns as NOTIFY_SOCKET (the
# service manager's side, tests/lib/notify-listen.py); journal priorities
# on standard error when JOURNAL_STREAM names it; the units in
# dist/systemd checked by systemd-analyze verify where that tool is.
. "$(dirname "$0")/../lib/test-lib.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
add_test_host e1
IMG=cjobs-test/busybox:1

# Logs and sockets live in $TEST_DIR/s, not beside the SQLite store: a
# daemon watches the store's directory, and each line written there would
# wake it.
mkdir -p "$TEST_DIR/s"

# listen NAME: a notification socket s/NAME.sock whose datagrams go to
# s/NAME.log; its pid in $lpid (call it in the test body itself).
listen() {
	rm -f "$TEST_DIR/s/$1.sock" "$TEST_DIR/s/$1.log"
	python3 "$TEST_ROOT/tests/lib/notify-listen.py" "$TEST_DIR/s/$1.sock" "$TEST_DIR/s/$1.log" &
	lpid=$!
	wait_for 30 "test -S \"$TEST_DIR/s/$1.sock\""
}

# count PATTERN LOG: how many lines of LOG match PATTERN exactly.
count() { grep -cx "$1" "$2" || true; }

test_expect_success 'process-jobs --daemon: READY=1 once it heard from its host, STATUS lines of running and queued jobs, WATCHDOG=1 pings, RELOADING=1 then READY=1 on SIGUSR1, STOPPING=1 on SIGTERM' '
	listen w
	NOTIFY_SOCKET=$TEST_DIR/s/w.sock WATCHDOG_USEC=200000 \
		"$CJOBS_BIN" process-jobs --daemon --max-jobs 1 --poll-interval 3600 --verbosity 3 \
		>/dev/null 2>s/d.log &
	pid=$!
	trap "kill -INT $pid 2>/dev/null; kill $lpid 2>/dev/null; wait $pid $lpid 2>/dev/null" EXIT
	wait_for 60 "grep -qx READY=1 s/w.log" &&
	# The READY datagram carries the first STATUS: the host answered.
	grep -A1 -x READY=1 s/w.log | grep -qx "STATUS=running 0 jobs, 0 ready in the queue; 1 of 1 host answering" &&
	a=$(cjobs job submit --image $IMG -- sh -c "$GATED") &&
	b=$(cjobs job submit --image $IMG -- sh -c "$GATED") &&
	wait_for 60 "grep -qx \"STATUS=running 1 job, 1 ready in the queue; 1 of 1 host answering\" s/w.log" &&
	# The slot is taken from the claim; the job is "running" in the store
	# once its container started, which a loaded machine may take seconds.
	wait_for 60 "test \"\$(job_field $a status)\" = running || test \"\$(job_field $b status)\" = running" &&
	# Half of WATCHDOG_USEC: a ping every 0.1 s; a few have come by now.
	wait_for 30 "test \$(count WATCHDOG=1 s/w.log) -ge 5" &&
	kill -USR1 $pid &&
	wait_for 30 "grep -q \"^RELOADING=1\$\" s/w.log && test \$(count READY=1 s/w.log) -ge 2" &&
	grep -A1 -x RELOADING=1 s/w.log | grep -q "^MONOTONIC_USEC=[1-9][0-9]*\$" &&
	r=$(grep -nx RELOADING=1 s/w.log | cut -d: -f1) &&
	second=$(grep -nx READY=1 s/w.log | sed -n 2p | cut -d: -f1) &&
	test "$r" -lt "$second" &&
	test_grep -q "SIGUSR1: configuration" s/d.log &&
	kill -TERM $pid &&
	wait_for 30 "grep -qx STOPPING=1 s/w.log" &&
	grep -A1 -x STOPPING=1 s/w.log | grep -qx "STATUS=stopping: waiting for 1 running job" &&
	if test "$(job_field $a status)" = running; then run=$a left=$b; else run=$b left=$a; fi &&
	job_release $run &&
	wait_exit 60 $pid &&
	test "$(job_field $run status)" = completed &&
	cjobs manage-jobs cancel --job-id $left >/dev/null
'

test_expect_success 'process-jobs --daemon: the STATUS line counts ready jobs up to 10000 and says "more than 10000" past that' '
	listen q
	NOTIFY_SOCKET=$TEST_DIR/s/q.sock \
		"$CJOBS_BIN" process-jobs --daemon --max-jobs 1 --poll-interval 3600 >/dev/null 2>s/q-d.log &
	pid=$!
	trap "kill -INT $pid 2>/dev/null; kill $lpid 2>/dev/null; wait $pid $lpid 2>/dev/null" EXIT
	wait_for 60 "grep -qx READY=1 s/q.log" &&
	a=$(cjobs job submit --image $IMG -- sh -c "$GATED") &&
	wait_for 60 "test \"\$(job_field $a status)\" = running" &&
	cjobs job submit --image $IMG --host e1 --count 9999 -- true >/dev/null &&
	wait_for 60 "grep -qx \"STATUS=running 1 job, 9999 ready in the queue; 1 of 1 host answering\" s/q.log" &&
	cjobs job submit --image $IMG --host e1 -- true >/dev/null &&
	wait_for 60 "grep -qx \"STATUS=running 1 job, 10000 ready in the queue; 1 of 1 host answering\" s/q.log" &&
	cjobs job submit --image $IMG --host e1 -- true >/dev/null &&
	wait_for 60 "grep -qx \"STATUS=running 1 job, more than 10000 ready in the queue; 1 of 1 host answering\" s/q.log" &&
	# The daemon stopped first: the jobs it would start meanwhile could
	# end between the cancel listing them and moving them.
	job_release $a &&
	kill -TERM $pid &&
	wait_exit 60 $pid &&
	test "$(job_field $a status)" = completed &&
	cjobs manage-jobs cancel --host e1 --force >/dev/null &&
	test "$(store_sql "select count(*) from jobs where status in ('"'"'queued'"'"', '"'"'launching'"'"', '"'"'running'"'"')")" = 0
'

test_expect_success 'process-jobs --daemon: no WATCHDOG=1 when WATCHDOG_PID names another process (an inherited environment), READY=1 still' '
	listen p
	NOTIFY_SOCKET=$TEST_DIR/s/p.sock WATCHDOG_USEC=200000 WATCHDOG_PID=1 \
		"$CJOBS_BIN" process-jobs --daemon --poll-interval 3600 >/dev/null 2>s/p-d.log &
	pid=$!
	trap "kill -INT $pid 2>/dev/null; kill $lpid 2>/dev/null; wait $pid $lpid 2>/dev/null" EXIT
	wait_for 60 "grep -qx READY=1 s/p.log" &&
	# Past READY the loop is running: a watchdog of its own would have
	# pinged every 0.1 s; a reload round trip shows the loop turned.
	kill -USR1 $pid &&
	wait_for 30 "test \$(count READY=1 s/p.log) -ge 2" &&
	test "$(count WATCHDOG=1 s/p.log)" = 0 &&
	kill -TERM $pid &&
	wait_exit 60 $pid
'

test_expect_success 'serve: READY=1 with a STATUS naming the address once it listens, STOPPING=1 on SIGTERM' '
	listen s
	NOTIFY_SOCKET=$TEST_DIR/s/s.sock "$CJOBS_BIN" serve --listen 127.0.0.1:0 >/dev/null 2>s/serve.log &
	pid=$!
	trap "kill -INT $pid 2>/dev/null; kill $lpid 2>/dev/null; wait $pid $lpid 2>/dev/null" EXIT
	wait_for 60 "grep -qx READY=1 s/s.log" &&
	url=$(sed -n "s/.* serving \(http:\/\/[^ ]*\) .*/\1/p" s/serve.log) &&
	test -n "$url" &&
	grep -A1 -x READY=1 s/s.log | grep -qx "STATUS=serving $url" &&
	curl -s -o /dev/null "$url/" &&
	! grep -q STOPPING s/s.log &&
	kill -TERM $pid &&
	wait_exit 60 $pid &&
	grep -qx STOPPING=1 s/s.log
'

test_expect_success 'JOURNAL_STREAM naming standard error: each line starts with the journal priority (<3> error, <6> info, <7> debug) and carries no time of its own' '
	: >s/j.log &&
	js=$(stat -c "%d:%i" s/j.log) &&
	JOURNAL_STREAM=$js "$CJOBS_BIN" process-jobs --verbosity 3 >/dev/null 2>>s/j.log &&
	{ JOURNAL_STREAM=$js "$CJOBS_BIN" job show 99999 >/dev/null 2>>s/j.log || true; } &&
	test_grep -q "^<6>processed: " s/j.log &&
	test_grep -q "^<7>debug: " s/j.log &&
	test_grep -q "^<3>cjobs: error: no job with id 99999" s/j.log &&
	! grep -v "^<[367]>\|^Run " s/j.log &&
	! grep -q "[0-9]T[0-9][0-9]:[0-9][0-9]:" s/j.log
'

test_expect_success 'JOURNAL_STREAM inherited but naming another file: the usual lines, with their time and no priority' '
	: >s/other && : >s/k.log &&
	JOURNAL_STREAM=$(stat -c "%d:%i" s/other) "$CJOBS_BIN" process-jobs --verbosity 3 >/dev/null 2>>s/k.log &&
	test_grep -q "^20[0-9-]*T[0-9:.]*Z cjobs: processed: " s/k.log &&
	! grep -q "^<[0-9]>" s/k.log
'

# The units as installed, but starting the binary under test: verify
# checks that the commands they run exist.
if command -v systemd-analyze >/dev/null 2>&1; then
	test_expect_success 'the units in dist/systemd pass systemd-analyze verify with not one complaint' '
		mkdir -p u &&
		for f in cjobs-worker.service cjobs-serve.service; do
			sed "s|/usr/bin/cjobs|$CJOBS_BIN|" "$TEST_ROOT/dist/systemd/$f" >u/$f || return 1
		done &&
		grep -q "^Type=notify" u/cjobs-worker.service &&
		grep -q "^ExecReload=/bin/kill -USR1 \$MAINPID" u/cjobs-worker.service &&
		systemd-analyze verify --man=no u/cjobs-worker.service u/cjobs-serve.service >u/out 2>&1 &&
		{ ! test -s u/out || { cat u/out; false; }; }
	'
else
	test_skip 'the units in dist/systemd pass systemd-analyze verify' 'no systemd-analyze on this machine'
fi

test_done
