// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU event rings and the drain to generic netlink.
 *
 * The rings are the kernel's own lockless ring buffer (kernel/trace/
 * ring_buffer.c), used in producer/consumer mode (no RB_FL_OVERWRITE):
 *
 *  - one sub-buffer per CPU; a writer only ever writes to its own CPU's
 *    buffer, with preemption disabled, without taking any lock;
 *  - nesting-safe: a handler interrupted on the same CPU by a softirq,
 *    hardirq or NMI handler that also writes gets its own reserved slot; the
 *    outer commit publishes both in order (reserve/commit contract in
 *    ring_buffer.c);
 *  - recursion within one context level is refused by the ring buffer's
 *    per-context recursion bits (reserve returns NULL);
 *  - never overwrites: when a CPU's buffer is full, reserve returns NULL.
 *
 * Every refused reserve is counted in nsk_pcpu.ring_full by the caller, so
 * for every CPU: hits == written + ring_full + filtered + sampled_out.
 *
 * The reader is a single delayed work item (the drain).  It wakes every
 * nsk_drain_ms milliseconds, not per event, consumes each CPU's buffer
 * (ring_buffer_consume takes the per-CPU reader lock, which writers never
 * take), copies records into a staging buffer and sends them as batches of
 * up to NSK_BATCH_BYTES on the "events" multicast group.  Each batch carries
 * the CPU and the per-CPU sequence number of its first record; records are
 * numbered by the drain in the order it consumed them, so a reader that
 * misses a batch knows exactly how many records it lost.  A batch whose
 * multicast fails (no listener, or a listener's socket buffer is full) is
 * counted in nsk_dstats[cpu].netlink_fail and its records are not retried.
 *
 * Lifetime: nsk_ring_start() allocates (idle module: no memory, no work);
 * nsk_ring_stop() must be called after the probes are detached and
 * synchronised: it cancels the work, drains everything left, and frees.
 * The measurement behind choosing this ring is in docs/design.md.
 */

#include <linux/ring_buffer.h>
#include <linux/workqueue.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/kallsyms.h>
#include <linux/string.h>
#include "nsk.h"

static struct trace_buffer *nsk_rb;
static void *nsk_stage;			/* NSK_BATCH_BYTES, drain only */
static bool nsk_rb_active;
static void nsk_drain_fn(struct work_struct *w);
static DECLARE_DELAYED_WORK(nsk_drain_work, nsk_drain_fn);

/* Batches per CPU per wake-up before yielding the worker. */
#define NSK_DRAIN_BATCHES_PER_CPU	64

bool nsk_ring_active(void)
{
	return READ_ONCE(nsk_rb_active);
}

void *nsk_ring_reserve(unsigned int size, void **handle)
{
	struct trace_buffer *rb = READ_ONCE(nsk_rb);
	struct ring_buffer_event *e;

	if (unlikely(!rb))
		return NULL;
	e = ring_buffer_lock_reserve(rb, size);
	if (!e)
		return NULL;
	*handle = e;
	return ring_buffer_event_data(e);
}

void nsk_ring_commit(void *handle)
{
	nsk_ring_buffer_unlock_commit(READ_ONCE(nsk_rb), handle);
}

/* Process context: make a drop record fit to leave the kernel. */
static void nsk_fixup_drop(struct nsk_drop *d)
{
	unsigned long loc;
	const char *name;

	memcpy(&loc, d->location, sizeof(loc));
	memset(d->location, 0, sizeof(d->location));
	if (loc)
		snprintf(d->location, sizeof(d->location), "%pS", (void *)loc);
	/* no symbol: %pS printed the raw address, which must not leave */
	if (d->location[0] == '0')
		strscpy(d->location, "?", sizeof(d->location));
	name = (d->ev.flags & NSK_EF_HAS_REASON) ?
		nsk_drop_reason_name(d->ev.reason) : NULL;
	strscpy(d->reason_name, name ? name : "", sizeof(d->reason_name));
}

/*
 * Drain one CPU: up to max_batches batches.  Returns true if records may be
 * left.
 */
static bool nsk_drain_cpu(int cpu, unsigned int max_batches)
{
	struct nsk_drain_stats *ds = &nsk_dstats[cpu];
	unsigned int b;

	for (b = 0; b < max_batches; b++) {
		struct ring_buffer_event *e;
		size_t off = 0;
		u32 n = 0;
		int err;

		while (off + sizeof(struct nsk_drop) <= NSK_BATCH_BYTES &&
		       (e = ring_buffer_consume(nsk_rb, cpu, NULL, NULL))) {
			struct nsk_rec_hdr *h = ring_buffer_event_data(e);
			unsigned int size = h->size;

			if (WARN_ON_ONCE(size < sizeof(*h) ||
					 size > sizeof(struct nsk_drop)))
				continue;
			memcpy(nsk_stage + off, h, size);
			if (h->type == NSK_REC_DROP)
				nsk_fixup_drop(nsk_stage + off);
			off += size;
			n++;
		}
		if (!n)
			return false;
		err = nsk_genl_send_batch(cpu, ds->sent, n, nsk_stage, off);
		ds->sent += n;
		ds->batches++;
		if (err)
			ds->netlink_fail += n;
		cond_resched();
	}
	return true;
}

static bool nsk_drain_all(unsigned int max_batches)
{
	bool more = false;
	int cpu;

	for_each_possible_cpu(cpu)
		more |= nsk_drain_cpu(cpu, max_batches);
	return more;
}

static void nsk_drain_fn(struct work_struct *w)
{
	bool more = nsk_drain_all(NSK_DRAIN_BATCHES_PER_CPU);

	nsk_gov_tick();

	if (READ_ONCE(nsk_rb_active))
		queue_delayed_work(system_unbound_wq, &nsk_drain_work,
				   more ? 0 : msecs_to_jiffies(nsk_drain_ms));
}

void nsk_ring_kick(void)
{
	if (READ_ONCE(nsk_rb_active))
		mod_delayed_work(system_unbound_wq, &nsk_drain_work, 0);
}

int nsk_ring_start(void)
{
	int cpu;

	nsk_stage = kvmalloc(NSK_BATCH_BYTES, GFP_KERNEL);
	if (!nsk_stage)
		return -ENOMEM;
	/* producer mode: when full, new records are refused, old ones kept */
	nsk_rb = ring_buffer_alloc((unsigned long)nsk_ring_kb * 1024, 0);
	if (!nsk_rb) {
		kvfree(nsk_stage);
		nsk_stage = NULL;
		return -ENOMEM;
	}
	for_each_possible_cpu(cpu)
		memset(&nsk_dstats[cpu], 0, sizeof(nsk_dstats[cpu]));
	WRITE_ONCE(nsk_rb_active, true);
	queue_delayed_work(system_unbound_wq, &nsk_drain_work,
			   msecs_to_jiffies(nsk_drain_ms));
	return 0;
}

/*
 * After the final drain every record written was consumed (written == sent,
 * which the tool checks as loss.unsent).  If the kernel's ring still says
 * otherwise, say which CPU and what its own counters show, so the records
 * that are about to be freed unsent are at least explained in the log.
 */
static bool nsk_ring_check_empty(struct trace_buffer *rb)
{
	bool empty = true;
	int cpu;

	for_each_online_cpu(cpu) {
		unsigned long left = ring_buffer_entries_cpu(rb, cpu);
		u64 written = per_cpu(nsk_pcpu.written, cpu);

		if (!left && written == nsk_dstats[cpu].sent)
			continue;
		empty = false;
		pr_notice("cpu %d: final drain left %lu records in the ring (written %llu, sent %llu; ring: overrun %lu, commit_overrun %lu, dropped %lu, read %lu)\n",
			  cpu, left, written, nsk_dstats[cpu].sent,
			  ring_buffer_overrun_cpu(rb, cpu),
			  ring_buffer_commit_overrun_cpu(rb, cpu),
			  ring_buffer_dropped_events_cpu(rb, cpu),
			  ring_buffer_read_events_cpu(rb, cpu));
	}
	return empty;
}

/* Caller guarantees that no handler can run any more (probes detached). */
void nsk_ring_stop(void)
{
	struct trace_buffer *rb = nsk_rb;

	if (!rb)
		return;
	WRITE_ONCE(nsk_rb_active, false);
	cancel_delayed_work_sync(&nsk_drain_work);
	/* everything written before the probes were detached goes out now */
	while (nsk_drain_all(UINT_MAX))
		;
	if (!nsk_ring_check_empty(rb)) {
		/* a second chance: whatever the ring still gives out is sent */
		while (nsk_drain_all(UINT_MAX))
			;
		if (nsk_ring_check_empty(rb))
			pr_notice("final drain: a second pass sent the rest\n");
	}
	WRITE_ONCE(nsk_rb, NULL);
	ring_buffer_free(rb);
	kvfree(nsk_stage);
	nsk_stage = NULL;
}
