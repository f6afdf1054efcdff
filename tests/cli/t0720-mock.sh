#!/usr/bin/env bash
# The mock executor (a host at mock://): a product feature for dry runs and
# for measuring cjobs itself. Every job it gets completes at once with exit
# code 0 and no output, through the same worker, store and history as on a
# real engine. No engine is involved (and none is started here).
. "$(dirname "$0")/../lib/test-lib.sh"

test_expect_success 'a mock host is registered, checked and shown like any other' '
	cjobs host add dry --url mock:// --max-jobs 50 >out &&
	grep -q "added host .dry. (mock://, up to 50 jobs at once)" out &&
	cjobs manage-jobs health-check --host dry >out &&
	grep -q "mock" out &&
	cjobs host show dry --format json | grep -q "\"url\": \"mock://\""
'

test_expect_success 'a queue of jobs runs to completion on it, history and all' '
	cjobs job submit --image busybox --host dry --count 500 -- sh -c "exit 7" >ids &&
	cjobs process-jobs --host dry --max-jobs 50 &&
	test "$(sqlite3 "$CJOBS_DATABASE" "SELECT status || count(*) FROM jobs GROUP BY status")" = completed500 &&
	id=$(head -1 ids) &&
	test "$(job_field $id exit_code)" = 0 &&
	test "$(job_field $id ran_on)" = dry &&
	cjobs job show $id --format json | python3 -c "
import json,sys
j=json.load(sys.stdin)
h=[(e[\"from\"],e[\"to\"]) for e in j[\"history\"]]
assert h == [(None,\"queued\"),(\"queued\",\"launching\"),(\"launching\",\"running\"),(\"running\",\"completed\")], h
# The move to running is written with the result (the end was known first),
# but at its own time: the start.
at=[e[\"at\"] for e in j[\"history\"]]
assert at == sorted(at), at
assert j[\"started_at\"] and j[\"started_at\"] <= j[\"finished_at\"], j" &&
	test -z "$(cjobs job logs $id --stream stdout)" &&
	cjobs db check
'

test_expect_success 'a daemon on a mock host takes new jobs as they come and stops on SIGTERM' '
	"$CJOBS_BIN" process-jobs --daemon --host dry 2>d.log &
	pid=$!
	stop_on_exit $pid
	id=$(cjobs job submit --image busybox --host dry -- true) &&
	wait_for 30 "test \"\$(job_field $id status)\" = completed" &&
	kill -TERM $pid && wait $pid
'

test_expect_success 'mock:// takes no TLS files and no other form' '
	expect_code 1 cjobs host add m2 --url mock://x 2>err &&
	grep -q "engine address" err &&
	touch ca.pem &&
	expect_code 1 cjobs host add m3 --url mock:// --tls-ca ca.pem 2>err &&
	grep -q "TLS" err
'

test_done
