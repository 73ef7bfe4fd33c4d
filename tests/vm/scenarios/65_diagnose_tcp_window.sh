#!/bin/sh
# Issue 19: TCP zero window, proven by applying the verdict.  A receiver with a fixed 4 KiB
# SO_RCVBUF that does not read for 1 s gets 1 MB: its window closes again and again and the
# sender waits (no data is lost: the cost is time).  The verdict tcp_zero_window quotes the
# kernel's TcpExt.TCPToZeroWindowAdv delta exactly and names the receiving socket.  Fix (its
# change, "set it larger"): a receive buffer larger than the whole transfer (SO_RCVBUF 4 MiB, with
# net.core.rmem_max raised since it caps SO_RCVBUF) and a reader that reads at once; the same
# transfer: the window never closes, no verdict.  Autotuning alone (no SO_RCVBUF) is not the fix
# proven here: it starts from tcp_rmem's default (128 KiB) and under emulation a reader that is
# descheduled for a few ms lets the sender fill it (a CI run saw 2 zero windows).
. /scenarios/lib.sh
PORT=9650 BYTES=${NSK_BYTES:-1000000}
load_module ring_kb=8192

tcp_load() { # TAG RECEIVER-OPTIONS...
	tag=$1
	shift
	rm -f /tmp/65-r
	Z0=$(snmp_get TcpExt TCPToZeroWindowAdv)
	spawn nsk-tcp --listen 127.0.0.1 --port $PORT "$@" --ready-file /tmp/65-r \
		--out /tmp/65-recv.$tag --comm tcp-rx
	R=$SPAWNED
	wait_file /tmp/65-r 10
	start_live --port $PORT
	run nsk-tcp --connect 127.0.0.1 --port $PORT --bytes $BYTES --chunk 65536 --comm tcp-tx
	wait $R
	stop_live
	ZW=$(($(snmp_get TcpExt TCPToZeroWindowAdv) - Z0))
	run cat /tmp/65-recv.$tag
	assert_eq "$BYTES" "$(kv bytes /tmp/65-recv.$tag)" "every byte read"
	echo "TcpExt.TCPToZeroWindowAdv +$ZW"
}

V=".verdicts[kind=tcp_zero_window]"
step "a 4 KiB receive buffer, a reader that waits 1 s"
tcp_load a --rcvbuf 4096 --hold-ms 1000 --read-size 1024
assert_gt "$ZW" 0 "the receiver's window closed"
assert_eq "$(jq_get $V.evidence.TcpExt.TCPToZeroWindowAdv)" "$ZW" \
	"verdict tcp_zero_window quotes TCPToZeroWindowAdv exactly"
assert_eq "$(jq_get $V.socket.local)" "127.0.0.1:$PORT" "... and names the receiving socket"
assert_eq "$(jq_get $V.socket.comm)" "tcp-rx" "... and its reader"
step "fixed: a receive buffer larger than the transfer, a reader that reads at once"
run sysctl -w net.core.rmem_max=$((8 * BYTES))
tcp_load b --rcvbuf $((4 * BYTES)) --read-size 65536
assert_eq 0 "$ZW" "the window never closed"
assert_eq missing "$(jq_get $V.kind)" "no zero-window verdict"
unload_module
