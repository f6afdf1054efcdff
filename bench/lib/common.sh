# bench/lib/common.sh: what every benchmark shares: an optimized build of
# cjobs (build-bench, release), a scratch directory with its own store, a
# private engine when asked for (tests/lib/engine.sh), and figure lines.
# Sourced by the scripts in bench/, which all take:
#
#   --small                 smaller sizes, a quick look
#   --store postgresql      the store on a private PostgreSQL server started
#                           for the benchmark (tests/lib/pg.sh) instead of an
#                           SQLite file; the figures then say "postgresql"
#
# The PostgreSQL server runs with the durability settings a user's server
# has (fsync, synchronous_commit and full_page_writes on), not with the test
# suite's shortcuts: every commit waits for its WAL to reach the disk, as
# SQLite's do.
set -uo pipefail
BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SMALL=0 BENCH_STORE=sqlite
while [ $# -gt 0 ]; do
	case $1 in
	--small) SMALL=1 ;;
	--store) BENCH_STORE=${2:-}; shift ;;
	--store=*) BENCH_STORE=${1#--store=} ;;
	*)
		# A benchmark's own options: it names them in BENCH_OPTS before
		# sourcing this file ("--flag", or "--name=" for one with a
		# value), and reads them itself.
		known=0
		for o in ${BENCH_OPTS:-}; do
			case $o in
			*=) [ "${1#"$o"}" != "$1" ] && known=1 ;;
			*) [ "$1" = "$o" ] && known=1 ;;
			esac
		done
		[ $known = 1 ] || {
			echo "bench: unknown option '$1' (--small, --store sqlite|postgresql${BENCH_OPTS:+, $BENCH_OPTS})" >&2
			exit 2
		} ;;
	esac
	shift
done
case $BENCH_STORE in
sqlite|postgresql) ;;
*) echo "bench: --store takes sqlite or postgresql, not '$BENCH_STORE'" >&2; exit 2 ;;
esac

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
# The load generator of bench/api (bench/lib/http-load.c, plain sockets).
HTTP_LOAD=$BENCH_BUILD/http-load
if [ ! -x "$HTTP_LOAD" ] || [ "$BENCH_ROOT/bench/lib/http-load.c" -nt "$HTTP_LOAD" ]; then
	cc -O2 -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -o "$HTTP_LOAD" \
		"$BENCH_ROOT/bench/lib/http-load.c" ||
		{ echo "bench: cannot build bench/lib/http-load.c" >&2; exit 1; }
fi

BENCH_DIR=$(mktemp -d /tmp/cjbench.XXXXXX)
export HOME=$BENCH_DIR/home XDG_DATA_HOME=$BENCH_DIR/data XDG_CONFIG_HOME=$BENCH_DIR/config
export CJOBS_DATABASE=$BENCH_DIR/cjobs.db
unset CJOBS_CONFIG DOCKER_HOST
. "$BENCH_ROOT/tests/lib/engine.sh"
. "$BENCH_ROOT/tests/lib/store.sh"
BENCH_ENGINE="" BENCH_PG=""
bench_cleanup() {
	[ -n "$BENCH_ENGINE" ] && engine_stop "$BENCH_ENGINE"
	[ -n "$BENCH_PG" ] && { pg_stop "$BENCH_PG"; rm -rf "$BENCH_PG"; }
	rm -rf "$BENCH_DIR" 2>/dev/null || true
}
trap bench_cleanup EXIT

if [ "$BENCH_STORE" = postgresql ]; then
	. "$BENCH_ROOT/tests/lib/pg.sh"
	# Its own directory under /tmp: the postgres user must reach it.
	BENCH_PG=$(mktemp -d /tmp/cjbpg.XXXXXX)
	pg_start "$BENCH_PG" >/dev/null || { echo "bench: cannot start PostgreSQL" >&2; exit 1; }
	pg_createdb bench || exit 1
	export CJOBS_DATABASE="host=$BENCH_PG user=cjobs dbname=bench"
	bench_sql() { "$PG_BINDIR/psql" -X -q -At -F '|' -v ON_ERROR_STOP=1 -d "$CJOBS_DATABASE" -c "$1"; }
	for set in ${BENCH_PG_SETTINGS:-"fsync = on" "synchronous_commit = on" "full_page_writes = on"}; do
		bench_sql "ALTER SYSTEM SET $set" >/dev/null || exit 1
	done
	bench_sql "SELECT pg_reload_conf()" >/dev/null || exit 1
	"$CJOBS" db migrate >/dev/null || exit 1
else
	# bench_sql SQL: run SQL on the store.
	bench_sql() { sqlite3 "$CJOBS_DATABASE" "$1"; }
fi

# bench_edit SQL: run SQL on the store, then count its jobs again (jobs
# made or changed behind cjobs's back, tests/lib/store.sh).
bench_edit() { bench_sql "$1" >/dev/null && bench_sql "$STORE_RECOUNT_SQL" >/dev/null; }

# bench_label: the store the figures are for, as a word.
bench_label() { echo "$BENCH_STORE"; }

# bench_engine: start a private engine with the test image; sets ENGINE_SOCK.
bench_engine() {
	BENCH_ENGINE=$BENCH_DIR/e
	engine_start "$BENCH_ENGINE" && engine_image "$ENGINE_SOCK"
}

# now_ns: the wall clock in nanoseconds.
now_ns() { date +%s%N; }

# figure NAME VALUE UNIT [NOTE]: one line per measured figure.
figure() { printf '%-44s %12s %-8s %s\n' "$1" "$2" "$3" "${4:-}"; }

# steal_ticks: the CPU time the hypervisor gave to others while this
# machine's cores wanted it (the "steal" of /proc/stat), in clock ticks; a
# run that lost much of it says little about cjobs. steal_ms T0: the steal
# since steal_ticks gave T0, in ms.
steal_ticks() { awk '$1 == "cpu" { print $9 }' /proc/stat; }
steal_ms() { echo $(( ($(steal_ticks) - $1) * 1000 / $(getconf CLK_TCK) )); }

# ratio A B: A/B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "inf"; else printf "%.2f", a / b }'; }

