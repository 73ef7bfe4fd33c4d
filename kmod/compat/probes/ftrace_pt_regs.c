/*
 * Before 5.11: ftrace callbacks get struct pt_regs * directly (all of them
 * with FTRACE_OPS_FL_SAVE_REGS), and an ops without
 * FTRACE_OPS_FL_RECURSION_SAFE is called through ftrace's assist function,
 * which guards against recursion per context (trace_test_and_set_recursion).
 * 5.11+ fails here (the callback type changed): ftrace_regs.c answers.
 */
#include <linux/ftrace.h>
#ifndef CONFIG_DYNAMIC_FTRACE_WITH_REGS
#error "no ftrace with registers on this kernel"
#endif
void nsk_probe_cb(unsigned long ip, unsigned long pip, struct ftrace_ops *op,
		  struct pt_regs *regs);
void nsk_probe_cb(unsigned long ip, unsigned long pip, struct ftrace_ops *op,
		  struct pt_regs *regs)
{
}
static struct ftrace_ops nsk_probe_ops = {
	.func = nsk_probe_cb,
	.flags = FTRACE_OPS_FL_SAVE_REGS,
};
int nsk_probe(void);
int nsk_probe(void)
{
	return register_ftrace_function(&nsk_probe_ops) +
	       ftrace_set_filter_ip(&nsk_probe_ops, 0, 0, 0);
}
