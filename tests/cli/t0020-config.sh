#!/usr/bin/env bash
# The configuration file, environment variables and options, in that
# order of precedence; the store's location; db migrate.
. "$(dirname "$0")/../lib/test-lib.sh"

test_expect_success 'with no configuration the store is created in the data directory' '
	unset CJOBS_DATABASE &&
	cjobs job list >/dev/null &&
	test -f "$XDG_DATA_HOME/cjobs/cjobs.db" &&
	test "$(stat -c %a "$XDG_DATA_HOME/cjobs/cjobs.db")" = 600
'

test_expect_success '--database, $CJOBS_DATABASE and [store] path choose the store' '
	unset CJOBS_DATABASE &&
	printf "[store]\npath = $TEST_DIR/from-config.db\n" >c.ini &&
	cjobs --config c.ini job list >/dev/null && test -f from-config.db &&
	CJOBS_DATABASE=$TEST_DIR/from-env.db cjobs --config c.ini job list >/dev/null && test -f from-env.db &&
	CJOBS_DATABASE=$TEST_DIR/from-env.db cjobs --config c.ini --database $TEST_DIR/from-opt.db job list >/dev/null &&
	test -f from-opt.db
'

test_expect_success 'the configuration supplies defaults that options override' '
	printf "[worker]\nmax_jobs = 3\n" >three.ini &&
	cjobs host add dead --url unix:///tmp/cjobs-dead.sock >/dev/null &&
	expect_code 2 cjobs --config three.ini process-jobs --host dead --verbosity 2 2>err &&
	grep -q "up to 3 job(s) at once" err &&
	expect_code 2 cjobs --config three.ini process-jobs --host dead --max-jobs 5 --verbosity 2 2>err &&
	grep -q "up to 5 job(s) at once" err &&
	cjobs host remove dead --force >/dev/null
'

test_expect_success 'a bad value in the file is refused by every command, even one that an option overrides' '
	printf "[worker]\nmax_jobs = 0\n" >bad.ini &&
	before=$(store_digest) &&
	expect_code 1 cjobs --config bad.ini process-jobs --max-jobs 2 2>err &&
	grep -q "bad.ini:2: \[worker\] max_jobs: .0. is not a whole number from 1 to 10000" err &&
	expect_code 1 cjobs --config bad.ini job list 2>err &&
	grep -q "bad.ini:2: \[worker\] max_jobs" err &&
	test "$(store_digest)" = "$before"
'

test_expect_success 'an unknown key is an error naming its line' '
	printf "[worker]\nmax_jobs = 3\n\n[worker]\nmax_jbos = 4\n" >typo.ini &&
	expect_code 1 cjobs --config typo.ini job list 2>err &&
	grep -q "typo.ini:5: unknown key .max_jbos. in \[worker\]" err
'

test_expect_success 'a named configuration file that does not exist is an error' '
	expect_code 1 cjobs --config $TEST_DIR/none.ini job list 2>err &&
	grep -q "cannot read configuration file .*none.ini" err &&
	CJOBS_CONFIG=$TEST_DIR/none.ini expect_code 1 cjobs job list 2>err &&
	grep -q "none.ini" err
'

test_expect_success 'db migrate --dry-run lists nothing on a current store; migrate is idempotent' '
	cjobs job list >/dev/null &&
	cjobs db migrate --dry-run >out && grep -q "nothing to apply" out &&
	cjobs db migrate >out && grep -q "schema version" out
'

test_expect_success 'db migrate --dry-run on a new store lists the migrations and changes nothing' '
	cjobs --database $TEST_DIR/fresh.db db migrate --dry-run >out &&
	grep -q "would apply" out &&
	cjobs --database $TEST_DIR/fresh.db db migrate --dry-run >out2 && grep -q "would apply" out2 &&
	cjobs --database $TEST_DIR/fresh.db db migrate >out3 && grep -q "applied" out3
'

test_done
