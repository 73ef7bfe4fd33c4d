#include "socket_table.hpp"

#include "journey.hpp"

#include "nsk/format.hpp"

#include <algorithm>
#include <cstring>

namespace nsk::corr {

SocketStats &SocketTable::get(const nsk_event &ev, std::uint64_t sk_id)
{
    SocketStats &s = *row(sk_id).s;
    if (s.sk_ino && ev.sk_ino && s.sk_ino != ev.sk_ino) {
        // Same keyed id, different inode: the socket address was reused by a new socket.
        if (s.active) {
            closed_.push_back(std::move(s));
            ++entries_;
        }
        s = SocketStats{};
        s.sk_id = sk_id;
    }
    return stamp(s);
}

SocketStats &SocketTable::of_id(std::uint64_t sk_id)
{
    return stamp(*row(sk_id).s);
}

SocketTable::Recent &SocketTable::row_miss(Recent &c, std::uint64_t sk_id)
{
    auto [it, fresh] = sockets_.try_emplace(sk_id);
    if (fresh) {
        it->second.sk_id = sk_id;
        ++entries_;
    }
    c.sk_id = sk_id;
    c.s = &it->second;
    return c;
}

SocketStats *SocketTable::find(std::uint64_t sk_id)
{
    auto it = sockets_.find(sk_id);
    return it == sockets_.end() ? nullptr : &it->second;
}

namespace {
// learn()'s rare paths, out of line: the common event of a socket changes nothing that needs a
// string or a set, and without these inline learn() needs no saved registers (the paths a
// socket takes once, or when its tuple, reader or comm changes).
[[gnu::noinline]] void relearn_tuple(SocketStats &s, const nsk_event &ev)
{
    SocketStats::Learned &l = s.learned;
    s.local = format_endpoint(ev.family, ev.sk_laddr, ev.sk_lport);
    s.remote = format_endpoint(ev.family, ev.sk_raddr, ev.sk_rport);
    l.family = ev.family;
    l.lport = ev.sk_lport;
    l.rport = ev.sk_rport;
    std::memcpy(l.laddr, ev.sk_laddr, sizeof(l.laddr));
    std::memcpy(l.raddr, ev.sk_raddr, sizeof(l.raddr));
}

[[gnu::noinline]] void learn_packet_view(SocketStats &s, const nsk_event &ev)
{
    // Packet view only: the socket's local end is the packet's destination.
    static const std::uint8_t any[16] = {};
    s.family = ev.family;
    s.local = format_endpoint(ev.family, ev.daddr, ev.dport);
    s.remote = format_endpoint(ev.family, any, 0);
}

[[gnu::noinline]] void new_reader(SocketStats &s, std::uint32_t pid)
{
    s.pids.insert(pid); // (s.pid is always in pids already)
}

[[gnu::noinline]] void relearn_comm(SocketStats &s, const nsk_event &ev)
{
    s.comm = bounded_string(ev.comm, sizeof(ev.comm));
    std::memcpy(s.learned.comm, ev.comm, sizeof(s.learned.comm));
}
} // namespace

void SocketTable::learn(SocketStats &s, const nsk_event &ev, bool task)
{
    const SocketStats::Learned &l = s.learned; // (valid for local/remote while sock_tuple is set)
    if (ev.family && (ev.flags & NSK_EF_SOCK) && !(s.sock_tuple && ev.sk_lport == 0)) {
        // (a closed socket has lost its local port: keep what it was)
        s.family = ev.family;
        if (!s.sock_tuple || l.family != ev.family || l.lport != ev.sk_lport ||
            l.rport != ev.sk_rport || std::memcmp(l.laddr, ev.sk_laddr, sizeof(l.laddr)) ||
            std::memcmp(l.raddr, ev.sk_raddr, sizeof(l.raddr)))
            relearn_tuple(s, ev);
        s.sock_tuple = true;
    } else if (ev.family && (ev.flags & NSK_EF_PKT) && !s.sock_tuple && s.local.empty()) {
        learn_packet_view(s, ev);
    }
    if (ev.family && ev.proto && !s.proto)
        s.proto = ev.proto;
    if (ev.netns)
        s.netns = ev.netns;
    if (task && (ev.flags & NSK_EF_TASK) && ev.pid) {
        if (s.pid != ev.pid)
            new_reader(s, ev.pid);
        s.pid = ev.pid;
        s.tid = ev.tid;
        if (s.comm.empty() || std::memcmp(l.comm, ev.comm, sizeof(l.comm)))
            relearn_comm(s, ev);
    }
    if (ev.sk_ino)
        s.sk_ino = ev.sk_ino;
}

SocketStats &SocketTable::seen(const nsk_event &ev, std::uint64_t sk_id, bool task,
                               std::uint8_t proto)
{
    SocketStats &s = get(ev, sk_id);
    learn(s, ev, task);
    if (!s.proto)
        s.proto = proto;
    return s;
}

void SocketTable::read(SocketStats &s, const Visit *enq, std::uint64_t ts)
{
    ++s.dequeued;
    s.active = true;
    s.mem.read(ts);
    if (enq)
        s.queue.add(ts >= enq->ts ? ts - enq->ts : 0);
}

void SocketTable::buffer_event(const nsk_event &ev, std::uint8_t proto_hint, bool exceed)
{
    if (!ev.sk_id)
        return;
    SocketStats &s = seen(ev, ev.sk_id, false, proto_hint);
    if (!s.proto && ev.family)
        s.proto = ev.proto;
    s.active = true;
    if (exceed)
        ++s.exceed_buf_events;
    else
        ++s.fail_queue_events;
}

void SocketTable::queue_full(const nsk_event &ev)
{
    if (!ev.sk_id)
        return;
    SocketStats &s = seen(ev, ev.sk_id, false);
    ++s.rcvqueue_full_events;
    s.active = true;
}

std::vector<SocketStats> SocketTable::reported() const
{
    std::vector<SocketStats> out;
    auto keep = [&](const SocketStats &s) { return s.active && is_reported_proto(s.proto); };
    for (const auto &s : closed_)
        if (keep(s))
            out.push_back(s);
    for (const auto &kv : sockets_)
        if (keep(kv.second))
            out.push_back(kv.second);
    // A TCP request socket (the SYN-ACK's sender) has the connection's tuple but is another
    // kernel object: fold its packets into the socket that took over the connection (the first
    // such row in `out`).  One pass to index the owners by tuple, one to fold: linear.
    auto key = [](const SocketStats &x) {
        return x.local + '|' + x.remote + '|' + std::to_string(x.netns);
    };
    std::unordered_map<std::string, std::size_t> owner;
    for (std::size_t k = 0; k < out.size(); ++k) {
        const SocketStats &b = out[k];
        if (b.proto == IPPROTO_TCP && (b.pid || b.sk_ino))
            owner.try_emplace(key(b), k);
    }
    for (SocketStats &a : out) {
        if (a.proto != IPPROTO_TCP || a.pid || a.sk_ino || !a.sock_tuple || owner.empty())
            continue;
        auto it = owner.find(key(a));
        if (it == owner.end())
            continue;
        SocketStats &b = out[it->second];
        b.tx_packets += a.tx_packets;
        b.tx_dropped += a.tx_dropped;
        b.tx.merge(a.tx);
        b.enqueued += a.enqueued;
        b.dequeued += a.dequeued;
        b.drops_total += a.drops_total;
        for (const auto &[r, n] : a.drops)
            b.drops[r] += n;
        b.queue.merge(a.queue);
        a.active = false; // dropped below
    }
    out.erase(
        std::remove_if(out.begin(), out.end(), [](const SocketStats &x) { return !x.active; }),
        out.end());
    return out;
}

std::vector<std::uint32_t> SocketTable::reader_pids() const
{
    std::vector<std::uint32_t> out;
    auto add = [&](const SocketStats &s) {
        if (s.active && is_reported_proto(s.proto))
            out.insert(out.end(), s.pids.begin(), s.pids.end());
    };
    for (const auto &s : closed_)
        add(s);
    for (const auto &kv : sockets_)
        add(kv.second);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

void SocketTable::fold(SocketStats &s)
{
    ++pruned_.entries;
    if (!s.active || !is_reported_proto(s.proto))
        return; // never reported: nothing to keep
    PrunedSockets::Group &g = pruned_.groups[{s.proto, s.family, s.netns}];
    ++g.sockets;
    SocketStats &a = g.sum;
    a.active = true;
    a.proto = s.proto;
    a.family = s.family;
    a.netns = s.netns;
    a.enqueued += s.enqueued;
    a.dequeued += s.dequeued;
    a.peeks += s.peeks;
    a.drops_total += s.drops_total;
    for (const auto &[r, n] : s.drops)
        a.drops[r] += n;
    a.drops_after_queue += s.drops_after_queue;
    a.fail_queue_events += s.fail_queue_events;
    a.exceed_buf_events += s.exceed_buf_events;
    a.rcvqueue_full_events += s.rcvqueue_full_events;
    a.queue.merge(s.queue);
    a.tx_packets += s.tx_packets;
    a.tx_dropped += s.tx_dropped;
    a.tx.merge(s.tx);
    a.tx_bytes += s.tx_bytes;
    a.rx_bytes += s.rx_bytes;
    a.tx_calls += s.tx_calls;
    a.tcp_duplicates += s.tcp_duplicates;
}

void SocketTable::prune_rows(std::uint64_t age_ns, std::uint64_t max_entries)
{
    recent_.fill(Recent{}); // (rows may be erased below)
    const auto idle = [&](const SocketStats &s) { return now_ > s.last_ts + age_ns; };
    auto keep_end = std::partition(closed_.begin(), closed_.end(),
                                   [&](const SocketStats &s) { return !idle(s); });
    for (auto it = keep_end; it != closed_.end(); ++it)
        fold(*it);
    closed_.erase(keep_end, closed_.end());
    for (auto it = sockets_.begin(); it != sockets_.end();) {
        if (idle(it->second)) {
            fold(it->second);
            it = sockets_.erase(it);
        } else {
            ++it;
        }
    }
    if (count() <= max_entries)
        return;
    // Beyond the bound: the least recently active go, oldest first (ties: closed rows first).
    std::vector<std::uint64_t> stamps;
    stamps.reserve(count());
    for (const auto &s : closed_)
        stamps.push_back(s.last_ts);
    for (const auto &kv : sockets_)
        stamps.push_back(kv.second.last_ts);
    std::size_t excess = count() - static_cast<std::size_t>(max_entries);
    std::nth_element(stamps.begin(), stamps.begin() + static_cast<std::ptrdiff_t>(excess - 1),
                     stamps.end());
    const std::uint64_t cut = stamps[excess - 1]; // the newest stamp that goes
    // Strictly older than the cut all go; at the cut, as many as still needed.
    std::size_t at_cut = excess;
    for (const auto t : stamps)
        if (t < cut)
            --at_cut;
    auto goes = [&](const SocketStats &s) {
        if (s.last_ts < cut)
            return true;
        if (s.last_ts == cut && at_cut) {
            --at_cut;
            return true;
        }
        return false;
    };
    std::vector<SocketStats> kept;
    kept.reserve(closed_.size());
    for (auto &s : closed_) {
        if (goes(s))
            fold(s);
        else
            kept.push_back(std::move(s));
    }
    closed_.swap(kept);
    for (auto it = sockets_.begin(); it != sockets_.end();) {
        if (goes(it->second)) {
            fold(it->second);
            it = sockets_.erase(it);
        } else {
            ++it;
        }
    }
    if (closed_.capacity() > 2 * closed_.size() + 1024)
        closed_.shrink_to_fit();
}

void SocketTable::sort(std::vector<SocketStats> &v)
{
    std::sort(v.begin(), v.end(), [](const SocketStats &a, const SocketStats &b) {
        if (a.drops_total != b.drops_total)
            return a.drops_total > b.drops_total;
        if (a.rx_packets() != b.rx_packets())
            return a.rx_packets() > b.rx_packets();
        if (a.local != b.local)
            return a.local < b.local;
        return a.sk_id < b.sk_id;
    });
}

} // namespace nsk::corr
