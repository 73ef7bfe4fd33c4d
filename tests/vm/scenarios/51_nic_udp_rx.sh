#!/bin/sh
# nsk-vm: nics=2
# Issue 15, item 2 (NIC receive and send, UDP): a peer namespace owns eth1,
# the host keeps eth0; the two virtio NICs meet on the QEMU hub.  RPS
# spreads eth0's receive work over both vCPUs (F flows: each flow hashes to
# one CPU).  F senders in the peer, N datagrams in all, paced; one receiver
# here.  Exact, for the flow (capture filtered by the port):
#  - the application received N; the receiver's socket row: rx_packets == N,
#    no drops, this namespace's inode;
#  - every sender's socket row: tx_packets == N/F, the PEER namespace's
#    inode (send journeys attributed to the namespace of the socket);
#  - journeys.rx.complete == N (the receive journey starts at the NIC),
#    journeys.tx.complete == N; every stage row (send and receive) == N;
#    probes_seen of every receive and send probe == N;
#  - kernel counters: Udp.InDatagrams delta here == N (the tool's own
#    counters too), Udp.OutDatagrams delta in the peer == N;
#  - both vCPUs processed eth0 packets (softnet_stat delta > 0 on each);
#  - no loss of any kind, the kernel skipped no kprobe hit.
# The neighbours are permanent (netns_peer), so no datagram waits for ARP.
# NSK_NEIGH=resolve (run-vm.sh --env) deletes them before the senders start:
# the first datagrams of each flow then wait in the neighbour's queue and
# leave later, from the softirq that handles the ARP reply.
. /scenarios/lib.sh
N=${NSK_N:-4000}
F=8
PORT=9051

nic_setup 2
netns_peer peer eth1 10.50.0.2/24 eth0 10.50.0.1/24
rps_on eth0
HOST_NS=$(ns_ino) PEER_NS=$(ns_ino peer)
echo "namespaces: host $HOST_NS, peer $PEER_NS"
load_module ring_kb=8192
run sysctl -w net.core.rmem_max=33554432

udp_nic() {
	step "$N datagrams in $F flows, peer (eth1) -> host (eth0) port $PORT"
	rm -f /tmp/ready /tmp/recv.txt /tmp/send.*
	run nsk-udp-recv --bind 10.50.0.1 --port $PORT --rcvbuf 16777216 --expect $N --idle-ms 8000 \
		--ready-file /tmp/ready --out /tmp/recv.txt --comm rx-nic &
	RECV=$!
	wait_file /tmp/ready 10
	I0=$(snmp_get Udp InDatagrams) O0=$(ns_snmp peer Udp OutDatagrams)
	S0=$(softnet_rx_cpus)
	start_live --port $PORT
	if [ "${NSK_NEIGH:-}" = resolve ]; then
		run ip -n peer neigh del 10.50.0.1 dev eth1
		run ip neigh del 10.50.0.2 dev eth0
	fi
	pids=
	f=1
	while [ $f -le $F ]; do
		ns_spawn peer nsk-udp-send --bind 10.50.0.2 --src-port $((40000 + f)) --dst 10.50.0.1 \
			--port $PORT --count $((N / F)) --pps 500 --connect >/tmp/send.$f
		pids="$pids $SPAWNED"
		f=$((f + 1))
	done
	for p in $pids; do wait $p || fail "a sender failed"; done
	wait $RECV
	stop_live
	missed_or_retry || return 2
	I1=$(snmp_get Udp InDatagrams) O1=$(ns_snmp peer Udp OutDatagrams)
	S1=$(softnet_rx_cpus)
	run cat /tmp/recv.txt
	echo "softnet before: $S0"
	echo "softnet after:  $S1"
	run nsk-jq "$NSK_LIVE_OUT" .journeys .probes_seen .loss

	show_sockets
	expect_eq "$N" "$(kv received /tmp/recv.txt)" "the application received N"
	SK=".sockets[local=10.50.0.1:$PORT]"
	expect_eq "$N" "$(jq_get $SK.rx_packets)" "receiver rx_packets == N"
	expect_eq 0 "$(jq_get $SK.drops_total)" "no drops on the receiver"
	expect_eq "$HOST_NS" "$(jq_get $SK.netns)" "receiver row: this namespace"
	expect_eq rx-nic "$(jq_get $SK.comm)" "receiver comm"
	f=1
	while [ $f -le $F ]; do
		SS=".sockets[local=10.50.0.2:$((40000 + f))]"
		expect_eq "$((N / F))" "$(jq_get $SS.tx_packets)" "sender $f tx_packets == N/F"
		expect_eq "$PEER_NS" "$(jq_get $SS.netns)" "sender $f row: the peer namespace"
		f=$((f + 1))
	done
	expect_eq "$N" "$(jq_get '.sockets|sum:tx_packets')" "tx_packets over all socket rows == N"
	expect_eq "$N" "$(jq_get .journeys.rx.complete)" "journeys.rx.complete == N"
	expect_eq 0 "$(jq_get .journeys.rx.incomplete)" "no receive journey incomplete"
	expect_eq "$N" "$(jq_get .journeys.tx.complete)" "journeys.tx.complete == N"
	expect_eq "$N" "$(jq_get .journeys.tx.with_sendmsg)" "every send journey starts at sendmsg"
	expect_eq 0 "$(jq_get .journeys.tx.incomplete)" "no send journey incomplete"
	expect_eq 0 "$(jq_get .journeys.tx.dropped)" "no send journey dropped"
	for p in sock_sendmsg udp_sendmsg ip_output ip_finish_output2 dev_queue_xmit dev_hard_start_xmit \
		netif_receive_skb ip_rcv ip_local_deliver udp_rcv udp_enqueue udp_dequeue; do
		expect_eq "$N" "$(jq_get .probes_seen.$p)" "probe $p saw N events"
	done
	NST=$(jq_get '.stages|length')
	i=0
	while [ $i -lt "$NST" ]; do
		S=".stages[$i]"
		expect_eq "$N" "$(jq_get $S.count)" "stage $(jq_get $S.path) $(jq_get $S.from)->$(jq_get $S.to) count == N"
		assert_le "$(jq_get $S.p50_ns)" "$(jq_get $S.max_ns)" "stage $i p50 <= max"
		i=$((i + 1))
	done
	expect_eq "$N" "$(jq_get .totals.rx.count)" "totals.rx.count == N"
	expect_eq "$N" "$(jq_get .totals.tx.count)" "totals.tx.count == N"
	expect_eq "$N" "$((I1 - I0))" "Udp.InDatagrams delta here == N"
	expect_eq "$N" "$(jq_get .counters.Udp.InDatagrams)" "the tool's Udp.InDatagrams delta == N"
	expect_eq "$N" "$((O1 - O0))" "Udp.OutDatagrams delta in the peer == N"
	c0=$(( $(echo "$S1" | sed 's/.*cpu0=\([0-9]*\).*/\1/') - $(echo "$S0" | sed 's/.*cpu0=\([0-9]*\).*/\1/') ))
	c1=$(( $(echo "$S1" | sed 's/.*cpu1=\([0-9]*\).*/\1/') - $(echo "$S0" | sed 's/.*cpu1=\([0-9]*\).*/\1/') ))
	expect_gt "$c0" 0 "RPS: cpu0 processed eth0 packets"
	expect_gt "$c1" 0 "RPS: cpu1 processed eth0 packets"
	for l in ring netlink user incomplete_journeys; do
		expect_eq 0 "$(jq_get .loss.$l)" "loss.$l == 0"
	done
	expect_done
}
exact_or_retry udp_nic
unload_module
