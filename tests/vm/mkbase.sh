#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build (or reuse) the cached base initramfs of the test VM:
#   busybox-static with its applet links, kmod (insmod rmmod lsmod modprobe
#   modinfo depmod), iproute2's ip and tc and nftables' nft with their
#   libraries, /init.
#
#   tests/vm/mkbase.sh [--build-dir DIR]      -> prints the image path
#   tests/vm/mkbase.sh [--build-dir DIR] --modules KVER
#       -> prints the path of a second image (gzip'd cpio, appended after the
#          base) with the in-tree modules the real-path scenarios need
#          (NSK_VM_MODULES below: virtio NICs, veth, bridge, nf_tables, qdiscs)
#          and everything they depend on, from /lib/modules/KVER, resolved
#          with `modprobe -S KVER --show-depends`, depmod run on the copy so
#          `modprobe NAME` works in the guest (a module built into the kernel
#          is named in modules.builtin, which is copied too).  A kernel
#          without /lib/modules/KVER gets none: prints nothing, and a
#          scenario that needs a module fails at its modprobe.
#   tests/vm/mkbase.sh [--build-dir DIR] --modules KVER --modules-dir MDIR
#       -> the same from MDIR, laid out as .../lib/modules/KVER (a kernel
#          built from source: `make modules_install INSTALL_MOD_PATH=ROOT`
#          gives ROOT/lib/modules/KVER; scripts/build-kernel.sh does it and
#          prints MODULES_DIR)
#
# Each image is rebuilt only when an input changes (a hash of this script,
# common.sh, init and every binary, library and module file copied in).
set -euo pipefail
. "$(dirname "$0")/common.sh"

BUILD_DIR=$NSK_REPO/build
MODS_KVER= MODS_DIR=
while [ $# -gt 0 ]; do
	case $1 in
	--build-dir) BUILD_DIR=$2; shift 2 ;;
	--modules) MODS_KVER=$2; shift 2 ;;
	--modules-dir) MODS_DIR=$2; shift 2 ;;
	-h|--help) sed -n '3,28p' "$0"; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
done
VMDIR=$BUILD_DIR/vm
mkdir -p "$VMDIR"
OUT=$VMDIR/base.cpio.gz

# Kernel modules of the real-path scenarios (tests/vm/README.md, "Real NICs
# and namespaces"): the NICs (virtio_pci, virtio_net), veth, bridge,
# nf_tables (drop and payload matches are built into it; counter too from
# 5.13, a module nft_counter before, which nft loads on demand), and the
# qdiscs the drop scenarios use.  Names the kernel has built in or lacks
# are skipped (a scenario's modprobe then tells).
NSK_VM_MODULES=${NSK_VM_MODULES:-"virtio_pci virtio_net veth bridge nf_tables nft_counter nft_reject_inet
	sch_tbf sch_netem sch_prio sch_fq_codel dummy"}
if [ -n "$MODS_KVER" ]; then
	MODDIR=${MODS_DIR:-/lib/modules/$MODS_KVER}
	MODDIR=${MODDIR%/}
	case $MODDIR in
	*/lib/modules/"$MODS_KVER") MODROOT=${MODDIR%/lib/modules/"$MODS_KVER"} ;;
	*) die "--modules-dir $MODDIR: not a .../lib/modules/$MODS_KVER directory" ;;
	esac
	# a kernel package unpacked into the cache (dpkg -x) has no modules.dep:
	# make it once, or modprobe -d finds nothing there
	if [ -n "$MODROOT" ] && [ -d "$MODDIR/kernel" ] && [ ! -f "$MODDIR/modules.dep" ]; then
		depmod -b "$MODROOT" "$MODS_KVER" || die "depmod -b $MODROOT $MODS_KVER failed"
	fi
	if [ ! -d "$MODDIR/kernel" ] && [ ! -f "$MODDIR/modules.builtin" ]; then
		note "no $MODDIR/kernel: the VM gets no extra kernel modules (scenarios that modprobe will fail)"
		exit 0
	fi
	MOUT=$VMDIR/netmods-$MODS_KVER.cpio.gz
	# the module files, in dependency order, each once (built-in ones have
	# no file: modules.builtin names them)
	mods=$(for m in $NSK_VM_MODULES; do
		# (a name the kernel lacks is not an error here: pipefail would end the script)
		{ modprobe ${MODROOT:+-d "$MODROOT"} -S "$MODS_KVER" --show-depends "$m" 2>/dev/null || :; } |
			awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++')
	[ -n "$mods" ] || [ -f "$MODDIR/modules.builtin" ] || die "none of the modules ($NSK_VM_MODULES) found in $MODDIR"
	exec 9>"$VMDIR/netmods.lock"
	flock 9
	hash=$( { cat "$0" "$NSK_REPO/tests/vm/common.sh"; echo "$NSK_VM_MODULES"
		for f in $mods "$MODDIR"/modules.builtin "$MODDIR"/modules.builtin.modinfo "$MODDIR"/modules.order; do
			[ -f "$f" ] && { echo "$f"; sha256sum <"$f"; }
		done; } | sha256sum | cut -c1-16)
	if [ -f "$MOUT" ] && [ "$(cat "$MOUT.hash" 2>/dev/null)" = "$hash" ]; then
		echo "$MOUT"
		exit 0
	fi
	t0=$(date +%s.%N)
	st=$(mktemp -d "$VMDIR/netmods.XXXXXX")
	trap 'rm -rf "$st"' EXIT
	# in the guest they are under /lib/modules/KVER, wherever they are here
	for f in $mods; do install -D -m 0644 "$f" "$st/lib/modules/$MODS_KVER/${f#"$MODDIR"/}"; done
	for f in modules.builtin modules.builtin.modinfo modules.order; do
		[ -f "$MODDIR/$f" ] && install -D -m 0644 "$MODDIR/$f" "$st/lib/modules/$MODS_KVER/$f"
	done
	depmod -b "$st" "$MODS_KVER" || die "depmod -b $st $MODS_KVER failed"
	mkcpio "$st" "$VMDIR/netmods-$MODS_KVER.cpio"
	gzip -1 -n -f "$VMDIR/netmods-$MODS_KVER.cpio"
	echo "$hash" >"$MOUT.hash"
	note "built $MOUT ($(wc -l <<<"$mods") modules, $(du -k "$MOUT" | cut -f1) KiB) in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s"
	echo "$MOUT"
	exit 0
fi

BUSYBOX=/bin/busybox
KMOD=$(command -v kmod || echo /bin/kmod)
# iproute2 (ip, tc) and nftables, if installed (more tools: run-vm.sh --add SRC:DEST)
OPTIONAL=(/sbin/ip /sbin/tc /usr/sbin/nft)
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
mkdir -p "$st"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,tmp,run,run/netns,root,scenarios,sys/kernel/debug}
mkdir -p "$st/var" && ln -s /run "$st/var/run"     # ip netns: /var/run/netns
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
