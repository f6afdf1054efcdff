#!/usr/bin/env bash
# The Debian package (debian/): built once with dpkg-buildpackage from a
# copy of the work tree (the tree is left as it was), checked by lintian,
# installed with dpkg -i and purged; then installed over a store that cjobs
# made at schema 9 (tests/fixtures/store-0009), which the first cjobs
# command of user cjobs migrates with nothing lost. The package ships no
# migration step of its own: the store migrates on first use, and that is
# the path tested. SQLite only (the package's store is a file).
#
# dpkg runs in a mount namespace of this script's own, over overlays of
# /etc, /usr and /var whose writes land in $TEST_DIR: the tests running
# beside this one look for /etc/cjobs/cjobs.ini (every cjobs command does)
# and must not see it come and go, and whatever ends this script, even
# SIGKILL, the machine keeps nothing of the package, the user cjobs
# included. The EXIT trap purges the package all the same.
if [ -z "${CJOBS_T0780_PRIVATE:-}" ] && [ "$(id -u)" = 0 ] &&
	unshare --mount --propagation private true 2>/dev/null; then
	export CJOBS_T0780_PRIVATE=1
	exec unshare --mount --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/../lib/test-lib.sh"

skip_all() {
	test_skip "the Debian package builds, installs, migrates an old store and purges" "$1"
	test_done
}
test "$(id -u)" = 0 || skip_all "not root: dpkg -i needs root"
test -n "${CJOBS_T0780_PRIVATE:-}" || skip_all "unshare --mount fails here (no mount namespace)"
for t in dpkg-buildpackage dh lintian runuser; do
	command -v $t >/dev/null || skip_all "$t is not installed (scripts/install-deps installs it)"
done
have=$(dpkg-query -W -f='${db:Status-Status}' cjobs 2>/dev/null || true)
case $have in
"" | not-installed) ;;
*) skip_all "a package named cjobs is on this machine already ($have), not installed by this test" ;;
esac

OV=$TEST_DIR/ov
MOUNTED=""
for d in etc usr var; do
	mkdir -p "$OV/$d/up" "$OV/$d/work"
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$OV/$d/up,workdir=$OV/$d/work" "/$d" \
		2>"$TEST_DIR/mount.err" || skip_all "no overlay over /$d: $(cat "$TEST_DIR/mount.err")"
	MOUNTED="/$d $MOUNTED"
done
# The package was not here before (checked above): whatever of it is here
# now, this script installed.
restore() {
	dpkg --purge cjobs >/dev/null 2>&1
	local d
	for d in $MOUNTED; do umount -l "$d"; done
	test_cleanup
}
trap restore EXIT

VERSION=$(sed -n "s/^  version : '\(.*\)',\$/\1/p" "$TEST_ROOT/meson.build")
DEB=$TEST_DIR/pkg/cjobs_${VERSION}_$(dpkg --print-architecture).deb
FIXTURE=$TEST_ROOT/tests/fixtures/store-0009/cjobs.sql

UNIT_DIR=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)

# cjobs_installed ARGS: the program the package installed (cjobs is the
# build under test).
cjobs_installed() { /usr/bin/cjobs "$@"; }

# build_leftovers: what dpkg-buildpackage leaves when run in the tree itself
# (git ignores most of it), to show that the copy took all of it.
build_leftovers() {
	ls -d "$TEST_ROOT"/obj-* "$TEST_ROOT"/debian/.debhelper "$TEST_ROOT"/debian/cjobs \
		"$TEST_ROOT"/debian/files "$TEST_ROOT"/debian/debhelper-build-stamp \
		"$TEST_ROOT"/../cjobs_* 2>/dev/null || true
}

# as_cjobs ARGS: the installed cjobs as user cjobs, in the environment
# its units give it.
as_cjobs() {
	(cd / && runuser -u cjobs -- env -i PATH=/usr/bin:/bin HOME=/var/lib/cjobs \
		CJOBS_DATABASE=/var/lib/cjobs/cjobs.db /usr/bin/cjobs "$@")
}

# rows DB TABLE COLUMNS: every row of TABLE in DB, those columns only
# (quoted as SQL, so blobs compare byte for byte), sorted.
rows() {
	local cols
	cols=$(echo "$3" | sed 's/\([^,]*\)/quote("\1")/g')
	sqlite3 "$1" "SELECT $cols FROM \"$2\"" | sort
}

# same_rows OLD NEW: each table of the store OLD keeps every row, with
# every column OLD had, in NEW; and has no more rows (schema_migrations
# excepted, which gains the new versions).
same_rows() {
	local t cols
	for t in $(sqlite3 "$1" "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"); do
		cols=$(sqlite3 "$1" "SELECT group_concat(name) FROM pragma_table_info('$t')")
		rows "$1" "$t" "$cols" >"old-$t" && rows "$2" "$t" "$cols" >"new-$t" || return 1
		test -z "$(comm -23 "old-$t" "new-$t")" ||
			{ echo "$t lost rows:"; comm -23 "old-$t" "new-$t"; return 1; }
		test "$t" = schema_migrations || test "$(wc -l <"old-$t")" = "$(wc -l <"new-$t")" ||
			{ echo "$t: $(wc -l <"old-$t") rows before, $(wc -l <"new-$t") after"; return 1; }
	done
}

test_expect_success 'dpkg-buildpackage -b -us -uc builds the package of the version of meson.build from a copy of the tree, and the tree stays as it was' '
	test -n "$VERSION" &&
	before=$(build_leftovers) &&
	mkdir -p pkg/cjobs &&
	git -C "$TEST_ROOT" ls-files -z --cached --others --exclude-standard >files &&
	tar -C "$TEST_ROOT" --null -T files --ignore-failed-read -c | tar -x -C pkg/cjobs &&
	test "$(cd pkg/cjobs && dpkg-parsechangelog -S Version)" = "$VERSION" &&
	{ (cd pkg/cjobs && DEB_BUILD_OPTIONS="parallel=2 noautodbgsym" \
		dpkg-buildpackage -b -us -uc) >build.log 2>&1 || { tail -40 build.log; false; }; } &&
	test -f "$DEB" &&
	test "$(dpkg-deb -f "$DEB" Version)" = "$VERSION" &&
	test "$(build_leftovers)" = "$before"
'

test_expect_success 'lintian finds neither an error nor a warning in the package' '
	test -f "$DEB" &&
	{ lintian -I --show-overrides --fail-on error,warning "$DEB" >lintian.out 2>&1 || { cat lintian.out; false; }; } &&
	! grep "^[EW]: " lintian.out &&
	test "$(grep -c "^O: cjobs: package-supports-alternative-init-but-no-init.d-script " lintian.out)" = 2
'

test_expect_success 'dpkg -i installs it: cjobs --version, man cjobs-process-jobs, completion, the units where systemd reads them and not enabled, the example configuration as a conffile' '
	{ dpkg -i "$DEB" >install.log 2>&1 || { cat install.log; false; }; } &&
	dpkg -L cjobs >all.list &&
	while read -r f; do test -d "$f" || echo "$f"; done <all.list >files.list &&
	test "$(cjobs_installed --version)" = "cjobs $VERSION" &&
	MANWIDTH=80 man -P cat cjobs-process-jobs >man.out 2>man.err &&
	grep -q "^NAME" man.out && grep -q -- "--daemon" man.out && ! test -s man.err &&
	test -f /usr/share/bash-completion/completions/cjobs &&
	test -f /usr/share/zsh/vendor-completions/_cjobs &&
	for u in cjobs-worker.service cjobs-serve.service; do
		cmp "$TEST_ROOT/dist/systemd/$u" "$UNIT_DIR/$u" || return 1
	done &&
	test -z "$(find /etc/systemd -name "cjobs-*")" &&
	dpkg-query -W -f="\${Conffiles}\n" cjobs | grep -q "^ /etc/cjobs/cjobs.ini [0-9a-f]\{32\}$" &&
	cmp "$TEST_ROOT/dist/cjobs.ini" /etc/cjobs/cjobs.ini &&
	test "$(stat -c "%U %a" /etc/cjobs/cjobs.ini)" = "root 644"
'

test_expect_success 'the system user and group cjobs exist, home /var/lib/cjobs (mode 0750, theirs), no login shell, in group docker when there is one; it makes its store there and registers a host' '
	IFS=: read -r name _ uid gid _ home shell <<<"$(getent passwd cjobs)" &&
	test "$name" = cjobs &&
	test "$uid" -lt 1000 &&
	test "$(getent group cjobs | cut -d: -f3)" = "$gid" &&
	test "$home" = /var/lib/cjobs &&
	test "$shell" = /usr/sbin/nologin &&
	test "$(stat -c "%U:%G %a" /var/lib/cjobs)" = "cjobs:cjobs 750" &&
	if getent group docker >/dev/null; then id -nG cjobs | grep -qw docker; fi &&
	as_cjobs job list >list.out &&
	test "$(stat -c "%U %a" /var/lib/cjobs/cjobs.db)" = "cjobs 600" &&
	# The README registers the local engine so (nothing is contacted).
	as_cjobs host add local --url unix:///var/run/docker.sock >/dev/null &&
	as_cjobs host list >hosts.out &&
	test_grep -q "^local " hosts.out
'

test_expect_success 'the example /etc/cjobs/cjobs.ini sets nothing; each setting it shows, uncommented, is valid, and every known key is shown with the default of the help' '
	cjobs_installed dev validate-config --config /etc/cjobs/cjobs.ini >v.out &&
	grep -qx "/etc/cjobs/cjobs.ini: valid" v.out &&
	! grep -q "^[a-z_]" /etc/cjobs/cjobs.ini &&
	sed "s/^;\([a-z_]* = \)/\1/" /etc/cjobs/cjobs.ini >all.ini &&
	cjobs_installed dev validate-config --config all.ini >v.out &&
	grep -qx "all.ini: valid" v.out &&
	awk "/^\[/ { s = \$0 } /^[a-z_]+ = / { print s, \$0 }" all.ini | sort >shown &&
	cjobs_installed dev validate-config --help |
		sed -n "s/^ *\(\[[a-z]*\] [a-z_]* = .*\)\$/\1/p" | sort >known &&
	test "$(wc -l <known)" -ge 10 &&
	test_cmp <(sed "s/ = .*//" known) <(sed "s/ = .*//" shown) &&
	test -z "$(grep -v " = (none)\$" known | comm -23 - shown)"
'

test_expect_success 'dpkg --purge removes every file it installed, /etc/cjobs and /var/lib/cjobs; the user and group cjobs stay, as Debian leaves system users' '
	{ dpkg --purge cjobs >purge.log 2>&1 || { cat purge.log; false; }; } &&
	s=$(dpkg-query -W -f="\${db:Status-Status}" cjobs 2>/dev/null || true) &&
	{ test -z "$s" || test "$s" = not-installed; } &&
	test "$(wc -l <files.list)" -ge 40 &&
	while read -r f; do
		! test -e "$f" || { echo "left behind: $f"; return 1; }
	done <files.list &&
	! test -e /etc/cjobs && ! test -e /var/lib/cjobs &&
	! test -e /usr/bin/cjobs &&
	getent passwd cjobs >/dev/null && getent group cjobs >/dev/null
'

test_expect_success 'installed over a store of schema 9, the first cjobs command of user cjobs migrates it to the newest schema and keeps every job, output and history row' '
	sqlite3 old.db <"$FIXTURE" &&
	test "$(sqlite3 old.db "SELECT max(version) FROM schema_migrations")" = 9 &&
	install -d -o cjobs -g cjobs -m 0750 /var/lib/cjobs &&
	sqlite3 /var/lib/cjobs/cjobs.db <"$FIXTURE" &&
	chown cjobs:cjobs /var/lib/cjobs/cjobs.db && chmod 600 /var/lib/cjobs/cjobs.db &&
	{ dpkg -i "$DEB" >install2.log 2>&1 || { cat install2.log; false; }; } &&
	test "$(sqlite3 /var/lib/cjobs/cjobs.db "SELECT max(version) FROM schema_migrations")" = 9 &&
	as_cjobs job list >list.out &&
	test "$(grep -c "^[0-9]" list.out)" = "$(sqlite3 old.db "SELECT count(*) FROM jobs")" &&
	as_cjobs db status >status.out &&
	latest=$(sed -n "s/^schema version: *\([0-9]*\) (this cjobs knows \([0-9]*\))\$/\1 \2/p" status.out) &&
	test "${latest% *}" = "${latest#* }" && test "${latest% *}" -gt 9 &&
	test "$(stat -c "%U %a" /var/lib/cjobs/cjobs.db)" = "cjobs 600" &&
	same_rows old.db /var/lib/cjobs/cjobs.db &&
	grep -q "^history rows: *$(sqlite3 old.db "SELECT count(*) FROM job_history")\$" status.out &&
	grep -q "^output rows: *$(sqlite3 old.db "SELECT count(*) FROM job_output") " status.out &&
	test "$(as_cjobs job logs 1 --stream stdout)" = hello &&
	as_cjobs job show 7 >show.out &&
	test "$(grep -c "running -> " show.out)" = 3 &&
	a=$(as_cjobs job submit --image cjobs-test/busybox:1 --after 1 -- true) &&
	as_cjobs job show "$a" >show.out &&
	test_grep -q "^waits for: *1 (ok: met, completed)\$" show.out &&
	dpkg --purge cjobs >purge.log 2>&1 && ! test -e /var/lib/cjobs
'

test_done
