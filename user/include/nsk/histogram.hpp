// Log2 latency histogram in nanoseconds: bucket 0 = [0,1), bucket i = [2^(i-1), 2^i), the last
// bucket [2^40, 2^41) also takes anything larger.  Count, max and sum are exact; percentiles are
// interpolated inside their bucket and clamped to [max(bucket_lo, min), min(bucket_hi, max)], so
// p50 <= p90 <= p99 <= p999 <= max always holds.
#pragma once

#include <array>
#include <cstdint>
#include <string>
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

class Histogram {
public:
    static constexpr int kBuckets = 42;

    void add(std::uint64_t ns);
    void merge(const Histogram &other);

    std::uint64_t count() const { return count_; }
    std::uint64_t max() const { return max_; }
    std::uint64_t min() const { return count_ ? min_ : 0; }
    std::uint64_t sum() const { return sum_; }
    /// q in (0, 1]; 0 when empty.
    std::uint64_t percentile(double q) const;
    LatencySummary summary() const;
    /// Non-empty buckets, in increasing order.
    std::vector<HistBucket> nonempty() const;

    static int bucket_of(std::uint64_t ns);
    static std::uint64_t bucket_lower(int i);
    static std::uint64_t bucket_upper(int i);

    /// bpftrace-style bars, one line per bucket from the first to the last non-empty one:
    /// "[4K, 8K)   1234 |@@@@@@@@@@          |".  Empty string when empty.
    std::string render_bars(int width = 40, const std::string &indent = "") const;

private:
    std::array<std::uint64_t, kBuckets> buckets_{};
    std::uint64_t count_ = 0;
    std::uint64_t max_ = 0;
    std::uint64_t min_ = 0;
    std::uint64_t sum_ = 0;
};

} // namespace nsk
