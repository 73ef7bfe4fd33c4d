#!/bin/sh
# Issue 4, scenario 2: a receiver with a small SO_RCVBUF that reads slowly.
# Exact: drops_total == kernel_drops_delta == Udp.RcvbufErrors delta > 0,
# rx_packets + drops_total == N, and every drop carries the rcvbuf reason.
. /scenarios/lib.sh
N=${NSK_N:-3000}
PORT=9010

# a ring that holds the whole burst even if the drain is starved on a busy
# host: this scenario is about exactness without event loss
load_module ring_kb=8192
run nsk-udp-recv --bind 127.0.0.1 --port $PORT --rcvbuf 4096 --delay-us 3000 \
	--idle-ms 3000 --ready-file /tmp/ready --out /tmp/recv.txt --comm slow-app &
RECV=$!
wait_file /tmp/ready 10
start_live --port $PORT
run nsk-udp-send --dst 127.0.0.1 --port $PORT --count $N --pps 2000
wait $RECV
run cat /tmp/recv.txt
stop_live

SOCK=".sockets[local=127.0.0.1:$PORT]"
# exactness below holds when no event was lost (the tool flags a mismatch otherwise)
assert_eq "$(jq_get .loss.ring)" 0 "no record refused by the ring"
assert_eq "$(jq_get .loss.netlink)" 0 "no batch lost on netlink"
RX=$(jq_get $SOCK.rx_packets)
DROPS=$(jq_get $SOCK.drops_total)
KDROPS=$(jq_get $SOCK.kernel_drops_delta)
RCVBUF=$(jq_get .counters.Udp.RcvbufErrors)
assert_gt "$DROPS" 0 "the slow reader dropped datagrams"
assert_eq "$DROPS" "$KDROPS" "drops_total == kernel_drops_delta (/proc/net/udp)"
assert_eq "$DROPS" "$RCVBUF" "drops_total == Udp.RcvbufErrors delta"
assert_eq "$((RX + DROPS))" "$N" "rx_packets + drops_total == N"
assert_eq "$RX" "$(kv received /tmp/recv.txt)" "rx_packets == datagrams the application read"
if netstack-kmon status --json | grep -q '"drop_reasons":true'; then
	assert_eq "$(jq_get $SOCK.drops.SOCKET_RCVBUFF)" "$DROPS" "every drop has reason SOCKET_RCVBUFF"
else
	echo "NOTE: this kernel has no drop reasons (before 5.17): the reason comes from the call site"
	assert_eq "$(jq_get '.drops|sum:count')" "$DROPS" "every drop is in the drop table"
	assert_eq "$(jq_get $SOCK.drops.SOCKET_RCVBUFF)" "$DROPS" "every drop has reason SOCKET_RCVBUFF (by location)"
fi
assert_eq "$(jq_get .journeys.rx.dropped)" "$DROPS" "dropped journeys == drops"
assert_eq "$(jq_get .journeys.rx.complete)" "$RX" "complete journeys == delivered"
for l in ring netlink user incomplete_journeys; do
	assert_eq "$(jq_get .loss.$l)" 0 "loss.$l == 0"
done
unload_module
