// The correlator's facade: each record goes to the unit that owns its job, the sweep asks each
// unit to expire its own state, and the results are gathered from the units.
#include "nsk/correlator.hpp"

#include "correlate/parts.hpp"

#include <algorithm>
#include <array>

namespace nsk {

namespace {
// Between sweeps, socket churn may take the table this far past its bound before it is pruned
// back (each prune is linear in the table, so this keeps the cost per new socket constant).
std::uint64_t socket_ceiling(std::uint64_t max_sockets)
{
    return max_sockets + max_sockets / 4 + 16;
}

// The probe table's rows by id, one load per record instead of a call into probes.cpp
// (probe_info() is the one source: this copies its answers once).
class ProbeRows {
public:
    ProbeRows()
    {
        for (std::size_t id = 0; id < rows_.size(); ++id)
            rows_[id] = probe_info(static_cast<std::uint16_t>(id));
    }
    /// The row of a known id (id <= NSK_PROBE_MAX).
    const ProbeInfo *operator[](std::uint16_t id) const { return rows_[id]; }

private:
    std::array<const ProbeInfo *, NSK_PROBE_MAX + 1> rows_{};
};
const ProbeRows kRows;

// The roles that are neither a journey's stage nor its end (a reader, the driver's return,
// GRO's verdict, socket buffer events): out of line, so that process(), run for every
// record, stays small (inlined here, the hash table code of forget_pending() made it save
// and restore registers for every record).
[[gnu::noinline]] void other_role(corr::Parts &p, const Record &r, const ProbeInfo &info)
{
    const nsk_event &ev = r.ev;
    switch (info.role) {
    case Role::reader:
        if (ev.sk_id && (ev.flags & NSK_EF_TASK))
            p.tx.forget_pending(ev.tid, ev.sk_id); // a reader is not a sender's skb
        if (ev.sk_id)
            p.sockets.seen(ev, ev.sk_id, true, info.proto_hint);
        if (info.proto_hint == IPPROTO_TCP)
            p.tcp.call_entry(ev);
        break;
    case Role::tcp_read:
        p.tcp.read(r);
        break;
    case Role::gro_exit:
        if (ev.aux == 1)
            p.rx.gro_merged(ev.skb_id);
        break;
    case Role::xmit_done:
        p.tx.xmit_done(r);
        break;
    case Role::exceed_buf:
    case Role::fail_queue:
        p.sockets.buffer_event(ev, info.proto_hint, info.role == Role::exceed_buf);
        break;
    default: // (the facade's own cases)
        break;
    }
}
} // namespace

using corr::DropCause;
using corr::RxJourney;
using corr::TxJourney;

Correlator::Correlator(CorrelatorOptions opts) : p_(std::make_unique<corr::Parts>(opts))
{
    p_->socket_ceiling = socket_ceiling(opts.max_sockets);
}
Correlator::~Correlator() = default;
Correlator::Correlator(Correlator &&) noexcept = default;
Correlator &Correlator::operator=(Correlator &&) noexcept = default;

void Correlator::process(const Record &r)
{
    const nsk_event &ev = r.ev;
    corr::Parts &p = *p_;
    ++events_;
    p.now = std::max<std::uint64_t>(p.now, ev.ts_ns);
    p.sockets.set_now(p.now);
    const ProbeInfo *info;
    if (ev.probe <= NSK_PROBE_MAX) {
        ++probes_seen_[ev.probe];
        info = kRows[ev.probe];
    } else {
        info = other_probe(ev.probe);
    }
    if (info) {
        switch (info->role) {
        case Role::start:
        case Role::mid:
        case Role::enqueue:
        case Role::dequeue:
            p.rx.stage(r, *info);
            break;
        case Role::tx_sock:
            p.tx.sock(r, *info);
            break;
        case Role::tx:
        case Role::tx_end:
            p.tx.stage(r, *info);
            break;
        case Role::consume:
            on_consume(r);
            break;
        case Role::drop:
        case Role::queue_full:
            on_drop(r, *info);
            break;
        case Role::reader:
        case Role::tcp_read:
        case Role::gro_exit:
        case Role::xmit_done:
        case Role::exceed_buf:
        case Role::fail_queue:
            other_role(p, r, *info);
            break;
        case Role::none:
            break;
        }
    }
    if (p.now - last_sweep_ >= p.opts.sweep_ns)
        sweep();
    else if (p.sockets.entries() > p.socket_ceiling)
        p.sockets.prune(p.opts.socket_age_ns, p.opts.max_sockets); // (churn between sweeps)
}

const ProbeInfo *Correlator::other_probe(std::uint16_t id)
{
    ++other_probes_seen_[id];
    return probe_info(id);
}

void Correlator::on_consume(const Record &r)
{
    if (!r.ev.skb_id)
        return;
    if (p_->tx.consumed(r))
        return; // (a segmented skb: not the end of anything)
    p_->rx.consumed(r.ev.skb_id);
}

void Correlator::on_drop(const Record &r, const ProbeInfo &info)
{
    const nsk_event &ev = r.ev;
    corr::Parts &p = *p_;
    DropCause cause(r);
    if (info.role == Role::queue_full) {
        // A marker: the kfree_skb that follows is the drop.
        p.sockets.queue_full(ev);
        p.rx.queue_full(ev.skb_id, cause.reason);
        return;
    }
    if (ev.skb_id)
        p.tx.forget_handoff(ev.skb_id);
    RxJourney *j = ev.skb_id ? p.rx.find(ev.skb_id) : nullptr;
    TxJourney *t = ev.skb_id ? p.tx.find(ev.skb_id) : nullptr;
    if (!j && t) {
        p.tx.dropped(*t, r, cause); // dropped on the way down
        return;
    }
    if (t)
        p.tx.close(*t, corr::End::dropped); // the receive journey below records the drop
    if (j) {
        p.rx.dropped(*j, r, cause);
        return;
    }
    cause.fill(ev);
    if (p.tcp.drop(r, cause))
        return;
    std::string stage;
    p.tcp.control_dropped(ev.skb_id, stage);
    p.drops.add(cause, stage, ev.family ? ev.proto : 0, true, &ev);
}

void Correlator::sweep()
{
    last_sweep_ = p_->now;
    p_->rx.expire();
    p_->tx.expire();
    p_->tcp.expire();
    bound_journeys();
    p_->sockets.set_now(p_->now);
    p_->sockets.prune(p_->opts.socket_age_ns, p_->opts.max_sockets);
}

void Correlator::bound_journeys()
{
    corr::Parts &p = *p_;
    const std::size_t open = p.rx.open() + p.tx.open() + p.tcp.waiting();
    if (open <= p.opts.max_journeys)
        return;
    // The oldest beyond the bound go (all of those at the cut's timestamp: a few more at most).
    std::vector<std::uint64_t> stamps;
    stamps.reserve(open);
    p.rx.stamps(stamps);
    p.tx.stamps(stamps);
    p.tcp.stamps(stamps);
    const std::size_t excess = stamps.size() - static_cast<std::size_t>(p.opts.max_journeys);
    std::nth_element(stamps.begin(), stamps.begin() + static_cast<std::ptrdiff_t>(excess - 1),
                     stamps.end());
    const std::uint64_t cut = stamps[excess - 1];
    p.rx.evict_upto(cut);
    p.tx.evict_upto(cut);
    p.tcp.evict_upto(cut);
}

void Correlator::advance_time(std::uint64_t now_ns)
{
    if (now_ns > p_->now)
        p_->now = now_ns;
    sweep();
}

void Correlator::finish()
{
    p_->rx.finish();
    p_->tx.finish();
    p_->tcp.finish();
    // The final report honours the bound as well: what came in since the last sweep is pruned.
    p_->sockets.prune(p_->opts.socket_age_ns, p_->opts.max_sockets);
}

// --- results ---------------------------------------------------------------------------------

const std::map<std::uint32_t, std::uint64_t> &Correlator::forwarded_by_netns() const
{
    return p_->rx.forwarded_by_netns();
}

const JourneyCounts &Correlator::rx_journeys() const
{
    return p_->rx.counts();
}
const JourneyCounts &Correlator::tx_journeys() const
{
    return p_->tx.counts();
}
JourneyCounts Correlator::rx_journeys_now() const
{
    return p_->rx.counts_now();
}
JourneyCounts Correlator::tx_journeys_now() const
{
    return p_->tx.counts_now();
}
const Histogram &Correlator::total_tx() const
{
    return p_->tx.total();
}
const Histogram &Correlator::total_end_to_end() const
{
    return p_->rx.total_end_to_end();
}
const Histogram &Correlator::total_rx() const
{
    return p_->rx.total();
}
const Histogram &Correlator::total_queue() const
{
    return p_->rx.total_queue();
}
const Histogram &Correlator::total_rx_to_user() const
{
    return p_->rx.total_to_user();
}
std::uint64_t Correlator::fanout_rejected() const
{
    return p_->rx.fanout_rejected();
}
std::uint64_t Correlator::reversed_stages() const
{
    return p_->stages.reversed();
}
std::uint64_t Correlator::now() const
{
    return p_->now;
}

std::uint64_t Correlator::incomplete_loss() const
{
    return p_->rx.counts().incomplete + p_->tx.counts().incomplete;
}

std::uint64_t Correlator::open_journeys() const
{
    return p_->rx.open() + p_->tcp.waiting();
}

std::uint64_t Correlator::evicted_journeys() const
{
    return p_->rx.counts().evicted + p_->tx.counts().evicted;
}

void Correlator::set_probe_names(std::map<std::uint16_t, std::string> names)
{
    p_->names = std::move(names);
}

std::vector<StageStat> Correlator::stages() const
{
    return p_->stages.sorted();
}

std::vector<SocketStats> Correlator::sockets() const
{
    std::vector<SocketStats> out = p_->sockets.reported();
    p_->tcp.add_waiting(out); // TCP data waiting in receive queues right now
    corr::SocketTable::sort(out);
    return out;
}

const PrunedSockets &Correlator::pruned_sockets() const
{
    return p_->sockets.pruned();
}

std::vector<std::uint32_t> Correlator::reader_pids() const
{
    return p_->sockets.reader_pids();
}

std::size_t Correlator::socket_entries() const
{
    return p_->sockets.entries();
}

std::vector<DropStat> Correlator::drops() const
{
    return p_->drops.sorted();
}

std::map<std::string, std::uint64_t> Correlator::probes_seen() const
{
    std::map<std::string, std::uint64_t> out;
    for (std::size_t id = 0; id < probes_seen_.size(); ++id)
        if (const std::uint64_t n = probes_seen_[id])
            out[p_->name_of(static_cast<std::uint16_t>(id))] += n;
    for (const auto &[id, n] : other_probes_seen_)
        out[p_->name_of(id)] += n;
    return out;
}

} // namespace nsk
