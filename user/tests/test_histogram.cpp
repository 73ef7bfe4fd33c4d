#define BOOST_TEST_MODULE histogram
#include <boost/test/unit_test.hpp>

#include "nsk/histogram.hpp"

#include <random>

using nsk::Histogram;

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

BOOST_AUTO_TEST_CASE(empty_and_single)
{
    Histogram h;
    BOOST_TEST(h.percentile(0.5) == 0u);
    BOOST_TEST(h.summary().count == 0u);
    BOOST_TEST(h.render_bars().empty());
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

BOOST_AUTO_TEST_CASE(percentiles_interpolate_within_bucket)
{
    Histogram h;
    for (int i = 0; i < 100; ++i)
        h.add(1024 + static_cast<std::uint64_t>(i) * 10); // all in [1K, 2K), max 2014
    // rank 50 of 100 in [1024, 2048): 1024 + 1024 * 0.5
    BOOST_TEST(h.percentile(0.5) == 1536u);
    BOOST_TEST(h.percentile(0.99) == 2014u); // clamped to max
    BOOST_TEST(h.percentile(0.01) >= 1024u);
}

BOOST_AUTO_TEST_CASE(percentiles_are_ordered_and_bounded)
{
    std::mt19937_64 rng(42);
    for (int round = 0; round < 200; ++round) {
        Histogram h;
        std::lognormal_distribution<double> d(8.0 + round % 5, 1.0 + (round % 3));
        const int n = 1 + round * 7;
        for (int i = 0; i < n; ++i)
            h.add(static_cast<std::uint64_t>(d(rng)));
        const auto s = h.summary();
        BOOST_TEST_REQUIRE(s.p50_ns <= s.p90_ns);
        BOOST_TEST_REQUIRE(s.p90_ns <= s.p99_ns);
        BOOST_TEST_REQUIRE(s.p99_ns <= s.p999_ns);
        BOOST_TEST_REQUIRE(s.p999_ns <= s.max_ns);
        BOOST_TEST_REQUIRE(s.p50_ns >= h.min());
    }
}

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
}

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
}
