#!/bin/sh
# Issue 5, scenarios 1 and 2: the UDP send path and loopback end to end.
#  1) N datagrams over IPv4 loopback and N over IPv6 loopback (::1), one
#     capture per family filtered by port, sender connected (so the sk-only
#     sendmsg events carry the peer port and pass the filter).  Exact:
#     totals.tx.count == N, every send stage's count == N, every send journey
#     carries its sendmsg stages, sender tx_packets == N, receiver
#     rx_packets == N, totals.end_to_end.count == N, the receive numbers are
#     the same as without send probes (complete == N, incomplete == 0, no skb
#     reuse), loss zero.
#  2) N datagrams to a port with no listener (IPv4, then IPv6): N drops with
#     the kernel's reason NO_SOCKET == Udp.NoPorts delta (Udp6NoPorts from
#     /proc/net/snmp6).  The ICMP port-unreachable reply is an ICMP journey,
#     not a UDP one: journeys.rx.dropped == N exactly.
. /scenarios/lib.sh
N=${NSK_N:-2000}

load_module ring_kb=8192	# headroom if the drain is starved on a busy host
run ip -6 addr show dev lo
# the reader's buffer holds all N datagrams: this scenario is about the send
# path, and a reader starved on a busy host must not turn into drops
echo 8388608 >/proc/sys/net/core/rmem_max

# udp_path FAMILY DST PORT SOCKET: one capture, N datagrams DST:PORT
udp_path() {
	fam=$1 dst=$2 port=$3 sk=$4
	step "IPv$fam: $N datagrams to $dst port $port"
	rm -f /tmp/ready /tmp/recv.txt
	run nsk-udp-recv --bind "$dst" --port "$port" --expect $N --idle-ms 5000 --rcvbuf 4194304 \
		--ready-file /tmp/ready --out /tmp/recv.txt --comm rx-v$fam &
	RECV=$!
	wait_file /tmp/ready 10
	start_live --port "$port"
	run nsk-udp-send --dst "$dst" --port "$port" --count $N --pps 2000 --connect ||
		fail "sender failed"
	wait $RECV
	run cat /tmp/recv.txt
	stop_live

	assert_eq "$N" "$(kv received /tmp/recv.txt)" "application received every datagram"
	assert_eq "$N" "$(jq_get .totals.tx.count)" "totals.tx.count == N"
	assert_eq "$N" "$(jq_get .journeys.tx.complete)" "journeys.tx.complete == N"
	assert_eq "$N" "$(jq_get .journeys.tx.with_sendmsg)" "every send journey starts at sendmsg"
	assert_eq 0 "$(jq_get .journeys.tx.incomplete)" "journeys.tx.incomplete == 0"
	assert_eq 0 "$(jq_get .journeys.tx.dropped)" "journeys.tx.dropped == 0"
	if [ "$fam" = 4 ]; then
		sendp="sock_sendmsg udp_sendmsg ip_output ip_finish_output2 dev_queue_xmit dev_hard_start_xmit"
		rxp="netif_rx netif_receive_skb ip_rcv ip_local_deliver udp_rcv udp_enqueue udp_dequeue"
	else
		sendp="sock_sendmsg udpv6_sendmsg ip6_output ip6_finish_output2 dev_queue_xmit dev_hard_start_xmit"
		rxp="netif_rx netif_receive_skb ipv6_rcv ip6_input udpv6_rcv udp_enqueue udp_dequeue"
	fi
	for p in $sendp $rxp; do
		assert_eq "$N" "$(jq_get .probes_seen.$p)" "probe $p saw N events"
	done
	# every send stage row (path tx) and every other row has count N
	NST=$(jq_get '.stages|length')
	NTX=0
	i=0
	while [ $i -lt "$NST" ]; do
		S=".stages[$i]"
		[ "$(jq_get $S.path)" = tx ] && NTX=$((NTX + 1))
		assert_eq "$N" "$(jq_get $S.count)" "stage $(jq_get $S.path) $(jq_get $S.from)->$(jq_get $S.to) count == N"
		assert_le "$(jq_get $S.p50_ns)" "$(jq_get $S.max_ns)" "stage $i p50 <= max"
		i=$((i + 1))
	done
	# sendmsg ... dev_hard_start_xmit, and the driver's return (net_dev_xmit) where the
	# kernel has the tracepoint (every kernel of the matrix)
	assert_eq 6 "$NTX" "six send stages (sendmsg ... dev_hard_start_xmit -> net_dev_xmit)"
	assert_eq loopback "$(jq_get .stages[to=netif_rx].path)" "loopback hop row (to the backlog: netif_rx)"
	assert_eq rx "$(jq_get .stages[from=netif_rx].path)" "the backlog: netif_rx -> netif_receive_skb, a receive stage"
	assert_eq "$N" "$(jq_get .totals.end_to_end.count)" "totals.end_to_end.count == N"
	assert_eq "$N" "$(jq_get .journeys.rx.looped)" "every receive journey continues a send journey"
	assert_eq "$N" "$(jq_get .journeys.rx.complete)" "journeys.rx.complete == N"
	assert_eq 0 "$(jq_get .journeys.rx.incomplete)" "journeys.rx.incomplete == 0"
	assert_eq 0 "$(jq_get .journeys.rx.reused_before_end)" "no skb reuse: loopback is a continuation"
	assert_eq "$N" "$(jq_get .totals.rx.count)" "totals.rx.count == N"
	assert_le "$(jq_get .totals.tx.max_ns)" "$(jq_get .totals.end_to_end.max_ns)" "tx max <= end_to_end max"
	assert_eq "$N" "$(jq_get .sockets[local=$sk].rx_packets)" "receiver $sk rx_packets == N"
	assert_eq "$N" "$(jq_get .sockets[remote=$sk].tx_packets)" "sender (connected to $sk) tx_packets == N"
	assert_eq "$N" "$(jq_get .sockets[remote=$sk].tx.count)" "sender's send latency count == N"
	assert_eq "$fam" "$(jq_get .sockets[local=$sk].family)" "receiver family"
	for l in ring netlink user incomplete_journeys; do
		assert_eq 0 "$(jq_get .loss.$l)" "loss.$l == 0"
	done
}

udp_path 4 127.0.0.1 9300 127.0.0.1:9300
udp_path 6 ::1 9301 "[::1]:9301"

# no_listener FAMILY DST PORT: N datagrams to a port nobody listens on
no_listener() {
	fam=$1 dst=$2 port=$3
	step "IPv$fam: $N datagrams to $dst port $port, no listener"
	if [ "$fam" = 4 ]; then P=Udp; else P=Udp6; fi
	B=$(snmp_get $P NoPorts)
	start_live --port "$port"
	run nsk-udp-send --dst "$dst" --port "$port" --count $N --pps 2000 || fail "sender failed"
	stop_live
	A=$(snmp_get $P NoPorts)
	D=$((A - B))
	echo "$P NoPorts: $B -> $A (delta $D)"
	assert_eq "$N" "$D" "$P NoPorts grew by N (only traffic)"
	assert_eq "$D" "$(jq_get .drops[reason=NO_SOCKET].count)" "NO_SOCKET drops == $P NoPorts delta"
	assert_eq "$N" "$(jq_get .journeys.rx.dropped)" "journeys.rx.dropped == N (ICMP replies are not UDP journeys)"
	assert_eq 0 "$(jq_get .journeys.rx.complete)" "no UDP journey completed"
	assert_eq 0 "$(jq_get .journeys.rx.incomplete)" "journeys.rx.incomplete == 0"
	assert_eq "$N" "$(jq_get .journeys.tx.complete)" "every datagram reached the driver"
	if [ "$fam" = 4 ]; then
		assert_eq "$D" "$(jq_get .counters.Udp.NoPorts)" "summary counter Udp.NoPorts == delta"
	fi
	for l in ring netlink user incomplete_journeys; do
		assert_eq 0 "$(jq_get .loss.$l)" "loss.$l == 0"
	done
}

no_listener 4 127.0.0.1 9302
no_listener 6 ::1 9303

check_dmesg
unload_module
