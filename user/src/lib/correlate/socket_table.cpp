#include "socket_table.hpp"

#include "journey.hpp"

#include "nsk/format.hpp"

#include <algorithm>

namespace nsk::corr {

SocketStats &SocketTable::get(const nsk_event &ev, std::uint64_t sk_id)
{
    auto it = sockets_.find(sk_id);
    if (it != sockets_.end()) {
        SocketStats &s = it->second;
        if (!(s.sk_ino && ev.sk_ino && s.sk_ino != ev.sk_ino))
            return s;
        // Same keyed id, different inode: the socket address was reused by a new socket.
        if (s.active)
            closed_.push_back(std::move(s));
        s = SocketStats{};
        s.sk_id = sk_id;
        return s;
    }
    return of_id(sk_id);
}

SocketStats &SocketTable::of_id(std::uint64_t sk_id)
{
    auto [it, fresh] = sockets_.try_emplace(sk_id);
    if (fresh)
        it->second.sk_id = sk_id;
    return it->second;
}

SocketStats *SocketTable::find(std::uint64_t sk_id)
{
    auto it = sockets_.find(sk_id);
    return it == sockets_.end() ? nullptr : &it->second;
}

void SocketTable::learn(SocketStats &s, const nsk_event &ev, bool task)
{
    if (ev.family && (ev.flags & NSK_EF_SOCK) && !(s.sock_tuple && ev.sk_lport == 0)) {
        // (a closed socket has lost its local port: keep what it was)
        s.family = ev.family;
        s.local = format_endpoint(ev.family, ev.sk_laddr, ev.sk_lport);
        s.remote = format_endpoint(ev.family, ev.sk_raddr, ev.sk_rport);
        s.sock_tuple = true;
    } else if (ev.family && (ev.flags & NSK_EF_PKT) && !s.sock_tuple && s.local.empty()) {
        // Packet view only: the socket's local end is the packet's destination.
        static const std::uint8_t any[16] = {};
        s.family = ev.family;
        s.local = format_endpoint(ev.family, ev.daddr, ev.dport);
        s.remote = format_endpoint(ev.family, any, 0);
    }
    if (ev.family && ev.proto && !s.proto)
        s.proto = ev.proto;
    if (ev.netns)
        s.netns = ev.netns;
    if (task && (ev.flags & NSK_EF_TASK) && ev.pid) {
        s.pid = ev.pid;
        s.tid = ev.tid;
        s.comm = bounded_string(ev.comm, sizeof(ev.comm));
        s.pids.insert(ev.pid);
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
    // kernel object: fold its packets into the socket that took over the connection.
    for (std::size_t i = 0; i < out.size(); ++i) {
        SocketStats &a = out[i];
        if (a.proto != IPPROTO_TCP || a.pid || a.sk_ino || !a.sock_tuple)
            continue;
        for (std::size_t k = 0; k < out.size(); ++k) {
            SocketStats &b = out[k];
            if (k == i || b.proto != IPPROTO_TCP || !(b.pid || b.sk_ino) || b.local != a.local ||
                b.remote != a.remote || b.netns != a.netns)
                continue;
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
            break;
        }
    }
    out.erase(
        std::remove_if(out.begin(), out.end(), [](const SocketStats &x) { return !x.active; }),
        out.end());
    return out;
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
