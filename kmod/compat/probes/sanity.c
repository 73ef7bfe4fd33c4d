#include <linux/module.h>
#include <linux/skbuff.h>
int nsk_probe(void);
int nsk_probe(void) { return 0; }
