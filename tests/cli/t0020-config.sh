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
	grep -q "cannot read configuration file $TEST_DIR/none.ini: No such file or directory" err
'

# where [OPTIONS]: the store a command would use, as 'db status' names it
# (it creates no store).
where() {
	"$CJOBS_BIN" "$@" db status 2>&1 |
		sed -n "s/^store: *//p; s/.*no job store at \(.*\) (any other command.*/\1/p"
}

test_expect_success 'the store: --database over $CJOBS_DATABASE over [store] path over the data directory' '
	unset CJOBS_DATABASE &&
	printf "[store]\npath = $TEST_DIR/cfg.db\n" >s.ini &&
	test "$(where)" = "$XDG_DATA_HOME/cjobs/cjobs.db" &&
	test "$(XDG_DATA_HOME=$TEST_DIR/xdgdata where)" = "$TEST_DIR/xdgdata/cjobs/cjobs.db" &&
	test "$(env -u XDG_DATA_HOME HOME=$TEST_DIR/h2 "$CJOBS_BIN" db status 2>&1 | grep -o "store at [^ ]*")" = "store at $TEST_DIR/h2/.local/share/cjobs/cjobs.db" &&
	test "$(where --config s.ini)" = "$TEST_DIR/cfg.db" &&
	test "$(CJOBS_DATABASE=$TEST_DIR/env.db where --config s.ini)" = "$TEST_DIR/env.db" &&
	test "$(CJOBS_DATABASE=$TEST_DIR/env.db where)" = "$TEST_DIR/env.db" &&
	test "$(CJOBS_DATABASE=$TEST_DIR/env.db where --config s.ini --database $TEST_DIR/opt.db)" = "$TEST_DIR/opt.db" &&
	test "$(where --config s.ini --database $TEST_DIR/opt.db)" = "$TEST_DIR/opt.db"
'

test_expect_success 'an empty $CJOBS_DATABASE or $CJOBS_CONFIG counts as unset' '
	printf "[store]\npath = $TEST_DIR/cfg.db\n" >s.ini &&
	test "$(CJOBS_DATABASE= where --config s.ini)" = "$TEST_DIR/cfg.db" &&
	test "$(CJOBS_DATABASE= where)" = "$XDG_DATA_HOME/cjobs/cjobs.db" &&
	test "$(CJOBS_CONFIG= CJOBS_DATABASE= where)" = "$XDG_DATA_HOME/cjobs/cjobs.db"
'

test_expect_success 'the file: --config over $CJOBS_CONFIG over $XDG_CONFIG_HOME/cjobs/cjobs.ini, else ~/.config/cjobs/cjobs.ini' '
	unset CJOBS_DATABASE &&
	for n in a b; do printf "[store]\npath = $TEST_DIR/$n.db\n" >$n.ini; done &&
	mkdir -p xdgc/cjobs h3/.config/cjobs &&
	printf "[store]\npath = $TEST_DIR/x.db\n" >xdgc/cjobs/cjobs.ini &&
	printf "[store]\npath = $TEST_DIR/h.db\n" >h3/.config/cjobs/cjobs.ini &&
	X="XDG_CONFIG_HOME=$TEST_DIR/xdgc" &&
	test "$(env $X "$CJOBS_BIN" db status 2>&1 | grep -o "store at [^ ]*")" = "store at $TEST_DIR/x.db" &&
	test "$(env -u XDG_CONFIG_HOME HOME=$TEST_DIR/h3 "$CJOBS_BIN" db status 2>&1 | grep -o "store at [^ ]*")" = "store at $TEST_DIR/h.db" &&
	test "$(env $X CJOBS_CONFIG=b.ini "$CJOBS_BIN" db status 2>&1 | grep -o "store at [^ ]*")" = "store at $TEST_DIR/b.db" &&
	test "$(env $X CJOBS_CONFIG=b.ini "$CJOBS_BIN" --config a.ini db status 2>&1 | grep -o "store at [^ ]*")" = "store at $TEST_DIR/a.db" &&
	test "$(env $X CJOBS_CONFIG= "$CJOBS_BIN" db status 2>&1 | grep -o "store at [^ ]*")" = "store at $TEST_DIR/x.db"
'

test_expect_success 'a key given twice: the later line wins, and its line is the one named' '
	printf "[worker]\nmax_jobs = 3\n[worker]\nmax_jobs = 4\n" >twice.ini &&
	cjobs host add dead2 --url unix:///tmp/cjobs-dead.sock >/dev/null &&
	expect_code 2 cjobs --config twice.ini process-jobs --host dead2 --verbosity 2 2>err &&
	grep -q "up to 4 job(s) at once" err &&
	printf "[worker]\nmax_jobs = 3\nmax_jobs = 0\n" >twice-bad.ini &&
	expect_code 1 cjobs --config twice-bad.ini job list 2>err &&
	grep -q "twice-bad.ini:3: \[worker\] max_jobs: .0. is not a whole number from 1 to 10000" err &&
	cjobs host remove dead2 --force >/dev/null
'

test_expect_success 'verbosity: 1 by default, -v one more, -q errors only (over -v and --verbosity)' '
	cjobs host add dead3 --url unix:///tmp/cjobs-dead.sock >/dev/null &&
	says() { "$CJOBS_BIN" "$@" process-jobs --host dead3 2>&1 | grep -c "up to 10 job(s) at once\|cjobs: processed:"; } &&
	test "$(says)" = 1 && test "$(says -v)" = 2 && test "$(says --verbosity 2)" = 2 &&
	test "$(says -q -v)" = 0 && test "$(says --verbosity 2 -q)" = 0 && test "$(says --verbosity 0)" = 0 &&
	cjobs host remove dead3 --force >/dev/null
'

test_expect_success 'each [worker] key takes the ends of its option range and refuses the next value' '
	printf "[worker]\nmax_jobs = 10000\npoll_interval = 86400\ntimeout = 604800\noutput_limit = 1g\nshutdown_timeout = 604800\nstore_timeout = 604800\n" >ends.ini &&
	cjobs dev validate-config --config ends.ini >out && grep -q "^ends.ini: valid" out &&
	printf "[worker]\nmax_jobs = 1\npoll_interval = 1\ntimeout = 0\noutput_limit = 0\nshutdown_timeout = 0\nstore_timeout = 1\n" >low.ini &&
	cjobs dev validate-config --config low.ini >out && grep -q "^low.ini: valid" out &&
	printf "[worker]\nmax_jobs = 10001\npoll_interval = 86401\ntimeout = 604801\noutput_limit = 1073741825\nshutdown_timeout = 604801\nstore_timeout = 0\n" >over.ini &&
	expect_code 1 cjobs dev validate-config --config over.ini >out &&
	grep -q "^over.ini:2: \[worker\] max_jobs: .10001. is not a whole number from 1 to 10000" out &&
	grep -q "^over.ini:3: \[worker\] poll_interval: .86401. is not a duration from 1 to 86400 seconds" out &&
	grep -q "^over.ini:4: \[worker\] timeout: .604801. is not a duration from 0 to 604800 seconds" out &&
	grep -q "^over.ini:5: \[worker\] output_limit: .1073741825. is out of range: give from 0 to 1g" out &&
	grep -q "^over.ini:6: \[worker\] shutdown_timeout: .604801. is not a duration from 0 to 604800 seconds" out &&
	grep -q "^over.ini:7: \[worker\] store_timeout: .0. is not a duration from 1 to 604800 seconds" out &&
	grep -q "^over.ini: 6 problems" out &&
	printf "[worker]\npoll_interval = 0\n" >zero.ini &&
	expect_code 1 cjobs dev validate-config --config zero.ini >out &&
	grep -q "^zero.ini:2: \[worker\] poll_interval: .0. is not a duration from 1 to 86400 seconds" out
'

test_expect_success 'db migrate --dry-run lists nothing on a current store; migrate is idempotent' '
	cjobs job list >/dev/null &&
	before=$(store_digest) &&
	cjobs db migrate --dry-run >out && grep -q "nothing to apply" out &&
	cjobs db migrate >out && grep -q "schema version" out &&
	test "$(store_digest)" = "$before"
'

test_expect_success 'db migrate --dry-run on a new store lists the migrations and changes nothing' '
	cjobs --database $TEST_DIR/fresh.db db migrate --dry-run >out &&
	grep -q "would apply: 0001_initial_schema" out &&
	test "$(sqlite3 $TEST_DIR/fresh.db "SELECT count(*) FROM sqlite_master")" = 0 &&
	cjobs --database $TEST_DIR/fresh.db db migrate --dry-run >out2 && test_cmp out out2 &&
	cjobs --database $TEST_DIR/fresh.db db migrate >out3 && grep -q "applied" out3 &&
	test "$(sqlite3 $TEST_DIR/fresh.db "SELECT count(*) FROM jobs")" = 0
'

test_done
