/* SPDX-License-Identifier: GPL-2.0 */
/*
 * netstack_kmon compat layer.  Force-included into every file (-include).
 * It is the only place that knows that kernels differ; the NSK_HAS_* macros
 * come from the feature probes in compat/probes/ (see compat/Kbuild.include).
 * The core calls the nsk_* names below and reads as if written for one
 * kernel.
 *
 * API history, newest first:
 *  - skb:kfree_skb tracepoint: (skb, location) before 5.17; (skb, location,
 *    reason) from 5.17; (skb, location, reason, rx_sk) from 6.11.
 *  - skb:consume_skb tracepoint: (skb) before 6.3; (skb, location) from 6.3.
 *  - udp:udp_fail_queue_rcv_skb: (rc, sk) before 6.10; (rc, sk, skb) after.
 *  - drop reason names: drop_reasons[] (5.18..6.3), then
 *    drop_reasons_by_subsys[] (6.4+, RCU-protected); none before 5.17.
 *  - genl multicast group capability flags: GENL_MCAST_CAP_* in 6.8
 *    (backported to 6.1.y); before, stable kernels checked
 *    GENL_UNS_ADMIN_PERM in the group flags (Dec 2023 backports), older
 *    ones nothing.
 *  - genl_family.resv_start_op: 6.1.
 *  - genl_family.policy (and strict validation): 5.2; the policy was each
 *    op's before.  NLA_POLICY_MAX/NLA_POLICY_NESTED: 4.20 (one-argument
 *    NLA_POLICY_NESTED: 5.2).
 *  - struct genl_small_ops, genl_family.small_ops/n_small_ops: 5.10;
 *    before, only struct genl_ops in .ops/.n_ops.
 *  - in_hardirq(): 5.11 (in_irq() before).
 *  - __uninitialized (compiler_attributes.h): 6.2, some stable trees.
 *  - regs_get_kernel_argument(): 5.1 on x86.
 *  - sk->sk_protocol: its own u16 from 5.6; an 8-bit bit-field before.
 *  - cpuhp_setup_state_nocalls_cpuslocked(): 4.13 (the rings' hotplug
 *    callback, nsk_ring.c): no older kernel is supported.
 */
#ifndef NSK_COMPAT_H
#define NSK_COMPAT_H

/* every message of the module starts with its name */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/version.h>
#include <linux/preempt.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>

#ifndef NSK_HAS_IN_HARDIRQ
#define in_hardirq() in_irq()
#endif

/*
 * A local that CONFIG_INIT_STACK_ALL_ZERO must not zero at every entry: only
 * for scratch that never leaves the module and whose every field is written
 * before it is read (nsk_emit.c's view of a hit).
 */
#ifndef __uninitialized
#if __has_attribute(__uninitialized__)
#define __uninitialized __attribute__((__uninitialized__))
#else
#define __uninitialized
#endif
#endif

/*
 * One read of sk->sk_protocol.  Before 5.6 it is a bit-field (READ_ONCE
 * cannot take its address); the handlers read it without the socket lock
 * either way, and a plain read of a byte-sized bit-field is one load.
 */
#ifdef NSK_HAS_SK_PROTOCOL_FIELD
#define nsk_sk_protocol_once(sk) READ_ONCE((sk)->sk_protocol)
#else
#define nsk_sk_protocol_once(sk) ((sk)->sk_protocol)
#endif

/*
 * The nth integer argument of the probed function at its entry (kprobe or
 * ftrace regs).  Before 5.1 the kernel had no helper: on x86-64 the first
 * six are in rdi, rsi, rdx, rcx, r8, r9 (the module reads at most three).
 */
#ifndef NSK_HAS_REGS_GET_KERNEL_ARGUMENT
#include <asm/ptrace.h>
#ifndef CONFIG_X86_64
#error "netstack_kmon: regs_get_kernel_argument() is back-filled for x86-64 only"
#endif
static inline unsigned long regs_get_kernel_argument(struct pt_regs *regs,
						     unsigned int n)
{
	switch (n) {
	case 0: return regs->di;
	case 1: return regs->si;
	case 2: return regs->dx;
	case 3: return regs->cx;
	case 4: return regs->r8;
	case 5: return regs->r9;
	default: return 0;
	}
}
#endif

#ifdef NSK_HAS_MONO_FAST_NS
static inline u64 nsk_clock_ns(void) { return ktime_get_mono_fast_ns(); }
#define NSK_CLOCK_NAME "CLOCK_MONOTONIC (ktime_get_mono_fast_ns)"
#else
static inline u64 nsk_clock_ns(void) { return ktime_get_ns(); }
#define NSK_CLOCK_NAME "CLOCK_MONOTONIC (ktime_get_ns)"
#endif

/*
 * Tracepoint probe prototypes.  NSK_TP_* expand to the argument list the
 * running kernel's tracepoint passes; NSK_TP_ARG_* name the ones the core
 * uses.  A wrong prototype fails the build (the probe files type-check
 * against the kernel's own trace/events headers).
 */
#if defined(NSK_HAS_KFREE_SKB_RX_SK)
#define NSK_TP_KFREE_SKB_ARGS void *__data, struct sk_buff *skb, void *location, \
	enum skb_drop_reason reason, struct sock *rx_sk
#define NSK_KFREE_REASON(r) ((u32)(r))
#define NSK_HAS_DROP_REASON 1
#elif defined(NSK_HAS_KFREE_SKB_REASON)
#define NSK_TP_KFREE_SKB_ARGS void *__data, struct sk_buff *skb, void *location, \
	enum skb_drop_reason reason
#define NSK_KFREE_REASON(r) ((u32)(r))
#define NSK_HAS_DROP_REASON 1
#else
#define NSK_TP_KFREE_SKB_ARGS void *__data, struct sk_buff *skb, void *location
#define NSK_KFREE_REASON(r) 0U
#define NSK_HAS_DROP_REASON 0
#endif

#ifdef NSK_HAS_CONSUME_SKB_LOCATION
#define NSK_TP_CONSUME_SKB_ARGS void *__data, struct sk_buff *skb, void *location
#else
#define NSK_TP_CONSUME_SKB_ARGS void *__data, struct sk_buff *skb
#endif

/*
 * Function-entry probes through the module's ftrace callback (nsk_fentry.c).
 * 5.11+: the callback gets struct ftrace_regs and tests recursion itself
 * (ftrace_test_recursion_trylock: a refused hit is counted as missed).
 * Before: it gets struct pt_regs, and ftrace calls it through its assist
 * function, which refuses re-entry in the same context (task, softirq,
 * hardirq, NMI) and lets other contexts nest - the same guard, but a refused
 * hit is not seen by the module (our handlers never re-enter a probed
 * function, so there are none to count).
 */
#if defined(NSK_HAS_FTRACE_REGS)
#include <linux/trace_recursion.h>
#define NSK_HAS_FENTRY 1
#define NSK_FENTRY_CB_ARGS(regs_name) \
	unsigned long ip, unsigned long parent_ip, struct ftrace_ops *op, \
	struct ftrace_regs *regs_name
/*
 * The argument registers without a full register save: ftrace's lighter
 * trampoline (no FTRACE_OPS_FL_SAVE_REGS) fills the argument registers of the
 * pt_regs in ftrace_regs and leaves the rest (cs = 0: ftrace_get_regs() says
 * NULL).  The handlers read only arguments (regs_get_kernel_argument).
 * ftrace_regs: opaque from 6.13 (arch_ftrace_regs()), a pt_regs wrapper
 * before.
 */
#if defined(NSK_HAS_FTRACE_ARGS_ARCH_REGS)
#define NSK_FENTRY_OPS_FLAGS 0
#define NSK_FENTRY_PT_REGS(regs_name) (&arch_ftrace_regs(regs_name)->regs)
#elif defined(NSK_HAS_FTRACE_ARGS_REGS)
#define NSK_FENTRY_OPS_FLAGS 0
#define NSK_FENTRY_PT_REGS(regs_name) (&(regs_name)->regs)
#else
#define NSK_FENTRY_OPS_FLAGS FTRACE_OPS_FL_SAVE_REGS
#define NSK_FENTRY_PT_REGS(regs_name) ftrace_get_regs(regs_name)
#endif
#define nsk_fentry_recursion_trylock(ip, pip) ftrace_test_recursion_trylock(ip, pip)
#define nsk_fentry_recursion_unlock(bit) ftrace_test_recursion_unlock(bit)
#elif defined(NSK_HAS_FTRACE_PT_REGS)
#define NSK_HAS_FENTRY 1
#define NSK_FENTRY_CB_ARGS(regs_name) \
	unsigned long ip, unsigned long parent_ip, struct ftrace_ops *op, \
	struct pt_regs *regs_name
#define NSK_FENTRY_OPS_FLAGS FTRACE_OPS_FL_SAVE_REGS
#define NSK_FENTRY_PT_REGS(regs_name) (regs_name)
#define nsk_fentry_recursion_trylock(ip, pip) ((void)(ip), (void)(pip), 0)
#define nsk_fentry_recursion_unlock(bit) ((void)(bit))
#endif

/*
 * napi_gro_receive_exit (5.0+) tells whether GRO merged the skb it got at
 * napi_gro_receive_entry: without it the entry is not a stage (a merged skb's
 * journey would end untraced), so the entry probe needs it (nsk_probes.c).
 */
#ifdef NSK_HAS_NAPI_GRO_RECEIVE_EXIT
#define NSK_TYPECHECK_GRO_EXIT(h) \
	BUILD_BUG_ON(sizeof(register_trace_napi_gro_receive_exit(h, NULL)) == 0)
#else
#define NSK_TYPECHECK_GRO_EXIT(h) do { (void)(h); } while (0)
#endif

#ifdef NSK_HAS_UDP_FAIL_QUEUE_SKB
#define NSK_TP_UDP_FAIL_QUEUE_ARGS void *__data, int rc, struct sock *sk, struct sk_buff *skb
#define NSK_UDP_FAIL_QUEUE_SKB(s) (s)
#else
#define NSK_TP_UDP_FAIL_QUEUE_ARGS void *__data, int rc, struct sock *sk
#define NSK_UDP_FAIL_QUEUE_SKB(s) NULL
#endif

/*
 * Copy the name of a drop reason into buf (size len); false, with buf empty,
 * when this kernel has no name for it.  6.4+: the high 16 bits select a
 * subsystem whose name table is registered at run time
 * (drop_reasons_by_subsys[], RCU: a subsystem's module unloading frees its
 * table, so the name is copied before rcu_read_unlock()); 5.18..6.3: one
 * static array drop_reasons[] (in <net/dropreason.h> from 6.0); before: no
 * names.
 */
#include <linux/string.h>
#if defined(NSK_HAS_DROP_REASONS_SUBSYS)
#include <linux/rcupdate.h>
#include <net/dropreason.h>
static inline bool nsk_drop_reason_copy(u32 reason, char *buf, size_t len)
{
	u32 subsys = reason >> SKB_DROP_REASON_SUBSYS_SHIFT;
	u32 code = reason & ~SKB_DROP_REASON_SUBSYS_MASK;
	const struct drop_reason_list *l;
	bool found = false;

	buf[0] = 0;
	if (subsys >= SKB_DROP_REASON_SUBSYS_NUM)
		return false;
	rcu_read_lock();
	l = rcu_dereference(drop_reasons_by_subsys[subsys]);
	if (l && code < l->n_reasons && l->reasons[code]) {
		strscpy(buf, l->reasons[code], len);
		found = true;
	}
	rcu_read_unlock();
	return found;
}
#elif defined(NSK_HAS_DROP_REASONS_ARRAY)
#include <net/dropreason.h>
static inline bool nsk_drop_reason_copy(u32 reason, char *buf, size_t len)
{
	buf[0] = 0;
	if (reason >= SKB_DROP_REASON_MAX || !drop_reasons[reason])
		return false;
	strscpy(buf, drop_reasons[reason], len);
	return true;
}
#else
static inline bool nsk_drop_reason_copy(u32 reason, char *buf, size_t len)
{
	buf[0] = 0;
	return false;
}
#endif

/*
 * Joining the events group needs CAP_NET_ADMIN: GENL_MCAST_CAP_NET_ADMIN
 * (6.8, backported to 6.1.y); the stable series before it checked
 * GENL_UNS_ADMIN_PERM in the group's flags (5.4.y and 5.10.y have it).
 * Older kernels cannot restrict a group join at all (4.19.222: struct
 * genl_multicast_group is only a name and generic netlink has no bind
 * callback): the module refuses to collect there (Kbuild says so when
 * building for one), since any local user could read the events.
 * NSK_MCGRP_PERM is the group initializer's permission part.
 */
#if defined(NSK_HAS_GENL_MCAST_CAP)
#define NSK_MCGRP_PERM .flags = GENL_MCAST_CAP_NET_ADMIN,
#define NSK_MCGRP_RESTRICTED true
#elif defined(NSK_HAS_GENL_MCAST_PERM_LEGACY)
#define NSK_MCGRP_PERM .flags = GENL_UNS_ADMIN_PERM,
#define NSK_MCGRP_RESTRICTED true
#else
/* nothing restricts the join: nsk_start() refuses to collect */
#define NSK_MCGRP_PERM
#define NSK_MCGRP_RESTRICTED false
#endif

/*
 * Where the attribute policy goes.  5.2 made it the family's (and strict);
 * before, every op carries its own, validation is liberal, and the family's
 * pre_doit validates strictly instead (compat/genetlink.h, where
 * NSK_GENL_STRICT_PRE_DOIT(policy) defines it).
 */
#ifdef NSK_HAS_GENL_FAMILY_POLICY
#define NSK_GENL_FAMILY_POLICY(p) .policy = (p),
#define NSK_GENL_OP_POLICY(p)
#else
#define NSK_GENL_FAMILY_POLICY(p) .pre_doit = nsk_genl_strict_pre_doit,
#define NSK_GENL_OP_POLICY(p) .policy = (p),
#endif

/*
 * Policy ranges and nested policies (NLA_POLICY_MAX, NLA_POLICY_NESTED):
 * 4.20, and NLA_POLICY_NESTED took (maxattr, policy) until 5.2.  Without
 * them a policy entry is a type only; the handlers check every range
 * themselves anyway and parse nests with nla_parse_nested() and the nested
 * policy, so nothing goes unchecked, only the extack message differs.
 */
#ifndef NSK_HAS_NLA_POLICY_VALIDATION
#include <net/netlink.h>
#undef NLA_POLICY_NESTED
#define NLA_POLICY_NESTED(policy) { .type = NLA_NESTED }
#ifndef NLA_POLICY_MAX
#define NLA_POLICY_MAX(tp, max) { .type = (tp) }
#endif
#endif

/*
 * The command table.  5.10 added struct genl_small_ops (the ops without a
 * per-op policy, in .small_ops); before it, struct genl_ops in .ops has the
 * same .cmd/.doit/.flags and nothing else the module sets, so the older
 * kernels get the table under the old names.
 */
#ifndef NSK_HAS_GENL_SMALL_OPS
#define genl_small_ops genl_ops
#define small_ops ops
#define n_small_ops n_ops
#endif

#ifdef NSK_HAS_GENL_RESV_START_OP
#define NSK_GENL_STRICT_FROM(op) .resv_start_op = (op),
#else
#define NSK_GENL_STRICT_FROM(op)
#endif

#endif /* NSK_COMPAT_H */
