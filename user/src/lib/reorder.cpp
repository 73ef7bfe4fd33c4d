#include "nsk/reorder.hpp"

#include <algorithm>

namespace nsk {
namespace {

bool later(const Record &a, const Record &b) // same CPU
{
    return a.ev.ts_ns != b.ev.ts_ns ? a.ev.ts_ns > b.ev.ts_ns : a.seq > b.seq;
}

} // namespace

// --- one CPU's FIFO -----------------------------------------------------------------------------

void ReorderBuffer::Fifo::trim(bool end, BlockPool &pool)
{
    const bool idle = end ? n_ == 0 : peak_ == 0; // (peak_ >= n_)
    peak_ = n_;
    if (idle)
        clear(pool);
}

void ReorderBuffer::Fifo::clear(BlockPool &pool)
{
    for (Record *b : blocks_)
        pool.give(b);
    blocks_.clear();
    head_ = n_ = 0;
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

// --- free blocks ---------------------------------------------------------------------------------

void ReorderBuffer::BlockPool::age()
{
    ++window_;
    // Bottom first: given back earliest.  (window_ - kSpareWindows: no underflow before then.)
    std::size_t n = 0;
    while (n < free_.size() && free_[n].window + kSpareWindows < window_)
        ::operator delete(free_[n++].block);
    free_.erase(free_.begin(), free_.begin() + static_cast<std::ptrdiff_t>(n));
}

void ReorderBuffer::BlockPool::clear()
{
    for (const Free &f : free_)
        ::operator delete(f.block);
    free_.clear();
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

ReorderBuffer::~ReorderBuffer()
{
    for (auto &f : fifos_)
        f.clear(blocks_);
}

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
            f.pop_front(blocks_);
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
            blocks_.age();
        for (auto &f : fifos_) // (one per CPU)
            f.trim(all, blocks_);
        if (all)
            blocks_.clear();
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
