#!/bin/sh
# Issue 15, item 2 (forwarding): a router namespace r between namespaces a
# and b (veth pairs, router_topology in lib.sh).  N datagrams from a socket
# in a to a socket in b, forwarded by r.  Exact (capture filtered by the
# port):
#  - the forwarded packets have their own path: the forward probe
#    (ip_forward) saw N, and stage rows from ip_forward on to the output
#    (ip_forward -> ip_output ...) count N each, with latencies;
#  - forwarded count == delta Ip.ForwDatagrams in r == N; the tool reads
#    that counter itself from r, a namespace no process is in (/run/netns/r):
#    its forwarding row for r says tool N, kernel N;
#  - per hop: netif_receive_skb, ip_rcv, ip_output, ip_finish_output2,
#    dev_queue_xmit, dev_hard_start_xmit saw 2N (a's send and r's
#    forward; r's receive and b's receive), ip_local_deliver N;
#  - the sockets: sender's row in a's namespace (tx_packets N), receiver's
#    in b's (rx_packets N); every journey complete, none incomplete, no
#    loss, no kprobe miss; the application received N.
. /scenarios/lib.sh
N=${NSK_N:-2000}
PORT=9054

router_topology
A=$(ns_ino a) R=$(ns_ino r) B=$(ns_ino b)
echo "namespaces: a $A, r $R, b $B"
load_module ring_kb=8192
run sysctl -w net.core.rmem_max=33554432	# a receive buffer that holds the whole run

forwarding() {
	step "$N datagrams a 10.54.1.1 -> b 10.54.2.1:$PORT, forwarded by r"
	rm -f /tmp/ready /tmp/recv.txt
	ns_spawn b nsk-udp-recv --bind 10.54.2.1 --port $PORT --rcvbuf 16777216 --expect $N --idle-ms 5000 \
		--ready-file /tmp/ready --out /tmp/recv.txt --comm rx-b
	RECV=$SPAWNED
	wait_file /tmp/ready 10
	F0=$(ns_snmp r Ip ForwDatagrams)
	start_live --port $PORT
	ns_exec a nsk-udp-send --bind 10.54.1.1 --src-port 41054 --dst 10.54.2.1 --port $PORT \
		--count $N --pps 2000 --connect || fail "sender failed"
	wait $RECV
	stop_live
	missed_or_retry || return 2
	F1=$(ns_snmp r Ip ForwDatagrams)
	run cat /tmp/recv.txt
	echo "kernel: Ip.ForwDatagrams in r +$((F1 - F0))"
	show_sockets
	run nsk-jq "$NSK_LIVE_OUT" .journeys .probes_seen .loss .drops
	show_stages

	expect_eq "$N" "$(kv received /tmp/recv.txt)" "the application in b received N"
	expect_eq "$N" "$((F1 - F0))" "Ip.ForwDatagrams delta in r == N"
	expect_eq "$((F1 - F0))" "$(jq_get .probes_seen.ip_forward)" "probe ip_forward saw Ip.ForwDatagrams delta"
	expect_eq "$N" "$(jq_get .forwarding[name=r].tool)" "the tool's forwarding row for r (no process in it): N seen"
	expect_eq "$((F1 - F0))" "$(jq_get .forwarding[name=r].kernel)" "... beside r's Ip.ForwDatagrams delta, read by the tool"
	expect_eq "$R" "$(jq_get .forwarding[name=r].netns)" "... in r's namespace"
	expect_eq "$((F1 - F0))" "$(jq_get '.namespaces[name=r].counters.Ip.ForwDatagrams')" "r's counters in the tool's namespaces"
	expect_eq "$N" "$(stage_count ip_rcv ip_forward)" "stage ip_rcv -> ip_forward (r's receive) counts N"
	expect_eq "$N" "$(stage_count ip_forward ip_output)" "stage ip_forward -> ip_output (the forward path) counts N"
	expect_gt "$(jq_get '.stages[from=ip_forward].max_ns')" 0 "the forward stage has a latency"
	for p in netif_receive_skb ip_rcv ip_output ip_finish_output2 dev_queue_xmit dev_hard_start_xmit; do
		expect_eq "$((2 * N))" "$(jq_get .probes_seen.$p)" "probe $p saw 2N (two hops)"
	done
	for p in sock_sendmsg udp_sendmsg ip_local_deliver udp_rcv udp_enqueue udp_dequeue; do
		expect_eq "$N" "$(jq_get .probes_seen.$p)" "probe $p saw N"
	done
	RX=".sockets[local=10.54.2.1:$PORT]" TX=".sockets[local=10.54.1.1:41054]"
	expect_eq "$N" "$(jq_get $RX.rx_packets)" "receiver rx_packets == N"
	expect_eq "$B" "$(jq_get $RX.netns)" "receiver row: b's namespace"
	expect_eq "$N" "$(jq_get $TX.tx_packets)" "sender tx_packets == N"
	expect_eq "$A" "$(jq_get $TX.netns)" "sender row: a's namespace"
	expect_eq "$N" "$(jq_get .journeys.rx.complete)" "journeys.rx.complete == N"
	expect_eq 0 "$(jq_get .journeys.rx.incomplete)" "no receive journey incomplete"
	expect_eq 0 "$(jq_get .journeys.tx.incomplete)" "no send journey incomplete"
	expect_eq "$N" "$(jq_get .totals.end_to_end.count)" "every datagram has an end-to-end latency"
	for l in ring netlink user incomplete_journeys; do
		expect_eq 0 "$(jq_get .loss.$l)" "loss.$l == 0"
	done
	expect_done
}
exact_or_retry forwarding
unload_module
