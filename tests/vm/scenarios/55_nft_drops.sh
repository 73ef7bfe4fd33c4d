#!/bin/sh
# Issue 15, item 2 (netfilter drops): router_topology (a -- r -- b).  An
# nftables rule in b drops UDP port PIN on input; one in r drops UDP port
# PFWD on forward.  N1 datagrams from a to b:PIN, N2 to b:PFWD.  Exact
# (capture filtered by b's address):
#  - the rules' counters: N1 and N2 (the kernel's own count of the drops);
#  - the tool's drops with reason NETFILTER_DROP == N1 + N2 == the rules'
#    counters; by stage: the input drop after ip_local_deliver's hook
#    (stage ip_local_deliver) N1, the forward drop at the forward hook
#    (stage ip_forward) N2;
#  - journeys.rx.dropped == N1 + N2; no socket is blamed (no socket row
#    with drops; nothing listens on those ports), Udp.NoPorts and
#    Udp.InDatagrams in b do not move;
#  - the senders' rows (a's namespace) sent N1 and N2; no loss, no kprobe
#    miss.
. /scenarios/lib.sh
N1=${NSK_N1:-700}
N2=${NSK_N2:-500}
PIN=9055 PFWD=9056

router_topology
A=$(ns_ino a)
mod_load nf_tables
ns_exec b nft -f - <<NFT || fail "nft in b"
table inet nsk { chain nskin { type filter hook input priority 0; policy accept;
	udp dport $PIN counter drop; }; }
NFT
ns_exec r nft -f - <<NFT || fail "nft in r"
table inet nsk { chain nskfw { type filter hook forward priority 0; policy accept;
	udp dport $PFWD counter drop; }; }
NFT
load_module ring_kb=8192

nft_drops() {
	step "$N1 datagrams to b:$PIN (dropped on b's input), $N2 to b:$PFWD (dropped on r's forward)"
	C0IN=$(nft_rule_packets b "dport $PIN") C0FWD=$(nft_rule_packets r "dport $PFWD")
	P0=$(ns_snmp b Udp NoPorts) I0=$(ns_snmp b Udp InDatagrams)
	start_live --addr 10.54.2.1
	ns_exec a nsk-udp-send --bind 10.54.1.1 --src-port 41055 --dst 10.54.2.1 --port $PIN \
		--count $N1 --pps 2000 --connect || fail "sender 1 failed"
	ns_exec a nsk-udp-send --bind 10.54.1.1 --src-port 41056 --dst 10.54.2.1 --port $PFWD \
		--count $N2 --pps 2000 --connect || fail "sender 2 failed"
	usleep 500000
	stop_live
	missed_or_retry || return 2
	CIN=$(($(nft_rule_packets b "dport $PIN") - C0IN)) CFWD=$(($(nft_rule_packets r "dport $PFWD") - C0FWD))
	P1=$(ns_snmp b Udp NoPorts) I1=$(ns_snmp b Udp InDatagrams)
	echo "nft counters: input (b) +$CIN, forward (r) +$CFWD"
	show_sockets
	show_drops
	run nsk-jq "$NSK_LIVE_OUT" .journeys .probes_seen .loss

	expect_eq "$N1" "$CIN" "b's input rule dropped N1"
	expect_eq "$N2" "$CFWD" "r's forward rule dropped N2"
	expect_eq "$((CIN + CFWD))" "$(drops_sum reason NETFILTER_DROP)" \
		"tool's NETFILTER_DROP drops == the rules' counters"
	expect_eq "$CIN" "$(drops_sum stage ip_local_deliver)" "input drops at stage ip_local_deliver == input rule's counter"
	expect_eq "$CFWD" "$(drops_sum stage ip_forward)" "forward drops at stage ip_forward == forward rule's counter"
	# the verdicts (issue 19): one per hook, each with its rule's count
	expect_eq "$(jq_get '.verdicts[0].kind')" netfilter "the top verdict: netfilter"
	expect_eq "$((CIN + CFWD))" "$(jq_get '.verdicts|sum:drops')" "verdicts explain every drop"
	for i in 0 1; do
		case $(jq_get ".verdicts[$i].evidence.hook") in
		input) expect_eq "$CIN" "$(jq_get ".verdicts[$i].drops")" "verdict on the input hook == input rule's counter" ;;
		forward) expect_eq "$CFWD" "$(jq_get ".verdicts[$i].drops")" "verdict on the forward hook == forward rule's counter" ;;
		*) expect_eq "input|forward" "$(jq_get ".verdicts[$i].evidence.hook")" "verdict $i's hook" ;;
		esac
	done
	expect_eq "$((CIN + CFWD))" "$(jq_get .journeys.rx.dropped)" "journeys.rx.dropped == N1 + N2"
	expect_eq 0 "$(jq_get '.sockets|sum:drops_total')" "no socket blamed for the drops"
	expect_eq 0 "$((P1 - P0))" "Udp.NoPorts in b did not move"
	expect_eq 0 "$((I1 - I0))" "Udp.InDatagrams in b did not move"
	expect_eq "$N1" "$(jq_get .sockets[local=10.54.1.1:41055].tx_packets)" "sender 1 tx_packets == N1"
	expect_eq "$N2" "$(jq_get .sockets[local=10.54.1.1:41056].tx_packets)" "sender 2 tx_packets == N2"
	expect_eq "$A" "$(jq_get .sockets[local=10.54.1.1:41055].netns)" "sender 1 row: a's namespace"
	for l in ring netlink user; do
		expect_eq 0 "$(jq_get .loss.$l)" "loss.$l == 0"
	done
	expect_done
}
exact_or_retry nft_drops
unload_module
