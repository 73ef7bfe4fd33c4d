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

namespace {
/// The compact record the module writes for `e` when an earlier event `ref` has its description.
nsk_stage stage_of(const nsk_event &e, std::uint16_t ref)
{
    nsk_stage s{};
    s.hdr = {NSK_REC_STAGE, sizeof(nsk_stage)};
    s.probe = e.probe;
    s.cpu = e.cpu;
    s.ts_ns = e.ts_ns;
    s.skb_id = e.skb_id;
    s.sk_id = e.sk_id;
    s.flags = e.flags;
    s.ctx = e.ctx;
    s.ref = ref;
    s.len = e.len;
    s.aux = e.aux;
    s.seq = e.seq;
    s.payload = e.payload;
    return s;
}
void put(std::vector<std::uint8_t> &b, const void *p, std::size_t n)
{
    const auto *c = static_cast<const std::uint8_t *>(p);
    b.insert(b.end(), c, c + n);
}
} // namespace

// Record version 2: a stage names an earlier event of its batch and is rebuilt into exactly
// the event the handler wrote (the description of the named one, its own fields).
BOOST_AUTO_TEST_CASE(compact_stages_rebuild_the_exact_event)
{
    Record base = ev(NSK_PROBE_UDP_ENQUEUE, 1, 500, 7, 9);
    dport(base, 5353, "10.0.0.2");
    Record full = task(sock(base, "10.0.0.2", 5353, 4242), 77, "app");
    full.ev.netns = 4026531992u;
    full.ev.reason = 3;
    // Another journey's event with the same description, different own fields.
    nsk_event same = full.ev;
    same.probe = NSK_PROBE_UDP_DEQUEUE;
    same.ts_ns = 900;
    same.skb_id = 8;
    same.sk_id = 10;
    same.flags = static_cast<std::uint8_t>(full.ev.flags | NSK_EF_SEQ);
    same.ctx = NSK_CTX_SOFTIRQ;
    same.len = 1234;
    same.aux = 5;
    same.seq = 6;
    same.payload = 7;
    std::vector<std::uint8_t> b =
        pack(std::vector<Record>{full, drop(NSK_PROBE_KFREE_SKB, 1, 600, 7, "X", "y")});
    const nsk_stage good = stage_of(same, 0);
    put(b, &good, sizeof(good));
    const nsk_stage names_drop = stage_of(same, 1);    // a drop is not a description
    put(b, &names_drop, sizeof(names_drop));
    const nsk_stage names_itself = stage_of(same, 3);  // not earlier
    put(b, &names_itself, sizeof(names_itself));
    const nsk_stage names_future = stage_of(same, 60); // beyond the batch
    put(b, &names_future, sizeof(names_future));
    put_hdr(b, NSK_REC_STAGE, 24);                     // too short
    const nsk_stage after_junk = stage_of(same, 0);    // still found after all that
    put(b, &after_junk, sizeof(after_junk));

    nsk::DecodedRecords out;
    DecodeStats st;
    BOOST_TEST(nsk::decode_records(1, 100, 8, b.data(), b.size(), out, st) == 8u);
    BOOST_REQUIRE(out.size() == 4u);
    BOOST_TEST(st.malformed == 4u);
    for (const std::size_t i : {std::size_t{2}, std::size_t{3}}) {
        const Record &r = out[i];
        BOOST_TEST(r.type == NSK_REC_EVENT);
        BOOST_TEST(!r.is_drop());
        BOOST_TEST(std::memcmp(&r.ev, &same, sizeof(nsk_event)) == 0); // byte for byte
    }
    BOOST_TEST(out[2].seq == 102u);
    BOOST_TEST(out[3].seq == 107u);
    BOOST_TEST(out[0].ev.sk_ino == 4242u);
    BOOST_TEST(out[2].ev.sk_ino == 4242u);
    BOOST_TEST(out[2].ev.pid == 77u);
}

// Record version 3: a stage whose aux, seq and payload are 0 comes short (its first
// NSK_STAGE_SHORT_SIZE bytes) and is rebuilt with them 0, even where the event it names has
// them set; a whole stage beside it still brings its own.
BOOST_AUTO_TEST_CASE(short_stages_rebuild_the_exact_event)
{
    Record base = ev(NSK_PROBE_UDP_ENQUEUE, 0, 500, 7, 9);
    dport(base, 9000, "10.0.0.9");
    Record full = task(sock(base, "10.0.0.9", 9000, 515), 42, "svc");
    full.ev.aux = 768; // receive memory: a whole event whose own fields are set
    full.ev.seq = 4096;
    full.ev.payload = 212992;
    full.ev.flags = static_cast<std::uint8_t>(full.ev.flags | NSK_EF_MEM);
    nsk_event quiet = full.ev; // a later stage of the same description, nothing of its own
    quiet.probe = NSK_PROBE_UDP_DEQUEUE;
    quiet.ts_ns = 800;
    quiet.skb_id = 11;
    quiet.flags = static_cast<std::uint8_t>(full.ev.flags & ~NSK_EF_MEM);
    quiet.len = 64;
    quiet.aux = quiet.seq = quiet.payload = 0;
    nsk_event busy = quiet; // whole: one of the three set
    busy.ts_ns = 801;
    busy.payload = 1;
    std::vector<std::uint8_t> b = pack(std::vector<Record>{full});
    nsk_stage q = stage_of(quiet, 0);
    q.hdr.size = NSK_STAGE_SHORT_SIZE;
    put(b, &q, NSK_STAGE_SHORT_SIZE);
    const nsk_stage w = stage_of(busy, 0);
    put(b, &w, sizeof(w));
    put_hdr(b, NSK_REC_STAGE, NSK_STAGE_SHORT_SIZE - 4); // shorter than short: malformed

    nsk::DecodedRecords out;
    DecodeStats st;
    BOOST_TEST(nsk::decode_records(0, 0, 4, b.data(), b.size(), out, st) == 4u);
    BOOST_REQUIRE(out.size() == 3u);
    BOOST_TEST(st.malformed == 1u);
    BOOST_TEST(std::memcmp(&out[1].ev, &quiet, sizeof(nsk_event)) == 0); // byte for byte
    BOOST_TEST(std::memcmp(&out[2].ev, &busy, sizeof(nsk_event)) == 0);
    BOOST_TEST(out[1].ev.aux == 0u);
    BOOST_TEST(out[2].seq == 2u);
}

// References never cross batches: a stage first in its batch names nothing.
BOOST_AUTO_TEST_CASE(compact_stage_does_not_reach_into_another_batch)
{
    auto first = pack({ev(NSK_PROBE_IP_RCV, 0, 1, 1)});
    nsk::DecodedRecords out;
    DecodeStats st;
    nsk::decode_records(0, 0, 1, first.data(), first.size(), out, st);
    std::vector<std::uint8_t> second;
    const nsk_stage s = stage_of(out[0].ev, 0);
    put(second, &s, sizeof(s));
    nsk::decode_records(0, 1, 1, second.data(), second.size(), out, st);
    BOOST_TEST(out.size() == 1u);
    BOOST_TEST(st.malformed == 1u);
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

// The stages' table of event offsets is sized by the batch's bytes, not by its claimed count:
// a batch holding more records than it claims has them all decoded, a stage beyond the claim
// finds the event it names beyond the claim too, and a tail too short for a header is one
// malformed record (the walk stopped before the end).
BOOST_AUTO_TEST_CASE(records_beyond_the_claimed_count_are_decoded)
{
    Record a = sock(ev(NSK_PROBE_UDP_ENQUEUE, 0, 500, 7, 9), "10.0.0.9", 9000, 515);
    Record b = sock(ev(NSK_PROBE_UDP_ENQUEUE, 0, 700, 8, 10), "10.0.0.8", 9001, 516);
    nsk_event a2 = a.ev, b2 = b.ev;
    a2.probe = b2.probe = NSK_PROBE_UDP_DEQUEUE;
    a2.ts_ns = 600;
    b2.ts_ns = 800;
    std::vector<std::uint8_t> bytes = pack(std::vector<Record>{a});
    const nsk_stage sa = stage_of(a2, 0);
    put(bytes, &sa, sizeof(sa));
    put(bytes, &b.ev, sizeof(b.ev));
    const nsk_stage sb = stage_of(b2, 2);
    put(bytes, &sb, sizeof(sb));
    bytes.push_back(0); // a 2-byte tail
    bytes.push_back(0);

    nsk::DecodedRecords out;
    DecodeStats st;
    BOOST_TEST(nsk::decode_records(0, 10, 1, bytes.data(), bytes.size(), out, st) == 4u);
    BOOST_REQUIRE(out.size() == 4u);
    BOOST_TEST(st.records == 4u);
    BOOST_TEST(st.malformed == 1u);
    BOOST_TEST(std::memcmp(&out[1].ev, &a2, sizeof(nsk_event)) == 0);
    BOOST_TEST(std::memcmp(&out[3].ev, &b2, sizeof(nsk_event)) == 0);
    BOOST_TEST(out[3].seq == 13u);

    // The same batch claiming all four and without the tail: nothing malformed.
    bytes.resize(bytes.size() - 2);
    nsk::DecodedRecords whole;
    DecodeStats st2;
    BOOST_TEST(nsk::decode_records(0, 10, 4, bytes.data(), bytes.size(), whole, st2) == 4u);
    BOOST_TEST(whole.size() == 4u);
    BOOST_TEST(st2.malformed == 0u);
}
