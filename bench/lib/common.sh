# bench/lib/common.sh: what every benchmark shares: an optimized build of
# cjobs (build-bench, release), a scratch directory with its own store, a
# private engine when asked for (tests/lib/engine.sh), and figure lines.
# Sourced by the scripts in bench/.
set -uo pipefail
BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SMALL=0
for a in "$@"; do [ "$a" = --small ] && SMALL=1; done

"$BENCH_ROOT/scripts/install-deps" >/dev/null || exit 1
BENCH_BUILD=${CJOBS_BENCH_BUILD_DIR:-$BENCH_ROOT/build-bench}
if [ ! -f "$BENCH_BUILD/build.ninja" ]; then
	meson setup "$BENCH_BUILD" "$BENCH_ROOT" -Dbuildtype=release -Dtests=disabled >/dev/null 2>&1 ||
		{ echo "bench: meson setup failed" >&2; exit 1; }
fi
ninja -C "$BENCH_BUILD" cjobs >/dev/null 2>&1 || { echo "bench: build failed" >&2; exit 1; }
CJOBS=$BENCH_BUILD/cjobs
# The engine-throughput reference (bench/ref/ref-driver.c, libcurl), built
# beside cjobs with the same optimization.
REF_DRIVER=$BENCH_BUILD/ref-driver
if [ ! -x "$REF_DRIVER" ] || [ "$BENCH_ROOT/bench/ref/ref-driver.c" -nt "$REF_DRIVER" ]; then
	cc -O2 -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -o "$REF_DRIVER" \
		"$BENCH_ROOT/bench/ref/ref-driver.c" -lcurl -lpthread ||
		{ echo "bench: cannot build bench/ref/ref-driver.c" >&2; exit 1; }
fi

BENCH_DIR=$(mktemp -d /tmp/cjbench.XXXXXX)
export HOME=$BENCH_DIR/home XDG_DATA_HOME=$BENCH_DIR/data XDG_CONFIG_HOME=$BENCH_DIR/config
export CJOBS_DATABASE=$BENCH_DIR/cjobs.db
unset CJOBS_CONFIG DOCKER_HOST
. "$BENCH_ROOT/tests/lib/engine.sh"
. "$BENCH_ROOT/tests/lib/store.sh"
BENCH_ENGINE=""
bench_cleanup() {
	[ -n "$BENCH_ENGINE" ] && engine_stop "$BENCH_ENGINE"
	rm -rf "$BENCH_DIR" 2>/dev/null || true
}
trap bench_cleanup EXIT

# bench_engine: start a private engine with the test image; sets ENGINE_SOCK.
bench_engine() {
	BENCH_ENGINE=$BENCH_DIR/e
	engine_start "$BENCH_ENGINE" && engine_image "$ENGINE_SOCK"
}

# now_ns: the wall clock in nanoseconds.
now_ns() { date +%s%N; }

# figure NAME VALUE UNIT [NOTE]: one line per measured figure.
figure() { printf '%-44s %12s %-8s %s\n' "$1" "$2" "$3" "${4:-}"; }

# ratio A B: A/B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "inf"; else printf "%.2f", a / b }'; }

# bench_sql SQL: run SQL on the store.
bench_sql() { sqlite3 "$CJOBS_DATABASE" "$1"; }
