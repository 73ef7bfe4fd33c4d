#include "nsk/decoder.hpp"

#include <algorithm>
#include <cstring>

namespace nsk {

void SeqTracker::hint(std::uint32_t cpu, std::uint64_t next_seq)
{
    if (!seen_[cpu])
        expected_[cpu] = next_seq;
}

SeqTracker::Check SeqTracker::check(std::uint32_t cpu, std::uint64_t seq, std::uint32_t count)
{
    Check c;
    auto it = expected_.find(cpu);
    const bool first = !seen_[cpu];
    seen_[cpu] = true;
    if (it == expected_.end() || (first && seq < it->second)) {
        expected_[cpu] = seq + count;
        return c;
    }
    if (seq > it->second) {
        c.gap = seq - it->second;
    } else if (seq < it->second) {
        c.duplicate = true;
        return c; // expected stays: the batch is discarded
    }
    it->second = seq + count;
    return c;
}

std::uint64_t SeqTracker::tail_gap(std::uint32_t cpu, std::uint64_t final_sent) const
{
    auto it = expected_.find(cpu);
    const std::uint64_t exp = it == expected_.end() ? 0 : it->second;
    return final_sent > exp ? final_sent - exp : 0;
}

std::size_t decode_records(std::uint32_t cpu, std::uint64_t seq, std::uint32_t count,
                           const std::uint8_t *data, std::size_t len, std::vector<Record> &out,
                           DecodeStats &st)
{
    std::size_t off = 0;
    std::size_t walked = 0;
    bool broken = false;
    constexpr std::size_t kMinEvent = offsetof(nsk_event, sk_id) + sizeof(nsk_event::sk_id);
    while (off < len) {
        if (len - off < sizeof(nsk_rec_hdr)) {
            broken = true;
            break;
        }
        nsk_rec_hdr hdr;
        std::memcpy(&hdr, data + off, sizeof(hdr));
        if (hdr.size < sizeof(nsk_rec_hdr) || hdr.size > len - off) {
            broken = true;
            break;
        }
        const std::uint8_t *p = data + off;
        if (hdr.type == NSK_REC_EVENT || hdr.type == NSK_REC_DROP) {
            const std::size_t need = hdr.type == NSK_REC_DROP ? sizeof(nsk_event) : kMinEvent;
            if (hdr.size < need) {
                ++st.malformed; // too short to hold what we must read; skip by size
            } else {
                Record r;
                r.type = hdr.type;
                r.cpu = cpu;
                r.seq = seq + walked;
                if (hdr.type == NSK_REC_EVENT) {
                    std::memcpy(&r.ev, p, std::min<std::size_t>(hdr.size, sizeof(nsk_event)));
                } else {
                    nsk_drop d{};
                    std::memcpy(&d, p, std::min<std::size_t>(hdr.size, sizeof(nsk_drop)));
                    r.ev = d.ev;
                    std::memcpy(r.location, d.location, sizeof(r.location));
                    std::memcpy(r.reason_name, d.reason_name, sizeof(r.reason_name));
                    r.location[sizeof(r.location) - 1] = '\0';
                    r.reason_name[sizeof(r.reason_name) - 1] = '\0';
                }
                out.push_back(r);
                ++st.records;
            }
        } else {
            ++st.unknown_skipped;
        }
        ++walked;
        off += hdr.size;
    }
    if (broken || walked < count) {
        // Everything the batch announced but we could not walk is lost in user space.
        st.malformed += count > walked ? count - walked : (broken ? 1 : 0);
    }
    return walked;
}

void Decoder::on_batch(std::uint32_t cpu, std::uint64_t seq, std::uint32_t count,
                       const std::uint8_t *data, std::size_t len, std::vector<Record> &out)
{
    ++stats_.batches;
    if (cpu >= kMaxCpus) {
        // No kernel has that many CPUs (x86-64 MAXSMP: 8192): a damaged or hand-made batch.
        // Its records are lost in user space, and no per-CPU state is made for it.
        stats_.malformed += count ? count : 1;
        return;
    }
    const auto c = seq_.check(cpu, seq, count);
    if (c.duplicate) {
        stats_.duplicate += count;
        return;
    }
    stats_.gap_records += c.gap;
    const auto before = stats_.records;
    decode_records(cpu, seq, count, data, len, out, stats_);
    per_cpu_[cpu] += stats_.records - before;
}

void Decoder::finish(const std::map<std::uint32_t, std::uint64_t> &final_sent)
{
    for (const auto &[cpu, sent] : final_sent) {
        const auto gap = seq_.tail_gap(cpu, sent);
        stats_.gap_records += gap;
        stats_.tail_gap_records += gap;
    }
}

} // namespace nsk
