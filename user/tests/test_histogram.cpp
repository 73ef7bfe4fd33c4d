#define BOOST_TEST_MODULE histogram
#include <boost/test/unit_test.hpp>

#include "nsk/histogram.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <string>
#include <vector>

using nsk::Histogram;
using nsk::Precision;

namespace {

using Samples = std::vector<std::uint64_t>;

Histogram hist_of(const Samples &v)
{
    Histogram h;
    for (auto x : v)
        h.add(x);
    return h;
}

// Nearest rank, 1-based, exactly as the histogram defines it.
std::uint64_t rank_of(double q, std::uint64_t n)
{
    auto r =
        static_cast<std::uint64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(n)));
    return std::clamp<std::uint64_t>(r, 1, n);
}

// |reported - exact| <= exact / 128 (Histogram::kMaxRelativeError), in integers.
bool within_bound(std::uint64_t reported, std::uint64_t exact)
{
    const std::uint64_t d = reported > exact ? reported - exact : exact - reported;
    return static_cast<long double>(d) * 128 <= static_cast<long double>(exact);
}

// Every percentile the tool reports (p50 .. p999 of summary() and percentile()), and a sweep of
// other quantiles, against the exact order statistic of the sorted samples.
void check_against_exact(const Samples &in, const std::string &what)
{
    BOOST_TEST_CONTEXT(what << " (" << in.size() << " samples)")
    {
        Samples v = in;
        std::sort(v.begin(), v.end());
        const Histogram h = hist_of(in);
        const auto n = static_cast<std::uint64_t>(v.size());
        BOOST_TEST_REQUIRE(h.count() == n);
        BOOST_TEST_REQUIRE(h.min() == v.front());
        BOOST_TEST_REQUIRE(h.max() == v.back());
        auto exact = [&](double q) { return v[rank_of(q, n) - 1]; };
        const auto s = h.summary();
        const std::array<std::pair<double, std::uint64_t>, 4> reported{
            {{0.50, s.p50_ns}, {0.90, s.p90_ns}, {0.99, s.p99_ns}, {0.999, s.p999_ns}}};
        double worst = 0;
        for (const auto &[q, r] : reported) {
            BOOST_TEST_REQUIRE(within_bound(r, exact(q)),
                               "q=" << q << " reported " << r << " exact " << exact(q));
            BOOST_TEST_REQUIRE(r == h.percentile(q));
        }
        BOOST_TEST_REQUIRE(s.p50_ns <= s.p90_ns);
        BOOST_TEST_REQUIRE(s.p90_ns <= s.p99_ns);
        BOOST_TEST_REQUIRE(s.p99_ns <= s.p999_ns);
        BOOST_TEST_REQUIRE(s.p999_ns <= s.max_ns);
        const int steps = 2000;
        std::uint64_t prev = 0;
        for (int k = 1; k <= steps; ++k) {
            const double q = static_cast<double>(k) / steps;
            const std::uint64_t r = h.percentile(q), e = exact(q);
            BOOST_TEST_REQUIRE(within_bound(r, e),
                               "q=" << q << " reported " << r << " exact " << e);
            BOOST_TEST_REQUIRE(r >= prev); // monotone in q
            prev = r;
            if (e)
                worst = std::max(worst, std::fabs(static_cast<double>(r) - static_cast<double>(e)) /
                                            static_cast<double>(e));
        }
        BOOST_TEST(worst <= 0.01);
        BOOST_TEST(worst <= Histogram::kMaxRelativeError);
    }
}

// The percentile the tool computed before the log-linear buckets (42 log2 buckets, linear
// interpolation): Precision::log2 must give exactly this, so old captures replay as printed.
std::uint64_t old_log2_percentile(const Samples &v, double q)
{
    if (v.empty())
        return 0;
    std::array<std::uint64_t, 42> b{};
    std::uint64_t mn = v[0], mx = 0;
    for (auto x : v) {
        ++b[static_cast<std::size_t>(Histogram::bucket_of(x))];
        mn = std::min(mn, x);
        mx = std::max(mx, x);
    }
    const std::uint64_t rank = rank_of(q, v.size());
    std::uint64_t cum = 0;
    for (int i = 0; i < 42; ++i) {
        const std::uint64_t c = b[static_cast<std::size_t>(i)];
        if (c == 0)
            continue;
        if (cum + c >= rank) {
            const std::uint64_t lo = std::max(Histogram::bucket_lower(i), mn);
            const std::uint64_t hi = std::min(Histogram::bucket_upper(i), mx);
            const double frac = static_cast<double>(rank - cum) / static_cast<double>(c);
            const std::uint64_t blo = Histogram::bucket_lower(i);
            const double span = static_cast<double>(Histogram::bucket_upper(i) - blo);
            auto r = blo + static_cast<std::uint64_t>(span * frac);
            return std::clamp(r, lo, std::max(lo, hi));
        }
        cum += c;
    }
    return mx;
}

Samples lognormal(std::mt19937_64 &rng, double mu, double sigma, int n)
{
    std::lognormal_distribution<double> d(mu, sigma);
    Samples v;
    for (int i = 0; i < n; ++i)
        v.push_back(static_cast<std::uint64_t>(d(rng)));
    return v;
}

} // namespace

// --- the log2 view: unchanged meaning (report JSON "hist", bars, Prometheus buckets) ------------

BOOST_AUTO_TEST_CASE(bucket_boundaries)
{
    BOOST_TEST(Histogram::bucket_of(0) == 0);
    BOOST_TEST(Histogram::bucket_of(1) == 1);
    BOOST_TEST(Histogram::bucket_of(2) == 2);
    BOOST_TEST(Histogram::bucket_of(3) == 2);
    BOOST_TEST(Histogram::bucket_of(4) == 3);
    BOOST_TEST(Histogram::bucket_of(4095) == 12);
    BOOST_TEST(Histogram::bucket_of(4096) == 13);
    BOOST_TEST(Histogram::bucket_lower(13) == 4096u);
    BOOST_TEST(Histogram::bucket_upper(13) == 8192u);
    BOOST_TEST(Histogram::bucket_of(1ULL << 40) == 41);
    BOOST_TEST(Histogram::bucket_of(1ULL << 50) == 41); // overflow goes to the last bucket
}

BOOST_AUTO_TEST_CASE(log2_view_is_derived_exactly_from_the_fine_buckets)
{
    std::mt19937_64 rng(7);
    Samples v;
    for (int e = 0; e < 64; ++e)
        for (std::uint64_t d : {0ULL, 1ULL, 2ULL})
            for (std::uint64_t x : {(1ULL << e) - d, (1ULL << e) + d})
                v.push_back(x);
    v.push_back(~0ULL);
    for (int i = 0; i < 20000; ++i)
        v.push_back(rng() >> (rng() % 64));
    std::array<std::uint64_t, Histogram::kBuckets> want{};
    for (auto x : v)
        ++want[static_cast<std::size_t>(Histogram::bucket_of(x))];
    const Histogram h = hist_of(v);
    BOOST_TEST(h.log2_counts() == want);
    std::size_t k = 0;
    for (const auto &b : h.nonempty()) {
        const int i = Histogram::bucket_of(b.lower_ns);
        BOOST_TEST(b.lower_ns == Histogram::bucket_lower(i));
        BOOST_TEST(b.upper_ns == Histogram::bucket_upper(i));
        BOOST_TEST(b.count == want[static_cast<std::size_t>(i)]);
        ++k;
    }
    BOOST_TEST(k == static_cast<std::size_t>(
                        std::count_if(want.begin(), want.end(), [](auto c) { return c > 0; })));
}

// --- the fine buckets ----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(fine_buckets_tile_the_range)
{
    // Consecutive, no gaps, exact below 128, width <= lower / 64 above.
    std::uint64_t next = 0;
    for (std::size_t i = 0; i < Histogram::kFineBuckets; ++i) {
        const std::uint64_t lo = Histogram::fine_lower(i), w = Histogram::fine_width(i);
        BOOST_TEST_REQUIRE(lo == next);
        BOOST_TEST_REQUIRE(Histogram::fine_index(lo) == i);
        BOOST_TEST_REQUIRE(Histogram::fine_index(lo + (w - 1)) == i);
        if (i < 128)
            BOOST_TEST_REQUIRE(w == 1u);
        else
            BOOST_TEST_REQUIRE(w * 64 <= lo);
        next = lo + w; // wraps to 0 after the last bucket
        // a fine bucket never straddles a log2 bucket
        BOOST_TEST_REQUIRE(Histogram::bucket_of(lo) == Histogram::bucket_of(lo + (w - 1)));
    }
    BOOST_TEST(next == 0u); // the last bucket ends at 2^64 - 1
    BOOST_TEST(Histogram::fine_index(~0ULL) == Histogram::kFineBuckets - 1);
    BOOST_TEST(Histogram::fine_index(127) == 127u);
    BOOST_TEST(Histogram::fine_index(128) == 128u);
    BOOST_TEST(Histogram::fine_width(128) == 2u);
}

BOOST_AUTO_TEST_CASE(memory_is_per_octave_in_use)
{
    Histogram empty;
    BOOST_TEST(empty.heap_bytes() == 0u);
    BOOST_TEST(sizeof(Histogram) == 120u); // as the header says
    Histogram h;
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<double> d(std::log(1000.0), std::log(10'000'000.0));
    for (int i = 0; i < 100000; ++i)
        h.add(static_cast<std::uint64_t>(std::exp(d(rng)))); // 1 us .. 10 ms: 2^9 .. 2^24
    BOOST_TEST(h.heap_bytes() <= 15u * 512u);
    Histogram one;
    one.add(5000);
    BOOST_TEST(one.heap_bytes() == 512u);
    Histogram wide; // 0 and 2^40: only the two chunks
    wide.add(0);
    wide.add(1ULL << 40);
    BOOST_TEST(wide.heap_bytes() == 1024u);
}

// --- percentiles ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(empty_and_single)
{
    Histogram h;
    BOOST_TEST(h.percentile(0.5) == 0u);
    BOOST_TEST(h.summary().count == 0u);
    BOOST_TEST(h.summary().p999_ns == 0u);
    BOOST_TEST(h.render_bars().empty());
    BOOST_TEST(h.nonempty().empty());
    h.add(5000);
    const auto s = h.summary();
    BOOST_TEST(s.count == 1u);
    BOOST_TEST(s.p50_ns == 5000u);
    BOOST_TEST(s.p999_ns == 5000u);
    BOOST_TEST(s.max_ns == 5000u);
}

BOOST_AUTO_TEST_CASE(exact_count_max_and_hist)
{
    Histogram h;
    for (std::uint64_t v : {0ULL, 1ULL, 3ULL, 3ULL, 1000ULL, 1023ULL, 1024ULL})
        h.add(v);
    BOOST_TEST(h.count() == 7u);
    BOOST_TEST(h.max() == 1024u);
    BOOST_TEST(h.min() == 0u);
    BOOST_TEST(h.sum() == 3054u);
    const auto b = h.nonempty();
    BOOST_REQUIRE(b.size() == 5u);
    BOOST_TEST(b[0].lower_ns == 0u);
    BOOST_TEST(b[0].upper_ns == 1u);
    BOOST_TEST(b[2].lower_ns == 2u);
    BOOST_TEST(b[2].count == 2u);
    BOOST_TEST(b[3].lower_ns == 512u);
    BOOST_TEST(b[3].count == 2u);
    BOOST_TEST(b[4].lower_ns == 1024u);
}

BOOST_AUTO_TEST_CASE(exact_below_128)
{
    Samples v;
    for (std::uint64_t x = 0; x < 128; ++x)
        for (std::uint64_t k = 0; k <= x % 5; ++k)
            v.push_back(x);
    const Histogram h = hist_of(v);
    std::sort(v.begin(), v.end());
    for (int k = 1; k <= 1000; ++k) {
        const double q = k / 1000.0;
        BOOST_TEST_REQUIRE(h.percentile(q) == v[rank_of(q, v.size()) - 1]);
    }
}

BOOST_AUTO_TEST_CASE(log_linear_inside_a_log2_bucket)
{
    Histogram h;
    for (int i = 0; i < 100; ++i)
        h.add(1024 + static_cast<std::uint64_t>(i) * 10); // all in [1K, 2K), max 2014
    // rank 50 is 1514, in the fine bucket [1504, 1520): its middle
    BOOST_TEST(h.percentile(0.5) == 1512u);
    BOOST_TEST(h.percentile(0.99) == 2008u); // exact 2004, in [2000, 2016): its middle
    BOOST_TEST(h.percentile(1.0) == 2014u);  // the last rank is max
    BOOST_TEST(h.percentile(0.01) == 1024u); // the first rank is min
    BOOST_TEST(h.percentile(0.02) == 1032u); // exact 1034, in [1024, 1040): its middle
}

BOOST_AUTO_TEST_CASE(log2_precision_is_the_old_interpolation)
{
    Histogram h;
    for (int i = 0; i < 100; ++i)
        h.add(1024 + static_cast<std::uint64_t>(i) * 10);
    h.set_precision(Precision::log2);
    // rank 50 of 100 in [1024, 2048): 1024 + 1024 * 0.5
    BOOST_TEST(h.percentile(0.5) == 1536u);
    BOOST_TEST(h.percentile(0.99) == 2014u); // clamped to max
    BOOST_TEST(h.percentile(0.01) >= 1024u);
    BOOST_TEST(h.summary().p50_ns == 1536u);

    // ... on any data: what the tool printed before, to the nanosecond.
    std::mt19937_64 rng(11);
    for (int round = 0; round < 300; ++round) {
        Samples v = lognormal(rng, 5.0 + round % 12, 0.3 + (round % 7) * 0.5, 1 + round * 13);
        if (round % 5 == 0)
            v.push_back(0);
        if (round % 7 == 0)
            v.push_back((1ULL << 42) + static_cast<std::uint64_t>(round));
        Histogram x = hist_of(v);
        x.set_precision(Precision::log2);
        const auto s = x.summary();
        BOOST_TEST_REQUIRE(s.p50_ns == old_log2_percentile(v, 0.50));
        BOOST_TEST_REQUIRE(s.p90_ns == old_log2_percentile(v, 0.90));
        BOOST_TEST_REQUIRE(s.p99_ns == old_log2_percentile(v, 0.99));
        BOOST_TEST_REQUIRE(s.p999_ns == old_log2_percentile(v, 0.999));
        for (double q : {0.001, 0.25, 0.75, 1.0})
            BOOST_TEST_REQUIRE(x.percentile(q) == old_log2_percentile(v, q));
    }
}

BOOST_AUTO_TEST_CASE(precision_names)
{
    BOOST_TEST(std::string(nsk::precision_name(Precision::log_linear)) == "log-linear");
    BOOST_TEST(std::string(nsk::precision_name(Precision::log2)) == "log2");
    BOOST_TEST((nsk::precision_from_name("log2") == Precision::log2));
    BOOST_TEST((nsk::precision_from_name("log-linear") == Precision::log_linear));
    BOOST_TEST(!nsk::precision_from_name("hdr-v9"));
}

// --- within 1 % of the exact order statistic: adversarial distributions -------------------------

BOOST_AUTO_TEST_CASE(adversarial_powers_of_two)
{
    Samples v;
    for (int e = 0; e < 64; ++e)
        for (std::uint64_t d : {1ULL, 2ULL, 3ULL})
            for (std::uint64_t x : {(1ULL << e) - d, 1ULL << e, (1ULL << e) + d})
                if (x <= (1ULL << e) + d) // (no wrap)
                    v.push_back(x);
    check_against_exact(v, "just below / at / above every power of two");
    Samples just_below, just_above;
    for (int e = 7; e < 64; ++e) {
        just_below.push_back((1ULL << e) - 1);
        just_above.push_back((1ULL << e) + 1);
    }
    check_against_exact(just_below, "2^e - 1");
    check_against_exact(just_above, "2^e + 1");
}

BOOST_AUTO_TEST_CASE(adversarial_sub_bucket_edges)
{
    // The worst case of the bound: the first sub-bucket of an octave (the widest relative to
    // its values), samples on both edges, min and max outside so that clamping does not help.
    for (int e : {7, 10, 20, 33, 40, 50, 62}) {
        const std::uint64_t lo = 1ULL << e, w = Histogram::fine_width(Histogram::fine_index(lo));
        Samples v;
        v.push_back(1);
        for (int i = 0; i < 600; ++i)
            v.push_back(lo);
        for (int i = 0; i < 400; ++i)
            v.push_back(lo + w - 1);
        v.push_back(1ULL << 63);
        check_against_exact(v, "both edges of [2^" + std::to_string(e) + ", +w)");
        // all samples on one edge
        check_against_exact(Samples(1000, lo), "all at 2^" + std::to_string(e));
        check_against_exact(Samples(1000, lo + w - 1), "all at the top of the first sub-bucket");
        // every sub-bucket's lower and upper edge of that octave
        Samples edges;
        for (std::size_t i = Histogram::fine_index(lo); i < Histogram::fine_index(lo) + 64; ++i) {
            edges.push_back(Histogram::fine_lower(i));
            edges.push_back(Histogram::fine_lower(i) + Histogram::fine_width(i) - 1);
        }
        check_against_exact(edges, "sub-bucket edges of octave " + std::to_string(e));
    }
}

BOOST_AUTO_TEST_CASE(adversarial_huge_values)
{
    std::mt19937_64 rng(40);
    Samples v;
    for (int i = 0; i < 5000; ++i)
        v.push_back((1ULL << 40) + (rng() >> 20)); // 2^40 .. 2^40 + 2^44
    check_against_exact(v, "near 2^40 and above");
    Samples top;
    for (int i = 0; i < 1000; ++i)
        top.push_back(~0ULL - (rng() >> 8));
    top.push_back(~0ULL);
    check_against_exact(top, "near 2^64");
    Samples mixed = v;
    mixed.insert(mixed.end(), top.begin(), top.end());
    mixed.insert(mixed.end(), 3000, 0);
    check_against_exact(mixed, "zeros, 2^40 and 2^64");
}

BOOST_AUTO_TEST_CASE(adversarial_zeros_and_single_samples)
{
    check_against_exact(Samples(1, 0), "a single zero");
    check_against_exact(Samples(10000, 0), "all zeros");
    Samples z(990, 0);
    z.insert(z.end(), 10, 123456789);
    check_against_exact(z, "99 % zeros");
    for (std::uint64_t x :
         {1ULL, 127ULL, 128ULL, 129ULL, 1000ULL, 65535ULL, 1ULL << 40, (1ULL << 40) + 12345, ~0ULL})
        check_against_exact(Samples(1, x), "single " + std::to_string(x));
}

BOOST_AUTO_TEST_CASE(adversarial_bimodal_far_apart)
{
    std::mt19937_64 rng(2);
    for (double frac : {0.5, 0.9, 0.99, 0.999, 0.9995}) {
        Samples v;
        std::normal_distribution<double> fast(2000, 100), slow(10e9, 1e8);
        for (int i = 0; i < 20000; ++i)
            v.push_back(static_cast<std::uint64_t>(
                std::max(0.0, (i < frac * 20000) ? fast(rng) : slow(rng))));
        check_against_exact(v, "bimodal 2 us / 10 s, " + std::to_string(frac) + " fast");
    }
}

BOOST_AUTO_TEST_CASE(adversarial_geometric_and_long_tail)
{
    std::mt19937_64 rng(5);
    Samples geo;
    std::geometric_distribution<int> g(0.05);
    for (int i = 0; i < 50000; ++i)
        geo.push_back(static_cast<std::uint64_t>(100.0 * std::pow(1.3, g(rng) % 120)));
    check_against_exact(geo, "geometric octaves");
    Samples pareto;
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (int i = 0; i < 50000; ++i)
        pareto.push_back(
            static_cast<std::uint64_t>(std::min(1e18, 1000.0 / std::pow(1.0 - u(rng), 1.0 / 0.7))));
    check_against_exact(pareto, "pareto alpha 0.7");
    Samples steps; // 1, 2, 4, ... each power of two once, then a long run of one value
    for (int e = 0; e < 63; ++e)
        steps.push_back(1ULL << e);
    steps.insert(steps.end(), 937, 777777);
    check_against_exact(steps, "every power of two once + a plateau");
}

// --- ... and realistic ones, random seeds --------------------------------------------------------

BOOST_AUTO_TEST_CASE(realistic_lognormal_latencies)
{
    std::random_device rd;
    const auto seed = rd();
    BOOST_TEST_MESSAGE("seed " << seed);
    std::mt19937_64 rng(seed);
    for (int round = 0; round < 60; ++round) {
        // medians 1 us .. 1 ms, spreads 0.2 .. 2.5
        const double mu = std::log(1000.0) + (round % 10) * 0.77;
        const double sigma = 0.2 + (round % 6) * 0.45;
        const int n = 1 + (round * 977) % 40000;
        Samples v = lognormal(rng, mu, sigma, n);
        if (round % 4 == 0) { // a tail of retransmit-like outliers
            Samples t = lognormal(rng, std::log(200e6), 0.5, n / 100 + 1);
            v.insert(v.end(), t.begin(), t.end());
        }
        check_against_exact(v, "lognormal seed " + std::to_string(seed) + " round " +
                                   std::to_string(round));
    }
}

BOOST_AUTO_TEST_CASE(percentiles_are_ordered_and_bounded)
{
    std::mt19937_64 rng(42);
    for (Precision p : {Precision::log_linear, Precision::log2}) {
        for (int round = 0; round < 200; ++round) {
            Histogram h =
                hist_of(lognormal(rng, 8.0 + round % 5, 1.0 + (round % 3), 1 + round * 7));
            h.set_precision(p);
            const auto s = h.summary();
            BOOST_TEST_REQUIRE(s.p50_ns <= s.p90_ns);
            BOOST_TEST_REQUIRE(s.p90_ns <= s.p99_ns);
            BOOST_TEST_REQUIRE(s.p99_ns <= s.p999_ns);
            BOOST_TEST_REQUIRE(s.p999_ns <= s.max_ns);
            BOOST_TEST_REQUIRE(s.p50_ns >= h.min());
        }
    }
}

// --- merge ---------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(merge_adds_up)
{
    Histogram a, b;
    a.add(10);
    a.add(20);
    b.add(5);
    b.add(4000);
    a.merge(b);
    BOOST_TEST(a.count() == 4u);
    BOOST_TEST(a.max() == 4000u);
    BOOST_TEST(a.min() == 5u);
    BOOST_TEST(a.sum() == 4035u);
    Histogram empty;
    empty.merge(a);
    BOOST_TEST(empty.min() == 5u);
    BOOST_TEST(empty.count() == 4u);
    a.merge(Histogram{});
    BOOST_TEST(a.count() == 4u);
}

BOOST_AUTO_TEST_CASE(merge_equals_one_histogram_of_all_samples)
{
    std::mt19937_64 rng(99);
    for (int round = 0; round < 50; ++round) {
        Samples all;
        std::vector<Histogram> parts(1 + round % 7);
        for (std::size_t p = 0; p < parts.size(); ++p) {
            // each part in its own range, so the parts hold different chunks
            Samples v =
                lognormal(rng, 3.0 + static_cast<double>(p) * 2.5, 1.0, 1 + (round * 131) % 3000);
            if (p % 3 == 2)
                v.clear(); // empty parts too
            for (auto x : v)
                parts[p].add(x);
            all.insert(all.end(), v.begin(), v.end());
        }
        Histogram merged;
        for (const auto &p : parts)
            merged.merge(p);
        const Histogram direct = hist_of(all);
        BOOST_TEST_REQUIRE(merged.count() == direct.count());
        BOOST_TEST_REQUIRE(merged.sum() == direct.sum());
        BOOST_TEST_REQUIRE(merged.min() == direct.min());
        BOOST_TEST_REQUIRE(merged.max() == direct.max());
        BOOST_TEST_REQUIRE(merged.log2_counts() == direct.log2_counts());
        BOOST_TEST_REQUIRE(merged.render_bars() == direct.render_bars());
        for (int k = 1; k <= 200; ++k)
            BOOST_TEST_REQUIRE(merged.percentile(k / 200.0) == direct.percentile(k / 200.0));
        if (!all.empty())
            check_against_exact(all, "merged parts");
    }
}

// --- rendering -----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(bpftrace_style_bars)
{
    Histogram h;
    for (int i = 0; i < 4; ++i)
        h.add(5000); // [4K, 8K)
    h.add(20000);    // [16K, 32K)
    h.add(20000);
    const std::string expected = "  [4K, 8K)   4 |@@@@@@@@@@@@@@@@@@@@|\n"
                                 "  [8K, 16K)  0 |                    |\n"
                                 "  [16K, 32K) 2 |@@@@@@@@@@          |\n";
    BOOST_TEST(h.render_bars(20, "  ") == expected);
    Histogram m;
    m.add(3u << 20); // [2M, 4M)
    BOOST_TEST(m.render_bars(4) == "[2M, 4M) 1 |@@@@|\n");
    Histogram z; // 0 and 63 share the first chunk, in different log2 buckets
    z.add(0);
    z.add(63);
    z.add(64);
    BOOST_TEST(z.render_bars(2) == "[0, 1)    1 |@@|\n"
                                   "[1, 2)    0 |  |\n"
                                   "[2, 4)    0 |  |\n"
                                   "[4, 8)    0 |  |\n"
                                   "[8, 16)   0 |  |\n"
                                   "[16, 32)  0 |  |\n"
                                   "[32, 64)  1 |@@|\n"
                                   "[64, 128) 1 |@@|\n");
}
