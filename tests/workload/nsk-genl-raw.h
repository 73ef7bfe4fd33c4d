/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nsk-genl-raw.h: a raw generic netlink socket to the netstack_kmon family
 * (no libnl), shared by the test programs nsk-genl-fuzz and nsk-genl-sub:
 * build a request, send it, wait for its answer (printing the extack
 * message), resolve the family id and the "events" group.  Header-only:
 * each program is one C file plus this.
 */
#ifndef NSK_GENL_RAW_H
#define NSK_GENL_RAW_H

#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/netstack_kmon.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static int fd;
static unsigned int seq = 1;
/* the last extack message received (empty if none) */
static char last_extack[256];
/* the last error carried extack (a message or a bad-attribute offset) */
static int last_extack_any;

struct req {
	struct nlmsghdr n;
	struct genlmsghdr g;
	char buf[512];
};

/* Append an attribute at the end of the message; returns it. */
static struct nlattr *put_attr(struct nlmsghdr *n, unsigned short type, const void *data,
			       unsigned short len)
{
	struct nlattr *a = (struct nlattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + NLA_ALIGN(a->nla_len);
	return a;
}

static void init_req(struct req *r, unsigned short family, unsigned char cmd)
{
	memset(r, 0, sizeof(*r));
	r->n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->n.nlmsg_type = family;
	r->n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	r->n.nlmsg_seq = seq++;
	r->g.cmd = cmd;
	r->g.version = 1;
}

static int send_raw(const void *msg, size_t len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	if (sendto(fd, msg, len, 0, (struct sockaddr *)&sa, sizeof(sa)) != (ssize_t)len) {
		perror("nsk-genl-fuzz: sendto");
		return -1;
	}
	return 0;
}

/* Print (unless quiet_extack) and keep the extack message of an error. */
static int quiet_extack;
static void print_extack(const struct nlmsghdr *n)
{
	const struct nlmsgerr *e = NLMSG_DATA(n);
	size_t off = sizeof(*e);

	last_extack[0] = 0;
	last_extack_any = 0;
	if (!(n->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(n->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg); /* the request is echoed in full */
	const char *p = (const char *)e + off;
	const char *end = (const char *)n + n->nlmsg_len;
	while (p + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const struct nlattr *)p;

		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
			last_extack_any = 1;
			snprintf(last_extack, sizeof(last_extack), "%.*s",
				 (int)(a->nla_len - NLA_HDRLEN), p + NLA_HDRLEN);
			if (!quiet_extack)
				printf("  extack: %s\n", last_extack);
		}
		else if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_OFFS &&
			 a->nla_len >= NLA_HDRLEN + 4 && (last_extack_any = 1) && !quiet_extack)
			printf("  extack: bad attribute at offset %u\n",
			       *(const unsigned int *)(p + NLA_HDRLEN));
		p += NLA_ALIGN(a->nla_len);
	}
}

/*
 * Wait for the answer to `want_seq`: returns the (negative) error of its
 * NLMSG_ERROR, 0 for an ACK, 1 for a data reply (copied to reply), -ETIMEDOUT
 * if nothing came.
 */
static int wait_answer(unsigned int want_seq, char *reply, size_t replylen)
{
	static char buf[65536];

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 2000) <= 0)
			return -ETIMEDOUT;
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		if (len < 0)
			return -errno;
		for (struct nlmsghdr *n = (struct nlmsghdr *)buf; NLMSG_OK(n, (size_t)len);
		     n = NLMSG_NEXT(n, len)) {
			if (n->nlmsg_seq != want_seq)
				continue;
			if (n->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(n);
				if (e->error)
					print_extack(n);
				return e->error;
			}
			if (reply && n->nlmsg_len <= replylen)
				memcpy(reply, n, n->nlmsg_len);
			/* a data reply; its ACK follows, keep reading for it */
			if (!(n->nlmsg_flags & NLM_F_MULTI))
				reply = NULL;
		}
	}
}

static int resolve_family(unsigned int *mcgrp_events)
{
	struct req r;
	static char reply[16384];
	int rc;

	init_req(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY);
	put_attr(&r.n, CTRL_ATTR_FAMILY_NAME, NSK_GENL_NAME, sizeof(NSK_GENL_NAME));
	if (send_raw(&r, r.n.nlmsg_len))
		return -1;
	memset(reply, 0, sizeof(reply));
	rc = wait_answer(r.n.nlmsg_seq, reply, sizeof(reply));
	if (rc < 0) {
		fprintf(stderr, "nsk-genl-fuzz: family %s not found: %s\n", NSK_GENL_NAME,
			strerror(-rc));
		return -1;
	}
	struct nlmsghdr *n = (struct nlmsghdr *)reply;
	int family = -1;
	char *p = (char *)NLMSG_DATA(n) + GENL_HDRLEN, *end = reply + n->nlmsg_len;
	while (p + NLA_HDRLEN <= end) {
		struct nlattr *a = (struct nlattr *)p;
		if (a->nla_len < NLA_HDRLEN)
			break;
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			family = *(unsigned short *)(p + NLA_HDRLEN);
		if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_MCAST_GROUPS) {
			/* nest of nests { CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_MCAST_GRP_ID } */
			char *q = p + NLA_HDRLEN, *qend = p + a->nla_len;
			while (q + NLA_HDRLEN <= qend) {
				struct nlattr *g = (struct nlattr *)q;
				char *s = q + NLA_HDRLEN, *send_ = q + g->nla_len;
				const char *name = NULL;
				unsigned int id = 0;
				if (g->nla_len < NLA_HDRLEN)
					break;
				while (s + NLA_HDRLEN <= send_) {
					struct nlattr *f = (struct nlattr *)s;
					if (f->nla_len < NLA_HDRLEN)
						break;
					if (f->nla_type == CTRL_ATTR_MCAST_GRP_NAME)
						name = s + NLA_HDRLEN;
					if (f->nla_type == CTRL_ATTR_MCAST_GRP_ID)
						id = *(unsigned int *)(s + NLA_HDRLEN);
					s += NLA_ALIGN(f->nla_len);
				}
				if (name && !strcmp(name, NSK_MCGRP_EVENTS) && mcgrp_events)
					*mcgrp_events = id;
				q += NLA_ALIGN(g->nla_len);
			}
		}
		p += NLA_ALIGN(a->nla_len);
	}
	if (family < 0)
		fprintf(stderr, "nsk-genl-fuzz: no family id in the controller reply\n");
	return family;
}

#endif /* NSK_GENL_RAW_H */
