// SPDX-License-Identifier: GPL-2.0
/*
 * Compact records: the drain's dictionary of descriptions within one batch.
 *
 * Most of a 160-byte struct nsk_event is its description: the packet tuple,
 * netns, task, comm, inode and socket tuple (everything but probe, cpu, ts,
 * ids, flags, ctx, len, aux, seq and payload).  Along a journey, and across
 * the datagrams of one flow, those bytes repeat: on the loopback UDP load of
 * `make bench` a batch holds a handful of distinct descriptions for ~95
 * events.  So the drain, while it copies a batch (nsk_drain.c), remembers
 * where in the message it put each full event, by a hash of its description;
 * an event whose description is byte-for-byte that of an earlier one in the
 * same batch goes out as a struct nsk_stage that names it: 56 bytes, or 40
 * when its aux, seq and payload are 0 (the short stage).  The
 * reader rebuilds the event exactly (the UAPI header).
 *
 * Why here and not in the handler: the handler would need to know what the
 * reader already has, which is per batch and per reader; the drain knows it
 * for free, in process context, and the traced path does not change.
 *
 * Exact by construction: a match is confirmed by comparing every byte of the
 * description, so a hash collision only costs a full
 * record.  Slots of earlier batches are invalid (generation number), so a
 * reference never leaves its batch.
 */

#include <linux/hash.h>
#include <linux/string.h>
#include "nsk.h"

/*
 * The description, as 64-bit words of struct nsk_event (whole words: the
 * addresses, netns+pid, comm, sk_ino+ports, the socket's addresses) and the
 * fields that share a word with what a stage carries itself (the ports,
 * family, proto beside flags and ctx; tid beside len; reason beside aux).
 * Written out, not looped over a mask: this runs for every record.
 */
#define W(e, i)	(((const u64 *)(e))[i])

#define NSK_DESC_SLOTS	(1U << NSK_DESC_BITS)
#define NSK_DESC_PROBES	4	/* slots tried from a description's home slot */

void nsk_desc_init(void)
{
	BUILD_BUG_ON(sizeof(struct nsk_event) != 160);
	BUILD_BUG_ON(offsetof(struct nsk_event, saddr) != 4 * 8);
	BUILD_BUG_ON(offsetof(struct nsk_event, daddr) != 6 * 8);
	BUILD_BUG_ON(offsetof(struct nsk_event, sport) != 8 * 8);
	BUILD_BUG_ON(offsetof(struct nsk_event, flags) != 8 * 8 + 6);
	BUILD_BUG_ON(offsetof(struct nsk_event, netns) != 9 * 8);
	BUILD_BUG_ON(offsetof(struct nsk_event, pid) != 9 * 8 + 4);
	BUILD_BUG_ON(offsetof(struct nsk_event, tid) != 10 * 8);
	BUILD_BUG_ON(offsetof(struct nsk_event, comm) != 11 * 8);
	BUILD_BUG_ON(offsetof(struct nsk_event, reason) != 13 * 8);
	BUILD_BUG_ON(offsetof(struct nsk_event, sk_ino) != 14 * 8);
	BUILD_BUG_ON(offsetof(struct nsk_event, sk_laddr) != 15 * 8);
	BUILD_BUG_ON(offsetof(struct nsk_event, seq) != 19 * 8);
	BUILD_BUG_ON(sizeof(struct nsk_stage) % 8);
	BUILD_BUG_ON(NSK_STAGE_SHORT_SIZE != offsetof(struct nsk_stage, aux) ||
		     NSK_STAGE_SHORT_SIZE % 8);
	BUILD_BUG_ON(NSK_BATCH_BYTES / NSK_STAGE_SHORT_SIZE > U16_MAX);	/* ref */
}

void nsk_desc_batch(struct nsk_desc_dict *d)
{
	if (++d->gen == 0) {			/* wrapped: no stale slot may match */
		memset(d->slot, 0, sizeof(d->slot));
		d->gen = 1;
	}
}

static unsigned int nsk_desc_slot(const struct nsk_event *ev)
{
	/* what varies between flows and tasks: addresses, ports, netns+pid, inode */
	u64 h = W(ev, 4) ^ W(ev, 6) ^ W(ev, 9) ^ W(ev, 14) ^
		((u64)ev->sport << 16 | ev->dport);

	return hash_64(h, NSK_DESC_BITS);
}

static __always_inline bool nsk_desc_same(const struct nsk_event *a,
					  const struct nsk_event *b)
{
	u64 d;

	d = (W(a, 4) ^ W(b, 4)) | (W(a, 5) ^ W(b, 5)) |		/* saddr */
	    (W(a, 6) ^ W(b, 6)) | (W(a, 7) ^ W(b, 7)) |		/* daddr */
	    (W(a, 9) ^ W(b, 9)) |				/* netns, pid */
	    (W(a, 11) ^ W(b, 11)) | (W(a, 12) ^ W(b, 12)) |	/* comm */
	    (W(a, 14) ^ W(b, 14)) |				/* sk_ino, sk ports */
	    (W(a, 15) ^ W(b, 15)) | (W(a, 16) ^ W(b, 16)) |	/* sk_laddr */
	    (W(a, 17) ^ W(b, 17)) | (W(a, 18) ^ W(b, 18));	/* sk_raddr */
	d |= (a->sport ^ b->sport) | (a->dport ^ b->dport) |
	     (a->family ^ b->family) | (a->proto ^ b->proto) |
	     (a->tid ^ b->tid) | (a->reason ^ b->reason);
	return !d;
}

/*
 * The description the same probe's last event had is tried first: a ring
 * holds the stages of one flow's packets one after the other (a datagram's
 * sixteen records on the loopback load, each probe once), so a probe's next
 * event mostly describes what its last one did, and that skips the hash.
 * (Trying the ring's last description mostly missed there: consecutive
 * records are different stages, whose descriptions differ in task, socket or
 * tuple direction; docs/performance.md.)  A slot taken over by another
 * description since is caught by the compare like any other miss.
 */
int nsk_desc_find(struct nsk_desc_dict *d, const struct nsk_event *ev,
		  unsigned int *slot)
{
	unsigned int p = ev->probe < __NSK_PROBE_MAX ? ev->probe : 0;
	const struct nsk_desc_slot *s = d->by_probe[p];

	unsigned int h, i;

	if (s && s->gen == d->gen && nsk_desc_same(ev, s->ev))
		return s->idx;
	/*
	 * Linear probing over a few slots: two descriptions of one batch
	 * whose hashes collide would otherwise evict each other at every
	 * event and both go out in full each time.  The first free slot met
	 * is where a miss is added; with none, the home slot is replaced.
	 */
	h = nsk_desc_slot(ev);
	*slot = h;
	for (i = 0; i < NSK_DESC_PROBES; i++) {
		unsigned int j = (h + i) & (NSK_DESC_SLOTS - 1);

		s = &d->slot[j];
		if (s->gen != d->gen) {
			*slot = j;
			return -1;
		}
		if (nsk_desc_same(ev, s->ev)) {
			d->by_probe[p] = s;
			return s->idx;
		}
	}
	return -1;
}

void nsk_desc_add(struct nsk_desc_dict *d, unsigned int slot,
		  const struct nsk_event *in_msg, u16 idx)
{
	unsigned int p = in_msg->probe < __NSK_PROBE_MAX ? in_msg->probe : 0;

	d->slot[slot].gen = d->gen;
	d->slot[slot].idx = idx;
	d->slot[slot].ev = in_msg;
	d->by_probe[p] = &d->slot[slot];
}
