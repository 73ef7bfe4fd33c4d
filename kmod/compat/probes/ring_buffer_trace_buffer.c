/* 5.6+: the ring buffer type is struct trace_buffer (was struct ring_buffer) */
#include <linux/ring_buffer.h>
struct trace_buffer *nsk_probe(void);
struct trace_buffer *nsk_probe(void) { return ring_buffer_alloc(4096, 0); }
