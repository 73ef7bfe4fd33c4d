#include "nsk/histogram.hpp"

#include "nsk/format.hpp"

#include <algorithm>
#include <cmath>

namespace nsk {

int Histogram::bucket_of(std::uint64_t ns)
{
    if (ns == 0)
        return 0;
    int bits = 64 - __builtin_clzll(ns); // ns in [2^(bits-1), 2^bits)
    return std::min(bits, kBuckets - 1);
}

std::uint64_t Histogram::bucket_lower(int i)
{
    return i == 0 ? 0 : (1ULL << (i - 1));
}
std::uint64_t Histogram::bucket_upper(int i)
{
    return 1ULL << i;
}

void Histogram::add(std::uint64_t ns)
{
    ++buckets_[static_cast<std::size_t>(bucket_of(ns))];
    min_ = count_ == 0 ? ns : std::min(min_, ns);
    ++count_;
    max_ = std::max(max_, ns);
    sum_ += ns;
}

void Histogram::merge(const Histogram &o)
{
    if (o.count_ == 0)
        return;
    for (std::size_t i = 0; i < buckets_.size(); ++i)
        buckets_[i] += o.buckets_[i];
    min_ = count_ == 0 ? o.min_ : std::min(min_, o.min_);
    count_ += o.count_;
    max_ = std::max(max_, o.max_);
    sum_ += o.sum_;
}

std::uint64_t Histogram::percentile(double q) const
{
    if (count_ == 0)
        return 0;
    q = std::clamp(q, 0.0, 1.0);
    // Nearest rank, 1-based: the k-th smallest sample.
    auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
    rank = std::clamp<std::uint64_t>(rank, 1, count_);
    std::uint64_t cum = 0;
    for (int i = 0; i < kBuckets; ++i) {
        const std::uint64_t c = buckets_[static_cast<std::size_t>(i)];
        if (c == 0)
            continue;
        if (cum + c >= rank) {
            // Clamp to what was really seen: [max(bucket_lo, min), min(bucket_hi, max)].
            const std::uint64_t lo = std::max(bucket_lower(i), min_);
            const std::uint64_t hi = std::min(bucket_upper(i), max_);
            const double frac = static_cast<double>(rank - cum) / static_cast<double>(c);
            const std::uint64_t blo = bucket_lower(i);
            const double span = static_cast<double>(bucket_upper(i) - blo);
            auto v = blo + static_cast<std::uint64_t>(span * frac);
            return std::clamp(v, lo, std::max(lo, hi));
        }
        cum += c;
    }
    return max_;
}

LatencySummary Histogram::summary() const
{
    LatencySummary s;
    s.count = count_;
    s.p50_ns = percentile(0.50);
    s.p90_ns = percentile(0.90);
    s.p99_ns = percentile(0.99);
    s.p999_ns = percentile(0.999);
    s.max_ns = max_;
    return s;
}

std::vector<HistBucket> Histogram::nonempty() const
{
    std::vector<HistBucket> out;
    for (int i = 0; i < kBuckets; ++i)
        if (const auto c = buckets_[static_cast<std::size_t>(i)])
            out.push_back({bucket_lower(i), bucket_upper(i), c});
    return out;
}

std::string Histogram::render_bars(int width, const std::string &indent) const
{
    if (count_ == 0)
        return "";
    int first = -1, last = -1;
    std::uint64_t peak = 0;
    for (int i = 0; i < kBuckets; ++i) {
        const auto c = buckets_[static_cast<std::size_t>(i)];
        if (c == 0)
            continue;
        if (first < 0)
            first = i;
        last = i;
        peak = std::max(peak, c);
    }
    std::vector<std::string> labels;
    std::vector<std::string> counts;
    std::size_t lw = 0, cw = 0;
    for (int i = first; i <= last; ++i) {
        labels.push_back("[" + pow2_label(bucket_lower(i)) + ", " + pow2_label(bucket_upper(i)) +
                         ")");
        counts.push_back(std::to_string(buckets_[static_cast<std::size_t>(i)]));
        lw = std::max(lw, labels.back().size());
        cw = std::max(cw, counts.back().size());
    }
    std::string out;
    for (int i = first; i <= last; ++i) {
        const auto idx = static_cast<std::size_t>(i - first);
        const auto c = buckets_[static_cast<std::size_t>(i)];
        auto n = static_cast<int>(static_cast<double>(c) * width / static_cast<double>(peak));
        if (c > 0 && n == 0)
            n = 1;
        out += indent;
        out += labels[idx];
        out.append(lw - labels[idx].size() + 1, ' ');
        out.append(cw - counts[idx].size(), ' ');
        out += counts[idx];
        out += " |";
        out.append(static_cast<std::size_t>(n), '@');
        out.append(static_cast<std::size_t>(width - n), ' ');
        out += "|\n";
    }
    return out;
}

} // namespace nsk
