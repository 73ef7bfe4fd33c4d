#!/bin/sh
# nsk-vm: tcg-thread=single
# A collector slower than the kernel: the tool shares CPU 0 with three
# unpaced senders at nice 5 (a tenth of one CPU for it), so records
# arrive faster than it can decode them and its socket never empties.  It
# must still
#  A. keep printing intervals and act on SIGTERM (the module logs
#     "stopping" within seconds: it received STOP; how long STOP itself takes
#     is the kernel's RCU and drain under this load), read what the kernel
#     had already sent, and report the loss exactly: loss.netlink == the
#     kernel's netlink_fail, written == received + undelivered;
#  B. on a second SIGTERM while it reads that rest, end at once and count
#     every record it did not read as lost: received + loss.netlink ==
#     written.
# (A tool that read its socket until it was empty before looking at signals
# or the clock printed no interval and never stopped under this load.)
. /scenarios/lib.sh
PORT=9480
OVERLOAD_S=${NSK_OVERLOAD_S:-10}

# uptime in 1/100 s
up() { cut -d' ' -f1 /proc/uptime | tr -d .; }
collecting() { netstack-kmon status --json | nsk-jq - .collecting; }
# the module logged its N-th "stopping": it received STOP, the tool acted on
# the signal (the kernel log, not status: status waits for the STOP to end)
stop_sent() { [ "$(dmesg | grep -c 'netstack_kmon: stopping')" -ge "$1" ]; }
# the kernel says the collection ended (its STOP detaches the probes, waits
# for RCU and drains: slow on an overloaded debug kernel)
stopped() { [ "$(collecting)" = false ]; }
exited() { [ -e "$NSK_LIVE_OUT.rc" ]; }
# cs_until T0 SEC CMD...: poll CMD until it succeeds; print the centiseconds
# since T0, or a sentence (which fails the numeric assertions) after SEC s
cs_until() {
	local t0=$1 sec=$2
	shift 2
	until "$@"; do
		[ $(($(up) - t0)) -lt $((sec * 100)) ] || { echo "not '$*' within $sec s"; return; }
		usleep 50000
	done
	echo $(($(up) - t0))
}
senders() {
	SEND=
	for i in 1 2 3; do
		taskset 1 nsk-udp-send --dst 127.0.0.1 --port $PORT --count 100000000 --pps 0 >/dev/null &
		SEND="$SEND $!"
	done
	echo "+ 3 x taskset 1 nsk-udp-send --dst 127.0.0.1 --port $PORT --pps 0 &  # unpaced, on CPU 0"
}

[ "$(online_cpus)" -ge 2 ] || fail "needs 2 CPUs (the VM has $(online_cpus))"
load_module
run sysctl -w net.core.rmem_max=33554432
spawn taskset 2 nsk-udp-recv --bind 127.0.0.1 --port $PORT --idle-ms 300000 \
	--ready-file /tmp/ready --out /tmp/recv.txt --comm overload-sink
RECV=$SPAWNED
wait_file /tmp/ready 10

step "A: SIGTERM while the collector cannot keep up"
start_live --port $PORT
run taskset -p 1 "$NSK_LIVE_PID" >/dev/null
run renice -n 5 -p "$NSK_LIVE_PID" >/dev/null
senders
# At least OVERLOAD_S, and until the kernel has failed to deliver (how long the
# tool's 64 MiB socket takes to fill depends on how fast this guest runs and on
# the record size): the premise is checked, not assumed.
t0=$(up)
sleep "$OVERLOAD_S"
lim=$(slow_s 90)
until [ "$(netstack-kmon status --json | nsk-jq - '.cpus|sum:netlink_fail')" -gt 0 ] ||
	[ $(($(up) - t0)) -ge $((lim * 100)) ]; do
	sleep 2
done
OV=$((($(up) - t0) / 100))
IV=$(grep -c '"type": *"interval"' "$NSK_LIVE_OUT")
echo "intervals printed in $OV s of overload: $IV"
NSTOP=$(($(dmesg | grep -c 'netstack_kmon: stopping') + 1))
t0=$(up)
echo "+ kill -TERM $NSK_LIVE_PID  # netstack-kmon live"
kill -TERM "$NSK_LIVE_PID"
TSENT=$(cs_until "$t0" $(slow_s 30) stop_sent $NSTOP)
TSTOP=$(cs_until "$t0" 300 stopped)
# the collection has ended: the senders go, the tool reads the rest
kill $SEND; wait $SEND 2>/dev/null
TEXIT=$(cs_until "$t0" $(slow_s 120) exited)
echo "STOP sent $TSENT cs after SIGTERM, collection ended after $TSTOP cs, the tool exited after $TEXIT cs"
finish_live
assert_ge "$IV" $((OV / 5)) "an interval at least every 5 s while overloaded"
# (bounds in guest time, scaled like every other bound by the guest's measured slowness)
assert_le "$TSENT" $((100 * $(slow_s 10))) "STOP sent within 10 s x NSK_SLOW of SIGTERM, at nice 5 on a saturated CPU (centiseconds)"
FAIL=$(jq_get '.cpus|sum:netlink_fail')
assert_gt "$FAIL" 0 "the collector really was overloaded (the kernel failed to deliver within $OV s)"
assert_eq "$FAIL" "$(jq_get .loss.netlink)" "loss.netlink == the kernel's netlink_fail"
assert_eq "$(jq_get '.cpus|sum:written')" "$(($(jq_get .events) + FAIL))" "written == received + undelivered"
assert_eq "$(jq_get '.cpus|sum:ring_full')" "$(jq_get .loss.ring)" "loss.ring == the kernel's ring_full"

step "B: a second SIGTERM while the rest is read"
start_live --port $PORT
run taskset -p 1 "$NSK_LIVE_PID" >/dev/null
run renice -n 5 -p "$NSK_LIVE_PID" >/dev/null
senders
sleep 3
# stopped for 2 s: its socket fills up, so there is a rest to read
run kill -STOP "$NSK_LIVE_PID"
sleep 2
t0=$(up)
echo "+ kill -TERM $NSK_LIVE_PID; kill -CONT $NSK_LIVE_PID"
kill -TERM "$NSK_LIVE_PID"
kill -CONT "$NSK_LIVE_PID"
TSTOP=$(cs_until "$t0" 300 stopped)
_num "$TSTOP" "the first SIGTERM ended the collection"
t1=$(up)
echo "+ kill -TERM $NSK_LIVE_PID  # again"
kill -TERM "$NSK_LIVE_PID"
TEXIT=$(cs_until "$t1" $(slow_s 10) exited)
echo "STOP reached the kernel $TSTOP cs after the first SIGTERM; exit $TEXIT cs after the second"
kill $SEND; wait $SEND 2>/dev/null
finish_live
assert_le "$TEXIT" $((100 * $(slow_s 10))) "exit within 10 s x NSK_SLOW of the second SIGTERM (centiseconds)"
assert_match "$NSK_LIVE_OUT.err" "second signal" "the tool said it stopped reading"
WR=$(jq_get '.cpus|sum:written')
EV=$(jq_get .events)
LN=$(jq_get .loss.netlink)
FAIL=$(jq_get '.cpus|sum:netlink_fail')
assert_eq "$WR" "$((EV + LN))" "written == received + loss.netlink (what was not read is lost, counted)"
assert_gt "$LN" "$FAIL" "the records left unread are in loss.netlink beyond the kernel's netlink_fail"
kill "$RECV"; wait "$RECV" 2>/dev/null
unload_module
