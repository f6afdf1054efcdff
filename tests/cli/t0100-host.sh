#!/usr/bin/env bash
# Executor hosts: register, list, show, update, enable/disable, remove.
. "$(dirname "$0")/../lib/test-lib.sh"

test_expect_success 'host add registers a host with its settings' '
	cjobs host add e1 --url unix:///tmp/x.sock --max-jobs 4 --weight 7 --pull yes --network none >out &&
	grep -q "added host .e1." out &&
	cjobs host show e1 --format json >j &&
	python3 -c "import json; h=json.load(open(\"j\")); assert h[\"max_jobs\"]==4 and h[\"weight\"]==7 and h[\"pull_images\"] and h[\"network_mode\"]==\"none\" and h[\"url\"]==\"unix:///tmp/x.sock\", h"
'

test_expect_success 'host add takes the defaults shown in its help' '
	cjobs host add e2 --url tcp://127.0.0.1:2375 2>warn >/dev/null &&
	grep -q "without TLS" warn &&
	cjobs host show e2 --format json >j &&
	python3 -c "import json; h=json.load(open(\"j\")); assert h[\"max_jobs\"]==10 and h[\"weight\"]==100 and not h[\"pull_images\"] and h[\"tls_verify\"], h" &&
	cjobs host add --help | grep -A3 "^  --max-jobs" | grep -q "Default: 10\."
'

test_expect_success 'host list prints table, json and csv' '
	cjobs host list >t && grep -q "^NAME" t && grep -q "^e1 " t &&
	cjobs host list --format json | python3 -c "import json,sys; assert len(json.load(sys.stdin))==2" &&
	cjobs host list --format csv >c && head -1 c | grep -q "^NAME,URL," && test $(wc -l <c) -eq 3
'

test_expect_success 'host update changes only what is given' '
	cjobs host update e1 --max-jobs 2 >/dev/null &&
	cjobs host show e1 --format json | python3 -c "import json,sys; h=json.load(sys.stdin); assert h[\"max_jobs\"]==2 and h[\"weight\"]==7, h"
'

test_expect_success 'host disable and enable' '
	cjobs host disable e1 >/dev/null &&
	test "$(cjobs host show e1 --format json | python3 -c "import json,sys; print(json.load(sys.stdin)[\"enabled\"])")" = False &&
	cjobs host enable e1 >/dev/null &&
	test "$(cjobs host show e1 --format json | python3 -c "import json,sys; print(json.load(sys.stdin)[\"enabled\"])")" = True
'

test_expect_success 'bad host input is refused and changes nothing' '
	before=$(store_digest) &&
	expect_code 1 cjobs host add e1 --url unix:///tmp/y.sock 2>err && grep -qi "already" err &&
	expect_code 1 cjobs host add e3 --url http://127.0.0.1:1 2>err && grep -q "not understood" err &&
	expect_code 1 cjobs host add e3 --url unix://relative 2>err && grep -q "absolute" err &&
	expect_code 1 cjobs host add e3 --url tcp://127.0.0.1:99999 2>err && grep -q "port" err &&
	expect_code 1 cjobs host add e3 --url tcp://127.0.0.1:1 --weight 0 2>err && grep -q "from 1 to 1000" err &&
	expect_code 1 cjobs host add e3 --url tcp://127.0.0.1:1 --max-jobs x 2>err && grep -q "whole number" err &&
	expect_code 1 cjobs host add "bad name" --url tcp://127.0.0.1:1 2>err && grep -q "letters, digits" err &&
	expect_code 1 cjobs host add e3 2>err && grep -q -- "--url" err &&
	expect_code 1 cjobs host add e3 --url tcp://127.0.0.1:1 --tls-ca $TEST_DIR/no-such-ca.pem 2>err && grep -q "cannot read TLS file" err &&
	expect_code 1 cjobs host add e3 --url tcp://127.0.0.1:1 --tls-ca $TEST_DIR 2>err && grep -q "cannot read TLS file" err &&
	expect_code 1 cjobs host add e3 --url unix:///x.sock --tls-ca /etc/hostname 2>err && grep -q "only used with tcp" err &&
	expect_code 1 cjobs host add e3 --url tcp://127.0.0.1:1 --pull maybe 2>err && grep -q "yes or no" err &&
	expect_code 1 cjobs host update nosuch --max-jobs 3 2>err && grep -q "no host named" err &&
	expect_code 1 cjobs host remove nosuch 2>err && grep -q "no host named" err &&
	test "$before" = "$(store_digest)"
'

test_expect_success 'host remove asks first: --dry-run says, no terminal refuses, --force removes' '
	cjobs host remove e2 --dry-run | grep -q "would remove host .e2. (tcp://127.0.0.1:2375)" &&
	expect_code 1 cjobs host remove e2 </dev/null 2>err && grep -q "needs confirmation" err &&
	grep -q "add --force" err && cjobs host show e2 >/dev/null &&
	cjobs host remove e2 --force >/dev/null &&
	expect_code 1 cjobs host show e2 2>err && grep -q "no host named" err
'

test_expect_success 'host remove is refused while a job is pinned to the host' '
	cjobs job submit --image busybox --host e1 -- true >/dev/null &&
	expect_code 1 cjobs host remove e1 --force 2>err && grep -q "pinned" err &&
	cjobs host show e1 >/dev/null
'

test_done
