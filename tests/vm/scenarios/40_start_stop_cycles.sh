#!/bin/sh
# nsk-vm: tcg-thread=single
# Start/stop and unload under load.  UDP (paced sender -> reader) and TCP
# (busybox nc over loopback) traffic run throughout.
#  1. NSK_CYCLES (100; 10 in `make test`, see below) START/STOP cycles
#     (nsk-genl-sub --cycles) while a subscriber
#     reads every batch: it sees exactly one STOPPED message per cycle, and
#     the records it got + the records the kernel could not deliver == the
#     records the kernel sent, summed over all collections;
#  2. NSK_RELOADS (20; 5 in `make test`) cycles of insmod, a collector reading (alternately the tool and
#     nsk-genl-sub), rmmod while collecting: every collector ends by itself
#     within 10 s (no stuck reader);
#  3. memory: with the module gone, Slab and free memory (MemFree + the
#     per-CPU page lists) are back within 1 MiB / 4 MiB of the values before
#     the cycles (both measured with the traffic running and caches dropped;
#     a module load and a collection ran before the first, so one-time
#     kernel allocations are in both).
. /scenarios/lib.sh
PORT=9400
TPORT=9401
# Under QEMU TCG (single-threaded: see the second line) one START/STOP takes
# ~4 s under this traffic and one reload ~6.5 s, so `make test` runs 10
# and 5 (~90 s); the full 100 and 20 take ~10 min:
#   tests/vm/run-vm.sh --env NSK_CYCLES=100 --env NSK_RELOADS=20 --timeout 1500 40_start_stop_cycles
# (results in docs/security.md)
CYCLES=${NSK_CYCLES:-10}
RELOADS=${NSK_RELOADS:-5}

meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
# free memory in KiB: MemFree + the pages parked in the per-CPU page lists
# (free, but not in MemFree; freeing a ring moves MiBs into them)
memfree() {
	echo $(($(meminfo MemFree) + $(awk '$1 == "count:" { n += $2 } END { print n * 4 }' /proc/zoneinfo)))
}
# drop the page cache, dentries and inodes, and make SLUB give back its
# empty and per-CPU partial slabs, so Slab measures objects in use
settle() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	for f in /sys/kernel/slab/*/shrink; do echo 1 >"$f"; done 2>/dev/null
	sleep 1
}
t_start=$(date +%s)

step "traffic: UDP and TCP over loopback"
spawn nsk-udp-recv --bind 127.0.0.1 --port $PORT --idle-ms 600000 \
	--ready-file /tmp/40-ready --out /tmp/40-recv.txt --comm udp-sink
RECV=$SPAWNED
wait_file /tmp/40-ready 10
spawn nsk-udp-send --dst 127.0.0.1 --port $PORT --count 100000000 --pps 1000 >/dev/null
USEND=$SPAWNED
TCP=no
if busybox nc --help 2>&1 | grep -q -- '-l'; then
	# the listener's stdin must stay open (busybox nc ends the connection
	# at EOF on stdin): a FIFO this shell holds open and never writes
	mkfifo /tmp/40-tcp-in.fifo
	exec 7<>/tmp/40-tcp-in.fifo
	busybox nc -l -p $TPORT </tmp/40-tcp-in.fifo >/dev/null &
	TRECV=$!
	usleep 300000
	mkfifo /tmp/40-tcp.fifo
	busybox nc 127.0.0.1 $TPORT </tmp/40-tcp.fifo &
	TSEND=$!
	# ~200 KB/s: 1000-byte writes every 5 ms
	(while :; do head -c 1000 /dev/zero; usleep 5000; done) >/tmp/40-tcp.fifo &
	TFEED=$!
	usleep 500000
	# an established connection to TPORT (the listener is an IPv6
	# dual-stack socket: it shows in tcp6)
	awk -v p=":$(printf '%04X' $TPORT)" '$4 == "01" && (substr($2, length($2) - 4) == p ||
		substr($3, length($3) - 4) == p) { found = 1 } END { exit !found }' \
		/proc/net/tcp /proc/net/tcp6 && TCP=yes
fi
echo "TCP traffic: $TCP"
[ "$TCP" = yes ] || fail "busybox nc could not set up the TCP stream (no -l applet?)"

step "warm-up, then the baseline (traffic running)"
load_module
run nsk-genl-sub --cycles 1 || fail "warm-up START/STOP failed"
unload_module
settle
SLAB0=$(meminfo Slab); FREE0=$(memfree); KSTACK0=$(meminfo KernelStack)
echo "baseline: Slab $SLAB0 KiB, free $FREE0 KiB, KernelStack $KSTACK0 KiB"

step "1: $CYCLES START/STOP cycles while a subscriber reads"
load_module
cycles_with_subscriber "$CYCLES" 40
unload_module
check_dmesg

step "2: $RELOADS x (insmod, collect, rmmod while collecting)"
t0=$(date +%s)
i=1
while [ $i -le "$RELOADS" ]; do
	echo "-- reload $i/$RELOADS"
	load_module
	if [ $((i % 2)) = 1 ]; then
		start_live
		usleep 300000
		run rmmod $NSK_MOD || fail "rmmod while collecting failed (reload $i)"
		wait_live_gone 10 "reload $i: the tool after rmmod"
	else
		rm -f /tmp/40-r.ready
		nsk-genl-sub --start --until-stopped --ready-file /tmp/40-r.ready >/tmp/40-r.txt &
		R=$!
		wait_file /tmp/40-r.ready 10
		usleep 300000
		run rmmod $NSK_MOD || fail "rmmod while collecting failed (reload $i)"
		n=0
		while kill -0 $R 2>/dev/null; do
			n=$((n + 1))
			[ $n -lt 100 ] || fail "nsk-genl-sub still running 10 s after rmmod (reload $i)"
			usleep 100000
		done
		wait $R || fail "nsk-genl-sub failed (reload $i)"
		[ "$(kv stopped /tmp/40-r.txt)" = 1 ] || { cat /tmp/40-r.txt; fail "no STOPPED message at rmmod (reload $i)"; }
	fi
	! module_loaded || fail "module still loaded (reload $i)"
	i=$((i + 1))
done
ok "$RELOADS unloads while collecting; every collector ended by itself"
echo "$RELOADS reloads took $(($(date +%s) - t0)) s"
check_dmesg

step "3: memory after the cycles (traffic still running, as for the baseline)"
settle
SLAB1=$(meminfo Slab); FREE1=$(memfree); KSTACK1=$(meminfo KernelStack)
echo "after: Slab $SLAB1 KiB (was $SLAB0), free $FREE1 KiB (was $FREE0), KernelStack $KSTACK1 KiB (was $KSTACK0)"
kill $USEND $TFEED $TSEND $TRECV $RECV 2>/dev/null
wait $USEND $TFEED $TSEND $TRECV $RECV 2>/dev/null
assert_le "$((SLAB1 - SLAB0))" 1024 "Slab grew by at most 1 MiB"
assert_le "$((FREE0 - FREE1))" 4096 "free memory shrank by at most 4 MiB"
assert_le "$((KSTACK1 - KSTACK0))" 64 "KernelStack grew by at most 64 KiB (no leaked threads)"
echo "scenario took $(($(date +%s) - t_start)) s (guest clock)"
