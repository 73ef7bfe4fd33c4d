#!/bin/sh
# Issue 15, item 2 (qdisc drops): router_topology (a -- r -- b); a small
# tbf qdisc on a's egress (a0: 1 Mbit/s, 3000-byte queue).  M datagrams
# from a socket in a to b, as fast as the sender can: the queue overruns.
# Exact (capture filtered by the port):
#  - the qdisc's own drop counter (tc -s qdisc) D > 0; the kernel's
#    Udp.SndbufErrors and Ip.OutDiscards in a move by D (a qdisc drop is
#    NET_XMIT_DROP -> -ENOBUFS, which UDP counts and hides);
#  - the tool: drops with reason QDISC_DROP == D, at stage dev_queue_xmit;
#    journeys.tx.dropped == D; the sender's row (a's namespace): tx_packets
#    (send journeys that reached the driver, docs/report.md) == M - D and
#    tx_dropped == D; no send journey incomplete; the receiver (b) got M - D, its row
#    rx_packets == M - D; no receive-side drop blamed on the receiver;
#  - no loss, no kprobe miss.
# On a slower guest the tbf's rate is 1 Mbit/s / NSK_SLOW: the sender must
# outrun it.  On the debug kernel (NSK_SLOW 10) the sender's 600 datagrams
# never exceeded 1 Mbit/s (tbf: dropped 0, overlimits 0).
. /scenarios/lib.sh
M=${NSK_M:-600}
PORT=9057
RATE=$((1000 / NSK_SLOW))kbit

router_topology
A=$(ns_ino a)
mod_load sch_tbf
ns_exec a tc qdisc replace dev a0 root tbf rate $RATE burst 3000 limit 3000 || fail "tbf on a0"
load_module ring_kb=8192

qdisc_drops() {
	step "$M datagrams a -> b:$PORT through a $RATE tbf on a0"
	rm -f /tmp/ready /tmp/recv.txt
	ns_spawn b nsk-udp-recv --bind 10.54.2.1 --port $PORT --idle-ms 3000 \
		--ready-file /tmp/ready --out /tmp/recv.txt --comm rx-b
	RECV=$SPAWNED
	wait_file /tmp/ready 10
	D0=$(qdisc_dropped a a0) S0=$(ns_snmp a Udp SndbufErrors) O0=$(ns_snmp a Ip OutDiscards)
	start_live --port $PORT
	ns_exec a nsk-udp-send --bind 10.54.1.1 --src-port 41057 --dst 10.54.2.1 --port $PORT \
		--count $M --size 500 --connect >/tmp/send.txt || fail "sender failed"
	wait $RECV
	stop_live
	missed_or_retry || return 2
	D=$(($(qdisc_dropped a a0) - D0)) S=$(($(ns_snmp a Udp SndbufErrors) - S0)) O=$(($(ns_snmp a Ip OutDiscards) - O0))
	run cat /tmp/send.txt /tmp/recv.txt
	ns_exec a tc -s qdisc show dev a0
	echo "kernel: qdisc dropped +$D, Udp.SndbufErrors (a) +$S, Ip.OutDiscards (a) +$O"
	show_sockets
	show_drops
	run nsk-jq "$NSK_LIVE_OUT" .journeys .probes_seen .loss
	GOT=$(kv received /tmp/recv.txt)

	assert_gt "$D" 0 "the queue overran (tbf dropped)"
	expect_eq "$D" "$S" "Udp.SndbufErrors delta == qdisc drops"
	expect_eq "$D" "$O" "Ip.OutDiscards delta == qdisc drops"
	expect_eq "$((M - D))" "$GOT" "the receiver got M - D"
	expect_eq "$D" "$(drops_sum reason QDISC_DROP)" "tool's QDISC_DROP drops == tc's drop counter"
	expect_eq "$D" "$(drops_sum stage dev_queue_xmit)" "drops at stage dev_queue_xmit == tc's drop counter"
	expect_eq "$D" "$(jq_get '.verdicts[kind=qdisc].drops')" "verdict qdisc explains tc's drop counter (issue 19)"
	expect_eq "$D" "$(jq_get '.drops|sum:count')" "no other drop"
	expect_eq "$D" "$(jq_get '.devices[name=a0].qdisc_drops')" "the tool's qdisc_drops of a0 (rtnetlink, inside a) == tc's drop counter"
	expect_eq "$D" "$(jq_get .journeys.tx.dropped)" "journeys.tx.dropped == D"
	TX=".sockets[local=10.54.1.1:41057]" RX=".sockets[local=10.54.2.1:$PORT]"
	expect_eq "$((M - D))" "$(jq_get $TX.tx_packets)" "sender tx_packets (reached the driver) == M - D"
	expect_eq 0 "$(jq_get .journeys.tx.incomplete)" "no send journey incomplete"
	expect_eq "$D" "$(jq_get $TX.tx_dropped)" "sender tx_dropped == D"
	expect_eq "$A" "$(jq_get $TX.netns)" "sender row: a's namespace"
	expect_eq "$((M - D))" "$(jq_get $RX.rx_packets)" "receiver rx_packets == M - D"
	expect_eq 0 "$(jq_get $RX.drops_total)" "no drop blamed on the receiver"
	for l in ring netlink user; do
		expect_eq 0 "$(jq_get .loss.$l)" "loss.$l == 0"
	done
	expect_done
}
exact_or_retry qdisc_drops

# Issue 19: the verdict's change applied ("raise its limit"): a queue that holds the whole
# burst (M datagrams of 500 bytes and their headers), the same load: no qdisc drop, no verdict.
step "the verdict applied: tbf limit raised to hold the burst"
ns_exec a tc qdisc replace dev a0 root tbf rate $RATE burst 3000 limit $((M * 600)) ||
	fail "tbf limit raised"
rm -f /tmp/ready /tmp/recv.txt
ns_spawn b nsk-udp-recv --bind 10.54.2.1 --port $PORT --idle-ms 3000 \
	--ready-file /tmp/ready --out /tmp/recv.txt --comm rx-b
RECV=$SPAWNED
wait_file /tmp/ready 10
D0=$(qdisc_dropped a a0)
start_live --port $PORT
ns_exec a nsk-udp-send --bind 10.54.1.1 --src-port 41057 --dst 10.54.2.1 --port $PORT \
	--count $M --size 500 --connect >/tmp/send.txt || fail "sender failed"
wait $RECV
stop_live
assert_eq 0 "$(($(qdisc_dropped a a0) - D0))" "tc: no qdisc drop"
assert_eq "$M" "$(kv received /tmp/recv.txt)" "every datagram received"
assert_eq missing "$(jq_get '.verdicts[kind=qdisc].kind')" "no qdisc verdict any more"
unload_module
