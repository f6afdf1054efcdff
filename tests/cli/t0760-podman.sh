#!/usr/bin/env bash
# cjobs on Podman's Docker-compatible API: a private Podman service
# (tests/lib/podman.sh) registered as a host, and process-jobs running
# jobs on it: output and exit codes, a time limit, a memory limit, a
# container name that is already taken, and a kill that finds its
# container already exited.
# Podman answers HTTP 500 where Docker answers 409 for the last two; the
# engine layer reads those as conflicts. Skipped, and counted so, only
# where Podman cannot start a container on this machine.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$TEST_ROOT/tests/lib/podman.sh"

IMG=cjobs-test/busybox:1
PM_DIR=$TEST_DIR/pm
# The service goes first (its containers removed, then stopped by its
# pid), then the rest of the script's things.
trap 'podman_stop "$PM_DIR"; test_cleanup' EXIT

skip_all() {
	test_skip "jobs run on a private Podman service" "$1"
	test_done
}
command -v podman >/dev/null && command -v crun >/dev/null ||
	skip_all "podman or crun is not installed (scripts/install-deps installs them)"
podman_start "$PM_DIR" >"$TEST_DIR/pm-start.log" 2>&1 ||
	skip_all "Podman does not start here: $(tail -1 "$TEST_DIR/pm-start.log")"
podman_image "$PODMAN_SOCK" || { echo "Bail out! cannot import the test image into Podman"; exit 1; }
why=$(podman_can_run "$PODMAN_SOCK" "$IMG") || skip_all "Podman cannot start a container here: $why"
ENGINE_URL=unix://$PODMAN_SOCK
add_test_host pm
test_expect_success 'the Podman service is a healthy host' '
	cjobs manage-jobs health-check --host pm --timeout 10 >out &&
	cat out &&
	grep -E "^pm +healthy" out
'

test_expect_success 'a job completes on Podman with its output, exit code 0 and a sampled peak memory' '
	id=$(cjobs job submit --image $IMG -- sh -c "echo hello; sleep 1") &&
	cjobs process-jobs --verbosity 2 2>worker.log &&
	test "$(job_field $id status)" = completed &&
	test "$(job_field $id exit_code)" = 0 &&
	test "$(cjobs job logs $id --stream stdout)" = hello &&
	test "$(job_field $id ran_on)" = pm &&
	test "$(job_field $id peak_memory_bytes)" -gt 0 &&
	test -n "$(job_field $id cpu_seconds)" &&
	test -z "$(engine_containers "$PODMAN_SOCK")"
'

test_expect_success 'a failing job on Podman ends failed with its exit code and both streams' '
	id=$(cjobs job submit --image $IMG -- sh -c "echo out; echo err >&2; exit 3") &&
	expect_code 3 cjobs process-jobs &&
	test "$(job_field $id status)" = failed &&
	test "$(job_field $id exit_code)" = 3 &&
	test "$(cjobs job logs $id --stream stdout)" = out &&
	test "$(cjobs job logs $id --stream stderr)" = err &&
	test -z "$(engine_containers "$PODMAN_SOCK")"
'

test_expect_success 'a job past its time limit on Podman is killed and ends timeout, without a kill warning' '
	id=$(cjobs job submit --image $IMG --timeout 2 -- sleep 600) &&
	expect_code 3 cjobs process-jobs --verbosity 2 2>worker.log &&
	test "$(job_field $id status)" = timeout &&
	job_field $id last_error | grep -q "killed after its time limit of 2s" &&
	! grep -q "cannot kill" worker.log &&
	test -z "$(engine_containers "$PODMAN_SOCK")"
'

# Podman reports no OOMKilled (false, on this cgroup v1 host): the job
# shows the kill as exit code 137, not as running out of memory.
test_expect_success 'a job over its memory limit on Podman is killed: failed with exit code 137' '
	id=$(cjobs job submit --image $IMG --memory 16m -- dd if=/dev/zero of=/dev/null bs=64M count=1) &&
	expect_code 3 cjobs process-jobs &&
	test "$(job_field $id status)" = failed &&
	test "$(job_field $id exit_code)" = 137 &&
	test -z "$(engine_containers "$PODMAN_SOCK")"
'

# The container is made without labels: with this store labels and its
# job still queued, the worker sweep of leftovers could remove it before
# the claim, and the name would never clash.
test_expect_success 'a container name already taken on Podman (HTTP 500, not 409) is removed and the job created again' '
	id=$(cjobs job submit --image $IMG -- echo fresh) &&
	uuid=$(job_field $id uuid) &&
	old=$(curl -s --fail --unix-socket "$PODMAN_SOCK" -H "Content-Type: application/json" \
		-d "{\"Image\":\"$IMG\",\"Cmd\":[\"echo\",\"stale\"],\"HostConfig\":{\"NetworkMode\":\"none\"}}" \
		"http://d/containers/create?name=cjobs-$uuid-1" |
		python3 -c "import json,sys; print(json.load(sys.stdin)[\"Id\"])") &&
	test -n "$old" &&
	cjobs process-jobs --verbosity 2 2>worker.log &&
	test "$(job_field $id status)" = completed &&
	test "$(job_field $id attempt)" = 1 &&
	test "$(cjobs job logs $id --stream stdout)" = fresh &&
	test "$(job_field $id container_id)" != "$old" &&
	! grep -q "cannot create" worker.log &&
	test "$(curl -s -o /dev/null -w "%{http_code}" --unix-socket "$PODMAN_SOCK" \
		"http://d/containers/$old/json")" = 404
'

# As in t0300 on Docker: the event gate holds back the die event, so the
# worker sends its kill to a container that has already exited.
test_expect_success 'a kill on Podman that finds the container exited (HTTP 500, not 409) records the job as it ended, without a warning' '
	gated_host "$PODMAN_SOCK" || exit 1
	{
		id=$(cjobs job submit --host gated --image $IMG --timeout 5 -- sh -c "sleep 3; exit 0") &&
		cjobs process-jobs --host gated -v >worker.log 2>&1 &&
		grep -q "job $id: its container was no longer running when its time limit passed" worker.log &&
		grep -q "can only kill running containers" worker.log &&
		! grep -q "cannot kill" worker.log &&
		test "$(job_field $id status)" = completed &&
		test "$(job_field $id exit_code)" = 0 &&
		test -z "$(job_field $id last_error)"
	}
	rc=$?
	cjobs host remove gated --force >/dev/null
	exit $rc
'

test_expect_success 'nothing is left on the Podman service' '
	test -z "$(engine_containers "$PODMAN_SOCK")"
'

test_done
