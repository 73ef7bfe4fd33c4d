// Receive journeys: keyed by skb_id, from the first receive stage to the reader (or a drop, or
// a free).  A start stage (or any stage that does not move the journey forward) on an unfinished
// journey closes the old one as incomplete (address reuse); finished journeys are forgotten at
// once.  Multicast: an enqueue of an unknown skb is a clone of the packet that last passed
// udp_rcv on the same CPU and has not been enqueued itself yet; the child copies the parent's
// stages.  Expiry in event time: a journey idle longer than the age is incomplete, unless it
// sits in a socket queue (then it is queued_at_end when collection ends, or evicted as
// incomplete once idle longer than the queued age).  Bounded: evict_upto() ends the oldest when
// the facade finds too many journeys open.  A packet this host relays (a router's ip_forward, a
// bridge port) ends its receive journey as forwarded/bridged where the send path takes it on
// (TxJourneys: one journey across the hops); a second receive on an upper device (bridge, VLAN)
// is a stage of the same journey.
#pragma once

#include "journey.hpp"

#include "nsk/histogram.hpp"

#include <cstdint>
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

namespace nsk::corr {

struct Parts;
struct DropCause;

class RxJourneys {
public:
    explicit RxJourneys(Parts &p) : p_(p) {}

    /// A receive stage (start, mid, enqueue, dequeue).
    void stage(const Record &r, const ProbeInfo &info);
    /// The journey reached the stage of `r` (it may end there).
    void append(RxJourney &j, const Record &r, const ProbeInfo &info);
    RxJourney *find(std::uint64_t skb_id);
    /// Take the journey out of the table (it lives on elsewhere: TCP data waiting for the reader).
    void forget(std::uint64_t skb_id) { journeys_.erase(skb_id); }
    /// End the journey: account it, then forget it (j is gone afterwards).
    void close(RxJourney &j, End how, bool reused = false);
    /// The end-of-journey accounting only.
    void end(RxJourney &j, End how, bool reused);
    /// The open receive journey of `skb_id` that the send stage `ev` carries on (a packet this
    /// host forwards or bridges), with the path of the send journey; nullptr when `ev` is not
    /// such a continuation.  The caller ends it with End::relayed.
    RxJourney *relay_from(std::uint64_t skb_id, const nsk_event &ev, const ProbeInfo &info,
                          Path &path);
    /// Freed normally (consume_skb).
    void consumed(std::uint64_t skb_id);
    /// GRO merged it into another skb (napi_gro_receive_exit): its journey ends there.
    void gro_merged(std::uint64_t skb_id);
    /// sock_rcvqueue_full: the drop that follows has this reason.
    void queue_full(std::uint64_t skb_id, const std::string &reason);
    /// Freed with a drop (the drop table and the socket learn it too).
    void dropped(RxJourney &j, const Record &r, DropCause &cause);
    /// Close the journeys idle longer than the age (those in a socket queue: the queued age).
    void expire();
    /// End `j` as incomplete because of a bound (counted as evicted too); it is gone afterwards
    /// from this table (close) or only accounted (`in_table` false: TCP data waiting).
    void evict(RxJourney &j, bool in_table = true);
    /// Append the last-event times of the open journeys (to find the oldest).
    void stamps(std::vector<std::uint64_t> &out) const;
    /// Evict the journeys whose last event is at or before `cut`.
    void evict_upto(std::uint64_t cut);
    /// End of collection: close every open journey.
    void finish();

    JourneyCounts &counts() { return n_; }
    const JourneyCounts &counts() const { return n_; }
    JourneyCounts counts_now() const; // with in_flight filled
    std::size_t open() const { return journeys_.size(); }
    std::uint64_t fanout_rejected() const { return fanout_rejected_; }
    /// Packets forwarded (relayed from ip_forward/ip6_forward to the output path), by the
    /// network namespace of the device they arrived on: what Ip.ForwDatagrams +
    /// Ip6.OutForwDatagrams count there (both grow in *_forward_finish, after the hook).
    const std::map<std::uint32_t, std::uint64_t> &forwarded_by_netns() const
    {
        return forwarded_netns_;
    }
    const Histogram &total() const { return total_; }
    const Histogram &total_queue() const { return total_queue_; }
    const Histogram &total_to_user() const { return total_user_; }
    const Histogram &total_end_to_end() const { return total_e2e_; }

private:
    RxJourney &start(const Record &r, bool partial);
    static bool another_device(const RxJourney &j, const nsk_event &ev);
    RxJourney *fanout_parent(const Record &r);
    void learn(RxJourney &j, const Record &r, const ProbeInfo &info);

    Parts &p_;
    JourneyTable<RxJourney> journeys_; // by skb_id
    // per CPU: the journey (skb_id, serial) that last passed a fanout parent stage
    tsl::robin_map<std::uint32_t, std::pair<std::uint64_t, std::uint64_t>> last_fanout_;
    std::uint64_t serial_ = 0;
    std::uint64_t fanout_rejected_ = 0;
    std::map<std::uint32_t, std::uint64_t> forwarded_netns_;
    JourneyCounts n_;
    Histogram total_, total_queue_, total_user_, total_e2e_;
};

} // namespace nsk::corr
