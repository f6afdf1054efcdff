#!/usr/bin/env bash
# Submitting jobs: every option, every bad value refused with the store
# left exactly as it was, and the ways to look at jobs.
. "$(dirname "$0")/../lib/test-lib.sh"

test_expect_success 'the first submit registers the local engine as host local' '
	DOCKER_HOST=unix:///tmp/nowhere.sock cjobs job submit --image busybox -- true >id 2>err &&
	test "$(cat id)" = 1 && grep -q "as host .local." err &&
	cjobs host show local --format json | grep -q "unix:///tmp/nowhere.sock"
'

test_expect_success 'submit prints the new id and stores every field' '
	printf "# comment\nFROM_FILE=1\nexport QUOTED=\"a b\\\\n\"\nAPI_TOKEN=s3cret\n" >envf &&
	cjobs template add base --env BASE=1 --env FROM_FILE=0 >/dev/null &&
	id=$(cjobs job submit --image cjobs-test/busybox:1 --name "my job" --host local \
		--env-file envf --template base --env EXTRA="x y" --priority 5 --memory 64m \
		--cpus 0.5 --timeout 90s --max-retries 2 --workdir /tmp --at +1h \
		-- sh -c "echo \"hello world\"" "arg with spaces" "") &&
	test "$id" = 2 &&
	cjobs job show $id --format json --show-secrets >j &&
	python3 - <<-PY
	import json
	j = json.load(open("j"))
	assert j["name"] == "my job", j
	assert j["command"] == ["sh", "-c", "echo \"hello world\"", "arg with spaces", ""], j["command"]
	assert j["env"] == ["BASE=1", "FROM_FILE=1", "QUOTED=a b\n", "API_TOKEN=s3cret", "EXTRA=x y"], j["env"]
	assert j["priority"] == 5 and j["memory_bytes"] == 64 << 20 and j["cpus"] == 0.5
	assert j["timeout_seconds"] == 90 and j["max_retries"] == 2 and j["workdir"] == "/tmp"
	assert j["host"] == "local" and j["status"] == "queued" and j["not_before"]
	assert j["template"] == "base"
	assert j["history"][0]["to"] == "queued" and j["history"][0]["actor"] == "submit"
	PY
'

test_expect_success 'secret-looking values are masked unless asked' '
	cjobs job show 2 >t && grep -q "API_TOKEN=\*\*\*\*\*\*\*\*" t && ! grep -q s3cret t &&
	cjobs job show 2 --format json | grep -q "API_TOKEN=\*\*\*\*" &&
	! cjobs job list --format json | grep -q s3cret &&
	cjobs job show 2 --show-secrets | grep -q "API_TOKEN=s3cret"
'

test_expect_success 'job list prints table, json and csv, filtered by status' '
	cjobs job list >t && grep -q "^ID" t && test $(wc -l <t) -eq 3 &&
	cjobs job list --format json | python3 -c "import json,sys; assert [j[\"id\"] for j in json.load(sys.stdin)] == [2, 1]" &&
	cjobs job list --format csv >c && head -1 c | grep -q "^ID,STATUS," && test $(wc -l <c) -eq 3 &&
	test "$(cjobs job list --status completed --format json)" = "[]" &&
	expect_code 1 cjobs job list --status bogus 2>err && grep -q "not a job status" err
'

# Each bad value: a one-line error that says what to do, exit 1, and the
# store byte for byte as it was.
bad() {
	local want=$1
	shift
	cjobs job submit "$@" 2>err >out
	local rc=$?
	if [ $rc -ne 1 ]; then echo "exit $rc for: $*"; return 1; fi
	if ! grep -q -- "$want" err; then echo "no \"$want\" in:"; cat err; return 1; fi
	if [ -s out ]; then echo "printed an id for: $*"; return 1; fi
	if [ "$(grep -c "^cjobs: error:" err)" -ne 1 ]; then echo "not one error line:"; cat err; return 1; fi
}

test_expect_success 'every invalid submit value is refused and changes nothing' '
	printf "GOOD=1\nBAD LINE\n" >badenv &&
	printf "A=1\0B=2\n" >nulenv &&
	before=$(store_digest) &&
	bad "no host named .nosuch." --image busybox --host nosuch -- true &&
	bad "give the image" -- true &&
	bad "image name is empty" --image "" -- true &&
	bad "invalid character" --image "bad image" -- true &&
	bad "from 6m" --image busybox --memory 1k -- true &&
	bad "not a size" --image busybox --memory -5m -- true &&
	bad "not a size" --image busybox --memory lots -- true &&
	bad "not a number of CPUs" --image busybox --cpus -1 -- true &&
	bad "not a number of CPUs" --image busybox --cpus many -- true &&
	bad "not a duration" --image busybox --timeout -3 -- true &&
	bad "not a duration" --image busybox --timeout soon -- true &&
	bad "from -1000 to 1000" --image busybox --priority 1001 -- true &&
	bad "whole number" --image busybox --priority high -- true &&
	bad "from 0 to 100" --image busybox --max-retries -1 -- true &&
	bad "has no .=." --image busybox --env NOEQUALS -- true &&
	bad "must start with a letter" --image busybox --env 1X=2 -- true &&
	bad "empty key" --image busybox --env =v -- true &&
	bad "cannot read env file" --image busybox --env-file $TEST_DIR/no-such-file -- true &&
	bad "badenv:2" --image busybox --env-file badenv -- true &&
	bad "NUL byte" --image busybox --env-file nulenv -- true &&
	bad "no environment template" --image busybox --template nosuch -- true &&
	bad "absolute path" --image busybox --workdir relative -- true &&
	bad "not a time" --image busybox --at yesterday -- true &&
	bad "control character" --image busybox --name "$(printf "a\tb")" -- true &&
	bad "needs a value" --image &&
	test "$before" = "$(store_digest)"
'

test_expect_success 'job show and logs refuse ids that do not exist' '
	expect_code 1 cjobs job show 999 2>err && grep -q "no job with id 999" err &&
	expect_code 1 cjobs job show abc 2>err && grep -q "not a job id" err &&
	expect_code 1 cjobs job logs 999 2>err && grep -q "no job with id 999" err &&
	id=$(cjobs job submit --image busybox -- true) &&
	cjobs job logs $id >out 2>err &&
	test ! -s out &&
	grep -q "note: job $id has no output: it has not run yet (it is queued)" err
'

test_expect_success 'templates: list, show (masked), remove' '
	cjobs template add creds --env DB_PASSWORD=pw --env USER=me -d "test creds" >/dev/null &&
	cjobs template list | grep -q "^creds " &&
	cjobs template show creds | grep -q "DB_PASSWORD=\*\*\*\*\*\*\*\*" &&
	cjobs template show creds --show-secrets | grep -q "DB_PASSWORD=pw" &&
	cjobs template remove creds --dry-run | grep -q "would remove template .creds. (2 variables)" &&
	expect_code 1 cjobs template remove creds </dev/null 2>err && grep -q "add --force" err &&
	cjobs template show creds >/dev/null &&
	cjobs template remove creds --force >/dev/null &&
	expect_code 1 cjobs template show creds 2>err && grep -q "no environment template" err
'

test_expect_success 'the store file is created with mode 0600' '
	test "$(stat -c %a "$CJOBS_DATABASE")" = 600
'

test_expect_success 'a store that cannot be opened exits 1 naming the file' '
	mkdir -p ro && chmod 500 ro &&
	expect_code 1 cjobs --database /proc/nope/x.db job list 2>err &&
	grep -q "/proc/nope/x.db" err
'

test_done
