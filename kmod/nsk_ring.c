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
 * for every CPU: hits == written + ring_full + filtered + sampled_out +
 * nmi_refused (an NMI hit never reaches the ring: nsk_emit.c).
 *
 * The reader (the drain): a tick (delayed work) wakes every nsk_drain_ms
 * milliseconds, not per event, and queues, for each CPU whose buffer has
 * records, that CPU's drain work item on that CPU (see nsk_cpu_drain_fn for
 * why on that CPU).  A drain consumes the buffer (ring_buffer_consume takes
 * the per-CPU reader lock, which writers never take), copies records into a
 * staging buffer and sends them as batches of up to NSK_BATCH_BYTES on the
 * "events" multicast group; one drain runs at a time (nsk_drain_lock).  Each
 * batch carries the CPU and the per-CPU sequence number of its first record;
 * records are numbered by the drain in the order it consumed them, so a
 * reader that misses a batch knows exactly how many records it lost.  A batch whose
 * multicast fails (no listener, or a listener's socket buffer is full) is
 * counted in nsk_dstats[cpu].netlink_fail and its records are not retried.
 *
 * The tick and the drains run on the module's own per-CPU workqueue
 * (nsk_ring_init, at load); CPU hotplug is handled in nsk_cpu_drain_fn.
 *
 * Lifetime: nsk_ring_start() allocates (idle module: no memory, no work);
 * nsk_ring_stop() must be called after the probes are detached and
 * synchronised: it cancels the work, drains everything left, and frees.
 * The measurement behind choosing this ring is in docs/design.md.
 */

#include "compat/ring_buffer.h"
#include <linux/workqueue.h>
#include <linux/cpu.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/kallsyms.h>
#include <linux/string.h>
#include "nsk.h"

/*
 * Every slot in the ring is a u64 write number followed by the record.  The
 * write number is the CPU's `written` count when the record was reserved
 * (writers never nest: every handler writes with interrupts off), so the
 * drain sees 0, 1, 2, ... per CPU and a jump is a record the kernel's ring
 * committed but never returned to its reader.  It never leaves the kernel.
 */
#define NSK_SLOT_HDR	sizeof(u64)

static nsk_trace_buffer_t *nsk_rb;
static void *nsk_stage;			/* NSK_BATCH_BYTES, under nsk_drain_lock */
static DEFINE_MUTEX(nsk_drain_lock);	/* one drain at a time */
static bool nsk_rb_active;
static void nsk_tick_fn(struct work_struct *w);
static DECLARE_DELAYED_WORK(nsk_tick_work, nsk_tick_fn);
static struct work_struct *nsk_cpu_work;	/* [nr_cpu_ids]: drain CPU n on CPU n */
static struct workqueue_struct *nsk_wq;		/* per-CPU, the module's own */

/* Batches per CPU per wake-up before yielding the worker. */
#define NSK_DRAIN_BATCHES_PER_CPU	64

bool nsk_ring_active(void)
{
	return READ_ONCE(nsk_rb_active);
}

void *nsk_ring_reserve(unsigned int size, void **handle)
{
	nsk_trace_buffer_t *rb = READ_ONCE(nsk_rb);
	struct ring_buffer_event *e;
	u64 wseq;
	u8 *slot;

	if (unlikely(!rb))
		return NULL;
	e = ring_buffer_lock_reserve(rb, NSK_SLOT_HDR + size);
	if (!e)
		return NULL;
	*handle = e;
	slot = ring_buffer_event_data(e);
	wseq = __this_cpu_read(nsk_pcpu.written);
	/* event data is 4-byte aligned: a byte copy, not a u64 store */
	memcpy(slot, &wseq, sizeof(wseq));
	return slot + NSK_SLOT_HDR;
}

void nsk_ring_commit(void *handle)
{
	nsk_ring_buffer_unlock_commit(READ_ONCE(nsk_rb), handle);
}

/* Process context: make a drop record fit to leave the kernel. */
static void nsk_fixup_drop(struct nsk_drop *d)
{
	unsigned long loc;

	memcpy(&loc, d->location, sizeof(loc));
	memset(d->location, 0, sizeof(d->location));
	if (loc)
		snprintf(d->location, sizeof(d->location), "%pS", (void *)loc);
	/* no symbol: %pS printed the raw address, which must not leave */
	if (d->location[0] == '0')
		strscpy(d->location, "?", sizeof(d->location));
	d->reason_name[0] = 0;
	if (d->ev.flags & NSK_EF_HAS_REASON)
		nsk_drop_reason_copy(d->ev.reason, d->reason_name,
				     sizeof(d->reason_name));
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
			u8 *slot = ring_buffer_event_data(e);
			struct nsk_rec_hdr *h = (void *)(slot + NSK_SLOT_HDR);
			unsigned int size = h->size;
			u64 wseq;

			memcpy(&wseq, slot, sizeof(wseq));
			if (unlikely(wseq > ds->next_wseq)) {
				ds->ring_lost += wseq - ds->next_wseq;
				pr_notice_ratelimited("cpu %d: the ring returned record %llu after %llu: %llu committed records skipped (%llu so far)\n",
						      cpu, wseq, ds->next_wseq,
						      wseq - ds->next_wseq, ds->ring_lost);
			}
			ds->next_wseq = wseq + 1;

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

	mutex_lock(&nsk_drain_lock);
	for_each_possible_cpu(cpu)
		more |= nsk_drain_cpu(cpu, max_batches);
	mutex_unlock(&nsk_drain_lock);
	return more;
}

/*
 * A CPU's ring is consumed on that CPU.  The kernel's ring buffer reader
 * (rb_get_reader_page) decides that the page it has read to the end is done
 * and hands it back to the writer from two separate loads (the page's commit
 * index, then the writer's commit page), with interrupts off on its own CPU
 * only.  A writer on another CPU that commits a record on that page and
 * moves to the next page between the two loads has that record recycled
 * unread: the ring counts it (entries) and never returns it.  On the
 * writer's own CPU, with interrupts off, no writer runs between the two
 * loads.  A CPU that is offline has no writer; its work item runs elsewhere.
 */
static void nsk_cpu_drain_fn(struct work_struct *w)
{
	int cpu = w - nsk_cpu_work;
	bool more;

	/*
	 * CPU hotplug: with the hotplug lock held for reading, the CPU stays
	 * as it is.  Online: this item runs on it (a per-CPU workqueue), unless
	 * it was queued while the CPU was offline and ran elsewhere: then it
	 * goes back to the CPU.  Offline: no writer, drained from here.
	 */
	cpus_read_lock();
	if (cpu_online(cpu) && raw_smp_processor_id() != cpu) {
		queue_work_on(cpu, nsk_wq, w);
		cpus_read_unlock();
		return;
	}
	mutex_lock(&nsk_drain_lock);
	more = nsk_drain_cpu(cpu, NSK_DRAIN_BATCHES_PER_CPU);
	mutex_unlock(&nsk_drain_lock);
	cpus_read_unlock();
	if (more && READ_ONCE(nsk_rb_active))
		queue_work_on(cpu, nsk_wq, w);
}

/* Every nsk_drain_ms: wake the drain of each CPU that has records. */
static void nsk_tick_fn(struct work_struct *w)
{
	int cpu;

	for_each_possible_cpu(cpu)
		if (ring_buffer_entries_cpu(nsk_rb, cpu))
			queue_work_on(cpu, nsk_wq, &nsk_cpu_work[cpu]);
	nsk_gov_tick();
	if (READ_ONCE(nsk_rb_active))
		queue_delayed_work(nsk_wq, &nsk_tick_work,
				   msecs_to_jiffies(nsk_drain_ms));
}

int nsk_ring_init(void)
{
	nsk_wq = alloc_workqueue("netstack_kmon", 0, 0);
	return nsk_wq ? 0 : -ENOMEM;
}

void nsk_ring_exit(void)
{
	destroy_workqueue(nsk_wq);
}

int nsk_ring_start(void)
{
	int cpu;

	nsk_stage = kvmalloc(NSK_BATCH_BYTES, GFP_KERNEL);
	nsk_cpu_work = kcalloc(nr_cpu_ids, sizeof(*nsk_cpu_work), GFP_KERNEL);
	if (!nsk_stage || !nsk_cpu_work)
		goto nomem;
	/* producer mode: when full, new records are refused, old ones kept */
	nsk_rb = ring_buffer_alloc((unsigned long)nsk_ring_kb * 1024, 0);
	if (!nsk_rb)
		goto nomem;
	for_each_possible_cpu(cpu) {
		memset(&nsk_dstats[cpu], 0, sizeof(nsk_dstats[cpu]));
		INIT_WORK(&nsk_cpu_work[cpu], nsk_cpu_drain_fn);
	}
	WRITE_ONCE(nsk_rb_active, true);
	queue_delayed_work(nsk_wq, &nsk_tick_work,
			   msecs_to_jiffies(nsk_drain_ms));
	return 0;
nomem:
	kfree(nsk_cpu_work);
	nsk_cpu_work = NULL;
	kvfree(nsk_stage);
	nsk_stage = NULL;
	return -ENOMEM;
}

/*
 * After the final drain every record written was consumed (written == sent,
 * which the tool checks as loss.unsent).  If the kernel's ring still says
 * otherwise, say which CPU and what its own counters show, so the records
 * that are about to be freed unsent are at least explained in the log.
 */
static bool nsk_ring_check_empty(nsk_trace_buffer_t *rb)
{
	bool empty = true;
	int cpu;

	for_each_online_cpu(cpu) {
		unsigned long left = ring_buffer_entries_cpu(rb, cpu);
		u64 written = per_cpu(nsk_pcpu.written, cpu);

		if (!left && written == nsk_dstats[cpu].sent)
			continue;
		empty = false;
		pr_notice("cpu %d: final drain left %lu records in the ring (written %llu, sent %llu, skipped %llu, next %llu, empty %d; ring: overrun %lu, commit_overrun %lu, dropped %lu, read %lu)\n",
			  cpu, left, written, nsk_dstats[cpu].sent,
			  nsk_dstats[cpu].ring_lost, nsk_dstats[cpu].next_wseq,
			  ring_buffer_empty_cpu(rb, cpu),
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
	nsk_trace_buffer_t *rb = nsk_rb;
	int cpu;

	if (!rb)
		return;
	WRITE_ONCE(nsk_rb_active, false);
	cancel_delayed_work_sync(&nsk_tick_work);	/* queues no more drains */
	for_each_possible_cpu(cpu)
		cancel_work_sync(&nsk_cpu_work[cpu]);	/* requeue no more */
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
	kfree(nsk_cpu_work);
	nsk_cpu_work = NULL;
	kvfree(nsk_stage);
	nsk_stage = NULL;
}
