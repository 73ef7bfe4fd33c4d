#include "nsk/reorder.hpp"

#include <algorithm>
#include <cstring>

namespace nsk {
namespace {

bool later(const Record &a, const Record &b) // same CPU
{
    return a.ev.ts_ns != b.ev.ts_ns ? a.ev.ts_ns > b.ev.ts_ns : a.seq > b.seq;
}

} // namespace

// --- one CPU's FIFO -----------------------------------------------------------------------------

void ReorderBuffer::Fifo::resize(std::size_t cap, SparePool &pool)
{
    Buf other = cap ? pool.take(cap) : Buf();
    // The ring's records, oldest first: at most two runs.
    if (n_) {
        const std::size_t first = std::min(n_, cap_ - head_);
        std::memcpy(static_cast<void *>(other.get()), buf_.get() + head_, first * sizeof(Record));
        std::memcpy(static_cast<void *>(other.get() + first), buf_.get(),
                    (n_ - first) * sizeof(Record));
    }
    buf_.swap(other);
    if (other)
        pool.give(std::move(other), cap_);
    cap_ = cap;
    head_ = 0;
}

void ReorderBuffer::Fifo::grow(SparePool &pool)
{
    resize(cap_ ? cap_ * 2 : 1024, pool);
}

void ReorderBuffer::Fifo::pop_front()
{
    head_ = (head_ + 1) & (cap_ - 1);
    --n_;
}

void ReorderBuffer::Fifo::trim(bool end, SparePool &pool)
{
    const std::size_t most = end ? n_ : std::max(peak_, n_);
    peak_ = n_;
    if (cap_ <= kKeepRecords || most * 4 > cap_)
        return;
    if (most == 0) {
        resize(0, pool); // (grow() starts again at 1024)
        return;
    }
    std::size_t want = kKeepRecords; // a power of two, as the ring's mask needs
    while (want < 2 * most)
        want *= 2;
    resize(want, pool);
}

bool ReorderBuffer::Fifo::commit_back()
{
    std::size_t i = n_++;
    if (n_ > peak_)
        peak_ = n_;
    // Nearly always in order; a record stamped before the last ones of its CPU moves back.
    if (i == 0 || !later(at(i - 1), at(i)))
        return i == 0;
    const Record r = at(i);
    for (; i > 0 && later(at(i - 1), r); --i)
        at(i) = at(i - 1);
    at(i) = r;
    return i == 0;
}

// --- buffers kept for reuse ---------------------------------------------------------------------

ReorderBuffer::Buf ReorderBuffer::SparePool::take(std::size_t n)
{
    for (auto it = spares_.begin(); it != spares_.end(); ++it)
        if (it->n == n) {
            Buf b = std::move(it->buf);
            spares_.erase(it);
            return b;
        }
    // Uninitialised: every slot is written before it is read.
    return Buf(static_cast<Record *>(::operator new(n * sizeof(Record))));
}

void ReorderBuffer::SparePool::give(Buf b, std::size_t n)
{
    spares_.push_back({std::move(b), n, 0});
}

void ReorderBuffer::SparePool::age()
{
    for (auto &s : spares_)
        ++s.windows;
    spares_.erase(std::remove_if(spares_.begin(), spares_.end(),
                                 [](const Spare &s) { return s.windows > kSpareWindows; }),
                  spares_.end());
}

std::size_t ReorderBuffer::SparePool::capacity() const
{
    std::size_t n = 0;
    for (const auto &s : spares_)
        n += s.n;
    return n;
}

// --- drop strings -------------------------------------------------------------------------------

void ReorderBuffer::DropPool::refill()
{
    chunks_.push_back(std::make_unique<DropText[]>(kChunk));
    DropText *c = chunks_.back().get();
    for (std::size_t i = kChunk; i-- > 0;)
        free_.push_back(c + i);
}

void ReorderBuffer::DropPool::trim()
{
    if (chunks_.size() > 4 && free_.size() == chunks_.size() * kChunk) {
        chunks_.clear();
        std::vector<DropText *>().swap(free_);
    }
}

// --- merge --------------------------------------------------------------------------------------

namespace {

struct HeadLater {
    template <typename H>
    bool operator()(const H &a, const H &b) const
    {
        return a.ts != b.ts ? a.ts > b.ts : a.cpu > b.cpu;
    }
};

} // namespace

ReorderBuffer::Fifo &ReorderBuffer::fifo(std::uint32_t cpu)
{
    if (cpu >= fifos_.size())
        fifos_.resize(static_cast<std::size_t>(cpu) + 1);
    return fifos_[cpu];
}

void ReorderBuffer::push_head(std::uint64_t ts, std::uint32_t cpu)
{
    heads_.push_back({ts, cpu});
    std::push_heap(heads_.begin(), heads_.end(), HeadLater{});
}

void ReorderBuffer::push(const Record &r)
{
    Record &s = slot(r.cpu);
    s = r;
    if (r.drop) {
        DropText &t = drop_text();
        t = *r.drop;
        s.drop = &t;
    }
    commit(r.cpu);
}

void ReorderBuffer::commit(std::uint32_t cpu)
{
    Fifo &f = fifos_[cpu]; // (slot() made it)
    const std::uint64_t ts = f.back().ev.ts_ns;
    if (released_any_ && ts < released_ts_) {
        ++late_;
        grow_window(max_ts_ - ts);
    }
    if (ts > max_ts_)
        max_ts_ = ts;
    if (++size_ > peak_size_)
        peak_size_ = size_;
    // Every non-empty FIFO has a heap entry for its front; a new front gets its own entry
    // (the old one goes stale and is skipped when it surfaces).
    if (f.commit_back())
        push_head(ts, cpu);
}

void ReorderBuffer::grow_window(std::uint64_t lateness_ns)
{
    if (window_ns_ >= max_window_ns_)
        return;
    // At least double (a few late records in a row do not creep up one by one), and wide
    // enough for this record with room to spare.
    std::uint64_t want = std::max(window_ns_ * 2, lateness_ns * 2);
    if (want < window_ns_ || want > max_window_ns_) // (overflow: the bound)
        want = max_window_ns_;
    window_ns_ = want;
}

void ReorderBuffer::release_to(std::uint64_t watermark, const Sink &sink, bool all)
{
    while (!heads_.empty()) {
        const Head h = heads_.front();
        if (!all && h.ts >= watermark)
            break;
        std::pop_heap(heads_.begin(), heads_.end(), HeadLater{});
        heads_.pop_back();
        Fifo &f = fifos_[h.cpu];
        if (f.empty() || f.front().ev.ts_ns != h.ts)
            continue; // stale: that front left or an older record took its place
        // This CPU's records go in a run for as long as they come before the heap's top: the
        // top is never later than another CPU's front (each front has its entry; a stale entry
        // is at most as late as the front that replaced it, which has its own), so the order
        // is the heap's, one pop and one push per run instead of per record.
        for (;;) {
            const Record &r = f.front();
            if (!released_any_ || r.ev.ts_ns > released_ts_)
                released_ts_ = r.ev.ts_ns;
            released_any_ = true;
            --size_;
            sink(r);
            if (r.drop)
                drops_.put(r.drop);
            f.pop_front();
            if (f.empty())
                break;
            const std::uint64_t ts = f.front().ev.ts_ns;
            if ((!all && ts >= watermark) ||
                (!heads_.empty() && HeadLater{}(Head{ts, h.cpu}, heads_.front()))) {
                push_head(ts, h.cpu);
                break;
            }
        }
    }
    if (all || !released_any_ || released_ts_ >= trim_at_) {
        if (released_any_) // (a window of event time passed; not the looks before any release)
            spares_.age();
        for (auto &f : fifos_) // (one per CPU)
            f.trim(all, spares_);
        if (all)
            spares_.clear();
        trim_at_ = released_ts_ + window_ns_;
        drops_.trim();
    }
    if (heads_.capacity() > kKeepRecords && heads_.size() * 4 <= heads_.capacity())
        std::vector<Head>(heads_).swap(heads_);
}

std::size_t ReorderBuffer::capacity() const
{
    std::size_t n = 0;
    for (const auto &f : fifos_)
        n += f.capacity();
    return n;
}

} // namespace nsk
