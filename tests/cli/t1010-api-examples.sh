#!/usr/bin/env bash
# Every example request of the API's documentation runs against a real
# server and answers the status its documentation gives, as t0900 does for
# the command line. The examples come from the server itself (its
# /api/v1/openapi.json, made from the route table), so a new route's
# example is tested as soon as it is written; and docs/api holds exactly
# what the program writes.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$(dirname "$0")/../lib/serve.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
IMG=cjobs-test/busybox:1
trap 'serve_stop_all; test_cleanup' EXIT

# The sandbox the examples expect: host local on the engine, job 1
# completed and job 2 failed.
test_expect_success 'the sandbox is set up' '
	cjobs host add local --url "$ENGINE_URL" >/dev/null &&
	cjobs job submit --image $IMG -- sh -c "echo out; echo err >&2" >/dev/null &&
	cjobs job submit --image $IMG -- sh -c "exit 3" >/dev/null &&
	{ cjobs process-jobs 2>/dev/null; test $? = 3; } &&
	cjobs token create examples --scope admin >admin.tok 2>/dev/null
'
serve_start "$TEST_DIR/serve.log" || { echo "Bail out! no server"; exit 1; }
API_TOKEN=$(cat "$TEST_DIR/admin.tok")
export API_TOKEN SERVE_URL

test_expect_success 'the served OpenAPI document is docs/api/openapi.json, and docs/api is current' '
	api -t "" GET /api/v1/openapi.json >served.json && status_is 200 &&
	python3 -c "import json,sys; sys.exit(json.load(open(\"served.json\")) != json.load(open(sys.argv[1])))" \
		"$TEST_ROOT/docs/api/openapi.json" &&
	cjobs help --write-docs gen && diff -r gen/api "$TEST_ROOT/docs/api"
'

python3 -c 'import json,sys
doc = json.load(open(sys.argv[1]))
for path, item in doc["paths"].items():
    for method, op in item.items():
        if "x-cjobs-example" in op:
            print("%s\t%s\t%d" % (method.upper() + " " + path, op["x-cjobs-example"], op["x-cjobs-example-status"]))' \
	"$TEST_DIR/served.json" >"$TEST_DIR/examples"

test_expect_success 'every route but the sign-out has an example' '
	test "$(wc -l <examples)" -ge 13
'

while IFS=$'\t' read -r route example want; do
	test_expect_success "example of $route: $example" '
		set -- $example
		method=$1 path=$2
		body=${example#"$method $path"}
		body=${body# }
		if [ -n "$body" ]; then api POST "$path" "$body" >/dev/null
		else api "$method" "$path" >/dev/null; fi &&
		status_is '"$want"'
	'
done <"$TEST_DIR/examples"

test_expect_success 'no container labelled by cjobs is left on the engine' '
	test -z "$(engine_containers "$ENGINE_SOCK")"
'

test_done
