#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Symbolise the insn-profile plugin's windows (scripts/profile-bench.sh).

Reads DIR/prof.out.M (blocks "vaddr n_insns execs" run between marker M-1
and M) and DIR/console.log (@@PROF-MARK M end cfg=X@@, @@PROF-KSYM M ...@@,
@@PROF-MAPS M ...@@ from tests/bench/bench.sh, @@BENCH ...@@ for N).  A
block's n_insns*execs goes to the function its start address falls in:
  kernel  System.map (the guest boots with nokaslr)
  module  the guest's /proc/kallsyms lines for module text (same window, or
          the nearest window that printed them)
  user    the reader's/tool's /proc/PID/maps (same window) and `nm` of the
          host's copy of the file (--host-file GUEST=HOST for files that are
          not at the same path on the host); other processes (sender,
          receiver, shell) are one bucket, "[user: other processes]"
Prints per configuration the window total by group, and for the pairs
k-a c-a d-a k-d c-k the functions whose instructions changed most, per record
(16 records per datagram).  The groups are a name-based classification (the
GROUPS list below), a reading aid, not a measurement.
"""
import argparse, bisect, collections, os, re, subprocess, sys

ap = argparse.ArgumentParser()
ap.add_argument('--dir', required=True)
ap.add_argument('--sysmap', help='System.map, if the log has no kallsyms dump')
ap.add_argument('--host-file', action='append', default=[])
ap.add_argument('--top', type=int, default=30)
ap.add_argument('--records-per-datagram', type=int, default=16)
args = ap.parse_args()
hostmap = dict(h.split('=', 1) for h in args.host_file)

log = open(os.path.join(args.dir, 'console.log'), errors='replace').read()
win_cfg = {int(m): c for m, c in re.findall(r'@@PROF-MARK (\d+) end cfg=(\w+)@@', log)}
ksym = collections.defaultdict(list)
for m, a, t, name in re.findall(r'@@PROF-KSYM (\d+) ([0-9a-f]+) (\w) (\S+)\s+\[\S+\]@@', log):
    ksym[int(m)].append((int(a, 16), name + ' [mod]'))
maps = collections.defaultdict(list)
for m, lo, hi, off, path in re.findall(
        r'@@PROF-MAPS (\d+) ([0-9a-f]+)-([0-9a-f]+) r-xp ([0-9a-f]+) \S+ \d+\s+(\S+)@@', log):
    maps[int(m)].append((int(lo, 16), int(hi, 16), int(off, 16), path))
n_dgram = {c: int(n) for c, n in re.findall(r'@@BENCH cfg=(\w+) n=(\d+)', log)}

# kernel symbols (text only), sorted: the guest's /proc/kallsyms (printed
# gzip'd and base64'd at the end of the log), else --sysmap
kaddr, kname = [], []
blob = re.search(r'@@PROF-KALLSYMS-BEGIN@@\n(.*?)@@PROF-KALLSYMS-END@@', log, re.S)
if blob:
    import base64, gzip
    lines = gzip.decompress(base64.b64decode(re.sub(r'[^A-Za-z0-9+/=]', '', blob.group(1)))).decode().splitlines()
else:
    lines = open(args.sysmap).read().splitlines() if args.sysmap else []
for line in lines:
    f = line.split()
    if len(f) >= 3 and f[1] in 'tTwW':
        kaddr.append(int(f[0], 16)); kname.append(f[2])
if len(kaddr) < 1000:
    sys.exit('prof-report: no kernel symbols (no @@PROF-KALLSYMS@@ block in the log, no usable --sysmap)')
# one address, several names: a section marker (__foo_start, __bar_end) only
# when nothing else names it (retpoline thunks share theirs)
marker = re.compile(r'^_(s|e)[a-z]*text$|^__\w+_(start|end)$')
order = sorted(range(len(kaddr)), key=lambda i: (kaddr[i], bool(marker.match(kname[i])), -i))
order = [i for j, i in enumerate(order) if j == 0 or kaddr[order[j - 1]] != kaddr[i]]
kaddr = [kaddr[i] for i in order]; kname = [kname[i] for i in order]
# the kernel image's text ends before the module area
etext = max(a for a in kaddr if a < 0xffffffffc0000000)

def nearest(addrs, names, a):
    i = bisect.bisect_right(addrs, a) - 1
    return names[i] if i >= 0 else None

_elf = {}
def elf_syms(path):
    """(LOAD segments [(offset, vaddr, filesz)], sorted [(start, end, name)])"""
    if path in _elf:
        return _elf[path]
    host = hostmap.get(path, path)
    segs, syms = [], []
    try:
        for l in subprocess.run(['readelf', '-lW', host], capture_output=True, text=True).stdout.splitlines():
            f = l.split()
            if f and f[0] == 'LOAD':
                segs.append((int(f[1], 16), int(f[2], 16), int(f[4], 16)))
        for dyn in ([], ['-D']):
            out = subprocess.run(['nm', '-S', '-C', '--defined-only'] + dyn + [host],
                                 capture_output=True, text=True).stdout
            for l in out.splitlines():
                m = re.match(r'([0-9a-f]+) ([0-9a-f]+) ([tTwWiI]) (.*)', l)
                if m:
                    s = int(m.group(1), 16)
                    syms.append((s, s + int(m.group(2), 16), m.group(4)))
            if syms:
                break
    except OSError:
        pass
    syms.sort()
    _elf[path] = (segs, syms, [s[0] for s in syms])
    return _elf[path]

def short(path):
    return os.path.basename(path)

def user_sym(mp, a):
    for lo, hi, off, path in mp:
        if lo <= a < hi:
            segs, syms, starts = elf_syms(path)
            fo = a - lo + off
            va = next((fo - o + v for o, v, sz in segs if o <= fo < o + sz), fo)
            i = bisect.bisect_right(starts, va) - 1
            if i >= 0 and va < syms[i][1]:
                name = syms[i][2]
                name = name if len(name) <= 70 else name[:67] + '...'
                return short(path) + ': ' + name
            return short(path) + ': [no symbol]'
    return '[user: other processes]'

def module_syms(m):
    """the module symbols printed for window m, or the nearest window's"""
    if not ksym:
        return [], []
    best = min(ksym, key=lambda k: abs(k - m))
    s = sorted(ksym[m] if m in ksym else ksym[best])
    return [a for a, n in s], [n for a, n in s]

def profile(m):
    prof = collections.Counter()
    maddr, mname = module_syms(m)
    mlo = maddr[0] if maddr else None
    mp = maps.get(m, [])
    for line in open(os.path.join(args.dir, 'prof.out.%d' % m)):
        v, n, e = line.split()
        a, cnt = int(v, 16), int(n) * int(e)
        if a >> 47:
            if a <= etext:
                name = nearest(kaddr, kname, a) or '[kernel: ?]'
            elif m in ksym and mlo is not None and a >= mlo:
                name = nearest(maddr, mname, a)
            elif a >= 0xffffffffc0000000:
                name = '[kernel: module area, no symbol]'
            else:
                name = '[kernel: outside text]'
        else:
            name = user_sym(mp, a)
        prof[name] += cnt
    return prof

# (group, regex on the label) first match wins
GROUPS = [
    ('tool user space', r'^netstack-kmon: '),
    ('reader user space', r'^nsk-genl-sub: '),
    ('user libraries (reader/tool)', r'^\S+\.so[.\d]*: '),
    ('other user space', r'^\[user'),
    ('module: probe entry/filter', r'^nsk_(kp_|tp_|fentry_cb|fe_run|filtered_out|sample|parse_|prefix_match|collecting|busy)|^ftrace_trampoline'),
    ('module: describe/emit', r'^nsk_(describe|desc_|emit|ptr_id|stage_from|ids_)'),
    ('module: ring', r'^nsk_(ring_|store)'),
    ('module: drain/governor', r'^nsk_(drain|cpu_drain|tick|gov)'),
    ('module: netlink batch', r'^nsk_genl'),
    ('module: other', r'\[mod\]$'),
    ('probe infrastructure (ftrace/kprobe/tracepoint)', r'ftrace|kprobe|^__traceiter|^trace_|^perf_|^rethook|^fprobe|^arch_rethook|^kretprobe|^get_kprobe|^opt_pre_handler|^optimized_callback'),
    ('page zeroing, page faults, heap growth', r'^clear_page|fault|^do_anonymous|^copy_page|^wp_page|^do_wp_page|^__handle_mm|^handle_mm|^lru_|^folio|^__folio|^__lru|^vma_|^find_vma|^exc_page|^asm_exc_page|^__anon|^page_add|^__mem_cgroup_charge|^mem_cgroup_charge|^do_brk|^__x64_sys_brk|^__do_sys_brk|^prep_new_page|^post_alloc_hook|^kernel_init_pages'),
    ('timestamps (ktime, tsc)', r'^ktime_get|^read_tsc|^native_sched_clock|^sched_clock'),
    ('retpoline/return thunks', r'^__x86_indirect_thunk|^__x86_return_thunk'),
    ('scheduler/wakeups/workqueue/timers', r'sched|^schedule|switch|wake|^try_to_wake|enqueue|dequeue|^update_|^pick_next|^set_next|^put_prev|^check_preempt|^ttwu|^resched|work|^queue_|timer|^hrtimer|^tick_|^irq_|^ktime|^clockevents|^lapic|^native_|^cpuidle|^default_idle|^do_idle|^finish_task|^idle|^rcu|^raise_softirq|^__do_softirq|softirq|^irqentry|^sysvec|^asm_sysvec|^account_|^cpuacct|^psi_|^select_task|^task_tick|^reweight|^avg_vruntime|^place_entity|^load_balance|^newidle|^nohz|^calc_global|^vtime'),
    ('netlink/genetlink', r'netlink|^genl|^genlmsg|^nla_|^nlmsg'),
    ('skb/slab alloc and free', r'skb|^kmalloc|^__kmalloc|^kmem_cache|^kfree|slab|^__slab|^___slab|^alloc_|^__alloc|^free_|^__free|^page_frag|^memcg|^obj_cgroup|^mod_objcg|^refill_obj|^get_page_from|^rmqueue|^__rmqueue|^__mod_|^mod_|^lruvec|^__count_memcg|^consume_|^sock_rfree|^sock_wfree|^__sk_mem|^sk_mem'),
    ('syscall entry/exit, copies, poll', r'^entry_SYSCALL|^do_syscall|^syscall_|^__x64_sys|^__sys_|^___sys_|^__do_sys|^exit_to_user|^copy_|^_copy|^__copy|^rep_movs|^memcpy|^memmove|^memset|^__memcpy|^__memset|^check_|^__check|^__fdget|^fput|^fdget|^sockfd|^import_|^iov_|^_copy_to_iter|^sock_|^__sock|^security_|^apparmor|^selinux|^poll|^do_poll|^ep_|^do_epoll|^__fget|^__fput|^__might|^recvmsg|^move_addr|^__audit|^audit|^fpregs|^switch_fpu|^restore_fpregs|^fpu_|^__x86_return|^__x86_indirect|^error_entry|^error_return|^__get_user|^__put_user|^strncpy_from_user|^ksys_|^vfs_|^__fsnotify|^fsnotify|^rw_verify|^pipe_|^tty|^n_tty|^uart|^serial'),
    ('UDP/IP path', r'^udp|^__udp|^ip_|^__ip|^inet|^dst_|^__dev|^dev_|^netif|^__netif|^net_rx|^process_backlog|^loopback|^napi|^__napi|^nf_|^fib|^raw_|^icmp|^eth_|^sk_filter|^__sk|^sk_|^rt_|^ipv4|^csum|^__skb_checksum|^lock_sock|^release_sock|^_raw_spin|^__local_bh|^local_bh|^__rcu|^mutex|^down_|^up_|^_raw'),
    ('other kernel', r''),
]
def group(name):
    for g, rx in GROUPS:
        if re.search(rx, name):
            return g

profs = {}
print('Windows (marker file, configuration, guest instructions); a configuration run twice shows the noise:')
for m, c in sorted(win_cfg.items()):
    if os.path.exists(os.path.join(args.dir, 'prof.out.%d' % m)):
        p = profile(m)
        print('  prof.out.%-3d cfg=%s %16s' % (m, c, '{:,}'.format(sum(p.values())).replace(',', ' ')))
        if c in profs and c != 'w':   # a repeated configuration: its noise
            d = collections.Counter(p); d.subtract(profs[c])
            print('      minus the first cfg=%s run, largest changes:' % c,
                  ', '.join('%s %+d' % (k, v) for k, v in sorted(d.items(), key=lambda kv: -abs(kv[1]))[:6]))
        profs.setdefault(c, p)   # the tables use the first run of each configuration
print()

def fmt(x):
    return '{:,}'.format(x).replace(',', ' ')

print('Guest instructions per counting window (sender start .. receiver end + 1 s), by group')
cfgs = [c for c in profs if c != 'w']
groups = [g for g, _ in GROUPS]
print('%-50s' % 'group' + ''.join('%16s' % ('cfg ' + c) for c in cfgs))
for g in groups:
    row = [sum(v for k, v in profs[c].items() if group(k) == g) for c in cfgs]
    if any(row):
        print('%-50s' % g + ''.join('%16s' % fmt(x) for x in row))
print('%-50s' % 'total' + ''.join('%16s' % fmt(sum(profs[c].values())) for c in cfgs))

def diff(x, y):
    if x not in profs or y not in profs:
        return
    recs = n_dgram.get(x, 0) * args.records_per_datagram
    d = collections.Counter(profs[x]); d.subtract(profs[y])
    tot = sum(d.values())
    print('\n=== %s - %s: %s instructions, %.1f per record (%d records)' % (x, y, fmt(tot), tot / recs, recs))
    gs = collections.Counter()
    for k, v in d.items():
        gs[group(k)] += v
    for g, v in sorted(gs.items(), key=lambda kv: -abs(kv[1])):
        if abs(v) >= recs / 10:
            print('  %-50s %8.1f /record' % (g, v / recs))
    print('  top functions (instructions per record; %s, %s: per-window totals):' % (x, y))
    for k, v in sorted(d.items(), key=lambda kv: -abs(kv[1]))[:args.top]:
        print('  %8.1f  %-72s %14s %14s  %s' % (v / recs, k[:72], fmt(profs[x][k]), fmt(profs[y][k]), group(k)))

for x, y in (('k', 'a'), ('c', 'a'), ('d', 'a'), ('k', 'd'), ('c', 'k')):
    diff(x, y)
