// SPDX-License-Identifier: GPL-2.0
/*
 * nsk-udp-recv: UDP receiver (optionally slow, optionally multicast) for
 * netstack-kmon VM scenarios.
 *
 *   nsk-udp-recv --port N [--bind IP] [--group MCASTIP] [--rcvbuf BYTES]
 *                [--delay-us N] [--expect N] [--idle-ms N] [--ready-file PATH]
 *                [--comm NAME] [--out FILE] [--report-time]
 *
 * --idle-ms counts from the last datagram; before the first one the receiver
 * waits --first-wait-ms (default 120000: a loaded host slows the VM, and a
 * receiver that gave up before the sender started would turn a test's
 * datagrams into NO_SOCKET drops).
 * At exit (expect reached, idle timeout, SIGTERM/SIGINT) prints
 * "received=N pid=P port=X rcvbuf=B" and writes the same line to --out.
 * --ready-file is created (holding "pid=P port=X rcvbuf=B") once the socket is
 * bound and joined, so scripts can wait for it instead of sleeping.
 * --report-time adds " first_ns=T last_ns=T" to that line: CLOCK_MONOTONIC
 * when the first and the last datagram were read (benchmarks).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(int rc)
{
	fprintf(rc ? stderr : stdout,
		"usage: nsk-udp-recv --port N [--bind IP] [--group MCASTIP] [--rcvbuf BYTES]\n"
		"                    [--delay-us N] [--expect N] [--idle-ms N] [--ready-file PATH]\n"
		"                    [--comm NAME] [--out FILE] [--report-time] [--first-wait-ms N]\n");
	exit(rc);
}

static long num(const char *s, const char *what, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || v < min || v > max) {
		fprintf(stderr, "nsk-udp-recv: bad %s: %s\n", what, s);
		exit(2);
	}
	return v;
}

static int write_file(const char *path, const char *line)
{
	char tmp[4096];
	FILE *f;

	/* write + rename, so a waiting script never sees a half-written file */
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "w");
	if (!f || fputs(line, f) == EOF || fclose(f) == EOF || rename(tmp, path)) {
		fprintf(stderr, "nsk-udp-recv: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bind", required_argument, NULL, 'b' },
		{ "port", required_argument, NULL, 'p' },
		{ "group", required_argument, NULL, 'g' },
		{ "rcvbuf", required_argument, NULL, 'r' },
		{ "delay-us", required_argument, NULL, 'd' },
		{ "expect", required_argument, NULL, 'e' },
		{ "idle-ms", required_argument, NULL, 'i' },
		{ "first-wait-ms", required_argument, NULL, 'F' },
		{ "ready-file", required_argument, NULL, 'R' },
		{ "comm", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' },
		{ "report-time", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *bind_ip = NULL, *group = NULL, *ready = NULL, *comm = NULL, *out = NULL;
	long port = -1, rcvbuf = 0, delay_us = 0, expect = 0, idle_ms = 2000;
	long first_wait_ms = 120000;
	struct sockaddr_storage sa = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;
	socklen_t salen;
	int fd, c, fam, one = 1, eff = 0;
	socklen_t efflen = sizeof(eff);
	long received = 0;
	int report_time = 0;
	unsigned long long first_ns = 0, last_ns = 0;
	char line[256];
	static char buf[65536];

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'b': bind_ip = optarg; break;
		case 'p': port = num(optarg, "port", 0, 65535); break;
		case 'g': group = optarg; break;
		case 'r': rcvbuf = num(optarg, "rcvbuf", 0, 1L << 30); break;
		case 'd': delay_us = num(optarg, "delay-us", 0, 60000000); break;
		case 'e': expect = num(optarg, "expect", 0, 1L << 40); break;
		case 'i': idle_ms = num(optarg, "idle-ms", 1, 86400000); break;
		case 'F': first_wait_ms = num(optarg, "first-wait-ms", 1, 3600000); break;
		case 'R': ready = optarg; break;
		case 'c': comm = optarg; break;
		case 'o': out = optarg; break;
		case 'T': report_time = 1; break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (port < 0 || optind != argc)
		usage(2);
	if (comm && prctl(PR_SET_NAME, comm, 0, 0, 0))
		perror("nsk-udp-recv: prctl(PR_SET_NAME)");

	/* The family follows --group if given, else --bind, else IPv4. */
	const char *fam_src = group ? group : bind_ip;
	fam = fam_src && strchr(fam_src, ':') ? AF_INET6 : AF_INET;
	if (fam == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		salen = sizeof(*s4);
		/* a multicast receiver binds the group (or INADDR_ANY) */
		const char *ip = bind_ip ? bind_ip : "0.0.0.0";
		if (inet_pton(AF_INET, ip, &s4->sin_addr) != 1) {
			fprintf(stderr, "nsk-udp-recv: bad --bind address: %s\n", ip);
			return 2;
		}
	} else {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		salen = sizeof(*s6);
		const char *ip = bind_ip ? bind_ip : "::";
		if (inet_pton(AF_INET6, ip, &s6->sin6_addr) != 1) {
			fprintf(stderr, "nsk-udp-recv: bad --bind address: %s\n", ip);
			return 2;
		}
	}

	fd = socket(fam, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("nsk-udp-recv: socket");
		return 1;
	}
	if (group && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one))) {
		perror("nsk-udp-recv: SO_REUSEADDR");
		return 1;
	}
	if (rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(int))) {
		perror("nsk-udp-recv: SO_RCVBUF");
		return 1;
	}
	if (bind(fd, (struct sockaddr *)&sa, salen) < 0) {
		perror("nsk-udp-recv: bind");
		return 1;
	}
	if (group) {
		int rc;

		if (fam == AF_INET) {
			struct ip_mreqn mr = { .imr_ifindex = (int)if_nametoindex("lo") };

			inet_pton(AF_INET, "127.0.0.1", &mr.imr_address);
			rc = inet_pton(AF_INET, group, &mr.imr_multiaddr) == 1 ?
				     setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) :
				     (errno = EINVAL, -1);
		} else {
			struct ipv6_mreq mr = { .ipv6mr_interface = if_nametoindex("lo") };

			rc = inet_pton(AF_INET6, group, &mr.ipv6mr_multiaddr) == 1 ?
				     setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr)) :
				     (errno = EINVAL, -1);
		}
		if (rc) {
			fprintf(stderr, "nsk-udp-recv: join %s: %s\n", group, strerror(errno));
			return 1;
		}
	}
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &eff, &efflen);
	salen = sizeof(sa);
	getsockname(fd, (struct sockaddr *)&sa, &salen);
	port = ntohs(fam == AF_INET ? s4->sin_port : s6->sin6_port);

	struct sigaction act = { .sa_handler = on_signal }; /* no SA_RESTART: poll gets EINTR */
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);

	if (ready) {
		snprintf(line, sizeof(line), "pid=%d port=%ld rcvbuf=%d\n", (int)getpid(), port, eff);
		if (write_file(ready, line))
			return 1;
	}

	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	while (!stop && (!expect || received < expect)) {
		int n = poll(&pfd, 1, (int)(received ? idle_ms : first_wait_ms));

		if (n == 0)
			break; /* idle */
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("nsk-udp-recv: poll");
			break;
		}
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			perror("nsk-udp-recv: recv");
			break;
		}
		received++;
		if (report_time) {
			struct timespec ts;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			last_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
			if (received == 1)
				first_ns = last_ns;
		}
		if (delay_us) {
			struct timespec ts = { delay_us / 1000000, (delay_us % 1000000) * 1000 };

			nanosleep(&ts, NULL); /* EINTR: stop is set, the loop ends */
		}
	}

	if (report_time)
		snprintf(line, sizeof(line),
			 "received=%ld pid=%d port=%ld rcvbuf=%d first_ns=%llu last_ns=%llu\n",
			 received, (int)getpid(), port, eff, first_ns, last_ns);
	else
		snprintf(line, sizeof(line), "received=%ld pid=%d port=%ld rcvbuf=%d\n", received,
			 (int)getpid(), port, eff);
	fputs(line, stdout);
	fflush(stdout);
	if (out && write_file(out, line))
		return 1;
	return 0;
}
