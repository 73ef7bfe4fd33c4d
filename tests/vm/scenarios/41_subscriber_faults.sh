#!/bin/sh
# nsk-vm: tcg-thread=single
# Subscriber faults.  The rule (docs/security.md): a collection belongs to
# the netlink socket that sent START; it ends on STOP (from any
# CAP_NET_ADMIN socket), on rmmod, or when that socket is released (its
# process exited or was killed).  Other subscribers neither keep it alive
# nor disturb it; a subscriber that stops reading loses only its own
# messages.  The kernel counts in netlink_fail the records of every batch
# no subscriber could take.
#  A. the collector is SIGKILLed mid-stream while another subscriber
#     listens: the collection stops anyway, the subscriber gets STOPPED;
#  B. two subscribers and the collector at once: all three get every
#     record; a second collector is refused while one runs;
#  C. a subscriber that never reads next to a collector that does: the
#     collector's counts stay exact, nothing counted as undelivered;
#  D. the collector itself never reads: collection goes on, undelivered
#     records are counted; SIGKILL stops it;
#  E. nobody subscribed at all: every record counted undelivered, exactly.
. /scenarios/lib.sh
PORT=9410

status_get() { netstack-kmon status --json | nsk-jq - "$1"; }
# wait_not_collecting SEC: the collection must end within SEC seconds (state
# idle: the orphan stop runs in the module's work, its final drain included)
wait_not_collecting() {
	local n=$(($1 * 10))
	while [ "$(status_get .state)" != idle ]; do
		n=$((n - 1))
		[ $n -gt 0 ] || fail "still collecting $1 s after the collector went away"
		usleep 100000
	done
	ok "collection stopped"
}
# counters_consistent: per-CPU identity of the last collection's counters
counters_consistent() {
	netstack-kmon status --json >/tmp/41-st.json
	for f in hits written ring_full filtered sampled_out sent netlink_fail; do
		eval "$f=\$(nsk-jq /tmp/41-st.json '.cpus|sum:$f')"
	done
	echo "hits=$hits written=$written ring_full=$ring_full filtered=$filtered sampled_out=$sampled_out sent=$sent netlink_fail=$netlink_fail"
	assert_eq "$hits" "$((written + ring_full + filtered + sampled_out))" "hits == written + ring_full + filtered + sampled_out"
	assert_eq "$written" "$sent" "every written record was handed to netlink (sent)"
}

load_module ring_kb=4096
run sysctl -w net.core.rmem_max=33554432
spawn nsk-udp-recv --bind 127.0.0.1 --port $PORT --rcvbuf 16777216 --idle-ms 600000 \
	--ready-file /tmp/41-ready --out /tmp/41-recv.txt --comm sink
RECV=$SPAWNED
wait_file /tmp/41-ready 10

step "A: the collector is SIGKILLed mid-stream, another subscriber listens"
spawn nsk-genl-sub --ready-file /tmp/41-subA.ready >/tmp/41-subA.txt
SUBA=$SPAWNED
wait_file /tmp/41-subA.ready 10
start_live --port $PORT
spawn nsk-udp-send --dst 127.0.0.1 --port $PORT --count 4000 --pps 2000 >/dev/null
SEND=$SPAWNED
sleep 1
run kill -KILL "$NSK_LIVE_PID"
NSK_LIVE_PID=
wait_not_collecting 10
dmesg | grep -q 'netstack_kmon: collector went away, stopping' || fail "no 'collector went away' in the kernel log"
ok "kernel log: collector went away, stopping"
wait $SEND
run kill -TERM $SUBA
wait $SUBA
run cat /tmp/41-subA.txt
assert_eq 1 "$(kv stopped /tmp/41-subA.txt)" "the other subscriber got the STOPPED message"
assert_gt "$(kv records /tmp/41-subA.txt)" 0 "the other subscriber got records"
assert_eq "$(kv stopped_sent /tmp/41-subA.txt)" "$(( $(kv records /tmp/41-subA.txt) + $(kv stopped_fail /tmp/41-subA.txt) ))" "subscriber records + undelivered == sent"
counters_consistent

step "B: two subscribers and the collector at once; a second collector is refused"
N=3000
spawn nsk-genl-sub --until-stopped --ready-file /tmp/41-b1.ready >/tmp/41-b1.txt
B1=$SPAWNED
spawn nsk-genl-sub --until-stopped --ready-file /tmp/41-b2.ready >/tmp/41-b2.txt
B2=$SPAWNED
wait_file /tmp/41-b1.ready 10
wait_file /tmp/41-b2.ready 10
start_live --port $PORT
run netstack-kmon live --duration 1 >/tmp/41-second.out 2>/tmp/41-second.err
rc=$?
cat /tmp/41-second.err
assert_eq 1 "$rc" "a second collector exits 1"
assert_match /tmp/41-second.err 'another collector is running' "and says another collector is running"
run nsk-udp-send --dst 127.0.0.1 --port $PORT --count $N --pps 2000 >/dev/null
sleep 1
stop_live
wait $B1 $B2
run cat /tmp/41-b1.txt /tmp/41-b2.txt
EV=$(jq_get .events)
assert_eq 0 "$(jq_get .loss.netlink)" "collector: no netlink loss"
assert_eq "$N" "$(jq_get .sockets[comm=sink].rx_packets)" "collector: rx_packets == N"
for f in /tmp/41-b1.txt /tmp/41-b2.txt; do
	assert_eq "$EV" "$(kv records $f)" "$f: subscriber records == collector's events"
	assert_eq "$(kv stopped_sent $f)" "$(kv records $f)" "$f: records == kernel's sent"
	assert_eq 0 "$(kv gaps $f)" "$f: no sequence gaps"
done
counters_consistent
assert_eq 0 "$netlink_fail" "netlink_fail == 0"

step "C: a subscriber that never reads next to a collector that does"
spawn nsk-genl-sub --no-read --rcvbuf 16384 --ready-file /tmp/41-c.ready >/dev/null
STALL=$SPAWNED
wait_file /tmp/41-c.ready 10
start_live --port $PORT
run nsk-udp-send --dst 127.0.0.1 --port $PORT --count $N --pps 2000 >/dev/null
sleep 1
stop_live
assert_eq "$N" "$(jq_get .sockets[comm=sink].rx_packets)" "collector: rx_packets == N"
assert_eq 0 "$(jq_get .loss.netlink)" "collector: no netlink loss"
counters_consistent
assert_eq 0 "$netlink_fail" "netlink_fail == 0: the stalled subscriber's overrun is its own loss"
run kill -KILL $STALL
wait $STALL 2>/dev/null

step "D: the collector itself never reads"
spawn nsk-genl-sub --start --no-read --rcvbuf 16384 --ready-file /tmp/41-d.ready >/dev/null
OWNER=$SPAWNED
wait_file /tmp/41-d.ready 10
assert_eq true "$(status_get .collecting)" "collecting"
run nsk-udp-send --dst 127.0.0.1 --port $PORT --count $N --pps 2000 >/dev/null
sleep 1
f=$(status_get '.cpus|sum:netlink_fail')
assert_gt "$f" 0 "undelivered records counted while the collector does not read"
assert_eq true "$(status_get .collecting)" "a collector that does not read keeps its collection"
run kill -KILL $OWNER
wait $OWNER 2>/dev/null
wait_not_collecting 10
counters_consistent
assert_gt "$netlink_fail" 0 "netlink_fail > 0"

step "E: nobody subscribed"
spawn nsk-genl-sub --start --no-join --no-read --ready-file /tmp/41-e.ready >/dev/null
OWNER=$SPAWNED
wait_file /tmp/41-e.ready 10
run nsk-udp-send --dst 127.0.0.1 --port $PORT --count 1000 --pps 2000 >/dev/null
sleep 1
run nsk-genl-sub --stop || fail "STOP from another socket failed"
assert_eq false "$(status_get .collecting)" "STOP from another socket ends the collection"
counters_consistent
assert_gt "$sent" 0 "records were produced"
assert_eq "$sent" "$netlink_fail" "no subscriber: every record counted undelivered"
run kill -KILL $OWNER
wait $OWNER 2>/dev/null

kill $RECV; wait $RECV 2>/dev/null
unload_module
