// SPDX-License-Identifier: GPL-2.0
/*
 * nsk-http-get: one HTTP/1.0 GET for the VM scenarios (a scrape of /metrics).
 *
 *   nsk-http-get IPV4 PORT PATH OUTFILE [TIMEOUT_MS]
 *
 * Writes the response body to OUTFILE and prints "sent=N received=M" (the
 * bytes of the request and of the whole response: TCP payload both ways);
 * exits 0 only on "HTTP/1.x 200" within TIMEOUT_MS (default 5000).  busybox's static wget crashes resolving even a
 * numeric address in the guest (static glibc without NSS), hence this.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	static char buf[1 << 16];
	char req[512];
	size_t got = 0, cap = 1 << 20;
	char *resp = malloc(cap);
	long long deadline;
	int fd, n;
	FILE *out;
	char *body;

	if (argc < 5 || !resp) {
		fprintf(stderr, "usage: nsk-http-get IPV4 PORT PATH OUTFILE [TIMEOUT_MS]\n");
		return 2;
	}
	deadline = now_ms() + (argc > 5 ? atol(argv[5]) : 5000);
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "nsk-http-get: bad address %s\n", argv[1]);
		return 2;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("nsk-http-get: connect");
		return 1;
	}
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", argv[3], argv[1]);
	if (write(fd, req, (size_t)n) != n) {
		perror("nsk-http-get: write");
		return 1;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t r;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
			fprintf(stderr, "nsk-http-get: no complete answer in time\n");
			return 1;
		}
		r = read(fd, buf, sizeof(buf));
		if (r < 0) {
			perror("nsk-http-get: read");
			return 1;
		}
		if (r == 0)
			break;
		if (got + (size_t)r + 1 > cap) {
			cap = (got + (size_t)r + 1) * 2;
			resp = realloc(resp, cap);
			if (!resp)
				return 1;
		}
		memcpy(resp + got, buf, (size_t)r);
		got += (size_t)r;
	}
	resp[got] = '\0';
	printf("sent=%d received=%zu\n", n, got);
	fflush(stdout);
	if (strncmp(resp, "HTTP/1.", 7) || got < 12 || strncmp(resp + 9, "200", 3)) {
		fprintf(stderr, "nsk-http-get: not a 200 answer: %.40s\n", resp);
		return 1;
	}
	body = strstr(resp, "\r\n\r\n");
	out = fopen(argv[4], "w");
	if (!body || !out) {
		fprintf(stderr, "nsk-http-get: no body, or cannot write %s\n", argv[4]);
		return 1;
	}
	fputs(body + 4, out);
	fclose(out);
	return 0;
}
