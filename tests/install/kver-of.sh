#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# KDIR= -> KVER never guesses wrong (issue 18): scripts/kdir.sh --kver-of and
# the Makefile's use of it.  Needs no root, installs and builds nothing.
#
#   tests/install/kver-of.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
kdir_sh=$repo/scripts/kdir.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# expect_eq WHAT GOT WANT
expect_eq() { if [ "$2" = "$3" ]; then ok "$1 = $3"; else fail "$1: got '$2', want '$3'"; fi; }
mk() { make --no-print-directory -C "$repo" "$@"; }

# 1. Every installed build tree: /lib/modules/<ver>/build and the tree it
#    points to (Debian: /usr/src/linux-headers-<ver>, whose
#    include/config/kernel.release says only the upstream version).
n=0
for b in /lib/modules/*/build; do
	[ -d "$b" ] || continue
	v=${b%/build}; v=${v##*/}
	n=$((n + 1))
	expect_eq "kver-of $b" "$("$kdir_sh" --kver-of "$b")" "$v"
	expect_eq "kver-of $b/" "$("$kdir_sh" --kver-of "$b/")" "$v"
	real=$(readlink -f "$b")
	expect_eq "kver-of $real" "$("$kdir_sh" --kver-of "$real")" "$v"
	kr=$(cat "$real/include/config/kernel.release" 2>/dev/null || true)
	[ "$kr" = "$v" ] || echo "   ($real/include/config/kernel.release says '$kr': not used)"
	expect_eq "make help KDIR=$real" "$(mk help KDIR="$real" | sed -n 's/^KVER=\([^ ]*\) .*/\1/p')" "$v"
	out=$(mk check-kernel KDIR="$b" KVER="$v" 2>&1) && ok "make check-kernel KDIR=$b KVER=$v" ||
		fail "make check-kernel KDIR=$b KVER=$v refused: $out"
	# the Debian case of the issue: KVER=<upstream version> with that tree
	if [ -n "$kr" ] && [ "$kr" != "$v" ]; then
		if out=$(mk check-kernel KDIR="$b" KVER="$kr" 2>&1); then
			fail "make check-kernel KDIR=$b KVER=$kr accepted a version that is not the tree's"
		elif grep -q "KVER=$kr but KDIR=$b is the build tree of $v" <<<"$out"; then
			ok "KVER=$kr with KDIR=$b refused: $out"
		else
			fail "KVER=$kr with KDIR=$b: unexpected message: $out"
		fi
	fi
done
[ $n -gt 0 ] || fail "no /lib/modules/*/build on this host (make deps installs one)"

# 2. A tree outside /lib/modules (the kernel matrix's cached trees): the
#    release comes from include/generated/utsrelease.h, never from
#    include/config/kernel.release.
t=$tmp/linux-headers-x
mkdir -p "$t/include/generated" "$t/include/config"
echo 6.1.192 >"$t/include/config/kernel.release"
printf '#define UTS_RELEASE "6.1.0-99-nsktest"\n' >"$t/include/generated/utsrelease.h"
expect_eq "kver-of a tree with utsrelease.h" "$("$kdir_sh" --kver-of "$t")" 6.1.0-99-nsktest
expect_eq "make help KDIR=<that tree>" "$(mk help KDIR="$t" | sed -n 's/^KVER=\([^ ]*\) .*/\1/p')" 6.1.0-99-nsktest
# DKMS is told where the tree is, for the tree's own version
cmd=$(mk -n dkms-install KDIR="$t" | grep '^dkms build' || true)
case $cmd in
*" -k 6.1.0-99-nsktest --kernelsourcedir $t") ok "make -n dkms-install KDIR=<tree>: $cmd" ;;
*) fail "make -n dkms-install KDIR=<tree>: got '$cmd'" ;;
esac
if kdefault=$("$kdir_sh"); then
	cmd=$(mk -n dkms-install KDIR="/lib/modules/$kdefault/build" | grep '^dkms build' || true)
	case $cmd in
	*" -k $kdefault") ok "make -n dkms-install KDIR=/lib/modules/$kdefault/build: $cmd" ;;
	*) fail "make -n dkms-install KDIR=/lib/modules/$kdefault/build: got '$cmd'" ;;
	esac
fi

# DKMS installs only for an installed kernel: said before anything is done
if out=$(mk dkms-install KDIR="$t" 2>&1); then fail "make dkms-install for a kernel that is not installed passed"
elif grep -q "Kernel 6.1.0-99-nsktest is not installed here" <<<"$out"; then ok "make dkms-install KDIR=<tree of no installed kernel> refused"
else fail "make dkms-install KDIR=<tree of no installed kernel>: $out"; fi

# 3. A tree that does not say: refused, with a sentence, not a wrong guess.
rm "$t/include/generated/utsrelease.h"
if out=$("$kdir_sh" --kver-of "$t" 2>&1); then
	fail "kver-of a tree with only kernel.release answered '$out'"
else
	grep -q 'cannot tell which kernel' <<<"$out" && ok "kver-of a tree with only kernel.release refused: $out" ||
		fail "kver-of a tree with only kernel.release: unexpected message: $out"
fi
if out=$(mk help KDIR="$t" 2>&1); then
	fail "make help KDIR=<tree without utsrelease.h> accepted it: $out"
else
	grep -q 'does not say which kernel it is for: set KVER= as well' <<<"$out" &&
		ok "make KDIR=<tree without utsrelease.h> refused" || fail "make KDIR=<tree without utsrelease.h>: $out"
fi
# ... unless the user says which kernel it is
expect_eq "make help KDIR=<that tree> KVER=6.1.0-99-nsktest" \
	"$(mk help KDIR="$t" KVER=6.1.0-99-nsktest | sed -n 's/^KVER=\([^ ]*\) .*/\1/p')" 6.1.0-99-nsktest
if out=$("$kdir_sh" --kver-of "$tmp/missing" 2>&1); then fail "kver-of a missing dir answered '$out'"
else ok "kver-of a missing dir refused: $out"; fi
# targets that need no kernel still work with a bad KDIR
mk -n deps KDIR="$tmp/missing" >/dev/null 2>&1 && ok "make -n deps ignores KDIR" || fail "make deps KDIR=<missing> failed"

[ $fails = 0 ] || { echo "FAIL: $fails check(s) failed"; exit 1; }
echo "ok: KDIR -> KVER rules hold"
