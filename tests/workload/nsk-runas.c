// SPDX-License-Identifier: GPL-2.0
/*
 * nsk-runas UID[:GID] CMD [ARGS...]: drop to an unprivileged user (no
 * supplementary groups, no capabilities) and exec CMD.  busybox's setpriv has
 * no --reuid, and su needs a passwd database; this needs neither.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned int uid, gid;
	char *end;

	if (argc < 3) {
		fprintf(stderr, "usage: nsk-runas UID[:GID] CMD [ARGS...]\n");
		return 2;
	}
	uid = strtoul(argv[1], &end, 10);
	gid = *end == ':' ? strtoul(end + 1, &end, 10) : uid;
	if (*end) {
		fprintf(stderr, "nsk-runas: bad UID[:GID]: %s\n", argv[1]);
		return 2;
	}
	if (setgroups(0, NULL) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid)) {
		perror("nsk-runas");
		return 126;
	}
	execvp(argv[2], argv + 2);
	perror("nsk-runas: exec");
	return 127;
}
