/*
 * 5.11+: ftrace callbacks get struct ftrace_regs (the full pt_regs with
 * FTRACE_OPS_FL_SAVE_REGS), and an ops without FTRACE_OPS_FL_RECURSION
 * does its own recursion test with ftrace_test_recursion_trylock().
 */
#include <linux/ftrace.h>
#include <linux/trace_recursion.h>
#ifndef CONFIG_DYNAMIC_FTRACE_WITH_REGS
#error "no ftrace with registers on this kernel"
#endif
void nsk_probe_cb(unsigned long ip, unsigned long pip, struct ftrace_ops *op,
		  struct ftrace_regs *fregs);
void nsk_probe_cb(unsigned long ip, unsigned long pip, struct ftrace_ops *op,
		  struct ftrace_regs *fregs)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);
	int bit = ftrace_test_recursion_trylock(ip, pip);

	if (bit >= 0 && regs)
		ftrace_test_recursion_unlock(bit);
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
