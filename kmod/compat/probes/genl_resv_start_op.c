/* 6.1+: genl_family.resv_start_op (strict validation for all ops above it) */
#include <net/genetlink.h>
static struct genl_family f = { .resv_start_op = 1 };
const void *nsk_probe(void);
const void *nsk_probe(void) { return &f; }
