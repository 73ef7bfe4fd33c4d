#!/bin/sh
# Issue 5, scenario 5: two processes, pinned to the two CPUs, write on the
# same TCP socket at once (a connected socket shared across fork()).  The
# seed keyed its timestamps by socket, so two writers mixed their journeys;
# here each segment is matched to the sendmsg that wrote its first byte (by
# sequence number, under the socket lock), so:
#  - per process: the tool's tcp_sendmsg_locked calls and bytes for that pid
#    == what the process says it wrote;
#  - no journey is mixed up: no stage timestamp goes backwards along any
#    journey (journeys.reversed_stages absent), every new-data segment
#    carries exactly one sendmsg and has an end-to-end latency;
#  - exact totals: bytes sent == bytes copied == B, every data segment sent
#    is received and complete.
. /scenarios/lib.sh
B=${NSK_TCP_BYTES:-2000000}
PORT=9533
[ "$(online_cpus)" -ge 2 ] || fail "this scenario needs 2 CPUs (run-vm.sh boots 2)"

load_module ring_kb=8192

two_writers() {
	rm -f /tmp/ready /tmp/recv.txt
	run nsk-tcp --listen 127.0.0.1 --port $PORT --ready-file /tmp/ready --out /tmp/recv.txt \
		--comm tcp-sink &
	RECV=$!
	wait_file /tmp/ready 10
	K0=$(tcp_drop_counters)
	start_live --port $PORT
	run nsk-tcp --connect 127.0.0.1 --port $PORT --bytes $B --chunk 1000 --procs 2 --nodelay \
		--comm writer >/tmp/send.txt || fail "sender failed"
	wait $RECV
	usleep 200000
	stop_live
	missed_or_retry || return 2
	K1=$(tcp_drop_counters)
	run cat /tmp/send.txt /tmp/recv.txt

	R=".sockets[remote=127.0.0.1:$PORT]"
	run nsk-jq "$NSK_LIVE_OUT" "$R.tcp" .journeys.tx .journeys.rx
	assert_eq 2 "$(wc -l </tmp/send.txt)" "two writer processes reported"
	assert_eq 2 "$(jq_get "$R.tcp.writers|length")" "the tool saw two writers on the socket"
	while read -r line; do
		echo "$line" >/tmp/w.txt
		pid=$(kv pid /tmp/w.txt) calls=$(kv calls /tmp/w.txt) bytes=$(kv bytes /tmp/w.txt)
		assert_eq "$calls" "$(jq_get "$R.tcp.writers[pid=$pid].calls")" "pid $pid: sendmsg calls"
		assert_eq "$bytes" "$(jq_get "$R.tcp.writers[pid=$pid].bytes")" "pid $pid: bytes written"
	done </tmp/send.txt
	assert_eq "$B" "$(kv bytes /tmp/recv.txt)" "the receiver read B bytes"
	assert_eq "$B" "$(jq_get .journeys.tx.tcp.bytes)" "bytes sent (new data) == B"
	assert_eq "$B" "$(jq_get .journeys.rx.tcp.bytes)" "bytes copied to user == B"
	assert_tcp_accounting "$((K1 - K0))"
	assert_eq missing "$(jq_get .journeys.reversed_stages)" "no stage time went backwards"
	assert_eq 0 "$(jq_get .journeys.rx.incomplete)" "no receive journey incomplete"
	assert_eq 0 "$(jq_get .journeys.tx.incomplete)" "no send journey incomplete"
	assert_eq 0 "$(jq_get .loss.ring)" "no ring loss"
}

exact_or_retry two_writers
unload_module
