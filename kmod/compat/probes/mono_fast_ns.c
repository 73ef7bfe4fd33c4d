/* 4.9+: ktime_get_mono_fast_ns(), NMI-safe monotonic clock */
#include <linux/ktime.h>
#include <linux/timekeeping.h>
u64 nsk_probe(void);
u64 nsk_probe(void) { return ktime_get_mono_fast_ns(); }
