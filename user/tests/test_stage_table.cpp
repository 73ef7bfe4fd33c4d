#define BOOST_TEST_MODULE stage_table
#include <boost/test/unit_test.hpp>

#include "correlate/stage_table.hpp"

#include <vector>

using nsk::corr::Path;
using nsk::corr::StageTable;
using nsk::corr::Visit;

namespace {
Visit at(std::uint16_t probe, std::uint64_t ts)
{
    return {probe, 0, 0, ts};
}
} // namespace

// The dense index in front of the rows gives the same row for the same (path, from, to) every
// time, a row per path for the same pair, and probe ids beyond it (a newer module) get rows too.
BOOST_AUTO_TEST_CASE(one_row_per_path_and_pair_indexed_or_not)
{
    StageTable t;
    const std::uint16_t beyond = __NSK_PROBE_MAX + 5; // (not in the index)
    std::vector<Visit> v{at(NSK_PROBE_IP_RCV, 100), at(NSK_PROBE_UDP_RCV, 150), at(beyond, 170),
                         at(NSK_PROBE_UDP_RCV, 200)};
    std::size_t accounted = 1;
    t.account(IPPROTO_UDP, v, accounted, Path::rx);
    BOOST_TEST(accounted == 4u);
    accounted = 1;
    t.account(IPPROTO_UDP, v, accounted, Path::rx);           // the same pairs again: the same rows
    t.add(Path::fwd, NSK_PROBE_IP_RCV, NSK_PROBE_UDP_RCV, 7); // same pair, another path
    t.add(Path::rx, beyond, NSK_PROBE_UDP_RCV, 10);
    const auto rows = t.sorted();
    BOOST_TEST(rows.size() == 4u);
    std::uint64_t rx_pair = 0, fwd_pair = 0, to_beyond = 0, from_beyond = 0;
    for (const auto &r : rows) {
        if (r.from == NSK_PROBE_IP_RCV && r.to == NSK_PROBE_UDP_RCV)
            (r.path == "fwd" ? fwd_pair : rx_pair) += r.hist.count();
        if (r.from == NSK_PROBE_UDP_RCV && r.to == beyond)
            to_beyond += r.hist.count();
        if (r.from == beyond && r.to == NSK_PROBE_UDP_RCV)
            from_beyond += r.hist.count();
    }
    BOOST_TEST(rx_pair == 2u);
    BOOST_TEST(fwd_pair == 1u);
    BOOST_TEST(to_beyond == 2u);
    BOOST_TEST(from_beyond == 3u);
}
