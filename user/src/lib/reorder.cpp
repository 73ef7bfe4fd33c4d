#include "nsk/reorder.hpp"

namespace nsk {

void ReorderBuffer::push(const Record &r)
{
    if (released_any_ && r.ev.ts_ns < released_ts_)
        ++late_;
    if (r.ev.ts_ns > max_ts_)
        max_ts_ = r.ev.ts_ns;
    heap_.push(r);
}

void ReorderBuffer::release(const Sink &sink)
{
    if (max_ts_ < window_ns_)
        return;
    release_until(max_ts_ - window_ns_, sink);
}

void ReorderBuffer::release_until(std::uint64_t watermark, const Sink &sink)
{
    while (!heap_.empty() && heap_.top().ev.ts_ns < watermark) {
        const Record r = heap_.top();
        heap_.pop();
        if (!released_any_ || r.ev.ts_ns > released_ts_)
            released_ts_ = r.ev.ts_ns;
        released_any_ = true;
        sink(r);
    }
}

void ReorderBuffer::flush(const Sink &sink)
{
    while (!heap_.empty()) {
        const Record r = heap_.top();
        heap_.pop();
        if (!released_any_ || r.ev.ts_ns > released_ts_)
            released_ts_ = r.ev.ts_ns;
        released_any_ = true;
        sink(r);
    }
}

} // namespace nsk
