#!/bin/sh
# nsk-vm: nics=2
# Issue 15, item 2 (NIC receive and send, TCP with GRO): B bytes over TCP
# from the peer namespace (eth1) to the host (eth0) across the QEMU hub,
# GRO on at eth0 (virtio_net's default), RPS on.  The capture (port filter)
# sees both namespaces: the data one way, the ACKs the other; nothing else
# speaks TCP, so the kernel's TCP counters of the two namespaces move only
# for this connection.  Exact:
#  - bytes: the receiver read B; TCP bytes sent (new data) == B == bytes
#    copied to user; the sender's socket row tx_bytes == B and the
#    receiver's rx_bytes == B; the sender's row is in the peer namespace,
#    the receiver's here;
#  - segments sent (GSO-aware) == delta (OutSegs + RetransSegs), both
#    namespaces; segments received (GRO-aware: an skb GRO built stands for
#    gso_segs segments) == the packets the two NICs received (rx_packets
#    deltas of eth0 and eth1: the wire carries nothing else, IPv6 is off and
#    the neighbours are permanent); received skbs == delta InSegs (6.1 counts
#    one per skb), both namespaces; every received TCP skb reached
#    tcp_v4_rcv;
#  - GRO merged segments (received segments > received skbs);
#  - the TCP accounting relations of the loopback scenarios
#    (assert_tcp_accounting), nothing incomplete, no loss, no kprobe miss.
. /scenarios/lib.sh
B=${NSK_TCP_BYTES:-3000000}
PORT=9052

nic_setup 2
netns_peer peer eth1 10.50.0.2/24 eth0 10.50.0.1/24
rps_on eth0
HOST_NS=$(ns_ino) PEER_NS=$(ns_ino peer)
echo "namespaces: host $HOST_NS, peer $PEER_NS"
load_module ring_kb=8192

tcp_counters() {	# OutSegs+RetransSegs InSegs, summed over both namespaces
	echo "$(( $(snmp_get Tcp OutSegs) + $(snmp_get Tcp RetransSegs) + \
		$(ns_snmp peer Tcp OutSegs) + $(ns_snmp peer Tcp RetransSegs) ))" \
		"$(( $(snmp_get Tcp InSegs) + $(ns_snmp peer Tcp InSegs) ))"
}

tcp_nic() {
	step "$B bytes over TCP, peer 10.50.0.2 (eth1) -> host 10.50.0.1:$PORT (eth0)"
	rm -f /tmp/ready /tmp/recv.txt
	run nsk-tcp --listen 10.50.0.1 --port $PORT --ready-file /tmp/ready --out /tmp/recv.txt \
		--comm tcp-rx-nic &
	RECV=$!
	wait_file /tmp/ready 10
	set -- $(tcp_counters)
	OUT0=$1 IN0=$2
	K0=$(tcp_drop_counters)
	E0=$(( $(if_stat "" eth0 rx_packets) + $(if_stat peer eth1 rx_packets) ))
	start_live --port $PORT
	ns_exec peer nsk-tcp --connect 10.50.0.1 --port $PORT --bytes $B --chunk 16384 \
		--comm tcp-tx-nic || fail "sender failed"
	wait $RECV
	usleep 300000	# the last ACK of the close
	stop_live
	missed_or_retry || return 2
	set -- $(tcp_counters)
	OUT1=$1 IN1=$2
	K1=$(tcp_drop_counters)
	E1=$(( $(if_stat "" eth0 rx_packets) + $(if_stat peer eth1 rx_packets) ))
	run cat /tmp/recv.txt
	echo "kernel (both namespaces): OutSegs+RetransSegs +$((OUT1 - OUT0)) InSegs +$((IN1 - IN0)) NIC rx_packets +$((E1 - E0))"
	run nsk-jq "$NSK_LIVE_OUT" .journeys.tx.tcp .journeys.rx.tcp .journeys.rx.complete .loss

	show_sockets
	echo "coalesced: TcpExt.TCPBacklogCoalesce +$(jq_get .counters.TcpExt.TCPBacklogCoalesce) TCPRcvCoalesce +$(jq_get .counters.TcpExt.TCPRcvCoalesce)"
	expect_eq "$B" "$(kv bytes /tmp/recv.txt)" "the receiver read B bytes"
	expect_eq "$B" "$(jq_get .journeys.tx.tcp.bytes)" "TCP data bytes sent (new data) == B"
	expect_eq "$B" "$(jq_get .journeys.rx.tcp.bytes)" "bytes copied to user == B"
	TX='.sockets[comm=tcp-tx-nic]' RX='.sockets[comm=tcp-rx-nic]'
	expect_eq "$B" "$(jq_get $TX.tcp.tx_bytes)" "sender's socket row: tx_bytes == B"
	expect_eq "$B" "$(jq_get $RX.tcp.rx_bytes)" "receiver's socket row: rx_bytes == B"
	expect_eq "$PEER_NS" "$(jq_get $TX.netns)" "sender's row: the peer namespace"
	expect_eq "$HOST_NS" "$(jq_get $RX.netns)" "receiver's row: this namespace"
	expect_eq "$((OUT1 - OUT0))" "$(jq_get .journeys.tx.tcp.segments)" \
		"segments sent (GSO-aware) == delta OutSegs + RetransSegs (both namespaces)"
	expect_eq "$((E1 - E0))" "$(jq_get .journeys.rx.tcp.segments)" \
		"segments received (GRO-aware) == packets eth0 + eth1 received"
	expect_eq "$((IN1 - IN0))" "$(jq_get .journeys.rx.tcp.journeys)" \
		"skbs received == delta InSegs (both namespaces)"
	expect_eq "$(jq_get .journeys.rx.tcp.journeys)" "$(jq_get .probes_seen.tcp_v4_rcv)" \
		"every received TCP skb reached tcp_v4_rcv"
	expect_gt "$(jq_get .journeys.rx.tcp.segments)" "$(jq_get .journeys.rx.tcp.journeys)" \
		"GRO merged segments (segments received > skbs received)"
	# assert_tcp_accounting's relations, each reported
	expect_eq "$(jq_get .journeys.rx.tcp.data)" \
		"$(( $(jq_get .journeys.rx.complete) + $(jq_get .journeys.rx.tcp.data_dropped) ))" \
		"data segments received == copied to user + dropped"
	expect_eq "$(jq_get .journeys.rx.tcp.data_dropped)" \
		"$(( $(jq_get .journeys.rx.tcp.duplicates) + $(jq_get '.sockets|sum:drops_total') ))" \
		"data segments dropped == duplicate copies + socket data drops"
	expect_eq "$((K1 - K0))" "$(jq_get '.sockets|sum:drops_total')" "socket data drops == TcpExt drop counters delta"
	expect_eq "$(( $(jq_get .journeys.tx.tcp.data) - $(jq_get .journeys.tx.tcp.retransmits) ))" \
		"$(jq_get .journeys.tx.with_sendmsg)" "every new-data segment carries its sendmsg"
	expect_eq "$(jq_get .journeys.rx.complete)" "$(jq_get .totals.end_to_end.count)" \
		"every copied segment has an end-to-end latency (sendmsg in the peer -> read here)"
	expect_eq 0 "$(jq_get .journeys.rx.incomplete)" "no receive journey incomplete"
	expect_eq 0 "$(jq_get .journeys.rx.queued_at_end)" "nothing left queued"
	expect_eq 0 "$(jq_get .journeys.tx.incomplete)" "no send journey incomplete"
	expect_eq missing "$(jq_get .journeys.reversed_stages)" "no stage time went backwards"
	for l in ring netlink user incomplete_journeys; do
		expect_eq 0 "$(jq_get .loss.$l)" "loss.$l == 0"
	done
	for p in tcp_sendmsg tcp_sendmsg_locked ip_queue_xmit ip_output ip_finish_output2 \
		dev_queue_xmit dev_hard_start_xmit netif_receive_skb ip_rcv ip_local_deliver \
		tcp_v4_rcv tcp_queue_rcv tcp_recvmsg tcp_cleanup_rbuf; do
		expect_gt "$(jq_get .probes_seen.$p)" 0 "probe $p saw events"
	done
	expect_done
}
exact_or_retry tcp_nic
unload_module
