#!/usr/bin/env bash
# The mutation catalogues (tests/mutants/*.txt, run on demand by
# scripts/mutants) stay true to the source: every entry's text to replace
# is still in its file exactly once. An entry that a change of the source
# left behind would otherwise be found only at the next mutation run.
. "$(dirname "$0")/../lib/test-lib.sh"

test_expect_success 'scripts/mutants --list accepts every catalogue: each find text is in its file exactly once' '
	"$TEST_ROOT/scripts/mutants" --list >out 2>&1 ||
		{ cat out; exit 1; }
'

test_expect_success 'a stale entry is refused, naming the entry and the file' '
	mkdir -p cat &&
	printf "id: stale-example\nrule: none\nfile: src/store/claim.c\nfind: no such text anywhere\nreplace: x\ntests: unit:store-claim\n" >cat/stale.txt &&
	expect_code 2 "$TEST_ROOT/scripts/mutants" --list cat/stale.txt >err 2>&1 &&
	test_grep -q "stale-example: find text is not in src/store/claim.c" err
'

test_done
