#!/usr/bin/env bash
# stores: both (tests/run runs it again on PostgreSQL)
# job submit --file (JSON Lines) and --count: every line checked by the
# same parsers as the command line before anything is stored, all or
# nothing, command-line options as defaults, ids printed in order.
. "$(dirname "$0")/../lib/test-lib.sh"

cjobs host add h1 --url unix:///tmp/cjobs-none.sock >/dev/null

# check_job ID ASSERTION: a Python assertion over the job's JSON (as j).
check_job() {
	cjobs job show "$1" --format json --show-secrets |
		python3 -c 'import json,sys; j=json.load(sys.stdin); assert eval(sys.argv[1]), j' "$2"
}

test_expect_success '--file queues every line, with the command line options as defaults' '
	cat >jobs.jsonl <<-EOF &&
	{"image": "busybox", "command": ["sh", "-c", "echo one"], "name": "one"}

	{"image": "busybox:1.36", "priority": 7, "env": ["B=line"], "max-retries": "2", "timeout": "5m"}
	{"command": ["true"], "name": "three", "host": "h1", "at": "+1h"}
	EOF
	cjobs job submit --file jobs.jsonl --image alpine --env A=cli --env B=cli --priority 3 >ids &&
	test "$(cat ids | tr "\n" " ")" = "1 2 3 " &&
	check_job 1 "(j[\"name\"], j[\"image\"], j[\"priority\"], j[\"command\"]) == (\"one\", \"busybox\", 3, [\"sh\", \"-c\", \"echo one\"])" &&
	check_job 2 "(j[\"priority\"], j[\"env\"], j[\"max_retries\"], j[\"timeout_seconds\"]) == (7, [\"A=cli\", \"B=line\"], 2, 300)" &&
	check_job 3 "(j[\"image\"], j[\"host\"], bool(j[\"not_before\"]), j[\"command\"]) == (\"alpine\", \"h1\", True, [\"true\"])" &&
	cjobs job show 2 --format json | grep -q "submitted in bulk"
'

test_expect_success '--file - reads standard input' '
	printf "{\"image\": \"busybox\"}\n{\"image\": \"busybox\"}\n" | cjobs job submit --file - >ids &&
	test "$(wc -l <ids)" = 2
'

test_expect_success '--count N queues N copies, each a job of its own' '
	cjobs job submit --image busybox --count 5 --name copy -- echo x >ids &&
	test "$(wc -l <ids)" = 5 &&
	test "$(store_sql "SELECT count(DISTINCT uuid) FROM jobs WHERE name = '"'"'copy'"'"'")" = 5 &&
	test "$(store_sql "SELECT count(*) FROM job_history h JOIN jobs j ON j.id = h.job_id WHERE j.name = '"'"'copy'"'"'")" = 5
'

# bad_file WANT: the file bad.jsonl is refused naming WANT; nothing stored.
bad_file() {
	local before
	before=$(store_digest)
	"$CJOBS_BIN" job submit --file bad.jsonl >out 2>err
	[ $? -eq 1 ] || { echo "not exit 1"; cat err; return 1; }
	grep -qF -- "$1" err || { echo "no \"$1\" in:"; cat err; return 1; }
	grep -q "nothing was queued" err || { echo "no nothing-was-queued"; cat err; return 1; }
	[ ! -s out ] || { echo "printed ids"; return 1; }
	[ "$(store_digest)" = "$before" ] || { echo "the store changed"; return 1; }
}

test_expect_success 'a bad line anywhere queues nothing: every kind of mistake names its line and key' '
	python3 -c "
import json
with open(\"good.jsonl\", \"w\") as f:
    for i in range(999): f.write(json.dumps({\"image\": \"busybox\", \"command\": [\"true\"]}) + \"\\n\")" &&
	{ cat good.jsonl; echo "{\"image\": \"busybox\", \"priority\": \"high\"}"; } >bad.jsonl &&
	bad_file "bad.jsonl:1000: \"priority\": '"'"'high'"'"' is not a whole number from -1000 to 1000" &&
	echo "{\"image\": \"busybox\", \"bogus\": 1}" >bad.jsonl && bad_file "bad.jsonl:1: unknown key \"bogus\"" &&
	echo "{\"image\": \"busybox\", \"count\": 3}" >bad.jsonl && bad_file "unknown key \"count\"" &&
	echo "not json" >bad.jsonl && bad_file "bad.jsonl:1: not JSON" &&
	echo "[1, 2]" >bad.jsonl && bad_file "not a JSON object" &&
	echo "{\"image\": \"busybox\", \"command\": \"true\"}" >bad.jsonl && bad_file "\"command\" must be a list of strings" &&
	echo "{\"image\": \"busybox\", \"command\": [\"a\", 1]}" >bad.jsonl && bad_file "element 2 is not one" &&
	echo "{\"image\": \"busybox\", \"priority\": [1]}" >bad.jsonl && bad_file "\"priority\" takes one value, not a list" &&
	echo "{\"image\": \"busybox\", \"env\": {\"A\": 1}}" >bad.jsonl && bad_file "\"env\" must be a string or a list of strings" &&
	echo "{\"image\": \"busybox\", \"env\": [\"NOEQ\"]}" >bad.jsonl && bad_file "environment entry '"'"'NOEQ'"'"' has no '"'"'='"'"'" &&
	echo "{\"name\": \"no image\"}" >bad.jsonl && bad_file "bad.jsonl:1: give the image to run with --image" &&
	echo "{\"image\": \"BUSYBOX\"}" >bad.jsonl && bad_file "upper case is not allowed" &&
	echo "{\"image\": \"busybox\", \"host\": \"nosuch\"}" >bad.jsonl && bad_file "no host named '"'"'nosuch'"'"'" &&
	printf "{\"image\": \"busybox\"}\n{\"image\": \"bus\\0box\"}\n" >bad.jsonl && bad_file "bad.jsonl:2: the line holds a NUL byte" &&
	printf "{\"image\": \"busybox\", \"command\": [\"a\\\\u0000b\"]}\n" >bad.jsonl &&
	bad_file "bad.jsonl:1: not JSON: a string holds \\u0000 (a NUL byte), which cjobs does not take near" &&
	: >bad.jsonl && bad_file "holds no job"
'

test_expect_success '--file and --count refuse bad use' '
	before=$(store_digest) &&
	expect_code 1 cjobs job submit --file nothere.jsonl 2>err &&
	grep -q "cannot read job file nothere.jsonl: No such file or directory; nothing was queued" err &&
	expect_code 1 cjobs job submit --file good.jsonl --count 2 2>err &&
	grep -q "give --file or --count, not both" err &&
	expect_code 1 cjobs job submit --image busybox --count 0 -- true 2>err &&
	grep -q "option --count: .0. is not a whole number from 1 to 1000000" err &&
	test "$(store_digest)" = "$before"
'

test_expect_success '--count: 1 queues one job, 1000001 is refused, changing nothing' '
	ids=$(cjobs job submit --image busybox --count 1 --name count-one -- true) &&
	test "$(echo "$ids" | wc -l)" = 1 &&
	test "$(store_sql "SELECT count(*) FROM jobs WHERE name = '\''count-one'\''")" = 1 &&
	before=$(store_digest) &&
	expect_code 1 cjobs job submit --image busybox --count 1000001 -- true 2>err &&
	grep -q "option --count: .1000001. is not a whole number from 1 to 1000000" err &&
	test "$(store_digest)" = "$before"
'

test_expect_success '--file: a line of 1 MiB (its line end included) is taken, one byte more is refused' '
	python3 -c "
import json
def line(size):
    base = {\"image\": \"busybox\", \"name\": \"mib\", \"command\": [\"true\"]}
    pad = size - len(json.dumps(base)) - 1 - 4   # the newline, and the new argument quotes and separator
    args = [\"true\"]
    while pad > 0:
        n = min(pad, 60000)
        args.append(\"x\" * n)
        pad -= n + 4
    base[\"command\"] = args
    s = json.dumps(base)
    # adjust the last argument to reach the exact size
    s = s[:-3] + \"x\" * (size - 1 - len(s)) + s[-3:]
    assert len(s) + 1 == size, (len(s), size)
    return s + \"\n\"
open(\"mib.jsonl\", \"w\").write(line(1 << 20))
open(\"over.jsonl\", \"w\").write(line((1 << 20) + 1))
" &&
	test "$(wc -c <mib.jsonl)" = 1048576 && test "$(wc -c <over.jsonl)" = 1048577 &&
	cp over.jsonl bad.jsonl &&
	bad_file "bad.jsonl:1: the line is 1048577 bytes long; the limit is 1048576" &&
	cjobs job submit --file mib.jsonl >ids &&
	test "$(wc -l <ids)" = 1
'

test_done
