/*
 * tracepoint_synchronize_unregister() = synchronize_srcu(&tracepoint_srcu) +
 * synchronize_rcu() (4.19 .. 6.12), with the polled forms of both grace
 * periods (5.10+): a STOP can start them when the tracepoints go and find
 * them already elapsed after the other waits (nsk_probes_detach).
 */
#include <linux/tracepoint.h>
#include <linux/srcu.h>
#include <linux/rcupdate.h>
int nsk_probe(void);
int nsk_probe(void)
{
	unsigned long r = get_state_synchronize_rcu();
	unsigned long s = start_poll_synchronize_srcu(&tracepoint_srcu);

	if (!poll_state_synchronize_srcu(&tracepoint_srcu, s))
		synchronize_srcu(&tracepoint_srcu);
	cond_synchronize_rcu(r);
	return 0;
}
