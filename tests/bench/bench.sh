#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make bench` (scripts/bench.sh): UDP loopback packets/s under
# each tracing configuration, one VM.  Not a pass/fail test.
#
#   NSK_BENCH_CONFIGS  configurations in run order (default below); each line
#                      of output is  @@BENCH cfg=X n=N ns=T ...@@
#   NSK_BENCH_N        datagrams per run (64 bytes, 127.0.0.1)
#
#   a  untraced (module not loaded)      e  live --json --sample 1/10
#   b  module loaded, idle               f  bpftrace: tests/bench/udp-rx-stages.bt
#   c  live --json (all probes)          g  bpftrace: seed-send.bt + seed-recv.bt
#   d  live --json --port 1 (no match)   w  warm-up (untraced, not reported)
#   k  all probes, records read and discarded by a raw subscriber
#      (nsk-genl-sub: one recv per batch, no decoding): the kernel's share
#      of (c), i.e. (c) - (k) is the tool's
# ns = guest CLOCK_MONOTONIC from the sender's first sendto to the receiver's
# last read; in icount mode 1 ns = 1 instruction.
#   NSK_PROF=1         (scripts/profile-bench.sh) each run is a counting window
#                      of the insn-profile QEMU plugin: nsk-prof-mark before
#                      it and after it (+1 s idle for the reader/tool to drain),
#                      @@PROF-MARK M end cfg=X@@ names window file M; module
#                      symbols (/proc/kallsyms) and the reader's/tool's code
#                      mappings follow as @@PROF-KSYM M ...@@, @@PROF-MAPS M ...@@;
#                      at the end the kernel's text symbols (gzip | base64)
. /scenarios/lib.sh

N=${NSK_BENCH_N:-20000}
CONFIGS=${NSK_BENCH_CONFIGS:-"w a b c d e f g a b c d e f g a"}
PORT=9000
# room for every datagram in the receiver's queue: nothing is dropped whoever
# the single vCPU runs, so every configuration does exactly the same work
echo 1073741824 >/proc/sys/net/core/rmem_max
RCVBUF=$((N * 4096 > 1073741824 ? 1073741824 : N * 4096))

kprobes_count() { cat /sys/kernel/debug/kprobes/list 2>/dev/null | wc -l; }

# bpftrace_start OUT SCRIPT...: start bpftrace, return once its kprobes are
# registered (BEGIN runs before the other probes attach: not a signal)
BT_PIDS=
bpftrace_start() {
	local out=$1 s before n=0 want=0
	shift
	before=$(kprobes_count)
	for s in "$@"; do
		want=$((want + $(grep -c '^kprobe:' "$s")))
		BPFTRACE_STRLEN=16 bpftrace "$s" >"$out.${s##*/}" 2>&1 &
		BT_PIDS="$BT_PIDS $!"
	done
	while [ $(($(kprobes_count) - before)) -lt "$want" ]; do
		n=$((n + 1))
		if [ $n -gt 6000 ]; then
			cat "$out".*
			fail "bpftrace did not attach $want kprobes"
		fi
		for p in $BT_PIDS; do
			kill -0 "$p" 2>/dev/null || { cat "$out".*; fail "bpftrace exited at start"; }
		done
		usleep 50000
	done
	sleep 1   # tracepoints attach after the kprobes
	echo "bpftrace attached ($(($(kprobes_count) - before)) kprobes)"
}
bpftrace_stop() {
	local p
	for p in $BT_PIDS; do kill -INT "$p"; done
	for p in $BT_PIDS; do wait "$p"; done
	BT_PIDS=
}

# tool_ticks PID: "utime stime" of a process in clock ticks (/proc/PID/stat)
tool_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12, $13 }'; }

# profiling (NSK_PROF=1): prof_mark LABEL closes the plugin's window M
PROF_N=0
[ -z "${NSK_PROF:-}" ] || echo 0 >/proc/sys/kernel/kptr_restrict
prof_mark() {
	[ -n "${NSK_PROF:-}" ] || return 0
	nsk-prof-mark
	PROF_N=$((PROF_N + 1))
	echo "@@PROF-MARK $PROF_N $1@@"
}
# prof_syms PID...: module symbols and the processes' executable mappings,
# tagged with the window just closed
prof_syms() {
	local p
	[ -n "${NSK_PROF:-}" ] || return 0
	grep -E ' [tT] .*\[' /proc/kallsyms | sed "s/^/@@PROF-KSYM $PROF_N /; s/\$/@@/"
	for p in "$@"; do
		grep ' r-xp .*/' "/proc/$p/maps" | sed "s/^/@@PROF-MAPS $PROF_N /; s/\$/@@/"
	done
}

one_run() {
	local cfg=$1 ns snd rcv rpid
	rm -f /tmp/ready /tmp/recv.txt /tmp/send.txt
	nsk-udp-recv --port $PORT --expect "$N" --rcvbuf "$RCVBUF" --idle-ms 20000 \
		--ready-file /tmp/ready --report-time >/tmp/recv.txt &
	rpid=$!
	wait_file /tmp/ready 30 || fail "receiver not ready"
	prof_mark "pre cfg=$cfg"
	nsk-udp-send --dst 127.0.0.1 --port $PORT --count "$N" --size 64 --report-time >/tmp/send.txt
	wait "$rpid"
	[ -z "${NSK_PROF:-}" ] || sleep 1
	prof_mark "end cfg=$cfg"
	snd=$(kv start_ns /tmp/send.txt)
	rcv=$(kv last_ns /tmp/recv.txt)
	ns=$((rcv - snd))
	echo "@@BENCH cfg=$cfg n=$(kv received /tmp/recv.txt) sent=$(kv sent /tmp/send.txt) ns=$ns" \
		"rcvbuf=$(kv rcvbuf /tmp/recv.txt) ${2:-}@@"
}

for cfg in $CONFIGS; do
	case $cfg in
	a|w) module_loaded && unload_module
	     one_run "$cfg" ;;
	b)   module_loaded || load_module
	     one_run b ;;
	c|d|e)
	     module_loaded || load_module
	     case $cfg in c) start_live ;; d) start_live --port 1 ;; e) start_live --sample 1/10 ;; esac
	     t0=$(tool_ticks "$NSK_LIVE_PID")
	     one_run "$cfg"
	     t1=$(tool_ticks "$NSK_LIVE_PID")
	     prof_syms "$NSK_LIVE_PID"
	     stop_live
	     echo "@@BENCH-LOSS cfg=$cfg events=$(jq_get .events) ring=$(jq_get .loss.ring)" \
		"netlink=$(jq_get .loss.netlink) hits=$(jq_get '.cpus|sum:hits')" \
		"written=$(jq_get '.cpus|sum:written') filtered=$(jq_get '.cpus|sum:filtered')" \
		"sampled_out=$(jq_get '.cpus|sum:sampled_out')" \
		"tool_utime_ticks=$((${t1% *} - ${t0% *})) tool_stime_ticks=$((${t1#* } - ${t0#* }))" \
		"clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)@@" ;;
	k)   # a fresh load: a START without a configuration keeps the module's
	     # last one (a (d) run's port filter)
	     module_loaded && unload_module
	     load_module
	     rm -f /tmp/bench-k.ready
	     nsk-genl-sub --start --ready-file /tmp/bench-k.ready >/tmp/bench-k.txt &
	     K=$!
	     wait_file /tmp/bench-k.ready 60
	     t0=$(tool_ticks $K)
	     one_run k
	     t1=$(tool_ticks $K)
	     prof_syms $K
	     run nsk-genl-sub --stop >/dev/null || fail "k: STOP failed"
	     kill -TERM $K; wait $K
	     # batches= records= gaps= ... stopped_written=
	     echo "@@BENCH-LOSS cfg=k $(cat /tmp/bench-k.txt)" \
		"reader_utime_ticks=$((${t1% *} - ${t0% *})) reader_stime_ticks=$((${t1#* } - ${t0#* }))@@" ;;
	f|g)
	     module_loaded && unload_module
	     if [ $cfg = f ]; then bpftrace_start /tmp/bt /scenarios/udp-rx-stages.bt
	     else bpftrace_start /tmp/bt /scenarios/seed-send.bt /scenarios/seed-recv.bt; fi
	     one_run "$cfg"
	     bpftrace_stop
	     head -c 3000 /tmp/bt.* ;;
	*)   fail "unknown configuration $cfg" ;;
	esac
done
module_loaded && unload_module
# profiling: the kernel's own text symbols (Debian ships no System.map and
# an unsymbolled vmlinux), gzip'd and base64'd, after the last window
if [ -n "${NSK_PROF:-}" ]; then
	echo "@@PROF-KALLSYMS-BEGIN@@"
	grep -E '^[0-9a-f]+ [tT] [^[]*$' /proc/kallsyms | gzip -c | base64
	echo "@@PROF-KALLSYMS-END@@"
fi
echo "@@BENCH-DONE@@"
exit 0
