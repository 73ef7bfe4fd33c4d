#!/bin/sh
# nsk-vm: tcg-thread=single
# Not a CI scenario (docs/security.md, debug kernel, finding 3): scenario 22's
# first collection, then the collector's state every 15 s after SIGTERM
# (state, CPU time, kernel stack, /proc/stat), sysrq l and w twice, top once.
# It never calls netstack-kmon status: that would wait for the STOP.
#   tests/vm/run-vm.sh ... --bzimage --mem 2048 --scenario-dir tests/vm/repro 22_stop_diag
. /scenarios/lib.sh
PORT=9420
load_module
run nsk-udp-recv --bind 127.0.0.1 --port $PORT --idle-ms 600000 --ready-file /tmp/ready --out /tmp/recv.txt --comm loaded &
RECV=$!
wait_file /tmp/ready 10
SEND=
i=0
while [ $i -lt 16 ]; do
	nsk-udp-send --dst 127.0.0.1 --port $PORT --count 1000000 --pps 60 >/dev/null &
	SEND="$SEND $!"
	i=$((i + 1))
done
start_live --budget 0
sleep 4
echo "+ kill -TERM $NSK_LIVE_PID"
kill -TERM $NSK_LIVE_PID
t0=$(cut -d' ' -f1 /proc/uptime)
n=0
while [ ! -e $NSK_LIVE_OUT.rc ] && [ $n -lt 60 ]; do
	sleep 15
	n=$((n + 1))
	echo "=== +$n x15s uptime $(cut -d' ' -f1 /proc/uptime) (TERM at $t0) load $(cat /proc/loadavg)"
	grep -E '^(State|voluntary|nonvoluntary)' /proc/$NSK_LIVE_PID/status
	echo "utime stime: $(cut -d' ' -f14,15 /proc/$NSK_LIVE_PID/stat)"
	cat /proc/$NSK_LIVE_PID/stack | head -4
	head -1 /proc/stat
	grep -E "^(softirq|ctxt)" /proc/stat
	if [ $n = 4 ] || [ $n = 20 ]; then
		echo l > /proc/sysrq-trigger
		echo w > /proc/sysrq-trigger
		sleep 5
	fi
	if [ $n = 8 ]; then top -b -n 1 | head -14; fi
done
echo "rc: $(cat $NSK_LIVE_OUT.rc 2>/dev/null) after $n checks"
grep -c . $NSK_LIVE_OUT
kill $SEND $RECV
