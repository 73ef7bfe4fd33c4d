/* 6.7+ (and stable backports such as Debian 6.1.1xx): mcast group caps */
#include <net/genetlink.h>
static const struct genl_multicast_group g = { .name = "x", .flags = GENL_MCAST_CAP_NET_ADMIN };
const void *nsk_probe(void);
const void *nsk_probe(void) { return &g; }
