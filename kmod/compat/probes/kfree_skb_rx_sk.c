/* 6.11+: trace_kfree_skb(skb, location, reason, rx_sk) */
#include <linux/skbuff.h>
#include <net/sock.h>
#include <trace/events/skb.h>
static void p(void *d, struct sk_buff *skb, void *loc, enum skb_drop_reason r, struct sock *rx_sk) { }
int nsk_probe(void);
int nsk_probe(void) { return register_trace_kfree_skb(p, NULL); }
