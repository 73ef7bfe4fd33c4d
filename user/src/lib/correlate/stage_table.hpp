// The stage table: latency of every pair of consecutive stages, by path (tx, loopback, rx,
// queue, and for packets this host relays: fwd (IP forwarding) and bridge (sent on again without
// IP: a bridge, a tc redirect)).  The same pair on two paths is two rows.  Journeys add their pairs
// as they go; it is never aged (its size is bounded by the probe table).
#pragma once

#include "journey.hpp"

#include <map>
#include <tuple>
#include <utility>
#include <vector>

namespace nsk::corr {

class StageTable {
public:
    StageTable() = default;
    StageTable(const StageTable &) = delete; // (the index points into stats_)
    StageTable &operator=(const StageTable &) = delete;
    /// Adds the stage pairs visits[accounted-1 .. end) of a journey on `path`.  Inline for the
    /// cases of nearly every call (a journey reached one more stage: one new pair; it ended:
    /// nothing new); the rest (several pairs, a protocol not reported) in account_all().
    void account(std::uint8_t proto, const std::vector<Visit> &visits, std::size_t &accounted,
                 Path path)
    {
        if (!proto)
            return; // unknown yet: pairs are added once an event tells the protocol
        const std::size_t n = visits.size();
        if (is_reported_proto(proto)) {
            if (accounted >= n)
                return; // (a journey's end: its pairs are in already)
            if (n >= 2 && accounted + 1 == n) {
                add_pair(visits[n - 2], visits[n - 1], path);
                accounted = n;
                return;
            }
        }
        account_all(proto, visits, accounted, path);
    }
    /// A send journey that continued as a receive one: the driver -> first receive stage pair.
    void add_loopback(std::uint16_t from, std::uint16_t to, std::uint64_t ns);
    /// One pair on `path` measured outside a journey (the driver's return after the handoff).
    void add(Path path, std::uint16_t from, std::uint16_t to, std::uint64_t ns);

    std::vector<StageStat> sorted() const; // by path then stage order
    /// Consecutive stages whose timestamps went backwards (clamped to 0 in the histograms).
    std::uint64_t reversed() const { return reversed_; }

private:
    void account_all(std::uint8_t proto, const std::vector<Visit> &visits, std::size_t &accounted,
                     Path path);
    /// The pair a -> b (consecutive visits) on `path`.
    void add_pair(const Visit &a, const Visit &b, Path path)
    {
        StageStat &st = entry(a.probe, b.probe, path);
        if (b.ts < a.ts) {
            ++reversed_;
            st.hist.add(0);
        } else {
            st.hist.add(b.ts - a.ts);
        }
    }
    StageStat &entry(std::uint16_t from, std::uint16_t to, Path path)
    {
        if (from < kIndexed && to < kIndexed) {
            StageStat *&hit =
                index_[(static_cast<std::size_t>(path) * kIndexed + from) * kIndexed + to];
            if (!hit)
                hit = &make(from, to, path);
            return *hit;
        }
        return make(from, to, path);
    }
    StageStat &make(std::uint16_t from, std::uint16_t to, Path path);

    // The rows (a map: its nodes stay put, and sorted() reads them in one order), and in front
    // of it a dense index by (path, from, to) for the probe ids the tool knows (one load per
    // stage pair instead of a walk down the map: ~3 % of `report`); others go to the map.
    static constexpr std::size_t kIndexed = __NSK_PROBE_MAX;
    static constexpr std::size_t kPaths = static_cast<std::size_t>(Path::bridge) + 1;
    std::map<std::tuple<Path, std::uint16_t, std::uint16_t>, StageStat> stats_;
    std::vector<StageStat *> index_ = std::vector<StageStat *>(kPaths * kIndexed * kIndexed);
    std::uint64_t reversed_ = 0;
};

} // namespace nsk::corr
