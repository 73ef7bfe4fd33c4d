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
//  - TCP is followed by sequence number, per connection (see docs/report.md "TCP"): the sendmsg
//    of a segment is the tcp_sendmsg_locked call whose bytes [write_seq, +size) hold the
//    segment's first byte (so segments sent later from softirq, or by another task, still find
//    it; retransmissions are counted and not linked); a received data segment leaves the skb
//    table at tcp_v4_rcv/tcp_v6_rcv and waits in its connection, keyed by its end sequence
//    (coalescing, backlog and freeing of the skb do not matter), until tcp_cleanup_rbuf's
//    copied_seq passes it: copied to user, journey complete.  Segments without data end at
//    tcp_v4_rcv (consumed; a drop that follows converts it).
#pragma once

#include "nsk/histogram.hpp"
#include "nsk/probes.hpp"
#include "nsk/record.hpp"

#include <cstdint>
#include <deque>
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
    bool by_location = false; // reason inferred from the call site (kernel without reasons)
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
    /// First receive probe -> copied to user (complete journeys): the seed's receive latency.
    const Histogram &total_rx_to_user() const { return total_rx_user_; }
    std::vector<StageStat> stages() const;    // sorted by path then stage order
    std::vector<SocketStats> sockets() const; // reported sockets (UDP, active), incl. closed ones
    std::vector<DropStat> drops() const;      // sorted by count desc
    /// Events per probe name (after the kernel's filters).
    std::map<std::string, std::uint64_t> probes_seen() const;
    std::uint64_t incomplete_loss() const { return rx_.incomplete + tx_.incomplete; }
    std::uint64_t events() const { return events_; }
    std::uint64_t open_journeys() const
    {
        std::uint64_t n = journeys_.size();
        for (const auto &kv : tcp_rx_)
            n += kv.second.waiting.size();
        return n;
    }
    std::uint64_t fanout_rejected() const { return fanout_rejected_; }
    /// Consecutive stages whose timestamps went backwards (clamped to 0 in the histograms).
    std::uint64_t reversed_stages() const { return reversed_stages_; }
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
        std::size_t accounted = 1;   // visits[0..accounted) have their pairs in the stage table
        std::string pending_reason;  // from sock_rcvqueue_full
        bool refused = false;        // dropped right at enqueue (queue refused it)
        bool looped = false;         // continues a send journey (loopback)
        std::uint64_t e2e_start = 0; // its first send stage
        std::uint64_t xmit_ts = 0;   // when the send journey reached the driver
        std::uint16_t xmit_probe = 0;
        // TCP
        bool has_seq = false;
        std::uint32_t seq = 0, payload = 0, segs = 0;
        std::string conn;     // receiver's connection key (from the packet tuple)
        bool tcp_dup = false; // its data had already arrived (a retransmission's copy)
        // its end was already below copied_seq when it arrived (in the order records reached
        // the tool): a copy TCP drops, unless it was delivered late (see tcp_park)
        bool tcp_read_early = false;
        std::uint64_t tcp_end = 0; // unwrapped end sequence (TCP data, once parked or read)
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
        bool has_seq = false;
        std::uint32_t seq = 0, payload = 0, segs = 0;
        bool retransmit = false;     // its first byte was sent before
        std::uint32_t new_bytes = 0; // bytes never sent before
        bool segmented = false; // freed after software segmentation: goes on as its first segment
        bool gso_child = false; // a later segment of a segmented skb (counted with its parent)
        std::string tcp_conn;   // sender's connection key (data journeys)
        std::uint64_t tcp_start = 0; // unwrapped first byte
    };
    // TCP: a sequence space (32-bit sequence numbers unwrapped to 64 bits).
    struct SeqSpace {
        bool init = false;
        std::uint64_t last = 0;
        std::uint64_t unwrap(std::uint32_t seq);
    };
    struct TcpSendCall { // the bytes one tcp_sendmsg_locked call appended
        std::vector<Visit> visits;
        std::uint64_t end = 0;
    };
    struct TcpTxConn {
        SeqSpace seq;
        std::map<std::uint64_t, TcpSendCall> calls; // by first byte
        bool have_max = false;
        std::uint64_t max_end = 0; // highest data byte sent + 1
        std::uint64_t last_ts = 0;
        std::map<std::uint64_t, std::uint64_t> open; // data journeys on the way: start -> skb_id
        struct Sent {
            std::uint64_t end = 0, first_ts = 0, xmit_ts = 0;
            std::uint16_t xmit_probe = 0;
        };
        std::map<std::uint64_t, Sent> sent; // recently handed to the driver, by start
    };
    struct TcpRxConn {
        SeqSpace seq;
        std::multimap<std::uint64_t, Journey> waiting; // data segments by end sequence
        bool have_copied = false;
        std::uint64_t copied = 0;
        bool have_rcv_max = false;
        std::uint64_t rcv_max = 0; // highest data byte arrived + 1
        std::uint64_t sk_id = 0;
        std::uint64_t last_ts = 0;
        std::deque<std::pair<std::uint64_t, Visit>> reads; // recent copied_seq advances
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
    void finish_journey(Journey &j, End how, bool reused); // accounting only
    // TCP
    bool tcp_stage(const Record &r, const ProbeInfo &info);
    std::multimap<std::uint64_t, Journey>::iterator tcp_find_parked(std::uint64_t skb_id,
                                                                    TcpRxConn **conn);
    void tcp_park(Journey &j);
    void tcp_read(const Record &r);
    void tcp_deliver(Journey &j, const Visit &v, const nsk_event &ev);
    void tcp_late_queued(Journey &j, const nsk_event &ev);
    static constexpr std::size_t kTcpReadHistory = 256;
    bool tcp_drop(const Record &r, const std::string &reason, const std::string &location);
    void tcp_send_call(const Record &r, PendingSend &&p);
    void tcp_tx_learn(TxJourney &j, const nsk_event &ev);
    bool tcp_gso_segment(const Record &r, const ProbeInfo &info);
    void tcp_loop_by_seq(Journey &j, const nsk_event &ev);
    void tcp_socket_drop(const Journey &j, std::uint64_t sk_id, const std::string &reason);
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
    Histogram total_rx_, total_queue_, total_tx_, total_e2e_, total_rx_user_;
    std::unordered_map<std::uint64_t, TxJourney> tx_journeys_;
    std::map<std::pair<std::uint32_t, std::uint64_t>, PendingSend> pending_send_; // (tid, sk)
    std::unordered_map<std::uint64_t, Handoff> handoff_;                          // by skb_id
    std::uint64_t sendmsg_without_skb_ = 0;
    std::uint64_t serial_ = 0;
    std::uint64_t now_ = 0;
    std::uint64_t last_sweep_ = 0;
    std::uint64_t events_ = 0;
    std::uint64_t fanout_rejected_ = 0;
    std::uint64_t reversed_stages_ = 0;
    std::unordered_map<std::string, TcpTxConn> tcp_tx_; // by sender's connection key
    std::unordered_map<std::string, TcpRxConn> tcp_rx_; // by receiver's connection key
    struct Parked {
        std::string conn;      // rx connection key
        std::uint64_t end = 0; // its key in that connection's waiting map
    };
    std::unordered_map<std::uint64_t, Parked> tcp_parked_; // by skb_id
    struct TcpControl {
        std::uint64_t ts = 0;
        std::uint16_t probe = 0;
    };
    std::unordered_map<std::uint64_t, TcpControl> tcp_control_; // segments without data, ended
};

} // namespace nsk
