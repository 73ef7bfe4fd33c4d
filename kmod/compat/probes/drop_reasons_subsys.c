/* 6.4+: drop_reasons_by_subsys[] with per-subsystem name tables */
#include <linux/skbuff.h>
#include <net/dropreason.h>
const char *nsk_probe(u32 r);
const char *nsk_probe(u32 r)
{
	const struct drop_reason_list *l = rcu_dereference(drop_reasons_by_subsys[0]);
	return l && r < l->n_reasons ? l->reasons[r] : NULL;
}
