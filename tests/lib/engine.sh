# tests/lib/engine.sh: start and stop a private Docker engine for tests.
# Sourced by test scripts and by scripts/demo. Never touches any engine
# it did not start: it stops only the pid it recorded, and the engine
# listens on a unix socket in its own temporary directory, with no bridge
# and no firewall changes (see ENGINE-NOTES in the project's shared docs).

# engine_start DIR: start dockerd rooted in DIR; sets ENGINE_SOCK and
# ENGINE_PIDFILE. Returns non-zero if the engine does not answer in 60 s.
engine_start() {
	local d=$1
	mkdir -p "$d"
	ENGINE_DIR=$d
	ENGINE_SOCK=$d/docker.sock
	ENGINE_PIDFILE=$d/docker.pid
	# dockerd refuses a unix socket path longer than 108 bytes.
	if [ "${#ENGINE_SOCK}" -gt 100 ]; then
		echo "engine_start: socket path too long: $ENGINE_SOCK" >&2
		return 1
	fi
	dockerd --data-root "$d/data" --exec-root "$d/exec" \
		--host "unix://$ENGINE_SOCK" --pidfile "$ENGINE_PIDFILE" \
		--bridge=none --iptables=false --ip-forward=false --ip-masq=false \
		>"$d/dockerd.log" 2>&1 &
	local i
	for i in $(seq 1 600); do
		if curl -s --max-time 2 --unix-socket "$ENGINE_SOCK" http://d/_ping 2>/dev/null | grep -q OK; then
			return 0
		fi
		sleep 0.1
	done
	echo "engine_start: dockerd did not answer; log in $d/dockerd.log" >&2
	tail -20 "$d/dockerd.log" >&2
	return 1
}

# engine_image SOCK: import the tiny busybox image cjobs-test/busybox:1.
engine_image() {
	local sock=$1 root
	root=$(mktemp -d)
	mkdir -p "$root/bin"
	cp /bin/busybox "$root/bin/"
	local c
	for c in sh echo sleep cat true false env yes head dd seq printf ls pwd id kill; do
		ln -s busybox "$root/bin/$c"
	done
	mkdir -p "$root/tmp" "$root/work"
	tar -C "$root" -c . | curl -s --fail --unix-socket "$sock" -X POST \
		-H 'Content-Type: application/x-tar' --data-binary @- \
		"http://d/images/create?fromSrc=-&repo=cjobs-test/busybox&tag=1" >/dev/null
	local rc=$?
	rm -rf "$root"
	return $rc
}

# engine_stop DIR: stop the engine started in DIR by its pid and wait.
engine_stop() {
	local d=$1 pid i
	[ -f "$d/docker.pid" ] || return 0
	pid=$(cat "$d/docker.pid")
	kill "$pid" 2>/dev/null || return 0
	for i in $(seq 1 300); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	return 0
}

# engine_containers SOCK: print the names of every container carrying the
# cjobs.job label, one per line (empty output means none left behind).
engine_containers() {
	curl -s --unix-socket "$1" -G http://d/containers/json \
		--data-urlencode 'all=1' \
		--data-urlencode 'filters={"label":["cjobs.job"]}' |
		grep -o '"Names":\["/[^"]*"' | sed 's/.*\["\///; s/"$//'
}
