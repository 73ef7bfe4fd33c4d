#include "tcp_gso.hpp"

#include "parts.hpp"

namespace nsk::corr {

bool TcpGso::freed_segmented(TxJourney &j, std::uint64_t ts)
{
    if (j.has_seq && j.segs > 1 && j.payload && !j.tcp_conn.empty() && !j.gso_child &&
        j.max_order >= kTxFirstSkbOrder - 1 && j.max_order <= kTxDevQueueOrder) {
        // Segmented in software before the driver (its segments are new skbs): freed here,
        // it goes on with its first segment (segment()).
        j.last_ts = ts;
        j.segmented = true;
        return true;
    }
    return false;
}

bool TcpGso::segment(const Record &r, const ProbeInfo &info)
{
    const nsk_event &ev = r.ev;
    if (!is_tcp_seq(ev) || !(ev.flags & NSK_EF_PKT) || !ev.payload ||
        info.order <= kTxFirstSkbOrder - 1)
        return false;
    TcpTxConn *conn = p_.tcp.tx(TcpSeq::tx_conn(ev));
    if (!conn || conn->open.empty())
        return false;
    const std::uint64_t start = conn->seq.unwrap(ev.seq);
    auto o = conn->open.upper_bound(start);
    if (o == conn->open.begin())
        return false;
    --o;
    TxJourney *t = p_.tx.find(o->second);
    if (!t || t->max_order >= info.order)
        return false;
    TxJourney &p = *t;
    if (start >= p.tcp_start + p.payload)
        return false;
    if (start == p.tcp_start) {
        // Its first segment: the journey goes on under the segment's skb.  A segmented skb
        // must have been freed; one that was not is not this skb's parent.
        if (!p.segmented && info.role != Role::tx_end)
            return false;
        TxJourney moved = std::move(p);
        p_.tx.forget(o->second);
        const std::uint64_t old_id = moved.skb_id;
        moved.skb_id = ev.skb_id;
        o->second = ev.skb_id;
        p_.tx.append(p_.tx.put(std::move(moved)), r, info); // (completes it at the driver)
        p_.tx.move_handoff(old_id, ev.skb_id);
        return true;
    }
    if (!p.segmented)
        return false;
    // A later segment: its own journey from here, with its parent's earlier stages; its bytes
    // and segments are counted with the parent.
    TxJourney child;
    child.skb_id = ev.skb_id;
    child.sk_id = p.sk_id;
    child.visits = p.visits;
    child.max_order = p.max_order;
    child.accounted = p.visits.size(); // the parent accounted its own stage pairs
    child.proto = IPPROTO_TCP;
    child.gso_child = true;
    child.last_ts = ev.ts_ns;
    p_.tx.append(p_.tx.put(std::move(child)), r, info);
    return true;
}

void TcpGso::loop_by_seq(RxJourney &j, const nsk_event &ev)
{
    TcpTxConn *c = p_.tcp.tx(TcpSeq::tx_conn(ev));
    if (!c || c->sent.empty())
        return;
    const std::uint64_t start = c->seq.unwrap(ev.seq);
    auto it = c->sent.upper_bound(start);
    if (it == c->sent.begin())
        return;
    --it;
    if (start >= it->second.end)
        return;
    j.continues(it->second);
}

} // namespace nsk::corr
