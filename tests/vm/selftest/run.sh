#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Self-test of the VM harness (run-vm.sh): what it does when the emulator or
# the guest kernel misbehaves.  CTest: vm.harness_selftest.
#  1. a boot that never gets past the firmware (QEMU started with its vCPUs
#     stopped) is killed after --boot-timeout and retried once, loudly, and
#     the retry runs the scenario;
#  2. a WARN that does not panic (--no-panic-on-warn) in a scenario that then
#     hangs for 10 minutes ends the VM within seconds, the scenario fails as
#     "guest kernel error: WARNING: ..." and the WARN's report is printed;
#  3. an oops (oops=panic) fails the scenario it happened in, with the oops.
# The WARN and the oops come from tests/vm/selftest/nsk_splat.c, built here.
#
#   tests/vm/selftest/run.sh --kdir KDIR [run-vm.sh options...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
KDIR='' BUILD_DIR="$repo/build" args=()
while [ $# -gt 0 ]; do
	case $1 in
	--kdir) KDIR=$2; shift ;;
	--build-dir) BUILD_DIR=$2; args+=("$1" "$2"); shift ;;
	*) args+=("$1") ;;
	esac
	shift
done
[ -d "$KDIR" ] || { echo "selftest: kernel build tree not found: '$KDIR' (--kdir)" >&2; exit 2; }

out=$BUILD_DIR/vm-selftest
rm -rf "$out" && mkdir -p "$out/splat"
cp "$here/nsk_splat.c" "$here/Kbuild" "$out/splat/"
make -C "$KDIR" M="$out/splat" modules >"$out/splat/build.log" 2>&1 ||
	{ cat "$out/splat/build.log"; echo "FAIL: could not build the splat fixture"; exit 1; }
# its console logs hold a WARN and an oops on purpose: not among the product's
export NSK_VM_LOG_DIR="$out/logs"
vm() { "$repo/tests/vm/run-vm.sh" "${args[@]}" --scenario-dir "$here" \
	--add "$out/splat/nsk_splat.ko:/lib/nsk_splat.ko" "$@"; }

failures=0
check() { # check FILE ERE MSG
	if grep -Eq -- "$2" "$1"; then echo "ok: $3"
	else echo "FAIL: $3: /$2/ not in the harness output"; failures=$((failures + 1)); fi
}
show() { sed 's/^/  | /' "$1"; }

echo "## 1: a boot stalled in the firmware is killed and retried once"
set +e; vm --test-stall-first-boot --boot-timeout 15 boots >"$out/stall.txt" 2>&1; rc=$?; set -e
show "$out/stall.txt"
[ $rc = 0 ] && echo "ok: the retried boot passed" || { echo "FAIL: exit $rc, expected 0"; failures=$((failures + 1)); }
check "$out/stall.txt" '^==== vm: BOOT STALL: the guest did not reach /init within 15 s \(last console line: none\)' "the stall is reported loudly"
check "$out/stall.txt" '^---- PASS boots' "the scenario ran on the second boot"

echo "## 2: a WARN without panic ends a hanging scenario at once"
t0=$(date +%s)
set +e; vm --no-panic-on-warn --timeout 400 warn_then_hang >"$out/warn.txt" 2>&1; rc=$?; set -e
took=$(($(date +%s) - t0))
show "$out/warn.txt"
[ $rc = 1 ] && echo "ok: run-vm.sh failed (exit 1)" || { echo "FAIL: exit $rc, expected 1"; failures=$((failures + 1)); }
check "$out/warn.txt" '^---- FAIL warn_then_hang: guest kernel error: WARNING: ' "the scenario fails with the WARN's first line"
check "$out/warn.txt" '^==== vm: guest kernel error during warn_then_hang: WARNING: ' "the VM summary names the scenario and the WARN"
check "$out/warn.txt" '^\[ *[0-9.]+\] RIP: .*nsk_splat_init' "the WARN's report (with its call site) is printed"
if grep -q 'VM timed out' "$out/warn.txt" || [ $took -ge 300 ]; then
	echo "FAIL: the VM ran on after the WARN (${took} s)"; failures=$((failures + 1))
else
	echo "ok: the VM was ended ${took} s after start, not by the 400 s timeout (the scenario sleeps 600 s)"
fi

echo "## 3: an oops fails the scenario it happened in"
set +e; vm --timeout 400 boots oops >"$out/oops.txt" 2>&1; rc=$?; set -e
show "$out/oops.txt"
[ $rc = 1 ] && echo "ok: run-vm.sh failed (exit 1)" || { echo "FAIL: exit $rc, expected 1"; failures=$((failures + 1)); }
check "$out/oops.txt" '^---- FAIL oops: guest kernel error: BUG: kernel NULL pointer dereference' "the oops names its scenario"
check "$out/oops.txt" '^\[ *[0-9.]+\] RIP: .*nsk_splat_init' "the oops report is printed"
check "$out/oops.txt" '^---- PASS boots' "the scenario before it passed"

[ $failures = 0 ] || { echo "selftest: $failures check(s) failed"; exit 1; }
echo "selftest: the harness handles a stalled boot, a WARN and an oops"
