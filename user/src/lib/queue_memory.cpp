#include "nsk/queue_memory.hpp"

#include <algorithm>

namespace nsk {

double QueueEpisode::arrival_rate() const
{
    const std::uint64_t d = duration_ns();
    return d ? static_cast<double>(offers) * 1e9 / static_cast<double>(d) : 0.0;
}

double QueueEpisode::read_rate() const
{
    if (reads < 2 || last_read_ns <= first_read_ns)
        return 0.0;
    return static_cast<double>(reads - 1) * 1e9 / static_cast<double>(last_read_ns - first_read_ns);
}

void QueueMemory::offer(const nsk_event &ev)
{
    const std::uint32_t rmem = ev.seq, buf = ev.payload, truesize = ev.aux;
    if (!known) {
        rcvbuf_min = rcvbuf_max = buf;
        known = true;
    }
    rcvbuf = buf;
    rcvbuf_min = std::min(rcvbuf_min, buf);
    rcvbuf_max = std::max(rcvbuf_max, buf);
    rmem_peak = std::max<std::uint64_t>(rmem_peak, rmem);
    truesize_max = std::max(truesize_max, truesize);
    ++offers;
    offered_bytes += truesize;
    last_rmem_ = rmem;
    if (!in_episode)
        return;
    if (rmem < truesize) {
        // The reader emptied the queue: the episode is over (this skb is not part of it).
        current.closed = true;
        current.end_ns = ev.ts_ns;
        in_episode = false;
        keep_worst();
        return;
    }
    ++current.offers;
    current.end_ns = std::max<std::uint64_t>(current.end_ns, ev.ts_ns);
    current.peak_bytes =
        std::max<std::uint64_t>(current.peak_bytes, rmem + truesize + current.refused_bytes);
    keep_worst();
}

void QueueMemory::refuse(std::uint32_t truesize, std::uint64_t ts)
{
    ++refused;
    refused_bytes += truesize;
    if (!in_episode) {
        // The skb just offered opens the episode (its offer counted it as queued: it is one
        // of the episode's offers, and its bytes are the first refused ones).
        current = QueueEpisode{};
        current.start_ns = current.end_ns = ts;
        current.offers = 1;
        in_episode = true;
        ++episodes;
    }
    ++current.refused;
    current.refused_bytes += truesize;
    current.end_ns = std::max(current.end_ns, ts);
    current.peak_bytes = std::max(current.peak_bytes, last_rmem_ + current.refused_bytes);
    keep_worst();
}

void QueueMemory::read(std::uint64_t ts)
{
    if (!in_episode)
        return;
    if (!current.reads)
        current.first_read_ns = ts;
    ++current.reads;
    current.last_read_ns = ts;
    current.end_ns = std::max(current.end_ns, ts);
    keep_worst();
}

void QueueMemory::keep_worst()
{
    if (current.peak_bytes >= worst.peak_bytes || worst.start_ns == current.start_ns)
        worst = current;
}

} // namespace nsk
