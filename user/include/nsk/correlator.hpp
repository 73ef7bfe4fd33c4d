// Correlator: rebuilds each skb's journey from time-ordered records (feed it from the
// ReorderBuffer).  See docs/report.md for the model.  This header is the facade and the result
// types; the work is done by units under src/lib/correlate/, each owning its state and expiry:
//  - rx_journeys: receive journeys by skb_id (address reuse, multicast clones, aging; journeys
//    sitting in a socket queue are aged by the longer queued age, else reported as
//    queued_at_end; the journey tables together are bounded by max_journeys);
//  - tx_journeys: send journeys (path "tx"), the sendmsg stages waiting for their skb per
//    (tid, sk_id), and the handoff to a receive journey on loopback (end_to_end, never an skb
//    reuse);
//  - tcp_seq: TCP by sequence number, per connection (sendmsg found by its bytes; received data
//    waits for the reader's copied_seq); tcp_gso: software segmentation;
//  - socket_table, stage_table, drop_table: the results they fill;
//  - journey: the end-of-journey accounting both paths share.
#pragma once

#include "nsk/histogram.hpp"
#include "nsk/probes.hpp"
#include "nsk/queue_memory.hpp"
#include "nsk/record.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace nsk {

struct CorrelatorOptions {
    std::uint64_t age_ns = 10'000'000'000ULL;  // journey idle longer than this: incomplete
    std::uint64_t sweep_ns = 1'000'000'000ULL; // how often (event time) to look for aged ones
    // Bounds for a collection that runs for weeks (docs/usage.md, "Memory bounds").  Checked
    // at every sweep, at the end, and for the socket table whenever churn takes it a quarter
    // past its bound; what leaves a table is counted, never forgotten silently.
    // A socket without an event for longer than this leaves the socket table; its counts are
    // folded into the pruned-sockets aggregate (totals stay exact).
    std::uint64_t socket_age_ns = 600'000'000'000ULL;
    // Most sockets (live and closed rows) the table keeps; the least recently active beyond it
    // are folded into the aggregate as well.
    std::uint64_t max_sockets = 65'536;
    // A receive journey waiting in a socket queue (or TCP data waiting for its reader) idle
    // longer than this is ended as incomplete and counted as evicted (a reader that never
    // reads, or a free the tool never saw).
    std::uint64_t queued_age_ns = 600'000'000'000ULL;
    // Most open journeys (receive, send, TCP data waiting); the oldest beyond it are ended as
    // incomplete and counted as evicted.
    std::uint64_t max_journeys = 1'000'000;
};

struct JourneyCounts {
    std::uint64_t complete = 0;            // copied to user (dequeued)
    std::uint64_t incomplete = 0;          // aged out, replaced before the end, open at the end
    std::uint64_t dropped = 0;             // freed with kfree_skb
    std::uint64_t consumed = 0;            // freed normally before reaching a reader
    std::uint64_t queued_at_end = 0;       // sitting in a socket queue when collection ended
    std::uint64_t partial = 0;             // first seen after its first stage (counted above too)
    std::uint64_t fanout_children = 0;     // multicast copies (counted above too)
    std::uint64_t reused_before_end = 0;   // incomplete because the skb id started a new journey
    std::uint64_t in_flight = 0;           // open right now (intervals only)
    std::uint64_t with_sendmsg = 0;        // tx: journeys that carry their sendmsg stages
    std::uint64_t sendmsg_without_skb = 0; // tx: sendmsg calls that produced no traced skb
    std::uint64_t looped = 0;              // rx: continued a send journey (loopback)
    // A packet this host relays: its receive journey ends as forwarded (IP forwarding, through
    // ip_forward/ip6_forward) or bridged (sent on without IP: a bridge port, a tc redirect),
    // not as complete; the send journey that carries it on is counted as relayed when it
    // reaches the driver (not as complete), as dropped/incomplete otherwise.
    std::uint64_t forwarded = 0; // rx
    std::uint64_t bridged = 0;   // rx
    std::uint64_t relayed = 0;   // tx
    // rx: skbs GRO merged into another one (napi_gro_receive_exit): not complete, not lost;
    // their TCP segments are counted (rx tcp.segments), not as TCP skbs (rx tcp.journeys)
    std::uint64_t gro_merged = 0;
    // TCP (journeys whose segment header was seen)
    std::uint64_t tcp = 0;             // TCP journeys (skbs)
    std::uint64_t tcp_segments = 0;    // the segments they stand for (GSO-aware; tx: at the driver)
    std::uint64_t tcp_data = 0;        // journeys that carried data
    std::uint64_t tcp_bytes = 0;       // data bytes (tx: new data only; rx: copied to user)
    std::uint64_t tcp_retransmits = 0; // tx: data segments re-sent (seq below the highest sent)
    std::uint64_t tcp_gso_children = 0; // tx: later segments of skbs segmented in software
    std::uint64_t tcp_data_dropped = 0; // rx: data segments freed with a drop
    std::uint64_t tcp_duplicates = 0;   // rx: ... of which copies of bytes that had arrived already
    std::uint64_t tcp_late_queued = 0;  // rx: data whose records came after the read of its bytes
    // Ended as incomplete by a bound (queued too long, or the journey table full): counted in
    // incomplete too.
    std::uint64_t evicted = 0;
};

struct StageStat {
    std::uint16_t from = 0;
    std::uint16_t to = 0;
    std::string path; // "tx", "loopback", "rx" or "queue"
    Histogram hist;
};

struct SocketStats {
    std::uint64_t sk_id = 0;
    std::uint8_t proto = 0;
    std::uint8_t family = 0; // AF_*
    std::string local, remote;
    bool sock_tuple = false; // local/remote came from the socket's own view
    std::uint32_t netns = 0;
    std::uint32_t pid = 0, tid = 0; // latest reader
    std::set<std::uint32_t> pids;
    std::string comm;
    std::uint32_t sk_ino = 0;
    std::uint64_t enqueued = 0; // enqueue events (accepted or refused)
    std::uint64_t dequeued = 0;
    std::uint64_t peeks = 0;
    std::uint64_t drops_total = 0; // refused by the queue (drop right at enqueue)
    std::map<std::string, std::uint64_t> drops;
    std::uint64_t drops_after_queue = 0; // freed with a drop after being queued
    std::uint64_t fail_queue_events = 0;
    std::uint64_t exceed_buf_events = 0;
    std::uint64_t rcvqueue_full_events = 0;
    Histogram queue;
    QueueMemory mem; // receive buffer (non-TCP sockets, where the module records it)
    std::uint64_t tx_packets = 0; // send journeys of this socket that reached the driver
    std::uint64_t tx_dropped = 0; // send journeys of this socket freed with a drop
    Histogram tx;                 // first send stage -> dev_hard_start_xmit, per journey
    // TCP
    std::uint64_t tx_bytes = 0; // new data bytes of this socket's segments that reached the driver
    std::uint64_t rx_bytes = 0; // bytes the reader copied (copied_seq advance)
    std::uint64_t tx_calls = 0; // tcp_sendmsg_locked calls
    struct TaskTx {
        std::uint64_t calls = 0, bytes = 0; // bytes: asked for (size)
        std::string comm;
    };
    std::map<std::uint32_t, TaskTx> tx_by_pid; // writers of this socket
    std::uint64_t tcp_duplicates = 0;   // data segments dropped as copies of data already here
    std::uint64_t queued_now = 0;       // data segments waiting in the receive queue now
    std::uint64_t queued_oldest_ns = 0; // age of the oldest of them
    bool active = false;                // had packet activity (not only recvmsg calls)
    std::uint64_t last_ts = 0;          // event time of its latest event (aging; not reported)
    // What local/remote and comm were last made from (not reported): the socket table formats
    // them again only when these change, not for every event of the socket.
    struct Learned {
        std::uint8_t laddr[16] = {}, raddr[16] = {};
        std::uint16_t lport = 0, rport = 0;
        std::uint8_t family = 0;
        char comm[16] = {};
    } learned;
    std::uint64_t rx_packets() const
    {
        return enqueued >= drops_total ? enqueued - drops_total : 0;
    }
};

/// Sockets that left the socket table (aged or beyond its bound): how many, and the sum of
/// their counts per (proto, family, netns), so totals over the sockets stay exact (the UDP
/// totals check needs the family and the netns).
struct PrunedSockets {
    struct Group {
        std::uint64_t sockets = 0; // reported sockets (active, UDP/TCP) folded into `sum`
        SocketStats sum;           // counts only (proto, family, netns; no tuple, pid or comm)
    };
    std::uint64_t entries = 0; // every entry removed (also sockets never reported)
    std::map<std::tuple<std::uint8_t, std::uint8_t, std::uint32_t>, Group> groups;
    std::uint64_t sockets() const
    {
        std::uint64_t n = 0;
        for (const auto &kv : groups)
            n += kv.second.sockets;
        return n;
    }
};

struct DropStat {
    std::string reason;
    std::string location;
    std::string stage; // last stage the skb reached ("" when no journey)
    std::string proto;
    std::uint64_t count = 0;
    bool by_location = false; // reason inferred from the call site (kernel without reasons)
    // Where the dropped packets were going ("10.0.0.2:9999"), the first kDropTargets
    // destinations seen with their counts, the rest under "other" (for the verdicts).
    std::map<std::string, std::uint64_t> targets;
    static constexpr std::size_t kDropTargets = 8;
};

namespace corr {
struct Parts;
}

/// The facade: feeds each record to the unit that owns its job (src/lib/correlate/) and
/// gathers their results.  Move-only.
class Correlator {
public:
    explicit Correlator(CorrelatorOptions opts = {});
    ~Correlator();
    Correlator(Correlator &&) noexcept;
    Correlator &operator=(Correlator &&) noexcept;

    void process(const Record &r);
    /// Event time moved on without records (idle): age journeys against `now_ns`.
    void advance_time(std::uint64_t now_ns);
    /// End of collection: close every open journey (queued -> queued_at_end, else incomplete).
    void finish();

    // --- results -------------------------------------------------------------------------------
    const JourneyCounts &rx_journeys() const;
    const JourneyCounts &tx_journeys() const;
    JourneyCounts tx_journeys_now() const; // with in_flight filled
    const Histogram &total_tx() const;
    const Histogram &total_end_to_end() const;
    JourneyCounts rx_journeys_now() const; // with in_flight filled
    /// Forwarded packets by the namespace that forwarded them (see RxJourneys).
    const std::map<std::uint32_t, std::uint64_t> &forwarded_by_netns() const;
    const Histogram &total_rx() const;
    const Histogram &total_queue() const;
    /// First receive probe -> copied to user (complete journeys): the seed's receive latency.
    const Histogram &total_rx_to_user() const;
    std::vector<StageStat> stages() const;    // sorted by path then stage order
    std::vector<SocketStats> sockets() const; // reported sockets (UDP, active), incl. closed ones
    /// Sockets pruned from the table (aged or beyond max_sockets), folded into one aggregate.
    const PrunedSockets &pruned_sockets() const;
    /// Every pid that read a reported socket (without copying the rows).
    std::vector<std::uint32_t> reader_pids() const;
    /// Entries in the socket table now (live and closed), for tests and the bounds.
    std::size_t socket_entries() const;
    std::vector<DropStat> drops() const; // sorted by count desc
    /// Events per probe name (after the kernel's filters).
    std::map<std::string, std::uint64_t> probes_seen() const;
    std::uint64_t incomplete_loss() const;
    std::uint64_t events() const { return events_; }
    std::uint64_t open_journeys() const;
    /// Journeys ended by a bound (queued age, max_journeys), rx and tx (in incomplete too).
    std::uint64_t evicted_journeys() const;
    std::uint64_t fanout_rejected() const;
    /// Consecutive stages whose timestamps went backwards (clamped to 0 in the histograms).
    std::uint64_t reversed_stages() const;
    std::uint64_t now() const;

    /// Names for probe ids as reported by the module (status); defaults to the built-in table.
    void set_probe_names(std::map<std::uint16_t, std::string> names);

private:
    /// An id beyond this build's probes: counted on the side, its row (if any) from probe_info().
    const ProbeInfo *other_probe(std::uint16_t id);
    void on_consume(const Record &r);
    void on_drop(const Record &r, const ProbeInfo &info);
    void sweep();
    void bound_journeys();

    std::unique_ptr<corr::Parts> p_;
    // Records per probe id: the ids this build knows in a fixed array (the one compare that
    // picks the probe's row bounds it too), any other id on the side (a newer module's).
    std::array<std::uint64_t, NSK_PROBE_MAX + 1> probes_seen_{};
    std::map<std::uint16_t, std::uint64_t> other_probes_seen_;
    std::uint64_t events_ = 0;
    std::uint64_t last_sweep_ = 0;
};

} // namespace nsk
