#!/bin/sh
# nsk-vm: tcg-thread=single
# Memory is bounded.
#  1. An idle module holds no ring: load alone costs < 1 MiB.
#  2. With the largest ring_kb (65536 KiB per CPU) START allocates what
#     docs/security.md says: per online CPU, ring_kb KiB of vmalloc (its
#     ring_kb/4 pages) + the kernel's bookkeeping of that area, 16 bytes per
#     page (an 8-byte entry in the area's page array, an 8-byte page table
#     entry), i.e. ring_kb + ring_kb/256 KiB.  Measured as the drop of free memory (MemFree
#     + the per-CPU page lists of /proc/zoneinfo), within 3 %; after STOP
#     free memory is not lower than before START.  If the guest cannot hold it, START is
#     refused cleanly (ENOMEM, the tool says why) and nothing is left held.
#  3. With a small ring (16 KiB) a 12 s flood is counted as ring loss and
#     memory does not grow: the most memory in use (MemTotal - free memory
#     as above, sampled every 250 ms) in the last 2 s is within 2 MiB of the most in
#     the first 2 s, while ring_full keeps growing.
. /scenarios/lib.sh
PORT=9460

# free memory in KiB: MemFree + the pages parked in the per-CPU page lists
# (free, but not counted in MemFree; a 512 MiB allocation and free moves
# tens of MiB in and out of them)
_memfree() {
	awk '$1 == "MemFree:" { print $2 }' /proc/meminfo
	awk '$1 == "count:" { n += $2 } END { print n * 4 }' /proc/zoneinfo
}
memfree() { set -- $(_memfree); echo $(($1 + $2)); }
memavail() { awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo; }
settle() { sync; echo 3 >/proc/sys/vm/drop_caches; usleep 300000; }
# CPUs 0..N-1 online (the VM has no holes)
NCPU=$(cat /sys/devices/system/cpu/online | awk -F- '{ print ($2 == "" ? 1 : $2 + 1) }')
echo "online CPUs: $NCPU"

step "1: an idle module holds no ring"
# Free memory also moves with whatever else the young guest does between the two readings (one
# CI run saw 3 024 KiB once where every other run saw 70-170): up to 3 tries, each a fresh
# load; a ring held at load (64 MiB per CPU here) would exceed the bound in every try.
try=1
while :; do
	settle; F0=$(memfree)
	load_module ring_kb=65536
	settle; F1=$(memfree)
	echo "try $try: MemFree before load $F0 KiB, after $F1 KiB (module core $(cat /sys/module/$NSK_MOD/coresize) B)"
	[ "$((F0 - F1))" -lt 1024 ] || [ $try -ge 3 ] && break
	echo "NOTE: try $try cost $((F0 - F1)) KiB >= 1 MiB: unloading, trying again"
	unload_module
	try=$((try + 1))
done
assert_lt "$((F0 - F1))" 1024 "loading (idle, ring_kb=65536) costs < 1 MiB"

step "2: largest ring: START allocates what the docs say"
RING_KB=65536
EXPECT=$(( NCPU * (RING_KB + RING_KB / 256) ))
echo "expected: $NCPU CPUs x ($RING_KB + $RING_KB / 256) KiB = $EXPECT KiB"
A=$(memavail)
echo "MemAvailable: $A KiB"
settle; F1=$(memfree)
t0=$(date +%s)
spawn nsk-genl-sub --start --no-join --no-read --ready-file /tmp/46-big.ready >/dev/null 2>/tmp/46-big.err
OWNER=$SPAWNED
n=0
while [ ! -e /tmp/46-big.ready ] && kill -0 $OWNER 2>/dev/null; do usleep 100000; done
if [ -e /tmp/46-big.ready ]; then
	echo "START took $(($(date +%s) - t0)) s"
	settle; F2=$(memfree)
	echo "MemFree while collecting: $F2 KiB (before START: $F1 KiB)"
	run nsk-genl-sub --stop || fail "STOP failed"
	kill $OWNER; wait $OWNER 2>/dev/null
	settle; F3=$(memfree)
	USED=$((F1 - F2))
	echo "free memory: $F1 KiB before START, $F2 KiB collecting, $F3 KiB after STOP"
	echo "START took $USED KiB, STOP gave back $((F3 - F2)) KiB (expected $EXPECT KiB)"
	# a debug kernel adds checker metadata (KASAN's vmalloc shadow: 1/8 of
	# the area; kmemleak objects), so the upper bound is wider there
	UP=3
	if [ -e /sys/kernel/debug/kmemleak ]; then
		UP=15
		echo "NOTE: kmemleak/KASAN kernel: upper bound +$UP % (per-allocation checker metadata)"
	fi
	assert_le "$USED" "$((EXPECT + EXPECT * UP / 100))" "allocation <= expected + $UP %"
	assert_ge "$USED" "$((EXPECT - EXPECT * 3 / 100))" "allocation >= expected - 3 %"
else
	wait $OWNER
	cat /tmp/46-big.err
	assert_gt "$((EXPECT + 65536))" "$A" "START refused only because the guest cannot hold $EXPECT KiB"
	assert_match /tmp/46-big.err 'START refused: Cannot allocate memory: cannot allocate the per-CPU rings' "refused with ENOMEM and a reason"
fi
settle; F3=$(memfree)
echo "MemFree after STOP: $F3 KiB (before START: $F1 KiB)"
# nothing retained (F3 may be higher: START's allocation made the kernel reclaim)
BACK=1024
if [ -e /sys/kernel/debug/kmemleak ]; then
	# KASAN's quarantine (up to 1/32 of memory) and kmemleak's deferred
	# metadata frees hold freed memory for a while: 43 MiB measured
	BACK=$(( $(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo) / 32 ))
	echo "NOTE: kmemleak/KASAN kernel: up to $BACK KiB may still be held after STOP"
fi
assert_lt "$((F1 - F3))" "$BACK" "everything returned at STOP (< $BACK KiB lower than before START)"
unload_module

step "3: small ring under a flood: counted loss, no growth"
load_module ring_kb=16
spawn nsk-udp-recv --bind 127.0.0.1 --port $PORT --idle-ms 600000 \
	--ready-file /tmp/46-ready --out /tmp/46-recv.txt --comm flood-sink
RECV=$SPAWNED
wait_file /tmp/46-ready 10
spawn nsk-genl-sub --start --rcvbuf 65536 --ready-file /tmp/46-sub.ready >/tmp/46-sub.txt
SUB=$SPAWNED
wait_file /tmp/46-sub.ready 10
spawn nsk-udp-send --dst 127.0.0.1 --port $PORT --count 100000000 --pps 0 >/tmp/46-send.txt
SEND=$SPAWNED
sleep 1
# 12 s of flood, MemTotal-MemFree sampled every 250 ms: the maximum of the
# last 2 s may not exceed the maximum of the first 2 s by more than 2 MiB
# while the ring loss keeps growing
used() { echo $(($(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo) - $(memfree))); }
slab() { awk '$1 == "Slab:" { print $2 }' /proc/meminfo; }
ringfull() { netstack-kmon status --json | nsk-jq - '.cpus|sum:ring_full'; }
EARLY=0; LATE=0; i=0
while [ $i -lt 48 ]; do
	[ $i = 8 ] && RF0=$(ringfull) && SLAB0=$(slab)
	u=$(used)
	if [ $i -lt 8 ]; then [ "$u" -gt "$EARLY" ] && EARLY=$u; fi
	if [ $i -ge 40 ]; then [ "$u" -gt "$LATE" ] && LATE=$u; fi
	usleep 250000
	i=$((i + 1))
done
RF1=$(ringfull); SLAB1=$(slab)
kill $SEND; wait $SEND 2>/dev/null
echo "memory in use: max $EARLY KiB in the first 2 s, max $LATE KiB in the last 2 s; ring_full $RF0 -> $RF1 in between; Slab $SLAB0 -> $SLAB1 KiB"
assert_gt "$RF1" "$RF0" "ring loss counted all along the flood"
assert_le "$((LATE - EARLY))" 2048 "memory in use did not grow by more than 2 MiB"
run nsk-genl-sub --stop || fail "STOP failed"
kill $SUB; wait $SUB
cat /tmp/46-sub.txt
netstack-kmon status --json >/tmp/46-st.json
for f in hits written ring_full filtered sampled_out sent netlink_fail; do
	eval "$f=\$(nsk-jq /tmp/46-st.json '.cpus|sum:$f')"
done
echo "hits=$hits written=$written ring_full=$ring_full filtered=$filtered sampled_out=$sampled_out sent=$sent"
assert_eq "$hits" "$((written + ring_full + filtered + sampled_out))" "hits == written + ring_full + filtered + sampled_out"
assert_eq "$written" "$sent" "written == sent"
kill $RECV; wait $RECV 2>/dev/null
unload_module
