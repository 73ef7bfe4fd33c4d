// SPDX-License-Identifier: GPL-2.0
/*
 * nsk-tcp: TCP sender and receiver for netstack-kmon VM scenarios.
 *
 * Receiver (one connection, then exit):
 *   nsk-tcp --listen IP --port N [--rcvbuf BYTES] [--hold-ms N] [--read-size N]
 *           [--ready-file PATH] [--out FILE] [--comm NAME] [--timeout-ms N]
 *   Accepts one connection; with --hold-ms does not read for that long (the
 *   sender fills the window), then reads until EOF.  Prints
 *   "bytes=B reads=R pid=P port=N" (also to --out).
 *
 * Sender:
 *   nsk-tcp --connect IP --port N --bytes B [--chunk C] [--procs K] [--nodelay]
 *           [--pace-us N] [--comm NAME]
 *   Connects once; with --procs K forks K-1 children that share the socket,
 *   process i pinned to CPU i % ncpu; each writes B/K bytes (the first takes
 *   the remainder) in write() calls of at most C bytes.  Each process prints
 *   "pid=P cpu=C bytes=B calls=N"; the parent waits for all, then shuts the
 *   connection down and waits for the receiver to close (so every byte was
 *   delivered before it exits).
 *
 * IPv6 addresses work for both (--listen ::1, --connect ::1).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void usage(int rc)
{
	fprintf(rc ? stderr : stdout,
		"usage: nsk-tcp --listen IP --port N [--rcvbuf B] [--hold-ms N] [--read-size N]\n"
		"               [--ready-file PATH] [--out FILE] [--comm NAME] [--timeout-ms N]\n"
		"       nsk-tcp --connect IP --port N --bytes B [--chunk C] [--procs K]\n"
		"               [--nodelay] [--pace-us N] [--comm NAME]\n");
	exit(rc);
}

static long long num(const char *s, const char *what, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno || *end || v < min || v > max) {
		fprintf(stderr, "nsk-tcp: bad %s: %s\n", what, s);
		exit(2);
	}
	return v;
}

static int make_addr(const char *ip, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*len = sizeof(*a4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
		return AF_INET6;
	}
	fprintf(stderr, "nsk-tcp: bad address: %s\n", ip);
	exit(2);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void emit(const char *out, const char *line)
{
	FILE *f;

	fputs(line, stdout);
	fflush(stdout);
	if (!out)
		return;
	f = fopen(out, "w");
	if (!f || fputs(line, f) < 0 || fclose(f)) {
		perror("nsk-tcp: --out");
		exit(1);
	}
}

static int receiver(const char *ip, int port, int rcvbuf, long hold_ms, long read_size,
		    const char *ready, const char *out, long timeout_ms)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fam = make_addr(ip, port, &ss, &len);
	int one = 1, ls, c;
	long long bytes = 0, reads = 0, deadline;
	char line[160];
	char *buf;

	ls = socket(fam, SOCK_STREAM, 0);
	if (ls < 0) {
		perror("nsk-tcp: socket");
		return 1;
	}
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* set before listen(): accepted sockets inherit it, window scaling follows */
	if (rcvbuf && setsockopt(ls, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf))) {
		perror("nsk-tcp: SO_RCVBUF");
		return 1;
	}
	if (bind(ls, (struct sockaddr *)&ss, len) || listen(ls, 4)) {
		perror("nsk-tcp: bind/listen");
		return 1;
	}
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (!f || fprintf(f, "pid=%d port=%d\n", getpid(), port) < 0 || fclose(f)) {
			perror("nsk-tcp: --ready-file");
			return 1;
		}
	}
	c = accept(ls, NULL, NULL);
	if (c < 0) {
		perror("nsk-tcp: accept");
		return 1;
	}
	close(ls);
	if (hold_ms > 0)
		usleep(hold_ms * 1000);
	buf = malloc(read_size);
	if (!buf)
		return 1;
	deadline = now_ms() + timeout_ms;
	for (;;) {
		struct pollfd p = { .fd = c, .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0) {
			fprintf(stderr, "nsk-tcp: receiver timed out after %ld ms\n", timeout_ms);
			break;
		}
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		n = read(c, buf, read_size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("nsk-tcp: read");
			return 1;
		}
		if (n == 0)
			break;
		bytes += n;
		reads++;
	}
	close(c);
	free(buf);
	snprintf(line, sizeof(line), "bytes=%lld reads=%lld pid=%d port=%d\n", bytes, reads,
		 getpid(), port);
	emit(out, line);
	return 0;
}

static int send_share(int s, long long bytes, long chunk, long pace_us, int cpu)
{
	long long left = bytes, calls = 0;
	char *buf = malloc(chunk);

	if (!buf)
		return 1;
	memset(buf, 'x', chunk);
	while (left > 0) {
		size_t n = left < chunk ? (size_t)left : (size_t)chunk;
		ssize_t w = write(s, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			perror("nsk-tcp: write");
			return 1;
		}
		left -= w;
		calls++;
		if (pace_us)
			usleep(pace_us);
	}
	free(buf);
	printf("pid=%d cpu=%d bytes=%lld calls=%lld\n", getpid(), cpu, bytes, calls);
	fflush(stdout);
	return 0;
}

static int sender(const char *ip, int port, long long bytes, long chunk, int procs, int nodelay,
		  long pace_us)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fam = make_addr(ip, port, &ss, &len);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int s, i, rc = 0;
	char tmp[256];

	s = socket(fam, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&ss, len)) {
		perror("nsk-tcp: connect");
		return 1;
	}
	if (nodelay && setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof(nodelay))) {
		perror("nsk-tcp: TCP_NODELAY");
		return 1;
	}
	if (ncpu < 1)
		ncpu = 1;
	for (i = 1; i < procs; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("nsk-tcp: fork");
			return 1;
		}
		if (pid == 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(i % ncpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
			_exit(send_share(s, bytes / procs, chunk, pace_us, (int)(i % ncpu)));
		}
	}
	{
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(0, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	rc = send_share(s, bytes / procs + bytes % procs, chunk, pace_us, 0);
	for (i = 1; i < procs; i++) {
		int st;

		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			rc = 1;
	}
	/* all written: half-close, then wait for the receiver's close */
	shutdown(s, SHUT_WR);
	while (read(s, tmp, sizeof(tmp)) > 0)
		;
	close(s);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "connect", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "chunk", required_argument, NULL, 'k' },
		{ "procs", required_argument, NULL, 'P' },
		{ "nodelay", no_argument, NULL, 'n' },
		{ "pace-us", required_argument, NULL, 'u' },
		{ "rcvbuf", required_argument, NULL, 'r' },
		{ "hold-ms", required_argument, NULL, 'H' },
		{ "read-size", required_argument, NULL, 's' },
		{ "ready-file", required_argument, NULL, 'R' },
		{ "out", required_argument, NULL, 'o' },
		{ "comm", required_argument, NULL, 'C' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *listen_ip = NULL, *connect_ip = NULL, *ready = NULL, *out = NULL;
	long long bytes = -1;
	long chunk = 16384, hold_ms = 0, read_size = 65536, pace_us = 0, timeout_ms = 60000;
	int port = -1, procs = 1, nodelay = 0, rcvbuf = 0, o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'l': listen_ip = optarg; break;
		case 'c': connect_ip = optarg; break;
		case 'p': port = (int)num(optarg, "--port", 1, 65535); break;
		case 'b': bytes = num(optarg, "--bytes", 0, 1LL << 40); break;
		case 'k': chunk = (long)num(optarg, "--chunk", 1, 1 << 24); break;
		case 'P': procs = (int)num(optarg, "--procs", 1, 64); break;
		case 'n': nodelay = 1; break;
		case 'u': pace_us = (long)num(optarg, "--pace-us", 0, 10000000); break;
		case 'r': rcvbuf = (int)num(optarg, "--rcvbuf", 0, 1 << 30); break;
		case 'H': hold_ms = (long)num(optarg, "--hold-ms", 0, 600000); break;
		case 's': read_size = (long)num(optarg, "--read-size", 1, 1 << 24); break;
		case 'R': ready = optarg; break;
		case 'o': out = optarg; break;
		case 'C': prctl(PR_SET_NAME, optarg, 0, 0, 0); break;
		case 't': timeout_ms = (long)num(optarg, "--timeout-ms", 1, 86400000); break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (port < 0 || !!listen_ip == !!connect_ip)
		usage(2);
	if (listen_ip)
		return receiver(listen_ip, port, rcvbuf, hold_ms, read_size, ready, out, timeout_ms);
	if (bytes < 0)
		usage(2);
	return sender(connect_ip, port, bytes, chunk, procs, nodelay, pace_us);
}
