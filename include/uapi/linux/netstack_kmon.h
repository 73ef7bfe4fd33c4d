/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause */
/*
 * netstack_kmon: the contract between the netstack_kmon kernel module and the
 * netstack-kmon userspace tool.
 *
 * Transport: generic netlink family NSK_GENL_NAME.
 *  - Control commands (STATUS, START, STOP, CONFIG) use attributes.  All of
 *    them need CAP_NET_ADMIN.  Unknown attributes are rejected (strict policy)
 *    with an extack message.
 *  - Events are multicast on group NSK_MCGRP_EVENTS as NSK_CMD_EVENTS
 *    messages.  Each message is one *batch* of records from one CPU:
 *      NSK_ATTR_BATCH_CPU      u32  CPU the records were produced on
 *      NSK_ATTR_BATCH_SEQ      u64  per-CPU sequence number of the first record
 *      NSK_ATTR_BATCH_COUNT    u32  number of records in the batch
 *      NSK_ATTR_BATCH_RECORDS  binary, COUNT records packed back to back
 *    Sequence numbers count records, not messages: seq(next batch) ==
 *    seq(this batch) + count.  A gap is a known number of lost records.
 *    Joining the group needs CAP_NET_ADMIN too.
 *
 * Records: every record starts with struct nsk_rec_hdr { type, size }.  A
 * reader skips records whose type it does not know (advance by size) and
 * reads only the first sizeof() bytes it knows of a record that is larger
 * than it expects (fields are only ever appended).
 *
 * Clock: ts_ns is ktime_get_mono_fast_ns(), i.e. CLOCK_MONOTONIC in ns.  It
 * is NMI-safe, monotonic, and comparable across CPUs, so a packet sent on one
 * CPU and received on another yields a meaningful difference.
 *
 * Identifiers: skb_id and sk_id are siphash(pointer, per-load random key).
 * They are stable for the lifetime of one module load and never reveal a
 * kernel address.  0 means "none / unknown".
 *
 * Numbers (enums) are append-only: never renumber, never reuse.
 *
 * Every START resets the per-CPU counters and the per-CPU sequence numbers
 * to 0: a collection's first batch from each CPU has seq 0.
 */
#ifndef _UAPI_LINUX_NETSTACK_KMON_H
#define _UAPI_LINUX_NETSTACK_KMON_H

#include <linux/types.h>

#define NSK_GENL_NAME		"netstack_kmon"
#define NSK_GENL_VERSION	1	/* bump on incompatible command/attr change */
#define NSK_MCGRP_EVENTS	"events"
#define NSK_RECORD_VERSION	3	/* bump on incompatible record change
					 * (2: struct nsk_stage, NSK_REC_STAGE;
					 * 3: the short stage, NSK_STAGE_SHORT_SIZE) */

enum nsk_cmd {
	NSK_CMD_UNSPEC,
	NSK_CMD_STATUS,		/* do: reply carries status attributes */
	NSK_CMD_START,		/* do: start collecting (asynchronous: enum nsk_state) */
	NSK_CMD_STOP,		/* do: detach probes, drain, stop (asynchronous) */
	NSK_CMD_CONFIG,		/* do: set NSK_ATTR_CONFIG (refused while collecting) */
	NSK_CMD_EVENTS,		/* multicast only: one batch of records */
	NSK_CMD_STOPPED,	/* multicast only: collection stopped; carries
				 * NSK_ATTR_CPU_STATS (final per-CPU counters) */
	NSK_CMD_GOVERNOR,	/* multicast only: the overhead governor changed the
				 * effective sampling: NSK_ATTR_GOV_* */
	__NSK_CMD_MAX,
};
#define NSK_CMD_MAX (__NSK_CMD_MAX - 1)

enum nsk_attr {
	NSK_ATTR_UNSPEC,
	NSK_ATTR_PAD,
	NSK_ATTR_MODULE_VERSION,	/* string */
	NSK_ATTR_FAMILY_VERSION,	/* u32: NSK_GENL_VERSION */
	NSK_ATTR_RECORD_VERSION,	/* u32: NSK_RECORD_VERSION */
	NSK_ATTR_KERNEL_RELEASE,	/* string: utsname release */
	NSK_ATTR_COLLECTING,		/* u8: 0/1 */
	NSK_ATTR_NR_CPUS,		/* u32: possible CPUs */
	NSK_ATTR_RING_BYTES,		/* u32: ring size per CPU in bytes */
	NSK_ATTR_CPU_STATS,		/* nest of NSK_ATTR_CPU */
	NSK_ATTR_CPU,			/* nest: enum nsk_cpu_attr */
	NSK_ATTR_PROBES,		/* nest of NSK_ATTR_PROBE */
	NSK_ATTR_PROBE,			/* nest: enum nsk_probe_attr */
	NSK_ATTR_CONFIG,		/* nest: enum nsk_cfg_attr */
	NSK_ATTR_BATCH_CPU,		/* u32 */
	NSK_ATTR_BATCH_SEQ,		/* u64 */
	NSK_ATTR_BATCH_COUNT,		/* u32 */
	NSK_ATTR_BATCH_RECORDS,		/* binary: packed records */
	NSK_ATTR_CLOCK,			/* string: name of the ts_ns clock */
	NSK_ATTR_START_TS,		/* u64: ts_ns when collection started */
	NSK_ATTR_STOP_TS,		/* u64: ts_ns when collection stopped */
	NSK_ATTR_GOV_TS,		/* u64: ts_ns of a governor decision */
	NSK_ATTR_GOV_FROM,		/* u32: effective sampling 1/N before */
	NSK_ATTR_GOV_TO,		/* u32: effective sampling 1/N after */
	NSK_ATTR_GOV_RATE,		/* u64: busiest CPU's record rate (records/s) that decided */
	NSK_ATTR_GOV_BUDGET,		/* u32: budget, records/s per CPU */
	NSK_ATTR_GOV_CHANGES,		/* u32: decisions so far in this collection (status) */
	NSK_ATTR_SAMPLE_EFFECTIVE,	/* u32: effective sampling 1/N now (status) */
	NSK_ATTR_DROP_REASONS,		/* u8: 1 if this kernel gives drop reasons (5.17+):
					 * nsk_drop.reason_name is filled */
	NSK_ATTR_STATE,			/* u8: enum nsk_state (status) */
	NSK_ATTR_START_ERROR,		/* s32: -errno of the last START that failed after
					 * its ack (0: it did not fail, or none yet) */
	NSK_ATTR_START_MESSAGE,		/* string: why that START failed ("" if it did not) */
	NSK_ATTR_COLLECTION,		/* u64: number of the latest START accepted since load */
	__NSK_ATTR_MAX,
};
#define NSK_ATTR_MAX (__NSK_ATTR_MAX - 1)

/* Per-CPU counters (u64, summed over nothing: one nest per CPU). */
enum nsk_cpu_attr {
	NSK_CPU_ATTR_UNSPEC,
	NSK_CPU_ATTR_PAD,
	NSK_CPU_ATTR_ID,		/* u32: CPU number */
	NSK_CPU_ATTR_HITS,		/* u64: probe handler invocations */
	NSK_CPU_ATTR_WRITTEN,		/* u64: records stored in the ring */
	NSK_CPU_ATTR_RING_FULL,		/* u64: records refused: ring full or nested too deep */
	NSK_CPU_ATTR_NETLINK_FAIL,	/* u64: records in batches the netlink send failed to deliver */
	NSK_CPU_ATTR_FILTERED,		/* u64: hits rejected by the filters */
	NSK_CPU_ATTR_SAMPLED_OUT,	/* u64: hits rejected by sampling */
	NSK_CPU_ATTR_SENT,		/* u64: records handed to netlink (== next seq) */
	NSK_CPU_ATTR_BATCHES,		/* u64: batches sent */
	NSK_CPU_ATTR_NMI_REFUSED,	/* u64: hits in NMI context, refused before the
					 * ring (counted in HITS too) */
	__NSK_CPU_ATTR_MAX,
};
#define NSK_CPU_ATTR_MAX (__NSK_CPU_ATTR_MAX - 1)

/*
 * NSK_ATTR_STATE.  START and STOP only record a transition and answer at once;
 * the work (rings, probes, RCU waits, the final drain) runs in the module's
 * own workqueue.  START: idle -> starting -> running, or back to idle with
 * NSK_ATTR_START_ERROR / NSK_ATTR_START_MESSAGE set.  STOP: running ->
 * stopping -> idle (STOPPED is multicast before the state becomes idle); a
 * STOP while starting is remembered and done as soon as the start completes.
 * START is refused with -EBUSY unless idle.  NSK_ATTR_COLLECTING is 1 only
 * while running.
 */
enum nsk_state {
	NSK_STATE_IDLE,
	NSK_STATE_STARTING,
	NSK_STATE_RUNNING,
	NSK_STATE_STOPPING,
	__NSK_STATE_MAX,
};

enum nsk_probe_kind {
	NSK_PROBE_KIND_UNSPEC,
	NSK_PROBE_KIND_KPROBE,
	NSK_PROBE_KIND_TRACEPOINT,
	NSK_PROBE_KIND_FENTRY,		/* function entry, the module's ftrace callback */
	__NSK_PROBE_KIND_MAX,
};

enum nsk_path {
	NSK_PATH_UNSPEC,
	NSK_PATH_RX,
	NSK_PATH_TX,
	NSK_PATH_DROP,		/* drop / end-of-life events */
	__NSK_PATH_MAX,
};

enum nsk_probe_attr {
	NSK_PROBE_ATTR_UNSPEC,
	NSK_PROBE_ATTR_PAD,
	NSK_PROBE_ATTR_ID,		/* u32: enum nsk_probe_id */
	NSK_PROBE_ATTR_NAME,		/* string: stable probe name */
	NSK_PROBE_ATTR_KIND,		/* u32: enum nsk_probe_kind */
	NSK_PROBE_ATTR_PATH,		/* u32: enum nsk_path */
	NSK_PROBE_ATTR_ATTACHED,	/* u8 */
	NSK_PROBE_ATTR_ERROR,		/* s32: -errno of the last attach attempt, 0 ok */
	NSK_PROBE_ATTR_TARGET,		/* string: symbol or tracepoint actually used */
	NSK_PROBE_ATTR_HITS,		/* u64: handler invocations (all CPUs) */
	NSK_PROBE_ATTR_NOTE,		/* string: why a probe was skipped/fell back */
	NSK_PROBE_ATTR_MISSED,		/* u64: kprobe hits the kernel skipped (nested kprobe) */
	__NSK_PROBE_ATTR_MAX,
};
#define NSK_PROBE_ATTR_MAX (__NSK_PROBE_ATTR_MAX - 1)

/* Configuration (filters combine with AND; absent = no filter). */
enum nsk_cfg_attr {
	NSK_CFG_ATTR_UNSPEC,
	NSK_CFG_ATTR_PAD,
	NSK_CFG_ATTR_PROTO,		/* u8: IPPROTO_UDP or IPPROTO_TCP */
	NSK_CFG_ATTR_PORT,		/* u16 (host order): local or remote port */
	NSK_CFG_ATTR_ADDR_FAMILY,	/* u8: AF_INET / AF_INET6 (with ADDR) */
	NSK_CFG_ATTR_ADDR,		/* binary: 4 or 16 bytes, network order */
	NSK_CFG_ATTR_ADDR_PREFIX,	/* u8: prefix length (default: full) */
	NSK_CFG_ATTR_PID,		/* u32: tgid of the task (task-context events) */
	NSK_CFG_ATTR_NETNS,		/* u32: netns inode */
	NSK_CFG_ATTR_SAMPLE,		/* u32: keep 1 flow in N (flow hash); 0/1 = all */
	NSK_CFG_ATTR_BUDGET,		/* u32: overhead governor budget, records/s per
					 * CPU; 0 = governor off (default: module
					 * parameter budget) */
	__NSK_CFG_ATTR_MAX,
};
#define NSK_CFG_ATTR_MAX (__NSK_CFG_ATTR_MAX - 1)

/*
 * Probe points.  Names (NSK_PROBE_ATTR_NAME) are what tools print; the id is
 * what records carry.  Append only.
 */
enum nsk_probe_id {
	NSK_PROBE_UNSPEC,
	/* IPv4 UDP receive path, in path order */
	NSK_PROBE_NETIF_RECEIVE_SKB,	/* tp net:netif_receive_skb (skb) */
	NSK_PROBE_IP_RCV,		/* ip_rcv_core (skb, net), else ip_rcv (skb, ...) */
	NSK_PROBE_IP_LOCAL_DELIVER,	/* kprobe ip_local_deliver (skb) */
	NSK_PROBE_UDP_RCV,		/* kprobe udp_rcv / __udp4_lib_rcv (skb) */
	NSK_PROBE_UDP_ENQUEUE,		/* kprobe __udp_enqueue_schedule_skb (sk, skb) */
	NSK_PROBE_SOCK_QUEUE_RCV,	/* kprobe sock_queue_rcv_skb[_reason] (sk, skb) */
	NSK_PROBE_UDP_DEQUEUE,		/* kprobe skb_consume_udp (sk, skb, len): copied to user;
					 * ev.len = len as s32, negative for MSG_PEEK */
	NSK_PROBE_UDP_RECVMSG,		/* kprobe udp_recvmsg (sk, ...): reader entered recvmsg */
	/* ends and drops */
	NSK_PROBE_CONSUME_SKB,		/* tp skb:consume_skb (skb) */
	NSK_PROBE_KFREE_SKB,		/* tp skb:kfree_skb (skb, location[, reason]) -> NSK_REC_DROP */
	NSK_PROBE_SOCK_RCVQUEUE_FULL,	/* tp sock:sock_rcvqueue_full (sk, skb) -> NSK_REC_DROP */
	NSK_PROBE_SOCK_EXCEED_BUF,	/* tp sock:sock_exceed_buf_limit (sk, prot, allocated, kind) */
	NSK_PROBE_UDP_FAIL_QUEUE,	/* tp udp:udp_fail_queue_rcv_skb (rc, sk[, skb]) */
	/* send path, L5 -> L2 (no skb before the transport builds one) */
	NSK_PROBE_SOCK_SENDMSG,		/* kprobe __sock_sendmsg / sock_sendmsg (sock): sk only, task */
	NSK_PROBE_UDP_SENDMSG,		/* kprobe udp_sendmsg (sk, ...): sk only */
	NSK_PROBE_UDPV6_SENDMSG,	/* kprobe udpv6_sendmsg (sk, ...): sk only */
	NSK_PROBE_TCP_SENDMSG,		/* kprobe tcp_sendmsg (sk, ...): sk only */
	NSK_PROBE_IP_QUEUE_XMIT,	/* kprobe __ip_queue_xmit / ip_queue_xmit (sk, skb): no IP header yet */
	NSK_PROBE_IP6_XMIT,		/* kprobe ip6_xmit (sk, skb): no IP header yet */
	NSK_PROBE_IP_OUTPUT,		/* kprobe ip_output (net, sk, skb) */
	NSK_PROBE_IP_FINISH_OUTPUT2,	/* kprobe ip_finish_output2 (net, sk, skb) */
	NSK_PROBE_IP6_OUTPUT,		/* kprobe ip6_output (net, sk, skb) */
	NSK_PROBE_IP6_FINISH_OUTPUT2,	/* kprobe ip6_finish_output2 (net, sk, skb) */
	NSK_PROBE_DEV_QUEUE_XMIT,	/* kprobe __dev_queue_xmit (skb, ...) */
	NSK_PROBE_DEV_HARD_START_XMIT,	/* tp net:net_dev_start_xmit (skb, dev): each skb
					 * handed to the driver (was: kprobe
					 * dev_hard_start_xmit, first skb of a list) */
	/* IPv6 and TCP receive */
	NSK_PROBE_IPV6_RCV,		/* ip6_rcv_core (skb, dev, net), else ipv6_rcv */
	NSK_PROBE_IP6_INPUT,		/* kprobe ip6_input (skb) */
	NSK_PROBE_UDPV6_RCV,		/* kprobe udpv6_rcv (skb) */
	NSK_PROBE_UDPV6_RECVMSG,	/* kprobe udpv6_recvmsg (sk, ...) */
	NSK_PROBE_TCP_V4_RCV,		/* kprobe tcp_v4_rcv (skb) */
	NSK_PROBE_TCP_V6_RCV,		/* kprobe tcp_v6_rcv (skb) */
	NSK_PROBE_TCP_QUEUE_RCV,	/* kprobe tcp_queue_rcv (sk, skb, ...): in-order data queued */
	NSK_PROBE_TCP_DATA_QUEUE_OFO,	/* kprobe tcp_data_queue_ofo (sk, skb): out of order */
	NSK_PROBE_TCP_RECVMSG,		/* kprobe tcp_recvmsg (sk, ...): sk only */
	/* TCP by sequence number (NSK_EF_SEQ): which bytes a call moved */
	NSK_PROBE_TCP_SENDMSG_LOCKED,	/* kprobe tcp_sendmsg_locked (sk, msg, size): socket
					 * locked; seq = write_seq (first byte this call
					 * appends), payload = size asked */
	NSK_PROBE_TCP_CLEANUP_RBUF,	/* kprobe tcp_cleanup_rbuf (sk, copied): end of a read;
					 * seq = copied_seq (next byte to read), payload = copied */
	NSK_PROBE_TCP_ADD_BACKLOG,	/* kprobe tcp_add_backlog (sk, skb, ...): socket owned by
					 * a reader, segment parked in the backlog */
	/* forwarding (a router): the packet leaves again through the output path */
	NSK_PROBE_IP_FORWARD,		/* kprobe ip_forward (skb): before the forward hook */
	NSK_PROBE_IP6_FORWARD,		/* kprobe ip6_forward (skb): before the forward hook */
	/* the NIC's edge (tracepoints) */
	NSK_PROBE_NAPI_GRO_RECEIVE,	/* tp net:napi_gro_receive_entry (skb): the driver hands
					 * a received packet to GRO (NAPI) */
	NSK_PROBE_NAPI_GRO_EXIT,	/* tp net:napi_gro_receive_exit (ret): the same skb (the
					 * entry's description: GRO may have freed it);
					 * aux = 1 when GRO merged it into another skb (its
					 * journey ends there), else 0 */
	NSK_PROBE_NET_DEV_XMIT,		/* tp net:net_dev_xmit (skb, rc, dev, len): the driver's
					 * transmit returned; only the skb's id (the driver may
					 * have freed it), reason = rc, len = skb_len */
	NSK_PROBE_NETIF_RX,		/* tp net:netif_rx_entry (skb): a device hands a packet
					 * to its CPU's backlog (loopback, veth, netif_rx
					 * drivers); netif_receive_skb follows in softirq */
	NSK_PROBE_NETIF_RECEIVE_SKB_ENTRY, /* tp net:netif_receive_skb_entry (skb): a driver
					 * or an upper device (bridge up to the host) calls
					 * netif_receive_skb directly, without GRO */
	__NSK_PROBE_MAX,
};
#define NSK_PROBE_MAX (__NSK_PROBE_MAX - 1)

enum nsk_rec_type {
	NSK_REC_UNSPEC,
	NSK_REC_EVENT,		/* struct nsk_event */
	NSK_REC_DROP,		/* struct nsk_drop */
	NSK_REC_STAGE,		/* struct nsk_stage (record version 2) */
	__NSK_REC_MAX,
};

struct nsk_rec_hdr {
	__u16 type;		/* enum nsk_rec_type */
	__u16 size;		/* bytes of this record, header included */
};

/* nsk_event.flags */
#define NSK_EF_PKT		0x01	/* packet tuple valid: saddr/sport = source, daddr/dport = destination */
#define NSK_EF_SOCK		0x02	/* socket tuple valid: sk_laddr/sk_lport = local, sk_raddr/sk_rport = remote */
#define NSK_EF_TASK		0x04	/* pid/tid/comm are the current task (task context) */
#define NSK_EF_HAS_REASON	0x08	/* reason is valid */
#define NSK_EF_SEQ		0x10	/* TCP: seq/payload valid (see struct nsk_event) */
#define NSK_EF_MEM		0x20	/* socket receive memory (see struct nsk_event) */

/* nsk_event.ctx: where the handler ran */
enum nsk_ctx {
	NSK_CTX_TASK,
	NSK_CTX_SOFTIRQ,
	NSK_CTX_HARDIRQ,
	NSK_CTX_NMI,
};

/*
 * One probe hit.  160 bytes, naturally aligned, no implicit padding.
 * Addresses are in network byte order (IPv4 in the first 4 bytes), ports in
 * host byte order.  family/proto describe both tuples (a socket and the
 * packets it receives share them).
 *
 * The packet tuple is parsed from the skb's headers wherever an skb is
 * present; the socket tuple is the socket's own view (bound local address
 * and port, connected peer or 0.0.0.0:0) wherever a socket is present.
 */
struct nsk_event {
	struct nsk_rec_hdr hdr;	/* NSK_REC_EVENT, sizeof(struct nsk_event) */
	__u16 probe;		/* enum nsk_probe_id */
	__u16 cpu;
	__u64 ts_ns;		/* CLOCK_MONOTONIC ns */
	__u64 skb_id;		/* keyed hash of the skb, 0 if none */
	__u64 sk_id;		/* keyed hash of the socket, 0 if none */
	__u8  saddr[16];	/* packet source (NSK_EF_PKT) */
	__u8  daddr[16];	/* packet destination */
	__u16 sport;
	__u16 dport;
	__u8  family;		/* AF_INET, AF_INET6, 0 = unknown */
	__u8  proto;		/* IPPROTO_UDP, IPPROTO_TCP, ... */
	__u8  flags;		/* NSK_EF_* */
	__u8  ctx;		/* enum nsk_ctx */
	__u32 netns;		/* netns inode, 0 unknown */
	__u32 pid;		/* tgid of current (NSK_EF_TASK) */
	__u32 tid;		/* pid of current (NSK_EF_TASK) */
	__u32 len;		/* skb->len at the probe; dequeue: bytes copied */
	char  comm[16];		/* current->comm (NSK_EF_TASK) */
	__u32 reason;		/* drop reason value (kernel's enum), or tracepoint rc */
	__u32 aux;		/* probe specific: sock_exceed_buf_limit kind, ... */
	__u32 sk_ino;		/* socket inode as in /proc/net/udp; task-context socket probes only */
	__u16 sk_lport;		/* socket tuple (NSK_EF_SOCK) */
	__u16 sk_rport;
	__u8  sk_laddr[16];
	__u8  sk_raddr[16];
	/*
	 * TCP (NSK_EF_SEQ).  Packet events: seq = the segment's sequence
	 * number, payload = its data bytes (without headers, SYN or FIN), and
	 * aux = TCP flags (bits 0-7) | segments it stands for (GSO, bits 16-31).
	 * Socket events: see NSK_PROBE_TCP_SENDMSG_LOCKED / _CLEANUP_RBUF.
	 *
	 * Receive memory (NSK_EF_MEM, never with NSK_EF_SEQ): a non-TCP skb
	 * offered to a socket's receive queue (udp_enqueue,
	 * sock_queue_rcv_skb, the sock_rcvqueue_full drop): seq = the
	 * socket's sk_rmem_alloc before this skb (bytes charged to the
	 * queue, as the kernel compares them), payload = sk_rcvbuf, aux =
	 * the skb's truesize (what queueing it charges).
	 */
	__u32 seq;
	__u32 payload;
};

/*
 * A drop (kfree_skb, sock_rcvqueue_full).  The module resolves the location
 * to "symbol+0xoff/0xsize" and the reason to the kernel's own name (e.g.
 * "SOCKET_RCVBUFF"; empty before 5.17, where the tool maps the location).
 */
struct nsk_drop {
	struct nsk_event ev;	/* ev.hdr.type = NSK_REC_DROP, size = sizeof(struct nsk_drop) */
	char location[64];
	char reason_name[32];
};

/*
 * An event whose description repeats an earlier event of the same batch
 * (record version 2).  The description of an nsk_event is every field that
 * is not here: the packet tuple (saddr .. proto), netns, pid, tid, comm,
 * reason, sk_ino and the socket tuple.  The module writes an nsk_stage
 * instead of an nsk_event when those bytes are identical to the ones of an
 * NSK_REC_EVENT earlier in the same batch (any skb: datagrams of one flow
 * share them), so a reader rebuilds the event exactly: the referenced
 * event's description, this record's own fields.  References never cross
 * batches, so a lost batch loses nothing more than its own records.
 */
struct nsk_stage {
	struct nsk_rec_hdr hdr;	/* NSK_REC_STAGE, sizeof(struct nsk_stage) or
				 * NSK_STAGE_SHORT_SIZE */
	__u16 probe;
	__u16 cpu;
	__u64 ts_ns;
	__u64 skb_id;
	__u64 sk_id;
	__u8  flags;		/* this event's NSK_EF_* */
	__u8  ctx;
	__u16 ref;		/* index in this batch (0 = first record) of the
				 * NSK_REC_EVENT whose description this one has */
	__u32 len;
	/* a short stage (record version 3) ends here: aux, seq, payload are 0 */
	__u32 aux;
	__u32 seq;
	__u32 payload;
	__u32 pad;		/* 0 */
};

/*
 * Record version 3: a stage whose aux, seq and payload are all 0 (most
 * stages of a UDP journey: only TCP segments, receive-memory events and a
 * few probes' own values fill them) is sent without them, as the first
 * NSK_STAGE_SHORT_SIZE bytes of struct nsk_stage (hdr.size says which).  A
 * reader rebuilds it with those three fields 0.  Version 2 sent every stage
 * whole; a reader of version 3 reads both.
 */
#define NSK_STAGE_SHORT_SIZE	40	/* offsetof(struct nsk_stage, aux) */

#endif /* _UAPI_LINUX_NETSTACK_KMON_H */
