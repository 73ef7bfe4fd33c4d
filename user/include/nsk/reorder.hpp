// Reorder stage: records of one CPU arrive (almost) in order, across CPUs they interleave
// arbitrarily.  Records wait until they are older than the newest timestamp seen minus
// `window_ns` (event time), then leave in (ts_ns, cpu, seq) order.
//
// One FIFO per CPU, kept sorted by (ts_ns, seq): a record is appended, or moved back past the
// few records of its CPU that are newer (a nested softirq on that CPU wrote later but stamped
// earlier).  A small min-heap of CPU heads merges the FIFOs: the CPU it names releases its
// records in a run for as long as they come before the heap's top, so a run of records costs
// one pop and one push of a 16-byte head, instead of sifting whole records through one heap of
// everything buffered.  The release loop is a template over its sink (no std::function call per
// record) and the per-record part of commit() is inline: both run once per record.  The decoder
// writes each record straight into the back of its CPU's FIFO (a Writer per batch: slot() /
// drop_text() / commit(), see decode_records), so the one copy in is the decode itself; a drop's
// strings wait in a pool on the side until the sink returns.  A FIFO is a chain of fixed blocks
// from a pool shared by all CPUs (see capacity()): growing never copies, and a block one CPU gave
// back is reused by another before new memory is touched.
//
// The window adapts, like perf's ordered events bound their queue and flush in rounds: a
// record that arrives older than something already released (a CPU's batch came late: its
// drain was held up, its vCPU starved) is still applied, out of order, and counted (late();
// the loss ledger shows it), and the window grows to twice that record's lateness (at least
// doubling) so the next such delay is absorbed, up to `max_window_ns`.  It never shrinks: the
// memory held is bounded by the bound's worth of records, and the widest window used is
// reported (max_window_used()).
#pragma once

#include "nsk/record.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

namespace nsk {

class ReorderBuffer {
public:
    /// `max_window_ns` <= `window_ns`: a fixed window.
    explicit ReorderBuffer(std::uint64_t window_ns = 300'000'000, std::uint64_t max_window_ns = 0)
        : window_ns_(window_ns), initial_window_ns_(window_ns),
          max_window_ns_(max_window_ns > window_ns ? max_window_ns : window_ns)
    {}

    ReorderBuffer(ReorderBuffer &&) noexcept = default;
    ReorderBuffer &operator=(ReorderBuffer &&) = delete;
    ~ReorderBuffer();

    /// A record from elsewhere (copied in; its drop text too).
    void push(const Record &r);
    class Writer;
    /// In place, for the decoder: the records of one batch (one CPU) written at the back of
    /// the CPU's FIFO, each filed as it is committed (see Writer).
    Writer writer(std::uint32_t cpu);
    /// Release records older than max_ts_seen - window, to `sink(const Record &)` (any
    /// callable; the record and its drop text are valid until it returns).
    template <class Sink>
    void release(Sink &&sink)
    {
        release_to(release_mark(), sink);
    }
    /// Release records with ts < watermark (e.g. derived from the wall clock when idle).
    template <class Sink>
    void release_until(std::uint64_t watermark, Sink &&sink)
    {
        release_to(watermark, sink);
    }
    /// Release everything (end of collection).
    template <class Sink>
    void flush(Sink &&sink)
    {
        release_to(UINT64_MAX, sink, true);
    }

    /// The watermark release() uses now (0: nothing is old enough).
    std::uint64_t release_mark() const { return max_ts_ < window_ns_ ? 0 : max_ts_ - window_ns_; }
    std::size_t size() const { return size_; }
    std::uint64_t max_ts() const { return max_ts_; }
    /// Records that arrived older than something already released (processed anyway).
    std::uint64_t late() const { return late_; }
    /// The window now (event time): the configured one, or wider after late records.
    std::uint64_t window_ns() const { return window_ns_; }
    /// The window grew (late records); then the widest used is window_ns().
    bool window_grew() const { return window_ns_ != initial_window_ns_; }
    std::uint64_t max_window_ns() const { return max_window_ns_; }
    /// The most records held at once (the memory the window cost).
    std::size_t peak_size() const { return std::max(peak_size_, size_); }
    /// Timestamp of the newest record released so far (valid when released_any()).
    std::uint64_t released_ts() const { return released_ts_; }
    bool released_any() const { return released_any_; }
    /// Records the FIFOs have room for now (memory held): each FIFO is a chain of blocks of
    /// kBlockRecords records; a block goes back to the pool as soon as its last record left,
    /// and an empty FIFO gives back its last block once it stayed empty for a window (at the
    /// end, flush, at once).  So the room follows what is held, to within a block per CPU,
    /// and growing never copies records (it was 40 % of `report` with a ring regrown by
    /// doubling, later ~10 %: first-touch page faults of each regrown ring).
    std::size_t capacity() const;
    /// Records' room in free blocks kept for reuse by the FIFO of any CPU: a block not taken
    /// again within kSpareWindows looks at the FIFOs (windows of event time) is freed, so a
    /// backlog that comes and goes within a few windows reuses memory it touched already, and
    /// memory still follows the backlog down, a few windows later.  flush() frees them all.
    std::size_t spare_capacity() const { return blocks_.capacity(); }
    static constexpr std::size_t kBlockShift = 10;
    static constexpr std::size_t kBlockRecords = std::size_t{1} << kBlockShift;
    static constexpr unsigned kSpareWindows = 4;
    /// The CPU-heads heap shrinks when it is at most a quarter full and bigger than this.
    static constexpr std::size_t kKeepRecords = 4096;

private:
    /// Free blocks of kBlockRecords records, a stack: the block given back last is taken first
    /// (warm in the cache), so the bottom ones are the longest unused.
    class BlockPool {
    public:
        BlockPool() = default;
        BlockPool(BlockPool &&o) noexcept : free_(std::move(o.free_)), window_(o.window_)
        {
            o.free_.clear();
        }
        BlockPool &operator=(BlockPool &&) = delete;
        ~BlockPool() { clear(); }
        /// Room for kBlockRecords records, uninitialised (every slot is written before it is
        /// read): a kept block, else new memory.
        Record *take()
        {
            if (free_.empty())
                return static_cast<Record *>(::operator new(kBlockRecords * sizeof(Record)));
            Record *b = free_.back().block;
            free_.pop_back();
            return b;
        }
        void give(Record *b) { free_.push_back({b, window_}); }
        /// A window passed: free the blocks kept unused for more than kSpareWindows of them.
        void age();
        void clear();
        std::size_t capacity() const { return free_.size() * kBlockRecords; }

    private:
        struct Free {
            Record *block;
            std::uint64_t window; // age() calls before it was given back
        };
        std::vector<Free> free_; // given back in this order (bottom: oldest)
        std::uint64_t window_ = 0;
    };
    /// The records of one CPU, sorted by (ts_ns, seq): a chain of blocks from the pool.
    /// Records come in through a Writer, which holds the back's state while it writes.
    class Fifo {
        friend class ReorderBuffer::Writer;

    public:
        bool empty() const { return n_ == 0; }
        const Record &front() const { return blocks_.front()[head_]; }
        /// Before records leave (the first of a run): the most held since the last trim.  Only
        /// leaving makes n_ smaller, so noting it there, not at every append, misses no peak.
        void note_peak()
        {
            if (n_ > peak_)
                peak_ = n_;
        }
        /// The records held in the front block, from front() on (contiguous in memory).
        std::size_t front_run() const { return std::min(n_, kBlockRecords - head_); }
        /// The first k records leave (k <= front_run()).
        void pop_front(std::size_t k, BlockPool &pool)
        {
            n_ -= k;
            head_ += k;
            if (head_ == kBlockRecords) { // that block is done with
                pool.give(blocks_.front());
                blocks_.erase(blocks_.begin()); // (a few pointers)
                head_ = 0;
            } else if (n_ == 0) {
                head_ = 0; // (its block, the only one, stays for the next records)
                next_ = blocks_.front();
                end_ = next_ + kBlockRecords;
            }
        }
        /// Once per window: an empty FIFO that held nothing since the last trim (or, at the
        /// end, any empty one) gives back its last block.  Starts the next period.
        void trim(bool end, BlockPool &pool);
        std::size_t capacity() const { return blocks_.size() * kBlockRecords; }
        void clear(BlockPool &pool);

        /// A block from the pool at the back (the last one is full); its first slot.
        Record *add_block(BlockPool &pool)
        {
            next_ = pool.take();
            end_ = next_ + kBlockRecords;
            blocks_.push_back(next_);
            return next_;
        }
        /// The record committed at position i is older than the one before it: move it back.
        /// True when it became the front.
        bool move_back(std::size_t i);

    private:
        Record &at(std::size_t i)
        {
            const std::size_t g = head_ + i;
            return blocks_[g >> kBlockShift][g & (kBlockRecords - 1)];
        }
        std::vector<Record *> blocks_; // records [head_, head_ + n_) of their concatenation
        std::size_t head_ = 0, n_ = 0;
        std::size_t peak_ = 0; // most records held since the last trim, as of note_peak()
        // The slot after the last record held (&at(n_)) and the end of its block, kept as
        // pointers so an append is one compare (equal: no room, or no block at all).
        Record *next_ = nullptr, *end_ = nullptr;
        std::uint64_t last_ts_ = 0; // (ts, seq) of the last record held (valid while n_ > 0)
        std::uint64_t last_seq_ = 0;
    };
    struct Head {
        std::uint64_t ts;
        std::uint32_t cpu;
    };
    /// Drop strings of the records held: fixed chunks, a free list; all freed when none is
    /// held and the pool grew past a few chunks (after a burst of drops).
    class DropPool {
    public:
        DropText &get()
        {
            if (free_.empty())
                refill();
            DropText *t = free_.back();
            free_.pop_back();
            return *t;
        }
        void put(const DropText *t) { free_.push_back(const_cast<DropText *>(t)); }
        void trim();

    private:
        static constexpr std::size_t kChunk = 256;
        void refill();
        std::vector<std::unique_ptr<DropText[]>> chunks_;
        std::vector<DropText *> free_;
    };
    template <class Sink>
    void release_to(std::uint64_t watermark, Sink &sink, bool all = false);
    /// After a release: once per window of event time, the FIFOs and pools are trimmed.
    void after_release(bool all);
    static bool head_later(const Head &a, const Head &b)
    {
        return a.ts != b.ts ? a.ts > b.ts : a.cpu > b.cpu;
    }
    void push_head(std::uint64_t ts, std::uint32_t cpu)
    {
        heads_.push_back({ts, cpu});
        std::push_heap(heads_.begin(), heads_.end(), head_later);
    }
    void pop_head()
    {
        std::pop_heap(heads_.begin(), heads_.end(), head_later);
        heads_.pop_back();
    }
    Fifo &fifo(std::uint32_t cpu) { return cpu < fifos_.size() ? fifos_[cpu] : add_fifo(cpu); }
    Fifo &add_fifo(std::uint32_t cpu);
    /// A record older than something released: counted, and the window grows.
    void late_record(std::uint64_t ts);
    /// The Writer's rare steps, out of line: a new block at the back of `f` (returns its first
    /// slot); the record committed at position i of `f`, older than the one before it, moved
    /// back, and a heap entry when it became the front; a FIFO's first record's heap entry.
    Record *new_block(Fifo &f);
    void out_of_order(Fifo &f, std::size_t i, std::uint64_t ts, std::uint32_t cpu);
    void new_front(std::uint64_t ts, std::uint32_t cpu);

    std::vector<Fifo> fifos_; // by CPU number
    std::vector<Head> heads_; // min-heap by (ts, cpu); may hold stale entries
    DropPool drops_;
    BlockPool blocks_; // free blocks; ~ReorderBuffer gives the FIFOs' blocks back to it first
    std::uint64_t trim_at_ = 0; // released_ts_ at which the FIFOs are looked at again
    void grow_window(std::uint64_t lateness_ns);

    std::size_t size_ = 0;
    std::size_t peak_size_ = 0; // as of the last release (peak_size(): with what is held now)
    std::uint64_t window_ns_, initial_window_ns_, max_window_ns_;
    std::uint64_t max_ts_ = 0;
    std::uint64_t released_ts_ = 0; // ts of the newest record released so far
    bool released_any_ = false;
    std::uint64_t late_ = 0;
};

/// Writes the records of one batch (one CPU) in place at the back of the CPU's FIFO: slot()
/// gives room for the next record, drop_text() room for a drop's strings (held until the
/// record's sink returns), commit() files the record written in slot() in (ts, seq) order —
/// in order (nearly always) it stays where it is written and becomes the last; else it moves
/// back past the newer ones.  One slot() per commit(), nothing in between but drop_text().
///
/// The state an append updates (the FIFO's next slot and the end of its block, its count and
/// last (ts, seq), the newest timestamp) is copied into the writer and written back once, when
/// it goes (the end of the batch): the compiler keeps a local object's fields in registers
/// across the record's copy, where through the FIFO it reloaded and stored them for every
/// record (a record's bytes, written through a pointer, might have been any of them).  The rare
/// steps (a new block, a record out of order, a late one, a FIFO's first record) are calls
/// with values, so the writer's address never escapes.  Nothing else may touch the buffer
/// while a writer lives.
class ReorderBuffer::Writer {
public:
    Writer(ReorderBuffer &rb, std::uint32_t cpu)
        : rb_(rb), f_(rb.fifo(cpu)), cpu_(cpu), next_(f_.next_), end_(f_.end_), n_(f_.n_),
          n0_(f_.n_), last_ts_(f_.last_ts_), last_seq_(f_.last_seq_), max_ts_(rb.max_ts_),
          released_ts_(rb.released_ts_)
    {}
    Writer(const Writer &) = delete;
    Writer &operator=(const Writer &) = delete;
    ~Writer()
    {
        f_.next_ = next_;
        f_.end_ = end_;
        f_.n_ = n_;
        f_.last_ts_ = last_ts_;
        f_.last_seq_ = last_seq_;
        rb_.max_ts_ = max_ts_;
        rb_.size_ += n_ - n0_; // (the peak is taken where records leave: release_to())
    }

    __attribute__((always_inline)) Record &slot()
    {
        if (next_ == end_) {
            next_ = rb_.new_block(f_);
            end_ = next_ + kBlockRecords;
        }
        return *next_;
    }
    DropText &drop_text() { return rb_.drops_.get(); }
    // (Forced inline: the decoder's loop calls it once per record.)
    __attribute__((always_inline)) void commit()
    {
        const Record *r = next_++;
        const std::uint64_t ts = r->ev.ts_ns, seq = r->seq;
        if (ts < released_ts_) {   // (0 until something is released: never late before that)
            rb_.max_ts_ = max_ts_; // (what late_record() measures the lateness from)
            rb_.late_record(ts);
        }
        if (ts > max_ts_)
            max_ts_ = ts;
        const std::size_t i = n_++;
        if (i != 0 && (last_ts_ > ts || (last_ts_ == ts && last_seq_ > seq))) {
            rb_.out_of_order(f_, i, ts, cpu_); // (the last record stays the last)
            return;
        }
        last_ts_ = ts;
        last_seq_ = seq;
        // Every non-empty FIFO has a heap entry for its front; a new front gets its own entry
        // (the old one goes stale and is skipped when it surfaces).
        if (i == 0)
            rb_.new_front(ts, cpu_);
    }

private:
    ReorderBuffer &rb_;
    Fifo &f_;
    const std::uint32_t cpu_;
    Record *next_, *end_;  // the FIFO's: the slot after its last record, the end of its block
    std::size_t n_;        // the FIFO's count
    const std::size_t n0_; // (its count before)
    std::uint64_t last_ts_, last_seq_; // the FIFO's last (ts, seq), valid while n_ > 0
    std::uint64_t max_ts_;             // the buffer's newest timestamp
    const std::uint64_t released_ts_;  // (no release while the writer lives)
};

inline ReorderBuffer::Writer ReorderBuffer::writer(std::uint32_t cpu)
{
    return Writer(*this, cpu);
}

template <class Sink>
void ReorderBuffer::release_to(std::uint64_t watermark, Sink &sink, bool all)
{
    // Only releasing makes size_ smaller: the peak is noted here, once per call.
    if (size_ > peak_size_)
        peak_size_ = size_;
    while (!heads_.empty()) {
        const Head h = heads_.front();
        if (!all && h.ts >= watermark)
            break;
        pop_head();
        Fifo &f = fifos_[h.cpu];
        if (f.empty() || f.front().ev.ts_ns != h.ts)
            continue; // stale: that front left or an older record took its place
        // This CPU's records go in a run for as long as they come before the heap's top: the
        // top is never later than another CPU's front (each front has its entry; a stale entry
        // is at most as late as the front that replaced it, which has its own), so the order
        // is the heap's, one pop and one push per run instead of per record.  With no other
        // CPU waiting (heads_ empty) the run ends only at the watermark.  Neither moves during
        // the run (the sink does not touch this buffer), so "before both" is one bound: a
        // record goes while ts < end_ts, or ts == end_ts when `at_end` (the top is at the same
        // ts on this CPU or a later one: a stale entry of this CPU counts as not before it).
        // The run walks the records of a block by pointer and they leave together; a FIFO is
        // sorted by ts, so the run's last record is its newest: the size and the newest
        // released are updated once per run.
        std::uint64_t end_ts = all ? UINT64_MAX : watermark;
        bool at_end = all;
        if (!heads_.empty()) {
            const Head &top = heads_.front();
            if (top.ts < end_ts) {
                end_ts = top.ts;
                at_end = h.cpu <= top.cpu;
            } else if (top.ts == end_ts) {
                at_end = at_end && h.cpu <= top.cpu;
            }
        }
        f.note_peak();
        std::size_t run = 0;
        std::uint64_t last_ts = 0;
        for (;;) {
            const Record *rec = &f.front();
            const std::size_t avail = f.front_run();
            std::size_t k = 0;
            bool more;
            for (;;) {
                const Record &r = rec[k++];
                sink(r);
                if (r.drop)
                    drops_.put(r.drop);
                if (k == avail) {
                    more = true; // (this block's records held are done; the FIFO may go on)
                    break;
                }
                const std::uint64_t ts = rec[k].ev.ts_ns;
                if (!(ts < end_ts || (at_end && ts == end_ts))) {
                    more = false;
                    break;
                }
            }
            last_ts = rec[k - 1].ev.ts_ns;
            run += k;
            f.pop_front(k, blocks_);
            if (f.empty())
                break;
            const std::uint64_t ts = f.front().ev.ts_ns;
            if (!more || !(ts < end_ts || (at_end && ts == end_ts))) {
                push_head(ts, h.cpu);
                break;
            }
        }
        size_ -= run;
        if (!released_any_ || last_ts > released_ts_)
            released_ts_ = last_ts;
        released_any_ = true;
    }
    after_release(all);
}

} // namespace nsk
