#!/bin/sh
# nsk-vm: tcg-thread=single
# Issue 6, scenario 2: the reader stops reading for a while (SIGSTOP) under
# a flood: its netlink socket overflows.  The batches the kernel failed to
# deliver are counted by the kernel (netlink_fail) and detected by the tool
# from the per-CPU sequence numbers (loss.netlink) — the same number — and
# the tool saw ENOBUFS.  The module keeps working and counts recover: a
# second capture right after is exact again.
# Single-threaded TCG (second line): its STOPs run while the tool and the
# harness talk netlink on the other vCPU, and every netlink message passes the
# consume_skb tracepoint whose jump label the STOP patches; multi-threaded TCG
# then left both vCPUs spinning on that site (soft lockup, CI of fb8a566).
. /scenarios/lib.sh
PORT=9410

load_module
run nsk-udp-recv --bind 127.0.0.1 --port $PORT --idle-ms 60000 \
	--ready-file /tmp/ready --out /tmp/recv.txt --comm flood-sink &
RECV=$!
wait_file /tmp/ready 10
start_live --port $PORT
run nsk-udp-send --dst 127.0.0.1 --port $PORT --count 150000 --pps 0 >/tmp/send.txt &
SEND=$!
usleep 500000
run kill -STOP "$NSK_LIVE_PID"
# keep it stopped until the kernel has failed to deliver (its socket buffer
# is full), at least 5 s, at most 40 s x NSK_SLOW (a debug kernel floods
# several times slower); the flood goes on until then (one
# sender after another: how many records the tool's socket buffer holds
# depends on the record sizes, ~2 M compact records in its 128 MiB)
n=0
while :; do
	sleep 1
	n=$((n + 1))
	if ! kill -0 "$SEND" 2>/dev/null; then
		wait "$SEND"
		run nsk-udp-send --dst 127.0.0.1 --port $PORT --count 150000 --pps 0 >>/tmp/send.txt &
		SEND=$!
	fi
	f=$(netstack-kmon status --json | nsk-jq - '.cpus|sum:netlink_fail')
	[ "$n" -ge 5 ] && [ "$f" -gt 0 ] && break
	[ "$n" -lt "$(slow_s 40)" ] || break
done
echo "reader stopped for $n s; kernel netlink_fail so far: $f"
run kill -CONT "$NSK_LIVE_PID"
wait $SEND
stop_live
kill $RECV; wait $RECV

FAIL=$(jq_get '.cpus|sum:netlink_fail')
assert_gt "$FAIL" 0 "the kernel counted records it could not deliver"
assert_eq "$FAIL" "$(jq_get .loss.netlink)" "tool's sequence gaps == kernel's netlink_fail"
assert_gt "$(jq_get .loss_detail.enobufs)" 0 "the tool saw ENOBUFS on its socket"
assert_eq "$(jq_get '.cpus|sum:written')" "$(( $(jq_get .events) + FAIL ))" "written == received + undelivered"
assert_eq "$(jq_get .loss.ring)" "$(jq_get '.cpus|sum:ring_full')" "ring loss reported as counted"

step "recovery: the next capture is exact"
N=2000
PORT=9411
run sysctl -w net.core.rmem_max=33554432	# a reader starved by a loaded host must not drop
run nsk-udp-recv --bind 127.0.0.1 --port $PORT --expect $N --idle-ms 3000 --rcvbuf 8388608 \
	--ready-file /tmp/ready2 --out /tmp/recv2.txt --comm after &
R2=$!
wait_file /tmp/ready2 10
start_live --port $PORT
run nsk-udp-send --dst 127.0.0.1 --port $PORT --count $N --pps 2000
wait $R2
stop_live
assert_eq "$(jq_get .sockets[comm=after].rx_packets)" "$N" "rx_packets == N after recovery"
assert_eq "$(jq_get .journeys.rx.complete)" "$N" "journeys complete == N after recovery"
for l in ring netlink user incomplete_journeys; do
	assert_eq "$(jq_get .loss.$l)" 0 "loss.$l == 0 after recovery"
done
unload_module
