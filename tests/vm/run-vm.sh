#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot Debian's kernel in QEMU (TCG) with the module, the tool and the
# scenario scripts in the initramfs, run scenarios, report PASS/FAIL.
#
#   tests/vm/run-vm.sh [options] SCENARIO...      (names from tests/vm/scenarios)
#
#   --kernel IMG        kernel image (default /boot/vmlinuz-$KVER); the ELF
#                       vmlinux inside it is extracted and cached (PVH boot)
#   --kver VER          kernel version (default: from IMG's name, the build's
#                       NSK_KVER, or scripts/kdir.sh)
#   --kmod KO           module to test, installed as /lib/netstack_kmon.ko
#   --modules-dir DIR   the kernel's modules (DIR = .../lib/modules/$KVER,
#                       e.g. MODULES_DIR of scripts/build-kernel.sh) for
#                       the real-path scenarios (default /lib/modules/$KVER)
#   --tool BIN          netstack-kmon binary, installed as /usr/bin/netstack-kmon
#   --workload-dir DIR  directory of the nsk-* workload programs
#   --build-dir DIR     build tree (default <repo>/build; images in DIR/vm)
#   --scenario-dir DIR  where SCENARIO.sh live (default tests/vm/scenarios)
#   --kmod-args "A=1"   parameters added to every load_module in the guest
#   --env KEY=VALUE     exported in the guest (repeatable)
#   --add SRC:DEST      extra file in the guest (repeatable; ELF libs follow)
#   --append "ARGS"     extra kernel command line
#   --timeout SEC       whole-VM timeout (default 600)
#   --scenario-timeout SEC  per-scenario timeout inside the guest (default 600)
#   --boot-timeout SEC  the guest must reach /init within SEC (default 60, 300
#                       with --bzimage), else QEMU is killed and started once
#                       more (a stalled emulator, reported loudly)
#   --smp N --mem MB    (default 2 / 1024)
#   --nics N            N virtio-net-pci NICs (guest eth0..ethN-1) on one QEMU
#                       hub with no host backend: they reach only each other
#                       (default 0: -nic none; a scenario's "# nsk-vm: nics=N"
#                       line asks for N too, the largest wins)
#   --icount            deterministic mode: single-threaded TCG with
#                       `-icount shift=0,sleep=off` (guest ns = instructions),
#                       forces --smp 1 (benchmarks: scripts/bench.sh)
#   --no-panic-on-warn  report a WARN through the dmesg check instead of a panic
#   --ftrace-probed     the kernel's function tracer on every function the
#                       module probes, while each scenario runs (it follows
#                       /sys/kernel/tracing/enabled_functions: lib.sh,
#                       ftrace_probed_*); the scenario fails (rc 102) unless
#                       the tracer recorded hits on them and shared a call
#                       site with the module; forces single-threaded TCG
#   --test-stall-first-boot  harness self-test: the first QEMU starts with its
#                       vCPUs stopped (-S), a boot that never gets past the
#                       firmware, which the boot watchdog must kill and retry
#   --bzimage           boot the compressed image (no vmlinux extraction)
#   --qemu-arg ARG      one more QEMU argument (repeatable), e.g. a TCG plugin:
#                       --qemu-arg -plugin --qemu-arg X.so,out=F
#                       (scripts/profile-bench.sh); NSK_QEMU_EXTRA="A B ..."
#                       adds more, split at spaces
#   --show              demo mode: print the scenarios' output plainly
#   --live              stream the console while the VM runs
#   --keep              keep the staging directory
#   --no-strip          keep debug info of the tool/workload in the guest
# Exit: 0 all scenarios passed, 1 a scenario failed or the VM crashed/timed
# out, 2 bad usage or missing inputs.
set -euo pipefail
. "$(dirname "$0")/common.sh"

KERNEL='' KVER='' KMOD='' MODULES_DIR='' TOOL='' WORKLOAD_DIR='' BUILD_DIR='' SCEN_DIR='' KMOD_ARGS='' APPEND=''
NICS=0 TIMEOUT=600 STIMEOUT='' STALL_FIRST='' BOOT_TIMEOUT=${NSK_BOOT_TIMEOUT:-} ICOUNT='' SMP=2 MEM=1024 PANIC_ON_WARN=1 BZIMAGE='' FTRACE_PROBED='' SHOW='' LIVE='' KEEP=''
NSK_STRIP=1
ENVS=() ADDS=() SCENARIOS=() QEMU_EXTRA=()
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) KERNEL=$2; shift ;;
	--kver) KVER=$2; shift ;;
	--kmod) KMOD=$2; shift ;;
	--modules-dir) MODULES_DIR=$2; shift ;;
	--tool) TOOL=$2; shift ;;
	--workload-dir) WORKLOAD_DIR=$2; shift ;;
	--build-dir) BUILD_DIR=$2; shift ;;
	--scenario-dir) SCEN_DIR=$2; shift ;;
	--kmod-args) KMOD_ARGS=$2; shift ;;
	--env) ENVS+=("$2"); shift ;;
	--add) ADDS+=("$2"); shift ;;
	--append) APPEND="$APPEND $2"; shift ;;
	--timeout) TIMEOUT=$2; shift ;;
	--scenario-timeout) STIMEOUT=$2; shift ;;
	--boot-timeout) BOOT_TIMEOUT=$2; shift ;;
	--smp) SMP=$2; shift ;;
	--nics) NICS=$2; shift ;;
	--mem) MEM=$2; shift ;;
	--icount) ICOUNT=1 ;;
	--no-panic-on-warn) PANIC_ON_WARN= ;;
	--test-stall-first-boot) STALL_FIRST=1 ;;
	--bzimage) BZIMAGE=1 ;;
	--qemu-arg) QEMU_EXTRA+=("$2"); shift ;;
	--ftrace-probed) FTRACE_PROBED=1 ;;
	--show) SHOW=1 ;;
	--live) LIVE=1 ;;
	--keep) KEEP=1 ;;
	--no-strip) NSK_STRIP= ;;
	-h|--help) sed -n '3,57p' "$0"; exit 0 ;;
	-*) die "unknown option: $1 (see --help)" ;;
	*) SCENARIOS+=("$(basename "${1%.sh}")") ;;
	esac
	shift
done
[ ${#SCENARIOS[@]} -gt 0 ] || die "no scenario given (see --help)"

BUILD_DIR=${BUILD_DIR:-$NSK_REPO/build}
SCEN_DIR=${SCEN_DIR:-$NSK_REPO/tests/vm/scenarios}
# Paths recorded by CMake at configure/generate time (tests/CMakeLists.txt).
if [ -f "$BUILD_DIR/nsk-paths.sh" ]; then . "$BUILD_DIR/nsk-paths.sh"; fi
if [ -z "$KVER" ] && [ -n "$KERNEL" ]; then
	case ${KERNEL##*/} in vmlinuz-*|vmlinux-*|bzImage-*) KVER=${KERNEL##*/}; KVER=${KVER#*-} ;; esac
fi
KVER=${KVER:-${NSK_PATH_KVER:-}}
KVER=${KVER:-$(default_kver)} || die "no kernel found (run: make deps)"
KERNEL=${KERNEL:-/boot/vmlinuz-$KVER}
KMOD=${KMOD:-${NSK_PATH_KMOD:-$NSK_REPO/kmod/netstack_kmon.ko}}
TOOL=${TOOL:-${NSK_PATH_TOOL:-$BUILD_DIR/user/netstack-kmon}}
WORKLOAD_DIR=${WORKLOAD_DIR:-${NSK_PATH_WORKLOAD_DIR:-$BUILD_DIR/workload}}
# a hung scenario is reported by the guest (rc=137) before the VM is killed
STIMEOUT=${STIMEOUT:-$((TIMEOUT > 60 ? TIMEOUT - 30 : TIMEOUT))}
VMDIR=$BUILD_DIR/vm

# Missing inputs are errors, never a skip.
[ -f "$KERNEL" ] || die "kernel image not found: $KERNEL"
[ -f "$KMOD" ] || die "kernel module not found: $KMOD (build it: make module)"
[ -x "$TOOL" ] || die "tool not found: $TOOL (build it: make tool)"
[ -d "$WORKLOAD_DIR" ] || die "workload directory not found: $WORKLOAD_DIR (build it: make tool)"
for s in "${SCENARIOS[@]}"; do
	[ -f "$SCEN_DIR/$s.sh" ] || die "no such scenario: $SCEN_DIR/$s.sh"
done
vermagic=$(modinfo -F vermagic "$KMOD" 2>/dev/null || true)
case "$vermagic " in
"$KVER "*) ;;
*) die "$KMOD was built for '${vermagic%% *}', the VM boots $KVER (set KVER/KDIR consistently)" ;;
esac
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (run: make deps)"

# NICs: N virtio-net-pci devices on QEMU hub 0 (-netdev hubport: no host
# backend, frames reach only the other ports of the hub, nothing leaves the
# VM).  Asked for by --nics N or a scenario's "# nsk-vm: nics=N" line.
for s in "${SCENARIOS[@]}"; do
	n=$(sed -n 's/^# nsk-vm: nics=\([0-9][0-9]*\).*/\1/p' "$SCEN_DIR/$s.sh" | head -n1)
	[ -z "$n" ] || [ "$n" -le "$NICS" ] || NICS=$n
done
[[ $NICS =~ ^[0-9]+$ ]] && [ "$NICS" -le 8 ] || die "--nics wants 0..8, got '$NICS'"
nics=(-nic none)
for ((i = 0; i < NICS; i++)); do
	nics+=(-netdev "hubport,id=nsk$i,hubid=0" -device "virtio-net-pci,netdev=nsk$i,mac=52:54:00:4e:53:$((10 + i))")
done

# console logs: build/vm/logs, or NSK_VM_LOG_DIR (the harness self-test keeps
# its deliberate splats out of the product's logs)
LOGDIR=${NSK_VM_LOG_DIR:-$VMDIR/logs}
mkdir -p "$LOGDIR"
base=$("$NSK_REPO/tests/vm/mkbase.sh" --build-dir "$BUILD_DIR")
# kernel modules for NICs, veth, bridge, nftables, qdiscs (none for a kernel
# without /lib/modules/$KVER: mkbase.sh says so, the scenario's modprobe fails)
# A kernel package unpacked in the cache (scripts/get-kernel.sh: <root>/boot/vmlinuz-KVER) has
# its modules under <root>/lib/modules/KVER: found here when --modules-dir is not given.
if [ -z "$MODULES_DIR" ]; then
	case $KERNEL in */boot/vmlinuz-*)
		r=${KERNEL%/boot/vmlinuz-*}
		[ -n "$r" ] && [ -d "$r/lib/modules/$KVER/kernel" ] && MODULES_DIR=$r/lib/modules/$KVER ;;
	esac
fi
netmods=$("$NSK_REPO/tests/vm/mkbase.sh" --build-dir "$BUILD_DIR" --modules "$KVER" \
	${MODULES_DIR:+--modules-dir "$MODULES_DIR"})

# Kernel: the ELF vmlinux inside the bzImage boots through PVH in ~3 s
# instead of ~6 s (no decompression under TCG).  Cached per image.
boot_kernel=$KERNEL boot_kind=bzImage
if [ -z "$BZIMAGE" ]; then
	vml=$VMDIR/vmlinux-$KVER
	exec 8>"$VMDIR/vmlinux.lock"
	flock 8
	if { [ ! -s "$vml" ] || [ "$KERNEL" -nt "$vml" ]; } &&
		{ [ ! -e "$vml.failed" ] || [ "$KERNEL" -nt "$vml.failed" ]; }; then
		rm -f "$vml" "$vml.failed"
		if python3 "$NSK_REPO/tests/vm/extract-vmlinux.py" "$KERNEL" "$vml.tmp" 2>/dev/null &&
			{ ! command -v readelf >/dev/null || readelf -n "$vml.tmp" | grep -q 'Unknown note type: (0x00000012)'; }; then
			mv "$vml.tmp" "$vml"
		else
			rm -f "$vml.tmp"
			note "could not extract a PVH vmlinux from $KERNEL; booting the bzImage (slower)"
			: >"$vml.failed"
		fi
	fi
	flock -u 8
	[ -s "$vml" ] && { boot_kernel=$vml; boot_kind=vmlinux; }
fi

# Overlay: module, tool, workload programs, scenarios, environment.
st=$(mktemp -d "$VMDIR/run.XXXXXX")
qpid=
cleanup() {
	[ -n "$qpid" ] && kill -TERM "$qpid" 2>/dev/null
	[ -n "$KEEP" ] || rm -rf "$st"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$st/ov/lib" "$st/ov/scenarios" "$st/ov/etc" "$st/ov/usr/bin"
install -m 0644 "$KMOD" "$st/ov/lib/netstack_kmon.ko"
stage_elf "$st/ov" "$TOOL" /usr/bin/netstack-kmon
for f in "$WORKLOAD_DIR"/nsk-*; do
	[ -f "$f" ] && [ -x "$f" ] && stage_elf "$st/ov" "$f" "/usr/bin/${f##*/}"
done
install -m 0644 "$NSK_REPO/tests/vm/lib.sh" "$st/ov/scenarios/lib.sh"
for f in "$SCEN_DIR"/*; do
	[ -f "$f" ] && install -m 0755 "$f" "$st/ov/scenarios/"
done
for a in ${ADDS[@]+"${ADDS[@]}"}; do
	stage_elf "$st/ov" "${a%%:*}" "${a#*:}"
done
squote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
{
	echo "export NSK_KMOD_ARGS=$(squote "$KMOD_ARGS")"
	echo "export NSK_KVER=$(squote "$KVER")"
	echo "export NSK_NICS=$NICS"
	[ -z "$FTRACE_PROBED" ] || echo "export NSK_FTRACE_PROBED=1"
	for e in ${ENVS[@]+"${ENVS[@]}"}; do
		[[ $e == [A-Za-z_]*=* ]] || die "--env wants KEY=VALUE: $e"
		echo "export ${e%%=*}=$(squote "${e#*=}")"
	done
} >"$st/ov/etc/nsk-env"
mkcpio "$st/ov" "$st/overlay.cpio"
# Concatenated archives are one initramfs; the kernel only recognises an
# uncompressed cpio that starts on a 4-byte boundary: pad the gzip'd base.
{
	cat "$base"; head -c $(((4 - $(stat -c %s "$base") % 4) % 4)) /dev/zero
	if [ -n "$netmods" ]; then
		cat "$netmods"; head -c $(((4 - $(stat -c %s "$netmods") % 4) % 4)) /dev/zero
	fi
	cat "$st/overlay.cpio"
} >"$st/initrd"

list=$(IFS=,; echo "${SCENARIOS[*]}")
name=$(IFS=+; echo "${SCENARIOS[*]}")
[ ${#name} -le 80 ] || name="${SCENARIOS[0]}+$((${#SCENARIOS[@]} - 1))-more"
# another kernel's run of the same list keeps its own log (they may run at once)
[ "$KVER" = "$(default_kver 2>/dev/null)" ] || name="$KVER-$name"
LOG=$LOGDIR/$name.log
cmdline="console=ttyS0 quiet panic=-1 oops=panic tsc=reliable${PANIC_ON_WARN:+ panic_on_warn=1}"
cmdline="$cmdline nsk.scenarios=$list nsk.scenario_timeout=$STIMEOUT$APPEND"
# TCG threading is chosen here, per VM: single-threaded unless every scenario
# of the VM says "# nsk-vm: tcg-thread=multi" on its second line (none does
# now).  Every scenario attaches and detaches probes while packets flow: at
# least the netlink messages of the tool and the harness, which all pass the
# consume_skb tracepoint whose jump label START/STOP patch (CI of fb8a566 and
# of 8c0fcb3: both vCPUs stuck at consume_skb+0x1e, netlink_sendmsg on the
# stack, in 21 and in 30, scenarios that had been fine for weeks).  QEMU 7.2's
# multi-threaded TCG does not make kernel text patching (ftrace/kprobe/jump
# label arm and disarm) coherent for a vCPU that is executing the patched
# function: measured on Debian 6.1 with 2 vCPUs, arming kprobes under traffic
# makes the guest call address 0 ("BUG: kernel NULL pointer dereference ...
# RIP: 0010:0x0" from udp_recvmsg, ip_finish_output2, __sys_sendto), with the
# kernel's own tracefs kprobe events and no module loaded.  Single-threaded
# TCG with the same 2 vCPUs (interleaved on one host thread) arms and disarms
# cleanly, at about half the speed of one VM; two VMs at once (make test) on
# two host cores lose little.  NSK_TCG_THREAD= forces one mode for every VM
# (to reproduce the emulator fault: NSK_TCG_THREAD=multi).
TCG_THREAD=multi
for s in "${SCENARIOS[@]}"; do
	grep -q '^# nsk-vm: tcg-thread=multi' "$SCEN_DIR/$s.sh" 2>/dev/null || TCG_THREAD=single
done
TCG_THREAD=${NSK_TCG_THREAD:-$TCG_THREAD}
# --ftrace-probed switches the function tracer on and off (text patching)
# while the scenario's traffic runs: single-threaded TCG, as above.
[ -z "$FTRACE_PROBED" ] || TCG_THREAD=${NSK_TCG_THREAD:-single}
# --icount: guest time counts instructions (1 ns each), runs repeat exactly;
# only with one vCPU and single-threaded TCG (2 vCPUs hang at SMP bring-up).
icount=()
if [ -n "$ICOUNT" ]; then
	TCG_THREAD=single SMP=1
	icount=(-icount shift=0,sleep=off)
fi
qemu=(qemu-system-x86_64 -accel "tcg,thread=$TCG_THREAD" ${icount[@]+"${icount[@]}"} -cpu max
	-smp "$SMP" -m "$MEM" -nographic -no-reboot "${nics[@]}" -kernel "$boot_kernel"
	-initrd "$st/initrd" -append "$cmdline" ${QEMU_EXTRA[@]+"${QEMU_EXTRA[@]}"} ${NSK_QEMU_EXTRA:-})

# At most NSK_VM_SLOTS (default 2) VMs at once on this host, whatever ctest -j
# says and whichever build tree they come from.
slots=${NSK_VM_SLOTS:-2}
slotdir=${NSK_VM_SLOT_DIR:-/tmp/netstack-kmon-vm-slots}
mkdir -p "$slotdir" && chmod 1777 "$slotdir" 2>/dev/null || true
while :; do
	for ((i = 0; i < slots; i++)); do
		(umask 0; : >>"$slotdir/slot.$i.lock") 2>/dev/null
		exec 7>>"$slotdir/slot.$i.lock"
		flock -n 7 && break 2
		exec 7>&-
	done
	sleep 1
done

[ -n "$SHOW" ] || echo "==== vm: $KVER ($boot_kind), ${SMP} vCPU${ICOUNT:+ (icount)}, TCG thread=$TCG_THREAD, ${MEM} MiB,${FTRACE_PROBED:+ function tracer on the probed functions,}$([ "$NICS" = 0 ] || echo " $NICS NICs,") scenarios: ${SCENARIOS[*]}; log: $LOG"

# boot_and_watch: run QEMU once with the console in $LOG and watch it.
#  - Boot watchdog: /init prints @@NSK-BOOTED@@ within a few seconds of the
#    firmware (3-5 s here, about a minute for the KASAN bzImage).  A boot that
#    has not reached it after BOOT_TIMEOUT s is a stalled emulator (seen: SeaBIOS
#    printed "Booting from ROM.." and the guest never ran): killed, OUTCOME=stall.
#  - Kernel errors: the first console line with a kernel timestamp that reports
#    an oops, BUG, WARN, lockup, RCU stall, hung task, KASAN/UBSAN splat or panic
#    ends the run KERR_GRACE s later (time for the rest of the splat to print),
#    OUTCOME=kerr, KERR_LINE = its line number.  oops=panic/panic_on_warn=1 end
#    most of these in the guest already; stalls and hung tasks do not panic.
#  - Otherwise OUTCOME=exit (QEMU ended by itself or by the whole-VM timeout).
# Sets QRC (QEMU's exit status, or 124 when killed here).
# (the KASAN bzImage boots in ~1 min, the icount mode is slower than MTTCG)
[ -n "$BOOT_TIMEOUT" ] || BOOT_TIMEOUT=$([ -n "$BZIMAGE$ICOUNT" ] && echo 300 || echo 60)
KERR_GRACE=${NSK_KERR_GRACE:-5}
KERR_RE='^\[ *[0-9]+\.[0-9]+\] .*(BUG:|kernel BUG at|Oops|WARNING:|general protection fault|soft lockup|hard LOCKUP|rcu_.* detected stall|blocked for more than|Kernel panic|KASAN|UBSAN)'
boot_and_watch() {
	local t_start now booted= kerr_at= tpid=
	OUTCOME=exit KERR_LINE=
	: >"$LOG"
	t_start=$(date +%s)
	timeout -k 10 "$TIMEOUT" "${qemu[@]}" ${STALL_FIRST:+-S} </dev/null >"$LOG" 2>&1 &
	qpid=$!
	STALL_FIRST=
	if [ -n "$LIVE" ]; then
		tail -n +1 -f --pid="$qpid" "$LOG" &
		tpid=$!
	fi
	while kill -0 "$qpid" 2>/dev/null; do
		sleep 0.5
		now=$(date +%s)
		if [ -z "$booted" ]; then
			if grep -q '@@NSK-BOOTED' "$LOG"; then
				booted=1
			elif [ $((now - t_start)) -ge "$BOOT_TIMEOUT" ]; then
				OUTCOME=stall
				kill -TERM "$qpid" 2>/dev/null
				break
			fi
		fi
		if [ -z "$kerr_at" ]; then
			KERR_LINE=$(grep -anE -m1 -- "$KERR_RE" "$LOG" | cut -d: -f1) || true
			[ -z "$KERR_LINE" ] || kerr_at=$now
		elif [ $((now - kerr_at)) -ge "$KERR_GRACE" ]; then
			kill -TERM "$qpid" 2>/dev/null
			break
		fi
	done
	set +e
	wait "$qpid"
	QRC=$?
	[ -z "$tpid" ] || wait "$tpid"
	set -e
	qpid=
	# a splat that ended the guest by itself (panic) is a kernel error too
	if [ "$OUTCOME" = exit ] && [ -z "$KERR_LINE" ]; then
		KERR_LINE=$(tr -d '\r' <"$LOG" | grep -anE -m1 -- "$KERR_RE" | cut -d: -f1) || true
	fi
	[ -z "$KERR_LINE" ] || [ "$OUTCOME" = stall ] || OUTCOME=kerr
}

t0=$(date +%s.%N)
boot_and_watch
if [ "$OUTCOME" = stall ]; then
	# Loud: a stall is the emulator's, but it must never pass unnoticed.
	mv "$LOG" "$LOG.stalled"
	last=$(tr -d '\r' <"$LOG.stalled" | { grep -Ev '^$|^qemu-system' || true; } | tail -n1 | cut -c1-100)
	msg="BOOT STALL: the guest did not reach /init within ${BOOT_TIMEOUT} s (last console line: ${last:-none}); killed it, retrying once (first console kept in $LOG.stalled)"
	echo "==== vm: $msg"
	[ -z "$SHOW" ] || echo "==== vm: $msg" >&2
	boot_and_watch
	if [ "$OUTCOME" = stall ]; then
		mv "$LOG" "$LOG.stalled2"
		echo "==== vm: BOOT STALL again after ${BOOT_TIMEOUT} s: giving up (consoles: $LOG.stalled, $LOG.stalled2)"
		: >"$LOG"
		tr -d '\r' <"$LOG.stalled2" >"$LOG"
	fi
fi
qrc=$QRC
t1=$(date +%s.%N)
exec 7>&-
wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
tr -d '\r' <"$LOG" >"$LOG.tmp" && mv "$LOG.tmp" "$LOG"

# Report.
kline='^\[ *[0-9]+\.[0-9]+\] '
failed=0 passed=0 open_ended=
# the scenario that was running when the kernel reported an error, and the
# error's first line
kerr_scen= kerr_text=
if [ "$OUTCOME" = kerr ]; then
	kerr_text=$(sed -n "${KERR_LINE}p" "$LOG" | sed -E "s/$kline//")
	kerr_scen=$(head -n "$KERR_LINE" "$LOG" | sed -n 's/.*@@NSK-BEGIN \(.*\)@@.*/\1/p' | tail -n1)
fi
for s in "${SCENARIOS[@]}"; do
	out=$(awk -v b="@@NSK-BEGIN $s@@" -v e="@@NSK-END $s rc=" '
		index($0, b) { on = 1; next } on && index($0, e) { exit } on && !/@@NSK-INFO/' "$LOG")
	end=$(grep -o "@@NSK-END $s rc=[0-9]*@@" "$LOG" | tail -n1 || true)
	took=$(sed -n "s/.*@@NSK-INFO $s took \(.*\) s@@.*/\1/p" "$LOG" | tail -n1)
	rc=${end#*rc=}; rc=${rc%@@}
	if [ -n "$SHOW" ]; then
		if [ "$rc" = 0 ]; then
			grep -Ev "$kline" <<<"$out" || true
		else
			printf '%s\n' "$out"
		fi
	elif [ -z "$LIVE" ]; then   # (--live already showed it)
		echo "---- $s ----"
		[ -z "$out" ] || printf '%s\n' "$out"
	fi
	if [ -z "$end" ]; then
		[ -z "$out" ] || open_ended=1   # its output already runs to the end of the log
		if [ -n "$kerr_scen" ] && [ "$s" = "$kerr_scen" ]; then
			echo "---- FAIL $s: guest kernel error: $kerr_text"
		elif [ "$OUTCOME" = stall ]; then
			echo "---- FAIL $s: not run (the VM stalled at boot twice)"
		else
			echo "---- FAIL $s: no result (the VM crashed, hung or timed out before it finished)"
		fi
		failed=$((failed + 1))
	elif [ "$rc" != 0 ]; then
		why=
		case $rc in 100) why=" (kernel log shows errors)" ;; 101) why=" (kernel tainted)" ;;
		102) why=" (--ftrace-probed: the function tracer check failed)" ;;
		137) why=" (killed: scenario timeout)" ;; 127) why=" (not found)" ;; esac
		echo "---- FAIL $s: rc=$rc$why${took:+, $took s}"
		failed=$((failed + 1))
	else
		[ -n "$SHOW" ] || echo "---- PASS $s${took:+ ($took s)}"
		passed=$((passed + 1))
	fi
done

problem=
if [ "$OUTCOME" = stall ]; then
	problem="the guest did not reach /init within ${BOOT_TIMEOUT} s, twice"
elif [ "$OUTCOME" = kerr ]; then
	problem="guest kernel error${kerr_scen:+ during $kerr_scen}: $kerr_text"
elif [ $qrc = 124 ] || [ $qrc = 137 ]; then
	problem="VM timed out after ${TIMEOUT}s"
elif grep -q 'Kernel panic' "$LOG"; then
	problem="kernel panic: $(grep -m1 -o 'Kernel panic.*' "$LOG")"
elif ! grep -q '@@NSK-DONE@@' "$LOG"; then
	problem="VM stopped before the scenarios finished (qemu exit $qrc)"
elif [ $qrc != 0 ]; then
	problem="qemu exited with $qrc"
fi
if [ -n "$problem" ]; then
	if [ "$OUTCOME" = kerr ] && [ -n "$open_ended" ]; then
		echo "==== vm: $problem (the kernel's report is in the scenario's output above)"
	elif [ "$OUTCOME" = kerr ]; then
		# the splat itself, whatever else the console held
		echo "==== vm: $problem; the kernel's report:"
		tail -n "+$KERR_LINE" "$LOG" | grep -E "$kline" | head -n 80 | sed 's/^/oops: /'
	elif [ -n "$open_ended" ]; then
		echo "==== vm: $problem"
	else
		echo "==== vm: $problem; last console lines:"
		tail -n 60 "$LOG" | sed 's/^/console: /'
	fi
	[ $failed -gt 0 ] || failed=1
fi
booted=$(sed -n 's/.*@@NSK-BOOTED uptime=\([0-9.]*\)@@.*/\1/p' "$LOG" | head -n1)
grep -h '@@NSK-INFO' "$LOG" | grep -v ' took ' | sed 's/@@NSK-INFO \(.*\)@@/==== vm: note: \1/' >&2 || true
summary="==== vm: $passed passed, $failed failed; guest boot ${booted:-?} s, VM wall time ${wall} s; log: $LOG"
if [ -n "$SHOW" ]; then
	[ $failed = 0 ] || echo "$summary" >&2
else
	echo "$summary"
fi
[ $failed = 0 ]
