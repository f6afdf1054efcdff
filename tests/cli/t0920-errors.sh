#!/usr/bin/env bash
# Every common error that a command's help documents is produced by the
# command line documented beside it, and the text printed matches. The
# list comes from the program itself (`cjobs help --errors`).
. "$(dirname "$0")/../lib/test-lib.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
IMG=cjobs-test/busybox:1

# The sandbox: a working host 'local', a host 'down' whose engine is not
# running, jobs 1 (completed), 2 (failed), 3 (queued for later) and 4, 5
# (queued, pinned to 'down'), template 'defaults', a configuration file
# with two problems (bad.ini) and an existing file (exists.db).
test_expect_success 'the sandbox is set up' '
	cjobs host add local --url "$ENGINE_URL" >/dev/null &&
	cjobs job submit --image $IMG -- sh -c "echo out; echo err >&2" >/dev/null &&
	cjobs job submit --image $IMG -- sh -c "exit 3" >/dev/null &&
	cjobs job submit --image $IMG --at +1d -- true >/dev/null &&
	{ cjobs process-jobs 2>/dev/null; test $? = 3; } &&
	cjobs host add down --url unix:///tmp/cjobs-down.sock >/dev/null &&
	cjobs job submit --image $IMG --host down -- true >/dev/null &&
	cjobs job submit --image $IMG --host down -- true >/dev/null &&
	cjobs template add defaults --env LOG_LEVEL=info >/dev/null &&
	printf "[worker]\nmax_jobs = abc\nbogus = 1\n" >bad.ini &&
	touch exists.db
'

cjobs help --errors >"$TEST_DIR/errors"
test_expect_success 'there are documented errors to check' 'test $(wc -l <errors) -ge 10'

while IFS=$'\t' read -r path trigger message; do
	[ -n "$message" ] || continue
	want=${message%...}
	want=${want% }
	if [[ $trigger == "see tests/cli/"* ]]; then
		# An error that needs more than one command line (a busy store, a
		# terminal) names the test script that produces it; that script
		# must exist and check the message's text.
		script=${trigger#see }
		# The pieces of the message between numbers, quotes, punctuation and
		# placeholders (NAME, N, ...); the script must check one of at least
		# twelve characters.
		printf '%s\n' "${want#cjobs: error: }" |
			sed -E "s/[0-9'\"(),;\/]|\\b[A-Z]+\\b|\\.\\.\\./\n/g" |
			sed -E "s/^[ :]+//; s/[ :]+\$//" | awk "length(\$0) >= 12" >"$TEST_DIR/pieces"
		test_expect_success "error of $path is produced by $script: $message" '
			test -f "$TEST_ROOT/$script" && test -s pieces &&
			grep -qF -f pieces "$TEST_ROOT/$script" ||
			{ echo "$script checks none of:"; cat pieces; false; }
		'
		continue
	fi
	if [ "$trigger" = - ]; then
		test_expect_success "error of $path has a command that produces it: $message" '
			echo "the help of $path documents this error without a trigger"; false
		'
		continue
	fi
	test_expect_success "error of $path: $trigger" '
		eval "\"\$CJOBS_BIN\" ${trigger#cjobs }" >out 2>err </dev/null; rc=$?;
		test $rc != 0 || { echo "exit 0"; false; } &&
		cat out err | grep -qF -- "$want" || { echo "wanted: $want"; echo "got:"; cat out err; false; }
	'
done <"$TEST_DIR/errors"

test_done
