/* 5.11+: in_hardirq() (was in_irq()) */
#include <linux/preempt.h>
int nsk_probe(void);
int nsk_probe(void) { return in_hardirq(); }
