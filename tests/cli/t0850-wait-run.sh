#!/usr/bin/env bash
# stores: both (tests/run runs it again on PostgreSQL)
# job wait, job logs --follow and run, against a real engine with a worker
# daemon running: the exit codes the help documents, output printed while
# the job still runs (a gated job shows it), the streams kept apart,
# Ctrl-C cancelling, and the note when no worker runs. No test sleeps to
# let something happen: each waits for a job status, a file or a process.
# A process a test starts in the background is ended when its test ends,
# however it ends (a failed test would leave it waiting for ever).
. "$(dirname "$0")/../lib/test-lib.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
add_test_host e1
IMG=cjobs-test/busybox:1

"$CJOBS_BIN" process-jobs --daemon --verbosity 3 >/dev/null 2>"$TEST_DIR/daemon.log" &
DAEMON=$!
trap 'kill -INT $DAEMON 2>/dev/null; wait $DAEMON 2>/dev/null; test_cleanup' EXIT

# gone PID: the process has ended (a zombie counts: the daemon is this
# script's child, not a test body's, so a body cannot reap it).
gone() { ! test -e /proc/$1/stat || test "$(sed "s/.*) //" /proc/$1/stat | cut -c1)" = Z; }

# on_tty.py COMMAND...: runs COMMAND on a terminal of its own (a pty), as a
# person would: when it has printed "started", types Ctrl-C and answers n
# to the question; types Ctrl-C again (a second question shows that the
# first answer cancelled nothing) and answers y; prints what the terminal
# showed and the exit code.
cat >"$TEST_DIR/on_tty.py" <<'PY'
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
seen = b""
def until(text):
    global seen
    end = time.time() + 60
    while text not in seen:
        if time.time() > end:
            sys.exit("timed out waiting for %r; the terminal showed %r" % (text, seen))
        if select.select([fd], [], [], 0.5)[0]:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:
                sys.exit("it ended before %r; the terminal showed %r" % (text, seen))
            seen += data
until(b"started")
os.write(fd, b"\x03")
until(b"? [y/N] ")
seen = seen.replace(b"? [y/N] ", b"? [y/N] (answered) ", 1)
os.write(fd, b"n\n")
until(b"Ctrl-C asks again")
os.write(fd, b"\x03")
until(b"? [y/N] ")
os.write(fd, b"y\n")
_, status = os.waitpid(pid, 0)
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    seen += data
sys.stdout.write(seen.decode(errors="replace"))
print("\nexit %d" % os.waitstatus_to_exitcode(status))
PY

# newest_job: the id of the job stored last.
newest_job() { store_sql "SELECT max(id) FROM jobs"; }

test_expect_success 'the worker daemon is up' '
	wait_for 60 "grep -q \"no job ready\" daemon.log"
'

test_expect_success 'job wait on jobs that ended: its exit code for one job; 0 or 3 for several' '
	ok=$(cjobs job submit --image $IMG -- true) &&
	bad=$(cjobs job submit --image $IMG -- sh -c "exit 7") &&
	wait_for 60 "test \"\$(job_field $bad status)\" = failed && test \"\$(job_field $ok status)\" = completed" &&
	expect_code 0 cjobs job wait $ok &&
	expect_code 7 cjobs job wait $bad &&
	expect_code 0 cjobs job wait $ok $ok &&
	expect_code 3 cjobs job wait $ok $bad
'

test_expect_success 'job wait blocks while the job runs and returns when it ends, with its code' '
	id=$(cjobs job submit --image $IMG -- sh -c "$GATED; exit 4") &&
	{ "$CJOBS_BIN" job wait $id >w.out 2>w.err & wpid=$!; } &&
	trap "kill $wpid 2>/dev/null" EXIT &&
	wait_for 60 "test \"\$(job_field $id status)\" = running" &&
	kill -0 $wpid &&
	job_release $id &&
	expect_code 4 wait_exit 60 $wpid &&
	test "$(job_field $id status)" = failed &&
	test ! -s w.out && test ! -s w.err
'

test_expect_success 'job wait: several jobs are waited for until the last has ended' '
	a=$(cjobs job submit --image $IMG -- true) &&
	b=$(cjobs job submit --image $IMG -- sh -c "$GATED") &&
	{ "$CJOBS_BIN" job wait $a $b & wpid=$!; } &&
	trap "kill $wpid 2>/dev/null" EXIT &&
	wait_for 60 "test \"\$(job_field $a status)\" = completed && test \"\$(job_field $b status)\" = running" &&
	kill -0 $wpid &&
	job_release $b &&
	expect_code 0 wait_exit 60 $wpid
'

test_expect_success 'job wait --timeout: exit 124 when the job has not ended, the job left as it was' '
	id=$(cjobs job submit --image $IMG --at +1d -- true) &&
	# Bounded from outside too (SIGKILL: 137), so that a wait that ignores
	# --timeout fails here instead of hanging the script.
	expect_code 124 timeout -s KILL 60 "$CJOBS_BIN" job wait $id --timeout 1 &&
	expect_code 124 timeout -s KILL 60 "$CJOBS_BIN" job wait $id --timeout 0 &&
	test "$(job_field $id status)" = queued &&
	cjobs manage-jobs cancel --job-id $id >/dev/null
'

test_expect_success 'job wait: a job cancelled while waited for gives 130' '
	id=$(cjobs job submit --image $IMG --at +1d -- true) &&
	{ "$CJOBS_BIN" job wait $id & wpid=$!; } &&
	trap "kill $wpid 2>/dev/null" EXIT &&
	cjobs manage-jobs cancel --job-id $id >/dev/null &&
	expect_code 130 wait_exit 60 $wpid
'

test_expect_success 'job wait: a job killed at its time limit gives 137, one that could not run 125' '
	t=$(cjobs job submit --image $IMG --timeout 1 -- sleep 300) &&
	n=$(cjobs job submit --image cjobs-test/nosuch:9 -- true) &&
	expect_code 137 cjobs job wait $t &&
	test "$(job_field $t status)" = timeout &&
	expect_code 125 cjobs job wait $n &&
	test "$(job_field $n status)" = failed && test -z "$(job_field $n exit_code)"
'

test_expect_success 'job wait: an unknown id is the error of job show, and nothing is waited for' '
	ok=$(cjobs job submit --image $IMG -- true) &&
	expect_code 1 cjobs job wait $ok 999 2>err &&
	test_grep -q "^cjobs: error: no job with id 999; .cjobs job list. shows the jobs$" err &&
	cjobs job show 999 2>show.err; head -1 show.err >show.line && head -1 err >wait.line &&
	test_cmp show.line wait.line
'

test_expect_success 'logs --follow prints the output while the job runs, then the rest, stdout and stderr apart' '
	id=$(cjobs job submit --image $IMG -- sh -c "echo first; echo oops >&2; $GATED; echo bye >&2") &&
	{ "$CJOBS_BIN" job logs $id --follow >f.out 2>f.err & fpid=$!; } &&
	trap "kill $fpid 2>/dev/null" EXIT &&
	wait_for 60 "grep -q first f.out && grep -q oops f.err" &&
	# Printed while the job still ran: it waits for the gate. (The store
	# says running once the worker heard its container started, which
	# may come after the first output on a loaded machine.)
	wait_for 60 "test \"\$(job_field $id status)\" = running" &&
	kill -0 $fpid &&
	job_release $id &&
	expect_code 0 wait_exit 60 $fpid &&
	printf "first\ndone\n" >want.out && printf "oops\nbye\n" >want.err &&
	test_cmp want.out f.out && test_cmp want.err f.err &&
	test "$(job_field $id status)" = completed
'

test_expect_success 'logs --follow --attempt 1 on a job running its second attempt: the first attempt from the store (no engine has it any more), then the second as it runs' '
	# The attempts share a volume: the first leaves a mark and fails, the
	# second finds it and waits for the gate.
	id=$(cjobs job submit --image $IMG --volume cjt-follow:/m --max-retries 1 \
		--retry-on-exit-code any --retry-strategy aggressive -- \
		sh -c "if [ -e /m/one ]; then echo second; $GATED; else : >/m/one; echo first; echo bad >&2; exit 3; fi") &&
	wait_for 60 "test \"\$(job_field $id attempt)\" = 2 && test \"\$(job_field $id status)\" = running" &&
	{ "$CJOBS_BIN" job logs $id --follow --attempt 1 >a.out 2>a.err & apid=$!; } &&
	trap "kill $apid 2>/dev/null" EXIT &&
	wait_for 60 "grep -q second a.out" &&
	kill -0 $apid &&
	job_release $id &&
	expect_code 0 wait_exit 60 $apid &&
	printf "first\nsecond\ndone\n" >want.out && printf "bad\n" >want.err &&
	test_cmp want.out a.out && test_cmp want.err a.err &&
	test "$(job_field $id status)" = completed
'

test_expect_success 'logs --follow --stream stdout prints only stdout; a queued job is waited for' '
	# Held in the queue by a dependency until the test releases it (a
	# time in --at would be a race on a loaded machine).
	gate=$(cjobs job submit --image $IMG -- sh -c "$GATED") &&
	id=$(cjobs job submit --image $IMG --after $gate -- sh -c "echo one; echo two >&2") &&
	{ "$CJOBS_BIN" job logs $id --follow --stream stdout >s.out 2>s.err & spid=$!; } &&
	trap "kill $spid 2>/dev/null" EXIT &&
	test "$(job_field $id status)" = queued &&
	job_release $gate &&
	expect_code 0 wait_exit 60 $spid &&
	test "$(cat s.out)" = one && test ! -s s.err &&
	test "$(job_field $id status)" = completed
'

test_expect_success 'logs --follow on a job that has ended prints what logs prints' '
	id=$(cjobs job submit --image $IMG -- sh -c "echo a; echo b >&2; echo c") &&
	expect_code 0 cjobs job wait $id &&
	cjobs job logs $id >plain.out 2>plain.err &&
	cjobs job logs $id --follow >fol.out 2>fol.err &&
	test_cmp plain.out fol.out && test_cmp plain.err fol.err &&
	test "$(cat fol.out)" = "a
c" &&
	n=$(cjobs job submit --image cjobs-test/nosuch:9 -- true) &&
	expect_code 125 cjobs job wait $n &&
	cjobs job logs $n >plain.out 2>plain.err &&
	cjobs job logs $n --follow >fol.out 2>fol.err &&
	test_cmp plain.out fol.out && test_cmp plain.err fol.err &&
	test_grep -q "no stored output" fol.err
'

test_expect_success 'run prints the output, stdout and stderr apart, and exits with the exit code' '
	expect_code 5 cjobs run --image $IMG -- sh -c "echo hi; echo err >&2; exit 5" >r.out 2>r.err </dev/null &&
	test "$(cat r.out)" = hi && test "$(cat r.err)" = err &&
	id=$(newest_job) &&
	test "$(job_field $id status)" = failed && test "$(job_field $id exit_code)" = 5 &&
	expect_code 0 cjobs run --image $IMG -- true </dev/null
'

test_expect_success 'run --detach prints the id and returns; the job runs' '
	id=$(cjobs run --image $IMG --detach -- sh -c "echo later") &&
	test "$id" = "$(newest_job)" &&
	expect_code 0 cjobs job wait $id &&
	test "$(cjobs job logs $id)" = later
'

test_expect_success 'run follows the later attempts of a retried job' '
	expect_code 3 cjobs run --image $IMG --max-retries 1 --retry-on-exit-code any --retry-strategy aggressive -- sh -c "echo try; exit 3" >t.out 2>t.err </dev/null &&
	printf "try\ntry\n" >want &&
	test_cmp want t.out &&
	test "$(job_field $(newest_job) attempt)" = 2
'

test_expect_success 'run: SIGINT cancels the job (no question without a terminal) and no container is left' '
	before=$(newest_job) &&
	{ "$CJOBS_BIN" run --image $IMG --grace 0 -- sh -c "echo started; sleep 300" >i.out 2>i.err </dev/null & rpid=$!; } &&
	trap "kill $rpid 2>/dev/null" EXIT &&
	wait_for 60 "test \"\$(newest_job)\" != \"$before\"" &&
	id=$(newest_job) &&
	wait_for 60 "grep -q started i.out" &&
	kill -INT $rpid &&
	expect_code 130 wait_exit 60 $rpid &&
	test "$(job_field $id status)" = cancelled &&
	! grep -q "cancel job" i.err &&
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

test_expect_success 'run on a terminal: Ctrl-C asks first; n goes on waiting, y cancels the job' '
	{ python3 on_tty.py "$CJOBS_BIN" run --image $IMG --grace 0 -- sh -c "echo started; sleep 300" >pty.out 2>&1 ||
		{ cat pty.out; false; }; } &&
	id=$(newest_job) &&
	test "$(grep -c "cancel job $id? \[y/N\]" pty.out)" = 2 &&
	test_grep -q "job $id goes on; Ctrl-C asks again" pty.out &&
	test_grep -q "^exit 130" pty.out &&
	test "$(job_field $id status)" = cancelled &&
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

test_expect_success 'run: with no worker running, it says so once and keeps waiting' '
	kill -TERM $DAEMON && wait_for 60 "gone $DAEMON" &&
	{ "$CJOBS_BIN" run --image $IMG -- true >n.out 2>n.err </dev/null & rpid=$!; } &&
	trap "kill $rpid 2>/dev/null" EXIT &&
	wait_for 60 "grep -q \"no worker is running\" n.err" &&
	test_grep -q "start one with cjobs process-jobs --daemon" n.err &&
	kill -0 $rpid &&
	id=$(newest_job) && test "$(job_field $id status)" = queued &&
	kill -INT $rpid &&
	expect_code 130 wait_exit 60 $rpid &&
	test "$(grep -c "no worker is running" n.err)" = 1 &&
	test "$(job_field $id status)" = cancelled
'

test_expect_success 'run follows a job handed back by a stopped worker into its next container, from its start' '
	"$CJOBS_BIN" process-jobs --daemon >/dev/null 2>d2.log &
	d2=$!
	stop_on_exit $d2
	before=$(newest_job) &&
	{ "$CJOBS_BIN" run --image $IMG -- sh -c "echo start; $GATED" >h.out 2>h.err </dev/null & rpid=$!; } &&
	trap "kill $rpid 2>/dev/null; kill -INT $d2 2>/dev/null; wait $d2 2>/dev/null" EXIT &&
	wait_for 60 "test \"\$(newest_job)\" != \"$before\"" &&
	id=$(newest_job) &&
	wait_for 60 "grep -q start h.out" &&
	first=$(job_field $id container_id) &&
	kill -INT $d2 && wait_exit 60 $d2 &&
	test "$(job_field $id status)" = queued && test "$(job_field $id attempt)" = 0 &&
	{ "$CJOBS_BIN" process-jobs --daemon >/dev/null 2>d3.log & d3=$!; } &&
	trap "kill $rpid 2>/dev/null; kill -INT $d3 2>/dev/null; wait $d3 2>/dev/null" EXIT &&
	wait_for 60 "test \"\$(job_field $id status)\" = running && test \"\$(job_field $id container_id)\" != $first" &&
	wait_for 60 "test \$(grep -c start h.out) = 2" &&
	job_release $id &&
	expect_code 0 wait_exit 60 $rpid &&
	printf "start\nstart\ndone\n" >want &&
	test_cmp want h.out
'

test_expect_success 'no container labelled by cjobs is left on the engine' '
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

test_done
