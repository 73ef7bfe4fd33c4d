#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Get a kernel to build the module against and boot in the test VM, without
# installing it on the host (Debian's 6.1 stays the default target kernel).
#
#   scripts/get-kernel.sh [--refresh] FLAVOUR
#
#   6.1    the installed Debian kernel (scripts/kdir.sh): just print its paths
#   6.12   bookworm-security: the newest linux-image-6.12.*+deb12-amd64-unsigned
#          apt knows, with its linux-headers (+ -common) and linux-kbuild
#   5.10   bullseye / bullseye-security: same packages, resolved through a
#          private apt configuration in the cache (the host's apt sources,
#          lists and pins are not touched)
#   nobpf  6.1 built from linux-source-6.1 without bpf()
#          (scripts/build-kernel.sh nobpf; slow the first time)
#   debug  6.1 built from linux-source-6.1 with KASAN, lockdep, kmemleak,
#          DEBUG_ATOMIC_SLEEP (scripts/build-kernel.sh debug; 15-25 min the
#          first time)
#   5.4, 4.19 (any X.Y older than 5.10)
#          built from a kernel source tree of that series that you provide
#          (kernel.org is not reachable here; docs/compat.md names the trees
#          used): NSK_KERNEL_SRC lists source trees (separated by spaces or
#          colons); the one whose Makefile says X.Y is built by
#          `scripts/build-kernel.sh legacy --source TREE` (15-25 min the
#          first time, cached).  e.g.
#          NSK_KERNEL_SRC=/work/legacy-src/linux-5.4.286 scripts/get-kernel.sh 5.4
#
# Prints KEY=value lines:
#   KVER          kernel release (vermagic), e.g. 6.12.117+deb12-amd64
#   KDIR          headers build dir: make -C $KDIR M=$PWD/kmod modules
#   KERNEL_IMAGE  bzImage/vmlinuz to boot
#   MODULES_DIR   lib/modules/$KVER from the image package (empty if none)
# e.g.  eval "$(scripts/get-kernel.sh 6.12)"
#
# The .debs are downloaded with `apt-get download` into
# ${NSK_CACHE:-/var/cache/netstack-kmon}/kernels/<KVER>/debs and unpacked with
# `dpkg -x` into .../root.  The headers' Makefile includes the -common tree by
# an absolute /usr/src path: it is rewritten to point into the cache.  If the
# compiler the headers name (gcc-10 for 5.10) is not installed, their CC is
# set to plain `gcc` (gcc 12 builds 5.10 modules fine).  Headers that build
# module BTF (6.12) need pahole: dwarves is installed if missing.
# The answer is cached in kernels/<FLAVOUR>.env: a second run is instant and
# offline; --refresh looks for a newer version again.
set -euo pipefail

me=${0##*/}
die() { echo "$me: error: $*" >&2; exit 2; }
note() { echo "$me: $*" >&2; }

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${NSK_CACHE:-/var/cache/netstack-kmon}
KCACHE=$CACHE/kernels

refresh=
while [ $# -gt 0 ]; do
	case $1 in
	--refresh) refresh=1 ;;
	-h|--help) sed -n '3,43p' "$0"; exit 0 ;;
	-*) die "unknown option: $1 (see --help)" ;;
	*) break ;;
	esac
	shift
done
[ $# -eq 1 ] || die "usage: $me [--refresh] 6.1|6.12|5.10|nobpf|debug|5.4|4.19"
flavour=$1

case $flavour in
6.1)
	kver=$("$REPO/scripts/kdir.sh") || die "no installed kernel with headers (run: make deps)"
	echo "KVER=$kver"
	echo "KDIR=/lib/modules/$kver/build"
	echo "KERNEL_IMAGE=/boot/vmlinuz-$kver"
	echo "MODULES_DIR=/lib/modules/$kver"
	exit 0 ;;
nobpf)
	exec "$REPO/scripts/build-kernel.sh" nobpf ;;
debug)
	exec "$REPO/scripts/build-kernel.sh" debug ;;
6.12|5.10) ;;
[1-9].[0-9]|[1-9].[0-9][0-9])
	# a kernel series built from a source tree in NSK_KERNEL_SRC
	tree= best=
	for t in ${NSK_KERNEL_SRC//:/ }; do
		[ -f "$t/Makefile" ] || { note "NSK_KERNEL_SRC: $t has no Makefile, skipped"; continue; }
		v=$(sed -n 's/^VERSION[[:space:]]*=[[:space:]]*//p' "$t/Makefile" | head -n1)
		p=$(sed -n 's/^PATCHLEVEL[[:space:]]*=[[:space:]]*//p' "$t/Makefile" | head -n1)
		sl=$(sed -n 's/^SUBLEVEL[[:space:]]*=[[:space:]]*//p' "$t/Makefile" | head -n1)
		[ "$v.$p" = "$flavour" ] || continue
		# the newest release of the series if several trees are given
		if [ -z "$tree" ] || [ "${sl:-0}" -gt "$best" ]; then tree=$t best=${sl:-0}; fi
	done
	[ -n "$tree" ] || die "no $flavour source tree in NSK_KERNEL_SRC='${NSK_KERNEL_SRC:-}' (give the tree: NSK_KERNEL_SRC=/path/to/linux-$flavour.N; docs/compat.md)"
	NSK_KERNEL_SRC= exec "$REPO/scripts/build-kernel.sh" legacy --source "$tree" ;;
*) die "unknown flavour '$flavour' (6.1, 6.12, 5.10, nobpf, debug, or a series such as 5.4 with NSK_KERNEL_SRC)" ;;
esac

mkdir -p "$KCACHE"
envfile=$KCACHE/$flavour.env

# Cached answer: valid while every path it names still exists.
cached_ok() {
	[ -s "$envfile" ] || return 1
	local k v
	while IFS='=' read -r k v; do
		case $k in KDIR|KERNEL_IMAGE) [ -e "$v" ] || return 1 ;; esac
	done <"$envfile"
}
if [ -z "$refresh" ] && cached_ok; then
	cat "$envfile"
	exit 0
fi

exec 9>"$KCACHE/.$flavour.lock"
flock 9
if [ -z "$refresh" ] && cached_ok; then cat "$envfile"; exit 0; fi

# apt downloads as the unprivileged _apt user when it can write there
apt_sandbox() { if id _apt >/dev/null 2>&1; then chown _apt "$@"; fi; }

# apt: 6.12 comes from the host's own sources (bookworm-security); 5.10 from
# a private configuration under the cache, so the host never sees bullseye.
APT=(apt-get -q)
APTCACHE=(apt-cache)
if [ "$flavour" = 5.10 ]; then
	aroot=$KCACHE/apt-bullseye
	mkdir -p "$aroot/lists/partial" "$aroot/cache/archives/partial" "$aroot/etc/parts.d"
	apt_sandbox "$aroot/lists/partial" "$aroot/cache/archives/partial"
	cat >"$aroot/etc/sources.list" <<-EOF
	deb [signed-by=/usr/share/keyrings/debian-archive-bullseye-stable.gpg] http://deb.debian.org/debian bullseye main
	deb [signed-by=/usr/share/keyrings/debian-archive-bullseye-security-automatic.gpg] http://deb.debian.org/debian-security bullseye-security main
	EOF
	: >"$aroot/etc/preferences"
	opts=(-o Dir::Etc::sourcelist="$aroot/etc/sources.list" -o Dir::Etc::sourceparts="$aroot/etc/parts.d"
		-o Dir::Etc::preferences="$aroot/etc/preferences" -o Dir::Etc::preferencesparts="$aroot/etc/parts.d"
		-o Dir::State::Lists="$aroot/lists" -o Dir::Cache="$aroot/cache"
		-o APT::Get::List-Cleanup=0)
	APT+=("${opts[@]}")
	APTCACHE+=("${opts[@]}")
	if [ -n "$refresh" ] || ! ls "$aroot"/lists/*_Packages* >/dev/null 2>&1; then
		note "apt-get update (private bullseye lists in $aroot)"
		"${APT[@]}" update >&2 || die "apt-get update for bullseye failed"
	fi
	pattern='^linux-image-5\.10\.0-[0-9]+-amd64-unsigned$'
else
	pattern='^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$'
fi

# The newest image package: sort by the candidate version apt would pick.
img=$("${APTCACHE[@]}" pkgnames linux-image- | grep -E "$pattern" | while read -r p; do
	v=$("${APTCACHE[@]}" policy "$p" | awk '/Candidate:/ { print $2 }')
	[ -n "$v" ] && [ "$v" != "(none)" ] && echo "$v $p"
done | sort -V | tail -n1) || true
[ -n "$img" ] || die "apt knows no package matching $pattern (apt-get update?)"
version=${img%% *} img=${img#* }
kver=${img#linux-image-} kver=${kver%-unsigned}           # 6.12.117+deb12-amd64
abi=${kver%-amd64}                                          # 6.12.117+deb12
hdr=linux-headers-$kver common=linux-headers-$abi-common
kbuild=$("${APTCACHE[@]}" show "$hdr=$version" | sed -n 's/^Depends:.*\(linux-kbuild-[^ ,]*\).*/\1/p' | head -n1)
[ -n "$kbuild" ] || die "cannot tell which linux-kbuild package $hdr needs"
note "$flavour: $img $version (+ $hdr, $common, $kbuild)"

dir=$KCACHE/$kver
mkdir -p "$dir/debs"
apt_sandbox "$dir/debs"
(
	cd "$dir/debs"
	for p in "$img" "$hdr" "$common" "$kbuild"; do
		ls "${p}_"*.deb >/dev/null 2>&1 && continue
		note "apt-get download $p=$version"
		"${APT[@]}" download "$p=$version" >&2 || die "apt-get download $p=$version failed"
	done
)
if [ ! -f "$dir/root/.unpacked" ]; then
	rm -rf "$dir/root"
	mkdir -p "$dir/root"
	for d in "$dir"/debs/*.deb; do
		note "dpkg -x ${d##*/}"
		dpkg -x "$d" "$dir/root"
	done
	: >"$dir/root/.unpacked"
fi

KDIR=$dir/root/usr/src/linux-headers-$kver
[ -f "$KDIR/Makefile" ] || die "$KDIR/Makefile missing after unpacking"
# include /usr/src/linux-headers-<abi>-common/Makefile -> the cached copy
sed -i "s|^include /usr/src/|include $dir/root/usr/src/|" "$KDIR/Makefile"
grep -q "^include $dir/root/usr/src/linux-headers-$abi-common/Makefile" "$KDIR/Makefile" ||
	die "unexpected $KDIR/Makefile: $(cat "$KDIR/Makefile")"
[ -d "$KDIR/scripts/" ] || die "$KDIR/scripts does not resolve (the $kbuild package?)"
# the release the package is named for is the one the tree builds for (the
# Makefile's KDIR= rule, scripts/kdir.sh --kver-of)
tkver=$("$REPO/scripts/kdir.sh" --kver-of "$KDIR") || die "cannot tell the release of $KDIR"
[ "$tkver" = "$kver" ] || die "$KDIR builds for $tkver, not $kver"
# The compiler the headers ask for (CC = ... gcc-10): if it is not on this
# host, use plain gcc.
kcc=$(sed -n 's/^CC = .*(CROSS_COMPILE)\(gcc[-0-9]*\)$/\1/p' "$KDIR/.kernelvariables")
if [ -n "$kcc" ] && ! command -v "$kcc" >/dev/null; then
	note "$kcc not installed: the cached headers use gcc ($(gcc -dumpversion))"
	sed -i "s|(CROSS_COMPILE)$kcc\$|(CROSS_COMPILE)gcc|" "$KDIR/.kernelvariables"
fi

# Module BTF (CONFIG_DEBUG_INFO_BTF_MODULES, 6.12) runs pahole: the kbuild
# package depends on it, which `dpkg -x` does not honour.
if grep -q '^CONFIG_DEBUG_INFO_BTF_MODULES=y' "$KDIR/.config" && ! command -v pahole >/dev/null; then
	note "these headers need pahole (module BTF): apt-get install dwarves"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q dwarves >&2 || die "cannot install dwarves (pahole)"
fi

IMAGE=$dir/root/boot/vmlinuz-$kver
[ -f "$IMAGE" ] || die "$IMAGE missing after unpacking"
{
	echo "KVER=$kver"
	echo "KDIR=$KDIR"
	echo "KERNEL_IMAGE=$IMAGE"
	echo "MODULES_DIR=$dir/root/lib/modules/$kver"
} >"$envfile.tmp"
mv "$envfile.tmp" "$envfile"
cat "$envfile"
