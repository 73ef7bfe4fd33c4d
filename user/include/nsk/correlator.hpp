// Correlator: rebuilds each skb's journey from time-ordered records (feed it from the
// ReorderBuffer).  See docs/report.md for the model; in short:
//  - journeys are keyed by skb_id; a start probe (or any stage that does not move the journey
//    forward) on an unfinished journey closes the old one as incomplete (address reuse);
//  - finished journeys (dequeued, dropped, consumed) are forgotten at once, so a reused address
//    simply starts a new journey;
//  - multicast: an enqueue of an unknown skb is a clone of the packet that last passed udp_rcv on
//    the same CPU and has not been enqueued itself yet (the kernel delivers the original last);
//    the child copies the parent's stage timestamps;
//  - aging in event time; journeys sitting in a socket queue are never aged, they are reported
//    as queued_at_end;
//  - send journeys (path "tx") live in their own table, keyed by skb_id too: the sk-only
//    sendmsg events of a task wait per (tid, sk_id) for the first skb-bearing send event of the
//    same socket in the same task, which starts the journey with them as its first stages;
//    dev_hard_start_xmit completes it.  On loopback the same skb then starts a receive journey:
//    that is a continuation (end_to_end), never an skb reuse.
#pragma once

#include "nsk/histogram.hpp"
#include "nsk/probes.hpp"
#include "nsk/record.hpp"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace nsk {

struct CorrelatorOptions {
    std::uint64_t age_ns = 10'000'000'000ULL;  // journey idle longer than this: incomplete
    std::uint64_t sweep_ns = 1'000'000'000ULL; // how often (event time) to look for aged ones
};

struct JourneyCounts {
    std::uint64_t complete = 0;          // copied to user (dequeued)
    std::uint64_t incomplete = 0;        // aged out, replaced before the end, open at the end
    std::uint64_t dropped = 0;           // freed with kfree_skb
    std::uint64_t consumed = 0;          // freed normally before reaching a reader
    std::uint64_t queued_at_end = 0;     // sitting in a socket queue when collection ended
    std::uint64_t partial = 0;           // first seen after its first stage (counted above too)
    std::uint64_t fanout_children = 0;   // multicast copies (counted above too)
    std::uint64_t reused_before_end = 0; // incomplete because the skb id started a new journey
    std::uint64_t in_flight = 0;         // open right now (intervals only)
    std::uint64_t with_sendmsg = 0;      // tx: journeys that carry their sendmsg stages
    std::uint64_t sendmsg_without_skb = 0; // tx: sendmsg calls that produced no traced skb
    std::uint64_t looped = 0;            // rx: continued a send journey (loopback)
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
    std::uint64_t tx_packets = 0; // send journeys of this socket that reached the driver
    std::uint64_t tx_dropped = 0; // send journeys of this socket freed with a drop
    Histogram tx;                 // first send stage -> dev_hard_start_xmit, per journey
    bool active = false; // had packet activity (not only recvmsg calls)
    std::uint64_t rx_packets() const
    {
        return enqueued >= drops_total ? enqueued - drops_total : 0;
    }
};

struct DropStat {
    std::string reason;
    std::string location;
    std::string stage; // last stage the skb reached ("" when no journey)
    std::string proto;
    std::uint64_t count = 0;
};

class Correlator {
public:
    explicit Correlator(CorrelatorOptions opts = {}) : opts_(opts) {}

    void process(const Record &r);
    /// Event time moved on without records (idle): age journeys against `now_ns`.
    void advance_time(std::uint64_t now_ns);
    /// End of collection: close every open journey (queued -> queued_at_end, else incomplete).
    void finish();

    // --- results -------------------------------------------------------------------------------
    const JourneyCounts &rx_journeys() const { return rx_; }
    const JourneyCounts &tx_journeys() const { return tx_; }
    JourneyCounts tx_journeys_now() const; // with in_flight filled
    const Histogram &total_tx() const { return total_tx_; }
    const Histogram &total_end_to_end() const { return total_e2e_; }
    JourneyCounts rx_journeys_now() const; // with in_flight filled
    const Histogram &total_rx() const { return total_rx_; }
    const Histogram &total_queue() const { return total_queue_; }
    std::vector<StageStat> stages() const;    // sorted by path then stage order
    std::vector<SocketStats> sockets() const; // reported sockets (UDP, active), incl. closed ones
    std::vector<DropStat> drops() const;      // sorted by count desc
    /// Events per probe name (after the kernel's filters).
    std::map<std::string, std::uint64_t> probes_seen() const;
    std::uint64_t incomplete_loss() const { return rx_.incomplete + tx_.incomplete; }
    std::uint64_t events() const { return events_; }
    std::uint64_t open_journeys() const { return journeys_.size(); }
    std::uint64_t fanout_rejected() const { return fanout_rejected_; }
    std::uint64_t now() const { return now_; }

    /// Names for probe ids as reported by the module (status); defaults to the built-in table.
    void set_probe_names(std::map<std::uint16_t, std::string> names) { names_ = std::move(names); }

private:
    struct Visit {
        std::uint16_t probe;
        std::uint16_t cpu;
        std::uint8_t ctx;
        std::uint64_t ts;
    };
    struct Journey {
        std::uint64_t serial = 0;
        std::uint64_t skb_id = 0;
        std::vector<Visit> visits;
        int max_order = 0;
        std::uint64_t last_ts = 0;
        std::uint8_t proto = 0; // 0 unknown
        std::uint16_t pkt_dport = 0;
        bool pkt_tuple = false;
        std::uint32_t netns = 0;
        std::uint64_t sk_id = 0;
        int enqueue_idx = -1;
        bool partial = false;
        bool child = false;
        std::size_t accounted = 1;  // visits[0..accounted) have their pairs in the stage table
        std::string pending_reason; // from sock_rcvqueue_full
        bool refused = false;       // dropped right at enqueue (queue refused it)
        bool looped = false;        // continues a send journey (loopback)
        std::uint64_t e2e_start = 0; // its first send stage
        std::uint64_t xmit_ts = 0;   // when the send journey reached the driver
        std::uint16_t xmit_probe = 0;
    };
    // Send side.
    struct TxJourney {
        std::uint64_t serial = 0;
        std::uint64_t skb_id = 0;
        std::uint64_t sk_id = 0;
        std::vector<Visit> visits;
        int max_order = 0;
        std::uint64_t last_ts = 0;
        std::uint8_t proto = 0;
        bool partial = false;
        bool with_sendmsg = false;
        std::size_t accounted = 1;
    };
    struct PendingSend { // sendmsg stages of one task on one socket, waiting for their skb
        std::vector<Visit> visits;
        int max_order = 0;
        std::uint64_t last_ts = 0;
        std::uint8_t proto = 0;
    };
    struct Handoff { // a send journey that reached the driver: may continue as a receive one
        std::uint64_t first_ts = 0;
        std::uint64_t xmit_ts = 0;
        std::uint16_t xmit_probe = 0;
    };
    enum class End { complete, dropped, consumed, incomplete, queued_at_end };
    void handle_tx_sock(const Record &r, const ProbeInfo &info);
    void handle_tx(const Record &r, const ProbeInfo &info);
    void tx_append(TxJourney &j, const Record &r, const ProbeInfo &info);
    void tx_account(TxJourney &j);
    void tx_close(TxJourney &j, End how, bool reused = false);
    bool tx_end_by_free(const Record &r, End how, const std::string &reason,
                        const std::string &location);

    std::string name_of(std::uint16_t probe) const;
    void handle_stage(const Record &r, const ProbeInfo &info);
    void handle_drop(const Record &r, const ProbeInfo &info);
    void handle_consume(const Record &r);
    Journey &start_journey(const Record &r, bool partial);
    Journey *fanout_parent(const Record &r);
    void learn(Journey &j, const Record &r, const ProbeInfo &info);
    void append(Journey &j, const Record &r, const ProbeInfo &info);
    void account(Journey &j);
    void account_visits(std::uint8_t proto, const std::vector<Visit> &visits,
                        std::size_t &accounted, bool tx);
    void close(Journey &j, End how, bool reused = false);
    void sweep();
    SocketStats &socket(const nsk_event &ev, std::uint64_t sk_id);
    void learn_socket(SocketStats &s, const nsk_event &ev, bool task);
    bool is_reported_proto(std::uint8_t proto) const;

    CorrelatorOptions opts_;
    std::map<std::uint16_t, std::string> names_;
    std::unordered_map<std::uint64_t, Journey> journeys_;
    std::unordered_map<std::uint32_t, std::pair<std::uint64_t, std::uint64_t>> last_fanout_;
    std::map<std::pair<std::uint16_t, std::uint16_t>, StageStat> stage_stats_;
    std::unordered_map<std::uint64_t, SocketStats> sockets_;
    std::vector<SocketStats> closed_sockets_;
    std::map<std::pair<std::string, std::string>, DropStat> drop_table_;
    std::map<std::uint16_t, std::uint64_t> probes_seen_; // by probe id
    JourneyCounts rx_, tx_;
    Histogram total_rx_, total_queue_, total_tx_, total_e2e_;
    std::unordered_map<std::uint64_t, TxJourney> tx_journeys_;
    std::map<std::pair<std::uint32_t, std::uint64_t>, PendingSend> pending_send_; // (tid, sk)
    std::unordered_map<std::uint64_t, Handoff> handoff_;                            // by skb_id
    std::uint64_t sendmsg_without_skb_ = 0;
    std::uint64_t serial_ = 0;
    std::uint64_t now_ = 0;
    std::uint64_t last_sweep_ = 0;
    std::uint64_t events_ = 0;
    std::uint64_t fanout_rejected_ = 0;
};

} // namespace nsk
