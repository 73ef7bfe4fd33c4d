/* 6.10+: trace_udp_fail_queue_rcv_skb(rc, sk, skb) */
#include <linux/skbuff.h>
#include <net/sock.h>
#include <trace/events/udp.h>
static void p(void *d, int rc, struct sock *sk, struct sk_buff *skb) { }
int nsk_probe(void);
int nsk_probe(void) { return register_trace_udp_fail_queue_rcv_skb(p, NULL); }
