#!/bin/sh
# `make demo`: the built-in workload, watched by `netstack-kmon live`.
#  - "api-server" reads port 7000 quickly: no loss, short queue times;
#  - "metrics-agent" reads port 7001 slowly with a small SO_RCVBUF: its queue
#    overflows and the kernel drops datagrams (SOCKET_RCVBUFF), exactly what
#    /proc/net/udp and Udp.RcvbufErrors count.
# The report below is the tool's own text output (interval blocks, then the
# summary), produced from real probes on this kernel.
. /scenarios/lib.sh

load_module
run netstack-kmon status
nsk-udp-recv --bind 127.0.0.1 --port 7000 --idle-ms 2500 --ready-file /tmp/r1 \
	--out /tmp/recv1 --comm api-server &
R1=$!
nsk-udp-recv --bind 127.0.0.1 --port 7001 --idle-ms 2500 --rcvbuf 16384 --delay-us 2000 \
	--ready-file /tmp/r2 --out /tmp/recv2 --comm metrics-agent &
R2=$!
wait_file /tmp/r1 10
wait_file /tmp/r2 10
echo "+ netstack-kmon live --proto udp --interval 2 &"
netstack-kmon live --proto udp --interval 2 >/tmp/live.txt 2>&1 &
LIVE=$!
while ! netstack-kmon status --json 2>/dev/null | grep -Eq '"collecting"[[:space:]]*:[[:space:]]*true'; do
	usleep 20000
done
run nsk-udp-send --dst 127.0.0.1 --port 7000 --count 3000 --pps 1500 &
S1=$!
run nsk-udp-send --dst 127.0.0.1 --port 7001 --count 3000 --pps 1500
wait $S1 $R1 $R2
echo "+ kill -INT $LIVE   # stop: netstack-kmon prints its summary"
kill -INT $LIVE
wait $LIVE
echo
echo "=================== netstack-kmon live output ==================="
cat /tmp/live.txt
echo "================================================================="
echo "application view: $(cat /tmp/recv1)  |  $(cat /tmp/recv2)"
unload_module
