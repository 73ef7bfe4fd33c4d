// Generic netlink client (libnl-genl-3): control requests on one socket, the multicast event
// stream on another.  RAII wrappers own every nl_sock / nl_msg.
#pragma once

#include "nsk/error.hpp"
#include "nsk/filters.hpp"
#include "nsk/status.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

struct nl_sock;
struct nl_msg;
struct nlattr;

namespace nsk {

struct NlSockDeleter {
    void operator()(nl_sock *s) const;
};
struct NlMsgDeleter {
    void operator()(nl_msg *m) const;
};
using NlSockPtr = std::unique_ptr<nl_sock, NlSockDeleter>;
using NlMsgPtr = std::unique_ptr<nl_msg, NlMsgDeleter>;

/// Parse a NSK_ATTR_CPU_STATS nest (also used for STOPPED).
std::vector<CpuCounters> parse_cpu_stats(nlattr *nest);
/// Parse the attributes of a STATUS reply (tb indexed by enum nsk_attr, NSK_ATTR_MAX + 1).
Result<Status> parse_status(nlattr **tb);

class GenlClient {
public:
    /// Connect and resolve the family; Errc::module_not_loaded when it is not registered.
    static Result<GenlClient> open();

    Result<Status> status();
    Result<void> configure(const Filters &f);
    /// START, then wait until the module runs the collection: it answers START at once and
    /// starts in its own work (enum nsk_state), so STATUS is asked every kStatePollMs until
    /// the state is running, or idle with the start's error (reported as a refused START
    /// was: same message, same exit code).  Bounded by the request timeout; a signal ends it.
    Result<void> start();
    /// STOP: answered at once; the module then stops in its own work (state stopping, then
    /// STOPPED on the events group, then idle).  collect() reads the events meanwhile.
    Result<void> stop();
    int timeout_ms() const { return timeout_ms_; }
    static constexpr int kStatePollMs = 20;
    int family_id() const { return family_; }
    /// How long one request (STATUS, CONFIG, START, STOP) may wait for the module's answer
    /// before it fails with Errc::timeout (default kTransactTimeoutMs).  A signal (Ctrl-C)
    /// during the wait ends it at once, with the same error.
    void set_timeout_ms(int ms) { timeout_ms_ = ms; }
    static constexpr int kTransactTimeoutMs = 30'000;

private:
    using Fill = std::function<Result<void>(nl_msg *)>;
    using OnReply = std::function<Result<void>(nlattr **tb)>;
    Result<void> transact(std::uint8_t cmd, const char *what, const Fill &fill,
                          const OnReply &on_reply);

    NlSockPtr sock_;
    int family_ = 0;
    int timeout_ms_ = kTransactTimeoutMs;
};

/// The module's generic netlink family version and record version (STATUS) against the ones
/// this tool was built for: a mismatch is refused (Errc::incompatible) with both versions.
Result<void> check_versions(const Status &st);

struct EventHandlers {
    std::function<void(std::uint32_t cpu, std::uint64_t seq, std::uint32_t count,
                       const std::uint8_t *data, std::size_t len)>
        on_batch;
    std::function<void(std::vector<CpuCounters>)> on_stopped;
    std::function<void()> on_enobufs;
    std::function<void(const GovernorChange &)> on_governor;
};

class EventSocket {
public:
    /// Join NSK_MCGRP_EVENTS of `family_id` with a large receive buffer.
    static Result<EventSocket> open(int family_id);

    int fd() const;
    /// Read the messages available now (non-blocking) and dispatch them: at most
    /// `max_reads` socket reads, so that a reader slower than the kernel (its socket never
    /// empties) still returns to its caller, which checks for stop signals and keeps its
    /// intervals.  Returns whether the limit was reached (more may be waiting).
    Result<bool> drain(const EventHandlers &h, std::size_t max_reads = kDrainReads);
    /// Reads per drain() call by default (each read is one datagram: one batch, up to
    /// NSK_BATCH_BYTES of records, ~200): a few milliseconds of work between two checks.
    static constexpr std::size_t kDrainReads = 8;
    /// Receive buffer actually obtained, and whether SO_RCVBUFFORCE worked.
    int rcvbuf_bytes() const { return rcvbuf_; }
    bool forced() const { return forced_; }
    std::uint64_t truncated() const { return truncated_; }

private:
    NlSockPtr sock_;
    int family_ = 0;
    int rcvbuf_ = 0;
    bool forced_ = false;
    std::uint64_t truncated_ = 0;
    std::vector<std::uint8_t> buf_;
};

} // namespace nsk
