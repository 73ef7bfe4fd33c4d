#!/bin/sh
# nsk-vm: tcg-thread=single
# Not a CI scenario (docs/security.md, debug kernel, finding 2): NSK_LOOPS
# (6) collections of 2000 paced datagrams, each started while the sender
# already runs; prints per run events, written and loss.unsent, and the
# module's final-drain lines.
. /scenarios/lib.sh
PORT=9461
load_module
bad=0
i=1
while [ $i -le ${NSK_LOOPS:-6} ]; do
	nsk-udp-recv --bind 127.0.0.1 --port $PORT --expect 2000 --idle-ms 3000 --ready-file /tmp/ready$i --out /tmp/recv.txt --comm paced &
	R=$!
	wait_file /tmp/ready$i 10
	nsk-udp-send --dst 127.0.0.1 --port $PORT --count 2000 --pps 2000 >/dev/null &
	netstack-kmon live --json --port $PORT --duration 4 >/tmp/l$i.jsonl 2>/dev/null
	wait
	u=$(nsk-jq /tmp/l$i.jsonl .loss.unsent)
	echo "RUN $i events=$(nsk-jq /tmp/l$i.jsonl .events) written=$(nsk-jq /tmp/l$i.jsonl '.cpus|sum:written') unsent=$u"
	[ "$u" = missing ] || bad=$((bad + 1))
	i=$((i + 1))
done
dmesg | grep -a "skipped\|final drain" | tail -20
echo "RUNS WITH UNSENT: $bad"
unload_module
