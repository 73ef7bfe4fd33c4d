#!/bin/sh
# START and STOP do their heavy part outside the netlink handler (issue 16,
# finding A): the commands answer at once, the module allocates, attaches,
# waits for RCU, drains and frees in its own control work, and STATUS keeps
# answering meanwhile with the state (idle, starting, running, stopping).
# Ordering, not timing: a STATUS from another process says "starting" while
# a START with the largest ring (64 MiB per CPU) is in progress, then
# "running"; a raw poller (nsk-genl-sub --watch, STATUS every 2 ms) got more
# than one answer while starting and while stopping.
# What acts while starting (parts 2-4: STOP, SIGKILL of the owner, rmmod) is
# a process armed before the START that polls STATUS every 1 ms and acts as
# soon as it answers "starting" (nsk-genl-sub --when-starting): a reaction of
# one netlink round trip, not a process spawn.  On the emulated debug kernel
# one spawn of the tool takes ~1.2 s and a START (no init_on_alloc there: the
# rings are not zeroed) about as long, so a shell that polls `netstack-kmon
# status` and then spawns the STOP came too late (2026-12-04: no STATUS of the
# shell's saw `starting`).  The shell's own `netstack-kmon status` poll in
# part 1 must see `starting` whenever the START (as the 2 ms poller measured
# it) lasted more than two of that poll's rounds; when it was shorter, the
# check cannot be made on this guest and says so with both figures.
#  1. the tool's collection around such a START and STOP counts exactly
#     (N paced datagrams -> N, as in 10_udp_rx_paced);
#  2. STOP while starting is accepted and done once the start is done
#     (starting -> stopping -> idle, never running);
#  3. the owner's socket released while starting: stopped (orphan);
#  4. rmmod while starting, and right after a STOP: clean;
#  5. a START that fails for real (the guest's available memory filled with
#     a tmpfs file, so the ring cannot be allocated): the same message and
#     exit code as before, the configuration the START carried is not kept,
#     STATUS says why; after the memory is back, collections work again.
. /scenarios/lib.sh
N=${NSK_N:-2000}
PORT=9660
CPORT=9661

state() { netstack-kmon status --json 2>/dev/null | nsk-jq - '.state'; }
# the same, lighter (sed, not nsk-jq: one C++ program spawned less per round, which on the
# emulated debug kernel costs more than a START takes): the tool prints one JSON line
# with one "state"
state_light() { netstack-kmon status --json 2>/dev/null | sed -n 's/.*"state":"\([a-z]*\)".*/\1/p'; }
# the states of a --watch log, in order, one word each; the idle before the
# START is left out (the poller may have started after it)
watched() { awk '{ printf "%s%s", (NR > 1 ? " " : ""), $1 }' "$1" | sed 's/^idle //'; }
# answers=N of the first STATE line of a --watch log
answers() { awk -v s="$2" '$1 == s { sub("answers=", "", $2); print $2; exit }' "$1"; }
# wait_state STATE [SECONDS]: poll until the state is STATE
wait_state() {
	local n=$((${2:-60} * 10)) s
	while s=$(state); [ "$s" != "$1" ]; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "state never became $1 within ${2:-60} s (last: $s)"
		usleep 100000
	done
}
# for_ms of the first STATE line of a --watch log: how long it lasted
lasted() { awk -v s="$2" '$1 == s { for (i = 2; i <= NF; i++) if ($i ~ /^for_ms=/) { sub("for_ms=", "", $i); printf "%d", $i } exit }' "$1"; }
# arm ACTION TAG: a process that does ACTION (stop, kill:PID, rmmod) as soon as
# STATUS answers "starting"; returns once it is polling (ACTOR: its pid)
arm() {
	rm -f /tmp/66-a$2.ready
	spawn nsk-genl-sub --when-starting "$1" --ready-file /tmp/66-a$2.ready >/tmp/66-a$2.out
	ACTOR=$SPAWNED
	wait_file /tmp/66-a$2.ready $(slow_s 10)
}
# acted TAG: wait for the armed process; it must have seen starting and acted
acted() {
	local rc=0
	wait $ACTOR || rc=$?
	cat /tmp/66-a$1.out
	[ "$rc" = 0 ] || fail "the armed process did not act while starting (exit $rc)"
	assert_match /tmp/66-a$1.out '^starting seen after ' "it saw starting and acted"
}

step "1: STATUS answers during a START with ring_kb=65536; the collection is exact"
load_module ring_kb=65536
assert_eq idle "$(state)" "state after load"
spawn nsk-genl-sub --watch /tmp/66-w1.txt
W=$SPAWNED
run sysctl -w net.core.rmem_max=33554432
run nsk-udp-recv --bind 127.0.0.1 --port $PORT --rcvbuf 16777216 --expect $N --idle-ms 5000 \
	--ready-file /tmp/66-ready --out /tmp/66-recv.txt --comm rx-app &
RECV=$!
wait_file /tmp/66-ready 10
# start_live without its wait for "collecting": ask for the state instead
rm -f "$NSK_LIVE_OUT" "$NSK_LIVE_OUT.err" "$NSK_LIVE_OUT.pid" "$NSK_LIVE_OUT.rc" "$NSK_LIVE_OUT.end"
echo "+ netstack-kmon live --json --port $PORT >$NSK_LIVE_OUT &" >&9
# (.end: the guest uptime when the tool exited, for finish_live, as start_live writes it)
(sh -c 'netstack-kmon live --json --port "$1" >"$NSK_LIVE_OUT" 2>"$NSK_LIVE_OUT.err" &
	echo $! >"$NSK_LIVE_OUT.pid"; wait $!; rc=$?; read -r up _ </proc/uptime
	echo "$up" >"$NSK_LIVE_OUT.end"; echo $rc >"$NSK_LIVE_OUT.rc"' sh $PORT &)
while [ ! -s "$NSK_LIVE_OUT.pid" ]; do usleep 10000; done
NSK_LIVE_PID=$(cat "$NSK_LIVE_OUT.pid")
# (RT: the longest round of this loop, in centiseconds: a `netstack-kmon status` and the pause)
SEEN=0; n=3000; t0=$(date +%s) RT=0
while c0=$(uptime_cs); s=$(state_light); [ "$s" != running ]; do
	[ -e "$NSK_LIVE_OUT.rc" ] && { cat "$NSK_LIVE_OUT.err"; fail "live exited at start"; }
	[ "$s" = starting ] && SEEN=$((SEEN + 1))
	n=$((n - 1))
	[ "$n" -gt 0 ] || fail "state never became running (last: $s)"
	usleep 20000
	c1=$(uptime_cs); [ $((c1 - c0)) -le "$RT" ] || RT=$((c1 - c0))
done
echo "START took about $(($(date +%s) - t0)) s; status said starting $SEEN times, then running (longest status round $((RT * 10)) ms)"
SEEN_STARTING=$SEEN
assert_eq true "$(netstack-kmon status --json | nsk-jq - '.collecting')" "collecting while running"
run nsk-udp-send --dst 127.0.0.1 --port $PORT --count $N --pps 4000
wait $RECV
run cat /tmp/66-recv.txt
echo "+ kill -TERM $NSK_LIVE_PID  # netstack-kmon live" >&9
NSK_LIVE_TERM_CS=$(uptime_cs)	# (for finish_live's "exited N s after SIGTERM")
kill -TERM "$NSK_LIVE_PID"
SEEN=0
while [ ! -e "$NSK_LIVE_OUT.rc" ]; do
	[ "$(state)" = stopping ] && SEEN=$((SEEN + 1))
	usleep 20000
done
echo "status from another process said stopping $SEEN times (timing: may be 0 on a fast stop; the 2 ms poller below is the check)"
finish_live
assert_eq idle "$(state)" "state after the collector exited"
kill $W; wait $W
run cat /tmp/66-w1.txt
assert_eq "starting running stopping idle" "$(watched /tmp/66-w1.txt)" "states seen by the poller"
assert_ge "$(answers /tmp/66-w1.txt starting)" 2 "STATUS answered more than once while starting"
assert_ge "$(answers /tmp/66-w1.txt stopping)" 2 "STATUS answered more than once while stopping"
STARTING_MS=$(lasted /tmp/66-w1.txt starting)
if [ "$SEEN_STARTING" -ge 1 ]; then
	ok "a STATUS of the tool from another process answered 'starting' during the START ($SEEN_STARTING times)"
elif [ "$STARTING_MS" -gt $((2 * RT * 10)) ]; then
	fail "the START lasted $STARTING_MS ms (2 ms poller), more than two rounds of the status poll ($((RT * 10)) ms each), and no STATUS of the tool said 'starting'"
else
	echo "NOTE: NOT CHECKED on this guest: the tool's status saying 'starting': the START lasted $STARTING_MS ms (2 ms poller), one round of the shell's \`netstack-kmon status\` poll took up to $((RT * 10)) ms (NSK_SLOW $NSK_SLOW); the raw poller's answers while starting (above) are the check here"
fi
GOT=$(kv received /tmp/66-recv.txt)
SOCK=".sockets[local=127.0.0.1:$PORT]"
assert_eq "$GOT" "$N" "application received every datagram"
assert_eq "$(jq_get $SOCK.rx_packets)" "$N" "socket rx_packets == N"
assert_eq "$(jq_get .journeys.rx.complete)" "$N" "journeys.rx.complete == N"
for p in netif_receive_skb ip_rcv udp_rcv udp_enqueue udp_dequeue; do
	assert_eq "$(jq_get .probes_seen.$p)" "$N" "probe $p saw N events"
done
for l in ring netlink user incomplete_journeys; do
	assert_eq "$(jq_get .loss.$l)" 0 "loss.$l == 0"
done
assert_eq missing "$(jq_get .loss.unsent)" "no record left unsent by the final drain"

step "2: STOP while starting: accepted, done when the start is done"
spawn nsk-genl-sub --watch /tmp/66-w2.txt
W=$SPAWNED
arm stop 2
spawn nsk-genl-sub --start --no-join --no-read --ready-file /tmp/66-o2.ready 2>/tmp/66-o2.err
OWNER=$SPAWNED
acted 2
ok "STOP while starting accepted (the armed process's STOP waited until idle)"
wait $OWNER
rc=$?
cat /tmp/66-o2.err
assert_eq 1 "$rc" "the owner's START did not become a collection"
assert_match /tmp/66-o2.err 'START refused: Operation canceled' "the owner was told its start was cancelled"
[ ! -e /tmp/66-o2.ready ] || fail "the owner saw its collection running"
assert_eq idle "$(state)" "state after STOP while starting"
kill $W; wait $W
run cat /tmp/66-w2.txt
assert_eq "starting stopping idle" "$(watched /tmp/66-w2.txt)" "starting -> stopping -> idle, never running"
dmesg | grep -q 'a stop came while starting: stopping now' || fail "no kernel log line for the stop while starting"
ok "kernel log: a stop came while starting: stopping now"

step "3: the owner's socket released while starting: orphan stop"
# (the owner waits for the armed killer: its pid is known before it starts; exec keeps it)
rm -f /tmp/66-go3
spawn sh -c 'while [ ! -e /tmp/66-go3 ]; do usleep 10000; done; exec nsk-genl-sub --start --no-join --no-read --ready-file /tmp/66-o3.ready'
OWNER=$SPAWNED
arm kill:$OWNER 3
: >/tmp/66-go3
acted 3
wait $OWNER 2>/dev/null
[ ! -e /tmp/66-o3.ready ] || fail "the owner saw its collection running before it was killed"
wait_state idle
ok "idle after the owner died while starting"
dmesg | tail -n 20 | grep -q 'collector went away, stopping' || fail "no orphan stop in the kernel log"
ok "kernel log: collector went away, stopping"

step "4: rmmod while starting, and right after a STOP"
arm rmmod 4
spawn nsk-genl-sub --start --no-join --no-read --ready-file /tmp/66-o4.ready 2>/dev/null
OWNER=$SPAWNED
acted 4
! module_loaded || fail "/sys/module/$NSK_MOD still present after the rmmod while starting"
ok "rmmod while starting: the module is gone"
wait $OWNER 2>/dev/null
dmesg | tail -n 10
load_module ring_kb=65536
spawn nsk-genl-sub --start --no-join --no-read --ready-file /tmp/66-o5.ready
OWNER=$SPAWNED
wait_file /tmp/66-o5.ready 120
spawn nsk-genl-sub --stop
STOPPER=$SPAWNED
n=10000
until dmesg | tail -n 3 | grep -q "netstack_kmon: stopping"; do
	n=$((n - 1))
	[ "$n" -gt 0 ] || fail "the module never logged stopping"
	usleep 1000
done
echo "state when rmmod starts: $(state)"
unload_module
wait $STOPPER 2>/dev/null
kill $OWNER 2>/dev/null; wait $OWNER 2>/dev/null
dmesg | tail -n 6
load_module ring_kb=65536

step "5: a START that fails for real: the ring does not fit in the available memory"
assert_eq null "$(netstack-kmon status --json | nsk-jq - '.config.port')" "no port filter before"
run mkdir -p /tmp/66-fill
run mount -t tmpfs -o size=100% none /tmp/66-fill || fail "mount tmpfs"
A=$(awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo)
FILL=$(((A - 32768) / 1024))
echo "MemAvailable $A KiB: filling $FILL MiB so that less than one CPU's 64 MiB ring is available"
run dd if=/dev/zero of=/tmp/66-fill/f bs=1M count=$FILL 2>&1 | tail -n 1
echo "MemAvailable now $(awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo) KiB"
run nsk-genl-sub --start --start-port $CPORT --no-join --no-read --ready-file /tmp/66-o6.ready 2>/tmp/66-o6.err
rc=$?
cat /tmp/66-o6.err
assert_eq 1 "$rc" "nsk-genl-sub --start exit status"
assert_match /tmp/66-o6.err 'START refused: Cannot allocate memory: cannot allocate the per-CPU rings \(ring_kb too large\?\)' "refused with ENOMEM and the reason"
netstack-kmon status --json >/tmp/66-st.json
assert_eq idle "$(nsk-jq /tmp/66-st.json '.state')" "state after the failed START"
assert_eq false "$(nsk-jq /tmp/66-st.json '.collecting')" "not collecting"
assert_eq null "$(nsk-jq /tmp/66-st.json '.config.port')" "the START's port filter was not kept (configuration restored)"
assert_eq ENOMEM "$(nsk-jq /tmp/66-st.json '.start_error.error')" "status: start_error.error"
assert_eq "cannot allocate the per-CPU rings (ring_kb too large?)" "$(nsk-jq /tmp/66-st.json '.start_error.message')" "status: start_error.message"
run netstack-kmon live --json --port $CPORT --duration 2 >/tmp/66-l6.out 2>/tmp/66-l6.err
rc=$?
cat /tmp/66-l6.err
assert_eq 1 "$rc" "netstack-kmon live exit code when START fails"
assert_match /tmp/66-l6.err '^netstack-kmon: start failed: cannot allocate the per-CPU rings \(ring_kb too large\?\)$' "the tool's message (as before: START's extack)"
assert_eq idle "$(state)" "idle after the tool's failed START"
run rm /tmp/66-fill/f
run umount /tmp/66-fill
start_live --port $CPORT
stop_live
assert_eq null "$(netstack-kmon status --json | nsk-jq - '.start_error')" "a START that worked clears start_error"
unload_module
