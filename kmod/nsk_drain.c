// SPDX-License-Identifier: GPL-2.0
/*
 * The drain: records from the per-CPU rings (nsk_ring.c) to generic netlink.
 *
 * A tick (delayed work) wakes every nsk_drain_ms milliseconds, not per
 * record, and queues the drain work of each CPU whose ring has records on the
 * module's own unbound workqueue: a CPU saturated by traffic does not have to
 * drain its own ring, and CPU hotplug needs nothing special (a ring outlives
 * its CPU going offline and is drained from wherever the work runs).  A work
 * item never runs concurrently with itself, so each ring has one consumer at
 * a time; different CPUs' rings drain in parallel, with no lock between them.
 *
 * One copy: a drain copies records from the ring straight into the page a
 * netlink message carries them in (the batch pages, below), finishing them
 * there: the raw skb and socket pointers the handler stored become ids
 * (nsk_ids.c), a drop's location becomes a symbol (nsk_fixup_drop), and an
 * event whose description repeats one already in the message goes out as a
 * compact struct nsk_stage (nsk_desc.c), before the message can be seen by
 * anyone.  Up to NSK_BATCH_BYTES per message; then it gives the bytes back
 * to the ring and multicasts the message on the "events" group.
 * Each batch carries the CPU and the per-CPU sequence number of its first
 * record; records are numbered in ring order, so a reader that misses a batch
 * knows exactly how many records it lost.  A batch whose multicast fails (no
 * listener, a listener's socket buffer full, no memory for the message) is
 * counted in nsk_dstats[cpu].netlink_fail and its records are not retried.
 *
 * Lifetime: nsk_drain_start() allocates the rings (an idle module holds no
 * memory and runs no work); nsk_drain_stop() must be called after the probes
 * are detached and synchronised: it cancels the work, sends everything left,
 * and frees the rings.
 */

#include <linux/workqueue.h>
#include <linux/slab.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/kallsyms.h>
#include <linux/string.h>
#include "nsk.h"

static void nsk_tick_fn(struct work_struct *w);
static DECLARE_DELAYED_WORK(nsk_tick_work, nsk_tick_fn);
static struct work_struct *nsk_cpu_work;	/* [nr_cpu_ids]: drain of CPU n's ring */
static struct workqueue_struct *nsk_wq;		/* unbound, the module's own */
/*
 * The batch pages: each ring's drain writes its batches into pages of its
 * own (order NSK_BATCH_ORDER, nsk_genl.c) and reuses one as soon as no
 * message holds it any more (its count is back to the drain's one
 * reference: every reader copied the message out, and it was freed), so a
 * batch costs no 16 KiB allocation and no zeroing of it.  A page still
 * queued at a slow reader is never written; with all of them queued, the
 * batch gets a page of its own, freed with its message.  Pages are zeroed
 * once, when allocated, and a message shows only the bytes its batch wrote.
 * Not the kernel's page_pool: its recycling of skb fragments
 * (skb_mark_for_recycle) is 5.14+ and made for drivers in NAPI context;
 * a page whose count came back to one is all the reuse this needs.
 */
#define NSK_BATCH_PAGES		16
#define NSK_BATCH_GFP		(GFP_KERNEL | __GFP_COMP | __GFP_ZERO | __GFP_NOWARN)

/* [nr_cpu_ids]: what the drain of one ring keeps between its records */
static struct nsk_drain_ring {
	struct nsk_id_cache ids;
	struct nsk_desc_dict desc;
	struct page *pages[NSK_BATCH_PAGES];	/* allocated when first needed */
	unsigned int next_page;			/* where the search starts */
} *nsk_drain_rings;

/*
 * A page for the next batch: one of the ring's no message holds (*pooled),
 * else a page for this batch only (the caller drops its reference once the
 * message took its own), NULL without memory.
 */
static struct page *nsk_batch_page(struct nsk_drain_ring *d, bool *pooled)
{
	unsigned int i;

	for (i = 0; i < NSK_BATCH_PAGES; i++) {
		unsigned int j = (d->next_page + i) % NSK_BATCH_PAGES;
		struct page *p = d->pages[j];

		if (!p) {
			p = alloc_pages(NSK_BATCH_GFP, NSK_BATCH_ORDER);
			if (!p)
				break;
			d->pages[j] = p;
		}
		if (page_ref_count(p) == 1) {
			/* the readers' last put_page is before our writes */
			smp_acquire__after_ctrl_dep();
			d->next_page = (j + 1) % NSK_BATCH_PAGES;
			*pooled = true;
			return p;
		}
	}
	*pooled = false;
	return alloc_pages(NSK_BATCH_GFP, NSK_BATCH_ORDER);
}

/* STOP, after the final drain: messages still queued keep their pages. */
static void nsk_batch_pages_free(void)
{
	int cpu, i;

	for_each_possible_cpu(cpu)
		for (i = 0; i < NSK_BATCH_PAGES; i++)
			if (nsk_drain_rings[cpu].pages[i])
				put_page(nsk_drain_rings[cpu].pages[i]);
}

/* Batches per ring per wake-up before yielding the worker. */
#define NSK_DRAIN_BATCHES_PER_CPU	64

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
 * Drain one CPU's ring: up to max_batches batches.  Returns true if records
 * may be left.
 */
static bool nsk_drain_cpu(int cpu, unsigned int max_batches)
{
	struct nsk_drain_stats *ds = &nsk_dstats[cpu];
	struct nsk_id_cache *ids = &nsk_drain_rings[cpu].ids;
	struct nsk_desc_dict *desc = &nsk_drain_rings[cpu].desc;
	unsigned int b;
	bool pooled;

	for (b = 0; b < max_batches; b++) {
		const struct nsk_rec_hdr *h;
		struct nsk_ring_cursor c;
		struct nsk_batch bt;
		struct page *page;
		int err;

		nsk_ring_read_begin(cpu, &c);
		h = nsk_ring_read_next(&c);
		if (!h) {
			nsk_ring_read_end(&c);	/* a wrap marker read is consumed */
			return false;
		}
		page = nsk_batch_page(&nsk_drain_rings[cpu], &pooled);
		err = page ? nsk_genl_batch_begin(&bt, cpu, ds->sent, page) : -ENOMEM;
		nsk_desc_batch(desc);
		do {
			unsigned int size = h->size, slot = 0;
			int ref = -1;

			/* an event as the handler wrote it: compact if it can be */
			if (!err && h->type == NSK_REC_EVENT &&
			    h->size == sizeof(struct nsk_event)) {
				ref = nsk_desc_find(desc, (const void *)h, &slot);
				if (ref >= 0)
					size = nsk_stage_size((const void *)h);
			}
			if (bt.len + size > NSK_BATCH_BYTES) {
				nsk_ring_read_unget(&c, h);
				break;
			}
			if (!err && ref >= 0) {
				struct nsk_stage *st = (void *)(bt.recs + bt.len);

				nsk_stage_from_event(st, (const void *)h, ref, size);
				st->skb_id = nsk_ptr_id_cached(ids, st->skb_id);
				st->sk_id = nsk_ptr_id_cached(ids, st->sk_id);
			} else if (!err) {
				struct nsk_event *ev = (void *)(bt.recs + bt.len);

				/*
				 * Every record type starts with struct nsk_event.
				 * Fixed sizes, so the copy is a word loop, not a
				 * byte loop.
				 */
				if (h->size == sizeof(struct nsk_event))
					memcpy(ev, h, sizeof(struct nsk_event));
				else if (h->size == sizeof(struct nsk_drop))
					memcpy(ev, h, sizeof(struct nsk_drop));
				else
					memcpy(ev, h, h->size);
				ev->skb_id = nsk_ptr_id_cached(ids, ev->skb_id);
				ev->sk_id = nsk_ptr_id_cached(ids, ev->sk_id);
				if (h->type == NSK_REC_DROP)
					nsk_fixup_drop((struct nsk_drop *)ev);
				else if (h->type == NSK_REC_EVENT &&
					 h->size == sizeof(struct nsk_event))
					nsk_desc_add(desc, slot, ev, bt.count);
			}
			bt.len += size;
			bt.count++;
		} while ((h = nsk_ring_read_next(&c)));
		nsk_ring_read_end(&c);
		/* no message (no memory): the records are counted, not sent */
		if (!err)
			err = nsk_genl_batch_send(&bt);
		if (page && !pooled)
			put_page(page);		/* the message has its own reference */
		ds->sent += bt.count;
		ds->batches++;
		if (err)
			ds->netlink_fail += bt.count;
		cond_resched();
	}
	return true;
}

static void nsk_cpu_drain_fn(struct work_struct *w)
{
	int cpu = w - nsk_cpu_work;

	if (nsk_drain_cpu(cpu, NSK_DRAIN_BATCHES_PER_CPU) && nsk_ring_active())
		queue_work(nsk_wq, w);
}

/* Every nsk_drain_ms: wake the drain of each ring that has records. */
static void nsk_tick_fn(struct work_struct *w)
{
	int cpu;

	for_each_possible_cpu(cpu)
		if (nsk_ring_has_records(cpu))
			queue_work(nsk_wq, &nsk_cpu_work[cpu]);
	nsk_gov_tick();
	if (nsk_ring_active())
		queue_delayed_work(nsk_wq, &nsk_tick_work,
				   msecs_to_jiffies(nsk_drain_ms));
}

int nsk_drain_init(void)
{
	nsk_desc_init();
	nsk_wq = alloc_workqueue("netstack_kmon", WQ_UNBOUND, 0);
	return nsk_wq ? 0 : -ENOMEM;
}

void nsk_drain_exit(void)
{
	destroy_workqueue(nsk_wq);
}

int nsk_drain_start(void)
{
	int cpu, err;

	nsk_cpu_work = kcalloc(nr_cpu_ids, sizeof(*nsk_cpu_work), GFP_KERNEL);
	nsk_drain_rings = kvcalloc(nr_cpu_ids, sizeof(*nsk_drain_rings), GFP_KERNEL);
	err = nsk_cpu_work && nsk_drain_rings ? nsk_ring_alloc() : -ENOMEM;
	if (err) {
		kvfree(nsk_drain_rings);
		nsk_drain_rings = NULL;
		kfree(nsk_cpu_work);
		nsk_cpu_work = NULL;
		return err;
	}
	for_each_possible_cpu(cpu) {
		memset(&nsk_dstats[cpu], 0, sizeof(nsk_dstats[cpu]));
		INIT_WORK(&nsk_cpu_work[cpu], nsk_cpu_drain_fn);
	}
	queue_delayed_work(nsk_wq, &nsk_tick_work,
			   msecs_to_jiffies(nsk_drain_ms));
	return 0;
}

/*
 * After the final drain every record written was sent (written == sent,
 * which the tool checks as loss.unsent).  If not, say which CPU and what the
 * counters show, so records that are about to be freed unsent are at least
 * explained in the log.
 */
static void nsk_drain_check_empty(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		u64 left = nsk_ring_unread_bytes(cpu);
		u64 written = per_cpu(nsk_pcpu.written, cpu);

		if (!left && written == nsk_dstats[cpu].sent)
			continue;
		pr_notice("cpu %d: final drain left %llu bytes in the ring (written %llu, sent %llu)\n",
			  cpu, left, written, nsk_dstats[cpu].sent);
	}
}

/* Caller guarantees that no handler can run any more (probes detached). */
void nsk_drain_stop(void)
{
	int cpu;

	if (!nsk_cpu_work)
		return;
	nsk_ring_deactivate();			/* no drain requeues itself */
	cancel_delayed_work_sync(&nsk_tick_work);	/* queues no more drains */
	for_each_possible_cpu(cpu)
		cancel_work_sync(&nsk_cpu_work[cpu]);
	/* everything written before the probes were detached goes out now */
	for_each_possible_cpu(cpu)
		while (nsk_drain_cpu(cpu, UINT_MAX))
			;
	nsk_drain_check_empty();
	nsk_batch_pages_free();
	nsk_ring_free();
	kvfree(nsk_drain_rings);
	nsk_drain_rings = NULL;
	kfree(nsk_cpu_work);
	nsk_cpu_work = NULL;
}
