// The socket table: what each socket (keyed by the module's sk_id) did, learned from every event
// that names it.  A socket whose address is reused by a new socket (another inode) is kept apart
// as closed.  Not aged (behaviour as before; issue 16 bounds it).
#pragma once

#include "nsk/correlator.hpp"
#include "nsk/uapi.hpp"

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace nsk::corr {

struct Visit;

class SocketTable {
public:
    /// The socket `sk_id` as `ev` sees it (a new one when its inode changed).
    SocketStats &get(const nsk_event &ev, std::uint64_t sk_id);
    /// Learn the socket's tuple, netns, inode (and its reader, when `task`) from `ev`.
    static void learn(SocketStats &s, const nsk_event &ev, bool task);
    /// get() + learn(), and `proto` when the socket's protocol is not known yet.
    SocketStats &seen(const nsk_event &ev, std::uint64_t sk_id, bool task, std::uint8_t proto = 0);
    SocketStats *find(std::uint64_t sk_id);
    /// The socket `sk_id`, created when unknown (no event to learn from).
    SocketStats &of_id(std::uint64_t sk_id);

    /// The reader took a packet out of the queue at `ts` (enqueued at `enq`, when seen).
    static void read(SocketStats &s, const Visit *enq, std::uint64_t ts);
    /// udp_fail_queue_rcv_skb / sock_exceed_buf_limit (`exceed`) on a socket.
    void buffer_event(const nsk_event &ev, std::uint8_t proto_hint, bool exceed);
    /// sock_rcvqueue_full on a socket.
    void queue_full(const nsk_event &ev);

    // --- results ---
    /// Reported sockets (active, of a reported protocol), closed ones included; request sockets
    /// folded into the socket that took over their connection.  Not sorted.
    std::vector<SocketStats> reported() const;
    /// The report's order: most drops, then most packets, then address.
    static void sort(std::vector<SocketStats> &v);

private:
    std::unordered_map<std::uint64_t, SocketStats> sockets_;
    std::vector<SocketStats> closed_;
};

} // namespace nsk::corr
