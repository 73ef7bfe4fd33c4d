// TCP segmentation offload done in software: on a device without the GSO type the kernel
// segments a TCP skb before the driver (validate_xmit_skb), frees it and hands the driver a list
// of new skbs, the first of which starts at the same sequence number.  The segmented skb's send
// journey goes on with that first segment; the later segments start their own journeys (counted
// with their parent), and on loopback a received segment finds its send journey by its bytes.
// No state of its own: it works on the send journeys and the TCP connections.
#pragma once

#include "journey.hpp"

namespace nsk::corr {

struct Parts;

class TcpGso {
public:
    explicit TcpGso(Parts &p) : p_(p) {}

    /// dev_hard_start_xmit (or an earlier stage) of an skb no send journey knows: a segment of
    /// a segmented skb?  True when it was taken as one.
    bool segment(const Record &r, const ProbeInfo &info);
    /// The free of a send journey's skb at `ts`: true when it was segmented in software before
    /// the driver (it goes on with its first segment).
    bool freed_segmented(TxJourney &j, std::uint64_t ts);
    /// A received TCP segment with no send journey of its own skb: continue the send journey
    /// whose bytes it carries, if any (a later segment of a segmented skb, on loopback).
    void loop_by_seq(RxJourney &j, const nsk_event &ev);

private:
    Parts &p_;
};

} // namespace nsk::corr
