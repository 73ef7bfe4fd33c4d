#!/bin/sh
# The no-BPF kernel (scripts/build-kernel.sh nobpf): prove that this guest
# has no bpf() and that netstack-kmon traces packets anyway.
#   tests/vm/run-vm.sh --kernel <nobpf image> --scenario-dir tests/vm/nobpf \
#       --add <build>/nsk-bpf-check:/usr/bin/nsk-bpf-check 20_no_bpf
. /scenarios/lib.sh
N=${NSK_N:-2000}
PORT=9300

step "no bpf() in kernel $(uname -r)"
run nsk-bpf-check >/tmp/bpf.out
rc=$?
cat /tmp/bpf.out
assert_eq 0 "$rc" "nsk-bpf-check: bpf() is absent"
assert_match /tmp/bpf.out 'bpf=absent errno=ENOSYS' "bpf(BPF_MAP_CREATE) fails with ENOSYS"
# the syscall, the verifier, maps and the x86 JIT; __x64_sys_bpf stays as
# the weak ENOSYS stub (COND_SYSCALL), bpf_int_jit_compile as the weak
# no-JIT default of the classic socket filter interpreter
grep -E ' (bpf_prog_load|__sys_bpf|bpf_check|bpf_map_new_fd|do_jit)$' /proc/kallsyms >/tmp/bpfsyms
cat /tmp/bpfsyms
assert_eq 0 "$(wc -l </tmp/bpfsyms)" "no bpf_prog_load, __sys_bpf, bpf_check, bpf_map_new_fd or do_jit in /proc/kallsyms"
run grep -E ' (__x64_sys_bpf|bpf_int_jit_compile)$' /proc/kallsyms
assert_gt "$(grep -cE ' (__x64_sys_bpf|bpf_int_jit_compile)$' /proc/kallsyms)" 0 "kallsyms is readable (the stubs are listed)"
zcat /proc/config.gz >/tmp/config || fail "/proc/config.gz missing (CONFIG_IKCONFIG_PROC)"
run grep -E 'CONFIG_BPF|CONFIG_KPROBES=|CONFIG_MODULES=|CONFIG_TRACEPOINTS=' /tmp/config
assert_match /tmp/config '^# CONFIG_BPF_SYSCALL is not set$' "CONFIG_BPF_SYSCALL is not set"
assert_no_match /tmp/config '^CONFIG_BPF_JIT=y' "no BPF JIT"
assert_no_match /tmp/config '^CONFIG_BPF_EVENTS=y' "no BPF_EVENTS (BPF programs on kprobes/tracepoints)"
if mount -t bpf bpf /sys/fs/bpf 2>/dev/null; then fail "bpffs mounted"; fi
ok "no bpffs"

step "netstack-kmon works without BPF"
load_module
run nsk-udp-recv --bind 127.0.0.1 --port $PORT --expect "$N" --idle-ms 5000 \
	--ready-file /tmp/ready --out /tmp/recv.txt --comm rx-app &
RECV=$!
wait_file /tmp/ready 10
start_live --port $PORT
run netstack-kmon status --json >/tmp/s.json || fail "status --json exited $?"
cat /tmp/s.json
run nsk-udp-send --dst 127.0.0.1 --port $PORT --count "$N" --pps 2000
wait $RECV
stop_live
assert_eq "$N" "$(kv received /tmp/recv.txt)" "application received N"
assert_eq "$N" "$(jq_get ".sockets[local=127.0.0.1:$PORT].rx_packets")" "socket rx_packets == N"
assert_eq "$N" "$(jq_get .journeys.rx.complete)" "journeys.rx.complete == N"
for p in netif_receive_skb ip_rcv udp_rcv kfree_skb; do
	assert_eq true "$(jq_get ".probes[name=$p].attached" /tmp/s.json)" "$p attached"
done
unload_module
check_dmesg
