# tests/lib/podman.sh: start and stop a private Podman service (its
# Docker-compatible API) for tests, by the recipe in the project's shared
# ENGINE-NOTES. Everything it keeps lives in the directory it is given:
# storage (--root, --runroot), its temporary and event files, its network
# configuration; the machine's own Podman state is never read or written.
# It stops only the pid it started, never by name.

# podman_start DIR: start `podman system service` rooted in DIR; sets
# PODMAN_SOCK and PODMAN_PID. Returns non-zero if it does not answer /_ping
# within 60 s.
podman_start() {
	local d=$1
	mkdir -p "$d/root" "$d/runroot" "$d/tmp" "$d/networks"
	PODMAN_DIR=$d
	PODMAN_SOCK=$d/podman.sock
	if [ "${#PODMAN_SOCK}" -gt 100 ]; then
		echo "podman_start: socket path too long: $PODMAN_SOCK" >&2
		return 1
	fi
	# The machine allows lower ulimits than Podman's defaults ask for
	# (setrlimit: Operation not permitted), and no pids limit is set so
	# that the cgroup v1 pids controller is not needed. tmp_dir and the
	# event log would otherwise live under /run/libpod, the network
	# configuration under /etc/containers.
	cat >"$d/containers.conf" <<CONF
[containers]
pids_limit = 0
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[network]
network_config_dir = "$d/networks"
[engine]
runtime = "crun"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$d/events.log"
tmp_dir = "$d/tmp"
static_dir = "$d/root/libpod"
volume_path = "$d/root/volumes"
CONF
	cat >"$d/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$d/root"
runroot = "$d/runroot"
CONF
	# crun refuses the hybrid cgroup layout while the cgroup v2 hierarchy
	# is mounted at /sys/fs/cgroup/unified; it is unmounted in a private
	# mount namespace only, so the machine's own mounts stay as they are.
	# In that namespace too, directories of DIR are mounted over the two
	# places Podman 4.3 writes to whatever its configuration says: the
	# image blob cache (/var/lib/containers/cache, written by an import)
	# and netavark's run directory (/run/containers/networks). Only their
	# mount points are made on the machine when missing, empty.
	# unshare and sh exec, so $! is Podman's own pid. It runs in DIR:
	# conmon writes a file named oom into its working directory when a
	# container runs out of memory.
	mkdir -p "$d/hide/varlib" "$d/hide/run" /var/lib/containers /run/containers || return 1
	CONTAINERS_CONF=$d/containers.conf CONTAINERS_STORAGE_CONF=$d/storage.conf \
		unshare -m --propagation private sh -c \
		"cd '$d' || exit 1; umount /sys/fs/cgroup/unified 2>/dev/null;
		mount --bind '$d/hide/varlib' /var/lib/containers || exit 1
		mount --bind '$d/hide/run' /run/containers || exit 1
		exec podman \
		--root '$d/root' --runroot '$d/runroot' --storage-driver vfs \
		--runtime crun --cgroup-manager=cgroupfs --events-backend=file \
		system service --time=0 'unix://$PODMAN_SOCK'" \
		</dev/null >"$d/podman.log" 2>&1 &
	PODMAN_PID=$!
	echo "$PODMAN_PID" >"$d/podman.pid"
	local i
	for i in $(seq 1 600); do
		if curl -s --max-time 2 --unix-socket "$PODMAN_SOCK" http://d/_ping 2>/dev/null |
			grep -q OK; then
			return 0
		fi
		kill -0 "$PODMAN_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "podman_start: Podman did not answer; log in $d/podman.log" >&2
	tail -20 "$d/podman.log" >&2
	return 1
}

# podman_image SOCK: import the tiny busybox image cjobs-test/busybox:1.
# Unlike engine_image, the rootfs carries the empty directories crun
# mounts over (proc, sys, dev, etc), and the tag is set afterwards:
# Podman's import takes the repository but names it :latest.
podman_image() {
	local sock=$1 root rc c
	root=$(mktemp -d)
	mkdir -p "$root/bin" "$root/tmp" "$root/work" "$root/proc" "$root/sys" "$root/dev" "$root/etc"
	cp /bin/busybox "$root/bin/"
	for c in sh echo sleep cat true false env yes head dd seq printf ls pwd id kill; do
		ln -s busybox "$root/bin/$c"
	done
	tar -C "$root" -c . | curl -s --fail --unix-socket "$sock" -X POST \
		-H 'Content-Type: application/x-tar' --data-binary @- \
		"http://d/images/create?fromSrc=-&repo=cjobs-test/busybox" >/dev/null &&
		curl -s --fail --unix-socket "$sock" -X POST \
			"http://d/images/cjobs-test/busybox/tag?repo=cjobs-test/busybox&tag=1" >/dev/null
	rc=$?
	rm -rf "$root"
	return $rc
}

# podman_can_run SOCK IMAGE: whether Podman starts a container here at all
# (prints the engine's reason when not).
podman_can_run() {
	local sock=$1 image=$2 id out
	out=$(curl -s --unix-socket "$sock" -X POST -H 'Content-Type: application/json' \
		-d "{\"Image\":\"$image\",\"Cmd\":[\"true\"],\"HostConfig\":{\"NetworkMode\":\"none\"}}" \
		http://d/containers/create)
	id=$(printf '%s' "$out" | sed -n 's/.*"Id":"\([0-9a-f]*\)".*/\1/p')
	if [ -z "$id" ]; then
		printf '%s\n' "$out"
		return 1
	fi
	out=$(curl -s --unix-socket "$sock" -X POST "http://d/containers/$id/start")
	local rc=$?
	if [ $rc -ne 0 ] || printf '%s' "$out" | grep -q '"message"'; then
		printf '%s\n' "$out"
		rc=1
	fi
	curl -s --unix-socket "$sock" -X POST "http://d/containers/$id/wait" >/dev/null
	curl -s --unix-socket "$sock" -X DELETE "http://d/containers/$id?force=1" >/dev/null
	return $rc
}

# podman_stop DIR: remove the service's containers (their conmon monitors
# would outlive it), then stop the service started in DIR by its pid.
podman_stop() {
	local d=$1 pid i id
	[ -f "$d/podman.pid" ] || return 0
	pid=$(cat "$d/podman.pid")
	if kill -0 "$pid" 2>/dev/null; then
		for id in $(curl -s --max-time 10 --unix-socket "$d/podman.sock" \
			'http://d/containers/json?all=1' | grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4); do
			curl -s --max-time 20 --unix-socket "$d/podman.sock" -X DELETE \
				"http://d/containers/$id?force=1" >/dev/null
		done
	fi
	kill "$pid" 2>/dev/null || return 0
	for i in $(seq 1 300); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	return 0
}
