/* 5.10+: struct genl_small_ops and genl_family.small_ops/n_small_ops */
#include <net/genetlink.h>
static const struct genl_small_ops o[] = { { .cmd = 1 } };
static struct genl_family f = { .small_ops = o, .n_small_ops = 1 };
const void *nsk_probe(void);
const void *nsk_probe(void) { return &f; }
