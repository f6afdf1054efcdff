# tests/lib/pg.sh: start and stop a private PostgreSQL server for tests, and
# make databases on it. Sourced by tests/run (one server for a whole run) and
# by tests/lib/test-lib.sh (so that a shell test can make its own database
# with pg_createdb, or start a server of its own to stop under a worker).
#
# It must never touch a server it did not start: the server listens only on a
# unix socket in its own directory (no TCP port, so it cannot collide with or
# be mistaken for any other server on the machine), and pg_stop signals only
# the pid that pg_start recorded, and only while that pid is still the
# postmaster of that directory.
#
# Why each choice:
# - initdb and pg_ctl run as the `postgres` user (runuser) when we are root,
#   because the server refuses to run as root; as any other user they run as
#   that user, who then owns the server.
# - `-A trust -U cjobs`: no passwords to manage; the superuser is named
#   cjobs, the user the tests connect as. Trust is safe here only because
#   the socket is the sole way in and its directory is mode 0700 (mktemp's),
#   so only root and the server's owner can reach it.
# - `--no-sync`, fsync, synchronous_commit and full_page_writes off: a test
#   server's data is thrown away at the end, so durability buys nothing
#   and flushing to disk costs seconds on a loaded machine.
# - `-E UTF8 --locale=C`: the same encoding and sort order on every machine,
#   whatever LANG says (and initdb does not fail on an unset locale).
# - max_connections=200: many shell tests run at once, each with several
#   workers and commands holding connections.
# - shared_buffers=32MB (the default is 128MB): test databases are tiny and
#   several servers may run at once beside Docker engines.
# - port=5432 written in the configuration: with no TCP listener the port
#   only names the socket file (.s.PGSQL.5432); fixing it keeps a PGPORT in
#   the caller's environment from moving the server away from its clients.
# - The settings go into postgresql.conf, not onto the command line, so that
#   pg_start on a directory that already holds a server's data starts that
#   same server again with the same settings (tests that stop the database
#   under a running worker and bring it back).
# - pg_start waits for conditions, never for a fixed time: pg_ctl -w until
#   the server says it is ready (ending at once if the postmaster dies),
#   then pg_isready until it answers a client.

# The newest installed server's bin directory (Debian installs each major
# version under /usr/lib/postgresql/N/bin and only wrappers in /usr/bin).
pg_bindir() {
	ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

# _pg_as_owner CMD...: runs CMD as the user the server runs as, from DIR
# (_pg_dir), so that a working directory the postgres user cannot read
# (root's home) does not make initdb fail.
_pg_as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd "$_pg_dir" && runuser -u postgres -- "$@")
	else
		(cd "$_pg_dir" && "$@")
	fi
}

# _pg_is_ours PID DIR: PID is alive (not a zombie) and is the postmaster of
# DIR/data (a postmaster's working directory is its data directory), so that
# a pid reused by another process after the server ended is never signalled.
_pg_is_ours() {
	local pid=$1 d=$2 state
	[ -n "$pid" ] || return 1
	state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ] || return 1
	[ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$(cd "$d/data" 2>/dev/null && pwd -P)" ]
}

# pg_start DIR: a server with its data in DIR/data and its socket in DIR
# (DIR is created if needed; if DIR/data already exists, that server is
# started again without initdb). Sets and exports PG_BINDIR, PG_SOCKDIR
# (=DIR, what libpq's host= takes) and PG_PIDFILE (DIR/pg.pid, our record of
# the postmaster's pid: the server's own DIR/data/postmaster.pid vanishes
# when it stops, ours stays until pg_stop has seen the process go). Returns
# 1 with a message and the log's tail if the server does not answer.
pg_start() {
	local d=$1 bin pid="" i sock=/.s.PGSQL.5432
	bin=$(pg_bindir)
	if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
		echo "pg_start: no PostgreSQL server in /usr/lib/postgresql/*/bin" \
			"(scripts/install-deps installs Debian's postgresql)" >&2
		return 1
	fi
	mkdir -p "$d" && d=$(cd "$d" && pwd) || return 1
	# The socket's path must fit a sockaddr_un (108 bytes with its NUL).
	if [ $((${#d} + ${#sock})) -gt 100 ]; then
		echo "pg_start: socket path too long: $d/.s.PGSQL.5432 (use a shorter DIR, such as mktemp -d /tmp/cjpg.XXXX)" >&2
		return 1
	fi
	_pg_dir=$d
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres "$d" || return 1
		if ! runuser -u postgres -- test -w "$d"; then
			echo "pg_start: the postgres user cannot write to $d (a parent directory is closed to it; use one under /tmp)" >&2
			return 1
		fi
	fi
	if [ ! -f "$d/data/PG_VERSION" ]; then
		if ! _pg_as_owner "$bin/initdb" -D "$d/data" -A trust -U cjobs --no-sync \
			-E UTF8 --locale=C --no-instructions >"$d/initdb.log" 2>&1; then
			echo "pg_start: initdb failed in $d/data:" >&2
			tail -20 "$d/initdb.log" >&2
			return 1
		fi
		cat >>"$d/data/postgresql.conf" <<-EOF || return 1

			# tests/lib/pg.sh: a private test server (see the reasons there)
			listen_addresses = ''
			unix_socket_directories = '$d'
			port = 5432
			fsync = off
			synchronous_commit = off
			full_page_writes = off
			max_connections = 200
			shared_buffers = 32MB
		EOF
	fi
	PG_BINDIR=$bin PG_SOCKDIR=$d PG_PIDFILE=$d/pg.pid
	export PG_BINDIR PG_SOCKDIR PG_PIDFILE
	# pg_ctl -w waits in a loop until the postmaster's pid file says it is
	# ready, and gives up at once if the postmaster exits (a bad setting,
	# shared memory refused); -t 60 bounds a start that hangs.
	_pg_as_owner "$bin/pg_ctl" -D "$d/data" -l "$d/log" -w -t 60 start >/dev/null 2>"$d/pg_ctl.log"
	# Recorded whatever pg_ctl said, so that a server that came up late is
	# still stopped below.
	pid=$(head -1 "$d/data/postmaster.pid" 2>/dev/null)
	[ -n "$pid" ] && echo "$pid" >"$PG_PIDFILE"
	# Then until it answers a client, the one thing the tests need.
	for i in $(seq 1 200); do
		[ -n "$pid" ] && _pg_is_ours "$pid" "$d" || break
		if "$bin/pg_isready" -q -h "$d" -p 5432 -U cjobs -d postgres; then
			return 0
		fi
		sleep 0.05
	done
	echo "pg_start: the PostgreSQL server in $d did not start; the end of $d/log:" >&2
	tail -20 "$d/log" >&2 2>/dev/null
	cat "$d/pg_ctl.log" >&2 2>/dev/null
	pg_stop "$d"
	return 1
}

# pg_stop DIR: stops the server pg_start started in DIR, by its recorded pid:
# SIGINT (PostgreSQL's fast shutdown: ends sessions, rolls back, checkpoints),
# then SIGKILL if it has not gone after 60 s. Returns 0 when no server of
# ours is running there (never started, or already stopped).
pg_stop() {
	local d=$1 pid i
	[ -f "$d/pg.pid" ] || return 0
	pid=$(cat "$d/pg.pid")
	if _pg_is_ours "$pid" "$d"; then
		kill -INT "$pid" 2>/dev/null
		for i in $(seq 1 1200); do
			_pg_is_ours "$pid" "$d" || break
			sleep 0.05
		done
		if _pg_is_ours "$pid" "$d"; then
			echo "pg_stop: the server in $d ignored a fast shutdown for 60 s; killing it" >&2
			kill -KILL "$pid" 2>/dev/null
			# Its backends notice the postmaster's death and exit themselves.
			for i in $(seq 1 200); do
				_pg_is_ours "$pid" "$d" || break
				sleep 0.05
			done
		fi
	fi
	rm -f "$d/pg.pid"
	return 0
}

# pg_createdb NAME: a new, empty database NAME on the server at PG_SOCKDIR
# (exported by pg_start, so also in the tests tests/run starts). Connect to
# it with "$CJOBS_TEST_PG dbname=NAME".
pg_createdb() {
	local bin=${PG_BINDIR:-$(pg_bindir)}
	if [ -z "${PG_SOCKDIR:-}" ]; then
		echo "pg_createdb: no server (PG_SOCKDIR is unset: run through tests/run, or pg_start first)" >&2
		return 1
	fi
	"$bin/createdb" -h "$PG_SOCKDIR" -p 5432 -U cjobs "$1"
}
