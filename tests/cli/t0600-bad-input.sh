#!/usr/bin/env bash
# Hostile and broken input: every kind of bad option value, environment
# file, configuration file and record field gets one clear error line,
# exit code 1, and leaves the store's data byte for byte as it was; nothing
# quoted back can drive the terminal, and secret values are never echoed.
. "$(dirname "$0")/../lib/test-lib.sh"

# refused WANT CMD...: exit 1, one "cjobs: error:" line containing WANT,
# nothing on standard output, no raw control byte on standard error.
refused() {
	local want=$1 rc
	shift
	"$CJOBS_BIN" "$@" >out 2>err
	rc=$?
	[ $rc -eq 1 ] || { echo "exit $rc (not 1) for: ${*:0:3}"; cat err; return 1; }
	grep -qF -- "$want" err || { echo "no \"$want\" in:"; cat err; return 1; }
	[ ! -s out ] || { echo "printed something for: ${*:0:3}"; return 1; }
	[ "$(grep -c "^cjobs: error:" err)" -eq 1 ] || { echo "not one error line:"; cat err; return 1; }
	if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" err; then
		echo "raw control bytes in the message:"; cat -v err; return 1
	fi
}

big() { head -c "$1" /dev/zero | tr '\0' "${2:-a}"; }

test_expect_success 'setup: a store with a host, a template and a job' '
	cjobs host add h1 --url unix:///tmp/cjobs-none.sock >/dev/null &&
	cjobs template add base --env A=1 >/dev/null &&
	cjobs job submit --image busybox --name keep -- true >/dev/null
'

test_expect_success 'bad job fields: 20 kinds refused, the store unchanged' '
	before=$(store_digest) &&
	refused "upper case is not allowed" job submit --image BUSYBOX -- true &&
	refused "is not a valid repository name" job submit --image "ghcr.io/Org/app" -- true &&
	refused "the tag after" job submit --image "busybox:" -- true &&
	refused "the digest after" job submit --image "app@sha256:abc" -- true &&
	refused "invalid character" job submit --image "$(printf "bus\\033box")" -- true &&
	refused "the limit is 512" job submit --image "$(big 600)" -- true &&
	refused "the limit is 200" job submit --image busybox --name "$(big 100000)" -- true &&
	refused "control character" job submit --image busybox --name "$(printf "a\\033[31mred")" -- true &&
	refused "not valid UTF-8" job submit --image busybox --name "$(printf "caf\\303")" -- true &&
	refused "the limit is 65536" job submit --image busybox -- "$(big 70000)" &&
	refused "command argument 1 is not valid UTF-8" job submit --image busybox -- "$(printf "caf\\303")" &&
	refused "the limit is 65536" job submit --image busybox --env "K=$(big 70000)" -- true &&
	refused "the limit is 1024" job submit --image busybox --workdir "/$(big 2000)" -- true &&
	refused "from -1000 to 1000" job submit --image busybox --priority 99999999999999999999 -- true &&
	refused "is not a size" job submit --image busybox --memory 99999999999999999999g -- true &&
	refused "from 0 to 604800" job submit --image busybox --timeout 8d -- true &&
	refused "0.01 to 1024 CPUs" job submit --image busybox --cpus 0.001 -- true &&
	refused "is not a time" job submit --image busybox --at 2026-02-31 -- true &&
	refused "no host named" job submit --image busybox --host "$(printf "a\\033b")" -- true &&
	grep -qF "a\\x1bb" err &&
	refused "needs a value" job submit --image busybox --name &&
	test "$(store_digest)" = "$before"
'

test_expect_success 'a secret value that is invalid is refused by its key, never echoed' '
	before=$(store_digest) &&
	refused "environment variable API_TOKEN is not valid UTF-8" \
		job submit --image busybox --env "$(printf "API_TOKEN=s3cr\\303t")" -- true &&
	! grep -q s3cr err &&
	test "$(store_digest)" = "$before"
'

test_expect_success 'bad environment files: 8 kinds refused, the store unchanged' '
	before=$(store_digest) &&
	mkdir envdir &&
	head -c 3000 /dev/urandom >binary.env &&
	printf "A=1\\0B=2\\n" >nul.env &&
	printf "GOOD=1\\nno equals sign\\n" >noeq.env &&
	printf "1BAD=x\\n" >key.env &&
	big 200000 >huge.env &&
	big 2000000 >toolarge.env && sed -i "1s/^/A=/" toolarge.env &&
	printf "K=caf\\303\\n" >utf.env &&
	refused "cannot read env file missing.env: No such file or directory" job submit --image busybox --env-file missing.env -- true &&
	refused "env file envdir is a directory" job submit --image busybox --env-file envdir -- true &&
	refused "NUL byte" job submit --image busybox --env-file binary.env -- true &&
	refused "NUL byte" job submit --image busybox --env-file nul.env -- true &&
	refused "noeq.env:2" job submit --image busybox --env-file noeq.env -- true &&
	refused "must start with a letter" job submit --image busybox --env-file key.env -- true &&
	refused "has no" job submit --image busybox --env-file huge.env -- true &&
	refused "larger than 1 MiB" job submit --image busybox --env-file toolarge.env -- true &&
	refused "not valid UTF-8" job submit --image busybox --env-file utf.env -- true &&
	test "$(store_digest)" = "$before"
'

test_expect_success 'environment files: CRLF line ends and repeated keys are accepted as documented' '
	printf "A=1\\r\\nB=2\\r\\nA=3\\r\\n" >crlf.env &&
	id=$(cjobs job submit --image busybox --env-file crlf.env -- true) &&
	cjobs job show $id --format json --show-secrets | python3 -c "
import json,sys
assert json.load(sys.stdin)[\"env\"] == [\"A=3\", \"B=2\"]"
'

test_expect_success 'bad configuration files: 6 kinds refused, the store unchanged' '
	before=$(store_digest) &&
	printf "[worker]\\nbogus = 1\\n" >unknown-key.ini &&
	printf "[nosuch]\\nx = 1\\n" >unknown-section.ini &&
	printf "[worker]\\nmax_jobs = many\\n" >bad-value.ini &&
	printf "max_jobs = 2\\n" >no-section.ini &&
	# 2000 bytes of noise without a line end, the same in every run: a
	# first byte that is neither "[" nor a comment, so that the first line
	# can never read as a section (random noise once began with "[" and
	# held a "]", and the error moved to line 2).
	python3 -c "import random, sys; r = random.Random(7); sys.stdout.buffer.write(b\"\\x01\" + bytes(b for b in (r.randrange(256) for _ in range(4000)) if b not in (10, 13))[:1999])" >binary.ini &&
	refused "unknown-key.ini:2: unknown key" --config unknown-key.ini job list &&
	refused "unknown-section.ini:2: unknown key" --config unknown-section.ini job list &&
	refused "bad-value.ini:2: [worker] max_jobs" --config bad-value.ini job list &&
	refused "outside any [section]" --config no-section.ini job list &&
	refused "binary.ini:1: " --config binary.ini job list &&
	grep -Eq "binary.ini:1: (syntax error: expected \[section\] or key = value|key .* is outside any \[section\])" err &&
	test "$(wc -c <err)" -lt 600 &&
	refused "cannot read configuration file nothere.ini" --config nothere.ini job list &&
	refused "is not a regular file" --config envdir job list &&
	test "$(store_digest)" = "$before"
'

test_expect_success 'bad hosts, templates and ids: 10 kinds refused, the store unchanged' '
	before=$(store_digest) &&
	refused "the limit is 64" host add "$(big 100)" --url unix:///x.sock &&
	refused "may hold only letters" host add "a b" --url unix:///x.sock &&
	refused "from 1 to 10000" host add h2 --url unix:///x.sock --max-jobs 0 &&
	refused "needs a host and a port" host add h2 --url tcp://127.0.0.1 &&
	refused "is not understood" host add h2 --url http://127.0.0.1:2375 &&
	refused "cannot read TLS file" host add h2 --url tcp://127.0.0.1:2376 --tls-ca nothere.pem &&
	refused "may hold only letters" template add "bad name" --env A=1 &&
	refused "must start with a letter" template add t2 --env 1=2 &&
	refused "is not a job id" job show 1abc &&
	refused "is not a job id" job show 99999999999999999999 &&
	refused "from 0 to 36500" manage-jobs cleanup --days -1 &&
	test "$(store_digest)" = "$before"
'

test_expect_success 'what a job holds is shown without raw control characters' '
	id=$(cjobs job submit --image busybox --env "$(printf "K=a\\033b")" -- sh -c "$(printf "echo\\033[2J")") &&
	cjobs job show $id >show &&
	grep -qF "K=a\\x1bb" show &&
	grep -qF "echo\\x1b[2J" show &&
	! LC_ALL=C grep -q "$(printf "\\033")" show
'

test_expect_success 'files cjobs creates are owner-only whatever the umask' '
	umask 022 &&
	cjobs --database perm.db job submit --image busybox -- true >/dev/null &&
	cjobs --database perm.db db backup perm.bak >/dev/null &&
	for f in perm.db perm.db-wal perm.bak; do
		[ ! -e $f ] || test "$(stat -c %a $f)" = 600 || { echo "$f: $(stat -c %a $f)"; exit 1; }
	done &&
	mkdir -p xdg &&
	XDG_DATA_HOME=$TEST_DIR/xdg env -u CJOBS_DATABASE "$CJOBS_BIN" job list >/dev/null &&
	test "$(stat -c %a xdg/cjobs)" = 700 &&
	test "$(stat -c %a xdg/cjobs/cjobs.db)" = 600
'

test_expect_success 'an engine without TLS verification is warned about, also by the worker' '
	touch ca.pem cert.pem key.pem &&
	cjobs host add insecure --url tcp://127.0.0.1:1 --tls-ca ca.pem --tls-cert cert.pem \
		--tls-key key.pem --tls-verify no 2>err >/dev/null &&
	grep -q "warning: host .insecure.: the engine.s certificate will not be verified" err &&
	cjobs process-jobs --host insecure 2>err >/dev/null;
	grep -q "warning: host .insecure.: the engine.s certificate is not verified" err
'

test_expect_success 'a corrupt or truncated store is refused by name, and not changed' '
	head -c 100000 /dev/urandom >corrupt.db &&
	sum=$(sha256sum <corrupt.db) &&
	refused "cannot open job store corrupt.db: the file is not an SQLite database" --database corrupt.db job list &&
	test "$(sha256sum <corrupt.db)" = "$sum" &&
	head -c 5000 "$CJOBS_DATABASE" >truncated.db &&
	"$CJOBS_BIN" --database truncated.db job list >out 2>err;
	test $? -eq 1 && grep -q "cannot open job store truncated.db: " err
'

test_expect_success 'a full disk: a clear error naming the store, nothing half written, the store still sound' '
	mkdir small &&
	mount -t tmpfs -o size=1m tmpfs small || { echo "cannot mount a tmpfs here"; exit 1; }
	trap "umount $TEST_DIR/small" EXIT
	export CJOBS_DATABASE=$TEST_DIR/small/s.db &&
	cjobs host add h1 --url unix:///tmp/cjobs-none.sock >/dev/null &&
	n=0 &&
	while "$CJOBS_BIN" job submit --image busybox --env "X=$(big 60000)" -- true >/dev/null 2>err; do
		n=$((n + 1)); [ $n -lt 100 ] || break
	done &&
	echo "$n jobs fitted" && test $n -lt 100 &&
	grep -q "error: cannot .*the disk holding the job store .*small/s.db is full; nothing of this change was written" err &&
	test "$(store_sql "SELECT count(*) FROM jobs")" = $n &&
	cjobs db check >/dev/null
'

test_expect_success 'a store on a read-only file system: a clear error naming it' '
	mkdir ro &&
	mount -t tmpfs -o size=4m tmpfs ro || { echo "cannot mount a tmpfs here"; exit 1; }
	trap "umount $TEST_DIR/ro" EXIT
	export CJOBS_DATABASE=$TEST_DIR/ro/s.db &&
	cjobs job submit --image busybox -- true >/dev/null 2>&1 &&
	mount -o remount,ro "$TEST_DIR/ro" &&
	refused "read-only file system" job submit --image busybox -- true &&
	grep -q "ro/s.db" err
'

test_done
