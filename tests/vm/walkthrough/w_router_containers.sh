#!/bin/sh
# The walk-throughs of docs/usage.md ("Containers", "A router"), as run for
# the doc: `tests/vm/run-vm.sh --scenario-dir tests/vm/walkthrough
# w_router_containers`.  Not a test (no assertions): it prints what an SRE
# would see with `netstack-kmon live` text output on the two topologies.
#  1. containers c1, c2 on bridge br0 (veth pairs); c2's reader has a small
#     buffer and reads slowly, so some datagrams are dropped at its socket;
#  2. a router r between a and b with an nftables rule in r that drops
#     port 9099 on forward; a sends to 9055 (forwarded) and 9099 (dropped).
. /scenarios/lib.sh

ns_add c1
ns_add c2
bridge_add br0
veth_pair v1 c1 10.53.0.1/24 v1br "" ""
veth_pair v2 c2 10.53.0.2/24 v2br "" ""
run ip link set v1br master br0
run ip link set v2br master br0
wait_ping c1 10.53.0.2
router_topology
mod_load nf_tables
ns_exec r nft add table inet walk
ns_exec r nft add chain inet walk forward_filter '{ type filter hook forward priority 0; }'
ns_exec r nft add rule inet walk forward_filter udp dport 9099 counter drop
echo "namespaces: c1 $(ns_ino c1) c2 $(ns_ino c2) a $(ns_ino a) r $(ns_ino r) b $(ns_ino b)"
load_module

live_text() {	# live_text FILE ARGS...: text output; it stops by itself (--duration)
	f=$1
	shift
	echo "+ netstack-kmon live $* > $f &"
	netstack-kmon live "$@" >"$f" 2>&1 </dev/null &
	LIVE=$!
	while ! netstack-kmon status --json 2>/dev/null | grep -Eq '"collecting"[[:space:]]*:[[:space:]]*true'; do
		usleep 20000
	done
}
live_stop() {
	wait $LIVE
	echo "=================== netstack-kmon live output ==================="
	cat "$1"
	echo "================================================================="
}

step "containers: c1 -> c2:9053 over veth + bridge, a slow reader in c2"
ns_spawn c2 nsk-udp-recv --bind 10.53.0.2 --port 9053 --rcvbuf 16384 --delay-us 2000 \
	--idle-ms 2000 --ready-file /tmp/ready1 --out /tmp/recv1 --comm web-c2
wait_file /tmp/ready1 10
live_text /tmp/live1.txt --port 9053 --duration 6
ns_exec c1 nsk-udp-send --bind 10.53.0.1 --src-port 41000 --dst 10.53.0.2 --port 9053 \
	--count 2000 --pps 2000 --connect
wait $RECV
live_stop /tmp/live1.txt
echo "application: $(cat /tmp/recv1)"

step "router: a -> b:9055 forwarded by r, a -> b:9099 dropped by r's nftables rule"
ns_spawn b nsk-udp-recv --bind 10.54.2.1 --port 9055 --idle-ms 2000 \
	--ready-file /tmp/ready2 --out /tmp/recv2 --comm svc-b
RECV=$SPAWNED
wait_file /tmp/ready2 10
F0=$(ns_snmp r Ip ForwDatagrams)
live_text /tmp/live2.txt --proto udp --duration 6
ns_exec a nsk-udp-send --bind 10.54.1.1 --dst 10.54.2.1 --port 9055 --count 1000 --pps 2000
ns_exec a nsk-udp-send --bind 10.54.1.1 --dst 10.54.2.1 --port 9099 --count 300 --pps 2000
wait $RECV
live_stop /tmp/live2.txt
echo "application: $(cat /tmp/recv2)"
echo "kernel: Ip.ForwDatagrams in r +$(( $(ns_snmp r Ip ForwDatagrams) - F0 ))"
ns_exec r nft list ruleset
unload_module
