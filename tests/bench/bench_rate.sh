#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make bench`, part 2: the highest paced UDP loopback rate at
# which `netstack-kmon live` (all probes) loses nothing.  Steps up
# NSK_RATE_STEPS (datagrams/s, 0 = unpaced) with NSK_RATE_N datagrams each;
# prints @@RATE pps=P n=N ns=T written=W ring=R netlink=L gaps=G@@ per step
# and stops at the first step with loss.
. /scenarios/lib.sh

N=${NSK_RATE_N:-20000}
STEPS=${NSK_RATE_STEPS:-"5000 10000 20000 40000 60000 80000 100000 0"}
PORT=9001
echo 1073741824 >/proc/sys/net/core/rmem_max
RCVBUF=$((N * 4096 > 1073741824 ? 1073741824 : N * 4096))
load_module
for pps in $STEPS; do
	start_live
	rm -f /tmp/ready
	nsk-udp-recv --port $PORT --expect "$N" --rcvbuf "$RCVBUF" --idle-ms 20000 \
		--ready-file /tmp/ready --report-time >/tmp/recv.txt &
	wait_file /tmp/ready 30 || fail "receiver not ready"
	nsk-udp-send --dst 127.0.0.1 --port $PORT --count "$N" --size 64 --pps "$pps" \
		--report-time >/tmp/send.txt
	wait
	stop_live
	ns=$(($(kv last_ns /tmp/recv.txt) - $(kv start_ns /tmp/send.txt)))
	ring=$(jq_get .loss.ring) nl=$(jq_get .loss.netlink)
	echo "@@RATE pps=$pps n=$(kv received /tmp/recv.txt) ns=$ns events=$(jq_get .events)" \
		"written=$(jq_get '.cpus|sum:written') hits=$(jq_get '.cpus|sum:hits') ring=$ring" \
		"netlink=$nl user=$(jq_get .loss.user) incomplete=$(jq_get .loss.incomplete_journeys)@@"
	[ "$ring" = 0 ] && [ "$nl" = 0 ] || break
done
unload_module
exit 0
