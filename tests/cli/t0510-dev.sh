#!/usr/bin/env bash
# cjobs dev sample-data|test-job|validate-config: sample records come and go
# exactly; a test job runs on a real private engine; config files are checked
# line by line.
. "$(dirname "$0")/../lib/test-lib.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
add_test_host e1

IMG=cjobs-test/busybox:1

test_expect_success 'a real host and job that are not samples exist' '
	mine=$(cjobs job submit --image $IMG --name sample-mine --at +1d -- true) &&
	test "$mine" = 1
'

test_expect_success 'sample-data --dry-run changes nothing' '
	before=$(store_digest) &&
	cjobs dev sample-data --dry-run >out &&
	grep -q "would add host .sample-local." out &&
	grep -q "would add 20 sample jobs" out &&
	test "$(store_digest)" = "$before"
'

test_expect_success 'sample-data adds hosts, a template and jobs of every status' '
	cjobs dev sample-data --url unix:///tmp/cjobs-sample.sock >out &&
	grep -q "added host .sample-local. (unix:///tmp/cjobs-sample.sock)" out &&
	grep -q "added host .sample-remote. (tcp://127.0.0.1:2376, disabled)" out &&
	grep -q "added template .sample-env." out &&
	q() { store_sql "$1"; } &&
	test "$(q "select count(*) from jobs where name like \"sample-%\"")" = 21 &&
	for s in queued launching running completed failed timeout cancelled; do
		test "$(q "select count(*) from jobs where status = \"$s\" and id > 1")" -ge 1 ||
			{ echo "no $s sample"; exit 1; }
	done &&
	test "$(q "select enabled from hosts where name = \"sample-remote\"")" = 0 &&
	test "$(q "select count(*) from job_output")" -gt 0 &&
	cjobs job show 5 >/dev/null &&
	cjobs db check >out && grep -q ": ok" out
'

test_expect_success 'sample histories follow the legal status changes' '
	cjobs job list --format json >jobs.json &&
	for id in $(python3 -c "import json; print(\" \".join(str(j[\"id\"]) for j in json.load(open(\"jobs.json\")) if j[\"id\"] > 1))"); do
		cjobs job show $id --format json | python3 -c "
import json, sys
j = json.load(sys.stdin)
h = j[\"history\"]
assert h[0][\"from\"] is None and h[0][\"to\"] == \"queued\", h
for a, b in zip(h, h[1:]):
    assert a[\"to\"] == b[\"from\"], h
assert h[-1][\"to\"] == j[\"status\"], (h, j[\"status\"])
" || exit 1
	done
'

test_expect_success 'sample-data again keeps the hosts and adds more jobs' '
	cjobs dev sample-data --count 300 >out &&
	grep -q "host .sample-local. exists; kept" out &&
	grep -q "added 300 sample jobs" out &&
	test "$(store_sql "select count(*) from jobs")" = 321
'

test_expect_success 'sample-data --clear --dry-run counts and changes nothing' '
	before=$(store_digest) &&
	cjobs dev sample-data --clear --dry-run >out &&
	grep -q "would remove 320 sample jobs, 2 hosts and 1 templates" out &&
	test "$(store_digest)" = "$before"
'

test_expect_success 'sample-data --clear without a terminal and without --force refuses, changing nothing' '
	before=$(store_digest) &&
	expect_code 1 cjobs dev sample-data --clear </dev/null 2>err &&
	grep -q "error: removing 320 sample jobs, 2 hosts and 1 templates needs confirmation, but standard input is not a terminal; add --force" err &&
	test "$(store_digest)" = "$before"
'

test_expect_success 'sample-data --clear asks on a terminal; no keeps everything' '
	before=$(store_digest) &&
	printf "n\n" | script -qec "$CJOBS_BIN dev sample-data --clear" /dev/null >out 2>&1;
	grep -q "Remove 320 sample jobs, 2 hosts and 1 templates?" out &&
	test "$(store_digest)" = "$before"
'

test_expect_success 'sample-data --clear --force removes exactly the sample records' '
	cjobs dev sample-data --clear --force >out &&
	grep -q "removed 320 sample jobs, 2 hosts and 1 templates" out &&
	q() { store_sql "$1"; } &&
	test "$(q "select id || name from jobs")" = 1sample-mine &&
	test "$(q "select name from hosts")" = e1 &&
	test "$(q "select count(*) from env_templates")" = 0 &&
	test "$(q "select count(*) from job_history where job_id <> 1")" = 0 &&
	test "$(q "select count(*) from job_output")" = 0 &&
	cjobs db check >/dev/null
'

test_expect_success 'long operations show progress on a terminal, and print nothing more in scripts' '
	big="--database $TEST_DIR/big.db" &&
	script -qec "$CJOBS_BIN $big dev sample-data --count 8000 --url unix:///x.sock" /dev/null >tty.out &&
	tr "\r" "\n" <tty.out | grep -q "^adding sample jobs: 8000 of 8000 (100%)" &&
	script -qec "$CJOBS_BIN $big db backup $TEST_DIR/big.bak" /dev/null >tty2.out &&
	tr "\r" "\n" <tty2.out | grep -Eq "^copying pages: ([0-9]+) of \1 \(100%\)" &&
	cjobs $big dev sample-data --count 8000 --url unix:///x.sock >out 2>err &&
	test ! -s err && grep -q "^added 8000 sample jobs" out &&
	cjobs $big db backup $TEST_DIR/big2.bak >out 2>err &&
	test ! -s err && grep -q "^backed up" out
'

test_expect_success 'sample-data refuses a --count out of range and a bad --url' '
	expect_code 1 cjobs dev sample-data --count 0 2>err &&
	grep -q "option --count: .0. is not a whole number from 1 to 100000" err &&
	expect_code 1 cjobs dev sample-data --url http://x 2>err &&
	grep -q "engine address .http://x. is not understood" err
'

test_expect_success 'sample-data --count takes 1 to 100000 and test-job --timeout 1 to 3600 seconds, both ends' '
	before=$(store_digest) &&
	cjobs dev sample-data --count 1 --dry-run >out && grep -q "would add 1 sample jobs" out &&
	cjobs dev sample-data --count 100000 --dry-run >out && grep -q "would add 100000 sample jobs" out &&
	expect_code 1 cjobs dev sample-data --count 100001 2>err &&
	grep -q "option --count: .100001. is not a whole number from 1 to 100000" err &&
	expect_code 1 cjobs dev test-job --host e1 --timeout 3601 2>err &&
	grep -q "option --timeout: .3601. is not a duration from 1 to 3600 seconds" err &&
	expect_code 1 cjobs dev test-job --host e1 --timeout 0 2>err &&
	grep -q "option --timeout: .0. is not a duration from 1 to 3600 seconds" err &&
	test "$(store_digest)" = "$before"
'

test_expect_success 'test-job runs a container on the engine and shows each step' '
	cjobs dev test-job --host e1 >out &&
	for s in ping/info create start "wait (die)" inspect logs remove; do
		grep -q "^  $s  *ok  *[0-9]* ms" out || { echo "no step $s"; cat out; exit 1; }
	done &&
	grep -q "exit code 0" out &&
	grep -q "stdout \"cjobs test-job: stdout\", stderr \"cjobs test-job: stderr\"" out &&
	grep -q "^host .e1. works" out &&
	test "$(store_sql "select count(*) from jobs")" = 1
'

test_expect_success 'test-job picks the only host when none is named' '
	cjobs dev test-job --timeout 30 >out && grep -q "^testing host .e1." out
'

test_expect_success 'test-job against a dead socket exits 2 naming the host and address' '
	cjobs host add dead --url "unix://$TEST_DIR/dead.sock" >/dev/null &&
	expect_code 2 cjobs dev test-job --host dead --timeout 5 >out 2>err &&
	grep -q "FAILED" out &&
	grep -q "host .dead. (unix://$TEST_DIR/dead.sock) failed at step ping/info: cannot connect to engine" err
'

test_expect_success 'test-job with an image the engine lacks exits 2 and says so' '
	expect_code 2 cjobs dev test-job --host e1 --image cjobs-test/nosuch:1 2>err &&
	grep -q "failed at step create: image cjobs-test/nosuch:1 is not on the engine and the host may not pull" err
'

test_expect_success 'test-job with an unknown host exits 1' '
	expect_code 1 cjobs dev test-job --host nosuch 2>err &&
	grep -q "no host named .nosuch.; .cjobs host list. shows the hosts" err
'

test_expect_success 'test-job with several hosts and none named local asks for --host' '
	expect_code 1 cjobs dev test-job 2>err &&
	grep -q "there are 2 hosts and none is named .local.; choose one with --host" err
'

test_expect_success 'no container is left on the engine' '
	test -z "$(engine_containers "$ENGINE_SOCK")" &&
	test -z "$(curl -s --unix-socket "$ENGINE_SOCK" -G http://d/containers/json --data-urlencode all=1 | grep -o cjobs-test-)"
'

test_expect_success 'validate-config reports every problem with its line, and exits 1' '
	printf "[worker]\nmax_jobs = 4\nmax_job = 5\n\npoll_interval = often\n[store]\npath = /tmp/x.db\n" >bad.ini &&
	expect_code 1 cjobs dev validate-config --config bad.ini >out &&
	test "$(grep -c "^bad.ini:[0-9]" out)" = 2 &&
	grep -q "^bad.ini:3: unknown key .max_job. in \[worker\]; see .cjobs dev validate-config --help. for the known keys" out &&
	grep -q "^bad.ini:5: \[worker\] poll_interval: .often. is not a duration" out &&
	grep -q "^bad.ini: 2 problems" out
'

test_expect_success 'validate-config reports a bad number with its range' '
	printf "[worker]\nmax_jobs = abc\n" >num.ini &&
	expect_code 1 cjobs dev validate-config --config num.ini >out &&
	grep -q "^num.ini:2: \[worker\] max_jobs: .abc. is not a whole number from 1 to 10000" out
'

test_expect_success 'validate-config accepts a good file, also found by the default search' '
	printf "; comment\n[store]\npath = %s\n[worker]\nmax_jobs = 4\ntimeout = 1h\noutput_limit = 2m\n" "$CJOBS_DATABASE" >good.ini &&
	cjobs dev validate-config --config good.ini >out &&
	grep -q "^good.ini: valid" out &&
	mkdir -p "$XDG_CONFIG_HOME/cjobs" && cp good.ini "$XDG_CONFIG_HOME/cjobs/cjobs.ini" &&
	cjobs dev validate-config >out &&
	grep -q "cjobs/cjobs.ini: valid" out &&
	rm "$XDG_CONFIG_HOME/cjobs/cjobs.ini" &&
	cjobs dev validate-config >out && grep -q "^no configuration file" out
'

test_expect_success 'validate-config fails on a file it cannot read' '
	expect_code 1 cjobs dev validate-config --config nosuch.ini 2>err &&
	grep -q "cannot read configuration file nosuch.ini: No such file or directory" err
'

test_expect_success 'validate-config --help lists every known key with its default' '
	cjobs dev validate-config --help >out &&
	grep -q "^Known Keys:" out &&
	grep -q "\[store\] path = (none)" out &&
	grep -q "\[worker\] max_jobs = 10$" out &&
	grep -q "\[worker\] poll_interval = 30$" out &&
	grep -q "\[worker\] timeout = 3600$" out &&
	grep -q "\[worker\] output_limit = 1m$" out
'

test_expect_success 'every dev subcommand has its help, marked not for production' '
	cjobs dev --help | grep -q "sample-data" &&
	cjobs dev sample-data --help | grep -q "NOT FOR PRODUCTION" &&
	cjobs dev sample-data --help | grep -q "^WARNING:" &&
	cjobs dev test-job --help | grep -q "NOT FOR PRODUCTION" &&
	cjobs help | grep -q "^Development:"
'

test_done
