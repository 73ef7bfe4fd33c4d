// The correlator's units, owned together by the facade (correlator.cpp).  Each unit owns its
// state and its expiry, and reaches the units it works with through this.
#pragma once

#include "drop_table.hpp"
#include "rx_journeys.hpp"
#include "socket_table.hpp"
#include "stage_table.hpp"
#include "tcp_gso.hpp"
#include "tcp_seq.hpp"
#include "tx_journeys.hpp"

#include <map>
#include <string>

namespace nsk::corr {

struct Parts {
    explicit Parts(CorrelatorOptions o) : opts(o), rx(*this), tx(*this), tcp(*this), gso(*this) {}
    Parts(const Parts &) = delete;
    Parts &operator=(const Parts &) = delete;

    /// A probe's name as the module reported it (status), else the built-in one.
    std::string name_of(std::uint16_t probe) const
    {
        if (auto it = names.find(probe); it != names.end())
            return it->second;
        return probe_name(probe);
    }
    /// The last stage a journey reached ("" when none).
    std::string last_stage(const JourneyBase &j) const
    {
        return j.visits.empty() ? "" : name_of(j.visits.back().probe);
    }

    /// A journey freed with a drop: its reason (the call site's when the kernel gave none), its
    /// protocol if still unknown, and the drop table entry.
    void record_drop(JourneyBase &j, DropCause &cause, const nsk_event &ev)
    {
        const std::string stage = last_stage(j);
        cause.fill(ev, stage);
        if (!j.proto && ev.family && ev.proto)
            j.proto = ev.proto;
        drops.add(cause, stage, j.proto, true, &ev);
    }

    CorrelatorOptions opts;
    std::uint64_t socket_ceiling = 0; // socket table entries that prune between sweeps (facade)
    std::map<std::uint16_t, std::string> names;
    std::uint64_t now = 0; // event time

    StageTable stages;
    SocketTable sockets;
    DropTable drops;
    RxJourneys rx;
    TxJourneys tx;
    TcpSeq tcp;
    TcpGso gso;
};

} // namespace nsk::corr
