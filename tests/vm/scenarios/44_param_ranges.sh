#!/bin/sh
# Module parameters out of range are refused at load: insmod fails, nothing
# is left loaded, and the kernel log names the parameter and the allowed
# range (kmod/nsk_main.c: kernel_param_ops .set validators).  The bounds
# themselves load, and the values read back from /sys/module.
# Ranges (docs/security.md, README): ring_kb 16..65536 KiB per CPU,
# drain_ms 1..1000 ms; budget is any u32 (0 = off); probes a list of probe
# names (an unknown name is refused; a collection attaches only those, and
# counts exactly their hits).
. /scenarios/lib.sh

# refused PARAM VALUE ERE: insmod PARAM=VALUE must fail with a kernel log
# line matching ERE
refused() {
	local before
	before=$(dmesg | wc -l)
	echo "+ insmod $NSK_KO $1=$2  # must fail" >&9
	if insmod "$NSK_KO" "$1=$2" 2>/tmp/44-insmod.err; then
		fail "insmod $1=$2 succeeded"
	fi
	sed 's/^/insmod: /' /tmp/44-insmod.err
	! module_loaded || fail "$NSK_MOD loaded after a refused $1=$2"
	dmesg | tail -n +$((before + 1)) >/tmp/44-k.log
	sed 's/^/dmesg: /' /tmp/44-k.log
	assert_match /tmp/44-k.log "$3" "$1=$2 refused with a message naming the parameter and range"
}

step "out of range"
for v in 0 15 65537 4294967295; do
	refused ring_kb $v "ring_kb=$v refused: allowed range 16\.\.65536 KiB"
done
for v in 0 1001 100000; do
	refused drain_ms $v "drain_ms=$v refused: allowed range 1\.\.1000 ms"
done

step "not numbers"
refused ring_kb -1 'ring_kb=-1 refused: allowed range 16\.\.65536 KiB'
refused ring_kb 4294967296 'ring_kb=4294967296 refused: allowed range 16\.\.65536 KiB'
refused drain_ms 5ms 'drain_ms=5ms refused: allowed range 1\.\.1000 ms'
refused budget -1 "invalid for parameter .budget"

step "the bounds load and read back"
for p in ring_kb=16 ring_kb=65536 drain_ms=1 drain_ms=1000; do
	run insmod "$NSK_KO" $p || fail "insmod $p failed"
	assert_eq "${p#*=}" "$(cat /sys/module/$NSK_MOD/parameters/${p%%=*})" "/sys/module/$NSK_MOD/parameters/${p%%=*}"
	run netstack-kmon status >/dev/null || fail "status with $p (exit $?)"
	unload_module
done

step "probes=: only the probes named"
refused probes nosuch "probes=: no probe named 'nosuch'"
refused probes ip_rcv,nosuch "probes=: no probe named 'nosuch'"
run insmod "$NSK_KO" probes=netif_receive_skb,ip_rcv,udp_recvmsg || fail "insmod probes=... failed"
assert_eq netif_receive_skb,ip_rcv,udp_recvmsg "$(cat /sys/module/$NSK_MOD/parameters/probes)" "probes reads back"
N=300
spawn nsk-udp-recv --port 9440 --expect $N --idle-ms 20000 --ready-file /tmp/44-r --out /tmp/44-recv.txt
R=$SPAWNED
wait_file /tmp/44-r 10
start_live --port 9440
run netstack-kmon status --json >/tmp/44-s.json || fail "status --json exited $?"
run nsk-udp-send --dst 127.0.0.1 --port 9440 --count $N --pps 2000 >/dev/null || fail "sender failed"
wait $R
stop_live
for p in netif_receive_skb ip_rcv udp_recvmsg; do
	assert_eq true "$(jq_get ".probes[name=$p].attached" /tmp/44-s.json)" "$p attached"
done
for p in ip_local_deliver udp_rcv udp_enqueue consume_skb; do
	assert_eq false "$(jq_get ".probes[name=$p].attached" /tmp/44-s.json)" "$p left out"
	assert_eq "left out by the probes= parameter" "$(jq_get ".probes[name=$p].note" /tmp/44-s.json)" "$p's note"
done
assert_eq "$N" "$(kv received /tmp/44-recv.txt)" "the receiver got all $N"
# loopback: the datagrams are the only packets to port 9440; 3 probes each
assert_eq "$((3 * N))" "$(jq_get .events)" "events: 3 probes x $N datagrams"
assert_eq "$N" "$(jq_get .probes_seen.ip_rcv)" "ip_rcv saw N"
assert_eq "$N" "$(jq_get .probes_seen.udp_recvmsg)" "udp_recvmsg saw N"
unload_module

step "defaults unchanged"
load_module
assert_eq 2048 "$(cat /sys/module/$NSK_MOD/parameters/ring_kb)" "default ring_kb"
assert_eq 5 "$(cat /sys/module/$NSK_MOD/parameters/drain_ms)" "default drain_ms"
assert_eq 0 "$(cat /sys/module/$NSK_MOD/parameters/budget)" "default budget"
assert_eq "" "$(cat /sys/module/$NSK_MOD/parameters/probes)" "default probes (all)"
unload_module
