/* 5.1+ (x86): regs_get_kernel_argument(regs, n), the nth argument at a function entry */
#include <linux/ptrace.h>
unsigned long nsk_probe(struct pt_regs *regs);
unsigned long nsk_probe(struct pt_regs *regs) { return regs_get_kernel_argument(regs, 1); }
