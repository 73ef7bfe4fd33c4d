// SPDX-License-Identifier: GPL-2.0
/*
 * nsk-udp-send: paced UDP datagram sender for netstack-kmon VM scenarios.
 *
 *   nsk-udp-send --dst IP --port N [--count N] [--size BYTES] [--pps N]
 *                [--src-port N] [--bind IP] [--ttl N] [--mcast-loop 0|1] [--connect]
 *                [--report-time] [--new-socket-every N]
 *
 * --new-socket-every N: close the socket and send from a new one every N
 * datagrams (socket churn for the soak scenario; not with --bind, --src-port,
 * --connect or a multicast destination).  Then also prints " sockets=K".
 *
 * Prints "sent=N errors=M" (with --report-time also " start_ns=T end_ns=T":
 * CLOCK_MONOTONIC before the first and after the last sendto) and exits 0 only if all --count datagrams went out.
 * ENOBUFS/EAGAIN are retried briefly (each failed attempt counts as an error).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void usage(int rc)
{
	fprintf(rc ? stderr : stdout,
		"usage: nsk-udp-send --dst IP --port N [--count N] [--size BYTES] [--pps N]\n"
		"                    [--src-port N] [--bind IP] [--ttl N] [--mcast-loop 0|1]\n"
		"                    [--report-time] [--connect] [--new-socket-every N]\n");
	exit(rc);
}

static long num(const char *s, const char *what, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || v < min || v > max) {
		fprintf(stderr, "nsk-udp-send: bad %s: %s\n", what, s);
		exit(2);
	}
	return v;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void sleep_until(unsigned long long t)
{
	struct timespec ts = { .tv_sec = t / 1000000000ULL, .tv_nsec = t % 1000000000ULL };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dst", required_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "pps", required_argument, NULL, 'r' },
		{ "src-port", required_argument, NULL, 'S' },
		{ "bind", required_argument, NULL, 'b' },
		{ "ttl", required_argument, NULL, 't' },
		{ "mcast-loop", required_argument, NULL, 'l' },
		{ "connect", no_argument, NULL, 'C' },
		{ "report-time", no_argument, NULL, 'T' },
		{ "new-socket-every", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *dst = NULL, *bind_ip = NULL;
	long port = -1, count = 1, size = 64, pps = 0, src_port = 0, ttl = 1, loop = 1;
	long renew = 0, sockets = 1;
	struct sockaddr_storage sa = { 0 }, la = { 0 };
	socklen_t salen;
	int fd, c, fam, mcast, report_time = 0, conn = 0;
	long sent = 0, errors = 0;
	char *buf;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dst = optarg; break;
		case 'p': port = num(optarg, "port", 1, 65535); break;
		case 'c': count = num(optarg, "count", 0, 1L << 40); break;
		case 's': size = num(optarg, "size", 0, 65507); break;
		case 'r': pps = num(optarg, "pps", 0, 100000000); break;
		case 'S': src_port = num(optarg, "src-port", 0, 65535); break;
		case 'b': bind_ip = optarg; break;
		case 't': ttl = num(optarg, "ttl", 0, 255); break;
		case 'l': loop = num(optarg, "mcast-loop", 0, 1); break;
		case 'C': conn = 1; break;
		case 'T': report_time = 1; break;
		case 'N': renew = num(optarg, "new-socket-every", 1, 1L << 40); break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (!dst || port < 0 || optind != argc)
		usage(2);

	struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;
	if (inet_pton(AF_INET, dst, &s4->sin_addr) == 1) {
		fam = AF_INET;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		salen = sizeof(*s4);
		mcast = IN_MULTICAST(ntohl(s4->sin_addr.s_addr));
	} else if (inet_pton(AF_INET6, dst, &s6->sin6_addr) == 1) {
		fam = AF_INET6;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		salen = sizeof(*s6);
		mcast = IN6_IS_ADDR_MULTICAST(&s6->sin6_addr);
	} else {
		fprintf(stderr, "nsk-udp-send: bad --dst address: %s\n", dst);
		return 2;
	}

	if (renew && (src_port || bind_ip || conn || mcast)) {
		fprintf(stderr, "nsk-udp-send: --new-socket-every goes with a plain unicast sendto only\n");
		return 2;
	}
	fd = socket(fam, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("nsk-udp-send: socket");
		return 1;
	}
	if (src_port || bind_ip) {
		if (fam == AF_INET) {
			struct sockaddr_in *l4 = (struct sockaddr_in *)&la;
			l4->sin_family = AF_INET;
			l4->sin_port = htons(src_port);
			if (bind_ip && inet_pton(AF_INET, bind_ip, &l4->sin_addr) != 1) {
				fprintf(stderr, "nsk-udp-send: bad --bind address: %s\n", bind_ip);
				return 2;
			}
		} else {
			struct sockaddr_in6 *l6 = (struct sockaddr_in6 *)&la;
			l6->sin6_family = AF_INET6;
			l6->sin6_port = htons(src_port);
			if (bind_ip && inet_pton(AF_INET6, bind_ip, &l6->sin6_addr) != 1) {
				fprintf(stderr, "nsk-udp-send: bad --bind address: %s\n", bind_ip);
				return 2;
			}
		}
		if (bind(fd, (struct sockaddr *)&la, salen) < 0) {
			perror("nsk-udp-send: bind");
			return 1;
		}
	}
	if (mcast) {
		int one = loop, t = ttl, rc;

		if (fam == AF_INET) {
			struct ip_mreqn mr = { .imr_ifindex = (int)if_nametoindex("lo") };

			inet_pton(AF_INET, "127.0.0.1", &mr.imr_address);
			rc = setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof(one)) ||
			     setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &t, sizeof(t)) ||
			     setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr));
		} else {
			int ifi = (int)if_nametoindex("lo");

			rc = setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &one, sizeof(one)) ||
			     setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &t, sizeof(t)) ||
			     setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifi, sizeof(ifi));
		}
		if (rc) {
			perror("nsk-udp-send: multicast setsockopt");
			return 1;
		}
	}

	/* --connect: the socket's own tuple names the peer (a --port filter then
	 * keeps its sk-only sendmsg events) */
	if (conn && connect(fd, (struct sockaddr *)&sa, salen) < 0) {
		perror("nsk-udp-send: connect");
		return 1;
	}
	buf = calloc(1, size ? size : 1);
	if (!buf)
		return 1;
	unsigned long long start = now_ns();
	for (long i = 0; i < count; i++) {
		if (pps)
			sleep_until(start + (unsigned long long)i * 1000000000ULL / pps);
		if (renew && i && i % renew == 0) {
			close(fd); /* the next datagrams come from a new socket */
			fd = socket(fam, SOCK_DGRAM, 0);
			if (fd < 0) {
				perror("nsk-udp-send: socket");
				return 1;
			}
			sockets++;
		}
		if (size >= 8)
			memcpy(buf, &i, 8); /* sequence number, handy when reading captures */
		for (int attempt = 0;; attempt++) {
			if ((conn ? send(fd, buf, size, 0)
				  : sendto(fd, buf, size, 0, (struct sockaddr *)&sa, salen)) == size) {
				sent++;
				break;
			}
			errors++;
			if ((errno != ENOBUFS && errno != EAGAIN) || attempt >= 100) {
				if (errors <= 5)
					fprintf(stderr, "nsk-udp-send: sendto: %s\n", strerror(errno));
				break;
			}
			usleep(1000);
		}
	}
	if (report_time)
		printf("sent=%ld errors=%ld start_ns=%llu end_ns=%llu\n", sent, errors, start,
		       now_ns());
	else if (renew)
		printf("sent=%ld errors=%ld sockets=%ld\n", sent, errors, sockets);
	else
		printf("sent=%ld errors=%ld\n", sent, errors);
	fflush(stdout);
	return sent == count ? 0 : 1;
}
