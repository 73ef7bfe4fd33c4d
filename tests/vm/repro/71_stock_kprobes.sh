#!/bin/sh
# Not a CI scenario: reproduces a QEMU multi-threaded-TCG artefact with the
# kernel's own kprobes, no module loaded (docs/troubleshooting.md).  12
# kprobes on the send and receive path are added, enabled for 0.3 s, disabled
# and removed, LOOPS times, while a paced UDP sender runs.
#   NSK_TCG_THREAD=multi tests/vm/run-vm.sh --scenario-dir tests/vm/repro 71_stock_kprobes
# oopses (RIP 0) within seconds; with NSK_TCG_THREAD=single it prints STOCK DONE.
. /scenarios/lib.sh
PORT=9471
mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
T=/sys/kernel/tracing
ls $T/kprobe_events || fail "no kprobe_events"
nsk-udp-recv --bind 127.0.0.1 --port $PORT --idle-ms 100000 --ready-file /tmp/ready --out /tmp/recv.txt --comm sink &
R=$!
wait_file /tmp/ready 10
nsk-udp-send --dst 127.0.0.1 --port $PORT --count 1000000 --pps 2000 >/dev/null &
S=$!
i=1
while [ $i -le ${LOOPS:-40} ]; do
	for f in __sock_sendmsg udp_sendmsg ip_finish_output2 dev_queue_xmit dev_hard_start_xmit ip_rcv ip_local_deliver udp_rcv __udp_enqueue_schedule_skb skb_consume_udp udp_recvmsg ip_output; do
		echo "p:k_$f $f" >> $T/kprobe_events
	done
	echo 1 > $T/events/kprobes/enable
	usleep 300000
	echo 0 > $T/events/kprobes/enable
	echo > $T/kprobe_events
	echo "LOOP $i"
	i=$((i + 1))
done
kill $S $R
echo STOCK DONE
