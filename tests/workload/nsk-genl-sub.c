// SPDX-License-Identifier: GPL-2.0
/*
 * nsk-genl-sub: a raw subscriber / controller of the netstack_kmon family
 * (no libnl), for the hardening scenarios (tests/vm/scenarios/4x_*.sh).
 *
 *   nsk-genl-sub [--start] [--no-join] [--no-read] [--until-stopped]
 *                [--ids FILE] [--ready-file F] [--timeout-ms N] [--rcvbuf B]
 *       join the "events" group (unless --no-join), START a collection on
 *       this socket if asked (the socket becomes the collection's owner),
 *       then read batches until SIGTERM/SIGINT, until the STOPPED message
 *       (--until-stopped) or until nothing came for N ms (--timeout-ms,
 *       exit 1).  --no-read: never read, sleep until killed (a stalled
 *       subscriber).  --ids FILE: one line per record,
 *       "probe skb_id sk_id sk_ino sk_lport" (ids in hex).
 *   nsk-genl-sub --cycles N
 *       N x (START, STOP) on one socket, as fast as the module answers
 *       (START and STOP each wait until the module is running / idle again:
 *       the module answers at once and does the work in its own workqueue);
 *       prints cycles=N start_ms=AVG stop_ms=AVG (mean time per command).
 *   nsk-genl-sub --stop
 *       STOP the running collection (from any socket) and wait until idle.
 *   --start waits until the collection runs before it writes --ready-file;
 *   --start-port N: the START carries a config (port filter N).
 *   nsk-genl-sub --watch FILE
 *       ask STATUS every 2 ms until SIGTERM; one line per state seen in a
 *       row: "STATE answers=N max_ms=M for_ms=T" (see watch_states).
 *   nsk-genl-sub --when-starting ACTION [--ready-file F]
 *       ask STATUS every 1 ms (F written once the first answer came: armed)
 *       until the state is starting, then at once: ACTION stop (STOP, then
 *       wait until idle), kill:PID (SIGKILL to PID) or rmmod
 *       (delete_module("netstack_kmon", O_NONBLOCK), which returns once the
 *       module is gone).  Prints "starting seen after N answers (idle ...);
 *       ACTION: rc". Exit 1 when the state became running before a STATUS
 *       saw it starting, or nothing started within 120 s.  The scenario's
 *       reaction to "starting" is then one netlink round trip, not a
 *       process spawn (seconds on an emulated debug kernel).
 *
 * At exit prints one line:
 *   batches=N records=N gaps=N stopped=N enobufs=N stopped_sent=N stopped_fail=N
 *   stopped_written=N bad_refs=N stages=N bytes=N
 * bad_refs: compact stages (NSK_REC_STAGE) that name no event of their batch
 * (with --ids only; a module bug); stages: compact stages among the records
 * (with --ids only); bytes: bytes of records received;
 * gaps: records missing from the per-CPU sequence numbers (each STOPPED
 * starts a new collection: sequence numbers restart at 0); stopped_sent /
 * stopped_fail / stopped_written: sums of the per-CPU `sent` /
 * `netlink_fail` / `written` counters carried by the STOPPED messages
 * received.
 * Exit: 0 ok, 1 error (refused command, timeout), 2 usage, 3 no family.
 */
#define _GNU_SOURCE
#include "nsk-genl-raw.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

#define MAX_CPUS 1024
/* more records than a received message can hold (recv buffer / smallest record) */
#define NSK_BATCH_MAX_RECORDS ((1 << 17) / NSK_STAGE_SHORT_SIZE + 1)

static volatile sig_atomic_t done;
static unsigned long long batches, records, gaps, stopped, enobufs, st_sent, st_fail, st_written;
static unsigned long long bad_refs;	/* compact stages that name no event of their batch */
static unsigned long long stages, bytes;	/* compact stages received, record bytes received */
static unsigned long long next_seq[MAX_CPUS];
static FILE *ids;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void on_signal(int sig)
{
	(void)sig;
	done = 1;
}

static void print_counts(void)
{
	printf("batches=%llu records=%llu gaps=%llu stopped=%llu enobufs=%llu stopped_sent=%llu stopped_fail=%llu stopped_written=%llu bad_refs=%llu stages=%llu bytes=%llu\n",
	       batches, records, gaps, stopped, enobufs, st_sent, st_fail, st_written, bad_refs,
	       stages, bytes);
	fflush(stdout);
}

static int command(int family, unsigned char cmd, const char *name)
{
	struct req r;
	int rc;

	init_req(&r, family, cmd);
	if (send_raw(&r, r.n.nlmsg_len))
		return -1;
	rc = wait_answer(r.n.nlmsg_seq, NULL, 0);
	if (rc) {
		fprintf(stderr, "nsk-genl-sub: %s refused: %s%s%s\n", name, strerror(-rc),
			last_extack[0] ? ": " : "", last_extack);
		return -1;
	}
	return 0;
}

static const struct nlattr *attr_next(const struct nlattr *a, const char *end);
static int attr_ok(const struct nlattr *a, const char *end);

/*
 * START and STOP answer at once; the module then starts or stops in its own
 * work (enum nsk_state).  Ask STATUS, on a socket of its own (the main one
 * may be reading events, which wait_answer would skip), until the state is
 * `want` (or, waiting for running, idle: the start failed).  Returns 0, or
 * -errno of the failed start (its message printed as a refused START's), or
 * -ETIMEDOUT after 60 s.
 */
/* One STATUS on the current fd: the state (-1: none in the reply), the start error and message. */
static int query_state(int family, int *err, const char **msg)
{
	static char reply[1 << 17];
	struct req r;
	int state = -1, rc;

	*err = 0;
	*msg = "";
	init_req(&r, family, NSK_CMD_STATUS);
	if (send_raw(&r, r.n.nlmsg_len))
		return -2;
	memset(reply, 0, sizeof(reply));
	rc = wait_answer(r.n.nlmsg_seq, reply, sizeof(reply));
	if (rc)
		return -2;
	const struct nlmsghdr *n = (const void *)reply;
	const char *end = reply + n->nlmsg_len;
	const struct nlattr *a = (const void *)((const char *)NLMSG_DATA(n) + GENL_HDRLEN);

	for (; attr_ok(a, end); a = attr_next(a, end)) {
		const char *d = (const char *)a + NLA_HDRLEN;

		switch (a->nla_type & NLA_TYPE_MASK) {
		case NSK_ATTR_STATE: state = *(const unsigned char *)d; break;
		case NSK_ATTR_START_ERROR: memcpy(err, d, 4); break;
		case NSK_ATTR_START_MESSAGE: *msg = d; break;
		}
	}
	return state;
}

/*
 * --watch FILE: ask STATUS every 2 ms until SIGTERM and write one line per
 * state seen: "STATE answers=N max_ms=M" (N STATUS answers in a row in that
 * state, the slowest of them); "none" for a reply without a state, "error"
 * when STATUS failed.  Proves that STATUS answers while a START or STOP is
 * in progress (answers > 1 in starting / stopping).
 */
static int watch_states(int family, const char *path)
{
	static const char *names[] = { "idle", "starting", "running", "stopping" };
	FILE *f = fopen(path, "w");
	int last = -3, answers = 0;
	double max_ms = 0, first_ms = 0, last_ms = 0;

	if (!f) {
		perror(path);
		return 1;
	}
	while (!done) {
		int err;
		const char *msg;
		double t0 = now_ms();
		int st = query_state(family, &err, &msg);
		double dt = now_ms() - t0;

		if (st != last && last != -3) {
			fprintf(f, "%s answers=%d max_ms=%.1f for_ms=%.1f\n",
				last >= 0 && last < 4 ? names[last] : last == -1 ? "none" : "error",
				answers, max_ms, last_ms - first_ms);
			fflush(f);
			answers = 0;
			max_ms = 0;
		}
		if (st != last)
			first_ms = t0;	/* for_ms: first to last answer in that state */
		last_ms = t0 + dt;
		last = st;
		answers++;
		if (dt > max_ms)
			max_ms = dt;
		usleep(2000);
	}
	if (last != -3)
		fprintf(f, "%s answers=%d max_ms=%.1f for_ms=%.1f\n",
			last >= 0 && last < 4 ? names[last] : last == -1 ? "none" : "error",
			answers, max_ms, last_ms - first_ms);
	fclose(f);
	return 0;
}

static int wait_state(int family, unsigned char want)
{
	static int ctl = -1;
	int main_fd = fd, rc = -ETIMEDOUT;
	double t0 = now_ms();

	if (ctl < 0)
		ctl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (ctl < 0)
		return -errno;
	fd = ctl;
	while (now_ms() - t0 < 60000) {
		int err;
		const char *msg;
		int state = query_state(family, &err, &msg);

		if (state == -2) {
			rc = -EIO;
			break;
		}
		if (state < 0 || state == want) {	/* (a module without states) */
			rc = 0;
			break;
		}
		if (want == NSK_STATE_RUNNING && state == NSK_STATE_IDLE) {
			rc = err ? err : -ECANCELED;
			fprintf(stderr, "nsk-genl-sub: START refused: %s%s%s\n", strerror(-rc),
				msg[0] ? ": " : "", msg);
			break;
		}
		usleep(20000);
		rc = -ETIMEDOUT;
	}
	fd = main_fd;
	if (rc == -ETIMEDOUT)
		fprintf(stderr, "nsk-genl-sub: state %u not reached within 60 s\n", want);
	return rc;
}

static int stop_and_wait(int family);

/*
 * --when-starting ACTION: poll STATUS (1 ms) until starting, then act at once
 * (see the header).  ready: written after the first answer (armed).
 */
static int when_starting(int family, const char *action, const char *ready)
{
	static const char *names[] = { "idle", "starting", "running", "stopping" };
	int answers = 0, st, err, rc, prev = -3;
	const char *msg;
	double t0 = now_ms();
	pid_t pid = 0;

	if (!strncmp(action, "kill:", 5))
		pid = atoi(action + 5);
	else if (strcmp(action, "stop") && strcmp(action, "rmmod")) {
		fprintf(stderr, "nsk-genl-sub: --when-starting stop|kill:PID|rmmod\n");
		return 2;
	}
	for (;;) {
		st = query_state(family, &err, &msg);
		if (st < 0) {
			fprintf(stderr, "nsk-genl-sub: STATUS failed or carried no state\n");
			return 1;
		}
		answers++;
		if (ready && answers == 1) {
			FILE *rf = fopen(ready, "w");

			if (!rf) {
				perror("nsk-genl-sub: --ready-file");
				return 1;
			}
			fclose(rf);
		}
		if (st == NSK_STATE_STARTING)
			break;
		if (st == NSK_STATE_RUNNING && prev == NSK_STATE_IDLE) {
			fprintf(stderr, "nsk-genl-sub: the start completed before a STATUS saw it starting (%d answers)\n",
				answers);
			return 1;
		}
		if (now_ms() - t0 > 120000) {
			fprintf(stderr, "nsk-genl-sub: not starting within 120 s (state %s)\n",
				st < 4 ? names[st] : "?");
			return 1;
		}
		prev = st;
		usleep(1000);
	}
	if (pid > 0) {
		rc = kill(pid, SIGKILL) ? -errno : 0;
	} else if (!strcmp(action, "stop")) {
		rc = stop_and_wait(family) ? -1 : 0;
	} else {
		rc = syscall(SYS_delete_module, "netstack_kmon", O_NONBLOCK) ? -errno : 0;
	}
	printf("starting seen after %d answers (%.0f ms after arming); %s: %s\n", answers,
	       now_ms() - t0, action, rc == 0 ? "done" : rc == -1 ? "failed" : strerror(-rc));
	fflush(stdout);
	return rc ? 1 : 0;
}

static int start_port = -1;	/* --start-port: START carries a config nest */

/* START, then wait until running (or failed: -1) */
static int start_and_wait(int family)
{
	if (start_port >= 0) {
		struct req r;
		unsigned short port = start_port;
		int rc;

		init_req(&r, family, NSK_CMD_START);
		struct nlattr *nest = put_attr(&r.n, NSK_ATTR_CONFIG | NLA_F_NESTED, NULL, 0);
		put_attr(&r.n, NSK_CFG_ATTR_PORT, &port, sizeof(port));
		nest->nla_len = (char *)&r + r.n.nlmsg_len - (char *)nest;
		if (send_raw(&r, r.n.nlmsg_len))
			return -1;
		rc = wait_answer(r.n.nlmsg_seq, NULL, 0);
		if (rc) {
			fprintf(stderr, "nsk-genl-sub: START refused: %s%s%s\n", strerror(-rc),
				last_extack[0] ? ": " : "", last_extack);
			return -1;
		}
	} else if (command(family, NSK_CMD_START, "START")) {
		return -1;
	}
	return wait_state(family, NSK_STATE_RUNNING) ? -1 : 0;
}

/* STOP, then wait until idle (the final drain and STOPPED are done) */
static int stop_and_wait(int family)
{
	if (command(family, NSK_CMD_STOP, "STOP"))
		return -1;
	return wait_state(family, NSK_STATE_IDLE) ? -1 : 0;
}

static const struct nlattr *attr_next(const struct nlattr *a, const char *end)
{
	const char *p = (const char *)a + NLA_ALIGN(a->nla_len);

	return p + NLA_HDRLEN <= end ? (const struct nlattr *)p : NULL;
}

static int attr_ok(const struct nlattr *a, const char *end)
{
	return a && a->nla_len >= NLA_HDRLEN && (const char *)a + a->nla_len <= end;
}

static unsigned long long get_u64(const struct nlattr *a)
{
	unsigned long long v = 0;

	memcpy(&v, (const char *)a + NLA_HDRLEN,
	       a->nla_len - NLA_HDRLEN < 8 ? a->nla_len - NLA_HDRLEN : 8);
	return v;
}

/* STOPPED: sum the per-CPU SENT and NETLINK_FAIL; the next collection restarts at seq 0 */
static void on_stopped(const struct nlattr *a, const char *end)
{
	for (; attr_ok(a, end); a = attr_next(a, end)) {
		if ((a->nla_type & NLA_TYPE_MASK) != NSK_ATTR_CPU_STATS)
			continue;
		const char *cend = (const char *)a + a->nla_len;

		for (const struct nlattr *c = (const void *)((const char *)a + NLA_HDRLEN);
		     attr_ok(c, cend); c = attr_next(c, cend)) {
			const char *fend = (const char *)c + c->nla_len;

			for (const struct nlattr *f = (const void *)((const char *)c + NLA_HDRLEN);
			     attr_ok(f, fend); f = attr_next(f, fend)) {
				if (f->nla_type == NSK_CPU_ATTR_SENT)
					st_sent += get_u64(f);
				else if (f->nla_type == NSK_CPU_ATTR_NETLINK_FAIL)
					st_fail += get_u64(f);
				else if (f->nla_type == NSK_CPU_ATTR_WRITTEN)
					st_written += get_u64(f);
			}
		}
	}
	stopped++;
	memset(next_seq, 0, sizeof(next_seq));
}

static void on_batch(const struct nlattr *a, const char *end)
{
	unsigned int cpu = ~0u, count = 0;
	unsigned long long seq = 0;
	const char *recs = NULL;
	size_t len = 0;

	for (; attr_ok(a, end); a = attr_next(a, end)) {
		switch (a->nla_type & NLA_TYPE_MASK) {
		case NSK_ATTR_BATCH_CPU: cpu = (unsigned int)get_u64(a); break;
		case NSK_ATTR_BATCH_SEQ: seq = get_u64(a); break;
		case NSK_ATTR_BATCH_COUNT: count = (unsigned int)get_u64(a); break;
		case NSK_ATTR_BATCH_RECORDS:
			recs = (const char *)a + NLA_HDRLEN;
			len = a->nla_len - NLA_HDRLEN;
			break;
		}
	}
	batches++;
	records += count;
	if (cpu < MAX_CPUS) {
		if (seq > next_seq[cpu])
			gaps += seq - next_seq[cpu];
		next_seq[cpu] = seq + count;
	}
	bytes += len;
	if (!ids || !recs)
		return;
	/* a compact stage (record version 2; version 3 also sends it short,
	 * NSK_STAGE_SHORT_SIZE) has the description of the event it names
	 * earlier in the batch: offsets of those, by index */
	static size_t event_off[NSK_BATCH_MAX_RECORDS];
	size_t n = 0;

	for (size_t off = 0; off + sizeof(struct nsk_rec_hdr) <= len; n++) {
		const struct nsk_rec_hdr *h = (const void *)(recs + off);
		struct nsk_event ev;
		struct nsk_stage st;

		if (h->size < sizeof(*h) || off + h->size > len)
			break;
		if (n < NSK_BATCH_MAX_RECORDS)
			event_off[n] = h->type == NSK_REC_EVENT && h->size >= sizeof(ev) ? off : SIZE_MAX;
		if ((h->type == NSK_REC_EVENT || h->type == NSK_REC_DROP) &&
		    h->size >= sizeof(ev)) {
			memcpy(&ev, h, sizeof(ev));
		} else if (h->type == NSK_REC_STAGE && h->size >= NSK_STAGE_SHORT_SIZE) {
			memset(&st, 0, sizeof(st));
			memcpy(&st, h, h->size < sizeof(st) ? h->size : sizeof(st));
			stages++;
			if (st.ref >= n || st.ref >= NSK_BATCH_MAX_RECORDS ||
			    event_off[st.ref] == SIZE_MAX) {
				fprintf(stderr, "nsk-genl-sub: a stage names no event (%u of %zu)\n",
					st.ref, n);
				bad_refs++;
				off += h->size;
				continue;
			}
			memcpy(&ev, recs + event_off[st.ref], sizeof(ev));
			ev.probe = st.probe;
			ev.skb_id = st.skb_id;
			ev.sk_id = st.sk_id;
		} else {
			off += h->size;
			continue;
		}
		fprintf(ids, "%u %016llx %016llx %u %u\n", ev.probe,
			(unsigned long long)ev.skb_id, (unsigned long long)ev.sk_id,
			ev.sk_ino, ev.sk_lport);
		off += h->size;
	}
}

static int read_loop(int family, int until_stopped, int timeout_ms)
{
	static char buf[1 << 17];

	while (!done) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			fprintf(stderr, "nsk-genl-sub: nothing received for %d ms\n", timeout_ms);
			return 1;
		}
		ssize_t len = recv(fd, buf, sizeof(buf), 0);

		if (len < 0) {
			if (errno == ENOBUFS) {
				enobufs++;
				continue;
			}
			if (errno == EINTR)
				continue;
			perror("nsk-genl-sub: recv");
			return 1;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type != family)
				continue;
			const struct genlmsghdr *g = NLMSG_DATA(h);
			const struct nlattr *a = (const void *)((const char *)g + GENL_HDRLEN);
			const char *end = (const char *)h + h->nlmsg_len;

			if (g->cmd == NSK_CMD_EVENTS)
				on_batch(a, end);
			else if (g->cmd == NSK_CMD_STOPPED) {
				on_stopped(a, end);
				if (until_stopped)
					return 0;
			}
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	int start = 0, stop = 0, join = 1, noread = 0, until_stopped = 0, timeout_ms = 0;
	int rcvbuf = 8 << 20, one = 1, rc = 0;
	unsigned int grp = 0, cycles = 0;
	const char *ready = NULL, *ids_path = NULL, *watch = NULL, *when = NULL;

	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		int more = i + 1 < argc;

		if (!strcmp(o, "--start")) start = 1;
		else if (!strcmp(o, "--stop")) stop = 1;
		else if (!strcmp(o, "--start-port") && more) start_port = atoi(argv[++i]);
		else if (!strcmp(o, "--watch") && more) watch = argv[++i];
		else if (!strcmp(o, "--when-starting") && more) when = argv[++i];
		else if (!strcmp(o, "--no-join")) join = 0;
		else if (!strcmp(o, "--no-read")) noread = 1;
		else if (!strcmp(o, "--until-stopped")) until_stopped = 1;
		else if (!strcmp(o, "--cycles") && more) cycles = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(o, "--ids") && more) ids_path = argv[++i];
		else if (!strcmp(o, "--ready-file") && more) ready = argv[++i];
		else if (!strcmp(o, "--timeout-ms") && more) timeout_ms = atoi(argv[++i]);
		else if (!strcmp(o, "--rcvbuf") && more) rcvbuf = atoi(argv[++i]);
		else {
			fprintf(stderr, "nsk-genl-sub: bad option %s (see the source's header)\n", o);
			return 2;
		}
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0) {
		perror("nsk-genl-sub: socket");
		return 1;
	}
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	quiet_extack = 1;
	int family = resolve_family(&grp);

	if (family < 0)
		return 3;
	if (watch)
		return watch_states(family, watch);
	if (when)
		return when_starting(family, when, ready);
	if (stop)
		return stop_and_wait(family) ? 1 : 0;
	if (cycles) {
		double t_start = 0, t_stop = 0;

		for (unsigned int i = 0; i < cycles; i++) {
			double t0 = now_ms();

			if (start_and_wait(family)) {
				printf("cycles=%u (START failed at %u)\n", i, i + 1);
				return 1;
			}
			double t1 = now_ms();

			if (stop_and_wait(family)) {
				printf("cycles=%u (STOP failed at %u)\n", i, i + 1);
				return 1;
			}
			t_start += t1 - t0;
			t_stop += now_ms() - t1;
		}
		printf("cycles=%u start_ms=%.0f stop_ms=%.0f\n", cycles, t_start / cycles,
		       t_stop / cycles);
		return 0;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (join && setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp))) {
		fprintf(stderr, "nsk-genl-sub: joining \"%s\" refused: %s\n", NSK_MCGRP_EVENTS,
			strerror(errno));
		return 1;
	}
	if (ids_path && !(ids = fopen(ids_path, "w"))) {
		perror(ids_path);
		return 1;
	}
	if (start && start_and_wait(family))
		return 1;
	if (ready)
		fclose(fopen(ready, "w"));
	if (noread) {
		while (!done)
			pause();
	} else {
		rc = read_loop(family, until_stopped, timeout_ms);
	}
	if (ids)
		fclose(ids);
	print_counts();
	return rc;
}
