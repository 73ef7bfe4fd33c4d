/* 5.2+: the attribute policy is the family's (genl_family.policy), not each op's */
#include <net/genetlink.h>
static const struct nla_policy p[2] = { [1] = { .type = NLA_U32 } };
static struct genl_family f = { .maxattr = 1, .policy = p };
const void *nsk_probe(void);
const void *nsk_probe(void) { return &f; }
