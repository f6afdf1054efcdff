#!/usr/bin/env bash
# stores: both (tests/run runs it again on PostgreSQL)
# Pulls from a private registry: Debian's docker-registry on 127.0.0.1,
# TLS with a CA this script makes, htpasswd (bcrypt) users. The test image
# is pushed into it first; then each case removes the image from the
# engine, so that every job really pulls it, with the credentials of the
# host's --registry-auth file, of the worker's user's Docker configuration
# (auths; credsStore and credHelpers running a credential helper), or with
# wrong or none, which fail the job at once. The password must show
# nowhere cjobs writes or prints.
#
# The private engine counts every registry on 127.0.0.0/8 as insecure (its
# built-in default): it speaks TLS to it without checking the certificate,
# so no certs.d directory is needed and the machine's /etc is left alone;
# the script checks with curl and its own CA that the registry speaks TLS
# only.
. "$(dirname "$0")/../lib/test-lib.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
IMG=cjobs-test/busybox:1
R=$TEST_DIR/reg
PW="cj-Pw-$RANDOM$RANDOM-s3cret"
AUTH=$(printf "cjuser:%s" "$PW" | base64 -w0)

# The docker CLI, on the private engine, with a configuration of its own:
# the machine's ~/.docker is never read or written.
dk() { DOCKER_CONFIG=$TEST_DIR/dcli docker -H "unix://$ENGINE_SOCK" "$@"; }

# The registry, started here (not in a test body) so that its pid is known
# to the EXIT trap, which stops it however the script ends.
REG_PID=""
stop_registry() {
	[ -z "$REG_PID" ] && return 0
	kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null
	REG_PID=""
}
trap 'stop_registry; test_cleanup' EXIT

skip_all() {
	local t
	for t in "the registry speaks TLS only and wants a password" \
		"the test image is pushed into the registry" \
		"a job pulls with the host's --registry-auth file" \
		"a job pulls with the worker user's Docker configuration" \
		"a job pulls with a credential helper" \
		"wrong credentials fail the job at once" \
		"no credentials fail the job at once" \
		"a credentials file broken after it was set fails the job at once" \
		"the password shows nowhere"; do
		test_skip "$t" "$1"
	done
	test_done
}

if ! docker-registry --version >/dev/null 2>&1; then
	skip_all "the registry binary docker-registry cannot run here (Debian package docker-registry)"
fi

mkdir -p "$R/data" "$TEST_DIR/dcli" "$TEST_DIR/helpers"
# A CA, and the registry's certificate for 127.0.0.1 signed by it.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$R/ca.key" -out "$R/ca.crt" -days 2 \
	-subj "/CN=cjobs test CA" >/dev/null 2>&1 &&
	openssl req -newkey rsa:2048 -nodes -keyout "$R/reg.key" -out "$R/reg.csr" \
		-subj "/CN=127.0.0.1" >/dev/null 2>&1 &&
	printf "subjectAltName=IP:127.0.0.1\n" >"$R/ext.cnf" &&
	openssl x509 -req -in "$R/reg.csr" -CA "$R/ca.crt" -CAkey "$R/ca.key" -CAcreateserial \
		-out "$R/reg.crt" -days 2 -extfile "$R/ext.cnf" >/dev/null 2>&1 &&
	htpasswd -Bbn cjuser "$PW" >"$R/htpasswd" 2>/dev/null ||
	{ echo "Bail out! cannot make the registry's certificate or htpasswd file"; exit 1; }

# A free port on 127.0.0.1: the registry is started again on another one
# if someone takes it first.
for try in 1 2 3; do
	PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat >"$R/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $R/data
http:
  addr: 127.0.0.1:$PORT
  secret: cjobs-test-only
  tls:
    certificate: $R/reg.crt
    key: $R/reg.key
auth:
  htpasswd:
    realm: cjobs-test
    path: $R/htpasswd
EOF
	docker-registry serve "$R/config.yml" >"$R/registry.log" 2>&1 &
	REG_PID=$!
	if wait_for 30 'test "$(curl -s -o /dev/null -w "%{http_code}" --cacert "$R/ca.crt" \
			https://127.0.0.1:$PORT/v2/)" = 401 || ! kill -0 $REG_PID 2>/dev/null' >/dev/null &&
		kill -0 "$REG_PID" 2>/dev/null; then
		break
	fi
	stop_registry
done
if [ -z "$REG_PID" ]; then
	tail -5 "$R/registry.log"
	skip_all "the registry docker-registry did not start (its log: $R/registry.log)"
fi

REG=127.0.0.1:$PORT
REF=$REG/cjobs/busybox:1

# A Docker config.json with the registry's password, as docker login writes it.
good_config() { printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$REG" "$AUTH" >"$1"; }
# No image REF on the engine, so that the next job must pull it.
no_image() {
	dk rmi "$REF" >/dev/null 2>&1
	! dk image inspect "$REF" >/dev/null 2>&1
}
# run_worker NAME: one process-jobs at debug verbosity, its log kept in
# NAME.log for the last test; the exit code is the worker's.
run_worker() {
	local name=$1
	shift
	"$CJOBS_BIN" -vv "$@" process-jobs 2>"$TEST_DIR/$name.log"
}

test_expect_success 'the registry speaks TLS only and wants a password (htpasswd, bcrypt)' '
	test "$(curl -s -o /dev/null -w "%{http_code}" --cacert $R/ca.crt https://$REG/v2/)" = 401 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" --cacert $R/ca.crt -u "cjuser:$PW" \
		https://$REG/v2/)" = 200 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" --cacert $R/ca.crt -u cjuser:wrong \
		https://$REG/v2/)" = 401 &&
	curl -s http://$REG/v2/ | grep -q "HTTP request to an HTTPS server" &&
	cut -d: -f2 $R/htpasswd | grep -q "^.2y.05.[./A-Za-z0-9]*$"
'

test_expect_success 'the test image is pushed into the registry by the docker CLI logged in there' '
	dk tag $IMG $REF &&
	printf "%s" "$PW" | dk login -u cjuser --password-stdin $REG >/dev/null 2>&1 &&
	dk push $REF >push.out 2>&1 &&
	dk logout $REG >/dev/null 2>&1 &&
	curl -s --cacert $R/ca.crt -u "cjuser:$PW" https://$REG/v2/cjobs/busybox/tags/list |
		grep -q "\"1\"" &&
	no_image
'

test_expect_success 'a job pulls with the host --registry-auth file, which host show names, and only by its path' '
	good_config $TEST_DIR/host-auth.json &&
	cjobs host add e1 --url "$ENGINE_URL" --pull yes --registry-auth host-auth.json >/dev/null &&
	cjobs host show e1 >show.out &&
	grep -q "^registry auth: $TEST_DIR/host-auth.json$" show.out &&
	test "$(cjobs host show e1 --format json |
		python3 -c "import json,sys; print(json.load(sys.stdin)[\"registry_auth\"])")" = \
		$TEST_DIR/host-auth.json &&
	no_image &&
	id=$(cjobs job submit --image $REF --max-retries 2 -- sh -c "echo pulled") &&
	run_worker w-host &&
	test "$(job_field $id status)" = completed &&
	test "$(cjobs job logs $id)" = pulled &&
	grep -q "with the credentials of the host.s --registry-auth file $TEST_DIR/host-auth.json" w-host.log &&
	dk image inspect $REF >/dev/null
'

test_expect_success 'a job pulls with the worker user Docker configuration: ~/.docker/config.json, then $DOCKER_CONFIG' '
	cjobs host update e1 --registry-auth "" >/dev/null &&
	cjobs host show e1 | grep -q "^registry auth: none" &&
	mkdir -p $HOME/.docker && good_config $HOME/.docker/config.json &&
	no_image &&
	id=$(cjobs job submit --image $REF --max-retries 2 -- true) &&
	run_worker w-home &&
	test "$(job_field $id status)" = completed &&
	grep -q "credentials of $HOME/.docker/config.json (the Docker configuration of the worker" w-home.log &&
	rm $HOME/.docker/config.json &&
	mkdir -p dcfg && good_config dcfg/config.json &&
	no_image &&
	id=$(cjobs job submit --image $REF --max-retries 2 -- true) &&
	DOCKER_CONFIG=$TEST_DIR/dcfg run_worker w-dcfg &&
	test "$(job_field $id status)" = completed &&
	grep -q "credentials of $TEST_DIR/dcfg/config.json" w-dcfg.log &&
	rm dcfg/config.json
'

# docker-credential-cjobstest: the password for this registry only; it
# writes down each server it was asked about.
cat >"$TEST_DIR/helpers/docker-credential-cjobstest" <<EOF
#!/bin/sh
test "\$1" = get || exit 2
read -r server || true
echo "\$server" >>"$TEST_DIR/helper.asked"
if [ "\$server" = "$REG" ]; then
	printf '{"ServerURL": "%s", "Username": "cjuser", "Secret": "%s"}\n' "\$server" "$PW"
else
	echo "credentials not found in native keychain"
	exit 1
fi
EOF
chmod 755 "$TEST_DIR/helpers/docker-credential-cjobstest"

test_expect_success 'a job pulls with a credential helper, named by credsStore (user config) or credHelpers (host file)' '
	printf "{\"credsStore\": \"cjobstest\", \"auths\": {\"%s\": {}}}\n" $REG >$HOME/.docker/config.json &&
	no_image && rm -f helper.asked &&
	id=$(cjobs job submit --image $REF --max-retries 2 -- true) &&
	PATH=$TEST_DIR/helpers:$PATH run_worker w-store &&
	test "$(job_field $id status)" = completed &&
	test "$(cat helper.asked)" = $REG &&
	rm $HOME/.docker/config.json &&
	printf "{\"credHelpers\": {\"%s\": \"cjobstest\"}}\n" $REG >helper-host.json &&
	cjobs host update e1 --registry-auth helper-host.json >/dev/null &&
	no_image && rm -f helper.asked &&
	id=$(cjobs job submit --image $REF --max-retries 2 -- true) &&
	PATH=$TEST_DIR/helpers:$PATH run_worker w-helpers &&
	test "$(job_field $id status)" = completed &&
	test "$(cat helper.asked)" = $REG &&
	cjobs host update e1 --registry-auth "" >/dev/null
'

# attempts_of ID: the number of times the job went from queued to launching.
attempts_of() {
	cjobs job show "$1" --format json | python3 -c '
import json, sys
print(sum(1 for h in json.load(sys.stdin)["history"] if h["to"] == "launching"))'
}

test_expect_success 'wrong credentials fail the job at once (attempt 1, no retry), naming the registry and the file to check' '
	printf "{\"auths\": {\"%s\": {\"auth\": \"%s\"}}}\n" $REG \
		"$(printf cjuser:wrong-pw | base64 -w0)" >wrong.json &&
	cjobs host update e1 --registry-auth wrong.json >/dev/null &&
	no_image &&
	id=$(cjobs job submit --image $REF --max-retries 3 -- true) &&
	expect_code 3 run_worker w-wrong &&
	test "$(job_field $id status)" = failed &&
	test "$(job_field $id attempt)" = 1 && test "$(attempts_of $id)" = 1 &&
	job_field $id last_error >err.txt &&
	grep -q "cannot pull image $REF on host e1: registry $REG refused the credentials" err.txt &&
	grep -q "check the entry for $REG in the host.s --registry-auth file $TEST_DIR/wrong.json" err.txt &&
	grep -q "docker login $REG" err.txt &&
	grep -q "not retried: a permanent error" w-wrong.log &&
	cjobs host update e1 --registry-auth "" >/dev/null
'

test_expect_success 'no credentials fail the job at once (attempt 1, no retry), naming the registry and what to do' '
	test ! -e $HOME/.docker/config.json &&
	no_image &&
	id=$(cjobs job submit --image $REF --max-retries 3 -- true) &&
	expect_code 3 run_worker w-none &&
	test "$(job_field $id status)" = failed &&
	test "$(job_field $id attempt)" = 1 && test "$(attempts_of $id)" = 1 &&
	job_field $id last_error >err.txt &&
	grep -q "cannot pull image $REF on host e1: " err.txt &&
	grep -q "no credentials were sent to registry $REG: if it needs them, run .docker login $REG." err.txt &&
	grep -q "cjobs host update e1 --registry-auth FILE" err.txt
'

test_expect_success 'a credentials file broken after it was set fails the job at once, naming the file and the place' '
	good_config broken.json &&
	cjobs host update e1 --registry-auth broken.json >/dev/null &&
	printf "{\"auths\": {\"%s\": {\"auth\": \"%s\"}}\n" $REG "$AUTH" >broken.json &&
	no_image &&
	id=$(cjobs job submit --image $REF --max-retries 3 -- true) &&
	expect_code 3 run_worker w-broken &&
	test "$(job_field $id status)" = failed && test "$(attempts_of $id)" = 1 &&
	job_field $id last_error >err.txt &&
	grep -q "cannot read the registry credentials for image $REF on host e1: registry credentials file $TEST_DIR/broken.json is not valid JSON (line" err.txt &&
	cjobs host update e1 --registry-auth "" >/dev/null
'

# no_secret FILE...: the password is in none of the files, as it is or
# inside any base64 (standard or URL-safe) word: the X-Registry-Auth
# header and a config's "auth" hold it encoded.
no_secret() {
	PW="$PW" python3 -c '
import base64, re, sys
pw = __import__("os").environ["PW"].encode()
bad = 0
for name in sys.argv[1:]:
    data = open(name, "rb").read()
    found = pw in data
    for word in re.findall(rb"[A-Za-z0-9+/_=-]{16,}", data):
        w = word.rstrip(b"=")
        for alt in (w, w.replace(b"-", b"+").replace(b"_", b"/")):
            try:
                found = found or pw in base64.b64decode(alt + b"=" * (-len(alt) % 4))
            except Exception:
                pass
    if found:
        print("the password is in", name)
        bad = 1
sys.exit(bad)' "$@"
}

test_expect_success 'the password shows nowhere: store, every job and host shown, logs at -vv' '
	n=$(cjobs job list --format json | python3 -c "import json,sys; print(len(json.load(sys.stdin)))") &&
	test "$n" -ge 7 &&
	for i in $(seq 1 $n); do
		cjobs job show $i && cjobs job show $i --format json && cjobs job logs $i
	done >shown.out 2>&1 &&
	{ cjobs host show e1; cjobs host list --format json; } >>shown.out 2>&1 &&
	if [ -n "$TEST_PG_DB" ]; then
		"$(pg_bindir)/pg_dump" -h "$PG_SOCKDIR" -U cjobs "$TEST_PG_DB" >store.dump
	else
		cp "$CJOBS_DATABASE" store.dump
	fi &&
	ls w-*.log >logs.list && test "$(wc -l <logs.list)" -ge 7 &&
	no_secret shown.out store.dump w-*.log
'

test_done
