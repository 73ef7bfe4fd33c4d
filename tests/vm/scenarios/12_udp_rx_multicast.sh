#!/bin/sh
# Issue 4, scenario 3: multicast to a group with 3 receiving sockets in 3
# processes, one of them slow.  Each fast socket sees N, the slow one's drops
# equal its /proc/net/udp drops delta, no drop is attributed to the fast ones,
# and pids and comms are right.
. /scenarios/lib.sh
N=${NSK_N:-2000}
PORT=9100
GROUP=239.1.2.3

load_module ring_kb=8192	# headroom if the drain is starved on a busy host
run ip link set lo multicast on
run ip route add 224.0.0.0/4 dev lo
# the fast sockets hold all N datagrams (SO_RCVBUF is capped by rmem_max):
# on a loaded host a fast reader's vCPU can stall for longer than its
# default buffer lasts, and this scenario is about the slow one's drops
echo 8388608 >/proc/sys/net/core/rmem_max
PIDS=
for c in fast-a fast-b; do
	run nsk-udp-recv --port $PORT --group $GROUP --idle-ms 3000 --expect $N \
		--rcvbuf 4194304 --ready-file /tmp/ready.$c --out /tmp/recv.$c --comm $c &
	PIDS="$PIDS $!"
done
run nsk-udp-recv --port $PORT --group $GROUP --idle-ms 3000 --rcvbuf 4096 \
	--delay-us 3000 --ready-file /tmp/ready.slow-c --out /tmp/recv.slow-c --comm slow-c &
PIDS="$PIDS $!"
for c in fast-a fast-b slow-c; do wait_file /tmp/ready.$c 10; done
start_live --port $PORT
run nsk-udp-send --dst $GROUP --port $PORT --count $N --pps 2000
wait $PIDS
cat /tmp/recv.fast-a /tmp/recv.fast-b /tmp/recv.slow-c
stop_live

for c in fast-a fast-b; do
	S=".sockets[comm=$c]"
	assert_eq "$(kv received /tmp/recv.$c)" "$N" "$c application received N"
	assert_eq "$(jq_get $S.rx_packets)" "$N" "$c rx_packets == N"
	assert_eq "$(jq_get $S.drops_total)" 0 "no drop attributed to $c"
	assert_eq "$(jq_get $S.kernel_drops_delta)" 0 "$c kernel drops == 0"
	assert_eq "$(jq_get $S.pid)" "$(kv pid /tmp/recv.$c)" "$c pid"
done
S=".sockets[comm=slow-c]"
assert_gt "$(jq_get $S.drops_total)" 0 "slow-c dropped"
assert_eq "$(jq_get $S.drops_total)" "$(jq_get $S.kernel_drops_delta)" "slow-c drops == /proc/net/udp drops delta"
assert_eq "$(jq_get $S.pid)" "$(kv pid /tmp/recv.slow-c)" "slow-c pid"
assert_eq "$(( $(jq_get $S.rx_packets) + $(jq_get $S.drops_total) ))" "$N" "slow-c rx + drops == N"
assert_eq "$(jq_get $S.rx_packets)" "$(kv received /tmp/recv.slow-c)" "slow-c rx_packets == read"
assert_eq "$(jq_get .journeys.rx.complete)" "$(( 2 * N + $(jq_get $S.rx_packets) ))" "one journey per delivered copy"
for l in ring netlink user incomplete_journeys; do
	assert_eq "$(jq_get .loss.$l)" 0 "loss.$l == 0"
done
unload_module
