// SPDX-License-Identifier: GPL-2.0
/*
 * Identifiers: skb and socket pointers leave the kernel only as
 * SipHash-2-4(pointer) with a 128-bit key drawn at every load.
 *
 * 64 bits of output: the tool keys journeys and sockets by them, and a 32-bit
 * hash (hsiphash) would collide too often — with 2^16 skbs alive the chance
 * that two share an id is 1 - e^-0.5 = 39 %; with 64 bits it is 1e-10.
 *
 * Off the traced path: a handler stores the raw pointers in its ring record
 * (kernel memory only) and the drain replaces them in the netlink message
 * before it is sent (nsk_drain.c), in process context.  A pointer is seen at
 * several stages in a row (an skb at ~7), so the drain keeps a small
 * direct-mapped cache per ring: the hash is a pure function of the pointer,
 * so a cached id is always the right one.
 */

#include <linux/siphash.h>
#include <linux/random.h>
#include <linux/hash.h>
#include "nsk.h"

static siphash_key_t nsk_id_key __read_mostly;

void nsk_ids_init(void)
{
	get_random_bytes(&nsk_id_key, sizeof(nsk_id_key));
}

u64 nsk_ptr_id(u64 ptr)
{
	return ptr ? siphash_1u64(ptr, &nsk_id_key) : 0;
}

/* a miss of nsk_ptr_id_cached (nsk.h): slot i now holds ptr */
u64 nsk_ptr_id_fill(struct nsk_id_cache *c, unsigned int i, u64 ptr)
{
	if (!ptr)
		return 0;
	c->ptr[i] = ptr;
	c->id[i] = siphash_1u64(ptr, &nsk_id_key);
	return c->id[i];
}
