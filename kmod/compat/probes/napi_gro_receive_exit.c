/* 5.0+: trace_napi_gro_receive_exit(ret), the end of napi_gro_receive() */
#include <linux/netdevice.h>
#include <trace/events/net.h>
static void p(void *d, int ret) { }
int nsk_probe(void);
int nsk_probe(void) { return register_trace_napi_gro_receive_exit(p, NULL); }
