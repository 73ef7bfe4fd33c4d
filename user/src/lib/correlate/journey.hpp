// The correlator's private vocabulary: a stage visit, how a journey ends, the receive and send
// journeys, and the end-of-journey accounting both paths share (journey.cpp).  Not part of the
// public interface: only the units under src/lib/correlate/ and the facade include it.
#pragma once

#include "nsk/correlator.hpp"
#include "nsk/probes.hpp"
#include "nsk/record.hpp"

#include <algorithm>
#include <cstdint>
#include <netinet/in.h>
#include <new>
#include <string>
#include <tsl/robin_map.h>
#include <vector>

namespace nsk::corr {

class StageTable;

struct Visit {
    std::uint16_t probe;
    std::uint16_t cpu;
    std::uint8_t ctx;
    std::uint64_t ts;
};

// relayed: a receive journey that left to be sent on again (forwarded or bridged); the send
// journey that continues it carries the packet on.
// gro_merged: GRO merged the received skb into another one (freed or chained to it, no free
// traced); that skb goes on and stands for its segments.
enum class End { complete, dropped, consumed, incomplete, queued_at_end, relayed, gro_merged };

/// Which path a journey's stage pairs belong to (a receive pair that ends in a read of the
/// socket is reported as "queue"): fwd = a packet this host forwards at IP (from ip_forward on),
/// bridge = one it sends on again without IP (a bridge port, a tc redirect).
enum class Path : std::uint8_t { tx, loopback, rx, fwd, bridge };

// First skb-bearing send stages (ip_queue_xmit, ip6_xmit, ip_output, ip6_output): an skb seen
// here while its id has an open send journey that went further is a new skb at that address.
constexpr int kTxFirstSkbOrder = 5;
constexpr int kTxDevQueueOrder = 7; // dev_queue_xmit

inline bool is_reported_proto(std::uint8_t proto)
{
    return proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE || proto == IPPROTO_TCP;
}
inline bool is_tcp_seq(const nsk_event &ev)
{
    return (ev.flags & NSK_EF_SEQ) && ev.proto == IPPROTO_TCP;
}
inline bool is_tcp_rcv(std::uint16_t probe)
{
    return probe == NSK_PROBE_TCP_V4_RCV || probe == NSK_PROBE_TCP_V6_RCV;
}
inline std::uint32_t tcp_segs(const nsk_event &ev)
{
    return std::max<std::uint32_t>(1, ev.aux >> 16);
}
inline Visit visit_of(const nsk_event &ev)
{
    return {ev.probe, ev.cpu, ev.ctx, ev.ts_ns};
}

/// Open journeys by skb_id: an open-addressing hash map (tsl::robin_map: one probe into a flat
/// array instead of a node per entry) of pointers to pooled journeys, so a journey stays where
/// it is while the table grows or others leave (callers hold a J& across insertions), and a
/// journey that ends goes back to a bounded free list with its visits' capacity, so the next
/// one allocates nothing.  Iterating gives (skb_id, J*) pairs.
template <class J>
class JourneyTable {
public:
    using Map = tsl::robin_map<std::uint64_t, J *>;
    using key_type = std::uint64_t;

    JourneyTable() = default;
    JourneyTable(const JourneyTable &) = delete;
    JourneyTable &operator=(const JourneyTable &) = delete;
    ~JourneyTable()
    {
        for (auto &kv : map_)
            delete kv.second;
        for (J *j : free_)
            delete j;
    }

    J *find(std::uint64_t id) const
    {
        auto it = map_.find(id);
        return it == map_.end() ? nullptr : it->second;
    }
    J &at(std::uint64_t id) const { return *map_.at(id); }
    /// A new journey under `id` (replacing any journey there), in its default state.
    J &fresh(std::uint64_t id)
    {
        J *&slot = map_[id];
        if (!slot)
            slot = take();
        std::vector<Visit> v = std::move(slot->visits);
        v.clear();
        // Made anew in place: no default journey built aside and move-assigned field by field
        // (its strings and vector each cost a move and a destructor).
        slot->~J();
        ::new (static_cast<void *>(slot)) J{};
        slot->visits = std::move(v);
        return *slot;
    }
    /// `j` under `id` (replacing any journey there).
    J &put(std::uint64_t id, J &&j)
    {
        J *&slot = map_[id];
        if (!slot)
            slot = take();
        *slot = std::move(j);
        return *slot;
    }
    void erase(std::uint64_t id)
    {
        auto it = map_.find(id);
        if (it == map_.end())
            return;
        J *j = it->second;
        map_.erase(it);
        give(j);
    }
    std::size_t size() const { return map_.size(); }
    typename Map::const_iterator begin() const { return map_.begin(); }
    typename Map::const_iterator end() const { return map_.end(); }

private:
    static constexpr std::size_t kMaxFree = 4096; // journeys kept for reuse
    J *take()
    {
        if (free_.empty())
            return new J;
        J *j = free_.back();
        free_.pop_back();
        return j;
    }
    void give(J *j)
    {
        if (free_.size() < kMaxFree)
            free_.push_back(j);
        else
            delete j;
    }
    Map map_;
    std::vector<J *> free_;
};

/// The journey an entry of a JourneyTable (a pointer) or of a map of journeys (a value) names.
template <class J>
const J &journey_of(const J &j)
{
    return j;
}
template <class J>
const J &journey_of(J *j)
{
    return *j;
}

/// Erase the entries of the map `m` for which `pred(entry)` holds.
template <class Map, class Pred>
void erase_if(Map &m, Pred pred)
{
    for (auto it = m.begin(); it != m.end();) {
        if (pred(*it))
            it = m.erase(it);
        else
            ++it;
    }
}

/// The keys of the map's entries for which `pred(entry)` holds (to end them one by one).
template <class Map, class Pred>
std::vector<typename Map::key_type> keys_if(const Map &m, Pred pred)
{
    std::vector<typename Map::key_type> keys;
    for (const auto &kv : m)
        if (pred(kv))
            keys.push_back(kv.first);
    // In key order: what is ended one by one does not depend on the hash table's layout.
    std::sort(keys.begin(), keys.end());
    return keys;
}

// What receive and send journeys have in common.
struct JourneyBase {
    std::uint64_t skb_id = 0;
    std::uint64_t sk_id = 0;
    std::vector<Visit> visits;
    int max_order = 0;
    std::uint64_t last_ts = 0;
    std::uint8_t proto = 0;    // 0 unknown
    bool partial = false;      // first seen after its first stage
    std::size_t accounted = 1; // visits[0..accounted) have their pairs in the stage table
    // TCP
    bool has_seq = false;
    std::uint32_t seq = 0, payload = 0, segs = 0;

    /// The journey reached the stage of `ev`.
    void visit(const nsk_event &ev, const ProbeInfo &info)
    {
        visits.push_back(visit_of(ev));
        max_order = info.order;
        last_ts = ev.ts_ns;
    }
};

/// A send journey that reached the driver, as a receive journey that continues it sees it.
struct Handoff {
    std::uint64_t first_ts = 0; // its first send stage
    std::uint64_t xmit_ts = 0;  // when it reached the driver
    std::uint16_t xmit_probe = 0;
};

struct RxJourney : JourneyBase {
    std::uint64_t serial = 0;
    std::uint16_t pkt_dport = 0;
    bool pkt_tuple = false;
    std::uint32_t netns = 0;
    int enqueue_idx = -1;
    bool child = false;
    std::string pending_reason;  // from sock_rcvqueue_full
    bool refused = false;        // dropped right at enqueue (queue refused it)
    std::uint32_t truesize = 0;  // charge of the skb offered to a queue (NSK_EF_MEM), else 0
    bool looped = false;         // continues a send journey (loopback)
    std::uint64_t e2e_start = 0; // its first send stage
    std::uint64_t xmit_ts = 0;   // when the send journey reached the driver
    std::uint16_t xmit_probe = 0;
    // TCP
    std::string conn;     // receiver's connection key (from the packet tuple)
    bool tcp_dup = false; // its data had already arrived (a retransmission's copy)
    // its end was already below copied_seq when it arrived (in the order records reached
    // the tool): a copy TCP drops, unless it was delivered late (see TcpSeq::park)
    bool tcp_read_early = false;
    std::uint64_t tcp_end = 0; // unwrapped end sequence (TCP data, once parked or read)
    bool evicted = false;      // ended by a bound (queued too long, table full): incomplete

    /// It continues the send journey `h` (loopback).
    void continues(const Handoff &h)
    {
        looped = true;
        e2e_start = h.first_ts;
        xmit_ts = h.xmit_ts;
        xmit_probe = h.xmit_probe;
    }
    const Visit *enqueue() const
    {
        return enqueue_idx >= 0 ? &visits[static_cast<std::size_t>(enqueue_idx)] : nullptr;
    }
};

struct TxJourney : JourneyBase {
    bool with_sendmsg = false;
    bool retransmit = false;     // its first byte was sent before
    std::uint32_t new_bytes = 0; // bytes never sent before
    bool segmented = false;      // freed after software segmentation: goes on as its first segment
    bool gso_child = false;      // a later segment of a segmented skb (counted with its parent)
    std::string tcp_conn;        // sender's connection key (data journeys)
    std::uint64_t tcp_start = 0; // unwrapped first byte
    // A packet this host relays (received, then sent on): Path::fwd or Path::bridge; visits[0]
    // is the receive journey's last stage, origin_ts the packet's first stage on this host (its
    // first send stage when the receive journey continued one).
    Path path = Path::tx;
    std::uint64_t origin_ts = 0;

    bool relayed() const { return path != Path::tx; }
    /// What a receive journey continuing it takes over (once it reached the driver).
    Handoff handoff() const
    {
        return {relayed() ? origin_ts : visits.front().ts, visits.back().ts, visits.back().probe};
    }
};

/// `n` with in_flight: the journeys open in `table` (by skb_id) of a reported protocol.
template <class Table>
JourneyCounts with_in_flight(JourneyCounts n, const Table &table)
{
    n.in_flight = 0;
    for (const auto &kv : table)
        if (is_reported_proto(journey_of(kv.second).proto))
            ++n.in_flight;
    return n;
}

/// The end of a journey, either path: its stage pairs not yet in the stage table go there, and
/// a journey of a reported protocol is counted in `n` by how it ended (and as partial).
/// Returns whether it was counted: the caller then adds what only its path counts.
bool end_journey(JourneyBase &j, End how, bool reused, Path path, StageTable &stages,
                 JourneyCounts &n);

} // namespace nsk::corr
