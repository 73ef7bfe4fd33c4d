#!/bin/sh
# Issue 6, scenario 1: a ring deliberately too small (ring_kb=16) under a
# burst.  Nothing may be silently missing:
#  - per CPU, the kernel's own ledger closes: hits == written + ring_full +
#    filtered + sampled_out;
#  - the report's loss.ring equals the kernel's ring_full;
#  - every record the kernel wrote reached the tool (events == sum written:
#    no netlink loss here), and per probe the tool saw exactly the kernel's
#    hits minus what the ring refused.
. /scenarios/lib.sh
N=${NSK_N:-6000}
PORT=9400

load_module ring_kb=16 drain_ms=50
run sysctl -w net.core.rmem_max=33554432
run nsk-udp-recv --bind 127.0.0.1 --port $PORT --rcvbuf 16777216 --expect $N --idle-ms 3000 \
	--ready-file /tmp/ready --out /tmp/recv.txt --comm burst-sink &
RECV=$!
wait_file /tmp/ready 10
start_live --port $PORT
run nsk-udp-send --dst 127.0.0.1 --port $PORT --count $N --pps 0
wait $RECV
stop_live

HITS=$(jq_get '.cpus|sum:hits')
WRITTEN=$(jq_get '.cpus|sum:written')
FULL=$(jq_get '.cpus|sum:ring_full')
FILT=$(jq_get '.cpus|sum:filtered')
SAMP=$(jq_get '.cpus|sum:sampled_out')
assert_gt "$FULL" 0 "the small ring refused records under the burst"
assert_eq "$HITS" "$((WRITTEN + FULL + FILT + SAMP))" "hits == written + ring_full + filtered + sampled_out"
for c in 0 1; do
	h=$(jq_get ".cpus[$c].hits"); w=$(jq_get ".cpus[$c].written"); f=$(jq_get ".cpus[$c].ring_full")
	fi=$(jq_get ".cpus[$c].filtered"); s=$(jq_get ".cpus[$c].sampled_out")
	assert_eq "$h" "$((w + f + fi + s))" "cpu $c ledger closes"
done
assert_eq "$FULL" "$(jq_get .loss.ring)" "report loss.ring == kernel ring_full"
assert_eq "$WRITTEN" "$(jq_get .events)" "every written record reached the tool"
assert_eq "$(jq_get .loss.netlink)" 0 "no netlink loss"
# the application received all N: every journey that should exist is
# accounted for as complete, or was cut by the ring loss (incomplete/partial)
RXC=$(jq_get .journeys.rx.complete)
assert_le "$RXC" "$N" "complete journeys <= N"
assert_eq "$(kv received /tmp/recv.txt)" "$N" "the application received N"
# the kernel counted every datagram at every receive probe; what the tool
# did not see is exactly what the ring refused
netstack-kmon status --json >/tmp/st.json
for p in netif_receive_skb ip_rcv ip_local_deliver udp_rcv udp_enqueue udp_dequeue; do
	assert_eq "$(nsk-jq /tmp/st.json ".probes[name=$p].hits")" "$N" "kernel saw N at $p"
done
assert_eq "$(nsk-jq /tmp/st.json '.probes|sum:hits')" "$HITS" "per-probe hits add up to the per-CPU hits"
unload_module
