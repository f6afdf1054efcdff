#!/usr/bin/env bash
# stores: both (tests/run runs it again on PostgreSQL)
# Executor hosts: register, list, show, update, enable/disable, remove;
# and template remove, the other removal of a setting.
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
	cjobs host show e1 --format json >before.json &&
	cjobs host update e1 --max-jobs 2 >/dev/null &&
	cjobs host show e1 --format json >after.json &&
	python3 -c "
import json
b, a = json.load(open(\"before.json\")), json.load(open(\"after.json\"))
assert a[\"max_jobs\"] == 2, a
b[\"max_jobs\"] = 2
assert a == b, (b, a)"
'

test_expect_success 'host update --registry-auth: checked, stored as an absolute path (not its contents), changed by nothing else, removed by an empty FILE; bad files change nothing' '
	mkdir -p sub &&
	printf "{\"auths\": {\"r.example\": {\"auth\": \"dXNlcjpTZWNyZXQtUHctOTk=\"}}}" >sub/auth.json &&
	(cd sub && cjobs host update e1 --registry-auth auth.json >/dev/null) &&
	test "$(cjobs host show e1 --format json | python3 -c "import json,sys; print(json.load(sys.stdin)[\"registry_auth\"])")" = "$(cd sub && pwd -P)/auth.json" &&
	! grep -a -q -e Secret-Pw-99 -e dXNlcjpTZWNyZXQtUHctOTk= "$CJOBS_DATABASE" 2>/dev/null &&
	cjobs host update e1 --weight 5 >/dev/null &&
	cjobs host show e1 | grep -q "^registry auth: .*/sub/auth.json$" &&
	before=$(store_digest) &&
	printf "{\"auths\": 1}" >bad.json &&
	expect_code 1 cjobs host update e1 --registry-auth bad.json 2>err &&
	grep -q "registry credentials file bad.json: \"auths\" is not an object" err &&
	expect_code 1 cjobs host update e1 --registry-auth nosuch.json 2>err &&
	grep -q "cannot read registry credentials file nosuch.json: No such file or directory" err &&
	expect_code 1 cjobs host update e1 --registry-auth sub 2>err &&
	grep -q "registry credentials file sub is not a regular file" err &&
	test "$(store_digest)" = "$before" &&
	cjobs host update e1 --registry-auth "" --weight 7 >/dev/null &&
	cjobs host show e1 | grep -q "^registry auth: none"
'

test_expect_success 'host disable and enable; doing either twice changes nothing' '
	cjobs host disable e1 >out &&
	grep -q "host .e1. is disabled: workers started from now on send it no new jobs" out &&
	test "$(cjobs host show e1 --format json | python3 -c "import json,sys; print(json.load(sys.stdin)[\"enabled\"])")" = False &&
	before=$(store_digest) &&
	cjobs host disable e1 >/dev/null &&
	test "$(store_digest)" = "$before" &&
	cjobs host enable e1 >out &&
	grep -q "host .e1. is enabled" out &&
	test "$(cjobs host show e1 --format json | python3 -c "import json,sys; print(json.load(sys.stdin)[\"enabled\"])")" = True &&
	before=$(store_digest) &&
	cjobs host enable e1 >/dev/null &&
	test "$(store_digest)" = "$before"
'

test_expect_success 'bad host input is refused and changes nothing' '
	before=$(store_digest) &&
	expect_code 1 cjobs host add e1 --url unix:///tmp/y.sock 2>err && grep -q "an executor host named .e1. already exists" err &&
	expect_code 1 cjobs host add e3 --url http://127.0.0.1:1 2>err && grep -q "engine address .http://127.0.0.1:1. is not understood" err &&
	expect_code 1 cjobs host add e3 --url unix://relative 2>err && grep -q "needs an absolute socket path" err &&
	expect_code 1 cjobs host add e3 --url tcp://127.0.0.1:99999 2>err && grep -q "has an invalid port: use 1 to 65535" err &&
	expect_code 1 cjobs host add e3 --url tcp://127.0.0.1:1 --weight 0 2>err && grep -q "option --weight: .0. is not a whole number from 1 to 1000$" err &&
	expect_code 1 cjobs host add e3 --url tcp://127.0.0.1:1 --max-jobs x 2>err && grep -q "option --max-jobs: .x. is not a whole number" err &&
	expect_code 1 cjobs host add "bad name" --url tcp://127.0.0.1:1 2>err && grep -q "letters, digits" err &&
	expect_code 1 cjobs host add e3 2>err && grep -q "give the engine.s address with --url" err &&
	expect_code 1 cjobs host add e3 --url tcp://127.0.0.1:1 --tls-ca $TEST_DIR/no-such-ca.pem 2>err && grep -q "cannot read TLS file $TEST_DIR/no-such-ca.pem: check the path" err &&
	expect_code 1 cjobs host add e3 --url tcp://127.0.0.1:1 --tls-ca $TEST_DIR 2>err && grep -q "cannot read TLS file $TEST_DIR: check the path" err &&
	expect_code 1 cjobs host add e3 --url unix:///x.sock --tls-ca /etc/hostname 2>err && grep -q "TLS files are only used with tcp:// addresses" err &&
	expect_code 1 cjobs host add e3 --url tcp://127.0.0.1:1 --pull maybe 2>err && grep -q "option --pull: .maybe. is not yes or no" err &&
	expect_code 1 cjobs host update nosuch --max-jobs 3 2>err && grep -q "no host named .nosuch.; .cjobs host list. shows the hosts" err &&
	expect_code 1 cjobs host remove nosuch 2>err && grep -q "no host named .nosuch.; .cjobs host list. shows the hosts" err &&
	test "$before" = "$(store_digest)"
'

test_expect_success 'host remove asks first: --dry-run (even with --force) says and changes nothing, no terminal refuses, a terminal asks' '
	before=$(store_digest) &&
	cjobs host remove e2 --dry-run >out &&
	grep -q "would remove host .e2. (tcp://127.0.0.1:2375)" out &&
	cjobs host remove e2 --dry-run --force >out &&
	grep -q "would remove host .e2." out &&
	test "$(store_digest)" = "$before" &&
	expect_code 1 cjobs host remove e2 </dev/null 2>err &&
	grep -q "removing host .e2. (tcp://127.0.0.1:2375) needs confirmation, but standard input is not a terminal; add --force" err &&
	test "$(store_digest)" = "$before" &&
	printf "n\n" | expect_code 1 script -qec "\"$CJOBS_BIN\" host remove e2" /dev/null >out &&
	grep -q "Remove host .e2. (tcp://127.0.0.1:2375)? \[y/N\]" out &&
	grep -q "nothing was changed" out &&
	test "$(store_digest)" = "$before" &&
	printf "y\n" | script -qec "\"$CJOBS_BIN\" host remove e2" /dev/null >out &&
	grep -q "removed host .e2." out &&
	expect_code 1 cjobs host show e2 2>err && grep -q "no host named .e2." err
'

test_expect_success 'host remove --force removes a host without asking' '
	cjobs host add e4 --url unix:///tmp/z.sock >/dev/null &&
	cjobs host remove e4 --force </dev/null >out &&
	grep -q "^removed host .e4.$" out &&
	expect_code 1 cjobs host show e4 2>err && grep -q "no host named .e4." err
'

test_expect_success 'host remove is refused while a job is pinned to the host or runs there, not for a queued job that only ran there' '
	id=$(cjobs job submit --image busybox --host e1 -- true) &&
	before=$(store_digest) &&
	expect_code 1 cjobs host remove e1 --force 2>err &&
	grep -q "cannot remove host .e1.: 1 queued job(s) are pinned to it; cancel them (or let them run) before removing it" err &&
	test "$(store_digest)" = "$before" &&
	cjobs manage-jobs cancel --job-id $id >/dev/null &&
	run=$(cjobs job submit --image busybox -- true) &&
	store_edit_own "UPDATE jobs SET status = '\''running'\'', attempt = 1, ran_on = '\''e1'\'',
		started_at = 1, worker_id = '\''w'\'', lease_until = 1 WHERE id = $run" &&
	before=$(store_digest) &&
	expect_code 1 cjobs host remove e1 --force 2>err &&
	grep -q "cannot remove host .e1.: 1 job(s) are launching or running on it" err &&
	test "$(store_digest)" = "$before" &&
	store_edit_own "UPDATE jobs SET status = '\''queued'\'', worker_id = NULL, lease_until = 0 WHERE id = $run" &&
	cjobs host remove e1 --force >out &&
	grep -q "removed host .e1." out
'

test_expect_success 'host add warns when the engine certificate will not be verified' '
	echo x >ca.pem &&
	cjobs host add e5 --url tcp://127.0.0.1:2376 --tls-ca ca.pem --tls-verify no 2>warn >/dev/null &&
	grep -q "warning: host .e5.: the engine.s certificate will not be verified; anyone on the network path can pose as it" warn &&
	! grep -q "without TLS" warn &&
	cjobs host remove e5 --force >/dev/null
'

test_expect_success 'template remove: --dry-run (even with --force) and a no at the terminal change nothing; jobs keep their copy' '
	cjobs template add tpl --env A=1 --env B=2 >/dev/null &&
	id=$(cjobs job submit --image busybox --template tpl -- true) &&
	before=$(store_digest) &&
	cjobs template remove tpl --dry-run --force >out &&
	grep -q "would remove template .tpl. (2 variables); jobs already submitted keep their copy" out &&
	test "$(store_digest)" = "$before" &&
	expect_code 1 cjobs template remove tpl </dev/null 2>err &&
	grep -q "removing template .tpl. (2 variables) needs confirmation, but standard input is not a terminal; add --force" err &&
	printf "n\n" | expect_code 1 script -qec "\"$CJOBS_BIN\" template remove tpl" /dev/null >out &&
	grep -q "nothing was changed" out &&
	test "$(store_digest)" = "$before" &&
	printf "y\n" | script -qec "\"$CJOBS_BIN\" template remove tpl" /dev/null >out &&
	grep -q "removed template .tpl. (jobs already submitted keep their copy)" out &&
	expect_code 1 cjobs template show tpl 2>err && grep -q "no environment template named .tpl." err &&
	cjobs job show $id --format json | python3 -c "import json,sys; e=json.load(sys.stdin)[\"env\"]; assert \"A=1\" in str(e) and \"B=2\" in str(e), e" &&
	expect_code 1 cjobs template remove tpl --force 2>err && grep -q "no environment template named .tpl." err
'

test_expect_success 'process-jobs with no enabled host says so and exits 2; with --host naming a disabled one, it says that host is disabled' '
	export CJOBS_DATABASE=$TEST_DIR/disabled.db &&
	cjobs host add off1 --url unix:///tmp/cjobs-off1.sock >/dev/null &&
	cjobs host disable off1 >/dev/null &&
	expect_code 2 cjobs process-jobs 2>err &&
	grep -q "no enabled executor host: register one with .cjobs host add. or enable one with .cjobs host enable." err &&
	expect_code 2 cjobs process-jobs --host off1 2>err &&
	grep -q "host .off1. is disabled; no jobs will be run there (.cjobs host enable off1.)" err &&
	grep -q "no enabled executor host named off1: " err
'

test_done
