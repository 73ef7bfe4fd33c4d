#define BOOST_TEST_MODULE final_read
#include <boost/test/unit_test.hpp>

#include "nsk/final_read.hpp"

using nsk::CpuCounters;
using nsk::FinalRead;

namespace {
constexpr std::uint64_t kS = 1'000'000'000ULL;

std::vector<CpuCounters> sent(std::uint64_t cpu0, std::uint64_t cpu1)
{
    CpuCounters a, b;
    a.cpu = 0;
    a.sent = cpu0;
    b.cpu = 1;
    b.sent = cpu1;
    return {a, b};
}
} // namespace

// A slow reader with a full socket: reading goes on for as long as records keep coming, well
// past the 60 s the tool used to stop at (it then counted readable records as lost).
BOOST_AUTO_TEST_CASE(reads_past_a_minute_while_records_keep_coming)
{
    FinalRead f(0);
    f.set_final(sent(1'000'000, 500'000));
    std::map<std::uint32_t, std::uint64_t> exp{{0, 0}, {1, 0}};
    f.progress(exp, 0);
    for (std::uint64_t t = 1; t <= 300; ++t) { // 5 000 records a second for 300 s
        exp[0] += 3'000;
        exp[1] += 2'000;
        f.progress(exp, t * kS);
        BOOST_TEST(!f.done(t * kS + kS / 2));
    }
    BOOST_TEST(*f.left() == 100'000u); // 900 000 of 1 000 000, 600 000 capped at 500 000
}

BOOST_AUTO_TEST_CASE(ends_when_every_record_sent_was_received)
{
    FinalRead f(0);
    f.set_final(sent(10, 5));
    std::map<std::uint32_t, std::uint64_t> exp{{0, 10}, {1, 4}};
    f.progress(exp, kS / 10);
    BOOST_TEST(!f.done(kS / 10));
    BOOST_TEST(*f.left() == 1u);
    exp[1] = 5;
    f.progress(exp, kS / 5);
    BOOST_TEST(f.done(kS / 5)); // at once, not after the quiet time
    BOOST_TEST(*f.left() == 0u);
}

BOOST_AUTO_TEST_CASE(ends_after_the_quiet_time_with_what_is_missing)
{
    FinalRead f(0);
    f.set_final(sent(100, 0));
    std::map<std::uint32_t, std::uint64_t> exp{{0, 60}}; // 40 failed in the kernel
    f.progress(exp, 3 * kS);
    BOOST_TEST(!f.done(3 * kS + FinalRead::kQuietNs - 1));
    BOOST_TEST(f.done(3 * kS + FinalRead::kQuietNs));
    BOOST_TEST(*f.left() == 40u);
}

// A newer collection's batches (numbered from 0 again, or past the final counts) are messages
// but no progress: they do not keep the reading going.
BOOST_AUTO_TEST_CASE(another_collections_records_are_no_progress)
{
    FinalRead f(0);
    f.set_final(sent(100, 100));
    std::map<std::uint32_t, std::uint64_t> exp{{0, 100}, {1, 50}};
    f.progress(exp, kS);
    exp[0] = 5'000; // past this collection's final count on CPU 0
    f.progress(exp, 2 * kS);
    BOOST_TEST(f.done(kS + FinalRead::kQuietNs));
    BOOST_TEST(*f.left() == 50u);
}

BOOST_AUTO_TEST_CASE(without_final_counts_any_new_record_is_progress)
{
    FinalRead f(0);
    std::map<std::uint32_t, std::uint64_t> exp{{0, 1}};
    f.progress(exp, 0);
    BOOST_TEST(!f.left().has_value());
    exp[0] = 2;
    f.progress(exp, FinalRead::kQuietNs - 1);
    BOOST_TEST(!f.done(FinalRead::kQuietNs + 1));
    BOOST_TEST(f.done(2 * FinalRead::kQuietNs - 1));
}
