#!/usr/bin/env bash
# stores: both (tests/run runs it again on PostgreSQL)
# A job's container options (--volume, --mount, --tmpfs, --user,
# --entrypoint, --hostname, --label, --network, --pull, --read-only,
# --shm-size, --init, --cap-add, --cap-drop, --security-opt, --gpus) reach
# the real container: each is read back from the engine's own
# /containers/NAME/json while the job runs, and its effect is seen where
# that is cheap. What a host allows (--allow-bind, --allow-cap-add,
# --allow-gpus) is refused at submit when the job names its host, and
# again by the worker before create when it does not.
. "$(dirname "$0")/../lib/test-lib.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
# The host network mode is "host", so that a job's --network none is seen
# to win over it.
add_test_host e1 --network host

IMG=cjobs-test/busybox:1
D=$TEST_DIR/data
mkdir -p "$D/sub" "$TEST_DIR/datab" && echo from-the-host >"$D/file" &&
	chmod 755 "$D" && chmod 644 "$D/file"

# The job of the first test runs with a read-only root as a user that
# may not write /tmp (a --tmpfs over a directory of the image takes that
# directory's mode): it waits on /gate/go instead, which the test's exec
# makes as root.
GATE="while [ ! -e /gate/go ]; do sleep 0.2; done; echo done"
gate_release() { container_touch "$1" /gate/go; }

# inspect NAME: the engine's own view of container NAME, as JSON.
inspect() {
	curl -s --fail --unix-socket "$ENGINE_SOCK" "http://d/containers/$1/json"
}

# container_of ID: the name the job's container has (cjobs-<uuid>-<attempt>).
container_of() {
	cjobs job show "$1" --format json |
		python3 -c 'import json,sys; j=json.load(sys.stdin); print("cjobs-%s-%d" % (j["uuid"], j["attempt"]))'
}

test_expect_success 'every container option is in the created container, and has its effect' '
	cjobs host update e1 --allow-bind "$D" --allow-cap-add NET_ADMIN >/dev/null &&
	id=$(cjobs job submit --image $IMG --host e1 \
		--volume "$D:/data:ro" --volume cjt-vol:/vol \
		--mount "type=bind,src=$D/sub,dst=/data2,ro" \
		--mount type=tmpfs,target=/scratch,tmpfs-size=1m,tmpfs-mode=1777 \
		--tmpfs /gate:size=2m,mode=1777 \
		--user 1234:5678 --entrypoint /bin/sh --hostname jobbox \
		--label team=data --label team=science --label app.tier=batch \
		--network none --pull missing --read-only --shm-size 8m --init \
		--cap-add net_admin --cap-drop CAP_CHOWN --security-opt no-new-privileges \
		-- -c "id -u; id -g; cat /proc/sys/kernel/hostname; cat /data/file; if (: >/rootfile) 2>/dev/null; then echo root-writable; else echo root-read-only; fi; : >/scratch/x && echo scratch-writable; $GATE") &&
	{ "$CJOBS_BIN" process-jobs >w.log 2>&1 & pid=$!; } &&
	stop_on_exit $pid &&
	wait_for 60 "test \"\$(job_field $id status)\" = running" || { cat w.log; cjobs job logs $id; false; } &&
	name=$(container_of $id) &&
	inspect "$name" >c.json &&
	uuid=$(job_field $id uuid) &&
	python3 - "$D" "$uuid" <<-EOF &&
	import json, sys
	d, uuid = sys.argv[1], sys.argv[2]
	c = json.load(open("c.json"))
	h, cfg = c["HostConfig"], c["Config"]
	assert h["Binds"] == [d + ":/data:ro", "cjt-vol:/vol"], h["Binds"]
	m = {x["Target"]: x for x in h["Mounts"]}
	assert m["/data2"]["Type"] == "bind" and m["/data2"]["Source"] == d + "/sub" and m["/data2"]["ReadOnly"], m
	assert m["/scratch"]["Type"] == "tmpfs" and m["/scratch"]["TmpfsOptions"] == {"SizeBytes": 1048576, "Mode": 0o1777}, m
	assert h["Tmpfs"] == {"/gate": "size=2097152,mode=1777"}, h["Tmpfs"]
	assert cfg["User"] == "1234:5678", cfg["User"]
	assert cfg["Entrypoint"] == ["/bin/sh"], cfg["Entrypoint"]
	assert cfg["Hostname"] == "jobbox", cfg["Hostname"]
	assert cfg["Labels"]["team"] == "science" and cfg["Labels"]["app.tier"] == "batch", cfg["Labels"]
	assert cfg["Labels"]["cjobs.job"] == uuid, cfg["Labels"]
	assert h["NetworkMode"] == "none", h["NetworkMode"]
	assert h["ReadonlyRootfs"] is True
	assert h["ShmSize"] == 8 * 1024 * 1024, h["ShmSize"]
	assert h["Init"] is True
	assert h["CapAdd"] == ["NET_ADMIN"] and h["CapDrop"] == ["CHOWN"], (h["CapAdd"], h["CapDrop"])
	assert h["SecurityOpt"] == ["no-new-privileges"], h["SecurityOpt"]
	assert not h.get("DeviceRequests"), h.get("DeviceRequests")
	EOF
	gate_release "$name" &&
	wait_exit 60 $pid &&
	test "$(job_field $id status)" = completed &&
	cjobs job logs $id --stream stdout >out &&
	printf "1234\n5678\njobbox\nfrom-the-host\nroot-read-only\nscratch-writable\ndone\n" >want &&
	test_cmp want out
'

test_expect_success 'job show prints the options and its JSON holds them (the API job object)' '
	id=$(cjobs job submit --image $IMG --volume v1:/v --tmpfs /t --user 7 --label a=1 \
		--pull never --read-only --shm-size 64m --init --cap-drop all \
		--security-opt no-new-privileges:true --gpus device=0,1 -- true) &&
	cjobs job show $id >show &&
	test_grep "^volume: *v1:/v$" show && test_grep "^tmpfs: *\/t$" show &&
	test_grep "^user: *7$" show && test_grep "^pull: *never$" show &&
	test_grep "^read-only: *yes$" show && test_grep "^shm size: *64.0 MiB$" show &&
	test_grep "^cap drop: *ALL$" show && test_grep "^security opt: *no-new-privileges$" show &&
	test_grep "^gpus: *device=0,1$" show &&
	cjobs job show $id --format json >j &&
	python3 -c "
import json
j = json.load(open(\"j\"))
assert j[\"volumes\"] == [\"v1:/v\"] and j[\"tmpfs\"] == [\"/t\"] and j[\"user\"] == \"7\", j
assert j[\"pull\"] == \"never\" and j[\"read_only\"] is True and j[\"init\"] is True, j
assert j[\"shm_size_bytes\"] == 64 << 20 and j[\"cap_drop\"] == [\"ALL\"] and j[\"cap_add\"] == [], j
assert j[\"security_opt\"] == [\"no-new-privileges\"] and j[\"gpus\"] == \"device=0,1\", j
assert j[\"mounts\"] == [] and j[\"entrypoint\"] is None and j[\"network\"] is None, j
" &&
	plain=$(cjobs job submit --image $IMG -- true) &&
	cjobs job show $plain --format json | python3 -c "
import json, sys
j = json.load(sys.stdin)
assert j[\"volumes\"] == [] and j[\"read_only\"] is False and j[\"pull\"] is None and j[\"security_opt\"] == [], j
" &&
	cjobs manage-jobs cancel --job-id $id >/dev/null && cjobs manage-jobs cancel --job-id $plain >/dev/null
'

test_expect_success 'a --file line takes the options by their long names; flags are true or false' '
	printf "%s\n" "{\"image\": \"$IMG\", \"read-only\": true, \"cap-drop\": [\"CHOWN\", \"KILL\"], \"user\": 99, \"command\": [\"true\"]}" \
		"{\"image\": \"$IMG\", \"read-only\": false, \"label\": [\"b=2\"], \"command\": [\"true\"]}" >jobs.jsonl &&
	cjobs job submit --file jobs.jsonl --init --label a=1 >ids &&
	set -- $(cat ids) &&
	cjobs job show $1 --format json | python3 -c "
import json, sys
j = json.load(sys.stdin)
assert j[\"read_only\"] is True and j[\"init\"] is True and j[\"cap_drop\"] == [\"CHOWN\", \"KILL\"] and j[\"user\"] == \"99\" and j[\"labels\"] == [\"a=1\"], j
" &&
	cjobs job show $2 --format json | python3 -c "
import json, sys
j = json.load(sys.stdin)
assert j[\"read_only\"] is False and j[\"labels\"] == [\"a=1\", \"b=2\"], j
" &&
	echo "{\"image\": \"$IMG\", \"read-only\": \"yes\"}" >bad.jsonl &&
	before=$(store_digest) &&
	expect_code 1 cjobs job submit --file bad.jsonl 2>err &&
	test_grep "\"read-only\" must be true or false" err &&
	test "$(store_digest)" = "$before" &&
	for i in $(cat ids); do cjobs manage-jobs cancel --job-id $i >/dev/null || return 1; done
'

# forge_labels ID: gives job ID a cjobs.job label behind submit's back.
forge_labels() {
	store_sql "UPDATE jobs SET container_options = '{\"labels\":[\"cjobs.job=forged\",\"app=x\"]}' WHERE id = $1"
}

test_expect_success 'cjobs labels win over a job label of the same key (one put in the store by hand)' '
	id=$(cjobs job submit --image $IMG --label app=x -- sh -c "$GATED") &&
	forge_labels $id &&
	{ "$CJOBS_BIN" process-jobs >w2.log 2>&1 & pid=$!; } &&
	stop_on_exit $pid &&
	wait_for 60 "test \"\$(job_field $id status)\" = running" &&
	inspect "$(container_of $id)" >c2.json &&
	python3 -c "
import json
l = json.load(open(\"c2.json\"))[\"Config\"][\"Labels\"]
assert l[\"cjobs.job\"] == \"$(job_field $id uuid)\" and l[\"app\"] == \"x\", l
" &&
	job_release $id && wait_exit 60 $pid &&
	test "$(job_field $id status)" = completed
'

# A second name of the test image on a registry that does not answer
# (127.0.0.1:1): a pull of it fails at once, without leaving the machine.
curl -s --fail --unix-socket "$ENGINE_SOCK" -X POST \
	"http://d/images/cjobs-test/busybox:1/tag?repo=127.0.0.1:1/cjobs-test/here&tag=1" >/dev/null

test_expect_success '--pull always pulls an image the engine has; --pull never does not pull a missing one' '
	id=$(cjobs job submit --image 127.0.0.1:1/cjobs-test/here:1 -- true) &&
	cjobs process-jobs &&
	test "$(job_field $id status)" = completed &&
	id=$(cjobs job submit --image 127.0.0.1:1/cjobs-test/here:1 --pull always -- true) &&
	expect_code 3 cjobs process-jobs &&
	test "$(job_field $id status)" = failed &&
	job_field $id last_error | test_grep "cannot pull image 127.0.0.1:1/cjobs-test/here:1" - &&
	cjobs host update e1 --pull yes >/dev/null &&
	id=$(cjobs job submit --image 127.0.0.1:1/cjobs-test/absent:1 --pull never -- true) &&
	expect_code 3 cjobs process-jobs 2>w.err &&
	job_field $id last_error | test_grep "not found on host e1 and the job says --pull never" - &&
	! grep -q "pulling 127.0.0.1:1/cjobs-test/absent" w.err
'

test_expect_success '--pull missing pulls a missing image though the host does not' '
	cjobs host update e1 --pull no >/dev/null &&
	id=$(cjobs job submit --image 127.0.0.1:1/cjobs-test/absent:1 --pull missing -- true) &&
	expect_code 3 cjobs process-jobs &&
	job_field $id last_error | test_grep "cannot pull image 127.0.0.1:1/cjobs-test/absent:1" - &&
	id=$(cjobs job submit --image 127.0.0.1:1/cjobs-test/absent:1 -- true) &&
	expect_code 3 cjobs process-jobs &&
	job_field $id last_error | test_grep "pulling is off for that host" -
'

test_expect_success 'a host refuses bind mounts, added capabilities and GPUs at submit when the job names it' '
	cjobs host update e1 --allow-bind none --allow-cap-add none --allow-gpus no >/dev/null &&
	before=$(store_digest) &&
	expect_code 1 cjobs job submit --image $IMG --host e1 --volume "$D:/d" -- true 2>err &&
	test_grep "host .e1. does not allow bind mounts from $D: allow it with .cjobs host update e1 --allow-bind $D." err &&
	expect_code 1 cjobs job submit --image $IMG --host e1 --mount "type=bind,source=$D,target=/d" -- true 2>err &&
	test_grep "does not allow bind mounts from $D" err &&
	expect_code 1 cjobs job submit --image $IMG --host e1 --cap-add SYS_PTRACE -- true 2>err &&
	test_grep "host .e1. does not allow adding the capability SYS_PTRACE: allow it with .cjobs host update e1 --allow-cap-add SYS_PTRACE." err &&
	expect_code 1 cjobs job submit --image $IMG --host e1 --gpus all -- true 2>err &&
	test_grep "host .e1. does not allow GPUs (--gpus): allow them with .cjobs host update e1 --allow-gpus yes." err &&
	test "$(store_digest)" = "$before"
'

test_expect_success 'allowed bind sources are compared by whole components after resolving ..' '
	cjobs host update e1 --allow-bind "$D/sub/.." >/dev/null &&
	cjobs host show e1 | test_grep "^allow bind: *$D$" - &&
	expect_code 1 cjobs job submit --image $IMG --host e1 --volume "$D/../datab:/d" -- true 2>err &&
	test_grep "does not allow bind mounts from $TEST_DIR/datab:" err &&
	expect_code 1 cjobs job submit --image $IMG --host e1 --volume "${D}b:/d" -- true 2>err &&
	test_grep "does not allow bind mounts from ${D}b:" err &&
	id=$(cjobs job submit --image $IMG --host e1 --volume "$D/sub/../file:/f:ro" -- cat /f) &&
	cjobs process-jobs &&
	test "$(cjobs job logs $id --stream stdout)" = from-the-host
'

test_expect_success 'the worker refuses before create what the host does not allow, as a permanent failure' '
	cjobs host update e1 --allow-bind none >/dev/null &&
	b=$(cjobs job submit --image $IMG --max-retries 3 --volume "$D:/d" -- true) &&
	c=$(cjobs job submit --image $IMG --cap-add NET_ADMIN -- true) &&
	g=$(cjobs job submit --image $IMG --gpus 1 -- true) &&
	expect_code 3 cjobs process-jobs &&
	for j in $b $c $g; do test "$(job_field $j status)" = failed || return 1; done &&
	test "$(job_field $b attempt)" = 1 &&
	job_field $b last_error | test_grep "cannot create the container on host e1: host .e1. does not allow bind mounts from $D: allow it with .cjobs host update e1 --allow-bind $D." - &&
	job_field $c last_error | test_grep "does not allow adding the capability NET_ADMIN: allow it with .cjobs host update e1 --allow-cap-add NET_ADMIN." - &&
	job_field $g last_error | test_grep "does not allow GPUs (--gpus): allow them with .cjobs host update e1 --allow-gpus yes." - &&
	test -z "$(engine_containers "$ENGINE_SOCK")" &&
	cjobs host show e1 --format json | python3 -c "
import json, sys
h = json.load(sys.stdin)
assert h[\"allow_bind\"] == [] and h[\"allow_cap_add\"] == [] and h[\"allow_gpus\"] is False, h
"
'

test_expect_success 'what the host allows, the worker runs; GPUs reach the engine as a device request' '
	cjobs host update e1 --allow-bind "$D" --allow-cap-add all --allow-gpus yes >/dev/null &&
	cjobs host list --format json | python3 -c "
import json, sys
h = json.load(sys.stdin)[0]
assert h[\"allow_bind\"] == [\"$D\"] and h[\"allow_cap_add\"] == [\"ALL\"] and h[\"allow_gpus\"] is True, h
" &&
	b=$(cjobs job submit --image $IMG --volume "$D:/d:ro" -- cat /d/file) &&
	c=$(cjobs job submit --image $IMG --cap-add SYS_PTRACE -- true) &&
	cjobs process-jobs &&
	test "$(cjobs job logs $b --stream stdout)" = from-the-host &&
	test "$(job_field $c status)" = completed &&
	# This engine has no GPU: it refuses the create, and its error names the
	# device request cjobs sent (driver "" with the capability gpu), which
	# is the request docker run --gpus makes.
	g=$(cjobs job submit --image $IMG --gpus device=0 -- true) &&
	expect_code 3 cjobs process-jobs &&
	job_field $g last_error | test_grep "cannot start the container on host e1: .*could not select device driver .* with capabilities: \[\[gpu\]\]" -
'

test_expect_success 'a running worker honours an allowance made after it started (it reads the host again before it refuses)' '
	cjobs host update e1 --allow-bind none >/dev/null || exit 1
	"$CJOBS_BIN" process-jobs --daemon -v >worker.log 2>&1 &
	wpid=$!
	stop_on_exit $wpid
	wait_for 30 "grep -q \"engine .* at \" worker.log" &&
	cjobs host update e1 --allow-bind "$D" >/dev/null &&
	b=$(cjobs job submit --image $IMG --volume "$D:/d:ro" -- cat /d/file) &&
	wait_for 60 "test \"\$(job_field $b status)\" = completed" &&
	test "$(cjobs job logs $b --stream stdout)" = from-the-host &&
	kill -TERM $wpid && wait $wpid
'

test_done
