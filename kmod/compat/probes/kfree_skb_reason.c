/* 5.17+: trace_kfree_skb(skb, location, reason) */
#include <linux/skbuff.h>
#include <trace/events/skb.h>
static void p(void *d, struct sk_buff *skb, void *loc, enum skb_drop_reason r) { }
int nsk_probe(void);
int nsk_probe(void) { return register_trace_kfree_skb(p, NULL); }
