#!/usr/bin/env bash
# cjobs serve at its edges: addresses (IPv4, IPv6, beyond this machine),
# HTTPS, stopping with a request in flight, slow and idle clients, and
# options it refuses. Every server here listens on loopback only, except
# the one that checks the warning for other addresses, which is stopped as
# soon as it has said it, before anything is sent to it.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$(dirname "$0")/../lib/serve.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
add_test_host e1
IMG=cjobs-test/busybox:1
trap 'serve_stop_all; test_cleanup' EXIT
API_TOKEN=$(cjobs token create edges --scope admin 2>/dev/null)
export API_TOKEN

test_expect_success 'a bad --listen is refused with a message that says what to write' '
	expect_code 1 cjobs serve --listen localhost 2>err &&
	grep -q "is not an address: write HOST:PORT, e.g. 127.0.0.1:8080" err &&
	expect_code 1 cjobs serve --listen 127.0.0.1:70000 2>err &&
	grep -q "has no valid port: give 0 to 65535" err &&
	expect_code 1 cjobs serve --listen ":8080" 2>err &&
	grep -q "has no host" err &&
	expect_code 1 cjobs serve --listen "[::1:8080" 2>err &&
	grep -q "write \[IPV6\]:PORT" err
'

serve_start "$TEST_DIR/a.log" || { echo "Bail out! no server"; exit 1; }
export SERVE_URL

test_expect_success 'a port in use is refused, naming the address' '
	port=${SERVE_URL##*:} &&
	expect_code 1 cjobs serve --listen 127.0.0.1:$port 2>err &&
	grep -q "cannot listen on 127.0.0.1:$port: Address already in use (another program uses that port" err
'

test_expect_success 'a slow client is dropped after --idle-timeout while others are answered' '
	serve_start "$TEST_DIR/idle.log" --idle-timeout 2 || exit 1
	serve_stop_on_exit $SERVE_PID
	python3 - "${SERVE_URL##*:}" <<-"PY"
	import socket, sys, time
	port = int(sys.argv[1])
	slow = socket.create_connection(("127.0.0.1", port))
	slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finished
	start = time.monotonic()
	slow.settimeout(60)
	# another client is served meanwhile
	other = socket.create_connection(("127.0.0.1", port))
	other.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	assert b" 200 " in other.recv(4096).split(b"\r\n")[0]
	got = slow.recv(4096)  # the server closes it: b"" (or an error answer, then close)
	while got:
	    got = slow.recv(4096)
	waited = time.monotonic() - start
	assert waited >= 1.5, "closed after %.1fs, before the timeout" % waited
	PY
'

test_expect_success 'a thousand idle connections are held, and the server keeps answering others' '
	python3 - "${SERVE_URL##*:}" <<-"PY"
	import resource, socket, sys, time, urllib.request
	port = int(sys.argv[1])
	soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
	resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
	idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(1000)]
	for _ in range(20):
	    t = time.monotonic()
	    with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=30) as r:
	        assert r.status == 200
	for s in idle:
	    s.close()
	PY
'

test_expect_success 'SIGTERM lets a request in flight finish (a cancel waiting for its container), then exits 0' '
	id=$(cjobs job submit --image $IMG -- sh -c "echo started; sleep 300") || exit 1
	"$CJOBS_BIN" process-jobs --daemon --host e1 >/dev/null 2>worker.log &
	wpid=$!
	stop_on_exit $wpid
	wait_for 60 "test \"\$(job_field $id status)\" = running" || exit 1
	"$CJOBS_BIN" serve --listen 127.0.0.1:0 --verbosity 2 --grace 3 >/dev/null 2>t.log &
	spid=$!
	trap "kill -TERM $spid 2>/dev/null; kill -INT $wpid 2>/dev/null; wait" EXIT
	wait_for 30 "grep -q \" serving http\" t.log" &&
	url=$(sed -n "s/.* serving \(http:\/\/[^ ]*\) .*/\1/p" t.log) &&
	{ curl -s -o cancel.out -w "%{http_code}" -X POST -H "Authorization: Bearer $API_TOKEN" "$url/api/v1/jobs/$id/cancel" >cancel.code & } &&
	wait_for 30 "test \"\$(job_field $id status)\" = cancelled" &&
	kill -TERM $spid &&
	wait_for 30 "grep -q \"SIGTERM: no new connections\" t.log" &&
	wait_exit 60 $spid &&
	test "$(cat cancel.code)" = 200 &&
	grep -q "\"outcome\":\"cancelled\"" cancel.out &&
	grep -n "SIGTERM: no new\|POST /api/v1/jobs/$id/cancel 200\|stopped after" t.log >order &&
	test "$(cut -d: -f1 order | tr "\n" " ")" = "$(cut -d: -f1 order | sort -n | tr "\n" " ")" &&
	sed -n 1p order | grep -q SIGTERM && sed -n 3p order | grep -q "stopped after 1 request" &&
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

test_expect_success 'HTTPS with --tls-cert and --tls-key; the session cookie is Secure there' '
	openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 \
		-subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null || exit 1
	"$CJOBS_BIN" serve --listen 127.0.0.1:0 --tls-cert cert.pem --tls-key key.pem --verbosity 2 >/dev/null 2>tls.log &
	spid=$!
	serve_stop_on_exit $spid
	wait_for 30 "grep -q \" serving https\" tls.log" &&
	url=$(sed -n "s/.* serving \(https:\/\/[^ ]*\) .*/\1/p" tls.log) &&
	test "$(curl -s --cacert cert.pem "$url/healthz")" = "{\"ok\":true,\"store\":\"SQLite\"}" &&
	curl -s --cacert cert.pem -D hdr -o /dev/null --data "{\"token\": \"$API_TOKEN\"}" "$url/api/v1/session" &&
	grep -i "^set-cookie:" hdr | grep -q "; Secure" &&
	! curl -s --max-time 10 "http://${url#https://}/healthz" >/dev/null 2>&1 &&
	kill -TERM $spid && wait_exit 30 $spid &&
	! grep -q "WITHOUT TLS" tls.log
'

test_expect_success 'TLS files that cannot be read, or only one of them, are refused' '
	expect_code 1 cjobs serve --listen 127.0.0.1:0 --tls-cert nosuch.pem --tls-key key.pem 2>err &&
	grep -q "cannot read the TLS certificate nosuch.pem: No such file or directory" err &&
	expect_code 1 cjobs serve --listen 127.0.0.1:0 --tls-cert cert.pem 2>err &&
	grep -q "give both --tls-cert and --tls-key" err &&
	echo "not pem" >bad.pem &&
	expect_code 1 cjobs serve --listen 127.0.0.1:0 --tls-cert bad.pem --tls-key key.pem 2>err &&
	grep -q "is not a PEM file" err
'

if ip -6 addr show dev lo 2>/dev/null | grep -q "inet6 ::1"; then
	test_expect_success 'IPv6: [::1]:0 listens on the IPv6 loopback' '
		"$CJOBS_BIN" serve --listen "[::1]:0" --verbosity 2 >/dev/null 2>v6.log &
		spid=$!
		serve_stop_on_exit $spid
		wait_for 30 "grep -q \" serving http\" v6.log" &&
		url=$(sed -n "s/.* serving \(http:\/\/[^ ]*\) .*/\1/p" v6.log) &&
		case $url in "http://[::1]:"*) ;; *) echo "$url"; false ;; esac &&
		test "$(curl -s -g "$url/healthz")" = "{\"ok\":true,\"store\":\"SQLite\"}" &&
		kill -TERM $spid && wait_exit 30 $spid
	'
else
	test_skip 'IPv6: [::1]:0 listens on the IPv6 loopback' 'this machine has no IPv6 loopback'
fi

test_expect_success 'an address other machines can reach, without TLS, starts with one clear warning' '
	"$CJOBS_BIN" serve --listen 0.0.0.0:0 >/dev/null 2>open.log &
	spid=$!
	serve_stop_on_exit $spid
	wait_for 30 "grep -q \" serving http\" open.log" &&
	kill -TERM $spid && wait_exit 30 $spid &&
	test "$(grep -c "WITHOUT TLS" open.log)" = 1 &&
	grep -q "warning: listening on 0.0.0.0:[0-9]*, which other machines can reach, WITHOUT TLS" open.log
'

test_expect_success 'SIGTERM ends a followed output at once, and the server exits 0' '
	id=$(cjobs job submit --image $IMG -- sh -c "echo first; $GATED") || exit 1
	"$CJOBS_BIN" process-jobs --daemon --host e1 >/dev/null 2>worker2.log &
	wpid=$!
	"$CJOBS_BIN" serve --listen 127.0.0.1:0 --verbosity 2 >/dev/null 2>f.log &
	spid=$!
	trap "kill -TERM $spid 2>/dev/null; kill -INT $wpid 2>/dev/null; wait" EXIT
	wait_for 60 "test \"\$(job_field $id status)\" = running" &&
	wait_for 30 "grep -q \" serving http\" f.log" &&
	url=$(sed -n "s/.* serving \(http:\/\/[^ ]*\) .*/\1/p" f.log) &&
	{ curl -sN -H "Authorization: Bearer $API_TOKEN" "$url/api/v1/jobs/$id/logs?follow=1" >followed & } &&
	wait_for 30 "grep -q first followed" &&
	kill -TERM $spid &&
	wait_exit 30 $spid &&
	grep -q "GET /api/v1/jobs/$id/logs 200" f.log &&
	test "$(job_field $id status)" = running &&
	job_release $id &&
	wait_for 60 "test \"\$(job_field $id status)\" = completed"
'

test_done
