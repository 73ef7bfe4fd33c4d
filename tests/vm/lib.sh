# SPDX-License-Identifier: GPL-2.0
# Helpers for VM scenario scripts (busybox sh).  Scenarios start with
#     . /scenarios/lib.sh
# and exit 0 to pass.  Every helper that checks something prints "ok: ..." on
# success and exits the scenario with "FAIL: ..." otherwise, so the console
# log reads as the test's story.

NSK_KO=${NSK_KO:-/lib/netstack_kmon.ko}
NSK_MOD=netstack_kmon
# Extra module parameters for every load_module (run-vm.sh --kmod-args).
NSK_KMOD_ARGS=${NSK_KMOD_ARGS:-}

# NSK_SLOW: how many times slower than the reference this guest runs, measured
# once per boot by /init (nsk_calibrate, exported to every scenario); 1 when
# not measured.  Bounds that exist to catch hangs (a tool that does not exit
# after SIGTERM, a STOP that never ends) are multiplied by it (slow_s), so an
# emulated debug kernel (KASAN, lockdep, kmemleak under TCG: 3-6x slower) gets
# bounds scaled to its measured speed, while Debian's kernel keeps the strict
# ones (it measures 1).  Chosen by measurement, never by kernel name.
NSK_SLOW=${NSK_SLOW:-1}

# slow_s SEC: SEC scaled to this guest's speed (NSK_SLOW)
slow_s() { echo $(($1 * NSK_SLOW)); }

# The tool's own bound on a request and on the wait for the module's state
# (30 s) scales the same way (NETSTACK_KMON_TIMEOUT, docs/usage.md): a START on
# the debug kernel with the function tracer took longer than 30 s.
_nsk_tool_timeout() {
	if [ "$NSK_SLOW" -gt 1 ]; then
		NETSTACK_KMON_TIMEOUT=$(slow_s 30)
		export NETSTACK_KMON_TIMEOUT
	fi
}
_nsk_tool_timeout

# NSK_CAL_REF_MS: the reference for nsk_calibrate, in ms per run; NSK_SLOW is
# floor(measured / reference), at least 1 and at most 10.  The reference is
# above what Debian's 6.1 kernel measures under TCG on the 2-core CI host even
# with a second VM running (tests/vm/README.md, "Speed calibration"), so a
# normal kernel gets 1.
NSK_CAL_REF_MS=${NSK_CAL_REF_MS:-120}
NSK_CAL_RUNS=10

# nsk_calibrate: the guest's speed, once per boot (before any scenario, idle
# guest): NSK_CAL_RUNS runs of `netstack-kmon --version` (fork, exec, dynamic
# linking of a C++ program and its libraries, page faults, exit: mm, VFS and
# scheduler paths, which is where KASAN, lockdep and kmemleak cost most) timed
# on the guest clock.  Sets and exports NSK_SLOW and NSK_CAL_MS (ms per run).
nsk_calibrate() {
	local t0 t1 i=0 ms
	t0=$(uptime_cs)
	while [ $i -lt $NSK_CAL_RUNS ]; do
		/usr/bin/netstack-kmon --version >/dev/null 2>&1
		i=$((i + 1))
	done
	t1=$(uptime_cs)
	ms=$(((t1 - t0) * 10 / NSK_CAL_RUNS))
	NSK_SLOW=$((ms / NSK_CAL_REF_MS))
	[ "$NSK_SLOW" -ge 1 ] || NSK_SLOW=1
	[ "$NSK_SLOW" -le 10 ] || NSK_SLOW=10
	NSK_CAL_MS=$ms
	export NSK_SLOW NSK_CAL_MS
	_nsk_tool_timeout
}

# Kernel log lines that fail a scenario (extended regex).
NSK_DMESG_BAD='WARNING:|(^|[^A-Za-z_])BUG[: ]|Oops|general protection|soft lockup|hard LOCKUP|hung task|blocked for more than|Call Trace|rcu_.* detected stalls|UBSAN|KASAN|kernel stack overflow|list_(add|del) corruption|refcount_t: |scheduling while atomic|sleeping function called from invalid context|possible recursive locking|possible circular locking|unreferenced object|Kernel panic'
# Taint bits a scenario may set: O (4096, out-of-tree) and E (8192, unsigned).
NSK_TAINT_OK=$((4096 | 8192))

# fd 9 stays on the console, so `run cmd >file` logs the command line
# without writing it into the file.
exec 9>&1

# run CMD ARGS...: echo "+ CMD ARGS" (to the log) then run it; returns its status.
run() {
	echo "+ $*" >&9
	"$@"
}

# spawn CMD ARGS...: echo "+ CMD ARGS &" and run it in the background;
# SPAWNED is the program's own pid, so a signal sent to it reaches the
# program (`run CMD &` backgrounds a subshell: $! is the subshell's pid).
spawn() {
	echo "+ $* &" >&9
	"$@" &
	SPAWNED=$!
}

# step TEXT: a heading in the log.
step() {
	echo
	echo "## $*"
}

fail() {
	echo "FAIL: $*"
	exit 1
}

ok() {
	echo "ok: $*"
}

# assert_eq EXPECTED ACTUAL MSG (string equality; numbers compare as written)
assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-assert_eq}: '$1' != '$2'"
	ok "${3:-assert_eq}: $2 == $1"
}

assert_ne() {
	[ "$1" != "$2" ] || fail "${3:-assert_ne}: both are '$1'"
	ok "${3:-assert_ne}: '$1' != '$2'"
}

_num() {
	case $1 in
	'' | *[!0-9-]* | -*-*) fail "$2: '$1' is not an integer" ;;
	esac
}

# assert_le A B MSG: A <= B ; assert_lt, assert_ge, assert_gt alike
assert_le() { _num "$1" "${3:-assert_le}"; _num "$2" "${3:-assert_le}"; [ "$1" -le "$2" ] || fail "${3:-assert_le}: $1 > $2"; ok "${3:-assert_le}: $1 <= $2"; }
assert_lt() { _num "$1" "${3:-assert_lt}"; _num "$2" "${3:-assert_lt}"; [ "$1" -lt "$2" ] || fail "${3:-assert_lt}: $1 >= $2"; ok "${3:-assert_lt}: $1 < $2"; }
assert_ge() { _num "$1" "${3:-assert_ge}"; _num "$2" "${3:-assert_ge}"; [ "$1" -ge "$2" ] || fail "${3:-assert_ge}: $1 < $2"; ok "${3:-assert_ge}: $1 >= $2"; }
assert_gt() { _num "$1" "${3:-assert_gt}"; _num "$2" "${3:-assert_gt}"; [ "$1" -gt "$2" ] || fail "${3:-assert_gt}: $1 <= $2"; ok "${3:-assert_gt}: $1 > $2"; }

# assert_match FILE ERE MSG / assert_no_match FILE ERE MSG
assert_match() {
	grep -Eq -- "$2" "$1" || { echo "--- $1:"; cat "$1"; fail "${3:-assert_match}: /$2/ not found in $1"; }
	ok "${3:-assert_match}: /$2/ in $1"
}
assert_no_match() {
	! grep -Eq -- "$2" "$1" || { grep -E -- "$2" "$1"; fail "${3:-assert_no_match}: /$2/ found in $1"; }
	ok "${3:-assert_no_match}: no /$2/ in $1"
}

# count_matches FILE ERE: number of (possibly several per line) matches
count_matches() {
	grep -Eo -- "$2" "$1" | wc -l
}

# kv KEY FILE: value of KEY=value in a "k=v k=v" line (the workload programs'
# output), e.g. kv received /tmp/recv.txt
kv() {
	tr ' ' '\n' <"$2" | sed -n "s/^$1=//p" | tail -n1
}

# --- netstack-kmon live capture ------------------------------------------
NSK_LIVE_OUT=${NSK_LIVE_OUT:-/tmp/live.jsonl}
export NSK_LIVE_OUT
NSK_LIVE_PID=

# start_live [FILTERS...]: `netstack-kmon live --json FILTERS` in the
# background (JSON Lines to $NSK_LIVE_OUT), returns once the module reports
# "collecting": true.  The capture is not a child of the scenario shell, so a
# bare `wait` (for receivers, senders) does not wait for it.
start_live() {
	local n=500
	[ -z "$NSK_LIVE_PID" ] || fail "start_live: a live capture is already running"
	rm -f "$NSK_LIVE_OUT" "$NSK_LIVE_OUT.err" "$NSK_LIVE_OUT.pid" "$NSK_LIVE_OUT.rc" "$NSK_LIVE_OUT.end"
	echo "+ netstack-kmon live --json $* >$NSK_LIVE_OUT &" >&9
	# .end: the guest uptime when the tool exited (finish_live's loop may be late)
	(sh -c 'netstack-kmon live --json "$@" >"$NSK_LIVE_OUT" 2>"$NSK_LIVE_OUT.err" &
		echo $! >"$NSK_LIVE_OUT.pid"; wait $!; rc=$?; read -r up _ </proc/uptime
		echo "$up" >"$NSK_LIVE_OUT.end"; echo $rc >"$NSK_LIVE_OUT.rc"' sh "$@" &)
	while [ ! -s "$NSK_LIVE_OUT.pid" ]; do usleep 10000; done
	NSK_LIVE_PID=$(cat "$NSK_LIVE_OUT.pid")
	while ! netstack-kmon status --json 2>/dev/null | grep -Eq '"collecting"[[:space:]]*:[[:space:]]*true'; do
		if [ -e "$NSK_LIVE_OUT.rc" ]; then
			cat "$NSK_LIVE_OUT.err"
			NSK_LIVE_PID=
			fail "netstack-kmon live exited at start (rc $(cat "$NSK_LIVE_OUT.rc"))"
		fi
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "start_live: status never showed \"collecting\": true"
		usleep 20000
	done
	ok "live capture collecting (pid $NSK_LIVE_PID)"
}

# stop_live: SIGTERM the capture, wait (30 s at most) for it, require exit 0
# and a summary line; jq_get then reads that summary.
stop_live() {
	[ -n "$NSK_LIVE_PID" ] || fail "stop_live: no live capture running"
	echo "+ kill -TERM $NSK_LIVE_PID  # netstack-kmon live" >&9
	NSK_LIVE_TERM_CS=$(uptime_cs)
	kill -TERM "$NSK_LIVE_PID"
	finish_live
}

# uptime_cs: guest uptime in centiseconds, without a fork (a fork+exec costs
# up to seconds on the emulated debug kernel under a flood)
uptime_cs() {
	local up _
	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}"
}

# _stack_top FILE [N]: STACK_TOP = the N (5) innermost frames of a kernel
# stack, '<'-joined (no fork: a variable, not a command substitution)
_stack_top() {
	local l n=0
	STACK_TOP=
	while read -r l && [ $n -lt "${2:-5}" ]; do
		l=${l#*] }
		STACK_TOP="$STACK_TOP${l%%+0x*}<"
		n=$((n + 1))
	done <"$1" 2>/dev/null
}

# live_where [T0_CS]: one line on where a live capture that is stopping spends
# its time (issue 16): guest seconds since T0_CS (the SIGTERM or the rmmod), the
# module's state (status), the tool's state and CPU time (user/system ticks),
# its wait channel and stack, and the innermost frames of every kworker stack
# that is in the module (the control work: the waits of STOP).  Built-ins only
# but one `netstack-kmon status`: it must not slow the guest it watches.
live_where() {
	local pid=$NSK_LIVE_PID now t0 st stat wchan= kst= p c l
	now=$(uptime_cs)
	t0=${1:-$now}
	st=$(netstack-kmon status --json 2>/dev/null |
		sed -n 's/.*"state"[[:space:]]*:[[:space:]]*"\([a-z]*\)".*/\1/p')
	stat=gone
	if read -r l <"/proc/$pid/stat" 2>/dev/null; then
		set -- ${l#*) }
		stat="$1 u${12} s${13}"
		read -r wchan <"/proc/$pid/wchan" 2>/dev/null
	fi
	for p in /proc/[0-9]*; do
		read -r c <"$p/comm" 2>/dev/null || continue
		case $c in kworker*) ;; *) continue ;; esac
		_stack_top "$p/stack" 8
		case $STACK_TOP in *nsk_*) kst="$kst $c:$STACK_TOP" ;; esac
	done
	_stack_top "/proc/$pid/stack" 3
	echo "where +$(((now - t0) / 100)).$(((now - t0) % 100 / 10))s: module ${st:-?}; tool $stat wchan ${wchan:--} stack ${STACK_TOP:--}; kworker in the module:${kst:- none}"
}

# rcu_state: what RCU's grace-period kthread is doing (STOP waits for grace periods in
# ftrace and tracepoint teardown), when the kernel was booted with rcutree.sysrq_rcu=1
# (run-vm.sh --append): sysrq y prints the kthread's state, the grace period's number and
# the CPUs and tasks it waits for, to the kernel log.
rcu_state() {
	[ "$(cat /sys/module/rcutree/parameters/sysrq_rcu 2>/dev/null)" = Y ] || return 0
	echo 1 >/proc/sys/kernel/sysrq 2>/dev/null
	echo y >/proc/sysrq-trigger 2>/dev/null
	dmesg | tail -n 40 | sed 's/^/rcu: /'
}

# finish_live: wait (30 s, times NSK_SLOW) for the live capture told to stop
# to exit, and check its output.  A stop slower than 5 s is traced every 2 s
# (live_where).
finish_live() {
	local rc t0 now next _
	[ -n "$NSK_LIVE_PID" ] || fail "finish_live: no live capture running"
	t0=${NSK_LIVE_TERM_CS:-$(uptime_cs)}
	NSK_LIVE_TERM_CS=
	next=$((t0 + 500))
	while [ ! -e "$NSK_LIVE_OUT.rc" ]; do
		read -r now _ </proc/uptime
		now=${now%.*}${now#*.}
		[ $((now - t0)) -lt $((3000 * NSK_SLOW)) ] || {
			# where it is: user space (R/S, wchan) or stuck in the kernel (stack)
			live_where "$t0"
			grep -E '^(State|voluntary|nonvoluntary)' "/proc/$NSK_LIVE_PID/status"
			echo "wchan: $(cat "/proc/$NSK_LIVE_PID/wchan" 2>/dev/null)"
			cat "/proc/$NSK_LIVE_PID/stack" 2>/dev/null
			tail -c 300 "$NSK_LIVE_OUT.err" 2>/dev/null
			dmesg | grep -a 'netstack_kmon: \(stopping\|stopped\)' | tail -n 2 | sed 's/^/dmesg: /'
			rcu_state
			fail "netstack-kmon live did not exit within $(slow_s 30) s of SIGTERM (30 s x NSK_SLOW $NSK_SLOW)"
		}
		if [ "$now" -ge "$next" ]; then
			live_where "$t0"
			next=$(($(uptime_cs) + 200))
		fi
		usleep 20000
	done
	now=$(cat "$NSK_LIVE_OUT.end" 2>/dev/null | tr -d .)
	echo "live capture exited $(((now - t0) / 100)).$(((now - t0) % 100 / 10)) s after SIGTERM (guest clock; this loop saw it $((($(uptime_cs) - now) / 100)) s later)"
	dmesg | grep -a 'netstack_kmon: stopped in' | tail -n 1 | sed 's/^/dmesg: /'
	rc=$(cat "$NSK_LIVE_OUT.rc")
	NSK_LIVE_PID=
	[ -s "$NSK_LIVE_OUT.err" ] && sed 's/^/live stderr: /' "$NSK_LIVE_OUT.err"
	[ "$rc" = 0 ] || fail "netstack-kmon live exited with $rc"
	grep -Eq '"type"[[:space:]]*:[[:space:]]*"summary"' "$NSK_LIVE_OUT" ||
		{ tail -n 5 "$NSK_LIVE_OUT"; fail "netstack-kmon live printed no summary line"; }
	echo "summary: $(grep -E '"type"[[:space:]]*:[[:space:]]*"summary"' "$NSK_LIVE_OUT" | tail -n1)"
	# every record the kernel wrote was sent (the tool reports loss.unsent otherwise)
	if [ "$(jq_get .loss.unsent)" != missing ]; then
		dmesg | grep -a 'final drain' | sed 's/^/dmesg: /'
		fail "the kernel wrote $(jq_get .loss.unsent) records it never sent (loss.unsent)"
	fi
	# the kprobe hits the kernel skipped are in the tool's loss ledger, exactly
	# (when the module is still loaded: status keeps the last collection's)
	local km
	if km=$(probes_missed 2>/dev/null) && [ -n "$km" ] && [ "$km" != missing ]; then
		assert_eq "$km" "$(jq_get .loss.probe_missed)" \
			"report loss.probe_missed == the kernel's kprobe nmissed (status)"
	fi
	ok "live capture stopped, $(wc -l <"$NSK_LIVE_OUT") JSON lines"
}

# jq_get PATH [FILE]: a value of the last summary in FILE (default the last
# live capture), via nsk-jq: .a.b  .a[3]  .sockets[local=127.0.0.1:9000].rx_packets
# .a|length  .a|sum:field.  Prints "missing" (status 1) if the path is absent.
jq_get() {
	nsk-jq "${2:-$NSK_LIVE_OUT}" "$1"
}

# snmp_get PROTO FIELD: a counter from /proc/net/snmp or /proc/net/netstat
# (e.g. snmp_get Udp RcvbufErrors, snmp_get TcpExt TCPBacklogDrop), or from
# /proc/net/snmp6 for PROTO ending in 6 (snmp_get Udp6 RcvbufErrors).
snmp_get() {
	local v
	case $1 in
	*6) v=$(awk -v k="$1$2" '$1 == k { print $2; exit }' /proc/net/snmp6) ;;
	*) v=$(awk -v p="$1:" -v f="$2" '
		$1 == p && !col { for (i = 2; i <= NF; i++) if ($i == f) col = i; next }
		$1 == p && col { print $col; exit }' /proc/net/snmp /proc/net/netstat) ;;
	esac
	[ -n "$v" ] || { echo "snmp_get: no counter $1 $2" >&2; return 1; }
	echo "$v"
}

# tcp_drop_counters: sum of the TcpExt counters of TCP data the kernel dropped
# on receive (receive queue or memory full, zero window, backlog, out-of-order
# queue, pfmemalloc)
tcp_drop_counters() {
	local c s=0
	for c in TCPRcvQDrop TCPZeroWindowDrop TCPBacklogDrop TCPOFODrop PFMemallocDrop; do
		s=$((s + $(snmp_get TcpExt $c)))
	done
	echo $s
}

# probes_missed: kprobe hits the kernel skipped during the last collection
# (a kprobe fired while another was running on that CPU); any makes exact
# per-packet accounting impossible, so exactness scenarios require 0
probes_missed() {
	netstack-kmon status --json | nsk-jq - '.probes|sum:missed'
}

# exact_or_retry FUNC ARGS...: run an exactness step; FUNC returns 2 when the
# kernel skipped kprobe hits (see missed_or_retry), then it runs once more
# (NSK_LAST_TRY=1), loudly.  Any other failure fails the scenario.
exact_or_retry() {
	local rc=0
	NSK_LAST_TRY= "$@" || rc=$?
	[ "$rc" = 0 ] && return 0
	[ "$rc" = 2 ] || fail "$1 failed (rc $rc)"
	NSK_LAST_TRY=1 "$@" || fail "$1 failed on its second try"
}

# missed_or_retry: right after stop_live in an exactness step: 0 if the kernel
# skipped no kprobe hit; else 2 (retry) on the first try, a failure on the last
missed_or_retry() {
	local m
	m=$(probes_missed)
	if [ "$m" != 0 ] && [ -z "$NSK_LAST_TRY" ]; then
		echo "NOTE: the kernel skipped $m kprobe hits (a kprobe fired while another ran on that CPU): exact counts impossible for this run; repeating it once"
		return 2
	fi
	assert_eq 0 "$m" "the kernel skipped no probe hit (kprobe nmissed)"
}

# late_or_retry: after stop_live in an exactness step: 0 if the collector
# applied no record out of order (loss_detail.late, the reorder window passed:
# a host too loaded for the guest's drain to keep up); else 2 (retry) on the
# first try, a failure on the last
late_or_retry() {
	local l
	l=$(jq_get .loss_detail.late)
	if [ "$l" != 0 ] && [ -z "$NSK_LAST_TRY" ]; then
		echo "NOTE: $l records reached the collector after its reorder window (a starved guest): exact journeys impossible for this run; repeating it once"
		return 2
	fi
	assert_eq 0 "$l" "no record arrived after the reorder window (loss_detail.late)"
}

# assert_tcp_accounting KDELTA: the TCP relations every transfer must satisfy
# (KDELTA = tcp_drop_counters delta over the run): every data segment received
# is copied to user or dropped; a dropped one is a duplicate copy (a
# retransmission's, TCP_OLD_DATA) or a socket data drop, and those equal the
# kernel's TcpExt drop counters; every new-data segment carries its sendmsg;
# every copied segment has an end-to-end latency
assert_tcp_accounting() {
	local data retx drops
	data=$(jq_get .journeys.tx.tcp.data)
	retx=$(jq_get .journeys.tx.tcp.retransmits)
	drops=$(jq_get '.sockets|sum:drops_total')
	assert_eq "$(jq_get .journeys.rx.tcp.data)" \
		"$(( $(jq_get .journeys.rx.complete) + $(jq_get .journeys.rx.tcp.data_dropped) ))" \
		"data segments received == copied to user + dropped"
	assert_eq "$(jq_get .journeys.rx.tcp.data_dropped)" \
		"$(( $(jq_get .journeys.rx.tcp.duplicates) + drops ))" \
		"data segments dropped == duplicate copies + socket data drops"
	assert_eq "$1" "$drops" "socket data drops == TcpExt drop counters delta"
	assert_eq "$((data - retx))" "$(jq_get .journeys.tx.with_sendmsg)" \
		"every new-data segment carries its sendmsg"
	assert_eq "$(jq_get .journeys.rx.complete)" "$(jq_get .totals.end_to_end.count)" \
		"every copied segment has an end-to-end latency"
}

# udp_drops PORT: sum of the drops column of /proc/net/udp{,6} for sockets
# whose local port is PORT.
udp_drops() {
	awk -v h="$(printf '%04X' "$1")" 'FNR > 1 { n = split($2, a, ":"); if (a[n] == h) s += $NF }
		END { print s + 0 }' /proc/net/udp /proc/net/udp6 2>/dev/null
}

# sock_inodes PID: socket inodes held open by PID, one per line
sock_inodes() {
	ls -l /proc/"$1"/fd 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\].*/\1/p'
}

# udp_drops_pid PID: sum of /proc/net/udp{,6} drops for the sockets of PID
udp_drops_pid() {
	local inos
	inos=$(sock_inodes "$1" | tr '\n' ' ')
	awk -v inos=" $inos" 'FNR > 1 && index(inos, " " $10 " ") { s += $NF } END { print s + 0 }' \
		/proc/net/udp /proc/net/udp6 2>/dev/null
}

# wait_file PATH [TIMEOUT_S=10]: wait until PATH exists
wait_file() {
	local n=$((${2:-10} * 50))
	while [ ! -e "$1" ]; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "wait_file: $1 did not appear within ${2:-10} s"
		usleep 20000
	done
}

# online_cpus: number of online CPUs
online_cpus() {
	grep -c '^processor' /proc/cpuinfo
}

module_loaded() {
	[ -d /sys/module/$NSK_MOD ]
}

# load_module [PARAM=VALUE...]: insmod the module under test
load_module() {
	run insmod "$NSK_KO" $NSK_KMOD_ARGS "$@" || fail "insmod $NSK_KO failed"
	module_loaded || fail "/sys/module/$NSK_MOD missing after insmod"
}

unload_module() {
	run rmmod $NSK_MOD || fail "rmmod $NSK_MOD failed"
	! module_loaded || fail "/sys/module/$NSK_MOD still present after rmmod"
}

# dmesg_errors [FILE]: print kernel log lines matching NSK_DMESG_BAD (from
# FILE, default the live log); status 0 if there are any.
dmesg_errors() {
	if [ -n "${1:-}" ]; then grep -E -- "$NSK_DMESG_BAD" "$1"; else dmesg | grep -E -- "$NSK_DMESG_BAD"; fi
}

# check_dmesg: fail the scenario if the kernel log (cleared when the scenario
# started) shows a WARN, BUG, oops, lockup, ... or a taint other than O/E.
check_dmesg() {
	local t
	if dmesg_errors >/tmp/.dmesg_bad; then
		echo "--- kernel log:"
		dmesg | sed 's/^/dmesg: /'
		fail "kernel log shows errors: $(head -n1 /tmp/.dmesg_bad)"
	fi
	t=$(cat /proc/sys/kernel/tainted)
	[ $((t & ~NSK_TAINT_OK & ~${NSK_BOOT_TAINT:-0})) -eq 0 ] || fail "kernel tainted: $t"
	ok "kernel log clean, taint $t"
}

# --- real NICs, namespaces, veth, bridges (issue 15) -----------------------
# The VM's NICs (run-vm.sh --nics N or "# nsk-vm: nics=N") are virtio-net-pci
# devices on one QEMU hub: eth0..ethN-1 reach each other only.  Modules come
# from the kernel's own /lib/modules (mkbase.sh --modules); addresses and
# namespaces are the scenario's own.
#
# busybox sh runs its own applets before anything on PATH (Debian's static
# busybox prefers applets), and its ip and tc know no netns, veth, bridge or
# -s qdisc: iproute2's (and kmod's modprobe), from the image, are used here
# through these functions (a function comes before an applet).
if [ -x /usr/sbin/ip ]; then ip() { /usr/sbin/ip "$@"; }; fi
if [ -x /usr/sbin/tc ]; then tc() { /usr/sbin/tc "$@"; }; fi
# kmod's modprobe (busybox's ignores softdeps: nf_tables's libcrc32c fails)
if [ -x /usr/sbin/modprobe ]; then modprobe() { /usr/sbin/modprobe "$@"; }; fi

# mod_load NAME...: modprobe each (a built-in one is fine); fails loudly when
# the image has no such module (a kernel built from source has none)
mod_load() {
	local m
	# the kernel's own module requests (a qdisc or nft expression named by
	# tc/nft) go through kmod's modprobe too
	[ ! -x /usr/sbin/modprobe ] || echo /usr/sbin/modprobe >/proc/sys/kernel/modprobe
	for m in "$@"; do
		if [ -d "/sys/module/$m" ]; then continue; fi
		modprobe "$m" 2>/tmp/.modprobe.err ||
			fail "modprobe $m failed: $(cat /tmp/.modprobe.err) (the VM image has the modules of /lib/modules/$(uname -r) only when the host has them: mkbase.sh --modules)"
	done
	ok "modules loaded: $*"
}

# nic_setup [N=$NSK_NICS]: load the virtio NIC driver and wait (10 s) for
# eth0..eth(N-1); all of them up, in this namespace
nic_setup() {
	local n=${1:-${NSK_NICS:-0}} i t=500
	[ "$n" -ge 1 ] || fail "nic_setup: the VM has no NICs (run-vm.sh --nics N or '# nsk-vm: nics=N')"
	mod_load virtio_pci virtio_net
	i=0
	while [ $i -lt "$n" ]; do
		while [ ! -e /sys/class/net/eth$i ]; do
			t=$((t - 1))
			[ $t -gt 0 ] || { ls /sys/class/net; fail "nic_setup: eth$i did not appear"; }
			usleep 20000
		done
		# no IPv6 on the wire (DAD, router solicitations, MLD reports): the
		# NICs carry only the scenario's own traffic
		sysctl -q -w net.ipv6.conf.eth$i.disable_ipv6=1 >/dev/null
		ip link set eth$i up || fail "ip link set eth$i up"
		i=$((i + 1))
	done
	ok "$n NIC(s): $(cd /sys/class/net && echo eth*)"
}

# ns_add NAME: a new network namespace with lo up, IPv6 off for every
# interface that comes into it (no DAD/RS/MLD traffic on the scenario's wires)
ns_add() {
	run ip netns add "$1" || fail "ip netns add $1"
	ip netns exec "$1" sysctl -q -w net.ipv6.conf.default.disable_ipv6=1 >/dev/null
	ip netns exec "$1" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 >/dev/null
	ip -n "$1" link set lo up || fail "lo up in $1"
}

# ns_exec NAME CMD...: run CMD in namespace NAME (logged); its status
ns_exec() {
	local ns=$1
	shift
	echo "+ [$ns] $*" >&9
	ip netns exec "$ns" "$@"
}

# ns_spawn NAME CMD...: ns_exec in the background; SPAWNED is its pid (ip
# netns exec execs the program: the pid is the program's own)
ns_spawn() {
	local ns=$1
	shift
	echo "+ [$ns] $* &" >&9
	ip netns exec "$ns" "$@" &
	SPAWNED=$!
}

# ns_ino NAME: the namespace's inode (what the tool reports as netns, and
# what --netns takes); ns_ino with no NAME: this shell's namespace
ns_ino() {
	if [ -n "${1:-}" ]; then stat -L -c %i "/run/netns/$1"; else stat -L -c %i /proc/self/ns/net; fi
}

# ns_snmp NAME PROTO FIELD: snmp_get inside namespace NAME ("" = this one)
ns_snmp() {
	if [ -z "$1" ]; then snmp_get "$2" "$3"; return; fi
	ip netns exec "$1" sh -c '. /scenarios/lib.sh >/dev/null; snmp_get "$1" "$2"' sh "$2" "$3"
}

# if_move IF NS ADDR/PFX: move interface IF into namespace NS ("" = stay
# here), give it ADDR/PFX, bring it up
if_move() {
	if [ -n "$2" ]; then
		run ip link set "$1" netns "$2" || fail "ip link set $1 netns $2"
		ip -n "$2" addr add "$3" dev "$1" || fail "address $3 on $1 in $2"
		ip -n "$2" link set "$1" up || fail "$1 up in $2"
	else
		run ip addr add "$3" dev "$1" || fail "address $3 on $1"
		ip link set "$1" up || fail "$1 up"
	fi
}

# netns_peer NS PEER_IF PEER_ADDR/PFX HOST_IF HOST_ADDR/PFX: the NIC PEER_IF
# moves into a new namespace NS (the peer), HOST_IF stays here; both get
# their addresses and permanent neighbour entries for each other (no ARP on
# the wire while a scenario measures); returns once each side answers a ping
netns_peer() {
	local pmac hmac
	pmac=$(cat "/sys/class/net/$2/address") hmac=$(cat "/sys/class/net/$4/address")
	ns_add "$1"
	if_move "$2" "$1" "$3"
	if_move "$4" "" "$5"
	ip -n "$1" neigh replace "${5%/*}" lladdr "$hmac" dev "$2" nud permanent || fail "neighbour in $1"
	ip neigh replace "${3%/*}" lladdr "$pmac" dev "$4" nud permanent || fail "neighbour here"
	wait_ping "$1" "${5%/*}"
	wait_ping "" "${3%/*}"
}

# if_stat NS IF COUNTER: /sys/class/net/IF/statistics/COUNTER in NS ("" = here)
if_stat() {
	if [ -n "$1" ]; then
		ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"
	else
		cat "/sys/class/net/$2/statistics/$3"
	fi
}

# veth_pair IF1 NS1 ADDR1/PFX IF2 NS2 ADDR2/PFX: a veth pair IF1 (in NS1) --
# IF2 (in NS2); "" for a namespace = this one, "" for an address = none
veth_pair() {
	mod_load veth
	run ip link add "$1" type veth peer name "$4" || fail "ip link add $1 type veth peer name $4"
	_veth_end "$1" "$2" "$3"
	_veth_end "$4" "$5" "$6"
}
_veth_end() {
	if [ -n "$2" ]; then ip link set "$1" netns "$2" || fail "ip link set $1 netns $2"; fi
	if [ -n "$3" ]; then ip ${2:+-n "$2"} addr add "$3" dev "$1" || fail "address $3 on $1"; fi
	ip ${2:+-n "$2"} link set "$1" up || fail "$1 up"
}

# bridge_add BR [NS] : a bridge (no STP, no forwarding delay), up
bridge_add() {
	mod_load bridge
	run ip ${2:+-n "$2"} link add "$1" type bridge forward_delay 0 stp_state 0 || fail "bridge $1"
	ip ${2:+-n "$2"} link set "$1" up || fail "$1 up"
}

# wait_ping NS ADDR [SEC=10]: until ADDR answers a ping from NS ("" = here)
wait_ping() {
	local n=${3:-10}
	while :; do
		if [ -n "$1" ]; then
			ip netns exec "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1 && break
		else
			ping -c 1 -W 1 "$2" >/dev/null 2>&1 && break
		fi
		n=$((n - 1))
		[ $n -gt 0 ] || fail "no answer to ping $2${1:+ from namespace $1}"
	done
	ok "${1:-host} reaches $2"
}

# rps_on IF [MASK=all CPUs]: spread IF's receive work (RPS) over the CPUs
rps_on() {
	local m=${2:-$(printf '%x' $(((1 << $(online_cpus)) - 1)))} q
	for q in /sys/class/net/"$1"/queues/rx-*/rps_cpus; do
		echo "$m" >"$q" || fail "RPS on $q"
	done
	ok "RPS on $1: cpus mask $m"
}

# softnet_rx_cpus: "cpuN=processed ..." from /proc/net/softnet_stat
softnet_rx_cpus() {
	local c=0 p _
	while read -r p _; do
		printf 'cpu%d=%d ' $c $((0x$p))
		c=$((c + 1))
	done </proc/net/softnet_stat
	echo
}

# expect_eq EXPECTED ACTUAL MSG (and expect_gt A B MSG): like assert_eq /
# assert_gt, but a mismatch is counted ("MISMATCH: ...") and the scenario
# goes on, so one run reports every discrepancy; expect_done fails the
# scenario if any was counted (and clears the count)
NSK_MISMATCHES=0
expect_eq() {
	if [ "$1" = "$2" ]; then ok "${3:-expect_eq}: $2 == $1"; return 0; fi
	echo "MISMATCH: ${3:-expect_eq}: expected '$1', got '$2'"
	NSK_MISMATCHES=$((NSK_MISMATCHES + 1))
}
expect_gt() {
	case "$1$2" in *[!0-9-]*|'') echo "MISMATCH: ${3:-expect_gt}: '$1' or '$2' is not a number"
		NSK_MISMATCHES=$((NSK_MISMATCHES + 1)); return 0 ;; esac
	if [ "$1" -gt "$2" ]; then ok "${3:-expect_gt}: $1 > $2"; return 0; fi
	echo "MISMATCH: ${3:-expect_gt}: $1 <= $2"
	NSK_MISMATCHES=$((NSK_MISMATCHES + 1))
}
expect_done() {
	local n=$NSK_MISMATCHES
	NSK_MISMATCHES=0
	[ "$n" = 0 ] || fail "$n mismatch(es) above"
}

# show_sockets [FILE]: the socket rows of the last summary, one line each
show_sockets() {
	local n i f=${1:-$NSK_LIVE_OUT}
	n=$(nsk-jq "$f" '.sockets|length')
	i=0
	while [ "$i" -lt "$n" ]; do
		echo "socket: $(nsk-jq "$f" .sockets[$i].proto .sockets[$i].local .sockets[$i].remote \
			.sockets[$i].netns .sockets[$i].pid .sockets[$i].comm .sockets[$i].rx_packets \
			.sockets[$i].tx_packets .sockets[$i].drops_total | tr '\n' ' ')"
		i=$((i + 1))
	done
	echo "(socket: proto local remote netns pid comm rx_packets tx_packets drops_total)"
}

# neigh_pin NS_A IF_A ADDR_A NS_B IF_B ADDR_B: permanent neighbour entries
# both ways between two ends of a link ("" = this namespace; addresses
# without prefix): no ARP while a scenario measures
neigh_pin() {
	local ma mb
	ma=$(ip ${1:+-n "$1"} -br link show dev "$2" | awk '{ print $3 }')
	mb=$(ip ${4:+-n "$4"} -br link show dev "$5" | awk '{ print $3 }')
	ip ${1:+-n "$1"} neigh replace "$6" lladdr "$mb" dev "$2" nud permanent || fail "neighbour $6 on $2"
	ip ${4:+-n "$4"} neigh replace "$3" lladdr "$ma" dev "$5" nud permanent || fail "neighbour $3 on $5"
}

# router_topology: namespaces a -- r -- b on veth pairs, r forwards:
#   a: a0 10.54.1.1/24, default via 10.54.1.254
#   r: r1 10.54.1.254/24, r2 10.54.2.254/24, net.ipv4.ip_forward=1
#   b: b0 10.54.2.1/24, default via 10.54.2.254
# neighbours pinned, both ends reach each other
router_topology() {
	ns_add a
	ns_add r
	ns_add b
	veth_pair a0 a 10.54.1.1/24 r1 r 10.54.1.254/24
	veth_pair r2 r 10.54.2.254/24 b0 b 10.54.2.1/24
	ip -n a route add default via 10.54.1.254 || fail "route in a"
	ip -n b route add default via 10.54.2.254 || fail "route in b"
	ip netns exec r sysctl -q -w net.ipv4.ip_forward=1 >/dev/null || fail "ip_forward in r"
	neigh_pin a a0 10.54.1.1 r r1 10.54.1.254
	neigh_pin r r2 10.54.2.254 b b0 10.54.2.1
	wait_ping a 10.54.2.1
	wait_ping b 10.54.1.1
}

# drops_sum FIELD VALUE: sum of .drops[].count over rows whose FIELD is VALUE
# (the last live capture); show_drops: every drop row, one line each
drops_sum() {
	local n i s=0
	n=$(jq_get '.drops|length')
	i=0
	while [ "$i" -lt "$n" ]; do
		[ "$(jq_get ".drops[$i].$1")" = "$2" ] && s=$((s + $(jq_get ".drops[$i].count")))
		i=$((i + 1))
	done
	echo $s
}
# show_stages: one line per stage row of the summary (path from to count p50);
# sets NST to the number of rows
show_stages() {
	local i=0
	NST=$(jq_get '.stages|length')
	while [ "$i" -lt "$NST" ]; do
		echo "stage: $(nsk-jq "$NSK_LIVE_OUT" .stages[$i].path .stages[$i].from .stages[$i].to \
			.stages[$i].count .stages[$i].p50_ns | tr '\n' ' ')"
		i=$((i + 1))
	done
}
show_drops() {
	local n i
	n=$(jq_get '.drops|length')
	i=0
	while [ "$i" -lt "$n" ]; do
		echo "drop: $(nsk-jq "$NSK_LIVE_OUT" .drops[$i].reason .drops[$i].location .drops[$i].stage \
			.drops[$i].proto .drops[$i].count | tr '\n' ' ')"
		i=$((i + 1))
	done
	echo "(drop: reason location stage proto count)"
}

# nft_rule_packets NS PATTERN: the packet counter of the nft rule in NS whose
# text matches PATTERN (an ERE, e.g. 'dport 9055')
nft_rule_packets() {
	ip netns exec "$1" nft list ruleset | grep -E -- "$2" | sed -n 's/.*counter packets \([0-9]*\) .*/\1/p' | head -n1
}

# qdisc_dropped NS IF: the "dropped" counter of IF's root qdisc in NS ("" = here)
qdisc_dropped() {
	ip ${1:+netns exec "$1"} /usr/sbin/tc -s qdisc show dev "$2" | sed -n 's/.*dropped \([0-9]*\).*/\1/p' | head -n1
}

# stage_count FROM TO: sum of the counts of the stage rows FROM -> TO (any
# path) in the last live capture; "missing" if there is none
stage_count() {
	local n i s= f t
	n=$(jq_get '.stages|length')
	i=0
	while [ "$i" -lt "$n" ]; do
		f=$(jq_get ".stages[$i].from") t=$(jq_get ".stages[$i].to")
		[ "$f" = "$1" ] && [ "$t" = "$2" ] && s=$((${s:-0} + $(jq_get ".stages[$i].count")))
		i=$((i + 1))
	done
	echo "${s:-missing}"
}

# softnet_dropped: packets the kernel dropped at the per-CPU backlog (RPS /
# netif_rx queue over netdev_max_backlog), summed over CPUs (softnet_stat)
softnet_dropped() {
	local s=0 p d _
	while read -r p d _; do s=$((s + 0x$d)); done </proc/net/softnet_stat
	echo $s
}

# cycles_with_subscriber N TAG: N START/STOP pairs from a raw controller while
# a subscriber reads every batch (files /tmp/TAG-*), then the ledger over all
# collections: one STOPPED message per pair, records received + undelivered
# == records sent, records written == records sent.
cycles_with_subscriber() {
	local n=$1 tag=$2 rc t0 sub
	spawn nsk-genl-sub --ready-file "/tmp/$tag-sub.ready" >"/tmp/$tag-sub.txt"
	sub=$SPAWNED
	wait_file "/tmp/$tag-sub.ready" 10
	t0=$(date +%s)
	run nsk-genl-sub --cycles "$n" >"/tmp/$tag-cycles.txt"
	rc=$?
	cat "/tmp/$tag-cycles.txt"
	assert_eq 0 "$rc" "all $n START/STOP pairs accepted"
	echo "$n pairs took $(($(date +%s) - t0)) s (guest clock)"
	usleep 500000
	run kill -TERM "$sub"
	wait "$sub"
	run cat "/tmp/$tag-sub.txt"
	assert_eq "$n" "$(kv stopped "/tmp/$tag-sub.txt")" "subscriber saw $n STOPPED messages"
	assert_gt "$(kv records "/tmp/$tag-sub.txt")" 0 "subscriber got records"
	assert_eq "$(kv stopped_sent "/tmp/$tag-sub.txt")" \
		"$(($(kv records "/tmp/$tag-sub.txt") + $(kv stopped_fail "/tmp/$tag-sub.txt")))" \
		"records received + undelivered == records sent, over all collections"
	assert_eq "$(kv stopped_written "/tmp/$tag-sub.txt")" "$(kv stopped_sent "/tmp/$tag-sub.txt")" \
		"records written to the rings == records sent (the final drains left nothing)"
}

# wait_live_gone SEC WHAT: the live capture started by start_live ends by
# itself within SEC seconds (e.g. after rmmod) and printed its summary.
wait_live_gone() {
	local t0 now next lim _
	t0=$(uptime_cs)
	lim=$(slow_s "$1")
	next=$((t0 + 500))
	while kill -0 "$NSK_LIVE_PID" 2>/dev/null; do
		read -r now _ </proc/uptime
		now=${now%.*}${now#*.}
		[ $((now - t0)) -lt $((lim * 100)) ] || { live_where "$t0"; rcu_state; fail "netstack-kmon live still running $lim s later ($1 s x NSK_SLOW $NSK_SLOW; $2)"; }
		if [ "$now" -ge "$next" ]; then
			live_where "$t0"
			next=$(($(uptime_cs) + 200))
		fi
		usleep 100000
	done
	echo "live capture gone $((($(uptime_cs) - t0) / 100)) s later ($2)"
	dmesg | grep -a 'netstack_kmon: stopped in' | tail -n 1 | sed 's/^/dmesg: /'
	NSK_LIVE_PID=
	assert_match "$NSK_LIVE_OUT" '"type"[[:space:]]*:[[:space:]]*"summary"' "$2: summary printed"
}

# --- the kernel's function tracer on the probed functions (--ftrace-probed) --
# run-vm.sh --ftrace-probed (NSK_FTRACE_PROBED=1): /init runs
# ftrace_probed_start before each scenario and ftrace_probed_finish after it.
# A follower polls /sys/kernel/tracing/enabled_functions every 0.3 s: every
# function with an ftrace callback attached is, in this VM, one the module
# probes (its own ftrace_ops, or a kprobe at an ftrace site with
# kprobes_only=1; nothing else here uses ftrace).  Each new one is appended
# to set_ftrace_filter, and once the filter holds one the function tracer is
# switched on (current_tracer=function) and stays on until the scenario ends:
# from then on every collection arms, runs and disarms with the tracer on the
# same call sites (enabled_functions counts 2 users: the list function calls
# both), and rmmod/insmod happen under it too.  No list of names is written
# here: the module says which functions it probes by probing them.
# Since /init first asks the module which functions it probes
# (ftrace_probed_discover), the tracer is normally on them before the
# scenario starts.  ftrace_probed_finish stops the follower, prints
# per-function counts of the trace buffer, requires that 3 datagrams sent
# afterwards are traced on those functions (the tracer is still on them) and,
# if the module started a collection, that at least one function was seen
# shared (count >= 2), then switches the tracer off and empties the filter.
# A scenario that never starts a collection (44 only loads) is reported as
# such and not failed.
NSK_TR=/sys/kernel/tracing
NSK_FTP_DIR=/tmp/ftrace-probed
NSK_FTP_PID=

# one poll of the follower: new attached functions into the filter, the
# tracer on once the filter holds one, shared call sites noted
_ftp_poll() {
	local f
	awk '{ print $1 }' "$NSK_TR/enabled_functions" >"$NSK_FTP_DIR/now" 2>/dev/null || return 0
	# "name (2) R ...": two ftrace users on this call site (the first such
	# listing is kept as evidence)
	awk '$2 ~ /^\(([2-9]|[1-9][0-9]+)\)$/ { print $1 }' "$NSK_TR/enabled_functions" |
		grep -vxF -f "$NSK_FTP_DIR/shared" >"$NSK_FTP_DIR/shared.new"
	if [ -s "$NSK_FTP_DIR/shared.new" ]; then
		cat "$NSK_FTP_DIR/shared.new" >>"$NSK_FTP_DIR/shared"
		[ -s "$NSK_FTP_DIR/enabled.shared" ] ||
			cp "$NSK_TR/enabled_functions" "$NSK_FTP_DIR/enabled.shared"
	fi
	# new ones (module text is never filtered on), in one write
	grep -v '[][]' "$NSK_FTP_DIR/now" | grep . | grep -vxF -f "$NSK_FTP_DIR/names" |
		grep -vxF -f "$NSK_FTP_DIR/refused" >"$NSK_FTP_DIR/new"
	if [ -s "$NSK_FTP_DIR/new" ]; then
		if cat "$NSK_FTP_DIR/new" >>"$NSK_TR/set_ftrace_filter" 2>/dev/null; then
			cat "$NSK_FTP_DIR/new" >>"$NSK_FTP_DIR/names"
		else
			# one refused name fails the whole write: one by one (read line
			# by line: /init runs scenarios with IFS=' ')
			while read -r f; do
				if echo "$f" >>"$NSK_TR/set_ftrace_filter" 2>/dev/null; then
					echo "$f" >>"$NSK_FTP_DIR/names"
				else
					echo "$f" >>"$NSK_FTP_DIR/refused"
				fi
			done <"$NSK_FTP_DIR/new"
		fi
		echo "ftrace-probed: $(cut -d' ' -f1 /proc/uptime) s: added to set_ftrace_filter: $(tr '\n' ' ' <"$NSK_FTP_DIR/new")" >>"$NSK_FTP_DIR/log"
	fi
	if [ ! -e "$NSK_FTP_DIR/on" ] && [ "$(wc -l <"$NSK_FTP_DIR/names")" -gt 1 ] &&
		[ -n "$(grep -v '^#' "$NSK_TR/set_ftrace_filter")" ]; then
		# (an empty filter would trace every function: checked just above)
		if echo function >"$NSK_TR/current_tracer"; then
			: >"$NSK_FTP_DIR/on"
			echo "ftrace-probed: $(cut -d' ' -f1 /proc/uptime) s: current_tracer=function on $(($(wc -l <"$NSK_FTP_DIR/names") - 1)) functions" >>"$NSK_FTP_DIR/log"
		fi
	fi
}

ftrace_probed_follow() {
	trap 'exit 0' TERM
	while :; do
		_ftp_poll
		usleep 300000
	done
}

# ftrace_probed_discover: once per VM, before the first scenario (/init):
# the module under test (with --kmod-args) is loaded, one collection started
# with `netstack-kmon live` and stopped again, and the functions that had an
# ftrace callback meanwhile are kept in $NSK_FTP_LIST: the module's own
# answer to "which functions do you probe".  Every scenario then starts with
# the tracer already on them, so each START arms onto call sites the tracer
# holds.  Never exits (PID 1 calls it): problems are printed, the list stays
# empty and the follower alone does the work.
NSK_FTP_LIST=/tmp/ftrace-probed.list
ftrace_probed_discover() {
	local pid n=0
	: >"$NSK_FTP_LIST"
	insmod "$NSK_KO" $NSK_KMOD_ARGS 2>/tmp/ftp-insmod.err ||
		{ echo "ftrace-probed: discovery: insmod failed: $(cat /tmp/ftp-insmod.err)"; return 0; }
	netstack-kmon live --json >/dev/null 2>/tmp/ftp-live.err &
	pid=$!
	while ! netstack-kmon status --json 2>/dev/null | grep -Eq '"collecting"[[:space:]]*:[[:space:]]*true'; do
		n=$((n + 1))
		if [ $n -gt 600 ] || ! kill -0 $pid 2>/dev/null; then
			echo "ftrace-probed: discovery: no collection started: $(cat /tmp/ftp-live.err)"
			break
		fi
		usleep 100000
	done
	awk '{ print $1 }' "$NSK_TR/enabled_functions" | grep -v '[][]' | grep . >"$NSK_FTP_LIST"
	kill -TERM $pid 2>/dev/null
	wait $pid
	rmmod $NSK_MOD || echo "ftrace-probed: discovery: rmmod failed"
	if dmesg_errors >/tmp/ftp-bad; then
		echo "@@NSK-INFO ftrace-probed discovery: kernel log shows errors: $(head -n1 /tmp/ftp-bad)@@"
	fi
	echo "ftrace-probed: discovery: the module attached ftrace callbacks to $(wc -l <"$NSK_FTP_LIST") functions: $(tr '\n' ' ' <"$NSK_FTP_LIST")"
}

# ftrace_probed_start: tracer off, filter empty, follower started; status 1
# (and a FAIL line) if this kernel has no function tracer
ftrace_probed_start() {
	local f
	rm -rf "$NSK_FTP_DIR"
	mkdir -p "$NSK_FTP_DIR"
	# (each list starts with a line no function name matches: grep -f never
	# gets an empty pattern file)
	for f in names refused shared; do echo '#' >"$NSK_FTP_DIR/$f"; done
	: >"$NSK_FTP_DIR/log"
	if ! grep -qw function "$NSK_TR/available_tracers" 2>/dev/null ||
		[ ! -e "$NSK_TR/enabled_functions" ]; then
		echo "FAIL: ftrace-probed: this kernel has no function tracer (available_tracers: $(cat "$NSK_TR/available_tracers" 2>/dev/null))"
		return 1
	fi
	echo nop >"$NSK_TR/current_tracer"
	echo >"$NSK_TR/set_ftrace_filter"
	echo 256 >"$NSK_TR/buffer_size_kb"
	echo >"$NSK_TR/trace"
	echo 1 >"$NSK_TR/tracing_on"
	# the discovered functions first, the tracer on before the scenario runs
	if [ -s "$NSK_FTP_LIST" ] && cat "$NSK_FTP_LIST" >>"$NSK_TR/set_ftrace_filter" 2>/dev/null; then
		cat "$NSK_FTP_LIST" >>"$NSK_FTP_DIR/names"
		if [ -n "$(grep -v '^#' "$NSK_TR/set_ftrace_filter")" ] && echo function >"$NSK_TR/current_tracer"; then
			: >"$NSK_FTP_DIR/on"
			echo "ftrace-probed: $(cut -d' ' -f1 /proc/uptime) s: current_tracer=function on the $(wc -l <"$NSK_FTP_LIST") discovered functions, before the scenario" >>"$NSK_FTP_DIR/log"
		fi
	fi
	ftrace_probed_follow &
	NSK_FTP_PID=$!
	echo "ftrace-probed: follower started (pid $NSK_FTP_PID): the function tracer joins every function the module attaches to"
}

# ftrace_probed_finish NAME: stop the follower, check and report, tracer off;
# status 1 if the tracer was on the module's functions and recorded nothing,
# or never shared a call site with the module
ftrace_probed_finish() {
	local rc=0 n shared hits total cpu e o f starts check
	if [ -n "$NSK_FTP_PID" ]; then
		kill -TERM "$NSK_FTP_PID" 2>/dev/null
		wait "$NSK_FTP_PID" 2>/dev/null
		NSK_FTP_PID=
	fi
	echo 0 >"$NSK_TR/tracing_on"
	cat "$NSK_FTP_DIR/log"
	sed -i '/^#$/d' "$NSK_FTP_DIR/names" "$NSK_FTP_DIR/shared"
	n=$(wc -l <"$NSK_FTP_DIR/names")
	# collections started in this scenario (the module logs each START; the
	# kernel log was cleared when the scenario began)
	starts=$(dmesg | grep -c 'netstack_kmon: collecting:')
	if [ "$n" = 0 ]; then
		echo "ftrace-probed: $1: the module attached no function-entry probe, so the function tracer was never switched on (nothing to share)"
		echo "@@NSK-INFO ftrace-probed $1: not applicable (no function-entry probe attached)@@"
	else
		# per function: trace entries in the buffer now ("... 12.345678: ip_rcv <-parent")
		awk '{ for (i = 1; i < NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) { c[$(i + 1)]++; break } }
			END { for (f in c) print f, c[f] }' "$NSK_TR/trace" >"$NSK_FTP_DIR/counts"
		hits=0
		total=0
		for cpu in "$NSK_TR"/per_cpu/cpu*; do
			e=$(sed -n 's/^entries: //p' "$cpu/stats"); o=$(sed -n 's/^overrun: //p' "$cpu/stats")
			total=$((total + ${e:-0} + ${o:-0}))
		done
		sort -u "$NSK_FTP_DIR/shared" | grep -xF -f "$NSK_FTP_DIR/names" >"$NSK_FTP_DIR/shared.u"
		shared=$(wc -l <"$NSK_FTP_DIR/shared.u")
		echo "ftrace-probed: $1: $n functions followed; per function: trace entries in the buffer at the end, shared = seen with 2 ftrace users (tracer + module):"
		while read -r f; do
			e=$(awk -v f="$f" '$1 == f { print $2 }' "$NSK_FTP_DIR/counts")
			hits=$((hits + ${e:-0}))
			printf 'ftrace-probed:   %-36s %8s%s\n' "$f" "${e:-0}" "$(grep -qxF "$f" "$NSK_FTP_DIR/shared.u" && echo '  shared')"
		done <"$NSK_FTP_DIR/names"
		# the sharing itself: enabled_functions when it first showed 2 users
		[ ! -s "$NSK_FTP_DIR/enabled.shared" ] ||
			grep -E '\(([2-9]|[1-9][0-9]+)\)' "$NSK_FTP_DIR/enabled.shared" | head -n 3 |
			sed 's/^/ftrace-probed: enabled_functions: /'
		# hits, not just counts: the last lines the tracer recorded
		grep -v '^#' "$NSK_TR/trace" | tail -n 3 | sed 's/^/ftrace-probed: trace: /'
		echo "ftrace-probed: $1: $starts collections started; $hits entries on them in the buffer; $total function-trace events recorded in all (entries + overrun, per_cpu/*/stats); $shared of $n seen shared with the module"
		# the tracer is still on them now: 3 datagrams to a closed port pass
		# udp_sendmsg, ip_output, ... udp_rcv (a scenario without traffic,
		# 05, records nothing itself)
		echo >"$NSK_TR/trace"
		echo 1 >"$NSK_TR/tracing_on"
		nsk-udp-send --dst 127.0.0.1 --port 9 --count 3 >/dev/null 2>&1
		echo 0 >"$NSK_TR/tracing_on"
		check=$(grep -v '^#' "$NSK_TR/trace" | grep -cwF -f "$NSK_FTP_DIR/names")
		echo "ftrace-probed: $1: check after the scenario, 3 UDP datagrams to 127.0.0.1:9: $check trace entries on the followed functions"
		if [ "$check" = 0 ]; then
			echo "FAIL: ftrace-probed: the function tracer was not active on the probed functions at the end"
			rc=1
		elif [ "$starts" = 0 ] && [ "$shared" = 0 ]; then
			echo "ftrace-probed: $1: the module never attached its probes here (no START): the tracer ran alone, nothing to share"
		elif [ "$shared" = 0 ]; then
			echo "FAIL: ftrace-probed: the function tracer never shared a call site with the module (no enabled_functions count of 2)"
			rc=1
		else
			echo "ok: ftrace-probed: the function tracer was on the probed functions throughout, shared them with the module and recorded hits"
		fi
		echo "@@NSK-INFO ftrace-probed $1: $starts STARTs, $n functions, $shared shared with the module, $total trace events, $hits in the buffer on them, check $check@@"
	fi
	echo nop >"$NSK_TR/current_tracer"
	echo >"$NSK_TR/set_ftrace_filter"
	echo >"$NSK_TR/trace"
	echo 1 >"$NSK_TR/tracing_on"
	return $rc
}
