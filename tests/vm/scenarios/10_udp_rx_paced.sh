#!/bin/sh
# Issue 4, scenario 1: N UDP datagrams over loopback, paced so the receiver
# keeps up.  Exact: rx_packets == N == what the application counted;
# journeys.rx.complete == N; every receive stage's count == N; loss all zero;
# p50 <= p99 <= max for every stage.
. /scenarios/lib.sh
N=${NSK_N:-20000}
PORT=9000

load_module ring_kb=8192	# headroom if the drain is starved on a busy host
# a receive buffer that holds the whole run: the receiver keeps up even when
# the emulated CPU stalls it for a while
run sysctl -w net.core.rmem_max=33554432
run nsk-udp-recv --bind 127.0.0.1 --port $PORT --rcvbuf 16777216 --expect $N --idle-ms 5000 \
	--ready-file /tmp/ready --out /tmp/recv.txt --comm rx-app &
RECV=$!
wait_file /tmp/ready 10
start_live --port $PORT
run nsk-udp-send --dst 127.0.0.1 --port $PORT --count $N --pps 4000
wait $RECV
run cat /tmp/recv.txt
stop_live

GOT=$(kv received /tmp/recv.txt)
SOCK=".sockets[local=127.0.0.1:$PORT]"
assert_eq "$GOT" "$N" "application received every datagram"
assert_eq "$(jq_get $SOCK.rx_packets)" "$N" "socket rx_packets == N"
assert_eq "$(jq_get $SOCK.drops_total)" 0 "no drops on the socket"
assert_eq "$(jq_get $SOCK.comm)" rx-app "reader comm"
assert_eq "$(jq_get $SOCK.pid)" "$(kv pid /tmp/recv.txt)" "reader pid"
assert_eq "$(jq_get .journeys.rx.complete)" "$N" "journeys.rx.complete == N"
assert_eq "$(jq_get .journeys.rx.incomplete)" 0 "no incomplete journeys"
assert_eq "$(jq_get .totals.rx.count)" "$N" "totals.rx.count == N"
assert_eq "$(jq_get .totals.queue.count)" "$N" "totals.queue.count == N"
for p in netif_receive_skb ip_rcv ip_local_deliver udp_rcv udp_enqueue udp_dequeue; do
	assert_eq "$(jq_get .probes_seen.$p)" "$N" "probe $p saw N events"
done
NST=$(jq_get '.stages|length')
assert_ge "$NST" 5 "at least 5 receive stages"
i=0
while [ $i -lt "$NST" ]; do
	S=".stages[$i]"
	assert_eq "$(jq_get $S.count)" "$N" "stage $(jq_get $S.from)->$(jq_get $S.to) count == N"
	assert_le "$(jq_get $S.p50_ns)" "$(jq_get $S.p99_ns)" "stage $i p50 <= p99"
	assert_le "$(jq_get $S.p99_ns)" "$(jq_get $S.max_ns)" "stage $i p99 <= max"
	i=$((i + 1))
done
for l in ring netlink user incomplete_journeys; do
	assert_eq "$(jq_get .loss.$l)" 0 "loss.$l == 0"
done
assert_eq "$(jq_get .counters.Udp.InDatagrams)" "$N" "Udp.InDatagrams delta == N (only traffic)"
unload_module
