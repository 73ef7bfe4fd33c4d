#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Kernel-build test: build kmod/ against one kernel build tree with W=1 in a
# scratch copy (the source tree is not touched) and fail on any compiler or
# modpost warning.
#
#   tests/kbuild/build-module.sh KDIR OUTDIR
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
kdir=${1:?usage: build-module.sh KDIR OUTDIR}
out=${2:?usage: build-module.sh KDIR OUTDIR}

[ -d "$kdir" ] || { echo "kernel build tree not found: $kdir" >&2; exit 1; }
[ -f "$repo/kmod/Kbuild" ] || [ -f "$repo/kmod/Makefile" ] || { echo "no kmod/Kbuild or kmod/Makefile in $repo" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
# sources only: kmod/, include/ and VERSION keep their relative layout
tar -C "$repo" --exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' \
	--exclude='.*.cmd' --exclude='Module.symvers' --exclude='modules.order' --exclude='.tmp_versions' \
	-cf - kmod include VERSION | tar -C "$out" -xf -
log=$out/build.log
set +e
make -C "$kdir" M="$out/kmod" W=1 modules >"$log" 2>&1
rc=$?
set -e
cat "$log"
[ $rc = 0 ] || { echo "FAIL: module build against $kdir failed (exit $rc)"; exit 1; }
if grep -Ei '(^|[^a-z])warning:' "$log" | grep -v 'Skipping BTF generation' >/dev/null; then
	echo "FAIL: warnings building against $kdir:"
	grep -Ei '(^|[^a-z])warning:' "$log"
	exit 1
fi
ls "$out"/kmod/*.ko >/dev/null 2>&1 || { echo "FAIL: no .ko produced"; exit 1; }
echo "ok: module builds warning-free (W=1) against $kdir"
