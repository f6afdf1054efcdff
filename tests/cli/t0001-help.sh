#!/usr/bin/env bash
# The command line explains itself: help, versions, unknown words.
. "$(dirname "$0")/../lib/test-lib.sh"

test_expect_success 'cjobs help lists every command by group' '
	cjobs help >out &&
	for c in process-jobs job host template db help; do grep -q "^  $c " out || { echo "missing $c"; exit 1; }; done &&
	grep -q "^Running jobs:" out && grep -q "unix:///var/run/docker.sock" out
'

test_expect_success '--version prints the version' '
	cjobs --version | grep -qE "^cjobs [0-9]+\.[0-9]+\.[0-9]+$"
'

test_expect_success 'help COMMAND and COMMAND --help print the same text' '
	cjobs help process-jobs >a && cjobs process-jobs --help >b && test_cmp a b &&
	cjobs help job submit >a && cjobs job submit --help >b && test_cmp a b
'

test_expect_success 'process_jobs is an alias of process-jobs' '
	cjobs process_jobs --help | head -1 | grep -q "^cjobs process-jobs - "
'

test_expect_success 'process-jobs help has the sections of the specification' '
	cjobs help process-jobs >out &&
	for s in "Usage Examples:" "Job Processing Flow:" "Monitoring and Logging:" \
		"Signal Handling:" "Exit Codes:" "Options:" "Common Errors:" "WARNING:"; do
		grep -q "^$s" out || { echo "missing $s"; exit 1; }; done &&
	for o in --daemon --host --max-jobs --poll-interval --timeout; do
		grep -q "^  $o" out || { echo "missing $o"; exit 1; }; done &&
	grep -A12 "^  --max-jobs" out | grep -q "Default: 10\." &&
	grep -A12 "^  --poll-interval" out | grep -q "Default: 30\." &&
	grep -A12 "^  --timeout" out | grep -q "Default: 3600\." &&
	grep -q "SIGTERM" out && grep -q "SIGINT" out && grep -q "SIGUSR1" out
'

test_expect_success 'no option says its default twice (one written in its help, one made up)' '
	cjobs help --write-docs docs >/dev/null &&
	! grep -rh "Default:.*Default:" docs/commands docs/man &&
	grep -q "Default: \$XDG_DATA_HOME/cjobs/cjobs.db" docs/man/cjobs.1 &&
	grep -q "Default: the only host" docs/commands/dev-test-job.md
'

test_expect_success 'every command and subcommand has help that exits 0' '
	for c in process-jobs job host template db help; do
		cjobs $c --help >/dev/null || { echo "$c"; exit 1; }
	done &&
	for s in submit list show logs; do cjobs job $s --help >/dev/null || exit 1; done &&
	for s in add list show update remove enable disable; do cjobs host $s --help >/dev/null || exit 1; done &&
	for s in add list show remove; do cjobs template $s --help >/dev/null || exit 1; done &&
	cjobs db migrate --help >/dev/null
'

test_expect_success 'an unknown command is an error that points to help' '
	expect_code 1 cjobs frobnicate 2>err &&
	grep -q "unknown command .frobnicate." err && grep -q "cjobs help" err
'

test_expect_success 'an unknown option is an error with a suggestion' '
	expect_code 1 cjobs process-jobs --max-job 3 2>err &&
	grep -q "unknown option .--max-job." err && grep -q "did you mean --max-jobs" err &&
	grep -q "cjobs help process-jobs" err
'

test_expect_success 'an option value out of range names the range' '
	expect_code 1 cjobs process-jobs --max-jobs 0 2>err &&
	grep -q "from 1 to 10000" err &&
	expect_code 1 cjobs process-jobs --verbosity 7 2>err &&
	grep -q "not one of: 0, 1, 2, 3" err
'

test_expect_success 'a group without a subcommand shows its subcommands and fails' '
	expect_code 1 cjobs host 2>err && grep -q "needs a subcommand" err && grep -q "^  add " err
'

test_expect_success 'global options are accepted after the command' '
	cjobs job list --verbosity 2 >/dev/null && cjobs job list -q >/dev/null
'

test_expect_success 'every command and subcommand has the documentation sections of the spec' '
	cjobs help --examples | cut -f1 | sort -u >paths &&
	cjobs help | sed -n "s/^  \([a-z][a-z-]*\)  .*/\1/p" >>paths &&
	test $(wc -l <paths) -ge 30 &&
	fails=0 &&
	while read -r p; do
		cjobs $p --help >out || { echo "$p: --help failed"; fails=1; continue; }
		for s in "Usage Examples:" "Important Notes:" "Common Errors:" "Exit Codes:"; do
			grep -q "^$s" out || { echo "$p: no $s"; fails=1; }
		done
	done <paths &&
	test $fails = 0
'

test_expect_success 'every command and subcommand says what it does, beyond its summary' '
	cjobs help --write-docs pages &&
	for f in pages/commands/*.md; do
		grep -q "^## Description" "$f" || { echo "no description: $f"; exit 1; }
	done
'

test_done
