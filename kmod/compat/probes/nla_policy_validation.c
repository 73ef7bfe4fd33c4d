/* 4.20+: policies carry ranges and nested policies (NLA_POLICY_MAX, NLA_POLICY_NESTED) */
#include <net/netlink.h>
static const struct nla_policy in[2] = { [1] = NLA_POLICY_MAX(NLA_U8, 128) };
static const struct nla_policy out[2] = { [1] = NLA_POLICY_NESTED(in) };
const void *nsk_probe(void);
const void *nsk_probe(void) { return out; }
