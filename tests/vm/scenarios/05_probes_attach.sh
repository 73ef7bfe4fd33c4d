#!/bin/sh
# Which probes attach on this kernel (docs/compat.md is filled from this):
# start a capture, show `netstack-kmon status --json` while collecting, one
# line per probe, and require that every probe either attached or says why
# not, and that the probes every supported kernel has are attached.
. /scenarios/lib.sh
# in every kernel from 5.10 on: the receive path's entry points and the
# drop/free tracepoints
REQUIRED="netif_receive_skb ip_rcv ip_local_deliver udp_rcv udp_recvmsg consume_skb kfree_skb sock_rcvqueue_full udp_fail_queue_rcv_skb"

step "kernel $(uname -r)"
load_module
start_live --proto udp
run netstack-kmon status --json >/tmp/s.json || fail "netstack-kmon status --json exited $?"
cat /tmp/s.json
run netstack-kmon status || fail "netstack-kmon status exited $?"
stop_live

step "probes"
n=$(jq_get '.probes|length' /tmp/s.json)
assert_gt "$n" 0 "status lists probes"
i=0
while [ "$i" -lt "$n" ]; do
	P=".probes[$i]"
	name=$(jq_get "$P".name /tmp/s.json)
	att=$(jq_get "$P".attached /tmp/s.json)
	err=$(jq_get "$P".error /tmp/s.json)
	echo "probe: $name kind=$(jq_get "$P".kind /tmp/s.json) attached=$att target=$(jq_get "$P".target /tmp/s.json) error=$err note=$(jq_get "$P".note /tmp/s.json)"
	[ "$att" = true ] || [ "$err" != null ] || fail "$name is not attached and gives no error"
	i=$((i + 1))
done
for p in $REQUIRED; do
	assert_eq true "$(jq_get ".probes[name=$p].attached" /tmp/s.json)" "$p attached"
done
unload_module
check_dmesg
