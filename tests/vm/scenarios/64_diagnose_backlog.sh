#!/bin/sh
# nsk-vm: nics=2
# Issue 19: the backlog verdict, proven by applying it.  A peer namespace sends N datagrams in
# F flows, unpaced, over the virtio NICs; RPS queues eth0's receive work to both vCPUs'
# backlogs, and net.core.netdev_max_backlog=4 is too small for the burst.  The verdict
# "backlog" explains the softnet_stat dropped delta (== the tool's CPU_BACKLOG drops), quotes
# the setting, and sizes it.  Fix: set netdev_max_backlog to the suggestion; the same load:
# no backlog drop, no verdict.
. /scenarios/lib.sh
N=${NSK_N:-2000}
F=8
PORT=9064

nic_setup 2
netns_peer peer eth1 10.50.0.2/24 eth0 10.50.0.1/24
rps_on eth0
load_module ring_kb=8192
run sysctl -w net.core.rmem_max=33554432

backlog_load() { # NETDEV_MAX_BACKLOG TAG
	step "$N datagrams in $F unpaced flows, peer -> host, netdev_max_backlog $1"
	run sysctl -w net.core.netdev_max_backlog=$1
	rm -f /tmp/ready
	spawn nsk-udp-recv --bind 10.50.0.1 --port $PORT --rcvbuf 16777216 --expect $N \
		--idle-ms 5000 --ready-file /tmp/ready --out /tmp/recv.$2 --comm rx-nic
	RECV=$SPAWNED
	wait_file /tmp/ready 10
	B0=$(softnet_dropped)
	start_live --port $PORT
	pids=
	f=1
	while [ $f -le $F ]; do
		ns_spawn peer nsk-udp-send --bind 10.50.0.2 --src-port $((40000 + f)) --dst 10.50.0.1 \
			--port $PORT --count $((N / F)) --pps 0 --connect >/tmp/send.$f
		pids="$pids $SPAWNED"
		f=$((f + 1))
	done
	for p in $pids; do wait $p || fail "a sender failed"; done
	wait $RECV
	stop_live
	Db=$(($(softnet_dropped) - B0))
	run cat /tmp/recv.$2
	echo "softnet_stat backlog drops: $Db"
	[ "$(jq_get .loss.ring)" = 0 ] || fail "the ring lost records"
}

backlog_load 4 a
V=".verdicts[kind=backlog]"
assert_gt "$Db" 0 "a backlog of 4 overflows"
assert_eq "$Db" "$(jq_get .softnet.dropped)" "the tool's softnet.dropped == softnet_stat delta"
assert_eq "$Db" "$(drops_sum reason CPU_BACKLOG)" "the tool's CPU_BACKLOG drops == softnet_stat delta"
assert_eq "$(jq_get $V.drops)" "$Db" "verdict backlog explains every backlog drop"
assert_eq "$(jq_get $V.evidence.netdev_max_backlog)" 4 "... quoting netdev_max_backlog"
NB=$(jq_get $V.suggest.netdev_max_backlog)
assert_gt "$NB" 4 "a larger backlog suggested: $NB"
backlog_load "$NB" b
assert_eq 0 "$Db" "no backlog drop with netdev_max_backlog $NB"
assert_eq missing "$(jq_get $V.kind)" "no backlog verdict any more"
unload_module
