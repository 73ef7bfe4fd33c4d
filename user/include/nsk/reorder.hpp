// Reorder stage: records of one CPU arrive (almost) in order, across CPUs they interleave
// arbitrarily.  Records wait until they are older than the newest timestamp seen minus
// `window_ns` (event time), then leave in (ts_ns, cpu, seq) order.
//
// One FIFO per CPU, kept sorted by (ts_ns, seq): a record is appended, or moved back past the
// few records of its CPU that are newer (a nested softirq on that CPU wrote later but stamped
// earlier).  A small min-heap of CPU heads merges the FIFOs: each released record costs one
// copy in, one pop and at most one push of a 16-byte head, instead of sifting whole records
// through one heap of everything buffered.  The decoder writes each record straight into the
// back of its CPU's FIFO (slot() / drop_text() / commit(): see decode_records), so the one copy
// in is the decode itself; a drop's strings wait in a pool on the side until the sink returns.
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

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace nsk {

class ReorderBuffer {
public:
    using Sink = std::function<void(const Record &)>;
    /// `max_window_ns` <= `window_ns`: a fixed window.
    explicit ReorderBuffer(std::uint64_t window_ns = 300'000'000, std::uint64_t max_window_ns = 0)
        : window_ns_(window_ns), initial_window_ns_(window_ns),
          max_window_ns_(max_window_ns > window_ns ? max_window_ns : window_ns)
    {}

    /// A record from elsewhere (copied in; its drop text too).
    void push(const Record &r);
    /// In place, for the decoder: room for the next record of `cpu` at the back of its FIFO,
    /// room for a drop's strings (held until the record's sink returns), and commit(), which
    /// files the record written in slot(cpu).  One slot() per commit(), nothing in between
    /// but drop_text().
    Record &slot(std::uint32_t cpu) { return fifo(cpu).back_slot(spares_); }
    DropText &drop_text() { return drops_.get(); }
    void commit(std::uint32_t cpu);
    /// Release records older than max_ts_seen - window.
    void release(const Sink &sink) { release_to(release_mark(), sink); }
    /// Release records with ts < watermark (e.g. derived from the wall clock when idle).
    void release_until(std::uint64_t watermark, const Sink &sink) { release_to(watermark, sink); }
    /// Release everything (end of collection).
    void flush(const Sink &sink) { release_to(UINT64_MAX, sink, true); }

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
    std::size_t peak_size() const { return peak_size_; }
    /// Timestamp of the newest record released so far (valid when released_any()).
    std::uint64_t released_ts() const { return released_ts_; }
    bool released_any() const { return released_any_; }
    /// Records the FIFOs have room for now (memory held).  Once per window of event time, a
    /// FIFO that was at most a quarter full all that window shrinks (to twice the most it held,
    /// at least kKeepRecords; one that stayed empty, to nothing), so memory follows the backlog
    /// down after a burst instead of keeping its peak, without giving memory back and growing
    /// it again at every dip (regrowing a FIFO was 40 % of `report`'s time: page faults).
    /// At the end (flush) every FIFO shrinks to what it holds.
    std::size_t capacity() const;
    /// Records' room in buffers a FIFO gave back (grown out of or shrunk from) and kept for
    /// reuse: a buffer not taken again within kSpareWindows looks at the FIFOs (windows of
    /// event time) is freed.  So a FIFO whose backlog goes up and down within a few windows
    /// takes back memory it touched already instead of new pages (their first-touch page faults
    /// were ~10 % of `report`), and memory still follows the backlog down, a few windows later.
    /// At the end (flush) they are all freed.
    std::size_t spare_capacity() const { return spares_.capacity(); }
    static constexpr std::size_t kKeepRecords = 4096;
    static constexpr unsigned kSpareWindows = 4;

private:
    struct FreeRecords {
        void operator()(Record *p) const { ::operator delete(p); }
    };
    using Buf = std::unique_ptr<Record, FreeRecords>;
    /// Buffers given back by the FIFOs, kept for reuse for one to two trim periods (above).
    class SparePool {
    public:
        /// Room for `n` records (a power of two), uninitialised: a kept buffer of that size,
        /// else new memory.
        Buf take(std::size_t n);
        void give(Buf b, std::size_t n);
        /// A window passed: free the buffers kept unused for kSpareWindows of them.
        void age();
        void clear() { spares_.clear(); }
        std::size_t capacity() const;

    private:
        struct Spare {
            Buf buf;
            std::size_t n;
            unsigned windows; // age() calls since it was given back
        };
        std::vector<Spare> spares_;
    };
    /// The records of one CPU, sorted by (ts_ns, seq): a growable ring.
    class Fifo {
    public:
        bool empty() const { return n_ == 0; }
        const Record &front() const { return buf_.get()[head_]; }
        void pop_front();
        /// Room for one more record at the back (grows the ring when full).
        Record &back_slot(SparePool &pool)
        {
            if (n_ == cap_)
                grow(pool);
            return at(n_);
        }
        /// The slot back_slot() gave (not full then).
        Record &back() { return at(n_); }
        /// File the record written in back_slot() in (ts, seq) order from the back; true when
        /// it became the front.
        bool commit_back();
        /// A burst passed (bigger than kKeepRecords and at most a quarter full): shrink to
        /// twice what it holds (at least kKeepRecords; nothing when empty).
        /// Shrink when the most it held since the last trim (or, at the end, what it holds
        /// now) is at most a quarter of its room: to twice that (at least kKeepRecords;
        /// nothing when that is 0).  Starts the next period.
        void trim(bool end, SparePool &pool);
        std::size_t capacity() const { return cap_; }

    private:
        Record &at(std::size_t i) { return buf_.get()[(head_ + i) & (cap_ - 1)]; }
        void resize(std::size_t cap, SparePool &pool); // (a power of two >= n_)
        void grow(SparePool &pool);
        Buf buf_;
        std::size_t cap_ = 0, head_ = 0, n_ = 0;
        std::size_t peak_ = 0; // most records held since the last trim
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
    void release_to(std::uint64_t watermark, const Sink &sink, bool all = false);
    void push_head(std::uint64_t ts, std::uint32_t cpu);
    Fifo &fifo(std::uint32_t cpu);

    std::vector<Fifo> fifos_; // by CPU number
    std::vector<Head> heads_; // min-heap by (ts, cpu); may hold stale entries
    DropPool drops_;
    SparePool spares_;
    std::uint64_t trim_at_ = 0; // released_ts_ at which the FIFOs are looked at again
    void grow_window(std::uint64_t lateness_ns);

    std::size_t size_ = 0, peak_size_ = 0;
    std::uint64_t window_ns_, initial_window_ns_, max_window_ns_;
    std::uint64_t max_ts_ = 0;
    std::uint64_t released_ts_ = 0; // ts of the newest record released so far
    bool released_any_ = false;
    std::uint64_t late_ = 0;
};

} // namespace nsk
