#!/usr/bin/env bash
# stores: both (tests/run runs it again on PostgreSQL)
# manage-jobs status and report: summaries whose numbers agree with the
# store, in table, JSON and CSV, with the running jobs, the queue, per-host
# and per-image statistics, and the documented errors.
. "$(dirname "$0")/../lib/test-lib.sh"

test_engine_start || { echo "Bail out! no engine"; exit 1; }
add_test_host local
cjobs host add spare --url "$ENGINE_URL" --max-jobs 2 >/dev/null

IMG=cjobs-test/busybox:1
DAY=86400000
now_ms() { echo $(( $(date +%s) * 1000 )); }
q() { store_sql "$@"; }

# Finished jobs: completed, failed (exit 2), failed (missing image), timeout.
for i in 1 2 3 4; do cjobs job submit --image $IMG -- sh -c "echo ok $i" >/dev/null; done
for i in 1 2; do cjobs job submit --image $IMG -- sh -c "exit 2" >/dev/null; done
cjobs job submit --image cjobs-test/nosuch:9 -- true >/dev/null
cjobs job submit --image $IMG --timeout 1 -- sleep 30 >/dev/null
cjobs process-jobs >/dev/null 2>&1
# Two completed jobs finished ten days ago: outside the default period.
OLD=$(q "select id from jobs where status = 'completed' order by id limit 2" | paste -sd,)
q "update jobs set created_at = created_at - 10 * $DAY, queued_at = queued_at - 10 * $DAY,
   started_at = started_at - 10 * $DAY, finished_at = finished_at - 10 * $DAY where id in ($OLD)"

# check_status_json FILE [HOST]: the JSON agrees with the store.
check_status_json() {
	python3 - "$1" "$CJOBS_DATABASE" "${2:-}" <<'EOF'
import json, sys, time
import storedb
j = json.load(open(sys.argv[1]))
db = storedb.connect(sys.argv[2])
host = sys.argv[3] or None
where, args = ("(host = ? OR ran_on = ?)", [host, host]) if host else ("true", [])
statuses = ["queued", "launching", "running", "completed", "failed", "timeout", "cancelled"]
want = {s: 0 for s in statuses}
for s, n in db.execute("select status, count(*) from jobs where %s group by status" % where, args):
    want[s] = n
assert j["counts"] == want, (j["counts"], want)
assert j["total"] == sum(want.values()), j["total"]
assert j["host"] == host
now = int(time.time() * 1000)
ready = db.execute("select count(*) from jobs where status='queued' and not_before <= ? and %s" % where, [now] + args).fetchone()[0]
sched = db.execute("select count(*) from jobs where status='queued' and not_before > ? and %s" % where, [now] + args).fetchone()[0]
q = j["queue"]
assert (q["queued"], q["ready"], q["scheduled"]) == (want["queued"], ready, sched), q
oldest = db.execute("select id from jobs where status='queued' and not_before <= ? and %s order by queued_at, id limit 1" % where, [now] + args).fetchone()
assert (q["oldest_waiting"] or {}).get("id") == (oldest[0] if oldest else None), q
# per host: sums agree, and each host's counts agree with the store
tot = {s: 0 for s in statuses}
for h in j["hosts"]:
    for s in statuses:
        tot[s] += h["counts"][s]
    assert h["total"] == sum(h["counts"].values())
    key = "CASE WHEN status = 'queued' THEN host ELSE coalesce(ran_on, host) END"
    if h["host"] is None:
        n = db.execute("select count(*) from jobs where %s IS NULL and %s" % (key, where), args).fetchone()[0]
    else:
        n = db.execute("select count(*) from jobs where %s = ? and %s" % (key, where), [h["host"]] + args).fetchone()[0]
    assert n == h["total"], (h, n)
assert tot == want, (tot, want)
run = [r[0] for r in db.execute("select id from jobs where status in ('launching','running') and %s order by id" % where, args)]
assert [r["id"] for r in j["running"]] == run, (j["running"], run)
print("ok")
EOF
}

test_expect_success 'status --format json agrees with the store' '
	cjobs manage-jobs status --format json >s.json &&
	check_status_json s.json &&
	python3 -c "import json; j=json.load(open(\"s.json\")); assert j[\"counts\"][\"completed\"] == 4 and j[\"counts\"][\"failed\"] == 3 and j[\"counts\"][\"timeout\"] == 1, j; assert \"capacity\" not in j"
'

# release_job ID: lets the job's container finish (its workload waits for
# /tmp/done), through an exec in the container on the engine.
release_job() {
	local name eid
	name=$(q "select container_name from jobs where id = $1") &&
	eid=$(curl -s --fail --unix-socket "$ENGINE_SOCK" -X POST -H "Content-Type: application/json" \
		-d '{"Cmd": ["sh", "-c", ": >/tmp/done"]}' "http://d/containers/$name/exec" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])') &&
	curl -s --fail --unix-socket "$ENGINE_SOCK" -X POST -H "Content-Type: application/json" \
		-d '{"Detach": true}' "http://d/exec/$eid/start" >/dev/null
}

# detailed_sampled FILE: status --detailed into FILE shows the running job
# with a CPU figure and a running time above zero.
detailed_sampled() {
	cjobs manage-jobs status --detailed --format json >"$1" &&
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["running"]
sys.exit(0 if r and (r[0].get("cpu_seconds") or 0) > 0 and r[0]["running_seconds"] > 0 else 1)' "$1"
}

test_expect_success 'a running job is shown with its host and time; --detailed adds resource use and capacity' '
	id=$(cjobs job submit --image $IMG --host local -- sh -c "i=0; while [ \$i -lt 20000 ]; do i=\$((i+1)); done; while [ ! -e /tmp/done ]; do sleep 0.1; done") || exit 1
	"$CJOBS_BIN" process-jobs >/dev/null 2>&1 &
	worker=$!
	stop_on_exit $worker
	wait_for 120 "test \"\$(q \"select status from jobs where id = $id\")\" = running" &&
	wait_for 120 "detailed_sampled d.json" &&
	cjobs manage-jobs status --format json >s.json &&
	check_status_json s.json &&
	check_status_json d.json &&
	cjobs manage-jobs status --detailed >d.txt &&
	cjobs manage-jobs status >t.txt &&
	python3 - <<EOF &&
import json
s = json.load(open("s.json")); d = json.load(open("d.json"))
r = s["running"][0]
assert r["id"] == $id and r["host"] == "local" and r["status"] == "running", r
assert r["running_seconds"] > 0 and "peak_memory_bytes" not in r, r
r = d["running"][0]
assert r["peak_memory_bytes"] and r["peak_memory_bytes"] > 0, r
assert r["cpu_seconds"] is not None and r["cpu_seconds"] > 0, r
cap = {c["host"]: c for c in d["capacity"]}
assert cap["local"]["active"] == 1 and cap["local"]["max_jobs"] == 10 and cap["local"]["free"] == 9, cap
assert cap["spare"]["active"] == 0 and cap["spare"]["max_jobs"] == 2 and cap["spare"]["enabled"] is True, cap
EOF
	test_grep "^Running now: 1" t.txt &&
	test_grep "^$id  *running  *local " t.txt &&
	test_grep "^Host capacity:" d.txt && test_grep "PEAK_MEM" d.txt &&
	! grep -q "^Host capacity:" t.txt &&
	release_job $id &&
	wait $worker && trap - EXIT &&
	test "$(q "select status from jobs where id = $id")" = completed
'

for i in 1 2; do cjobs job submit --image $IMG -- true >/dev/null; done
for i in 1 2; do cjobs job submit --image $IMG --at +1h -- true >/dev/null; done
cjobs job submit --image $IMG --host spare -- true >/dev/null

test_expect_success 'status shows the queue: ready now, scheduled later, the oldest waiting job' '
	cjobs manage-jobs status --format json >s.json &&
	check_status_json s.json &&
	python3 -c "
import json; q = json.load(open(\"s.json\"))[\"queue\"]
assert (q[\"queued\"], q[\"ready\"], q[\"scheduled\"]) == (5, 3, 2), q
assert q[\"next_scheduled_at\"] and q[\"oldest_waiting\"][\"waiting_seconds\"] >= 0, q" &&
	cjobs manage-jobs status >t.txt &&
	test_grep "^Queue: 5 queued: 3 ready now, 2 scheduled later, 0 waiting for other jobs (the next at " t.txt &&
	test_grep "^Oldest ready job: [0-9]*, waiting " t.txt &&
	test_grep "^  completed  *5$" t.txt &&
	test_grep "^(unassigned) " t.txt
'

test_expect_success 'status --host agrees with the store and with job list --host' '
	cjobs manage-jobs status --host spare --format json >s.json &&
	check_status_json s.json spare &&
	test "$(python3 -c "import json; print(json.load(open(\"s.json\"))[\"total\"])")" = \
		"$(cjobs job list --host spare --limit 0 --format json | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")" &&
	cjobs manage-jobs status --host local --detailed --format json >s.json &&
	check_status_json s.json local &&
	python3 -c "import json; c = json.load(open(\"s.json\"))[\"capacity\"]; assert [x[\"host\"] for x in c] == [\"local\"], c"
'

# check_report_json FILE SINCE UNTIL [HOST]: every count and statistic
# agrees with the store, computed here independently.
check_report_json() {
	python3 - "$1" "$CJOBS_DATABASE" "$2" "$3" "${4:-}" <<'EOF'
import json, math, sys
import storedb
j = json.load(open(sys.argv[1]))
db = storedb.connect(sys.argv[2])
since, until, host = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] or None
rows = db.execute("""select status, image, CASE WHEN status = 'queued' THEN host ELSE coalesce(ran_on, host) END,
  queued_at, started_at, finished_at, peak_memory_bytes, cpu_usage_ns, host, ran_on from jobs
  where coalesce(nullif(finished_at, 0), created_at) >= ? and coalesce(nullif(finished_at, 0), created_at) < ?""",
  (since, until)).fetchall()
if host:
    rows = [r for r in rows if r[8] == host or r[9] == host]
statuses = ["queued", "launching", "running", "completed", "failed", "timeout", "cancelled"]
final = statuses[3:]
def dist(v):
    v = sorted(v); n = len(v)
    if not n: return None
    med = (v[(n + 1) // 2 - 1] + v[(n + 2) // 2 - 1]) / 2
    p95 = v[math.ceil(0.95 * n) - 1]
    return (n, sum(v) / n, med, p95, v[-1])
def close(a, b): return abs(a - b) < 1e-6 * max(1, abs(b))
def check(row, rs, what):
    counts = {s: sum(1 for r in rs if r[0] == s) for s in statuses}
    assert row["counts"] == counts, (what, row["counts"], counts)
    assert row["jobs"] == len(rs), what
    fin = counts["completed"] + counts["failed"] + counts["timeout"]
    if fin: assert close(row["success_rate"], counts["completed"] / fin), (what, row)
    else: assert row["success_rate"] is None, what
    for key, vals, div in (("queue_wait_seconds", [r[4] - r[3] for r in rs if r[4] > 0 and r[3] > 0], 1e3),
                           ("run_seconds", [r[5] - r[4] for r in rs if r[0] in final and r[4] > 0 and r[5] >= r[4]], 1e3)):
        d = dist(vals); got = row[key]
        assert got["count"] == (d[0] if d else 0), (what, key, got, d)
        if d:
            for k, x in zip(("avg", "median", "p95", "max"), d[1:]):
                assert close(got[k], x / div), (what, key, k, got[k], x / div)
        else:
            assert got["avg"] is None and got["median"] is None, (what, key)
    mem = [r[6] for r in rs if r[6] >= 0]; cpu = [r[7] for r in rs if r[7] >= 0]
    assert row["peak_memory_bytes"]["count"] == len(mem), what
    if mem: assert row["peak_memory_bytes"]["max"] == max(mem) and abs(row["peak_memory_bytes"]["avg"] - sum(mem) / len(mem)) <= 1, what
    assert row["cpu_seconds"]["count"] == len(cpu), what
    if cpu: assert close(row["cpu_seconds"]["max"], max(cpu) / 1e9) and close(row["cpu_seconds"]["avg"], sum(cpu) / len(cpu) / 1e9), what
check(j["overall"], rows, "overall")
hosts = sorted({r[2] for r in rows}, key=lambda h: (h is None, h or ""))
assert [h["host"] for h in j["by_host"]] == hosts, (j["by_host"], hosts)
for h in j["by_host"]:
    check(h, [r for r in rows if r[2] == h["host"]], h["host"])
images = sorted({r[1] for r in rows})
assert [i["image"] for i in j["by_image"]] == images
for i in j["by_image"]:
    check(i, [r for r in rows if r[1] == i["image"]], i["image"])
assert j["host"] == host
print("ok", len(rows))
EOF
}

test_expect_success 'report --format json: counts and statistics agree with the store (default: the last 7 days)' '
	cjobs manage-jobs report --format json >r.json &&
	since=$(python3 -c "import json,datetime; j=json.load(open(\"r.json\")); print(int(datetime.datetime.fromisoformat(j[\"since\"].replace(\"Z\",\"+00:00\")).timestamp()*1000))") &&
	until=$(python3 -c "import json,datetime; j=json.load(open(\"r.json\")); print(int(datetime.datetime.fromisoformat(j[\"until\"].replace(\"Z\",\"+00:00\")).timestamp()*1000))") &&
	test $((until - since)) = $((7 * DAY)) &&
	check_report_json r.json $since $until &&
	python3 -c "
import json; j = json.load(open(\"r.json\"))
o = j[\"overall\"]
assert o[\"counts\"][\"completed\"] == 3, o  # 5 completed, 2 of them 10 days old
assert o[\"counts\"][\"queued\"] == 5 and o[\"run_seconds\"][\"count\"] >= 6, o
assert [i[\"image\"] for i in j[\"by_image\"]] == [\"cjobs-test/busybox:1\", \"cjobs-test/nosuch:9\"]"
'

test_expect_success 'report --since/--until select by finish time (creation time when unfinished)' '
	since=$(( $(now_ms) - 30 * DAY )) && until=$(( $(now_ms) - 5 * DAY )) &&
	cjobs manage-jobs report --since @$((since / 1000)) --until @$((until / 1000)) --format json >r.json &&
	check_report_json r.json $((since / 1000 * 1000)) $((until / 1000 * 1000)) &&
	python3 -c "import json; o = json.load(open(\"r.json\"))[\"overall\"]; assert o[\"jobs\"] == 2 and o[\"counts\"][\"completed\"] == 2 and o[\"success_rate\"] == 1.0, o" &&
	cjobs manage-jobs report --since @$((since / 1000)) --format json >r.json &&
	python3 -c "import json; o = json.load(open(\"r.json\"))[\"overall\"]; assert o[\"jobs\"] == $(q "select count(*) from jobs"), o"
'

test_expect_success 'report --host agrees with the store' '
	cjobs manage-jobs report --host local --since @0 --format json >r.json &&
	check_report_json r.json 0 $(python3 -c "import json,datetime; j=json.load(open(\"r.json\")); print(int(datetime.datetime.fromisoformat(j[\"until\"].replace(\"Z\",\"+00:00\")).timestamp()*1000))") local
'

test_expect_success 'report --format csv has a header row, then all, host and image rows' '
	cjobs manage-jobs report --format csv >r.csv &&
	head -1 r.csv >head &&
	echo "group,key,jobs,queued,launching,running,completed,failed,timeout,cancelled,success_rate,wait_avg_s,wait_median_s,wait_p95_s,wait_max_s,run_avg_s,run_median_s,run_p95_s,run_max_s,peak_memory_max_bytes,peak_memory_avg_bytes,cpu_max_s,cpu_avg_s" >want &&
	test_cmp want head &&
	cjobs manage-jobs report --format json >r.json &&
	python3 - <<EOF
import csv, json
rows = list(csv.DictReader(open("r.csv")))
j = json.load(open("r.json"))
assert rows[0]["group"] == "all" and int(rows[0]["jobs"]) == j["overall"]["jobs"], rows[0]
hosts = [r for r in rows if r["group"] == "host"]; images = [r for r in rows if r["group"] == "image"]
assert len(rows) == 1 + len(hosts) + len(images)
assert [r["key"] for r in hosts] == [h["host"] or "" for h in j["by_host"]]
assert [r["key"] for r in images] == [i["image"] for i in j["by_image"]]
for r, h in zip(hosts, j["by_host"]):
    assert int(r["completed"]) == h["counts"]["completed"] and int(r["failed"]) == h["counts"]["failed"]
assert abs(float(rows[0]["success_rate"]) - j["overall"]["success_rate"]) < 0.001
EOF
'

test_expect_success 'report table has the all, host and image sections' '
	cjobs manage-jobs report >r.txt &&
	test_grep "^All jobs:" r.txt && test_grep "^By host:" r.txt && test_grep "^By image:" r.txt &&
	test_grep "^local " r.txt && test_grep "^cjobs-test/nosuch:9 " r.txt &&
	test_grep "WAIT avg/med/p95" r.txt
'

test_expect_success 'the documented errors: reversed or empty period, unreadable time, unknown host, unknown format' '
	expect_code 1 cjobs manage-jobs report --since 2026-01-02 --until 2026-01-01 2>err &&
	test_grep "error: --since (2026-01-02T00:00:00Z) must be before --until (2026-01-01T00:00:00Z)" err &&
	expect_code 1 cjobs manage-jobs report --since @1000 --until @1000 2>err &&
	test_grep "error: --since (1970-01-01T00:16:40Z) must be before --until (1970-01-01T00:16:40Z)" err &&
	expect_code 1 cjobs manage-jobs report --until 2026-01-01 2>err &&
	test_grep "error: --since (by default 7 days ago: [0-9TZ:-]*) must be before --until (2026-01-01T00:00:00Z); give --since too" err &&
	cjobs manage-jobs report --since -30d --until -10d --format json >r.json &&
	python3 -c "import json,datetime as d; j=json.load(open(\"r.json\")); t=lambda k: d.datetime.fromisoformat(j[k].replace(\"Z\",\"+00:00\")); assert (t(\"until\")-t(\"since\")).total_seconds() == 20*86400, j; assert abs((d.datetime.now(d.timezone.utc)-t(\"until\")).total_seconds() - 10*86400) < 3600, j" &&
	cjobs manage-jobs report --since @1000 --until @1001 --format json >r.json &&
	python3 -c "import json; o = json.load(open(\"r.json\"))[\"overall\"]; assert o[\"jobs\"] == 0, o" &&
	expect_code 1 cjobs manage-jobs report --since yesterday 2>err &&
	test_grep "error: option --since: .yesterday. is not a time: write now, -7d, +10m, 2026-11-24T22:00:00Z or @UNIXSECONDS (times are UTC)" err &&
	expect_code 1 cjobs manage-jobs report --host nope 2>err &&
	test_grep "error: no host named .nope.; .cjobs host list. shows the hosts" err &&
	expect_code 1 cjobs manage-jobs status --host nope 2>err &&
	test_grep "error: no host named .nope.; .cjobs host list. shows the hosts" err &&
	expect_code 1 cjobs manage-jobs status --format xml 2>err &&
	test_grep "error: option --format: .xml. is not one of: table, json" err
'

# A host that cannot be reached, with a job the store says runs there.
add_dead_running_job() {
	q "INSERT INTO hosts (name, url, tls_verify, max_jobs, weight, pull_images, enabled, created_at)
	   VALUES ('dead', 'unix://$TEST_DIR/no-such.sock', 1, 1, 100, 0, 0, $(now_ms));
	   INSERT INTO jobs (uuid, image, argv, env, status, attempt, created_at, queued_at, started_at,
	     container_name, container_id, ran_on, worker_id, lease_until)
	   VALUES ('u-dead', '$IMG', $SQL_EMPTY_BLOB, $SQL_EMPTY_BLOB, 'running', 1, $(now_ms), $(now_ms), $(now_ms),
	     'cjobs-u-dead-1', '0123456789ab', 'dead', 'w', $(now_ms) + 3600000)"
}
drop_dead_running_job() { q "DELETE FROM jobs WHERE uuid = 'u-dead'; DELETE FROM hosts WHERE name = 'dead'"; }

test_expect_success 'status --detailed with a running job on a host that cannot be reached: a warning naming it, exit 2' '
	add_dead_running_job &&
	expect_code 2 cjobs manage-jobs status --detailed >out 2>err &&
	test_grep "warning: host .dead. (unix://$TEST_DIR/no-such.sock) cannot be reached: .*; the resource use of its jobs is not shown" err &&
	test_grep "^Running now: 1" out &&
	cjobs manage-jobs status >/dev/null &&
	drop_dead_running_job
'

test_expect_success 'the help of status and report has examples, How It Works, Important Notes, JSON, errors and exit codes' '
	for c in status report; do
		cjobs manage-jobs $c --help >out &&
		for s in "Usage Examples:" "How It Works:" "Important Notes:" "Common Errors:" "Exit Codes:" "Options:"; do
			grep -q "^$s" out || { echo "$c: missing $s"; exit 1; }; done &&
		grep -q "^JSON" out || { echo "$c: no JSON section"; exit 1; }
	done &&
	cjobs manage-jobs status --help >out && for o in --detailed --host --format; do grep -q "^  $o" out || exit 1; done &&
	cjobs manage-jobs report --help >out && for o in --since --until --host --format; do grep -q "^  $o" out || exit 1; done
'

# run_examples CMD...: every example of the help of CMD must exit as declared.
run_examples() {
	"$CJOBS_BIN" "$@" --help | python3 -c '
import re, subprocess, sys, os
lines = sys.stdin.read().split("\n")
i = lines.index("Usage Examples:") + 1
says, bad, n = "", 0, 0
while i < len(lines) and (lines[i].startswith("    ") or lines[i] == ""):
    l = lines[i].strip(); i += 1
    if l.startswith("cjobs "):
        m = re.search(r"\(exits (\d+)\)\s*$", says)
        want = int(m.group(1)) if m else 0
        rc = subprocess.run(os.environ["CJOBS_BIN"] + l[len("cjobs"):], shell=True, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        n += 1
        if rc != want:
            print("example exits %d, declared %d: %s" % (rc, want, l)); bad += 1
        says = ""
    elif l:
        says += " " + l
print("%d examples run" % n)
sys.exit(1 if bad or n < 3 else 0)'
}

test_expect_success 'every usage example of status and report works against this store' '
	export CJOBS_BIN && run_examples manage-jobs status && run_examples manage-jobs report
'

test_done
