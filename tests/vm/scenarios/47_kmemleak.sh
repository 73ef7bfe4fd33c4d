#!/bin/sh
# nsk-vm: tcg-thread=single
# kmemleak (debug kernel: `make test-debug`): load, collect under UDP
# traffic, stop, start/stop again, unload, reload; then let kmemleak scan
# (twice, objects younger than 5 s are not reported) and require that no
# unreferenced object was allocated by the module or by the ring buffer /
# netlink paths it drives.  On a kernel without kmemleak it says so and
# checks nothing (SKIP, exit 0): the point of this scenario is the debug
# kernel.
. /scenarios/lib.sh
KML=/sys/kernel/debug/kmemleak
PORT=9470

if [ ! -e $KML ]; then
	echo "SKIP: this kernel has no kmemleak ($KML missing: CONFIG_DEBUG_KMEMLEAK is off);"
	echo "SKIP: run 'make test-debug' for the leak check"
	exit 0
fi
echo clear >$KML
load_module
spawn nsk-udp-recv --bind 127.0.0.1 --port $PORT --idle-ms 600000 \
	--ready-file /tmp/47-ready --out /tmp/47-recv.txt --comm leak-sink
RECV=$SPAWNED
wait_file /tmp/47-ready 10
spawn nsk-udp-send --dst 127.0.0.1 --port $PORT --count 100000 --pps 500 >/dev/null
SEND=$SPAWNED
start_live --port $PORT
sleep 2
stop_live
run nsk-genl-sub --cycles 5 || fail "START/STOP cycles failed"
start_live
sleep 1
unload_module
n=0; while kill -0 "$NSK_LIVE_PID" 2>/dev/null && [ $n -lt 100 ]; do usleep 100000; n=$((n + 1)); done
NSK_LIVE_PID=
load_module
run nsk-genl-sub --cycles 2 || fail "START/STOP cycles failed"
kill $SEND $RECV; wait $SEND $RECV 2>/dev/null

step "kmemleak scan"
sleep 6
echo scan >$KML
sleep 1
echo scan >$KML
cat $KML >/tmp/47-leaks.txt
echo "kmemleak reports $(grep -c 'unreferenced object' /tmp/47-leaks.txt) unreferenced object(s) in the whole kernel"
sed 's/^/kmemleak: /' /tmp/47-leaks.txt | head -n 200
# one report per object: a blank-line separated block; ours are those whose
# backtrace names the module, a module address, or the paths it drives
awk 'BEGIN { RS = "" } /netstack_kmon|nsk_|ring_buffer|rb_allocate|genlmsg|0xffffffffc0/ { n++ } END { print n + 0 }' \
	/tmp/47-leaks.txt >/tmp/47-ours
assert_eq 0 "$(cat /tmp/47-ours)" "no leaked object allocated by the module or on its paths"
unload_module
