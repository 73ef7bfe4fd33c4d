// SPDX-License-Identifier: GPL-2.0
/*
 * nsk-bpf-check: is the bpf() system call there?
 *
 *   nsk-bpf-check            print "bpf=absent errno=ENOSYS" or
 *                            "bpf=present errno=<E>"; exit 0 if absent,
 *                            1 if present, 2 on a usage error
 *   nsk-bpf-check --present  the inverse exit status
 *
 * It asks for a BPF_MAP_CREATE with an all-zero attribute, which no kernel
 * accepts: a kernel with CONFIG_BPF_SYSCALL answers EINVAL or EPERM, one
 * without it ENOSYS (the syscall slot is sys_ni_syscall).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#ifndef __NR_bpf
#error "__NR_bpf is not defined for this architecture"
#endif

int main(int argc, char **argv)
{
	unsigned char attr[128];
	int want_present = 0;
	long rc;
	int err;

	if (argc == 2 && strcmp(argv[1], "--present") == 0) {
		want_present = 1;
	} else if (argc != 1) {
		fprintf(stderr, "usage: %s [--present]\n", argv[0]);
		return 2;
	}
	memset(attr, 0, sizeof(attr));
	errno = 0;
	rc = syscall(__NR_bpf, 0 /* BPF_MAP_CREATE */, attr, sizeof(attr));
	err = errno;
	if (rc >= 0) {
		close((int)rc);
		printf("bpf=present rc=%ld\n", rc);
		return want_present ? 0 : 1;
	}
	if (err == ENOSYS) {
		printf("bpf=absent errno=ENOSYS\n");
		return want_present ? 1 : 0;
	}
	printf("bpf=present errno=%d (%s)\n", err, strerror(err));
	return want_present ? 0 : 1;
}
