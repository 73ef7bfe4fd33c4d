/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's ring buffer API as nsk_ring.c uses it (included there only).
 *
 * API history, newest first:
 *  - ring_buffer_unlock_commit(buffer): 6.3; (buffer, event) before.  The
 *    event cannot be recovered from the buffer, so the old API cannot be
 *    written in the new one's terms: the core passes both and
 *    nsk_ring_buffer_unlock_commit() drops what this kernel does not take.
 *  - struct trace_buffer: 5.6 (struct ring_buffer before): the core names
 *    the buffer nsk_trace_buffer_t.
 */
#ifndef NSK_COMPAT_RING_BUFFER_H
#define NSK_COMPAT_RING_BUFFER_H

#include <linux/ring_buffer.h>

#ifdef NSK_HAS_RING_BUFFER_TRACE_BUFFER
typedef struct trace_buffer nsk_trace_buffer_t;
#else
typedef struct ring_buffer nsk_trace_buffer_t;
#endif

static inline void nsk_ring_buffer_unlock_commit(nsk_trace_buffer_t *rb,
						 struct ring_buffer_event *event)
{
#ifdef NSK_HAS_RING_BUFFER_COMMIT_NO_EVENT
	ring_buffer_unlock_commit(rb);
#else
	ring_buffer_unlock_commit(rb, event);
#endif
}

#endif /* NSK_COMPAT_RING_BUFFER_H */
