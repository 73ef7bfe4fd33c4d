#!/bin/sh
# Issue 15, item 2 (containers): two namespaces c1 and c2 ("containers"),
# each joined to a bridge br0 here through a veth pair (v1 -- v1br,
# v2 -- v2br).  N datagrams from a socket in c1 to a socket in c2: the same
# skb crosses veth, the bridge, veth again, so each datagram is ONE journey
# across both namespaces with a stage per hop.  Exact (capture filtered by
# the port, no other traffic):
#  - the application in c2 received N; the receiver's socket row: c2's
#    namespace, rx_packets == N; the sender's row: c1's namespace,
#    tx_packets == N;
#  - journeys.tx.complete == N, journeys.rx.complete == N, every receive
#    journey continues its send journey (rx.looped == N), and has an
#    end-to-end latency (totals.end_to_end.count == N);
#  - per hop: dev_queue_xmit, dev_hard_start_xmit, netif_rx (veth hands
#    the skb to its peer's backlog) and netif_receive_skb saw 2N (v1 in c1
#    and v2br on the bridge; v1br on the bridge and v2 in c2), every other
#    probe of the path N;
#  - the stage rows: the one-per-journey rows count N, the rows of the two
#    veth hops (dev_hard_start_xmit -> netif_rx, the backlog netif_rx ->
#    netif_receive_skb) count 2N (or 2 rows of N each) - no row has another
#    count;
#    the bridge hop (netif_receive_skb on v1br -> dev_queue_xmit on v2br)
#    is a stage row of its own, N;
#  - kernel counters: Udp.OutDatagrams delta in c1 == N, Udp.InDatagrams
#    delta in c2 == N; no loss, no kprobe miss.
# Then the bridge's own address (the host behind it): M datagrams from c1 to
# a socket here on br0.  The bridge hands each frame up with
# netif_receive_skb() (tracepoint netif_receive_skb_entry) and its core
# receive runs again on br0: one journey each, with the stage rows
# netif_receive_skb -> netif_receive_skb_entry -> netif_receive_skb, M each.
. /scenarios/lib.sh
N=${NSK_N:-2000}
PORT=9053

ns_add c1
ns_add c2
bridge_add br0
veth_pair v1 c1 10.53.0.1/24 v1br "" ""
veth_pair v2 c2 10.53.0.2/24 v2br "" ""
run ip link set v1br master br0
run ip link set v2br master br0
sysctl -q -w net.ipv6.conf.br0.disable_ipv6=1 net.ipv6.conf.v1br.disable_ipv6=1 \
	net.ipv6.conf.v2br.disable_ipv6=1 >/dev/null 2>&1
wait_ping c1 10.53.0.2
wait_ping c2 10.53.0.1
C1=$(ns_ino c1) C2=$(ns_ino c2)
echo "namespaces: c1 $C1, c2 $C2, bridge (here) $(ns_ino)"
load_module ring_kb=8192
run sysctl -w net.core.rmem_max=33554432	# a receive buffer that holds the whole run

containers() {
	step "$N datagrams c1 10.53.0.1 -> c2 10.53.0.2:$PORT over veth + bridge"
	rm -f /tmp/ready /tmp/recv.txt
	ns_spawn c2 nsk-udp-recv --bind 10.53.0.2 --port $PORT --rcvbuf 16777216 --expect $N --idle-ms 5000 \
		--ready-file /tmp/ready --out /tmp/recv.txt --comm rx-c2
	RECV=$SPAWNED
	wait_file /tmp/ready 10
	O0=$(ns_snmp c1 Udp OutDatagrams) I0=$(ns_snmp c2 Udp InDatagrams)
	start_live --port $PORT
	ns_exec c1 nsk-udp-send --bind 10.53.0.1 --src-port 41000 --dst 10.53.0.2 --port $PORT \
		--count $N --pps 2000 --connect || fail "sender failed"
	wait $RECV
	stop_live
	missed_or_retry || return 2
	O1=$(ns_snmp c1 Udp OutDatagrams) I1=$(ns_snmp c2 Udp InDatagrams)
	run cat /tmp/recv.txt
	show_sockets
	run nsk-jq "$NSK_LIVE_OUT" .journeys .probes_seen .loss
	show_stages

	expect_eq "$N" "$(kv received /tmp/recv.txt)" "the application in c2 received N"
	RX=".sockets[local=10.53.0.2:$PORT]" TX=".sockets[local=10.53.0.1:41000]"
	expect_eq "$N" "$(jq_get $RX.rx_packets)" "receiver rx_packets == N"
	expect_eq "$C2" "$(jq_get $RX.netns)" "receiver row: c2's namespace"
	expect_eq "$N" "$(jq_get $TX.tx_packets)" "sender tx_packets == N"
	expect_eq "$C1" "$(jq_get $TX.netns)" "sender row: c1's namespace"
	expect_eq "$N" "$(jq_get .journeys.tx.complete)" "journeys.tx.complete == N"
	expect_eq "$N" "$(jq_get .journeys.rx.complete)" "journeys.rx.complete == N"
	expect_eq 0 "$(jq_get .journeys.rx.incomplete)" "no receive journey incomplete"
	expect_eq 0 "$(jq_get .journeys.tx.incomplete)" "no send journey incomplete"
	expect_eq "$N" "$(jq_get .journeys.rx.looped)" "every receive journey continues its send journey"
	expect_eq "$N" "$(jq_get .totals.end_to_end.count)" "every datagram has an end-to-end latency"
	for p in sock_sendmsg udp_sendmsg ip_output ip_finish_output2 ip_rcv ip_local_deliver \
		udp_rcv udp_enqueue udp_dequeue; do
		expect_eq "$N" "$(jq_get .probes_seen.$p)" "probe $p saw N"
	done
	for p in dev_queue_xmit dev_hard_start_xmit netif_rx netif_receive_skb; do
		expect_eq "$((2 * N))" "$(jq_get .probes_seen.$p)" "probe $p saw 2N (two veth hops)"
	done
	i=0
	while [ $i -lt "$NST" ]; do
		S=".stages[$i]"
		c=$(jq_get $S.count) f=$(jq_get $S.from) t=$(jq_get $S.to)
		case "$f>$t" in
		'dev_queue_xmit>dev_hard_start_xmit' | 'dev_hard_start_xmit>netif_rx' | \
			'netif_rx>netif_receive_skb')
			[ "$c" = "$N" ] || [ "$c" = "$((2 * N))" ] && ok "hop row $f->$t: $c" ||
				expect_eq "$((2 * N))" "$c" "hop row $f->$t count (2N, or N per row)" ;;
		*) expect_eq "$N" "$c" "stage $(jq_get $S.path) $f->$t count == N" ;;
		esac
		i=$((i + 1))
	done
	expect_eq "$N" "$(stage_count netif_receive_skb dev_queue_xmit)" \
		"a stage row for the bridge hop (netif_receive_skb -> dev_queue_xmit) counts N"
	expect_eq "$N" "$((O1 - O0))" "Udp.OutDatagrams delta in c1 == N"
	expect_eq "$N" "$((I1 - I0))" "Udp.InDatagrams delta in c2 == N"
	for l in ring netlink user incomplete_journeys; do
		expect_eq 0 "$(jq_get .loss.$l)" "loss.$l == 0"
	done
	expect_done
}
exact_or_retry containers

M=${NSK_M:-500}
HPORT=9054
run ip addr add 10.53.0.254/24 dev br0
wait_ping c1 10.53.0.254
to_host() {
	step "$M datagrams c1 -> the bridge's address 10.53.0.254:$HPORT (here)"
	rm -f /tmp/ready /tmp/recv.txt
	spawn nsk-udp-recv --bind 10.53.0.254 --port $HPORT --rcvbuf 16777216 --expect $M \
		--idle-ms 5000 --ready-file /tmp/ready --out /tmp/recv.txt --comm rx-host
	RECV=$SPAWNED
	wait_file /tmp/ready 10
	start_live --port $HPORT
	ns_exec c1 nsk-udp-send --bind 10.53.0.1 --src-port 41001 --dst 10.53.0.254 --port $HPORT \
		--count $M --pps 2000 --connect || fail "sender failed"
	wait $RECV
	stop_live
	missed_or_retry || return 2
	run nsk-jq "$NSK_LIVE_OUT" .journeys .probes_seen .loss
	show_stages
	expect_eq "$M" "$(kv received /tmp/recv.txt)" "the application here received M"
	expect_eq "$M" "$(jq_get .probes_seen.netif_receive_skb_entry)" \
		"tracepoint netif_receive_skb_entry saw M (the bridge hands each frame up)"
	expect_eq "$((2 * M))" "$(jq_get .probes_seen.netif_receive_skb)" \
		"netif_receive_skb saw 2M (v1br, then br0)"
	expect_eq "$M" "$(stage_count netif_receive_skb netif_receive_skb_entry)" \
		"stage netif_receive_skb (v1br) -> netif_receive_skb_entry (br0) == M"
	expect_eq "$M" "$(stage_count netif_receive_skb_entry netif_receive_skb)" \
		"stage netif_receive_skb_entry -> netif_receive_skb (br0) == M"
	expect_eq "$M" "$(jq_get .journeys.rx.complete)" "journeys.rx.complete == M"
	expect_eq 0 "$(jq_get .journeys.rx.incomplete)" "no receive journey incomplete"
	expect_eq 0 "$(jq_get .journeys.rx.reused_before_end)" "the second receive is no reuse"
	expect_eq "$M" "$(jq_get .totals.end_to_end.count)" "every datagram has an end-to-end latency"
	expect_eq "$M" "$(jq_get .sockets[local=10.53.0.254:$HPORT].rx_packets)" "receiver rx_packets == M"
	for l in ring netlink user incomplete_journeys; do
		expect_eq 0 "$(jq_get .loss.$l)" "loss.$l == 0"
	done
	expect_done
}
exact_or_retry to_host
unload_module
