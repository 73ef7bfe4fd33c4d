#!/bin/sh
# Issue 5, scenario 3: a TCP transfer of B bytes over loopback (IPv4, then
# IPv6), collected with a filter on the port.  Nothing else speaks TCP in the
# guest, so the kernel's own TCP counters move only for this connection
# (handshake, data, ACKs, FINs: both directions pass the port filter).
# Exact relations, per family:
#  - bytes: the receiver read B; the tool's TCP bytes sent (new data of the
#    send journeys) == B == bytes copied to user (copied_seq advance);
#  - segments sent: sum over send journeys that reached the driver of the
#    segments each skb stands for (GSO) == delta Tcp.OutSegs + RetransSegs;
#  - segments received: receive journeys seen at tcp_v{4,6}_rcv == delta
#    Tcp.InSegs (one per skb received: loopback has no GRO);
#  - every data segment received is copied to user or dropped as a duplicate
#    copy (a kernel that segments in software sends fewer skbs than arrive) (spurious retransmissions happen
#    in a slow emulated VM), none incomplete or left queued; socket data
#    drops == the kernel's TcpExt drop counters delta (0);
#  - every new-data segment carries its sendmsg (matched by sequence number)
#    and has an end-to-end latency (sendmsg -> read);
#  - every send and receive stage is present, no stage time goes backwards,
#    no event lost.
. /scenarios/lib.sh
B=${NSK_TCP_BYTES:-3000000}
PORT=9530

load_module ring_kb=8192	# headroom if the drain is starved on a busy host

tcp_transfer() {
	fam=$1 addr=$2
	step "IPv$fam: $B bytes over TCP to $addr port $PORT"
	rm -f /tmp/ready /tmp/recv.txt
	run nsk-tcp --listen "$addr" --port $PORT --ready-file /tmp/ready --out /tmp/recv.txt \
		--comm tcp-rx-v$fam &
	RECV=$!
	wait_file /tmp/ready 10
	O0=$(snmp_get Tcp OutSegs) R0=$(snmp_get Tcp RetransSegs) I0=$(snmp_get Tcp InSegs)
	K0=$(tcp_drop_counters)
	start_live --port $PORT
	run nsk-tcp --connect "$addr" --port $PORT --bytes $B --chunk 16384 --comm tcp-tx-v$fam ||
		fail "sender failed"
	wait $RECV
	usleep 200000	# the last ACK of the close
	stop_live
	missed_or_retry || return 2
	O1=$(snmp_get Tcp OutSegs) R1=$(snmp_get Tcp RetransSegs) I1=$(snmp_get Tcp InSegs)
	K1=$(tcp_drop_counters)
	run cat /tmp/recv.txt
	echo "kernel: OutSegs +$((O1 - O0)) RetransSegs +$((R1 - R0)) InSegs +$((I1 - I0))"
	run nsk-jq "$NSK_LIVE_OUT" .journeys.tx.tcp .journeys.rx.tcp .journeys.rx.complete

	assert_eq "$B" "$(kv bytes /tmp/recv.txt)" "the receiver read B bytes"
	assert_eq "$B" "$(jq_get .journeys.tx.tcp.bytes)" "TCP data bytes sent (new data) == B"
	assert_eq "$B" "$(jq_get .journeys.rx.tcp.bytes)" "bytes copied to user == B"
	assert_eq "$((O1 - O0 + R1 - R0))" "$(jq_get .journeys.tx.tcp.segments)" \
		"segments sent (GSO-aware) == delta Tcp.OutSegs + Tcp.RetransSegs"
	assert_eq "$((I1 - I0))" "$(jq_get .journeys.rx.tcp.journeys)" \
		"segments received == delta Tcp.InSegs"
	assert_eq "$(jq_get .journeys.rx.tcp.journeys)" "$(jq_get .probes_seen.tcp_v${fam}_rcv)" \
		"every received TCP skb reached tcp_v${fam}_rcv"
	assert_gt "$(jq_get .journeys.tx.tcp.data)" 0 "data segments were sent"
	# spurious retransmissions happen in a slow emulated VM: their copies are the only
	# drops allowed, and no data is lost (the TcpExt drop counters do not move)
	assert_tcp_accounting "$((K1 - K0))"
	assert_eq 0 "$(jq_get .journeys.rx.incomplete)" "no receive journey incomplete"
	assert_eq 0 "$(jq_get .journeys.rx.queued_at_end)" "nothing left queued"
	assert_eq 0 "$(jq_get .journeys.tx.incomplete)" "no send journey incomplete"
	assert_eq missing "$(jq_get .journeys.reversed_stages)" "no stage time went backwards"
	assert_eq 0 "$(jq_get .loss.ring)" "no ring loss"
	assert_eq 0 "$(jq_get .loss.netlink)" "no netlink loss"
	if [ "$fam" = 4 ]; then
		probes="tcp_sendmsg tcp_sendmsg_locked ip_queue_xmit ip_output
			ip_finish_output2 dev_queue_xmit dev_hard_start_xmit netif_receive_skb ip_rcv
			ip_local_deliver tcp_v4_rcv tcp_queue_rcv tcp_recvmsg tcp_cleanup_rbuf"
	else
		probes="tcp_sendmsg tcp_sendmsg_locked ip6_xmit ip6_output
			ip6_finish_output2 dev_queue_xmit dev_hard_start_xmit netif_receive_skb ipv6_rcv
			ip6_input tcp_v6_rcv tcp_queue_rcv tcp_recvmsg tcp_cleanup_rbuf"
	fi
	for p in $probes; do
		assert_gt "$(jq_get .probes_seen.$p)" 0 "probe $p saw events"
	done
	# the send stages from sendmsg to the driver and the queue stage exist
	assert_gt "$(jq_get '.stages[from=tcp_sendmsg_locked].count')" 0 "stage tcp_sendmsg_locked -> IP"
	assert_gt "$(jq_get '.stages[to=tcp_cleanup_rbuf].count')" 0 "stage queue -> tcp_cleanup_rbuf"
	assert_gt "$(jq_get '.stages[to=dev_hard_start_xmit].count')" 0 "stage -> dev_hard_start_xmit"
}

# (sock_sendmsg is not required: on 6.12 write()/sendto() reach the inlined
# __sock_sendmsg, never sock_sendmsg; docs/compat.md)
exact_or_retry tcp_transfer 4 127.0.0.1
exact_or_retry tcp_transfer 6 ::1
unload_module
