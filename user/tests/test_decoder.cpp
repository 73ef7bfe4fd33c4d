#define BOOST_TEST_MODULE decoder
#include <boost/test/unit_test.hpp>

#include "synth.hpp"

#include "nsk/decoder.hpp"

using namespace synth;
using nsk::DecodeStats;
using nsk::Record;

namespace {
void put_hdr(std::vector<std::uint8_t> &b, std::uint16_t type, std::uint16_t size)
{
    nsk_rec_hdr h{type, size};
    const auto *p = reinterpret_cast<const std::uint8_t *>(&h);
    b.insert(b.end(), p, p + sizeof(h));
    b.resize(b.size() + size - sizeof(h), 0xAB);
}
} // namespace

BOOST_AUTO_TEST_CASE(events_and_drops_roundtrip)
{
    auto bytes =
        pack({ev(NSK_PROBE_IP_RCV, 3, 111, 5),
              drop(NSK_PROBE_KFREE_SKB, 3, 222, 5, "NO_SOCKET", "__udp4_lib_rcv+0x5/0x9")});
    nsk::DecodedRecords out;
    DecodeStats st;
    BOOST_TEST(nsk::decode_records(3, 40, 2, bytes.data(), bytes.size(), out, st) == 2u);
    BOOST_REQUIRE(out.size() == 2u);
    BOOST_TEST(out[0].ev.probe == NSK_PROBE_IP_RCV);
    BOOST_TEST(out[0].ev.ts_ns == 111u);
    BOOST_TEST(out[0].seq == 40u);
    BOOST_TEST(out[1].seq == 41u);
    BOOST_TEST(out[1].is_drop());
    BOOST_TEST(out[1].reason_sv() == "NO_SOCKET");
    BOOST_TEST(out[1].location_sv() == "__udp4_lib_rcv+0x5/0x9");
    BOOST_TEST(st.malformed == 0u);
}

BOOST_AUTO_TEST_CASE(unknown_types_are_skipped_by_size)
{
    std::vector<std::uint8_t> b;
    put_hdr(b, 99, 12); // a future record type
    auto e = pack({ev(NSK_PROBE_UDP_RCV, 0, 7, 1)});
    b.insert(b.end(), e.begin(), e.end());
    nsk::DecodedRecords out;
    DecodeStats st;
    nsk::decode_records(0, 0, 2, b.data(), b.size(), out, st);
    BOOST_REQUIRE(out.size() == 1u);
    BOOST_TEST(out[0].ev.probe == NSK_PROBE_UDP_RCV);
    BOOST_TEST(out[0].seq == 1u);
    BOOST_TEST(st.unknown_skipped == 1u);
    BOOST_TEST(st.malformed == 0u);
}

BOOST_AUTO_TEST_CASE(larger_records_are_read_forward_compatibly)
{
    auto e = ev(NSK_PROBE_UDP_RCV, 0, 9, 2);
    std::vector<std::uint8_t> b(sizeof(nsk_event) + 24, 0xEE); // 24 bytes of future fields
    nsk_event raw = e.ev;
    raw.hdr.size = static_cast<std::uint16_t>(b.size());
    std::memcpy(b.data(), &raw, sizeof(raw));
    auto tail = pack({ev(NSK_PROBE_IP_RCV, 0, 10, 3)});
    b.insert(b.end(), tail.begin(), tail.end());
    nsk::DecodedRecords out;
    DecodeStats st;
    nsk::decode_records(0, 0, 2, b.data(), b.size(), out, st);
    BOOST_REQUIRE(out.size() == 2u);
    BOOST_TEST(out[0].ev.skb_id == 2u);
    BOOST_TEST(out[1].ev.skb_id == 3u);
}

BOOST_AUTO_TEST_CASE(bad_sizes_are_malformed)
{
    {
        std::vector<std::uint8_t> b;
        put_hdr(b, NSK_REC_EVENT, 4);
        b[2] = 2; // size 2 < header
        nsk::DecodedRecords out;
        DecodeStats st;
        nsk::decode_records(0, 0, 3, b.data(), b.size(), out, st);
        BOOST_TEST(out.empty());
        BOOST_TEST(st.malformed == 3u); // nothing of the 3 announced records could be read
    }
    {
        auto b = pack({ev(NSK_PROBE_IP_RCV, 0, 1, 1), ev(NSK_PROBE_IP_RCV, 0, 2, 2)});
        b.resize(b.size() - 10); // second record overruns the attribute
        nsk::DecodedRecords out;
        DecodeStats st;
        nsk::decode_records(0, 0, 2, b.data(), b.size(), out, st);
        BOOST_TEST(out.size() == 1u);
        BOOST_TEST(st.malformed == 1u);
    }
    {
        std::vector<std::uint8_t> b;
        put_hdr(b, NSK_REC_DROP, 20); // a drop must hold at least an event
        nsk::DecodedRecords out;
        DecodeStats st;
        nsk::decode_records(0, 0, 1, b.data(), b.size(), out, st);
        BOOST_TEST(out.empty());
        BOOST_TEST(st.malformed == 1u);
    }
}

BOOST_AUTO_TEST_CASE(seq_tracker_gaps_duplicates_hints)
{
    nsk::SeqTracker t;
    BOOST_TEST(t.check(0, 100, 10).gap == 0u); // first batch sets the base
    BOOST_TEST(t.check(0, 110, 5).gap == 0u);
    BOOST_TEST(t.check(0, 120, 5).gap == 5u);
    BOOST_TEST(t.check(0, 110, 5).duplicate);
    BOOST_TEST(t.check(0, 125, 1).gap == 0u);
    BOOST_TEST(t.tail_gap(0, 130) == 4u);
    t.hint(1, 50);
    BOOST_TEST(t.check(1, 53, 2).gap == 3u); // a first batch lost: the hint tells
    t.hint(2, 50);
    BOOST_TEST(t.check(2, 0, 2).gap == 0u); // restarted at 0 below the hint: base
    BOOST_TEST(!t.check(2, 2, 1).duplicate);
    BOOST_TEST(t.tail_gap(3, 7) == 7u); // a CPU never heard from
}

BOOST_AUTO_TEST_CASE(decoder_counts_per_cpu)
{
    nsk::Decoder d;
    nsk::DecodedRecords out;
    auto b = pack({ev(NSK_PROBE_IP_RCV, 2, 1, 1)});
    d.on_batch(2, 0, 1, b.data(), b.size(), out);
    d.on_batch(2, 3, 1, b.data(), b.size(), out);
    d.finish({{2, 6}});
    BOOST_TEST(d.stats().gap_records == 4u);
    BOOST_TEST(d.stats().tail_gap_records == 2u);
    BOOST_TEST(d.per_cpu_records().at(2) == 2u);
}

// A batch from an impossible CPU number (a damaged or hand-made capture): its records are
// counted as malformed and no per-CPU state is made for it (it used to size the reorder
// buffer's per-CPU table by the CPU number: 4 billion entries).
BOOST_AUTO_TEST_CASE(batch_from_an_impossible_cpu_is_malformed)
{
    nsk::Decoder d;
    nsk::DecodedRecords out;
    const auto bytes = pack({ev(NSK_PROBE_IP_RCV, 0, 100, 1), ev(NSK_PROBE_IP_RCV, 0, 200, 2)});
    d.on_batch(0xFFFFFFF0u, 0, 2, bytes.data(), bytes.size(), out);
    BOOST_TEST(out.empty());
    BOOST_TEST(d.stats().malformed == 2u);
    BOOST_TEST(d.stats().user_loss() == 2u);
    d.on_batch(nsk::kMaxCpus - 1, 0, 2, bytes.data(), bytes.size(), out);
    BOOST_TEST(out.size() == 2u); // the largest possible CPU is fine
}
