#include "nsk/correlator.hpp"

#include "nsk/format.hpp"

#include <algorithm>
#include <netinet/in.h>
#include <sys/socket.h>

namespace nsk {

std::string Correlator::name_of(std::uint16_t probe) const
{
    if (auto it = names_.find(probe); it != names_.end())
        return it->second;
    return probe_name(probe);
}

bool Correlator::is_reported_proto(std::uint8_t proto) const
{
    return proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE || proto == IPPROTO_TCP;
}

namespace {
// First skb-bearing send stages (ip_queue_xmit, ip6_xmit, ip_output, ip6_output): an skb seen
// here while its id has an open send journey that went further is a new skb at that address.
constexpr int kTxFirstSkbOrder = 4;
} // namespace

void Correlator::process(const Record &r)
{
    const nsk_event &ev = r.ev;
    ++events_;
    now_ = std::max<std::uint64_t>(now_, ev.ts_ns);
    ++probes_seen_[ev.probe];

    if (const ProbeInfo *info = probe_info(ev.probe)) {
        switch (info->role) {
        case Role::start:
        case Role::mid:
        case Role::enqueue:
        case Role::dequeue:
            handle_stage(r, *info);
            break;
        case Role::tx_sock:
            handle_tx_sock(r, *info);
            break;
        case Role::tx:
        case Role::tx_end:
            handle_tx(r, *info);
            break;
        case Role::reader:
            if (ev.sk_id && (ev.flags & NSK_EF_TASK))
                pending_send_.erase({ev.tid, ev.sk_id}); // a reader is not a sender's skb
            if (ev.sk_id) {
                auto &s = socket(ev, ev.sk_id);
                learn_socket(s, ev, true);
                if (!s.proto)
                    s.proto = info->proto_hint;
            }
            break;
        case Role::consume:
            handle_consume(r);
            break;
        case Role::drop:
        case Role::queue_full:
            handle_drop(r, *info);
            break;
        case Role::exceed_buf:
        case Role::fail_queue:
            if (ev.sk_id) {
                auto &s = socket(ev, ev.sk_id);
                learn_socket(s, ev, false);
                if (!s.proto)
                    s.proto = info->proto_hint;
                if (!s.proto && ev.family)
                    s.proto = ev.proto;
                s.active = true;
                if (info->role == Role::exceed_buf)
                    ++s.exceed_buf_events;
                else
                    ++s.fail_queue_events;
            }
            break;
        case Role::none:
            break;
        }
    }
    if (now_ - last_sweep_ >= opts_.sweep_ns)
        sweep();
}

void Correlator::handle_stage(const Record &r, const ProbeInfo &info)
{
    const nsk_event &ev = r.ev;
    if (ev.skb_id == 0) {
        if ((info.role == Role::enqueue || info.role == Role::dequeue) && ev.sk_id)
            learn_socket(socket(ev, ev.sk_id), ev, info.role == Role::dequeue);
        return;
    }
    if (info.role == Role::dequeue && static_cast<std::int32_t>(ev.len) < 0) {
        // skb_consume_udp() with a negative length is a MSG_PEEK: the skb stays queued.
        if (ev.sk_id) {
            auto &s = socket(ev, ev.sk_id);
            ++s.peeks;
            learn_socket(s, ev, true);
        }
        return;
    }
    if (auto it = journeys_.find(ev.skb_id); it != journeys_.end()) {
        Journey &j = it->second;
        if (info.order > j.max_order) {
            append(j, r, info);
            return;
        }
        if (info.role != Role::start && info.role != Role::enqueue) {
            j.last_ts = ev.ts_ns; // repeated stage (e.g. a second pass): keep the first
            return;
        }
        // The address started a new journey before the old one ended.
        close(j, End::incomplete, true);
    }
    if (info.role == Role::enqueue) {
        if (Journey *parent = fanout_parent(r)) {
            Journey child;
            child.serial = ++serial_;
            child.skb_id = ev.skb_id;
            child.visits = parent->visits;
            child.max_order = parent->max_order;
            child.proto = parent->proto;
            child.pkt_dport = parent->pkt_dport;
            child.pkt_tuple = parent->pkt_tuple;
            child.netns = parent->netns;
            child.partial = parent->partial;
            child.child = true;
            child.looped = parent->looped;
            child.e2e_start = parent->e2e_start;
            child.xmit_ts = parent->xmit_ts;
            child.xmit_probe = parent->xmit_probe;
            auto [cit, inserted] = journeys_.emplace(ev.skb_id, std::move(child));
            (void)inserted;
            append(cit->second, r, info);
            return;
        }
    }
    Journey &nj = start_journey(r, info.role != Role::start);
    if (auto h = handoff_.find(ev.skb_id); h != handoff_.end()) {
        // Loopback: the skb the driver took continues as a received one (same address).
        nj.looped = true;
        nj.e2e_start = h->second.first_ts;
        nj.xmit_ts = h->second.xmit_ts;
        nj.xmit_probe = h->second.xmit_probe;
        handoff_.erase(h);
    }
    append(nj, r, info);
}

Correlator::Journey &Correlator::start_journey(const Record &r, bool partial)
{
    Journey j;
    j.serial = ++serial_;
    j.skb_id = r.ev.skb_id;
    j.partial = partial;
    auto [it, inserted] = journeys_.insert_or_assign(r.ev.skb_id, std::move(j));
    (void)inserted;
    return it->second;
}

Correlator::Journey *Correlator::fanout_parent(const Record &r)
{
    const nsk_event &ev = r.ev;
    auto it = last_fanout_.find(ev.cpu);
    if (it == last_fanout_.end())
        return nullptr;
    auto jt = journeys_.find(it->second.first);
    if (jt == journeys_.end() || jt->second.serial != it->second.second)
        return nullptr;
    Journey &p = jt->second;
    if (p.visits.empty())
        return nullptr;
    const ProbeInfo *last = probe_info(p.visits.back().probe);
    // The original skb is delivered to the last socket, after its clones: once the parent is
    // enqueued (or further), it can have no more children.
    if (!last || !last->fanout_parent || p.visits.back().ts > ev.ts_ns)
        return nullptr;
    if ((ev.flags & NSK_EF_SOCK) && p.pkt_tuple && ev.sk_lport && ev.sk_lport != p.pkt_dport) {
        ++fanout_rejected_;
        return nullptr;
    }
    return &p;
}

void Correlator::learn(Journey &j, const Record &r, const ProbeInfo &info)
{
    const nsk_event &ev = r.ev;
    if (!j.proto && ev.family && ev.proto)
        j.proto = ev.proto;
    if (!j.proto && info.proto_hint)
        j.proto = info.proto_hint;
    if (ev.family && (ev.flags & NSK_EF_PKT)) {
        j.pkt_dport = ev.dport;
        j.pkt_tuple = true;
    }
    if (ev.netns)
        j.netns = ev.netns;
}

void Correlator::append(Journey &j, const Record &r, const ProbeInfo &info)
{
    const nsk_event &ev = r.ev;
    j.visits.push_back({ev.probe, ev.cpu, ev.ctx, ev.ts_ns});
    j.max_order = info.order;
    j.last_ts = ev.ts_ns;
    learn(j, r, info);
    if (info.fanout_parent)
        last_fanout_[ev.cpu] = {j.skb_id, j.serial};
    if (info.role == Role::enqueue) {
        j.enqueue_idx = static_cast<int>(j.visits.size()) - 1;
        j.sk_id = ev.sk_id;
        if (ev.sk_id) {
            auto &s = socket(ev, ev.sk_id);
            learn_socket(s, ev, false);
            if (!s.proto)
                s.proto = j.proto;
            ++s.enqueued;
            s.active = true;
        }
    }
    account(j);
    if (info.role == Role::enqueue && j.proto == IPPROTO_TCP) {
        // TCP has no per-skb dequeue point (tcp_recvmsg is per socket, the skb is freed with
        // __kfree_skb, or coalesced into the previous one): a TCP journey ends when queued.
        close(j, End::complete);
        return;
    }
    if (info.role == Role::dequeue) {
        const std::uint64_t sk_id = ev.sk_id ? ev.sk_id : j.sk_id;
        if (sk_id) {
            auto &s = socket(ev, sk_id);
            learn_socket(s, ev, true);
            if (!s.proto)
                s.proto = j.proto;
            ++s.dequeued;
            s.active = true;
            if (j.enqueue_idx >= 0) {
                const auto &enq = j.visits[static_cast<std::size_t>(j.enqueue_idx)];
                s.queue.add(ev.ts_ns >= enq.ts ? ev.ts_ns - enq.ts : 0);
            }
        }
        close(j, End::complete);
    }
}

// Adds the stage pairs visits[accounted-1 .. end) to the stage table (receive and send paths).
void Correlator::account_visits(std::uint8_t proto, const std::vector<Visit> &visits,
                                std::size_t &accounted, bool tx)
{
    if (!proto)
        return; // unknown yet: pairs are added once an event tells the protocol
    if (!is_reported_proto(proto)) {
        accounted = visits.size();
        return;
    }
    for (std::size_t i = std::max<std::size_t>(1, accounted); i < visits.size(); ++i) {
        const Visit &a = visits[i - 1];
        const Visit &b = visits[i];
        auto [it, fresh] = stage_stats_.try_emplace({a.probe, b.probe});
        StageStat &st = it->second;
        if (fresh) {
            st.from = a.probe;
            st.to = b.probe;
            const ProbeInfo *bi = probe_info(b.probe);
            st.path = tx ? "tx" : bi && bi->role == Role::dequeue ? "queue" : "rx";
        }
        st.hist.add(b.ts >= a.ts ? b.ts - a.ts : 0);
    }
    accounted = std::max<std::size_t>(accounted, visits.size());
}

void Correlator::account(Journey &j)
{
    account_visits(j.proto, j.visits, j.accounted, false);
}

void Correlator::close(Journey &j, End how, bool reused)
{
    account(j);
    if (j.proto == IPPROTO_TCP && how == End::incomplete && j.enqueue_idx < 0)
        how = End::consumed; // not queued (pure ACK...): freed by __kfree_skb, no tracepoint
    if (is_reported_proto(j.proto)) {
        if (j.looped && !j.visits.empty()) {
            ++rx_.looped;
            auto [it, fresh] = stage_stats_.try_emplace({j.xmit_probe, j.visits.front().probe});
            if (fresh) {
                it->second.from = j.xmit_probe;
                it->second.to = j.visits.front().probe;
                it->second.path = "loopback";
            }
            const auto t0 = j.visits.front().ts;
            it->second.hist.add(t0 >= j.xmit_ts ? t0 - j.xmit_ts : 0);
        }
        switch (how) {
        case End::complete:
            ++rx_.complete;
            break;
        case End::dropped:
            ++rx_.dropped;
            break;
        case End::consumed:
            ++rx_.consumed;
            break;
        case End::incomplete:
            ++rx_.incomplete;
            if (reused)
                ++rx_.reused_before_end;
            break;
        case End::queued_at_end:
            ++rx_.queued_at_end;
            break;
        }
        if (j.partial)
            ++rx_.partial;
        if (j.child)
            ++rx_.fanout_children;
        if (j.enqueue_idx >= 0 && !j.refused && !j.visits.empty()) {
            const auto &enq = j.visits[static_cast<std::size_t>(j.enqueue_idx)];
            const auto first = j.visits.front().ts;
            total_rx_.add(enq.ts >= first ? enq.ts - first : 0);
            const ProbeInfo *li = probe_info(j.visits.back().probe);
            if (how == End::complete && li && li->role == Role::dequeue) {
                const auto deq = j.visits.back().ts;
                total_queue_.add(deq >= enq.ts ? deq - enq.ts : 0);
                if (j.looped)
                    total_e2e_.add(deq >= j.e2e_start ? deq - j.e2e_start : 0);
            }
        }
    }
    const std::uint64_t key = j.skb_id;
    journeys_.erase(key); // j is gone from here on
}

void Correlator::handle_consume(const Record &r)
{
    if (!r.ev.skb_id)
        return;
    handoff_.erase(r.ev.skb_id); // freed after the driver took it: no loopback continuation
    if (auto t = tx_journeys_.find(r.ev.skb_id); t != tx_journeys_.end())
        tx_close(t->second, End::consumed);
    auto it = journeys_.find(r.ev.skb_id);
    if (it == journeys_.end())
        return; // unknown skb (other traffic, or already finished): ignore
    close(it->second, End::consumed);
}

void Correlator::handle_drop(const Record &r, const ProbeInfo &info)
{
    const nsk_event &ev = r.ev;
    std::string reason(r.reason_sv());
    const std::string location = strip_location_size(r.location_sv());

    if (info.role == Role::queue_full) {
        // A marker: the kfree_skb that follows is the drop.
        if (ev.sk_id) {
            auto &s = socket(ev, ev.sk_id);
            learn_socket(s, ev, false);
            ++s.rcvqueue_full_events;
            s.active = true;
        }
        if (ev.skb_id)
            if (auto it = journeys_.find(ev.skb_id); it != journeys_.end())
                it->second.pending_reason = reason.empty() ? "SOCK_RCVQUEUE_FULL" : reason;
        return;
    }

    auto add_drop = [&](const std::string &stage, std::uint8_t proto) {
        auto &d = drop_table_[{reason, location}];
        if (d.count == 0) {
            d.reason = reason;
            d.location = location;
            d.stage = stage;
            d.proto = proto_name(proto);
        }
        ++d.count;
    };

    if (ev.skb_id)
        handoff_.erase(ev.skb_id);
    auto it = ev.skb_id ? journeys_.find(ev.skb_id) : journeys_.end();
    auto tit = ev.skb_id ? tx_journeys_.find(ev.skb_id) : tx_journeys_.end();
    if (it == journeys_.end() && tit != tx_journeys_.end()) {
        // Dropped on the way down (qdisc, neighbour, netfilter OUTPUT...).
        TxJourney &t = tit->second;
        if (reason.empty())
            reason = "UNKNOWN";
        if (!t.proto && ev.family && ev.proto)
            t.proto = ev.proto;
        add_drop(t.visits.empty() ? "" : name_of(t.visits.back().probe), t.proto);
        tx_close(t, End::dropped);
        return;
    }
    if (tit != tx_journeys_.end())
        tx_close(tit->second, End::dropped); // the receive journey below records the drop
    if (it == journeys_.end()) {
        if (reason.empty())
            reason = "UNKNOWN";
        add_drop("", ev.family ? ev.proto : 0);
        return;
    }
    Journey &j = it->second;
    if ((reason.empty() || reason == "NOT_SPECIFIED") && !j.pending_reason.empty())
        reason = j.pending_reason;
    if (reason.empty())
        reason = "UNKNOWN";
    if (!j.proto && ev.family && ev.proto)
        j.proto = ev.proto;
    add_drop(j.visits.empty() ? "" : name_of(j.visits.back().probe), j.proto);
    if (j.enqueue_idx >= 0 && j.sk_id) {
        const auto &enq = j.visits[static_cast<std::size_t>(j.enqueue_idx)];
        // Refused by the queue: the drop follows the enqueue attempt in the same context on the
        // same CPU.  A later free of a queued skb (e.g. purge at close) is not a queue drop.
        const bool refused = static_cast<std::size_t>(j.enqueue_idx) + 1 == j.visits.size() &&
                             enq.cpu == ev.cpu && enq.ctx == ev.ctx;
        if (auto st = sockets_.find(j.sk_id); st != sockets_.end()) {
            SocketStats &s = st->second;
            if (refused) {
                ++s.drops[reason];
                ++s.drops_total;
            } else {
                ++s.drops_after_queue;
            }
        }
        j.refused = refused;
    }
    close(j, End::dropped);
}

void Correlator::sweep()
{
    last_sweep_ = now_;
    std::vector<std::uint64_t> aged;
    for (const auto &[id, j] : journeys_)
        if (now_ - j.last_ts > opts_.age_ns && j.enqueue_idx < 0)
            aged.push_back(id);
    for (auto id : aged)
        close(journeys_.at(id), End::incomplete);
    aged.clear();
    for (const auto &[id, j] : tx_journeys_)
        if (now_ - j.last_ts > opts_.age_ns)
            aged.push_back(id);
    for (auto id : aged)
        tx_close(tx_journeys_.at(id), End::incomplete);
    for (auto it = pending_send_.begin(); it != pending_send_.end();) {
        if (now_ - it->second.last_ts > opts_.age_ns) {
            if (is_reported_proto(it->second.proto))
                ++tx_.sendmsg_without_skb;
            it = pending_send_.erase(it);
        } else {
            ++it;
        }
    }
    for (auto it = handoff_.begin(); it != handoff_.end();) {
        if (now_ - it->second.xmit_ts > opts_.age_ns)
            it = handoff_.erase(it);
        else
            ++it;
    }
}

void Correlator::advance_time(std::uint64_t now_ns)
{
    if (now_ns > now_)
        now_ = now_ns;
    sweep();
}

void Correlator::finish()
{
    std::vector<std::uint64_t> ids;
    ids.reserve(journeys_.size());
    for (const auto &kv : journeys_)
        ids.push_back(kv.first);
    for (auto id : ids) {
        Journey &j = journeys_.at(id);
        close(j, j.enqueue_idx >= 0 ? End::queued_at_end : End::incomplete);
    }
    last_fanout_.clear();
    ids.clear();
    for (const auto &kv : tx_journeys_)
        ids.push_back(kv.first);
    for (auto id : ids)
        tx_close(tx_journeys_.at(id), End::incomplete);
    for (const auto &kv : pending_send_)
        if (is_reported_proto(kv.second.proto))
            ++tx_.sendmsg_without_skb;
    pending_send_.clear();
    handoff_.clear();
}

SocketStats &Correlator::socket(const nsk_event &ev, std::uint64_t sk_id)
{
    auto it = sockets_.find(sk_id);
    if (it != sockets_.end()) {
        SocketStats &s = it->second;
        if (!(s.sk_ino && ev.sk_ino && s.sk_ino != ev.sk_ino))
            return s;
        // Same keyed id, different inode: the socket address was reused by a new socket.
        if (s.active)
            closed_sockets_.push_back(std::move(s));
        s = SocketStats{};
        s.sk_id = sk_id;
        return s;
    }
    SocketStats &s = sockets_[sk_id];
    s.sk_id = sk_id;
    return s;
}

void Correlator::learn_socket(SocketStats &s, const nsk_event &ev, bool task)
{
    if (ev.family && (ev.flags & NSK_EF_SOCK)) {
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

// --- send path -------------------------------------------------------------------------------

void Correlator::handle_tx_sock(const Record &r, const ProbeInfo &info)
{
    const nsk_event &ev = r.ev;
    if (!ev.sk_id || !(ev.flags & NSK_EF_TASK))
        return; // cannot be linked to its skb without the task
    auto &s = socket(ev, ev.sk_id);
    learn_socket(s, ev, true);
    if (!s.proto)
        s.proto = info.proto_hint;
    const Visit v{ev.probe, ev.cpu, ev.ctx, ev.ts_ns};
    const std::uint8_t proto = ev.family && ev.proto ? ev.proto : info.proto_hint;
    auto [it, fresh] = pending_send_.try_emplace({ev.tid, ev.sk_id});
    PendingSend &p = it->second;
    if (!fresh && info.order <= p.max_order) {
        // A new sendmsg while the previous one of this task on this socket produced no skb
        // (error, MSG_MORE/cork, TCP data left for later).
        if (is_reported_proto(p.proto))
            ++tx_.sendmsg_without_skb;
        p = PendingSend{};
    }
    p.visits.push_back(v);
    p.max_order = info.order;
    p.last_ts = ev.ts_ns;
    if (!p.proto || proto)
        p.proto = proto ? proto : p.proto;
}

void Correlator::handle_tx(const Record &r, const ProbeInfo &info)
{
    const nsk_event &ev = r.ev;
    if (!ev.skb_id)
        return;
    if (auto it = tx_journeys_.find(ev.skb_id); it != tx_journeys_.end()) {
        TxJourney &j = it->second;
        if (info.order > j.max_order) {
            tx_append(j, r, info);
            return;
        }
        if (info.order > kTxFirstSkbOrder) {
            j.last_ts = ev.ts_ns; // repeated stage: keep the first
            return;
        }
        tx_close(j, End::incomplete, true); // the address started a new send journey
    }
    TxJourney j;
    j.serial = ++serial_;
    j.skb_id = ev.skb_id;
    j.sk_id = ev.sk_id;
    j.partial = info.order > kTxFirstSkbOrder;
    if ((ev.flags & NSK_EF_TASK) && ev.sk_id) {
        // The first skb of this socket in this task after its sendmsg: that sendmsg made it.
        if (auto p = pending_send_.find({ev.tid, ev.sk_id}); p != pending_send_.end()) {
            j.visits = std::move(p->second.visits);
            j.max_order = p->second.max_order;
            j.proto = p->second.proto;
            j.with_sendmsg = true;
            pending_send_.erase(p);
        }
    }
    if (ev.sk_id) {
        auto &s = socket(ev, ev.sk_id);
        learn_socket(s, ev, (ev.flags & NSK_EF_TASK) != 0);
    }
    auto [it, inserted] = tx_journeys_.insert_or_assign(ev.skb_id, std::move(j));
    (void)inserted;
    tx_append(it->second, r, info);
}

void Correlator::tx_append(TxJourney &j, const Record &r, const ProbeInfo &info)
{
    const nsk_event &ev = r.ev;
    j.visits.push_back({ev.probe, ev.cpu, ev.ctx, ev.ts_ns});
    j.max_order = info.order;
    j.last_ts = ev.ts_ns;
    if (ev.family && ev.proto && (ev.flags & (NSK_EF_PKT | NSK_EF_SOCK)))
        j.proto = ev.proto;
    if (!j.proto && info.proto_hint)
        j.proto = info.proto_hint;
    if (!j.sk_id && ev.sk_id)
        j.sk_id = ev.sk_id;
    tx_account(j);
    if (info.role == Role::tx_end)
        tx_close(j, End::complete);
}

void Correlator::tx_account(TxJourney &j)
{
    account_visits(j.proto, j.visits, j.accounted, true);
}

void Correlator::tx_close(TxJourney &j, End how, bool reused)
{
    tx_account(j);
    if (is_reported_proto(j.proto)) {
        switch (how) {
        case End::complete:
            ++tx_.complete;
            break;
        case End::dropped:
            ++tx_.dropped;
            break;
        case End::consumed:
            ++tx_.consumed;
            break;
        case End::incomplete:
        case End::queued_at_end:
            ++tx_.incomplete;
            if (reused)
                ++tx_.reused_before_end;
            break;
        }
        if (j.partial)
            ++tx_.partial;
        if (j.with_sendmsg)
            ++tx_.with_sendmsg;
        if (j.sk_id && (how == End::complete || how == End::dropped)) {
            auto sit = sockets_.find(j.sk_id);
            if (sit == sockets_.end()) {
                sit = sockets_.emplace(j.sk_id, SocketStats{}).first;
                sit->second.sk_id = j.sk_id;
            }
            SocketStats &s = sit->second;
            if (!s.proto)
                s.proto = j.proto;
            s.active = true;
            if (how == End::dropped)
                ++s.tx_dropped;
        }
        if (how == End::complete && !j.visits.empty()) {
            const auto first = j.visits.front().ts, last = j.visits.back().ts;
            const std::uint64_t d = last >= first ? last - first : 0;
            total_tx_.add(d);
            if (j.sk_id) {
                SocketStats &s = sockets_.at(j.sk_id);
                ++s.tx_packets;
                s.tx.add(d);
            }
        }
    }
    if (how == End::complete && !j.visits.empty())
        handoff_[j.skb_id] = {j.visits.front().ts, j.visits.back().ts, j.visits.back().probe};
    const std::uint64_t key = j.skb_id;
    tx_journeys_.erase(key);
}

JourneyCounts Correlator::tx_journeys_now() const
{
    JourneyCounts c = tx_;
    c.in_flight = 0;
    for (const auto &kv : tx_journeys_)
        if (is_reported_proto(kv.second.proto))
            ++c.in_flight;
    return c;
}

std::map<std::string, std::uint64_t> Correlator::probes_seen() const
{
    std::map<std::string, std::uint64_t> out;
    for (const auto &[id, n] : probes_seen_)
        out[name_of(id)] += n;
    return out;
}

JourneyCounts Correlator::rx_journeys_now() const
{
    JourneyCounts c = rx_;
    c.in_flight = 0;
    for (const auto &kv : journeys_)
        if (is_reported_proto(kv.second.proto))
            ++c.in_flight;
    return c;
}

std::vector<StageStat> Correlator::stages() const
{
    std::vector<StageStat> out;
    out.reserve(stage_stats_.size());
    for (const auto &kv : stage_stats_)
        out.push_back(kv.second);
    auto order = [](std::uint16_t p) {
        const ProbeInfo *i = probe_info(p);
        return i ? i->order : 1000 + p;
    };
    auto path_rank = [](const std::string &p) {
        if (p == "tx")
            return 0;
        if (p == "loopback")
            return 1;
        if (p == "rx")
            return 2;
        return 3;
    };
    std::sort(out.begin(), out.end(), [&](const StageStat &a, const StageStat &b) {
        const int pa = path_rank(a.path), pb = path_rank(b.path);
        if (pa != pb)
            return pa < pb;
        if (order(a.from) != order(b.from))
            return order(a.from) < order(b.from);
        if (a.from != b.from)
            return a.from < b.from;
        return order(a.to) < order(b.to);
    });
    return out;
}

std::vector<SocketStats> Correlator::sockets() const
{
    std::vector<SocketStats> out;
    auto keep = [&](const SocketStats &s) { return s.active && is_reported_proto(s.proto); };
    for (const auto &s : closed_sockets_)
        if (keep(s))
            out.push_back(s);
    for (const auto &kv : sockets_)
        if (keep(kv.second))
            out.push_back(kv.second);
    std::sort(out.begin(), out.end(), [](const SocketStats &a, const SocketStats &b) {
        if (a.drops_total != b.drops_total)
            return a.drops_total > b.drops_total;
        if (a.rx_packets() != b.rx_packets())
            return a.rx_packets() > b.rx_packets();
        if (a.local != b.local)
            return a.local < b.local;
        return a.sk_id < b.sk_id;
    });
    return out;
}

std::vector<DropStat> Correlator::drops() const
{
    std::vector<DropStat> out;
    for (const auto &kv : drop_table_)
        out.push_back(kv.second);
    std::stable_sort(out.begin(), out.end(),
                     [](const DropStat &a, const DropStat &b) { return a.count > b.count; });
    return out;
}

} // namespace nsk
