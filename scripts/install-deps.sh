#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The Debian packages netstack-kmon needs to build and test (module, tool,
# unit tests, VM scenarios, DKMS): the one list, in groups.
#
#   scripts/install-deps.sh [GROUP|PACKAGE...]
#       install whatever those groups (default: all) and packages need that
#       is missing.  Idempotent: checks with dpkg-query first and prints
#       nothing when all is there.  Runs as root (or through sudo),
#       non-interactively, without recommended packages.
#   scripts/install-deps.sh --check [GROUP|PACKAGE...]
#       install nothing: list what is missing for those groups (default: all)
#       and the command that installs it, exit 1; silent exit 0 if nothing is.
#       The top-level Makefile runs this before building (the preflight).
#
# Groups: tool (`make tool`), module (`make module`), kernel (Debian's
# kernel; for --check any installed kernel with an image and headers will
# do, see scripts/kdir.sh), test (the rest of `make test`), bench (`make
# bench`; not in all), all.  Any other
# word is a package name.
#
# NSK_DPKG_QUERY (default dpkg-query) is what asks dpkg: the preflight test
# points it at a fake that knows no package.
set -euo pipefail

declare -A GROUP
GROUP[tool]="cmake g++ make pkgconf
	libnl-3-dev libnl-genl-3-dev libnl-route-3-dev libcli11-dev nlohmann-json3-dev libboost-test-dev
	libzstd-dev libcpp-httplib-dev                        # user/ finds libnl through pkg-config
	robin-map-dev"                                        # tsl::robin_map: the correlator's flat hash maps
GROUP[module]="make gcc
	dwarves"                                              # pahole: module BTF for kernels that want it (6.12)
GROUP[kernel]="linux-image-amd64 linux-headers-amd64"    # the kernel the VM boots + its build tree
GROUP[test]="qemu-system-x86 busybox-static cpio kmod    # the VM
	python3-prometheus-client                             # /metrics test
	prometheus                                            # real-server scrape test (prometheus + promtool)
	iproute2 tmux python3 xz-utils zstd gzip file
	nftables                                              # nft in the VM image (real-path scenarios, tests/vm/README.md)
	perl                                                  # W=1 kernel builds run scripts/kernel-doc (Pod::Usage)
	dkms                                                  # make dkms-install and its test (tests/dkms)
	clang libclang-rt-14-dev"                             # the fuzzers: -fsanitize=fuzzer links libclang_rt.fuzzer (user/fuzz)
GROUP[bench]="bpftrace                                # make bench: (f) and (g), the bpftrace scripts measured beside the module
	valgrind"                                             # the host callgrind counts of docs/performance.md
GROUPS_ALL="tool module kernel test"

me=${0##*/}
DPKG_QUERY=${NSK_DPKG_QUERY:-dpkg-query}

# the packages of a group, comments dropped
group_pkgs() { sed 's/#[^\n]*$//' <<<"${GROUP[$1]}" | tr -s ' \t\n' '\n' | sed '/^$/d'; }

# the packages of the named groups/packages, each once, in order
PKGS=()
want_kernel=
add() {
	local p
	for p in "$@"; do [[ " ${PKGS[*]} " == *" $p "* ]] || PKGS+=("$p"); done
}
add_word() {
	case $1 in
	all) local g; for g in $GROUPS_ALL; do add_word "$g"; done ;;
	kernel) want_kernel=1; mapfile -t _p < <(group_pkgs kernel); add "${_p[@]}" ;;
	tool|module|test|bench) mapfile -t _p < <(group_pkgs "$1"); add "${_p[@]}" ;;
	*) add "$1" ;;
	esac
}

# missing packages among PKGS -> array missing
find_missing() {
	local installed p
	installed=" $({ "$DPKG_QUERY" -W -f='${Package} ${db:Status-Status}\n' "${PKGS[@]}" 2>/dev/null || true; } |
		awk '$2 == "installed" { printf "%s ", $1 }')"
	missing=()
	for p in "${PKGS[@]}"; do
		[[ $installed == *" $p "* ]] || missing+=("$p")
	done
}

if [ "${1:-}" = --check ]; then
	shift
	[ $# -gt 0 ] || set -- all
	for w in "$@"; do add_word "$w"; done
	if ! command -v "$DPKG_QUERY" >/dev/null; then
		echo "$me: cannot check build dependencies here (no dpkg-query); see README.md" >&2
		exit 0
	fi
	find_missing
	# The kernel group is about having a kernel to build for, whichever
	# package brought it: any kernel with an image and headers will do.
	if [ -n "$want_kernel" ] && "$(dirname "$0")/kdir.sh" >/dev/null 2>&1; then
		kpk=" $(group_pkgs kernel | tr '\n' ' ')"
		keep=()
		for p in "${missing[@]}"; do [[ $kpk == *" $p "* ]] || keep+=("$p"); done
		missing=("${keep[@]}")
	fi
	[ ${#missing[@]} -eq 0 ] && exit 0
	if [ "$(id -u)" = 0 ]; then how="make deps"; else how="sudo make deps"; fi
	{
		echo "Missing packages: ${missing[*]}"
		echo "  run: $how    (every build and test dependency; = ${how%make deps}scripts/install-deps.sh)"
		echo "  or only these: ${how%make deps}apt-get install --no-install-recommends ${missing[*]}"
	} >&2
	exit 1
fi

[ $# -gt 0 ] || set -- all
for w in "$@"; do add_word "$w"; done

command -v "$DPKG_QUERY" >/dev/null || { echo "$me: needs a Debian-based system (dpkg/apt)" >&2; exit 1; }
find_missing
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || { echo "$me: missing ${missing[*]}; run as root" >&2; exit 1; }
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
echo "$me: installing ${missing[*]}" >&2
# another apt (a second checkout's `make deps`, unattended-upgrades): wait for it
APT_OPTS=(-o DPkg::Lock::Timeout=300)
$SUDO apt-get "${APT_OPTS[@]}" update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" install -y -qq --no-install-recommends \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" >&2
"$(dirname "$0")/kdir.sh" >/dev/null ||
	echo "$me: warning: no kernel with both an image and headers is installed" >&2
