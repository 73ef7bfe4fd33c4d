#!/bin/sh
# Issue 19: verdicts proven by applying them, for three more causes.
#  - No socket: N datagrams to a UDP port nothing is bound to.  The verdict no_socket explains
#    N drops, names the destination 127.0.0.1:P1 and quotes Udp.NoPorts (+N).  Fix: a receiver
#    on that port; the same load: N received, no verdict.
#  - A netfilter rule drops UDP port P2 on input (a receiver is there).  The verdict netfilter
#    explains as many drops as the rule's own counter (N), on the input hook, to
#    127.0.0.1:P2; the socket is not blamed.  Fix: remove the rule; the same load: N received.
#  - The module's ring too small for a burst (ring_kb=16): the verdict tool_ring explains the
#    loss (== loss.ring) and sizes ring_kb.  Fix: reload with that ring_kb; the same burst:
#    no loss, no verdict.
. /scenarios/lib.sh
N=${NSK_N:-300}
P1=9631 P2=9632 P3=9633

mod_load nf_tables
load_module ring_kb=8192

step "no socket on udp 127.0.0.1:$P1"
noport_load() {
	P0=$(snmp_get Udp NoPorts)
	start_live --port $P1
	run nsk-udp-send --dst 127.0.0.1 --port $P1 --count $N --pps 2000
	[ -z "$1" ] || wait "$1"
	stop_live
	P1D=$(($(snmp_get Udp NoPorts) - P0))
}
noport_load
V=".verdicts[kind=no_socket]"
assert_eq "$P1D" "$N" "Udp.NoPorts +$N"
assert_eq "$(jq_get $V.drops)" "$N" "verdict no_socket explains every datagram"
assert_eq "$(jq_get $V.evidence.destinations.127.0.0.1:$P1)" "$N" "... all to 127.0.0.1:$P1"
assert_eq "$(jq_get $V.evidence.Udp.NoPorts)" "$N" "... quoting Udp.NoPorts"
step "fixed: a receiver on $P1, the same load"
rm -f /tmp/63-r
spawn nsk-udp-recv --bind 127.0.0.1 --port $P1 --expect $N --idle-ms 3000 \
	--ready-file /tmp/63-r --out /tmp/63-recv1 --comm svc1
R=$SPAWNED
wait_file /tmp/63-r 10
noport_load $R
assert_eq "$P1D" 0 "Udp.NoPorts did not move"
assert_eq "$(kv received /tmp/63-recv1)" "$N" "every datagram received"
assert_eq missing "$(jq_get $V.kind)" "no verdict any more"

step "an nftables rule drops udp dport $P2 on input"
nft -f - <<NFT || fail "nft"
table inet nsk63 { chain in63 { type filter hook input priority 0; policy accept;
	udp dport $P2 counter drop; }; }
NFT
rule_packets() {
	nft list table inet nsk63 2>/dev/null | sed -n "s/.*dport $P2 counter packets \([0-9]*\) .*/\1/p"
}
rule_load() {
	rm -f /tmp/63-r
	spawn nsk-udp-recv --bind 127.0.0.1 --port $P2 --idle-ms 2000 --first-wait-ms $((2000 * NSK_SLOW)) \
		--ready-file /tmp/63-r --out /tmp/63-recv2.$1 --comm svc2
	R=$SPAWNED
	wait_file /tmp/63-r 10
	start_live --port $P2
	run nsk-udp-send --dst 127.0.0.1 --port $P2 --count $N --pps 2000
	wait $R
	stop_live
}
rule_load a
V=".verdicts[kind=netfilter]"
C=$(rule_packets)
assert_eq "$C" "$N" "the rule's counter: $N"
assert_eq "$(jq_get $V.drops)" "$C" "verdict netfilter explains as many drops as the rule counted"
assert_eq "$(jq_get $V.evidence.hook)" "input" "... on the input hook"
assert_eq "$(jq_get $V.evidence.destinations.127.0.0.1:$P2)" "$N" "... to 127.0.0.1:$P2"
assert_eq missing "$(jq_get '.verdicts[kind=rcvbuf_burst].kind')" "the socket is not blamed"
assert_eq missing "$(jq_get '.verdicts[kind=socket_refused].kind')" "the socket is not blamed"
assert_eq 0 "$(kv received /tmp/63-recv2.a)" "nothing reached the receiver"
step "fixed: the rule removed, the same load"
run nft delete table inet nsk63
rule_load b
assert_eq "$(kv received /tmp/63-recv2.b)" "$N" "every datagram received"
assert_eq missing "$(jq_get $V.kind)" "no netfilter verdict any more"
unload_module

step "the module's ring too small for a burst (ring_kb=16)"
BURST=${NSK_BURST:-4000}
ring_load() {
	load_module ring_kb=$1 drain_ms=50
	rm -f /tmp/63-r
	spawn nsk-udp-recv --bind 127.0.0.1 --port $P3 --rcvbuf 16777216 --expect $BURST \
		--idle-ms 3000 --ready-file /tmp/63-r --out /tmp/63-recv3 --comm burst-sink
	R=$SPAWNED
	wait_file /tmp/63-r 10
	start_live --port $P3
	run nsk-udp-send --dst 127.0.0.1 --port $P3 --count $BURST --pps 0
	wait $R
	stop_live
	unload_module
}
run sysctl -w net.core.rmem_max=33554432
ring_load 16
V=".verdicts[kind=tool_ring]"
LOST=$(jq_get .loss.ring)
assert_gt "$LOST" 0 "the small ring lost records"
assert_eq "$(jq_get $V.evidence.lost)" "$LOST" "verdict tool_ring explains loss.ring"
assert_eq "$(jq_get $V.evidence.ring_kb)" 16 "... quoting the ring's size"
RK=$(jq_get $V.suggest.ring_kb)
assert_gt "$RK" 16 "a larger ring suggested: ring_kb=$RK"
step "fixed: ring_kb=$RK, the same burst"
ring_load "$RK"
assert_eq 0 "$(jq_get .loss.ring)" "no record lost"
assert_eq missing "$(jq_get $V.kind)" "no verdict about the ring"
