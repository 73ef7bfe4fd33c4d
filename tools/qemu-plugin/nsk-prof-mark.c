/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nsk-prof-mark: executes the marker instruction `xchg %bx,%bx` once and
 * exits; under tools/qemu-plugin/insn-profile.so that closes a counting
 * window.  Static, no libc: build with
 *   gcc -static -nostdlib -O2 -o nsk-prof-mark nsk-prof-mark.c
 * Elsewhere (no plugin) the marker is a no-op.
 */
void _start(void)
{
	__asm__ volatile("xchg %%bx, %%bx\n\t"
			 "mov $60, %%eax\n\t"     /* exit(0) */
			 "xor %%edi, %%edi\n\t"
			 "syscall" ::: "memory", "rax", "rdi", "rcx", "r11", "rbx");
	__builtin_unreachable();
}
