/*
 * Stable backports (5.10.y, 5.15.y, 6.1.y of Dec 2023, before
 * GENL_MCAST_CAP_*): genl_bind() refuses a group whose .flags has
 * GENL_UNS_ADMIN_PERM to a joiner without CAP_NET_ADMIN.  The same series
 * added .cap_sys_admin, which is what this probe can see.
 */
#include <net/genetlink.h>
static const struct genl_multicast_group g = {
	.name = "x", .flags = GENL_UNS_ADMIN_PERM, .cap_sys_admin = 0,
};
const void *nsk_probe(void);
const void *nsk_probe(void) { return &g; }
