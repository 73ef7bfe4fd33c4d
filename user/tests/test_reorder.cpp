#define BOOST_TEST_MODULE reorder
#include <boost/test/unit_test.hpp>

#include "synth.hpp"

#include "nsk/reorder.hpp"

#include <cstring>
#include <map>
#include <queue>
#include <string>
#include <tuple>
#include <vector>

using namespace synth;

BOOST_AUTO_TEST_CASE(releases_in_timestamp_order_after_window)
{
    nsk::ReorderBuffer rb(100);
    std::vector<std::uint64_t> got;
    auto sink = [&](const nsk::Record &r) { got.push_back(r.ev.ts_ns); };
    rb.push(ev(NSK_PROBE_IP_RCV, 1, 50, 1));
    rb.push(ev(NSK_PROBE_IP_RCV, 0, 10, 2));
    rb.push(ev(NSK_PROBE_IP_RCV, 0, 30, 3));
    rb.release(sink);
    BOOST_TEST(got.empty()); // max 50 - window 100 < everything
    rb.push(ev(NSK_PROBE_IP_RCV, 0, 145, 4));
    rb.release(sink); // watermark 45: releases 10, 30
    BOOST_TEST((got == std::vector<std::uint64_t>{10, 30}));
    rb.push(ev(NSK_PROBE_IP_RCV, 2, 20, 5)); // late: older than something released
    BOOST_TEST(rb.late() == 1u);
    rb.flush(sink);
    BOOST_TEST((got == std::vector<std::uint64_t>{10, 30, 20, 50, 145}));
    BOOST_TEST(rb.size() == 0u);
}

BOOST_AUTO_TEST_CASE(ties_break_by_cpu_then_seq)
{
    nsk::ReorderBuffer rb(0);
    std::vector<std::pair<std::uint32_t, std::uint64_t>> got;
    auto a = ev(NSK_PROBE_IP_RCV, 1, 10, 1);
    a.seq = 5;
    auto b = ev(NSK_PROBE_IP_RCV, 0, 10, 2);
    b.seq = 9;
    auto c = ev(NSK_PROBE_IP_RCV, 0, 10, 3);
    c.seq = 8;
    rb.push(a);
    rb.push(b);
    rb.push(c);
    rb.flush([&](const nsk::Record &r) { got.emplace_back(r.cpu, r.seq); });
    BOOST_TEST(
        (got == std::vector<std::pair<std::uint32_t, std::uint64_t>>{{0, 8}, {0, 9}, {1, 5}}));
}

BOOST_AUTO_TEST_CASE(release_until_watermark)
{
    nsk::ReorderBuffer rb(1000);
    int n = 0;
    rb.push(ev(NSK_PROBE_IP_RCV, 0, 10, 1));
    rb.push(ev(NSK_PROBE_IP_RCV, 0, 20, 2));
    rb.release_until(15, [&](const nsk::Record &) { ++n; });
    BOOST_TEST(n == 1);
    BOOST_TEST(rb.size() == 1u);
}

// The per-CPU merge releases exactly what one global heap by (ts, cpu, seq) released: the same
// records in the same order at every step, including records stamped out of order on their own
// CPU (a nested softirq), ties, late records and idle releases.
namespace {

struct Reference { // the previous implementation, kept as the specification
    struct Later {
        bool operator()(const nsk::Record &a, const nsk::Record &b) const
        {
            if (a.ev.ts_ns != b.ev.ts_ns)
                return a.ev.ts_ns > b.ev.ts_ns;
            if (a.cpu != b.cpu)
                return a.cpu > b.cpu;
            return a.seq > b.seq;
        }
    };
    std::priority_queue<nsk::Record, std::vector<nsk::Record>, Later> heap;
    std::uint64_t max_ts = 0, window;
    template <typename F>
    void release_until(std::uint64_t w, F &&f)
    {
        while (!heap.empty() && heap.top().ev.ts_ns < w) {
            f(heap.top());
            heap.pop();
        }
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(same_order_as_one_global_heap)
{
    std::uint64_t rng = 12345;
    auto next = [&](std::uint64_t mod) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        return (rng >> 33) % mod;
    };
    for (int round = 0; round < 20; ++round) {
        const std::uint64_t window = 1000 * (round % 4);
        nsk::ReorderBuffer rb(window);
        Reference ref;
        ref.window = window;
        std::vector<std::tuple<std::uint32_t, std::uint64_t, std::uint64_t>> got, want;
        auto g = [&](const nsk::Record &r) { got.emplace_back(r.cpu, r.seq, r.ev.ts_ns); };
        auto w = [&](const nsk::Record &r) { want.emplace_back(r.cpu, r.seq, r.ev.ts_ns); };
        std::map<std::uint32_t, std::uint64_t> clock, seq;
        const std::uint32_t cpus = 1 + static_cast<std::uint32_t>(next(8));
        for (int step = 0; step < 3000; ++step) {
            const auto cpu = static_cast<std::uint32_t>(next(cpus));
            // Mostly increasing per CPU; sometimes back in time (nested), sometimes equal.
            const std::uint64_t back = next(10) == 0 ? next(400) : 0;
            clock[cpu] += next(3) * 50;
            auto r = ev(NSK_PROBE_IP_RCV, static_cast<std::uint16_t>(cpu),
                        clock[cpu] > back ? clock[cpu] - back : 0, 1);
            r.seq = seq[cpu]++;
            rb.push(r);
            ref.heap.push(r);
            if (r.ev.ts_ns > ref.max_ts)
                ref.max_ts = r.ev.ts_ns;
            if (next(5) == 0) {
                rb.release(g);
                if (ref.max_ts >= window)
                    ref.release_until(ref.max_ts - window, w);
            }
            if (next(200) == 0) {
                const std::uint64_t mark = next(clock[cpu] + 1);
                rb.release_until(mark, g);
                ref.release_until(mark, w);
            }
            BOOST_REQUIRE((got == want));
            BOOST_REQUIRE(rb.size() == ref.heap.size());
        }
        rb.flush(g);
        ref.release_until(UINT64_MAX, w);
        BOOST_TEST(got.size() == 3000u);
        BOOST_TEST((got == want));
        BOOST_TEST(rb.size() == 0u);
    }
}

// A CPU's records leave in runs that walk a block by pointer, bounded once by the watermark and
// the other CPUs' fronts: runs that cross block ends, stop at a tie with another CPU's front (at
// the same ts the lower CPU goes first) and stop at a watermark inside a block release what one
// global heap releases; the peak counts every record held.
BOOST_AUTO_TEST_CASE(runs_cross_block_ends_and_stop_at_ties_and_watermarks)
{
    constexpr std::size_t B = nsk::ReorderBuffer::kBlockRecords;
    nsk::ReorderBuffer rb(1'000'000);
    Reference ref;
    std::vector<std::tuple<std::uint32_t, std::uint64_t, std::uint64_t>> got, want;
    auto g = [&](const nsk::Record &r) { got.emplace_back(r.cpu, r.seq, r.ev.ts_ns); };
    auto w = [&](const nsk::Record &r) { want.emplace_back(r.cpu, r.seq, r.ev.ts_ns); };
    std::uint64_t seq0 = 0, seq1 = 0, seq2 = 0;
    auto put = [&](std::uint16_t cpu, std::uint64_t ts, std::uint64_t &seq) {
        auto r = ev(NSK_PROBE_IP_RCV, cpu, ts, 1);
        r.seq = seq++;
        rb.push(r);
        ref.heap.push(r);
    };
    // CPU 1 holds 3.5 blocks, one record per ns; CPUs 0 and 2 one record every 500 ns, at the
    // same ts as CPU 1's (ties on both sides of it).
    for (std::uint64_t ts = 1; ts <= 3 * B + B / 2; ++ts) {
        put(1, ts, seq1);
        if (ts % 500 == 0) {
            put(0, ts, seq0);
            put(2, ts, seq2);
        }
    }
    const std::size_t held = rb.size();
    for (const std::uint64_t mark : {std::uint64_t{700}, std::uint64_t{B + 3}, std::uint64_t{B + 3},
                                     std::uint64_t{2 * B}, std::uint64_t{3 * B + 17}}) {
        rb.release_until(mark, g);
        ref.release_until(mark, w);
        BOOST_REQUIRE((got == want));
        BOOST_REQUIRE(rb.size() == ref.heap.size());
    }
    put(1, 4 * B, seq1); // (after the FIFO's front block went back to the pool)
    rb.flush(g);
    ref.release_until(UINT64_MAX, w);
    BOOST_TEST((got == want));
    BOOST_TEST(got.size() == held + 1);
    BOOST_TEST(rb.size() == 0u);
    BOOST_TEST(rb.peak_size() == held);
}

BOOST_AUTO_TEST_CASE(out_of_order_on_one_cpu_and_sparse_cpu_numbers)
{
    nsk::ReorderBuffer rb(0);
    std::vector<std::pair<std::uint32_t, std::uint64_t>> got;
    auto r1 = ev(NSK_PROBE_IP_RCV, 0, 30, 1); // written first, stamped last
    r1.seq = 0;
    auto r2 = ev(NSK_PROBE_IP_RCV, 0, 10, 2);
    r2.seq = 1;
    auto r3 = ev(NSK_PROBE_IP_RCV, 0, 20, 3);
    r3.seq = 2;
    auto r4 = ev(NSK_PROBE_IP_RCV, 0, 15, 4);
    r4.cpu = 300; // CPU numbers need not be dense
    r4.seq = 0;
    for (const auto &r : {r1, r2, r3, r4})
        rb.push(r);
    BOOST_TEST(rb.size() == 4u);
    rb.release_until(21, [&](const nsk::Record &r) { got.emplace_back(r.cpu, r.ev.ts_ns); });
    BOOST_TEST(
        (got == std::vector<std::pair<std::uint32_t, std::uint64_t>>{{0, 10}, {300, 15}, {0, 20}}));
    BOOST_TEST(rb.size() == 1u);
    BOOST_TEST(rb.released_ts() == 20u);
}

// Issue 15 (51_nic_udp_rx): a CPU's batch that comes after the window (its drain was held up)
// is applied out of order and counted; the window then widens to absorb the next such delay,
// up to its bound.
BOOST_AUTO_TEST_CASE(window_widens_after_a_late_record_up_to_its_bound)
{
    nsk::ReorderBuffer rb(100, 1000);
    std::vector<std::uint64_t> got;
    auto sink = [&](const nsk::Record &r) { got.push_back(r.ev.ts_ns); };
    rb.push(ev(NSK_PROBE_IP_RCV, 0, 10, 1));
    rb.push(ev(NSK_PROBE_IP_RCV, 0, 200, 2));
    rb.release(sink); // watermark 100: releases 10
    BOOST_TEST((got == std::vector<std::uint64_t>{10}));
    BOOST_TEST(!rb.window_grew());
    rb.push(ev(NSK_PROBE_IP_RCV, 1, 5, 3)); // CPU 1's batch, 195 behind the newest: late
    BOOST_TEST(rb.late() == 1u);
    BOOST_TEST(rb.window_grew());
    BOOST_TEST(rb.window_ns() == 390u); // twice the lateness (more than doubling 100)
    rb.release(sink);
    // CPU 0 goes on to 500; CPU 1's next batch is as late (stamped 300): inside the window now
    rb.push(ev(NSK_PROBE_IP_RCV, 0, 500, 4));
    rb.release(sink); // watermark 110: releases 5 (late, applied now), nothing else
    rb.push(ev(NSK_PROBE_IP_RCV, 1, 300, 5));
    BOOST_TEST(rb.late() == 1u);
    rb.push(ev(NSK_PROBE_IP_RCV, 0, 5000, 6)); // far ahead: the bound holds (1000)
    rb.release(sink);
    BOOST_TEST((got == std::vector<std::uint64_t>{10, 5, 200, 300, 500}));
    rb.push(ev(NSK_PROBE_IP_RCV, 1, 400, 7)); // 4600 behind: late; the window stops at 1000
    BOOST_TEST(rb.late() == 2u);
    BOOST_TEST(rb.window_ns() == 1000u);
    BOOST_TEST(rb.max_window_ns() == 1000u);
    BOOST_TEST(rb.peak_size() == 4u);
    rb.flush(sink);
    BOOST_TEST(rb.size() == 0u);
}

BOOST_AUTO_TEST_CASE(fixed_window_when_no_bound_above_it)
{
    nsk::ReorderBuffer rb(100);
    auto sink = [](const nsk::Record &) {};
    rb.push(ev(NSK_PROBE_IP_RCV, 0, 10, 1));
    rb.push(ev(NSK_PROBE_IP_RCV, 0, 200, 2));
    rb.release(sink);
    rb.push(ev(NSK_PROBE_IP_RCV, 1, 5, 3));
    BOOST_TEST(rb.late() == 1u);
    BOOST_TEST(!rb.window_grew());
    BOOST_TEST(rb.window_ns() == 100u);
}

// A burst fills a CPU's FIFO; its blocks go to the pool as its records leave, are kept there for
// kSpareWindows windows, then freed (a collector that runs for weeks does not keep its biggest
// burst's worth of records allocated).
BOOST_AUTO_TEST_CASE(fifo_memory_is_released_after_a_burst)
{
    constexpr std::size_t B = nsk::ReorderBuffer::kBlockRecords;
    nsk::ReorderBuffer rb(1000);
    std::uint64_t n = 0, seq = 0;
    auto sink = [&](const nsk::Record &) { ++n; };
    for (std::uint64_t i = 0; i < 100'000; ++i)
        rb.push(ev(NSK_PROBE_IP_RCV, 3, 10 + i / 1000, ++seq)); // within the window: all held
    BOOST_TEST(rb.size() == 100'000u);
    BOOST_TEST(rb.capacity() == (100'000 + B - 1) / B * B); // blocks: room follows what is held
    BOOST_TEST(rb.spare_capacity() == 0u);
    rb.push(ev(NSK_PROBE_IP_RCV, 0, 1'000'000, ++seq)); // moves the watermark past the burst
    rb.release(sink);
    BOOST_TEST(n == 100'000u);
    BOOST_TEST(rb.size() == 1u);
    // Drained: CPU 3 keeps the block its last record left (a dip is not the end of a burst), the
    // others wait in the pool; CPU 0 holds one block.
    BOOST_TEST(rb.capacity() == 2 * B);
    BOOST_TEST(rb.spare_capacity() == (100'000 + B - 1) / B * B - B);
    rb.push(ev(NSK_PROBE_IP_RCV, 0, 1'002'000, ++seq)); // a window later
    rb.release(sink);
    BOOST_TEST(n == 100'001u);
    // CPU 3's FIFO stayed empty for a window and gave its block back; CPU 0's holds its one
    BOOST_TEST(rb.capacity() == B);
    BOOST_TEST(rb.spare_capacity() == (100'000 + B - 1) / B * B);
    for (std::uint64_t w = 1; w <= nsk::ReorderBuffer::kSpareWindows + 1; ++w) {
        rb.push(ev(NSK_PROBE_IP_RCV, 0, 1'002'000 + w * 2000, ++seq));
        rb.release(sink);
    }
    BOOST_TEST(rb.capacity() == B);
    BOOST_TEST(rb.spare_capacity() == 0u); // nobody took them for kSpareWindows windows
    rb.flush(sink);
    BOOST_TEST(n == seq);
    BOOST_TEST(rb.capacity() == 0u);
    BOOST_TEST(rb.spare_capacity() == 0u);
}

// Under steady traffic a FIFO never empties: after a backlog its room shrinks with what it
// holds, block by block, instead of keeping the backlog's peak.
BOOST_AUTO_TEST_CASE(fifo_shrinks_with_its_backlog_without_emptying)
{
    constexpr std::size_t B = nsk::ReorderBuffer::kBlockRecords;
    nsk::ReorderBuffer rb(1000);
    std::uint64_t n = 0;
    auto sink = [&](const nsk::Record &) { ++n; };
    for (std::uint64_t i = 0; i < 100'000; ++i)
        rb.push(ev(NSK_PROBE_IP_RCV, 3, 10 + i, i + 1)); // one per ns: 100 000 ns of backlog
    BOOST_TEST(rb.capacity() == (100'000 + B - 1) / B * B);
    rb.release_until(10 + 100'000 - 3000, sink); // 3000 remain
    BOOST_TEST(n == 97'000u);
    BOOST_TEST(rb.size() == 3000u);
    // records 97 000 .. 99 999: blocks 94 .. 97
    BOOST_TEST(rb.capacity() == 4 * B); // (the 94 blocks before went to the pool)
    for (std::uint64_t i = 100'000; i < 101'000; ++i)
        rb.push(ev(NSK_PROBE_IP_RCV, 3, 10 + i, i + 1)); // steady: 1000 more
    rb.release_until(10 + 98'000, sink);                 // 3000 remain
    BOOST_TEST(n == 98'000u);
    BOOST_TEST(rb.size() == 3000u);
    BOOST_TEST(rb.capacity() == 4 * B); // records 98 000 .. 100 999: blocks 95 .. 98
    rb.flush(sink);
    BOOST_TEST(n == 101'000u);
    BOOST_TEST(rb.capacity() == 0u);
    BOOST_TEST(rb.spare_capacity() == 0u);
}

// The blocks a CPU's FIFO gives back are taken again by the next burst, on any CPU, instead of
// new memory (first-touch page faults); the block given back last is taken first.
BOOST_AUTO_TEST_CASE(fifo_blocks_given_back_are_reused_by_any_cpu)
{
    constexpr std::size_t B = nsk::ReorderBuffer::kBlockRecords;
    nsk::ReorderBuffer rb(1000);
    std::uint64_t n = 0, seq = 0;
    std::vector<const nsk::Record *> where;
    auto sink = [&](const nsk::Record &r) {
        ++n;
        where.push_back(&r);
    };
    for (std::uint64_t i = 0; i < 10 * B; ++i)
        rb.push(ev(NSK_PROBE_IP_RCV, 3, 10 + i / 1000, ++seq));
    rb.push(ev(NSK_PROBE_IP_RCV, 0, 1'000'000, ++seq));
    rb.release(sink);
    BOOST_TEST(n == 10 * B);
    BOOST_TEST(rb.spare_capacity() == 10 * B); // (its last record filled the last block)
    const nsk::Record *last_block = where[10 * B - 1] - (B - 1); // given back last
    // The same burst on CPU 5: ten blocks from the pool, none new.
    for (std::uint64_t i = 0; i < 10 * B; ++i)
        rb.push(ev(NSK_PROBE_IP_RCV, 5, 1'000'000 + i / 1000, ++seq));
    BOOST_TEST(rb.spare_capacity() == 0u);
    BOOST_TEST(rb.capacity() == (1 + 10) * B); // CPU 0's block and CPU 5's
    where.clear();
    rb.flush(sink);
    BOOST_TEST(n == seq);
    BOOST_TEST(where[1] == last_block); // CPU 5's first record (after CPU 0's) went there
    for (std::size_t i = 1; i < where.size(); ++i) // (records were in order within a block)
        if (i % B != 1)
            BOOST_TEST_REQUIRE(where[i] == where[i - 1] + 1);
}

// A drop's strings travel beside the record: push() copies them into the buffer's own pool,
// so the caller's copy may go at once, and the sink still reads them.
BOOST_AUTO_TEST_CASE(drop_strings_are_held_until_the_sink_returns)
{
    nsk::ReorderBuffer rb(100);
    {
        nsk::DropText text;
        std::strncpy(text.reason_name, "SOCKET_RCVBUFF", sizeof(text.reason_name) - 1);
        std::strncpy(text.location, "sock_queue_rcv_skb+0x1c/0x80", sizeof(text.location) - 1);
        nsk::Record r = ev(NSK_PROBE_KFREE_SKB, 0, 10, 1);
        r.type = NSK_REC_DROP;
        r.drop = &text;
        rb.push(r);
        std::memset(text.location, 'x', sizeof(text.location)); // (the caller's copy is gone)
    }
    rb.push(ev(NSK_PROBE_IP_RCV, 1, 20, 2));
    std::vector<std::string> got;
    rb.flush([&](const nsk::Record &r) {
        got.push_back(std::string(r.reason_sv()) + "@" + std::string(r.location_sv()));
    });
    BOOST_TEST(got.size() == 2u);
    BOOST_TEST(got[0] == "SOCKET_RCVBUFF@sock_queue_rcv_skb+0x1c/0x80");
    BOOST_TEST(got[1] == "@");
}

// The decoder writes a batch through one Writer, which keeps the FIFO's back in its own fields
// and writes them back when it goes: batches that cross block ends, hold records out of order
// (a later one first), late records and drops leave the buffer as the same records pushed one
// by one do, with the same counts (size, late, window, newest timestamp, peak).
BOOST_AUTO_TEST_CASE(a_writers_batch_files_records_as_pushes_do)
{
    constexpr std::size_t B = nsk::ReorderBuffer::kBlockRecords;
    nsk::ReorderBuffer batched(1000, 100'000), pushed(1000, 100'000);
    using Out = std::vector<std::tuple<std::uint32_t, std::uint64_t, std::uint64_t, std::string>>;
    Out got, want;
    auto into = [](Out &o) {
        return [&o](const nsk::Record &r) {
            o.emplace_back(r.cpu, r.seq, r.ev.ts_ns, std::string(r.location_sv()));
        };
    };
    std::map<std::uint32_t, std::uint64_t> seqs;
    std::vector<nsk::Record> batch;
    auto rec = [&](std::uint16_t cpu, std::uint64_t ts) {
        auto r = ev(NSK_PROBE_IP_RCV, cpu, ts, 1);
        r.seq = seqs[cpu]++;
        batch.push_back(r);
    };
    nsk::DropText text;
    std::strcpy(text.location, "udp_queue_rcv_one_skb+0x1c");
    auto send = [&](std::uint32_t cpu) {
        {
            auto w = batched.writer(cpu);
            for (const auto &r : batch) {
                nsk::Record &s = w.slot();
                s = r;
                if (r.ev.skb_id % 5 == 0) { // (every fifth a drop)
                    nsk::DropText &t = w.drop_text();
                    t = text;
                    s.type = NSK_REC_DROP;
                    s.drop = &t;
                }
                w.commit();
            }
        }
        for (auto r : batch) {
            if (r.ev.skb_id % 5 == 0) {
                r.type = NSK_REC_DROP;
                r.drop = &text;
            }
            pushed.push(r);
        }
        batch.clear();
    };
    std::uint64_t skb = 0;
    auto run = [&](std::uint16_t cpu, std::uint64_t from, std::size_t n, std::uint64_t step) {
        for (std::size_t k = 0; k < n; ++k) {
            rec(cpu, from + k * step);
            batch.back().ev.skb_id = ++skb;
        }
    };
    run(0, 100, 1, 1); // a FIFO's first record
    send(0);
    run(3, 50, B + 5, 1); // across a block end, on a sparse CPU number
    rec(3, 60);           // out of order: back past the newer ones
    rec(3, 40);           // ... to the front
    send(3);
    run(0, 101, 7, 2);
    rec(0, 102); // a tie in ts, a later seq
    send(0);
    batched.release(into(got));
    pushed.release(into(want));
    BOOST_REQUIRE((got == want));
    BOOST_REQUIRE(!got.empty());
    run(0, 5, 2, 1); // late: older than what was released (the window grows)
    run(0, 2000, 3, 1);
    send(0);
    BOOST_TEST(batched.late() == 2u);
    BOOST_TEST(batched.late() == pushed.late());
    BOOST_TEST(batched.window_ns() == pushed.window_ns());
    BOOST_TEST(batched.window_grew());
    BOOST_TEST(batched.max_ts() == pushed.max_ts());
    BOOST_TEST(batched.size() == pushed.size());
    batched.flush(into(got));
    pushed.flush(into(want));
    BOOST_TEST((got == want));
    BOOST_TEST(got.size() == B + 5 + 2 + 1 + 8 + 5);
    BOOST_TEST(batched.peak_size() == pushed.peak_size());
    BOOST_TEST(batched.size() == 0u);
}
