#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of `scripts/bench.sh --capture`: record the UDP loopback load
# with all probes (`netstack-kmon record`) and print the capture base64
# encoded between @@CAPTURE-BEGIN@@ / @@CAPTURE-END@@ so the host can time
# `netstack-kmon report` on it (decoder + correlator throughput).
. /scenarios/lib.sh

N=${NSK_CAPTURE_N:-50000}
PORT=9002
echo 1073741824 >/proc/sys/net/core/rmem_max
RCVBUF=$((N * 4096 > 1073741824 ? 1073741824 : N * 4096))
# a ring that holds the whole burst: on 2 vCPUs the recorder (zstd) is slower
# than the unpaced load, and the default 2 MiB per CPU lost ~10 % of the
# records (counted as ring loss); this capture is the report benchmark's input
load_module ring_kb=32768
netstack-kmon record -o /tmp/cap.nsk --json >/tmp/rec.json 2>/tmp/rec.err &
recpid=$!
n=500
while ! netstack-kmon status --json 2>/dev/null | grep -Eq '"collecting"[[:space:]]*:[[:space:]]*true'; do
	n=$((n - 1)); [ $n -gt 0 ] || fail "record never started: $(cat /tmp/rec.err)"
	usleep 20000
done
nsk-udp-recv --port $PORT --expect "$N" --rcvbuf "$RCVBUF" --idle-ms 20000 \
	--ready-file /tmp/ready >/tmp/recv.txt &
rpid=$!
wait_file /tmp/ready 30 || fail "receiver not ready"
run nsk-udp-send --dst 127.0.0.1 --port $PORT --count "$N" --size 64
wait "$rpid"
cat /tmp/recv.txt
kill -TERM "$recpid"
wait "$recpid"
echo "record exit $?"
cat /tmp/rec.err
tail -c 2000 /tmp/rec.json | grep -o '"loss":{[^}]*}'
ls -l /tmp/cap.nsk
echo "@@CAPTURE-BEGIN@@"
base64 /tmp/cap.nsk
echo "@@CAPTURE-END@@"
unload_module
exit 0
