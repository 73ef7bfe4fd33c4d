#!/bin/sh
# nsk-vm: tcg-thread=single
# Unload is safe under full traffic: rmmod while collecting, with a sender
# blasting datagrams at a reader and another at a closed port (drops).  The
# module must unload cleanly (no WARN/BUG: checked by the harness), and the
# collector must notice and still print its summary.  Then 5 more
# load/collect/unload cycles under the same traffic.
. /scenarios/lib.sh
PORT=9300

run nsk-udp-recv --bind 127.0.0.1 --port $PORT --idle-ms 60000 \
	--ready-file /tmp/ready --out /tmp/recv.txt --comm sink &
RECV=$!
wait_file /tmp/ready 10
run nsk-udp-send --dst 127.0.0.1 --port $PORT --count 400000 --pps 5000 >/tmp/send1.txt &
S1=$!
run nsk-udp-send --dst 127.0.0.1 --port 9399 --count 400000 --pps 2000 >/tmp/send2.txt &
S2=$!

i=1
while [ $i -le 6 ]; do
	step "cycle $i: load, collect under traffic, rmmod while collecting"
	load_module
	start_live
	usleep 300000
	run rmmod netstack_kmon || fail "rmmod while collecting failed"
	! module_loaded || fail "module still loaded"
	# the collector must end by itself (family gone) and still summarise
	n=0
	while kill -0 "$NSK_LIVE_PID" 2>/dev/null; do
		n=$((n + 1))
		[ $n -lt 1500 ] || fail "netstack-kmon live did not notice the unload within 30 s"
		usleep 20000
	done
	wait "$NSK_LIVE_PID"
	echo "live exit status: $?"
	NSK_LIVE_PID=
	assert_match "$NSK_LIVE_OUT" '"type"[[:space:]]*:[[:space:]]*"summary"' "summary printed after unload"
	check_dmesg
	i=$((i + 1))
done
kill $S1 $S2 $RECV 2>/dev/null
wait $S1 $S2 $RECV 2>/dev/null
ok "6 unloads under traffic"
