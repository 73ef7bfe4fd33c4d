/*
 * 5.11..6.12 on x86-64 (DYNAMIC_FTRACE_WITH_ARGS): a callback registered
 * without FTRACE_OPS_FL_SAVE_REGS still gets the argument registers, in the
 * pt_regs that struct ftrace_regs wraps (6.13 made ftrace_regs opaque).
 */
#include <linux/ftrace.h>
#ifndef CONFIG_DYNAMIC_FTRACE_WITH_ARGS
#error "no ftrace with arguments on this kernel"
#endif
#ifndef CONFIG_X86_64
#error "the argument registers' layout is known for x86-64 only"
#endif
struct pt_regs *nsk_probe(struct ftrace_regs *fregs);
struct pt_regs *nsk_probe(struct ftrace_regs *fregs)
{
	return &fregs->regs;
}
