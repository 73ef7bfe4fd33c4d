// TCP by sequence number, per connection (see docs/report.md "TCP").  Send side: the sendmsg of
// a segment is the tcp_sendmsg_locked call whose bytes [write_seq, +size) hold the segment's
// first byte (so segments sent later from softirq, or by another task, still find it);
// retransmissions are counted and not linked.  Receive side: a data segment leaves the receive
// journeys at tcp_v4_rcv/tcp_v6_rcv and waits in its connection, keyed by its end sequence
// (coalescing, backlog and freeing of the skb do not matter), until tcp_cleanup_rbuf's
// copied_seq passes it: copied to user, journey complete.  Segments without data end at
// tcp_v4_rcv (consumed; a drop that follows converts it).
// Expiry in event time: a connection idle longer than the age is forgotten (its sequence space
// is relearned), a receive connection only once nothing waits in it; segments without data are
// remembered for a second.  Data waiting for a reader idle longer than the queued age is
// evicted (incomplete, counted); evict_upto() does the same when too many journeys are open.
#pragma once

#include "journey.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace nsk::corr {

struct Parts;
struct DropCause;

// A sequence space (32-bit sequence numbers unwrapped to 64 bits).
struct SeqSpace {
    bool init = false;
    std::uint64_t last = 0;
    std::uint64_t unwrap(std::uint32_t seq);
};

// The send side of a connection.
struct TcpTxConn {
    struct SendCall { // the bytes one tcp_sendmsg_locked call appended
        std::vector<Visit> visits;
        std::uint64_t end = 0;
    };
    struct Sent : Handoff {
        std::uint64_t end = 0;
    };
    SeqSpace seq;
    std::map<std::uint64_t, SendCall> calls; // by first byte
    bool have_max = false;
    std::uint64_t max_end = 0; // highest data byte sent + 1
    std::uint64_t last_ts = 0;
    std::map<std::uint64_t, std::uint64_t> open; // data journeys on the way: start -> skb_id
    // Skbs segmented in software whose first segment went on as the journey (TcpGso): what
    // their later segments take over, by first byte, until the last one passed (or aged out).
    struct Segmented {
        std::uint64_t end = 0; // after its last byte
        std::uint64_t sk_id = 0;
        std::vector<Visit> visits; // its stages before the segments
        int max_order = 0;
        std::uint64_t ts = 0; // last seen
    };
    std::map<std::uint64_t, Segmented> segmented;
    std::map<std::uint64_t, Sent> sent; // recently handed to the driver, by start
};

class TcpSeq {
public:
    explicit TcpSeq(Parts &p) : p_(p) {}

    // Connection keys: family, netns, local and remote endpoint as one end sees them.
    static std::string sock_conn(const nsk_event &ev); // the socket's own view (NSK_EF_SOCK)
    static std::string rx_conn(const nsk_event &ev);   // a received packet's receiver
    static std::string tx_conn(const nsk_event &ev);   // a sent packet's sender
    /// The send side of a received data segment `ev` (its first byte was handed to a driver):
    /// the sender in the same namespace, else in another one (across a NIC or a veth pair).
    const TcpTxConn::Sent *sent_by_seq(const nsk_event &ev);

    // --- receive ---
    /// A later stage (tcp_add_backlog, tcp_queue_rcv) of a data segment waiting in its
    /// connection.  False when the skb is not one.
    bool stage(const Record &r, const ProbeInfo &info);
    /// The stage after tcp_v4_rcv of a segment without data (backlog; a FIN queued).
    bool control_stage(const Record &r, const ProbeInfo &info);
    /// A segment without data ended at `ev` (tcp_v4_rcv): remembered for a drop that follows.
    void control_ended(std::uint64_t skb_id, const nsk_event &ev);
    /// A data segment reached tcp_v4_rcv: it waits in its connection for the reader (or, when
    /// the reader is past it already, stays a receive journey: see the .cpp).
    void park(RxJourney &j);
    /// tcp_recvmsg entered: the `copied` that tcp_cleanup_rbuf reports counts from here.
    void call_entry(const nsk_event &ev);
    /// tcp_cleanup_rbuf: the reader copied every byte below copied_seq.
    void read(const Record &r);
    /// A segment the reader had passed was queued after all (its records came late).
    void late_queued(RxJourney &j, const nsk_event &ev);
    /// A drop of a waiting data segment: false when the skb is not one.
    bool drop(const Record &r, const DropCause &cause);
    /// A drop of a segment without data ended at tcp_v4_rcv: its stage name in `stage`, and
    /// the receive counts converted from consumed to dropped.
    void control_dropped(std::uint64_t skb_id, std::string &stage);
    /// A receive journey whose data had arrived already (a copy) was dropped.
    void dup_dropped(const RxJourney &j, const std::string &reason);

    // --- send ---
    /// tcp_sendmsg_locked (with its earlier stages `visits`): the bytes it appended.
    void send_call(const Record &r, std::vector<Visit> &&visits);
    /// The first event of a TCP send journey: which sendmsg made its first byte, or a
    /// retransmission.
    void tx_learn(TxJourney &j, const nsk_event &ev);
    /// A send journey of data ended.
    void tx_ended(const TxJourney &j, End how);
    /// The send side of a connection, if known.
    TcpTxConn *tx(const std::string &key);
    TcpTxConn &tx_add(const std::string &key); // found or created (and indexed by 4-tuple)

    void expire();
    void finish(); // waiting data: queued_at_end
    /// Append the last-event times of the data waiting for readers (to find the oldest).
    void stamps(std::vector<std::uint64_t> &out) const;
    /// Evict the waiting data whose last event is at or before `cut`.
    void evict_upto(std::uint64_t cut);

    /// Data segments waiting for the reader.
    std::uint64_t waiting() const;
    /// Fill queued_now / queued_oldest_ns of the reported sockets.
    void add_waiting(std::vector<SocketStats> &out) const;

private:
    struct RxConn {
        SeqSpace seq;
        std::multimap<std::uint64_t, RxJourney> waiting; // data segments by end sequence
        bool have_copied = false;
        std::uint64_t copied = 0;
        // tcp_cleanup_rbuf's `copied` is what the tcp_recvmsg call copied so far, and a call may
        // report more than once (5.10: at every turn of its loop; 6.1: before it sleeps): with
        // the call's entry seen, a report counts only what it adds to the previous one.
        bool in_call = false;
        std::uint64_t said_in_call = 0;
        bool have_rcv_max = false;
        std::uint64_t rcv_max = 0; // highest data byte arrived + 1
        std::uint64_t sk_id = 0;
        std::uint64_t last_ts = 0;
        std::deque<std::pair<std::uint64_t, Visit>> reads; // recent copied_seq advances
    };
    struct Parked {
        std::string conn;      // rx connection key
        std::uint64_t end = 0; // its key in that connection's waiting map
    };
    struct Control {
        std::uint64_t ts = 0;
        std::uint16_t probe = 0;
    };
    static constexpr std::size_t kReadHistory = 256;

    std::multimap<std::uint64_t, RxJourney>::iterator find_parked(std::uint64_t skb_id,
                                                                  RxConn **conn);
    void deliver(RxJourney &j, const Visit &v, const nsk_event &ev);
    void socket_drop(const RxJourney &j, std::uint64_t sk_id, const std::string &reason);
    /// Evict the waiting data for which `pred(journey)` holds, then forget what pointed at it.
    template <class Pred>
    void evict_waiting(Pred pred);

    Parts &p_;
    void tx_erased(const std::string &key);         // drop the 4-tuple index entry of a tx_ key
    std::unordered_map<std::string, TcpTxConn> tx_; // by sender's connection key
    // tx_'s keys by their 4-tuple without the namespace (a receiver in another namespace)
    std::unordered_map<std::string, std::vector<std::string>> by_tuple_;
    std::unordered_map<std::string, RxConn> rx_;         // by receiver's connection key
    std::unordered_map<std::uint64_t, Parked> parked_;   // by skb_id
    std::unordered_map<std::uint64_t, Control> control_; // segments without data, ended
};

} // namespace nsk::corr
