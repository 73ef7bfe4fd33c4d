/* SPDX-License-Identifier: GPL-2.0 */
/*
 * netstack_kmon internal interfaces.
 *
 * Files, in data-flow order:
 *   nsk_probes.c  the probe table (one row per probe point) and the handlers
 *   nsk_emit.c    shared handler logic: parse, filter, sample, write a record
 *   nsk_ids.c     pointer ids (keyed SipHash), computed by the drain
 *   nsk_ring.c    per-CPU single-producer rings, written in place
 *   nsk_drain.c   the drain: rings to netlink, one copy
 *   nsk_genl.c    generic netlink family: policies, commands, messages
 *   nsk_main.c    module parameters, start/stop state machine, init/exit
 */
#ifndef NSK_H
#define NSK_H

#include <linux/types.h>
#include <linux/hash.h>
#include <linux/percpu.h>
#include <linux/skbuff.h>
#include <linux/kprobes.h>
#include <linux/tracepoint.h>
#include <net/genetlink.h>
#include <uapi/linux/netstack_kmon.h>

#define NSK_RING_KB_DEFAULT	2048
#define NSK_DRAIN_MS_DEFAULT	5
/*
 * Records per netlink message: the payload is kept under 16 KiB so the skb
 * data (payload + headers + skb_shared_info) fits an order-2 allocation.
 */
#define NSK_BATCH_BYTES		(15 * 1024)

/* --- configuration (nsk_main.c) ------------------------------------------ */

/*
 * Filters and sampling.  Written only by the control path while no probe is
 * attached (CONFIG is refused with -EBUSY while collecting), read by handlers
 * while collecting: no lock is needed, the attach/detach of the probes orders
 * the accesses.
 */
struct nsk_config {
	bool has_proto, has_port, has_addr, has_pid, has_netns;
	u8 proto;
	u16 port;
	u8 addr_family;
	u8 addr_prefix;
	u8 addr[16];
	u32 pid;
	u32 netns;
	u32 sample;		/* keep 1 flow in sample; 0 or 1 = all */
	bool has_budget;
	u32 budget;		/* governor: records/s per CPU, 0 = off */
};

extern struct nsk_config nsk_cfg;
extern unsigned int nsk_ring_kb;
extern unsigned int nsk_drain_ms;

/* --- per-CPU counters ------------------------------------------------------ */

/* Written by handlers on their own CPU (this_cpu_inc: IRQ/NMI safe on x86). */
struct nsk_pcpu {
	u64 hits;
	u64 written;
	u64 ring_full;
	u64 filtered;
	u64 sampled_out;
	u64 nmi_refused;	/* hits in NMI context, refused before the ring */
	u64 probe_hits[__NSK_PROBE_MAX];
};
DECLARE_PER_CPU(struct nsk_pcpu, nsk_pcpu);

/* Written only by the drain (one at a time), read by status. */
struct nsk_drain_stats {
	u64 sent;		/* records handed to netlink == next sequence number */
	u64 netlink_fail;	/* records in batches that were not delivered */
	u64 batches;
};
extern struct nsk_drain_stats *nsk_dstats;	/* [nr_cpu_ids] */

/* --- probes (nsk_probes.c) ------------------------------------------------- */

struct nsk_probe_info {
	u32 id;
	const char *name;
	u32 kind;
	u32 path;
	bool attached;
	int error;
	const char *target;
	const char *note;
	u64 missed;
};

/* --- function-entry probes through an ftrace callback (nsk_fentry.c) ------- */

struct pt_regs;
struct nsk_fentry {
	/*
	 * Called as the kprobe's pre_handler would be, with interrupts off
	 * ("Interrupts off" below): the callback calls it directly, one
	 * indirect call per hit (docs/performance.md).
	 */
	kprobe_pre_handler_t handler;
	struct kprobe *kp;	/* the handler's first argument */
	atomic_long_t missed;	/* hits the recursion guard refused */
};

bool nsk_fentry_available(void);
/* Add a function to the callback's filter; -ENOENT: no such symbol. */
int nsk_fentry_add(struct nsk_fentry *fe, const char *sym);
int nsk_fentry_register(void);		/* after every nsk_fentry_add() */
void nsk_fentry_unregister(void);	/* no callback runs after it returns */
void nsk_fentry_exit(void);		/* module exit */

extern bool nsk_kprobes_only;

int nsk_probes_select(const char *list);	/* probes= (load time): count or -errno */
int nsk_probes_attach(void);	/* attaches what it can; never fails the load */
/* How long each wait of a detach took (ns), for the "stopped" log line. */
struct nsk_detach_times {
	u64 tp_unregister, ftrace, kprobes, tracepoints;
	unsigned int nkprobes, ntracepoints;
};
/* returns when no handler runs any more; @t (may be NULL): where the time went */
void nsk_probes_detach(struct nsk_detach_times *t);
unsigned int nsk_probes_count(void);
/* runtime: false while a start or stop changes the probes (table fields only) */
void nsk_probe_info(unsigned int idx, struct nsk_probe_info *out, bool runtime);

/* --- emit (nsk_emit.c) ----------------------------------------------------- */

int nsk_emit_init(void);
/* START (before attaching) and STOP (after detaching): process context only */
void nsk_emit_start(const struct nsk_config *c);
void nsk_emit_stop(void);
/*
 * What a probe point may assume about its skb (nsk_emit's pf argument):
 * NSK_PF_EARLY: skb->data is at the network header, whose offset is not set
 *               yet (netif_receive_skb, ip_rcv);
 * NSK_PF_DEV:   skb->dev is valid.  It is not once UDP queued the skb: UDP
 *               reuses the field as dev_scratch.
 */
#define NSK_PF_EARLY	0x1
#define NSK_PF_DEV	0x2
#define NSK_PF_NOPKT	0x4	/* no network header yet (ip_queue_xmit, ip6_xmit) */
#define NSK_PF_OWN_LEN	0x8	/* the record's len is the probe's, not skb->len */
#define NSK_PF_SKB_SK	0x10	/* no socket argument: identify skb->sk (drops) */
#define NSK_PF_MEM	0x20	/* the skb is offered to sk's receive queue: NSK_EF_MEM */

/*
 * Interrupts off.  Every handler describes and writes its record with
 * interrupts off (nsk_emit_rec; the filter and sampling decision before it
 * need not), so on one CPU there is one writer at a time: the ring's producer
 * side (nsk_ring.c) needs no atomic operation.  Only an NMI handler could
 * still nest between a reserve and its commit: so a hit in NMI context is
 * refused before it touches the ring or the pair slots, and counted
 * (nmi_refused; nsk_emit.c, nsk_nmi_refused).  A softirq that runs when interrupts come back on
 * still hits the probes: function-entry probes are ftrace callbacks, which
 * nest across contexts (nsk_fentry.c); the kprobe fallback allows one
 * current kprobe per CPU, and what it skips is counted (nmissed).
 */

void nsk_emit(u16 probe, struct sk_buff *skb, struct sock *sk, unsigned int pf,
	      u32 reason, u32 aux);
void nsk_emit_len(u16 probe, struct sk_buff *skb, struct sock *sk, u32 len);
void nsk_emit_seq(u16 probe, struct sock *sk, u32 seq, u32 bytes);
void nsk_emit_drop(u16 probe, struct sk_buff *skb, struct sock *sk,
		   void *location, u32 reason, bool has_reason, unsigned int pf);

/*
 * Probe pairs whose second half must not touch the skb: the driver may have
 * freed it once its transmit returned (net_dev_xmit), GRO once it merged it
 * (napi_gro_receive_exit, which does not even pass it).  The first half keeps
 * its description per CPU (a few deep, for nesting: a tunnel's transmit
 * inside another's); the second half is that description at its own time,
 * filtered and sampled like the first (same tuple, same decision).
 */
enum nsk_pair_kind { NSK_PAIR_GRO, NSK_PAIR_XMIT, __NSK_PAIR_MAX };
void nsk_emit_pair_first(u16 probe, struct sk_buff *skb, unsigned int pf,
			 enum nsk_pair_kind kind);
/* skb: the first half's skb, or NULL for the latest first half (GRO) */
void nsk_emit_pair_second(u16 probe, const void *skb, enum nsk_pair_kind kind,
			  u32 reason, u32 aux, u32 len);

/* --- identifiers (nsk_ids.c) --------------------------------------------- */

void nsk_ids_init(void);		/* module load: the key */
u64 nsk_ptr_id(u64 ptr);		/* 0 for NULL */
#define NSK_ID_CACHE_BITS	8
struct nsk_id_cache {			/* one per ring's drain */
	u64 ptr[1 << NSK_ID_CACHE_BITS];
	u64 id[1 << NSK_ID_CACHE_BITS];
};
u64 nsk_ptr_id_fill(struct nsk_id_cache *c, unsigned int i, u64 ptr);
/* ptr's id through the cache: a hit is inline (the drain asks twice a record) */
static inline u64 nsk_ptr_id_cached(struct nsk_id_cache *c, u64 ptr)
{
	unsigned int i = hash_64(ptr, NSK_ID_CACHE_BITS);

	/* a slot never holds pointer 0 with an id: 0's id is 0 either way */
	if (likely(c->ptr[i] == ptr))
		return c->id[i];
	return nsk_ptr_id_fill(c, i, ptr);
}

/* --- compact records: descriptions within a batch (nsk_desc.c) ----------- */

#define NSK_DESC_BITS	6
struct nsk_desc_dict {			/* one per ring's drain */
	u32 gen;			/* the batch being built; slots of others are empty */
	struct nsk_desc_slot {
		u32 gen;
		u16 idx;		/* the event's index in its batch */
		const struct nsk_event *ev;	/* the event, in the message */
	} slot[1 << NSK_DESC_BITS];
	/* per probe: the slot its last event matched or was added to */
	const struct nsk_desc_slot *by_probe[__NSK_PROBE_MAX];
};
void nsk_desc_init(void);		/* module load */
void nsk_desc_batch(struct nsk_desc_dict *d);	/* a new batch: forget the last */
/* index of an event of this batch with ev's description, or -1 (then *slot
 * is where nsk_desc_add() puts ev) */
int nsk_desc_find(struct nsk_desc_dict *d, const struct nsk_event *ev,
		  unsigned int *slot);
void nsk_desc_add(struct nsk_desc_dict *d, unsigned int slot,
		  const struct nsk_event *in_msg, u16 idx);
/*
 * The bytes ev takes as a stage: the short stage when aux, seq and payload
 * are 0 (record version 3, the UAPI header).
 */
static inline unsigned int nsk_stage_size(const struct nsk_event *ev)
{
	return ev->aux | ev->seq | ev->payload ? sizeof(struct nsk_stage)
					       : NSK_STAGE_SHORT_SIZE;
}
/* write ev as a stage of size bytes (nsk_stage_size) naming event ref */
static inline void nsk_stage_from_event(struct nsk_stage *st,
					const struct nsk_event *ev, u16 ref,
					unsigned int size)
{
	st->hdr.type = NSK_REC_STAGE;
	st->hdr.size = size;
	st->probe = ev->probe;
	st->cpu = ev->cpu;
	st->ts_ns = ev->ts_ns;
	st->skb_id = ev->skb_id;
	st->sk_id = ev->sk_id;
	st->flags = ev->flags;
	st->ctx = ev->ctx;
	st->ref = ref;
	st->len = ev->len;
	if (size == NSK_STAGE_SHORT_SIZE)
		return;			/* aux, seq, payload are 0: not sent */
	st->aux = ev->aux;
	st->seq = ev->seq;
	st->payload = ev->payload;
	st->pad = 0;
}

/* --- per-CPU rings (nsk_ring.c) ------------------------------------------ */

int nsk_ring_alloc(void);	/* START: a ring per online CPU (and hotplug) */
void nsk_ring_free(void);	/* STOP, after the final drain */
bool nsk_ring_active(void);
void nsk_ring_deactivate(void);
#define NSK_REC_ALIGN	8	/* every record starts 8-byte aligned in a ring */

/* One CPU's ring (the protocol between its two sides: top of nsk_ring.c). */
struct nsk_cpu_ring {
	u8 *data;		/* NULL: no ring on this CPU */
	u32 size;		/* bytes, a multiple of 8 */
	/* producer: this CPU's writers, interrupts off */
	u32 hoff;		/* head modulo size */
	u32 next_hoff;		/* hoff after the reserved record's commit */
	bool busy;		/* between reserve and commit */
	u64 next_head;		/* head after the reserved record's commit */
	u64 head;		/* bytes committed (release store) */
	/* consumer: the drain of this ring, own cache line */
	u64 tail ____cacheline_aligned;	/* bytes consumed (release store) */
	u32 toff;		/* tail modulo size */
};
DECLARE_PER_CPU_SHARED_ALIGNED(struct nsk_cpu_ring, nsk_rings);

/*
 * Producer: this CPU, interrupts off, not NMI (nsk_emit.c).  Inline: every
 * kept hit reserves and commits once, and as calls the pair cost a third of
 * the ring's instructions (docs/performance.md).
 *
 * Reserve `size` bytes for a record in this CPU's ring.  NULL: no room (or no
 * ring, or a nested writer); the caller counts it.
 */
static __always_inline void *nsk_ring_reserve(unsigned int size)
{
	struct nsk_cpu_ring *r = this_cpu_ptr(&nsk_rings);
	u32 need = ALIGN(size, NSK_REC_ALIGN), off, pad = 0;
	u8 *data = READ_ONCE(r->data);
	u64 tail;

	if (unlikely(!data || r->busy))
		return NULL;
	off = r->hoff;
	if (unlikely(off + need > r->size))
		pad = r->size - off;	/* starts again at 0 */
	/* the consumer has read everything below tail: those bytes are free */
	tail = smp_load_acquire(&r->tail);
	if (unlikely(r->head + pad + need - tail > r->size))
		return NULL;
	if (unlikely(pad)) {
		/* a zero header: "wrap" (pad >= 8, every offset is aligned) */
		memset(data + off, 0, sizeof(struct nsk_rec_hdr));
		off = 0;
	}
	r->busy = true;
	r->next_head = r->head + pad + need;
	r->next_hoff = off + need == r->size ? 0 : off + need;
	return data + off;
}

/* Publish the record reserved last on this CPU. */
static __always_inline void nsk_ring_commit(void)
{
	struct nsk_cpu_ring *r = this_cpu_ptr(&nsk_rings);

	r->hoff = r->next_hoff;
	smp_store_release(&r->head, r->next_head);
	r->busy = false;
}

/* consumer: one at a time per ring (nsk_drain.c) */
struct nsk_ring_cursor {
	struct nsk_cpu_ring *ring;
	const u8 *data;		/* the ring's area and its size, for the */
	u32 size;		/* inline nsk_ring_read_next */
	u64 tail, head;
	u32 toff;
};
bool nsk_ring_has_records(int cpu);
u64 nsk_ring_unread_bytes(int cpu);
void nsk_ring_read_begin(int cpu, struct nsk_ring_cursor *c);
const struct nsk_rec_hdr *nsk_ring_read_broken(struct nsk_ring_cursor *c);

/*
 * The next record (valid until nsk_ring_read_end), or NULL at the head.  The
 * cursor moves past it.  Inline: the drain calls it for every record.
 */
static inline const struct nsk_rec_hdr *nsk_ring_read_next(struct nsk_ring_cursor *c)
{
	const struct nsk_rec_hdr *h;
	u32 len;

	if (c->tail == c->head)
		return NULL;
	h = (const void *)(c->data + c->toff);
	if (h->type == NSK_REC_UNSPEC) {
		/* wrap marker: the rest of the area is padding */
		c->tail += c->size - c->toff;
		c->toff = 0;
		if (c->tail == c->head)
			return NULL;
		h = (const void *)c->data;
	}
	len = ALIGN(h->size, NSK_REC_ALIGN);
	if (unlikely(h->size < sizeof(*h) || len > c->head - c->tail))
		return nsk_ring_read_broken(c);
	c->tail += len;
	c->toff += len;
	if (c->toff == c->size)
		c->toff = 0;
	return h;
}
void nsk_ring_read_unget(struct nsk_ring_cursor *c, const struct nsk_rec_hdr *h);
void nsk_ring_read_end(struct nsk_ring_cursor *c);

/* --- drain (nsk_drain.c) -------------------------------------------------- */

int nsk_drain_init(void);	/* module load: the drain's workqueue */
void nsk_drain_exit(void);
int nsk_drain_start(void);	/* allocates the rings */
void nsk_drain_stop(void);	/* final drain, frees; after the probes are detached */

/* --- netlink (nsk_genl.c) -------------------------------------------------- */

extern struct genl_family nsk_genl_family;
int nsk_genl_init(void);
void nsk_genl_exit(void);
/*
 * One batch of records, copied by the drain straight into the message: into
 * a page of the drain's (nsk_drain.c, the batch pages) that the message
 * carries as its one fragment, behind the headers in its small linear part.
 */
#define NSK_BATCH_ORDER		2	/* pages of 2^order hold NSK_BATCH_BYTES */
struct nsk_batch {
	struct sk_buff *msg;
	void *hdr;
	struct nlattr *count_attr, *recs_attr;
	struct page *page;	/* a compound page of NSK_BATCH_ORDER */
	u8 *recs;		/* its address: room for NSK_BATCH_BYTES */
	u32 count;
	size_t len;
};
int nsk_genl_batch_begin(struct nsk_batch *b, u32 cpu, u64 seq, struct page *page);
/* consumes b->msg; the message takes a reference of its own to b->page */
int nsk_genl_batch_send(struct nsk_batch *b);
void nsk_genl_send_stopped(void);

/* --- overhead governor (nsk_governor.c) ------------------------------------ */

extern u32 nsk_sample_eff;	/* effective 1/N, read by handlers */
extern unsigned int nsk_budget_param;
int nsk_gov_start(const struct nsk_config *c);
void nsk_gov_tick(void);	/* drain context */
void nsk_gov_exit(void);
u32 nsk_gov_budget_now(void);
u32 nsk_gov_changes_now(void);
void nsk_genl_send_governor(u64 ts, u32 from, u32 to, u64 rate, u32 budget);

/* --- state machine (nsk_main.c) ------------------------------------------- */

/* START/STOP record a transition and queue the heavy part (nsk_main.c) */
int nsk_start(u32 portid, const struct nsk_config *before,
	      struct netlink_ext_ack *extack);
int nsk_stop(struct netlink_ext_ack *extack);
bool nsk_collecting(void);	/* running */
bool nsk_busy(void);		/* not idle: starting, running or stopping */
u8 nsk_state_now(void);		/* enum nsk_state */
u64 nsk_collection_now(void);
int nsk_start_result(const char **msg);	/* under nsk_ctl_lock */
u64 nsk_start_ts(void);
u64 nsk_stop_ts(void);
extern struct mutex nsk_ctl_lock;	/* serialises transitions/config/status; held briefly */

#endif /* NSK_H */
