#include "tx_journeys.hpp"

#include "parts.hpp"

#include <algorithm>
#include <iterator>
#include <vector>

namespace nsk::corr {

TxJourney *TxJourneys::find(std::uint64_t skb_id)
{
    return journeys_.find(skb_id);
}

TxJourney &TxJourneys::put(TxJourney &&j)
{
    const std::uint64_t key = j.skb_id;
    return journeys_.put(key, std::move(j));
}

TxJourneys::PendingMap::iterator TxJourneys::drop_pending(PendingMap::iterator it)
{
    std::vector<Visit> &v = it.value().visits; // (robin_map: value(), not ->second, to modify)
    if (v.capacity() && spare_visits_.size() < kSpareVisits) {
        v.clear();
        spare_visits_.push_back(std::move(v));
    }
    return pending_.erase(it);
}

void TxJourneys::unsent(const PendingSend &p)
{
    if (is_reported_proto(p.proto))
        ++n_.sendmsg_without_skb;
}

void TxJourneys::sock(const Record &r, const ProbeInfo &info)
{
    const nsk_event &ev = r.ev;
    if (!ev.sk_id || !(ev.flags & NSK_EF_TASK))
        return; // cannot be linked to its skb without the task
    p_.sockets.seen(ev, ev.sk_id, true, info.proto_hint);
    const Visit v = visit_of(ev);
    const std::uint8_t proto = ev.family && ev.proto ? ev.proto : info.proto_hint;
    auto [it, fresh] = pending_.try_emplace({ev.tid, ev.sk_id});
    PendingSend &p = it.value();
    if (fresh && !spare_visits_.empty()) {
        p.visits = std::move(spare_visits_.back());
        spare_visits_.pop_back();
    }
    if (ev.probe == NSK_PROBE_TCP_SENDMSG_LOCKED && (ev.flags & NSK_EF_SEQ)) {
        // The bytes this call appends start at write_seq: segments find their sendmsg by it.
        if (!fresh && info.order <= p.max_order)
            p = PendingSend{}; // its own sock_sendmsg/tcp_sendmsg were not seen
        p.visits.push_back(v);
        std::vector<Visit> visits = std::move(p.visits);
        pending_.erase(it);
        p_.tcp.send_call(r, std::move(visits));
        return;
    }
    if (!fresh && info.order <= p.max_order) {
        // A new sendmsg while the previous one of this task on this socket produced no skb
        // (error, MSG_MORE/cork, TCP data left for later).
        unsent(p);
        std::vector<Visit> keep = std::move(p.visits);
        keep.clear();
        p = PendingSend{};
        p.visits = std::move(keep);
    }
    p.visits.push_back(v);
    p.max_order = info.order;
    p.last_ts = ev.ts_ns;
    if (!p.proto || proto)
        p.proto = proto ? proto : p.proto;
}

void TxJourneys::stage(const Record &r, const ProbeInfo &info)
{
    const nsk_event &ev = r.ev;
    if (!ev.skb_id)
        return;
    if (TxJourney *old = find(ev.skb_id)) {
        if (info.order > old->max_order) {
            append(*old, r, info);
            return;
        }
        if (info.order > kTxFirstSkbOrder) {
            old->last_ts = ev.ts_ns; // repeated stage: keep the first
            return;
        }
        close(*old, End::incomplete, true); // the address started a new send journey
    } else if (p_.gso.segment(r, info)) {
        return;
    } else if (Path path; RxJourney *rj = p_.rx.relay_from(ev.skb_id, ev, info, path)) {
        relay(*rj, path, r, info);
        return;
    }
    // In place, in a pooled journey (its visits' capacity kept); none is under this id now.
    TxJourney &j = journeys_.fresh(ev.skb_id);
    j.skb_id = ev.skb_id;
    j.sk_id = ev.sk_id;
    j.partial = info.order > kTxFirstSkbOrder;
    if (is_tcp_seq(ev)) {
        p_.tcp.tx_learn(j, ev); // by sequence number, whatever task or context sends it
    } else if ((ev.flags & NSK_EF_TASK) && ev.sk_id) {
        // The first skb of this socket in this task after its sendmsg: that sendmsg made it.
        if (auto p = pending_.find({ev.tid, ev.sk_id}); p != pending_.end()) {
            j.visits.swap(p.value().visits); // (j's empty vector goes back with the entry)
            j.max_order = p->second.max_order;
            j.proto = p->second.proto;
            j.with_sendmsg = true;
            drop_pending(p);
        }
    }
    if (ev.sk_id)
        p_.sockets.seen(ev, ev.sk_id, (ev.flags & NSK_EF_TASK) != 0);
    append(j, r, info);
}

void TxJourneys::relay(RxJourney &rj, Path path, const Record &r, const ProbeInfo &info)
{
    // The packet goes on from the receive journey's last stage (ip_forward, or the bridge
    // port's receive): that pair is the first of the relay's path.  It belongs to no socket
    // here (a bridged skb may still point at its sender's socket, which is not this send).
    TxJourney j;
    j.skb_id = rj.skb_id;
    j.proto = rj.proto;
    j.path = path;
    j.origin_ts = rj.looped ? rj.e2e_start : rj.visits.front().ts;
    j.visits.push_back(rj.visits.back());
    p_.rx.close(rj, End::relayed);
    append(put(std::move(j)), r, info);
}

void TxJourneys::append(TxJourney &j, const Record &r, const ProbeInfo &info)
{
    const nsk_event &ev = r.ev;
    j.visit(ev, info);
    if (ev.family && ev.proto && (ev.flags & (NSK_EF_PKT | NSK_EF_SOCK)))
        j.proto = ev.proto;
    if (!j.proto && info.proto_hint)
        j.proto = info.proto_hint;
    if (!j.sk_id && ev.sk_id && !j.relayed())
        j.sk_id = ev.sk_id;
    p_.stages.account(j.proto, j.visits, j.accounted, j.path);
    if (info.role == Role::tx_end)
        close(j, End::complete);
}

void TxJourneys::close(TxJourney &j, End how, bool reused)
{
    if (j.relayed()) {
        // Carried on from a receive journey: reaching the driver counts as relayed (the
        // sender's journey, if any, was counted on its own host side), a drop as a drop.
        if (end_journey(j, how == End::complete ? End::relayed : how, reused, j.path, p_.stages,
                        n_) &&
            how == End::complete)
            ++n_.relayed;
    } else if (end_journey(j, how, reused, Path::tx, p_.stages, n_)) {
        if (j.with_sendmsg)
            ++n_.with_sendmsg;
        if (j.gso_child && how == End::complete)
            ++n_.tcp_gso_children;
        if (j.has_seq) {
            ++n_.tcp;
            if (how == End::complete) {
                n_.tcp_segments += j.segs;
                if (j.payload && j.retransmit)
                    ++n_.tcp_retransmits;
                n_.tcp_bytes += j.new_bytes;
            }
            if (j.payload)
                ++n_.tcp_data;
        }
        if (j.sk_id && (how == End::complete || how == End::dropped)) {
            SocketStats &s = p_.sockets.of_id(j.sk_id);
            if (!s.proto)
                s.proto = j.proto;
            s.active = true;
            if (how == End::dropped)
                ++s.tx_dropped;
        }
        if (how == End::complete && !j.visits.empty()) {
            const auto first = j.visits.front().ts, last = j.visits.back().ts;
            const std::uint64_t d = last >= first ? last - first : 0;
            total_.add(d);
            if (j.sk_id) {
                SocketStats &s = p_.sockets.of_id(j.sk_id);
                ++s.tx_packets;
                s.tx.add(d);
                if (j.has_seq)
                    s.tx_bytes += j.new_bytes;
            }
        }
    }
    if (how == End::complete && !j.visits.empty()) {
        handoff_[j.skb_id] = j.handoff();
        if (is_reported_proto(j.proto)) {
            const Visit &v = j.visits.back();
            if (v.cpu >= at_driver_.size())
                at_driver_.resize(std::size_t{v.cpu} + 1);
            auto &q = at_driver_[v.cpu];
            if (q.size() == kAtDriverDepth)
                q.erase(q.begin());
            q.push_back({j.skb_id, v.ts, v.probe, j.path});
        }
    }
    if (!j.tcp_conn.empty())
        p_.tcp.tx_ended(j, how);
    const std::uint64_t key = j.skb_id;
    journeys_.erase(key);
}

bool TxJourneys::consumed(const Record &r)
{
    handoff_.erase(r.ev.skb_id); // freed after the driver took it: no loopback continuation
    if (TxJourney *j = find(r.ev.skb_id)) {
        if (p_.gso.freed_segmented(*j, r.ev.ts_ns))
            return true;
        close(*j, End::consumed);
    }
    return false;
}

void TxJourneys::dropped(TxJourney &j, const Record &r, DropCause &cause)
{
    p_.record_drop(j, cause, r.ev);
    close(j, End::dropped);
}

bool TxJourneys::take_handoff(std::uint64_t skb_id, Handoff &h)
{
    auto it = handoff_.find(skb_id);
    if (it == handoff_.end())
        return false;
    h = it->second;
    handoff_.erase(it);
    return true;
}

void TxJourneys::move_handoff(std::uint64_t from, std::uint64_t to)
{
    if (auto h = handoff_.find(from); h != handoff_.end() && from != to) {
        const Handoff moved = h->second; // (copied first: inserting may move the table)
        handoff_.erase(h);
        handoff_[to] = moved; // the first segment continues on loopback
    }
}

void TxJourneys::xmit_done(const Record &r)
{
    if (r.ev.cpu >= at_driver_.size())
        return; // (no journey reached the driver on that CPU)
    auto &q = at_driver_[r.ev.cpu];
    auto it = std::find_if(q.rbegin(), q.rend(),
                           [&](const AtDriver &d) { return d.skb_id == r.ev.skb_id; });
    if (it == q.rend())
        return;
    const AtDriver d = *it;
    q.erase(std::prev(it.base()), q.end()); // it, and nested transmits that did not return
    if (r.ev.reason != 0)
        return; // NETDEV_TX_BUSY: the qdisc requeues it, its next transmit is measured
    p_.stages.add(d.path, d.probe, r.ev.probe, r.ev.ts_ns >= d.ts ? r.ev.ts_ns - d.ts : 0);
}

void TxJourneys::expire()
{
    const std::uint64_t now = p_.now, age = p_.opts.age_ns;
    for (auto id :
         keys_if(journeys_, [&](const auto &kv) { return now - kv.second->last_ts > age; }))
        close(journeys_.at(id), End::incomplete);
    for (auto it = pending_.begin(); it != pending_.end();) {
        if (now - it->second.last_ts <= age) {
            ++it;
            continue;
        }
        unsent(it->second);
        it = drop_pending(it);
    }
    erase_if(handoff_, [&](const auto &kv) { return now - kv.second.xmit_ts > age; });
}

void TxJourneys::stamps(std::vector<std::uint64_t> &out) const
{
    for (const auto &kv : journeys_)
        out.push_back(kv.second->last_ts);
}

void TxJourneys::evict_upto(std::uint64_t cut)
{
    for (auto id : keys_if(journeys_, [&](const auto &kv) { return kv.second->last_ts <= cut; })) {
        TxJourney &j = journeys_.at(id);
        if (is_reported_proto(j.proto))
            ++n_.evicted;
        close(j, End::incomplete);
    }
}

void TxJourneys::finish()
{
    for (auto id : keys_if(journeys_, [](const auto &) { return true; }))
        close(journeys_.at(id), End::incomplete);
    for (const auto &kv : pending_)
        unsent(kv.second);
    pending_.clear();
    handoff_.clear();
    at_driver_.clear();
}

JourneyCounts TxJourneys::counts_now() const
{
    return with_in_flight(n_, journeys_);
}

} // namespace nsk::corr
