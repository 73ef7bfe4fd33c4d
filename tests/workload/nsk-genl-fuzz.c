// SPDX-License-Identifier: GPL-2.0
/*
 * nsk-genl-fuzz: send malformed requests to the netstack_kmon generic netlink
 * family over a raw netlink socket (no libnl) and check that every one is
 * refused with an NLMSG_ERROR carrying a negative error.
 *
 *   nsk-genl-fuzz            malformed-request cases (run as root)
 *   nsk-genl-fuzz --unpriv   run as an unprivileged user: STATUS, START,
 *                            STOP and CONFIG fail with EPERM, joining the
 *                            "events" group is refused
 *   nsk-genl-fuzz --random N [--seed S]
 *                            N random malformed requests (at most 100000),
 *                            built so that none is valid (see fuzz_one());
 *                            each must get an NLMSG_ERROR < 0 within 2 s,
 *                            and those the family's strict policy refuses
 *                            must carry extack.  Prints a count per class.
 *
 * Exit: 0 all refused as expected, 1 something was accepted / unexpected,
 * 3 the family is not registered.
 */
#define _GNU_SOURCE
#include "nsk-genl-raw.h"

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

/* ---- random malformed requests --------------------------------------------- */

static unsigned long long rng_state;

static unsigned int rnd(unsigned int n)
{
	/* xorshift64*: reproducible from --seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (unsigned int)((rng_state * 2685821657736338717ULL) >> 32) % n;
}

static void rnd_bytes(void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		((unsigned char *)p)[i] = rnd(256);
}

enum fuzz_class {
	FZ_UNKNOWN_CMD,		/* cmd 0 or >= NSK_CMD_EVENTS: no doit */
	FZ_SHORT_GENLHDR,	/* genlmsghdr cut to 0..3 bytes */
	FZ_UNKNOWN_ATTR,	/* valid cmd, top-level attr type > NSK_ATTR_MAX */
	FZ_CONFIG_NOT_NESTED,	/* NSK_ATTR_CONFIG without NLA_F_NESTED */
	FZ_NEST_GARBAGE,	/* NSK_ATTR_CONFIG nest: random bytes + leftover */
	FZ_WRONG_LEN,		/* a known config attr with the wrong length */
	FZ_OUT_OF_RANGE,	/* well-formed but semantically invalid values */
	FZ_ATTR_OVERRUN,	/* attribute length beyond the message */
	FZ_OVERSIZED,		/* several KiB of attributes, one unknown */
	FZ_NCLASS,
};

static const char *const fz_name[FZ_NCLASS] = {
	"unknown-cmd", "short-genlhdr", "unknown-attr", "config-not-nested",
	"nest-garbage", "wrong-length", "out-of-range", "attr-overrun", "oversized",
};

/* policy/semantic refusals of the family carry extack; the genl core's own
 * refusals (no such command, short header) do not on 6.1 */
static const int fz_needs_extack[FZ_NCLASS] = {
	0, 0, 1, 1, 1, 1, 1, 1, 1,
};

static unsigned char fz_buf[16384] __attribute__((aligned(4)));

static struct nlattr *nest_begin(struct nlmsghdr *n, unsigned short type)
{
	return put_attr(n, type | NLA_F_NESTED, NULL, 0);
}

static void nest_end(struct nlmsghdr *n, struct nlattr *nest)
{
	nest->nla_len = (char *)n + n->nlmsg_len - (char *)nest;
}

/* CONFIG or START: both parse NSK_ATTR_CONFIG first */
static unsigned char cfg_cmd(void)
{
	return rnd(2) ? NSK_CMD_CONFIG : NSK_CMD_START;
}

static unsigned char any_cmd(void)
{
	static const unsigned char c[] = { NSK_CMD_STATUS, NSK_CMD_START, NSK_CMD_STOP,
					   NSK_CMD_CONFIG };
	return c[rnd(4)];
}

/* Build one request of class `cl` in fz_buf; returns its length. */
static size_t fuzz_one(int family, int cl)
{
	struct req *r = (struct req *)fz_buf;
	struct nlmsghdr *n = &r->n;
	unsigned char junk[64];
	struct nlattr *nest, *a;

	memset(fz_buf, 0, sizeof(fz_buf));
	init_req(r, family, any_cmd());
	switch (cl) {
	case FZ_UNKNOWN_CMD:
		r->g.cmd = rnd(2) ? 0 : NSK_CMD_EVENTS + rnd(256 - NSK_CMD_EVENTS);
		if (rnd(2)) {
			rnd_bytes(junk, sizeof(junk));
			put_attr(n, rnd(NSK_ATTR_MAX + 1), junk, rnd(sizeof(junk)));
		}
		break;
	case FZ_SHORT_GENLHDR:
		n->nlmsg_len = NLMSG_LENGTH(rnd(GENL_HDRLEN));
		break;
	case FZ_UNKNOWN_ATTR:
		rnd_bytes(junk, sizeof(junk));
		put_attr(n, NSK_ATTR_MAX + 1 + rnd(NLA_TYPE_MASK - NSK_ATTR_MAX), junk,
			 rnd(sizeof(junk)));
		break;
	case FZ_CONFIG_NOT_NESTED:
		r->g.cmd = cfg_cmd();
		rnd_bytes(junk, sizeof(junk));
		put_attr(n, NSK_ATTR_CONFIG, junk, 4 * (1 + rnd(8)));
		break;
	case FZ_NEST_GARBAGE: {
		/* random bytes, then 1..3 bytes that cannot hold an attribute
		 * header: strict parsing refuses the leftover even if the
		 * random part happened to parse */
		size_t len = 4 * rnd(12), extra = 1 + rnd(3);

		r->g.cmd = cfg_cmd();
		nest = nest_begin(n, NSK_ATTR_CONFIG);
		rnd_bytes((char *)nest + NLA_HDRLEN, len + extra);
		nest->nla_len = NLA_HDRLEN + len + extra;
		n->nlmsg_len = NLMSG_ALIGN((char *)nest + nest->nla_len - (char *)n);
		break;
	}
	case FZ_WRONG_LEN: {
		static const struct { unsigned short type, len; } known[] = {
			{ NSK_CFG_ATTR_PROTO, 1 }, { NSK_CFG_ATTR_PORT, 2 },
			{ NSK_CFG_ATTR_ADDR_FAMILY, 1 }, { NSK_CFG_ATTR_ADDR_PREFIX, 1 },
			{ NSK_CFG_ATTR_PID, 4 }, { NSK_CFG_ATTR_NETNS, 4 },
			{ NSK_CFG_ATTR_SAMPLE, 4 }, { NSK_CFG_ATTR_BUDGET, 4 },
			{ NSK_CFG_ATTR_ADDR, 0 },	/* binary: at most 16 */
		};
		int k = rnd(sizeof(known) / sizeof(known[0]));
		unsigned short len;

		if (known[k].len)
			do
				len = rnd(9);
			while (len == known[k].len);
		else
			len = 17 + rnd(40);
		r->g.cmd = cfg_cmd();
		nest = nest_begin(n, NSK_ATTR_CONFIG);
		rnd_bytes(junk, sizeof(junk));
		put_attr(n, known[k].type, junk, len);
		nest_end(n, nest);
		break;
	}
	case FZ_OUT_OF_RANGE: {
		unsigned char u8v;
		unsigned int u32v;
		unsigned char addr[16];

		r->g.cmd = cfg_cmd();
		nest = nest_begin(n, NSK_ATTR_CONFIG);
		rnd_bytes(addr, sizeof(addr));
		switch (rnd(6)) {
		case 0:		/* protocol other than UDP/TCP */
			do
				u8v = rnd(256);
			while (u8v == 6 || u8v == 17);
			put_attr(n, NSK_CFG_ATTR_PROTO, &u8v, 1);
			break;
		case 1:		/* sampling divisor above 65536 */
			u32v = 65537 + rnd(0x7fffffff);
			put_attr(n, NSK_CFG_ATTR_SAMPLE, &u32v, 4);
			break;
		case 2:		/* prefix above 128 (policy) */
			u8v = 129 + rnd(127);
			put_attr(n, NSK_CFG_ATTR_ADDR_FAMILY, &(unsigned char){ 10 }, 1);
			put_attr(n, NSK_CFG_ATTR_ADDR, addr, 16);
			put_attr(n, NSK_CFG_ATTR_ADDR_PREFIX, &u8v, 1);
			break;
		case 3:		/* IPv4 prefix above 32 */
			u8v = 33 + rnd(96);
			put_attr(n, NSK_CFG_ATTR_ADDR_FAMILY, &(unsigned char){ 2 }, 1);
			put_attr(n, NSK_CFG_ATTR_ADDR, addr, 4);
			put_attr(n, NSK_CFG_ATTR_ADDR_PREFIX, &u8v, 1);
			break;
		case 4:		/* address length does not match the family */
			u8v = rnd(2) ? 2 : 10;
			put_attr(n, NSK_CFG_ATTR_ADDR_FAMILY, &u8v, 1);
			{
				unsigned short len;

				do
					len = rnd(17);
				while ((u8v == 2 && len == 4) || (u8v == 10 && len == 16));
				put_attr(n, NSK_CFG_ATTR_ADDR, addr, len);
			}
			break;
		default:	/* family or prefix without an address */
			if (rnd(2))
				put_attr(n, NSK_CFG_ATTR_ADDR_FAMILY, &(unsigned char){ 2 }, 1);
			else
				put_attr(n, NSK_CFG_ATTR_ADDR_PREFIX, &(unsigned char){ 8 }, 1);
			break;
		}
		nest_end(n, nest);
		break;
	}
	case FZ_ATTR_OVERRUN:
		rnd_bytes(junk, sizeof(junk));
		a = put_attr(n, rnd(2) ? NSK_ATTR_CONFIG | NLA_F_NESTED : rnd(NSK_ATTR_MAX + 1),
			     junk, 4 * rnd(4));
		a->nla_len = (char *)n + n->nlmsg_len - (char *)a + 4 + rnd(4000);
		break;
	case FZ_OVERSIZED: {
		/* 2..14 KiB of well-formed attributes, one of them unknown */
		unsigned int total = 2048 + rnd(12 * 1024), bad_at;
		unsigned int i = 0;

		bad_at = rnd(total / 260);
		while (n->nlmsg_len + NLA_HDRLEN + 256 < total) {
			unsigned char big[256];

			rnd_bytes(big, sizeof(big));
			put_attr(n, i++ == bad_at ? NSK_ATTR_MAX + 1 + rnd(100) : NSK_ATTR_PAD,
				 big, sizeof(big));
		}
		if (i <= bad_at)
			put_attr(n, NSK_ATTR_MAX + 1, junk, 4);
		break;
	}
	}
	return n->nlmsg_len;
}

static int fuzz_random(int family, unsigned int count)
{
	unsigned int sent[FZ_NCLASS] = { 0 }, ext[FZ_NCLASS] = { 0 }, bad[FZ_NCLASS] = { 0 };
	unsigned int i;
	int cl, errs[FZ_NCLASS][4] = { { 0 } };

	quiet_extack = 1;
	for (i = 0; i < count; i++) {
		size_t len;
		int rc;

		cl = i % FZ_NCLASS;
		len = fuzz_one(family, cl);
		sent[cl]++;
		if (send_raw(fz_buf, len)) {
			bad[cl]++;
			continue;
		}
		rc = wait_answer(((struct nlmsghdr *)fz_buf)->nlmsg_seq, NULL, 0);
		if (rc == -ETIMEDOUT || rc >= 0) {
			printf("FAIL: request %u (class %s, %zu bytes, cmd %u): %s\n", i,
			       fz_name[cl], len, ((struct req *)fz_buf)->g.cmd,
			       rc >= 0 ? "accepted" : "no answer within 2 s");
			bad[cl]++;
			continue;
		}
		if (last_extack_any)
			ext[cl]++;
		else if (fz_needs_extack[cl]) {
			printf("FAIL: request %u (class %s): refused (%s) without extack\n", i,
			       fz_name[cl], strerror(-rc));
			bad[cl]++;
		}
		errs[cl][rc == -EINVAL ? 0 : rc == -EOPNOTSUPP ? 1 : rc == -ERANGE ? 2 : 3]++;
	}
	for (cl = 0; cl < FZ_NCLASS; cl++) {
		printf("class=%s sent=%u refused=%u extack=%u einval=%d eopnotsupp=%d erange=%d other=%d\n",
		       fz_name[cl], sent[cl], sent[cl] - bad[cl], ext[cl], errs[cl][0], errs[cl][1],
		       errs[cl][2], errs[cl][3]);
		failures += bad[cl];
	}
	printf("random: sent=%u failures=%d\n", count, failures);
	return failures;
}

int main(int argc, char **argv)
{
	int unpriv = 0;
	unsigned int grp = 0, random_n = 0;
	unsigned long long seed = 1;
	struct req r;
	int one = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--unpriv"))
			unpriv = 1;
		else if (!strcmp(argv[i], "--random") && i + 1 < argc)
			random_n = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else {
			fprintf(stderr, "usage: nsk-genl-fuzz [--unpriv] [--random N [--seed S]]\n");
			return 2;
		}
	}
	if (random_n > 100000) {
		fprintf(stderr, "nsk-genl-fuzz: --random is bounded to 100000\n");
		return 2;
	}
	rng_state = seed ? seed : 1;
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
		init_req(&r, family, NSK_CMD_STOP);
		expect_refused("STOP without CAP_NET_ADMIN", &r, r.n.nlmsg_len, -EPERM);
		init_req(&r, family, NSK_CMD_CONFIG);
		expect_refused("CONFIG without CAP_NET_ADMIN", &r, r.n.nlmsg_len, -EPERM);
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

	if (random_n) {
		printf("random: %u requests, seed %llu\n", random_n, seed);
		fuzz_random(family, random_n);
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
