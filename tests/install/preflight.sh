#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make` on a machine without the build dependencies says which command
# installs them instead of failing in CMake or Kbuild (issue 18).  Missing
# packages are simulated: NSK_DPKG_QUERY points scripts/install-deps.sh at a
# dpkg-query that knows no package.  Installs and builds nothing.
#
#   tests/install/preflight.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
deps=$repo/scripts/install-deps.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
if [ "$(id -u)" = 0 ]; then how="make deps"; else how="sudo make deps"; fi

printf '#!/bin/sh\n# a dpkg database with nothing installed\nexit 1\n' >"$tmp/dpkg-query"
chmod +x "$tmp/dpkg-query"
export NSK_DPKG_QUERY=$tmp/dpkg-query

# run_make NAME ARGS...: make must fail before building, name the missing
# packages and the command; output in $tmp/NAME.out
run_make() {
	local name=$1; shift
	local out=$tmp/$name.out
	echo "--- make $*"
	if make --no-print-directory -C "$repo" "$@" >"$out" 2>&1; then
		fail "make $* succeeded with no packages installed"; cat "$out"; return 1
	fi
	sed 's/^/    | /' "$out"
	grep -q '^Missing packages: ' "$out" || fail "make $*: no 'Missing packages:' line"
	grep -qF "run: $how" "$out" || fail "make $*: does not say 'run: $how'"
	if grep -Ei 'CMake Error|CC \[M\]|No such file or directory|\*\*\* No rule' "$out" >/dev/null; then
		fail "make $*: went on to build (CMake/Kbuild output above)"
	fi
	[ ! -e "$tmp/build" ] || fail "make $*: CMake ran (created $tmp/build)"
}
missing_of() { sed -n 's/^Missing packages: //p' "$tmp/$1.out"; }
has() { [[ " $(missing_of "$1") " == *" $2 "* ]]; }

# KVER of a kernel that is not there: if the preflight did not stop make,
# check-kernel would (nothing gets built in kmod/ either way).
nokernel=KVER=0.0.0-nsk-preflight
common=(BUILD_DIR="$tmp/build" "$nokernel")

run_make tool tool "${common[@]}" &&
	{ has tool cmake && has tool libnl-genl-3-dev && ! has tool gcc && ok "make tool: lists the tool's packages only"; } ||
	fail "make tool: wrong list: $(missing_of tool)"
run_make module module "${common[@]}" &&
	{ has module gcc && has module make && ! has module cmake && ok "make module: lists the module's packages only"; } ||
	fail "make module: wrong list: $(missing_of module)"
run_make all all "${common[@]}" &&
	{ has all cmake && has all gcc && ok "make all: one list for module and tool"; } || fail "make all: wrong list: $(missing_of all)"
run_make default "${common[@]}" &&
	{ [ "$(missing_of default)" = "$(missing_of all)" ] && ok "make (no goal) = make all"; } || fail "make: differs from make all"
# a kernel chosen by hand: the kernel packages are not asked for
has all linux-headers-amd64 && fail "make KVER=...: asks for linux-headers-amd64"

# The real dpkg database: an injected package that does not exist is
# reported; what make test installed is not.
unset NSK_DPKG_QUERY
if out=$("$deps" --check tool module nsk-no-such-package 2>&1); then
	fail "--check with a package that does not exist passed"
elif [ "$(sed -n 's/^Missing packages: //p' <<<"$out")" = nsk-no-such-package ] && grep -qF "run: $how" <<<"$out"; then
	ok "--check reports the one missing package: $(head -n1 <<<"$out")"
else
	fail "--check tool module nsk-no-such-package: $out"
fi
if out=$("$deps" --check 2>&1) && [ -z "$out" ]; then ok "--check (all groups): nothing missing, silent"
else fail "--check on this host: ${out:-exit non-zero} (did make deps run?)"; fi

# The Makefile's own path: the check comes before cmake / Kbuild.
n=$(make --no-print-directory -C "$repo" -n tool BUILD_DIR="$tmp/build" | grep -n -m1 -e 'install-deps.sh --check tool' -e '^cmake ' || true)
case $n in *"install-deps.sh --check tool"*) ok "make -n tool: the preflight comes first: ${n#*:}" ;;
*) fail "make -n tool: no preflight before cmake: $n" ;; esac

[ $fails = 0 ] || { echo "FAIL: $fails check(s) failed"; exit 1; }
echo "ok: the preflight names what is missing and the command that installs it"
