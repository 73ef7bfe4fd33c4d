// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "netstack_kmon".
 *
 * Order of this file: policies → message builders → command handlers →
 * ops/groups/family → init/exit.
 *
 * Every command needs CAP_NET_ADMIN (GENL_ADMIN_PERM); joining the events
 * group does too where the kernel supports group capabilities (see
 * compat.h).  Attribute validation is strict (resv_start_op covers every
 * command; before 5.2 the pre_doit of compat/genetlink.h does it); semantic
 * errors carry an extack message.
 * Message sizes are computed attribute by attribute.
 */

#include <linux/utsname.h>
#include <linux/cpumask.h>
#include <linux/in.h>
#include <linux/socket.h>
#include <net/genetlink.h>
#include "nsk.h"
#include "compat/genetlink.h"

/* ---- policies -------------------------------------------------------------- */

static const struct nla_policy nsk_cfg_policy[NSK_CFG_ATTR_MAX + 1] = {
	[NSK_CFG_ATTR_PROTO]		= { .type = NLA_U8 },
	[NSK_CFG_ATTR_PORT]		= { .type = NLA_U16 },
	[NSK_CFG_ATTR_ADDR_FAMILY]	= { .type = NLA_U8 },
	[NSK_CFG_ATTR_ADDR]		= { .type = NLA_BINARY, .len = 16 },
	[NSK_CFG_ATTR_ADDR_PREFIX]	= NLA_POLICY_MAX(NLA_U8, 128),
	[NSK_CFG_ATTR_PID]		= { .type = NLA_U32 },
	[NSK_CFG_ATTR_NETNS]		= { .type = NLA_U32 },
	[NSK_CFG_ATTR_SAMPLE]		= { .type = NLA_U32 },
	[NSK_CFG_ATTR_BUDGET]		= { .type = NLA_U32 },
};

static const struct nla_policy nsk_policy[NSK_ATTR_MAX + 1] = {
	[NSK_ATTR_CONFIG]		= NLA_POLICY_NESTED(nsk_cfg_policy),
};

NSK_GENL_STRICT_PRE_DOIT(nsk_policy)

/* ---- message builders ------------------------------------------------------ */

static size_t nsk_cpu_nest_size(void)
{
	return nla_total_size(0) + nla_total_size(sizeof(u32)) +
	       10 * nla_total_size_64bit(sizeof(u64));
}

static size_t nsk_cpu_stats_size(void)
{
	return nla_total_size(0) + num_possible_cpus() * nsk_cpu_nest_size();
}

static size_t nsk_probes_size(void)
{
	size_t one = nla_total_size(0) + 4 * nla_total_size(sizeof(u32)) +
		     nla_total_size(sizeof(u8)) + nla_total_size(sizeof(s32)) +
		     nla_total_size(KSYM_NAME_LEN) + 2 * nla_total_size(64) +
		     2 * nla_total_size_64bit(sizeof(u64));

	return nla_total_size(0) + nsk_probes_count() * one;
}

static size_t nsk_config_size(void)
{
	return nla_total_size(0) + 3 * nla_total_size(sizeof(u8)) +
	       nla_total_size(sizeof(u16)) + nla_total_size(16) +
	       nla_total_size(sizeof(u8)) + 4 * nla_total_size(sizeof(u32));
}

static size_t nsk_status_size(void)
{
	return nla_total_size(sizeof(NSK_VERSION)) +
	       3 * nla_total_size(sizeof(u32)) +
	       nla_total_size(__NEW_UTS_LEN + 1) +
	       nla_total_size(sizeof(u8)) + nla_total_size(sizeof(u32)) +
	       nla_total_size(sizeof(NSK_CLOCK_NAME)) +
	       2 * nla_total_size_64bit(sizeof(u64)) +
	       3 * nla_total_size(sizeof(u32)) + nla_total_size(sizeof(u8)) +
	       /* state, start error and message, collection number */
	       nla_total_size(sizeof(u8)) + nla_total_size(sizeof(s32)) +
	       nla_total_size(128) + nla_total_size_64bit(sizeof(u64)) +
	       nsk_cpu_stats_size() + nsk_probes_size() + nsk_config_size();
}

/* One per-CPU counter of STATUS/STOPPED (a u64 attribute). */
static int nsk_put_cpu_u64(struct sk_buff *msg, int attr, u64 v)
{
	return nla_put_u64_64bit(msg, attr, v, NSK_CPU_ATTR_PAD);
}

static int nsk_put_cpu_stats(struct sk_buff *msg)
{
	struct nlattr *all, *one;
	int cpu;

	all = nla_nest_start(msg, NSK_ATTR_CPU_STATS);
	if (!all)
		return -EMSGSIZE;
	for_each_possible_cpu(cpu) {
		const struct nsk_pcpu *pc = per_cpu_ptr(&nsk_pcpu, cpu);
		const struct nsk_drain_stats *ds = &nsk_dstats[cpu];

		one = nla_nest_start(msg, NSK_ATTR_CPU);
		if (!one ||
		    nla_put_u32(msg, NSK_CPU_ATTR_ID, cpu) ||
		    nsk_put_cpu_u64(msg, NSK_CPU_ATTR_HITS, READ_ONCE(pc->hits)) ||
		    nsk_put_cpu_u64(msg, NSK_CPU_ATTR_WRITTEN, READ_ONCE(pc->written)) ||
		    nsk_put_cpu_u64(msg, NSK_CPU_ATTR_RING_FULL, READ_ONCE(pc->ring_full)) ||
		    nsk_put_cpu_u64(msg, NSK_CPU_ATTR_NETLINK_FAIL, READ_ONCE(ds->netlink_fail)) ||
		    nsk_put_cpu_u64(msg, NSK_CPU_ATTR_FILTERED, READ_ONCE(pc->filtered)) ||
		    nsk_put_cpu_u64(msg, NSK_CPU_ATTR_SAMPLED_OUT, READ_ONCE(pc->sampled_out)) ||
		    nsk_put_cpu_u64(msg, NSK_CPU_ATTR_SENT, READ_ONCE(ds->sent)) ||
		    nsk_put_cpu_u64(msg, NSK_CPU_ATTR_BATCHES, READ_ONCE(ds->batches)) ||
		    nsk_put_cpu_u64(msg, NSK_CPU_ATTR_NMI_REFUSED, READ_ONCE(pc->nmi_refused)))
			return -EMSGSIZE;
		nla_nest_end(msg, one);
	}
	nla_nest_end(msg, all);
	return 0;
}

static u64 nsk_probe_hits(u32 id)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(&nsk_pcpu, cpu)->probe_hits[id]);
	return sum;
}

static int nsk_put_probes(struct sk_buff *msg)
{
	u8 state = nsk_state_now();
	bool runtime = state == NSK_STATE_IDLE || state == NSK_STATE_RUNNING;
	struct nlattr *all, *one;
	unsigned int i;

	all = nla_nest_start(msg, NSK_ATTR_PROBES);
	if (!all)
		return -EMSGSIZE;
	for (i = 0; i < nsk_probes_count(); i++) {
		struct nsk_probe_info p;

		nsk_probe_info(i, &p, runtime);
		one = nla_nest_start(msg, NSK_ATTR_PROBE);
		if (!one ||
		    nla_put_u32(msg, NSK_PROBE_ATTR_ID, p.id) ||
		    nla_put_string(msg, NSK_PROBE_ATTR_NAME, p.name) ||
		    nla_put_u32(msg, NSK_PROBE_ATTR_KIND, p.kind) ||
		    nla_put_u32(msg, NSK_PROBE_ATTR_PATH, p.path) ||
		    nla_put_u8(msg, NSK_PROBE_ATTR_ATTACHED, p.attached) ||
		    nla_put_s32(msg, NSK_PROBE_ATTR_ERROR, p.error) ||
		    (p.target && nla_put_string(msg, NSK_PROBE_ATTR_TARGET, p.target)) ||
		    (p.note && nla_put_string(msg, NSK_PROBE_ATTR_NOTE, p.note)) ||
		    nla_put_u64_64bit(msg, NSK_PROBE_ATTR_HITS, nsk_probe_hits(p.id),
				      NSK_PROBE_ATTR_PAD) ||
		    nla_put_u64_64bit(msg, NSK_PROBE_ATTR_MISSED, p.missed, NSK_PROBE_ATTR_PAD))
			return -EMSGSIZE;
		nla_nest_end(msg, one);
	}
	nla_nest_end(msg, all);
	return 0;
}

static int nsk_put_config(struct sk_buff *msg)
{
	const struct nsk_config *c = &nsk_cfg;
	struct nlattr *nest = nla_nest_start(msg, NSK_ATTR_CONFIG);

	if (!nest)
		return -EMSGSIZE;
	if ((c->has_proto && nla_put_u8(msg, NSK_CFG_ATTR_PROTO, c->proto)) ||
	    (c->has_port && nla_put_u16(msg, NSK_CFG_ATTR_PORT, c->port)) ||
	    (c->has_addr &&
	     (nla_put_u8(msg, NSK_CFG_ATTR_ADDR_FAMILY, c->addr_family) ||
	      nla_put(msg, NSK_CFG_ATTR_ADDR, c->addr_family == AF_INET ? 4 : 16, c->addr) ||
	      nla_put_u8(msg, NSK_CFG_ATTR_ADDR_PREFIX, c->addr_prefix))) ||
	    (c->has_pid && nla_put_u32(msg, NSK_CFG_ATTR_PID, c->pid)) ||
	    (c->has_netns && nla_put_u32(msg, NSK_CFG_ATTR_NETNS, c->netns)) ||
	    nla_put_u32(msg, NSK_CFG_ATTR_SAMPLE, c->sample ? c->sample : 1) ||
	    nla_put_u32(msg, NSK_CFG_ATTR_BUDGET, c->has_budget ? c->budget : nsk_budget_param))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int nsk_fill_status(struct sk_buff *msg)
{
	const char *start_msg;
	int start_err = nsk_start_result(&start_msg);

	if (nla_put_string(msg, NSK_ATTR_MODULE_VERSION, NSK_VERSION) ||
	    nla_put_u32(msg, NSK_ATTR_FAMILY_VERSION, NSK_GENL_VERSION) ||
	    nla_put_u32(msg, NSK_ATTR_RECORD_VERSION, NSK_RECORD_VERSION) ||
	    nla_put_string(msg, NSK_ATTR_KERNEL_RELEASE, init_utsname()->release) ||
	    nla_put_u8(msg, NSK_ATTR_COLLECTING, nsk_collecting()) ||
	    nla_put_u32(msg, NSK_ATTR_NR_CPUS, num_possible_cpus()) ||
	    nla_put_u32(msg, NSK_ATTR_RING_BYTES, nsk_ring_kb * 1024) ||
	    nla_put_string(msg, NSK_ATTR_CLOCK, NSK_CLOCK_NAME) ||
	    nla_put_u64_64bit(msg, NSK_ATTR_START_TS, nsk_start_ts(), NSK_ATTR_PAD) ||
	    nla_put_u64_64bit(msg, NSK_ATTR_STOP_TS, nsk_stop_ts(), NSK_ATTR_PAD) ||
	    nla_put_u32(msg, NSK_ATTR_SAMPLE_EFFECTIVE, READ_ONCE(nsk_sample_eff)) ||
	    nla_put_u32(msg, NSK_ATTR_GOV_BUDGET, nsk_gov_budget_now()) ||
	    nla_put_u32(msg, NSK_ATTR_GOV_CHANGES, nsk_gov_changes_now()) ||
	    nla_put_u8(msg, NSK_ATTR_DROP_REASONS, NSK_HAS_DROP_REASON) ||
	    nla_put_u8(msg, NSK_ATTR_STATE, nsk_state_now()) ||
	    nla_put_s32(msg, NSK_ATTR_START_ERROR, start_err) ||
	    nla_put_string(msg, NSK_ATTR_START_MESSAGE, start_msg) ||
	    nla_put_u64_64bit(msg, NSK_ATTR_COLLECTION, nsk_collection_now(), NSK_ATTR_PAD))
		return -EMSGSIZE;
	if (nsk_put_cpu_stats(msg) || nsk_put_probes(msg) || nsk_put_config(msg))
		return -EMSGSIZE;
	return 0;
}

/* ---- commands -------------------------------------------------------------- */

static int nsk_cmd_status(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = genlmsg_new(nsk_status_size(), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &nsk_genl_family, 0, NSK_CMD_STATUS);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err_free;
	}
	/* held briefly: a start or stop runs its heavy part without it */
	mutex_lock(&nsk_ctl_lock);
	err = nsk_fill_status(msg);
	mutex_unlock(&nsk_ctl_lock);
	if (err)
		goto err_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	NL_SET_ERR_MSG(info->extack, "status reply does not fit (module bug)");
	return err;
}

static int nsk_parse_config(struct nlattr *nest, struct nsk_config *c,
			    struct netlink_ext_ack *extack)
{
	struct nlattr *tb[NSK_CFG_ATTR_MAX + 1];
	int err;

	err = nla_parse_nested(tb, NSK_CFG_ATTR_MAX, nest, nsk_cfg_policy, extack);
	if (err)
		return err;
	memset(c, 0, sizeof(*c));
	if (tb[NSK_CFG_ATTR_PROTO]) {
		c->proto = nla_get_u8(tb[NSK_CFG_ATTR_PROTO]);
		if (c->proto != IPPROTO_UDP && c->proto != IPPROTO_TCP) {
			NL_SET_ERR_MSG_ATTR(extack, tb[NSK_CFG_ATTR_PROTO],
					    "protocol filter must be UDP (17) or TCP (6)");
			return -EINVAL;
		}
		c->has_proto = true;
	}
	if (tb[NSK_CFG_ATTR_PORT]) {
		c->port = nla_get_u16(tb[NSK_CFG_ATTR_PORT]);
		c->has_port = true;
	}
	if (tb[NSK_CFG_ATTR_ADDR]) {
		int len = nla_len(tb[NSK_CFG_ATTR_ADDR]);
		u8 fam = tb[NSK_CFG_ATTR_ADDR_FAMILY] ?
			 nla_get_u8(tb[NSK_CFG_ATTR_ADDR_FAMILY]) : 0;

		if (!((fam == AF_INET && len == 4) || (fam == AF_INET6 && len == 16))) {
			NL_SET_ERR_MSG_ATTR(extack, tb[NSK_CFG_ATTR_ADDR],
					    "address filter needs ADDR_FAMILY AF_INET with 4 bytes or AF_INET6 with 16 bytes");
			return -EINVAL;
		}
		c->addr_family = fam;
		memcpy(c->addr, nla_data(tb[NSK_CFG_ATTR_ADDR]), len);
		c->addr_prefix = tb[NSK_CFG_ATTR_ADDR_PREFIX] ?
				 nla_get_u8(tb[NSK_CFG_ATTR_ADDR_PREFIX]) : len * 8;
		if (c->addr_prefix > len * 8) {
			NL_SET_ERR_MSG_ATTR(extack, tb[NSK_CFG_ATTR_ADDR_PREFIX],
					    "prefix length longer than the address");
			return -EINVAL;
		}
		c->has_addr = true;
	} else if (tb[NSK_CFG_ATTR_ADDR_FAMILY] || tb[NSK_CFG_ATTR_ADDR_PREFIX]) {
		NL_SET_ERR_MSG(extack, "ADDR_FAMILY/ADDR_PREFIX given without ADDR");
		return -EINVAL;
	}
	if (tb[NSK_CFG_ATTR_PID]) {
		c->pid = nla_get_u32(tb[NSK_CFG_ATTR_PID]);
		c->has_pid = true;
	}
	if (tb[NSK_CFG_ATTR_NETNS]) {
		c->netns = nla_get_u32(tb[NSK_CFG_ATTR_NETNS]);
		c->has_netns = true;
	}
	if (tb[NSK_CFG_ATTR_SAMPLE]) {
		c->sample = nla_get_u32(tb[NSK_CFG_ATTR_SAMPLE]);
		if (c->sample > 65536) {
			NL_SET_ERR_MSG_ATTR(extack, tb[NSK_CFG_ATTR_SAMPLE],
					    "sampling divisor must be 0..65536");
			return -EINVAL;
		}
	}
	if (tb[NSK_CFG_ATTR_BUDGET]) {
		c->budget = nla_get_u32(tb[NSK_CFG_ATTR_BUDGET]);
		c->has_budget = true;
	}
	return 0;
}

/*
 * CONFIG replaces the whole configuration: an absent NSK_ATTR_CONFIG nest (or
 * an empty one) means "no filter, no sampling".  START applies its nest if it
 * carries one and keeps the current configuration otherwise.
 */
static int nsk_apply_config(struct genl_info *info, bool reset_if_absent)
{
	struct nsk_config c = {};
	int err;

	if (!info->attrs[NSK_ATTR_CONFIG] && !reset_if_absent)
		return 0;
	if (info->attrs[NSK_ATTR_CONFIG]) {
		err = nsk_parse_config(info->attrs[NSK_ATTR_CONFIG], &c, info->extack);
		if (err)
			return err;
	}
	if (nsk_busy()) {
		NL_SET_ERR_MSG(info->extack,
			       "cannot change the configuration while collecting; stop first");
		return -EBUSY;
	}
	nsk_cfg = c;
	return 0;
}

static int nsk_cmd_config(struct sk_buff *skb, struct genl_info *info)
{
	int err;

	mutex_lock(&nsk_ctl_lock);
	err = nsk_apply_config(info, true);
	mutex_unlock(&nsk_ctl_lock);
	return err;
}

/*
 * START and STOP answer at once: they check, record the transition and leave
 * the heavy part to the module's control work (nsk_main.c); the state and a
 * failed START's error are in STATUS.  A START that fails leaves the
 * configuration as it was before it: here if it is refused, in the work if
 * its start fails there.
 */
static int nsk_cmd_start(struct sk_buff *skb, struct genl_info *info)
{
	struct nsk_config before;
	int err;

	mutex_lock(&nsk_ctl_lock);
	before = nsk_cfg;
	err = nsk_apply_config(info, false);
	if (!err) {
		err = nsk_start(info->snd_portid, &before, info->extack);
		if (err)
			nsk_cfg = before;
	}
	mutex_unlock(&nsk_ctl_lock);
	return err;
}

static int nsk_cmd_stop(struct sk_buff *skb, struct genl_info *info)
{
	int err;

	mutex_lock(&nsk_ctl_lock);
	err = nsk_stop(info->extack);
	mutex_unlock(&nsk_ctl_lock);
	return err;
}

/* ---- events ------------------------------------------------------------------ */

enum nsk_mcgrp { NSK_MCGRP_EVENTS_ID };

/*
 * A batch message: the headers (CPU, sequence, count and the records
 * attribute's header, last) in the message's linear part, the records in
 * @page, which nsk_genl_batch_send() attaches as the message's fragment: the
 * drain copies records into b->recs (the page), then the send fills in the
 * count and the lengths and multicasts.  Readers see one contiguous message
 * (the copy to user space walks the fragment).  Why not a message with room
 * for the records: that was a 16 KiB allocation per batch, zeroed on
 * allocation where init_on_alloc is on (Debian's default): ~48 instructions
 * per record under icount (docs/performance.md).  Error: no message
 * (b->msg NULL); the page stays the caller's.
 */
int nsk_genl_batch_begin(struct nsk_batch *b, u32 cpu, u64 seq, struct page *page)
{
	struct sk_buff *msg;

	BUILD_BUG_ON(NSK_BATCH_BYTES + NLA_ALIGNTO > PAGE_SIZE << NSK_BATCH_ORDER);
	b->msg = NULL;
	b->count = 0;
	b->len = 0;
	msg = genlmsg_new(2 * nla_total_size(sizeof(u32)) +
			  nla_total_size_64bit(sizeof(u64)) + NLA_HDRLEN, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	b->hdr = genlmsg_put(msg, 0, 0, &nsk_genl_family, 0, NSK_CMD_EVENTS);
	if (!b->hdr ||
	    nla_put_u32(msg, NSK_ATTR_BATCH_CPU, cpu) ||
	    nla_put_u64_64bit(msg, NSK_ATTR_BATCH_SEQ, seq, NSK_ATTR_PAD))
		goto err_free;
	b->count_attr = nla_reserve(msg, NSK_ATTR_BATCH_COUNT, sizeof(u32));
	if (!b->count_attr || skb_tailroom(msg) < NLA_HDRLEN)
		goto err_free;
	/* last: its payload is the fragment */
	b->recs_attr = skb_put(msg, NLA_HDRLEN);
	b->recs_attr->nla_type = NSK_ATTR_BATCH_RECORDS;
	b->page = page;
	b->recs = page_address(page);
	b->msg = msg;
	return 0;

err_free:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

int nsk_genl_batch_send(struct nsk_batch *b)
{
	struct sk_buff *msg = b->msg;
	size_t frag = NLA_ALIGN(b->len);

	b->msg = NULL;
	if (!b->count) {
		nlmsg_free(msg);
		return 0;
	}
	*(u32 *)nla_data(b->count_attr) = b->count;
	b->recs_attr->nla_len = nla_attr_size(b->len);
	memset(b->recs + b->len, 0, frag - b->len);	/* (records are 8-byte multiples) */
	genlmsg_end(msg, b->hdr);	/* the linear part's length ... */
	nlmsg_hdr(msg)->nlmsg_len += frag;	/* ... and the records' */
	get_page(b->page);
	skb_fill_page_desc(msg, 0, b->page, 0, frag);
	msg->len += frag;
	msg->data_len += frag;
	msg->truesize += PAGE_SIZE << NSK_BATCH_ORDER;
	return genlmsg_multicast(&nsk_genl_family, msg, 0, NSK_MCGRP_EVENTS_ID,
				 GFP_KERNEL);
}

/* After the final drain: the last message of a collection. */
void nsk_genl_send_stopped(void)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(nsk_cpu_stats_size() + 2 * nla_total_size_64bit(sizeof(u64)),
			  GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &nsk_genl_family, 0, NSK_CMD_STOPPED);
	if (!hdr || nsk_put_cpu_stats(msg) ||
	    nla_put_u64_64bit(msg, NSK_ATTR_START_TS, nsk_start_ts(), NSK_ATTR_PAD) ||
	    nla_put_u64_64bit(msg, NSK_ATTR_STOP_TS, nsk_stop_ts(), NSK_ATTR_PAD)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&nsk_genl_family, msg, 0, NSK_MCGRP_EVENTS_ID,
			  GFP_KERNEL);
}

/* A governor decision (drain context). */
void nsk_genl_send_governor(u64 ts, u32 from, u32 to, u64 rate, u32 budget)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(2 * nla_total_size_64bit(sizeof(u64)) +
			  3 * nla_total_size(sizeof(u32)), GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &nsk_genl_family, 0, NSK_CMD_GOVERNOR);
	if (!hdr ||
	    nla_put_u64_64bit(msg, NSK_ATTR_GOV_TS, ts, NSK_ATTR_PAD) ||
	    nla_put_u32(msg, NSK_ATTR_GOV_FROM, from) ||
	    nla_put_u32(msg, NSK_ATTR_GOV_TO, to) ||
	    nla_put_u64_64bit(msg, NSK_ATTR_GOV_RATE, rate, NSK_ATTR_PAD) ||
	    nla_put_u32(msg, NSK_ATTR_GOV_BUDGET, budget)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&nsk_genl_family, msg, 0, NSK_MCGRP_EVENTS_ID, GFP_KERNEL);
}

/* ---- family -------------------------------------------------------------------- */

static const struct genl_small_ops nsk_ops[] = {
	{ .cmd = NSK_CMD_STATUS, .doit = nsk_cmd_status, .flags = GENL_ADMIN_PERM,
	  NSK_GENL_OP_POLICY(nsk_policy) },
	{ .cmd = NSK_CMD_START, .doit = nsk_cmd_start, .flags = GENL_ADMIN_PERM,
	  NSK_GENL_OP_POLICY(nsk_policy) },
	{ .cmd = NSK_CMD_STOP, .doit = nsk_cmd_stop, .flags = GENL_ADMIN_PERM,
	  NSK_GENL_OP_POLICY(nsk_policy) },
	{ .cmd = NSK_CMD_CONFIG, .doit = nsk_cmd_config, .flags = GENL_ADMIN_PERM,
	  NSK_GENL_OP_POLICY(nsk_policy) },
};

static const struct genl_multicast_group nsk_mcgrps[] = {
	[NSK_MCGRP_EVENTS_ID] = { .name = NSK_MCGRP_EVENTS, NSK_MCGRP_PERM },
};

struct genl_family nsk_genl_family __ro_after_init = {
	.name		= NSK_GENL_NAME,
	.version	= NSK_GENL_VERSION,
	.maxattr	= NSK_ATTR_MAX,
	NSK_GENL_FAMILY_POLICY(nsk_policy)
	.netnsok	= false,
	/*
	 * Every command serialises on nsk_ctl_lock, not on the genetlink core's
	 * genl_mutex, which every generic netlink family of the host shares
	 * (ethtool, nl80211, devlink, ...).  (START and STOP no longer do their
	 * heavy part in the handler either: nsk_main.c's control work does.)
	 */
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.small_ops	= nsk_ops,
	.n_small_ops	= ARRAY_SIZE(nsk_ops),
	.mcgrps		= nsk_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(nsk_mcgrps),
	NSK_GENL_STRICT_FROM(0)
};

int nsk_genl_init(void)
{
	return genl_register_family(&nsk_genl_family);
}

void nsk_genl_exit(void)
{
	genl_unregister_family(&nsk_genl_family);
}
