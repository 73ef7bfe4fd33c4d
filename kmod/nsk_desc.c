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
 * same batch goes out as a 56-byte struct nsk_stage that names it.  The
 * reader rebuilds the event exactly (the UAPI header).
 *
 * Why here and not in the handler: the handler would need to know what the
 * reader already has, which is per batch and per reader; the drain knows it
 * for free, in process context, and the traced path does not change.
 *
 * Exact by construction: a match is confirmed by comparing every byte of the
 * description (masked 64-bit words), so a hash collision only costs a full
 * record.  Slots of earlier batches are invalid (generation number), so a
 * reference never leaves its batch.
 */

#include <linux/hash.h>
#include <linux/string.h>
#include "nsk.h"

/* The words of struct nsk_event that hold description bytes, and which bytes. */
#define NSK_DESC_FIRST	(offsetof(struct nsk_event, saddr) / 8)
#define NSK_DESC_END	(offsetof(struct nsk_event, seq) / 8)
static u64 nsk_desc_mask[sizeof(struct nsk_event) / 8] __read_mostly;

void nsk_desc_init(void)
{
	struct nsk_event m;

	BUILD_BUG_ON(sizeof(struct nsk_event) % 8);
	BUILD_BUG_ON(offsetof(struct nsk_event, saddr) % 8);
	BUILD_BUG_ON(offsetof(struct nsk_event, seq) % 8);
	BUILD_BUG_ON(sizeof(struct nsk_stage) % 8);
	BUILD_BUG_ON(NSK_BATCH_BYTES / sizeof(struct nsk_stage) > U16_MAX);
	memset(&m, 0xff, sizeof(m));
	/* what a stage carries itself is not description */
	memset(&m.hdr, 0, sizeof(m.hdr));
	m.probe = 0;
	m.cpu = 0;
	m.ts_ns = 0;
	m.skb_id = 0;
	m.sk_id = 0;
	m.flags = 0;
	m.ctx = 0;
	m.len = 0;
	m.aux = 0;
	m.seq = 0;
	m.payload = 0;
	memcpy(nsk_desc_mask, &m, sizeof(m));
}

static inline const u64 *nsk_words(const struct nsk_event *ev)
{
	return (const u64 *)ev;
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
	const u64 *w = nsk_words(ev);
	unsigned int i;
	u64 h = 0;

	for (i = NSK_DESC_FIRST; i < NSK_DESC_END; i++)
		h ^= (w[i] & nsk_desc_mask[i]) * (2 * i + 1);
	return hash_64(h, NSK_DESC_BITS);
}

static bool nsk_desc_same(const struct nsk_event *a, const struct nsk_event *b)
{
	const u64 *x = nsk_words(a), *y = nsk_words(b);
	unsigned int i;

	for (i = NSK_DESC_FIRST; i < NSK_DESC_END; i++)
		if ((x[i] ^ y[i]) & nsk_desc_mask[i])
			return false;
	return true;
}

/*
 * The last description matched or added is tried first: consecutive records
 * of a ring are mostly one journey's or one flow's, and that skips the hash.
 */
int nsk_desc_find(struct nsk_desc_dict *d, const struct nsk_event *ev,
		  unsigned int *slot)
{
	const struct nsk_desc_slot *s = d->last;

	if (s && s->gen == d->gen && nsk_desc_same(ev, s->ev))
		return s->idx;
	*slot = nsk_desc_slot(ev);
	s = &d->slot[*slot];
	if (s->gen != d->gen || !nsk_desc_same(ev, s->ev))
		return -1;
	d->last = s;
	return s->idx;
}

void nsk_desc_add(struct nsk_desc_dict *d, unsigned int slot,
		  const struct nsk_event *in_msg, u16 idx)
{
	d->slot[slot].gen = d->gen;
	d->slot[slot].idx = idx;
	d->slot[slot].ev = in_msg;
	d->last = &d->slot[slot];
}

void nsk_stage_from_event(struct nsk_stage *st, const struct nsk_event *ev,
			  u16 ref)
{
	st->hdr.type = NSK_REC_STAGE;
	st->hdr.size = sizeof(*st);
	st->probe = ev->probe;
	st->cpu = ev->cpu;
	st->ts_ns = ev->ts_ns;
	st->skb_id = ev->skb_id;
	st->sk_id = ev->sk_id;
	st->flags = ev->flags;
	st->ctx = ev->ctx;
	st->ref = ref;
	st->len = ev->len;
	st->aux = ev->aux;
	st->seq = ev->seq;
	st->payload = ev->payload;
	st->pad = 0;
}
