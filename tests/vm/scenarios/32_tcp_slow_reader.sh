#!/bin/sh
# Issue 5, scenario 4: a TCP receiver that does not read for HOLD ms while the
# sender fills its window (small receive buffer), then reads everything.
#  - no false drops: the kernel drops no data (TcpExt TCPRcvQDrop,
#    TCPZeroWindowDrop, TCPBacklogDrop, TCPOFODrop deltas are 0) and the tool
#    reports no data drop for the socket (drops_total == kernel's == 0); what
#    the kernel frees with a reason while the window is closed (zero-window
#    probes: segments without data) is not a socket drop;
#  - the queue residence grows and is visible in the socket row: interval
#    rows while the reader holds show data waiting (tcp.queued_now > 0) and
#    its age growing; at the end the socket's queue latency max is at least
#    the hold time (minus the time the sender needed to fill the window) and
#    every byte was copied (tcp.rx_bytes == B);
#  - every data segment is complete, none incomplete.
. /scenarios/lib.sh
B=${NSK_TCP_BYTES:-600000}
HOLD=${NSK_HOLD_MS:-3000}
PORT=9532

load_module ring_kb=8192

slow_reader() {
	rm -f /tmp/ready /tmp/recv.txt
	run nsk-tcp --listen 127.0.0.1 --port $PORT --rcvbuf 65536 --hold-ms $HOLD \
		--ready-file /tmp/ready --out /tmp/recv.txt --comm slow-reader &
	RECV=$!
	wait_file /tmp/ready 10
	for c in TCPRcvQDrop TCPZeroWindowDrop TCPBacklogDrop TCPOFODrop; do
		eval "K0_$c=\$(snmp_get TcpExt $c)"
	done
	start_live --port $PORT --interval 1
	run nsk-tcp --connect 127.0.0.1 --port $PORT --bytes $B --chunk 16384 --comm fast-writer ||
		fail "sender failed"
	wait $RECV
	usleep 200000
	stop_live
	missed_or_retry || return 2
	run cat /tmp/recv.txt
	KD=0
	for c in TCPRcvQDrop TCPZeroWindowDrop TCPBacklogDrop TCPOFODrop; do
		eval "d=\$((\$(snmp_get TcpExt $c) - K0_$c))"
		echo "TcpExt.$c +$d"
		KD=$((KD + d))
	done

	R=".sockets[local=127.0.0.1:$PORT]"
	run nsk-jq "$NSK_LIVE_OUT" "$R.tcp" "$R.queue.max_ns" "$R.drops" .drops
	assert_eq "$B" "$(kv bytes /tmp/recv.txt)" "the receiver read B bytes"
	assert_eq 0 "$KD" "the kernel dropped no data (TcpExt drop counters)"
	assert_eq "$KD" "$(jq_get "$R.drops_total")" "socket data drops == the kernel's"
	assert_eq "$B" "$(jq_get "$R.tcp.rx_bytes")" "socket row: bytes copied == B"
	assert_eq "$(jq_get .journeys.rx.tcp.data)" \
		"$(( $(jq_get .journeys.rx.complete) + $(jq_get .journeys.rx.tcp.data_dropped) ))" \
		"data segments received == copied to user + dropped"
	assert_eq "$(jq_get .journeys.rx.tcp.data_dropped)" "$(( $(jq_get .journeys.rx.tcp.duplicates) + $(jq_get '.sockets|sum:drops_total') ))" \
		"data segments dropped == duplicate copies + socket data drops"
	assert_eq 0 "$(jq_get .journeys.rx.incomplete)" "no receive journey incomplete"
	assert_eq 0 "$(jq_get .journeys.rx.queued_at_end)" "nothing left queued"
	assert_eq 0 "$(jq_get .loss.ring)" "no ring loss"
	# the first segment waited from (about) the start of the hold to its end
	assert_ge "$(jq_get "$R.queue.max_ns")" $(( (HOLD - 1000) * 1000000 )) \
		"queue residence max >= hold - 1 s"

	# interval rows while the reader held: data queued, its age growing
	grep '"type":"interval"' "$NSK_LIVE_OUT" >/tmp/iv.jsonl || fail "no interval lines"
	n=$(wc -l </tmp/iv.jsonl)
	echo "$n interval lines"
	prev=0 grew=0 i=1
	while [ $i -le "$n" ]; do
		sed -n "${i}p" /tmp/iv.jsonl >/tmp/iv1.json
		q=$(nsk-jq /tmp/iv1.json "$R.tcp.queued_now" 2>/dev/null) || q=0
		a=$(nsk-jq /tmp/iv1.json "$R.tcp.queued_oldest_ns" 2>/dev/null) || a=0
		echo "interval $i: queued_now=$q queued_oldest_ns=$a"
		if [ "$q" -gt 0 ] && [ "$a" -gt "$prev" ] && [ "$prev" -gt 0 ]; then
			grew=$((grew + 1))
		fi
		[ "$q" -gt 0 ] && prev=$a || prev=0
		i=$((i + 1))
	done
	assert_gt "$grew" 0 "an interval row showed the queued data's age growing"
}

exact_or_retry slow_reader
unload_module
