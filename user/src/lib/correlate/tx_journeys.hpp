// Send journeys (path "tx"): keyed by skb_id, from the first send stage to the driver
// (dev_hard_start_xmit), or a drop, or a free.  The sk-only sendmsg events of a task wait per
// (tid, sk_id) for the first skb-bearing send event of the same socket in the same task, which
// starts the journey with them as its first stages (TCP finds its sendmsg by sequence number
// instead: TcpSeq).  A journey that reached the driver is remembered as a handoff: on loopback
// the same skb then starts a receive journey that continues it.  Expiry in event time: journeys,
// waiting sendmsg stages and handoffs idle longer than the age are dropped (journeys as
// incomplete, sendmsg stages as sendmsg_without_skb).  A packet received here and sent on
// (forwarded by ip_forward, or by a bridge) continues its receive journey as a send journey on
// path fwd/bridge, counted as relayed at the driver; its handoff carries the packet's origin so
// the next hop's receive journey has the end-to-end latency.
#pragma once

#include "journey.hpp"

#include "nsk/histogram.hpp"

#include <cstdint>
#include <map>
#include <unordered_map>
#include <utility>

namespace nsk::corr {

struct Parts;
struct DropCause;

class TxJourneys {
public:
    explicit TxJourneys(Parts &p) : p_(p) {}

    /// A send stage without an skb (sock_sendmsg, udp_sendmsg, tcp_sendmsg_locked ...).
    void sock(const Record &r, const ProbeInfo &info);
    /// A send stage of an skb.
    void stage(const Record &r, const ProbeInfo &info);
    /// A packet received here is sent on (forwarded, bridged): the send journey takes over from
    /// the receive journey `rj`, which ends as relayed.
    void relay(RxJourney &rj, Path path, const Record &r, const ProbeInfo &info);
    /// The journey reached the stage of `r` (ends at the driver).
    void append(TxJourney &j, const Record &r, const ProbeInfo &info);
    /// End the journey: account it, then forget it (j is gone afterwards).
    void close(TxJourney &j, End how, bool reused = false);
    TxJourney *find(std::uint64_t skb_id);
    /// Put `j` under its skb_id (replacing any journey there).
    TxJourney &put(TxJourney &&j);
    void forget(std::uint64_t skb_id) { journeys_.erase(skb_id); }
    /// A reader of the socket in this task: its next skb is not a sender's.
    void forget_pending(std::uint32_t tid, std::uint64_t sk_id)
    {
        auto it = pending_.find({tid, sk_id});
        if (it != pending_.end())
            drop_pending(it);
    }
    /// Freed normally (consume_skb).  Returns true when the free is not the journey's end (an
    /// skb segmented in software goes on as its first segment): nothing else ends there.
    bool consumed(const Record &r);
    /// Freed with a drop on the way down (qdisc, neighbour, netfilter OUTPUT...).
    void dropped(TxJourney &j, const Record &r, DropCause &cause);

    /// The send journey of `skb_id` reached the driver: continue it (loopback).  Consumes it.
    bool take_handoff(std::uint64_t skb_id, Handoff &h);
    void forget_handoff(std::uint64_t skb_id) { handoff_.erase(skb_id); }
    /// The skb the driver took was renamed (the first segment of a segmented skb).
    void move_handoff(std::uint64_t from, std::uint64_t to);

    /// net_dev_xmit: the driver's transmit of an skb that reached it returned (rc in reason):
    /// the stage dev_hard_start_xmit -> net_dev_xmit of the journey's path.  Measured after
    /// the journey ended at the driver: on loopback and veth the receive side may be running
    /// already, so it is not part of the end-to-end latency.
    void xmit_done(const Record &r);
    /// A TCP sendmsg call forgotten by its connection's bound (TcpSeq): counted as a sendmsg
    /// that produced no traced skb.
    void call_forgotten() { ++n_.sendmsg_without_skb; }
    /// Forget what is idle longer than the age.
    void expire();
    /// End of collection: close every open journey.
    void finish();
    std::size_t open() const { return journeys_.size(); }
    /// Append the last-event times of the open journeys (to find the oldest).
    void stamps(std::vector<std::uint64_t> &out) const;
    /// End as incomplete (counted as evicted) the journeys whose last event is at or before
    /// `cut`: the journey table is beyond its bound.
    void evict_upto(std::uint64_t cut);

    const JourneyCounts &counts() const { return n_; }
    JourneyCounts counts_now() const; // with in_flight filled
    const Histogram &total() const { return total_; }

private:
    struct PendingSend { // sendmsg stages of one task on one socket, waiting for their skb
        std::vector<Visit> visits;
        int max_order = 0;
        std::uint64_t last_ts = 0;
        std::uint8_t proto = 0;
    };
    void unsent(const PendingSend &p); // a sendmsg that produced no traced skb
    struct TaskSock {
        std::uint32_t tid;
        std::uint64_t sk_id;
        bool operator==(const TaskSock &o) const { return tid == o.tid && sk_id == o.sk_id; }
    };
    struct TaskSockHash {
        std::size_t operator()(const TaskSock &k) const
        {
            return std::hash<std::uint64_t>{}(k.sk_id ^
                                              (std::uint64_t{k.tid} * 0x9e3779b97f4a7c15ULL));
        }
    };
    // Waiting sendmsg stages by (tid, sk): a flat map (one per datagram sent, in and out at
    // once; its iteration order only decides in which order sendmsg_without_skb is counted).
    using PendingMap = tsl::robin_map<TaskSock, PendingSend, TaskSockHash>;
    /// Erase a waiting sendmsg, keeping its visits' capacity for the next one.
    PendingMap::iterator drop_pending(PendingMap::iterator it);
    /// Visit vectors of waiting sendmsgs that left (cleared; at most kSpareVisits): a new one
    /// takes one instead of allocating.  Starting a journey swaps vectors with the pooled
    /// journey, so a datagram's stages move without a malloc.
    static constexpr std::size_t kSpareVisits = 256;
    std::vector<std::vector<Visit>> spare_visits_;

    Parts &p_;
    JourneyTable<TxJourney> journeys_; // by skb_id
    PendingMap pending_;
    tsl::robin_map<std::uint64_t, Handoff> handoff_; // by skb_id
    struct AtDriver {
        std::uint64_t skb_id = 0;
        std::uint64_t ts = 0;
        std::uint16_t probe = 0;
        Path path = Path::tx;
    };
    // Per CPU, the last journeys that reached the driver, newest last: net_dev_xmit follows
    // on the same CPU (a nested transmit, a tunnel's, comes in between).  A few deep, so a
    // kernel without the tracepoint costs nothing.  Indexed by the CPU number (a u16), grown
    // to the highest CPU that sent: one load per transmit instead of a hash lookup.
    static constexpr std::size_t kAtDriverDepth = 8;
    std::vector<std::vector<AtDriver>> at_driver_;
    JourneyCounts n_;
    Histogram total_; // first send stage -> driver
};

} // namespace nsk::corr
