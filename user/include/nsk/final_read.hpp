// After STOP: how long `live` keeps reading the records the kernel had already sent.
//
// What is left is finite (the probes are detached), so reading has no cap on its total time:
// it goes on while it makes progress toward the kernel's final per-CPU counts, and ends
//  - when every record the kernel sent was received (the final counts are known once the
//    module is idle),
//  - kQuietNs after the last progress (what was not read by then is counted as lost), or
//  - on a second signal (the caller's).
// Progress is records of this collection received, not messages: a newer collection's batches
// (their numbers start again from 0, or run past the final counts) do not extend the reading.
// A fixed cap of 60 s used to end it: on the emulated debug kernel a reader that needed longer
// for a full 64 MiB socket counted 103 054 records it could still have read as lost (48).
#pragma once

#include "nsk/status.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace nsk {

class FinalRead {
public:
    static constexpr std::uint64_t kQuietNs = 2'000'000'000ULL;

    explicit FinalRead(std::uint64_t now_ns) : deadline_(now_ns + kQuietNs) {}

    /// The kernel's final per-CPU counters (STATUS once the module is idle).
    void set_final(const std::vector<CpuCounters> &cpus)
    {
        final_.emplace();
        sent_ = 0;
        for (const CpuCounters &c : cpus) {
            (*final_)[c.cpu] = c.sent;
            sent_ += c.sent;
        }
    }

    /// After reading: `expected` is the next record number of each CPU (SeqTracker).
    void progress(const std::map<std::uint32_t, std::uint64_t> &expected, std::uint64_t now_ns)
    {
        const std::uint64_t got = received(expected);
        if (got > got_) {
            got_ = got;
            deadline_ = now_ns + kQuietNs;
        }
    }

    bool done(std::uint64_t now_ns) const
    {
        return now_ns >= deadline_ || (final_ && got_ >= sent_);
    }
    std::uint64_t deadline() const { return deadline_; }
    /// Records of the final counts not received yet (nullopt: the counts are unknown).
    std::optional<std::uint64_t> left() const
    {
        return final_ ? std::optional<std::uint64_t>(sent_ - std::min(sent_, got_))
                      : std::nullopt;
    }

private:
    /// Records of this collection received: each CPU's count capped at its final one (without
    /// final counts, every record counts).
    std::uint64_t received(const std::map<std::uint32_t, std::uint64_t> &expected) const
    {
        std::uint64_t got = 0;
        for (const auto &[cpu, next] : expected) {
            if (!final_) {
                got += next;
            } else if (auto it = final_->find(cpu); it != final_->end()) {
                got += std::min(next, it->second);
            }
        }
        return got;
    }

    std::optional<std::map<std::uint32_t, std::uint64_t>> final_; // CPU -> final "sent"
    std::uint64_t sent_ = 0;                                         // their sum
    std::uint64_t deadline_;
    std::uint64_t got_ = 0;
};

} // namespace nsk
