#include "tcp_seq.hpp"

#include <algorithm>

#include "parts.hpp"

#include "nsk/format.hpp"

namespace nsk::corr {

namespace {
// Segments without data ended at tcp_v4_rcv are remembered this long for a drop that follows.
constexpr std::uint64_t kControlKeepNs = 1'000'000'000ULL;
// Data segments handed to the driver remembered per connection (software GSO, TcpGso).
constexpr std::size_t kSentHistory = 4096;
// sendmsg calls one connection remembers while none of their bytes was seen in a segment
// (segments not traced, or a sender far ahead of the wire); the oldest beyond it are
// forgotten and counted as sendmsg_without_skb (their segments will not carry them)
constexpr std::size_t kCallHistory = 4096;

std::string conn_key(const nsk_event &ev, const std::uint8_t *laddr, std::uint16_t lport,
                     const std::uint8_t *raddr, std::uint16_t rport)
{
    std::string k;
    k.reserve(1 + 4 + 2 * (16 + 2));
    k.push_back(static_cast<char>(ev.family));
    k.append(reinterpret_cast<const char *>(&ev.netns), sizeof(ev.netns));
    k.append(reinterpret_cast<const char *>(laddr), 16);
    k.append(reinterpret_cast<const char *>(&lport), sizeof(lport));
    k.append(reinterpret_cast<const char *>(raddr), 16);
    k.append(reinterpret_cast<const char *>(&rport), sizeof(rport));
    return k;
}
} // namespace

std::uint64_t SeqSpace::unwrap(std::uint32_t seq)
{
    if (!init) {
        init = true;
        last = (std::uint64_t{1} << 32) + seq; // room below for older sequence numbers
        return last;
    }
    const auto d = static_cast<std::int32_t>(seq - static_cast<std::uint32_t>(last));
    last = static_cast<std::uint64_t>(static_cast<std::int64_t>(last) + d);
    return last;
}

// The key without its namespace: the same connection as the other end's namespace sees it.
std::string tuple_of(const std::string &key)
{
    return key.size() > 5 ? key.substr(0, 1) + key.substr(5) : key;
}

std::string TcpSeq::sock_conn(const nsk_event &ev)
{
    return conn_key(ev, ev.sk_laddr, ev.sk_lport, ev.sk_raddr, ev.sk_rport);
}
std::string TcpSeq::rx_conn(const nsk_event &ev)
{
    return conn_key(ev, ev.daddr, ev.dport, ev.saddr, ev.sport);
}
std::string TcpSeq::tx_conn(const nsk_event &ev)
{
    return conn_key(ev, ev.saddr, ev.sport, ev.daddr, ev.dport);
}

TcpTxConn *TcpSeq::tx(const std::string &key)
{
    auto it = tx_.find(key);
    return it == tx_.end() ? nullptr : &it->second;
}

TcpTxConn &TcpSeq::tx_add(const std::string &key)
{
    auto [it, fresh] = tx_.try_emplace(key);
    if (fresh)
        by_tuple_[tuple_of(key)].push_back(key);
    return it->second;
}

void TcpSeq::tx_erased(const std::string &key)
{
    auto t = by_tuple_.find(tuple_of(key));
    if (t == by_tuple_.end())
        return;
    auto &keys = t->second;
    keys.erase(std::remove(keys.begin(), keys.end(), key), keys.end());
    if (keys.empty())
        by_tuple_.erase(t);
}

const TcpTxConn::Sent *TcpSeq::sent_by_seq(const nsk_event &ev)
{
    // The sender in this namespace (loopback) first; else the same 4-tuple's sender in another
    // namespace the capture saw (a peer across a NIC, a veth pair): the received segment's
    // first byte inside exactly one sent range (32-bit random initial sequence numbers make a
    // second candidate all but impossible; two are left alone rather than guessed).
    const std::string key = tx_conn(ev);
    auto find_in = [&](TcpTxConn &c) -> const TcpTxConn::Sent * {
        if (c.sent.empty())
            return nullptr;
        const std::uint64_t start = c.seq.unwrap(ev.seq);
        auto it = c.sent.upper_bound(start);
        if (it == c.sent.begin())
            return nullptr;
        --it;
        return start < it->second.end && it->second.xmit_ts <= ev.ts_ns ? &it->second : nullptr;
    };
    if (TcpTxConn *c = tx(key))
        return find_in(*c);
    auto t = by_tuple_.find(tuple_of(key));
    if (t == by_tuple_.end())
        return nullptr;
    const TcpTxConn::Sent *found = nullptr;
    for (const std::string &k : t->second) {
        if (const TcpTxConn::Sent *s = find_in(tx_.at(k))) {
            if (found)
                return nullptr;
            found = s;
        }
    }
    return found;
}

// --- receive ---------------------------------------------------------------------------------

void TcpSeq::park(RxJourney &j)
{
    RxConn &c = rx_[j.conn];
    c.last_ts = j.last_ts;
    const std::uint64_t end = c.seq.unwrap(j.seq) + j.payload;
    j.tcp_end = end;
    if (c.have_copied && end <= c.copied) {
        // Already read: TCP drops this copy, the drop finds it among the receive journeys.
        // Unless its records reached the tool after the read's (a late batch: the reorder window
        // had passed), then TCP queues it and late_queued() completes it with the read that
        // passed its end.
        j.tcp_dup = true;
        j.tcp_read_early = true;
        return;
    }
    if (c.have_rcv_max && end <= c.rcv_max) {
        j.tcp_dup = true; // a copy of data that is already here (retransmission)
    } else {
        c.rcv_max = end;
        c.have_rcv_max = true;
    }
    const std::uint64_t skb = j.skb_id;
    parked_[skb] = {j.conn, end};
    c.waiting.emplace(end, std::move(j));
    p_.rx.forget(skb);
}

// The parked journey of an skb (its data may since have been coalesced with later data: found
// by skb and the key it was parked with, not by the event's sequence range).
std::multimap<std::uint64_t, RxJourney>::iterator TcpSeq::find_parked(std::uint64_t skb_id,
                                                                      RxConn **conn)
{
    *conn = nullptr;
    auto pit = parked_.find(skb_id);
    if (pit == parked_.end())
        return {};
    auto cit = rx_.find(pit->second.conn);
    if (cit == rx_.end()) {
        parked_.erase(pit);
        return {};
    }
    // The newest with this skb: a retransmitted copy may reuse the address of the original
    // while the original still waits (same end sequence, inserted after it).
    auto [a, b] = cit->second.waiting.equal_range(pit->second.end);
    auto found = b;
    for (; a != b; ++a)
        if (a->second.skb_id == skb_id)
            found = a;
    if (found != b) {
        *conn = &cit->second;
        return found;
    }
    parked_.erase(pit); // stale
    return {};
}

bool TcpSeq::stage(const Record &r, const ProbeInfo &info)
{
    const nsk_event &ev = r.ev;
    if (info.role == Role::start)
        return false;
    RxConn *c = nullptr;
    auto it = find_parked(ev.skb_id, &c);
    if (!c)
        return false;
    RxJourney &j = it->second;
    if (info.order <= j.max_order) {
        j.last_ts = ev.ts_ns; // repeated stage: keep the first
        return true;
    }
    p_.rx.append(j, r, info);
    if (info.role == Role::enqueue && ev.sk_id)
        c->sk_id = ev.sk_id;
    c->last_ts = ev.ts_ns;
    return true;
}

bool TcpSeq::control_stage(const Record &r, const ProbeInfo &info)
{
    const nsk_event &ev = r.ev;
    auto c = control_.find(ev.skb_id);
    if (c == control_.end() || !(info.role == Role::mid || info.role == Role::enqueue))
        return false; // (enqueue: a FIN queued)
    const ProbeInfo *prev = probe_info(c->second.probe);
    if (info.order <= (prev ? prev->order : 0))
        return false;
    // A segment without data (ended at tcp_v4_rcv) parked in the backlog, or a FIN queued for
    // the reader: its stage pair.
    std::vector<Visit> pair{{c->second.probe, ev.cpu, ev.ctx, c->second.ts}, visit_of(ev)};
    std::size_t accounted = 1;
    p_.stages.account(IPPROTO_TCP, pair, accounted, Path::rx);
    c->second = {ev.ts_ns, ev.probe};
    return true;
}

void TcpSeq::control_ended(std::uint64_t skb_id, const nsk_event &ev)
{
    control_[skb_id] = {ev.ts_ns, ev.probe};
}

void TcpSeq::call_entry(const nsk_event &ev)
{
    if (!(ev.flags & NSK_EF_SOCK) || !ev.sk_id || !ev.family)
        return;
    RxConn &c = rx_[sock_conn(ev)];
    c.sk_id = ev.sk_id;
    c.last_ts = ev.ts_ns;
    c.in_call = true;
    c.said_in_call = 0;
}

void TcpSeq::read(const Record &r)
{
    const nsk_event &ev = r.ev;
    if (!(ev.flags & NSK_EF_SEQ) || !(ev.flags & NSK_EF_SOCK) || !ev.sk_id || !ev.family)
        return;
    SocketStats &s = p_.sockets.seen(ev, ev.sk_id, true, IPPROTO_TCP);
    const std::string key = sock_conn(ev);
    RxConn &c = rx_[key];
    c.sk_id = ev.sk_id;
    c.last_ts = ev.ts_ns;
    const std::uint64_t copied = c.seq.unwrap(ev.seq);
    // Bytes copied: copied_seq's advance, but at most what the call says it copied (reading
    // the FIN advances copied_seq by one without a byte; MSG_PEEK copies without advancing).
    std::uint64_t said = static_cast<std::int32_t>(ev.payload) > 0 ? ev.payload : 0;
    if (c.in_call) {
        // (a smaller figure: another call began without its entry seen; all of it is new)
        const std::uint64_t before = c.said_in_call;
        c.said_in_call = said;
        if (said >= before)
            said -= before;
    }
    std::uint64_t bytes = said; // first read seen: what this call copied
    if (c.have_copied)
        bytes = std::min(said, copied > c.copied ? copied - c.copied : 0);
    if (!c.have_copied || copied > c.copied)
        c.copied = copied;
    c.have_copied = true;
    if (bytes) {
        s.rx_bytes += bytes;
        p_.rx.counts().tcp_bytes += bytes;
        s.active = true;
    }
    const Visit v = visit_of(ev);
    if (bytes || c.reads.empty() || copied > c.reads.back().first) {
        c.reads.emplace_back(copied, v);
        if (c.reads.size() > kReadHistory)
            c.reads.pop_front();
    }
    for (auto it = c.waiting.begin(); it != c.waiting.end() && it->first <= copied;) {
        RxJourney &j = it->second;
        if (auto p = parked_.find(j.skb_id);
            p != parked_.end() && p->second.end == it->first && p->second.conn == key)
            parked_.erase(p);
        deliver(j, v, ev);
        p_.rx.end(j, End::complete, false);
        it = c.waiting.erase(it);
    }
}

// A data segment's bytes reached the reader (the read `v` moved copied_seq past its end).
void TcpSeq::deliver(RxJourney &j, const Visit &v, const nsk_event &ev)
{
    if (!j.sk_id)
        j.sk_id = ev.sk_id;
    j.visits.push_back(v);
    j.max_order = std::max(j.max_order, probe_info(v.probe) ? probe_info(v.probe)->order : 0);
    j.last_ts = std::max(j.last_ts, v.ts);
    SocketStats &o = p_.sockets.get(ev, ev.sk_id);
    if (j.enqueue_idx < 0)
        ++o.enqueued; // reached the socket without tcp_queue_rcv (backlog coalescing, ofo)
    SocketTable::read(o, j.enqueue(), v.ts);
}

// A segment whose end the reader had passed (in the order records reached the tool) was queued
// by TCP after all: its records came late.  Not a duplicate: complete it with the read that
// passed its end (the earliest remembered; the newest if that one is no longer remembered).
void TcpSeq::late_queued(RxJourney &j, const nsk_event &ev)
{
    j.tcp_dup = false;
    j.tcp_read_early = false;
    auto cit = rx_.find(j.conn);
    if (cit == rx_.end() || cit->second.reads.empty())
        return; // (no read remembered: it stays queued, as before)
    RxConn &c = cit->second;
    const auto *read = &c.reads.back();
    for (const auto &r : c.reads)
        if (r.first >= j.tcp_end) {
            read = &r;
            break;
        }
    nsk_event rev = ev;
    rev.sk_id = c.sk_id ? c.sk_id : ev.sk_id;
    ++p_.rx.counts().tcp_late_queued;
    deliver(j, read->second, rev);
    p_.rx.close(j, End::complete);
}

// Data lost to a TCP socket (its receive path refused or discarded it).
void TcpSeq::socket_drop(const RxJourney &j, std::uint64_t sk_id, const std::string &reason)
{
    SocketStats *s = sk_id ? p_.sockets.find(sk_id) : nullptr;
    if (!s)
        return;
    s->active = true;
    if (j.tcp_dup) {
        ++s->tcp_duplicates; // no data lost: the bytes are in the socket already
        return;
    }
    if (j.enqueue_idx < 0)
        ++s->enqueued; // arrived for this socket
    ++s->drops[reason];
    ++s->drops_total;
}

void TcpSeq::dup_dropped(const RxJourney &j, const std::string &reason)
{
    if (auto c = rx_.find(j.conn); c != rx_.end())
        socket_drop(j, c->second.sk_id, reason);
}

bool TcpSeq::drop(const Record &r, const DropCause &cause)
{
    const nsk_event &ev = r.ev;
    if (!ev.skb_id)
        return false;
    RxConn *cp = nullptr;
    auto found = find_parked(ev.skb_id, &cp);
    if (!cp)
        return false;
    RxConn &c = *cp;
    RxJourney &j = found->second;
    p_.drops.add(cause, p_.last_stage(j), IPPROTO_TCP, false);
    socket_drop(j, j.sk_id ? j.sk_id : c.sk_id, cause.reason);
    parked_.erase(ev.skb_id);
    p_.rx.end(j, End::dropped, false);
    c.waiting.erase(found);
    return true;
}

void TcpSeq::control_dropped(std::uint64_t skb_id, std::string &stage)
{
    auto c = skb_id ? control_.find(skb_id) : control_.end();
    if (c == control_.end())
        return;
    // a segment without data, ended at tcp_v4_rcv, freed with a drop after all
    JourneyCounts &n = p_.rx.counts();
    if (n.consumed)
        --n.consumed;
    ++n.dropped;
    stage = p_.name_of(c->second.probe);
    control_.erase(c);
}

// --- send ------------------------------------------------------------------------------------

// tcp_sendmsg_locked: the call's bytes are [write_seq, write_seq + size).
void TcpSeq::send_call(const Record &r, std::vector<Visit> &&visits)
{
    const nsk_event &ev = r.ev;
    if (!(ev.flags & NSK_EF_SOCK) || !ev.family)
        return;
    TcpTxConn &c = tx_add(sock_conn(ev));
    c.last_ts = ev.ts_ns;
    const std::uint64_t start = c.seq.unwrap(ev.seq);
    TcpTxConn::SendCall &call = c.calls[start];
    call.visits = std::move(visits);
    call.end = start + ev.payload;
    while (c.calls.size() > kCallHistory) {
        c.calls.erase(c.calls.begin());
        p_.tx.call_forgotten();
    }
    SocketStats &s = p_.sockets.seen(ev, ev.sk_id, true, IPPROTO_TCP);
    ++s.tx_calls;
    if (ev.flags & NSK_EF_TASK) {
        auto &t = s.tx_by_pid[ev.pid];
        ++t.calls;
        t.bytes += ev.payload;
        t.comm = bounded_string(ev.comm, sizeof(ev.comm));
    }
}

void TcpSeq::tx_learn(TxJourney &j, const nsk_event &ev)
{
    j.has_seq = true;
    j.seq = ev.seq;
    j.payload = ev.payload;
    j.segs = tcp_segs(ev);
    if (!ev.family || !j.payload)
        return;
    std::string key;
    if (ev.flags & NSK_EF_PKT)
        key = tx_conn(ev);
    else if (ev.flags & NSK_EF_SOCK)
        key = sock_conn(ev);
    else
        return;
    TcpTxConn &c = tx_add(key);
    c.last_ts = ev.ts_ns;
    const std::uint64_t start = c.seq.unwrap(ev.seq);
    const std::uint64_t end = start + j.payload;
    j.tcp_conn = key;
    j.tcp_start = start;
    c.open[start] = j.skb_id;
    const std::uint64_t fresh_from = c.have_max ? std::max(start, c.max_end) : start;
    j.new_bytes = end > fresh_from ? static_cast<std::uint32_t>(end - fresh_from) : 0;
    if (c.have_max && start < c.max_end) {
        j.retransmit = true; // its sendmsg is long gone: not linked
    } else {
        auto it = c.calls.upper_bound(start);
        if (it != c.calls.begin()) {
            --it;
            if (start < it->second.end) {
                j.visits = it->second.visits;
                j.max_order = 0;
                for (const Visit &v : j.visits)
                    if (const ProbeInfo *pi = probe_info(v.probe))
                        j.max_order = std::max(j.max_order, pi->order);
                j.proto = IPPROTO_TCP;
                j.with_sendmsg = true;
            }
        }
        // calls wholly sent are done
        while (!c.calls.empty() && c.calls.begin()->second.end <= start)
            c.calls.erase(c.calls.begin());
    }
    if (!c.have_max || end > c.max_end)
        c.max_end = end;
    c.have_max = true;
}

void TcpSeq::tx_ended(const TxJourney &j, End how)
{
    TcpTxConn *c = tx(j.tcp_conn);
    if (!c)
        return;
    if (auto o = c->open.find(j.tcp_start); o != c->open.end() && o->second == j.skb_id)
        c->open.erase(o);
    if (how == End::complete && !j.visits.empty()) {
        // a receive journey of these bytes that is not this skb (software GSO made new skbs
        // for the later segments) finds its send side here
        TcpTxConn::Sent &s = c->sent[j.tcp_start];
        static_cast<Handoff &>(s) = j.handoff();
        s.end = j.tcp_start + j.payload;
        while (c->sent.size() > kSentHistory)
            c->sent.erase(c->sent.begin());
    }
}

// --- expiry, end, results --------------------------------------------------------------------

template <class Pred>
void TcpSeq::evict_waiting(Pred pred)
{
    bool any = false;
    for (auto &kv : rx_) {
        for (auto it = kv.second.waiting.begin(); it != kv.second.waiting.end();) {
            if (pred(it->second)) {
                p_.rx.evict(it->second, false);
                it = kv.second.waiting.erase(it);
                any = true;
            } else {
                ++it;
            }
        }
    }
    if (!any)
        return;
    // parked_ names journeys by (conn, end): drop those whose journey left
    erase_if(parked_, [&](const auto &kv) {
        auto c = rx_.find(kv.second.conn);
        if (c == rx_.end())
            return true;
        auto [a, b] = c->second.waiting.equal_range(kv.second.end);
        for (; a != b; ++a)
            if (a->second.skb_id == kv.first)
                return false;
        return true;
    });
}

void TcpSeq::stamps(std::vector<std::uint64_t> &out) const
{
    for (const auto &kv : rx_)
        for (const auto &w : kv.second.waiting)
            out.push_back(w.second.last_ts);
}

void TcpSeq::evict_upto(std::uint64_t cut)
{
    evict_waiting([&](const RxJourney &j) { return j.last_ts <= cut; });
}

void TcpSeq::expire()
{
    const std::uint64_t now = p_.now, age = p_.opts.age_ns, qage = p_.opts.queued_age_ns;
    // Data that waited for its reader longer than the queued age: evicted, counted.
    evict_waiting([&](const RxJourney &j) { return now - j.last_ts > qage; });
    erase_if(control_, [&](const auto &kv) { return now - kv.second.ts > kControlKeepNs; });
    // (an idle connection's sequence space is relearned)
    for (auto &kv : tx_)
        erase_if(kv.second.segmented, [&](const auto &sg) { return now - sg.second.ts > age; });
    erase_if(tx_, [&](const auto &kv) {
        if (now - kv.second.last_ts <= age)
            return false;
        tx_erased(kv.first);
        return true;
    });
    erase_if(rx_, [&](const auto &kv) {
        return kv.second.waiting.empty() && now - kv.second.last_ts > age;
    });
    erase_if(parked_, [&](const auto &kv) { return !rx_.count(kv.second.conn); });
}

void TcpSeq::finish()
{
    for (auto &[key, c] : rx_) {
        for (auto &[end, j] : c.waiting)
            p_.rx.end(j, End::queued_at_end, false); // still in the socket: not lost
        c.waiting.clear();
    }
    parked_.clear();
    control_.clear();
}

std::uint64_t TcpSeq::waiting() const
{
    std::uint64_t n = 0;
    for (const auto &kv : rx_)
        n += kv.second.waiting.size();
    return n;
}

void TcpSeq::add_waiting(std::vector<SocketStats> &out) const
{
    std::unordered_map<std::uint64_t, std::size_t> row;
    for (std::size_t i = 0; i < out.size(); ++i)
        row[out[i].sk_id] = i;
    for (const auto &kv : rx_) {
        auto r = row.find(kv.second.sk_id);
        if (r == row.end() || kv.second.waiting.empty())
            continue;
        SocketStats &s = out[r->second];
        for (const auto &w : kv.second.waiting) {
            const RxJourney &j = w.second;
            ++s.queued_now;
            const Visit *enq = j.enqueue();
            const std::uint64_t since = enq ? enq->ts : j.last_ts;
            if (p_.now > since)
                s.queued_oldest_ns = std::max<std::uint64_t>(s.queued_oldest_ns, p_.now - since);
        }
    }
}

} // namespace nsk::corr
