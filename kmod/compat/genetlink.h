/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Strict attribute validation on kernels whose generic netlink does not
 * validate strictly (included by nsk_genl.c only, after <net/genetlink.h>).
 *
 * API history: 5.2 made validation strict (unknown attributes, wrong fixed
 * lengths and trailing bytes are errors; nla_parse_nested() is the strict
 * parser, nla_parse_nested_deprecated() the old one) and moved the policy
 * from each op to the family.  Before 5.2 (4.19) the kernel parses
 * liberally: it ignores unknown attributes and only warns about a u16 that
 * is 8 bytes long or bytes left over.  Here the module does what 5.2's
 * NL_VALIDATE_STRICT does for the attribute types it uses, before the
 * kernel's liberal parse: for the top level in the family's pre_doit, for
 * nests in nla_parse_nested() (the upstream name, strict as from 5.2).
 */
#ifndef NSK_COMPAT_GENETLINK_H
#define NSK_COMPAT_GENETLINK_H

#include <net/genetlink.h>

#ifdef NSK_HAS_GENL_FAMILY_POLICY

/* 5.2+: the kernel validates strictly with the family's policy */
#define NSK_GENL_STRICT_PRE_DOIT(policy)

#else

static inline int nsk_nla_validate_strict(const struct nlattr *head, int len,
					  int maxtype,
					  const struct nla_policy *policy,
					  struct netlink_ext_ack *extack)
{
	const struct nlattr *nla;
	int rem;

	nla_for_each_attr(nla, head, len, rem) {
		int type = nla_type(nla), alen = nla_len(nla), want = 0;
		const struct nla_policy *pt;

		if (type <= 0 || type > maxtype || policy[type].type == NLA_UNSPEC) {
			NL_SET_ERR_MSG_ATTR(extack, nla, "Unknown attribute type");
			return -EINVAL;
		}
		pt = &policy[type];
		switch (pt->type) {
		case NLA_U8:  want = sizeof(u8); break;
		case NLA_U16: want = sizeof(u16); break;
		case NLA_U32: want = sizeof(u32); break;
		case NLA_S32: want = sizeof(s32); break;
		case NLA_U64: want = sizeof(u64); break;
		case NLA_BINARY:
			if (pt->len && alen > pt->len) {
				NL_SET_ERR_MSG_ATTR(extack, nla, "Attribute too long");
				return -ERANGE;
			}
			break;
		case NLA_NESTED: {
			/* empty, or a well-formed stream of attributes (whose
			 * types the nest's own nla_parse_nested() checks) */
			const struct nlattr *n;
			int r;

			nla_for_each_nested(n, nla, r)
				;
			if (r) {
				NL_SET_ERR_MSG_ATTR(extack, nla, "Malformed nested attribute");
				return -EINVAL;
			}
			break;
		}
		default:
			break;
		}
		if (want && alen != want) {
			NL_SET_ERR_MSG_ATTR(extack, nla, "Attribute has an invalid length");
			return -ERANGE;
		}
	}
	if (rem) {
		NL_SET_ERR_MSG(extack, "Bytes left over after the attributes");
		return -EINVAL;
	}
	return 0;
}

/* nla_parse_nested() as from 5.2: strict, then the kernel's own parse */
static inline int nsk_nla_parse_nested_strict(struct nlattr **tb, int maxtype,
					      const struct nlattr *nla,
					      const struct nla_policy *policy,
					      struct netlink_ext_ack *extack)
{
	int err = nsk_nla_validate_strict(nla_data(nla), nla_len(nla), maxtype,
					  policy, extack);

	return err ? err : nla_parse_nested(tb, maxtype, nla, policy, extack);
}
#define nla_parse_nested nsk_nla_parse_nested_strict

/*
 * The family's pre_doit validates the top-level attributes of every
 * command against the (per-op) policy, an array of maxattr + 1 entries.
 */
#define NSK_GENL_STRICT_PRE_DOIT(policy)					\
static int nsk_genl_strict_pre_doit(const struct genl_ops *ops,		\
				    struct sk_buff *skb,			\
				    struct genl_info *info)			\
{										\
	return nsk_nla_validate_strict(nlmsg_attrdata(info->nlhdr, GENL_HDRLEN), \
				       nlmsg_attrlen(info->nlhdr, GENL_HDRLEN),	\
				       ARRAY_SIZE(policy) - 1, policy,		\
				       info->extack);				\
}

#endif /* NSK_HAS_GENL_FAMILY_POLICY */

#endif /* NSK_COMPAT_GENETLINK_H */
