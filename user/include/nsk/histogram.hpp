// Latency histogram in nanoseconds with a bounded relative error: HdrHistogram's log-linear
// layout, 64 sub-buckets per power of two.
//
//   fine bucket i = c*64 + s     values                        width w
//   c = 0, 1 (i < 128)           exactly i                     1     (exact below 128 ns)
//   c >= 2, b = c - 1            [(64+s) << b, (65+s) << b)    2^b   (octave [2^(b+6), 2^(b+7)))
//
// i.e. i = b*64 + (v >> b) with b = max(0, bit_width(v) - 7): one count-leading-zeros and two
// shifts per sample.  Count, min, max and sum are exact.
//
// Percentiles are nearest-rank order statistics: q -> the k-th smallest sample, k = ceil(q*n)
// (at least 1).  The reported value is the middle of the k-th sample's fine bucket [lo, hi],
// clamped to [max(lo, min), min(hi, max)]; rank 1 is min and rank n is max, exactly.
//   Bound: the k-th sample v lies in that same clamped interval, and clamping to an interval
//   that contains v never moves a value away from v, so |reported - v| <= max(mid - lo, hi - mid)
//   = w/2.  Every value of a bucket of width w >= 2 is >= 64 w, hence
//       |reported - v| / v <= (w/2) / (64 w) = 1/128 < 0.79 %      (kMaxRelativeError)
//   for every percentile, and 0 below 128 ns.  Larger ranks never fall in an earlier bucket and
//   buckets' clamped intervals do not overlap, so p50 <= p90 <= p99 <= p999 <= max always holds.
//
// Memory: the counters are kept in chunks of 64 (one power of two; chunk 0 = 0..63 ns,
// chunk 1 = 64..127 ns, chunk c >= 2 = [2^(c+5), 2^(c+6)) ns), allocated when the first sample
// lands in them.  A histogram is 120 bytes inline (empty: no heap at all) plus 512 bytes per
// chunk in use: latencies spanning 1 us..10 ms touch 15 chunks = 7.5 KB; samples in every
// octave from 0 to 2^41 ns: 36 chunks = 18 KB; the absolute worst (0 .. 2^64-1, all 59 chunks)
// 30 KB.  merge() adds chunk by chunk.
//
// The log2 view (bucket 0 = [0,1), bucket i = [2^(i-1), 2^i), the last bucket [2^40, 2^41) also
// takes anything larger) is derived from the fine buckets: every fine bucket lies inside one log2
// bucket, so nonempty(), render_bars() and the metrics exporter see exactly the log2 counts
// the tool always had.
//
// Precision::log2 reproduces the percentiles of the tool before the log-linear buckets (linear
// interpolation inside the log2 bucket, clamped to [max(bucket_lo, min), min(bucket_hi, max)]:
// up to 2x off).  Replays of captures written before them set it, so they report exactly what
// they printed.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nsk {

struct LatencySummary {
    std::uint64_t count = 0;
    std::uint64_t p50_ns = 0;
    std::uint64_t p90_ns = 0;
    std::uint64_t p99_ns = 0;
    std::uint64_t p999_ns = 0;
    std::uint64_t max_ns = 0;
};

struct HistBucket {
    std::uint64_t lower_ns;
    std::uint64_t upper_ns;
    std::uint64_t count;
};

/// How percentiles are computed (the buckets are the same).
enum class Precision : std::uint8_t {
    log_linear, // the middle of the fine bucket: within kMaxRelativeError ("log-linear")
    log2,       // interpolated in the log2 bucket, as captures before log-linear printed ("log2")
};
/// "log-linear" | "log2": the value of the capture header's and the summary's "histogram" key.
const char *precision_name(Precision p);
std::optional<Precision> precision_from_name(std::string_view name);

class Histogram {
public:
    // --- the log2 view ---------------------------------------------------------------------------
    static constexpr int kBuckets = 42;
    // --- the fine (log-linear) buckets -----------------------------------------------------------
    static constexpr int kSubBits = 6;
    static constexpr int kSub = 1 << kSubBits;            // fine buckets per chunk
    static constexpr int kChunks = 64 - kSubBits - 1 + 2; // 59: 0 .. 2^64-1
    static constexpr std::size_t kFineBuckets = std::size_t{kChunks} * kSub; // 3776
    static constexpr double kMaxRelativeError = 1.0 / (2 * kSub);            // 1/128

    Histogram() { slot_.fill(kNoSlot); }

    void add(std::uint64_t ns)
    {
        const std::size_t i = fine_index(ns);
        std::size_t s = slot_[i >> kSubBits];
        if (s == kNoSlot)
            s = alloc_chunk(i >> kSubBits);
        ++counts_[(s << kSubBits) | (i & (kSub - 1))];
        min_ = count_ == 0 ? ns : std::min(min_, ns);
        ++count_;
        max_ = std::max(max_, ns);
        sum_ += ns;
    }
    void merge(const Histogram &other);

    std::uint64_t count() const { return count_; }
    std::uint64_t max() const { return max_; }
    std::uint64_t min() const { return count_ ? min_ : 0; }
    std::uint64_t sum() const { return sum_; }
    /// q in (0, 1]; 0 when empty.
    std::uint64_t percentile(double q) const;
    LatencySummary summary() const;

    /// Percentiles as computed by this histogram (the summary it belongs to sets it; merge()
    /// keeps this one's).
    void set_precision(Precision p) { precision_ = p; }
    Precision precision() const { return precision_; }

    /// Non-empty log2 buckets, in increasing order.
    std::vector<HistBucket> nonempty() const;
    /// Counts of the log2 buckets (derived from the fine buckets).
    std::array<std::uint64_t, kBuckets> log2_counts() const;

    static int bucket_of(std::uint64_t ns);
    static std::uint64_t bucket_lower(int i);
    static std::uint64_t bucket_upper(int i);

    static std::size_t fine_index(std::uint64_t ns)
    {
        const int bits = 64 - __builtin_clzll(ns | 1); // bit width (1 for 0)
        const int b = bits > kSubBits + 1 ? bits - (kSubBits + 1) : 0;
        return (static_cast<std::size_t>(b) << kSubBits) + static_cast<std::size_t>(ns >> b);
    }
    /// Smallest value of fine bucket i, and its width (the bucket is [lower, lower + width)).
    static std::uint64_t fine_lower(std::size_t i);
    static std::uint64_t fine_width(std::size_t i);

    /// Heap bytes held by the counters (chunks in use x 512).
    std::size_t heap_bytes() const { return counts_.capacity() * sizeof(std::uint64_t); }

    /// bpftrace-style bars, one line per log2 bucket from the first to the last non-empty one:
    /// "[4K, 8K)   1234 |@@@@@@@@@@          |".  Empty string when empty.
    std::string render_bars(int width = 40, const std::string &indent = "") const;

private:
    static constexpr std::uint8_t kNoSlot = 0xff;

    std::size_t alloc_chunk(std::size_t chunk);
    /// Values of the samples of ranks `ranks` (1-based, ascending), log-linear precision.
    void values_at(const std::uint64_t *ranks, std::size_t n, std::uint64_t *out) const;
    std::uint64_t log2_percentile(const std::array<std::uint64_t, kBuckets> &b,
                                  std::uint64_t rank) const;
    std::uint64_t rank_of(double q) const;

    std::vector<std::uint64_t> counts_;      // kSub counters per chunk in use, in allocation order
    std::array<std::uint8_t, kChunks> slot_; // chunk -> its index in counts_ / kSub, or kNoSlot
    Precision precision_ = Precision::log_linear;
    std::uint64_t count_ = 0;
    std::uint64_t max_ = 0;
    std::uint64_t min_ = 0;
    std::uint64_t sum_ = 0;
};

} // namespace nsk
