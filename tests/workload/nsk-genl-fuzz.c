// SPDX-License-Identifier: GPL-2.0
/*
 * nsk-genl-fuzz: send malformed requests to the netstack_kmon generic netlink
 * family over a raw netlink socket (no libnl) and check that every one is
 * refused with an NLMSG_ERROR carrying a negative error.
 *
 *   nsk-genl-fuzz            malformed-request cases (run as root)
 *   nsk-genl-fuzz --unpriv   run as an unprivileged user: STATUS and joining
 *                            the "events" group must fail with EPERM
 *
 * Exit: 0 all refused as expected, 1 something was accepted / unexpected,
 * 3 the family is not registered.
 */
#define _GNU_SOURCE
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

/* Print the extack message (NLMSGERR_ATTR_MSG) of an error, if present. */
static void print_extack(const struct nlmsghdr *n)
{
	const struct nlmsgerr *e = NLMSG_DATA(n);
	size_t off = sizeof(*e);

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
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG)
			printf("  extack: %.*s\n", (int)(a->nla_len - NLA_HDRLEN), p + NLA_HDRLEN);
		else if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_OFFS &&
			 a->nla_len >= NLA_HDRLEN + 4)
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

static int failures;

/* Send one request and expect a negative error (or exactly `want` if non-zero). */
static void expect_refused(const char *what, const void *msg, size_t len, int want)
{
	const struct nlmsghdr *n = msg;
	int rc;

	printf("case: %s\n", what);
	fflush(stdout);
	if (send_raw(msg, len)) {
		failures++;
		return;
	}
	rc = wait_answer(n->nlmsg_seq, NULL, 0);
	if (rc == -ETIMEDOUT) {
		printf("  FAIL: no answer within 2 s\n");
		failures++;
	} else if (rc >= 0) {
		printf("  FAIL: accepted (error=0)\n");
		failures++;
	} else if (want && rc != want) {
		printf("  FAIL: refused with %d (%s), expected %d (%s)\n", rc, strerror(-rc), want,
		       strerror(-want));
		failures++;
	} else {
		printf("  ok: refused with %d (%s)\n", rc, strerror(-rc));
	}
}

int main(int argc, char **argv)
{
	int unpriv = argc > 1 && !strcmp(argv[1], "--unpriv");
	unsigned int grp = 0;
	struct req r;
	int one = 1;

	if (argc > 1 && !unpriv) {
		fprintf(stderr, "usage: nsk-genl-fuzz [--unpriv]\n");
		return 2;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0) {
		perror("nsk-genl-fuzz: socket");
		return 1;
	}
	if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)))
		perror("nsk-genl-fuzz: NETLINK_EXT_ACK (continuing)");
	int family = resolve_family(&grp);
	if (family < 0)
		return 3;
	printf("family %s id=%d events-group=%u\n", NSK_GENL_NAME, family, grp);

	if (unpriv) {
		init_req(&r, family, NSK_CMD_STATUS);
		expect_refused("STATUS without CAP_NET_ADMIN", &r, r.n.nlmsg_len, -EPERM);
		init_req(&r, family, NSK_CMD_START);
		expect_refused("START without CAP_NET_ADMIN", &r, r.n.nlmsg_len, -EPERM);
		printf("case: join multicast group \"%s\" without CAP_NET_ADMIN\n", NSK_MCGRP_EVENTS);
		if (!grp) {
			printf("  FAIL: family has no \"%s\" group\n", NSK_MCGRP_EVENTS);
			failures++;
		} else if (!setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp))) {
			printf("  FAIL: joined\n");
			failures++;
		} else {
			printf("  ok: refused with %s\n", strerror(errno));
		}
		goto out;
	}

	/* (a) unknown command number */
	init_req(&r, family, 200);
	expect_refused("unknown command 200", &r, r.n.nlmsg_len, 0);

	/* (b) CONFIG with NSK_CFG_ATTR_PORT of 8 bytes instead of a u16 */
	{
		unsigned long long eight = 9000;
		init_req(&r, family, NSK_CMD_CONFIG);
		struct nlattr *nest = put_attr(&r.n, NSK_ATTR_CONFIG | NLA_F_NESTED, NULL, 0);
		put_attr(&r.n, NSK_CFG_ATTR_PORT, &eight, sizeof(eight));
		nest->nla_len = (char *)&r + r.n.nlmsg_len - (char *)nest;
		expect_refused("CONFIG: NSK_CFG_ATTR_PORT with 8 bytes instead of u16", &r,
			       r.n.nlmsg_len, 0);
	}

	/* (b2) CONFIG with an unknown attribute inside the config nest */
	{
		unsigned int v = 1;
		init_req(&r, family, NSK_CMD_CONFIG);
		struct nlattr *nest = put_attr(&r.n, NSK_ATTR_CONFIG | NLA_F_NESTED, NULL, 0);
		put_attr(&r.n, 250, &v, sizeof(v));
		nest->nla_len = (char *)&r + r.n.nlmsg_len - (char *)nest;
		expect_refused("CONFIG: unknown attribute 250 inside the config nest", &r,
			       r.n.nlmsg_len, 0);
	}

	/* (c) unknown top-level attribute type 250 */
	{
		unsigned int v = 1;
		init_req(&r, family, NSK_CMD_STATUS);
		put_attr(&r.n, 250, &v, sizeof(v));
		expect_refused("STATUS with unknown top-level attribute 250", &r, r.n.nlmsg_len, 0);
	}

	/* (c2) wrong type for a top-level attribute: a u32 where a nest is expected */
	{
		unsigned int v = 1;
		init_req(&r, family, NSK_CMD_CONFIG);
		put_attr(&r.n, NSK_ATTR_CONFIG, &v, sizeof(v));
		expect_refused("CONFIG with NSK_ATTR_CONFIG as a u32 instead of a nest", &r,
			       r.n.nlmsg_len, 0);
	}

	/* (d) truncated: the generic netlink header is cut to 2 of its 4 bytes */
	init_req(&r, family, NSK_CMD_STATUS);
	r.n.nlmsg_len = NLMSG_LENGTH(2);
	expect_refused("truncated generic netlink header", &r, r.n.nlmsg_len, 0);

	/* (d2) truncated: an attribute claims 64 bytes, the message holds 8 */
	{
		unsigned int v = 1;
		init_req(&r, family, NSK_CMD_CONFIG);
		struct nlattr *a = put_attr(&r.n, NSK_ATTR_CONFIG | NLA_F_NESTED, &v, sizeof(v));
		a->nla_len = 64;
		expect_refused("attribute length beyond the end of the message", &r,
			       r.n.nlmsg_len, 0);
	}
out:
	printf("nsk-genl-fuzz: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}
