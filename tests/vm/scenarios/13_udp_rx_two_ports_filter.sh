#!/bin/sh
# Issue 4, scenario 4: two receivers on two ports; with a filter on one port
# each socket's numbers are its own, and nothing of the other port is seen.
. /scenarios/lib.sh
N1=${NSK_N1:-1500}
N2=${NSK_N2:-900}
P1=9201
P2=9202

load_module ring_kb=8192	# headroom if the drain is starved on a busy host
# buffers that hold a whole run: a reader starved by a loaded host must not
# drop (the filter is under test here, not the reader; 11 tests drops)
run sysctl -w net.core.rmem_max=33554432
# receivers A B: one receiver per port (/tmp/recvA on P1, /tmp/recvB on P2), ready
receivers() {
	run nsk-udp-recv --bind 127.0.0.1 --port $P1 --expect $N1 --idle-ms 4000 --rcvbuf 8388608 \
		--ready-file /tmp/ready$1 --out /tmp/recv$1 --comm app-one &
	R1=$!
	run nsk-udp-recv --bind 127.0.0.1 --port $P2 --expect $N2 --idle-ms 4000 --rcvbuf 8388608 \
		--ready-file /tmp/ready$2 --out /tmp/recv$2 --comm app-two &
	R2=$!
	wait_file /tmp/ready$1 10
	wait_file /tmp/ready$2 10
}
receivers 1 2

# 1) filter on P1
start_live --port $P1
run nsk-udp-send --dst 127.0.0.1 --port $P1 --count $N1 --pps 3000 &
S1=$!
run nsk-udp-send --dst 127.0.0.1 --port $P2 --count $N2 --pps 3000
wait $S1 $R1 $R2
stop_live
assert_eq "$(jq_get .sockets[local=127.0.0.1:$P1].rx_packets)" "$N1" "port $P1 socket rx == N1"
# the sender to P1 has a row too (tx_packets, issue 5); nothing of P2 is there
assert_eq "$(jq_get .sockets[local=127.0.0.1:$P2].rx_packets)" missing "port $P2's socket is not reported"
assert_eq "$(jq_get '.sockets|sum:rx_packets')" "$N1" "only the filtered port's socket received"
assert_eq "$(jq_get .journeys.rx.complete)" "$N1" "journeys only of port $P1"
assert_eq "$(jq_get .probes_seen.ip_rcv)" "$N1" "ip_rcv events only of port $P1"
assert_gt "$(jq_get '.cpus|sum:filtered')" 0 "the kernel filtered the other port's events"

# 2) no filter, both ports, numbers per socket
receivers 3 4
start_live --proto udp
run nsk-udp-send --dst 127.0.0.1 --port $P1 --count $N1 --pps 3000 &
S1=$!
run nsk-udp-send --dst 127.0.0.1 --port $P2 --count $N2 --pps 3000
wait $S1 $R1 $R2
stop_live
# the premise first: the applications got everything (a socket drop would be a
# starved reader, not the filter; drops are tested by 11)
assert_eq "$(kv received /tmp/recv3)" "$N1" "the application on port $P1 received N1"
assert_eq "$(kv received /tmp/recv4)" "$N2" "the application on port $P2 received N2"
assert_eq "$(jq_get .sockets[local=127.0.0.1:$P1].rx_packets)" "$N1" "port $P1 rx == N1"
assert_eq "$(jq_get .sockets[local=127.0.0.1:$P2].rx_packets)" "$N2" "port $P2 rx == N2"
assert_eq "$(jq_get .sockets[local=127.0.0.1:$P1].comm)" app-one "port $P1 comm"
assert_eq "$(jq_get .sockets[local=127.0.0.1:$P2].comm)" app-two "port $P2 comm"
assert_eq "$(jq_get .sockets[local=127.0.0.1:$P1].drops_total)" 0 "port $P1 no drops"
assert_eq "$(jq_get .sockets[local=127.0.0.1:$P2].drops_total)" 0 "port $P2 no drops"
unload_module
