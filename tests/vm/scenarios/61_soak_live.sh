#!/bin/sh
# Issue 16: a soak of `live --listen` over socket churn.  For NSK_SOAK_S
# seconds (default 50 x NSK_SLOW, about 65 s of VM time on Debian's kernel;
# a slower guest churns sockets and samples that much slower, so it soaks that
# much longer for the same amount of churn and samples; a longer run outside CI:
# tests/vm/run-vm.sh --env NSK_SOAK_S=600 --timeout 900 --scenario-timeout 900
# 61_soak_live):
#  - UDP: senders that open a new socket every 4 datagrams (hundreds of
#    short-lived sockets a second) to one receiver, which is stopped for 1 s
#    (SIGSTOP) every 6th sampling round and resumes;
#  - TCP: short connections one after another (a listener, a 20 000-byte
#    transfer, close), each its own listening, accepted and client socket;
#  - the tool runs with small bounds (--max-sockets 200,
#    --socket-age 10, --metrics-top-sockets 20) so the tables reach their
#    steady state early.
# Asserted:
#  - the tool's RSS (VmRSS of /proc/<pid>/status, sampled every second)
#    flattens: the most in the last third of the run is less than
#    RSS_SLACK_KB above the most in the middle third;
#  - every scrape of /metrics answers (one per sample) and its per-socket
#    series stay bounded (at most 20 own + one "other" per protocol);
#  - exact counts at the end: datagrams sent == received by the application
#    == the receiver socket's rx_packets == Udp.InDatagrams delta; TCP bytes
#    written == read, and with the scrapes' bytes == journeys.rx.tcp.bytes ==
#    journeys.tx.tcp.bytes; no journey incomplete, no event lost; the socket
#    rows plus the pruned ones account for every sender socket, and their
#    tx_packets sum to journeys.tx.complete (pruning keeps the totals); the
#    socket table stayed near its bound.
. /scenarios/lib.sh
DUR=${NSK_SOAK_S:-$(slow_s 50)}
UPORT=9470 TPORT=9471 MPORT=9464
# the bounds (NSK_SOAK_MAX_SOCKETS=1000000 NSK_SOAK_SOCKET_AGE=100000: unbounded, to see the
# RSS assertion fail without them)
MAXS=${NSK_SOAK_MAX_SOCKETS:-200} SAGE=${NSK_SOAK_SOCKET_AGE:-10} TOP=20
# (the RSS moves by up to ~1 MiB between samples at a steady state: allocator noise of the
# interval reports and scrapes; without the bounds it grows by ~2 KiB per socket, several MiB
# between the middle and the last third: docs/performance.md, "Soak")
RSS_SLACK_KB=${NSK_SOAK_RSS_SLACK_KB:-2048}

load_module ring_kb=8192
run sysctl -w net.core.rmem_max=33554432

step "receiver, collector with small bounds, /metrics"
spawn nsk-udp-recv --bind 127.0.0.1 --port $UPORT --rcvbuf 16777216 --idle-ms 4000 \
	--ready-file /tmp/61-ur --out /tmp/61-urecv.txt --comm soak-rx
URECV=$SPAWNED
wait_file /tmp/61-ur 10
U0=$(snmp_get Udp InDatagrams)
start_live --listen 127.0.0.1:$MPORT --interval 5 --max-sockets $MAXS --socket-age $SAGE \
	--metrics-top-sockets $TOP
LIVE=$NSK_LIVE_PID

step "$DUR s of churn: UDP sockets, TCP connections, a reader that stops and resumes"
END=$(($(cut -d. -f1 /proc/uptime) + DUR))
# UDP: 400 datagrams from 100 sockets per sender, one sender after another
(
	while [ "$(cut -d. -f1 /proc/uptime)" -lt "$END" ]; do
		nsk-udp-send --dst 127.0.0.1 --port $UPORT --count 400 --pps 1000 \
			--new-socket-every 4 >>/tmp/61-usend.txt || echo "sender failed" >>/tmp/61-usend.txt
	done
) &
USEND=$!
# TCP: one short connection after another
(
	i=0
	while [ "$(cut -d. -f1 /proc/uptime)" -lt "$END" ]; do
		rm -f /tmp/61-tr
		nsk-tcp --listen 127.0.0.1 --port $TPORT --ready-file /tmp/61-tr \
			--out /tmp/61-trecv.$i --comm soak-tcp-rx >/dev/null &
		r=$!
		n=$(slow_s 500); while [ ! -e /tmp/61-tr ] && [ $n -gt 0 ]; do usleep 10000; n=$((n - 1)); done
		nsk-tcp --connect 127.0.0.1 --port $TPORT --bytes 20000 --chunk 4096 \
			--comm soak-tcp-tx >/dev/null || echo "tcp sender failed" >>/tmp/61-tsend.txt
		wait $r
		echo "bytes=20000" >>/tmp/61-tsend.txt
		i=$((i + 1))
	done
) &
TSEND=$!
# RSS and a scrape about every second, the reader stopped 1 s in 6 rounds
: >/tmp/61-rss
# (before the first interval /metrics answers with no metrics yet: EARLY)
SCRAPES=0 SCRAPE_FAIL=0 EARLY=0 MAXSERIES=0 t=0
while [ "$(cut -d. -f1 /proc/uptime)" -lt "$END" ]; do
	awk '$1 == "VmRSS:" { print $2 }' /proc/$LIVE/status >>/tmp/61-rss
	# (the scrapes are TCP traffic too: their bytes are added to the TCP totals)
	if ! nsk-http-get 127.0.0.1 $MPORT /metrics /tmp/61-m $(slow_s 15000) >>/tmp/61-scrapes.txt; then
		SCRAPE_FAIL=$((SCRAPE_FAIL + 1))
	elif grep -q '^netstack_kmon_events_total ' /tmp/61-m; then
		SCRAPES=$((SCRAPES + 1))
		s=$(grep -c '^netstack_kmon_socket_rx_packets_total{' /tmp/61-m)
		[ "$s" -gt "$MAXSERIES" ] && MAXSERIES=$s
	elif [ "$SCRAPES" -eq 0 ]; then
		EARLY=$((EARLY + 1))
	else
		SCRAPE_FAIL=$((SCRAPE_FAIL + 1)) # metrics gone after they were there
	fi
	t=$((t + 1))
	if [ $((t % 6)) -eq 0 ]; then
		kill -STOP $URECV; usleep 1000000; kill -CONT $URECV
	else
		usleep 1000000
	fi
done
wait $USEND
wait $TSEND
wait $URECV
usleep 300000	# the last ACKs of the closes
stop_live
assert_eq 0 "$(probes_missed)" "the kernel skipped no probe hit (kprobe nmissed)"
U1=$(snmp_get Udp InDatagrams)

step "RSS of the tool (KiB, one sample a second)"
tr '\n' ' ' </tmp/61-rss; echo
NS=$(wc -l </tmp/61-rss)
assert_ge "$NS" 15 "enough RSS samples"
MID=$(awk -v n="$NS" 'NR > n / 3 && NR <= 2 * n / 3 && $1 > m { m = $1 } END { print m }' /tmp/61-rss)
LAST=$(awk -v n="$NS" 'NR > 2 * n / 3 && $1 > m { m = $1 } END { print m }' /tmp/61-rss)
FIRST=$(head -n1 /tmp/61-rss)
echo "RSS: first $FIRST KiB, most in the middle third $MID KiB, most in the last third $LAST KiB"
assert_lt "$LAST" "$((MID + RSS_SLACK_KB))" "RSS flattens: last third's most < middle third's most + $RSS_SLACK_KB KiB"

step "/metrics kept answering, with bounded per-socket series"
echo "scrapes: $SCRAPES answered with metrics, $EARLY before the first interval, $SCRAPE_FAIL failed; most socket_rx_packets series: $MAXSERIES"
assert_eq 0 "$SCRAPE_FAIL" "every scrape answered"
# (a sample takes 1 s plus the scrape: 4-5 before the first 5 s interval; a slower host
# delays the first report by a few more)
assert_le "$EARLY" 10 "metrics from the first interval on (--interval 5), within 2 intervals"
assert_eq "$NS" "$((SCRAPES + EARLY))" "one answered scrape per RSS sample"
assert_ge "$SCRAPES" 10 "scrapes with metrics"
assert_le "$MAXSERIES" "$((TOP + 2))" "socket series <= top $TOP + one 'other' per protocol"

step "exact counts"
run cat /tmp/61-urecv.txt
! grep -q failed /tmp/61-usend.txt /tmp/61-tsend.txt 2>/dev/null || fail "a sender failed"
SENT=$(awk -F'[ =]' '{ s += $2 } END { print s + 0 }' /tmp/61-usend.txt)
USOCKS=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^sockets=/) { sub("sockets=", "", $i); s += $i } } END { print s + 0 }' /tmp/61-usend.txt)
TBYTES=$(awk -F= '{ s += $2 } END { print s + 0 }' /tmp/61-tsend.txt)
TCONN=$(wc -l </tmp/61-tsend.txt)
echo "UDP: $SENT datagrams from $USOCKS sockets; TCP: $TCONN connections, $TBYTES bytes"
assert_gt "$USOCKS" 2000 "thousands of short-lived UDP sockets"
assert_eq "$SENT" "$(kv received /tmp/61-urecv.txt)" "the application received every datagram"
SOCK=".sockets[local=127.0.0.1:$UPORT]"
# every value of the summary in one read of it (nsk-jq parses the whole file each time)
set -- $(nsk-jq "$NSK_LIVE_OUT" $SOCK.rx_packets $SOCK.drops_total .journeys.rx.tcp.bytes \
	.journeys.tx.tcp.bytes .journeys.rx.incomplete .journeys.tx.incomplete .loss.ring \
	.loss.netlink .loss.user .loss.incomplete_journeys '.sockets|length' \
	.sockets_pruned.sockets .sockets_pruned.entries '.sockets|sum:tx_packets' \
	'.sockets_pruned.groups|sum:tx_packets' '.sockets|sum:rx_packets' \
	'.sockets_pruned.groups|sum:rx_packets' .journeys.tx.complete .journeys.rx.complete \
	.journeys.rx.dropped .journeys.rx.queued_at_end)
SRX=$1 SDROPS=$2 RXTCP=$3 TXTCP=$4 RXINC=$5 TXINC=$6 LRING=$7 LNL=$8 LUSER=$9
shift 9
LINC=$1 ROWS=$2 PRUNED=$3 PENTRIES=$4 TXR=$5 TXP=$6 RXR=$7 RXP=$8 TXC=$9
shift 9
RXC=$1 RXDROP=$2 RXQ=$3
assert_eq "$SENT" "$SRX" "receiver socket rx_packets == sent"
assert_eq 0 "$SDROPS" "no drops on the receiver socket"
assert_eq "$SENT" "$((U1 - U0))" "Udp.InDatagrams delta == sent (only this traffic)"
R=0; for f in /tmp/61-trecv.*; do R=$((R + $(kv bytes "$f"))); done
assert_eq "$TBYTES" "$R" "TCP: the receivers read every byte"
# the scrapes' requests and responses are TCP bytes as well
SBYTES=$(awk -F'[ =]' '{ s += $2 + $4 } END { print s + 0 }' /tmp/61-scrapes.txt)
echo "TCP bytes of the /metrics scrapes (requests + responses): $SBYTES"
assert_eq "$((TBYTES + SBYTES))" "$RXTCP" "TCP bytes copied to user == transfers + scrapes"
assert_eq "$((TBYTES + SBYTES))" "$TXTCP" "TCP data bytes sent == transfers + scrapes"
assert_eq 0 "$RXINC" "no receive journey incomplete"
assert_eq 0 "$TXINC" "no send journey incomplete"
assert_eq 0 "$LRING" "loss.ring == 0"
assert_eq 0 "$LNL" "loss.netlink == 0"
assert_eq 0 "$LUSER" "loss.user == 0"
assert_eq 0 "$LINC" "loss.incomplete_journeys == 0"
echo "socket rows at the end: $ROWS, pruned: $PRUNED (entries $PENTRIES)"
assert_ge "$((ROWS + PRUNED))" "$USOCKS" "rows + pruned account for every UDP sender socket"
assert_le "$ROWS" "$((MAXS + MAXS))" "the socket table stayed near its bound"
# Pruning keeps the totals: over the rows and the pruned aggregate, every send journey that
# reached the driver is some socket's tx_packets.  (The receive side is exact above: the UDP
# receiver's rx_packets, the TCP bytes; rx_packets over all rows is printed for the record.)
echo "tx_packets: rows $TXR + pruned $TXP; rx_packets: rows $RXR + pruned $RXP"
echo "journeys: tx complete $TXC; rx complete $RXC, dropped $RXDROP, queued at the end $RXQ"
assert_eq "$TXC" "$((TXR + TXP))" "journeys.tx.complete == tx_packets of rows + pruned"
unload_module
