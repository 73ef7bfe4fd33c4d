// SPDX-License-Identifier: GPL-2.0
/*
 * nsk-runas [--userns] UID[:GID] CMD [ARGS...]: drop to an unprivileged user
 * (no supplementary groups, no capabilities) and exec CMD.  busybox's setpriv
 * has no --reuid, and su needs a passwd database; this needs neither.
 *
 * --userns: then move into a new user namespace in which the user is root
 * (uid_map "0 UID 1", gid_map "0 GID 1", setgroups denied), as a container
 * would: CMD has every capability inside that namespace and none in the
 * initial one.  With UID 0 it is root in a child user namespace.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len = (ssize_t)strlen(text);

	if (fd < 0 || write(fd, text, len) != len) {
		perror(path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return close(fd);
}

int main(int argc, char **argv)
{
	unsigned int uid, gid;
	int userns = 0;
	char *end, map[64];

	if (argc > 1 && !strcmp(argv[1], "--userns")) {
		userns = 1;
		argv++;
		argc--;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: nsk-runas [--userns] UID[:GID] CMD [ARGS...]\n");
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
	if (userns) {
		/* changing uid made us non-dumpable: /proc/self/ would stay root's */
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		if (unshare(CLONE_NEWUSER)) {
			perror("nsk-runas: unshare(CLONE_NEWUSER)");
			return 126;
		}
		snprintf(map, sizeof(map), "0 %u 1\n", uid);
		if (write_file("/proc/self/setgroups", "deny") ||
		    write_file("/proc/self/uid_map", map))
			return 126;
		snprintf(map, sizeof(map), "0 %u 1\n", gid);
		if (write_file("/proc/self/gid_map", map))
			return 126;
	}
	execvp(argv[2], argv + 2);
	perror("nsk-runas: exec");
	return 127;
}
