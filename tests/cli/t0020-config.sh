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
	printf "[worker]\nmax_jobs = 0\n" >bad.ini &&
	expect_code 1 cjobs --config bad.ini process-jobs --max-jobs 2 --host nosuch 2>err &&
	grep -q "no host named" err &&
	expect_code 1 cjobs --config bad.ini process-jobs 2>err &&
	grep -q "bad.ini:2: worker.max_jobs" err && grep -q "from 1 to 10000" err
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
