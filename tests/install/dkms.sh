#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make dkms-install` for real, on this host, and a kernel upgrade after it
# (issue 18).  DKMS only compiles and copies files: the host need not load
# modules.  Root only (CI runs as root); otherwise it is skipped (exit 77).
#
#   tests/install/dkms.sh
#
# 1. make dkms-install KDIR=/lib/modules/<default kernel>/build (KDIR alone:
#    the Makefile must find the version): `dkms status` says installed for
#    it, the .ko is under /lib/modules/<ver>/updates/dkms and its vermagic
#    starts with <ver>.
# 2. Upgrade: a second linux-headers-6.1.0-NN-amd64 package (the newest
#    other ABI apt has; 6.1 headers need no image package, so the default
#    kernel stays the same) is installed with apt; its postinst runs
#    /etc/kernel/header_postinst.d/dkms, which must build and install the
#    module for it with no command from us.  When those headers are already
#    installed (a rerun), the test runs that same hook by hand.
# Leaves the headers installed and removes the module from DKMS
# (`make dkms-uninstall`) at the end, also on failure.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
version=$(cat "$repo/VERSION")
name=netstack-kmon
[ "$(id -u)" = 0 ] || { echo "SKIP: DKMS installs into /lib/modules and /var/lib/dkms: run as root"; exit 77; }
say() { echo "+ $*"; }
die() { echo "FAIL: $*"; dkms status 2>&1 | sed 's/^/    dkms status: /'; exit 1; }
# a stage's duration
t0=$SECONDS
lap() { local d=$((SECONDS - t0)); t0=$SECONDS; echo "   ($* took ${d}s)"; }

# dkms itself: in the default package list; `make test` installed it
"$repo/scripts/install-deps.sh" module dkms
command -v dkms >/dev/null || die "dkms not installed"

cleanup() { make --no-print-directory -C "$repo" dkms-uninstall >/dev/null 2>&1 || true; }
trap cleanup EXIT

# check_installed KVER: dkms status, the file, its vermagic
check_installed() {
	local k=$1 st ko vm
	st=$(dkms status -m "$name" -v "$version" -k "$k" 2>&1)
	echo "   dkms status: $st"
	grep -q "^$name/$version, $k, [^:]*: installed" <<<"$st" || die "dkms status does not say $name/$version installed for $k"
	ko=$(find "/lib/modules/$k/updates" -name 'netstack_kmon.ko*' 2>/dev/null | head -n1)
	[ -n "$ko" ] || die "no netstack_kmon.ko under /lib/modules/$k/updates"
	vm=$(modinfo -F vermagic "$ko")
	echo "   $ko: vermagic $vm"
	[[ $vm == "$k "* ]] || die "$ko has vermagic '$vm', not $k"
	modinfo -F version "$ko" | grep -qx "$version" || die "$ko: version is not $version"
	modprobe -S "$k" --show-depends netstack_kmon 2>/dev/null | grep -q "$ko" ||
		die "depmod for $k does not know netstack_kmon (modprobe -S $k --show-depends)"
	echo "ok: installed for $k"
}

# --- 1. make dkms-install with KDIR only
k1=$("$repo/scripts/kdir.sh") || die "no default kernel (make deps)"
say make dkms-install KDIR=/lib/modules/$k1/build
make --no-print-directory -C "$repo" dkms-install KDIR="/lib/modules/$k1/build" 2>&1 | sed 's/^/    | /' ||
	die "make dkms-install failed"
lap "make dkms-install (dkms build + install for $k1)"
check_installed "$k1"
# the DKMS source tree holds sources only (no objects of a build in kmod/)
junk=$(find "/usr/src/$name-$version" \( -name '*.o' -o -name '*.ko' -o -name '.*' -o -name '*.mod*' \) -print)
[ -z "$junk" ] || die "/usr/src/$name-$version has build output: $junk"
grep -qx "PACKAGE_VERSION=\"$version\"" "/usr/src/$name-$version/dkms.conf" || die "dkms.conf does not carry VERSION $version"

# --- 2. a second headers version: DKMS builds for it by itself
abi() { local v=${1#6.1.0-}; echo "${v%-amd64}"; }
k2=
for b in /lib/modules/6.1.0-*-amd64/build; do
	[ -d "$b" ] || continue
	v=${b%/build}; v=${v##*/}
	[ "$v" != "$k1" ] && dpkg-query -W -f='${db:Status-Status}' "linux-headers-$v" 2>/dev/null | grep -qx installed && k2=$v
done
if [ -n "$k2" ]; then
	say "linux-headers-$k2 already installed: run its postinst hook: /etc/kernel/header_postinst.d/dkms $k2"
	/etc/kernel/header_postinst.d/dkms "$k2" 2>&1 | sed 's/^/    | /' || die "the dkms hook failed for $k2"
	lap "dkms autoinstall for $k2 (hook)"
else
	pkg=$(apt-cache pkgnames linux-headers-6.1.0- | grep -E '^linux-headers-6\.1\.0-[0-9]+-amd64$' |
		grep -vx "linux-headers-$k1" | while read -r p; do
			c=$(apt-cache policy "$p" | awk '/Candidate:/ { print $2 }')
			[ -n "$c" ] && [ "$c" != "(none)" ] && echo "$p"
		done | sort -V | tail -n1) || true
	[ -n "$pkg" ] || die "apt knows no other linux-headers-6.1.0-NN-amd64 (apt-get update?)"
	k2=${pkg#linux-headers-}
	say "apt-get install --no-install-recommends $pkg (abi $(abi "$k1") -> $(abi "$k2"))"
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "$pkg" 2>&1 |
		sed 's/^/    | /' || die "apt-get install $pkg failed"
	lap "apt-get install $pkg, with DKMS building from its postinst"
fi
check_installed "$k2"
check_installed "$k1"
dkms status -m "$name" | sed 's/^/   /'
[ "$("$repo/scripts/kdir.sh")" = "$k1" ] || die "the default kernel changed to $("$repo/scripts/kdir.sh")"

echo "ok: make dkms-install installs for the default kernel; DKMS builds for newly installed headers"
