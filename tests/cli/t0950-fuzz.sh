#!/usr/bin/env bash
# The fuzz targets (fuzz/, scripts/fuzz) build with clang and run a few
# seconds each without a crash; longer runs are a documented command:
# scripts/fuzz --seconds 600. Its own build of the targets is unoptimised:
# it builds in less than half the time, and a few seconds of each target
# are a check that it builds and runs, not a search.
. "$(dirname "$0")/../lib/test-lib.sh"

FUZZ_BUILD=$TEST_ROOT/build-fuzz-test
export CJOBS_FUZZ_BUILD_DIR=$FUZZ_BUILD CJOBS_FUZZ_BUILDTYPE=debug

for t in env container config engine_json demux lines http registry_auth cron tz; do
	test_expect_success "fuzz target $t runs 2 seconds without a crash" "
		\"\$TEST_ROOT/scripts/fuzz\" --seconds 2 $t >out 2>&1 || { cat out; exit 1; }
		cat out && grep -q '^fuzz $t: ok' out
	"
done

test_expect_success 'a target replays one input; scripts/fuzz refuses bad arguments' '
	"$FUZZ_BUILD/fuzz/fuzz-demux" "$TEST_ROOT/fuzz/corpus/demux/frames" >log 2>&1 &&
	grep -q "Executed .*frames" log &&
	"$TEST_ROOT/scripts/fuzz" --seconds 0 demux >out 2>&1;
	test $? -eq 2 && grep -q "needs a whole number above 0" out &&
	"$TEST_ROOT/scripts/fuzz" nosuch >out 2>&1;
	test $? -eq 2 && grep -q "unknown target or option .nosuch." out
'

test_done
