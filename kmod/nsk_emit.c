// SPDX-License-Identifier: GPL-2.0
/*
 * Shared handler logic, written once: decide, then describe and store.
 *   decide:   a view of the packet and socket tuples where they lie (no copy),
 *             the filter (reading the addresses, netns or pid only when it
 *             asks for them), the flow-sampling decision;
 *   describe: what only a kept record needs: the record zeroed, its tuples
 *             copied from the view, clock, task, comm, inode, netns, length;
 *   store:    one record into this CPU's ring.
 * A hit the filter or the sampler rejects costs the header walk and the
 * decision, not a record ("decide before describing", docs/performance.md).
 *
 * Runs in any context (task, softirq, hardirq; an NMI hit is refused and
 * counted: nsk_nmi_refused) with preemption off.
 * Rules: no sleeping, no allocation, no lock, bounded work.  Every byte read
 * from an skb is bounds-checked against its linear area; every pointer read
 * from a socket is one the traced function was handed.
 */

#include <linux/siphash.h>
#include <linux/random.h>
#include <linux/jump_label.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/tcp.h>
#include <linux/in.h>
#include <linux/net.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <net/sock.h>
#include <net/inet_sock.h>
#include <net/ip.h>
#include <net/net_namespace.h>
#include "nsk.h"

/*
 * The sampling key, drawn at every load.  The sampling decision needs no
 * uniqueness, only a keyed, uniform, direction-independent value: hsiphash
 * (SipHash-1-3 on 64-bit kernels, HalfSipHash on 32-bit), about half the
 * rounds of the pointer ids' SipHash-2-4 (nsk_ids.c), keyed so a flow cannot
 * choose its own fate.
 */
static hsiphash_key_t nsk_flow_key __read_mostly;

/*
 * On while the collection has a filter: enabled at START before the probes
 * are attached, disabled at STOP after they are detached (process context,
 * under nsk_ctl_lock; never from a handler).  Off, a handler skips the
 * filter and everything only the filter reads.
 */
static DEFINE_STATIC_KEY_FALSE(nsk_filter_on);

int nsk_emit_init(void)
{
	nsk_ids_init();
	get_random_bytes(&nsk_flow_key, sizeof(nsk_flow_key));
	return 0;
}

/*
 * TCP: sequence number, data bytes, flags and GSO segment count of the
 * segment whose header is at th.  ip_payload is the IP layer's length of
 * header + data when the IP header says it (0: derive it from skb->len,
 * e.g. before the IP header exists).
 */
static void nsk_parse_tcp(struct nsk_event *ev, const struct sk_buff *skb,
			  const unsigned char *th, unsigned int ip_payload,
			  const unsigned char *lo, const unsigned char *hi)
{
	const struct tcphdr *t = (const struct tcphdr *)th;
	unsigned int doff, end, start;

	if (th < lo || th + sizeof(*t) > hi)
		return;
	doff = t->doff * 4;
	if (doff < sizeof(*t))
		return;
	if (ip_payload) {
		ev->payload = ip_payload > doff ? ip_payload - doff : 0;
	} else if (lo == skb->head) {
		/* offsets from head: works whether data is before or past th */
		end = skb_headroom(skb) + skb->len;
		start = (th - skb->head) + doff;
		ev->payload = end > start ? end - start : 0;
	} else {
		ev->payload = 0; /* a header copy without the IP length (jumbogram) */
	}
	ev->seq = ntohl(t->seq);
	if (!ev->aux)
		ev->aux = ((const u8 *)t)[13] |
			  (u32)max_t(u16, 1, skb_shinfo(skb)->gso_segs) << 16;
	ev->flags |= NSK_EF_SEQ;
}

/*
 * What the decision reads of a hit, where it lies: the packet's tuple as
 * pointers into its headers (the skb's linear area, or @copy when the driver
 * left them in page fragments) and the socket's ports.  A hit that the filter
 * or the sampler rejects reads nothing more and builds no record: nothing is
 * zeroed, no address is copied.  A kept hit's record is filled from the view
 * (nsk_fill_tuples): the headers are parsed once either way.
 *
 * Only pkt, ports and sk are set for every hit; each other field is valid
 * when its flag says so.
 */
/* IPv4 with options (60) or IPv6 (40), then a TCP header without options */
#define NSK_HDR_COPY 80

struct nsk_view {
	bool pkt;			/* an IP header: family, proto, addresses */
	bool ports;			/* sport/dport from a UDP/UDP-Lite/TCP header */
	u8 family, proto;		/* the packet's; without one, the socket's */
	u16 sport, dport;		/* 0 without ports (as the record has them) */
	const u8 *saddr, *daddr;	/* 4 (AF_INET) or 16 (AF_INET6) bytes */
	const unsigned char *th;	/* with ports: the transport header */
	const unsigned char *lo, *hi;	/* the readable headers */
	unsigned int ip_payload;	/* IP's length of transport header + data, 0 unknown */
	const struct sock *sk;		/* an AF_INET/AF_INET6 socket, else NULL */
	u16 sock_family, sock_lport, sock_rport;
	unsigned char copy[NSK_HDR_COPY];
};

/*
 * The packet tuple.  Early receive probes (netif_receive_skb, ip_rcv) see
 * skb->data at the network header before the network header offset is set;
 * later probes use the recorded network header offset.
 */
static void nsk_view_pkt(struct nsk_view *v, const struct sk_buff *skb,
			 bool early)
{
	const unsigned char *head = skb->head;
	const unsigned char *tail = skb_tail_pointer(skb);
	const unsigned char *nh;
	const unsigned char *th = NULL;
	unsigned int ip_payload = 0;
	u8 proto;

	if (skb->protocol != htons(ETH_P_IP) &&
	    skb->protocol != htons(ETH_P_IPV6))
		return;
	/* a fresh skb's network header offset is 0 (or ~0): not an IP header */
	if (!early && (!skb->network_header ||
		       skb->network_header == (typeof(skb->network_header))~0U))
		return;
	nh = early ? skb->data : skb_network_header(skb);
	if (early && skb_headlen(skb) < NSK_HDR_COPY && skb->len > skb_headlen(skb)) {
		/*
		 * The driver left the headers in page fragments (virtio_net's
		 * mergeable buffers before GRO pulls them): copy them out.
		 */
		unsigned int n = min_t(unsigned int, skb->len, NSK_HDR_COPY);

		if (skb_copy_bits(skb, 0, v->copy, n))
			return;
		head = v->copy;
		nh = v->copy;
		tail = v->copy + n;
	}
	if (nh < head || nh >= tail)
		return;

	if (skb->protocol == htons(ETH_P_IP)) {
		const struct iphdr *iph = (const struct iphdr *)nh;
		unsigned int ihl;

		if (nh + sizeof(*iph) > tail || iph->version != 4)
			return;
		ihl = iph->ihl * 4;
		if (ihl < sizeof(*iph))
			return;
		v->family = AF_INET;
		proto = iph->protocol;
		v->saddr = (const u8 *)&iph->saddr;
		v->daddr = (const u8 *)&iph->daddr;
		if (!(iph->frag_off & htons(IP_OFFSET)))
			th = nh + ihl;
		if (ntohs(iph->tot_len) > ihl)
			ip_payload = ntohs(iph->tot_len) - ihl;
	} else {
		const struct ipv6hdr *ip6 = (const struct ipv6hdr *)nh;

		if (nh + sizeof(*ip6) > tail || ip6->version != 6)
			return;
		v->family = AF_INET6;
		proto = ip6->nexthdr;	/* extension headers: ports unknown */
		v->saddr = (const u8 *)&ip6->saddr;
		v->daddr = (const u8 *)&ip6->daddr;
		th = nh + sizeof(*ip6);
		ip_payload = ntohs(ip6->payload_len);	/* 0: jumbogram */
	}
	v->proto = proto;
	v->pkt = true;
	if (th && (proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE ||
		   proto == IPPROTO_TCP) && th + 4 <= tail) {
		const __be16 *ports = (const __be16 *)th;

		v->ports = true;
		v->sport = ntohs(ports[0]);
		v->dport = ntohs(ports[1]);
		v->th = th;
		v->lo = head;
		v->hi = tail;
		v->ip_payload = ip_payload;
	}
}

/*
 * Request (NEW_SYN_RECV: a SYN-ACK leaves through ip_output with one) and
 * TIME_WAIT sockets are only a struct sock_common: the fields of struct sock
 * beyond it (sk_protocol, sk_socket) do not exist there.  Both are TCP's.
 */
static u8 nsk_sk_protocol(const struct sock *sk)
{
	return sk_fullsock(sk) ? nsk_sk_protocol_once(sk) : IPPROTO_TCP;
}

/* The socket's ports (sock_common: any socket state). */
static __always_inline void nsk_view_sock(struct nsk_view *v, const struct sock *sk)
{
	const struct inet_sock *inet = inet_sk(sk);
	u16 family = READ_ONCE(sk->sk_family);

	if (family != AF_INET && family != AF_INET6)
		return;
	if (!v->pkt) {
		v->family = family;
		v->proto = nsk_sk_protocol(sk);
	}
	v->sk = sk;
	v->sock_family = family;
	v->sock_lport = READ_ONCE(inet->inet_num);
	v->sock_rport = ntohs(READ_ONCE(inet->inet_dport));
}

/* The socket's addresses, 4 or 16 bytes of l and r (the rest untouched). */
static void nsk_sk_addrs(const struct sock *sk, u16 family, u8 *l, u8 *r)
{
	if (family == AF_INET) {
		const struct inet_sock *inet = inet_sk(sk);
		__be32 la = READ_ONCE(inet->inet_rcv_saddr);
		__be32 ra = READ_ONCE(inet->inet_daddr);

		memcpy(l, &la, 4);
		memcpy(r, &ra, 4);
	}
#if IS_ENABLED(CONFIG_IPV6)
	else {
		memcpy(l, &sk->sk_v6_rcv_saddr, 16);
		memcpy(r, &sk->sk_v6_daddr, 16);
	}
#endif
}

static __always_inline void nsk_view(struct nsk_view *v, const struct sk_buff *skb,
				     const struct sock *sk, unsigned int pf)
{
	v->pkt = false;
	v->ports = false;
	v->family = 0;
	v->proto = 0;
	v->sport = 0;
	v->dport = 0;
	v->sk = NULL;
	if (skb && !(pf & NSK_PF_NOPKT))
		nsk_view_pkt(v, skb, pf & NSK_PF_EARLY);
	if (sk)
		nsk_view_sock(v, sk);
}

/* A kept record's tuples (NSK_EF_PKT, NSK_EF_SOCK, TCP's NSK_EF_SEQ), from its view. */
static void nsk_fill_tuples(struct nsk_event *ev, const struct nsk_view *v,
			    const struct sk_buff *skb)
{
	ev->family = v->family;
	ev->proto = v->proto;
	if (v->pkt) {
		ev->flags |= NSK_EF_PKT;
		/* constant sizes: a word copy, not a byte loop */
		if (v->family == AF_INET) {
			memcpy(ev->saddr, v->saddr, 4);
			memcpy(ev->daddr, v->daddr, 4);
		} else {
			memcpy(ev->saddr, v->saddr, 16);
			memcpy(ev->daddr, v->daddr, 16);
		}
		ev->sport = v->sport;
		ev->dport = v->dport;
		if (v->ports && v->proto == IPPROTO_TCP)
			nsk_parse_tcp(ev, skb, v->th, v->ip_payload, v->lo, v->hi);
	}
	if (v->sk) {
		ev->flags |= NSK_EF_SOCK;
		ev->sk_lport = v->sock_lport;
		ev->sk_rport = v->sock_rport;
		nsk_sk_addrs(v->sk, v->sock_family, ev->sk_laddr, ev->sk_raddr);
	}
}

/*
 * Receive memory of a socket an skb is offered to (NSK_EF_MEM), as the
 * enqueue compares it (__udp_enqueue_schedule_skb, sock_queue_rcv_skb):
 * what the tool needs to size a buffer.  TCP events carry their sequence
 * numbers in the same fields and are left out.
 */
static void nsk_sock_mem(struct nsk_event *ev, const struct sock *sk,
			 const struct sk_buff *skb)
{
	if ((ev->flags & NSK_EF_SEQ) || !sk_fullsock(sk) ||
	    nsk_sk_protocol(sk) == IPPROTO_TCP)
		return;
	ev->flags |= NSK_EF_MEM;
	ev->seq = (u32)atomic_read(&sk->sk_rmem_alloc);
	ev->payload = (u32)READ_ONCE(sk->sk_rcvbuf);
	ev->aux = skb->truesize;
}

static bool nsk_prefix_match(const u8 *a, const u8 *f, unsigned int bits)
{
	unsigned int bytes = bits / 8, rem = bits % 8;

	if (memcmp(a, f, bytes))
		return false;
	if (rem) {
		u8 mask = 0xff << (8 - rem);

		return (a[bytes] & mask) == (f[bytes] & mask);
	}
	return true;
}

static inline u8 nsk_ctx(void)
{
	if (in_nmi())
		return NSK_CTX_NMI;
	if (in_hardirq())
		return NSK_CTX_HARDIRQ;
	if (in_serving_softirq())
		return NSK_CTX_SOFTIRQ;
	return NSK_CTX_TASK;
}

/* The network namespace of the socket, else of the device (NSK_PF_DEV). */
static inline u32 nsk_netns(const struct sk_buff *skb, const struct sock *sk,
			    unsigned int pf)
{
	if (sk)
		return sock_net(sk)->ns.inum;
	if (skb && (pf & NSK_PF_DEV) && skb->dev)
		return dev_net(skb->dev)->ns.inum;
	return 0;
}

/*
 * The address filter: true keeps the hit.  Out of line, so that its buffers
 * (a stack canary, five saved registers) are paid only by collections that
 * filter on an address, not by every hit of a port or protocol filter.
 */
static noinline bool nsk_filter_addr(const struct nsk_view *v,
				     const struct nsk_config *c)
{
	u8 l[16] = {}, r[16] = {};

	if (v->family != c->addr_family)
		return false;
	/* the packet's addresses are family-sized: the prefix fits */
	if (v->pkt && (nsk_prefix_match(v->saddr, c->addr, c->addr_prefix) ||
		       nsk_prefix_match(v->daddr, c->addr, c->addr_prefix)))
		return true;
	if (!v->sk)
		return false;
	nsk_sk_addrs(v->sk, v->sock_family, l, r);
	return nsk_prefix_match(l, c->addr, c->addr_prefix) ||
	       nsk_prefix_match(r, c->addr, c->addr_prefix);
}

/*
 * true: keep the hit.  Reads what each configured filter needs and nothing
 * more: the addresses, the netns and the task only when a filter asks.  The
 * pid is only known in task context; other contexts pass (documented).
 */
static __always_inline bool nsk_filter(const struct nsk_view *v,
					const struct sk_buff *skb,
					const struct sock *sk, unsigned int pf)
{
	const struct nsk_config *c = &nsk_cfg;

	if (c->has_proto && v->proto != c->proto)
		return false;
	if (c->has_port &&
	    !(v->pkt && (v->sport == c->port || v->dport == c->port)) &&
	    !(v->sk && (v->sock_lport == c->port || v->sock_rport == c->port)))
		return false;
	if (c->has_addr && !nsk_filter_addr(v, c))
		return false;
	if (c->has_netns && nsk_netns(skb, sk, pf) != c->netns)
		return false;
	if (c->has_pid && nsk_ctx() == NSK_CTX_TASK && current->tgid != c->pid)
		return false;
	return true;
}

/*
 * True when a filter of this collection rejects the hit (counted).  No
 * filter at all costs one patched-out jump, inline in each emitter; the
 * filter itself runs only when there is one.
 */
static __always_inline bool nsk_filtered_out(const struct nsk_view *v, const struct sk_buff *skb,
			     const struct sock *sk, unsigned int pf)
{
	if (!static_branch_unlikely(&nsk_filter_on))
		return false;
	if (nsk_filter(v, skb, sk, pf))
		return false;
	this_cpu_inc(nsk_pcpu.filtered);
	return true;
}

/* The socket a record identifies: a drop without one, the skb's own. */
static inline u64 nsk_sk_ptr(const struct sk_buff *skb, const struct sock *sk,
			     unsigned int pf)
{
	if (!sk && skb && (pf & NSK_PF_SKB_SK))
		sk = skb->sk;
	return (unsigned long)sk;
}

/* What flow sampling decides on: a packet's or a connected socket's tuple. */
struct nsk_flow {
	const u8 *a, *b;	/* 4 (AF_INET) or 16 bytes */
	u16 pa, pb;
	u8 family, proto;
};

/*
 * Flow-consistent sampling: true keeps the hit.  The decision is a keyed hash
 * of the flow, with the two endpoints ordered so both directions of a flow
 * agree.  Every event of a sampled flow is kept, so its journeys are
 * complete.  n > 1 is the divisor; hash % (n * 2^k) == 0 implies
 * hash % n == 0, so the governor's higher divisors keep subsets of the flows
 * of lower ones.
 *
 * Socket-only events of an unconnected socket (sendmsg, recvmsg: one socket,
 * many flows; f is NULL) have no flow to decide on: they are sampled per
 * socket (on its keyed id, the value the record's sk_id gets), so the
 * governor can shed them too.  A sampled flow on an unsampled socket then
 * lacks its sendmsg stage and the reader's pid (docs/design.md).  Nothing to
 * decide on (sk_id 0: rare end events): keep.
 */
static bool nsk_sample_keep(u32 n, const struct nsk_flow *f, u64 sk_ptr)
{
	const u8 *a, *b;
	u16 pa, pb;
	struct {
		u8 a[16], b[16];
		u16 pa, pb;
		u32 proto;
	} k;

	if (!f) {
		u64 id = nsk_ptr_id(sk_ptr);

		return !id || id % n == 0;
	}
	a = f->a; b = f->b; pa = f->pa; pb = f->pb;
	if (f->family == AF_INET) {
		/*
		 * IPv4: four words into hsiphash_4u32, ordered as the
		 * byte-wise comparison below would order them.
		 */
		__be32 xa, ya;
		u32 x, y;

		memcpy(&xa, a, 4);
		memcpy(&ya, b, 4);
		x = be32_to_cpu(xa);
		y = be32_to_cpu(ya);
		if (x > y || (x == y && pa > pb)) {
			swap(x, y);
			swap(pa, pb);
		}
		return hsiphash_4u32(x, y, (u32)pa << 16 | pb, f->proto,
				     &nsk_flow_key) % n == 0;
	}
	if (memcmp(a, b, 16) > 0 || (!memcmp(a, b, 16) && pa > pb)) {
		swap(a, b);
		swap(pa, pb);
	}
	memcpy(k.a, a, 16);
	memcpy(k.b, b, 16);
	k.pa = pa;
	k.pb = pb;
	k.proto = f->proto;
	return hsiphash(&k, sizeof(k), &nsk_flow_key) % n == 0;
}

static bool nsk_flow_sampled_out(u32 n, const struct nsk_flow *f, u64 sk_ptr)
{
	if (nsk_sample_keep(n, f, sk_ptr))
		return false;
	this_cpu_inc(nsk_pcpu.sampled_out);
	return true;
}

/* The flow sampler's decision on a view; n > 1.  true: rejected (counted). */
static noinline bool nsk_view_sampled_out(const struct nsk_view *v, u32 n,
					  const struct sk_buff *skb,
					  const struct sock *sk, unsigned int pf)
{
	struct nsk_flow f = { .family = v->family, .proto = v->proto };

	if (v->pkt) {
		f.a = v->saddr; f.b = v->daddr; f.pa = v->sport; f.pb = v->dport;
	} else if (v->sk && v->sock_rport) {
		/* a connected socket's own tuple is its packets' flow */
		u8 l[16] = {}, r[16] = {};

		nsk_sk_addrs(v->sk, v->sock_family, l, r);
		f.a = l; f.b = r; f.pa = v->sock_lport; f.pb = v->sock_rport;
		return nsk_flow_sampled_out(n, &f, 0);
	} else {
		return nsk_flow_sampled_out(n, NULL, nsk_sk_ptr(skb, sk, pf));
	}
	return nsk_flow_sampled_out(n, &f, 0);
}

/*
 * True when the flow sampler (user's 1/N or the governor's) rejects (counted).
 * Without sampling, one load and a compare on the hit's path.
 */
static __always_inline bool nsk_sampled_out(const struct nsk_view *v,
					    const struct sk_buff *skb,
					    const struct sock *sk, unsigned int pf)
{
	u32 n = READ_ONCE(nsk_sample_eff);

	return unlikely(n > 1) && nsk_view_sampled_out(v, n, skb, sk, pf);
}

/* The same decision on a record already filled (a pair's second half). */
static bool nsk_event_sampled_out(const struct nsk_event *ev)
{
	u32 n = READ_ONCE(nsk_sample_eff);
	struct nsk_flow f = { .family = ev->family, .proto = ev->proto };

	if (likely(n <= 1))
		return false;
	if (ev->flags & NSK_EF_PKT) {
		f.a = ev->saddr; f.b = ev->daddr; f.pa = ev->sport; f.pb = ev->dport;
	} else if ((ev->flags & NSK_EF_SOCK) && ev->sk_rport) {
		f.a = ev->sk_laddr; f.b = ev->sk_raddr;
		f.pa = ev->sk_lport; f.pb = ev->sk_rport;
	} else {
		return nsk_flow_sampled_out(n, NULL, 0);
	}
	return nsk_flow_sampled_out(n, &f, 0);
}

/* Task context: who runs (NSK_EF_TASK); other contexts carry no pid. */
static inline void nsk_task_ids(struct nsk_event *ev)
{
	ev->ctx = nsk_ctx();
	if (ev->ctx == NSK_CTX_TASK) {
		ev->flags |= NSK_EF_TASK;
		ev->pid = current->tgid;
		ev->tid = current->pid;
	}
}

/* Describe a kept record: its tuples from the view, then everything else. */
static void nsk_describe(struct nsk_event *ev, const struct nsk_view *v,
			 struct sk_buff *skb, struct sock *sk, unsigned int pf)
{
	nsk_fill_tuples(ev, v, skb);
	ev->cpu = smp_processor_id();
	ev->ts_ns = nsk_clock_ns();
	/* raw pointers, in the ring only: the drain turns them into ids */
	ev->skb_id = (unsigned long)skb;
	ev->sk_id = nsk_sk_ptr(skb, sk, pf);
	if (skb && (pf & NSK_PF_NOPKT) && sk &&
	    nsk_sk_protocol(sk) == IPPROTO_TCP && skb_transport_header_was_set(skb))
		/* ip_queue_xmit, ip6_xmit: TCP built its header, IP not yet */
		nsk_parse_tcp(ev, skb, skb_transport_header(skb), 0, skb->head,
			      skb_tail_pointer(skb));
	ev->netns = nsk_netns(skb, sk, pf);
	if (sk && skb && (pf & NSK_PF_MEM))
		nsk_sock_mem(ev, sk, skb);
	if (skb && !(pf & NSK_PF_OWN_LEN))
		ev->len = skb->len;
	nsk_task_ids(ev);
	if (ev->ctx == NSK_CTX_TASK) {
		/* no get_task_comm(): it takes task_lock */
		memcpy(ev->comm, current->comm, sizeof(ev->comm));
		ev->comm[sizeof(ev->comm) - 1] = 0;
		/* the syscall holds the socket: sk_socket is stable here */
		if (sk && sk_fullsock(sk)) {
			struct socket *sock = READ_ONCE(sk->sk_socket);

			if (sock)
				ev->sk_ino = SOCK_INODE(sock)->i_ino;
		}
	}
}

/*
 * NMI context: refused before anything else, counted (nmi_refused, also a
 * hit).  Every other writer stores with interrupts off, so on one CPU there
 * is one writer at a time, which is what lets the ring's producer side go
 * without atomic operations (nsk_ring.c).  Only an NMI could interrupt a
 * writer between its reserve and its commit: it would find the ring busy
 * (refused), and the pair slots (nsk_pairs), also per-CPU state guarded by
 * interrupts off, would have no such guard.  Making both NMI-safe would put
 * atomic operations on every hit for a context the traced network paths do
 * not run in; so an NMI hit is refused, counted and shown (status, the loss
 * ledger), never silently lost.
 */
static __always_inline bool nsk_nmi_refused(u16 probe)
{
	if (likely(!in_nmi()))
		return false;
	this_cpu_inc(nsk_pcpu.hits);
	this_cpu_inc(nsk_pcpu.probe_hits[probe]);
	this_cpu_inc(nsk_pcpu.nmi_refused);
	return true;
}

/* Store a kept record in this CPU's ring. */
static void nsk_store(const struct nsk_event *ev, unsigned int size)
{
	void *slot = nsk_ring_reserve(size);

	if (!slot) {
		this_cpu_inc(nsk_pcpu.ring_full);
		return;
	}
	memcpy(slot, ev, size);
	nsk_ring_commit();
	this_cpu_inc(nsk_pcpu.written);
}

/*
 * Decide: count the hit, view its tuples, filter, sample.  true: keep it.
 * The decision reads only the caller's skb and socket and touches no per-CPU
 * state but counters (this_cpu_inc: IRQ-safe), so it runs with interrupts
 * as they are, and builds nothing: the record is zeroed and described only
 * once it is kept (nsk_keep).
 */
static __always_inline bool nsk_decide(struct nsk_view *v, u16 probe,
				       struct sk_buff *skb, struct sock *sk,
				       unsigned int pf)
{
	if (nsk_nmi_refused(probe))
		return false;
	this_cpu_inc(nsk_pcpu.hits);
	this_cpu_inc(nsk_pcpu.probe_hits[probe]);
	nsk_view(v, skb, sk, pf);
	return !nsk_filtered_out(v, skb, sk, pf) &&
	       !nsk_sampled_out(v, skb, sk, pf);
}

/*
 * What the caller of a kept record says beyond the view: its kind and the
 * probe's own values.  Everything else of the record is described.
 */
struct nsk_preset {
	u16 probe;
	u8 flags;		/* NSK_EF_SEQ, NSK_EF_HAS_REASON */
	bool drop;		/* struct nsk_drop, with location */
	u32 reason, aux, len, seq, payload;
	unsigned long location;	/* drop: the text address (see nsk_emit_drop) */
};

/*
 * A kept record, written in place in this CPU's ring: reserved, zeroed,
 * described (clock included) and committed with interrupts off (nsk.h,
 * "Interrupts off"), so no copy of it is made.  A full ring is counted
 * before anything is described.  Inlined into each emitter, where the
 * preset is constants and arguments.
 */
static __always_inline void nsk_keep(const struct nsk_preset *p,
				     const struct nsk_view *v, struct sk_buff *skb,
				     struct sock *sk, unsigned int pf)
{
	unsigned int size = p->drop ? sizeof(struct nsk_drop) : sizeof(struct nsk_event);
	struct nsk_event *ev;
	unsigned long flags;

	local_irq_save(flags);
	ev = nsk_ring_reserve(size);
	if (unlikely(!ev)) {
		this_cpu_inc(nsk_pcpu.ring_full);
		local_irq_restore(flags);
		return;
	}
	/* constant sizes: a word loop, not a byte loop */
	if (p->drop) {
		struct nsk_drop *d = container_of(ev, struct nsk_drop, ev);

		memset(d, 0, sizeof(*d));
		memcpy(d->location, &p->location, sizeof(p->location));
		ev->hdr.type = NSK_REC_DROP;
	} else {
		memset(ev, 0, sizeof(*ev));
		ev->hdr.type = NSK_REC_EVENT;
	}
	ev->hdr.size = size;
	ev->probe = p->probe;
	ev->flags = p->flags;
	ev->reason = p->reason;
	ev->aux = p->aux;
	ev->len = p->len;
	ev->seq = p->seq;
	ev->payload = p->payload;
	nsk_describe(ev, v, skb, sk, pf);
	nsk_ring_commit();
	this_cpu_inc(nsk_pcpu.written);
	local_irq_restore(flags);
}

void nsk_emit(u16 probe, struct sk_buff *skb, struct sock *sk, unsigned int pf,
	      u32 reason, u32 aux)
{
	struct nsk_view v __uninitialized;	/* nsk_view() sets what is read */

	if (nsk_decide(&v, probe, skb, sk, pf)) {
		struct nsk_preset p = { .probe = probe, .reason = reason, .aux = aux };

		nsk_keep(&p, &v, skb, sk, pf);
	}
}

/* Like nsk_emit() with the probe's own length instead of skb->len. */
void nsk_emit_len(u16 probe, struct sk_buff *skb, struct sock *sk, u32 len)
{
	struct nsk_view v __uninitialized;	/* nsk_view() sets what is read */

	if (nsk_decide(&v, probe, skb, sk, NSK_PF_OWN_LEN)) {
		struct nsk_preset p = { .probe = probe, .len = len };

		nsk_keep(&p, &v, skb, sk, NSK_PF_OWN_LEN);
	}
}

/* A TCP socket event that says which bytes it moved (NSK_EF_SEQ). */
void nsk_emit_seq(u16 probe, struct sock *sk, u32 seq, u32 bytes)
{
	struct nsk_view v __uninitialized;	/* nsk_view() sets what is read */

	if (nsk_decide(&v, probe, NULL, sk, 0)) {
		struct nsk_preset p = {
			.probe = probe, .seq = seq, .payload = bytes, .flags = NSK_EF_SEQ,
		};

		nsk_keep(&p, &v, NULL, sk, 0);
	}
}

/*
 * Drops: the location is a kernel text address.  It never leaves the module
 * as a number: the handler parks it in the (not yet filled) location string
 * of the ring record and the drain, in process context, replaces it with
 * "symbol+0xoff/0xsize" (see nsk_ring.c).
 */
void nsk_emit_drop(u16 probe, struct sk_buff *skb, struct sock *sk,
		   void *location, u32 reason, bool has_reason, unsigned int pf)
{
	struct nsk_view v __uninitialized;	/* nsk_view() sets what is read */

	pf |= NSK_PF_SKB_SK;
	if (nsk_decide(&v, probe, skb, sk, pf)) {
		struct nsk_preset p = {
			.probe = probe,
			.drop = true,
			.reason = has_reason ? reason : 0,
			.flags = has_reason ? NSK_EF_HAS_REASON : 0,
			.location = (unsigned long)location,
		};

		nsk_keep(&p, &v, skb, sk, pf);
	}
}

/* --- probe pairs (nsk.h) ------------------------------------------------- */

#define NSK_PAIR_DEPTH 4

struct nsk_pair_slot {
	const void *skb;
	/*
	 * The filter rejected the first half: ev is not filled, and the
	 * second half is rejected too without a look (same tuples, same
	 * filter: the filter cannot change while collecting, and START
	 * empties the slots).  Not so for the sampler, whose divisor the
	 * governor moves: a first half the filter keeps is described in
	 * full and the second half samples again.
	 */
	bool filtered;
	struct nsk_event ev;
};

struct nsk_pair {
	unsigned int depth;
	struct nsk_pair_slot slot[NSK_PAIR_DEPTH];
};

static DEFINE_PER_CPU(struct nsk_pair, nsk_pairs[__NSK_PAIR_MAX]);

void nsk_emit_pair_first(u16 probe, struct sk_buff *skb, unsigned int pf,
			 enum nsk_pair_kind kind)
{
	struct nsk_pair *pair;
	struct nsk_pair_slot *slot;
	struct nsk_view v __uninitialized;	/* nsk_view() sets what is read */
	unsigned long flags;

	if (nsk_nmi_refused(probe))
		return;
	local_irq_save(flags);
	pair = this_cpu_ptr(&nsk_pairs[kind]);
	if (pair->depth == NSK_PAIR_DEPTH) {
		/* a first half whose second never came (not attached yet): the oldest goes */
		memmove(&pair->slot[0], &pair->slot[1],
			sizeof(pair->slot[0]) * (NSK_PAIR_DEPTH - 1));
		pair->depth--;
	}
	slot = &pair->slot[pair->depth++];
	slot->skb = skb;
	this_cpu_inc(nsk_pcpu.hits);
	this_cpu_inc(nsk_pcpu.probe_hits[probe]);
	nsk_view(&v, skb, NULL, pf);
	slot->filtered = nsk_filtered_out(&v, skb, NULL, pf);
	if (!slot->filtered) {
		memset(&slot->ev, 0, sizeof(slot->ev));
		slot->ev.hdr.type = NSK_REC_EVENT;
		slot->ev.hdr.size = sizeof(slot->ev);
		slot->ev.probe = probe;
		nsk_describe(&slot->ev, &v, skb, NULL, pf);
		if (!nsk_sampled_out(&v, skb, NULL, pf))
			nsk_store(&slot->ev, sizeof(slot->ev));
	}
	local_irq_restore(flags);
}

void nsk_emit_pair_second(u16 probe, const void *skb, enum nsk_pair_kind kind,
			  u32 reason, u32 aux, u32 len)
{
	struct nsk_pair *pair;
	struct nsk_event ev;
	unsigned long flags;
	int i;

	if (nsk_nmi_refused(probe))
		return;
	local_irq_save(flags);
	pair = this_cpu_ptr(&nsk_pairs[kind]);
	for (i = (int)pair->depth - 1; i >= 0; i--)
		if (!skb || pair->slot[i].skb == skb)
			break;
	if (i < 0) {
		/* its first half was not seen (not IP, or attached in between) */
		local_irq_restore(flags);
		return;
	}
	pair->depth = i;	/* it, and first halves nested in it that never ended */
	this_cpu_inc(nsk_pcpu.hits);
	this_cpu_inc(nsk_pcpu.probe_hits[probe]);
	if (pair->slot[i].filtered) {
		this_cpu_inc(nsk_pcpu.filtered);
		local_irq_restore(flags);
		return;
	}
	ev = pair->slot[i].ev;
	ev.probe = probe;
	ev.cpu = smp_processor_id();
	ev.ts_ns = nsk_clock_ns();
	ev.ctx = nsk_ctx();
	ev.reason = reason;
	ev.aux = aux;
	ev.len = len;
	/* the filter kept the first half, so it keeps this one */
	if (!nsk_event_sampled_out(&ev))
		nsk_store(&ev, sizeof(ev));
	local_irq_restore(flags);
}

/*
 * START, process context, before any probe is attached: the filter key for
 * this collection's filters, and no pair slot left over from the previous
 * collection (a second half must find its first half decided under the
 * same filter).
 */
void nsk_emit_start(const struct nsk_config *c)
{
	int cpu, k;

	for_each_possible_cpu(cpu)
		for (k = 0; k < __NSK_PAIR_MAX; k++)
			per_cpu_ptr(&nsk_pairs[k], cpu)->depth = 0;
	if (c->has_proto || c->has_port || c->has_addr || c->has_netns ||
	    c->has_pid)
		static_branch_enable(&nsk_filter_on);
	else
		static_branch_disable(&nsk_filter_on);
}

/* STOP, process context, after every probe is detached. */
void nsk_emit_stop(void)
{
	static_branch_disable(&nsk_filter_on);
}
