/*
 * 6.13+ (and stable backports, e.g. Debian's 6.12): struct ftrace_regs is
 * opaque, arch_ftrace_regs() gives the architecture's layout; on x86-64 a
 * callback registered without FTRACE_OPS_FL_SAVE_REGS still gets the argument
 * registers in its pt_regs (DYNAMIC_FTRACE_WITH_ARGS).
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
	return &arch_ftrace_regs(fregs)->regs;
}
