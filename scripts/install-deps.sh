#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages netstack-kmon needs to build and test (module,
# tool, unit tests, VM scenarios).  Idempotent: checks with dpkg-query first
# and prints nothing when everything is present.
#
#   scripts/install-deps.sh [EXTRA_PACKAGE...]     (e.g. dkms)
#
# Runs as root (or through sudo), non-interactively.
set -euo pipefail

PKGS=(
	linux-image-amd64 linux-headers-amd64     # the kernel the VM boots + its build tree
	qemu-system-x86 busybox-static cpio kmod  # the VM
	cmake g++ make pkgconf                    # build (user/ finds libnl through pkg-config)
	libnl-3-dev libnl-genl-3-dev libcli11-dev nlohmann-json3-dev libboost-test-dev
	libzstd-dev libcpp-httplib-dev python3-prometheus-client  # captures, /metrics + its test
	iproute2 tmux python3 xz-utils zstd gzip file
	perl                                      # W=1 kernel builds run scripts/kernel-doc (Pod::Usage)
	dwarves                                   # pahole: module BTF for kernels that want it (6.12)
	"$@"
)

command -v dpkg-query >/dev/null || { echo "install-deps: needs a Debian-based system (dpkg/apt)" >&2; exit 1; }
installed=" $({ dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PKGS[@]}" 2>/dev/null || true; } |
	awk '$2 == "installed" { printf "%s ", $1 }')"
missing=()
for p in "${PKGS[@]}"; do
	[[ $installed == *" $p "* ]] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || { echo "install-deps: missing ${missing[*]}; run as root" >&2; exit 1; }
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" >&2
"$(dirname "$0")/kdir.sh" >/dev/null ||
	echo "install-deps: warning: no kernel with both an image and headers is installed" >&2
