#!/bin/sh
. /scenarios/lib.sh
N=600
PORT=9000
load_module
run nsk-udp-recv --bind 127.0.0.1 --port $PORT --rcvbuf 4096 --delay-us 3000 \
	--idle-ms 3000 --ready-file /tmp/ready --out /tmp/recv.txt --comm slow-app &
RECV=$!
wait_file /tmp/ready 10
netstack-kmon live --json --proto udp --port $PORT --record /tmp/rcvbuf.nsk >/tmp/rcvbuf.summary.json 2>/tmp/live.err &
LIVE=$!
while ! netstack-kmon status --json 2>/dev/null | grep -q '"collecting":true'; do usleep 20000; done
run nsk-udp-send --dst 127.0.0.1 --port $PORT --count $N --pps 0
wait $RECV
kill -TERM $LIVE; wait $LIVE
cat /tmp/live.err
ls -la /tmp/rcvbuf.nsk
echo "@@B64-NSK-BEGIN@@"; base64 /tmp/rcvbuf.nsk; echo "@@B64-NSK-END@@"
echo "@@B64-JSON-BEGIN@@"; base64 /tmp/rcvbuf.summary.json; echo "@@B64-JSON-END@@"
tail -n1 /tmp/rcvbuf.summary.json | cut -c1-300
