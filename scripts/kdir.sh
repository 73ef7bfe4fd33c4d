#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Which kernel to build for: the one place that answers it (Makefile,
# tests/CMakeLists.txt and scripts/get-kernel.sh all ask here).
#
#   scripts/kdir.sh [--kver]        -> 6.1.0-57-amd64
#   scripts/kdir.sh --kdir          -> /lib/modules/6.1.0-57-amd64/build
#   scripts/kdir.sh --all           -> every such version, oldest first
#   scripts/kdir.sh --kver-of KDIR  -> the kernel release KDIR builds for
#
# Default kernel: the newest installed kernel that has both
# /boot/vmlinuz-<ver> and /lib/modules/<ver>/build (never uname -r: the
# running kernel may be a container host's or lack headers).  Exit 1 (and
# print nothing on stdout) if there is none: run `make deps`.
#
# --kver-of KDIR, in this order:
#   1. KDIR is /lib/modules/<ver>/build (or the tree such a link points to):
#      <ver>, the name DKMS, depmod and modprobe use;
#   2. UTS_RELEASE from KDIR/include/generated/utsrelease.h: the string the
#      module's vermagic gets, so what `uname -r` says on that kernel;
#   3. nothing else.  include/config/kernel.release is NOT used: Debian's
#      headers put the upstream version there ("6.1.192"), not the release
#      ("6.1.0-57-amd64").
# Exit 1 with a sentence on stderr if the tree gives no answer.
set -eu
me=${0##*/}

# UTS_RELEASE of a tree, empty if none
uts_release() {
	sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$1/include/generated/utsrelease.h" 2>/dev/null | head -n1
}

kver_of() {
	kdir=${1%/}
	[ -n "$kdir" ] || { echo "$me: --kver-of needs a kernel build tree" >&2; return 1; }
	[ -d "$kdir" ] || { echo "$me: kernel build tree $kdir not found" >&2; return 1; }
	uts=$(uts_release "$kdir")
	name=
	case $kdir in
	/lib/modules/*/build) name=${kdir#/lib/modules/}; name=${name%/build} ;;
	*)	# the tree a /lib/modules/<ver>/build link resolves to
		real=$(readlink -f "$kdir")
		for b in /lib/modules/*/build; do
			[ -d "$b" ] && [ "$(readlink -f "$b")" = "$real" ] || continue
			v=${b%/build}; v=${v##*/}
			# several links to one tree: the one its utsrelease.h names
			if [ -z "$name" ] || [ "$v" = "$uts" ]; then name=$v; fi
		done ;;
	esac
	case $name in */*) name= ;; esac
	if [ -n "$name" ]; then
		[ -z "$uts" ] || [ "$uts" = "$name" ] ||
			echo "$me: warning: $kdir says UTS_RELEASE \"$uts\" but is installed as /lib/modules/$name: using $name" >&2
		echo "$name"
	elif [ -n "$uts" ]; then
		echo "$uts"
	else
		echo "$me: cannot tell which kernel $kdir is for: no /lib/modules/<ver>/build names it and it has no include/generated/utsrelease.h (run 'make modules_prepare' in that tree, or set KVER=)" >&2
		return 1
	fi
}

case ${1:-} in
--kver-of)
	[ $# -eq 2 ] || { echo "usage: $me --kver-of KDIR" >&2; exit 2; }
	kver_of "$2"
	exit ;;
''|--kver|--kdir|--all) ;;
*) echo "usage: $me [--kver|--kdir|--all|--kver-of KDIR]" >&2; exit 2 ;;
esac

vers=$(for b in /lib/modules/*/build; do
	[ -d "$b" ] || continue
	v=${b%/build}; v=${v##*/}
	[ -f "/boot/vmlinuz-$v" ] && echo "$v"
done | sort -V)
[ -n "$vers" ] || { echo "$me: no kernel with both /boot/vmlinuz-<ver> and /lib/modules/<ver>/build (run: make deps)" >&2; exit 1; }
case ${1:-} in
	--all) echo "$vers" ;;
	--kdir) echo "/lib/modules/$(echo "$vers" | tail -n1)/build" ;;
	*) echo "$vers" | tail -n1 ;;
esac
