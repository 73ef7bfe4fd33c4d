#include "rx_journeys.hpp"

#include "parts.hpp"

#include <vector>

namespace nsk::corr {

RxJourney *RxJourneys::find(std::uint64_t skb_id)
{
    return journeys_.find(skb_id);
}

void RxJourneys::stage(const Record &r, const ProbeInfo &info)
{
    const nsk_event &ev = r.ev;
    if (ev.skb_id == 0) {
        if ((info.role == Role::enqueue || info.role == Role::dequeue) && ev.sk_id)
            p_.sockets.seen(ev, ev.sk_id, info.role == Role::dequeue);
        return;
    }
    if (info.role == Role::dequeue && static_cast<std::int32_t>(ev.len) < 0) {
        // skb_consume_udp() with a negative length is a MSG_PEEK: the skb stays queued.
        if (ev.sk_id)
            ++p_.sockets.seen(ev, ev.sk_id, true).peeks;
        return;
    }
    if (RxJourney *j = find(ev.skb_id)) {
        if (info.order > j->max_order) {
            append(*j, r, info);
            return;
        }
        if (info.role != Role::start && info.role != Role::enqueue) {
            j->last_ts = ev.ts_ns; // repeated stage (e.g. a second pass): keep the first
            return;
        }
        if (another_device(*j, ev)) {
            append(*j, r, info); // the same packet, received again on an upper device
            return;
        }
        // The address started a new journey before the old one ended.
        close(*j, End::incomplete, true);
    } else if (p_.tcp.stage(r, info) || p_.tcp.control_stage(r, info)) {
        return;
    }
    if (info.role == Role::enqueue) {
        if (RxJourney *parent = fanout_parent(r)) {
            RxJourney child;
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
            // (no journey under this id: find() above)
            append(journeys_.put(ev.skb_id, std::move(child)), r, info);
            return;
        }
    }
    RxJourney &nj = start(r, info.role != Role::start);
    if (Handoff h; p_.tx.take_handoff(ev.skb_id, h)) {
        // Loopback: the skb the driver took continues as a received one (same address).
        nj.continues(h);
    } else if (is_tcp_seq(ev) && (ev.flags & NSK_EF_PKT) && ev.payload) {
        p_.gso.loop_by_seq(nj, ev);
    }
    append(nj, r, info);
}

namespace {
// The device-level receive entries: __netif_receive_skb_core, netif_receive_skb(), netif_rx().
bool device_entry(std::uint16_t probe)
{
    return probe == NSK_PROBE_NETIF_RECEIVE_SKB || probe == NSK_PROBE_NETIF_RECEIVE_SKB_ENTRY ||
           probe == NSK_PROBE_NETIF_RX;
}
} // namespace

bool RxJourneys::another_device(const RxJourney &j, const nsk_event &ev)
{
    // A bridge port hands the frame to the bridge device (br_pass_frame_up, through
    // netif_receive_skb()), a VLAN or macvlan port to its upper device (directly, or through
    // netif_rx): the device-level receive runs again for the same skb, nothing in between.
    // A journey still at that stage cannot be an address reused by a new packet: every way
    // an skb that reached it is freed is traced (consume_skb, kfree_skb), the untraced ones
    // (GRO-merged heads, TCP's coalesced data) end elsewhere.
    // An entry (netif_rx, netif_receive_skb()) twice in a row is not that: each is followed
    // by the core receive before the skb can be handed on.
    if (j.visits.empty() || !device_entry(ev.probe))
        return false;
    const std::uint16_t last = j.visits.back().probe;
    return device_entry(last) && (last != ev.probe || last == NSK_PROBE_NETIF_RECEIVE_SKB);
}

RxJourney *RxJourneys::relay_from(std::uint64_t skb_id, const nsk_event &ev, const ProbeInfo &info,
                                  Path &path)
{
    RxJourney *j = find(skb_id);
    if (!j || j->visits.empty() || j->enqueue_idx >= 0)
        return nullptr;
    const std::uint16_t last = j->visits.back().probe;
    if (last == NSK_PROBE_IP_FORWARD || last == NSK_PROBE_IP6_FORWARD) {
        path = Path::fwd; // ip_forward's output: ip_output / ip6_output (or the device)
        return j;
    }
    // Sent on without IP (bridge, tc redirect): the device queue follows the L2 receive.  A
    // locally sent packet at a reused address starts at the IP output (or its sendmsg).
    (void)ev;
    if (last == NSK_PROBE_NETIF_RECEIVE_SKB && info.order >= kTxDevQueueOrder) {
        path = Path::bridge;
        return j;
    }
    return nullptr;
}

RxJourney &RxJourneys::start(const Record &r, bool partial)
{
    RxJourney &j = journeys_.fresh(r.ev.skb_id);
    j.serial = ++serial_;
    j.skb_id = r.ev.skb_id;
    j.partial = partial;
    return j;
}

RxJourney *RxJourneys::fanout_parent(const Record &r)
{
    const nsk_event &ev = r.ev;
    auto it = last_fanout_.find(ev.cpu);
    if (it == last_fanout_.end())
        return nullptr;
    RxJourney *p = find(it->second.first);
    if (!p || p->serial != it->second.second || p->visits.empty())
        return nullptr;
    const ProbeInfo *last = probe_info(p->visits.back().probe);
    // The original skb is delivered to the last socket, after its clones: once the parent is
    // enqueued (or further), it can have no more children.
    if (!last || !last->fanout_parent || p->visits.back().ts > ev.ts_ns)
        return nullptr;
    if ((ev.flags & NSK_EF_SOCK) && p->pkt_tuple && ev.sk_lport && ev.sk_lport != p->pkt_dport) {
        ++fanout_rejected_;
        return nullptr;
    }
    return p;
}

void RxJourneys::learn(RxJourney &j, const Record &r, const ProbeInfo &info)
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
    if (is_tcp_seq(ev) && (ev.flags & NSK_EF_PKT)) {
        // The segments an skb stands for are known when it is first seen: TCP coalescing a
        // later skb into it (receive queue, backlog) adds that skb's segments to its gso_segs,
        // and that skb's own journey counts them.
        if (!j.has_seq)
            j.segs = tcp_segs(ev);
        j.has_seq = true;
        j.seq = ev.seq;
        j.payload = ev.payload;
        if (ev.netns)
            j.conn = TcpSeq::rx_conn(ev);
    }
}

void RxJourneys::append(RxJourney &j, const Record &r, const ProbeInfo &info)
{
    const nsk_event &ev = r.ev;
    j.visit(ev, info);
    learn(j, r, info);
    if (info.fanout_parent)
        last_fanout_[ev.cpu] = {j.skb_id, j.serial};
    if (info.role == Role::enqueue) {
        j.enqueue_idx = static_cast<int>(j.visits.size()) - 1;
        j.sk_id = ev.sk_id;
        if (ev.sk_id) {
            SocketStats &s = p_.sockets.seen(ev, ev.sk_id, false, j.proto);
            ++s.enqueued;
            s.active = true;
            if (ev.flags & NSK_EF_MEM) {
                s.mem.offer(ev);
                j.truesize = ev.aux;
            }
        }
    }
    p_.stages.account(j.proto, j.visits, j.accounted, Path::rx);
    if (j.tcp_read_early && info.role == Role::enqueue) {
        p_.tcp.late_queued(j, ev); // j is gone from journeys_
        return;
    }
    if (j.proto == IPPROTO_TCP && j.has_seq && is_tcp_rcv(ev.probe) && !j.conn.empty()) {
        if (j.payload == 0) {
            // No data (ACK, SYN, FIN, RST): TCP frees it with __kfree_skb (no tracepoint).
            p_.tcp.control_ended(j.skb_id, ev);
            close(j, End::consumed);
        } else {
            p_.tcp.park(j); // j is gone from journeys_
        }
        return;
    }
    if (info.role == Role::enqueue && j.proto == IPPROTO_TCP && !j.has_seq) {
        // Without sequence numbers (older captures) a TCP journey ends when queued.
        close(j, End::complete);
        return;
    }
    if (info.role == Role::dequeue) {
        if (const std::uint64_t sk_id = ev.sk_id ? ev.sk_id : j.sk_id)
            SocketTable::read(p_.sockets.seen(ev, sk_id, true, j.proto), j.enqueue(), ev.ts_ns);
        close(j, End::complete);
    }
}

void RxJourneys::close(RxJourney &j, End how, bool reused)
{
    end(j, how, reused);
    const std::uint64_t key = j.skb_id;
    journeys_.erase(key); // j is gone from here on
}

void RxJourneys::end(RxJourney &j, End how, bool reused)
{
    if (j.proto == IPPROTO_TCP && how == End::incomplete && j.enqueue_idx < 0 && !j.evicted)
        how = End::consumed; // not queued (pure ACK...): freed by __kfree_skb, no tracepoint
    if (!end_journey(j, how, reused, Path::rx, p_.stages, n_))
        return;
    if (j.looped && !j.visits.empty()) {
        if (how != End::relayed && how != End::gro_merged)
            ++n_.looped; // (the hop row below still counts every packet that crossed it)
        const auto t0 = j.visits.front().ts;
        p_.stages.add_loopback(j.xmit_probe, j.visits.front().probe,
                               t0 >= j.xmit_ts ? t0 - j.xmit_ts : 0);
    }
    if (how == End::gro_merged) {
        ++n_.gro_merged;
        if (j.proto == IPPROTO_TCP && j.has_seq)
            n_.tcp_segments += j.segs; // what the skb it joined stood for before: counted once
        return;
    }
    if (how == End::relayed) {
        const bool fwd = std::any_of(j.visits.begin(), j.visits.end(), [](const Visit &v) {
            return v.probe == NSK_PROBE_IP_FORWARD || v.probe == NSK_PROBE_IP6_FORWARD;
        });
        ++(fwd ? n_.forwarded : n_.bridged);
        if (fwd)
            ++forwarded_netns_[j.netns]; // (the last netns seen: ip_forward's device's)
        return; // the send journey that carries it on counts the rest
    }
    if (j.child)
        ++n_.fanout_children;
    if (j.proto == IPPROTO_TCP && j.has_seq) {
        ++n_.tcp;
        n_.tcp_segments += j.segs;
        if (j.payload)
            ++n_.tcp_data;
        if (how == End::dropped && j.payload)
            ++n_.tcp_data_dropped;
        if (how == End::dropped && j.payload && j.tcp_dup)
            ++n_.tcp_duplicates;
    }
    if (const Visit *enq = j.enqueue(); enq && !j.refused && !j.visits.empty()) {
        const auto first = j.visits.front().ts;
        total_.add(enq->ts >= first ? enq->ts - first : 0);
        const ProbeInfo *li = probe_info(j.visits.back().probe);
        if (how == End::complete && li &&
            (li->role == Role::dequeue || li->role == Role::tcp_read)) {
            const auto deq = j.visits.back().ts;
            total_queue_.add(deq >= enq->ts ? deq - enq->ts : 0);
            total_user_.add(deq >= first ? deq - first : 0);
            if (j.looped)
                total_e2e_.add(deq >= j.e2e_start ? deq - j.e2e_start : 0);
        }
    } else if (how == End::complete && j.looped && !j.visits.empty() && j.has_seq) {
        // TCP data that skipped tcp_queue_rcv (coalesced in the backlog, out of order)
        const auto deq = j.visits.back().ts, first = j.visits.front().ts;
        total_e2e_.add(deq >= j.e2e_start ? deq - j.e2e_start : 0);
        total_user_.add(deq >= first ? deq - first : 0);
    }
}

void RxJourneys::gro_merged(std::uint64_t skb_id)
{
    if (RxJourney *j = skb_id ? find(skb_id) : nullptr)
        close(*j, End::gro_merged);
}

void RxJourneys::consumed(std::uint64_t skb_id)
{
    if (RxJourney *j = find(skb_id))
        close(*j, End::consumed);
    // (unknown skb: other traffic, or already finished)
}

void RxJourneys::queue_full(std::uint64_t skb_id, const std::string &reason)
{
    if (RxJourney *j = skb_id ? find(skb_id) : nullptr)
        j->pending_reason = reason.empty() ? "SOCK_RCVQUEUE_FULL" : reason;
}

void RxJourneys::dropped(RxJourney &j, const Record &r, DropCause &cause)
{
    const nsk_event &ev = r.ev;
    if ((cause.reason.empty() || cause.reason == "NOT_SPECIFIED") && !j.pending_reason.empty())
        cause.reason = j.pending_reason;
    p_.record_drop(j, cause, ev);
    if (j.tcp_dup && j.payload)
        p_.tcp.dup_dropped(j, cause.reason); // a copy of bytes the reader already has
    if (const Visit *enq = j.enqueue(); enq && j.sk_id) {
        // Refused by the queue: the drop follows the enqueue attempt in the same context on the
        // same CPU.  A later free of a queued skb (e.g. purge at close) is not a queue drop.
        const bool refused = static_cast<std::size_t>(j.enqueue_idx) + 1 == j.visits.size() &&
                             enq->cpu == ev.cpu && enq->ctx == ev.ctx;
        if (SocketStats *s = p_.sockets.find(j.sk_id)) {
            if (refused) {
                ++s->drops[cause.reason];
                ++s->drops_total;
                if (j.truesize)
                    s->mem.refuse(j.truesize, ev.ts_ns);
            } else {
                ++s->drops_after_queue;
            }
        }
        j.refused = refused;
    }
    close(j, End::dropped);
}

void RxJourneys::expire()
{
    const std::uint64_t now = p_.now, age = p_.opts.age_ns, qage = p_.opts.queued_age_ns;
    for (auto id : keys_if(journeys_, [&](const auto &kv) {
             return now - kv.second->last_ts > age && kv.second->enqueue_idx < 0;
         }))
        close(journeys_.at(id), End::incomplete);
    // Queued and idle for the queued age: a reader that never reads, or a free never seen.
    for (auto id : keys_if(journeys_, [&](const auto &kv) {
             return now - kv.second->last_ts > qage && kv.second->enqueue_idx >= 0;
         }))
        evict(journeys_.at(id));
}

void RxJourneys::evict(RxJourney &j, bool in_table)
{
    j.evicted = true;
    if (is_reported_proto(j.proto))
        ++n_.evicted;
    if (in_table)
        close(j, End::incomplete);
    else
        end(j, End::incomplete, false);
}

void RxJourneys::stamps(std::vector<std::uint64_t> &out) const
{
    for (const auto &kv : journeys_)
        out.push_back(kv.second->last_ts);
}

void RxJourneys::evict_upto(std::uint64_t cut)
{
    for (auto id : keys_if(journeys_, [&](const auto &kv) { return kv.second->last_ts <= cut; }))
        evict(journeys_.at(id));
    last_fanout_.clear(); // (may name an evicted journey; serials make a stale one harmless)
}

void RxJourneys::finish()
{
    for (auto id : keys_if(journeys_, [](const auto &) { return true; })) {
        RxJourney &j = journeys_.at(id);
        close(j, j.enqueue_idx >= 0 ? End::queued_at_end : End::incomplete);
    }
    last_fanout_.clear();
}

JourneyCounts RxJourneys::counts_now() const
{
    JourneyCounts c = with_in_flight(n_, journeys_);
    c.in_flight += p_.tcp.waiting(); // TCP data waiting for the reader
    return c;
}

} // namespace nsk::corr
