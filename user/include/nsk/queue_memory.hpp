// A socket's receive buffer as the kernel accounts it, from the memory the module records with
// every skb offered to the socket's queue (NSK_EF_MEM: sk_rmem_alloc before the skb, sk_rcvbuf,
// the skb's truesize), and the model that sizes a buffer from it (docs/report.md, "Verdicts").
//
// Drop episodes: an episode starts at the first skb refused for memory and ends when an skb
// offered later finds the queue empty (the reader caught up).  Within it, the bytes that would
// have been queued had the buffer been unlimited are the bytes charged now plus every refused
// byte of the episode: the reader reads in arrival order, so each refused skb would still be
// waiting behind the others.  That is an upper bound when the reader would have read faster with
// more data waiting (it stays exact for a reader that was stopped or kept reading at its pace).
#pragma once

#include "nsk/uapi.hpp"

#include <cstdint>

namespace nsk {

struct QueueEpisode {
    std::uint64_t start_ns = 0;    // first refused skb
    std::uint64_t end_ns = 0;      // the queue seen empty again, else the latest activity
    std::uint64_t offers = 0;      // skbs offered to the queue (accepted + refused)
    std::uint64_t refused = 0;     // refused for memory
    std::uint64_t refused_bytes = 0; // their truesize
    std::uint64_t reads = 0;       // reads of the socket
    std::uint64_t first_read_ns = 0, last_read_ns = 0;
    std::uint64_t peak_bytes = 0;  // most bytes an unlimited buffer would have held
    bool closed = false;           // the reader emptied the queue before the end
    std::uint64_t duration_ns() const { return end_ns > start_ns ? end_ns - start_ns : 0; }
    /// Offers per second over the episode; 0 when it lasted no time.
    double arrival_rate() const;
    /// Reads per second while the reader read (first to last read of the episode): its pace.
    double read_rate() const;
};

struct QueueMemory {
    bool known = false;            // at least one offer carried the socket's memory
    std::uint32_t rcvbuf = 0;      // sk_rcvbuf at the latest offer
    std::uint32_t rcvbuf_min = 0, rcvbuf_max = 0;
    std::uint64_t rmem_peak = 0;   // most bytes charged to the queue seen at an offer
    std::uint32_t truesize_max = 0;
    std::uint64_t offers = 0, offered_bytes = 0;
    std::uint64_t refused = 0, refused_bytes = 0;
    std::uint64_t episodes = 0;
    QueueEpisode worst;            // the episode with the largest peak (current one included)
    QueueEpisode current;          // the latest episode (open while current.closed is false)
    bool in_episode = false;

    /// An skb offered to the queue (an event with NSK_EF_MEM).
    void offer(const nsk_event &ev);
    /// The skb of the latest offer at `ts` was refused (dropped at enqueue), `truesize` bytes.
    void refuse(std::uint32_t truesize, std::uint64_t ts);
    /// The reader took an skb out of the queue.
    void read(std::uint64_t ts);

private:
    void keep_worst();
    std::uint64_t last_rmem_ = 0; // charged bytes at the latest offer
};

} // namespace nsk
