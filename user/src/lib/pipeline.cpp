#include "nsk/pipeline.hpp"

namespace nsk {

Pipeline::Pipeline(PipelineOptions opts)
    : opts_(opts), reorder_(opts.reorder_window_ns), correlator_(opts.correlator)
{}

void Pipeline::on_batch(std::uint32_t cpu, std::uint64_t seq, std::uint32_t count,
                        const std::uint8_t *data, std::size_t len)
{
    scratch_.clear();
    decoder_.on_batch(cpu, seq, count, data, len, scratch_);
    for (const auto &r : scratch_)
        reorder_.push(r);
    reorder_.release([this](const Record &r) { correlator_.process(r); });
}

void Pipeline::tick(std::uint64_t now_mono_ns)
{
    const std::uint64_t lag = opts_.reorder_window_ns + opts_.idle_slack_ns;
    if (now_mono_ns > lag) {
        const std::uint64_t watermark = now_mono_ns - lag;
        reorder_.release_until(watermark, [this](const Record &r) { correlator_.process(r); });
        if (reorder_.size() == 0 && watermark > correlator_.now())
            correlator_.advance_time(watermark);
    }
}

void Pipeline::finish(const std::map<std::uint32_t, std::uint64_t> &final_sent)
{
    reorder_.flush([this](const Record &r) { correlator_.process(r); });
    correlator_.finish();
    decoder_.finish(final_sent);
}

} // namespace nsk
