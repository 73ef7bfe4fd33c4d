#include "nsk/histogram.hpp"

#include "nsk/format.hpp"

#include <algorithm>
#include <cmath>

namespace nsk {

const char *precision_name(Precision p)
{
    return p == Precision::log2 ? "log2" : "log-linear";
}

std::optional<Precision> precision_from_name(std::string_view name)
{
    if (name == "log-linear")
        return Precision::log_linear;
    if (name == "log2")
        return Precision::log2;
    return std::nullopt;
}

// --- log2 view ----------------------------------------------------------------------------------

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

// --- fine buckets -------------------------------------------------------------------------------

std::uint64_t Histogram::fine_lower(std::size_t i)
{
    const std::size_t c = i >> kSubBits;
    if (c < 2)
        return i;
    return (static_cast<std::uint64_t>(kSub) + (i & (kSub - 1))) << (c - 1);
}

std::uint64_t Histogram::fine_width(std::size_t i)
{
    const std::size_t c = i >> kSubBits;
    return c < 2 ? 1 : 1ULL << (c - 1);
}

std::size_t Histogram::alloc_chunk(std::size_t chunk)
{
    const std::size_t s = counts_.size() / kSub;
    counts_.reserve(counts_.size() + kSub); // exactly: no growth slack in the many small ones
    counts_.resize(counts_.size() + kSub, 0);
    slot_[chunk] = static_cast<std::uint8_t>(s);
    return s;
}

void Histogram::merge(const Histogram &o)
{
    if (o.count_ == 0)
        return;
    for (std::size_t c = 0; c < kChunks; ++c) {
        if (o.slot_[c] == kNoSlot)
            continue;
        std::size_t s = slot_[c];
        if (s == kNoSlot)
            s = alloc_chunk(c);
        const std::uint64_t *from = &o.counts_[std::size_t{o.slot_[c]} * kSub];
        std::uint64_t *to = &counts_[s * kSub];
        for (std::size_t k = 0; k < kSub; ++k)
            to[k] += from[k];
    }
    min_ = count_ == 0 ? o.min_ : std::min(min_, o.min_);
    count_ += o.count_;
    max_ = std::max(max_, o.max_);
    sum_ += o.sum_;
}

std::array<std::uint64_t, Histogram::kBuckets> Histogram::log2_counts() const
{
    std::array<std::uint64_t, kBuckets> b{};
    for (std::size_t c = 0; c < kChunks; ++c) {
        if (slot_[c] == kNoSlot)
            continue;
        const std::uint64_t *n = &counts_[std::size_t{slot_[c]} * kSub];
        if (c == 0) { // 0..63 ns: log2 buckets 0..6
            for (std::size_t k = 0; k < kSub; ++k)
                b[static_cast<std::size_t>(bucket_of(k))] += n[k];
            continue;
        }
        // chunk c >= 1 is [2^(c+5), 2^(c+6)): log2 bucket c + 6 (the last one takes the rest)
        std::uint64_t sum = 0;
        for (std::size_t k = 0; k < kSub; ++k)
            sum += n[k];
        b[std::min<std::size_t>(c + 6, kBuckets - 1)] += sum;
    }
    return b;
}

// --- percentiles --------------------------------------------------------------------------------

std::uint64_t Histogram::rank_of(double q) const
{
    q = std::clamp(q, 0.0, 1.0);
    // Nearest rank, 1-based: the k-th smallest sample.
    auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
    return std::clamp<std::uint64_t>(rank, 1, count_);
}

void Histogram::values_at(const std::uint64_t *ranks, std::size_t n, std::uint64_t *out) const
{
    std::size_t j = 0;
    std::uint64_t cum = 0;
    for (std::size_t c = 0; c < kChunks && j < n; ++c) {
        if (slot_[c] == kNoSlot)
            continue;
        const std::uint64_t *cnt = &counts_[std::size_t{slot_[c]} * kSub];
        for (std::size_t k = 0; k < kSub && j < n; ++k) {
            if (cnt[k] == 0)
                continue;
            cum += cnt[k];
            if (ranks[j] > cum)
                continue;
            // The rank's sample is in this bucket: its middle, clamped to what was seen.
            const std::size_t i = (c << kSubBits) | k;
            const std::uint64_t lo = fine_lower(i), w = fine_width(i);
            const std::uint64_t v =
                std::clamp(lo + w / 2, std::max(lo, min_), std::min(lo + (w - 1), max_));
            for (; j < n && ranks[j] <= cum; ++j) // the first and the last sample are known
                out[j] = ranks[j] == count_ ? max_ : ranks[j] == 1 ? min_ : v;
        }
    }
    for (; j < n; ++j) // (not reached: the ranks are <= count)
        out[j] = max_;
}

std::uint64_t Histogram::log2_percentile(const std::array<std::uint64_t, kBuckets> &b,
                                         std::uint64_t rank) const
{
    std::uint64_t cum = 0;
    for (int i = 0; i < kBuckets; ++i) {
        const std::uint64_t c = b[static_cast<std::size_t>(i)];
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

std::uint64_t Histogram::percentile(double q) const
{
    if (count_ == 0)
        return 0;
    const std::uint64_t rank = rank_of(q);
    if (precision_ == Precision::log2)
        return log2_percentile(log2_counts(), rank);
    std::uint64_t v = 0;
    values_at(&rank, 1, &v);
    return v;
}

LatencySummary Histogram::summary() const
{
    LatencySummary s;
    s.count = count_;
    s.max_ns = max_;
    if (count_ == 0)
        return s;
    const std::uint64_t ranks[4] = {rank_of(0.50), rank_of(0.90), rank_of(0.99), rank_of(0.999)};
    std::uint64_t v[4];
    if (precision_ == Precision::log2) {
        const auto b = log2_counts();
        for (int k = 0; k < 4; ++k)
            v[k] = log2_percentile(b, ranks[k]);
    } else {
        values_at(ranks, 4, v); // one walk: the ranks ascend
    }
    s.p50_ns = v[0];
    s.p90_ns = v[1];
    s.p99_ns = v[2];
    s.p999_ns = v[3];
    return s;
}

// --- rendering ----------------------------------------------------------------------------------

std::vector<HistBucket> Histogram::nonempty() const
{
    std::vector<HistBucket> out;
    if (count_ == 0)
        return out;
    const auto b = log2_counts();
    for (int i = 0; i < kBuckets; ++i)
        if (const auto c = b[static_cast<std::size_t>(i)])
            out.push_back({bucket_lower(i), bucket_upper(i), c});
    return out;
}

std::string Histogram::render_bars(int width, const std::string &indent) const
{
    if (count_ == 0)
        return "";
    const auto buckets = log2_counts();
    int first = -1, last = -1;
    std::uint64_t peak = 0;
    for (int i = 0; i < kBuckets; ++i) {
        const auto c = buckets[static_cast<std::size_t>(i)];
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
        counts.push_back(std::to_string(buckets[static_cast<std::size_t>(i)]));
        lw = std::max(lw, labels.back().size());
        cw = std::max(cw, counts.back().size());
    }
    std::string out;
    for (int i = first; i <= last; ++i) {
        const auto idx = static_cast<std::size_t>(i - first);
        const auto c = buckets[static_cast<std::size_t>(i)];
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
