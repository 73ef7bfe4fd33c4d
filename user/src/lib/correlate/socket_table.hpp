// The socket table: what each socket (keyed by the module's sk_id) did, learned from every event
// that names it.  A socket whose address is reused by a new socket (another inode) is kept apart
// as closed.  Bounded: a socket without an event for longer than the socket age, and the least
// recently active beyond the table's bound, leave it; their counts are folded into one
// aggregate (PrunedSockets), so totals over the sockets stay exact.
//
// A socket's row is found through a small direct-mapped cache of recent rows by sk_id before
// the hash table: a flow's events come in runs of a few sockets, so nearly every event finds
// its row with one compare.  Pruning (the only erase) empties the cache.
#pragma once

#include "nsk/correlator.hpp"
#include "nsk/uapi.hpp"

#include <algorithm>
#include <array>
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
    /// Event time now: the sockets touched from here on are stamped with it (aging).
    void set_now(std::uint64_t now) { now_ = now; }
    /// Fold the sockets idle longer than `age_ns`, then the least recently active beyond
    /// `max_entries`, into the aggregate.  Linear in the table's size.
    void prune(std::uint64_t age_ns, std::uint64_t max_entries)
    {
        prune_rows(age_ns, max_entries);
        entries_ = count();
    }

    // --- results ---
    /// Reported sockets (active, of a reported protocol), closed ones included; request sockets
    /// folded into the socket that took over their connection.  Not sorted.
    std::vector<SocketStats> reported() const;
    /// The report's order: most drops, then most packets, then address.
    static void sort(std::vector<SocketStats> &v);
    const PrunedSockets &pruned() const { return pruned_; }
    /// Rows (live and closed): a count kept where rows come and go, because the facade
    /// compares it with its ceiling after every record (closed_.size() is a division).
    std::size_t entries() const { return entries_; }
    /// Readers of the reported sockets (sorted, unique).
    std::vector<std::uint32_t> reader_pids() const;

private:
    /// A recently used row: the map's node for `sk_id` (nodes stay put until erased).
    struct Recent {
        std::uint64_t sk_id = 0;
        SocketStats *s = nullptr;
    };
    static constexpr std::size_t kRecent = 64; // rows cached (a power of two)
    Recent &recent(std::uint64_t sk_id) { return recent_[sk_id & (kRecent - 1)]; }
    /// The cache entry of `sk_id`'s row, the row created when unknown (not stamped).
    Recent &row(std::uint64_t sk_id)
    {
        Recent &c = recent(sk_id);
        if (c.s && c.sk_id == sk_id)
            return c;
        return row_miss(c, sk_id);
    }
    Recent &row_miss(Recent &c, std::uint64_t sk_id);
    void prune_rows(std::uint64_t age_ns, std::uint64_t max_entries);
    std::size_t count() const { return sockets_.size() + closed_.size(); }
    void fold(SocketStats &s);
    SocketStats &stamp(SocketStats &s)
    {
        s.last_ts = std::max(s.last_ts, now_);
        return s;
    }

    std::unordered_map<std::uint64_t, SocketStats> sockets_;
    std::vector<SocketStats> closed_;
    std::array<Recent, kRecent> recent_{}; // see the top of the file
    PrunedSockets pruned_;
    std::size_t entries_ = 0; // == count(): +1 for a new row or a closed one, recounted by prune()
    std::uint64_t now_ = 0;
};

} // namespace nsk::corr
