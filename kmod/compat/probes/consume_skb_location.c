/* 6.3+: trace_consume_skb(skb, location) */
#include <linux/skbuff.h>
#include <trace/events/skb.h>
static void p(void *d, struct sk_buff *skb, void *loc) { }
int nsk_probe(void);
int nsk_probe(void) { return register_trace_consume_skb(p, NULL); }
