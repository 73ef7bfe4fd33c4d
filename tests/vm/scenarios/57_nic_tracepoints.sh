#!/bin/sh
# nsk-vm: nics=2
# Issue 15, item 2 (NIC-level tracepoints as stages): the kernel has
# tracepoints at the NIC's edge - net:napi_gro_receive_entry (the driver
# hands a received packet to GRO, in NAPI) and net:net_dev_xmit (the
# driver's transmit returned).  N datagrams from the peer namespace (eth1)
# to the host (eth0), one flow.  Expected: both tracepoints exist in the
# booted kernel; the tool saw each N times (probes_seen) and shows them as
# stages: napi_gro_receive_entry -> netif_receive_skb on receive and
# dev_hard_start_xmit -> net_dev_xmit on send, N each.
# No RPS here: GRO hands its packets up as a list (netif_receive_skb_list ->
# ip_list_rcv), a path that never calls ip_rcv; the IP receive stage must be
# there all the same (probe ip_rcv N, stage netif_receive_skb -> ip_rcv N).
. /scenarios/lib.sh
N=${NSK_N:-1000}
PORT=9058

nic_setup 2
netns_peer peer eth1 10.50.0.2/24 eth0 10.50.0.1/24
for t in napi_gro_receive_entry net_dev_xmit net_dev_start_xmit; do
	[ -d /sys/kernel/tracing/events/net/$t ] && ok "the kernel has tracepoint net:$t" ||
		fail "no tracepoint net:$t in this kernel"
done
load_module ring_kb=8192

nic_tps() {
	rm -f /tmp/ready /tmp/recv.txt
	run nsk-udp-recv --bind 10.50.0.1 --port $PORT --expect $N --idle-ms 5000 \
		--ready-file /tmp/ready --out /tmp/recv.txt --comm rx-nic &
	RECV=$!
	wait_file /tmp/ready 10
	start_live --port $PORT
	ns_exec peer nsk-udp-send --bind 10.50.0.2 --src-port 41058 --dst 10.50.0.1 --port $PORT \
		--count $N --pps 1000 --connect || fail "sender failed"
	wait $RECV
	stop_live
	missed_or_retry || return 2
	run nsk-jq "$NSK_LIVE_OUT" .probes_seen
	show_stages
	expect_eq "$N" "$(kv received /tmp/recv.txt)" "the application received N"
	expect_eq "$N" "$(jq_get .probes_seen.ip_rcv)" "IP receive (ip_rcv / ip_list_rcv) seen N times"
	expect_eq "$N" "$(jq_get '.stages[to=ip_rcv].count')" "stage netif_receive_skb -> ip_rcv == N"
	expect_eq "$N" "$(jq_get .probes_seen.napi_gro_receive_entry)" "tracepoint napi_gro_receive_entry seen N times"
	expect_eq "$N" "$(jq_get .probes_seen.net_dev_xmit)" "tracepoint net_dev_xmit seen N times"
	expect_eq "$N" "$(jq_get '.stages[from=napi_gro_receive_entry].count')" "stage napi_gro_receive_entry -> netif_receive_skb == N"
	expect_eq "$N" "$(jq_get '.stages[to=net_dev_xmit].count')" "stage dev_hard_start_xmit -> net_dev_xmit == N"
	expect_done
}
exact_or_retry nic_tps
unload_module
