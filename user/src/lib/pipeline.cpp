#include "nsk/pipeline.hpp"

#include <algorithm>

namespace nsk {

Tally &Tally::operator-=(const Tally &o)
{
    events -= o.events;
    rx_packets -= o.rx_packets;
    tx_packets -= o.tx_packets;
    drops -= o.drops;
    return *this;
}

Tally tally(const Correlator &c)
{
    Tally t;
    t.events = c.events();
    for (const auto &s : c.sockets()) {
        t.rx_packets += s.rx_packets();
        t.tx_packets += s.tx_packets;
    }
    for (const auto &kv : c.pruned_sockets().groups) { // (sockets pruned from the table)
        t.rx_packets += kv.second.sum.rx_packets();
        t.tx_packets += kv.second.sum.tx_packets;
    }
    for (const auto &d : c.drops())
        t.drops += d.count;
    return t;
}

Pipeline::Pipeline(PipelineOptions opts)
    : opts_(opts), reorder_(opts.reorder_window_ns,
                            opts.reorder_window_ns * std::max(opts.reorder_window_growth, 1u)),
      correlator_(opts.correlator)
{}

void Pipeline::on_batch(std::uint32_t cpu, std::uint64_t seq, std::uint32_t count,
                        const std::uint8_t *data, std::size_t len)
{
    decoder_.on_batch(cpu, seq, count, data, len, reorder_); // straight into the CPU's FIFO
    release(reorder_.release_mark());
}

void Pipeline::release(std::uint64_t watermark, bool all)
{
    const auto sink = [this](const Record &r) { process(r); };
    // Cuts are taken in event time: everything before a cut's ts first, then the tally.
    for (; pending_ < cuts_.size() && (all || cuts_[pending_].ts <= watermark); ++pending_) {
        Cut &c = cuts_[pending_];
        reorder_.release_until(c.ts, sink);
        c.before = tally(correlator_);
        c.done = true;
    }
    if (all)
        reorder_.flush(sink);
    else
        reorder_.release_until(watermark, sink);
}

void Pipeline::cut(std::uint64_t ts)
{
    Cut c{ts, true, false, Tally{}};
    if (!cuts_.empty() && ts < cuts_.back().ts) { // the kernel sends them in order; be safe
        c.ts = cuts_.back().ts;
        c.exact = false;
    }
    // Records at or after ts were processed already (the message came late): split here.
    // (No earlier cut can still be waiting then: it would be later than everything released.)
    if (reorder_.released_any() && reorder_.released_ts() >= c.ts && pending_ == cuts_.size()) {
        c.exact = false;
        c.before = tally(correlator_);
        c.done = true;
        ++pending_;
    }
    cuts_.push_back(c);
}

std::vector<Period> Pipeline::periods() const
{
    const Tally now = tally(correlator_);
    std::vector<Period> out(cuts_.size() + 1);
    Tally start{}; // totals when period i began
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (i > 0) {
            out[i].from_ts = cuts_[i - 1].ts;
            out[i].exact = cuts_[i - 1].exact;
            if (!cuts_[i - 1].done)
                continue; // processing has not reached it: nothing in it yet
        }
        const Tally end = i < cuts_.size() && cuts_[i].done ? cuts_[i].before : now;
        out[i].counts = end;
        out[i].counts -= start;
        start = end;
    }
    return out;
}

void Pipeline::tick(std::uint64_t now_mono_ns, bool reader_behind)
{
    const std::uint64_t lag = reorder_.window_ns() + opts_.idle_slack_ns; // (the window now)
    if (!reader_behind && now_mono_ns > lag) {
        const std::uint64_t watermark = now_mono_ns - lag;
        release(watermark);
        if (reorder_.size() == 0 && watermark > correlator_.now())
            correlator_.advance_time(watermark);
    }
}

void Pipeline::finish(const std::map<std::uint32_t, std::uint64_t> &final_sent)
{
    release(0, true);
    correlator_.finish();
    decoder_.finish(final_sent);
}

} // namespace nsk
