// Decoder: NSK_ATTR_BATCH_RECORDS bytes -> Records, plus per-CPU sequence accounting.
#pragma once

#include "nsk/record.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace nsk {

/// Batches from a CPU number at or above this are malformed (NR_CPUS is at most 8192).
inline constexpr std::uint32_t kMaxCpus = 8192;

struct DecodeStats {
    std::uint64_t batches = 0;
    std::uint64_t records = 0;          // records decoded and passed on
    std::uint64_t unknown_skipped = 0;  // records of a type this build does not know (not loss)
    std::uint64_t malformed = 0;        // records lost to bad sizes / overruns (user loss)
    std::uint64_t duplicate = 0;        // records in batches with seq < expected (user loss)
    std::uint64_t gap_records = 0;      // records missing in seq gaps (netlink loss)
    std::uint64_t tail_gap_records = 0; // of which: missing at the end (from final counters)
    std::uint64_t enobufs = 0;          // ENOBUFS episodes on the event socket
    std::uint64_t user_loss() const { return malformed + duplicate; }
};

/// Expected next sequence number per CPU.  The first batch of a CPU without a hint sets the
/// base; a hint (e.g. the kernel's "sent" counter right after START) lets a lost first batch be
/// counted too.  A first batch below the hint is taken as the base (the kernel restarted seq).
class SeqTracker {
public:
    struct Check {
        std::uint64_t gap = 0;  // records missing before this batch
        bool duplicate = false; // batch starts below the expected seq
    };
    void hint(std::uint32_t cpu, std::uint64_t next_seq);
    Check check(std::uint32_t cpu, std::uint64_t seq, std::uint32_t count);
    /// Records missing after the last batch, given the final "sent" counter of the CPU.
    std::uint64_t tail_gap(std::uint32_t cpu, std::uint64_t final_sent) const;
    const std::map<std::uint32_t, std::uint64_t> &expected() const { return expected_; }

private:
    std::map<std::uint32_t, std::uint64_t> expected_;
    std::map<std::uint32_t, bool> seen_;
};

/// Walk packed records.  Appends decoded records to `out` (seq numbered from `seq`), updates
/// `st`.  Returns the number of records walked (decoded + unknown).  Stops at the first record
/// whose size is < 4 or overruns the buffer; `count` (the batch's claim) is used to compute how
/// many records were lost to that.
std::size_t decode_records(std::uint32_t cpu, std::uint64_t seq, std::uint32_t count,
                           const std::uint8_t *data, std::size_t len, std::vector<Record> &out,
                           DecodeStats &st);

class Decoder {
public:
    /// One NSK_CMD_EVENTS batch.  Records are appended to `out`.
    void on_batch(std::uint32_t cpu, std::uint64_t seq, std::uint32_t count,
                  const std::uint8_t *data, std::size_t len, std::vector<Record> &out);
    void on_enobufs() { ++stats_.enobufs; }
    /// Account the records lost after the last batch of each CPU (final per-CPU "sent").
    void finish(const std::map<std::uint32_t, std::uint64_t> &final_sent);
    SeqTracker &seq() { return seq_; }
    const DecodeStats &stats() const { return stats_; }
    /// Per-CPU records received.
    const std::map<std::uint32_t, std::uint64_t> &per_cpu_records() const { return per_cpu_; }

private:
    SeqTracker seq_;
    DecodeStats stats_;
    std::map<std::uint32_t, std::uint64_t> per_cpu_;
};

} // namespace nsk
