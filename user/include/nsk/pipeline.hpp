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

struct PipelineOptions {
    std::uint64_t reorder_window_ns = 300'000'000ULL; // event time
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
    void tick(std::uint64_t now_mono_ns);
    /// End: release everything, close open journeys, account tail gaps from the final per-CPU
    /// "sent" counters (empty map when unknown).
    void finish(const std::map<std::uint32_t, std::uint64_t> &final_sent);

    Decoder &decoder() { return decoder_; }
    const Decoder &decoder() const { return decoder_; }
    Correlator &correlator() { return correlator_; }
    const Correlator &correlator() const { return correlator_; }
    const ReorderBuffer &reorder() const { return reorder_; }

private:
    PipelineOptions opts_;
    Decoder decoder_;
    ReorderBuffer reorder_;
    Correlator correlator_;
    std::vector<Record> scratch_;
};

} // namespace nsk
