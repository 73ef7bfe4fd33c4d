#!/bin/sh
# nsk-vm: nics=2
# Issue 15, item 1: the topology harness itself, without the module.  Two
# virtio-net-pci NICs on one QEMU hub (no host backend): eth1 moves into a
# peer namespace and the two reach each other; a veth pair and a bridge
# join two more namespaces; nftables counts and drops; tc shows a qdisc's
# counters; RPS spreads eth0's receive work over every vCPU.  Every tool
# the real-path scenarios use is in the image and works.
. /scenarios/lib.sh

step "NICs and a peer namespace"
assert_eq 2 "${NSK_NICS:-0}" "run-vm.sh gave the VM 2 NICs"
nic_setup 2
netns_peer peer eth1 10.50.0.2/24 eth0 10.50.0.1/24
rps_on eth0
assert_eq "$(ns_ino)" "$(stat -L -c %i /proc/1/ns/net)" "eth0 stays in the initial namespace"
assert_ne "$(ns_ino)" "$(ns_ino peer)" "the peer has its own namespace"
ns_exec peer ip -br addr >/tmp/peer.addr
assert_match /tmp/peer.addr '^eth1 .*10\.50\.0\.2/24' "eth1 is in the peer namespace"

step "UDP over the NICs (nsk-udp-*), counted by both kernels"
I0=$(snmp_get Udp InDatagrams) O0=$(ns_snmp peer Udp OutDatagrams)
R0=$(cat /sys/class/net/eth0/statistics/rx_packets)
run nsk-udp-recv --bind 10.50.0.1 --port 9050 --expect 200 --idle-ms 5000 \
	--ready-file /tmp/ready --out /tmp/recv.txt &
RECV=$!
wait_file /tmp/ready 10
ns_exec peer nsk-udp-send --dst 10.50.0.1 --port 9050 --count 200 --pps 2000 >/tmp/send.txt
wait $RECV
run cat /tmp/send.txt /tmp/recv.txt
assert_eq 200 "$(kv received /tmp/recv.txt)" "200 datagrams crossed eth1 -> hub -> eth0"
assert_eq 200 "$(($(snmp_get Udp InDatagrams) - I0))" "Udp.InDatagrams here +200"
assert_eq 200 "$(($(ns_snmp peer Udp OutDatagrams) - O0))" "Udp.OutDatagrams in the peer +200"
assert_ge "$(($(cat /sys/class/net/eth0/statistics/rx_packets) - R0))" 200 "eth0 rx_packets +200 at least"
echo "softnet: $(softnet_rx_cpus)"

step "veth pairs, a bridge, nftables, tc"
ns_add c1
ns_add c2
bridge_add br0
veth_pair v1 c1 10.52.0.1/24 v1br "" ""
veth_pair v2 c2 10.52.0.2/24 v2br "" ""
run ip link set v1br master br0
run ip link set v2br master br0
wait_ping c1 10.52.0.2
mod_load nf_tables sch_tbf
ns_exec c2 nft -f - <<'NFT' || fail "nft -f"
table inet t {
	chain in { type filter hook input priority 0; policy accept;
		udp dport 9999 counter drop
	}
}
NFT
ns_exec c1 nsk-udp-send --dst 10.52.0.2 --port 9999 --count 7 >/dev/null
ns_exec c2 nft list ruleset >/tmp/ruleset
run cat /tmp/ruleset
assert_match /tmp/ruleset 'udp dport 9999 counter packets 7 ' "the nft rule counted and dropped 7"
run tc qdisc replace dev v1br root tbf rate 1mbit burst 4kb limit 8kb || fail "tc qdisc tbf"
run tc -s qdisc show dev v1br >/tmp/tc.txt
assert_match /tmp/tc.txt 'qdisc tbf' "tc shows the tbf qdisc"
assert_match /tmp/tc.txt 'dropped [0-9]+' "tc -s shows its drop counter"
check_dmesg
