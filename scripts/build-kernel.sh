#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build (once, then reuse) a small test kernel: `make tinyconfig` +
# scripts/kconfig/base.config (what the module and the VM scenarios need) +
# the flavour's fragment scripts/kconfig/<FLAVOUR>.config, then
# `make bzImage modules`.  The tree is kept so out-of-tree modules build
# against it (make -C $KDIR M=...).
#
#   scripts/build-kernel.sh FLAVOUR            build if needed, print KEY=value
#   scripts/build-kernel.sh FLAVOUR --check    print KEY=value if built, else exit 1
#   scripts/build-kernel.sh FLAVOUR --force    rebuild even if cached
#   scripts/build-kernel.sh legacy --source DIR [--check|--force]
#
# Flavours (one fragment each):
#   nobpf   Debian's linux-source-6.1, no bpf() syscall, no BPF JIT (the
#           no-BPF proof); ~6 min on 2 cores
#   debug   Debian's linux-source-6.1 with KASAN, lockdep, kmemleak,
#           DEBUG_ATOMIC_SLEEP (`make test-debug`, docs/security.md); 15-25
#           min on 2 shared cores
#   legacy  the kernel source tree DIR (--source DIR, or NSK_KERNEL_SRC=DIR):
#           an old stable tree such as 5.4.y or 4.19.y (docs/compat.md).  The
#           tree is only read: objects go to a separate build directory
#           (make O=) in the cache.  Options of the fragments that this
#           tree's Kconfig does not know are listed and skipped; every other
#           line must hold.  Built with the host's gcc (12 on Debian 12) and
#           the workarounds an old tree needs, below.  15-25 min on 2 cores.
#
# Output (also via `scripts/get-kernel.sh FLAVOUR`):
#   KVER=<release>-nsk-<flavour>  KDIR=<build tree>
#   KERNEL_IMAGE=<cache>/vmlinuz-$KVER (the bzImage)
#   VMLINUX=<build tree>/vmlinux (PVH boot, no decompression)
#
# Cache: ${NSK_CACHE:-/var/cache/netstack-kmon}/<flavour>-6.1/ (nobpf,
# debug) or legacy-<version of the tree>/.  The build is redone only when
# the fragments, this script, the linux-source package version or (legacy)
# the source tree's path or Makefile version change; `--force` after
# editing a legacy tree.  NSK_JOBS (default nproc) sets make -j; `nice` it
# on a shared machine.
set -euo pipefail

me=${0##*/}
die() { echo "$me: error: $*" >&2; exit 2; }
note() { echo "$me: $*" >&2; }

SELF=$(readlink -f "$0")
REPO=$(cd "$(dirname "$SELF")/.." && pwd)
FLAVOUR=${1:-}
case $FLAVOUR in
-h|--help|'') sed -n '3,38p' "$0"; [ -n "$FLAVOUR" ]; exit $? ;;
esac
shift
BASE=$REPO/scripts/kconfig/base.config
FRAG=$REPO/scripts/kconfig/$FLAVOUR.config
[ -f "$BASE" ] || die "missing $BASE"
[ -f "$FRAG" ] || die "unknown flavour '$FLAVOUR': no $FRAG"
LOCALVERSION=-nsk-$FLAVOUR
JOBS=${NSK_JOBS:-$(nproc)}

mode=build
SRC= SRC_ARG=
while [ $# -gt 0 ]; do
	case $1 in
	--check) mode=check ;;
	--force) mode=force ;;
	--source) [ $# -ge 2 ] || die "--source needs a directory"; SRC=$2 SRC_ARG=1; shift ;;
	--source=*) SRC=${1#--source=} SRC_ARG=1 ;;
	*) die "unknown argument: $1 (see --help)" ;;
	esac
	shift
done

# The kernel's own make, with the arguments every call needs (KMAKE).
if [ "$FLAVOUR" = legacy ]; then
	SRC=${SRC:-${NSK_KERNEL_SRC:-}}
	[ -n "$SRC" ] || die "legacy needs a kernel source tree: --source DIR (or NSK_KERNEL_SRC=DIR)"
	[ -f "$SRC/Makefile" ] && [ -f "$SRC/Kconfig" ] || die "$SRC is not a kernel source tree (no Makefile/Kconfig)"
	SRC=$(cd "$SRC" && pwd -P)
	mkvar() { sed -n "s/^$1[[:space:]]*=[[:space:]]*\([^[:space:]]*\).*/\1/p" "$SRC/Makefile" | head -n1; }
	SRCVER=$(mkvar VERSION).$(mkvar PATCHLEVEL).$(mkvar SUBLEVEL)$(mkvar EXTRAVERSION)
	case $SRCVER in [0-9]*.[0-9]*.[0-9]*) ;; *) die "cannot read the version of $SRC/Makefile (got '$SRCVER')" ;; esac
	CACHE=${NSK_CACHE:-/var/cache/netstack-kmon}/legacy-$SRCVER
	TREE=$CACHE/build
	# Always x86-64 with the host's compiler: some trees (vendor snapshots)
	# hard-code an ARM ARCH/CROSS_COMPILE in their Makefile, and command-line
	# variables override a Makefile's own assignments.
	KMAKE=(make -C "$SRC" O="$TREE" ARCH=x86_64 CROSS_COMPILE=)
	# Old trees and gcc 12: tools/objtool and tools/lib/subcmd build with
	# -Werror, and gcc 12 warns about code older compilers accepted (4.19.222:
	# "pointer may be used after 'realloc'" in libsubcmd's xrealloc(), fixed
	# upstream in 5.17 and later stable trees).  HOSTWORKAROUND keeps the
	# warnings and drops the errors: objtool's CFLAGS include
	# KBUILD_HOSTCFLAGS (HOSTCFLAGS from the command line), and libsubcmd
	# adds -Werror unless WERROR=0 (nothing else in these trees reads
	# WERROR).  Used only if the host tools fail without it (see below):
	# objects depend on the objtool binary, so a tree that does not need it
	# is not rebuilt because of it.
	HOSTWORKAROUND=(HOSTCFLAGS="-Wno-error=use-after-free -Wno-error=dangling-pointer -Wno-error=array-bounds -Wno-error=stringop-overflow -Wno-error=format-truncation -Wno-error=restrict" WERROR=0)
else
	[ -z "$SRC_ARG" ] || die "--source is for the legacy flavour only ($FLAVOUR builds Debian's linux-source-6.1)"
	CACHE=${NSK_CACHE:-/var/cache/netstack-kmon}/$FLAVOUR-6.1
	SRC_PKG=linux-source-6.1
	TARBALL=/usr/src/$SRC_PKG.tar.xz
	TREE=$CACHE/$SRC_PKG
	KMAKE=(make)
fi

print_result() {
	local kver
	kver=$(cat "$CACHE/kver")
	echo "KVER=$kver"
	echo "KDIR=$TREE"
	echo "KERNEL_IMAGE=$CACHE/vmlinuz-$kver"
	echo "VMLINUX=$TREE/vmlinux"
	# modules_install's tree (modules.builtin, any =m module): what the VM
	# harness copies in for the real-path scenarios (run-vm.sh --modules-dir)
	if [ -f "$CACHE/modroot/lib/modules/$kver/modules.builtin" ]; then
		echo "MODULES_DIR=$CACHE/modroot/lib/modules/$kver"
	else
		echo "MODULES_DIR="
	fi
}

src_version() {
	if [ "$FLAVOUR" = legacy ]; then echo "$SRC $SRCVER"
	else dpkg-query -W -f '${Version}' "$SRC_PKG" 2>/dev/null || echo none; fi
}
want_hash() { { cat "$BASE" "$FRAG" "$SELF"; src_version; } | sha256sum | cut -c1-16; }
is_built() {
	[ -s "$TREE/arch/x86/boot/bzImage" ] && [ -s "$TREE/Module.symvers" ] &&
		[ -s "$CACHE/kver" ] && [ "$(cat "$CACHE/stamp" 2>/dev/null)" = "$(want_hash)" ]
}

if [ $mode = check ]; then
	is_built || { note "the $FLAVOUR kernel is not built (run: $0 $FLAVOUR${SRC:+ --source $SRC})"; exit 1; }
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

LOG=$CACHE/build.log
: >"$LOG"
t0=$(date +%s)
if [ "$FLAVOUR" = legacy ]; then
	# a build directory of our own; the source tree is only read
	if [ "$(cat "$CACHE/src-version" 2>/dev/null)" != "$(src_version)" ]; then
		note "new build directory $TREE for $SRC ($SRCVER)"
		rm -rf "$TREE" "$CACHE/host-workaround"
		src_version >"$CACHE/src-version"
	fi
	mkdir -p "$TREE"
	# An O= build needs a clean source tree (Kbuild refuses otherwise).
	[ ! -f "$SRC/.config" ] && [ ! -d "$SRC/include/config" ] ||
		die "$SRC has been configured or built in place: run 'make mrproper' there first"
	SRCDIR=$SRC
else
	if [ ! -f "$TARBALL" ]; then
		note "installing $SRC_PKG (apt)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$SRC_PKG" >&2 ||
			die "apt-get install $SRC_PKG failed"
	fi
	[ -f "$TARBALL" ] || die "$TARBALL missing after installing $SRC_PKG"
	if [ ! -f "$TREE/Makefile" ] || [ "$(cat "$CACHE/src-version" 2>/dev/null)" != "$(src_version)" ]; then
		note "unpacking $TARBALL into $CACHE"
		rm -rf "$TREE"
		tar -xJf "$TARBALL" -C "$CACHE"
		src_version >"$CACHE/src-version"
	fi
	SRCDIR=$TREE
fi
rm -f "$CACHE/stamp"

cd "$TREE"
note "configuring: tinyconfig + $BASE + $FRAG"
{
	"${KMAKE[@]}" -s tinyconfig
	"$SRCDIR"/scripts/kconfig/merge_config.sh -m .config "$BASE" "$FRAG"
	"$SRCDIR"/scripts/config --file .config --set-str LOCALVERSION "$LOCALVERSION" --disable LOCALVERSION_AUTO
	"${KMAKE[@]}" -s olddefconfig
} >>"$LOG" 2>&1 || die "configuration failed (see $LOG)"

# Every option of both fragments must have survived olddefconfig.  Options
# the tree's Kconfig does not define at all (an old kernel, before they
# existed) cannot apply: they are listed, not failed.
find "$SRCDIR" -name 'Kconfig*' -type f -print0 | xargs -0 grep -hoE '^[[:space:]]*(menu)?config[[:space:]]+[A-Za-z0-9_]+' |
	awk '{ print "CONFIG_" $2 }' | sort -u >"$CACHE/kconfig-symbols"
bad=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*) opt=${line%%=*} ;;
	"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *} ;;
	*) continue ;;
	esac
	if ! grep -qx "$opt" "$CACHE/kconfig-symbols"; then
		note "config: '$line' does not apply: this tree's Kconfig has no $opt"
		continue
	fi
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

if [ "$FLAVOUR" = legacy ]; then
	# The host tools first (fixdep, objtool, libsubcmd: `make prepare`).  If
	# they stop on a gcc 12 warning made an error, retry with HOSTWORKAROUND
	# and say so; the choice is kept for the rebuilds of this tree.
	[ ! -f "$CACHE/host-workaround" ] || KMAKE+=("${HOSTWORKAROUND[@]}")
	if ! "${KMAKE[@]}" -j"$JOBS" prepare >>"$LOG" 2>&1; then
		[ ! -f "$CACHE/host-workaround" ] || { tail -n 30 "$LOG" >&2; die "make prepare failed (see $LOG)"; }
		note "make prepare failed; the errors:"
		grep -E 'error:|Error [0-9]' "$LOG" | head -n 10 >&2
		note "retrying with ${HOSTWORKAROUND[*]} (gcc 12 warnings in the host tools, which build with -Werror)"
		: >"$CACHE/host-workaround"
		KMAKE+=("${HOSTWORKAROUND[@]}")
		"${KMAKE[@]}" -j"$JOBS" prepare >>"$LOG" 2>&1 || { tail -n 30 "$LOG" >&2; die "make prepare failed (see $LOG)"; }
	fi
fi
note "building bzImage + modules with -j$JOBS (log: $LOG)"
"${KMAKE[@]}" -j"$JOBS" bzImage modules >>"$LOG" 2>&1 || { tail -n 30 "$LOG" >&2; die "kernel build failed (see $LOG)"; }
"${KMAKE[@]}" -s kernelrelease >"$CACHE/kver"
# The modules tree as a system would have it (modules.builtin lets the VM's
# modprobe accept the built-in NIC, bridge and nftables drivers by name).
rm -rf "$CACHE/modroot"
"${KMAKE[@]}" INSTALL_MOD_PATH="$CACHE/modroot" modules_install >>"$LOG" 2>&1 ||
	{ tail -n 30 "$LOG" >&2; die "make modules_install failed (see $LOG)"; }
if [ "$FLAVOUR" = legacy ]; then
	# Module builds (make -C $KDIR M=...) enter through the Makefile Kbuild
	# generated in the build directory.  If the tree's own Makefile sets
	# ARCH or CROSS_COMPILE (a vendor snapshot for an ARM board), they must
	# be overridden there too, or modules would be built for ARM.
	if grep -qE '^(ARCH|CROSS_COMPILE)[[:space:]]*:?=' "$SRC/Makefile"; then
		note "$SRC/Makefile sets ARCH/CROSS_COMPILE: overriding them in $TREE/Makefile"
		if grep -q '^MAKEARGS' Makefile; then   # sub-make wrapper (4.19)
			echo 'MAKEARGS += ARCH=x86_64 CROSS_COMPILE=' >>Makefile
		else                                    # include wrapper (5.x)
			sed -i '1a override ARCH := x86_64\noverride CROSS_COMPILE :=' Makefile
		fi
	fi
fi
t1=$(date +%s)
echo "build time: $((t1 - t0)) s (-j$JOBS)" | tee -a "$LOG" >&2
# Name the image after its version too, so tools that infer the version
# from the file name (tests/vm/run-vm.sh --kernel) get it right.
ln -sf "$TREE/arch/x86/boot/bzImage" "$CACHE/vmlinuz-$(cat "$CACHE/kver")"
want_hash >"$CACHE/stamp"
print_result
