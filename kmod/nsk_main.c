// SPDX-License-Identifier: GPL-2.0
/*
 * netstack_kmon: where packets spend time and where they are dropped in the
 * Linux network stack, without BPF.
 *
 * Module parameters, the start/stop state machine, init and exit.
 *
 * States (enum nsk_state, UAPI): idle (no probe attached, no ring, no work:
 * zero cost), starting, running, stopping.  nsk_ctl_lock (a mutex, control
 * path only, never taken by a handler) serialises every transition and every
 * reader of the state, and is only ever held briefly: the START and STOP
 * commands check, record the transition and answer at once; the heavy part
 * (allocating up to 64 MiB per CPU of rings, attaching the probes, the RCU
 * waits of detaching, the final drain, freeing) runs in nsk_ctl_fn on the
 * module's own ordered control workqueue, without the lock.  While a
 * transition runs, STATUS answers at once with the state (and the probes'
 * table without their runtime fields, which the transition is changing).
 *
 *   idle --START--> starting --ok--> running --STOP--> stopping --> idle
 *                       |  \--failed: config restored, error kept--> idle
 *                       \--STOP (or orphan, or rmmod) while starting: kept
 *                          as nsk_stop_pending, done when the start is done
 *
 * A START that fails in the work restores the configuration it carried
 * (nsk_cfg_before) and leaves its error code and message for STATUS
 * (NSK_ATTR_START_ERROR/_MESSAGE), which the tool reports as it reported the
 * synchronous error before.
 *
 * Stop is ordered, and promises that no event message of a collection is
 * sent after the STOPPED message that ends it:
 *   1. detach every probe and wait until no handler runs (kprobe and
 *      tracepoint synchronisation);
 *   2. cancel the drain work, drain every record left, free the rings;
 *   3. send STOPPED with the final per-CPU counters, then become idle.
 * A collection also stops when the netlink socket that started it is
 * released (the collector died): nobody is left to read its events.
 */

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/notifier.h>
#include <linux/netlink.h>
#include <linux/workqueue.h>
#include <linux/timekeeping.h>
#include "nsk.h"

/* ---- parameters ------------------------------------------------------------ */

/*
 * Validated when they are parsed (insmod/modprobe, or the kernel command line
 * when built in): a value out of range fails the load with a message naming
 * the parameter and the allowed range.  Read-only afterwards (0444).
 */
#define NSK_RING_KB_MIN		16
#define NSK_RING_KB_MAX		65536	/* 64 MiB per CPU */
#define NSK_DRAIN_MS_MIN	1
#define NSK_DRAIN_MS_MAX	1000

static int nsk_param_set_range(const char *val, const struct kernel_param *kp,
			       unsigned int min, unsigned int max,
			       const char *unit)
{
	unsigned int v;

	if (kstrtouint(val, 0, &v) || v < min || v > max) {
		pr_err("%s=%s refused: allowed range %u..%u %s\n",
		       kp->name, val, min, max, unit);
		return -EINVAL;
	}
	*(unsigned int *)kp->arg = v;
	return 0;
}

static int nsk_param_set_ring_kb(const char *val, const struct kernel_param *kp)
{
	return nsk_param_set_range(val, kp, NSK_RING_KB_MIN, NSK_RING_KB_MAX, "KiB");
}

static int nsk_param_set_drain_ms(const char *val, const struct kernel_param *kp)
{
	return nsk_param_set_range(val, kp, NSK_DRAIN_MS_MIN, NSK_DRAIN_MS_MAX, "ms");
}

static const struct kernel_param_ops nsk_ring_kb_ops = {
	.set = nsk_param_set_ring_kb,
	.get = param_get_uint,
};

static const struct kernel_param_ops nsk_drain_ms_ops = {
	.set = nsk_param_set_drain_ms,
	.get = param_get_uint,
};

unsigned int nsk_ring_kb = NSK_RING_KB_DEFAULT;
module_param_cb(ring_kb, &nsk_ring_kb_ops, &nsk_ring_kb, 0444);
MODULE_PARM_DESC(ring_kb, "ring size per CPU in KiB (16..65536, default 2048)");

bool nsk_kprobes_only;
module_param_named(kprobes_only, nsk_kprobes_only, bool, 0444);
MODULE_PARM_DESC(kprobes_only,
		 "attach function-entry probes as kprobes, not through the module's ftrace callback (default 0)");

static int nsk_param_set_probes(const char *val, const struct kernel_param *kp)
{
	int n = nsk_probes_select(val);

	if (n < 0) {
		pr_err("probes=%s refused: a comma-separated list of probe names (status lists them)\n",
		       val);
		return n;
	}
	return param_set_copystring(val, kp);
}

static const struct kernel_param_ops nsk_probes_ops = {
	.set = nsk_param_set_probes,
	.get = param_get_string,
};

static char nsk_probes_list[512];
static struct kparam_string nsk_probes_kps = {
	.maxlen = sizeof(nsk_probes_list),
	.string = nsk_probes_list,
};
module_param_cb(probes, &nsk_probes_ops, &nsk_probes_kps, 0444);
MODULE_PARM_DESC(probes,
		 "attach only these probes at START: comma-separated probe names (default: all)");

unsigned int nsk_drain_ms = NSK_DRAIN_MS_DEFAULT;
module_param_cb(drain_ms, &nsk_drain_ms_ops, &nsk_drain_ms, 0444);
MODULE_PARM_DESC(drain_ms, "drain interval in ms (1..1000, default 5)");

/* ---- state -------------------------------------------------------------------- */

DEFINE_MUTEX(nsk_ctl_lock);
DEFINE_PER_CPU(struct nsk_pcpu, nsk_pcpu);
struct nsk_drain_stats *nsk_dstats;
struct nsk_config nsk_cfg;

/* All under nsk_ctl_lock (READ_ONCE where read without it). */
static u8 nsk_state = NSK_STATE_IDLE;	/* enum nsk_state */
static bool nsk_stop_pending;		/* STOP while starting: stop when started */
static bool nsk_exiting;
static u32 nsk_owner_portid;
static struct nsk_config nsk_cfg_before;	/* restored if the start fails */
static int nsk_start_err;			/* -errno of the last failed start */
static char nsk_start_msg[128];		/* and why */
/*
 * Collections are numbered (nsk_start); the orphan-stop work stops only the
 * collection whose owner's socket went away, never a newer one started
 * (by another socket, possibly with the same port id) before it ran.
 */
static u64 nsk_collection_nr;
static atomic64_t nsk_orphan_nr = ATOMIC64_INIT(0);
static u64 nsk_ts_start, nsk_ts_stop;

/*
 * The heavy part of START and STOP.  Ordered (one item at a time) and
 * unbound: a start allocates for seconds under emulation without sleeping
 * much, which on a per-CPU queue would hold up that CPU's shared worker pool
 * (6.1 does not move CPU-hogging work items aside).  Allocated at load.
 */
static struct workqueue_struct *nsk_ctl_wq;
static void nsk_ctl_fn(struct work_struct *w);
static DECLARE_WORK(nsk_ctl_work, nsk_ctl_fn);

bool nsk_collecting(void) { return READ_ONCE(nsk_state) == NSK_STATE_RUNNING; }
bool nsk_busy(void) { return READ_ONCE(nsk_state) != NSK_STATE_IDLE; }
u8 nsk_state_now(void) { return READ_ONCE(nsk_state); }
u64 nsk_collection_now(void) { return READ_ONCE(nsk_collection_nr); }
u64 nsk_start_ts(void) { return nsk_ts_start; }
u64 nsk_stop_ts(void) { return nsk_ts_stop; }

int nsk_start_result(const char **msg)
{
	lockdep_assert_held(&nsk_ctl_lock);
	*msg = nsk_start_msg;
	return nsk_start_err;
}

/* ---- start / stop -------------------------------------------------------------- */

static void nsk_reset_counters(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(&nsk_pcpu, cpu), 0, sizeof(struct nsk_pcpu));
}

/*
 * START, in the netlink handler: check, record "starting", queue the work.
 * @before: the configuration before this START's own (restored on failure).
 */
int nsk_start(u32 portid, const struct nsk_config *before,
	      struct netlink_ext_ack *extack)
{
	lockdep_assert_held(&nsk_ctl_lock);
	if (nsk_exiting) {
		NL_SET_ERR_MSG(extack, "module is unloading");
		return -ENODEV;
	}
	switch (nsk_state) {
	case NSK_STATE_IDLE:
		break;
	case NSK_STATE_STOPPING:
		NL_SET_ERR_MSG(extack, "the previous collection is still stopping");
		return -EBUSY;
	default:
		NL_SET_ERR_MSG(extack, "already collecting (another collector is running)");
		return -EBUSY;
	}
	if (!NSK_MCGRP_RESTRICTED) {
		NL_SET_ERR_MSG(extack,
			       "this kernel cannot restrict the events group to CAP_NET_ADMIN: refusing to collect");
		return -EPERM;
	}
	nsk_cfg_before = *before;
	nsk_start_err = 0;
	nsk_start_msg[0] = 0;
	nsk_stop_pending = false;
	nsk_owner_portid = portid;
	WRITE_ONCE(nsk_collection_nr, nsk_collection_nr + 1);
	WRITE_ONCE(nsk_state, NSK_STATE_STARTING);
	queue_work(nsk_ctl_wq, &nsk_ctl_work);
	return 0;
}

/* The heavy part of a start (control work, without nsk_ctl_lock). */
static int nsk_start_work(const char **why)
{
	int err, n;

	nsk_reset_counters();
	err = nsk_gov_start(&nsk_cfg);
	if (err) {
		*why = "cannot allocate the governor state";
		return err;
	}
	err = nsk_drain_start();
	if (err) {
		*why = "cannot allocate the per-CPU rings (ring_kb too large?)";
		return err;
	}
	nsk_ts_start = nsk_clock_ns();
	nsk_ts_stop = 0;
	nsk_emit_start(&nsk_cfg);	/* the filter key, before any handler runs */
	n = nsk_probes_attach();
	if (n == 0) {
		nsk_probes_detach(NULL);
		nsk_emit_stop();
		nsk_drain_stop();
		*why = "no probe could be attached on this kernel (see status)";
		return -ENOENT;
	}
	pr_info("collecting: %d of %u probes attached\n", n, nsk_probes_count());
	return 0;
}

/* The heavy part of a stop (control work or module exit, without the lock). */
static void nsk_stop_work(void)
{
	struct nsk_detach_times dt;
	u64 t0 = ktime_get_ns(), t1, t2;

	nsk_probes_detach(&dt);		/* 1: no handler runs after this */
	nsk_emit_stop();		/*    so the filter key may flip */
	nsk_ts_stop = nsk_clock_ns();
	t1 = ktime_get_ns();
	nsk_drain_stop();		/* 2: drain everything, free */
	t2 = ktime_get_ns();
	nsk_genl_send_stopped();	/* 3: the last message */
	mutex_lock(&nsk_ctl_lock);
	nsk_owner_portid = 0;
	WRITE_ONCE(nsk_state, NSK_STATE_IDLE);
	mutex_unlock(&nsk_ctl_lock);
	/* where a slow stop spends its time: the waits of the detach, the final drain */
	pr_info("stopped in %llu ms: detach %llu ms (%u tracepoints %llu, ftrace %llu, %u kprobes %llu, tracepoint grace periods %llu more), final drain %llu ms\n",
		div_u64(ktime_get_ns() - t0, NSEC_PER_MSEC), div_u64(t1 - t0, NSEC_PER_MSEC),
		dt.ntracepoints, div_u64(dt.tp_unregister, NSEC_PER_MSEC),
		div_u64(dt.ftrace, NSEC_PER_MSEC), dt.nkprobes,
		div_u64(dt.kprobes, NSEC_PER_MSEC),
		div_u64(dt.tracepoints, NSEC_PER_MSEC), div_u64(t2 - t1, NSEC_PER_MSEC));
}

/* Under nsk_ctl_lock, state running: record "stopping" (the caller runs it). */
static void nsk_mark_stopping(void)
{
	/* with "stopped": how long the RCU waits and the final drain took */
	pr_info("stopping\n");
	WRITE_ONCE(nsk_state, NSK_STATE_STOPPING);
}

static void nsk_ctl_fn(struct work_struct *w)
{
	const char *why = NULL;
	bool stop;
	u8 state;
	int err;

	mutex_lock(&nsk_ctl_lock);
	state = nsk_state;
	mutex_unlock(&nsk_ctl_lock);

	if (state == NSK_STATE_STARTING) {
		err = nsk_start_work(&why);
		mutex_lock(&nsk_ctl_lock);
		if (err) {
			nsk_cfg = nsk_cfg_before;
			nsk_start_err = err;
			strscpy(nsk_start_msg, why, sizeof(nsk_start_msg));
			nsk_owner_portid = 0;
			WRITE_ONCE(nsk_state, NSK_STATE_IDLE);
			mutex_unlock(&nsk_ctl_lock);
			pr_info("start failed: %s (%d)\n", why, err);
			return;
		}
		stop = nsk_stop_pending || nsk_exiting;
		if (stop) {
			if (nsk_stop_pending)
				pr_info("a stop came while starting: stopping now\n");
			nsk_mark_stopping();
		} else {
			WRITE_ONCE(nsk_state, NSK_STATE_RUNNING);
		}
		state = nsk_state;
		mutex_unlock(&nsk_ctl_lock);
	}
	if (state == NSK_STATE_STOPPING)
		nsk_stop_work();
}

/*
 * STOP, in the netlink handler (extack) or the orphan work (NULL): record it
 * and answer at once.
 */
int nsk_stop(struct netlink_ext_ack *extack)
{
	lockdep_assert_held(&nsk_ctl_lock);
	switch (nsk_state) {
	case NSK_STATE_IDLE:
		NL_SET_ERR_MSG(extack, "not collecting");
		return -EALREADY;
	case NSK_STATE_STOPPING:
		NL_SET_ERR_MSG(extack, "already stopping");
		return -EALREADY;
	case NSK_STATE_STARTING:
		/* the start cannot be cut short safely: stop when it is done */
		nsk_stop_pending = true;
		return 0;
	}
	nsk_mark_stopping();
	queue_work(nsk_ctl_wq, &nsk_ctl_work);
	return 0;
}

/* The collector's socket went away: stop on its behalf (process context). */
static void nsk_orphan_stop_fn(struct work_struct *w)
{
	mutex_lock(&nsk_ctl_lock);
	if (nsk_state != NSK_STATE_IDLE && !nsk_exiting &&
	    nsk_collection_nr == atomic64_read(&nsk_orphan_nr)) {
		pr_info("collector went away, stopping\n");
		nsk_stop(NULL);
	}
	mutex_unlock(&nsk_ctl_lock);
}
static DECLARE_WORK(nsk_orphan_stop_work, nsk_orphan_stop_fn);

static int nsk_netlink_event(struct notifier_block *nb, unsigned long event,
			     void *ptr)
{
	struct netlink_notify *n = ptr;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC ||
	    !net_eq(n->net, &init_net))
		return NOTIFY_DONE;
	/*
	 * Racy reads on purpose (no sleeping lock here): the number read is
	 * that of the collection this port id owned; the work stops that one
	 * only.
	 */
	if (READ_ONCE(nsk_state) != NSK_STATE_IDLE && n->portid &&
	    n->portid == READ_ONCE(nsk_owner_portid)) {
		atomic64_set(&nsk_orphan_nr, READ_ONCE(nsk_collection_nr));
		schedule_work(&nsk_orphan_stop_work);
	}
	return NOTIFY_DONE;
}

static struct notifier_block nsk_netlink_nb = {
	.notifier_call = nsk_netlink_event,
};

/* ---- init / exit ------------------------------------------------------------------- */

static int __init nsk_init(void)
{
	int err;

	err = nsk_emit_init();
	if (err)
		return err;
	nsk_dstats = kcalloc(nr_cpu_ids, sizeof(*nsk_dstats), GFP_KERNEL);
	if (!nsk_dstats)
		return -ENOMEM;
	err = nsk_drain_init();
	if (err)
		goto err_free_dstats;
	nsk_ctl_wq = alloc_ordered_workqueue("netstack_kmon_ctl", 0);
	if (!nsk_ctl_wq) {
		err = -ENOMEM;
		goto err_drain_exit;
	}
	err = netlink_register_notifier(&nsk_netlink_nb);
	if (err)
		goto err_destroy_ctl_wq;
	err = nsk_genl_init();
	if (err)
		goto err_unregister_notifier;
	pr_info("version %s loaded (family %s v%d)\n", NSK_VERSION,
		NSK_GENL_NAME, NSK_GENL_VERSION);
	return 0;

err_unregister_notifier:
	netlink_unregister_notifier(&nsk_netlink_nb);
err_destroy_ctl_wq:
	destroy_workqueue(nsk_ctl_wq);
err_drain_exit:
	nsk_drain_exit();
err_free_dstats:
	kfree(nsk_dstats);
	return err;
}

static void __exit nsk_exit(void)
{
	bool stop;

	/* no new collection may start (START, the orphan work check it) */
	mutex_lock(&nsk_ctl_lock);
	nsk_exiting = true;
	mutex_unlock(&nsk_ctl_lock);
	/*
	 * A start or stop in progress completes (a start that completes now
	 * sees nsk_exiting and stops at once); then a running collection is
	 * stopped here (safe under traffic).  All of it before the family
	 * goes: the final drain and STOPPED are sent on its group.  A STOP
	 * that came in between queued its own work: flushed again.
	 */
	flush_workqueue(nsk_ctl_wq);
	mutex_lock(&nsk_ctl_lock);
	stop = nsk_state == NSK_STATE_RUNNING;
	if (stop)
		nsk_mark_stopping();
	mutex_unlock(&nsk_ctl_lock);
	if (stop)
		nsk_stop_work();
	flush_workqueue(nsk_ctl_wq);
	nsk_genl_exit();		/* waits for commands in progress; no new one */
	netlink_unregister_notifier(&nsk_netlink_nb);
	cancel_work_sync(&nsk_orphan_stop_work);
	/* a STOP between the last flush and the family's removal found idle */
	WARN_ON_ONCE(READ_ONCE(nsk_state) != NSK_STATE_IDLE);
	destroy_workqueue(nsk_ctl_wq);
	nsk_fentry_exit();
	nsk_gov_exit();
	nsk_drain_exit();
	kfree(nsk_dstats);
	pr_info("unloaded\n");
}

module_init(nsk_init);
module_exit(nsk_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("netstack-kmon developers");
MODULE_DESCRIPTION("Per-packet network stack latency and drop tracing without BPF");
MODULE_VERSION(NSK_VERSION);
