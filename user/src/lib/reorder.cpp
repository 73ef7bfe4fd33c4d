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
    note_peak();                                  // (what came since the last release)
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
    next_ = end_ = nullptr;
}

bool ReorderBuffer::Fifo::move_back(std::size_t i)
{
    // A record stamped before the last ones of its CPU (the last one stays the last).
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

ReorderBuffer::~ReorderBuffer()
{
    for (auto &f : fifos_)
        f.clear(blocks_);
}

ReorderBuffer::Fifo &ReorderBuffer::add_fifo(std::uint32_t cpu)
{
    fifos_.resize(static_cast<std::size_t>(cpu) + 1);
    return fifos_[cpu];
}

void ReorderBuffer::push(const Record &r)
{
    Writer w(*this, r.cpu);
    Record &s = w.slot();
    s = r;
    if (r.drop) {
        DropText &t = w.drop_text();
        t = *r.drop;
        s.drop = &t;
    }
    w.commit();
}

Record *ReorderBuffer::new_block(Fifo &f)
{
    return f.add_block(blocks_);
}

void ReorderBuffer::out_of_order(Fifo &f, std::size_t i, std::uint64_t ts, std::uint32_t cpu)
{
    if (f.move_back(i))
        new_front(ts, cpu);
}

void ReorderBuffer::new_front(std::uint64_t ts, std::uint32_t cpu)
{
    push_head(ts, cpu);
}

void ReorderBuffer::late_record(std::uint64_t ts)
{
    ++late_;
    grow_window(max_ts_ - ts);
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

void ReorderBuffer::after_release(bool all)
{
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
