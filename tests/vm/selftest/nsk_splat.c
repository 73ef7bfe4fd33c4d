// SPDX-License-Identifier: GPL-2.0
/*
 * Test fixture of the VM harness self-test (tests/vm/selftest): a module that
 * makes the kernel report an error on purpose, so the test can check that the
 * harness ends the VM at once and shows the kernel's report.  Never part of
 * the product; loaded only inside the test VM.
 *
 *   insmod nsk_splat.ko what=warn    WARN_ON(1) at load (the load succeeds)
 *   insmod nsk_splat.ko what=oops    a NULL pointer dereference at load
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/string.h>

static char *what = "warn";
module_param(what, charp, 0444);
MODULE_PARM_DESC(what, "warn or oops");

static int __init nsk_splat_init(void)
{
	if (!strcmp(what, "warn")) {
		WARN_ON(1);
		return 0;
	}
	if (!strcmp(what, "oops")) {
		int *volatile p = NULL;

		pr_info("dereferencing NULL\n");
		return *p;
	}
	return -EINVAL;
}

static void __exit nsk_splat_exit(void)
{
}

module_init(nsk_splat_init);
module_exit(nsk_splat_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("netstack-kmon VM harness self-test fixture: provokes a WARN or an oops");
