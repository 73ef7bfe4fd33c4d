// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU event rings: one single-producer single-consumer byte ring per CPU,
 * written in place.
 *
 * Producer: the handlers of that CPU.  Every writer reserves, fills and
 * commits with interrupts off (nsk.h, "Interrupts off") and a hit in NMI
 * context never gets here (nsk_emit.c, nsk_nmi_refused), so on one CPU there
 * is exactly one writer at a time and the producer's state needs no atomic
 * operation at all.  A writer that would nest anyway (a probed function called
 * from inside a handler) finds the ring busy and is refused.
 * Consumer: the drain of that CPU's ring (nsk_drain.c); one at a time per ring
 * (a work item never runs concurrently with itself; the final drain runs after
 * the work is cancelled).  It may run on any CPU.
 *
 * The two sides share only two monotonically increasing byte counts, `head`
 * (bytes committed, written by the producer) and `tail` (bytes consumed,
 * written by the consumer), each published with a release store and read with
 * an acquire load: the consumer reads a record only after the head that covers
 * it, and the producer reuses bytes only after the tail that frees them, so
 * the consumer never sees a half-written record and the producer never
 * overwrites one being read.  Nothing else is shared, so a reader on another
 * CPU loses nothing (the loss the kernel's ring buffer had: docs/design.md).
 *
 * Records are stored whole at 8-byte aligned offsets; one that does not fit
 * before the end of the area starts again at offset 0, and a zero record
 * header (type NSK_REC_UNSPEC) at the old offset tells the consumer to wrap.
 * Never overwrites: a record that does not fit in the free space is refused
 * (the caller counts it: ring_full), so for every CPU
 *   hits == written + ring_full + filtered + sampled_out + nmi_refused.
 *
 * Memory: ring_kb KiB (kvmalloc: vmalloc beyond the largest kmalloc; never
 * the OOM killer) per CPU that is online at START or comes
 * online during the collection (CPU hotplug "prepare" callback, process
 * context: a CPU whose ring cannot be allocated then is still brought up, and
 * every record it would write is refused and counted as ring_full).  A ring is
 * kept until STOP when its CPU goes offline: the drain empties it from
 * another CPU.  The measurement behind this ring is in docs/performance.md.
 *
 * The structure, the producer's reserve/commit and the consumer's
 * read_next are inline in nsk.h (every record runs them); this file holds
 * the rest of both sides.
 */

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/topology.h>
#include "nsk.h"

DEFINE_PER_CPU_SHARED_ALIGNED(struct nsk_cpu_ring, nsk_rings);
static bool nsk_rings_active;
static int nsk_ring_hp_state = -1;

static int nsk_ring_alloc_cpu(unsigned int cpu)
{
	struct nsk_cpu_ring *r = per_cpu_ptr(&nsk_rings, cpu);
	u32 size = ALIGN_DOWN(nsk_ring_kb * 1024U, NSK_REC_ALIGN);
	struct sysinfo si;
	u8 *data;

	if (r->data)
		return 0;
	/*
	 * A collection must never push the box into the OOM killer: a ring
	 * that does not fit fails (START says why), it does not make room.
	 * First the estimate the kernel's own trace ring checks, with a reserve
	 * of 1/64 of RAM left to everyone else: an allocation that would take
	 * the last free pages leaves the box's own allocations (a fork) to the
	 * OOM killer meanwhile, even if ours then fails politely.  Then no
	 * retry that could invoke it.  Large rings come from vmalloc
	 * (kvmalloc's fallback).
	 */
	si_meminfo(&si);
	if (si_mem_available() < (long)(size >> PAGE_SHIFT) + (long)(si.totalram / 64))
		return -ENOMEM;
	data = kvmalloc_node(size, GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN,
			     cpu_to_node(cpu));
	if (!data)
		return -ENOMEM;
	r->size = size;
	r->hoff = 0;
	r->busy = false;
	r->head = 0;
	r->tail = 0;
	r->toff = 0;
	/* the CPU runs no writer yet (START: no probe attached; hotplug: down) */
	WRITE_ONCE(r->data, data);
	return 0;
}

/* CPU hotplug "prepare" (process context, the CPU is not running yet). */
static int nsk_ring_cpu_prepare(unsigned int cpu)
{
	if (nsk_ring_alloc_cpu(cpu))
		pr_notice("cpu %u came online without a ring (no memory): its records are counted as ring_full\n",
			  cpu);
	return 0;	/* never keep a CPU from coming up */
}

int nsk_ring_alloc(void)
{
	int cpu, ret;

	cpus_read_lock();
	ret = cpuhp_setup_state_nocalls_cpuslocked(CPUHP_BP_PREPARE_DYN,
						   "netstack_kmon:ring",
						   nsk_ring_cpu_prepare, NULL);
	if (ret < 0)
		goto out;
	nsk_ring_hp_state = ret;
	ret = 0;
	for_each_online_cpu(cpu) {
		ret = nsk_ring_alloc_cpu(cpu);
		if (ret)
			break;
	}
	if (!ret)
		WRITE_ONCE(nsk_rings_active, true);
out:
	cpus_read_unlock();
	if (ret)
		nsk_ring_free();
	return ret;
}

/* Caller guarantees that no handler can run any more (probes detached). */
void nsk_ring_free(void)
{
	int cpu;

	WRITE_ONCE(nsk_rings_active, false);
	if (nsk_ring_hp_state >= 0) {
		cpuhp_remove_state_nocalls(nsk_ring_hp_state);
		nsk_ring_hp_state = -1;
	}
	for_each_possible_cpu(cpu) {
		struct nsk_cpu_ring *r = per_cpu_ptr(&nsk_rings, cpu);
		u8 *data = r->data;

		WRITE_ONCE(r->data, NULL);
		kvfree(data);
	}
}

bool nsk_ring_active(void)
{
	return READ_ONCE(nsk_rings_active);
}

/* STOP: the drain stops requeueing itself (the rings stay until freed). */
void nsk_ring_deactivate(void)
{
	WRITE_ONCE(nsk_rings_active, false);
}

/* --- consumer ------------------------------------------------------------ */

/* Does `cpu` have a ring with committed records? (any context) */
bool nsk_ring_has_records(int cpu)
{
	const struct nsk_cpu_ring *r = per_cpu_ptr(&nsk_rings, cpu);

	return READ_ONCE(r->data) && READ_ONCE(r->head) != READ_ONCE(r->tail);
}

/* What a CPU's ring still holds, for the final drain's report. */
u64 nsk_ring_unread_bytes(int cpu)
{
	const struct nsk_cpu_ring *r = per_cpu_ptr(&nsk_rings, cpu);

	return r->data ? READ_ONCE(r->head) - r->tail : 0;
}

/* Start reading `cpu`'s ring: the records committed so far. */
void nsk_ring_read_begin(int cpu, struct nsk_ring_cursor *c)
{
	struct nsk_cpu_ring *r = per_cpu_ptr(&nsk_rings, cpu);

	c->ring = r;
	c->data = r->data;
	c->size = r->size;
	c->tail = r->tail;
	c->toff = r->toff;
	c->head = r->data ? smp_load_acquire(&r->head) : r->tail;
}

/*
 * A record that cannot be (only whole records are committed): nothing after
 * it can be trusted, so the cursor skips to the head.  Out of line, rare.
 */
const struct nsk_rec_hdr *nsk_ring_read_broken(struct nsk_ring_cursor *c)
{
	u64 off = c->toff + (c->head - c->tail);

	WARN_ON_ONCE(1);
	c->tail = c->head;
	c->toff = off >= c->size ? off - c->size : off;
	return NULL;
}

/* Step back over the record nsk_ring_read_next returned last (not consumed). */
void nsk_ring_read_unget(struct nsk_ring_cursor *c, const struct nsk_rec_hdr *h)
{
	u32 off = (const u8 *)h - c->data;
	u32 len = ALIGN(h->size, NSK_REC_ALIGN);

	/* the wrap marker skipped before it, if any, stays consumed */
	c->tail -= len;
	c->toff = off;
}

/* Give the bytes read back to the producer. */
void nsk_ring_read_end(struct nsk_ring_cursor *c)
{
	struct nsk_cpu_ring *r = c->ring;

	r->toff = c->toff;
	smp_store_release(&r->tail, c->tail);
}
