#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print the default target kernel version: the newest installed kernel that
# has both /boot/vmlinuz-<ver> and /lib/modules/<ver>/build (never uname -r:
# the running kernel may be a container host's or lack headers).
#   scripts/kdir.sh [--kver] -> 6.1.0-56-amd64
#   scripts/kdir.sh --kdir   -> /lib/modules/6.1.0-56-amd64/build
#   scripts/kdir.sh --all    -> every such version, oldest first
# Exit 1 (and print nothing) if there is none: run `make deps`.
set -eu
vers=$(for b in /lib/modules/*/build; do
	[ -d "$b" ] || continue
	v=${b%/build}; v=${v##*/}
	[ -f "/boot/vmlinuz-$v" ] && echo "$v"
done | sort -V)
[ -n "$vers" ] || { echo "kdir.sh: no kernel with both /boot/vmlinuz-<ver> and /lib/modules/<ver>/build (run: make deps)" >&2; exit 1; }
case ${1:-} in
	--all) echo "$vers" ;;
	--kdir) echo "/lib/modules/$(echo "$vers" | tail -n1)/build" ;;
	*) echo "$vers" | tail -n1 ;;
esac
