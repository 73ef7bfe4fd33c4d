// Pipeline: batches -> decoder -> reorder buffer -> correlator.  Kernel-free, so tests drive it
// with synthetic batches exactly as the live collector does with netlink messages.
#pragma once

#include "nsk/correlator.hpp"
#include "nsk/decoder.hpp"
#include "nsk/reorder.hpp"

#include <cstdint>
#include <map>
#include <vector>

namespace nsk {

/// Measured totals of what the correlator has processed: what sampled estimates scale.
struct Tally {
    std::uint64_t events = 0;     // records processed
    std::uint64_t rx_packets = 0; // accepted by a reported socket's queue
    std::uint64_t tx_packets = 0; // send journeys of reported sockets that reached the driver
    std::uint64_t drops = 0;      // drop records (all reasons and locations)
    Tally &operator-=(const Tally &o);
};
Tally tally(const Correlator &c);

/// A sampling period: records with from_ts <= ts_ns < the next period's from_ts.
struct Period {
    std::uint64_t from_ts = 0;
    Tally counts;      // measured in this period so far
    bool exact = true; // false: the split came after records of the next period were processed
};

struct PipelineOptions {
    std::uint64_t reorder_window_ns = 300'000'000ULL; // event time
    // A record that arrives after the window (a late batch) widens it, up to this many times
    // reorder_window_ns (1: fixed).  See ReorderBuffer.
    std::uint32_t reorder_window_growth = 10;
    // When idle, records older than now - window - idle_slack (CLOCK_MONOTONIC, the clock of
    // ts_ns) are released too, so interval reports do not wait for the next packet.
    std::uint64_t idle_slack_ns = 1'000'000'000ULL;
    CorrelatorOptions correlator;
};

class Pipeline {
public:
    explicit Pipeline(PipelineOptions opts = {});

    void on_batch(std::uint32_t cpu, std::uint64_t seq, std::uint32_t count,
                  const std::uint8_t *data, std::size_t len);
    void on_enobufs() { decoder_.on_enobufs(); }
    /// Periodic tick with the current CLOCK_MONOTONIC time (0 = no wall clock, event time only).
    /// The wall clock releases what waits longer than the window only for a reader that has
    /// read everything the kernel sent (`reader_behind` false): records still in the events
    /// socket are older than `now`, and releasing past them would make them late.
    void tick(std::uint64_t now_mono_ns, bool reader_behind = false);
    /// End: release everything, close open journeys, account tail gaps from the final per-CPU
    /// "sent" counters (empty map when unknown).
    void finish(const std::map<std::uint32_t, std::uint64_t> &final_sent);
    /// A new sampling period starts at event time `ts` (the governor changed the divisor):
    /// records before it are tallied apart, so an estimate can scale each period by its own
    /// divisor.  Exact while no record at or after `ts` has been processed yet (the reorder
    /// window holds them); otherwise the split is taken where processing is.
    void cut(std::uint64_t ts);
    /// Periods so far: one, plus one per cut(); a cut still ahead of processing has nothing yet.
    std::vector<Period> periods() const;

    Decoder &decoder() { return decoder_; }
    const Decoder &decoder() const { return decoder_; }
    Correlator &correlator() { return correlator_; }
    const Correlator &correlator() const { return correlator_; }
    const ReorderBuffer &reorder() const { return reorder_; }

private:
    void release(std::uint64_t watermark, bool all = false);
    void process(const Record &r) { correlator_.process(r); }
    struct Cut {
        std::uint64_t ts;
        bool exact;
        bool done = false;
        Tally before; // totals when the cut was taken
    };

    PipelineOptions opts_;
    Decoder decoder_;
    ReorderBuffer reorder_;
    Correlator correlator_;
    std::vector<Cut> cuts_;   // in the order requested
    std::size_t pending_ = 0; // cuts_[pending_..] are not taken yet
};

} // namespace nsk
