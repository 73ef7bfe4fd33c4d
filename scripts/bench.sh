#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: UDP loopback packets/s in the VM under each tracing
# configuration, as a ratio to untraced (docs/performance.md).
#
#   scripts/bench.sh [--wall] [--rate] [--n N] [--configs "a b c ..."]
#                    [--rounds R] [run-vm.sh options...]
#   scripts/bench.sh [--wall] --parse LOG   (tables from a kept console log)
#   scripts/bench.sh --capture [--n N]      (decoder+correlator throughput)
#
# Default: ONE VM in QEMU's deterministic instruction-counting mode (1 vCPU,
# single-threaded TCG, -icount shift=0,sleep=off: 1 guest ns = 1 instruction),
# configurations a..g run twice, interleaved, with (a) at start and end.
# --wall: the cross-check: normal multi-threaded TCG (2 vCPUs), R rounds of
# interleaved configurations (default 5), median pps per configuration.
# --rate: also step a paced load up until the pipeline loses records
# (tests/bench/bench_rate.sh).  Guest scripts and bpftrace scripts live in
# tests/bench/; the console log is kept in build/vm/logs/.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
MODE=icount N='' CONFIGS='' ROUNDS=5 RATE='' PARSE='' VMARGS=()
while [ $# -gt 0 ]; do
	case $1 in
	--wall) MODE=wall ;;
	--rate) RATE=1 ;;
	--parse) PARSE=$2; shift ;;
	--capture) MODE=capture ;;
	--n) N=$2; shift ;;
	--configs) CONFIGS=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	-h|--help) sed -n '3,22p' "$0"; exit 0 ;;
	*) VMARGS+=("$1") ;;
	esac
	shift
done

if [ $MODE = capture ]; then
	N=${N:-50000}
	BUILD_DIR=${BUILD_DIR:-$here/build}
	. "$BUILD_DIR/nsk-paths.sh" 2>/dev/null || true
	tool=${NSK_PATH_TOOL:-$BUILD_DIR/user/netstack-kmon}
	out=$(mktemp)
	"$here/tests/vm/run-vm.sh" --mem 2048 --timeout 1800 --scenario-dir "$here/tests/bench" \
		--env NSK_CAPTURE_N="$N" ${VMARGS[@]+"${VMARGS[@]}"} bench_capture |
		grep -v '^[A-Za-z0-9+/=]\{60,\}$' | tee "$out"
	# the console log of this run (its name carries the kernel version with --kver)
	vmlog=$(sed -n 's/^==== vm: .*log: \(.*\)$/\1/p' "$out" | tail -n1)
	rm -f "$out"
	[ -n "$vmlog" ] || { echo "bench: no VM log for the capture" >&2; exit 1; }
	mkdir -p "$BUILD_DIR/bench"
	cap=$BUILD_DIR/bench/udp-$N.nsk
	awk '/@@CAPTURE-END@@/ { on = 0 } on { print } /@@CAPTURE-BEGIN@@/ { on = 1 }' \
		"$vmlog" | tr -d '\r' | base64 -d >"$cap"
	ev=$("$tool" report "$cap" --json | grep -o '"events":[0-9]*' | tail -n1 | cut -d: -f2)
	echo "capture $cap: $(stat -c %s "$cap") bytes, $ev events"
	for i in 1 2 3 4 5; do
		/usr/bin/time -f '%U %S' -o /tmp/bench-time.$$ "$tool" report "$cap" --json >/dev/null
		read -r u s </tmp/bench-time.$$
		awk -v u="$u" -v s="$s" -v e="$ev" 'BEGIN { printf "report: %.2f s CPU (user %.2f sys %.2f): %.0f events/s\n", u + s, u, s, e / (u + s) }'
	done
	rm -f /tmp/bench-time.$$
	exit 0
fi

if [ $MODE = icount ]; then
	N=${N:-20000}
	CONFIGS=${CONFIGS:-"w a b c d e f g a b c d e f g a"}
	vm=(--icount)
else
	N=${N:-5000}
	one=${CONFIGS:-"a b c d e f g"}
	CONFIGS="w"
	for ((r = 0; r < ROUNDS; r++)); do CONFIGS="$CONFIGS $one"; done
	vm=(--smp 2)
fi
if [ -n "$PARSE" ]; then
	log=$PARSE
else
	bt=$(command -v bpftrace) || { echo "bench: bpftrace not installed (apt-get install bpftrace)" >&2; exit 2; }
	scen=(bench)
	[ -z "$RATE" ] || scen+=(bench_rate)
	log=$(mktemp)
	trap 'rm -f "$log"' EXIT
	# bpftrace (and its ~200 MB of libraries) go into the initramfs: 2 GiB of RAM
	"$here/tests/vm/run-vm.sh" "${vm[@]}" --mem 2048 --timeout 3600 \
		--scenario-dir "$here/tests/bench" --add "$bt:/usr/bin/bpftrace" \
		--env NSK_BENCH_N="$N" --env NSK_BENCH_CONFIGS="$CONFIGS" \
		${VMARGS[@]+"${VMARGS[@]}"} "${scen[@]}" | tee "$log" | grep -E '@@(BENCH|RATE)|FAIL|==== vm' || true
fi
grep -q '@@BENCH-DONE@@' "$log" || { echo "bench: the guest did not finish (see the log above)" >&2; exit 1; }

echo
N=$(grep -o '@@BENCH cfg=a n=[0-9]*' "$log" | head -n1 | sed 's/.*n=//')
echo "mode=$MODE n=$N datagrams of 64 B per run, 127.0.0.1; pps = n / guest time"
awk -v mode="$MODE" '
function median(s,   a, n, i, j, t) {
	n = split(s, a, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
/@@BENCH cfg=/ {
	for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	if (v["cfg"] == "w") next
	if (v["n"] != v["sent"]) bad = bad " " v["cfg"]
	R++; rc[R] = v["cfg"]; rn[R] = v["n"]; rp[R] = v["n"] * 1e9 / v["ns"]
	next
}
# (e) samples flows, not packets: the load is one flow (a random source port)
# and the sampling key (hsiphash) is new at each module load, so each run keeps all or
# nothing of what hashes alike: labelled e.wK, K = records written per datagram
/@@BENCH-LOSS cfg=e / && rc[R] == "e" {
	for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "written") w = kv[2] }
	rc[R] = sprintf("e.w%d", w / rn[R])
}
END {
	for (r = 1; r <= R; r++) {
		c = rc[r]; runs[c] = runs[c] " " rp[r]; cnt[c]++
		if (!(c in seen)) { seen[c] = 1; order[++k] = c }
	}
	if (!("a" in seen)) { print "no untraced run"; exit 1 }
	base = median(runs["a"])
	printf "%-6s %-13s %-10s %-10s %s\n", "cfg", (mode == "icount" ? "instr/pkt" : "median pps"), "pps", "ratio(a)", "runs (pps)"
	for (i = 1; i <= k; i++) {
		c = order[i]; m = median(runs[c])
		printf "%-6s %-13.1f %-10.0f %-10.4f%s\n", c, (mode == "icount" ? 1e9 / m : m), m, m / base, runs[c]
	}
	if (mode == "icount" && cnt["a"] > 1) {
		n = split(runs["a"], a, " "); lo = hi = a[1]
		for (i = 2; i <= n; i++) { if (a[i] < lo) lo = a[i]; if (a[i] > hi) hi = a[i] }
		printf "repeatability of (a) over %d runs: spread %.4f %%\n", n, (hi - lo) / base * 100
	}
	if (bad != "") print "WARNING: datagrams lost in:" bad
}' "$log"
grep -o '@@BENCH-LOSS[^@]*' "$log" | sed 's/@@BENCH-LOSS /loss: /' || true
grep -o '@@RATE[^@]*' "$log" | sed 's/@@RATE /rate: /' || true
