#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build (or reuse) the cached base initramfs of the test VM:
#   busybox-static with its applet links, kmod (insmod rmmod lsmod modprobe
#   modinfo depmod) and iproute2's ip/ss with their libraries, /init.
#
#   tests/vm/mkbase.sh [--build-dir DIR]      -> prints the image path
#
# The image is rebuilt only when an input changes (a hash of this script,
# common.sh, init and every binary and library copied in).
set -euo pipefail
. "$(dirname "$0")/common.sh"

BUILD_DIR=$NSK_REPO/build
while [ $# -gt 0 ]; do
	case $1 in
	--build-dir) BUILD_DIR=$2; shift 2 ;;
	-h|--help) sed -n '3,10p' "$0"; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
done
VMDIR=$BUILD_DIR/vm
mkdir -p "$VMDIR"
OUT=$VMDIR/base.cpio.gz

BUSYBOX=/bin/busybox
KMOD=$(command -v kmod || echo /bin/kmod)
OPTIONAL=(/sbin/ip)     # iproute2, if installed (more tools: run-vm.sh --add SRC:DEST)
for f in "$BUSYBOX" "$KMOD"; do [ -x "$f" ] || die "$f missing (run: make deps)"; done
"$BUSYBOX" --list >/dev/null 2>&1 || die "$BUSYBOX is not a working busybox"
case $(file -b "$BUSYBOX" 2>/dev/null || echo static) in
*dynamically*) die "$BUSYBOX is dynamically linked: install busybox-static" ;;
esac

bins=("$BUSYBOX" "$KMOD")
for f in "${OPTIONAL[@]}"; do [ -x "$f" ] && bins+=("$(readlink -f "$f")"); done

# Inputs hash: scripts + every binary + every library (content).
inputs() {
	local b
	cat "$0" "$NSK_REPO/tests/vm/common.sh" "$NSK_REPO/tests/vm/init"
	for b in "${bins[@]}"; do
		echo "$b"
		sha256sum <"$b"
		elf_deps "$b" | while read -r l; do echo "$l"; sha256sum <"$l"; done
	done
}

exec 9>"$VMDIR/base.lock"
flock 9
hash=$(inputs | sha256sum | cut -c1-16)
if [ -f "$OUT" ] && [ "$(cat "$VMDIR/base.hash" 2>/dev/null)" = "$hash" ]; then
	echo "$OUT"
	exit 0
fi

t0=$(date +%s.%N)
st=$(mktemp -d "$VMDIR/base.XXXXXX")
trap 'rm -rf "$st"' EXIT
mkdir -p "$st"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,tmp,run,root,scenarios,sys/kernel/debug}
stage_elf "$st" "$BUSYBOX" /bin/busybox
for a in $("$BUSYBOX" --list); do
	[ -e "$st/bin/$a" ] || ln -s busybox "$st/bin/$a"
done
stage_elf "$st" "$KMOD" /usr/bin/kmod
for a in insmod rmmod lsmod modprobe modinfo depmod; do ln -sf ../bin/kmod "$st/usr/sbin/$a"; done
for f in "${OPTIONAL[@]}"; do
	[ -x "$f" ] && stage_elf "$st" "$(readlink -f "$f")" "/usr/sbin/${f##*/}"
done
install -m 0755 "$NSK_REPO/tests/vm/init" "$st/init"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$st/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$st/etc/group"
printf '127.0.0.1 localhost nsk-vm\n::1 localhost ip6-localhost\n' >"$st/etc/hosts"
# The kernel's built-in initramfs already has /dev/console; add it when we can.
mknod -m 600 "$st/dev/console" c 5 1 2>/dev/null || true

mkcpio "$st" "$VMDIR/base.cpio"
gzip -1 -n -f "$VMDIR/base.cpio"     # -> base.cpio.gz
echo "$hash" >"$VMDIR/base.hash"
note "built $OUT ($(du -k "$OUT" | cut -f1) KiB) in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s"
echo "$OUT"
