// The wire contract, shared with the kernel module.  Only this header includes it.
#pragma once

#include <uapi/linux/netstack_kmon.h>

#include <cstddef>

// Layout sanity only: sizes may grow (fields are appended), readers copy what they know.
static_assert(sizeof(nsk_rec_hdr) == 4, "nsk_rec_hdr layout");
static_assert(sizeof(nsk_event) % 8 == 0, "nsk_event: no tail padding");
static_assert(offsetof(nsk_event, ts_ns) == 8, "nsk_event.ts_ns offset");
static_assert(offsetof(nsk_drop, location) == sizeof(nsk_event), "nsk_drop layout");
static_assert(sizeof(nsk_stage) == 56, "nsk_stage layout");
static_assert(offsetof(nsk_stage, ts_ns) == 8 && offsetof(nsk_stage, ref) == 34, "nsk_stage layout");
