#!/bin/sh
# CPU hotplug while collecting under traffic: CPU 1 goes offline and comes
# back twice while UDP runs from a sender on each CPU.  No crash, no WARN
# (the harness checks the console and dmesg), and nothing lost silently:
# the records the rings took all reached the tool or are counted, none was
# left unsent, and with an empty ledger the counts are exact (every datagram
# the application received is a complete journey, each probe saw it).
. /scenarios/lib.sh
N=${NSK_N:-6000}
PORT=9600
[ -w /sys/devices/system/cpu/cpu1/online ] || fail "CPU 1 cannot be taken offline in this guest"

load_module ring_kb=8192
run sysctl -w net.core.rmem_max=33554432
run nsk-udp-recv --bind 127.0.0.1 --port $PORT --rcvbuf 16777216 --expect $((2 * N)) --idle-ms 10000 \
	--ready-file /tmp/ready --out /tmp/recv.txt --comm hp-sink &
RECV=$!
wait_file /tmp/ready 10
start_live --port $PORT
# one sender pinned to each CPU (taskset: the one on CPU 1 migrates when it
# goes offline)
run taskset 1 nsk-udp-send --dst 127.0.0.1 --port $PORT --count $N --pps 1000 >/tmp/s0.txt &
S0=$!
run taskset 2 nsk-udp-send --dst 127.0.0.1 --port $PORT --count $N --pps 1000 >/tmp/s1.txt &
S1=$!
for round in 1 2; do
	sleep 1
	run sh -c 'echo 0 >/sys/devices/system/cpu/cpu1/online' || fail "cpu1 offline failed"
	assert_eq 0 "$(cat /sys/devices/system/cpu/cpu1/online)" "round $round: CPU 1 offline"
	sleep 1
	run sh -c 'echo 1 >/sys/devices/system/cpu/cpu1/online' || fail "cpu1 online failed"
	assert_eq 1 "$(cat /sys/devices/system/cpu/cpu1/online)" "round $round: CPU 1 back"
done
wait $S0 || fail "sender on CPU 0 failed"
wait $S1 || fail "sender on CPU 1 failed"
wait $RECV
run cat /tmp/recv.txt
stop_live

GOT=$(kv received /tmp/recv.txt)
assert_eq "$GOT" "$((2 * N))" "application received every datagram"
assert_eq "$(jq_get '.cpus|sum:written')" "$(($(jq_get .events) + $(jq_get .loss.netlink)))" \
	"records written == received + lost in netlink (nothing lost silently)"
assert_eq "$(jq_get .loss.ring)" 0 "no record refused by the rings"
assert_eq "$(jq_get .loss.netlink)" 0 "no netlink loss"
SOCK=".sockets[local=127.0.0.1:$PORT]"
assert_eq "$(jq_get $SOCK.rx_packets)" "$GOT" "socket rx_packets == received"
assert_eq "$(jq_get .journeys.rx.complete)" "$GOT" "journeys.rx.complete == received"
for p in ip_rcv udp_rcv udp_enqueue udp_dequeue; do
	assert_eq "$(jq_get .probes_seen.$p)" "$GOT" "probe $p saw every datagram"
done
unload_module
