#include "nsk/decoder.hpp"

#include <algorithm>
#include <cstring>

namespace nsk {

void SeqTracker::hint(std::uint32_t cpu, std::uint64_t next_seq)
{
    if (!seen_[cpu])
        expected_[cpu] = next_seq;
}

SeqTracker::Check SeqTracker::check(std::uint32_t cpu, std::uint64_t seq, std::uint32_t count)
{
    Check c;
    auto it = expected_.find(cpu);
    const bool first = !seen_[cpu];
    seen_[cpu] = true;
    if (it == expected_.end() || (first && seq < it->second)) {
        expected_[cpu] = seq + count;
        return c;
    }
    if (seq > it->second) {
        c.gap = seq - it->second;
    } else if (seq < it->second) {
        c.duplicate = true;
        return c; // expected stays: the batch is discarded
    }
    it->second = seq + count;
    return c;
}

std::uint64_t SeqTracker::tail_gap(std::uint32_t cpu, std::uint64_t final_sent) const
{
    auto it = expected_.find(cpu);
    const std::uint64_t exp = it == expected_.end() ? 0 : it->second;
    return final_sent > exp ? final_sent - exp : 0;
}

bool Decoder::accept(std::uint32_t cpu, std::uint64_t seq, std::uint32_t count)
{
    ++stats_.batches;
    if (cpu >= kMaxCpus) {
        // No kernel has that many CPUs (x86-64 MAXSMP: 8192): a damaged or hand-made batch.
        // Its records are lost in user space, and no per-CPU state is made for it.
        stats_.malformed += count ? count : 1;
        return false;
    }
    const auto c = seq_.check(cpu, seq, count);
    if (c.duplicate) {
        stats_.duplicate += count;
        return false;
    }
    stats_.gap_records += c.gap;
    return true;
}

void Decoder::finish(const std::map<std::uint32_t, std::uint64_t> &final_sent)
{
    for (const auto &[cpu, sent] : final_sent) {
        const auto gap = seq_.tail_gap(cpu, sent);
        stats_.gap_records += gap;
        stats_.tail_gap_records += gap;
    }
}

} // namespace nsk
