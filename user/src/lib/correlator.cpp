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
constexpr int kTxFirstSkbOrder = 5;
constexpr int kTxDevQueueOrder = 7; // dev_queue_xmit
// Segments without data ended at tcp_v4_rcv are remembered this long for a drop that follows.
constexpr std::uint64_t kTcpControlKeepNs = 1'000'000'000ULL;

// A TCP connection as one end sees it: family, netns, local and remote endpoint.
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
// The socket's own view (NSK_EF_SOCK).
std::string sock_conn(const nsk_event &ev)
{
    return conn_key(ev, ev.sk_laddr, ev.sk_lport, ev.sk_raddr, ev.sk_rport);
}
// A received packet: its destination is the local end.
std::string rx_conn(const nsk_event &ev)
{
    return conn_key(ev, ev.daddr, ev.dport, ev.saddr, ev.sport);
}
bool is_tcp_seq(const nsk_event &ev)
{
    return (ev.flags & NSK_EF_SEQ) && ev.proto == IPPROTO_TCP;
}
bool is_tcp_rcv(std::uint16_t probe)
{
    return probe == NSK_PROBE_TCP_V4_RCV || probe == NSK_PROBE_TCP_V6_RCV;
}
std::uint32_t tcp_segs(const nsk_event &ev)
{
    return std::max<std::uint32_t>(1, ev.aux >> 16);
}

// Before 5.17 kfree_skb has no reason: the call site says it where the site has one cause
// (named as the kernel names it since 5.17).  Keyed by symbol, with or without a compiler
// suffix (".constprop.0", ".isra.0").  docs/report.md lists them.
std::string reason_from_location(const std::string &location)
{
    static const std::map<std::string, std::string, std::less<>> kSites{
        {"__udp4_lib_rcv", "NO_SOCKET"}, // (or a short/bad-checksum datagram: Udp.InErrors)
        {"__udp6_lib_rcv", "NO_SOCKET"},
        {"__udp_queue_rcv_skb", "SOCKET_RCVBUFF"},
        {"__udpv6_queue_rcv_skb", "SOCKET_RCVBUFF"},
        {"udp_queue_rcv_one_skb", "SOCKET_RCVBUFF"},
        {"udpv6_queue_rcv_one_skb", "SOCKET_RCVBUFF"},
        {"sock_queue_rcv_skb", "SOCKET_RCVBUFF"},
        {"__sock_queue_rcv_skb", "SOCKET_RCVBUFF"},
        {"sk_filter_trim_cap", "SOCKET_FILTER"},
        {"nf_hook_slow", "NETFILTER_DROP"},
        {"ip_rcv_core", "IP_INHDR"},
        {"ipv6_rcv", "IP_INHDR"},
        {"ip_local_deliver_finish", "IP_NOPROTO"},
        {"ip_protocol_deliver_rcu", "IP_NOPROTO"},
    };
    std::string_view sym(location);
    sym = sym.substr(0, sym.find('+'));
    if (auto it = kSites.find(sym); it != kSites.end())
        return it->second;
    if (auto dot = sym.find('.'); dot != std::string_view::npos)
        if (auto it = kSites.find(sym.substr(0, dot)); it != kSites.end())
            return it->second;
    return "";
}
} // namespace

std::uint64_t Correlator::SeqSpace::unwrap(std::uint32_t seq)
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
        case Role::tcp_read:
            tcp_read(r);
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
    } else if (tcp_stage(r, info)) {
        return;
    } else if (auto c = tcp_control_.find(ev.skb_id);
               c != tcp_control_.end() &&
               (info.role == Role::mid || info.role == Role::enqueue) && // FIN: queued
               info.order >
                   (probe_info(c->second.probe) ? probe_info(c->second.probe)->order : 0)) {
        // A segment without data (ended at tcp_v4_rcv) parked in the backlog, or a FIN queued
        // for the reader: its stage pair.
        std::vector<Visit> pair{{c->second.probe, ev.cpu, ev.ctx, c->second.ts},
                                {ev.probe, ev.cpu, ev.ctx, ev.ts_ns}};
        std::size_t accounted = 1;
        account_visits(IPPROTO_TCP, pair, accounted, false);
        c->second = {ev.ts_ns, ev.probe};
        return;
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
    } else if (is_tcp_seq(ev) && (ev.flags & NSK_EF_PKT) && ev.payload) {
        tcp_loop_by_seq(nj, ev);
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
    if (is_tcp_seq(ev) && (ev.flags & NSK_EF_PKT)) {
        j.has_seq = true;
        j.seq = ev.seq;
        j.payload = ev.payload;
        j.segs = tcp_segs(ev);
        if (ev.netns)
            j.conn = rx_conn(ev);
    }
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
    if (j.tcp_read_early && info.role == Role::enqueue) {
        tcp_late_queued(j, ev); // j is gone from journeys_
        return;
    }
    if (j.proto == IPPROTO_TCP && j.has_seq && is_tcp_rcv(ev.probe) && !j.conn.empty()) {
        if (j.payload == 0) {
            // No data (ACK, SYN, FIN, RST): TCP frees it with __kfree_skb (no tracepoint).
            tcp_control_[j.skb_id] = {ev.ts_ns, ev.probe};
            close(j, End::consumed);
        } else {
            tcp_park(j); // j is gone from journeys_
        }
        return;
    }
    if (info.role == Role::enqueue && j.proto == IPPROTO_TCP && !j.has_seq) {
        // Without sequence numbers (older captures) a TCP journey ends when queued.
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
            st.path = tx                                                                ? "tx"
                      : bi && (bi->role == Role::dequeue || bi->role == Role::tcp_read) ? "queue"
                                                                                        : "rx";
        }
        if (b.ts < a.ts)
            ++reversed_stages_;
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
    finish_journey(j, how, reused);
    const std::uint64_t key = j.skb_id;
    journeys_.erase(key); // j is gone from here on
}

void Correlator::finish_journey(Journey &j, End how, bool reused)
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
        if (j.proto == IPPROTO_TCP && j.has_seq) {
            ++rx_.tcp;
            rx_.tcp_segments += j.segs;
            if (j.payload)
                ++rx_.tcp_data;
            if (how == End::dropped && j.payload)
                ++rx_.tcp_data_dropped;
            if (how == End::dropped && j.payload && j.tcp_dup)
                ++rx_.tcp_duplicates;
        }
        if (j.enqueue_idx >= 0 && !j.refused && !j.visits.empty()) {
            const auto &enq = j.visits[static_cast<std::size_t>(j.enqueue_idx)];
            const auto first = j.visits.front().ts;
            total_rx_.add(enq.ts >= first ? enq.ts - first : 0);
            const ProbeInfo *li = probe_info(j.visits.back().probe);
            if (how == End::complete && li &&
                (li->role == Role::dequeue || li->role == Role::tcp_read)) {
                const auto deq = j.visits.back().ts;
                total_queue_.add(deq >= enq.ts ? deq - enq.ts : 0);
                total_rx_user_.add(deq >= first ? deq - first : 0);
                if (j.looped)
                    total_e2e_.add(deq >= j.e2e_start ? deq - j.e2e_start : 0);
            }
        } else if (how == End::complete && j.looped && !j.visits.empty() && j.has_seq) {
            // TCP data that skipped tcp_queue_rcv (coalesced in the backlog, out of order)
            const auto deq = j.visits.back().ts, first = j.visits.front().ts;
            total_e2e_.add(deq >= j.e2e_start ? deq - j.e2e_start : 0);
            total_rx_user_.add(deq >= first ? deq - first : 0);
        }
    }
}

void Correlator::handle_consume(const Record &r)
{
    if (!r.ev.skb_id)
        return;
    handoff_.erase(r.ev.skb_id); // freed after the driver took it: no loopback continuation
    if (auto t = tx_journeys_.find(r.ev.skb_id); t != tx_journeys_.end()) {
        TxJourney &j = t->second;
        if (j.has_seq && j.segs > 1 && j.payload && !j.tcp_conn.empty() && !j.gso_child &&
            j.max_order >= kTxFirstSkbOrder - 1 && j.max_order <= kTxDevQueueOrder) {
            // Segmented in software before the driver (its segments are new skbs): freed here,
            // it goes on with its first segment (tcp_gso_segment).
            j.last_ts = r.ev.ts_ns;
            j.segmented = true;
            return;
        }
        tx_close(j, End::consumed);
    }
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
    bool by_location = false;
    // No reason from the kernel (before 5.17): the call site's, else UNKNOWN.
    auto fill_reason = [&] {
        if (!reason.empty())
            return;
        if (!(ev.flags & NSK_EF_HAS_REASON))
            reason = reason_from_location(location);
        by_location = !reason.empty();
        if (reason.empty())
            reason = "UNKNOWN";
    };

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
            d.by_location = by_location;
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
        fill_reason();
        if (!t.proto && ev.family && ev.proto)
            t.proto = ev.proto;
        add_drop(t.visits.empty() ? "" : name_of(t.visits.back().probe), t.proto);
        tx_close(t, End::dropped);
        return;
    }
    if (tit != tx_journeys_.end())
        tx_close(tit->second, End::dropped); // the receive journey below records the drop
    if (it == journeys_.end()) {
        fill_reason();
        if (tcp_drop(r, reason, location))
            return;
        std::string stage;
        if (auto c = ev.skb_id ? tcp_control_.find(ev.skb_id) : tcp_control_.end();
            c != tcp_control_.end()) {
            // a segment without data, ended at tcp_v4_rcv, freed with a drop after all
            if (rx_.consumed)
                --rx_.consumed;
            ++rx_.dropped;
            stage = name_of(c->second.probe);
            tcp_control_.erase(c);
        }
        add_drop(stage, ev.family ? ev.proto : 0);
        return;
    }
    Journey &j = it->second;
    if ((reason.empty() || reason == "NOT_SPECIFIED") && !j.pending_reason.empty())
        reason = j.pending_reason;
    fill_reason();
    if (!j.proto && ev.family && ev.proto)
        j.proto = ev.proto;
    add_drop(j.visits.empty() ? "" : name_of(j.visits.back().probe), j.proto);
    if (j.tcp_dup && j.payload) {
        // a copy of bytes the reader already has (see tcp_park)
        if (auto c = tcp_rx_.find(j.conn); c != tcp_rx_.end())
            tcp_socket_drop(j, c->second.sk_id, reason);
    }
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
    for (auto it = tcp_control_.begin(); it != tcp_control_.end();) {
        if (now_ - it->second.ts > kTcpControlKeepNs)
            it = tcp_control_.erase(it);
        else
            ++it;
    }
    for (auto it = tcp_tx_.begin(); it != tcp_tx_.end();) {
        if (now_ - it->second.last_ts > opts_.age_ns) // the sequence space is relearned
            it = tcp_tx_.erase(it);
        else
            ++it;
    }
    for (auto it = tcp_rx_.begin(); it != tcp_rx_.end();) {
        if (it->second.waiting.empty() && now_ - it->second.last_ts > opts_.age_ns)
            it = tcp_rx_.erase(it);
        else
            ++it;
    }
    for (auto it = tcp_parked_.begin(); it != tcp_parked_.end();) {
        if (!tcp_rx_.count(it->second.conn))
            it = tcp_parked_.erase(it);
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
    for (auto &[key, c] : tcp_rx_) {
        for (auto &[end, j] : c.waiting)
            finish_journey(j, End::queued_at_end, false); // still in the socket: not lost
        c.waiting.clear();
    }
    tcp_parked_.clear();
    tcp_control_.clear();
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
    if (ev.probe == NSK_PROBE_TCP_SENDMSG_LOCKED && (ev.flags & NSK_EF_SEQ)) {
        // The bytes this call appends start at write_seq: segments find their sendmsg by it.
        if (!fresh && info.order <= p.max_order)
            p = PendingSend{}; // its own sock_sendmsg/tcp_sendmsg were not seen
        p.visits.push_back(v);
        PendingSend done = std::move(p);
        pending_send_.erase(it);
        tcp_send_call(r, std::move(done));
        return;
    }
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
    } else if (tcp_gso_segment(r, info)) {
        return;
    }
    TxJourney j;
    j.serial = ++serial_;
    j.skb_id = ev.skb_id;
    j.sk_id = ev.sk_id;
    j.partial = info.order > kTxFirstSkbOrder;
    if (is_tcp_seq(ev)) {
        tcp_tx_learn(j, ev); // by sequence number, whatever task or context sends it
    } else if ((ev.flags & NSK_EF_TASK) && ev.sk_id) {
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
        if (j.gso_child && how == End::complete)
            ++tx_.tcp_gso_children;
        if (j.has_seq) {
            ++tx_.tcp;
            if (how == End::complete) {
                tx_.tcp_segments += j.segs;
                if (j.payload && j.retransmit)
                    ++tx_.tcp_retransmits;
                tx_.tcp_bytes += j.new_bytes;
            }
            if (j.payload)
                ++tx_.tcp_data;
        }
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
                if (j.has_seq)
                    s.tx_bytes += j.new_bytes;
            }
        }
    }
    if (how == End::complete && !j.visits.empty())
        handoff_[j.skb_id] = {j.visits.front().ts, j.visits.back().ts, j.visits.back().probe};
    if (!j.tcp_conn.empty()) {
        if (auto c = tcp_tx_.find(j.tcp_conn); c != tcp_tx_.end()) {
            if (auto o = c->second.open.find(j.tcp_start);
                o != c->second.open.end() && o->second == j.skb_id)
                c->second.open.erase(o);
            if (how == End::complete && !j.visits.empty()) {
                // a receive journey of these bytes that is not this skb (software GSO made
                // new skbs for the later segments) finds its send side here
                auto &sent = c->second.sent;
                sent[j.tcp_start] = {j.tcp_start + j.payload, j.visits.front().ts,
                                     j.visits.back().ts, j.visits.back().probe};
                while (sent.size() > 4096)
                    sent.erase(sent.begin());
            }
        }
    }
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
    for (const auto &kv : tcp_rx_)
        c.in_flight += kv.second.waiting.size();
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
    // TCP data waiting in receive queues right now
    std::unordered_map<std::uint64_t, std::size_t> row;
    for (std::size_t i = 0; i < out.size(); ++i)
        row[out[i].sk_id] = i;
    for (const auto &kv : tcp_rx_) {
        auto r = row.find(kv.second.sk_id);
        if (r == row.end() || kv.second.waiting.empty())
            continue;
        SocketStats &s = out[r->second];
        for (const auto &w : kv.second.waiting) {
            const Journey &j = w.second;
            ++s.queued_now;
            const std::uint64_t since = j.enqueue_idx >= 0
                                            ? j.visits[static_cast<std::size_t>(j.enqueue_idx)].ts
                                            : j.last_ts;
            if (now_ > since)
                s.queued_oldest_ns = std::max<std::uint64_t>(s.queued_oldest_ns, now_ - since);
        }
    }
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

// --- TCP by sequence number ------------------------------------------------------------------

namespace nsk {

void Correlator::tcp_park(Journey &j)
{
    TcpRxConn &c = tcp_rx_[j.conn];
    c.last_ts = j.last_ts;
    const std::uint64_t end = c.seq.unwrap(j.seq) + j.payload;
    j.tcp_end = end;
    if (c.have_copied && end <= c.copied) {
        // Already read: TCP drops this copy, the drop finds it in journeys_.  Unless its records
        // reached the tool after the read's (a late batch: the reorder window had passed), then
        // TCP queues it and tcp_late_queued() completes it with the read that passed its end.
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
    tcp_parked_[skb] = {j.conn, end};
    c.waiting.emplace(end, std::move(j));
    journeys_.erase(skb);
}

// The parked journey of an skb (its data may since have been coalesced with later data: found
// by skb and the key it was parked with, not by the event's sequence range).
std::multimap<std::uint64_t, Correlator::Journey>::iterator
Correlator::tcp_find_parked(std::uint64_t skb_id, TcpRxConn **conn)
{
    *conn = nullptr;
    auto pit = tcp_parked_.find(skb_id);
    if (pit == tcp_parked_.end())
        return {};
    auto cit = tcp_rx_.find(pit->second.conn);
    if (cit == tcp_rx_.end()) {
        tcp_parked_.erase(pit);
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
    tcp_parked_.erase(pit); // stale
    return {};
}

// A later stage (tcp_add_backlog, tcp_queue_rcv) of a parked data segment.
bool Correlator::tcp_stage(const Record &r, const ProbeInfo &info)
{
    const nsk_event &ev = r.ev;
    if (info.role == Role::start)
        return false;
    TcpRxConn *c = nullptr;
    auto it = tcp_find_parked(ev.skb_id, &c);
    if (!c)
        return false;
    Journey &j = it->second;
    if (info.order <= j.max_order) {
        j.last_ts = ev.ts_ns; // repeated stage: keep the first
        return true;
    }
    append(j, r, info);
    if (info.role == Role::enqueue && ev.sk_id)
        c->sk_id = ev.sk_id;
    c->last_ts = ev.ts_ns;
    return true;
}

// tcp_cleanup_rbuf: the reader copied every byte below copied_seq.
void Correlator::tcp_read(const Record &r)
{
    const nsk_event &ev = r.ev;
    if (!(ev.flags & NSK_EF_SEQ) || !(ev.flags & NSK_EF_SOCK) || !ev.sk_id || !ev.family)
        return;
    SocketStats &s = socket(ev, ev.sk_id);
    learn_socket(s, ev, true);
    if (!s.proto)
        s.proto = IPPROTO_TCP;
    const std::string key = sock_conn(ev);
    TcpRxConn &c = tcp_rx_[key];
    c.sk_id = ev.sk_id;
    c.last_ts = ev.ts_ns;
    const std::uint64_t copied = c.seq.unwrap(ev.seq);
    // Bytes copied: copied_seq's advance, but at most what the call says it copied (reading
    // the FIN advances copied_seq by one without a byte; MSG_PEEK copies without advancing).
    const std::uint64_t said = static_cast<std::int32_t>(ev.payload) > 0 ? ev.payload : 0;
    std::uint64_t bytes = said; // first read seen: what this call copied
    if (c.have_copied)
        bytes = std::min(said, copied > c.copied ? copied - c.copied : 0);
    if (!c.have_copied || copied > c.copied)
        c.copied = copied;
    c.have_copied = true;
    if (bytes) {
        s.rx_bytes += bytes;
        rx_.tcp_bytes += bytes;
        s.active = true;
    }
    const Visit v{ev.probe, ev.cpu, ev.ctx, ev.ts_ns};
    if (bytes || c.reads.empty() || copied > c.reads.back().first) {
        c.reads.emplace_back(copied, v);
        if (c.reads.size() > kTcpReadHistory)
            c.reads.pop_front();
    }
    for (auto it = c.waiting.begin(); it != c.waiting.end() && it->first <= copied;) {
        Journey &j = it->second;
        if (auto p = tcp_parked_.find(j.skb_id);
            p != tcp_parked_.end() && p->second.end == it->first && p->second.conn == key)
            tcp_parked_.erase(p);
        tcp_deliver(j, v, ev);
        finish_journey(j, End::complete, false);
        it = c.waiting.erase(it);
    }
}

// A data segment's bytes reached the reader (the read `v` moved copied_seq past its end).
void Correlator::tcp_deliver(Journey &j, const Visit &v, const nsk_event &ev)
{
    if (!j.sk_id)
        j.sk_id = ev.sk_id;
    j.visits.push_back(v);
    j.max_order = std::max(j.max_order, probe_info(v.probe) ? probe_info(v.probe)->order : 0);
    j.last_ts = std::max(j.last_ts, v.ts);
    SocketStats &o = socket(ev, ev.sk_id);
    if (j.enqueue_idx < 0)
        ++o.enqueued; // reached the socket without tcp_queue_rcv (backlog coalescing, ofo)
    ++o.dequeued;
    o.active = true;
    if (j.enqueue_idx >= 0) {
        const auto &enq = j.visits[static_cast<std::size_t>(j.enqueue_idx)];
        o.queue.add(v.ts >= enq.ts ? v.ts - enq.ts : 0);
    }
}

// A segment whose end the reader had passed (in the order records reached the tool) was queued
// by TCP after all: its records came late.  Not a duplicate: complete it with the read that
// passed its end (the earliest remembered; the newest if that one is no longer remembered).
void Correlator::tcp_late_queued(Journey &j, const nsk_event &ev)
{
    j.tcp_dup = false;
    j.tcp_read_early = false;
    auto cit = tcp_rx_.find(j.conn);
    if (cit == tcp_rx_.end() || cit->second.reads.empty())
        return; // (no read remembered: it stays queued, as before)
    TcpRxConn &c = cit->second;
    const auto *read = &c.reads.back();
    for (const auto &r : c.reads)
        if (r.first >= j.tcp_end) {
            read = &r;
            break;
        }
    nsk_event rev = ev;
    rev.sk_id = c.sk_id ? c.sk_id : ev.sk_id;
    ++rx_.tcp_late_queued;
    tcp_deliver(j, read->second, rev);
    close(j, End::complete);
}

// Data lost to a TCP socket (its receive path refused or discarded it).
void Correlator::tcp_socket_drop(const Journey &j, std::uint64_t sk_id, const std::string &reason)
{
    if (!sk_id)
        return;
    auto st = sockets_.find(sk_id);
    if (st == sockets_.end())
        return;
    SocketStats &s = st->second;
    s.active = true;
    if (j.tcp_dup) {
        ++s.tcp_duplicates; // no data lost: the bytes are in the socket already
        return;
    }
    if (j.enqueue_idx < 0)
        ++s.enqueued; // arrived for this socket
    ++s.drops[reason];
    ++s.drops_total;
    s.active = true;
}

bool Correlator::tcp_drop(const Record &r, const std::string &reason, const std::string &location)
{
    const nsk_event &ev = r.ev;
    if (!ev.skb_id)
        return false;
    TcpRxConn *cp = nullptr;
    auto found = tcp_find_parked(ev.skb_id, &cp);
    if (!cp)
        return false;
    TcpRxConn &c = *cp;
    Journey &j = found->second;
    auto &d = drop_table_[{reason, location}];
    if (d.count == 0) {
        d.reason = reason;
        d.location = location;
        d.stage = j.visits.empty() ? "" : name_of(j.visits.back().probe);
        d.proto = proto_name(IPPROTO_TCP);
    }
    ++d.count;
    tcp_socket_drop(j, j.sk_id ? j.sk_id : c.sk_id, reason);
    tcp_parked_.erase(ev.skb_id);
    finish_journey(j, End::dropped, false);
    c.waiting.erase(found);
    return true;
}

// tcp_sendmsg_locked: the call's bytes are [write_seq, write_seq + size).
void Correlator::tcp_send_call(const Record &r, PendingSend &&p)
{
    const nsk_event &ev = r.ev;
    if (!(ev.flags & NSK_EF_SOCK) || !ev.family)
        return;
    TcpTxConn &c = tcp_tx_[sock_conn(ev)];
    c.last_ts = ev.ts_ns;
    const std::uint64_t start = c.seq.unwrap(ev.seq);
    TcpSendCall &call = c.calls[start];
    call.visits = std::move(p.visits);
    call.end = start + ev.payload;
    SocketStats &s = socket(ev, ev.sk_id);
    learn_socket(s, ev, true);
    if (!s.proto)
        s.proto = IPPROTO_TCP;
    ++s.tx_calls;
    if (ev.flags & NSK_EF_TASK) {
        auto &t = s.tx_by_pid[ev.pid];
        ++t.calls;
        t.bytes += ev.payload;
        t.comm = bounded_string(ev.comm, sizeof(ev.comm));
    }
}

// The first event of a TCP send journey: which sendmsg made its first byte, or a retransmission.
void Correlator::tcp_tx_learn(TxJourney &j, const nsk_event &ev)
{
    j.has_seq = true;
    j.seq = ev.seq;
    j.payload = ev.payload;
    j.segs = tcp_segs(ev);
    if (!ev.family || !j.payload)
        return;
    std::string key;
    if (ev.flags & NSK_EF_PKT)
        key = conn_key(ev, ev.saddr, ev.sport, ev.daddr, ev.dport);
    else if (ev.flags & NSK_EF_SOCK)
        key = sock_conn(ev);
    else
        return;
    TcpTxConn &c = tcp_tx_[key];
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

} // namespace nsk

namespace nsk {

// dev_hard_start_xmit with an skb no send journey knows: on a device without the GSO type the
// kernel segmented the TCP skb in software (validate_xmit_skb) and hands the driver a list of
// new skbs, the first of which starts at the same sequence number.  That completes the
// segmented skb's journey; the other segments appear only on the receive side (loopback).
bool Correlator::tcp_gso_segment(const Record &r, const ProbeInfo &info)
{
    const nsk_event &ev = r.ev;
    if (!is_tcp_seq(ev) || !(ev.flags & NSK_EF_PKT) || !ev.payload ||
        info.order <= kTxFirstSkbOrder - 1)
        return false;
    auto c = tcp_tx_.find(conn_key(ev, ev.saddr, ev.sport, ev.daddr, ev.dport));
    if (c == tcp_tx_.end() || c->second.open.empty())
        return false;
    TcpTxConn &conn = c->second;
    const std::uint64_t start = conn.seq.unwrap(ev.seq);
    auto o = conn.open.upper_bound(start);
    if (o == conn.open.begin())
        return false;
    --o;
    auto t = tx_journeys_.find(o->second);
    if (t == tx_journeys_.end() || t->second.max_order >= info.order)
        return false;
    TxJourney &p = t->second;
    if (start >= p.tcp_start + p.payload)
        return false;
    if (start == p.tcp_start) {
        // Its first segment: the journey goes on under the segment's skb.  A segmented skb
        // must have been freed; one that was not is not this skb's parent.
        if (!p.segmented && info.role != Role::tx_end)
            return false;
        TxJourney moved = std::move(p);
        tx_journeys_.erase(t);
        const std::uint64_t old_id = moved.skb_id;
        moved.skb_id = ev.skb_id;
        o->second = ev.skb_id;
        auto [it, inserted] = tx_journeys_.insert_or_assign(ev.skb_id, std::move(moved));
        (void)inserted;
        tx_append(it->second, r, info); // (completes it at the driver)
        if (auto h = handoff_.find(old_id); h != handoff_.end() && old_id != ev.skb_id) {
            handoff_[ev.skb_id] = h->second; // the first segment continues on loopback
            handoff_.erase(old_id);
        }
        return true;
    }
    if (!p.segmented)
        return false;
    // A later segment: its own journey from here, with its parent's earlier stages; its bytes
    // and segments are counted with the parent.
    TxJourney child;
    child.serial = ++serial_;
    child.skb_id = ev.skb_id;
    child.sk_id = p.sk_id;
    child.visits = p.visits;
    child.max_order = p.max_order;
    child.accounted = p.visits.size(); // the parent accounted its own stage pairs
    child.proto = IPPROTO_TCP;
    child.gso_child = true;
    child.last_ts = ev.ts_ns;
    auto [it, inserted] = tx_journeys_.insert_or_assign(ev.skb_id, std::move(child));
    (void)inserted;
    tx_append(it->second, r, info);
    return true;
}

// A received TCP segment with no send journey of its own skb: a later segment of a skb the
// kernel segmented in software.  The bytes say which send journey it belongs to.
void Correlator::tcp_loop_by_seq(Journey &j, const nsk_event &ev)
{
    auto c = tcp_tx_.find(conn_key(ev, ev.saddr, ev.sport, ev.daddr, ev.dport));
    if (c == tcp_tx_.end() || c->second.sent.empty())
        return;
    const std::uint64_t start = c->second.seq.unwrap(ev.seq);
    auto it = c->second.sent.upper_bound(start);
    if (it == c->second.sent.begin())
        return;
    --it;
    if (start >= it->second.end)
        return;
    j.looped = true;
    j.e2e_start = it->second.first_ts;
    j.xmit_ts = it->second.xmit_ts;
    j.xmit_probe = it->second.xmit_probe;
}

} // namespace nsk
