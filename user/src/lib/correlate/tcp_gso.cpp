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
    if (!conn)
        return false;
    const std::uint64_t start = conn->seq.unwrap(ev.seq);
    if (auto o = conn->open.upper_bound(start); o != conn->open.begin()) {
        --o;
        TxJourney *t = p_.tx.find(o->second);
        if (t && t->max_order < info.order && start < t->tcp_start + t->payload) {
            TxJourney &p = *t;
            if (start == p.tcp_start) {
                // Its first segment: the journey goes on under the segment's skb.  A segmented
                // skb must have been freed; one that was not is not this skb's parent.
                if (!p.segmented && info.role != Role::tx_end)
                    return false;
                if (p.segmented) // its later segments find it here once it has ended
                    conn->segmented[p.tcp_start] = {p.tcp_start + p.payload, p.sk_id, p.visits,
                                                    p.max_order, ev.ts_ns};
                TxJourney moved = std::move(p);
                p_.tx.forget(o->second);
                const std::uint64_t old_id = moved.skb_id;
                moved.skb_id = ev.skb_id;
                o->second = ev.skb_id;
                p_.tx.append(p_.tx.put(std::move(moved)), r, info); // (completes it at the driver)
                p_.tx.move_handoff(old_id, ev.skb_id);
                return true;
            }
        }
    }
    // A later segment of a segmented skb: its own journey from here, with its parent's earlier
    // stages; its bytes and segments are counted with the parent (whose first segment may have
    // reached the driver already).
    auto s = conn->segmented.upper_bound(start);
    if (s == conn->segmented.begin())
        return false;
    --s;
    TcpTxConn::Segmented &par = s->second;
    if (start >= par.end || start == s->first || par.max_order >= info.order)
        return false;
    TxJourney child;
    child.skb_id = ev.skb_id;
    child.sk_id = par.sk_id;
    child.visits = par.visits;
    child.max_order = par.max_order;
    child.accounted = par.visits.size(); // the parent accounted its own stage pairs
    child.proto = IPPROTO_TCP;
    child.gso_child = true;
    child.last_ts = ev.ts_ns;
    par.ts = ev.ts_ns;
    if (start + ev.payload >= par.end)
        conn->segmented.erase(s); // its last segment
    p_.tx.append(p_.tx.put(std::move(child)), r, info);
    return true;
}

void TcpGso::loop_by_seq(RxJourney &j, const nsk_event &ev)
{
    if (const TcpTxConn::Sent *s = p_.tcp.sent_by_seq(ev))
        j.continues(*s);
}

} // namespace nsk::corr
