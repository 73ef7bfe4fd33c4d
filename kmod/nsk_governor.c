// SPDX-License-Identifier: GPL-2.0
/*
 * The overhead governor.
 *
 * A budget, in records per second per CPU (module parameter "budget", or
 * NSK_CFG_ATTR_BUDGET per collection; 0 = off).  Every NSK_GOV_PERIOD_MS the
 * drain calls nsk_gov_tick(), which measures the busiest CPU's record rate
 * (written + refused by a full ring: what the probes asked to store after
 * filtering and sampling) and:
 *   - above the budget: doubles the effective sampling divisor N (keep one
 *     flow in N) while the result stays <= NSK_GOV_MAX_SAMPLE (also for a
 *     user's N that is not a power of two);
 *   - below a quarter of the budget: halves N, never below the sampling the
 *     user asked for.
 * N stays (user's N) * 2^k, so the flows kept at 1/(2N) are a subset of the
 * flows kept at 1/N: raising N only removes whole flows, lowering N only
 * adds whole flows.  Journeys in flight when N changes may be cut: the tool
 * reports the change time so they are accounted as such.
 *
 * Every decision is multicast (NSK_CMD_GOVERNOR) and counted in status; the
 * tool shows each one.  Handlers read the divisor with READ_ONCE: no lock.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/math64.h>
#include <linux/jiffies.h>
#include <linux/percpu.h>
#include "nsk.h"

#define NSK_GOV_PERIOD_MS	100
#define NSK_GOV_MAX_SAMPLE	65536

u32 nsk_sample_eff = 1;		/* read by handlers */
static u32 nsk_gov_budget;
static u32 nsk_gov_base;
static u32 nsk_gov_changes;
static unsigned long nsk_gov_last_j;
static u64 nsk_gov_last_ts;
static u64 *nsk_gov_prev;	/* [nr_cpu_ids]: written + ring_full at the last tick */

unsigned int nsk_budget_param;
module_param_named(budget, nsk_budget_param, uint, 0444);
MODULE_PARM_DESC(budget, "overhead governor: records/s per CPU above which sampling rises (0 = off, default)");

int nsk_gov_start(const struct nsk_config *c)
{
	int cpu;

	nsk_gov_base = c->sample > 1 ? c->sample : 1;
	nsk_gov_budget = c->has_budget ? c->budget : nsk_budget_param;
	nsk_gov_changes = 0;
	WRITE_ONCE(nsk_sample_eff, nsk_gov_base);
	if (!nsk_gov_prev) {
		nsk_gov_prev = kcalloc(nr_cpu_ids, sizeof(*nsk_gov_prev), GFP_KERNEL);
		if (!nsk_gov_prev)
			return -ENOMEM;
	}
	for_each_possible_cpu(cpu)
		nsk_gov_prev[cpu] = 0;
	nsk_gov_last_j = jiffies;
	nsk_gov_last_ts = nsk_clock_ns();
	return 0;
}

void nsk_gov_exit(void)
{
	kfree(nsk_gov_prev);
	nsk_gov_prev = NULL;
}

u32 nsk_gov_budget_now(void) { return nsk_gov_budget; }
u32 nsk_gov_changes_now(void) { return nsk_gov_changes; }

/* Drain context (process), one caller at a time. */
void nsk_gov_tick(void)
{
	u64 now, dt, max_rate = 0;
	u32 from = READ_ONCE(nsk_sample_eff), to = from;
	int cpu;

	if (!nsk_gov_budget || !nsk_gov_prev ||
	    time_before(jiffies, nsk_gov_last_j + msecs_to_jiffies(NSK_GOV_PERIOD_MS)))
		return;
	now = nsk_clock_ns();
	dt = now - nsk_gov_last_ts;
	if (!dt)
		return;
	for_each_possible_cpu(cpu) {
		const struct nsk_pcpu *pc = per_cpu_ptr(&nsk_pcpu, cpu);
		u64 cur = READ_ONCE(pc->written) + READ_ONCE(pc->ring_full);
		u64 rate = div64_u64((cur - nsk_gov_prev[cpu]) * NSEC_PER_SEC, dt);

		nsk_gov_prev[cpu] = cur;
		max_rate = max(max_rate, rate);
	}
	nsk_gov_last_j = jiffies;
	nsk_gov_last_ts = now;

	/* N stays (user's N) * 2^k: double only while that stays within the cap */
	if (max_rate > nsk_gov_budget && from <= NSK_GOV_MAX_SAMPLE / 2)
		to = from * 2;
	else if (max_rate * 4 < nsk_gov_budget && from > nsk_gov_base)
		to = from / 2;
	if (to == from)
		return;
	WRITE_ONCE(nsk_sample_eff, to);
	nsk_gov_changes++;
	nsk_genl_send_governor(now, from, to, max_rate, nsk_gov_budget);
}
