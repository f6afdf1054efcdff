#!/usr/bin/env bash
# t0050-engine-live: the engine client (src/engine) against real private
# Docker engines: the C program tests/engine/engine_live.c runs containers,
# reads their events, logs and stats, kills and removes them; once over a
# unix socket, once over TCP with TLS on 127.0.0.1 (never another address).

. "$(dirname "$0")/../lib/test-lib.sh"

ENGINE_LIVE=$BUILD_DIR/tests/unit/engine/engine_live

if [ ! -x "$ENGINE_LIVE" ]; then
	test_skip "engine client against a live engine" "$ENGINE_LIVE not built"
	test_done
fi

# At the top level, not in a test body: the body runs in a subshell, and
# the engine's variables (and its stop at exit) must reach this shell.
engine_ok=yes
test_engine_start || engine_ok=no

test_expect_success 'a private engine with the test image is running' '
	test "$engine_ok" = yes
'

test_expect_success 'engine client against a live engine (unix socket)' '
	CJOBS_TEST_ENGINE=$ENGINE_URL "$ENGINE_LIVE" 2>"$TEST_DIR/live.log" ||
	{ cat "$TEST_DIR/live.log"; false; }
'
# The figures it measured (never asserted), as TAP comments.
grep -E '^# (launch|one container|20 MB)' "$TEST_DIR/live.log" 2>/dev/null

test_expect_success 'no container left behind' '
	engine_containers "$ENGINE_SOCK" >left &&
	test_cmp /dev/null left
'

# tls_certs DIR: a CA, a server certificate for 127.0.0.1 and a client
# certificate, made for this test only.
tls_certs() {
	local d=$1
	mkdir -p "$d" && cd "$d" &&
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem \
		-days 2 -subj "/CN=cjobs test CA" &&
	openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr \
		-subj "/CN=127.0.0.1" &&
	printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext &&
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
		-out server.pem -days 2 -extfile server.ext &&
	openssl req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr -subj "/CN=client" &&
	printf 'extendedKeyUsage=clientAuth\n' >client.ext &&
	openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
		-out cert.pem -days 2 -extfile client.ext
}

# tls_engine_start DIR: a second private dockerd on 127.0.0.1 (a free
# port) that demands client certificates; stopped at exit like the first.
tls_engine_start() {
	local d=$1 port i
	(tls_certs "$d/certs") >"$d.certs.log" 2>&1 || return 1
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') || return 1
	ENGINE_DIRS="$ENGINE_DIRS $d"
	dockerd --data-root "$d/data" --exec-root "$d/exec" \
		--host "tcp://127.0.0.1:$port" --tlsverify --tlscacert "$d/certs/ca.pem" \
		--tlscert "$d/certs/server.pem" --tlskey "$d/certs/server-key.pem" \
		--pidfile "$d/docker.pid" \
		--bridge=none --iptables=false --ip-forward=false --ip-masq=false \
		>"$d/dockerd.log" 2>&1 &
	TLS_CURL="curl -s --cacert $d/certs/ca.pem --cert $d/certs/cert.pem --key $d/certs/key.pem"
	TLS_URL=tcp://127.0.0.1:$port
	for i in $(seq 1 600); do
		if $TLS_CURL --max-time 2 "https://127.0.0.1:$port/_ping" 2>/dev/null | grep -q OK; then
			tls_image "https://127.0.0.1:$port"
			return
		fi
		sleep 0.1
	done
	echo "dockerd with TLS did not answer; log in $d/dockerd.log" >&2
	return 1
}

# tls_image BASE: the test image, as engine_image makes it.
tls_image() {
	local root c rc
	root=$(mktemp -d)
	mkdir -p "$root/bin" "$root/tmp"
	cp /bin/busybox "$root/bin/"
	for c in sh echo sleep cat true false env yes head dd seq printf ls pwd id kill; do
		ln -s busybox "$root/bin/$c"
	done
	tar -C "$root" -c . | $TLS_CURL --fail -X POST -H 'Content-Type: application/x-tar' \
		--data-binary @- "$1/images/create?fromSrc=-&repo=cjobs-test/busybox&tag=1" >/dev/null
	rc=$?
	rm -rf "$root"
	return $rc
}

tls_ok=yes
tls_engine_start "$TEST_DIR/tls" || tls_ok=no

test_expect_success 'a private engine with TLS on 127.0.0.1 is running' '
	test "$tls_ok" = yes
'

test_expect_success 'engine client against a live engine (TCP with TLS)' '
	CJOBS_TEST_ENGINE=$TLS_URL CJOBS_TEST_TLS_CA=$TEST_DIR/tls/certs/ca.pem \
	CJOBS_TEST_TLS_CERT=$TEST_DIR/tls/certs/cert.pem \
	CJOBS_TEST_TLS_KEY=$TEST_DIR/tls/certs/key.pem \
		"$ENGINE_LIVE" 2>"$TEST_DIR/tls.log" ||
	{ cat "$TEST_DIR/tls.log"; false; }
'

test_done
