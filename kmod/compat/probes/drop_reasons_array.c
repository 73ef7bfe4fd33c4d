/* 5.18..6.3: exported const char * const drop_reasons[] */
#include <linux/skbuff.h>
#include <net/dropreason.h>
const char *nsk_probe(int r);
const char *nsk_probe(int r) { return drop_reasons[r]; }
