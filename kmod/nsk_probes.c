// SPDX-License-Identifier: GPL-2.0
/*
 * The probe table: one row per probe point.  Adding a probe is one row (and,
 * for a new argument shape, one small handler).  Kprobes try their symbol
 * candidates in order (a renamed, compiler-suffixed or inlined function falls
 * back to the next one); tracepoints are found by name among the kernel's
 * built-in tracepoints.  A probe that cannot attach is reported in status
 * with its error and never fails the start.
 *
 * Handlers are small: pick the arguments, call the shared nsk_emit*().
 * Tracepoint handler prototypes are type-checked against the kernel's own
 * trace/events headers (nsk_tp_typecheck below), so a prototype that does
 * not match this kernel fails the build instead of corrupting the stack.
 */

#include <linux/kprobes.h>
#include <linux/tracepoint.h>
#include <linux/srcu.h>
#include <linux/ptrace.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <net/sock.h>
#include <trace/events/net.h>
#include <trace/events/skb.h>
#include <trace/events/sock.h>
#include <trace/events/udp.h>
#include <linux/tcp.h>
#include "nsk.h"

/* ---- kprobe handlers ------------------------------------------------------ */

#define NSK_ARG(regs, n) ((void *)regs_get_kernel_argument(regs, n))

static inline bool nsk_is_ip(const struct sk_buff *skb)
{
	return skb && (skb->protocol == htons(ETH_P_IP) ||
		       skb->protocol == htons(ETH_P_IPV6));
}

/* f(skb, ...) with skb->data at the network header */
static int nsk_kp_skb_early(struct kprobe *p, struct pt_regs *regs);
/* f(skb, ...) after the network header offset is set */
static int nsk_kp_skb(struct kprobe *p, struct pt_regs *regs);
/* f(sk, skb, ...): the skb offered to sk's receive queue */
static int nsk_kp_sk_skb(struct kprobe *p, struct pt_regs *regs);
/* f(sk, ...) */
static int nsk_kp_sk(struct kprobe *p, struct pt_regs *regs);
/* f(sk, skb, ...) before the network header exists */
static int nsk_kp_sk_skb_nopkt(struct kprobe *p, struct pt_regs *regs);
/* f(net, sk, skb): the IP output functions */
static int nsk_kp_net_sk_skb(struct kprobe *p, struct pt_regs *regs);
/* f(struct socket *, ...) */
static int nsk_kp_socket(struct kprobe *p, struct pt_regs *regs);
/* tcp_sendmsg_locked(sk, msg, size), tcp_cleanup_rbuf(sk, copied) */
static int nsk_kp_tcp_sendmsg_locked(struct kprobe *p, struct pt_regs *regs);
static int nsk_kp_tcp_cleanup_rbuf(struct kprobe *p, struct pt_regs *regs);
/* skb_consume_udp(sk, skb, len): len < 0 for MSG_PEEK */
static int nsk_kp_udp_dequeue(struct kprobe *p, struct pt_regs *regs);

/* ---- tracepoint handlers ---------------------------------------------------- */

static void nsk_tp_netif_receive_skb(void *__data, struct sk_buff *skb)
{
	if (nsk_is_ip(skb))
		nsk_emit(NSK_PROBE_NETIF_RECEIVE_SKB, skb, NULL,
			 NSK_PF_EARLY | NSK_PF_DEV, 0, 0);
}

static void nsk_tp_net_dev_start_xmit(void *__data, const struct sk_buff *skb,
				      const struct net_device *dev)
{
	if (nsk_is_ip(skb))
		nsk_emit_pair_first(NSK_PROBE_DEV_HARD_START_XMIT, (struct sk_buff *)skb,
				    NSK_PF_DEV, NSK_PAIR_XMIT);
}

/* The driver's transmit returned: the skb may be gone, only its address is used. */
static void nsk_tp_net_dev_xmit(void *__data, struct sk_buff *skb, int rc,
				struct net_device *dev, unsigned int skb_len)
{
	nsk_emit_pair_second(NSK_PROBE_NET_DEV_XMIT, skb, NSK_PAIR_XMIT, (u32)rc, 0,
			     skb_len);
}

static void nsk_tp_napi_gro_receive_entry(void *__data, const struct sk_buff *skb)
{
	if (nsk_is_ip(skb))
		nsk_emit_pair_first(NSK_PROBE_NAPI_GRO_RECEIVE, (struct sk_buff *)skb,
				    NSK_PF_EARLY | NSK_PF_DEV, NSK_PAIR_GRO);
}

/* A device hands the packet to its CPU's backlog: loopback and veth transmits, drivers
 * without NAPI.  The softirq's netif_receive_skb follows: the wait between is the backlog. */
static void nsk_tp_netif_rx_entry(void *__data, const struct sk_buff *skb)
{
	if (nsk_is_ip(skb))
		nsk_emit(NSK_PROBE_NETIF_RX, (struct sk_buff *)skb, NULL,
			 NSK_PF_EARLY | NSK_PF_DEV, 0, 0);
}

/* A driver without GRO, or an upper device (the bridge, to the host), receives directly. */
static void nsk_tp_netif_receive_skb_entry(void *__data, const struct sk_buff *skb)
{
	if (nsk_is_ip(skb))
		nsk_emit(NSK_PROBE_NETIF_RECEIVE_SKB_ENTRY, (struct sk_buff *)skb, NULL,
			 NSK_PF_EARLY | NSK_PF_DEV, 0, 0);
}

/* GRO merged the skb into another (freed, or chained to it): its journey ends. */
static void nsk_tp_napi_gro_receive_exit(void *__data, int ret)
{
	nsk_emit_pair_second(NSK_PROBE_NAPI_GRO_EXIT, NULL, NSK_PAIR_GRO, (u32)ret,
			     ret == GRO_MERGED || ret == GRO_MERGED_FREE, 0);
}

static void nsk_tp_consume_skb(NSK_TP_CONSUME_SKB_ARGS)
{
	if (nsk_is_ip(skb))
		nsk_emit(NSK_PROBE_CONSUME_SKB, skb, NULL, 0, 0, 0);
}

static void nsk_tp_kfree_skb(NSK_TP_KFREE_SKB_ARGS)
{
	if (nsk_is_ip(skb))
		nsk_emit_drop(NSK_PROBE_KFREE_SKB, skb, NULL, location,
			      NSK_KFREE_REASON(reason), NSK_HAS_DROP_REASON, 0);
}

static void nsk_tp_sock_rcvqueue_full(void *__data, struct sock *sk,
				      struct sk_buff *skb)
{
	nsk_emit_drop(NSK_PROBE_SOCK_RCVQUEUE_FULL, skb, sk, NULL, 0, false, NSK_PF_MEM);
}

static void nsk_tp_sock_exceed_buf(void *__data, struct sock *sk,
				   struct proto *prot, long allocated, int kind)
{
	nsk_emit(NSK_PROBE_SOCK_EXCEED_BUF, NULL, sk, 0,
		 (u32)min_t(long, allocated, U32_MAX), (u32)kind);
}

static void nsk_tp_udp_fail_queue(NSK_TP_UDP_FAIL_QUEUE_ARGS)
{
	nsk_emit(NSK_PROBE_UDP_FAIL_QUEUE, NSK_UDP_FAIL_QUEUE_SKB(skb), sk, 0,
		 (u32)rc, 0);
}

/* Compile-time check of every tracepoint prototype; never called. */
static void __maybe_unused nsk_tp_typecheck(void)
{
	BUILD_BUG_ON(sizeof(register_trace_netif_receive_skb(nsk_tp_netif_receive_skb,
						  NULL)) == 0);
	BUILD_BUG_ON(sizeof(register_trace_net_dev_start_xmit(nsk_tp_net_dev_start_xmit,
							    NULL)) == 0);
	BUILD_BUG_ON(sizeof(register_trace_net_dev_xmit(nsk_tp_net_dev_xmit, NULL)) == 0);
	BUILD_BUG_ON(sizeof(register_trace_napi_gro_receive_entry(
				    nsk_tp_napi_gro_receive_entry, NULL)) == 0);
	NSK_TYPECHECK_GRO_EXIT(nsk_tp_napi_gro_receive_exit);
	BUILD_BUG_ON(sizeof(register_trace_netif_rx_entry(nsk_tp_netif_rx_entry, NULL)) == 0);
	BUILD_BUG_ON(sizeof(register_trace_netif_receive_skb_entry(
				    nsk_tp_netif_receive_skb_entry, NULL)) == 0);
	BUILD_BUG_ON(sizeof(register_trace_consume_skb(nsk_tp_consume_skb, NULL)) == 0);
	BUILD_BUG_ON(sizeof(register_trace_kfree_skb(nsk_tp_kfree_skb, NULL)) == 0);
	BUILD_BUG_ON(sizeof(register_trace_sock_rcvqueue_full(nsk_tp_sock_rcvqueue_full,
						  NULL)) == 0);
	BUILD_BUG_ON(sizeof(register_trace_sock_exceed_buf_limit(nsk_tp_sock_exceed_buf,
						  NULL)) == 0);
	BUILD_BUG_ON(sizeof(register_trace_udp_fail_queue_rcv_skb(nsk_tp_udp_fail_queue,
						  NULL)) == 0);
}

/* ---- the table ------------------------------------------------------------- */

#define NSK_MAX_CANDIDATES 4

struct nsk_probe {
	u16 id;
	const char *name;		/* stable name shown by the tool */
	u32 kind;			/* enum nsk_probe_kind */
	u32 path;			/* enum nsk_path */
	const char *targets[NSK_MAX_CANDIDATES];	/* symbols, or the tracepoint */
	/*
	 * A second symbol attached with targets[i] (same handler, same stage):
	 * where one function is inlined into several callers, the stage is the
	 * pair of functions every path still goes through.
	 */
	const char *companions[NSK_MAX_CANDIDATES];
	kprobe_pre_handler_t kp_handler;
	void *tp_handler;
	u16 needs;			/* a probe (earlier in the table) it is useless without */

	/* runtime: changed only by the start/stop work (state starting/stopping) */
	struct nsk_fentry fe;		/* attached through nsk_fentry.c ... */
	bool fentry;
	struct kprobe kp;		/* ... or as a kprobe */
	struct kprobe kp2;		/* the companion's, when attached */
	bool kp2_attached;
	char target_buf[64];		/* "a+b" when a companion is attached */
	struct tracepoint *tp;
	bool attached;
	bool unselected;		/* left out by the probes= parameter */
	int error;
	const char *target;
	const char *note;
	u64 missed;			/* kprobe nmissed at detach */
};

#define NSK_KPROBE(_id, _name, _path, _h, ...) \
	{ .id = _id, .name = _name, .kind = NSK_PROBE_KIND_KPROBE, \
	  .path = _path, .targets = { __VA_ARGS__ }, .kp_handler = _h }
#define NSK_TRACEPOINT(_id, _name, _path, _tp, _h) \
	{ .id = _id, .name = _name, .kind = NSK_PROBE_KIND_TRACEPOINT, \
	  .path = _path, .targets = { _tp }, .tp_handler = _h }

static struct nsk_probe nsk_probes[] = {
	/* IPv4 UDP receive path, in path order */
	NSK_TRACEPOINT(NSK_PROBE_NETIF_RECEIVE_SKB, "netif_receive_skb", NSK_PATH_RX,
		       "netif_receive_skb", nsk_tp_netif_receive_skb),
	/* ip_rcv_core: every IPv4 packet, also the lists GRO hands up (ip_list_rcv) */
	NSK_KPROBE(NSK_PROBE_IP_RCV, "ip_rcv", NSK_PATH_RX, nsk_kp_skb_early,
		   "ip_rcv_core", "ip_rcv"),
	NSK_KPROBE(NSK_PROBE_IP_LOCAL_DELIVER, "ip_local_deliver", NSK_PATH_RX,
		   nsk_kp_skb, "ip_local_deliver"),
	NSK_KPROBE(NSK_PROBE_UDP_RCV, "udp_rcv", NSK_PATH_RX, nsk_kp_skb,
		   "udp_rcv", "__udp4_lib_rcv"),
	NSK_KPROBE(NSK_PROBE_UDP_ENQUEUE, "udp_enqueue", NSK_PATH_RX, nsk_kp_sk_skb,
		   "__udp_enqueue_schedule_skb"),
	NSK_KPROBE(NSK_PROBE_SOCK_QUEUE_RCV, "sock_queue_rcv_skb", NSK_PATH_RX,
		   nsk_kp_sk_skb, "sock_queue_rcv_skb_reason", "sock_queue_rcv_skb"),
	NSK_KPROBE(NSK_PROBE_UDP_DEQUEUE, "udp_dequeue", NSK_PATH_RX, nsk_kp_udp_dequeue,
		   "skb_consume_udp"),
	NSK_KPROBE(NSK_PROBE_UDP_RECVMSG, "udp_recvmsg", NSK_PATH_RX, nsk_kp_sk,
		   "udp_recvmsg"),
	/* ends and drops */
	NSK_TRACEPOINT(NSK_PROBE_CONSUME_SKB, "consume_skb", NSK_PATH_DROP, "consume_skb",
		       nsk_tp_consume_skb),
	NSK_TRACEPOINT(NSK_PROBE_KFREE_SKB, "kfree_skb", NSK_PATH_DROP, "kfree_skb",
		       nsk_tp_kfree_skb),
	NSK_TRACEPOINT(NSK_PROBE_SOCK_RCVQUEUE_FULL, "sock_rcvqueue_full", NSK_PATH_DROP,
		       "sock_rcvqueue_full", nsk_tp_sock_rcvqueue_full),
	NSK_TRACEPOINT(NSK_PROBE_SOCK_EXCEED_BUF, "sock_exceed_buf_limit", NSK_PATH_DROP,
		       "sock_exceed_buf_limit", nsk_tp_sock_exceed_buf),
	NSK_TRACEPOINT(NSK_PROBE_UDP_FAIL_QUEUE, "udp_fail_queue_rcv_skb", NSK_PATH_DROP,
		       "udp_fail_queue_rcv_skb", nsk_tp_udp_fail_queue),
	/* send path, L5 -> L2 */
	/*
	 * The socket layer's send: __sock_sendmsg where it is a function of its
	 * own; where it is inlined into its callers (6.12, and 6.1 built with
	 * other options), sock_sendmsg is no longer on write()/sendto()'s path,
	 * but every inet socket's send still goes through the family's
	 * inet_sendmsg / inet6_sendmsg (one pair, one stage).
	 */
	{ .id = NSK_PROBE_SOCK_SENDMSG, .name = "sock_sendmsg",
	  .kind = NSK_PROBE_KIND_KPROBE, .path = NSK_PATH_TX,
	  .targets = { "__sock_sendmsg", "inet_sendmsg", "sock_sendmsg" },
	  .companions = { NULL, "inet6_sendmsg", NULL },
	  .kp_handler = nsk_kp_socket },
	NSK_KPROBE(NSK_PROBE_UDP_SENDMSG, "udp_sendmsg", NSK_PATH_TX, nsk_kp_sk, "udp_sendmsg"),
	NSK_KPROBE(NSK_PROBE_UDPV6_SENDMSG, "udpv6_sendmsg", NSK_PATH_TX, nsk_kp_sk,
		   "udpv6_sendmsg"),
	NSK_KPROBE(NSK_PROBE_TCP_SENDMSG, "tcp_sendmsg", NSK_PATH_TX, nsk_kp_sk, "tcp_sendmsg"),
	NSK_KPROBE(NSK_PROBE_IP_QUEUE_XMIT, "ip_queue_xmit", NSK_PATH_TX, nsk_kp_sk_skb_nopkt,
		   "__ip_queue_xmit", "ip_queue_xmit"),
	NSK_KPROBE(NSK_PROBE_IP6_XMIT, "ip6_xmit", NSK_PATH_TX, nsk_kp_sk_skb_nopkt, "ip6_xmit"),
	NSK_KPROBE(NSK_PROBE_IP_OUTPUT, "ip_output", NSK_PATH_TX, nsk_kp_net_sk_skb, "ip_output"),
	NSK_KPROBE(NSK_PROBE_IP_FINISH_OUTPUT2, "ip_finish_output2", NSK_PATH_TX,
		   nsk_kp_net_sk_skb, "ip_finish_output2"),
	NSK_KPROBE(NSK_PROBE_IP6_OUTPUT, "ip6_output", NSK_PATH_TX, nsk_kp_net_sk_skb,
		   "ip6_output"),
	NSK_KPROBE(NSK_PROBE_IP6_FINISH_OUTPUT2, "ip6_finish_output2", NSK_PATH_TX,
		   nsk_kp_net_sk_skb, "ip6_finish_output2"),
	NSK_KPROBE(NSK_PROBE_DEV_QUEUE_XMIT, "dev_queue_xmit", NSK_PATH_TX, nsk_kp_skb,
		   "__dev_queue_xmit", "dev_queue_xmit"),
	/* per skb: dev_hard_start_xmit takes a list (a qdisc dequeues in bulk) */
	NSK_TRACEPOINT(NSK_PROBE_DEV_HARD_START_XMIT, "dev_hard_start_xmit", NSK_PATH_TX,
		       "net_dev_start_xmit", nsk_tp_net_dev_start_xmit),
	/* IPv6 and TCP receive */
	NSK_KPROBE(NSK_PROBE_IPV6_RCV, "ipv6_rcv", NSK_PATH_RX, nsk_kp_skb_early,
		   "ip6_rcv_core", "ipv6_rcv"),
	NSK_KPROBE(NSK_PROBE_IP6_INPUT, "ip6_input", NSK_PATH_RX, nsk_kp_skb, "ip6_input"),
	NSK_KPROBE(NSK_PROBE_UDPV6_RCV, "udpv6_rcv", NSK_PATH_RX, nsk_kp_skb, "udpv6_rcv"),
	NSK_KPROBE(NSK_PROBE_UDPV6_RECVMSG, "udpv6_recvmsg", NSK_PATH_RX, nsk_kp_sk,
		   "udpv6_recvmsg"),
	NSK_KPROBE(NSK_PROBE_TCP_V4_RCV, "tcp_v4_rcv", NSK_PATH_RX, nsk_kp_skb, "tcp_v4_rcv"),
	NSK_KPROBE(NSK_PROBE_TCP_V6_RCV, "tcp_v6_rcv", NSK_PATH_RX, nsk_kp_skb, "tcp_v6_rcv"),
	NSK_KPROBE(NSK_PROBE_TCP_QUEUE_RCV, "tcp_queue_rcv", NSK_PATH_RX, nsk_kp_sk_skb,
		   "tcp_queue_rcv"),
	NSK_KPROBE(NSK_PROBE_TCP_DATA_QUEUE_OFO, "tcp_data_queue_ofo", NSK_PATH_RX,
		   nsk_kp_sk_skb, "tcp_data_queue_ofo"),
	NSK_KPROBE(NSK_PROBE_TCP_RECVMSG, "tcp_recvmsg", NSK_PATH_RX, nsk_kp_sk, "tcp_recvmsg"),
	NSK_KPROBE(NSK_PROBE_TCP_SENDMSG_LOCKED, "tcp_sendmsg_locked", NSK_PATH_TX,
		   nsk_kp_tcp_sendmsg_locked, "tcp_sendmsg_locked"),
	NSK_KPROBE(NSK_PROBE_TCP_CLEANUP_RBUF, "tcp_cleanup_rbuf", NSK_PATH_RX,
		   nsk_kp_tcp_cleanup_rbuf, "tcp_cleanup_rbuf"),
	NSK_KPROBE(NSK_PROBE_TCP_ADD_BACKLOG, "tcp_add_backlog", NSK_PATH_RX, nsk_kp_sk_skb,
		   "tcp_add_backlog"),
	/* forwarding: received, then ip_forward (its FORWARD hook), then the output path */
	NSK_KPROBE(NSK_PROBE_IP_FORWARD, "ip_forward", NSK_PATH_RX, nsk_kp_skb, "ip_forward"),
	NSK_KPROBE(NSK_PROBE_IP6_FORWARD, "ip6_forward", NSK_PATH_RX, nsk_kp_skb, "ip6_forward"),
	/* the NIC's edge: the driver's transmit returned */
	NSK_TRACEPOINT(NSK_PROBE_NET_DEV_XMIT, "net_dev_xmit", NSK_PATH_TX, "net_dev_xmit",
		       nsk_tp_net_dev_xmit),
	/* ... and GRO: the exit first, the entry needs it (compat.h) */
	NSK_TRACEPOINT(NSK_PROBE_NAPI_GRO_EXIT, "napi_gro_receive_exit", NSK_PATH_RX,
		       "napi_gro_receive_exit", nsk_tp_napi_gro_receive_exit),
	{ .id = NSK_PROBE_NAPI_GRO_RECEIVE, .name = "napi_gro_receive_entry",
	  .kind = NSK_PROBE_KIND_TRACEPOINT, .path = NSK_PATH_RX,
	  .targets = { "napi_gro_receive_entry" },
	  .tp_handler = nsk_tp_napi_gro_receive_entry,
	  .needs = NSK_PROBE_NAPI_GRO_EXIT },
	/* the other receive entries: the backlog (loopback, veth), a direct receive */
	NSK_TRACEPOINT(NSK_PROBE_NETIF_RX, "netif_rx", NSK_PATH_RX, "netif_rx_entry",
		       nsk_tp_netif_rx_entry),
	NSK_TRACEPOINT(NSK_PROBE_NETIF_RECEIVE_SKB_ENTRY, "netif_receive_skb_entry", NSK_PATH_RX,
		       "netif_receive_skb_entry", nsk_tp_netif_receive_skb_entry),
};

static inline u16 nsk_kp_id(struct kprobe *p)
{
	return container_of(p, struct nsk_probe, kp)->id;
}

static int nsk_kp_skb_early(struct kprobe *p, struct pt_regs *regs)
{
	struct sk_buff *skb = NSK_ARG(regs, 0);

	if (nsk_is_ip(skb))
		nsk_emit(nsk_kp_id(p), skb, NULL, NSK_PF_EARLY | NSK_PF_DEV, 0, 0);
	return 0;
}

static int nsk_kp_skb(struct kprobe *p, struct pt_regs *regs)
{
	struct sk_buff *skb = NSK_ARG(regs, 0);

	if (nsk_is_ip(skb))
		nsk_emit(nsk_kp_id(p), skb, NULL, NSK_PF_DEV, 0, 0);
	return 0;
}

static int nsk_kp_sk_skb(struct kprobe *p, struct pt_regs *regs)
{
	struct sock *sk = NSK_ARG(regs, 0);
	struct sk_buff *skb = NSK_ARG(regs, 1);

	if (sk && skb)
		nsk_emit(nsk_kp_id(p), skb, sk, NSK_PF_MEM, 0, 0);
	return 0;
}

/*
 * The copy to user: len is what udp_recvmsg copied, negative when the reader
 * only peeked (MSG_PEEK: the datagram stays queued).  It goes to ev.len as a
 * signed 32-bit value (UAPI: NSK_PROBE_UDP_DEQUEUE).
 */
static int nsk_kp_udp_dequeue(struct kprobe *p, struct pt_regs *regs)
{
	struct sock *sk = NSK_ARG(regs, 0);
	struct sk_buff *skb = NSK_ARG(regs, 1);
	int len = (int)regs_get_kernel_argument(regs, 2);

	if (sk && skb)
		nsk_emit_len(NSK_PROBE_UDP_DEQUEUE, skb, sk, (u32)len);
	return 0;
}

static int nsk_kp_sk_skb_nopkt(struct kprobe *p, struct pt_regs *regs)
{
	struct sock *sk = NSK_ARG(regs, 0);
	struct sk_buff *skb = NSK_ARG(regs, 1);

	if (sk && skb)
		nsk_emit(nsk_kp_id(p), skb, sk, NSK_PF_NOPKT, 0, 0);
	return 0;
}

static int nsk_kp_net_sk_skb(struct kprobe *p, struct pt_regs *regs)
{
	struct sock *sk = NSK_ARG(regs, 1);
	struct sk_buff *skb = NSK_ARG(regs, 2);

	if (skb)
		nsk_emit(nsk_kp_id(p), skb, sk, 0, 0, 0);
	return 0;
}

static int nsk_kp_socket(struct kprobe *p, struct pt_regs *regs)
{
	struct socket *sock = NSK_ARG(regs, 0);
	struct sock *sk = sock ? READ_ONCE(sock->sk) : NULL;

	/* only the inet families the tool follows */
	if (sk && (sk->sk_family == AF_INET || sk->sk_family == AF_INET6))
		nsk_emit(nsk_kp_id(p), NULL, sk, 0, 0, 0);
	return 0;
}

static int nsk_kp_sk(struct kprobe *p, struct pt_regs *regs)
{
	struct sock *sk = NSK_ARG(regs, 0);

	if (sk)
		nsk_emit(nsk_kp_id(p), NULL, sk, 0, 0, 0);
	return 0;
}

/*
 * TCP by sequence number: both run with the socket locked by the caller, so
 * write_seq / copied_seq are the values this very call starts from / ends at
 * (two tasks writing one socket are serialised by that lock).
 */
static int nsk_kp_tcp_sendmsg_locked(struct kprobe *p, struct pt_regs *regs)
{
	struct sock *sk = NSK_ARG(regs, 0);
	size_t size = (size_t)regs_get_kernel_argument(regs, 2);

	if (sk)
		nsk_emit_seq(NSK_PROBE_TCP_SENDMSG_LOCKED, sk,
			     READ_ONCE(tcp_sk(sk)->write_seq),
			     (u32)min_t(size_t, size, U32_MAX));
	return 0;
}

static int nsk_kp_tcp_cleanup_rbuf(struct kprobe *p, struct pt_regs *regs)
{
	struct sock *sk = NSK_ARG(regs, 0);
	int copied = (int)regs_get_kernel_argument(regs, 1);

	if (sk)
		nsk_emit_seq(NSK_PROBE_TCP_CLEANUP_RBUF, sk,
			     READ_ONCE(tcp_sk(sk)->copied_seq), (u32)copied);
	return 0;
}

/* ---- attach / detach ------------------------------------------------------- */

/* Hits the kernel skipped: kprobes' nmissed, or the ftrace guard's refusals. */
static u64 nsk_probe_missed(const struct nsk_probe *p)
{
	if (p->fentry)
		return atomic_long_read(&p->fe.missed);
	return p->kp.nmissed + (p->kp2_attached ? p->kp2.nmissed : 0);
}

struct nsk_tp_lookup {
	const char *name;
	struct tracepoint *tp;
};

static void nsk_tp_find(struct tracepoint *tp, void *priv)
{
	struct nsk_tp_lookup *l = priv;

	if (!l->tp && !strcmp(tp->name, l->name))
		l->tp = tp;
}

/*
 * A kprobe hit (the fallback: functions that are not ftrace sites, kernels
 * before 5.11, kprobes_only=1).  Interrupts are off while the handler runs
 * (nsk.h, "Interrupts off"); an interrupt taken right after the restore,
 * while kprobes still holds this kprobe as current, can make the kernel
 * skip other kprobe hits on this CPU: kprobes counts those (nmissed) and the
 * tool's loss ledger shows them per probe.
 */
static int nsk_kp_run(struct nsk_probe *p, struct pt_regs *regs)
{
	unsigned long flags;

	local_irq_save(flags);
	p->kp_handler(&p->kp, regs);
	local_irq_restore(flags);
	return 0;
}

static int nsk_kp_pre(struct kprobe *kp, struct pt_regs *regs)
{
	return nsk_kp_run(container_of(kp, struct nsk_probe, kp), regs);
}

/* The companion kprobe: the same handler, seen as the probe's own kprobe. */
static int nsk_kp_pre2(struct kprobe *kp, struct pt_regs *regs)
{
	return nsk_kp_run(container_of(kp, struct nsk_probe, kp2), regs);
}

static void nsk_attach_companion(struct nsk_probe *p, const char *sym)
{
	memset(&p->kp2, 0, sizeof(p->kp2));
	p->kp2.symbol_name = sym;
	p->kp2.pre_handler = nsk_kp_pre2;
	if (register_kprobe(&p->kp2)) {
		p->note = "fell back to an alternative symbol; its companion is missing (that family's sends are not seen)";
		return;
	}
	p->kp2_attached = true;
	snprintf(p->target_buf, sizeof(p->target_buf), "%s+%s", p->target, sym);
	p->target = p->target_buf;
}

static int nsk_attach_kprobe(struct nsk_probe *p)
{
	int i, err = -ENOENT;

	p->kp2_attached = false;
	for (i = 0; i < NSK_MAX_CANDIDATES && p->targets[i]; i++) {
		memset(&p->kp, 0, sizeof(p->kp));
		p->kp.symbol_name = p->targets[i];
		p->kp.pre_handler = nsk_kp_pre;
		err = register_kprobe(&p->kp);
		if (!err) {
			p->target = p->targets[i];
			if (i > 0)
				p->note = "fell back to an alternative symbol";
			if (p->companions[i])
				nsk_attach_companion(p, p->companions[i]);
			return 0;
		}
	}
	p->note = err == -ENOENT ? "symbol not found (inlined or renamed on this kernel)" :
		  "register_kprobe failed";
	return err;
}

/*
 * Through the module's ftrace callback: the first candidate symbol that
 * exists, with its companion.  Any error but a missing symbol leaves the
 * probe to kprobes (a function that is not an ftrace site, for one).
 */
static int nsk_attach_fentry(struct nsk_probe *p)
{
	int i, err = -ENOENT;

	/* the same handler as a kprobe's, on the probe's own kprobe (its id) */
	p->fe.handler = p->kp_handler;
	p->fe.kp = &p->kp;
	atomic_long_set(&p->fe.missed, 0);
	for (i = 0; i < NSK_MAX_CANDIDATES && p->targets[i]; i++) {
		err = nsk_fentry_add(&p->fe, p->targets[i]);
		if (err == -ENOENT)
			continue;
		if (err)
			return err;
		p->target = p->targets[i];
		p->fentry = true;
		if (i > 0)
			p->note = "fell back to an alternative symbol";
		if (p->companions[i] && nsk_fentry_add(&p->fe, p->companions[i])) {
			p->note = "fell back to an alternative symbol; its companion is missing (that family's sends are not seen)";
		} else if (p->companions[i]) {
			snprintf(p->target_buf, sizeof(p->target_buf), "%s+%s",
				 p->target, p->companions[i]);
			p->target = p->target_buf;
		}
		return 0;
	}
	return err;
}

static int nsk_attach_tp(struct nsk_probe *p)
{
	struct nsk_tp_lookup l = { .name = p->targets[0] };
	int err;

	for_each_kernel_tracepoint(nsk_tp_find, &l);
	if (!l.tp) {
		p->note = "tracepoint not found on this kernel";
		return -ENOENT;
	}
	err = tracepoint_probe_register(l.tp, p->tp_handler, NULL);
	if (err) {
		p->note = "tracepoint_probe_register failed";
		return err;
	}
	p->tp = l.tp;
	p->target = p->targets[0];
	return 0;
}

/*
 * The probes= module parameter (nsk_main.c): attach only the probes named in
 * a comma-separated list; empty: all.  Load time only; an unknown name
 * refuses the load.  For measuring what each probe costs and for boxes where
 * only some paths may be traced; journeys through probes left out are
 * incomplete, and status says which were left out.
 */
int nsk_probes_select(const char *list)
{
	char buf[512], *s, *name;
	unsigned int i, n = 0;

	if (strscpy(buf, list, sizeof(buf)) < 0)
		return -E2BIG;
	s = strim(buf);
	for (i = 0; i < ARRAY_SIZE(nsk_probes); i++)
		nsk_probes[i].unselected = *s != 0;
	while ((name = strsep(&s, ",")) != NULL) {
		bool found = false;

		name = strim(name);
		if (!*name)
			continue;
		for (i = 0; i < ARRAY_SIZE(nsk_probes); i++) {
			if (!strcmp(nsk_probes[i].name, name)) {
				nsk_probes[i].unselected = false;
				found = true;
			}
		}
		if (!found) {
			pr_err("probes=: no probe named '%s'\n", name);
			return -EINVAL;
		}
		n++;
	}
	return n;
}

static int nsk_attach_one(struct nsk_probe *p)
{
	unsigned int i;

	if (p->unselected) {
		p->note = "left out by the probes= parameter";
		return -EPERM;
	}

	for (i = 0; p->needs && i < ARRAY_SIZE(nsk_probes) && &nsk_probes[i] != p; i++) {
		if (nsk_probes[i].id == p->needs && nsk_probes[i].error) {
			p->note = "needs a probe this kernel lacks";
			return -ENOENT;
		}
	}
	if (p->kind == NSK_PROBE_KIND_TRACEPOINT)
		return nsk_attach_tp(p);
	if (!nsk_kprobes_only && nsk_fentry_available() && !nsk_attach_fentry(p))
		return 0;
	p->target = NULL;
	p->note = NULL;
	return nsk_attach_kprobe(p);
}

int nsk_probes_attach(void)
{
	unsigned int i, n = 0;
	int err;

	for (i = 0; i < ARRAY_SIZE(nsk_probes); i++) {
		struct nsk_probe *p = &nsk_probes[i];

		p->attached = false;
		p->fentry = false;
		p->target = NULL;
		p->note = NULL;
		p->missed = 0;
		p->error = nsk_attach_one(p);
	}
	/* the function-entry probes go live together: one ftrace registration */
	err = nsk_fentry_register();
	for (i = 0; i < ARRAY_SIZE(nsk_probes); i++) {
		struct nsk_probe *p = &nsk_probes[i];

		if (err && p->fentry) {
			pr_notice("ftrace callback not registered (%d): %s as a kprobe\n",
				  err, p->name);
			p->fentry = false;
			p->target = NULL;
			p->note = NULL;
			p->error = nsk_attach_kprobe(p);
		}
		if (p->error) {
			pr_notice("probe %s not attached: %s (%d)\n", p->name,
				  p->note, p->error);
			continue;
		}
		p->attached = true;
		n++;
	}
	return n;
}

/*
 * Detach everything; when this returns no handler runs.  Every kind of probe
 * needs its own wait (ftrace: an RCU-tasks-rude grace period; kprobes: one
 * synchronize_rcu() for all; tracepoints: an SRCU and an RCU grace period),
 * and under load each takes seconds (issue 16: 2-6 s for ftrace and 1-3 s for
 * the tracepoints on the emulated debug kernel).  So the tracepoints go first,
 * without waiting, and their grace periods are started then (polled forms,
 * NSK_HAS_TRACEPOINT_SYNC_POLL): the ftrace and kprobe waits that follow let
 * them elapse, and the final check usually finds them done instead of waiting
 * for two more.
 */
void nsk_probes_detach(struct nsk_detach_times *t)
{
	static struct kprobe *kps[2 * ARRAY_SIZE(nsk_probes)];	/* under nsk_ctl_lock */
	struct nsk_detach_times dummy;
	unsigned int i, nkp = 0, ntp = 0;
#ifdef NSK_HAS_TRACEPOINT_SYNC_POLL
	unsigned long rcu_cookie = 0, srcu_cookie = 0;
#endif
	u64 t0;

	if (!t)
		t = &dummy;
	memset(t, 0, sizeof(*t));
	/* 1: tracepoints, no wait yet */
	t0 = ktime_get_ns();
	for (i = 0; i < ARRAY_SIZE(nsk_probes); i++) {
		struct nsk_probe *p = &nsk_probes[i];

		if (p->attached && p->kind != NSK_PROBE_KIND_KPROBE) {
			tracepoint_probe_unregister(p->tp, p->tp_handler, NULL);
			ntp++;
		}
	}
#ifdef NSK_HAS_TRACEPOINT_SYNC_POLL
	if (ntp) {
		rcu_cookie = get_state_synchronize_rcu();
		srcu_cookie = start_poll_synchronize_srcu(&tracepoint_srcu);
	}
#endif
	t->tp_unregister = ktime_get_ns() - t0;
	/* 2: the ftrace callback (waits for its own grace period) */
	t0 = ktime_get_ns();
	nsk_fentry_unregister();
	t->ftrace = ktime_get_ns() - t0;
	/* 3: the kprobes, all at once: one wait until no handler runs, not one each */
	for (i = 0; i < ARRAY_SIZE(nsk_probes); i++) {
		struct nsk_probe *p = &nsk_probes[i];

		if (p->attached && p->kind == NSK_PROBE_KIND_KPROBE && !p->fentry) {
			kps[nkp++] = &p->kp;
			if (p->kp2_attached)
				kps[nkp++] = &p->kp2;
		}
	}
	t0 = ktime_get_ns();
	if (nkp)
		unregister_kprobes(kps, nkp);
	t->kprobes = ktime_get_ns() - t0;
	t->nkprobes = nkp;
	for (i = 0; i < ARRAY_SIZE(nsk_probes); i++) {
		struct nsk_probe *p = &nsk_probes[i];

		if (!p->attached)
			continue;
		if (p->kind == NSK_PROBE_KIND_KPROBE) {
			p->missed = nsk_probe_missed(p);
			p->kp2_attached = false;
		}
		p->attached = false;
	}
	/* 4: no tracepoint handler runs once this returns */
	t0 = ktime_get_ns();
	if (ntp) {
#ifdef NSK_HAS_TRACEPOINT_SYNC_POLL
		if (!poll_state_synchronize_srcu(&tracepoint_srcu, srcu_cookie))
			synchronize_srcu(&tracepoint_srcu);
		cond_synchronize_rcu(rcu_cookie);
#else
		tracepoint_synchronize_unregister();
#endif
	}
	t->tracepoints = ktime_get_ns() - t0;
	t->ntracepoints = ntp;
}

unsigned int nsk_probes_count(void)
{
	return ARRAY_SIZE(nsk_probes);
}

void nsk_probe_info(unsigned int idx, struct nsk_probe_info *out, bool runtime)
{
	const struct nsk_probe *p = &nsk_probes[idx];

	out->id = p->id;
	out->name = p->name;
	out->path = p->path;
	if (!runtime) {
		/* a start or stop is changing the fields below: the table only */
		out->kind = p->kind;
		out->attached = false;
		out->error = 0;
		out->target = NULL;
		out->note = NULL;
		out->missed = 0;
		return;
	}
	out->kind = p->fentry ? NSK_PROBE_KIND_FENTRY : p->kind;
	out->attached = p->attached;
	out->error = p->error;
	out->target = p->target;
	out->note = p->note;
	out->missed = p->attached && p->kind == NSK_PROBE_KIND_KPROBE ?
		      nsk_probe_missed(p) : p->missed;
}
