// SPDX-License-Identifier: GPL-2.0
/*
 * Function-entry probes through one ftrace callback of the module's own.
 *
 * A kprobe at a function's entry is itself an ftrace callback (kprobes'
 * ftrace_ops) plus the kprobe layer, which allows one running kprobe per CPU
 * and skips every other hit on that CPU meanwhile: a softirq that runs on an
 * interrupt's exit inside a kprobe handler loses its probe hits (NIC receive
 * under load shows it).  Our own ftrace_ops skips that layer: its callback
 * guards against recursion per context (task, softirq, hardirq, NMI: the
 * ftrace recursion bits), so a handler interrupted by a softirq that hits
 * another probe still sees that hit.  A hit refused by that guard (the same
 * context re-entering, which our handlers never cause) is counted per probe
 * as missed, like kprobes' nmissed.
 *
 * One ftrace_ops serves every probe: its filter holds every probed
 * function, and the callback finds the probe from the address ftrace passes
 * (an open-addressing table of twice the sites, written before the ops is
 * registered and only read after).  Where the kernel passes the argument
 * registers without a full register save (compat.h, NSK_FENTRY_OPS_FLAGS),
 * the ops does not ask for one.  One registration is one round of text patching at START and one
 * wait at STOP, whatever the number of probes.
 *
 * Kernels before 5.11 pass struct pt_regs instead of ftrace_regs and guard
 * recursion in ftrace itself (compat.h, NSK_FENTRY_CB_ARGS).  Kernels
 * without ftrace with registers: nsk_fentry_available() is false and the
 * probes use kprobes.
 */

#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/hash.h>
#include "nsk.h"

#ifdef NSK_HAS_FENTRY

#define NSK_FENTRY_MAX	64

struct nsk_fentry_site {
	unsigned long ip;	/* the address ftrace reports for the function */
	kprobe_pre_handler_t handler;	/* fe's, copied: one load less per hit */
	struct kprobe *kp;
	struct nsk_fentry *fe;
};

/* Under nsk_ctl_lock; read-only while the ops is registered. */
static struct nsk_fentry_site nsk_sites[NSK_FENTRY_MAX];
static unsigned int nsk_nsites;
static bool nsk_ops_registered;

/* The sites by address: linear probing, at most half full (ip 0: empty). */
#define NSK_SITE_HASH_BITS	(ilog2(NSK_FENTRY_MAX) + 1)
#define NSK_SITE_HASH_MASK	((1U << NSK_SITE_HASH_BITS) - 1)
static struct nsk_fentry_site nsk_site_hash[1U << NSK_SITE_HASH_BITS];

static void nsk_site_hash_build(void)
{
	unsigned int i, j;

	memset(nsk_site_hash, 0, sizeof(nsk_site_hash));
	for (i = 0; i < nsk_nsites; i++) {
		j = hash_long(nsk_sites[i].ip, NSK_SITE_HASH_BITS);
		while (nsk_site_hash[j].ip)
			j = (j + 1) & NSK_SITE_HASH_MASK;
		nsk_site_hash[j] = nsk_sites[i];
	}
}

static __always_inline const struct nsk_fentry_site *nsk_site_find(unsigned long ip)
{
	unsigned int j = hash_long(ip, NSK_SITE_HASH_BITS);

	while (nsk_site_hash[j].ip != ip) {
		if (!nsk_site_hash[j].ip)
			return NULL;
		j = (j + 1) & NSK_SITE_HASH_MASK;
	}
	return &nsk_site_hash[j];
}

static void notrace nsk_fentry_cb(NSK_FENTRY_CB_ARGS(fregs))
{
	struct pt_regs *regs = NSK_FENTRY_PT_REGS(fregs);
	const struct nsk_fentry_site *s;
	unsigned long flags;
	int bit;

	s = nsk_site_find(ip);
	if (unlikely(!s || !regs))
		return;
	bit = nsk_fentry_recursion_trylock(ip, parent_ip);
	if (unlikely(bit < 0)) {
		atomic_long_inc(&s->fe->missed);
		return;
	}
	/* interrupts off while the handler runs (nsk.h, "Interrupts off") */
	local_irq_save(flags);
	s->handler(s->kp, regs);
	local_irq_restore(flags);
	nsk_fentry_recursion_unlock(bit);
}

static struct ftrace_ops nsk_fentry_ops = {
	.func = nsk_fentry_cb,
	.flags = NSK_FENTRY_OPS_FLAGS,
};

bool nsk_fentry_available(void)
{
	return true;
}

/*
 * The address ftrace reports for a function: where kprobes puts a probe at
 * its entry (past an IBT endbr64, at the fentry call).  Resolved with a
 * kprobe registered disabled (never armed: no text is patched); the caller
 * unregisters those in one batch (nsk_fentry_resolve_done).
 */
static struct kprobe nsk_resolve_kps[NSK_FENTRY_MAX];
static struct kprobe *nsk_resolve_ptrs[NSK_FENTRY_MAX];
static unsigned int nsk_nresolve;

int nsk_fentry_add(struct nsk_fentry *fe, const char *sym)
{
	struct kprobe *kp;
	unsigned long ip;
	int err;

	if (nsk_ops_registered || nsk_nsites >= NSK_FENTRY_MAX)
		return -EBUSY;
	kp = &nsk_resolve_kps[nsk_nresolve];
	memset(kp, 0, sizeof(*kp));
	kp->symbol_name = sym;
	kp->flags = KPROBE_FLAG_DISABLED;
	err = register_kprobe(kp);
	if (err)
		return err;
	nsk_resolve_ptrs[nsk_nresolve++] = kp;
	ip = (unsigned long)kp->addr;
	if (!(kp->flags & KPROBE_FLAG_FTRACE))
		return -EOPNOTSUPP;	/* not at an ftrace site: a kprobe it is */
	err = ftrace_set_filter_ip(&nsk_fentry_ops, ip, 0, 0);
	if (err)
		return err;
	nsk_sites[nsk_nsites].ip = ip;
	nsk_sites[nsk_nsites].handler = fe->handler;
	nsk_sites[nsk_nsites].kp = fe->kp;
	nsk_sites[nsk_nsites].fe = fe;
	nsk_nsites++;
	return 0;
}

/*
 * Empty the filter site by site.  Not ftrace_free_filter(): it frees the
 * ops' hash but leaves the ops pointing at it, and the next START reuses the
 * ops (nsk_fentry_exit resets it once more, at unload).  An ops with an empty
 * filter traces every function: it is never registered without sites.
 */
static void nsk_fentry_clear_filter(void)
{
	unsigned int i;

	for (i = 0; i < nsk_nsites; i++)
		ftrace_set_filter_ip(&nsk_fentry_ops, nsk_sites[i].ip, 1, 0);
	nsk_nsites = 0;
}

int nsk_fentry_register(void)
{
	int err;

	if (nsk_nresolve) {
		unregister_kprobes(nsk_resolve_ptrs, nsk_nresolve);
		nsk_nresolve = 0;
	}
	if (!nsk_nsites)
		return 0;
	nsk_site_hash_build();
	err = register_ftrace_function(&nsk_fentry_ops);
	if (err) {
		nsk_fentry_clear_filter();
		return err;
	}
	nsk_ops_registered = true;
	return 0;
}

/* After this returns no callback runs (unregister_ftrace_function waits). */
void nsk_fentry_unregister(void)
{
	if (nsk_nresolve) {
		unregister_kprobes(nsk_resolve_ptrs, nsk_nresolve);
		nsk_nresolve = 0;
	}
	if (nsk_ops_registered)
		unregister_ftrace_function(&nsk_fentry_ops);
	nsk_ops_registered = false;
	nsk_fentry_clear_filter();
}

/* Module exit: the ops' filter hash goes for good. */
void nsk_fentry_exit(void)
{
	nsk_fentry_unregister();
	/*
	 * Sites were removed one by one (nsk_fentry_clear_filter): an empty filter is
	 * ftrace's static EMPTY_HASH and the allocated one was freed then.
	 * Resetting it once more frees whatever an interrupted START left;
	 * ftrace_free_filter() would do the same but is exported only by newer
	 * kernels (not 5.10).
	 */
	ftrace_set_filter(&nsk_fentry_ops, NULL, 0, 1);
}

#else /* !NSK_HAS_FENTRY */

bool nsk_fentry_available(void)
{
	return false;
}

int nsk_fentry_add(struct nsk_fentry *fe, const char *sym)
{
	return -EOPNOTSUPP;
}

int nsk_fentry_register(void)
{
	return 0;
}

void nsk_fentry_unregister(void)
{
}

void nsk_fentry_exit(void)
{
}

#endif
