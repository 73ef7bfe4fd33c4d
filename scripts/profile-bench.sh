#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest instruction profile of the benchmark (docs/performance.md, "Where a
# record's instructions go"): scripts/bench.sh in icount mode under the QEMU
# plugin tools/qemu-plugin/insn-profile.c, one counting window per run, then
# instructions per function, per configuration, and each traced configuration
# minus the untraced (a).
#
#   scripts/profile-bench.sh [--n N] [--configs "w a k c d"] [--out DIR]
#                            [--report-only] [run-vm.sh options: --kmod KO,
#                            --tool BIN, --workload-dir DIR, --build-dir DIR]
#
# The kernel boots with nokaslr; its symbols, the module's and the
# reader's/tool's code mappings come from the guest (/proc/kallsyms,
# /proc/PID/maps, printed by tests/bench/bench.sh with NSK_PROF=1: Debian's
# System.map is a stub and its vmlinux has no symbols), user symbols from
# `nm` of the host's copies of those files (tools/qemu-plugin/prof-report.py).
# Window files (prof.out.M), the console log and report.txt go to DIR
# (default build/prof).  One VM (~1 min for N = 20 000); the plugin adds no
# guest instructions (icount: guest time = instructions, as without it).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
N=20000 CONFIGS="w a k c d" OUT=$here/build/prof REPORT_ONLY='' ARGS=()
TOOL='' WDIR=''
while [ $# -gt 0 ]; do
	case $1 in
	--n) N=$2; shift ;;
	--configs) CONFIGS=$2; shift ;;
	--out) OUT=$2; shift ;;
	--report-only) REPORT_ONLY=1 ;;
	--tool) TOOL=$2; ARGS+=("$1" "$2"); shift ;;
	--workload-dir) WDIR=$2; ARGS+=("$1" "$2"); shift ;;
	-h|--help) sed -n '3,20p' "$0"; exit 0 ;;
	*) ARGS+=("$1") ;;
	esac
	shift
done
mkdir -p "$OUT"
KVER=$("$here/scripts/kdir.sh")
if [ -z "$REPORT_ONLY" ]; then
	gcc -shared -fPIC -O2 -Wall -o "$OUT/insn-profile.so" "$here/tools/qemu-plugin/insn-profile.c"
	gcc -static -nostdlib -O2 -Wall -o "$OUT/nsk-prof-mark" "$here/tools/qemu-plugin/nsk-prof-mark.c"
	rm -f "$OUT"/prof.out*
	NSK_QEMU_EXTRA="-plugin $OUT/insn-profile.so,out=$OUT/prof.out" \
		"$here/scripts/bench.sh" --n "$N" --configs "$CONFIGS" --append nokaslr \
		--env NSK_PROF=1 --add "$OUT/nsk-prof-mark:/usr/bin/nsk-prof-mark" \
		${ARGS[@]+"${ARGS[@]}"} | tee "$OUT/bench.txt"
	log=$(sed -n 's/^==== vm: .*log: \(.*\)$/\1/p' "$OUT/bench.txt" | tail -n1)
	cp "$log" "$OUT/console.log"
fi
python3 "$here/tools/qemu-plugin/prof-report.py" --dir "$OUT" \
	--sysmap "/boot/System.map-$KVER" \
	--host-file "/usr/bin/netstack-kmon=${TOOL:-$here/build/user/netstack-kmon}" \
	--host-file "/usr/bin/nsk-genl-sub=${WDIR:-$here/build/workload}/nsk-genl-sub" | tee "$OUT/report.txt"
