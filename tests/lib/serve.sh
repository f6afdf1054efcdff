# tests/lib/serve.sh: a private `cjobs serve` for the API tests, on a free
# port of 127.0.0.1 (never another address), stopped by its pid.

# serve_start LOG [options]: start the server at verbosity 2 in the
# background (call it at the top level of a script, not in a test body,
# whose subshell would lose the variables); sets SERVE_PID and SERVE_URL
# from the line it logs when it listens.
serve_start() {
	local log=$1 i
	shift
	"$CJOBS_BIN" serve --listen 127.0.0.1:0 --verbosity 2 "$@" >/dev/null 2>"$log" &
	SERVE_PID=$!
	SERVE_PIDS="${SERVE_PIDS:-} $SERVE_PID"
	for i in $(seq 1 300); do
		SERVE_URL=$(sed -n 's/.* serving \(https*:\/\/[^ ]*\) .*/\1/p' "$log" | head -1)
		[ -n "$SERVE_URL" ] && return 0
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "serve_start: the server did not start:" >&2
	cat "$log" >&2
	return 1
}

# serve_stop_all: SIGTERM to every server started, and wait for each.
serve_stop_all() {
	local p
	for p in ${SERVE_PIDS:-}; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	SERVE_PIDS=""
}

# api [-t TOKEN] [-H HEADER]... METHOD PATH [BODY]: one request to
# $SERVE_URL with $API_TOKEN (or TOKEN; -t "" for none). Prints the body;
# the status goes to $TEST_DIR/status (status_is checks it).
api() {
	local tok=${API_TOKEN:-}
	local args=(-s -o "$TEST_DIR/body" -w '%{http_code}')
	while [ $# -gt 0 ]; do
		case $1 in
		-t) tok=$2; shift 2 ;;
		-H) args+=(-H "$2"); shift 2 ;;
		*) break ;;
		esac
	done
	local m=$1 p=$2
	shift 2
	args+=(-X "$m")
	[ -n "$tok" ] && args+=(-H "Authorization: Bearer $tok")
	[ $# -gt 0 ] && args+=(-H 'Content-Type: application/json' --data-binary "$1")
	curl "${args[@]}" "$SERVE_URL$p" >"$TEST_DIR/status"
	cat "$TEST_DIR/body"
}

# status_is CODE: the last api request answered CODE.
status_is() {
	local got
	got=$(cat "$TEST_DIR/status")
	[ "$got" = "$1" ] && return 0
	echo "status $got, expected $1; body:"
	cat "$TEST_DIR/body"
	return 1
}

# jq_py EXPR [FILE]: prints the Python expression EXPR of the JSON document
# d read from FILE (default the last api body): a string as it is, other
# values as JSON; a tuple one value per line.
jq_py() {
	python3 -c 'import json,sys
d = json.load(open(sys.argv[2]))
v = eval(sys.argv[1])
for x in (v if isinstance(v, tuple) else (v,)):
    print(x if isinstance(x, str) else json.dumps(x))' "$1" "${2:-$TEST_DIR/body}"
}

# error_is TEXT: the last api body is {"error": TEXT} exactly.
error_is() {
	local got
	got=$(jq_py 'd["error"]')
	[ "$got" = "$1" ] && return 0
	echo "error: $got"
	echo "want:  $1"
	return 1
}

# serve_stop_on_exit PID: inside a test body, SIGTERM the server PID (and
# wait for it) when the body ends, however it ends.
serve_stop_on_exit() {
	trap "kill -TERM $1 2>/dev/null; wait $1 2>/dev/null" EXIT
}
