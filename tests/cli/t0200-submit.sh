#!/usr/bin/env bash
# stores: both (tests/run runs it again on PostgreSQL)
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

test_expect_success 'job list filters by name, image and creation time, as GET /api/v1/jobs does' '
	a=$(cjobs job submit --image filter/one:1 --name pick --at +1d -- true) &&
	b=$(cjobs job submit --image filter/two:1 --name pick --at +1d -- true) &&
	c=$(cjobs job submit --image filter/one:1 --name other --at +1d -- true) &&
	ids() { cjobs job list "$@" --format json | python3 -c "import json,sys; print(\" \".join(str(j[\"id\"]) for j in json.load(sys.stdin)))"; } &&
	test "$(ids --name pick)" = "$b $a" &&
	test "$(ids --image filter/one:1)" = "$c $a" &&
	test "$(ids --name pick --image filter/one:1)" = "$a" &&
	test "$(ids --name pick --since +1h)" = "" &&
	test "$(ids --name pick --since -1h)" = "$b $a" &&
	test "$(ids --name pick --until -1h)" = "" &&
	test "$(ids --name pick --until +1h)" = "$b $a" &&
	test "$(ids --name pick --since 2020-01-01T00:00:00.000Z)" = "$b $a" &&
	expect_code 1 cjobs job list --since yesterday 2>err && grep -q "is not a time" err &&
	for j in $a $b $c; do cjobs manage-jobs cancel --job-id $j >/dev/null || exit 1; done
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

# ok_job 'ASSERTION' OPTIONS...: the job is queued; ASSERTION (Python, over
# its JSON as j) is noted in ok_jobs, for check_ok_jobs.
ok_job() {
	local want=$1 id
	shift
	id=$("$CJOBS_BIN" job submit --image busybox "$@" -- true) || { echo "refused: $*"; return 1; }
	printf '%s\t%s\t%s\n' "$id" "$want" "$*" >>ok_jobs
}
# check_ok_jobs: every assertion noted by ok_job holds.
check_ok_jobs() {
	cjobs job list --limit 0 --format json >all.json &&
	python3 -c '
import json, sys
jobs = {j["id"]: j for j in json.load(open("all.json"))}
for line in open("ok_jobs"):
    i, want, opts = line.rstrip("\n").split("\t")
    j = jobs[int(i)]
    assert eval(want), (opts, want, j)'
}

test_expect_success 'each limit takes its end values and refuses the next ones, changing nothing' '
	ok_job "j[\"priority\"] == 1000" --priority 1000 &&
	ok_job "j[\"priority\"] == -1000" --priority -1000 &&
	ok_job "j[\"max_retries\"] == 100" --max-retries 100 &&
	ok_job "j[\"max_retries\"] == 0" --max-retries 0 &&
	ok_job "j[\"memory_bytes\"] == 6 << 20" --memory 6m &&
	ok_job "j[\"memory_bytes\"] == 1 << 50" --memory 1024t &&
	ok_job "j[\"cpus\"] == 0.01" --cpus 0.01 &&
	ok_job "j[\"cpus\"] == 1024" --cpus 1024 &&
	ok_job "j[\"timeout_seconds\"] == 604800" --timeout 7d &&
	ok_job "j[\"timeout_seconds\"] == 1" --timeout 1 &&
	check_ok_jobs &&
	before=$(store_digest) &&
	bad "option --priority: .1001. is not a whole number from -1000 to 1000" --image busybox --priority 1001 -- true &&
	bad "option --priority: .-1001. is not a whole number from -1000 to 1000" --image busybox --priority -1001 -- true &&
	bad "option --max-retries: .101. is not a whole number from 0 to 100" --image busybox --max-retries 101 -- true &&
	bad "option --memory: .6291455. is out of range: give from 6m to 1024t" --image busybox --memory 6291455 -- true &&
	bad "option --memory: .1125899906842625. is out of range: give from 6m to 1024t" --image busybox --memory 1125899906842625 -- true &&
	bad "the CPU limit must be 0 (none) or from 0.01 to 1024 CPUs" --image busybox --cpus 0.009 -- true &&
	bad "the CPU limit must be 0 (none) or from 0.01 to 1024 CPUs" --image busybox --cpus 1024.01 -- true &&
	bad "option --timeout: .604801. is not a duration from 0 to 604800 seconds" --image busybox --timeout 604801 -- true &&
	test "$(store_digest)" = "$before"
'

test_expect_success 'defaults: priority 0, no retries, the default strategy, no limits, the worker time limit' '
	id=$(cjobs job submit --image busybox -- true) &&
	cjobs job show $id --format json >j &&
	python3 -c "
import json; j = json.load(open(\"j\"))
assert (j[\"priority\"], j[\"max_retries\"], j[\"retry_strategy\"]) == (0, 0, \"default\"), j
assert (j[\"memory_bytes\"], j[\"cpus\"], j[\"timeout_seconds\"]) == (None, None, None), j
assert (j[\"not_before\"], j[\"host\"], j[\"retry_on_exit_code\"]) == (None, None, None), j" &&
	cjobs job show $id >t &&
	grep -q "^time limit:    the worker.s --timeout$" t &&
	grep -q "^memory limit:  none$" t && grep -q "^cpu limit:     none$" t
'

test_expect_success '0 is special: --timeout 0 is no time limit, --cpus 0 no CPU limit' '
	id=$(cjobs job submit --image busybox --timeout 0 --cpus 0 -- true) &&
	test "$(job_field $id timeout_seconds)" = 0 &&
	test -z "$(job_field $id cpus)" &&
	cjobs job show $id >t &&
	grep -q "^time limit:    none$" t && grep -q "^cpu limit:     none$" t
'

test_expect_success 'the environment: the template, then each --env-file in order, then each --env; a later value wins' '
	cjobs template add layers --env A=template --env B=template --env C=template --env D=template >/dev/null &&
	printf "B=file1\nC=file1\nD=file1\n" >f1 &&
	printf "C=file2\nD=file2\n" >f2 &&
	id=$(cjobs job submit --image busybox --template layers --env-file f1 --env-file f2 \
		--env D=option1 --env E=option --env D=option2 -- true) &&
	cjobs job show $id --format json --show-secrets | python3 -c "
import json,sys
env = json.load(sys.stdin)[\"env\"]
assert env == [\"A=template\", \"B=file1\", \"C=file2\", \"D=option2\", \"E=option\"], env"
'

test_expect_success 'job list: the newest 100 by default, --limit N the newest N, --limit 0 every job' '
	L="--database $TEST_DIR/list.db" &&
	cjobs $L job submit --image busybox --count 150 -- true >/dev/null 2>&1 &&
	ids() { cjobs $L job list --format json "$@" | python3 -c "import json,sys; print(\" \".join(str(j[\"id\"]) for j in json.load(sys.stdin)))"; } &&
	test "$(ids)" = "$(seq 150 -1 51 | paste -sd" ")" &&
	test "$(ids --limit 100)" = "$(ids)" &&
	test "$(ids --limit 1)" = 150 &&
	test "$(ids --limit 149)" = "$(seq 150 -1 2 | paste -sd" ")" &&
	test "$(ids --limit 0)" = "$(seq 150 -1 1 | paste -sd" ")" &&
	test "$(cjobs $L job list | grep -c "^[0-9]")" = 100 &&
	expect_code 1 cjobs $L job list --limit -1 2>err &&
	grep -q "option --limit: .-1. is not a whole number from 0 to 2147483647" err
'

test_expect_success 'job list: --status given twice lists both, --host the jobs pinned to or run on it' '
	L="--database $TEST_DIR/list.db" &&
	store_edit "$TEST_DIR/list.db" "UPDATE jobs SET status = '\''failed'\'', attempt = 1, ran_on = '\''local'\'' WHERE id IN (3, 7);
		UPDATE jobs SET status = '\''timeout'\'', attempt = 1, ran_on = '\''other'\'' WHERE id IN (5, 140);
		UPDATE jobs SET host = '\''other'\'' WHERE id = 9" &&
	ids() { cjobs $L job list --format json "$@" | python3 -c "import json,sys; print(\" \".join(str(j[\"id\"]) for j in json.load(sys.stdin)))"; } &&
	test "$(ids --status failed)" = "7 3" &&
	test "$(ids --status failed --status timeout)" = "140 7 5 3" &&
	test "$(ids --status timeout --limit 1)" = "140" &&
	test "$(ids --host other)" = "140 9 5" &&
	test "$(ids --host other --status timeout)" = "140 5" &&
	test "$(ids --host nosuch)" = "" &&
	cjobs $L job list --host nosuch >out && test "$(cat out | wc -l)" = 1 && grep -q "^ID " out
'

test_expect_success 'job logs --attempt: 0 is the latest, up to the attempts the job has had' '
	M="--database $TEST_DIR/mock.db" &&
	cjobs $M host add dry --url mock:// >/dev/null &&
	id=$(cjobs $M job submit --image busybox -- true) &&
	cjobs $M process-jobs --host dry >/dev/null 2>&1 &&
	test "$(cjobs $M job show $id --format json | python3 -c "import json,sys; j=json.load(sys.stdin); print(j[\"status\"], j[\"attempt\"])")" = "completed 1" &&
	cjobs $M job logs $id --attempt 1 >out 2>err &&
	cjobs $M job logs $id --attempt 0 >out 2>err &&
	expect_code 1 cjobs $M job logs $id --attempt 2 2>err &&
	grep -q "error: job $id has had 1 attempt(s); give --attempt from 1 to 1, or 0 for the latest" err &&
	expect_code 1 cjobs $M job logs $id --attempt 1001 2>err &&
	grep -q "option --attempt: .1001. is not a whole number from 0 to 1000" err
'

test_expect_success 'template add: a description of up to 500 characters, a name of up to 64' '
	before=$(store_digest) &&
	expect_code 1 cjobs template add longdesc --env A=1 -d "$(head -c 501 /dev/zero | tr "\0" d)" 2>err &&
	grep -q "description is 501 bytes long; the limit is 500" err &&
	expect_code 1 cjobs template add "$(head -c 65 /dev/zero | tr "\0" n)" --env A=1 2>err &&
	grep -q "template name is 65 characters long; the limit is 64" err &&
	test "$(store_digest)" = "$before" &&
	cjobs template add longdesc --env A=1 -d "$(head -c 500 /dev/zero | tr "\0" d)" >/dev/null &&
	cjobs template add "$(head -c 64 /dev/zero | tr "\0" n)" --env A=1 >/dev/null &&
	cjobs template list --format json | python3 -c "
import json,sys
t = {x[\"name\"]: x for x in json.load(sys.stdin)}
assert len(t[\"longdesc\"][\"description\"]) == 500 and \"n\" * 64 in t, t"
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
	before=$(store_digest) &&
	cjobs template remove creds --dry-run | grep -q "would remove template .creds. (2 variables)" &&
	expect_code 1 cjobs template remove creds </dev/null 2>err &&
	grep -q "needs confirmation, but standard input is not a terminal; add --force" err &&
	test "$(store_digest)" = "$before" &&
	cjobs template remove creds --force >/dev/null &&
	expect_code 1 cjobs template show creds 2>err && grep -q "no environment template" err
'

test_expect_success SQLITE 'the store file is created with mode 0600' '
	test "$(stat -c %a "$CJOBS_DATABASE")" = 600
'

test_expect_success 'a store that cannot be opened exits 1 naming the file and the reason' '
	expect_code 1 cjobs --database /proc/nope/x.db job list 2>err &&
	grep -q "cannot open job store /proc/nope/x.db: the directory /proc/nope does not exist" err &&
	expect_code 1 cjobs --database /proc/x.db job list 2>err &&
	grep -q "cannot open job store /proc/x.db: no such file or directory" err
'

test_done
