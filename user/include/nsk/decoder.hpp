// Decoder: NSK_ATTR_BATCH_RECORDS bytes -> Records, plus per-CPU sequence accounting.
#pragma once

#include "nsk/record.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <vector>

namespace nsk {

/// Batches from a CPU number at or above this are malformed (NR_CPUS is at most 8192).
inline constexpr std::uint32_t kMaxCpus = 8192;

struct DecodeStats {
    std::uint64_t batches = 0;
    std::uint64_t records = 0;          // records decoded and passed on
    std::uint64_t unknown_skipped = 0;  // records of a type this build does not know (not loss)
    std::uint64_t malformed = 0;        // records lost to bad sizes / overruns (user loss)
    std::uint64_t duplicate = 0;        // records in batches with seq < expected (user loss)
    std::uint64_t gap_records = 0;      // records missing in seq gaps (netlink loss)
    std::uint64_t tail_gap_records = 0; // of which: missing at the end (from final counters)
    std::uint64_t enobufs = 0;          // ENOBUFS episodes on the event socket
    std::uint64_t user_loss() const { return malformed + duplicate; }
};

/// Expected next sequence number per CPU.  The first batch of a CPU without a hint sets the
/// base; a hint (e.g. the kernel's "sent" counter right after START) lets a lost first batch be
/// counted too.  A first batch below the hint is taken as the base (the kernel restarted seq).
class SeqTracker {
public:
    struct Check {
        std::uint64_t gap = 0;  // records missing before this batch
        bool duplicate = false; // batch starts below the expected seq
    };
    void hint(std::uint32_t cpu, std::uint64_t next_seq);
    Check check(std::uint32_t cpu, std::uint64_t seq, std::uint32_t count);
    /// Records missing after the last batch, given the final "sent" counter of the CPU.
    std::uint64_t tail_gap(std::uint32_t cpu, std::uint64_t final_sent) const;
    const std::map<std::uint32_t, std::uint64_t> &expected() const { return expected_; }

private:
    std::map<std::uint32_t, std::uint64_t> expected_;
    std::map<std::uint32_t, bool> seen_;
};

/// Where decode_records() puts records, written in place (no scratch copy): `Out` provides
///   W writer(std::uint32_t cpu); // the batch's records, all of `cpu`, go through a W:
///   Record &W::slot();           // room for the next record (contents undefined)
///   DropText &W::drop_text();    // room for a drop's strings, owned by `Out`
///   void W::commit();            // the record in slot() is complete
/// and W's destructor ends the batch.  ReorderBuffer is one (straight into the CPU's FIFO);
/// DecodedRecords below is another.

/// Records decoded into memory of their own (tests, tools): drop strings live in `texts`.
struct DecodedRecords {
    std::vector<Record> records;
    std::deque<DropText> texts;

    struct Writer {
        DecodedRecords &d;
        Record &slot() { return d.records.emplace_back(); }
        DropText &drop_text() { return d.texts.emplace_back(); }
        void commit() {}
    };
    Writer writer(std::uint32_t) { return Writer{*this}; }
    std::size_t size() const { return records.size(); }
    bool empty() const { return records.empty(); }
    const Record &operator[](std::size_t i) const { return records[i]; }
};

/// A compact record (NSK_REC_STAGE) rebuilt as the event it stands for: the description of
/// `full` (an event of the same batch), the stage's own fields (`stage`: `size` bytes, a whole
/// nsk_stage or a short one, NSK_STAGE_SHORT_SIZE, whose aux, seq and payload are 0).
/// Each byte of the event is written once, in as few pieces as the two layouts allow: the
/// stage's first 32 bytes (header, probe, cpu, ts_ns, skb_id, sk_id) have the event's layout;
/// the description is the event's bytes 32 .. seq (the packet tuple to the socket tuple) with
/// flags, ctx, len and aux inside it, written over afterwards; seq and payload are adjacent in
/// both and end the event.
inline void expand_stage(nsk_event &ev, const std::uint8_t *full, const std::uint8_t *stage,
                         std::size_t size)
{
    static_assert(offsetof(nsk_stage, probe) == offsetof(nsk_event, probe) &&
                      offsetof(nsk_stage, cpu) == offsetof(nsk_event, cpu) &&
                      offsetof(nsk_stage, ts_ns) == offsetof(nsk_event, ts_ns) &&
                      offsetof(nsk_stage, skb_id) == offsetof(nsk_event, skb_id) &&
                      offsetof(nsk_stage, sk_id) == offsetof(nsk_event, sk_id) &&
                      offsetof(nsk_stage, flags) == offsetof(nsk_event, sk_id) + 8,
                  "nsk_stage starts like nsk_event");
    static_assert(offsetof(nsk_stage, ctx) == offsetof(nsk_stage, flags) + 1 &&
                      offsetof(nsk_event, ctx) == offsetof(nsk_event, flags) + 1 &&
                      offsetof(nsk_stage, payload) == offsetof(nsk_stage, seq) + 4 &&
                      offsetof(nsk_event, payload) == offsetof(nsk_event, seq) + 4 &&
                      offsetof(nsk_event, payload) + 4 == sizeof(nsk_event),
                  "flags/ctx and seq/payload are adjacent, seq/payload end the event");
    constexpr std::size_t kHead = offsetof(nsk_stage, flags); // 32
    constexpr std::size_t kTail = offsetof(nsk_event, seq);   // 152
    std::memcpy(&ev, stage, kHead);
    const nsk_rec_hdr hdr{NSK_REC_EVENT, sizeof(nsk_event)};
    std::memcpy(&ev.hdr, &hdr, sizeof(hdr));
    std::memcpy(reinterpret_cast<std::uint8_t *>(&ev) + kHead, full + kHead, kTail - kHead);
    std::memcpy(&ev.flags, stage + offsetof(nsk_stage, flags), 2); // flags, ctx
    std::memcpy(&ev.len, stage + offsetof(nsk_stage, len), sizeof(ev.len));
    static_assert(NSK_STAGE_SHORT_SIZE == offsetof(nsk_stage, aux), "a short stage ends at aux");
    if (size < sizeof(nsk_stage)) { // short: aux, seq, payload are 0
        ev.aux = 0;
        ev.seq = 0;
        ev.payload = 0;
        return;
    }
    std::memcpy(&ev.aux, stage + offsetof(nsk_stage, aux), sizeof(ev.aux));
    std::memcpy(&ev.seq, stage + offsetof(nsk_stage, seq), 8); // seq, payload
}

/// Walk packed records.  Writes decoded records to `out` (seq numbered from `seq`), updates
/// `st`.  Returns the number of records walked (decoded + unknown).  Stops at the first record
/// whose size is < 4 or overruns the buffer; `count` (the batch's claim) is used to compute how
/// many records were lost to that.  A compact record (NSK_REC_STAGE) is rebuilt from the whole
/// NSK_REC_EVENT it names earlier in the same batch; one that names anything else is malformed.
template <class Out>
std::size_t decode_records(std::uint32_t cpu, std::uint64_t seq, std::uint32_t count,
                           const std::uint8_t *data, std::size_t len, Out &out, DecodeStats &st)
{
    std::size_t off = 0;
    std::size_t walked = 0;
    constexpr std::size_t kMinEvent = offsetof(nsk_event, sk_id) + sizeof(nsk_event::sk_id);
    constexpr std::uint32_t kNoEvent = ~0u;
    // Offset of each walked record that a stage may name (a whole event), else kNoEvent;
    // written by index into a buffer sized ahead for the most records the batch's bytes can
    // hold (one per 4 bytes: a record is at least its header; a 15 KiB batch, 15 KiB here),
    // so the loop checks no bound, whatever the batch claims; never shrunk.
    thread_local std::vector<std::uint32_t> events;
    if (const std::size_t most = len / sizeof(nsk_rec_hdr); events.size() < most)
        events.resize(most);
    std::uint32_t *const offs = events.data(); // (the loop reads these, not the vector)
    std::size_t decoded = 0; // (st.records at the end: a local stays in a register)
    auto w = out.writer(cpu);
    // Each record advances `off` by its size, at most to `len`: the walk stopped early (too
    // few bytes left for a header, a size below a header's or past the end) iff off < len.
    while (len - off >= sizeof(nsk_rec_hdr)) {
        nsk_rec_hdr hdr;
        std::memcpy(&hdr, data + off, sizeof(hdr));
        if (hdr.size < sizeof(nsk_rec_hdr) || hdr.size > len - off)
            break;
        const std::uint8_t *p = data + off;
        offs[walked] = hdr.type == NSK_REC_EVENT && hdr.size >= sizeof(nsk_event)
                           ? static_cast<std::uint32_t>(off)
                           : kNoEvent;
        if (hdr.type == NSK_REC_STAGE) {
            std::uint16_t ref;
            if (hdr.size < NSK_STAGE_SHORT_SIZE) {
                ++st.malformed; // too short for what we must read; skip by size
            } else {
                std::memcpy(&ref, p + offsetof(nsk_stage, ref), sizeof(ref));
                if (ref >= walked || offs[ref] == kNoEvent) {
                    ++st.malformed; // names no earlier event of this batch
                } else {
                    Record &r = w.slot();
                    expand_stage(r.ev, data + offs[ref], p, hdr.size);
                    r.seq = seq + walked;
                    r.cpu = cpu;
                    r.type = NSK_REC_EVENT;
                    r.drop = nullptr;
                    w.commit();
                    ++decoded;
                }
            }
        } else if (hdr.type == NSK_REC_EVENT || hdr.type == NSK_REC_DROP) {
            const std::size_t need = hdr.type == NSK_REC_DROP ? sizeof(nsk_event) : kMinEvent;
            if (hdr.size < need) {
                ++st.malformed; // too short to hold what we must read; skip by size
            } else {
                Record &r = w.slot();
                // The event part: what the record holds of it, zeros for the rest (an older,
                // shorter layout).  A drop's event is whole (need above).
                const std::size_t n = std::min<std::size_t>(hdr.size, sizeof(nsk_event));
                std::memcpy(&r.ev, p, n);
                if (n < sizeof(nsk_event))
                    std::memset(reinterpret_cast<std::uint8_t *>(&r.ev) + n, 0,
                                sizeof(nsk_event) - n);
                r.seq = seq + walked;
                r.cpu = cpu;
                r.type = hdr.type;
                r.drop = nullptr;
                if (hdr.type == NSK_REC_DROP) {
                    DropText &t = w.drop_text();
                    // A short drop (an older layout) has zeros where its strings would be.
                    const std::size_t have = hdr.size - sizeof(nsk_event);
                    const std::size_t nl = std::min(have, sizeof(t.location));
                    const std::size_t nr = std::min(have - nl, sizeof(t.reason_name));
                    t = DropText{};
                    std::memcpy(t.location, p + offsetof(nsk_drop, location), nl);
                    std::memcpy(t.reason_name, p + offsetof(nsk_drop, reason_name), nr);
                    t.location[sizeof(t.location) - 1] = '\0';
                    t.reason_name[sizeof(t.reason_name) - 1] = '\0';
                    r.drop = &t;
                }
                w.commit();
                ++decoded;
            }
        } else {
            ++st.unknown_skipped;
        }
        ++walked;
        off += hdr.size;
    }
    st.records += decoded;
    const bool broken = off < len;
    if (broken || walked < count) {
        // Everything the batch announced but we could not walk is lost in user space.
        st.malformed += count > walked ? count - walked : (broken ? 1 : 0);
    }
    return walked;
}

class Decoder {
public:
    /// One NSK_CMD_EVENTS batch.  Records are written to `out` (see decode_records).
    template <class Out>
    void on_batch(std::uint32_t cpu, std::uint64_t seq, std::uint32_t count,
                  const std::uint8_t *data, std::size_t len, Out &out)
    {
        if (!accept(cpu, seq, count))
            return;
        const auto before = stats_.records;
        decode_records(cpu, seq, count, data, len, out, stats_);
        per_cpu_[cpu] += stats_.records - before;
    }
    void on_enobufs() { ++stats_.enobufs; }
    /// Account the records lost after the last batch of each CPU (final per-CPU "sent").
    void finish(const std::map<std::uint32_t, std::uint64_t> &final_sent);
    SeqTracker &seq() { return seq_; }
    const SeqTracker &seq() const { return seq_; }
    const DecodeStats &stats() const { return stats_; }
    /// Per-CPU records received.
    const std::map<std::uint32_t, std::uint64_t> &per_cpu_records() const { return per_cpu_; }

private:
    /// Batch accounting (CPU number, sequence): false when its records are not to be decoded.
    bool accept(std::uint32_t cpu, std::uint64_t seq, std::uint32_t count);

    SeqTracker seq_;
    DecodeStats stats_;
    std::map<std::uint32_t, std::uint64_t> per_cpu_;
};

} // namespace nsk
