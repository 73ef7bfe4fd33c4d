#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build (once, then reuse) a small test kernel from Debian's linux-source-6.1:
# `make tinyconfig` + scripts/kconfig/base.config (what the module and the VM
# scenarios need) + the flavour's fragment scripts/kconfig/<FLAVOUR>.config,
# then `make bzImage modules`.  The tree is kept so out-of-tree modules build
# against it (make -C $KDIR M=...).
#
#   scripts/build-kernel.sh FLAVOUR            build if needed, print KEY=value
#   scripts/build-kernel.sh FLAVOUR --check    print KEY=value if built, else exit 1
#   scripts/build-kernel.sh FLAVOUR --force    rebuild even if cached
#
# Flavours (one fragment each):
#   nobpf  no bpf() syscall, no BPF JIT (the no-BPF proof); ~6 min on 2 cores
#   debug  KASAN, lockdep, kmemleak, DEBUG_ATOMIC_SLEEP (`make test-debug`,
#          docs/security.md); 15-25 min on 2 shared cores
#
# Output (also via `scripts/get-kernel.sh FLAVOUR`):
#   KVER=6.1.<n>-nsk-<flavour>  KDIR=<tree>  KERNEL_IMAGE=<cache>/vmlinuz-$KVER
#   (the bzImage)  VMLINUX=<tree>/vmlinux (PVH boot, no decompression)
#
# Cache: ${NSK_CACHE:-/var/cache/netstack-kmon}/<flavour>-6.1/.  The build is
# redone only when the fragments, this script or the linux-source package
# version change.  NSK_JOBS (default nproc) sets make -j; `nice` it on a
# shared machine.
set -euo pipefail

me=${0##*/}
die() { echo "$me: error: $*" >&2; exit 2; }
note() { echo "$me: $*" >&2; }

SELF=$(readlink -f "$0")
REPO=$(cd "$(dirname "$SELF")/.." && pwd)
FLAVOUR=${1:-}
case $FLAVOUR in
-h|--help|'') sed -n '3,26p' "$0"; [ -n "$FLAVOUR" ]; exit $? ;;
esac
shift
BASE=$REPO/scripts/kconfig/base.config
FRAG=$REPO/scripts/kconfig/$FLAVOUR.config
[ -f "$BASE" ] || die "missing $BASE"
[ -f "$FRAG" ] || die "unknown flavour '$FLAVOUR': no $FRAG"
CACHE=${NSK_CACHE:-/var/cache/netstack-kmon}/$FLAVOUR-6.1
SRC_PKG=linux-source-6.1
TARBALL=/usr/src/$SRC_PKG.tar.xz
TREE=$CACHE/$SRC_PKG
LOCALVERSION=-nsk-$FLAVOUR
JOBS=${NSK_JOBS:-$(nproc)}

mode=build
case ${1:-} in
'') ;;
--check) mode=check ;;
--force) mode=force ;;
*) die "unknown argument: $1 (see --help)" ;;
esac

print_result() {
	echo "KVER=$(cat "$CACHE/kver")"
	echo "KDIR=$TREE"
	echo "KERNEL_IMAGE=$CACHE/vmlinuz-$(cat "$CACHE/kver")"
	echo "VMLINUX=$TREE/vmlinux"
	echo "MODULES_DIR="
}

src_version() { dpkg-query -W -f '${Version}' "$SRC_PKG" 2>/dev/null || echo none; }
want_hash() { { cat "$BASE" "$FRAG" "$SELF"; src_version; } | sha256sum | cut -c1-16; }
is_built() {
	[ -s "$TREE/arch/x86/boot/bzImage" ] && [ -s "$TREE/Module.symvers" ] &&
		[ -s "$CACHE/kver" ] && [ "$(cat "$CACHE/stamp" 2>/dev/null)" = "$(want_hash)" ]
}

if [ $mode = check ]; then
	is_built || { note "the $FLAVOUR kernel is not built (run: $0 $FLAVOUR)"; exit 1; }
	print_result
	exit 0
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9      # one build at a time; a second caller waits, then reuses it
if [ $mode = build ] && is_built; then
	print_result
	exit 0
fi

if [ ! -f "$TARBALL" ]; then
	note "installing $SRC_PKG (apt)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$SRC_PKG" >&2 ||
		die "apt-get install $SRC_PKG failed"
fi
[ -f "$TARBALL" ] || die "$TARBALL missing after installing $SRC_PKG"

LOG=$CACHE/build.log
: >"$LOG"
t0=$(date +%s)
if [ ! -f "$TREE/Makefile" ] || [ "$(cat "$CACHE/src-version" 2>/dev/null)" != "$(src_version)" ]; then
	note "unpacking $TARBALL into $CACHE"
	rm -rf "$TREE"
	tar -xJf "$TARBALL" -C "$CACHE"
	src_version >"$CACHE/src-version"
fi
rm -f "$CACHE/stamp"

cd "$TREE"
note "configuring: tinyconfig + $BASE + $FRAG"
{
	make -s tinyconfig
	./scripts/kconfig/merge_config.sh -m .config "$BASE" "$FRAG"
	./scripts/config --set-str LOCALVERSION "$LOCALVERSION" --disable LOCALVERSION_AUTO
	make -s olddefconfig
} >>"$LOG" 2>&1 || die "configuration failed (see $LOG)"

# Every option of both fragments must have survived olddefconfig.
bad=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*) opt=${line%%=*} ;;
	"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *} ;;
	*) continue ;;
	esac
	got=$(grep -E "^($opt=|# $opt is not set)" .config || true)
	if [ "${line% is not set}" != "$line" ]; then
		# "is not set" also holds when the option is absent (unmet deps)
		case $got in "$opt="*) note "config: wanted '$line', got '$got'"; bad=1 ;; esac
	elif [ "$got" != "$line" ]; then
		note "config: wanted '$line', got '${got:-<absent>}'"; bad=1
	fi
done < <(cat "$BASE" "$FRAG")
[ $bad = 0 ] || die "the fragments did not apply (missing dependencies?): see above"
note "config ok: every line of base.config and $FLAVOUR.config holds"

note "building bzImage + modules with -j$JOBS (log: $LOG)"
make -j"$JOBS" bzImage modules >>"$LOG" 2>&1 || { tail -n 30 "$LOG" >&2; die "kernel build failed (see $LOG)"; }
make -s kernelrelease >"$CACHE/kver"
t1=$(date +%s)
echo "build time: $((t1 - t0)) s (-j$JOBS)" | tee -a "$LOG" >&2
# Name the image after its version too, so tools that infer the version
# from the file name (tests/vm/run-vm.sh --kernel) get it right.
ln -sf "$TREE/arch/x86/boot/bzImage" "$CACHE/vmlinuz-$(cat "$CACHE/kver")"
want_hash >"$CACHE/stamp"
print_result
